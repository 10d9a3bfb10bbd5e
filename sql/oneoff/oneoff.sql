-- One-off jobs, as pgpro_scheduler's submit_job(): a query that runs once,
-- not before run_after and after the jobs it depends on, with its
-- parameters bound as real parameters.  A one-off job is a row of jobmon_job with
-- oneoff set and no schedule; each of its runs (the first, retries,
-- resubmissions) is a jobmon_run row and a logged pg_jobmon job like any other.
-- Its runs use their own worker allowance, max_oneoff_workers.

CREATE FUNCTION @extschema@._oneoff_check_interval(p_function text, p_name text, p_value interval)
RETURNS void
LANGUAGE plpgsql IMMUTABLE
SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    IF p_value <= interval '0' THEN
        RAISE EXCEPTION 'argument % of %() must be longer than zero', p_name, p_function
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('%s() got %s = %s.', p_function, p_name, p_value),
                  HINT = 'Give a positive interval, or NULL for no limit.';
    END IF;
    PERFORM @extschema@._interval_check_bound(p_function, 'argument ' || p_name, p_value);
END
$$;

-- The argument names are pgpro_scheduler's, so that calls with named
-- arguments (submit_job(query => ..., run_after => ...)) keep working.
CREATE FUNCTION @extschema@.submit_job(query text, params text[] DEFAULT NULL,
    run_after timestamptz DEFAULT NULL, node text DEFAULT NULL, max_duration interval DEFAULT NULL,
    max_wait_interval interval DEFAULT NULL, run_as text DEFAULT NULL, depends_on bigint[] DEFAULT NULL,
    name text DEFAULT NULL, comments text DEFAULT NULL, resubmit_limit bigint DEFAULT 100)
RETURNS bigint
LANGUAGE C AS 'MODULE_PATHNAME', 'jobmon_api';

CREATE FUNCTION @extschema@._api_submit_job(query text, params text[],
    run_after timestamptz, node text, max_duration interval,
    max_wait_interval interval, run_as text, depends_on bigint[],
    name text, comments text, resubmit_limit bigint)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_caller  name := @extschema@._caller();
    j         @extschema@.jobmon_job;
    v_problem text;
BEGIN
    PERFORM @extschema@._check_may_schedule();
    IF _api_submit_job.query IS NULL OR btrim(_api_submit_job.query) = '' THEN
        RAISE EXCEPTION 'query of submit_job() must not be empty'
            USING ERRCODE = CASE WHEN _api_submit_job.query IS NULL THEN 'null_value_not_allowed'
                                 ELSE 'invalid_parameter_value' END,
                  DETAIL = format('submit_job() got %s.', coalesce(quote_literal(_api_submit_job.query), 'NULL')),
                  HINT = 'Pass the SQL to run, e.g. submit_job(''VACUUM my_table'').';
    END IF;
    IF _api_submit_job.node IS NOT NULL THEN
        RAISE EXCEPTION 'argument node of submit_job() is not supported'
            USING ERRCODE = 'feature_not_supported',
                  DETAIL = format('submit_job() got node = %L; pg_jobmon runs every job on the server where it was submitted.',
                                  _api_submit_job.node),
                  HINT = 'Leave node out (NULL).';
    END IF;
    IF _api_submit_job.resubmit_limit IS NULL OR _api_submit_job.resubmit_limit < 0 THEN
        RAISE EXCEPTION 'resubmit_limit of submit_job() must be 0 or more'
            USING ERRCODE = CASE WHEN _api_submit_job.resubmit_limit IS NULL THEN 'null_value_not_allowed'
                                 ELSE 'invalid_parameter_value' END,
                  DETAIL = format('submit_job() got resubmit_limit = %s.', coalesce(_api_submit_job.resubmit_limit::text, 'NULL')),
                  HINT = 'Give how many times the job may resubmit itself, e.g. 100 (the default).';
    END IF;
    PERFORM @extschema@._oneoff_check_interval('submit_job', 'max_duration', _api_submit_job.max_duration);
    PERFORM @extschema@._oneoff_check_interval('submit_job', 'max_wait_interval', _api_submit_job.max_wait_interval);
    IF _api_submit_job.run_after IS NOT NULL THEN
        PERFORM @extschema@._time_check_finite('submit_job', 'argument run_after', _api_submit_job.run_after);
    END IF;

    j := @extschema@._job_new(v_caller);
    j.oneoff := true;
    j.name := coalesce(nullif(btrim(_api_submit_job.name), ''), j.name);
    j.run_as := coalesce(_api_submit_job.run_as, v_caller);
    PERFORM @extschema@._check_run_as(v_caller, j.run_as);
    j.commands := ARRAY[_api_submit_job.query];
    j.params := _api_submit_job.params;
    j.comments := _api_submit_job.comments;
    j.last_start_available := _api_submit_job.max_wait_interval;
    j.max_run_time := _api_submit_job.max_duration;
    j.depends_on := @extschema@._depends_resolve('submit_job', j.job_id, to_jsonb(_api_submit_job.depends_on));
    j.resubmit_limit := _api_submit_job.resubmit_limit;
    INSERT INTO @extschema@.jobmon_job VALUES (j.*);

    v_problem := @extschema@._depends_problem(j);
    IF v_problem LIKE 'failed:%' THEN
        RAISE EXCEPTION 'a job that job % depends on has already failed', j.job_id
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('depends_on of submit_job() got %s: %s.', _api_submit_job.depends_on,
                                  substr(v_problem, length('failed: ') + 1)),
                  HINT = 'Submit the job it depends on again, or leave it out of depends_on.';
    END IF;
    INSERT INTO @extschema@.jobmon_run (job_id, job_name, owner, run_as, oneoff, due_at, status)
    VALUES (j.job_id, j.name, j.owner, j.run_as, true, coalesce(_api_submit_job.run_after, now()),
            CASE WHEN v_problem IS NULL THEN 'waiting' ELSE 'blocked' END);
    PERFORM @extschema@._audit('submit', j.job_id, NULL, NULL, to_jsonb(j));
    PERFORM @extschema@._dispatch_wake();
    RETURN j.job_id;
END
$$;

-- Cancel a one-off job: its run that has not started, and any further
-- resubmission.  A run under way goes on; cancel_job() on its log_id
-- cancels it.  Returns whether anything was left to cancel.
CREATE FUNCTION @extschema@.cancel_submitted_job(p_job_id bigint)
RETURNS boolean
LANGUAGE C AS 'MODULE_PATHNAME', 'jobmon_api';

CREATE FUNCTION @extschema@._api_cancel_submitted_job(p_job_id bigint)
RETURNS boolean
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_job       @extschema@.jobmon_job := @extschema@._job_for_change(p_job_id);
    v_cancelled integer;
    v_running   boolean;
    v_log_id    bigint;
BEGIN
    IF NOT v_job.oneoff THEN
        RAISE EXCEPTION 'job % is not a one-off job', p_job_id
            USING ERRCODE = 'wrong_object_type',
                  DETAIL = format('Job %s "%s" was created with create_job(), not submit_job().', p_job_id, v_job.name),
                  HINT = 'deactivate_job() stops a periodic job; cancel_job() cancels one of its runs.';
    END IF;
    UPDATE @extschema@.jobmon_run r
    SET status = 'cancelled', finished_at = now(),
        reason = format('cancelled by %s with cancel_submitted_job()', @extschema@._caller())
    WHERE r.job_id = p_job_id AND r.status IN ('blocked', 'waiting');
    GET DIAGNOSTICS v_cancelled = ROW_COUNT;
    SELECT true, r.log_id INTO v_running, v_log_id FROM @extschema@.jobmon_run r
    WHERE r.job_id = p_job_id AND r.status IN ('starting', 'running');
    v_running := coalesce(v_running, false);
    -- A job that has ended is not marked cancelled after the fact.
    IF NOT v_job.active OR (v_cancelled = 0 AND NOT v_running) THEN
        RETURN false;
    END IF;
    UPDATE @extschema@.jobmon_job j SET active = false WHERE j.job_id = p_job_id;
    PERFORM @extschema@._audit('cancel', p_job_id, NULL, to_jsonb(v_job), jsonb_build_object('active', false));
    PERFORM @extschema@._dependants_notify(p_job_id);
    IF v_running THEN
        RAISE NOTICE 'job % is running now; it will not be resubmitted', p_job_id
            USING HINT = format('SELECT cancel_job(%s) cancels the run itself.', coalesce(v_log_id::text, '<its log_id>'));
    END IF;
    RETURN true;
END
$$;

-- After a run that called resubmit(): plan the next run, unless the job was
-- cancelled or resubmit_limit is reached.  Returns why it was not
-- resubmitted, or NULL.
CREATE FUNCTION @extschema@._oneoff_resubmit(r @extschema@.jobmon_run, p_after interval) RETURNS text
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    j      @extschema@.jobmon_job;
    v_done bigint;
BEGIN
    SELECT * INTO j FROM @extschema@.jobmon_job x WHERE x.job_id = r.job_id;
    IF NOT FOUND OR NOT j.active THEN
        RETURN 'not resubmitted: the job was cancelled';
    END IF;
    SELECT count(*) - 1 INTO v_done FROM @extschema@.jobmon_run x WHERE x.job_id = j.job_id AND x.attempt = 1;
    IF v_done >= j.resubmit_limit THEN
        RETURN format('not resubmitted: resubmit_limit %s reached', j.resubmit_limit);
    END IF;
    INSERT INTO @extschema@.jobmon_run (job_id, job_name, owner, run_as, oneoff, due_at)
    VALUES (j.job_id, j.name, j.owner, j.run_as, true, now() + p_after);
    PERFORM @extschema@._dispatch_wake();
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION @extschema@.submit_job(text, text[], timestamptz, text, interval, interval, text, bigint[], text, text, bigint)
    IS 'submit a one-off job (pgpro_scheduler''s arguments); returns its job id';

COMMENT ON FUNCTION @extschema@.cancel_submitted_job(bigint)
    IS 'cancel a one-off job that has not run yet, or stop its resubmission';
