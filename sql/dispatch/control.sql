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

-- Whether the backend of p_pid holds the dispatcher's lock, which
-- jobmon_dispatch() takes (pg_try_advisory_lock(hashtext('pg_jobmon tick'), 0)).
CREATE FUNCTION @extschema@._dispatch_lock_held(p_pid integer) RETURNS boolean
LANGUAGE sql STABLE
SET search_path = @extschema@, pg_temp
AS $$
    SELECT EXISTS (SELECT FROM pg_catalog.pg_locks l
                   WHERE l.locktype = 'advisory' AND l.granted AND l.pid = p_pid
                     AND l.database = (SELECT d.oid FROM pg_catalog.pg_database d
                                       WHERE d.datname OPERATOR(pg_catalog.=) pg_catalog.current_database())
                     AND l.classid OPERATOR(pg_catalog.=) pg_catalog.hashtext('pg_jobmon tick')::oid
                     AND l.objid OPERATOR(pg_catalog.=) 0::oid AND l.objsubid OPERATOR(pg_catalog.=) 2)
$$;

-- The database pg_cron lives in (cron.database_name), NULL when pg_cron
-- is not loaded.
CREATE FUNCTION @extschema@._pg_cron_database() RETURNS text
LANGUAGE sql STABLE
AS $$ SELECT NULLIF(pg_catalog.current_setting('cron.database_name', true), '') $$;

-- The calls that schedule this database's dispatcher, as pg_cron's
-- database would run them: for jobmon_start()'s HINT where pg_cron lives
-- elsewhere.
CREATE FUNCTION @extschema@._pg_cron_schedule_calls() RETURNS text
LANGUAGE sql STABLE
AS $$
    SELECT pg_catalog.format('SELECT cron.schedule_in_database(%L, %L, %L, %L); SELECT cron.schedule_in_database(%L, %L, %L, %L);',
                             @extschema@._dispatch_cron_job_name(), '* * * * *',
                             pg_catalog.format('CALL %I.jobmon_dispatch()', '@extschema@'), pg_catalog.current_database(),
                             @extschema@._dispatch_cron_job_name() || ' at start', '@reboot',
                             pg_catalog.format('CALL %I.jobmon_dispatch()', '@extschema@'), pg_catalog.current_database())
$$;

-- jobmon_start()'s error when it cannot reach pg_cron from this database,
-- with what to do in each set-up: pg_cron not loaded, not created in its
-- own database, or living in another database.
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

-- jobmon_status()'s word on the dispatcher, true in every set-up: the
-- library and the objects of different versions (no run starts), pg_cron
-- not loaded, calling the dispatcher from this database (pg_cron_job, its
-- schedule here) or from another one, whose jobs this database cannot see.
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
        WHEN p_running AND EXISTS (SELECT FROM pg_catalog.pg_stat_activity a
                                   WHERE a.pid = p_state.dispatcher_pid AND a.state LIKE 'idle%') THEN
            format('the session of pid %s holds the dispatcher''s lock but is idle (an interrupted CALL jobmon_dispatch()): no run starts until it calls the dispatcher again or ends (SELECT pg_terminate_backend(%s))',
                   p_state.dispatcher_pid, p_state.dispatcher_pid)
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
    running := @extschema@._dispatch_lock_held(v_state.dispatcher_pid);
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

COMMENT ON FUNCTION @extschema@.jobmon_start() IS 'schedule the dispatcher with pg_cron in this database; returns the pg_cron job id';

COMMENT ON FUNCTION @extschema@.jobmon_stop() IS 'unschedule the dispatcher and stop the running one';

COMMENT ON FUNCTION @extschema@.jobmon_status() IS 'whether the dispatcher runs, its last wake-up, workers in use, runs waiting';
