-- pg_jobmon 2.5.0 -> 2.6.0: robustness, and moving in from pg_jobmon 1.x.
--
-- Each section below is the delta of one change, in the order they landed.

\echo Use "ALTER EXTENSION pg_jobmon UPDATE TO '2.6.0'" to load this file. \quit

-- Version skew (issue 13, item 1): the library knows its version and
-- starts no run while the installed objects are of another
-- (src/pg_jobmon.c); jobmon_status() says so.  And jobmon_start() and
-- jobmon_status() say what is true where pg_cron is not loaded, not
-- created, or lives in another database.

CREATE FUNCTION @extschema@._library_version() RETURNS text
LANGUAGE C STABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'jobmon_library_version';

COMMENT ON FUNCTION @extschema@._library_version() IS 'internal: the version of the loaded pg_jobmon library';

CREATE FUNCTION @extschema@._pg_cron_database() RETURNS text
LANGUAGE sql STABLE
AS $$ SELECT NULLIF(pg_catalog.current_setting('cron.database_name', true), '') $$;

CREATE FUNCTION @extschema@._pg_cron_schedule_calls() RETURNS text
LANGUAGE sql STABLE
AS $$
    SELECT pg_catalog.format('SELECT cron.schedule_in_database(%L, %L, %L, %L); SELECT cron.schedule_in_database(%L, %L, %L, %L);',
                             @extschema@._dispatch_cron_job_name(), '* * * * *',
                             pg_catalog.format('CALL %I.jobmon_dispatch()', '@extschema@'), pg_catalog.current_database(),
                             @extschema@._dispatch_cron_job_name() || ' at start', '@reboot',
                             pg_catalog.format('CALL %I.jobmon_dispatch()', '@extschema@'), pg_catalog.current_database())
$$;

CREATE FUNCTION @extschema@._pg_cron_missing() RETURNS void
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_db   text := @extschema@._pg_cron_database();
    v_call text := format('CALL %I.jobmon_dispatch()', '@extschema@');
BEGIN
    IF v_db IS NULL THEN
        RAISE EXCEPTION 'pg_cron is not loaded'
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = format('jobmon_start() schedules %s with pg_cron, which must be in shared_preload_libraries.', v_call),
                  HINT = format('Add pg_cron to shared_preload_libraries, set cron.database_name, restart the server and CREATE EXTENSION pg_cron in that database; or have another scheduler run %s every minute.', v_call);
    ELSIF v_db = current_database() THEN
        RAISE EXCEPTION 'pg_cron is not installed in database "%"', v_db
            USING ERRCODE = 'undefined_object',
                  DETAIL = 'pg_cron is loaded and cron.database_name names this database, but the extension pg_cron is not created in it.',
                  HINT = 'Run CREATE EXTENSION pg_cron in this database, then SELECT jobmon_start() again.';
    ELSE
        RAISE EXCEPTION 'pg_cron lives in database "%", not in "%"', v_db, current_database()
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = format('pg_cron schedules jobs only from the database named by cron.database_name (%s); it can run %s in this one.', v_db, v_call),
                  HINT = format('In database %s, as a superuser, run: %s', v_db, @extschema@._pg_cron_schedule_calls());
    END IF;
END
$$;

CREATE FUNCTION @extschema@._dispatch_status_message(
    p_running boolean, p_state @extschema@.jobmon_dispatcher_state, p_pg_cron_job text)
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_library   text := @extschema@._library_version();
    v_installed text := (SELECT e.extversion FROM pg_catalog.pg_extension e WHERE e.extname = 'pg_jobmon');
    v_db        text := @extschema@._pg_cron_database();
    v_woke      timestamptz := p_state.last_wakeup;
    v_start     text := format('SELECT %I.jobmon_start(), or CALL %I.jobmon_dispatch() every minute from another scheduler',
                               '@extschema@', '@extschema@');
BEGIN
    RETURN CASE
        WHEN v_library <> v_installed THEN
            format('the pg_jobmon library is version %s but this database has version %s: no run starts until ALTER EXTENSION pg_jobmon UPDATE',
                   v_library, v_installed)
        WHEN p_running AND v_woke > now() - interval '10 seconds' THEN 'dispatching'
        WHEN p_running THEN format('the dispatcher (pid %s) has not woken since %s', p_state.dispatcher_pid, v_woke)
        WHEN p_pg_cron_job IS NOT NULL AND v_woke IS NULL THEN
            'pg_cron calls the dispatcher at the start of every minute; if it has not after a minute, check cron.job_run_details'
        WHEN p_pg_cron_job IS NOT NULL AND v_woke < now() - interval '2 minutes' THEN
            'pg_cron has not run the dispatcher for over two minutes: check cron.job_run_details; if pg_cron cannot connect, set cron.use_background_workers = on (or cron.host to a socket directory) and restart'
        WHEN p_pg_cron_job IS NOT NULL THEN 'waiting for pg_cron to call the dispatcher (every minute)'
        WHEN v_db IS NULL THEN
            format('no dispatcher is running, and pg_cron is not loaded: add it to shared_preload_libraries, or CALL %I.jobmon_dispatch() every minute from another scheduler',
                   '@extschema@')
        WHEN v_db <> current_database() AND v_woke > now() - interval '2 minutes' THEN
            format('between two calls of the dispatcher, which last woke at %s; pg_cron calls it from database %s, whose jobs this database cannot see',
                   v_woke, v_db)
        WHEN v_db <> current_database() THEN
            format('no dispatcher is running%s; pg_cron lives in database %s, whose jobs this database cannot see: there, check cron.job for %L (SELECT %I.jobmon_start() here says how to schedule it)',
                   coalesce(' since ' || v_woke, ''), v_db, @extschema@._dispatch_cron_job_name(), '@extschema@')
        WHEN @extschema@._pg_cron_schema() IS NULL THEN
            format('no dispatcher is running, and pg_cron is not created in this database: CREATE EXTENSION pg_cron, then SELECT %I.jobmon_start()',
                   '@extschema@')
        ELSE format('no dispatcher is running: %s', v_start)
        END;
END
$$;

CREATE OR REPLACE FUNCTION @extschema@.jobmon_start() RETURNS bigint
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
        PERFORM @extschema@._pg_cron_missing();
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

COMMENT ON FUNCTION @extschema@.jobmon_start() IS 'schedule the dispatcher with pg_cron in this database; returns the pg_cron job id';

CREATE OR REPLACE FUNCTION @extschema@.jobmon_status(
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
    message := @extschema@._dispatch_status_message(running, v_state, pg_cron_job);
END
$$;

COMMENT ON FUNCTION @extschema@.jobmon_status() IS 'whether the dispatcher runs, its last wake-up, workers in use, runs waiting';

REVOKE ALL ON FUNCTION @extschema@._library_version() FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@._pg_cron_database() FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@._pg_cron_schedule_calls() FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@._pg_cron_missing() FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@._dispatch_status_message(boolean, @extschema@.jobmon_dispatcher_state, text) FROM PUBLIC;

-- A terminated worker's step (issue 13, item 3): the dispatcher closes the
-- step the worker was in with its run, and leaves to its next pass a run
-- whose worker wrote its log after the pass began (no negative duration).

CREATE OR REPLACE FUNCTION @extschema@._runs_close_orphaned() RETURNS integer
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_run    @extschema@.jobmon_run;
    v_status text;
    v_reason text;
    v_retry_at timestamptz;
    v_count  integer := 0;
BEGIN
    FOR v_run IN
        SELECT r.* FROM @extschema@.jobmon_run r
        WHERE r.status IN ('starting', 'running')
          AND r.started_at < now() - interval '1 second'
          AND NOT @extschema@._run_worker_alive(r.pid, r.started_at, r.status)
          AND NOT EXISTS (SELECT FROM @extschema@.job_log l WHERE l.job_id = r.log_id AND l.start_time > now())
          AND NOT EXISTS (SELECT FROM @extschema@.job_detail d WHERE d.job_id = r.log_id AND d.start_time > now())
        FOR UPDATE OF r
    LOOP
        IF v_run.reason LIKE 'terminated after max_run_time%' THEN
            v_status := 'timeout';
            v_reason := v_run.reason;
        ELSE
            v_status := 'failure';
            v_reason := format('worker process %s ended without finishing the run (terminated, crashed or restarted)',
                               coalesce(v_run.pid::text, '(never started)'));
        END IF;
        UPDATE @extschema@.jobmon_run r SET status = v_status, reason = v_reason, finished_at = now()
        WHERE r.run_id = v_run.run_id;
        v_retry_at := @extschema@._run_retry(v_run, v_status);
        IF v_run.log_id IS NOT NULL AND EXISTS (SELECT FROM @extschema@.job_log l
                                                WHERE l.job_id = v_run.log_id AND l.end_time IS NULL) THEN
            PERFORM @extschema@._log_step_close(d.step_id, 'CRITICAL', v_reason)
            FROM @extschema@.job_detail d WHERE d.job_id = v_run.log_id AND d.end_time IS NULL;
            PERFORM @extschema@._log_step_close(@extschema@._log_step_open(v_run.log_id, 'worker vanished'),
                                              'CRITICAL', v_reason);
            PERFORM @extschema@._run_log_close(v_run, v_status, v_retry_at);
        END IF;
        PERFORM @extschema@._dependants_notify(v_run.job_id);
        v_count := v_count + 1;
    END LOOP;
    RETURN v_count;
END
$$;

