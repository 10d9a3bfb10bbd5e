-- Dependencies between jobs (the job's depends_on): a job runs only after
-- the jobs it depends on have succeeded.  The rules (doc/scheduler.md):
--
-- * "Since" is the start of the dependant's own latest run (or its
--   creation): a dependency is met when its latest run that finished since
--   then succeeded.  A one-off dependency counts with its final outcome,
--   whenever it came.  A failed run with a retry pending is not final.
-- * A periodic job with schedules runs when a schedule is due and every
--   dependency is met; otherwise that fire time is skipped with the reason.
-- * A periodic job without schedules runs as soon as the last of its
--   dependencies succeeds (a chain or DAG: extract -> transform -> load).
-- * A one-off job waits (its run is "blocked") until every dependency is
--   met, and is cancelled as soon as one of them fails or is cancelled, so
--   that it never waits on a job that has ended; a job that others wait
--   for cannot be dropped.
-- * Cycles are refused when depends_on is set.

-- What one dependency says to a dependant whose window starts at p_since:
-- 'met', or 'pending: ...' or 'failed: ...' with the reason.
CREATE FUNCTION @extschema@._depends_state(p_dep_id bigint, p_since timestamptz) RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    d @extschema@.jobmon_job;
    r @extschema@.jobmon_run;
BEGIN
    SELECT * INTO d FROM @extschema@.jobmon_job j WHERE j.job_id = p_dep_id;
    IF NOT FOUND THEN
        RETURN format('failed: job %s no longer exists', p_dep_id);
    END IF;
    IF d.oneoff AND EXISTS (SELECT FROM @extschema@.jobmon_run x WHERE x.job_id = d.job_id
                            AND x.status IN ('blocked', 'waiting', 'starting', 'running')) THEN
        RETURN format('pending: job %s "%s" has not finished', d.job_id, d.name);
    END IF;
    SELECT * INTO r FROM @extschema@.jobmon_run x
    WHERE x.job_id = d.job_id AND x.finished_at IS NOT NULL
      AND (d.oneoff OR (x.status <> 'skipped' AND x.finished_at > p_since))
    ORDER BY x.finished_at DESC, x.run_id DESC LIMIT 1;
    IF NOT FOUND THEN
        RETURN format('pending: job %s "%s" has not finished a run since %s', d.job_id, d.name, p_since);
    ELSIF r.status = 'success' THEN
        RETURN 'met';
    ELSIF EXISTS (SELECT FROM @extschema@.jobmon_run x WHERE x.job_id = d.job_id
                  AND x.status IN ('waiting', 'starting', 'running') AND x.attempt > r.attempt) THEN
        RETURN format('pending: job %s "%s" failed and will be retried', d.job_id, d.name);
    END IF;
    RETURN format('failed: job %s "%s" ended with %s%s', d.job_id, d.name, r.status, coalesce(' (' || r.reason || ')', ''));
END
$$;

-- The start of the window in which a job's dependencies must succeed.
CREATE FUNCTION @extschema@._depends_since(j @extschema@.jobmon_job) RETURNS timestamptz
LANGUAGE sql STABLE
SET search_path = @extschema@, pg_temp
AS $$
    SELECT coalesce((SELECT max(r.created_at) FROM @extschema@.jobmon_run r
                     WHERE r.job_id = j.job_id AND r.status <> 'skipped'), j.created_at)
$$;

-- NULL when every dependency of j is met; else the first failed one's
-- state, or the first pending one's.
CREATE FUNCTION @extschema@._depends_problem(j @extschema@.jobmon_job) RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_since  timestamptz := @extschema@._depends_since(j);
    v_state  text;
    v_result text;
BEGIN
    FOR v_state IN SELECT @extschema@._depends_state(d, v_since) FROM unnest(j.depends_on) d LOOP
        IF v_state LIKE 'failed:%' THEN
            RETURN v_state;
        END IF;
        v_result := coalesce(v_result, nullif(v_state, 'met'));
    END LOOP;
    RETURN v_result;
END
$$;

-- A run of job p_job_id ended (or its job was cancelled): move on the jobs
-- that depend on it.  Each dependant is locked first, so that of two runs
-- ending at once the second sees the first.
CREATE FUNCTION @extschema@._dependants_notify(p_job_id bigint) RETURNS void
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    j         @extschema@.jobmon_job;
    v_problem text;
BEGIN
    FOR j IN
        SELECT * FROM @extschema@.jobmon_job x WHERE x.depends_on @> ARRAY[p_job_id]
        ORDER BY x.job_id FOR UPDATE
    LOOP
        v_problem := @extschema@._depends_problem(j);
        IF j.oneoff THEN
            IF v_problem IS NULL THEN
                UPDATE @extschema@.jobmon_run r SET status = 'waiting', due_at = greatest(r.due_at, now())
                WHERE r.job_id = j.job_id AND r.status = 'blocked';
                PERFORM @extschema@._dispatch_wake();
            ELSIF v_problem LIKE 'failed:%' THEN
                UPDATE @extschema@.jobmon_run r
                SET status = 'cancelled', finished_at = now(),
                    reason = 'a dependency failed: ' || substr(v_problem, length('failed: ') + 1)
                WHERE r.job_id = j.job_id AND r.status = 'blocked';
                IF FOUND THEN
                    PERFORM @extschema@._dependants_notify(j.job_id);
                END IF;
            END IF;
        ELSIF v_problem IS NULL AND j.active AND j.broken_reason IS NULL
              AND NOT EXISTS (SELECT FROM @extschema@.jobmon_schedule s WHERE s.job_id = j.job_id) THEN
            PERFORM @extschema@._dispatch_plan_run(j, NULL, now());
            PERFORM @extschema@._dispatch_wake();
        END IF;
    END LOOP;
END
$$;

-- The ids of a depends_on option: job ids or names of jobs the caller may
-- see, with no cycle through p_job_id.
CREATE FUNCTION @extschema@._depends_resolve(p_function text, p_job_id bigint, p_value jsonb)
RETURNS bigint[]
LANGUAGE plpgsql STABLE
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_caller name := @extschema@._caller();
    v_ids    bigint[] := '{}';
    v_elem   jsonb;
    v_id     bigint;
BEGIN
    IF p_value IS NULL OR jsonb_typeof(p_value) = 'null' THEN
        RETURN NULL;
    END IF;
    FOR v_elem IN SELECT e FROM jsonb_array_elements(
            CASE WHEN jsonb_typeof(p_value) = 'array' THEN p_value ELSE jsonb_build_array(p_value) END) e LOOP
        IF jsonb_typeof(v_elem) = 'number' AND (v_elem #>> '{}') ~ '^[0-9]{1,18}$' THEN
            SELECT j.job_id INTO v_id FROM @extschema@.jobmon_job j
            WHERE j.job_id = (v_elem #>> '{}')::bigint AND @extschema@._is_job_role(v_caller, j.owner, j.run_as);
        ELSIF jsonb_typeof(v_elem) = 'string' THEN
            SELECT j.job_id INTO v_id FROM @extschema@.jobmon_job j
            WHERE upper(j.name) = upper(v_elem #>> '{}') AND NOT j.oneoff
              AND @extschema@._is_job_role(v_caller, j.owner, j.run_as);
        ELSE
            PERFORM @extschema@._job_option_error(p_function, 'depends_on', p_value,
                'Each element must be a job id or a job name.', 'Give e.g. [12, "extract"].');
        END IF;
        IF v_id IS NULL THEN
            RAISE EXCEPTION 'job % does not exist', v_elem
                USING ERRCODE = 'undefined_object',
                      DETAIL = format('depends_on of %s() names %s, which is no job that role "%s" owns or runs as.',
                                      p_function, v_elem, v_caller),
                      HINT = 'Give the id or name of an existing job; get_owned_jobs() lists yours.';
        END IF;
        v_ids := v_ids || v_id;
        v_id := NULL;
    END LOOP;
    PERFORM @extschema@._depends_check_cycle(p_function, p_job_id, v_ids);
    RETURN nullif(v_ids, '{}');
END
$$;

-- Refuse depends_on p_ids for job p_job_id when a path of dependencies
-- leads from one of them back to the job.
CREATE FUNCTION @extschema@._depends_check_cycle(p_function text, p_job_id bigint, p_ids bigint[])
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_path bigint[];
BEGIN
    WITH RECURSIVE walk(job_id, path) AS (
        SELECT d, ARRAY[p_job_id, d] FROM unnest(p_ids) d
        UNION ALL
        SELECT d, w.path || d
        FROM walk w JOIN @extschema@.jobmon_job j ON j.job_id = w.job_id, unnest(j.depends_on) d
        WHERE w.job_id <> p_job_id AND NOT d = ANY (w.path[2:])
    )
    SELECT w.path INTO v_path FROM walk w WHERE w.job_id = p_job_id LIMIT 1;
    IF v_path IS NOT NULL THEN
        RAISE EXCEPTION 'dependencies of job % would form a cycle', p_job_id
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('%s() got depends_on %s; job %s would wait for itself through %s.',
                                  p_function, p_ids, p_job_id, array_to_string(v_path, ' -> ')),
                  HINT = 'Remove one of the jobs on that path from depends_on.';
    END IF;
END
$$;

-- drop_job: a job others wait for is not dropped from under them.
CREATE FUNCTION @extschema@._depends_check_drop(p_job_id bigint) RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_dependants text;
BEGIN
    SELECT string_agg(format('%s "%s"', j.job_id, j.name), ', ' ORDER BY j.job_id) INTO v_dependants
    FROM @extschema@.jobmon_job j
    WHERE j.depends_on @> ARRAY[p_job_id] AND j.job_id <> p_job_id
      AND (NOT j.oneoff OR EXISTS (SELECT FROM @extschema@.jobmon_run r
                                   WHERE r.job_id = j.job_id AND r.status = 'blocked'));
    IF v_dependants IS NOT NULL THEN
        RAISE EXCEPTION 'cannot drop job % because other jobs depend on it', p_job_id
            USING ERRCODE = 'dependent_objects_still_exist',
                  DETAIL = 'Jobs depending on it: ' || v_dependants || '.',
                  HINT = 'Drop those jobs first, or remove the job from their depends_on with set_job_attributes().';
    END IF;
END
$$;
