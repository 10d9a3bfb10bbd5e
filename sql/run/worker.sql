-- The worker's side of a run: exactly the SQL functions that the worker
-- (src/bookkeeping.c) calls, in the order it calls them; the C declares
-- them, with the result columns it reads, in src/bookkeeping_calls.h:
--
--   _worker_begin        claim the run the dispatcher started the worker
--                        for, open its job_log row, return the job
--   _worker_step_open    open a command's step (a job_detail row)
--   _log_event           record a message the command raised
--                        (sql/logging/writes.sql)
--   _worker_step_close   close the step; say whether the run may go on
--   _worker_end          end the run and its job_log row
--   _worker_next         claim and begin the next due run of the same role
--                        and kind, in _worker_end's transaction
--
-- A run is planned by the dispatcher (waiting), handed to a worker
-- (starting), executed (running), and ended (success, failure, timeout,
-- cancelled or skipped).  The worker calls these as the extension's owner,
-- in transactions of its own; nobody else may call them.  A run is logged
-- as a logged job, so its job_log row and steps are written here too.

-- The run a worker was started for (the dispatcher marked it starting, and the
-- worker has waited for the dispatcher's transaction to end): no row when it is
-- no longer to start.
CREATE FUNCTION @extschema@._worker_begin(p_run_id bigint) RETURNS SETOF @extschema@._worker_run
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_run @extschema@.jobmon_run;
    v_def @extschema@._worker_run;
BEGIN
    SELECT * INTO v_run FROM @extschema@.jobmon_run r
    WHERE r.run_id = p_run_id AND r.status = 'starting' FOR UPDATE;
    IF FOUND THEN
        v_def := @extschema@._run_set_running(v_run);
        IF v_def.run_id IS NOT NULL THEN
            RETURN NEXT v_def;
        END IF;
    END IF;
END
$$;

-- Start run r, which the calling worker holds locked: mark it running in
-- one update, open its job_log row, and return what the worker needs of
-- its job.  The worker is logged in as the role its job ran as when the
-- run was launched (session_user: the worker's own login, which its jobs
-- cannot change); if the job's run_as has changed since, the run goes
-- back to waiting for a worker of the new role, and the result is NULL:
-- no job's commands ever run as another role than its run_as.  The job is
-- locked so that its commands and run_as cannot change meanwhile.
--
-- started_at is the clock now, not now(): the transaction may have begun
-- long before the run was claimed (_worker_end's, for _worker_next, or one
-- that waited for the row lock), even before the run it waited for ended,
-- whose finished_at is that transaction's now().  A run would then seem to
-- have started before the run it followed ended.
CREATE FUNCTION @extschema@._run_set_running(r @extschema@.jobmon_run) RETURNS @extschema@._worker_run
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

CREATE FUNCTION @extschema@._worker_step_open(p_run_id bigint, p_action text) RETURNS bigint
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    RETURN @extschema@._log_step_open((SELECT r.log_id FROM @extschema@.jobmon_run r WHERE r.run_id = p_run_id),
                                       p_action);
END
$$;

-- Close a step; returns whether the run may go on: false once cancel_job()
-- ended its job_log row or the dispatcher asked it to stop (a running run has a
-- reason only then).
CREATE FUNCTION @extschema@._worker_step_close(p_run_id bigint, p_step_id bigint, p_ok boolean, p_message text)
RETURNS boolean
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    -- A step that cancel_job() already closed keeps its word on who did it.
    IF EXISTS (SELECT FROM @extschema@.job_detail d WHERE d.step_id = p_step_id AND d.end_time IS NULL) THEN
        PERFORM @extschema@._log_step_close(p_step_id,
            (SELECT t.alert_text FROM @extschema@.job_status_text t WHERE t.alert_code = CASE WHEN p_ok THEN 1 ELSE 3 END),
            p_message);
    END IF;
    RETURN EXISTS (
        SELECT FROM @extschema@.jobmon_run r JOIN @extschema@.job_log l ON l.job_id = r.log_id
        WHERE r.run_id = p_run_id AND r.reason IS NULL AND l.end_time IS NULL);
END
$$;

-- End a run: its jobmon_run row, its job_log row, and what follows from it
-- (a retry, a resubmission, next_time_statement's result, a broken job,
-- the jobs that depend on it).
CREATE FUNCTION @extschema@._worker_end(p_run_id bigint, p_outcome text, p_reason text,
                                        p_next_time text, p_next_time_error text,
                                        p_resubmit_after interval)
RETURNS void
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_run      @extschema@.jobmon_run;
    v_job      @extschema@.jobmon_job;
    v_log      @extschema@.job_log;
    v_outcome  text := p_outcome;
    v_reason   text := p_reason;
    v_error    record;
    v_next     timestamptz;
    v_retry_at timestamptz;
BEGIN
    SELECT * INTO v_run FROM @extschema@.jobmon_run r WHERE r.run_id = p_run_id FOR UPDATE;
    SELECT * INTO v_log FROM @extschema@.job_log l WHERE l.job_id = v_run.log_id;
    SELECT * INTO v_job FROM @extschema@.jobmon_job j WHERE j.job_id = v_run.job_id;

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
        PERFORM @extschema@._log_step_close(@extschema@._log_step_open(v_run.log_id, 'max_run_time exceeded'),
                                          'CRITICAL', v_reason);
    END IF;

    -- The reason of a failure is its step's message: the error, cut to
    -- capture_max_message_bytes (the whole error is its step's event).  A
    -- command that names a role, table, function or schema that is gone
    -- fails the same way every time: stop scheduling the job.
    IF v_outcome = 'failure' THEN
        SELECT e.sqlstate, d.message INTO v_error
        FROM @extschema@.jobmon_event e JOIN @extschema@.job_detail d ON d.step_id = e.step_id
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
    UPDATE @extschema@.jobmon_run r SET status = v_outcome, reason = v_reason, finished_at = now()
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
        IF v_next IS NULL OR NOT isfinite(v_next) THEN
            PERFORM @extschema@._job_break(v_job.job_id,
                format('next_time_statement returned %s, not a %s', coalesce('"' || p_next_time || '"', 'no value'),
                       CASE WHEN v_next IS NULL THEN 'time' ELSE 'finite time' END));
            RETURN;
        END IF;
        UPDATE @extschema@.jobmon_schedule s SET override_time = v_next
        WHERE s.job_id = v_job.job_id AND (s.schedule_id = v_run.schedule_id OR v_run.schedule_id IS NULL);
        PERFORM @extschema@._schedules_refresh(v_job.job_id);
    END IF;
END
$$;

-- Plan the retry of a failed or timed-out run, when its job has retries
-- left and still runs: after retry_delay * retry_backoff^(attempt - 1),
-- at most max_retry_delay.  Returns when the retry is due, or NULL.
CREATE FUNCTION @extschema@._run_retry(r @extschema@.jobmon_run, p_outcome text) RETURNS timestamptz
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    j       @extschema@.jobmon_job;
    v_delay float8;
    v_cap   float8;
    v_due   timestamptz;
BEGIN
    SELECT * INTO j FROM @extschema@.jobmon_job x WHERE x.job_id = r.job_id;
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
    INSERT INTO @extschema@.jobmon_run (job_id, schedule_id, job_name, owner, run_as, oneoff, due_at, attempt)
    VALUES (j.job_id, r.schedule_id, j.name, j.owner, j.run_as, j.oneoff, v_due, r.attempt + 1);
    PERFORM @extschema@._dispatch_wake();
    RETURN v_due;
END
$$;

-- Close the job_log row of an ended run: as RETRYING when a retry follows
-- (not an alert code, so monitoring counts the job as failed only when its
-- attempts are exhausted), else OK or CRITICAL.
CREATE FUNCTION @extschema@._run_log_close(r @extschema@.jobmon_run, p_outcome text, p_retry_at timestamptz)
RETURNS void
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    IF p_retry_at IS NULL THEN
        PERFORM @extschema@._log_job_close(r.log_id, CASE WHEN p_outcome = 'success' THEN 1 ELSE 3 END);
        RETURN;
    END IF;
    PERFORM @extschema@._log_step_close(@extschema@._log_step_open(r.log_id, 'retry'), 'RETRYING',
        format('attempt %s ended with %s; attempt %s is due at %s', r.attempt, p_outcome, r.attempt + 1, p_retry_at));
    UPDATE @extschema@.job_log l SET end_time = now(), status = 'RETRYING' WHERE l.job_id = r.log_id;
END
$$;

-- A worker that has ended a run takes the next one of the same kind and
-- role that is due, in the same slot, instead of exiting: starting a
-- process costs more than most one-off jobs.  It starts the run in the
-- same transaction (_run_set_running); no row when there is none.
CREATE FUNCTION @extschema@._worker_next(p_prev_run_id bigint) RETURNS SETOF @extschema@._worker_run
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    r     @extschema@.jobmon_run;
    v_def @extschema@._worker_run;
BEGIN
    -- A run of the worker's own login role (see _run_set_running), of the
    -- kind of the run that ended.
    r := @extschema@._run_claim((SELECT x.oneoff FROM @extschema@.jobmon_run x WHERE x.run_id = p_prev_run_id),
                                session_user, clock_timestamp());
    IF r.run_id IS NOT NULL THEN
        v_def := @extschema@._run_set_running(r);
    END IF;
    IF v_def.run_id IS NULL THEN
        PERFORM @extschema@._dispatch_wake();       -- a slot is free
        RETURN;
    END IF;
    RETURN NEXT v_def;
END
$$;
