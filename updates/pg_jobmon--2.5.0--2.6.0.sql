-- pg_jobmon 2.5.0 -> 2.6.0: robustness, and moving in from pg_jobmon 1.x.
--
-- Each section below is the delta of one change, in the order they landed.

\echo Use "ALTER EXTENSION pg_jobmon UPDATE TO '2.6.0'" to load this file. \quit

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
