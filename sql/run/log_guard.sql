-- The log of a scheduled run is written by its worker and by the roles of
-- its job; through the logging API (SECURITY DEFINER writers open to all)
-- no other role may end, cancel or rewrite it.  The guard is the
-- scheduler's, put on the logging layer's tables as triggers, so that the
-- logging layer knows nothing of runs.  It fires before the row is written.
CREATE FUNCTION @extschema@._run_log_guard() RETURNS trigger
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_run    @extschema@.jobmon_run;
    v_caller name;
BEGIN
    SELECT * INTO v_run FROM @extschema@.jobmon_run r WHERE r.log_id = NEW.job_id;
    IF NOT FOUND OR v_run.pid IS NOT DISTINCT FROM pg_backend_pid() THEN  -- the run's own worker
        RETURN NEW;
    END IF;
    v_caller := @extschema@._caller();
    IF NOT @extschema@._is_job_role(v_caller, v_run.owner, v_run.run_as) THEN
        RAISE EXCEPTION 'permission denied to write the log of a scheduled run'
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = format('Job %s of job_log is run %s of scheduled job "%s", which role "%s" neither owns nor runs as.',
                                  NEW.job_id, v_run.run_id, v_run.job_name, v_caller),
                  HINT = 'Only the job''s owner, its run_as role or a superuser can log to or cancel its runs.';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER jobmon_run_log_guard
BEFORE UPDATE ON @extschema@.job_log
FOR EACH ROW EXECUTE FUNCTION @extschema@._run_log_guard();

CREATE TRIGGER jobmon_run_log_guard
BEFORE INSERT OR UPDATE ON @extschema@.job_detail
FOR EACH ROW EXECUTE FUNCTION @extschema@._run_log_guard();

CREATE TRIGGER jobmon_run_log_guard
BEFORE INSERT ON @extschema@.jobmon_event
FOR EACH ROW EXECUTE FUNCTION @extschema@._run_log_guard();
