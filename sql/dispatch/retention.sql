-- Forget finished runs older than the setting run_retention, with their
-- job_log rows, a batch at a time.
CREATE FUNCTION @extschema@._runs_apply_retention() RETURNS integer
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_keep  interval := @extschema@._setting('run_retention')::interval;
    v_count integer;
BEGIN
    IF v_keep = interval '0' THEN
        RETURN 0;
    END IF;
    WITH old AS (
        DELETE FROM @extschema@.jobmon_run r
        WHERE r.run_id IN (SELECT x.run_id FROM @extschema@.jobmon_run x
                           WHERE x.finished_at < now() - v_keep LIMIT 10000)
        RETURNING r.log_id)
    DELETE FROM @extschema@.job_log l USING old WHERE l.job_id = old.log_id;
    GET DIAGNOSTICS v_count = ROW_COUNT;
    RETURN v_count;
END
$$;

-- Forget the finished runs the caller can see (all, for a superuser),
-- with their job_log rows; returns how many.
CREATE FUNCTION @extschema@.jobmon_clean_log()
RETURNS bigint
LANGUAGE C AS 'MODULE_PATHNAME', 'jobmon_api';

CREATE FUNCTION @extschema@._api_jobmon_clean_log()
RETURNS bigint
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_caller name := @extschema@._caller();
    v_count  bigint;
BEGIN
    WITH gone AS (
        DELETE FROM @extschema@.jobmon_run r
        WHERE r.status NOT IN ('waiting', 'starting', 'running')
          AND @extschema@._is_job_role(v_caller, r.owner, r.run_as)
        RETURNING r.log_id),
    logs AS (
        DELETE FROM @extschema@.job_log l USING gone WHERE l.job_id = gone.log_id)
    SELECT count(*) INTO v_count FROM gone;
    RETURN v_count;
END
$$;

COMMENT ON FUNCTION @extschema@.jobmon_clean_log() IS 'delete the finished runs you can see, with their job_log rows';
