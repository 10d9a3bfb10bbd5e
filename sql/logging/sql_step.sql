-- sql_step: run one SQL statement as a logged step of a job.  Returns true
-- when it succeeded (the step records the rows affected and the job is
-- closed, as pg_jobmon 1.x did), false when it failed (the step records
-- the error and is marked CRITICAL, the job stays open; the statement's
-- effects are rolled back, the caller's are not).
--
-- The statement is the caller's, so it runs as the caller (both functions
-- are SECURITY INVOKER) and under the caller's search_path, as in 1.x:
-- sql_step has no SET clause and only reads that search_path, fully
-- qualified, and hands it to _sql_step, whose own calls run under the
-- pinned search_path and which switches to the caller's only around the
-- statement.  A schema of the caller's search_path can then shadow
-- nothing that pg_jobmon calls.
CREATE FUNCTION @extschema@._sql_step(p_job_id bigint, p_action text, p_sql text, p_search_path text)
RETURNS boolean
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
    v_rows := @extschema@._sql_execute(v_step_id, p_sql, p_search_path);
    IF v_rows IS NULL THEN
        RETURN false;
    END IF;
    PERFORM @extschema@.update_step(v_step_id, 'OK', 'Rows affected: ' || v_rows);
    PERFORM @extschema@.close_job(p_job_id);
    RETURN true;
END
$$;

-- Run p_sql under search_path p_search_path (the caller's) and return its
-- row count; on an error, roll the statement back, record the error on
-- step p_step_id (CRITICAL) and return NULL.  The search_path is the
-- caller's only while the statement runs: the subtransaction's rollback,
-- or on success this function's own SET clause, restores the pinned one
-- (also when the statement changed search_path itself).
CREATE FUNCTION @extschema@._sql_execute(p_step_id bigint, p_sql text, p_search_path text)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_rows bigint;
BEGIN
    BEGIN
        PERFORM pg_catalog.set_config('search_path', p_search_path, true);
        EXECUTE p_sql;
        GET DIAGNOSTICS v_rows = ROW_COUNT;
    EXCEPTION WHEN OTHERS THEN
        PERFORM @extschema@._log_step_error(p_step_id, e) FROM @extschema@._handled_error() e;
        RETURN NULL;
    END;
    RETURN v_rows;
END
$$;

CREATE FUNCTION @extschema@.sql_step(p_job_id bigint, p_action text, p_sql text) RETURNS boolean
LANGUAGE sql
AS $$
    SELECT @extschema@._sql_step(p_job_id, p_action, p_sql, pg_catalog.current_setting('search_path'))
$$;

COMMENT ON FUNCTION @extschema@.sql_step(bigint, text, text) IS 'run a statement as a logged step under the caller''s search_path; true on success (the job is closed), false (error logged) on failure';
