-- pg_jobmon 2.4.0 -> 2.5.0: no role reaches another role's privileges.
--
-- The caller is the effective role of the calling context (src/api.c); the
-- logging connection is private (src/log_connection.c); run_as is resolved
-- by its exact name; the log of a run is written by its worker (known by
-- process memory, not by pid) and its job's roles, and read by its job's
-- roles; a role reads the log of its own jobs, a member of pg_monitor all.
-- And no value a definition accepts stops a dispatcher pass: times must be
-- finite and intervals at most 100 years; a run is known by more than its
-- pid, and the dispatcher signals only its own workers.

\echo Use "ALTER EXTENSION pg_jobmon UPDATE TO '2.5.0'" to load this file. \quit

-- 1. New functions: the C side of the private logging connection and of
--    the API, the bodies of the API functions (_api_*), the row-level
--    security of the log, the bounds on times and intervals.

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

CREATE FUNCTION @extschema@._api_add_schedule(p_job_id bigint, p_cron text)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    PERFORM @extschema@._job_for_change(p_job_id);
    IF p_cron IS NULL THEN
        PERFORM @extschema@._null_argument('add_schedule', 'p_cron');
    END IF;
    PERFORM @extschema@._dispatch_wake();
    RETURN @extschema@._schedule_insert('add_schedule', p_job_id, p_cron, NULL);
END
$$;

CREATE FUNCTION @extschema@._api_add_schedule(p_job_id bigint, p_dates timestamptz[])
RETURNS bigint
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    PERFORM @extschema@._job_for_change(p_job_id);
    IF p_dates IS NULL THEN
        PERFORM @extschema@._null_argument('add_schedule', 'p_dates');
    END IF;
    PERFORM @extschema@._dispatch_wake();
    RETURN @extschema@._schedule_insert('add_schedule', p_job_id, NULL, p_dates);
END
$$;

CREATE FUNCTION @extschema@._api_cancel_override(p_schedule_id bigint)
RETURNS void
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_old @extschema@.jobmon_schedule := @extschema@._schedule_for_change(p_schedule_id);
    v_new @extschema@.jobmon_schedule := v_old;
BEGIN
    v_new.override_time := NULL;
    PERFORM @extschema@._schedule_update('cancel override', v_old, v_new);
END
$$;

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

CREATE FUNCTION @extschema@._api_disable_schedule(p_schedule_id bigint)
RETURNS void
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_old @extschema@.jobmon_schedule := @extschema@._schedule_for_change(p_schedule_id);
    v_new @extschema@.jobmon_schedule := v_old;
BEGIN
    v_new.enabled := false;
    PERFORM @extschema@._schedule_update('disable schedule', v_old, v_new);
END
$$;

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

CREATE FUNCTION @extschema@._api_drop_schedule(p_schedule_id bigint)
RETURNS void
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_old @extschema@.jobmon_schedule := @extschema@._schedule_for_change(p_schedule_id);
BEGIN
    DELETE FROM @extschema@.jobmon_schedule s WHERE s.schedule_id = p_schedule_id;
    PERFORM @extschema@._audit('drop schedule', v_old.job_id, p_schedule_id, to_jsonb(v_old), NULL);
END
$$;

CREATE FUNCTION @extschema@._api_dyn_override(p_schedule_id bigint, p_next_time timestamptz)
RETURNS void
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_old @extschema@.jobmon_schedule := @extschema@._schedule_for_change(p_schedule_id);
    v_new @extschema@.jobmon_schedule := v_old;
BEGIN
    IF p_next_time IS NULL THEN
        PERFORM @extschema@._null_argument('dyn_override', 'p_next_time');
    END IF;
    PERFORM @extschema@._time_check_finite('dyn_override', 'argument p_next_time', p_next_time);
    v_new.override_time := p_next_time;
    PERFORM @extschema@._schedule_update('override schedule', v_old, v_new);
END
$$;

CREATE FUNCTION @extschema@._api_enable_schedule(p_schedule_id bigint)
RETURNS void
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_old @extschema@.jobmon_schedule := @extschema@._schedule_for_change(p_schedule_id);
    v_new @extschema@.jobmon_schedule := v_old;
BEGIN
    v_new.enabled := true;
    -- Fire times missed while disabled are not made up for.
    IF NOT v_old.enabled THEN
        v_new.fired_until := greatest(v_old.fired_until, now());
        UPDATE @extschema@.jobmon_schedule s SET fired_until = v_new.fired_until
        WHERE s.schedule_id = p_schedule_id;
    END IF;
    PERFORM @extschema@._schedule_update('enable schedule', v_old, v_new);
END
$$;

CREATE FUNCTION @extschema@._api_grant_scheduler(p_role name)
RETURNS void
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    PERFORM @extschema@._check_admin('allow roles to schedule jobs');
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles r WHERE r.rolname = p_role) THEN
        RAISE EXCEPTION 'role "%" does not exist', p_role
            USING ERRCODE = 'undefined_object',
                  HINT = 'Create the role first, or check the spelling.';
    END IF;
    INSERT INTO @extschema@.jobmon_scheduler_role (role_name, granted_by)
    VALUES (p_role, @extschema@._caller())
    ON CONFLICT ON CONSTRAINT jobmon_scheduler_role_pkey DO NOTHING;
    -- Using the API needs the schema; reading one's jobs needs nothing else.
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO %I', '@extschema@', p_role);
END
$$;

CREATE FUNCTION @extschema@._api_jobmon_clean_log()
RETURNS bigint
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_caller name := @extschema@._caller();
    v_count  bigint;
BEGIN
    WITH gone AS (
        DELETE FROM @extschema@.jobmon_run r
        WHERE r.status NOT IN ('waiting', 'starting', 'running')
          AND @extschema@._is_job_role(v_caller, r.owner, r.run_as)
        RETURNING r.log_id),
    logs AS (
        DELETE FROM @extschema@.job_log l USING gone WHERE l.job_id = gone.log_id)
    SELECT count(*) INTO v_count FROM gone;
    RETURN v_count;
END
$$;

CREATE FUNCTION @extschema@._api_revoke_scheduler(p_role name)
RETURNS void
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    PERFORM @extschema@._check_admin('disallow roles to schedule jobs');
    DELETE FROM @extschema@.jobmon_scheduler_role s WHERE s.role_name = p_role;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'role "%" was not allowed to schedule jobs', p_role
            USING ERRCODE = 'undefined_object',
                  DETAIL = 'jobmon_scheduler_role has no row for that role.',
                  HINT = 'SELECT * FROM jobmon_scheduler_role lists the roles allowed to schedule.';
    END IF;
END
$$;

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

CREATE FUNCTION @extschema@._interval_check_bound(p_function text, p_what text, p_value interval)
RETURNS void
LANGUAGE plpgsql IMMUTABLE
SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    IF p_value > interval '100 years' THEN
        RAISE EXCEPTION '% of %() must be at most 100 years', p_what, p_function
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('%s() got %s.', p_function, p_value),
                  HINT = 'Give a shorter interval, or leave it out for no limit.';
    END IF;
END
$$;

CREATE FUNCTION @extschema@._log_check_writer(p_job_id bigint) RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_caller name := @extschema@._caller();
    v_owner  text;
BEGIN
    SELECT j.owner INTO v_owner FROM @extschema@.job_log j WHERE j.job_id = p_job_id;
    IF v_owner IS NULL OR v_owner = v_caller
       OR EXISTS (SELECT FROM pg_catalog.pg_roles r
                  WHERE r.rolname = v_owner AND pg_catalog.pg_has_role(v_caller, r.oid, 'MEMBER'))
       OR (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname = v_caller) THEN
        RETURN;
    END IF;
    RAISE EXCEPTION 'permission denied to write the log of job %', p_job_id
        USING ERRCODE = 'insufficient_privilege',
              DETAIL = format('Job %s of job_log belongs to role "%s", of which role "%s" is not a member.',
                              p_job_id, v_owner, v_caller),
              HINT = 'Only the role that added the job, its members, or a superuser can log to it.';
END
$$;

CREATE FUNCTION @extschema@._log_connection_info(
    OUT pid integer, OUT synchronous_commit text, OUT lock_timeout text)
RETURNS record
LANGUAGE C VOLATILE
AS 'MODULE_PATHNAME', 'jobmon_log_connection_info';

CREATE FUNCTION @extschema@._log_reads_all() RETURNS boolean
LANGUAGE sql STABLE
AS $$ SELECT pg_catalog.pg_has_role(current_user, 'pg_monitor', 'USAGE') $$;

CREATE FUNCTION @extschema@._log_send_event(
    p_step_id bigint, p_severity text, p_sqlstate text, p_message text, p_detail text,
    p_hint text, p_context text, p_schema_name text, p_table_name text, p_column_name text,
    p_datatype_name text, p_constraint_name text)
RETURNS bigint
LANGUAGE C VOLATILE
AS 'MODULE_PATHNAME', 'jobmon_log_send_event';

CREATE FUNCTION @extschema@._log_send_job_close(p_job_id bigint, p_alert_code integer) RETURNS void
LANGUAGE C VOLATILE
AS 'MODULE_PATHNAME', 'jobmon_log_send_job_close';

CREATE FUNCTION @extschema@._log_send_job_open(p_job_name text) RETURNS bigint
LANGUAGE C VOLATILE
AS 'MODULE_PATHNAME', 'jobmon_log_send_job_open';

CREATE FUNCTION @extschema@._log_send_step_close(p_step_id bigint, p_status text, p_message text)
RETURNS void
LANGUAGE C VOLATILE
AS 'MODULE_PATHNAME', 'jobmon_log_send_step_close';

CREATE FUNCTION @extschema@._log_send_step_failed(
    p_step_id bigint, p_severity text, p_sqlstate text, p_message text, p_detail text,
    p_hint text, p_context text, p_schema_name text, p_table_name text, p_column_name text,
    p_datatype_name text, p_constraint_name text)
RETURNS bigint
LANGUAGE C VOLATILE
AS 'MODULE_PATHNAME', 'jobmon_log_send_step_failed';

CREATE FUNCTION @extschema@._log_send_step_open(p_job_id bigint, p_action text) RETURNS bigint
LANGUAGE C VOLATILE
AS 'MODULE_PATHNAME', 'jobmon_log_send_step_open';

CREATE FUNCTION @extschema@._log_set_caller(p_caller oid) RETURNS void
LANGUAGE C STRICT VOLATILE
AS 'MODULE_PATHNAME', 'jobmon_log_set_caller';

CREATE FUNCTION @extschema@._pg_cron_schema() RETURNS text
LANGUAGE sql STABLE
SET search_path = @extschema@, pg_temp
AS $$
    SELECT pg_catalog.quote_ident(n.nspname)
    FROM pg_catalog.pg_extension e
    JOIN pg_catalog.pg_depend d ON d.refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass
                               AND d.refobjid = e.oid AND d.deptype = 'e'
                               AND d.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass
    JOIN pg_catalog.pg_proc p ON p.oid = d.objid
    JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
    WHERE e.extname = 'pg_cron' AND p.proname = 'schedule_in_database'
    LIMIT 1
$$;

CREATE FUNCTION @extschema@._run_log_roles(p_log_id bigint) RETURNS name[]
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = @extschema@, pg_temp
AS $$ SELECT ARRAY[r.owner, r.run_as] FROM @extschema@.jobmon_run r WHERE r.log_id = p_log_id $$;

CREATE FUNCTION @extschema@._run_worker_alive(p_pid integer, p_started_at timestamptz, p_status text)
RETURNS boolean
LANGUAGE sql STABLE
SET search_path = @extschema@, pg_temp
AS $$
    SELECT EXISTS (SELECT FROM pg_catalog.pg_stat_activity a
                   WHERE a.pid = p_pid AND a.backend_type = 'pg_jobmon worker'
                     AND a.datname = pg_catalog.current_database()
                     AND a.backend_start <= p_started_at)
        OR (p_status = 'starting' AND p_started_at > now() - interval '10 seconds'
            AND coalesce(@extschema@._process_exists(p_pid), false)
            AND NOT EXISTS (SELECT FROM pg_catalog.pg_stat_activity a WHERE a.pid = p_pid))
$$;

CREATE FUNCTION @extschema@._time_check_finite(p_function text, p_what text, p_value timestamptz)
RETURNS void
LANGUAGE plpgsql IMMUTABLE
SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    IF NOT isfinite(p_value) THEN
        RAISE EXCEPTION '% of %() must be a finite time', p_what, p_function
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('%s() got %s.', p_function, p_value),
                  HINT = 'Give a time such as "2026-12-01 08:00:00+01": no job runs at infinity.';
    END IF;
END
$$;

CREATE FUNCTION @extschema@._worker_run_id() RETURNS bigint
LANGUAGE C VOLATILE
AS 'MODULE_PATHNAME', 'jobmon_worker_run_id';

-- 2. Changed functions: the API functions become C forwarders that run
--    their bodies as the extension's owner; the logging API sends over the
--    private connection; the rest name the caller or the worker by identity,
--    or bound the times and intervals they accept.

CREATE OR REPLACE FUNCTION @extschema@._caller() RETURNS name
LANGUAGE C STABLE
AS 'MODULE_PATHNAME', 'jobmon_caller';

CREATE OR REPLACE FUNCTION @extschema@._dispatch_launch() RETURNS integer
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    r         @extschema@.jobmon_run;
    v_oneoff  boolean;
    v_free    integer;
    v_pid     integer;
    v_started integer := 0;
    v_until   timestamptz := clock_timestamp() + @extschema@._dispatch_lead();
BEGIN
    FOREACH v_oneoff IN ARRAY ARRAY[false, true] LOOP
        SELECT @extschema@._max_workers(v_oneoff) - count(*) INTO v_free
        FROM @extschema@.jobmon_run x WHERE x.status IN ('starting', 'running') AND x.oneoff = v_oneoff;
        WHILE v_free > 0 LOOP
            r := @extschema@._run_claim(v_oneoff, NULL, v_until);
            EXIT WHEN r.run_id IS NULL;
            -- The worker waits for this transaction to end before it claims
            -- the run (src/worker.c, worker_wait_for_dispatcher), so it sees this mark.
            -- The role by its exact name, never parsed as an identifier: a
            -- run_as of "Reports" must not become role reports.
            v_pid := @extschema@._worker_launch(r.run_id,
                (SELECT a.oid FROM @extschema@.jobmon_job j
                 JOIN pg_catalog.pg_roles a ON a.rolname = j.run_as
                 WHERE j.job_id = r.job_id), r.due_at);
            EXIT WHEN v_pid IS NULL;    -- no background worker slot left
            UPDATE @extschema@.jobmon_run x SET status = 'starting', started_at = clock_timestamp(), pid = v_pid
            WHERE x.run_id = r.run_id;
            v_free := v_free - 1;
            v_started := v_started + 1;
        END LOOP;
    END LOOP;
    PERFORM @extschema@._runs_skip_expired();
    RETURN v_started;
END
$$;

CREATE OR REPLACE FUNCTION @extschema@._dispatch_wake() RETURNS void
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    PERFORM @extschema@._latch_set_at_commit(s.dispatcher_pid)
    FROM @extschema@.jobmon_dispatcher_state s WHERE s.dispatcher_pid IS NOT NULL;
END
$$;

CREATE OR REPLACE FUNCTION @extschema@._job_option_int(p_function text, p_key text, p_value jsonb,
                                            p_min integer DEFAULT 1)
RETURNS integer
LANGUAGE plpgsql IMMUTABLE
SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    IF NOT (p_value #>> '{}') ~ '^[0-9]{1,9}$' OR (p_value #>> '{}')::integer < p_min THEN
        PERFORM @extschema@._job_option_error(p_function, p_key, p_value,
            format('It must be a whole number from %s to 999999999.', p_min),
            format('Give e.g. %s.', greatest(p_min, 1)));
    END IF;
    RETURN (p_value #>> '{}')::integer;
END
$$;

CREATE OR REPLACE FUNCTION @extschema@._job_option_interval(p_function text, p_key text, p_value jsonb)
RETURNS interval
LANGUAGE plpgsql STABLE
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_result interval;
BEGIN
    IF p_value IS NULL OR jsonb_typeof(p_value) = 'null' THEN
        RETURN NULL;
    END IF;
    BEGIN
        v_result := (p_value #>> '{}')::interval;
    EXCEPTION WHEN invalid_datetime_format OR datetime_field_overflow OR interval_field_overflow THEN
        PERFORM @extschema@._job_option_error(p_function, p_key, p_value,
            'It is not an interval: ' || SQLERRM || '.', 'Give an interval such as "30 seconds" or "01:00:00".');
    END;
    IF v_result <= interval '0' THEN
        PERFORM @extschema@._job_option_error(p_function, p_key, p_value,
            'It must be longer than zero.', 'Give a positive interval, or leave the option out for no limit.');
    END IF;
    PERFORM @extschema@._interval_check_bound(p_function, format('option "%s"', p_key), v_result);
    RETURN v_result;
END
$$;

CREATE OR REPLACE FUNCTION @extschema@._job_option_time(p_function text, p_key text, p_value jsonb)
RETURNS timestamptz
LANGUAGE plpgsql STABLE
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_result timestamptz;
BEGIN
    IF p_value IS NULL OR jsonb_typeof(p_value) = 'null' THEN
        RETURN NULL;
    END IF;
    BEGIN
        v_result := (p_value #>> '{}')::timestamptz;
    EXCEPTION WHEN invalid_datetime_format OR datetime_field_overflow OR invalid_parameter_value THEN
        PERFORM @extschema@._job_option_error(p_function, p_key, p_value,
            'It is not a time: ' || SQLERRM || '.', 'Give a timestamp such as "2026-12-01 08:00:00+01".');
    END;
    PERFORM @extschema@._time_check_finite(p_function, format('option "%s"', p_key), v_result);
    RETURN v_result;
END
$$;

CREATE OR REPLACE FUNCTION @extschema@._log_disconnect() RETURNS void
LANGUAGE C VOLATILE
AS 'MODULE_PATHNAME', 'jobmon_log_disconnect';

CREATE OR REPLACE FUNCTION @extschema@._log_event(
    p_step_id bigint, p_severity text, p_sqlstate text, p_message text, p_detail text,
    p_hint text, p_context text, p_schema_name text, p_table_name text, p_column_name text,
    p_datatype_name text, p_constraint_name text)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_event_id bigint;
BEGIN
    PERFORM @extschema@._log_check_writer(d.job_id) FROM @extschema@.job_detail d WHERE d.step_id = p_step_id;
    INSERT INTO @extschema@.jobmon_event (job_id, step_id, event_time, severity, sqlstate, message,
                                       detail, hint, context, schema_name, table_name,
                                       column_name, datatype_name, constraint_name)
    SELECT d.job_id, d.step_id, now(), p_severity, p_sqlstate, p_message,
           p_detail, p_hint, p_context, p_schema_name, p_table_name,
           p_column_name, p_datatype_name, p_constraint_name
    FROM @extschema@.job_detail d WHERE d.step_id = p_step_id
    RETURNING event_id INTO v_event_id;
    IF v_event_id IS NULL THEN
        PERFORM @extschema@._step_not_found(p_step_id);
    END IF;
    RETURN v_event_id;
END
$$;

CREATE OR REPLACE FUNCTION @extschema@._log_job_close(p_job_id bigint, p_alert_code integer) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_status text;
BEGIN
    SELECT t.alert_text INTO v_status FROM @extschema@.job_status_text t WHERE t.alert_code = p_alert_code;
    IF v_status IS NULL THEN
        RAISE EXCEPTION 'alert code % does not exist', p_alert_code
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('job_status_text has the codes %s.',
                                  (SELECT string_agg(t.alert_code::text, ', ' ORDER BY t.alert_code)
                                   FROM @extschema@.job_status_text t)),
                  HINT = 'Use one of those codes, or add the code to job_status_text first.';
    END IF;
    PERFORM @extschema@._log_check_writer(p_job_id);
    UPDATE @extschema@.job_log j SET end_time = now(), status = v_status WHERE j.job_id = p_job_id;
    IF NOT FOUND THEN
        PERFORM @extschema@._job_not_found(p_job_id);
    END IF;
    IF @extschema@._setting('log_durability') <> 'off' THEN
        SET LOCAL synchronous_commit TO DEFAULT;
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION @extschema@._log_step_close(p_step_id bigint, p_status text, p_message text)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    PERFORM @extschema@._log_check_writer(d.job_id) FROM @extschema@.job_detail d WHERE d.step_id = p_step_id;
    UPDATE @extschema@.job_detail d
    SET end_time = now(),
        elapsed_time = extract(epoch FROM now() - d.start_time)::real,
        status = p_status,
        message = p_message
    WHERE d.step_id = p_step_id;
    IF NOT FOUND THEN
        PERFORM @extschema@._step_not_found(p_step_id);
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION @extschema@._log_step_error(p_step_id bigint, p_error record) RETURNS bigint
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    RETURN @extschema@._log_send_step_failed(
        p_step_id, p_error.severity, p_error.sqlstate, p_error.message, p_error.detail,
        p_error.hint, p_error.context, p_error.schema_name, p_error.table_name,
        p_error.column_name, p_error.datatype_name, p_error.constraint_name);
END
$$;

CREATE OR REPLACE FUNCTION @extschema@._log_step_open(p_job_id bigint, p_action text) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_step_id bigint;
BEGIN
    PERFORM @extschema@._log_check_writer(p_job_id);
    INSERT INTO @extschema@.job_detail (job_id, action, start_time)
    SELECT j.job_id, p_action, now() FROM @extschema@.job_log j WHERE j.job_id = p_job_id
    RETURNING step_id INTO v_step_id;
    IF v_step_id IS NULL THEN
        PERFORM @extschema@._job_not_found(p_job_id);
    END IF;
    RETURN v_step_id;
END
$$;

CREATE OR REPLACE FUNCTION @extschema@._oneoff_check_interval(p_function text, p_name text, p_value interval)
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

CREATE OR REPLACE FUNCTION @extschema@._run_log_guard() RETURNS trigger
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_run    @extschema@.jobmon_run;
    v_caller name;
BEGIN
    SELECT * INTO v_run FROM @extschema@.jobmon_run r WHERE r.log_id = NEW.job_id;
    -- The run's own worker, known by its process memory: a pid can be
    -- reused by any later process, a row copied to another database.
    IF NOT FOUND OR v_run.run_id = @extschema@._worker_run_id() THEN
        RETURN NEW;
    END IF;
    v_caller := @extschema@._caller();
    IF NOT @extschema@._is_job_role(v_caller, v_run.owner, v_run.run_as) THEN
        RAISE EXCEPTION 'permission denied to write the log of a scheduled run'
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = format('Job %s of job_log is run %s of scheduled job "%s", which role "%s" neither owns nor runs as.',
                                  NEW.job_id, v_run.run_id, v_run.job_name, v_caller),
                  HINT = 'Only the job''s owner, its run_as role or a superuser can log to or cancel its runs.';
    END IF;
    RETURN NEW;
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
    SET status = 'running', started_at = now(), pid = pg_backend_pid(), run_as = v_job.run_as,
        log_id = @extschema@._log_job_open(r.job_name, v_job.run_as::text, pg_backend_pid())
    WHERE x.run_id = r.run_id;
    RETURN (r.run_id, v_job.commands, v_job.use_same_transaction, v_job.onrollback,
            v_job.next_time_statement, (extract(epoch FROM v_job.max_run_time) * 1000)::bigint,
            v_job.capture_level, v_job.job_id, v_job.oneoff, v_job.params)::@extschema@._worker_run;
END
$$;

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

CREATE OR REPLACE FUNCTION @extschema@._runs_enforce_limits() RETURNS void
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
        FROM (SELECT * FROM @extschema@.jobmon_run x
              WHERE x.status = 'running' AND x.reason IS NULL
              OFFSET 0) r
        JOIN @extschema@.jobmon_job j ON j.job_id = r.job_id
        WHERE (r.started_at + j.max_run_time + interval '5 seconds' < v_now
               OR j.end_date < v_now)
          AND @extschema@._run_worker_alive(r.pid, r.started_at, r.status)
    LOOP
        IF v_run.started_at + v_run.max_run_time + interval '5 seconds' < v_now THEN
            UPDATE @extschema@.jobmon_run r
            SET reason = format('terminated after max_run_time %s: the job ignored the cancel', v_run.max_run_time)
            WHERE r.run_id = v_run.run_id;
            PERFORM pg_catalog.pg_terminate_backend(v_run.pid);
        ELSE
            UPDATE @extschema@.jobmon_run r
            SET reason = format('stopped at the job''s end_date %s', v_run.end_date)
            WHERE r.run_id = v_run.run_id;
            PERFORM pg_catalog.pg_cancel_backend(v_run.pid);
        END IF;
    END LOOP;
END
$$;

CREATE OR REPLACE FUNCTION @extschema@._schedule_insert(p_function text, p_job_id bigint, p_cron text,
                                             p_dates timestamptz[])
RETURNS bigint
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_schedule @extschema@.jobmon_schedule;
BEGIN
    IF (p_cron IS NULL) = (p_dates IS NULL) THEN
        RAISE EXCEPTION 'a schedule needs either a cron expression or dates'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('%s() got %s.', p_function,
                                  CASE WHEN p_cron IS NULL THEN 'neither' ELSE 'both' END),
                  HINT = 'Give one of them; add a second schedule for the other.';
    END IF;
    IF p_cron IS NOT NULL THEN
        PERFORM @extschema@.cron_validate(p_cron);
        IF @extschema@.cron_next(p_cron, now(), (SELECT j.timezone FROM @extschema@.jobmon_job j WHERE j.job_id = p_job_id)) IS NULL THEN
            RAISE EXCEPTION 'cron expression "%" never fires', p_cron
                USING ERRCODE = 'invalid_parameter_value',
                      DETAIL = 'The scheduler has no fire time for it: @reboot (a rule with onstart) is not supported, and no calendar day matches some expressions.',
                      HINT = 'Give an expression that fires; run_job() runs a job once, now.';
        END IF;
    ELSIF coalesce(cardinality(p_dates), 0) = 0 OR array_position(p_dates, NULL) IS NOT NULL THEN
        RAISE EXCEPTION 'dates of a schedule must be a non-empty list of times'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('%s() got %s.', p_function, coalesce(p_dates::text, 'NULL')),
                  HINT = 'Give at least one time, without NULLs.';
    ELSE
        PERFORM @extschema@._time_check_finite(p_function, 'each of the dates', d) FROM unnest(p_dates) d;
    END IF;
    INSERT INTO @extschema@.jobmon_schedule (job_id, cron, dates)
    VALUES (p_job_id, p_cron, p_dates)
    RETURNING * INTO v_schedule;
    UPDATE @extschema@.jobmon_schedule s
    SET next_fire = @extschema@._schedule_next(s, j)
    FROM @extschema@.jobmon_job j
    WHERE s.schedule_id = v_schedule.schedule_id AND j.job_id = s.job_id
    RETURNING s.* INTO v_schedule;
    PERFORM @extschema@._audit('add schedule', p_job_id, v_schedule.schedule_id, NULL, to_jsonb(v_schedule));
    RETURN v_schedule.schedule_id;
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
     'How many bytes of each text of a captured message (message, detail, hint, context ...) are kept: a longer text is cut on a character boundary and ends with "... (N bytes not kept)".  A failed step''s message repeats its error cut the same way; the error''s event keeps it whole.  A size such as 8kB or 1024 (bytes), at most 1GB.  Read when a run starts.');
END
$$;

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
        WHEN 'capture_max_messages' THEN p_value ~ '^\s*[0-9]{1,9}\s*$'
        WHEN 'capture_max_bytes' THEN coalesce(s.bytes <= 1073741824, false)
        WHEN 'capture_max_message_bytes' THEN coalesce(s.bytes <= 1073741824, false)
        ELSE p_value <> ''
    END
    FROM (SELECT CASE WHEN p_value ~ '^\s*[0-9]{1,10}\s*(B|kB|MB|GB)?\s*$'
                      THEN substring(p_value FROM '[0-9]+')::numeric
                           * CASE substring(p_value FROM '(B|kB|MB|GB)')
                             WHEN 'kB' THEN 1024 WHEN 'MB' THEN 1048576 WHEN 'GB' THEN 1073741824
                             ELSE 1 END
                 END AS bytes) s
$$;

CREATE OR REPLACE FUNCTION @extschema@._worker_begin(p_run_id bigint) RETURNS SETOF @extschema@._worker_run
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

CREATE OR REPLACE FUNCTION @extschema@._worker_end(p_run_id bigint, p_outcome text, p_reason text,
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

CREATE OR REPLACE FUNCTION @extschema@._worker_next(p_prev_run_id bigint) RETURNS SETOF @extschema@._worker_run
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

CREATE OR REPLACE FUNCTION @extschema@.activate_job(p_job_id bigint)
RETURNS void
LANGUAGE C AS 'MODULE_PATHNAME', 'jobmon_api';

CREATE OR REPLACE FUNCTION @extschema@.add_job(p_job_name text) RETURNS bigint
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    IF p_job_name IS NULL THEN
        PERFORM @extschema@._null_argument('add_job', 'p_job_name');
    ELSIF p_job_name = '' THEN
        RAISE EXCEPTION 'job name must not be empty'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'add_job() was called with p_job_name = ''''.',
                  HINT = 'Give the job a name that says what it does; check_job_status() reports jobs by name.';
    END IF;
    RETURN @extschema@._log_send_job_open(p_job_name);
END
$$;

CREATE OR REPLACE FUNCTION @extschema@.add_schedule(p_job_id bigint, p_cron text)
RETURNS bigint
LANGUAGE C AS 'MODULE_PATHNAME', 'jobmon_api';

CREATE OR REPLACE FUNCTION @extschema@.add_schedule(p_job_id bigint, p_dates timestamptz[])
RETURNS bigint
LANGUAGE C AS 'MODULE_PATHNAME', 'jobmon_api';

CREATE OR REPLACE FUNCTION @extschema@.add_step(p_job_id bigint, p_action text) RETURNS bigint
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    IF p_job_id IS NULL THEN
        IF @extschema@._null_id('add_step', 'p_job_id') THEN
            RETURN NULL;
        END IF;
    END IF;
    IF p_action IS NULL THEN
        PERFORM @extschema@._null_argument('add_step', 'p_action');
    END IF;
    RETURN @extschema@._log_send_step_open(p_job_id, p_action);
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
        format('Cancelled by role %s through cancel_job()', current_user));
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

CREATE OR REPLACE FUNCTION @extschema@.cancel_override(p_schedule_id bigint)
RETURNS void
LANGUAGE C AS 'MODULE_PATHNAME', 'jobmon_api';

CREATE OR REPLACE FUNCTION @extschema@.cancel_submitted_job(p_job_id bigint)
RETURNS boolean
LANGUAGE C AS 'MODULE_PATHNAME', 'jobmon_api';

CREATE OR REPLACE FUNCTION @extschema@.close_job(p_job_id bigint) RETURNS void
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    IF p_job_id IS NULL THEN
        IF @extschema@._null_id('close_job', 'p_job_id') THEN
            RETURN;
        END IF;
    END IF;
    PERFORM @extschema@._log_send_job_close(p_job_id, 1);
END
$$;

CREATE OR REPLACE FUNCTION @extschema@.create_job(p_options jsonb)
RETURNS bigint
LANGUAGE C AS 'MODULE_PATHNAME', 'jobmon_api';

CREATE OR REPLACE FUNCTION @extschema@.create_job(p_cron text, p_commands text) RETURNS bigint
LANGUAGE sql
SET search_path = @extschema@, pg_temp
AS $$
    SELECT @extschema@.create_job(jsonb_build_object('cron', p_cron, 'commands', p_commands))
$$;

CREATE OR REPLACE FUNCTION @extschema@.create_job(p_cron text, p_commands text[]) RETURNS bigint
LANGUAGE sql
SET search_path = @extschema@, pg_temp
AS $$
    SELECT @extschema@.create_job(jsonb_build_object('cron', p_cron, 'commands', p_commands))
$$;

CREATE OR REPLACE FUNCTION @extschema@.create_job(p_dates timestamptz, p_commands text) RETURNS bigint
LANGUAGE sql
SET search_path = @extschema@, pg_temp
AS $$
    SELECT @extschema@.create_job(jsonb_build_object('dates', p_dates, 'commands', p_commands))
$$;

CREATE OR REPLACE FUNCTION @extschema@.create_job(p_dates timestamptz, p_commands text[]) RETURNS bigint
LANGUAGE sql
SET search_path = @extschema@, pg_temp
AS $$
    SELECT @extschema@.create_job(jsonb_build_object('dates', p_dates, 'commands', p_commands))
$$;

CREATE OR REPLACE FUNCTION @extschema@.create_job(p_dates timestamptz[], p_commands text) RETURNS bigint
LANGUAGE sql
SET search_path = @extschema@, pg_temp
AS $$
    SELECT @extschema@.create_job(jsonb_build_object('dates', p_dates, 'commands', p_commands))
$$;

CREATE OR REPLACE FUNCTION @extschema@.create_job(p_dates timestamptz[], p_commands text[]) RETURNS bigint
LANGUAGE sql
SET search_path = @extschema@, pg_temp
AS $$
    SELECT @extschema@.create_job(jsonb_build_object('dates', p_dates, 'commands', p_commands))
$$;

CREATE OR REPLACE FUNCTION @extschema@.deactivate_job(p_job_id bigint)
RETURNS void
LANGUAGE C AS 'MODULE_PATHNAME', 'jobmon_api';

CREATE OR REPLACE FUNCTION @extschema@.disable_schedule(p_schedule_id bigint)
RETURNS void
LANGUAGE C AS 'MODULE_PATHNAME', 'jobmon_api';

CREATE OR REPLACE FUNCTION @extschema@.drop_job(p_job_id bigint, p_drop_history boolean DEFAULT false)
RETURNS void
LANGUAGE C AS 'MODULE_PATHNAME', 'jobmon_api';

CREATE OR REPLACE FUNCTION @extschema@.drop_schedule(p_schedule_id bigint)
RETURNS void
LANGUAGE C AS 'MODULE_PATHNAME', 'jobmon_api';

CREATE OR REPLACE FUNCTION @extschema@.dyn_override(p_schedule_id bigint, p_next_time timestamptz)
RETURNS void
LANGUAGE C AS 'MODULE_PATHNAME', 'jobmon_api';

CREATE OR REPLACE FUNCTION @extschema@.enable_schedule(p_schedule_id bigint)
RETURNS void
LANGUAGE C AS 'MODULE_PATHNAME', 'jobmon_api';

CREATE OR REPLACE FUNCTION @extschema@.fail_job(p_job_id bigint, p_fail_level integer DEFAULT 3) RETURNS void
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    IF p_job_id IS NULL THEN
        IF @extschema@._null_id('fail_job', 'p_job_id') THEN
            RETURN;
        END IF;
    END IF;
    IF p_fail_level IS NULL THEN
        PERFORM @extschema@._null_argument('fail_job', 'p_fail_level');
    END IF;
    PERFORM @extschema@._log_send_job_close(p_job_id, p_fail_level);
END
$$;

CREATE OR REPLACE FUNCTION @extschema@.grant_scheduler(p_role name)
RETURNS void
LANGUAGE C AS 'MODULE_PATHNAME', 'jobmon_api';

CREATE OR REPLACE FUNCTION @extschema@.jobmon_clean_log()
RETURNS bigint
LANGUAGE C AS 'MODULE_PATHNAME', 'jobmon_api';

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
                         WHEN 'capture_max_messages' THEN 'Give a whole number of at least 0.'
                         WHEN 'capture_max_bytes' THEN 'Give a size of at most 1GB, such as 1MB, 512kB or 65536 (bytes).'
                         WHEN 'capture_max_message_bytes' THEN 'Give a size of at most 1GB, such as 8kB or 1024 (bytes).'
                         ELSE 'Give a non-empty value.' END;
    END IF;
    INSERT INTO @extschema@.jobmon_config (name, value) VALUES (p_name, p_value)
    ON CONFLICT ON CONSTRAINT jobmon_config_name_pkey DO UPDATE SET value = EXCLUDED.value;
    -- The logging connection of this session picks the change up when it
    -- next connects; reconnect now so the caller sees the effect at once.
    PERFORM @extschema@._log_disconnect();
END
$$;

CREATE OR REPLACE PROCEDURE @extschema@.jobmon_dispatch(p_run_for interval DEFAULT interval '1 minute')
LANGUAGE plpgsql
AS $$
DECLARE
    v_path     pg_catalog.text := pg_catalog.current_setting('search_path');
    v_deadline pg_catalog.timestamptz;
    v_wake     pg_catalog.timestamptz;
    v_state    @extschema@.jobmon_dispatcher_state;
BEGIN
    PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', false);
    v_deadline := clock_timestamp() + p_run_for;
    IF pg_catalog.pg_is_in_recovery() THEN
        PERFORM pg_catalog.set_config('search_path', v_path, false);
        RETURN;
    END IF;
    -- The lock's key predates the name "dispatcher": it stays, so that the
    -- dispatchers of two versions exclude each other during an update.
    IF NOT pg_catalog.pg_try_advisory_lock(pg_catalog.hashtext('pg_jobmon tick'), 0) THEN
        UPDATE @extschema@.jobmon_dispatcher_state s
        SET renew_until = greatest(s.renew_until, v_deadline);
        PERFORM pg_catalog.set_config('search_path', v_path, false);
        RETURN;
    END IF;
    UPDATE @extschema@.jobmon_dispatcher_state s
    SET dispatcher_pid = pg_catalog.pg_backend_pid(), dispatcher_started = clock_timestamp(),
        renew_until = NULL, stop_requested = false;
    COMMIT;
    LOOP
        v_wake := @extschema@._dispatch_pass();
        SELECT * INTO v_state FROM @extschema@.jobmon_dispatcher_state;
        COMMIT;
        v_deadline := greatest(v_deadline, v_state.renew_until);
        EXIT WHEN v_state.stop_requested OR clock_timestamp() >= v_deadline;
        PERFORM @extschema@._dispatch_sleep(extract(epoch FROM least(v_wake, v_deadline) - clock_timestamp()));
    END LOOP;
    UPDATE @extschema@.jobmon_dispatcher_state s SET dispatcher_pid = NULL, stop_requested = false;
    COMMIT;
    PERFORM pg_catalog.pg_advisory_unlock(pg_catalog.hashtext('pg_jobmon tick'), 0);
    PERFORM pg_catalog.set_config('search_path', v_path, false);
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
        RAISE EXCEPTION 'pg_cron is not installed in database "%"', current_database()
            USING ERRCODE = 'undefined_object',
                  DETAIL = format('jobmon_start() schedules CALL %I.jobmon_dispatch() with pg_cron, which lives in the database named by cron.database_name (%s).',
                                  '@extschema@', coalesce(current_setting('cron.database_name', true), 'pg_cron is not loaded')),
                  HINT = format('In database %s run: SELECT cron.schedule_in_database(%L, %L, %L, %L); or have any other scheduler run that CALL every minute.',
                                coalesce(current_setting('cron.database_name', true), 'postgres'),
                                @extschema@._dispatch_cron_job_name(), '* * * * *',
                                format('CALL %I.jobmon_dispatch()', '@extschema@'), current_database());
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
    running := EXISTS (SELECT FROM pg_catalog.pg_stat_activity a WHERE a.pid = v_state.dispatcher_pid);
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
    message := CASE
        WHEN running AND last_wakeup > now() - interval '10 seconds' THEN 'dispatching'
        WHEN running THEN format('the dispatcher (pid %s) has not woken since %s', v_state.dispatcher_pid, last_wakeup)
        WHEN pg_cron_job IS NOT NULL AND last_wakeup IS NULL THEN
            'pg_cron calls the dispatcher at the start of every minute; if it has not after a minute, check cron.job_run_details'
        WHEN pg_cron_job IS NOT NULL AND last_wakeup < now() - interval '2 minutes' THEN
            'pg_cron has not run the dispatcher for over two minutes: check cron.job_run_details; if pg_cron cannot connect, set cron.use_background_workers = on (or cron.host to a socket directory) and restart'
        WHEN pg_cron_job IS NOT NULL THEN 'waiting for pg_cron to call the dispatcher (every minute)'
        ELSE format('no dispatcher is running: SELECT %I.jobmon_start(), or CALL %I.jobmon_dispatch() every minute from another scheduler',
                    '@extschema@', '@extschema@')
        END;
END
$$;

CREATE OR REPLACE FUNCTION @extschema@.jobmon_stop() RETURNS void
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_cron text;
BEGIN
    IF NOT @extschema@._is_superuser(current_user) THEN
        RAISE EXCEPTION 'permission denied to stop the pg_jobmon scheduler'
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'Run jobmon_stop() as a superuser.';
    END IF;
    v_cron := @extschema@._pg_cron_schema();
    IF v_cron IS NOT NULL THEN
        EXECUTE format('SELECT %1$s.unschedule(jobname) FROM %1$s.job WHERE jobname IN ($1, $1 || '' at start'')', v_cron)
            USING @extschema@._dispatch_cron_job_name();
    END IF;
    UPDATE @extschema@.jobmon_dispatcher_state s SET stop_requested = true WHERE s.dispatcher_pid IS NOT NULL;
    PERFORM @extschema@._dispatch_wake();
END
$$;

CREATE OR REPLACE FUNCTION @extschema@.log_event(
    p_step_id bigint, p_severity text, p_sqlstate text, p_message text,
    p_detail text DEFAULT NULL, p_hint text DEFAULT NULL, p_context text DEFAULT NULL,
    p_schema_name text DEFAULT NULL, p_table_name text DEFAULT NULL,
    p_column_name text DEFAULT NULL, p_datatype_name text DEFAULT NULL,
    p_constraint_name text DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_severity text := upper(p_severity);
BEGIN
    IF p_step_id IS NULL THEN
        IF @extschema@._null_id('log_event', 'p_step_id') THEN
            RETURN NULL;
        END IF;
    END IF;
    IF p_severity IS NULL THEN
        PERFORM @extschema@._null_argument('log_event', 'p_severity');
    ELSIF p_message IS NULL THEN
        PERFORM @extschema@._null_argument('log_event', 'p_message');
    END IF;
    IF v_severity NOT IN ('DEBUG5', 'DEBUG4', 'DEBUG3', 'DEBUG2', 'DEBUG1', 'LOG', 'INFO',
                          'NOTICE', 'WARNING', 'ERROR', 'FATAL', 'PANIC') THEN
        RAISE EXCEPTION 'unrecognized severity "%"', p_severity
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'log_event() takes PostgreSQL''s message severities.',
                  HINT = 'Use one of DEBUG5 .. DEBUG1, LOG, INFO, NOTICE, WARNING, ERROR, FATAL, PANIC.';
    END IF;
    IF p_sqlstate !~ '^[0-9A-Z]{5}$' THEN
        RAISE EXCEPTION 'invalid SQLSTATE code "%"', p_sqlstate
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'An SQLSTATE is five digits or upper-case letters.',
                  HINT = 'Pass the SQLSTATE variable of an EXCEPTION handler, e.g. ''22012'', or NULL.';
    END IF;
    RETURN @extschema@._log_send_event(p_step_id, v_severity, p_sqlstate, p_message, p_detail,
                                       p_hint, p_context, p_schema_name, p_table_name,
                                       p_column_name, p_datatype_name, p_constraint_name);
END
$$;

CREATE OR REPLACE FUNCTION @extschema@.revoke_scheduler(p_role name)
RETURNS void
LANGUAGE C AS 'MODULE_PATHNAME', 'jobmon_api';

CREATE OR REPLACE FUNCTION @extschema@.run_job(p_job_id bigint)
RETURNS bigint
LANGUAGE C AS 'MODULE_PATHNAME', 'jobmon_api';

CREATE OR REPLACE FUNCTION @extschema@.set_job_attributes(p_job_id bigint, p_options jsonb)
RETURNS void
LANGUAGE C AS 'MODULE_PATHNAME', 'jobmon_api';

CREATE OR REPLACE FUNCTION @extschema@.submit_job(query text, params text[] DEFAULT NULL,
    run_after timestamptz DEFAULT NULL, node text DEFAULT NULL, max_duration interval DEFAULT NULL,
    max_wait_interval interval DEFAULT NULL, run_as text DEFAULT NULL, depends_on bigint[] DEFAULT NULL,
    name text DEFAULT NULL, comments text DEFAULT NULL, resubmit_limit bigint DEFAULT 100)
RETURNS bigint
LANGUAGE C AS 'MODULE_PATHNAME', 'jobmon_api';

CREATE OR REPLACE FUNCTION @extschema@.update_step(p_step_id bigint, p_status text, p_message text) RETURNS void
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    IF p_step_id IS NULL THEN
        IF @extschema@._null_id('update_step', 'p_step_id') THEN
            RETURN;
        END IF;
    END IF;
    PERFORM @extschema@._log_send_step_close(p_step_id, p_status, p_message);
END
$$;

-- 3. The dblink logging connection is gone.

DROP FUNCTION @extschema@._conninfo_quote(text);
DROP FUNCTION @extschema@._log_connect();
DROP FUNCTION @extschema@._log_failure(text,text,text,text);
DROP FUNCTION @extschema@._log_write(text);
DROP FUNCTION @extschema@._log_write_reconnecting(text);

-- 4. Who reads the log: row-level security.

ALTER TABLE @extschema@.job_log ENABLE ROW LEVEL SECURITY;

ALTER TABLE @extschema@.job_detail ENABLE ROW LEVEL SECURITY;

ALTER TABLE @extschema@.jobmon_event ENABLE ROW LEVEL SECURITY;

CREATE POLICY job_log_readable ON @extschema@.job_log FOR SELECT
    USING (owner = current_user OR (SELECT @extschema@._log_reads_all()));

CREATE POLICY job_log_deletable ON @extschema@.job_log FOR DELETE
    USING (owner = current_user);

CREATE POLICY job_detail_readable ON @extschema@.job_detail FOR SELECT
    USING (EXISTS (SELECT FROM @extschema@.job_log l WHERE l.job_id = job_detail.job_id));

CREATE POLICY jobmon_event_readable ON @extschema@.jobmon_event FOR SELECT
    USING (EXISTS (SELECT FROM @extschema@.job_log l WHERE l.job_id = jobmon_event.job_id));

CREATE POLICY jobmon_run_log_readable ON @extschema@.job_log FOR SELECT
    USING (EXISTS (SELECT FROM @extschema@.jobmon_run r WHERE r.log_id = job_log.job_id));

CREATE POLICY jobmon_run_log_deletable ON @extschema@.job_log FOR DELETE
    USING (EXISTS (SELECT FROM @extschema@.jobmon_run r WHERE r.log_id = job_log.job_id));

CREATE POLICY jobmon_run_steps_private ON @extschema@.job_detail AS RESTRICTIVE FOR SELECT
    USING (coalesce(current_user = ANY (@extschema@._run_log_roles(job_id)), true));

CREATE POLICY jobmon_run_events_private ON @extschema@.jobmon_event AS RESTRICTIVE FOR SELECT
    USING (coalesce(current_user = ANY (@extschema@._run_log_roles(job_id)), true));

-- 5. Comments of the new functions.

COMMENT ON FUNCTION @extschema@._log_connection_info() IS 'internal: this session''s log writer (pid, synchronous_commit, lock_timeout), or NULLs';

COMMENT ON FUNCTION @extschema@._log_disconnect() IS 'internal: close this session''s logging connection';

COMMENT ON FUNCTION @extschema@._log_send_event(bigint, text, text, text, text, text, text, text, text, text, text, text) IS 'internal: record an event over the logging connection';

COMMENT ON FUNCTION @extschema@._log_send_job_close(bigint, integer) IS 'internal: end a job over the logging connection';

COMMENT ON FUNCTION @extschema@._log_send_job_open(text) IS 'internal: open a job_log row, as the calling role, over the logging connection';

COMMENT ON FUNCTION @extschema@._log_send_step_close(bigint, text, text) IS 'internal: set a step''s status and message over the logging connection';

COMMENT ON FUNCTION @extschema@._log_send_step_failed(bigint, text, text, text, text, text, text, text, text, text, text, text) IS 'internal: record an error and fail its step over the logging connection';

COMMENT ON FUNCTION @extschema@._log_send_step_open(bigint, text) IS 'internal: open a step over the logging connection';

COMMENT ON FUNCTION @extschema@._log_set_caller(oid) IS 'internal, on the log writer''s connection: the role the write under way is made for';

-- 6. Who may execute what (the same rule as a fresh install).

-- Who may execute what.  Every function whose name starts with "_" is
-- internal: PUBLIC may not execute it, except the few below, which run in
-- the caller's own right on the way of what any role may do (the logging
-- API, the row-level security of the log, the first checks of the
-- superuser-only functions, so that they fail with their own message).
-- The dispatcher's procedure is the superusers'.  Last in the install
-- script, so that it covers every function above; test/sql/20-security-
-- reviewed-surfaces.sql lists the result.
DO $privileges$
DECLARE
    v_function regprocedure;
BEGIN
    FOR v_function IN
        SELECT p.oid FROM pg_catalog.pg_proc p
        WHERE p.pronamespace = '@extschema@'::regnamespace
          AND p.proname LIKE '\_%'
          AND p.proname NOT IN (
              -- the logging API
              '_null_id', '_null_argument', '_setting', '_job_not_found', '_step_not_found',
              '_handled_error', '_log_step_error', '_log_send_job_open', '_log_send_step_open',
              '_log_send_step_close', '_log_send_job_close', '_log_send_event',
              '_log_send_step_failed',
              -- row-level security of the log
              '_log_reads_all', '_run_log_roles',
              -- jobmon_config_show(), and the checks before a superuser's work
              '_setting_defaults', '_setting_check_superuser', '_is_superuser')
    LOOP
        EXECUTE pg_catalog.format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', v_function);
    END LOOP;
END
$privileges$;

REVOKE ALL ON PROCEDURE @extschema@.jobmon_dispatch(interval) FROM PUBLIC;

-- 7. The dispatcher also starts with the server: where jobmon_start() has
--    registered it with pg_cron in this database, register it at start too
--    (pg_cron found as the extension, never by the schema name cron).
DO $cron$
DECLARE
    v_cron       text := @extschema@._pg_cron_schema();
    v_registered boolean := false;
BEGIN
    IF v_cron IS NOT NULL THEN
        EXECUTE pg_catalog.format('SELECT EXISTS (SELECT FROM %s.job WHERE jobname = $1)', v_cron)
            INTO v_registered USING @extschema@._dispatch_cron_job_name();
    END IF;
    IF v_registered THEN
        EXECUTE pg_catalog.format('SELECT %s.schedule_in_database($1, $2, $3, $4)', v_cron)
            USING @extschema@._dispatch_cron_job_name() || ' at start', '@reboot',
                  pg_catalog.format('CALL %I.jobmon_dispatch()', '@extschema@'), pg_catalog.current_database();
    END IF;
END
$cron$;
