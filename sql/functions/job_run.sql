-- The life of a run: planned by the tick (waiting), handed to a worker
-- (starting), executed (running), and ended (success, failure, timeout,
-- cancelled or skipped).  The _run_* functions are called by the worker
-- (src/worker.c) as the extension's owner, in transactions of their own;
-- nobody else may call them.  A run is logged as a pg_jobmon job, so its
-- job_log row and steps are written here too.

-- The log of a scheduled run is written by its worker and by the roles
-- of its job; through the logging API (SECURITY DEFINER writers open to
-- all) no other role may end, cancel or rewrite it.
CREATE FUNCTION @extschema@._run_log_guard(p_job_id bigint) RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_run    @extschema@.job_run;
    v_caller name;
BEGIN
    SELECT * INTO v_run FROM @extschema@.job_run r WHERE r.log_id = p_job_id;
    IF NOT FOUND OR v_run.pid IS NOT DISTINCT FROM pg_backend_pid() THEN  -- the run's own worker
        RETURN;
    END IF;
    v_caller := @extschema@._caller();
    IF NOT @extschema@._is_job_role(v_caller, v_run.owner, v_run.run_as) THEN
        RAISE EXCEPTION 'permission denied to write the log of a scheduled run'
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = format('Job %s of job_log is run %s of scheduled job "%s", which role "%s" neither owns nor runs as.',
                                  p_job_id, v_run.run_id, v_run.job_name, v_caller),
                  HINT = 'Only the job''s owner, its run_as role or a superuser can log to or cancel its runs.';
    END IF;
END
$$;

-- Mark a job broken: it stops being scheduled until activate_job().
CREATE FUNCTION @extschema@._job_break(p_job_id bigint, p_reason text) RETURNS void
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_old @extschema@.job;
BEGIN
    SELECT * INTO v_old FROM @extschema@.job j WHERE j.job_id = p_job_id FOR UPDATE;
    IF FOUND AND v_old.broken_reason IS NULL THEN
        UPDATE @extschema@.job j SET broken_reason = p_reason WHERE j.job_id = p_job_id;
        PERFORM @extschema@._schedules_refresh(p_job_id);
        INSERT INTO @extschema@.job_audit (changed_by, action, job_id, old_value, new_value)
        VALUES (current_user, 'broken', p_job_id, to_jsonb(v_old),
                jsonb_build_object('broken_reason', p_reason));
    END IF;
END
$$;

-- Why a job cannot run as its role now, or NULL when it can.
CREATE FUNCTION @extschema@._job_role_problem(p_job @extschema@.job) RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    RETURN (SELECT CASE
        WHEN r.oid IS NULL THEN format('role "%s" that the job runs as no longer exists', p_job.run_as)
        WHEN NOT r.rolcanlogin THEN format('role "%s" that the job runs as cannot log in', p_job.run_as)
        WHEN o.oid IS NULL THEN format('role "%s" that owns the job no longer exists', p_job.owner)
        WHEN NOT (o.rolsuper OR pg_catalog.pg_has_role(o.oid, r.oid, 'MEMBER'))
            THEN format('role "%s" that owns the job is no longer a member of role "%s"', p_job.owner, p_job.run_as)
        END
    FROM (SELECT) AS dummy
    LEFT JOIN pg_catalog.pg_roles r ON r.rolname = p_job.run_as
    LEFT JOIN pg_catalog.pg_roles o ON o.rolname = p_job.owner);
END
$$;

-- A planned run of job j at p_due_at, or a skipped one when as many runs
-- as max_instances are already under way (on_overlap = skip, or queue with
-- one already queued), or when a schedule fired before the jobs it depends
-- on succeeded (functions/job_depends.sql).
CREATE FUNCTION @extschema@._run_plan(j @extschema@.job, p_schedule_id bigint, p_due_at timestamptz)
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
    SELECT count(*), count(*) FILTER (WHERE r.status = 'waiting') INTO v_active, v_waiting
    FROM @extschema@.job_run r
    WHERE r.job_id = j.job_id AND r.status IN ('waiting', 'starting', 'running');
    IF v_active >= j.max_instances AND NOT (j.on_overlap = 'queue' AND v_waiting = 0) THEN
        v_status := 'skipped';
        v_reason := format('%s run(s) of the job were still under way (max_instances %s, on_overlap %s)',
                           v_active, j.max_instances, j.on_overlap);
    ELSIF p_schedule_id IS NOT NULL AND j.depends_on IS NOT NULL THEN
        v_reason := 'dependencies not met: ' || @extschema@._depends_problem(j);
        v_status := CASE WHEN v_reason IS NULL THEN 'waiting' ELSE 'skipped' END;
    END IF;
    INSERT INTO @extschema@.job_run (job_id, schedule_id, job_name, owner, run_as, oneoff, due_at, status,
                                     reason, finished_at)
    VALUES (j.job_id, p_schedule_id, j.name, j.owner, j.run_as, j.oneoff, p_due_at, v_status, v_reason,
            CASE WHEN v_status = 'skipped' THEN now() END);
END
$$;

-- Start run r, which the calling worker holds locked: mark it running in
-- one update, open its job_log row, and return what the worker needs of
-- its job.
CREATE FUNCTION @extschema@._run_begin(r @extschema@.job_run) RETURNS @extschema@._run_definition
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_job @extschema@.job;
BEGIN
    SELECT * INTO v_job FROM @extschema@.job j WHERE j.job_id = r.job_id;
    UPDATE @extschema@.job_run x
    SET status = 'running', started_at = now(), pid = pg_backend_pid(),
        log_id = @extschema@._log_job_start(r.job_name, r.run_as::text, pg_backend_pid())
    WHERE x.run_id = r.run_id;
    RETURN (r.run_id, v_job.commands, v_job.use_same_transaction, v_job.onrollback,
            v_job.next_time_statement, (extract(epoch FROM v_job.max_run_time) * 1000)::bigint,
            v_job.capture_level, v_job.job_id, v_job.oneoff, v_job.params)::@extschema@._run_definition;
END
$$;

-- The run a worker was started for (the tick marked it starting, and the
-- worker has waited for the tick's transaction to end): no row when it is
-- no longer to start.
CREATE FUNCTION @extschema@._run_start(p_run_id bigint) RETURNS SETOF @extschema@._run_definition
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_run @extschema@.job_run;
BEGIN
    SELECT * INTO v_run FROM @extschema@.job_run r
    WHERE r.run_id = p_run_id AND r.status = 'starting' FOR UPDATE;
    IF FOUND THEN
        RETURN NEXT @extschema@._run_begin(v_run);
    END IF;
END
$$;

CREATE FUNCTION @extschema@._run_step_start(p_run_id bigint, p_action text) RETURNS bigint
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    RETURN @extschema@._log_step_start((SELECT r.log_id FROM @extschema@.job_run r WHERE r.run_id = p_run_id),
                                       p_action);
END
$$;

-- Close a step; returns whether the run may go on: false once cancel_job()
-- ended its job_log row or the tick asked it to stop (a running run has a
-- reason only then).
CREATE FUNCTION @extschema@._run_step_end(p_run_id bigint, p_step_id bigint, p_ok boolean, p_message text)
RETURNS boolean
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    -- A step that cancel_job() already closed keeps its word on who did it.
    IF EXISTS (SELECT FROM @extschema@.job_detail d WHERE d.step_id = p_step_id AND d.end_time IS NULL) THEN
        PERFORM @extschema@._log_step_end(p_step_id,
            (SELECT t.alert_text FROM @extschema@.job_status_text t WHERE t.alert_code = CASE WHEN p_ok THEN 1 ELSE 3 END),
            p_message);
    END IF;
    RETURN EXISTS (
        SELECT FROM @extschema@.job_run r JOIN @extschema@.job_log l ON l.job_id = r.log_id
        WHERE r.run_id = p_run_id AND r.reason IS NULL AND l.end_time IS NULL);
END
$$;

-- Plan the retry of a failed or timed-out run, when its job has retries
-- left and still runs: after retry_delay * retry_backoff^(attempt - 1),
-- at most max_retry_delay.  Returns when the retry is due, or NULL.
CREATE FUNCTION @extschema@._run_retry(r @extschema@.job_run, p_outcome text) RETURNS timestamptz
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    j       @extschema@.job;
    v_delay float8;
    v_cap   float8;
    v_due   timestamptz;
BEGIN
    SELECT * INTO j FROM @extschema@.job x WHERE x.job_id = r.job_id;
    IF NOT FOUND OR p_outcome NOT IN ('failure', 'timeout') OR r.attempt > j.retries
       OR j.broken_reason IS NOT NULL OR NOT j.active THEN
        RETURN NULL;
    END IF;
    -- In seconds and through logarithms, so that a large backoff or attempt
    -- caps instead of overflowing.
    v_delay := extract(epoch FROM j.retry_delay);
    v_cap := coalesce(extract(epoch FROM j.max_retry_delay), 1e9);
    IF v_delay > 0 THEN
        v_delay := CASE WHEN ln(v_delay) + (r.attempt - 1) * ln(j.retry_backoff) < ln(v_cap)
                        THEN v_delay * power(j.retry_backoff, r.attempt - 1) ELSE v_cap END;
    END IF;
    v_due := now() + make_interval(secs => v_delay);
    INSERT INTO @extschema@.job_run (job_id, schedule_id, job_name, owner, run_as, oneoff, due_at, attempt)
    VALUES (j.job_id, r.schedule_id, j.name, j.owner, j.run_as, j.oneoff, v_due, r.attempt + 1);
    PERFORM @extschema@._tick_wake();
    RETURN v_due;
END
$$;

-- Close the job_log row of an ended run: as RETRYING when a retry follows
-- (not an alert code, so monitoring counts the job as failed only when its
-- attempts are exhausted), else OK or CRITICAL.
CREATE FUNCTION @extschema@._run_log_close(r @extschema@.job_run, p_outcome text, p_retry_at timestamptz)
RETURNS void
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    IF p_retry_at IS NULL THEN
        PERFORM @extschema@._log_job_end(r.log_id, CASE WHEN p_outcome = 'success' THEN 1 ELSE 3 END);
        RETURN;
    END IF;
    PERFORM @extschema@._log_step_end(@extschema@._log_step_start(r.log_id, 'retry'), 'RETRYING',
        format('attempt %s ended with %s; attempt %s is due at %s', r.attempt, p_outcome, r.attempt + 1, p_retry_at));
    UPDATE @extschema@.job_log l SET end_time = now(), status = 'RETRYING' WHERE l.job_id = r.log_id;
END
$$;

-- End a run: its job_run row, its job_log row, and what follows from it
-- (a retry, a resubmission, next_time_statement's result, a broken job,
-- the jobs that depend on it).
CREATE FUNCTION @extschema@._run_finish(p_run_id bigint, p_outcome text, p_reason text,
                                        p_next_time text, p_next_time_error text,
                                        p_resubmit_after interval)
RETURNS void
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_run      @extschema@.job_run;
    v_job      @extschema@.job;
    v_log      @extschema@.job_log;
    v_outcome  text := p_outcome;
    v_reason   text := p_reason;
    v_error    record;
    v_next     timestamptz;
    v_retry_at timestamptz;
BEGIN
    SELECT * INTO v_run FROM @extschema@.job_run r WHERE r.run_id = p_run_id FOR UPDATE;
    SELECT * INTO v_log FROM @extschema@.job_log l WHERE l.job_id = v_run.log_id;
    SELECT * INTO v_job FROM @extschema@.job j WHERE j.job_id = v_run.job_id;

    IF v_log.end_time IS NOT NULL THEN
        v_outcome := 'cancelled';
        v_reason := coalesce(v_reason, 'cancelled through cancel_job()');
    ELSIF v_run.reason IS NOT NULL THEN
        v_outcome := 'cancelled';
        v_reason := v_run.reason;
    END IF;
    IF v_outcome = 'timeout' THEN
        v_reason := coalesce(v_reason, format('cancelled after %s %s',
                                              CASE WHEN v_job.oneoff THEN 'max_duration' ELSE 'max_run_time' END,
                                              v_job.max_run_time));
        PERFORM @extschema@._log_step_end(@extschema@._log_step_start(v_run.log_id, 'max_run_time exceeded'),
                                          'CRITICAL', v_reason);
    END IF;

    -- A command that names a role, table, function or schema that is gone
    -- fails the same way every time: stop scheduling the job.
    IF v_outcome = 'failure' THEN
        SELECT e.sqlstate, e.message INTO v_error FROM @extschema@.job_event e
        WHERE e.job_id = v_run.log_id AND e.severity = 'ERROR' ORDER BY e.event_id DESC LIMIT 1;
        v_reason := coalesce(v_reason, v_error.message);
        IF v_error.sqlstate IN ('42P01', '42883', '3F000', '42704', '3D000') THEN
            PERFORM @extschema@._job_break(v_run.job_id, format('%s (SQLSTATE %s)', v_error.message, v_error.sqlstate));
        END IF;
    END IF;

    v_retry_at := @extschema@._run_retry(v_run, v_outcome);
    IF v_log.end_time IS NULL THEN
        PERFORM @extschema@._run_log_close(v_run, v_outcome, v_retry_at);
    END IF;
    IF v_outcome = 'success' AND p_resubmit_after IS NOT NULL THEN
        v_reason := @extschema@._oneoff_resubmit(v_run, p_resubmit_after);
    END IF;
    UPDATE @extschema@.job_run r SET status = v_outcome, reason = v_reason, finished_at = now()
    WHERE r.run_id = p_run_id;
    PERFORM @extschema@._dependants_notify(v_run.job_id);

    IF v_job.next_time_statement IS NOT NULL THEN
        IF p_next_time_error IS NOT NULL THEN
            PERFORM @extschema@._job_break(v_job.job_id, 'next_time_statement failed: ' || p_next_time_error);
            RETURN;
        END IF;
        BEGIN
            v_next := p_next_time::timestamptz;
        EXCEPTION WHEN OTHERS THEN
            v_next := NULL;
        END;
        IF v_next IS NULL THEN
            PERFORM @extschema@._job_break(v_job.job_id,
                format('next_time_statement returned %s, not a time', coalesce('"' || p_next_time || '"', 'no value')));
            RETURN;
        END IF;
        UPDATE @extschema@.job_schedule s SET override_time = v_next
        WHERE s.job_id = v_job.job_id AND (s.schedule_id = v_run.schedule_id OR v_run.schedule_id IS NULL);
        PERFORM @extschema@._schedules_refresh(v_job.job_id);
    END IF;
END
$$;

CREATE FUNCTION @extschema@._process_exists(p_pid integer) RETURNS boolean
LANGUAGE C STRICT VOLATILE
AS 'MODULE_PATHNAME', 'jobmon_process_exists';

-- Close runs whose worker is gone (terminated, crashed, server restart):
-- each once, as failed with the reason, or as timed out when the tick
-- terminated it for running past max_run_time.
CREATE FUNCTION @extschema@._runs_close_orphaned() RETURNS integer
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_run    @extschema@.job_run;
    v_status text;
    v_reason text;
    v_retry_at timestamptz;
    v_count  integer := 0;
BEGIN
    FOR v_run IN
        SELECT r.* FROM @extschema@.job_run r
        WHERE r.status IN ('starting', 'running')
          AND CASE WHEN r.status = 'running'
                   THEN NOT EXISTS (SELECT FROM pg_catalog.pg_stat_activity a
                                    WHERE a.pid = r.pid AND a.backend_type = 'pg_jobmon worker')
                   -- A worker is not in pg_stat_activity until it has connected.
                   ELSE NOT coalesce(@extschema@._process_exists(r.pid), false)
                        AND r.started_at < now() - interval '1 second' END
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
        UPDATE @extschema@.job_run r SET status = v_status, reason = v_reason, finished_at = now()
        WHERE r.run_id = v_run.run_id;
        v_retry_at := @extschema@._run_retry(v_run, v_status);
        IF v_run.log_id IS NOT NULL AND EXISTS (SELECT FROM @extschema@.job_log l
                                                WHERE l.job_id = v_run.log_id AND l.end_time IS NULL) THEN
            PERFORM @extschema@._log_step_end(@extschema@._log_step_start(v_run.log_id, 'worker vanished'),
                                              'CRITICAL', v_reason);
            PERFORM @extschema@._run_log_close(v_run, v_status, v_retry_at);
        END IF;
        PERFORM @extschema@._dependants_notify(v_run.job_id);
        v_count := v_count + 1;
    END LOOP;
    RETURN v_count;
END
$$;

REVOKE ALL ON FUNCTION @extschema@._run_begin(@extschema@.job_run), @extschema@._run_start(bigint),
    @extschema@._run_step_start(bigint, text),
    @extschema@._run_step_end(bigint, bigint, boolean, text),
    @extschema@._run_finish(bigint, text, text, text, text, interval) FROM PUBLIC;
