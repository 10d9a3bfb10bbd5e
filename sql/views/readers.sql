-- pgpro_scheduler-style readers of jobs and runs.  They read through the
-- views (and return their row types, hence their place here), so each
-- role sees its own jobs and a superuser sees all.

CREATE FUNCTION @extschema@.get_job(p_job_id bigint) RETURNS SETOF @extschema@.jobmon_my_jobs
LANGUAGE sql STABLE
SET search_path = @extschema@, pg_temp
AS $$ SELECT * FROM @extschema@.jobmon_my_jobs m WHERE m.job_id = p_job_id $$;

CREATE FUNCTION @extschema@.get_owned_jobs(p_owner name DEFAULT current_user) RETURNS SETOF @extschema@.jobmon_my_jobs
LANGUAGE sql STABLE
SET search_path = @extschema@, pg_temp
AS $$ SELECT * FROM @extschema@.jobmon_my_jobs m WHERE m.owner = p_owner ORDER BY m.job_id $$;

CREATE FUNCTION @extschema@.get_run_as_jobs(p_run_as name DEFAULT current_user) RETURNS SETOF @extschema@.jobmon_my_jobs
LANGUAGE sql STABLE
SET search_path = @extschema@, pg_temp
AS $$ SELECT * FROM @extschema@.jobmon_my_jobs m WHERE m.run_as = p_run_as ORDER BY m.job_id $$;

CREATE FUNCTION @extschema@.get_active_runs() RETURNS SETOF @extschema@.jobmon_my_log
LANGUAGE sql STABLE
SET search_path = @extschema@, pg_temp
AS $$ SELECT * FROM @extschema@.jobmon_my_log m WHERE m.status IN ('waiting', 'starting', 'running') $$;

CREATE FUNCTION @extschema@.get_run_log(p_job_id bigint DEFAULT NULL) RETURNS SETOF @extschema@.jobmon_my_log
LANGUAGE sql STABLE
SET search_path = @extschema@, pg_temp
AS $$ SELECT * FROM @extschema@.jobmon_my_log m WHERE p_job_id IS NULL OR m.job_id = p_job_id $$;

COMMENT ON FUNCTION @extschema@.get_job(bigint) IS 'one job you can see';

COMMENT ON FUNCTION @extschema@.get_owned_jobs(name) IS 'the jobs a role owns (that you can see)';

COMMENT ON FUNCTION @extschema@.get_run_as_jobs(name) IS 'the jobs that run as a role (that you can see)';

COMMENT ON FUNCTION @extschema@.get_active_runs() IS 'runs waiting, starting or running';

COMMENT ON FUNCTION @extschema@.get_run_log(bigint) IS 'the run log, of one job or all you can see';
