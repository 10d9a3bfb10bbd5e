-- sql_job: run one SQL statement as a whole logged job of one step, as the
-- caller and under the caller's search_path (see sql_step.sql: the same
-- split between a wrapper that reads the search_path and a body that
-- pins its own).
--
-- Two runs of the same job name do not overlap: a run that finds another
-- one holding the job's advisory lock logs that and ends OK without running
-- the statement.  The lock is transaction-scoped, so no error path can leave
-- it behind.
CREATE FUNCTION @extschema@._sql_job(p_job_name text, p_sql text, p_search_path text) RETURNS text
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_job_id  bigint;
    v_step_id bigint;
    v_rows    bigint;
BEGIN
    IF p_sql IS NULL THEN
        PERFORM @extschema@._null_argument('sql_job', 'p_sql');
    END IF;
    v_job_id := @extschema@.add_job(p_job_name);

    IF NOT pg_catalog.pg_try_advisory_xact_lock(pg_catalog.hashtext('pg_jobmon.sql_job'),
                                                pg_catalog.hashtext(upper(p_job_name))) THEN
        v_step_id := @extschema@.add_step(v_job_id, 'Obtaining advisory lock for job: ' || upper(p_job_name));
        PERFORM @extschema@.update_step(v_step_id, 'OK', 'Found concurrent job. Exiting gracefully');
        PERFORM @extschema@.close_job(v_job_id);
        RETURN 'Concurrent job found. Obtaining advisory lock FAILED for job: ' || upper(p_job_name);
    END IF;

    v_step_id := @extschema@.add_step(v_job_id, 'Running sql: ' || quote_literal(p_sql));
    v_rows := @extschema@._sql_execute(v_step_id, p_sql, p_search_path);
    IF v_rows IS NULL THEN
        PERFORM @extschema@.fail_job(v_job_id);
        RETURN 'Job ID ' || v_job_id || ' failed. See job_detail table for more details';
    END IF;
    PERFORM @extschema@.update_step(v_step_id, 'OK', 'Rows affected: ' || v_rows);
    PERFORM @extschema@.close_job(v_job_id);
    RETURN 'Job logged with job id: ' || v_job_id;
END
$$;

CREATE FUNCTION @extschema@.sql_job(p_job_name text, p_sql text) RETURNS text
LANGUAGE sql
AS $$
    SELECT @extschema@._sql_job(p_job_name, p_sql, pg_catalog.current_setting('search_path'))
$$;

COMMENT ON FUNCTION @extschema@.sql_job(text, text) IS 'run a statement as a complete logged job of one step, under the caller''s search_path';
