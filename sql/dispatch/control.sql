-- Starting, stopping and watching the dispatcher.

-- The schema of pg_cron's functions in this database, quoted, or NULL.
-- pg_cron's objects are found as members of the extension, never by the
-- name cron: a role that may create schemas could make a schema cron of its
-- own where pg_cron is not installed, and have the superuser who calls
-- jobmon_start() or jobmon_status() run its functions.
CREATE FUNCTION @extschema@._pg_cron_schema() RETURNS text
LANGUAGE sql STABLE
SET search_path = @extschema@, pg_temp
AS $$
    SELECT pg_catalog.quote_ident(n.nspname)
    FROM pg_catalog.pg_extension e
    JOIN pg_catalog.pg_depend d ON d.refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass
                               AND d.refobjid = e.oid AND d.deptype = 'e'
                               AND d.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass
    JOIN pg_catalog.pg_proc p ON p.oid = d.objid
    JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
    WHERE e.extname = 'pg_cron' AND p.proname = 'schedule_in_database'
    LIMIT 1
$$;

-- The pg_cron job that calls this database's dispatcher.
CREATE FUNCTION @extschema@._dispatch_cron_job_name() RETURNS text
LANGUAGE sql STABLE
AS $$ SELECT 'pg_jobmon dispatcher: ' || pg_catalog.current_database() $$;

-- Schedule the dispatcher with pg_cron, every minute, and at the server's
-- start (@reboot): after a restart or a crash dispatch resumes at once, not
-- at pg_cron's next minute.  Each call dispatches for a minute and keeps
-- one dispatcher alive (see jobmon_dispatch()).  Idempotent.  Returns the
-- id of the every-minute pg_cron job.
CREATE FUNCTION @extschema@.jobmon_start() RETURNS bigint
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_job_id bigint;
    v_cron   text;
BEGIN
    IF NOT @extschema@._is_superuser(current_user) THEN
        RAISE EXCEPTION 'permission denied to start the pg_jobmon scheduler'
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = 'The dispatcher starts workers as the roles of the jobs, which only a superuser may do.',
                  HINT = 'Run jobmon_start() as a superuser.';
    END IF;
    v_cron := @extschema@._pg_cron_schema();
    IF v_cron IS NULL THEN
        RAISE EXCEPTION 'pg_cron is not installed in database "%"', current_database()
            USING ERRCODE = 'undefined_object',
                  DETAIL = format('jobmon_start() schedules CALL %I.jobmon_dispatch() with pg_cron, which lives in the database named by cron.database_name (%s).',
                                  '@extschema@', coalesce(current_setting('cron.database_name', true), 'pg_cron is not loaded')),
                  HINT = format('In database %s run: SELECT cron.schedule_in_database(%L, %L, %L, %L); or have any other scheduler run that CALL every minute.',
                                coalesce(current_setting('cron.database_name', true), 'postgres'),
                                @extschema@._dispatch_cron_job_name(), '* * * * *',
                                format('CALL %I.jobmon_dispatch()', '@extschema@'), current_database());
    END IF;
    EXECUTE format('SELECT %s.schedule_in_database($1, $2, $3, $4)', v_cron)
        USING @extschema@._dispatch_cron_job_name() || ' at start', '@reboot',
              format('CALL %I.jobmon_dispatch()', '@extschema@'), current_database();
    EXECUTE format('SELECT %s.schedule_in_database($1, $2, $3, $4)', v_cron)
        INTO v_job_id
        USING @extschema@._dispatch_cron_job_name(), '* * * * *',
              format('CALL %I.jobmon_dispatch()', '@extschema@'), current_database();
    RETURN v_job_id;
END
$$;

-- Unschedule the dispatcher and stop the one running now.
CREATE FUNCTION @extschema@.jobmon_stop() RETURNS void
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_cron text;
BEGIN
    IF NOT @extschema@._is_superuser(current_user) THEN
        RAISE EXCEPTION 'permission denied to stop the pg_jobmon scheduler'
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'Run jobmon_stop() as a superuser.';
    END IF;
    v_cron := @extschema@._pg_cron_schema();
    IF v_cron IS NOT NULL THEN
        EXECUTE format('SELECT %1$s.unschedule(jobname) FROM %1$s.job WHERE jobname IN ($1, $1 || '' at start'')', v_cron)
            USING @extschema@._dispatch_cron_job_name();
    END IF;
    UPDATE @extschema@.jobmon_dispatcher_state s SET stop_requested = true WHERE s.dispatcher_pid IS NOT NULL;
    PERFORM @extschema@._dispatch_wake();
END
$$;

-- What the dispatcher is doing, and a word on what to do when it is not.
CREATE FUNCTION @extschema@.jobmon_status(
    OUT running boolean, OUT dispatcher_pid integer, OUT dispatcher_started timestamptz,
    OUT last_wakeup timestamptz, OUT workers_in_use bigint, OUT max_workers integer,
    OUT runs_waiting bigint, OUT pg_cron_job text, OUT message text)
RETURNS record
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_state @extschema@.jobmon_dispatcher_state;
    v_cron  text;
BEGIN
    SELECT * INTO v_state FROM @extschema@.jobmon_dispatcher_state;
    running := EXISTS (SELECT FROM pg_catalog.pg_stat_activity a WHERE a.pid = v_state.dispatcher_pid);
    dispatcher_pid := CASE WHEN running THEN v_state.dispatcher_pid END;
    dispatcher_started := CASE WHEN running THEN v_state.dispatcher_started END;
    last_wakeup := v_state.last_wakeup;
    SELECT count(*) FILTER (WHERE r.status IN ('starting', 'running')),
           count(*) FILTER (WHERE r.status = 'waiting' AND r.due_at <= now())
    INTO workers_in_use, runs_waiting
    FROM @extschema@.jobmon_run r WHERE r.status IN ('waiting', 'starting', 'running');
    max_workers := @extschema@._max_workers();
    v_cron := @extschema@._pg_cron_schema();
    IF v_cron IS NOT NULL THEN
        EXECUTE format('SELECT schedule || '' '' || command FROM %s.job WHERE jobname = $1', v_cron)
            INTO pg_cron_job USING @extschema@._dispatch_cron_job_name();
    END IF;
    message := CASE
        WHEN running AND last_wakeup > now() - interval '10 seconds' THEN 'dispatching'
        WHEN running THEN format('the dispatcher (pid %s) has not woken since %s', v_state.dispatcher_pid, last_wakeup)
        WHEN pg_cron_job IS NOT NULL AND last_wakeup IS NULL THEN
            'pg_cron calls the dispatcher at the start of every minute; if it has not after a minute, check cron.job_run_details'
        WHEN pg_cron_job IS NOT NULL AND last_wakeup < now() - interval '2 minutes' THEN
            'pg_cron has not run the dispatcher for over two minutes: check cron.job_run_details; if pg_cron cannot connect, set cron.use_background_workers = on (or cron.host to a socket directory) and restart'
        WHEN pg_cron_job IS NOT NULL THEN 'waiting for pg_cron to call the dispatcher (every minute)'
        ELSE format('no dispatcher is running: SELECT %I.jobmon_start(), or CALL %I.jobmon_dispatch() every minute from another scheduler',
                    '@extschema@', '@extschema@')
        END;
END
$$;

COMMENT ON FUNCTION @extschema@.jobmon_start() IS 'schedule the dispatcher with pg_cron in this database; returns the pg_cron job id';

COMMENT ON FUNCTION @extschema@.jobmon_stop() IS 'unschedule the dispatcher and stop the running one';

COMMENT ON FUNCTION @extschema@.jobmon_status() IS 'whether the dispatcher runs, its last wake-up, workers in use, runs waiting';
