-- Defining scheduled jobs: create, change, activate, deactivate, drop, and
-- run once now.  Every change is audited (jobmon_audit) and wakes the dispatcher, so
-- that a new next fire time is honoured at once.

CREATE FUNCTION @extschema@.create_job(p_options jsonb)
RETURNS bigint
LANGUAGE C AS 'MODULE_PATHNAME', 'jobmon_api';

CREATE FUNCTION @extschema@._api_create_job(p_options jsonb)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_caller name := @extschema@._caller();
    j        @extschema@.jobmon_job;
    v_cron   text;
BEGIN
    PERFORM @extschema@._check_may_schedule();
    PERFORM @extschema@._job_options_check('create_job', p_options, false);
    IF NOT p_options ? 'commands' THEN
        RAISE EXCEPTION 'option "commands" of create_job() is required'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'A job without commands would do nothing.',
                  HINT = 'Add "commands": "SQL" (one transaction) or ["SQL", ...] (one transaction each).';
    END IF;
    IF p_options ? 'cron' AND p_options ? 'rule' THEN
        RAISE EXCEPTION 'create_job() takes "cron" or "rule", not both'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'A rule is another way to write a cron expression.',
                  HINT = 'Keep one of them; add_schedule() adds further schedules.';
    END IF;

    j := @extschema@._job_apply_options('create_job', @extschema@._job_new(v_caller), p_options);
    PERFORM @extschema@._check_run_as(v_caller, j.run_as);
    INSERT INTO @extschema@.jobmon_job VALUES (j.*);
    PERFORM @extschema@._audit('create', j.job_id, NULL, NULL, to_jsonb(j));

    v_cron := coalesce(p_options->>'cron', @extschema@.cron_from_rule(p_options->'rule'));
    IF v_cron IS NOT NULL THEN
        PERFORM @extschema@._schedule_insert('create_job', j.job_id, v_cron, NULL);
    END IF;
    IF p_options ? 'dates' THEN
        PERFORM @extschema@._schedule_insert('create_job', j.job_id, NULL, ARRAY(
            SELECT @extschema@._job_option_time('create_job', 'dates', to_jsonb(d))
            FROM unnest(@extschema@._job_option_text_array('create_job', 'dates', p_options->'dates')) d));
    END IF;
    PERFORM @extschema@._dispatch_wake();
    RETURN j.job_id;
END
$$;

CREATE FUNCTION @extschema@.create_job(p_cron text, p_commands text) RETURNS bigint
LANGUAGE sql
SET search_path = @extschema@, pg_temp
AS $$
    SELECT @extschema@.create_job(jsonb_build_object('cron', p_cron, 'commands', p_commands))
$$;

CREATE FUNCTION @extschema@.create_job(p_cron text, p_commands text[]) RETURNS bigint
LANGUAGE sql
SET search_path = @extschema@, pg_temp
AS $$
    SELECT @extschema@.create_job(jsonb_build_object('cron', p_cron, 'commands', p_commands))
$$;

CREATE FUNCTION @extschema@.create_job(p_dates timestamptz, p_commands text) RETURNS bigint
LANGUAGE sql
SET search_path = @extschema@, pg_temp
AS $$
    SELECT @extschema@.create_job(jsonb_build_object('dates', p_dates, 'commands', p_commands))
$$;

CREATE FUNCTION @extschema@.create_job(p_dates timestamptz, p_commands text[]) RETURNS bigint
LANGUAGE sql
SET search_path = @extschema@, pg_temp
AS $$
    SELECT @extschema@.create_job(jsonb_build_object('dates', p_dates, 'commands', p_commands))
$$;

CREATE FUNCTION @extschema@.create_job(p_dates timestamptz[], p_commands text) RETURNS bigint
LANGUAGE sql
SET search_path = @extschema@, pg_temp
AS $$
    SELECT @extschema@.create_job(jsonb_build_object('dates', p_dates, 'commands', p_commands))
$$;

CREATE FUNCTION @extschema@.create_job(p_dates timestamptz[], p_commands text[]) RETURNS bigint
LANGUAGE sql
SET search_path = @extschema@, pg_temp
AS $$
    SELECT @extschema@.create_job(jsonb_build_object('dates', p_dates, 'commands', p_commands))
$$;

-- Store a changed job, audit it and recompute its schedules.
CREATE FUNCTION @extschema@._job_update(p_action text, p_old @extschema@.jobmon_job, p_new @extschema@.jobmon_job)
RETURNS void
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    IF p_new IS NOT DISTINCT FROM p_old THEN
        RETURN;
    END IF;
    UPDATE @extschema@.jobmon_job j SET
        name = p_new.name, run_as = p_new.run_as, commands = p_new.commands,
        use_same_transaction = p_new.use_same_transaction, comments = p_new.comments,
        start_date = p_new.start_date, end_date = p_new.end_date,
        last_start_available = p_new.last_start_available, max_instances = p_new.max_instances,
        max_run_time = p_new.max_run_time, onrollback = p_new.onrollback,
        next_time_statement = p_new.next_time_statement, timezone = p_new.timezone,
        on_overlap = p_new.on_overlap, on_missed = p_new.on_missed,
        missed_limit = p_new.missed_limit, capture_level = p_new.capture_level,
        active = p_new.active, broken_reason = p_new.broken_reason,
        depends_on = p_new.depends_on, retries = p_new.retries, retry_delay = p_new.retry_delay,
        retry_backoff = p_new.retry_backoff, max_retry_delay = p_new.max_retry_delay
    WHERE j.job_id = p_old.job_id;
    PERFORM @extschema@._audit(p_action, p_old.job_id, NULL, to_jsonb(p_old), to_jsonb(p_new));
    PERFORM @extschema@._schedules_refresh(p_old.job_id);
    PERFORM @extschema@._dispatch_wake();
END
$$;

CREATE FUNCTION @extschema@.set_job_attributes(p_job_id bigint, p_options jsonb)
RETURNS void
LANGUAGE C AS 'MODULE_PATHNAME', 'jobmon_api';

CREATE FUNCTION @extschema@._api_set_job_attributes(p_job_id bigint, p_options jsonb)
RETURNS void
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_old @extschema@.jobmon_job := @extschema@._job_for_change(p_job_id);
    v_new @extschema@.jobmon_job;
BEGIN
    PERFORM @extschema@._job_options_check('set_job_attributes', p_options, true);
    v_new := @extschema@._job_apply_options('set_job_attributes', v_old, p_options);
    IF v_new.run_as IS DISTINCT FROM v_old.run_as THEN
        PERFORM @extschema@._check_run_as(@extschema@._caller(), v_new.run_as);
    END IF;
    PERFORM @extschema@._job_update('change', v_old, v_new);
END
$$;

CREATE FUNCTION @extschema@.set_job_attribute(p_job_id bigint, p_name text, p_value text) RETURNS void
LANGUAGE sql
SET search_path = @extschema@, pg_temp
AS $$
    -- Values arrive as text; the option's own type check converts them.
    SELECT @extschema@.set_job_attributes(p_job_id, jsonb_build_object(p_name,
        CASE WHEN p_value IS NULL THEN 'null'::jsonb
             WHEN p_name = 'use_same_transaction' AND p_value ~* '^(t|true|f|false|on|off|yes|no|1|0)$'
                  THEN to_jsonb(p_value::boolean)
             WHEN p_name IN ('max_instances', 'missed_limit', 'retries') AND p_value ~ '^[0-9]{1,9}$'
                  THEN to_jsonb(p_value::integer)
             WHEN p_name = 'retry_backoff' AND p_value ~ '^\s*[0-9]+(\.[0-9]+)?\s*$'
                  THEN to_jsonb(p_value::numeric)
             WHEN p_name = 'depends_on' AND p_value ~ '^\s*[\[0-9]' THEN
                  CASE WHEN p_value ~ '^\s*\[' THEN p_value::jsonb ELSE to_jsonb(p_value::bigint) END
             WHEN p_name = 'commands' AND p_value ~ '^\s*\[' THEN p_value::jsonb
             ELSE to_jsonb(p_value) END))
$$;

-- Activate a job, which also clears the mark of a broken job.
CREATE FUNCTION @extschema@.activate_job(p_job_id bigint)
RETURNS void
LANGUAGE C AS 'MODULE_PATHNAME', 'jobmon_api';

CREATE FUNCTION @extschema@._api_activate_job(p_job_id bigint)
RETURNS void
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_old @extschema@.jobmon_job := @extschema@._job_for_change(p_job_id);
    v_new @extschema@.jobmon_job := v_old;
BEGIN
    PERFORM @extschema@._check_run_as(v_old.owner, v_old.run_as);
    v_new.active := true;
    v_new.broken_reason := NULL;
    -- Fire times missed while inactive are not made up for.
    UPDATE @extschema@.jobmon_schedule s SET fired_until = greatest(s.fired_until, now())
    WHERE s.job_id = p_job_id AND NOT (v_old.active AND v_old.broken_reason IS NULL);
    PERFORM @extschema@._job_update('activate', v_old, v_new);
END
$$;

CREATE FUNCTION @extschema@.deactivate_job(p_job_id bigint)
RETURNS void
LANGUAGE C AS 'MODULE_PATHNAME', 'jobmon_api';

CREATE FUNCTION @extschema@._api_deactivate_job(p_job_id bigint)
RETURNS void
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_old @extschema@.jobmon_job := @extschema@._job_for_change(p_job_id);
    v_new @extschema@.jobmon_job := v_old;
BEGIN
    v_new.active := false;
    PERFORM @extschema@._job_update('deactivate', v_old, v_new);
END
$$;

-- Drop a job and its schedules.  Its runs stay in jobmon_run and job_log
-- unless p_drop_history; a running run finishes.
CREATE FUNCTION @extschema@.drop_job(p_job_id bigint, p_drop_history boolean DEFAULT false)
RETURNS void
LANGUAGE C AS 'MODULE_PATHNAME', 'jobmon_api';

CREATE FUNCTION @extschema@._api_drop_job(p_job_id bigint, p_drop_history boolean)
RETURNS void
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_old @extschema@.jobmon_job := @extschema@._job_for_change(p_job_id);
BEGIN
    PERFORM @extschema@._depends_check_drop(p_job_id);
    DELETE FROM @extschema@.jobmon_job j WHERE j.job_id = p_job_id;
    UPDATE @extschema@.jobmon_run r SET status = 'skipped', reason = 'the job was dropped', finished_at = now()
    WHERE r.job_id = p_job_id AND r.status IN ('blocked', 'waiting');
    IF p_drop_history THEN
        DELETE FROM @extschema@.job_log l USING @extschema@.jobmon_run r
        WHERE r.job_id = p_job_id AND l.job_id = r.log_id AND r.status NOT IN ('starting', 'running');
        DELETE FROM @extschema@.jobmon_run r
        WHERE r.job_id = p_job_id AND r.status NOT IN ('starting', 'running');
    END IF;
    PERFORM @extschema@._audit('drop', p_job_id, NULL, to_jsonb(v_old), NULL);
END
$$;

-- Run a job once, now, whatever its schedules say (QSched's qsched_job_exec).
-- The run waits like any other for a free worker and for max_instances.
CREATE FUNCTION @extschema@.run_job(p_job_id bigint)
RETURNS bigint
LANGUAGE C AS 'MODULE_PATHNAME', 'jobmon_api';

CREATE FUNCTION @extschema@._api_run_job(p_job_id bigint)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_job    @extschema@.jobmon_job := @extschema@._job_for_change(p_job_id);
    v_run_id bigint;
BEGIN
    INSERT INTO @extschema@.jobmon_run (job_id, job_name, owner, run_as, oneoff, due_at)
    VALUES (v_job.job_id, v_job.name, v_job.owner, v_job.run_as, v_job.oneoff, now())
    RETURNING run_id INTO v_run_id;
    PERFORM @extschema@._audit('run now', p_job_id, NULL, NULL, jsonb_build_object('run_id', v_run_id));
    PERFORM @extschema@._dispatch_wake();
    RETURN v_run_id;
END
$$;

COMMENT ON FUNCTION @extschema@.create_job(jsonb) IS 'create a scheduled job from pgpro_scheduler-style options; returns its job_id';

COMMENT ON FUNCTION @extschema@.create_job(text, text) IS 'create a job running one transaction on a cron schedule';

COMMENT ON FUNCTION @extschema@.create_job(text, text[]) IS 'create a job running one transaction per command on a cron schedule';

COMMENT ON FUNCTION @extschema@.create_job(timestamptz, text) IS 'create a job running one transaction at one time';

COMMENT ON FUNCTION @extschema@.create_job(timestamptz, text[]) IS 'create a job running one transaction per command at one time';

COMMENT ON FUNCTION @extschema@.create_job(timestamptz[], text) IS 'create a job running one transaction at each of these times';

COMMENT ON FUNCTION @extschema@.create_job(timestamptz[], text[]) IS 'create a job running one transaction per command at each of these times';

COMMENT ON FUNCTION @extschema@.set_job_attributes(bigint, jsonb) IS 'change options of a job (create_job''s keys except cron, dates, rule)';

COMMENT ON FUNCTION @extschema@.set_job_attribute(bigint, text, text) IS 'change one option of a job';

COMMENT ON FUNCTION @extschema@.activate_job(bigint) IS 'let a job run on its schedules again; clears a broken mark';

COMMENT ON FUNCTION @extschema@.deactivate_job(bigint) IS 'stop a job from running on its schedules';

COMMENT ON FUNCTION @extschema@.drop_job(bigint, boolean) IS 'remove a job; its run history stays unless the second argument is true';

COMMENT ON FUNCTION @extschema@.run_job(bigint) IS 'run a job once now, for debugging, without changing its schedules; returns the run_id';

-- Mark a job broken: it stops being scheduled until activate_job().
CREATE FUNCTION @extschema@._job_break(p_job_id bigint, p_reason text) RETURNS void
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_old @extschema@.jobmon_job;
BEGIN
    SELECT * INTO v_old FROM @extschema@.jobmon_job j WHERE j.job_id = p_job_id FOR UPDATE;
    IF FOUND AND v_old.broken_reason IS NULL THEN
        UPDATE @extschema@.jobmon_job j SET broken_reason = p_reason WHERE j.job_id = p_job_id;
        PERFORM @extschema@._schedules_refresh(p_job_id);
        INSERT INTO @extschema@.jobmon_audit (changed_by, action, job_id, old_value, new_value)
        VALUES (current_user, 'broken', p_job_id, to_jsonb(v_old),
                jsonb_build_object('broken_reason', p_reason));
    END IF;
END
$$;
