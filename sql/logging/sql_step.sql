-- sql_step: run one SQL statement as a logged step of a job.  Returns true
-- when it succeeded (the step records the rows affected), false when it
-- failed (the step records the error and is marked CRITICAL; the
-- statement's effects are rolled back, the caller's are not).
CREATE FUNCTION @extschema@.sql_step(p_job_id bigint, p_action text, p_sql text) RETURNS boolean
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_step_id bigint;
    v_rows    bigint;
BEGIN
    IF p_sql IS NULL THEN
        PERFORM @extschema@._null_argument('sql_step', 'p_sql');
    END IF;
    v_step_id := @extschema@.add_step(p_job_id, p_action);
    BEGIN
        EXECUTE p_sql;
        GET DIAGNOSTICS v_rows = ROW_COUNT;
    EXCEPTION WHEN OTHERS THEN
        PERFORM @extschema@._log_step_error(v_step_id, e) FROM @extschema@._handled_error() e;
        RETURN false;
    END;
    PERFORM @extschema@.update_step(v_step_id, 'OK', 'Rows affected: ' || v_rows);
    RETURN true;
END
$$;

COMMENT ON FUNCTION @extschema@.sql_step(bigint, text, text) IS 'run a statement as a logged step; true on success, false (error logged) on failure';
