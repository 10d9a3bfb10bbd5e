-- Planning: the runs of due schedules.  Each due schedule gets a run per
-- fire time (as its job's on_missed says for the times missed), moved to
-- its next fire time; a run that cannot start is planned as skipped.
--
-- A fire time is missed when it passed while no dispatcher ran (downtime):
-- the dispatcher finds, at a schedule's next_fire, a later fire time that
-- has passed too.  on_missed says what becomes of the missed times (the
-- latest of them included): once (one run, for the latest), skip (none,
-- one skipped record) or all (a run for each of the last missed_limit, in
-- fire-time order, and one skipped record for the older ones).

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

-- The longest span of time that planning asks cron_times for at once: 10
-- days hold 864000 fire times of an expression that fires every second
-- (one more hour at a change from summer time), under cron_times' limit
-- of 1000000, however long the downtime.
CREATE FUNCTION @extschema@._cron_times_span() RETURNS interval
LANGUAGE sql IMMUTABLE
AS $$ SELECT interval '10 days' $$;

-- The last p_limit fire times of schedule s of job j from its next_fire
-- to p_latest, oldest first.  A cron schedule is read backwards from
-- p_latest through windows that grow up to _cron_times_span(), so that a
-- long downtime of a job that fires every second does not list all its
-- fire times, nor one of a job that fires once a year too few windows.
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

-- How many fire times schedule s of job j has from p_from to p_to, and the
-- last of them.  A cron schedule is counted window by window
-- (_cron_times_span()): a long downtime of a job that fires every second
-- takes a while, but is counted.
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

-- on_missed all: plan a run for each of the last missed_limit fire times
-- of schedule s from its next_fire to p_latest, in fire-time order; they
-- wait for one another (_dispatch_plan_run's p_missed).  The older missed
-- times, beyond the limit, are not run: one skipped run records them, due
-- at the last of them.
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

-- Plan the runs of one due schedule and move it to its next fire time.
-- Fire times that passed while nothing dispatched (downtime) follow the
-- job's on_missed: once (one run, for the latest), skip (none), all (see
-- _dispatch_plan_missed).
CREATE FUNCTION @extschema@._dispatch_plan_schedule(s @extschema@.jobmon_schedule) RETURNS void
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

-- Plan the runs of every due schedule.  A schedule that cannot be planned
-- breaks its job, never the dispatcher.
CREATE FUNCTION @extschema@._dispatch_plan() RETURNS integer
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    s       @extschema@.jobmon_schedule;
    v_count integer := 0;
    -- A constant, so that it bounds the index scan (clock_timestamp()
    -- in the condition would be a filter over every schedule).
    v_until timestamptz := clock_timestamp() + @extschema@._dispatch_lead();
BEGIN
    FOR s IN
        SELECT * FROM @extschema@.jobmon_schedule x
        WHERE x.next_fire <= v_until
        ORDER BY x.next_fire
        LIMIT 1000
        FOR UPDATE SKIP LOCKED
    LOOP
        BEGIN
            PERFORM @extschema@._dispatch_plan_schedule(s);
        EXCEPTION WHEN OTHERS THEN
            PERFORM @extschema@._job_break(s.job_id, 'its schedule could not be dispatched: ' || SQLERRM);
        END;
        v_count := v_count + 1;
    END LOOP;
    RETURN v_count;
END
$$;

-- A planned run of job j at p_due_at, or a skipped one when as many runs
-- as max_instances are already under way (on_overlap = skip, or queue with
-- one already queued), or when a schedule fired before the jobs it depends
-- on succeeded (sql/dependencies/depends.sql).  A run of a missed fire time
-- (p_missed, on_missed all) is never skipped for the runs under way: it
-- waits for them, as the claim starts the runs of a job in fire-time order
-- (sql/dispatch/claim.sql).
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
