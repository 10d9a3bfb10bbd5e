-- pg_jobmon 2.3.0 -> 2.4.0: one home per object, one vocabulary, no names
-- that shadow a user's own.  No behaviour changes besides the renames
-- (CHANGELOG.md lists them, old -> new).
--
-- Renames first; then the functions whose bodies name a renamed object
-- are recreated with their 2.4.0 text (PL/pgSQL and SQL bodies are text,
-- so a rename does not reach them); then what changed shape.

\echo Use "ALTER EXTENSION pg_jobmon UPDATE TO '2.4.0'" to load this file. \quit

-- 1. Names a user's own schema could have: 2.x's tables, views and
--    functions callable without arguments take the prefix jobmon_
--    (doc/pg_jobmon.md, "Names").  Renaming keeps each object's rows,
--    grants, comments and dependants.
ALTER TABLE @extschema@.config RENAME TO jobmon_config;
ALTER TABLE @extschema@.job RENAME TO jobmon_job;
ALTER TABLE @extschema@.job_schedule RENAME TO jobmon_schedule;
ALTER TABLE @extschema@.job_run RENAME TO jobmon_run;
ALTER TABLE @extschema@.job_audit RENAME TO jobmon_audit;
ALTER TABLE @extschema@.job_event RENAME TO jobmon_event;
ALTER TABLE @extschema@.scheduler_role RENAME TO jobmon_scheduler_role;
ALTER TABLE @extschema@.scheduler_state RENAME TO jobmon_dispatcher_state;
ALTER TABLE @extschema@.jobmon_dispatcher_state RENAME COLUMN tick_pid TO dispatcher_pid;
ALTER TABLE @extschema@.jobmon_dispatcher_state RENAME COLUMN tick_started TO dispatcher_started;

ALTER SEQUENCE @extschema@.job_job_id_seq RENAME TO jobmon_job_job_id_seq;
ALTER SEQUENCE @extschema@.job_schedule_schedule_id_seq RENAME TO jobmon_schedule_schedule_id_seq;
ALTER SEQUENCE @extschema@.job_run_run_id_seq RENAME TO jobmon_run_run_id_seq;
ALTER SEQUENCE @extschema@.job_audit_audit_id_seq RENAME TO jobmon_audit_audit_id_seq;
ALTER SEQUENCE @extschema@.job_event_event_id_seq RENAME TO jobmon_event_event_id_seq;

ALTER TYPE @extschema@._run_definition RENAME TO _worker_run;

ALTER VIEW @extschema@.timers RENAME TO jobmon_timers;
ALTER VIEW @extschema@.my_jobs RENAME TO jobmon_my_jobs;
ALTER VIEW @extschema@.my_log RENAME TO jobmon_my_log;
ALTER VIEW @extschema@.job_status RENAME TO jobmon_job_status;
ALTER VIEW @extschema@.all_job_status RENAME TO jobmon_all_job_status;

-- Constraints (renaming a primary key renames its index) and indexes
-- follow their tables.
ALTER TABLE @extschema@.jobmon_config RENAME CONSTRAINT config_name_pkey TO jobmon_config_name_pkey;
ALTER TABLE @extschema@.jobmon_job RENAME CONSTRAINT job_pkey TO jobmon_job_pkey;
ALTER TABLE @extschema@.jobmon_job RENAME CONSTRAINT job_commands_check TO jobmon_job_commands_check;
ALTER TABLE @extschema@.jobmon_job RENAME CONSTRAINT job_dates_check TO jobmon_job_dates_check;
ALTER TABLE @extschema@.jobmon_job RENAME CONSTRAINT job_max_instances_check TO jobmon_job_max_instances_check;
ALTER TABLE @extschema@.jobmon_job RENAME CONSTRAINT job_on_overlap_check TO jobmon_job_on_overlap_check;
ALTER TABLE @extschema@.jobmon_job RENAME CONSTRAINT job_on_missed_check TO jobmon_job_on_missed_check;
ALTER TABLE @extschema@.jobmon_job RENAME CONSTRAINT job_missed_limit_check TO jobmon_job_missed_limit_check;
ALTER TABLE @extschema@.jobmon_job RENAME CONSTRAINT job_capture_level_check TO jobmon_job_capture_level_check;
ALTER TABLE @extschema@.jobmon_job RENAME CONSTRAINT job_resubmit_limit_check TO jobmon_job_resubmit_limit_check;
ALTER TABLE @extschema@.jobmon_job RENAME CONSTRAINT job_retries_check TO jobmon_job_retries_check;
ALTER TABLE @extschema@.jobmon_job RENAME CONSTRAINT job_retry_backoff_check TO jobmon_job_retry_backoff_check;
ALTER TABLE @extschema@.jobmon_schedule RENAME CONSTRAINT job_schedule_pkey TO jobmon_schedule_pkey;
ALTER TABLE @extschema@.jobmon_schedule RENAME CONSTRAINT job_schedule_job_id_fkey TO jobmon_schedule_job_id_fkey;
ALTER TABLE @extschema@.jobmon_schedule RENAME CONSTRAINT job_schedule_kind_check TO jobmon_schedule_kind_check;
ALTER TABLE @extschema@.jobmon_run RENAME CONSTRAINT job_run_pkey TO jobmon_run_pkey;
ALTER TABLE @extschema@.jobmon_run RENAME CONSTRAINT job_run_status_check TO jobmon_run_status_check;
ALTER TABLE @extschema@.jobmon_audit RENAME CONSTRAINT job_audit_pkey TO jobmon_audit_pkey;
ALTER TABLE @extschema@.jobmon_event RENAME CONSTRAINT job_event_event_id_pkey TO jobmon_event_event_id_pkey;
ALTER TABLE @extschema@.jobmon_event RENAME CONSTRAINT job_event_step_id_fkey TO jobmon_event_step_id_fkey;
ALTER TABLE @extschema@.jobmon_event RENAME CONSTRAINT job_event_job_id_fkey TO jobmon_event_job_id_fkey;
ALTER TABLE @extschema@.jobmon_event RENAME CONSTRAINT job_event_severity_check TO jobmon_event_severity_check;
ALTER TABLE @extschema@.jobmon_event RENAME CONSTRAINT job_event_sqlstate_check TO jobmon_event_sqlstate_check;
ALTER TABLE @extschema@.jobmon_scheduler_role RENAME CONSTRAINT scheduler_role_pkey TO jobmon_scheduler_role_pkey;
ALTER TABLE @extschema@.jobmon_dispatcher_state RENAME CONSTRAINT scheduler_state_pkey TO jobmon_dispatcher_state_pkey;
ALTER TABLE @extschema@.jobmon_dispatcher_state RENAME CONSTRAINT scheduler_state_one_row TO jobmon_dispatcher_state_one_row;

ALTER INDEX @extschema@.job_name_key RENAME TO jobmon_job_name_key;
ALTER INDEX @extschema@.job_owner_idx RENAME TO jobmon_job_owner_idx;
ALTER INDEX @extschema@.job_run_as_idx RENAME TO jobmon_job_run_as_idx;
ALTER INDEX @extschema@.job_depends_on_idx RENAME TO jobmon_job_depends_on_idx;
ALTER INDEX @extschema@.job_schedule_next_fire_idx RENAME TO jobmon_schedule_next_fire_idx;
ALTER INDEX @extschema@.job_schedule_job_id_idx RENAME TO jobmon_schedule_job_id_idx;
ALTER INDEX @extschema@.job_run_waiting_idx RENAME TO jobmon_run_waiting_idx;
ALTER INDEX @extschema@.job_run_waiting_role_idx RENAME TO jobmon_run_waiting_role_idx;
ALTER INDEX @extschema@.job_run_active_idx RENAME TO jobmon_run_active_idx;
ALTER INDEX @extschema@.job_run_blocked_idx RENAME TO jobmon_run_blocked_idx;
ALTER INDEX @extschema@.job_run_job_id_idx RENAME TO jobmon_run_job_id_idx;
ALTER INDEX @extschema@.job_run_finished_at_idx RENAME TO jobmon_run_finished_at_idx;
ALTER INDEX @extschema@.job_run_log_id_idx RENAME TO jobmon_run_log_id_idx;
ALTER INDEX @extschema@.job_audit_job_id_idx RENAME TO jobmon_audit_job_id_idx;
ALTER INDEX @extschema@.job_event_step_id_idx RENAME TO jobmon_event_step_id_idx;
ALTER INDEX @extschema@.job_event_job_id_idx RENAME TO jobmon_event_job_id_idx;

ALTER POLICY job_visible ON @extschema@.jobmon_job RENAME TO jobmon_job_visible;
ALTER POLICY job_schedule_visible ON @extschema@.jobmon_schedule RENAME TO jobmon_schedule_visible;
ALTER POLICY job_run_visible ON @extschema@.jobmon_run RENAME TO jobmon_run_visible;
ALTER POLICY job_audit_visible ON @extschema@.jobmon_audit RENAME TO jobmon_audit_visible;

ALTER FUNCTION @extschema@.start() RENAME TO jobmon_start;
ALTER FUNCTION @extschema@.stop() RENAME TO jobmon_stop;
ALTER PROCEDURE @extschema@.tick(interval) RENAME TO jobmon_dispatch;
ALTER FUNCTION @extschema@.clean_log() RENAME TO jobmon_clean_log;
ALTER FUNCTION @extschema@.config_show() RENAME TO jobmon_config_show;
ALTER FUNCTION @extschema@.config_set(text, text) RENAME TO jobmon_config_set;
ALTER FUNCTION @extschema@.config_reset(text) RENAME TO jobmon_config_reset;

-- PostgreSQL 18 gives NOT NULL constraints names (<table>_<column>_not_null)
-- and keeps them when a table or column is renamed, as the renames above
-- do: each takes the name a fresh install gives it.  Before 18 there are
-- none.
DO $not_null$
DECLARE
    v record;
BEGIN
    FOR v IN
        SELECT c.oid::pg_catalog.regclass AS rel, n.conname,
               c.relname || '_' || a.attname || '_not_null' AS fresh
        FROM pg_catalog.pg_constraint n
        JOIN pg_catalog.pg_class c ON c.oid = n.conrelid
        JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum = n.conkey[1]
        WHERE n.contype = 'n' AND c.relnamespace = '@extschema@'::pg_catalog.regnamespace
          AND n.conname LIKE '%\_not\_null'
          AND n.conname <> c.relname || '_' || a.attname || '_not_null'
          AND pg_catalog.length(c.relname || '_' || a.attname || '_not_null') < 64
          AND EXISTS (SELECT FROM pg_catalog.pg_depend d
                      WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objid = c.oid
                        AND d.refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass
                        AND d.refobjid = (SELECT e.oid FROM pg_catalog.pg_extension e WHERE e.extname = 'pg_jobmon')
                        AND d.deptype = 'e')
    LOOP
        EXECUTE pg_catalog.format('ALTER TABLE %s RENAME CONSTRAINT %I TO %I', v.rel, v.conname, v.fresh);
    END LOOP;
END
$not_null$;

-- 2. One vocabulary (doc/pg_jobmon.md, "Words"): the dispatcher, the
--    worker's calls, and log rows that are opened and closed.
ALTER FUNCTION @extschema@._tick_sleep(float8) RENAME TO _dispatch_sleep;
ALTER FUNCTION @extschema@._tick_wake() RENAME TO _dispatch_wake;
ALTER FUNCTION @extschema@._tick_lead() RENAME TO _dispatch_lead;
ALTER FUNCTION @extschema@._tick_dispatch() RENAME TO _dispatch_plan;
ALTER FUNCTION @extschema@._tick_launch() RENAME TO _dispatch_launch;
ALTER FUNCTION @extschema@._tick_pass() RENAME TO _dispatch_pass;
ALTER FUNCTION @extschema@._tick_cron_job_name() RENAME TO _dispatch_cron_job_name;
ALTER FUNCTION @extschema@._schedule_dispatch(@extschema@.jobmon_schedule) RENAME TO _dispatch_plan_schedule;
ALTER FUNCTION @extschema@._run_plan(@extschema@.jobmon_job, bigint, timestamptz) RENAME TO _dispatch_plan_run;
ALTER FUNCTION @extschema@._run_start_problem(@extschema@.jobmon_run, @extschema@.jobmon_job) RENAME TO _run_skip_reason;
ALTER FUNCTION @extschema@._run_begin(@extschema@.jobmon_run) RENAME TO _run_set_running;
ALTER FUNCTION @extschema@._run_start(bigint) RENAME TO _worker_begin;
ALTER FUNCTION @extschema@._run_step_start(bigint, text) RENAME TO _worker_step_open;
ALTER FUNCTION @extschema@._run_step_end(bigint, bigint, boolean, text) RENAME TO _worker_step_close;
ALTER FUNCTION @extschema@._run_finish(bigint, text, text, text, text, interval) RENAME TO _worker_end;
ALTER FUNCTION @extschema@._run_next(bigint) RENAME TO _worker_next;
ALTER FUNCTION @extschema@._log_job_start(text, text, integer) RENAME TO _log_job_open;
ALTER FUNCTION @extschema@._log_step_start(bigint, text) RENAME TO _log_step_open;
ALTER FUNCTION @extschema@._log_step_end(bigint, text, text) RENAME TO _log_step_close;
ALTER FUNCTION @extschema@._log_job_end(bigint, integer) RENAME TO _log_job_close;

-- 3. Functions whose bodies name a renamed object, with their 2.4.0 text
--    (and the C functions, whose entry points now have one prefix, jobmon_;
--    the old names stay in the library for the install scripts that name
--    them), and the comments that name a renamed object.

CREATE OR REPLACE FUNCTION @extschema@.cron_next(
    expr text,
    after timestamptz DEFAULT now(),
    tz text DEFAULT current_setting('TimeZone'))
RETURNS timestamptz
AS 'MODULE_PATHNAME', 'jobmon_cron_next'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OR REPLACE FUNCTION @extschema@.cron_times(
    expr text,
    from_time timestamptz,
    to_time timestamptz,
    tz text DEFAULT current_setting('TimeZone'))
RETURNS SETOF timestamptz
AS 'MODULE_PATHNAME', 'jobmon_cron_times'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 100;

CREATE OR REPLACE FUNCTION @extschema@.cron_validate(expr text)
RETURNS void
AS 'MODULE_PATHNAME', 'jobmon_cron_validate'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE OR REPLACE FUNCTION @extschema@.cron_is_valid(expr text)
RETURNS boolean
AS 'MODULE_PATHNAME', 'jobmon_cron_is_valid'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OR REPLACE FUNCTION @extschema@.cron_describe(expr text)
RETURNS text
AS 'MODULE_PATHNAME', 'jobmon_cron_describe'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OR REPLACE FUNCTION @extschema@._dispatch_sleep(p_seconds float8) RETURNS boolean
LANGUAGE C STRICT VOLATILE
AS 'MODULE_PATHNAME', 'jobmon_dispatch_sleep';

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
     'Role the logging connection logs in as; by default the session user.'),
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
     'How long the dispatcher keeps finished runs of scheduled jobs (jobmon_run rows and their job_log rows); 0 keeps them for ever.');
END
$$;

CREATE OR REPLACE FUNCTION @extschema@._setting(p_name text) RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    RETURN (SELECT coalesce(c.value, d.default_value)
            FROM @extschema@._setting_defaults() d
            LEFT JOIN @extschema@.jobmon_config c ON c.name = d.name
            WHERE d.name = p_name);
END
$$;

CREATE OR REPLACE FUNCTION @extschema@.jobmon_config_show(
    OUT name text, OUT value text, OUT default_value text, OUT description text)
RETURNS SETOF record
LANGUAGE sql STABLE
SET search_path = @extschema@, pg_temp
AS $$
    SELECT d.name, coalesce(c.value, d.default_value), d.default_value, d.description
    FROM @extschema@._setting_defaults() d
    LEFT JOIN @extschema@.jobmon_config c ON c.name = d.name
    ORDER BY d.name
$$;

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
                         ELSE 'Give a non-empty value.' END;
    END IF;
    INSERT INTO @extschema@.jobmon_config (name, value) VALUES (p_name, p_value)
    ON CONFLICT ON CONSTRAINT jobmon_config_name_pkey DO UPDATE SET value = EXCLUDED.value;
    -- The logging connection of this session picks the change up when it
    -- next connects; reconnect now so the caller sees the effect at once.
    PERFORM @extschema@._log_disconnect();
END
$$;

CREATE OR REPLACE FUNCTION @extschema@.jobmon_config_reset(p_name text) RETURNS void
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    PERFORM @extschema@._setting_check_superuser();
    IF NOT EXISTS (SELECT FROM @extschema@._setting_defaults() d WHERE d.name = p_name) THEN
        RAISE EXCEPTION 'unrecognized pg_jobmon setting "%"', p_name
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Run SELECT * FROM jobmon_config_show() to see every setting.';
    END IF;
    DELETE FROM @extschema@.jobmon_config c WHERE c.name = p_name;
    PERFORM @extschema@._log_disconnect();
END
$$;

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
    RETURN @extschema@._log_write(format('SELECT @extschema@._log_job_open(%L, %L, %s)',
                                         p_job_name, current_user, pg_backend_pid()));
END
$$;

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
    RETURN @extschema@._log_write(format('SELECT @extschema@._log_step_open(%s, %L)',
                                         p_job_id, p_action));
END
$$;

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
    PERFORM @extschema@._log_write(format('SELECT @extschema@._log_job_close(%s, 1)', p_job_id));
END
$$;

CREATE OR REPLACE FUNCTION @extschema@._log_failure(p_sqlstate text, p_message text, p_detail text, p_hint text)
RETURNS void
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    IF @extschema@._setting('on_log_failure') = 'warning' THEN
        RAISE WARNING USING MESSAGE = p_message, DETAIL = coalesce(p_detail, ''),
                            HINT = coalesce(p_hint, 'Check the logging connection settings with SELECT * FROM jobmon_config_show().'), ERRCODE = p_sqlstate;
    ELSE
        RAISE EXCEPTION USING MESSAGE = p_message, DETAIL = coalesce(p_detail, ''),
                              HINT = coalesce(p_hint, 'Check the logging connection settings with SELECT * FROM jobmon_config_show().'), ERRCODE = p_sqlstate;
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION @extschema@._log_step_failed(
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
    v_event_id := @extschema@._log_event(p_step_id, p_severity, p_sqlstate, p_message, p_detail,
                                         p_hint, p_context, p_schema_name, p_table_name,
                                         p_column_name, p_datatype_name, p_constraint_name);
    PERFORM @extschema@._log_step_close(p_step_id,
                                      (SELECT t.alert_text FROM @extschema@.job_status_text t WHERE t.alert_code = 3),
                                      'ERROR: ' || p_message);
    RETURN v_event_id;
END
$$;

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
    PERFORM @extschema@._log_write(format('SELECT @extschema@._log_job_close(%s, %s)',
                                          p_job_id, p_fail_level));
END
$$;

CREATE OR REPLACE FUNCTION @extschema@.show_events(p_id bigint)
RETURNS SETOF @extschema@.jobmon_event
LANGUAGE sql STABLE
SET search_path = @extschema@, pg_temp
AS $$
    SELECT * FROM @extschema@.jobmon_event e
    WHERE e.job_id = p_id
    ORDER BY e.event_id
$$;

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
    PERFORM @extschema@._log_write(format('SELECT @extschema@._log_step_close(%s, %L, %L)',
                                          p_step_id, p_status, p_message));
END
$$;

CREATE OR REPLACE FUNCTION @extschema@._log_step_open(p_job_id bigint, p_action text) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_step_id bigint;
BEGIN
    INSERT INTO @extschema@.job_detail (job_id, action, start_time)
    SELECT j.job_id, p_action, now() FROM @extschema@.job_log j WHERE j.job_id = p_job_id
    RETURNING step_id INTO v_step_id;
    IF v_step_id IS NULL THEN
        PERFORM @extschema@._job_not_found(p_job_id);
    END IF;
    RETURN v_step_id;
END
$$;

CREATE OR REPLACE FUNCTION @extschema@._log_step_close(p_step_id bigint, p_status text, p_message text)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = @extschema@, pg_temp
AS $$
BEGIN
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

CREATE OR REPLACE FUNCTION @extschema@._check_may_schedule() RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_caller name := @extschema@._caller();
BEGIN
    IF @extschema@._is_admin(v_caller) OR EXISTS (
        SELECT FROM @extschema@.jobmon_scheduler_role s
        WHERE pg_catalog.pg_has_role(v_caller, s.role_name, 'MEMBER'))
    THEN
        RETURN;
    END IF;
    RAISE EXCEPTION 'permission denied to schedule jobs'
        USING ERRCODE = 'insufficient_privilege',
              DETAIL = format('Role "%s" has not been allowed to schedule jobs in database "%s".',
                              v_caller, pg_catalog.current_database()),
              HINT = format('A superuser or the database owner can run SELECT %s.grant_scheduler(%L).',
                            '@extschema@', v_caller);
END
$$;

CREATE OR REPLACE FUNCTION @extschema@._job_for_change(p_job_id bigint) RETURNS @extschema@.jobmon_job
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_caller name := @extschema@._caller();
    v_job    @extschema@.jobmon_job;
BEGIN
    IF p_job_id IS NULL THEN
        RAISE EXCEPTION 'job_id must not be NULL'
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Pass the id that create_job() returned.';
    END IF;
    SELECT * INTO v_job FROM @extschema@.jobmon_job j WHERE j.job_id = p_job_id FOR UPDATE;
    IF NOT FOUND OR NOT @extschema@._is_job_role(v_caller, v_job.owner, v_job.run_as) THEN
        RAISE EXCEPTION 'scheduled job % does not exist', p_job_id
            USING ERRCODE = 'undefined_object',
                  DETAIL = format('Role "%s" owns no job with job_id %s and runs no such job.', v_caller, p_job_id),
                  HINT = 'SELECT job_id, name FROM jobmon_my_jobs lists the jobs you can change.';
    END IF;
    RETURN v_job;
END
$$;

CREATE OR REPLACE FUNCTION @extschema@.grant_scheduler(p_role name) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
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

CREATE OR REPLACE FUNCTION @extschema@.revoke_scheduler(p_role name) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
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

CREATE OR REPLACE FUNCTION @extschema@.create_job(p_options jsonb) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
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

CREATE OR REPLACE FUNCTION @extschema@._job_update(p_action text, p_old @extschema@.jobmon_job, p_new @extschema@.jobmon_job)
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

CREATE OR REPLACE FUNCTION @extschema@.set_job_attributes(p_job_id bigint, p_options jsonb) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
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

CREATE OR REPLACE FUNCTION @extschema@.activate_job(p_job_id bigint) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
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

CREATE OR REPLACE FUNCTION @extschema@.deactivate_job(p_job_id bigint) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
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

CREATE OR REPLACE FUNCTION @extschema@.drop_job(p_job_id bigint, p_drop_history boolean DEFAULT false) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
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

CREATE OR REPLACE FUNCTION @extschema@.run_job(p_job_id bigint) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
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

CREATE OR REPLACE FUNCTION @extschema@._job_break(p_job_id bigint, p_reason text) RETURNS void
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

CREATE OR REPLACE FUNCTION @extschema@._job_new(p_owner name) RETURNS @extschema@.jobmon_job
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    j @extschema@.jobmon_job;
BEGIN
    j.job_id := nextval('@extschema@.jobmon_job_job_id_seq');
    j.name := 'job ' || j.job_id;
    j.owner := p_owner;
    j.run_as := p_owner;
    j.use_same_transaction := false;
    j.max_instances := 1;
    j.timezone := current_setting('TimeZone');
    j.on_overlap := 'skip';
    j.on_missed := 'once';
    j.missed_limit := 100;
    j.capture_level := 'NOTICE';
    j.active := true;
    j.created_at := now();
    j.oneoff := false;
    j.resubmit_limit := 100;
    j.retries := 0;
    j.retry_delay := interval '1 minute';
    j.retry_backoff := 2;
    RETURN j;
END
$$;

CREATE OR REPLACE FUNCTION @extschema@._job_apply_options(p_function text, p_job @extschema@.jobmon_job, p_options jsonb)
RETURNS @extschema@.jobmon_job
LANGUAGE plpgsql STABLE
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    j @extschema@.jobmon_job := p_job;
    o jsonb := p_options;
BEGIN
    IF o ? 'name' THEN
        j.name := (@extschema@._job_option_text_array(p_function, 'name', o->'name'))[1];
    END IF;
    IF o ? 'comments' THEN j.comments := o->>'comments'; END IF;
    IF o ? 'commands' THEN
        -- One string is one transaction; an array is one transaction each
        -- (or one for all with use_same_transaction).
        j.commands := @extschema@._job_option_text_array(p_function, 'commands', o->'commands');
    END IF;
    IF o ? 'run_as' THEN j.run_as := o->>'run_as'; END IF;
    IF o ? 'start_date' THEN j.start_date := @extschema@._job_option_time(p_function, 'start_date', o->'start_date'); END IF;
    IF o ? 'end_date' THEN j.end_date := @extschema@._job_option_time(p_function, 'end_date', o->'end_date'); END IF;
    IF o ? 'use_same_transaction' THEN j.use_same_transaction := (o->>'use_same_transaction')::boolean; END IF;
    IF o ? 'last_start_available' THEN
        j.last_start_available := @extschema@._job_option_interval(p_function, 'last_start_available', o->'last_start_available');
    END IF;
    IF o ? 'max_instances' THEN j.max_instances := @extschema@._job_option_int(p_function, 'max_instances', o->'max_instances'); END IF;
    IF o ? 'max_run_time' THEN j.max_run_time := @extschema@._job_option_interval(p_function, 'max_run_time', o->'max_run_time'); END IF;
    IF o ? 'onrollback' THEN j.onrollback := nullif(btrim(o->>'onrollback'), ''); END IF;
    IF o ? 'next_time_statement' THEN j.next_time_statement := nullif(btrim(o->>'next_time_statement'), ''); END IF;
    IF o ? 'timezone' THEN j.timezone := @extschema@._job_option_timezone(p_function, o->'timezone'); END IF;
    IF o ? 'on_overlap' THEN
        j.on_overlap := @extschema@._job_option_word(p_function, 'on_overlap', o->'on_overlap', '{skip,queue}');
    END IF;
    IF o ? 'on_missed' THEN
        j.on_missed := @extschema@._job_option_word(p_function, 'on_missed', o->'on_missed', '{once,skip,all}');
    END IF;
    IF o ? 'missed_limit' THEN j.missed_limit := @extschema@._job_option_int(p_function, 'missed_limit', o->'missed_limit'); END IF;
    IF o ? 'capture_level' THEN
        j.capture_level := @extschema@._job_option_word(p_function, 'capture_level', to_jsonb(upper(o->>'capture_level')),
            '{DEBUG5,DEBUG4,DEBUG3,DEBUG2,DEBUG1,LOG,INFO,NOTICE,WARNING,NONE}');
    END IF;

    IF o ? 'depends_on' THEN
        j.depends_on := @extschema@._depends_resolve(p_function, j.job_id, o->'depends_on');
    END IF;
    IF o ? 'retries' THEN j.retries := @extschema@._job_option_int(p_function, 'retries', o->'retries', 0); END IF;
    IF o ? 'retry_delay' THEN
        j.retry_delay := @extschema@._job_option_interval(p_function, 'retry_delay', o->'retry_delay');
    END IF;
    IF o ? 'retry_backoff' THEN
        IF NOT (o->>'retry_backoff')::numeric BETWEEN 1 AND 1000 THEN
            PERFORM @extschema@._job_option_error(p_function, 'retry_backoff', o->'retry_backoff',
                'It must be a number from 1 to 1000.', 'Give e.g. 2 to double the delay after each attempt, or 1 to keep it.');
        END IF;
        j.retry_backoff := (o->>'retry_backoff')::float8;
    END IF;
    IF o ? 'max_retry_delay' THEN
        j.max_retry_delay := @extschema@._job_option_interval(p_function, 'max_retry_delay', o->'max_retry_delay');
    END IF;

    IF j.end_date <= j.start_date THEN
        RAISE EXCEPTION 'end_date must be later than start_date'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('%s() got start_date %s and end_date %s.', p_function, j.start_date, j.end_date),
                  HINT = 'Swap the two, or leave end_date out for no end.';
    END IF;
    IF j.name ~* '^job [0-9]+$' AND j.name <> 'job ' || j.job_id THEN
        RAISE EXCEPTION 'job names of the form "job N" are reserved'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('%s() got the name "%s"; a job created without a name is named "job <its id>".', p_function, j.name),
                  HINT = 'Choose another name.';
    END IF;
    IF j.name IS NOT NULL AND EXISTS (SELECT FROM @extschema@.jobmon_job x
                                      WHERE upper(x.name) = upper(j.name) AND x.job_id <> j.job_id) THEN
        RAISE EXCEPTION 'a scheduled job named "%" already exists', j.name
            USING ERRCODE = 'unique_violation',
                  DETAIL = 'Runs are logged in job_log under the upper-case name, so names must differ in more than case.',
                  HINT = 'Choose another name.';
    END IF;
    RETURN j;
END
$$;

CREATE OR REPLACE FUNCTION @extschema@._audit(p_action text, p_job_id bigint, p_schedule_id bigint,
                                   p_old jsonb, p_new jsonb)
RETURNS void
LANGUAGE sql
SET search_path = @extschema@, pg_temp
AS $$
    INSERT INTO @extschema@.jobmon_audit (changed_by, action, job_id, schedule_id, old_value, new_value)
    VALUES (@extschema@._caller(), p_action, p_job_id, p_schedule_id, p_old, p_new)
$$;

CREATE OR REPLACE FUNCTION @extschema@._schedules_refresh(p_job_id bigint) RETURNS void
LANGUAGE sql
SET search_path = @extschema@, pg_temp
AS $$
    UPDATE @extschema@.jobmon_schedule s
    SET next_fire = @extschema@._schedule_next(s, j)
    FROM @extschema@.jobmon_job j
    WHERE j.job_id = p_job_id AND s.job_id = j.job_id
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

CREATE OR REPLACE FUNCTION @extschema@._schedule_for_change(p_schedule_id bigint)
RETURNS @extschema@.jobmon_schedule
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_caller   name := @extschema@._caller();
    v_schedule @extschema@.jobmon_schedule;
BEGIN
    IF p_schedule_id IS NULL THEN
        RAISE EXCEPTION 'schedule_id must not be NULL'
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Pass the id that add_schedule() returned, or one from jobmon_schedule.';
    END IF;
    SELECT s.* INTO v_schedule
    FROM @extschema@.jobmon_schedule s JOIN @extschema@.jobmon_job j ON j.job_id = s.job_id
    WHERE s.schedule_id = p_schedule_id
      AND @extschema@._is_job_role(v_caller, j.owner, j.run_as)
    FOR UPDATE OF s, j;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'schedule % does not exist', p_schedule_id
            USING ERRCODE = 'undefined_object',
                  DETAIL = format('No job that role "%s" owns or runs has a schedule with schedule_id %s.',
                                  v_caller, p_schedule_id),
                  HINT = 'SELECT * FROM jobmon_schedule lists the schedules of your jobs.';
    END IF;
    RETURN v_schedule;
END
$$;

CREATE OR REPLACE FUNCTION @extschema@._schedule_update(p_action text, p_old @extschema@.jobmon_schedule,
                                             p_new @extschema@.jobmon_schedule)
RETURNS void
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_new @extschema@.jobmon_schedule;
BEGIN
    UPDATE @extschema@.jobmon_schedule s
    SET enabled = p_new.enabled, override_time = p_new.override_time,
        next_fire = @extschema@._schedule_next(p_new, j)
    FROM @extschema@.jobmon_job j
    WHERE s.schedule_id = p_old.schedule_id AND j.job_id = s.job_id
    RETURNING s.* INTO v_new;
    PERFORM @extschema@._audit(p_action, p_old.job_id, p_old.schedule_id, to_jsonb(p_old), to_jsonb(v_new));
    PERFORM @extschema@._dispatch_wake();
END
$$;

CREATE OR REPLACE FUNCTION @extschema@.add_schedule(p_job_id bigint, p_cron text) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
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

CREATE OR REPLACE FUNCTION @extschema@.add_schedule(p_job_id bigint, p_dates timestamptz[]) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
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

CREATE OR REPLACE FUNCTION @extschema@.enable_schedule(p_schedule_id bigint) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
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

CREATE OR REPLACE FUNCTION @extschema@.disable_schedule(p_schedule_id bigint) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
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

CREATE OR REPLACE FUNCTION @extschema@.drop_schedule(p_schedule_id bigint) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_old @extschema@.jobmon_schedule := @extschema@._schedule_for_change(p_schedule_id);
BEGIN
    DELETE FROM @extschema@.jobmon_schedule s WHERE s.schedule_id = p_schedule_id;
    PERFORM @extschema@._audit('drop schedule', v_old.job_id, p_schedule_id, to_jsonb(v_old), NULL);
END
$$;

CREATE OR REPLACE FUNCTION @extschema@.dyn_override(p_schedule_id bigint, p_next_time timestamptz) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_old @extschema@.jobmon_schedule := @extschema@._schedule_for_change(p_schedule_id);
    v_new @extschema@.jobmon_schedule := v_old;
BEGIN
    IF p_next_time IS NULL THEN
        PERFORM @extschema@._null_argument('dyn_override', 'p_next_time');
    END IF;
    v_new.override_time := p_next_time;
    PERFORM @extschema@._schedule_update('override schedule', v_old, v_new);
END
$$;

CREATE OR REPLACE FUNCTION @extschema@.cancel_override(p_schedule_id bigint) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
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

CREATE OR REPLACE FUNCTION @extschema@._depends_state(p_dep_id bigint, p_since timestamptz) RETURNS text
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

CREATE OR REPLACE FUNCTION @extschema@._depends_since(j @extschema@.jobmon_job) RETURNS timestamptz
LANGUAGE sql STABLE
SET search_path = @extschema@, pg_temp
AS $$
    SELECT coalesce((SELECT max(r.created_at) FROM @extschema@.jobmon_run r
                     WHERE r.job_id = j.job_id AND r.status <> 'skipped'), j.created_at)
$$;

CREATE OR REPLACE FUNCTION @extschema@._dependants_notify(p_job_id bigint) RETURNS void
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

CREATE OR REPLACE FUNCTION @extschema@._depends_resolve(p_function text, p_job_id bigint, p_value jsonb)
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

CREATE OR REPLACE FUNCTION @extschema@._depends_check_cycle(p_function text, p_job_id bigint, p_ids bigint[])
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

CREATE OR REPLACE FUNCTION @extschema@._depends_check_drop(p_job_id bigint) RETURNS void
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

CREATE OR REPLACE FUNCTION @extschema@.submit_job(query text, params text[] DEFAULT NULL,
    run_after timestamptz DEFAULT NULL, node text DEFAULT NULL, max_duration interval DEFAULT NULL,
    max_wait_interval interval DEFAULT NULL, run_as text DEFAULT NULL, depends_on bigint[] DEFAULT NULL,
    name text DEFAULT NULL, comments text DEFAULT NULL, resubmit_limit bigint DEFAULT 100)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_caller  name := @extschema@._caller();
    j         @extschema@.jobmon_job;
    v_problem text;
BEGIN
    PERFORM @extschema@._check_may_schedule();
    IF submit_job.query IS NULL OR btrim(submit_job.query) = '' THEN
        RAISE EXCEPTION 'query of submit_job() must not be empty'
            USING ERRCODE = CASE WHEN submit_job.query IS NULL THEN 'null_value_not_allowed'
                                 ELSE 'invalid_parameter_value' END,
                  DETAIL = format('submit_job() got %s.', coalesce(quote_literal(submit_job.query), 'NULL')),
                  HINT = 'Pass the SQL to run, e.g. submit_job(''VACUUM my_table'').';
    END IF;
    IF submit_job.node IS NOT NULL THEN
        RAISE EXCEPTION 'argument node of submit_job() is not supported'
            USING ERRCODE = 'feature_not_supported',
                  DETAIL = format('submit_job() got node = %L; pg_jobmon runs every job on the server where it was submitted.',
                                  submit_job.node),
                  HINT = 'Leave node out (NULL).';
    END IF;
    IF submit_job.resubmit_limit IS NULL OR submit_job.resubmit_limit < 0 THEN
        RAISE EXCEPTION 'resubmit_limit of submit_job() must be 0 or more'
            USING ERRCODE = CASE WHEN submit_job.resubmit_limit IS NULL THEN 'null_value_not_allowed'
                                 ELSE 'invalid_parameter_value' END,
                  DETAIL = format('submit_job() got resubmit_limit = %s.', coalesce(submit_job.resubmit_limit::text, 'NULL')),
                  HINT = 'Give how many times the job may resubmit itself, e.g. 100 (the default).';
    END IF;
    PERFORM @extschema@._oneoff_check_interval('submit_job', 'max_duration', submit_job.max_duration);
    PERFORM @extschema@._oneoff_check_interval('submit_job', 'max_wait_interval', submit_job.max_wait_interval);

    j := @extschema@._job_new(v_caller);
    j.oneoff := true;
    j.name := coalesce(nullif(btrim(submit_job.name), ''), j.name);
    j.run_as := coalesce(submit_job.run_as, v_caller);
    PERFORM @extschema@._check_run_as(v_caller, j.run_as);
    j.commands := ARRAY[submit_job.query];
    j.params := submit_job.params;
    j.comments := submit_job.comments;
    j.last_start_available := submit_job.max_wait_interval;
    j.max_run_time := submit_job.max_duration;
    j.depends_on := @extschema@._depends_resolve('submit_job', j.job_id, to_jsonb(submit_job.depends_on));
    j.resubmit_limit := submit_job.resubmit_limit;
    INSERT INTO @extschema@.jobmon_job VALUES (j.*);

    v_problem := @extschema@._depends_problem(j);
    IF v_problem LIKE 'failed:%' THEN
        RAISE EXCEPTION 'a job that job % depends on has already failed', j.job_id
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('depends_on of submit_job() got %s: %s.', submit_job.depends_on,
                                  substr(v_problem, length('failed: ') + 1)),
                  HINT = 'Submit the job it depends on again, or leave it out of depends_on.';
    END IF;
    INSERT INTO @extschema@.jobmon_run (job_id, job_name, owner, run_as, oneoff, due_at, status)
    VALUES (j.job_id, j.name, j.owner, j.run_as, true, coalesce(submit_job.run_after, now()),
            CASE WHEN v_problem IS NULL THEN 'waiting' ELSE 'blocked' END);
    PERFORM @extschema@._audit('submit', j.job_id, NULL, NULL, to_jsonb(j));
    PERFORM @extschema@._dispatch_wake();
    RETURN j.job_id;
END
$$;

CREATE OR REPLACE FUNCTION @extschema@.cancel_submitted_job(p_job_id bigint) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER
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

CREATE OR REPLACE FUNCTION @extschema@._oneoff_resubmit(r @extschema@.jobmon_run, p_after interval) RETURNS text
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

CREATE OR REPLACE FUNCTION @extschema@._run_skip(p_run_id bigint, p_reason text) RETURNS void
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
BEGIN
    -- One row at a time: a cursor would lock rows ahead that other workers
    -- could take meanwhile.
    LOOP
        IF p_run_as IS NULL THEN
            SELECT * INTO r FROM @extschema@.jobmon_run x
            WHERE x.status = 'waiting' AND x.oneoff = p_oneoff AND x.due_at <= p_until
              AND NOT x.run_id = ANY (v_queued)
            ORDER BY x.oneoff, x.due_at, x.run_id
            LIMIT 1 FOR UPDATE SKIP LOCKED;
        ELSE
            SELECT * INTO r FROM @extschema@.jobmon_run x
            WHERE x.status = 'waiting' AND x.oneoff = p_oneoff AND x.run_as = p_run_as
              AND x.due_at <= p_until AND NOT x.run_id = ANY (v_queued)
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
        ELSIF (SELECT count(*) FROM @extschema@.jobmon_run x
               WHERE x.job_id = j.job_id AND x.status IN ('starting', 'running')) < j.max_instances THEN
            RETURN r;
        ELSE
            v_queued := v_queued || r.run_id;   -- behind a run of its own job
        END IF;
    END LOOP;
END
$$;

CREATE OR REPLACE FUNCTION @extschema@._runs_skip_expired() RETURNS void
LANGUAGE sql
SET search_path = @extschema@, pg_temp
AS $$
    SELECT @extschema@._run_skip(x.run_id, @extschema@._run_late_reason(j))
    FROM @extschema@.jobmon_run x JOIN @extschema@.jobmon_job j ON j.job_id = x.job_id
    WHERE x.status = 'waiting' AND j.last_start_available IS NOT NULL
      AND x.due_at + j.last_start_available < clock_timestamp()
$$;

CREATE OR REPLACE FUNCTION @extschema@._dispatch_cron_job_name() RETURNS text
LANGUAGE sql STABLE
AS $$ SELECT 'pg_jobmon dispatcher: ' || pg_catalog.current_database() $$;

CREATE OR REPLACE FUNCTION @extschema@.jobmon_start() RETURNS bigint
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_job_id bigint;
BEGIN
    IF NOT @extschema@._is_superuser(current_user) THEN
        RAISE EXCEPTION 'permission denied to start the pg_jobmon scheduler'
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = 'The dispatcher starts workers as the roles of the jobs, which only a superuser may do.',
                  HINT = 'Run jobmon_start() as a superuser.';
    END IF;
    IF to_regprocedure('cron.schedule_in_database(text,text,text,text,text,boolean)') IS NULL THEN
        RAISE EXCEPTION 'pg_cron is not installed in database "%"', current_database()
            USING ERRCODE = 'undefined_object',
                  DETAIL = format('jobmon_start() schedules CALL %I.jobmon_dispatch() with pg_cron, which lives in the database named by cron.database_name (%s).',
                                  '@extschema@', coalesce(current_setting('cron.database_name', true), 'pg_cron is not loaded')),
                  HINT = format('In database %s run: SELECT cron.schedule_in_database(%L, %L, %L, %L); or have any other scheduler run that CALL every minute.',
                                coalesce(current_setting('cron.database_name', true), 'postgres'),
                                @extschema@._dispatch_cron_job_name(), '* * * * *',
                                format('CALL %I.jobmon_dispatch()', '@extschema@'), current_database());
    END IF;
    EXECUTE 'SELECT cron.schedule_in_database($1, $2, $3, $4)'
        INTO v_job_id
        USING @extschema@._dispatch_cron_job_name(), '* * * * *',
              format('CALL %I.jobmon_dispatch()', '@extschema@'), current_database();
    RETURN v_job_id;
END
$$;

CREATE OR REPLACE FUNCTION @extschema@.jobmon_stop() RETURNS void
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    IF NOT @extschema@._is_superuser(current_user) THEN
        RAISE EXCEPTION 'permission denied to stop the pg_jobmon scheduler'
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'Run jobmon_stop() as a superuser.';
    END IF;
    IF to_regprocedure('cron.unschedule(name)') IS NOT NULL THEN
        EXECUTE 'SELECT cron.unschedule(jobname) FROM cron.job WHERE jobname = $1'
            USING @extschema@._dispatch_cron_job_name();
    END IF;
    UPDATE @extschema@.jobmon_dispatcher_state s SET stop_requested = true WHERE s.dispatcher_pid IS NOT NULL;
    PERFORM @extschema@._dispatch_wake();
END
$$;

CREATE OR REPLACE FUNCTION @extschema@._dispatch_pass() RETURNS timestamptz
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_state @extschema@.jobmon_dispatcher_state;
BEGIN
    -- Workers wait for this transaction to end: do not make them wait for
    -- its WAL flush too.  A worker's own first commit flushes past it, so a
    -- run that did anything cannot lose its plan; a plan lost in a crash is
    -- made again.
    SET LOCAL synchronous_commit = off;
    UPDATE @extschema@.jobmon_dispatcher_state s SET last_wakeup = clock_timestamp()
    RETURNING * INTO v_state;
    PERFORM @extschema@._runs_close_orphaned();
    PERFORM @extschema@._runs_enforce_limits();
    PERFORM @extschema@._dispatch_plan();
    PERFORM @extschema@._dispatch_launch();
    IF v_state.retention_at IS NULL OR v_state.retention_at < now() - interval '1 minute' THEN
        PERFORM @extschema@._runs_apply_retention();
        UPDATE @extschema@.jobmon_dispatcher_state s SET retention_at = now();
    END IF;
    -- Sleep until the next fire time, but look again within a second for
    -- runs that wait for a slot, time limits and vanished workers.
    RETURN least(clock_timestamp() + interval '1 second',
                 (SELECT min(x.next_fire) FROM @extschema@.jobmon_schedule x WHERE x.next_fire IS NOT NULL)
                     - @extschema@._dispatch_lead(),
                 (SELECT min(x.due_at) FROM @extschema@.jobmon_run x
                  WHERE x.status = 'waiting' AND x.due_at > clock_timestamp()) - @extschema@._dispatch_lead());
END
$$;

CREATE OR REPLACE PROCEDURE @extschema@.jobmon_dispatch(p_run_for interval DEFAULT interval '1 minute')
LANGUAGE plpgsql
AS $$
DECLARE
    v_deadline timestamptz := clock_timestamp() + p_run_for;
    v_wake     timestamptz;
    v_state    @extschema@.jobmon_dispatcher_state;
BEGIN
    IF pg_catalog.pg_is_in_recovery() THEN
        RETURN;
    END IF;
    -- The lock's key predates the name "dispatcher": it stays, so that the
    -- dispatchers of two versions exclude each other during an update.
    IF NOT pg_catalog.pg_try_advisory_lock(pg_catalog.hashtext('pg_jobmon tick'), 0) THEN
        UPDATE @extschema@.jobmon_dispatcher_state s
        SET renew_until = greatest(s.renew_until, v_deadline);
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
END
$$;

CREATE OR REPLACE FUNCTION @extschema@._dispatch_wake() RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    PERFORM @extschema@._latch_set_at_commit(s.dispatcher_pid)
    FROM @extschema@.jobmon_dispatcher_state s WHERE s.dispatcher_pid IS NOT NULL;
END
$$;

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
            v_pid := @extschema@._worker_launch(r.run_id,
                (SELECT j.run_as::regrole::oid FROM @extschema@.jobmon_job j WHERE j.job_id = r.job_id), r.due_at);
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
        WHERE r.started_at + j.max_run_time + interval '5 seconds' < v_now
           OR j.end_date < v_now
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

CREATE OR REPLACE FUNCTION @extschema@._dispatch_plan_schedule(s @extschema@.jobmon_schedule) RETURNS void
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    j        @extschema@.jobmon_job;
    v_now    timestamptz := clock_timestamp();
    v_latest timestamptz;
    v_times  timestamptz[];
BEGIN
    SELECT * INTO j FROM @extschema@.jobmon_job x WHERE x.job_id = s.job_id;
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
        INSERT INTO @extschema@.jobmon_run (job_id, schedule_id, job_name, owner, run_as, oneoff, due_at,
                                         status, reason, finished_at)
        VALUES (j.job_id, s.schedule_id, j.name, j.owner, j.run_as, j.oneoff, v_latest, 'skipped',
                format('the fire times from %s to %s were missed while no dispatcher ran (on_missed skip)',
                       s.next_fire, v_latest), now());
    END IF;
    PERFORM @extschema@._dispatch_plan_run(j, s.schedule_id, t) FROM unnest(v_times) t;

    s.fired_until := greatest(s.fired_until, s.next_fire, v_latest);
    s.override_time := NULL;
    UPDATE @extschema@.jobmon_schedule x
    SET fired_until = s.fired_until, override_time = NULL, next_fire = @extschema@._schedule_next(s, j)
    WHERE x.schedule_id = s.schedule_id;
END
$$;

CREATE OR REPLACE FUNCTION @extschema@._dispatch_plan() RETURNS integer
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

CREATE OR REPLACE FUNCTION @extschema@._dispatch_plan_run(j @extschema@.jobmon_job, p_schedule_id bigint, p_due_at timestamptz)
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
    FROM @extschema@.jobmon_run r
    WHERE r.job_id = j.job_id AND r.status IN ('waiting', 'starting', 'running');
    IF v_active >= j.max_instances AND NOT (j.on_overlap = 'queue' AND v_waiting = 0) THEN
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

CREATE OR REPLACE FUNCTION @extschema@._runs_apply_retention() RETURNS integer
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
        DELETE FROM @extschema@.jobmon_run r
        WHERE r.run_id IN (SELECT x.run_id FROM @extschema@.jobmon_run x
                           WHERE x.finished_at < now() - v_keep LIMIT 10000)
        RETURNING r.log_id)
    DELETE FROM @extschema@.job_log l USING old WHERE l.job_id = old.log_id;
    GET DIAGNOSTICS v_count = ROW_COUNT;
    RETURN v_count;
END
$$;

CREATE OR REPLACE FUNCTION @extschema@.jobmon_clean_log() RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
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

CREATE OR REPLACE FUNCTION @extschema@.wait_for_run(p_run_id bigint, p_timeout interval DEFAULT interval '1 minute')
RETURNS text
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_until  timestamptz := clock_timestamp() + p_timeout;
    v_status text;
BEGIN
    IF EXISTS (SELECT FROM @extschema@.jobmon_run r
               WHERE r.run_id = p_run_id AND r.xmin = xid(pg_current_xact_id_if_assigned())) THEN
        RAISE EXCEPTION 'run % cannot start before this transaction commits', p_run_id
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = 'The run was planned in this transaction, which the dispatcher cannot see yet.',
                  HINT = 'Commit first, e.g. SELECT run_job(...) \gset, then wait_for_run in its own statement.';
    END IF;
    LOOP
        SELECT r.status INTO v_status FROM @extschema@.jobmon_run r WHERE r.run_id = p_run_id;
        IF v_status IS NULL THEN
            RAISE EXCEPTION 'run % does not exist', p_run_id
                USING ERRCODE = 'undefined_object',
                      HINT = 'SELECT run_id FROM jobmon_my_log lists the runs you can see.';
        END IF;
        EXIT WHEN v_status NOT IN ('waiting', 'starting', 'running') OR clock_timestamp() >= v_until;
        PERFORM pg_catalog.pg_sleep(0.01);
    END LOOP;
    RETURN v_status;
END
$$;

CREATE OR REPLACE FUNCTION @extschema@._worker_begin(p_run_id bigint) RETURNS SETOF @extschema@._worker_run
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_run @extschema@.jobmon_run;
BEGIN
    SELECT * INTO v_run FROM @extschema@.jobmon_run r
    WHERE r.run_id = p_run_id AND r.status = 'starting' FOR UPDATE;
    IF FOUND THEN
        RETURN NEXT @extschema@._run_set_running(v_run);
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION @extschema@._run_set_running(r @extschema@.jobmon_run) RETURNS @extschema@._worker_run
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_job @extschema@.jobmon_job;
BEGIN
    SELECT * INTO v_job FROM @extschema@.jobmon_job j WHERE j.job_id = r.job_id;
    UPDATE @extschema@.jobmon_run x
    SET status = 'running', started_at = now(), pid = pg_backend_pid(),
        log_id = @extschema@._log_job_open(r.job_name, r.run_as::text, pg_backend_pid())
    WHERE x.run_id = r.run_id;
    RETURN (r.run_id, v_job.commands, v_job.use_same_transaction, v_job.onrollback,
            v_job.next_time_statement, (extract(epoch FROM v_job.max_run_time) * 1000)::bigint,
            v_job.capture_level, v_job.job_id, v_job.oneoff, v_job.params)::@extschema@._worker_run;
END
$$;

CREATE OR REPLACE FUNCTION @extschema@._worker_step_open(p_run_id bigint, p_action text) RETURNS bigint
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    RETURN @extschema@._log_step_open((SELECT r.log_id FROM @extschema@.jobmon_run r WHERE r.run_id = p_run_id),
                                       p_action);
END
$$;

CREATE OR REPLACE FUNCTION @extschema@._worker_step_close(p_run_id bigint, p_step_id bigint, p_ok boolean, p_message text)
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

    -- A command that names a role, table, function or schema that is gone
    -- fails the same way every time: stop scheduling the job.
    IF v_outcome = 'failure' THEN
        SELECT e.sqlstate, e.message INTO v_error FROM @extschema@.jobmon_event e
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
        IF v_next IS NULL THEN
            PERFORM @extschema@._job_break(v_job.job_id,
                format('next_time_statement returned %s, not a time', coalesce('"' || p_next_time || '"', 'no value')));
            RETURN;
        END IF;
        UPDATE @extschema@.jobmon_schedule s SET override_time = v_next
        WHERE s.job_id = v_job.job_id AND (s.schedule_id = v_run.schedule_id OR v_run.schedule_id IS NULL);
        PERFORM @extschema@._schedules_refresh(v_job.job_id);
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION @extschema@._run_retry(r @extschema@.jobmon_run, p_outcome text) RETURNS timestamptz
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

CREATE OR REPLACE FUNCTION @extschema@._run_log_close(r @extschema@.jobmon_run, p_outcome text, p_retry_at timestamptz)
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

CREATE OR REPLACE FUNCTION @extschema@._worker_next(p_prev_run_id bigint) RETURNS SETOF @extschema@._worker_run
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    r @extschema@.jobmon_run;
BEGIN
    r := @extschema@._run_claim((SELECT x.oneoff FROM @extschema@.jobmon_run x WHERE x.run_id = p_prev_run_id),
                                session_user, clock_timestamp());
    IF r.run_id IS NULL THEN
        PERFORM @extschema@._dispatch_wake();       -- a slot is free
        RETURN;
    END IF;
    RETURN NEXT @extschema@._run_set_running(r);
END
$$;

CREATE OR REPLACE FUNCTION @extschema@.get_job(p_job_id bigint) RETURNS SETOF @extschema@.jobmon_my_jobs
LANGUAGE sql STABLE
SET search_path = @extschema@, pg_temp
AS $$ SELECT * FROM @extschema@.jobmon_my_jobs m WHERE m.job_id = p_job_id $$;

CREATE OR REPLACE FUNCTION @extschema@.get_owned_jobs(p_owner name DEFAULT current_user) RETURNS SETOF @extschema@.jobmon_my_jobs
LANGUAGE sql STABLE
SET search_path = @extschema@, pg_temp
AS $$ SELECT * FROM @extschema@.jobmon_my_jobs m WHERE m.owner = p_owner ORDER BY m.job_id $$;

CREATE OR REPLACE FUNCTION @extschema@.get_run_as_jobs(p_run_as name DEFAULT current_user) RETURNS SETOF @extschema@.jobmon_my_jobs
LANGUAGE sql STABLE
SET search_path = @extschema@, pg_temp
AS $$ SELECT * FROM @extschema@.jobmon_my_jobs m WHERE m.run_as = p_run_as ORDER BY m.job_id $$;

CREATE OR REPLACE FUNCTION @extschema@.get_active_runs() RETURNS SETOF @extschema@.jobmon_my_log
LANGUAGE sql STABLE
SET search_path = @extschema@, pg_temp
AS $$ SELECT * FROM @extschema@.jobmon_my_log m WHERE m.status IN ('waiting', 'starting', 'running') $$;

CREATE OR REPLACE FUNCTION @extschema@.get_run_log(p_job_id bigint DEFAULT NULL) RETURNS SETOF @extschema@.jobmon_my_log
LANGUAGE sql STABLE
SET search_path = @extschema@, pg_temp
AS $$ SELECT * FROM @extschema@.jobmon_my_log m WHERE p_job_id IS NULL OR m.job_id = p_job_id $$;

CREATE OR REPLACE FUNCTION @extschema@.timetable(start_time timestamptz, end_time timestamptz)
RETURNS TABLE (job_id bigint, name text, kind text, schedule_id bigint, due_at timestamptz,
               status text, run_id bigint, attempt integer, started_at timestamptz,
               finished_at timestamptz, error text)
LANGUAGE plpgsql STABLE
SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    IF start_time IS NULL OR end_time IS NULL THEN
        PERFORM @extschema@._null_argument('timetable', CASE WHEN start_time IS NULL THEN 'start_time' ELSE 'end_time' END);
    END IF;
    IF end_time < start_time THEN
        RAISE EXCEPTION 'end_time of timetable() is earlier than start_time'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('timetable() got %s to %s.', start_time, end_time),
                  HINT = 'Swap the two arguments.';
    END IF;
    RETURN QUERY
    SELECT p.job_id, p.name, p.kind, p.schedule_id, p.due_at, p.status, p.run_id, p.attempt,
           p.started_at, p.finished_at, p.error
    FROM (
        -- Runs planned, under way or done.
        SELECT r.job_id, r.job_name AS name,
               CASE WHEN j.oneoff THEN 'one-off' WHEN NOT j.oneoff THEN 'periodic' ELSE 'dropped' END AS kind,
               r.schedule_id, r.due_at, r.status, r.run_id, r.attempt, r.started_at, r.finished_at,
               CASE WHEN r.status <> 'success' THEN r.reason END AS error
        FROM @extschema@.jobmon_run r
        LEFT JOIN @extschema@.jobmon_job j ON j.job_id = r.job_id
        WHERE r.due_at >= timetable.start_time AND r.due_at < timetable.end_time
        UNION ALL
        -- Fire times the dispatcher has not dispatched yet.
        SELECT j.job_id, j.name, 'periodic', s.schedule_id, t.due_at, 'planned', NULL, 1, NULL, NULL, NULL
        FROM @extschema@.jobmon_schedule s
        JOIN @extschema@.jobmon_job j ON j.job_id = s.job_id
        CROSS JOIN LATERAL (
            SELECT s.next_fire AS due_at
            UNION
            SELECT c FROM @extschema@.cron_times(s.cron, greatest(timetable.start_time, s.next_fire, j.start_date),
                                                 least(timetable.end_time, j.end_date), j.timezone) c
            WHERE s.cron IS NOT NULL AND c > s.next_fire
            UNION
            SELECT d FROM unnest(s.dates) d WHERE d > s.next_fire AND (d >= j.start_date) IS NOT FALSE
        ) t
        WHERE s.next_fire IS NOT NULL
          AND t.due_at >= timetable.start_time AND t.due_at < timetable.end_time
          AND (t.due_at <= j.end_date) IS NOT FALSE
    ) p
    ORDER BY p.due_at, p.job_id, p.run_id;
END
$$;

DO $install$
DECLARE
    v_dblink text;
BEGIN
    SELECT pg_catalog.quote_ident(n.nspname) INTO STRICT v_dblink
    FROM pg_catalog.pg_extension e
    JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace
    WHERE e.extname = 'dblink';

    EXECUTE replace($fn$

CREATE OR REPLACE FUNCTION @extschema@._log_connect() RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_host  text := coalesce(@extschema@._setting('log_host'),
                             nullif(trim(split_part(current_setting('unix_socket_directories'), ',', 1)), ''),
                             'localhost');
    v_port  text := coalesce(@extschema@._setting('log_port'), current_setting('port'));
    v_user  text := coalesce(@extschema@._setting('log_user'), session_user);
    v_durability text := @extschema@._setting('log_durability');
    v_conninfo text;
BEGIN
    PERFORM @extschema@._log_disconnect();
    v_conninfo := format('dbname=%s host=%s port=%s user=%s application_name=%s',
                         @extschema@._conninfo_quote(current_database()),
                         @extschema@._conninfo_quote(v_host),
                         @extschema@._conninfo_quote(v_port),
                         @extschema@._conninfo_quote(v_user),
                         '''pg_jobmon log writer''');
    BEGIN
        PERFORM @dblink@.dblink_connect('pg_jobmon_log', v_conninfo);
    EXCEPTION WHEN sqlclient_unable_to_establish_sqlconnection THEN
        DECLARE
            v_cause text;
        BEGIN
            GET STACKED DIAGNOSTICS v_cause = PG_EXCEPTION_DETAIL;
            RAISE EXCEPTION 'could not open the pg_jobmon logging connection'
                USING ERRCODE = 'sqlclient_unable_to_establish_sqlconnection',
                      DETAIL = format('Connecting to database "%s" as role "%s" through host "%s", port %s failed: %s',
                                      current_database(), v_user, v_host, v_port, rtrim(v_cause, E'\n')),
                      HINT = 'Let the role log in without a password over that socket (pg_hba.conf, or a .pgpass file of the server''s system account), or point jobmon_config_set(''log_host'' | ''log_port'' | ''log_user'', ...) at a connection that works.';
        END;
    END;
    -- Unless log_durability is always, writes commit asynchronously;
    -- _log_job_close restores the session's own synchronous_commit for the
    -- end of a job unless log_durability is off.
    IF v_durability <> 'always' THEN
        PERFORM @dblink@.dblink_exec('pg_jobmon_log', 'SET synchronous_commit = off');
    END IF;
    PERFORM @dblink@.dblink_exec('pg_jobmon_log',
        format('SET lock_timeout = %L', @extschema@._setting('log_lock_timeout')));
END
$$;
$fn$, '@dblink@', v_dblink);
END
$install$;

COMMENT ON PROCEDURE @extschema@.jobmon_dispatch(interval) IS 'dispatch due runs of scheduled jobs for a while (superuser; jobmon_start() schedules it with pg_cron)';

COMMENT ON FUNCTION @extschema@.jobmon_start() IS 'schedule the dispatcher with pg_cron in this database; returns the pg_cron job id';

COMMENT ON FUNCTION @extschema@.jobmon_stop() IS 'unschedule the dispatcher and stop the running one';

COMMENT ON TABLE @extschema@.jobmon_config IS 'settings changed from their defaults; see jobmon_config_show()';

-- 4. What changed shape.

-- status() -> jobmon_status(): its OUT columns tick_pid and tick_started
-- are now dispatcher_pid and dispatcher_started, which needs a new function.
DROP FUNCTION @extschema@.status();
CREATE FUNCTION @extschema@.jobmon_status(
    OUT running boolean, OUT dispatcher_pid integer, OUT dispatcher_started timestamptz,
    OUT last_wakeup timestamptz, OUT workers_in_use bigint, OUT max_workers integer,
    OUT runs_waiting bigint, OUT pg_cron_job text, OUT message text)
RETURNS record
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_state @extschema@.jobmon_dispatcher_state;
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
    IF to_regclass('cron.job') IS NOT NULL THEN
        EXECUTE 'SELECT schedule || '' '' || command FROM cron.job WHERE jobname = $1'
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

COMMENT ON FUNCTION @extschema@.jobmon_status() IS 'whether the dispatcher runs, its last wake-up, workers in use, runs waiting';

-- The guard on the log of scheduled runs moves from a call in each log
-- writer to triggers that the scheduler puts on the logging tables.
DROP FUNCTION @extschema@._run_log_guard(bigint);

CREATE FUNCTION @extschema@._run_log_guard() RETURNS trigger
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_run    @extschema@.jobmon_run;
    v_caller name;
BEGIN
    SELECT * INTO v_run FROM @extschema@.jobmon_run r WHERE r.log_id = NEW.job_id;
    IF NOT FOUND OR v_run.pid IS NOT DISTINCT FROM pg_backend_pid() THEN  -- the run's own worker
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

CREATE TRIGGER jobmon_run_log_guard
BEFORE UPDATE ON @extschema@.job_log
FOR EACH ROW EXECUTE FUNCTION @extschema@._run_log_guard();

CREATE TRIGGER jobmon_run_log_guard
BEFORE INSERT OR UPDATE ON @extschema@.job_detail
FOR EACH ROW EXECUTE FUNCTION @extschema@._run_log_guard();

CREATE TRIGGER jobmon_run_log_guard
BEFORE INSERT ON @extschema@.jobmon_event
FOR EACH ROW EXECUTE FUNCTION @extschema@._run_log_guard();

-- pg_cron calls the dispatcher by its new name, under a new job name.
-- pg_cron is found as the extension (its functions' schema), never by the
-- schema name cron, which any role that may create schemas could plant.
DO $cron$
DECLARE
    v_cron text;
BEGIN
    SELECT pg_catalog.quote_ident(n.nspname) INTO v_cron
    FROM pg_catalog.pg_extension e
    JOIN pg_catalog.pg_depend d ON d.refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass
                               AND d.refobjid = e.oid AND d.deptype = 'e'
                               AND d.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass
    JOIN pg_catalog.pg_proc p ON p.oid = d.objid
    JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
    WHERE e.extname = 'pg_cron' AND p.proname = 'schedule_in_database'
    LIMIT 1;
    IF v_cron IS NOT NULL THEN
        EXECUTE pg_catalog.format('UPDATE %s.job SET jobname = $1, command = $2 WHERE jobname = $3', v_cron)
            USING 'pg_jobmon dispatcher: ' || pg_catalog.current_database(),
                  pg_catalog.format('CALL %I.jobmon_dispatch()', '@extschema@'),
                  'pg_jobmon tick: ' || pg_catalog.current_database();
    ELSE
        RAISE NOTICE 'the dispatcher procedure "%".tick() is now "%".jobmon_dispatch()', '@extschema@', '@extschema@'
            USING HINT = 'If pg_cron calls it from another database, change the command of its job there.';
    END IF;
END
$cron$;
