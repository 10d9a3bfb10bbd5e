-- The log of a run, as the scheduler rules it: who writes it and who
-- reads it.  These are the scheduler's rules put on the logging layer's
-- tables (triggers and row-level security policies), so that the logging
-- layer knows nothing of runs.

-- Writing.  The log of a run is written by its worker and by the roles of
-- its job (through the logging API: update_step, cancel_job ...), never by
-- another role.  The guard fires before the row is written.
CREATE FUNCTION @extschema@._run_log_guard() RETURNS trigger
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_run    @extschema@.jobmon_run;
    v_caller name;
BEGIN
    SELECT * INTO v_run FROM @extschema@.jobmon_run r WHERE r.log_id = NEW.job_id;
    -- The run's own worker, known by its process memory: a pid can be
    -- reused by any later process, a row copied to another database.
    IF NOT FOUND OR v_run.run_id = @extschema@._worker_run_id() THEN
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

-- Reading.  The roles of a job read the log of its runs (for a one-off
-- job's runs too), which job_log.owner alone (the run_as role) would not
-- give the job's owner.  The steps and events of a run show its commands,
-- so no other role reads them, not even one that reads every logged job.
CREATE POLICY jobmon_run_log_readable ON @extschema@.job_log FOR SELECT
    USING (EXISTS (SELECT FROM @extschema@.jobmon_run r WHERE r.log_id = job_log.job_id));

CREATE POLICY jobmon_run_log_deletable ON @extschema@.job_log FOR DELETE
    USING (EXISTS (SELECT FROM @extschema@.jobmon_run r WHERE r.log_id = job_log.job_id));

-- The roles of the run whose log p_log_id is, or NULL when it is no run's
-- log.  SECURITY DEFINER because jobmon_run's own row-level security hides
-- the runs of other roles from the policies that ask.
CREATE FUNCTION @extschema@._run_log_roles(p_log_id bigint) RETURNS name[]
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = @extschema@, pg_temp
AS $$ SELECT ARRAY[r.owner, r.run_as] FROM @extschema@.jobmon_run r WHERE r.log_id = p_log_id $$;

CREATE POLICY jobmon_run_steps_private ON @extschema@.job_detail AS RESTRICTIVE FOR SELECT
    USING (coalesce(current_user = ANY (@extschema@._run_log_roles(job_id)), true));

CREATE POLICY jobmon_run_events_private ON @extschema@.jobmon_event AS RESTRICTIVE FOR SELECT
    USING (coalesce(current_user = ANY (@extschema@._run_log_roles(job_id)), true));
