-- One pass of the dispatcher, called by the tick procedure
-- (procedures/tick.sql) in a transaction of its own, about once a second
-- or as soon as something is due: close runs whose worker vanished,
-- enforce time limits, plan the runs of due schedules, start workers for
-- waiting runs, and apply the retention of finished runs.

CREATE FUNCTION @extschema@._worker_launch(p_run_id bigint, p_role oid, p_due_at timestamptz)
RETURNS integer
LANGUAGE C STRICT VOLATILE
AS 'MODULE_PATHNAME', 'jobmon_worker_launch';

CREATE FUNCTION @extschema@._tick_sleep(p_seconds float8) RETURNS boolean
LANGUAGE C STRICT VOLATILE
AS 'MODULE_PATHNAME', 'jobmon_tick_sleep';

CREATE FUNCTION @extschema@._latch_set_at_commit(p_pid integer) RETURNS void
LANGUAGE C STRICT VOLATILE
AS 'MODULE_PATHNAME', 'jobmon_latch_set_at_commit';

REVOKE ALL ON FUNCTION @extschema@._worker_launch(bigint, oid, timestamptz),
    @extschema@._tick_sleep(float8), @extschema@._latch_set_at_commit(integer) FROM PUBLIC;

-- Wake the dispatcher when this transaction commits (a job changed, a run
-- ended), instead of at its next planned wake-up.
CREATE FUNCTION @extschema@._tick_wake() RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    PERFORM @extschema@._latch_set_at_commit(s.tick_pid)
    FROM @extschema@.scheduler_state s WHERE s.tick_pid IS NOT NULL;
END
$$;

-- How far ahead of a due time the dispatcher starts the worker, which then
-- waits for the due time itself: starting a process costs milliseconds.
CREATE FUNCTION @extschema@._tick_lead() RETURNS interval
LANGUAGE sql IMMUTABLE
AS $$ SELECT interval '50 milliseconds' $$;

CREATE FUNCTION @extschema@._max_workers() RETURNS integer
LANGUAGE sql STABLE
SET search_path = @extschema@, pg_temp
AS $$
    SELECT coalesce(@extschema@._setting('max_workers')::integer,
                    greatest(1, current_setting('max_worker_processes')::integer / 2))
$$;

-- One-off jobs have their own allowance, so that neither kind starves the
-- other: the worker slots of one kind, periodic or one-off.
CREATE FUNCTION @extschema@._max_workers(p_oneoff boolean) RETURNS integer
LANGUAGE sql STABLE
SET search_path = @extschema@, pg_temp
AS $$
    SELECT CASE WHEN p_oneoff THEN @extschema@._setting('max_oneoff_workers')::integer
                ELSE @extschema@._max_workers() END
$$;

-- The latest fire time of a cron expression in [p_from, p_to], or NULL.
-- Looks back through growing windows, so that the rows it reads stay few
-- whether the expression fires every second or once a year.
CREATE FUNCTION @extschema@._cron_latest(p_cron text, p_from timestamptz, p_to timestamptz, p_tz text)
RETURNS timestamptz
LANGUAGE plpgsql STABLE
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_window interval;
    v_low    timestamptz;
BEGIN
    FOREACH v_window IN ARRAY '{1 second, 1 minute, 1 hour, 1 day, 32 days, 367 days, 10000 days}'::interval[] LOOP
        v_low := greatest(p_from, p_to - v_window);
        IF @extschema@.cron_next(p_cron, v_low - interval '1 microsecond', p_tz) <= p_to THEN
            RETURN (SELECT max(t) FROM @extschema@.cron_times(p_cron, v_low, p_to, p_tz) t);
        END IF;
        EXIT WHEN v_low = p_from;
    END LOOP;
    RETURN NULL;
END
$$;

-- Plan the runs of one due schedule and move it to its next fire time.
-- Fire times that passed while nothing dispatched (downtime) follow the
-- job's on_missed: once (one run, for the latest), skip (none), all (each,
-- up to missed_limit, then on from now).
CREATE FUNCTION @extschema@._schedule_dispatch(s @extschema@.job_schedule) RETURNS void
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    j        @extschema@.job;
    v_now    timestamptz := clock_timestamp();
    v_latest timestamptz;
    v_times  timestamptz[];
BEGIN
    SELECT * INTO j FROM @extschema@.job x WHERE x.job_id = s.job_id;
    IF s.override_time IS NULL AND s.cron IS NOT NULL THEN
        v_latest := @extschema@._cron_latest(s.cron, s.next_fire, least(v_now, j.end_date), j.timezone);
    ELSIF s.override_time IS NULL THEN
        SELECT max(d) INTO v_latest FROM unnest(s.dates) d WHERE d <= least(v_now, j.end_date);
    END IF;

    IF v_latest IS NULL OR v_latest <= s.next_fire THEN
        v_times := ARRAY[s.next_fire];              -- on time: no backlog
    ELSIF j.on_missed = 'once' THEN
        v_times := ARRAY[v_latest];
    ELSIF j.on_missed = 'all' AND s.cron IS NOT NULL THEN
        v_times := ARRAY(SELECT t FROM @extschema@.cron_times(s.cron, s.next_fire, v_latest, j.timezone) t
                         LIMIT j.missed_limit);
    ELSIF j.on_missed = 'all' THEN
        v_times := ARRAY(SELECT d FROM unnest(s.dates) d WHERE d BETWEEN s.next_fire AND v_latest
                         ORDER BY d LIMIT j.missed_limit);
    ELSE
        INSERT INTO @extschema@.job_run (job_id, schedule_id, job_name, owner, run_as, oneoff, due_at,
                                         status, reason, finished_at)
        VALUES (j.job_id, s.schedule_id, j.name, j.owner, j.run_as, j.oneoff, v_latest, 'skipped',
                format('the fire times from %s to %s were missed while no tick ran (on_missed skip)',
                       s.next_fire, v_latest), now());
    END IF;
    PERFORM @extschema@._run_plan(j, s.schedule_id, t) FROM unnest(v_times) t;

    s.fired_until := greatest(s.fired_until, s.next_fire, v_latest);
    s.override_time := NULL;
    UPDATE @extschema@.job_schedule x
    SET fired_until = s.fired_until, override_time = NULL, next_fire = @extschema@._schedule_next(s, j)
    WHERE x.schedule_id = s.schedule_id;
END
$$;

-- Plan the runs of every due schedule.  A schedule that cannot be planned
-- breaks its job, never the tick.
CREATE FUNCTION @extschema@._tick_dispatch() RETURNS integer
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    s       @extschema@.job_schedule;
    v_count integer := 0;
    -- A constant, so that it bounds the index scan (clock_timestamp()
    -- in the condition would be a filter over every schedule).
    v_until timestamptz := clock_timestamp() + @extschema@._tick_lead();
BEGIN
    FOR s IN
        SELECT * FROM @extschema@.job_schedule x
        WHERE x.next_fire <= v_until
        ORDER BY x.next_fire
        LIMIT 1000
        FOR UPDATE SKIP LOCKED
    LOOP
        BEGIN
            PERFORM @extschema@._schedule_dispatch(s);
        EXCEPTION WHEN OTHERS THEN
            PERFORM @extschema@._job_break(s.job_id, 'its schedule could not be dispatched: ' || SQLERRM);
        END;
        v_count := v_count + 1;
    END LOOP;
    RETURN v_count;
END
$$;

CREATE FUNCTION @extschema@._run_skip(p_run_id bigint, p_reason text) RETURNS void
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_job_id bigint;
BEGIN
    UPDATE @extschema@.job_run r SET status = 'skipped', reason = p_reason, finished_at = now()
    WHERE r.run_id = p_run_id
    RETURNING r.job_id INTO v_job_id;
    PERFORM @extschema@._dependants_notify(v_job_id);     -- a one-off job that never ran failed
END
$$;

CREATE FUNCTION @extschema@._run_late_reason(j @extschema@.job) RETURNS text
LANGUAGE sql IMMUTABLE
AS $$
    SELECT format('could not start within %s of its due time (%s)', j.last_start_available,
                  CASE WHEN j.oneoff THEN 'max_wait_interval' ELSE 'last_start_available' END)
$$;

-- Why run r of job j can never start (it is then skipped with this
-- reason), or NULL.
CREATE FUNCTION @extschema@._run_start_problem(r @extschema@.job_run, j @extschema@.job) RETURNS text
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_problem text;
BEGIN
    IF j.broken_reason IS NOT NULL THEN
        RETURN 'the job is broken: ' || j.broken_reason;
    ELSIF NOT j.active AND r.schedule_id IS NOT NULL THEN
        RETURN 'the job was deactivated';
    ELSIF clock_timestamp() > r.due_at + j.last_start_available THEN
        RETURN @extschema@._run_late_reason(j);
    END IF;
    v_problem := @extschema@._job_role_problem(j);
    IF v_problem IS NOT NULL THEN
        PERFORM @extschema@._job_break(j.job_id, v_problem);
        RETURN 'the job is broken: ' || v_problem;
    END IF;
    RETURN NULL;
END
$$;

-- Lock and return the first waiting run due by p_until that may start now,
-- of a periodic or a one-off job, as p_run_as when that is given; runs that
-- can never start are skipped on the way.  Returns NULL when none may.
-- The claim reads job_run alone, walking job_run_waiting_idx (or, for a
-- role, job_run_waiting_role_idx) in order, and enable_sort is off so that
-- it does whatever the statistics say: right after a burst of submit_job()
-- they count few waiting runs and few jobs, and a sort or a join of all of
-- them costs milliseconds a claim.
CREATE FUNCTION @extschema@._run_claim(p_oneoff boolean, p_run_as name, p_until timestamptz)
RETURNS @extschema@.job_run
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
SET enable_sort = off
AS $$
DECLARE
    r         @extschema@.job_run;
    j         @extschema@.job;
    v_problem text;
    v_queued  bigint[] := '{}';
BEGIN
    -- One row at a time: a cursor would lock rows ahead that other workers
    -- could take meanwhile.
    LOOP
        IF p_run_as IS NULL THEN
            SELECT * INTO r FROM @extschema@.job_run x
            WHERE x.status = 'waiting' AND x.oneoff = p_oneoff AND x.due_at <= p_until
              AND NOT x.run_id = ANY (v_queued)
            ORDER BY x.oneoff, x.due_at, x.run_id
            LIMIT 1 FOR UPDATE SKIP LOCKED;
        ELSE
            SELECT * INTO r FROM @extschema@.job_run x
            WHERE x.status = 'waiting' AND x.oneoff = p_oneoff AND x.run_as = p_run_as
              AND x.due_at <= p_until AND NOT x.run_id = ANY (v_queued)
            ORDER BY x.oneoff, x.run_as, x.due_at, x.run_id
            LIMIT 1 FOR UPDATE SKIP LOCKED;
        END IF;
        IF NOT FOUND THEN
            RETURN NULL;
        END IF;
        SELECT * INTO j FROM @extschema@.job y WHERE y.job_id = r.job_id;
        IF p_run_as IS NOT NULL AND j.run_as <> p_run_as THEN
            v_queued := v_queued || r.run_id;   -- run_as changed since: the tick starts it
            CONTINUE;
        END IF;
        v_problem := @extschema@._run_start_problem(r, j);
        IF v_problem IS NOT NULL THEN
            PERFORM @extschema@._run_skip(r.run_id, v_problem);
        ELSIF (SELECT count(*) FROM @extschema@.job_run x
               WHERE x.job_id = j.job_id AND x.status IN ('starting', 'running')) < j.max_instances THEN
            RETURN r;
        ELSE
            v_queued := v_queued || r.run_id;   -- behind a run of its own job
        END IF;
    END LOOP;
END
$$;

-- Waiting runs that can no longer start within last_start_available (for
-- one-off jobs, max_wait_interval) of their due time, also while no slot is
-- free.
CREATE FUNCTION @extschema@._runs_skip_expired() RETURNS void
LANGUAGE sql
SET search_path = @extschema@, pg_temp
AS $$
    SELECT @extschema@._run_skip(x.run_id, @extschema@._run_late_reason(j))
    FROM @extschema@.job_run x JOIN @extschema@.job j ON j.job_id = x.job_id
    WHERE x.status = 'waiting' AND j.last_start_available IS NOT NULL
      AND x.due_at + j.last_start_available < clock_timestamp()
$$;

-- Start workers for waiting runs, in due order, while this database has
-- worker slots of their kind (periodic or one-off).
CREATE FUNCTION @extschema@._tick_launch() RETURNS integer
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    r         @extschema@.job_run;
    v_oneoff  boolean;
    v_free    integer;
    v_pid     integer;
    v_started integer := 0;
    v_until   timestamptz := clock_timestamp() + @extschema@._tick_lead();
BEGIN
    FOREACH v_oneoff IN ARRAY ARRAY[false, true] LOOP
        SELECT @extschema@._max_workers(v_oneoff) - count(*) INTO v_free
        FROM @extschema@.job_run x WHERE x.status IN ('starting', 'running') AND x.oneoff = v_oneoff;
        WHILE v_free > 0 LOOP
            r := @extschema@._run_claim(v_oneoff, NULL, v_until);
            EXIT WHEN r.run_id IS NULL;
            -- The worker waits for this transaction to end before it claims
            -- the run (src/worker.c, wait_for_launcher), so it sees this mark.
            v_pid := @extschema@._worker_launch(r.run_id,
                (SELECT j.run_as::regrole::oid FROM @extschema@.job j WHERE j.job_id = r.job_id), r.due_at);
            EXIT WHEN v_pid IS NULL;    -- no background worker slot left
            UPDATE @extschema@.job_run x SET status = 'starting', started_at = clock_timestamp(), pid = v_pid
            WHERE x.run_id = r.run_id;
            v_free := v_free - 1;
            v_started := v_started + 1;
        END LOOP;
    END LOOP;
    PERFORM @extschema@._runs_skip_expired();
    RETURN v_started;
END
$$;

-- A worker that has ended a run takes the next one of the same kind and
-- role that is due, in the same slot, instead of exiting: starting a
-- process costs more than most one-off jobs.  It starts the run in the
-- same transaction (_run_begin); no row when there is none.
CREATE FUNCTION @extschema@._run_next(p_prev_run_id bigint) RETURNS SETOF @extschema@._run_definition
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    r @extschema@.job_run;
BEGIN
    r := @extschema@._run_claim((SELECT x.oneoff FROM @extschema@.job_run x WHERE x.run_id = p_prev_run_id),
                                session_user, clock_timestamp());
    IF r.run_id IS NULL THEN
        PERFORM @extschema@._tick_wake();       -- a slot is free
        RETURN;
    END IF;
    RETURN NEXT @extschema@._run_begin(r);
END
$$;

REVOKE ALL ON FUNCTION @extschema@._run_next(bigint) FROM PUBLIC;

-- max_run_time: the worker cancels its own run; a job that swallows the
-- cancel is terminated a little later.  end_date: running runs are
-- cancelled.  The reason tells the worker (and _runs_close_orphaned) why.
CREATE FUNCTION @extschema@._runs_enforce_limits() RETURNS void
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_now timestamptz := clock_timestamp();
    v_run record;
BEGIN
    -- From the few running runs (a partial index) to their jobs, never
    -- the other way round: there may be many jobs.
    FOR v_run IN
        SELECT r.run_id, r.pid, r.started_at, j.max_run_time, j.end_date
        FROM (SELECT * FROM @extschema@.job_run x
              WHERE x.status = 'running' AND x.reason IS NULL
              OFFSET 0) r
        JOIN @extschema@.job j ON j.job_id = r.job_id
        WHERE r.started_at + j.max_run_time + interval '5 seconds' < v_now
           OR j.end_date < v_now
    LOOP
        IF v_run.started_at + v_run.max_run_time + interval '5 seconds' < v_now THEN
            UPDATE @extschema@.job_run r
            SET reason = format('terminated after max_run_time %s: the job ignored the cancel', v_run.max_run_time)
            WHERE r.run_id = v_run.run_id;
            PERFORM pg_catalog.pg_terminate_backend(v_run.pid);
        ELSE
            UPDATE @extschema@.job_run r
            SET reason = format('stopped at the job''s end_date %s', v_run.end_date)
            WHERE r.run_id = v_run.run_id;
            PERFORM pg_catalog.pg_cancel_backend(v_run.pid);
        END IF;
    END LOOP;
END
$$;

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
        DELETE FROM @extschema@.job_run r
        WHERE r.run_id IN (SELECT x.run_id FROM @extschema@.job_run x
                           WHERE x.finished_at < now() - v_keep LIMIT 10000)
        RETURNING r.log_id)
    DELETE FROM @extschema@.job_log l USING old WHERE l.job_id = old.log_id;
    GET DIAGNOSTICS v_count = ROW_COUNT;
    RETURN v_count;
END
$$;

-- One pass; returns when the next pass is due.
CREATE FUNCTION @extschema@._tick_pass() RETURNS timestamptz
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_state @extschema@.scheduler_state;
BEGIN
    -- Workers wait for this transaction to end: do not make them wait for
    -- its WAL flush too.  A worker's own first commit flushes past it, so a
    -- run that did anything cannot lose its plan; a plan lost in a crash is
    -- made again.
    SET LOCAL synchronous_commit = off;
    UPDATE @extschema@.scheduler_state s SET last_wakeup = clock_timestamp()
    RETURNING * INTO v_state;
    PERFORM @extschema@._runs_close_orphaned();
    PERFORM @extschema@._runs_enforce_limits();
    PERFORM @extschema@._tick_dispatch();
    PERFORM @extschema@._tick_launch();
    IF v_state.retention_at IS NULL OR v_state.retention_at < now() - interval '1 minute' THEN
        PERFORM @extschema@._runs_apply_retention();
        UPDATE @extschema@.scheduler_state s SET retention_at = now();
    END IF;
    -- Sleep until the next fire time, but look again within a second for
    -- runs that wait for a slot, time limits and vanished workers.
    RETURN least(clock_timestamp() + interval '1 second',
                 (SELECT min(x.next_fire) FROM @extschema@.job_schedule x WHERE x.next_fire IS NOT NULL)
                     - @extschema@._tick_lead(),
                 (SELECT min(x.due_at) FROM @extschema@.job_run x
                  WHERE x.status = 'waiting' AND x.due_at > clock_timestamp()) - @extschema@._tick_lead());
END
$$;
