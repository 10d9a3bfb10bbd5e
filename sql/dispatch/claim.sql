-- Claiming: choosing the next waiting run that may start, for the
-- dispatcher's launch (launch.sql) and for a worker's next run
-- (sql/run/worker.sql, _worker_next), and skipping the runs that never can.

-- Mark a waiting run skipped, with the reason.
CREATE FUNCTION @extschema@._run_skip(p_run_id bigint, p_reason text) RETURNS void
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_job_id bigint;
BEGIN
    UPDATE @extschema@.jobmon_run r SET status = 'skipped', reason = p_reason, finished_at = now()
    WHERE r.run_id = p_run_id
    RETURNING r.job_id INTO v_job_id;
    PERFORM @extschema@._dependants_notify(v_job_id);     -- a one-off job that never ran failed
END
$$;

CREATE FUNCTION @extschema@._run_late_reason(j @extschema@.jobmon_job) RETURNS text
LANGUAGE sql IMMUTABLE
AS $$
    SELECT format('could not start within %s of its due time (%s)', j.last_start_available,
                  CASE WHEN j.oneoff THEN 'max_wait_interval' ELSE 'last_start_available' END)
$$;

-- Why run r of job j can never start (it is then skipped with this
-- reason), or NULL.
CREATE FUNCTION @extschema@._run_skip_reason(r @extschema@.jobmon_run, j @extschema@.jobmon_job) RETURNS text
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

-- Whether waiting run r of job j may start now: fewer than max_instances
-- runs of the job are starting or running, and no earlier run of the job
-- waits.  The runs of a job thus start in due order (the runs of missed
-- fire times, on_missed all, one after the other), even when another
-- claimer holds the earlier run locked, which the claim's SKIP LOCKED
-- would pass.
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

-- Lock and return the first waiting run due by p_until that may start now,
-- of a periodic or a one-off job, as p_run_as when that is given; runs that
-- can never start are skipped on the way.  Returns NULL when none may.
-- The claim reads jobmon_run alone, walking jobmon_run_waiting_idx (or, for
-- a role, jobmon_run_waiting_role_idx) in due order.  enable_sort is off so
-- that the planner keeps that plan whatever the statistics say: taken right
-- after a burst of submit_job(), they count few waiting runs, and a plan
-- that sorts or joins all of them then costs milliseconds per claim.
CREATE FUNCTION @extschema@._run_claim(p_oneoff boolean, p_run_as name, p_until timestamptz)
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

-- Waiting runs that can no longer start within last_start_available (for
-- one-off jobs, max_wait_interval) of their due time, also while no slot is
-- free.
CREATE FUNCTION @extschema@._runs_skip_expired() RETURNS void
LANGUAGE sql
SET search_path = @extschema@, pg_temp
AS $$
    SELECT @extschema@._run_skip(x.run_id, @extschema@._run_late_reason(j))
    FROM @extschema@.jobmon_run x JOIN @extschema@.jobmon_job j ON j.job_id = x.job_id
    WHERE x.status = 'waiting' AND j.last_start_available IS NOT NULL
      AND x.due_at + j.last_start_available < clock_timestamp()
$$;
