-- pg_jobmon 2.5.0 -> 2.6.0: robustness, and moving in from pg_jobmon 1.x.
--
-- Each section below is the delta of one change, in the order they landed;
-- a function that a later change changed again is created once, in its
-- final form, in the first section that needed it.

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

-- What the dispatcher is doing, and a word on what to do when it is not.
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

-- Definitions at scale (issue 13, item 12): the name check of create_job()
-- and set_job_attributes() read jobmon_job whole on every call, because its
-- query lacked the predicate (NOT oneoff) of the unique index it mirrors;
-- with it, it probes that index, and one-off jobs, whose names need not be
-- unique, are no longer checked against each other.
-- Apply the settable options of p_options to p_job and return it; checks
-- each value and the rules between values.  run_as is checked by the caller.
CREATE OR REPLACE FUNCTION @extschema@._job_apply_options(p_function text, p_job @extschema@.jobmon_job, p_options jsonb)
RETURNS @extschema@.jobmon_job
LANGUAGE plpgsql STABLE
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    j @extschema@.jobmon_job := p_job;
    o jsonb := p_options;
BEGIN
    IF o ? 'name' THEN
        j.name := (@extschema@._job_option_text_array(p_function, 'name', o->'name'))[1];
    END IF;
    IF o ? 'comments' THEN j.comments := o->>'comments'; END IF;
    IF o ? 'commands' THEN
        -- One string is one transaction; an array is one transaction each
        -- (or one for all with use_same_transaction).
        j.commands := @extschema@._job_option_text_array(p_function, 'commands', o->'commands');
    END IF;
    IF o ? 'run_as' THEN j.run_as := o->>'run_as'; END IF;
    IF o ? 'start_date' THEN j.start_date := @extschema@._job_option_time(p_function, 'start_date', o->'start_date'); END IF;
    IF o ? 'end_date' THEN j.end_date := @extschema@._job_option_time(p_function, 'end_date', o->'end_date'); END IF;
    IF o ? 'use_same_transaction' THEN j.use_same_transaction := (o->>'use_same_transaction')::boolean; END IF;
    IF o ? 'last_start_available' THEN
        j.last_start_available := @extschema@._job_option_interval(p_function, 'last_start_available', o->'last_start_available');
    END IF;
    IF o ? 'max_instances' THEN j.max_instances := @extschema@._job_option_int(p_function, 'max_instances', o->'max_instances'); END IF;
    IF o ? 'max_run_time' THEN j.max_run_time := @extschema@._job_option_interval(p_function, 'max_run_time', o->'max_run_time'); END IF;
    IF o ? 'onrollback' THEN j.onrollback := nullif(btrim(o->>'onrollback'), ''); END IF;
    IF o ? 'next_time_statement' THEN j.next_time_statement := nullif(btrim(o->>'next_time_statement'), ''); END IF;
    IF o ? 'timezone' THEN j.timezone := @extschema@._job_option_timezone(p_function, o->'timezone'); END IF;
    IF o ? 'on_overlap' THEN
        j.on_overlap := @extschema@._job_option_word(p_function, 'on_overlap', o->'on_overlap', '{skip,queue}');
    END IF;
    IF o ? 'on_missed' THEN
        j.on_missed := @extschema@._job_option_word(p_function, 'on_missed', o->'on_missed', '{once,skip,all}');
    END IF;
    IF o ? 'missed_limit' THEN j.missed_limit := @extschema@._job_option_int(p_function, 'missed_limit', o->'missed_limit'); END IF;
    IF o ? 'capture_level' THEN
        j.capture_level := @extschema@._job_option_word(p_function, 'capture_level', to_jsonb(upper(o->>'capture_level')),
            '{DEBUG5,DEBUG4,DEBUG3,DEBUG2,DEBUG1,LOG,INFO,NOTICE,WARNING,NONE}');
    END IF;

    IF o ? 'depends_on' THEN
        j.depends_on := @extschema@._depends_resolve(p_function, j.job_id, o->'depends_on');
    END IF;
    IF o ? 'retries' THEN j.retries := @extschema@._job_option_int(p_function, 'retries', o->'retries', 0); END IF;
    IF o ? 'retry_delay' THEN
        j.retry_delay := @extschema@._job_option_interval(p_function, 'retry_delay', o->'retry_delay');
    END IF;
    IF o ? 'retry_backoff' THEN
        IF NOT (o->>'retry_backoff')::numeric BETWEEN 1 AND 1000 THEN
            PERFORM @extschema@._job_option_error(p_function, 'retry_backoff', o->'retry_backoff',
                'It must be a number from 1 to 1000.', 'Give e.g. 2 to double the delay after each attempt, or 1 to keep it.');
        END IF;
        j.retry_backoff := (o->>'retry_backoff')::float8;
    END IF;
    IF o ? 'max_retry_delay' THEN
        j.max_retry_delay := @extschema@._job_option_interval(p_function, 'max_retry_delay', o->'max_retry_delay');
    END IF;

    IF j.end_date <= j.start_date THEN
        RAISE EXCEPTION 'end_date must be later than start_date'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('%s() got start_date %s and end_date %s.', p_function, j.start_date, j.end_date),
                  HINT = 'Swap the two, or leave end_date out for no end.';
    END IF;
    IF j.name ~* '^job [0-9]+$' AND j.name <> 'job ' || j.job_id THEN
        RAISE EXCEPTION 'job names of the form "job N" are reserved'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('%s() got the name "%s"; a job created without a name is named "job <its id>".', p_function, j.name),
                  HINT = 'Choose another name.';
    END IF;
    -- The same rule as the unique index jobmon_job_name_key, and the same
    -- predicate (NOT oneoff), so that the look-up is a probe of that index:
    -- without it every create_job() read the whole table.  One-off names
    -- need not be unique.
    IF NOT j.oneoff AND EXISTS (SELECT FROM @extschema@.jobmon_job x
                                WHERE upper(x.name) = upper(j.name) AND NOT x.oneoff
                                  AND x.job_id <> j.job_id) THEN
        RAISE EXCEPTION 'a scheduled job named "%" already exists', j.name
            USING ERRCODE = 'unique_violation',
                  DETAIL = 'Runs are logged in job_log under the upper-case name, so names must differ in more than case.',
                  HINT = 'Choose another name.';
    END IF;
    RETURN j;
END
$$;

-- Retention that keeps up (issue 13, item 10): the dispatcher deleted at
-- most 10,000 runs a minute, inside a pass, and never one-off jobs, audit
-- rows or logged jobs of the logging API.  It now runs rounds of bounded
-- batches, each its own transaction, between passes while old rows are
-- left (sql/dispatch/retention.sql), with two new settings,
-- audit_retention and log_retention (off by default).
ALTER TABLE @extschema@.jobmon_dispatcher_state
    ADD COLUMN log_retention_time timestamptz,
    ADD COLUMN log_retention_id bigint;
CREATE INDEX jobmon_audit_changed_at_idx ON @extschema@.jobmon_audit (changed_at);
CREATE INDEX jobmon_job_oneoff_created_at_idx ON @extschema@.jobmon_job (created_at) WHERE oneoff;

DROP FUNCTION @extschema@._runs_apply_retention();

-- The time before which rows are old by setting p_setting, or NULL when
-- it is 0 (keep for ever).  A duration longer than time goes back also
-- keeps everything: no value of a setting can make the dispatcher fail.
CREATE FUNCTION @extschema@._retention_cutoff(p_setting text) RETURNS timestamptz
LANGUAGE plpgsql STABLE
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_keep interval;
BEGIN
    v_keep := @extschema@._setting(p_setting)::interval;
    RETURN CASE WHEN v_keep > interval '0' THEN now() - v_keep END;
EXCEPTION WHEN datetime_field_overflow OR interval_field_overflow THEN
    RETURN NULL;
END
$$;

-- Runs and their logs.  A run whose log cannot be deleted goes without
-- it: the log is then a logged job, to log_retention.
CREATE FUNCTION @extschema@._retention_runs(p_batch integer) RETURNS integer
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_cutoff timestamptz := @extschema@._retention_cutoff('run_retention');
    v_runs   bigint[];
    v_kept   bigint[] := '{}';
    v_run    bigint;
    v_count  integer;
BEGIN
    IF v_cutoff IS NULL THEN
        RETURN 0;
    END IF;
    -- Oldest first, through jobmon_run_finished_at_idx; a row someone holds
    -- is left for a later batch rather than waited for.
    v_runs := ARRAY(SELECT x.run_id FROM @extschema@.jobmon_run x
                    WHERE x.finished_at < v_cutoff
                    ORDER BY x.finished_at LIMIT p_batch
                    FOR UPDATE SKIP LOCKED);
    BEGIN
        WITH old AS (
            DELETE FROM @extschema@.jobmon_run r WHERE r.run_id = ANY (v_runs)
            RETURNING r.log_id),
        logs AS (
            DELETE FROM @extschema@.job_log l USING old WHERE l.job_id = old.log_id)
        SELECT count(*) INTO v_count FROM old;
        RETURN v_count;
    EXCEPTION WHEN lock_not_available THEN
        RAISE;
    WHEN OTHERS THEN
        NULL;
    END;
    -- A run or a log cannot go: run by run, those whose log cannot go
    -- without it (the log is then a logged job: log_retention's).
    v_count := 0;
    FOREACH v_run IN ARRAY v_runs LOOP
        BEGIN
            WITH old AS (
                DELETE FROM @extschema@.jobmon_run r WHERE r.run_id = v_run
                RETURNING r.log_id)
            DELETE FROM @extschema@.job_log l USING old WHERE l.job_id = old.log_id;
            v_count := v_count + 1;
        EXCEPTION WHEN lock_not_available THEN
            RAISE;
        WHEN OTHERS THEN
            v_kept := v_kept || v_run;
        END;
    END LOOP;
    IF cardinality(v_kept) > 0 THEN
        RAISE WARNING 'retention could not delete the job_log rows of % of % runs', cardinality(v_kept), cardinality(v_runs)
            USING DETAIL = format('The runs go without them (the first: run_id %s); log_retention deletes them if it can.',
                                  v_kept[1]),
                  HINT = 'Remove what keeps them (a foreign key to them, a trigger).';
    END IF;
    RETURN v_count + @extschema@._retention_delete('run', 'jobmon_run', 'run_id', v_kept);
END
$$;

CREATE FUNCTION @extschema@._retention_oneoff_jobs(p_batch integer) RETURNS integer
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_cutoff timestamptz := @extschema@._retention_cutoff('run_retention');
BEGIN
    IF v_cutoff IS NULL THEN
        RETURN 0;
    END IF;
    RETURN @extschema@._retention_delete('one-off job', 'jobmon_job', 'job_id', ARRAY(
        SELECT x.job_id FROM @extschema@.jobmon_job x
        WHERE x.oneoff AND x.created_at < v_cutoff
          AND NOT EXISTS (SELECT FROM @extschema@.jobmon_run r WHERE r.job_id = x.job_id)
          AND NOT EXISTS (SELECT FROM @extschema@.jobmon_job d
                          WHERE d.depends_on @> ARRAY[x.job_id] AND d.job_id <> x.job_id
                            AND (NOT d.oneoff OR EXISTS (SELECT FROM @extschema@.jobmon_run b
                                                         WHERE b.job_id = d.job_id AND b.status = 'blocked')))
        LIMIT p_batch
        FOR UPDATE SKIP LOCKED));
END
$$;

CREATE FUNCTION @extschema@._retention_audit(p_batch integer) RETURNS integer
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_cutoff timestamptz := @extschema@._retention_cutoff('audit_retention');
BEGIN
    IF v_cutoff IS NULL THEN
        RETURN 0;
    END IF;
    RETURN @extschema@._retention_delete('audit', 'jobmon_audit', 'audit_id', ARRAY(
        SELECT x.audit_id FROM @extschema@.jobmon_audit x
        WHERE x.changed_at < v_cutoff
        ORDER BY x.changed_at LIMIT p_batch));
END
$$;

-- Logged jobs of the logging API.  job_log does not say which rows are
-- the logs of runs (those go with their runs), so the rows are looked at
-- once each, in start_time order from where the last batch stopped
-- (jobmon_dispatcher_state.log_retention_time, _id): when log_retention
-- is shorter than run_retention, the logs of young runs are passed over
-- once, not read again by every batch.  The walk deletes the closed rows
-- and passes over the others: open ones (never deleted while open; one
-- left open by a session that ended stays, job_log_clear() deletes such
-- rows), and the newest row of a monitored job, deleted when the walk
-- meets the job's next row.  It notes the oldest job it passed over open
-- in a live session; once at its end and that job closed (or its
-- session gone), it starts again from it, so that the jobs closed after
-- the walk passed them go too.
-- Returns how many rows it looked at (0: none left to look at now).
CREATE FUNCTION @extschema@._retention_logged_jobs(p_batch integer) RETURNS integer
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_cutoff    timestamptz := @extschema@._retention_cutoff('log_retention');
    v_state     @extschema@.jobmon_dispatcher_state;
    v_old       bigint[] := '{}';
    v_before    bigint;
    v_probed    text[] := '{}';
    -- The names check_job_status looks for (see _retention_kept_for).
    v_monitored text[] := ARRAY(SELECT upper(c.job_name) FROM @extschema@.job_check_config c);
    v_seen      integer := 0;
    l           record;
BEGIN
    IF v_cutoff IS NULL THEN
        RETURN 0;
    END IF;
    SELECT * INTO v_state FROM @extschema@.jobmon_dispatcher_state s;
    FOR l IN
        SELECT x.job_id, x.job_name, x.start_time, x.end_time FROM @extschema@.job_log x
        WHERE x.start_time < v_cutoff
          AND (v_state.log_retention_time IS NULL
               OR (x.start_time >= v_state.log_retention_time
                   AND (x.start_time, x.job_id) > (v_state.log_retention_time, v_state.log_retention_id)))
        ORDER BY x.start_time, x.job_id
        LIMIT p_batch
    LOOP
        v_seen := v_seen + 1;
        v_state.log_retention_time := l.start_time;
        v_state.log_retention_id := l.job_id;
        CONTINUE WHEN EXISTS (SELECT FROM @extschema@.jobmon_run r WHERE r.log_id = l.job_id);
        IF l.end_time IS NULL THEN
            IF v_state.log_retention_kept_id IS NULL
               AND @extschema@._retention_kept_for(l.job_id) = 'open' THEN
                v_state.log_retention_kept_time := l.start_time;
                v_state.log_retention_kept_id := l.job_id;
            END IF;
        ELSIF NOT l.job_name = ANY (v_monitored) THEN
            v_old := v_old || l.job_id;
        ELSIF @extschema@._retention_kept_for(l.job_id) IS NULL THEN
            v_old := v_old || l.job_id;
        END IF;
        -- The row before the first of a monitored job in this batch: the
        -- rows before the others are in this batch.
        IF l.job_name = ANY (v_monitored) AND NOT l.job_name = ANY (v_probed) THEN
            v_probed := v_probed || l.job_name;
            v_before := @extschema@._retention_monitored_before(l.job_id);
            IF v_before IS NOT NULL THEN
                v_old := v_old || v_before;
            END IF;
        END IF;
    END LOOP;
    IF v_seen = 0 THEN
        IF v_state.log_retention_kept_id IS NULL
           OR @extschema@._retention_kept_for(v_state.log_retention_kept_id) = 'open' THEN
            RETURN 0;
        END IF;
        -- Start again from the open job that closed.
        v_state.log_retention_time := v_state.log_retention_kept_time;
        v_state.log_retention_id := v_state.log_retention_kept_id - 1;
        v_state.log_retention_kept_time := NULL;
        v_state.log_retention_kept_id := NULL;
        v_seen := 1;
    END IF;
    PERFORM @extschema@._retention_delete('logged job', 'job_log', 'job_id', v_old);
    UPDATE @extschema@.jobmon_dispatcher_state s
    SET log_retention_time = v_state.log_retention_time, log_retention_id = v_state.log_retention_id,
        log_retention_kept_time = v_state.log_retention_kept_time,
        log_retention_kept_id = v_state.log_retention_kept_id;
    RETURN v_seen;
END
$$;

-- One batch: at most p_batch rows of the first kind that has old rows.
-- Returns how many rows it deleted or looked at: 0 when none is left, or
-- when a row to delete is locked by another transaction (a user's open
-- UPDATE of an old job_log row): the batch is undone and tried again at
-- the next round, rather than make the dispatcher wait.  Any other error
-- of a kind (a deadlock with job_log_clear(), say) undoes that kind's
-- part only, with a WARNING, and the batch goes on with the next kind:
-- retention never makes the dispatcher fail.
CREATE FUNCTION @extschema@._retention_batch(p_batch integer) RETURNS integer
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
SET lock_timeout = '1s'
AS $$
DECLARE
    v_kind  text;
    v_count integer := 0;
    v_error text;
BEGIN
    FOREACH v_kind IN ARRAY ARRAY['runs', 'one-off jobs', 'audit', 'logged jobs'] LOOP
        BEGIN
            v_count := CASE v_kind
                WHEN 'runs' THEN @extschema@._retention_runs(p_batch)
                WHEN 'one-off jobs' THEN @extschema@._retention_oneoff_jobs(p_batch)
                WHEN 'audit' THEN @extschema@._retention_audit(p_batch)
                ELSE @extschema@._retention_logged_jobs(p_batch)
            END;
        EXCEPTION WHEN lock_not_available THEN
            RETURN 0;
        WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS v_error = MESSAGE_TEXT;
            RAISE WARNING 'retention of % failed: %', v_kind, v_error
                USING HINT = 'The dispatcher goes on; retention of the other kinds too.';
            v_count := 0;
        END;
        EXIT WHEN v_count > 0;
    END LOOP;
    RETURN v_count;
END
$$;

-- A round of batches of p_batch rows, each committed, until nothing old
-- is left or the next batch, as long as the last one, would end after
-- p_until (at least one batch, so that a busy dispatcher keeps up too:
-- a pass waits for at most one batch).  p_batches returns
-- how many batches ran, p_finished whether nothing old is left; then
-- jobmon_dispatcher_state.retention_at is set, and the dispatcher waits a
-- minute for the next round.
--
-- A procedure, to commit; so it has no SET clause, and sets search_path
-- itself, local to each of its transactions (as jobmon_dispatch does).
CREATE PROCEDURE @extschema@._retention_round(p_until timestamptz, p_batch integer,
    INOUT p_batches integer DEFAULT 0, INOUT p_finished boolean DEFAULT false)
LANGUAGE plpgsql
AS $$
DECLARE
    v_start pg_catalog.timestamptz;
BEGIN
    p_batches := 0;
    LOOP
        PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
        v_start := clock_timestamp();
        -- A batch lost in a crash is deleted again by the next one.
        PERFORM pg_catalog.set_config('synchronous_commit', 'off', true);
        p_finished := @extschema@._retention_batch(p_batch) = 0;
        p_batches := p_batches + 1;
        IF p_finished THEN
            UPDATE @extschema@.jobmon_dispatcher_state s SET retention_at = now();
        END IF;
        COMMIT;
        PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
        EXIT WHEN p_finished OR clock_timestamp() + (clock_timestamp() - v_start) > p_until;
    END LOOP;
END
$$;

REVOKE ALL ON FUNCTION @extschema@._retention_cutoff(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@._retention_runs(integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@._retention_oneoff_jobs(integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@._retention_audit(integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@._retention_logged_jobs(integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@._retention_batch(integer) FROM PUBLIC;
REVOKE ALL ON PROCEDURE @extschema@._retention_round(timestamptz, integer, integer, boolean) FROM PUBLIC;

-- One pass; returns when the next pass is due.
CREATE OR REPLACE FUNCTION @extschema@._dispatch_pass() RETURNS timestamptz
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_state @extschema@.jobmon_dispatcher_state;
BEGIN
    -- Workers wait for this transaction to end: do not make them wait for
    -- its WAL flush too.  A worker's own first commit flushes past it, so a
    -- run that did anything cannot lose its plan; a plan lost in a crash is
    -- made again.
    SET LOCAL synchronous_commit = off;
    UPDATE @extschema@.jobmon_dispatcher_state s SET last_wakeup = clock_timestamp()
    RETURNING * INTO v_state;
    PERFORM @extschema@._runs_close_orphaned();
    PERFORM @extschema@._runs_enforce_limits();
    PERFORM @extschema@._dispatch_plan();
    PERFORM @extschema@._dispatch_launch();
    -- Sleep until the next fire time, but look again within a second for
    -- runs that wait for a slot, time limits and vanished workers.
    RETURN least(clock_timestamp() + interval '1 second',
                 (SELECT min(x.next_fire) FROM @extschema@.jobmon_schedule x WHERE x.next_fire IS NOT NULL)
                     - @extschema@._dispatch_lead(),
                 (SELECT min(x.due_at) FROM @extschema@.jobmon_run x
                  WHERE x.status = 'waiting' AND x.due_at > clock_timestamp()) - @extschema@._dispatch_lead());
END
$$;

-- The dispatcher: CALL jobmon_dispatch() from pg_cron (jobmon_start() schedules it), from
-- any other scheduler, or by hand.  It dispatches for up to p_run_for,
-- waking when the next run is due, when a run ends or a job changes, and
-- at least once a second.  Only one dispatcher per database dispatches: another
-- one returns at once, after asking the running one to go on for
-- p_run_for from now, so that pg_cron's call every minute keeps a single
-- dispatcher alive without a gap; a dispatcher called for less than a
-- minute (by hand, say) is not kept alive so, and ends when it said.  On a
-- standby it does nothing.
--
-- A procedure, not a function: it commits after every pass, so what it
-- planned is visible to the workers at once.  For the same reason it has
-- no SET clause (it could not commit): it runs as a superuser, so it sets
-- search_path itself, local to each of its transactions, before anything
-- else in it, lest a function or operator of the caller's search_path (a
-- database's ALTER DATABASE ... SET) run with its rights.  Local, so that
-- the caller's comes back at every commit and at an error or a cancel.
CREATE OR REPLACE PROCEDURE @extschema@.jobmon_dispatch(p_run_for interval DEFAULT interval '1 minute')
LANGUAGE plpgsql
AS $$
DECLARE
    v_deadline pg_catalog.timestamptz;
    v_wake     pg_catalog.timestamptz;
    v_state    @extschema@.jobmon_dispatcher_state;
    v_batches  pg_catalog.int4;
    v_finished pg_catalog.bool;
BEGIN
    PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
    v_deadline := clock_timestamp() + p_run_for;
    IF pg_catalog.pg_is_in_recovery() THEN
        RETURN;
    END IF;
    -- The lock's key predates the name "dispatcher": it stays, so that the
    -- dispatchers of two versions exclude each other during an update.
    IF NOT pg_catalog.pg_try_advisory_lock(pg_catalog.hashtext('pg_jobmon tick'), 0) THEN
        UPDATE @extschema@.jobmon_dispatcher_state s
        SET renew_until = greatest(s.renew_until, v_deadline);
        RETURN;
    END IF;
    UPDATE @extschema@.jobmon_dispatcher_state s
    SET dispatcher_pid = pg_catalog.pg_backend_pid(), dispatcher_started = clock_timestamp(),
        renew_until = NULL, stop_requested = false;
    COMMIT;
    LOOP
        PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
        v_wake := @extschema@._dispatch_pass();
        SELECT * INTO v_state FROM @extschema@.jobmon_dispatcher_state;
        COMMIT;
        PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
        -- Retention, once a minute, or after every pass while old rows are
        -- left: in the time until the next pass, at most half a second.
        IF v_state.retention_at IS NULL OR v_state.retention_at < now() - interval '1 minute' THEN
            CALL @extschema@._retention_round(least(v_wake, clock_timestamp() + interval '0.5 seconds'),
                                              1000, v_batches, v_finished);
            PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
        END IF;
        -- Renewed only if called for at least pg_cron's minute: a call by
        -- hand for a shorter while ends when it said.
        IF p_run_for >= interval '1 minute' THEN
            v_deadline := greatest(v_deadline, v_state.renew_until);
        END IF;
        EXIT WHEN v_state.stop_requested OR clock_timestamp() >= v_deadline;
        PERFORM @extschema@._dispatch_sleep(extract(epoch FROM least(v_wake, v_deadline) - clock_timestamp()));
    END LOOP;
    UPDATE @extschema@.jobmon_dispatcher_state s SET dispatcher_pid = NULL, stop_requested = false;
    COMMIT;
    -- Every hold of this session's: one left by an interrupted call of this
    -- session too, which would keep every other dispatcher out.
    WHILE @extschema@._dispatch_lock_held(pg_catalog.pg_backend_pid()) LOOP
        PERFORM pg_catalog.pg_advisory_unlock(pg_catalog.hashtext('pg_jobmon tick'), 0);
    END LOOP;
END
$$;

CREATE OR REPLACE FUNCTION @extschema@._setting_defaults(
    OUT name text, OUT default_value text, OUT description text)
RETURNS SETOF record
LANGUAGE plpgsql IMMUTABLE
SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    RETURN QUERY VALUES
    ('log_host', NULL,
     'Host or socket directory of the logging connection; by default the first of unix_socket_directories.'),
    ('log_port', NULL,
     'Port of the logging connection; by default this server''s port.'),
    ('log_user', NULL,
     'Role the logging connection logs in as; by default the extension''s owner.  Another role must be allowed to execute the log''s writers (_log_job_open ...).'),
    ('log_lock_timeout', '10s',
     'How long a log write waits for a lock on a log row before it fails.  A caller that itself locks a log row (UPDATE job_log in its open transaction) and then logs to that row would otherwise wait for itself forever.'),
    ('log_durability', 'job_end',
     'When a log write is flushed to disk before it returns: always (every write), job_end (close_job, fail_job and cancel_job wait for the flush, which also makes every earlier write of the session durable; steps are committed asynchronously) or off (nothing waits; a server crash can lose the last moments of the log, never a rollback).'),
    ('on_log_failure', 'error',
     'What a logging call does when the log cannot be written: error (raise it) or warning (warn and return NULL).'),
    ('max_workers', NULL,
     'How many runs of scheduled jobs this database executes at once; by default half of max_worker_processes, which leaves room for other background workers.  Runs that do not fit wait in due order.'),
    ('max_oneoff_workers', '2',
     'How many runs of one-off jobs (submit_job) this database executes at once, beside and apart from max_workers, so that a burst of one-off jobs cannot delay the schedules and the schedules cannot starve one-off jobs (pgpro_scheduler''s max_parallel_workers).'),
    ('run_retention', '30 days',
     'How long the dispatcher keeps finished runs of scheduled jobs (jobmon_run rows and their job_log rows); 0 keeps them for ever.'),
    ('capture_max_messages', '1000',
     'How many of the messages that a run''s commands raise (at or above the job''s capture_level) its worker keeps and records as events, per run, not per step: the first ones.  The messages past this bound or capture_max_bytes are counted, not kept; each step that raised some gets one event "N more messages not kept" (SQLSTATE 54000, with the highest severity among them).  0 keeps none.  Read when a run starts.'),
    ('capture_max_bytes', '1MB',
     'How many bytes of captured messages a run''s worker keeps in all: each kept message costs its texts (as cut by capture_max_message_bytes) and about 200 bytes more.  Once a message does not fit, it and the run''s later messages are counted, not kept, as past capture_max_messages.  A size such as 1MB, 512kB or 65536 (bytes), at most 1GB.  Read when a run starts.'),
    ('capture_max_message_bytes', '8kB',
     'How many bytes of each text of a captured message (message, detail, hint, context ...) are kept: a longer text is cut on a character boundary and ends with "... (N bytes not kept)".  A failed step''s message repeats its error cut the same way; the error''s event keeps it whole.  A size such as 8kB or 1024 (bytes), at most 1GB.  Read when a run starts.'),
    -- Retention (sql/dispatch/retention.sql), beside run_retention.
    ('audit_retention', '90 days',
     'How long the dispatcher keeps the audit trail of changes to jobs and schedules (jobmon_audit rows, one per change and per submit_job); 0 keeps it for ever.'),
    ('log_retention', '0',
     'How long the dispatcher keeps the logged jobs of the logging API (job_log rows written by add_job and the like, with their steps and events), counted from their start and only once closed; the logs of runs go with their runs (run_retention).  0, the default, keeps them for ever, as pg_jobmon 1.x did (job_log_clear() deletes them by hand).'),
    -- pg_jobmon 1.x compatibility (text_style)
    ('text_style', '1.x',
     'Wording of the texts that checks and scripts parse: check_job_status''s FAILED_RUN and BLOCKED alert_text and the step message of cancel_job.  1.x (pg_jobmon 1.5''s: "3 consecutive CRITICAL runs", "1 WARNING run(s)", "Manually cancelled via call to jobmon.cancel_job() by alice") or 2.x ("3 consecutive job failure(s)", "Cancelled by role alice through cancel_job()").');
END
$$;

CREATE OR REPLACE FUNCTION @extschema@.jobmon_config_set(p_name text, p_value text) RETURNS void
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    PERFORM @extschema@._setting_check_superuser();
    IF NOT EXISTS (SELECT FROM @extschema@._setting_defaults() d WHERE d.name = p_name) THEN
        RAISE EXCEPTION 'unrecognized pg_jobmon setting "%"', p_name
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'The settings are: ' || (SELECT string_agg(d.name, ', ' ORDER BY d.name)
                                                   FROM @extschema@._setting_defaults() d) || '.',
                  HINT = 'Run SELECT * FROM jobmon_config_show() to see every setting with its meaning.';
    END IF;
    IF p_value IS NULL THEN
        RAISE EXCEPTION 'value of setting "%" must not be NULL', p_name
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Use jobmon_config_reset() to return a setting to its default.';
    END IF;
    IF NOT @extschema@._setting_value_is_valid(p_name, p_value) THEN
        RAISE EXCEPTION 'invalid value for setting "%": "%"', p_name, p_value
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = (SELECT d.description FROM @extschema@._setting_defaults() d WHERE d.name = p_name),
                  HINT = CASE p_name
                         WHEN 'log_port' THEN 'Give a port number between 1 and 65535.'
                         WHEN 'log_durability' THEN 'Give always, job_end or off.'
                         WHEN 'log_lock_timeout' THEN 'Give a duration such as 10s or 500ms; 0 waits without limit.'
                         WHEN 'on_log_failure' THEN 'Give error or warning.'
                         WHEN 'max_workers' THEN 'Give a whole number of at least 1.'
                         WHEN 'run_retention' THEN 'Give a duration such as 30 days or 12h; 0 keeps runs for ever.'
                         WHEN 'audit_retention' THEN 'Give a duration such as 90 days or 12h; 0 keeps the audit trail for ever.'
                         WHEN 'log_retention' THEN 'Give a duration such as 30 days or 12h; 0 keeps logged jobs for ever.'
                         WHEN 'capture_max_messages' THEN 'Give a whole number of at least 0.'
                         WHEN 'capture_max_bytes' THEN 'Give a size of at most 1GB, such as 1MB, 512kB or 65536 (bytes).'
                         WHEN 'capture_max_message_bytes' THEN 'Give a size of at most 1GB, such as 8kB or 1024 (bytes).'
                         -- pg_jobmon 1.x compatibility (text_style)
                         WHEN 'text_style' THEN 'Give 1.x or 2.x.'
                         ELSE 'Give a non-empty value.' END;
    END IF;
    INSERT INTO @extschema@.jobmon_config (name, value) VALUES (p_name, p_value)
    ON CONFLICT ON CONSTRAINT jobmon_config_name_pkey DO UPDATE SET value = EXCLUDED.value;
    -- The logging connection of this session picks the change up when it
    -- next connects; reconnect now so the caller sees the effect at once.
    PERFORM @extschema@._log_disconnect();
END
$$;

-- Sizes (capture_max_bytes, capture_max_message_bytes) are written as in
-- postgresql.conf, a whole number with an optional unit B, kB, MB or GB,
-- because the worker reads them as the server reads its memory settings.
CREATE OR REPLACE FUNCTION @extschema@._setting_value_is_valid(p_name text, p_value text) RETURNS boolean
LANGUAGE sql IMMUTABLE
SET search_path = @extschema@, pg_temp
AS $$
    SELECT CASE p_name
        WHEN 'log_port' THEN CASE WHEN p_value ~ '^[0-9]{1,5}$'
                             THEN p_value::int BETWEEN 1 AND 65535 ELSE false END
        WHEN 'log_durability' THEN p_value IN ('always', 'job_end', 'off')
        WHEN 'log_lock_timeout' THEN p_value ~ '^\s*[0-9]+\s*(ms|s|min|h)?\s*$'
        WHEN 'on_log_failure' THEN p_value IN ('error', 'warning')
        WHEN 'max_workers' THEN p_value ~ '^[0-9]{1,4}$' AND p_value::int >= 1
        WHEN 'max_oneoff_workers' THEN p_value ~ '^[0-9]{1,4}$' AND p_value::int >= 1
        WHEN 'run_retention' THEN p_value ~ '^\s*[0-9]+\s*(s|min|h|d|days?|hours?|minutes?|seconds?)?\s*$'
        WHEN 'audit_retention' THEN p_value ~ '^\s*[0-9]+\s*(s|min|h|d|days?|hours?|minutes?|seconds?)?\s*$'
        WHEN 'log_retention' THEN p_value ~ '^\s*[0-9]+\s*(s|min|h|d|days?|hours?|minutes?|seconds?)?\s*$'
        WHEN 'capture_max_messages' THEN p_value ~ '^\s*[0-9]{1,9}\s*$'
        WHEN 'capture_max_bytes' THEN coalesce(s.bytes <= 1073741824, false)
        WHEN 'capture_max_message_bytes' THEN coalesce(s.bytes <= 1073741824, false)
        -- pg_jobmon 1.x compatibility (text_style)
        WHEN 'text_style' THEN p_value IN ('1.x', '2.x')
        ELSE p_value <> ''
    END
    FROM (SELECT CASE WHEN p_value ~ '^\s*[0-9]{1,10}\s*(B|kB|MB|GB)?\s*$'
                      THEN substring(p_value FROM '[0-9]+')::numeric
                           * CASE substring(p_value FROM '(B|kB|MB|GB)')
                             WHEN 'kB' THEN 1024 WHEN 'MB' THEN 1048576 WHEN 'GB' THEN 1073741824
                             ELSE 1 END
                 END AS bytes) s
$$;

-- An interrupted dispatcher: jobmon_dispatch() and its retention round
-- set search_path local to each of their transactions, so a cancel gives
-- the caller's back; the dispatcher releases every hold of its lock;
-- jobmon_status() counts a dispatcher as running while its backend holds
-- the lock, and says when an idle session keeps it.  (jobmon_dispatch(),
-- _retention_round and jobmon_status() are above, in their final form.)

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

COMMENT ON PROCEDURE @extschema@.jobmon_dispatch(interval) IS 'dispatch due runs of scheduled jobs for a while (superuser; jobmon_start() schedules it with pg_cron)';

REVOKE ALL ON FUNCTION @extschema@._dispatch_lock_held(integer) FROM PUBLIC;

-- Monitoring speed and pg_jobmon 1.x behaviour kept (issues 13 and 14):
-- check_job_status finds each configured job's last run and last end
-- through two new indexes on job_log instead of sorting the history;
-- sql_step and sql_job run the caller's SQL under the caller's
-- search_path (a wrapper reads it, a pinned body runs the statement under
-- it) and sql_step closes the job on success, as 1.x did; the setting
-- text_style (1.x by default) chooses the wording of FAILED_RUN and
-- BLOCKED alerts and of cancel_job's step.

CREATE INDEX job_log_job_name_start_idx ON @extschema@.job_log
    (pg_catalog.hashtextextended(job_name, 0), pg_catalog.timezone('UTC', start_time));

CREATE INDEX job_log_job_name_end_idx ON @extschema@.job_log
    (pg_catalog.hashtextextended(job_name, 0), pg_catalog.timezone('UTC', end_time))
    WHERE end_time IS NOT NULL;

CREATE OR REPLACE FUNCTION @extschema@.check_job_status(p_history interval,
    OUT alert_code integer, OUT alert_status text, OUT job_name text, OUT alert_text text)
RETURNS SETOF record
LANGUAGE plpgsql STABLE
SET search_path = @extschema@, pg_temp
SET enable_sort = off
SET jit = off
AS $$
DECLARE
    v_longest interval;
    v_since   timestamptz;
    v_v1      boolean := @extschema@._setting('text_style') = '1.x';
    v_found   boolean := false;
BEGIN
    IF p_history IS NULL THEN
        PERFORM @extschema@._null_argument('check_job_status', 'p_history');
    END IF;
    SELECT greatest(max(c.warn_threshold), max(c.error_threshold)) INTO v_longest
    FROM @extschema@.job_check_config c WHERE c.active;
    IF p_history < v_longest THEN
        RAISE EXCEPTION 'history interval % is shorter than the longest monitoring threshold %', p_history, v_longest
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'job_check_config has a warn_threshold or error_threshold longer than p_history, so jobs that ran within their threshold could be reported missing.',
                  HINT = format('Pass at least %L, or call check_job_status() without an argument.', v_longest);
    END IF;
    v_since := now() - p_history;

    -- The last run of a job and its last end are each one probe of an
    -- index on the hash of the name (job_log_job_name_start_idx,
    -- job_log_job_name_end_idx), made only for the active configured jobs
    -- and, for the last end, only for those reported with a run in the
    -- history: the cost does not grow with the history read.  The times
    -- are compared and ordered as timezone('UTC', t), which orders as t
    -- does, because only those indexes hold that expression: ordered by the
    -- plain column, the planner may read the newest runs of every job
    -- through job_log_start_time_idx until one of this job's turns up,
    -- which for a job that has not run lately (the very one reported) is
    -- the whole history.  enable_sort = off (this function's setting) keeps
    -- it from sorting all of a job's runs instead; the other queries here
    -- have no other way than a sort where they sort, but the penalty that
    -- enable_sort adds to their cost would make them look worth compiling:
    -- hence jit = off.  The last end is looked for among the runs that
    -- ended within the history, as those that started within it did.
    FOR alert_code, alert_status, job_name, alert_text IN
        WITH config AS (
            SELECT upper(c.job_name) AS job_name, c.warn_threshold, c.error_threshold, c.active, c.sensitivity
            FROM @extschema@.job_check_config c
        ),
        failures AS (
            SELECT l.job_name, max(l.alert_code) AS alert_code, count(*) AS failures
            FROM @extschema@.job_check_log l
            GROUP BY l.job_name
        ),
        failed AS (
            SELECT f.alert_code, 'FAILED_RUN'::text AS alert_status, f.job_name,
                   CASE WHEN NOT v_v1 THEN f.failures || ' consecutive job failure(s)'
                        WHEN c.job_name IS NULL THEN '3 consecutive ' || t.word || ' runs'
                        ELSE (SELECT count(*) FROM @extschema@.job_check_log l
                              WHERE l.job_name = f.job_name AND l.alert_code = f.alert_code)
                             || ' ' || t.word || ' run(s)'
                   END AS alert_text
            FROM failures f
            LEFT JOIN config c ON c.job_name = f.job_name
            CROSS JOIN LATERAL (
                SELECT coalesce((SELECT s.alert_text FROM @extschema@.job_status_text s
                                 WHERE s.alert_code = f.alert_code), f.alert_code::text) AS word) t
            WHERE (c.job_name IS NULL AND f.failures > 2)
               OR (c.active AND f.failures > c.sensitivity)
        ),
        missing AS (
            SELECT CASE WHEN r.start_time IS NULL OR now() - r.start_time > c.error_threshold THEN 3 ELSE 2 END
                       AS alert_code,
                   c.job_name, r.start_time, r.end_time, r.pid,
                   least(c.warn_threshold, c.error_threshold) AS shortest
            FROM config c
            LEFT JOIN LATERAL (
                SELECT j.start_time, j.end_time, j.pid
                FROM @extschema@.job_log j
                WHERE pg_catalog.hashtextextended(j.job_name, 0) = pg_catalog.hashtextextended(c.job_name, 0)
                  AND j.job_name = c.job_name
                  AND pg_catalog.timezone('UTC', j.start_time) > pg_catalog.timezone('UTC', v_since)
                ORDER BY pg_catalog.timezone('UTC', j.start_time) DESC
                LIMIT 1) r ON true
            WHERE c.active AND (r.start_time IS NULL OR now() - r.start_time > c.warn_threshold)
        ),
        running AS (
            SELECT m.*,
                   a.pid IS NOT NULL AND m.end_time IS NULL AND now() - m.start_time >= m.shortest AS is_running,
                   CASE WHEN m.start_time IS NOT NULL THEN
                       (SELECT j.end_time
                        FROM @extschema@.job_log j
                        WHERE pg_catalog.hashtextextended(j.job_name, 0) = pg_catalog.hashtextextended(m.job_name, 0)
                          AND j.job_name = m.job_name AND j.end_time IS NOT NULL
                          AND pg_catalog.timezone('UTC', j.end_time) > pg_catalog.timezone('UTC', v_since)
                          AND j.start_time > v_since
                        ORDER BY pg_catalog.timezone('UTC', j.end_time) DESC
                        LIMIT 1)
                   END AS last_end
            FROM missing m
            LEFT JOIN pg_catalog.pg_stat_activity a ON a.pid = m.pid
        ),
        problems AS (
            SELECT f.alert_code, f.alert_status, f.job_name, f.alert_text FROM failed f
            UNION ALL
            SELECT r.alert_code,
                   CASE WHEN r.is_running THEN 'RUNNING' ELSE 'MISSING' END,
                   r.job_name,
                   CASE WHEN r.is_running THEN
                            coalesce('Currently running. Last completed run: ' || r.last_end,
                                     'Currently running. Job has not had a completed run within configured monitoring time period.')
                        ELSE
                            coalesce('Last completed run: ' || r.last_end,
                                     'Has not completed a run since highest configured monitoring time period')
                   END
            FROM running r
        ),
        blocked AS (
            SELECT DISTINCT j.job_name
            FROM @extschema@.job_log j
            JOIN pg_catalog.pg_stat_activity a ON a.pid = j.pid
            JOIN pg_catalog.pg_locks k ON k.pid = j.pid AND NOT k.granted
            WHERE j.end_time IS NULL AND j.start_time > v_since
        )
        SELECT p.alert_code,
               CASE WHEN b.job_name IS NOT NULL THEN 'BLOCKED' ELSE p.alert_status END,
               p.job_name,
               CASE WHEN b.job_name IS NULL THEN p.alert_text
                    WHEN v_v1 THEN 'Another transaction has a lock that blocking this job from completing'
                    ELSE 'Another transaction has a lock that is blocking this job from completing' END
        FROM problems p
        LEFT JOIN blocked b ON b.job_name = p.job_name
        ORDER BY 1 DESC, 3, 2
    LOOP
        v_found := true;
        RETURN NEXT;
    END LOOP;

    IF NOT v_found THEN
        alert_code := 1;
        alert_status := 'OK';
        job_name := NULL;
        alert_text := 'All jobs run successfully';
        RETURN NEXT;
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION @extschema@.cancel_job(p_job_id bigint) RETURNS boolean
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_job       @extschema@.job_log;
    v_step_id   bigint;
    v_signalled boolean := false;
    v_backend_role oid;
BEGIN
    IF p_job_id IS NULL THEN
        PERFORM @extschema@._null_argument('cancel_job', 'p_job_id');
    END IF;
    SELECT * INTO v_job FROM @extschema@.job_log j WHERE j.job_id = p_job_id;
    IF NOT FOUND THEN
        PERFORM @extschema@._job_not_found(p_job_id);
    END IF;
    IF v_job.end_time IS NOT NULL THEN
        RAISE EXCEPTION 'cannot cancel job %', p_job_id
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = format('Job %s (%s) already ended at %s with status %s.',
                                  p_job_id, v_job.job_name, v_job.end_time, v_job.status),
                  HINT = 'Use show_running() to list the jobs that are still running.';
    END IF;

    -- Check first, log next, signal last.  Whether the caller may write
    -- the log is checked by the first write; whether it may signal the
    -- job's backend (pg_cancel_backend's rule: a member of the backend's
    -- role, or of pg_signal_backend for a non-superuser's backend) is
    -- checked here, so that nothing is written when the cancel could not
    -- be sent.  A scheduled run's worker, once interrupted, looks at its
    -- job_log row to tell a cancel from a failure.
    SELECT a.usesysid INTO v_backend_role FROM pg_catalog.pg_stat_activity a
    WHERE a.pid = v_job.pid AND v_job.pid <> pg_backend_pid();
    IF v_backend_role IS NOT NULL
       AND NOT pg_catalog.pg_has_role(current_user, v_backend_role, 'MEMBER')
       AND NOT (pg_catalog.pg_has_role(current_user, 'pg_signal_backend', 'MEMBER')
                AND NOT (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.oid = v_backend_role)) THEN
        RAISE EXCEPTION 'permission denied to cancel job %', p_job_id
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = format('Job %s runs in backend %s, which role "%s" may not signal.',
                                  p_job_id, v_job.pid, current_user),
                  HINT = 'Only a member of the role of the job''s backend, or of pg_signal_backend, can cancel it.';
    END IF;
    SELECT max(d.step_id) INTO v_step_id FROM @extschema@.job_detail d WHERE d.job_id = p_job_id;
    IF v_step_id IS NULL THEN
        v_step_id := @extschema@.add_step(p_job_id, 'Job cancelled');
    END IF;
    PERFORM @extschema@.update_step(v_step_id,
        (SELECT t.alert_text FROM @extschema@.job_status_text t WHERE t.alert_code = 3),
        CASE WHEN @extschema@._setting('text_style') = '1.x'
             THEN format('Manually cancelled via call to %s.cancel_job() by %s', '@extschema@', current_user)
             ELSE format('Cancelled by role %s through cancel_job()', current_user) END);
    PERFORM @extschema@.fail_job(p_job_id, 3);

    IF v_job.pid <> pg_backend_pid() AND EXISTS (
        SELECT FROM pg_catalog.pg_stat_activity a
        WHERE a.pid = v_job.pid)
    THEN
        v_signalled := pg_catalog.pg_cancel_backend(v_job.pid);
    END IF;
    RETURN v_signalled;
END
$$;

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

CREATE OR REPLACE FUNCTION @extschema@.sql_step(p_job_id bigint, p_action text, p_sql text) RETURNS boolean
LANGUAGE sql
AS $$
    SELECT @extschema@._sql_step(p_job_id, p_action, p_sql, pg_catalog.current_setting('search_path'))
$$;

CREATE OR REPLACE FUNCTION @extschema@.sql_job(p_job_name text, p_sql text) RETURNS text
LANGUAGE sql
AS $$
    SELECT @extschema@._sql_job(p_job_name, p_sql, pg_catalog.current_setting('search_path'))
$$;

COMMENT ON FUNCTION @extschema@.sql_step(bigint, text, text) IS 'run a statement as a logged step under the caller''s search_path; true on success (the job is closed), false (error logged) on failure';

COMMENT ON FUNCTION @extschema@.sql_job(text, text) IS 'run a statement as a complete logged job of one step, under the caller''s search_path';

-- on_missed all, and the runs of a job in due order (sql/dispatch/plan.sql,
-- sql/dispatch/claim.sql): after a downtime, on_missed all planned the
-- oldest missed_limit fire times and skipped all but the first as
-- overlapping, so the latest (on-time) fire time was lost and the times
-- past the limit left no record (and a downtime with over a million fire
-- times broke the job).  Now the last missed_limit missed times
-- are planned as waiting runs that wait for one another (and for the runs
-- under way), the older ones are recorded in one skipped run, and the claim
-- never starts a run of a job before an earlier waiting run of the same job
-- (_run_may_start), even one another claimer holds locked; the later runs
-- of a job that must wait are passed over without being locked.
-- And started_at (sql/run/worker.sql, _run_set_running) is the clock when a
-- run is set running, not its worker's transaction start, which could be
-- before the end of the run it followed: a run of a max_instances 1 job
-- seemed to overlap the one before it.

CREATE FUNCTION @extschema@._cron_times_span() RETURNS interval
LANGUAGE sql IMMUTABLE
AS $$ SELECT interval '10 days' $$;

CREATE FUNCTION @extschema@._missed_times(s @extschema@.jobmon_schedule, j @extschema@.jobmon_job,
                                          p_latest timestamptz, p_limit integer)
RETURNS timestamptz[]
LANGUAGE plpgsql STABLE
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_span  interval := interval '1 minute';
    v_high  timestamptz := p_latest;
    v_low   timestamptz;
    v_times timestamptz[] := '{}';      -- newest first
BEGIN
    IF s.cron IS NULL THEN
        RETURN ARRAY(SELECT d FROM (SELECT DISTINCT d FROM unnest(s.dates) d
                                    WHERE d BETWEEN s.next_fire AND p_latest ORDER BY d DESC LIMIT p_limit) x
                     ORDER BY d);
    END IF;
    LOOP
        v_low := greatest(s.next_fire, v_high - v_span);
        v_times := v_times || ARRAY(SELECT t FROM @extschema@.cron_times(s.cron, v_low, v_high, j.timezone) t
                                    ORDER BY t DESC LIMIT p_limit - cardinality(v_times));
        EXIT WHEN cardinality(v_times) >= p_limit OR v_low = s.next_fire;
        v_high := v_low - interval '1 microsecond';
        v_span := least(v_span * 8, @extschema@._cron_times_span());
    END LOOP;
    RETURN ARRAY(SELECT t FROM unnest(v_times) t ORDER BY t);
END
$$;

CREATE FUNCTION @extschema@._schedule_count_times(s @extschema@.jobmon_schedule, j @extschema@.jobmon_job,
                                                  p_from timestamptz, p_to timestamptz,
                                                  OUT n bigint, OUT last_time timestamptz)
LANGUAGE plpgsql STABLE
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_to    timestamptz;
    v_count bigint;
    v_last  timestamptz;
BEGIN
    n := 0;
    IF s.cron IS NULL THEN
        SELECT count(DISTINCT d), max(d) INTO n, last_time FROM unnest(s.dates) d WHERE d BETWEEN p_from AND p_to;
        RETURN;
    END IF;
    WHILE p_from <= p_to LOOP
        v_to := least(p_to, p_from + @extschema@._cron_times_span());
        SELECT count(*), max(t) INTO v_count, v_last FROM @extschema@.cron_times(s.cron, p_from, v_to, j.timezone) t;
        n := n + v_count;
        last_time := coalesce(v_last, last_time);
        p_from := v_to + interval '1 microsecond';
    END LOOP;
END
$$;

DROP FUNCTION @extschema@._dispatch_plan_run(@extschema@.jobmon_job, bigint, timestamptz);

CREATE FUNCTION @extschema@._dispatch_plan_run(j @extschema@.jobmon_job, p_schedule_id bigint, p_due_at timestamptz,
                                               p_missed boolean DEFAULT false)
RETURNS void
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_active  integer;
    v_waiting integer;
    v_status  text := 'waiting';
    v_reason  text;
BEGIN
    -- Not counted for missed runs: missed_limit of them are planned at once.
    IF NOT p_missed THEN
        SELECT count(*), count(*) FILTER (WHERE r.status = 'waiting') INTO v_active, v_waiting
        FROM @extschema@.jobmon_run r
        WHERE r.job_id = j.job_id AND r.status IN ('waiting', 'starting', 'running');
    END IF;
    IF NOT p_missed AND v_active >= j.max_instances AND NOT (j.on_overlap = 'queue' AND v_waiting = 0) THEN
        v_status := 'skipped';
        v_reason := format('%s run(s) of the job were still under way (max_instances %s, on_overlap %s)',
                           v_active, j.max_instances, j.on_overlap);
    ELSIF p_schedule_id IS NOT NULL AND j.depends_on IS NOT NULL THEN
        v_reason := 'dependencies not met: ' || @extschema@._depends_problem(j);
        v_status := CASE WHEN v_reason IS NULL THEN 'waiting' ELSE 'skipped' END;
    END IF;
    INSERT INTO @extschema@.jobmon_run (job_id, schedule_id, job_name, owner, run_as, oneoff, due_at, status,
                                     reason, finished_at)
    VALUES (j.job_id, p_schedule_id, j.name, j.owner, j.run_as, j.oneoff, p_due_at, v_status, v_reason,
            CASE WHEN v_status = 'skipped' THEN now() END);
END
$$;

CREATE FUNCTION @extschema@._dispatch_plan_missed(s @extschema@.jobmon_schedule, j @extschema@.jobmon_job,
                                                  p_latest timestamptz)
RETURNS void
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_times timestamptz[] := @extschema@._missed_times(s, j, p_latest, j.missed_limit);
    v_older record;
BEGIN
    SELECT * INTO v_older FROM @extschema@._schedule_count_times(s, j, s.next_fire, v_times[1] - interval '1 microsecond');
    IF v_older.n > 0 THEN
        INSERT INTO @extschema@.jobmon_run (job_id, schedule_id, job_name, owner, run_as, oneoff, due_at,
                                         status, reason, finished_at)
        VALUES (j.job_id, s.schedule_id, j.name, j.owner, j.run_as, j.oneoff, v_older.last_time, 'skipped',
                format('%s fire time(s) from %s to %s were missed while no dispatcher ran and are not run: '
                       'on_missed all runs the last %s (missed_limit)',
                       v_older.n, s.next_fire, v_older.last_time, j.missed_limit),
                now());
    END IF;
    PERFORM @extschema@._dispatch_plan_run(j, s.schedule_id, t, true) FROM unnest(v_times) t;
END
$$;

CREATE OR REPLACE FUNCTION @extschema@._dispatch_plan_schedule(s @extschema@.jobmon_schedule) RETURNS void
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    j        @extschema@.jobmon_job;
    v_now    timestamptz := clock_timestamp();
    v_latest timestamptz;
BEGIN
    SELECT * INTO j FROM @extschema@.jobmon_job x WHERE x.job_id = s.job_id;
    IF s.override_time IS NULL AND s.cron IS NOT NULL THEN
        v_latest := @extschema@._cron_latest(s.cron, s.next_fire, least(v_now, j.end_date), j.timezone);
    ELSIF s.override_time IS NULL THEN
        SELECT max(d) INTO v_latest FROM unnest(s.dates) d WHERE d <= least(v_now, j.end_date);
    END IF;

    IF v_latest IS NULL OR v_latest <= s.next_fire THEN
        PERFORM @extschema@._dispatch_plan_run(j, s.schedule_id, s.next_fire);     -- on time: no backlog
    ELSIF j.on_missed = 'once' THEN
        PERFORM @extschema@._dispatch_plan_run(j, s.schedule_id, v_latest);
    ELSIF j.on_missed = 'all' THEN
        PERFORM @extschema@._dispatch_plan_missed(s, j, v_latest);
    ELSE
        INSERT INTO @extschema@.jobmon_run (job_id, schedule_id, job_name, owner, run_as, oneoff, due_at,
                                         status, reason, finished_at)
        VALUES (j.job_id, s.schedule_id, j.name, j.owner, j.run_as, j.oneoff, v_latest, 'skipped',
                format('the fire times from %s to %s were missed while no dispatcher ran (on_missed skip)',
                       s.next_fire, v_latest), now());
    END IF;

    s.fired_until := greatest(s.fired_until, s.next_fire, v_latest);
    s.override_time := NULL;
    UPDATE @extschema@.jobmon_schedule x
    SET fired_until = s.fired_until, override_time = NULL, next_fire = @extschema@._schedule_next(s, j)
    WHERE x.schedule_id = s.schedule_id;
END
$$;

CREATE FUNCTION @extschema@._run_may_start(r @extschema@.jobmon_run, j @extschema@.jobmon_job) RETURNS boolean
LANGUAGE plpgsql STABLE
SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    -- PL/pgSQL, not SQL, so that the plan of this query is kept from claim
    -- to claim.
    RETURN (SELECT count(*) FILTER (WHERE x.status IN ('starting', 'running')) < j.max_instances
                   AND NOT coalesce(bool_or(x.status = 'waiting' AND (x.due_at, x.run_id) < (r.due_at, r.run_id)), false)
            FROM @extschema@.jobmon_run x
            WHERE x.job_id = j.job_id AND x.status IN ('waiting', 'starting', 'running'));
END
$$;

CREATE OR REPLACE FUNCTION @extschema@._run_claim(p_oneoff boolean, p_run_as name, p_until timestamptz)
RETURNS @extschema@.jobmon_run
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
SET enable_sort = off
AS $$
DECLARE
    r         @extschema@.jobmon_run;
    j         @extschema@.jobmon_job;
    v_problem text;
    v_queued  bigint[] := '{}';
    v_held    bigint[] := '{}';
BEGIN
    -- One row at a time: a cursor would lock rows ahead that other workers
    -- could take meanwhile.  Once a run waits behind a run of its own job,
    -- the later runs of that job do too (v_held): they are passed over
    -- without being locked, however many wait (on_missed all plans up to
    -- missed_limit of them at once).
    LOOP
        IF p_run_as IS NULL THEN
            SELECT * INTO r FROM @extschema@.jobmon_run x
            WHERE x.status = 'waiting' AND x.oneoff = p_oneoff AND x.due_at <= p_until
              AND NOT x.run_id = ANY (v_queued) AND NOT x.job_id = ANY (v_held)
            ORDER BY x.oneoff, x.due_at, x.run_id
            LIMIT 1 FOR UPDATE SKIP LOCKED;
        ELSE
            SELECT * INTO r FROM @extschema@.jobmon_run x
            WHERE x.status = 'waiting' AND x.oneoff = p_oneoff AND x.run_as = p_run_as
              AND x.due_at <= p_until AND NOT x.run_id = ANY (v_queued) AND NOT x.job_id = ANY (v_held)
            ORDER BY x.oneoff, x.run_as, x.due_at, x.run_id
            LIMIT 1 FOR UPDATE SKIP LOCKED;
        END IF;
        IF NOT FOUND THEN
            RETURN NULL;
        END IF;
        SELECT * INTO j FROM @extschema@.jobmon_job y WHERE y.job_id = r.job_id;
        IF p_run_as IS NOT NULL AND j.run_as <> p_run_as THEN
            v_queued := v_queued || r.run_id;   -- run_as changed since: the dispatcher starts it
            CONTINUE;
        END IF;
        v_problem := @extschema@._run_skip_reason(r, j);
        IF v_problem IS NOT NULL THEN
            PERFORM @extschema@._run_skip(r.run_id, v_problem);
        ELSIF @extschema@._run_may_start(r, j) THEN
            RETURN r;
        ELSE
            v_held := v_held || j.job_id;       -- behind a run of its own job
        END IF;
    END LOOP;
END
$$;

CREATE OR REPLACE FUNCTION @extschema@._run_set_running(r @extschema@.jobmon_run) RETURNS @extschema@._worker_run
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_job @extschema@.jobmon_job;
BEGIN
    SELECT * INTO v_job FROM @extschema@.jobmon_job j WHERE j.job_id = r.job_id FOR SHARE;
    IF v_job.run_as IS DISTINCT FROM session_user THEN
        UPDATE @extschema@.jobmon_run x SET status = 'waiting', started_at = NULL, pid = NULL
        WHERE x.run_id = r.run_id;
        PERFORM @extschema@._dispatch_wake();
        RETURN NULL;
    END IF;
    UPDATE @extschema@.jobmon_run x
    SET status = 'running', started_at = clock_timestamp(), pid = pg_backend_pid(), run_as = v_job.run_as,
        log_id = @extschema@._log_job_open(r.job_name, v_job.run_as::text, pg_backend_pid())
    WHERE x.run_id = r.run_id;
    RETURN (r.run_id, v_job.commands, v_job.use_same_transaction, v_job.onrollback,
            v_job.next_time_statement, (extract(epoch FROM v_job.max_run_time) * 1000)::bigint,
            v_job.capture_level, v_job.job_id, v_job.oneoff, v_job.params)::@extschema@._worker_run;
END
$$;

REVOKE ALL ON FUNCTION @extschema@._cron_times_span() FROM PUBLIC;

REVOKE ALL ON FUNCTION @extschema@._schedule_count_times(@extschema@.jobmon_schedule, @extschema@.jobmon_job, timestamptz, timestamptz) FROM PUBLIC;

REVOKE ALL ON FUNCTION @extschema@._missed_times(@extschema@.jobmon_schedule, @extschema@.jobmon_job, timestamptz, integer) FROM PUBLIC;

REVOKE ALL ON FUNCTION @extschema@._dispatch_plan_run(@extschema@.jobmon_job, bigint, timestamptz, boolean) FROM PUBLIC;

REVOKE ALL ON FUNCTION @extschema@._dispatch_plan_missed(@extschema@.jobmon_schedule, @extschema@.jobmon_job, timestamptz) FROM PUBLIC;

REVOKE ALL ON FUNCTION @extschema@._run_may_start(@extschema@.jobmon_run, @extschema@.jobmon_job) FROM PUBLIC;

-- Retention that nothing stops (review F2, F3, F4, F6): an error of
-- retention (a row that an application's foreign key keeps, a deadlock
-- with job_log_clear()) made every CALL jobmon_dispatch() fail, and such
-- a row blocked log retention for good; a job open in any live session
-- (or of a dead one whose pid was reused) stopped log retention for
-- everyone; log_retention deleted the last run that check_job_status()
-- needs.  Now a batch deletes what it can and warns about the rest, the
-- walk of logged jobs passes over open jobs and notes the oldest one it
-- must look at again (two new columns), and keeps the newest row of a
-- monitored job until the walk meets the next.  audit_retention (90 days by default) is new in 2.6.0:
-- an installation that has an audit trail keeps it for ever, as 2.5.0 did.
ALTER TABLE @extschema@.jobmon_dispatcher_state
    ADD COLUMN log_retention_kept_time timestamptz,
    ADD COLUMN log_retention_kept_id bigint;

-- Delete the rows of p_table whose p_key is in p_ids; returns how many
-- went.  All at once, or, when that fails (a foreign key of the user's
-- to one of them, say), one by one, leaving those that fail with a
-- WARNING: a row that cannot be deleted never keeps the others.  A lock
-- that cannot be had is passed on, for the batch to give way.
CREATE FUNCTION @extschema@._retention_delete(p_kind text, p_table regclass, p_key name, p_ids bigint[])
RETURNS integer
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_delete text := format('DELETE FROM %s WHERE %I = ANY ($1)', p_table, p_key);
    v_count  integer;
    v_done   integer := 0;
    v_failed integer := 0;
    v_error  text;
    v_id     bigint;
    v_first  bigint;
BEGIN
    IF cardinality(p_ids) = 0 THEN
        RETURN 0;
    END IF;
    BEGIN
        EXECUTE v_delete USING p_ids;
        GET DIAGNOSTICS v_count = ROW_COUNT;
        RETURN v_count;
    EXCEPTION WHEN lock_not_available THEN
        RAISE;
    WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS v_error = MESSAGE_TEXT;
    END;
    FOREACH v_id IN ARRAY p_ids LOOP
        BEGIN
            EXECUTE v_delete USING ARRAY[v_id];
            GET DIAGNOSTICS v_count = ROW_COUNT;
            v_done := v_done + v_count;
        EXCEPTION WHEN lock_not_available THEN
            RAISE;
        WHEN OTHERS THEN
            v_failed := v_failed + 1;
            v_first := coalesce(v_first, v_id);
        END;
    END LOOP;
    RAISE WARNING 'retention could not delete % of % % rows: %', v_failed, cardinality(p_ids), p_kind, v_error
        USING DETAIL = format('The first kept is the row of %s with %s %s.', p_table, p_key, v_first),
              HINT = 'Remove what keeps them (a foreign key to them, a trigger); the others were deleted.';
    RETURN v_done;
END
$$;

-- Why log retention keeps logged job p_job_id for now, if for a reason
-- that lapses: 'open' while it is open in a live session (its pid's
-- backend started before it: a pid reused by a later session does not
-- count), 'monitored' while it is the newest row of a job that
-- job_check_config names (check_job_status reads it, by upper(job_name);
-- one probe of job_log_job_name_start_idx, from the newest, as there);
-- NULL otherwise.  A row kept as 'monitored' goes when the walk meets the
-- job's next row (_retention_monitored_before).  PL/pgSQL, for its cached
-- plans: the walk calls these for each row of a monitored job; without
-- enable_sort the planner would sort all the job's rows rather than read
-- the index from the newest (as check_job_status explains).
CREATE FUNCTION @extschema@._retention_kept_for(p_job_id bigint) RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = @extschema@, pg_temp
SET enable_sort = off
AS $$
BEGIN
    RETURN (
        SELECT CASE
            WHEN l.end_time IS NULL THEN
                CASE WHEN EXISTS (SELECT FROM pg_catalog.pg_stat_activity a
                                  WHERE a.pid = l.pid AND a.backend_start <= l.start_time) THEN 'open' END
            WHEN EXISTS (SELECT FROM @extschema@.job_check_config c WHERE upper(c.job_name) = l.job_name)
                 AND (SELECT n.start_time FROM @extschema@.job_log n
                      WHERE pg_catalog.hashtextextended(n.job_name, 0) = pg_catalog.hashtextextended(l.job_name, 0)
                        AND n.job_name = l.job_name
                      ORDER BY pg_catalog.timezone('UTC', n.start_time) DESC
                      LIMIT 1) <= l.start_time THEN 'monitored'
        END
        FROM @extschema@.job_log l WHERE l.job_id = p_job_id);
END
$$;

-- The row before logged job p_job_id of the same monitored job, if it is
-- closed and not the log of a run: kept as the newest while it was, it
-- is not any more.  One probe of job_log_job_name_start_idx.
CREATE FUNCTION @extschema@._retention_monitored_before(p_job_id bigint) RETURNS bigint
LANGUAGE plpgsql STABLE
SET search_path = @extschema@, pg_temp
SET enable_sort = off
AS $$
BEGIN
    RETURN (
        SELECT p.job_id
        FROM @extschema@.job_log l
        CROSS JOIN LATERAL (
            SELECT n.job_id, n.end_time FROM @extschema@.job_log n
            WHERE pg_catalog.hashtextextended(n.job_name, 0) = pg_catalog.hashtextextended(l.job_name, 0)
              AND n.job_name = l.job_name
              AND pg_catalog.timezone('UTC', n.start_time) < pg_catalog.timezone('UTC', l.start_time)
            ORDER BY pg_catalog.timezone('UTC', n.start_time) DESC
            LIMIT 1) p
        WHERE l.job_id = p_job_id
          AND EXISTS (SELECT FROM @extschema@.job_check_config c WHERE upper(c.job_name) = l.job_name)
          AND p.end_time IS NOT NULL
          AND NOT EXISTS (SELECT FROM @extschema@.jobmon_run r WHERE r.log_id = p.job_id));
END
$$;

REVOKE ALL ON FUNCTION @extschema@._retention_delete(text, regclass, name, bigint[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@._retention_kept_for(bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@._retention_monitored_before(bigint) FROM PUBLIC;

INSERT INTO @extschema@.jobmon_config (name, value)
SELECT 'audit_retention', '0'
WHERE EXISTS (SELECT FROM @extschema@.jobmon_audit)
ON CONFLICT (name) DO NOTHING;

-- Texts of the seeded alert codes (issue 14): a database updated from 1.x
-- may have its own texts for codes 1 to 3, which pg_dump left out.  They
-- are dumped now, and a restore's row for a seeded code sets its text.
SELECT pg_catalog.pg_extension_config_dump('@extschema@.job_status_text',
    'WHERE (alert_code, alert_text) NOT IN ((1, ''OK''), (2, ''WARNING''), (3, ''CRITICAL''))');

CREATE FUNCTION @extschema@._status_text_seeded_insert() RETURNS trigger
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    UPDATE @extschema@.job_status_text t SET alert_text = NEW.alert_text
    WHERE t.alert_code = NEW.alert_code;
    IF FOUND THEN
        RETURN NULL;
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER job_status_text_seeded_insert
BEFORE INSERT ON @extschema@.job_status_text
FOR EACH ROW WHEN (NEW.alert_code BETWEEN 1 AND 3)
EXECUTE FUNCTION @extschema@._status_text_seeded_insert();
REVOKE ALL ON FUNCTION @extschema@._status_text_seeded_insert() FROM PUBLIC;
