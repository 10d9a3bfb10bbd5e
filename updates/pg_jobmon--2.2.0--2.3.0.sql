-- pg_jobmon update script 2.2.0 -> 2.3.0, written by tools/make-update.sh
-- from the sources added since 2.2.0 (commit a74634922091) and the
-- fragments in sql/updates/2.2.0--2.3.0/.  Do not edit: edit those,
-- then run tools/make-update.sh 2.2.0 2.3.0 again.

\echo Use "ALTER EXTENSION pg_jobmon UPDATE TO '2.3.0'" to load this file. \quit

-- sql/updates/2.2.0--2.3.0/tables/scheduler.sql (changed since 2.2.0)
-- 2.3.0: a run records its job's kind, and waiting runs are indexed by kind
-- (and role), so that claims read job_run alone.
ALTER TABLE @extschema@.job_run ADD COLUMN oneoff boolean NOT NULL DEFAULT false;
UPDATE @extschema@.job_run r SET oneoff = true FROM @extschema@.job j WHERE j.job_id = r.job_id AND j.oneoff;
DROP INDEX @extschema@.job_run_waiting_idx;
CREATE INDEX job_run_waiting_idx ON @extschema@.job_run (oneoff, due_at, run_id) WHERE status = 'waiting';
CREATE INDEX job_run_waiting_role_idx ON @extschema@.job_run (oneoff, run_as, due_at, run_id)
    WHERE status = 'waiting';

-- 2.3.0: what a worker needs of a run it starts (functions/job_run.sql,
-- _run_begin): returned by _run_start and _run_next.
CREATE TYPE @extschema@._run_definition AS (
    run_id               bigint,
    commands             text[],
    use_same_transaction boolean,
    onrollback           text,
    next_time_statement  text,
    max_run_ms           bigint,
    capture_level        text,
    job_id               bigint,
    oneoff               boolean,
    params               text[]
);

-- sql/updates/2.2.0--2.3.0/functions/config.sql (changed since 2.2.0)
-- 2.3.0: _setting and _setting_defaults in PL/pgSQL, which keeps its plans; the whole file again.

-- Settings: built-in defaults, the values a superuser changed, and the
-- functions to read and change them.  Only superusers change settings,
-- because log_host, log_port and log_user decide where and as whom the
-- logging connection logs in.

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
     'How long the tick keeps finished runs of scheduled jobs (job_run rows and their job_log rows); 0 keeps them for ever.');
END
$$;

-- The effective value of one setting.  PL/pgSQL, which keeps its plans
-- for the session: every run reads a setting.
CREATE OR REPLACE FUNCTION @extschema@._setting(p_name text) RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    RETURN (SELECT coalesce(c.value, d.default_value)
            FROM @extschema@._setting_defaults() d
            LEFT JOIN @extschema@.config c ON c.name = d.name
            WHERE d.name = p_name);
END
$$;

CREATE OR REPLACE FUNCTION @extschema@.config_show(
    OUT name text, OUT value text, OUT default_value text, OUT description text)
RETURNS SETOF record
LANGUAGE sql STABLE
SET search_path = @extschema@, pg_temp
AS $$
    SELECT d.name, coalesce(c.value, d.default_value), d.default_value, d.description
    FROM @extschema@._setting_defaults() d
    LEFT JOIN @extschema@.config c ON c.name = d.name
    ORDER BY d.name
$$;

CREATE OR REPLACE FUNCTION @extschema@.config_set(p_name text, p_value text) RETURNS void
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
                  HINT = 'Run SELECT * FROM config_show() to see every setting with its meaning.';
    END IF;
    IF p_value IS NULL THEN
        RAISE EXCEPTION 'value of setting "%" must not be NULL', p_name
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Use config_reset() to return a setting to its default.';
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
    INSERT INTO @extschema@.config (name, value) VALUES (p_name, p_value)
    ON CONFLICT ON CONSTRAINT config_name_pkey DO UPDATE SET value = EXCLUDED.value;
    -- The logging connection of this session picks the change up when it
    -- next connects; reconnect now so the caller sees the effect at once.
    PERFORM @extschema@._log_disconnect();
END
$$;

CREATE OR REPLACE FUNCTION @extschema@.config_reset(p_name text) RETURNS void
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    PERFORM @extschema@._setting_check_superuser();
    IF NOT EXISTS (SELECT FROM @extschema@._setting_defaults() d WHERE d.name = p_name) THEN
        RAISE EXCEPTION 'unrecognized pg_jobmon setting "%"', p_name
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Run SELECT * FROM config_show() to see every setting.';
    END IF;
    DELETE FROM @extschema@.config c WHERE c.name = p_name;
    PERFORM @extschema@._log_disconnect();
END
$$;

CREATE OR REPLACE FUNCTION @extschema@._setting_check_superuser() RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    IF NOT (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname = current_user) THEN
        RAISE EXCEPTION 'permission denied to change pg_jobmon settings'
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = format('Role "%s" is not a superuser.', current_user),
                  HINT = 'Ask a superuser to change the setting.';
    END IF;
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
        ELSE p_value <> ''
    END
$$;

COMMENT ON FUNCTION @extschema@.config_show() IS 'every pg_jobmon setting with its value, default and meaning';
COMMENT ON FUNCTION @extschema@.config_set(text, text) IS 'change a pg_jobmon setting (superuser)';
COMMENT ON FUNCTION @extschema@.config_reset(text) IS 'return a pg_jobmon setting to its default (superuser)';

-- sql/updates/2.2.0--2.3.0/functions/job_access.sql (changed since 2.2.0)
-- 2.3.0: the access checks in PL/pgSQL, which keeps its plans; the whole file again.

-- Who may schedule, and who may change which job.
--
-- The scheduler's API functions are SECURITY DEFINER: users cannot write
-- the scheduler's tables, so every change goes through a function that
-- checks the caller first.  Inside such a function current_user is the
-- extension's owner; _caller() is the role that called it.
--
-- These checks run on every run of every job, so they are PL/pgSQL, which
-- keeps its plans for the session: a SQL function with SET search_path is
-- never inlined and is planned again on each call.

CREATE OR REPLACE FUNCTION @extschema@._caller() RETURNS name
LANGUAGE plpgsql STABLE
SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    -- The role setting is the caller's SET ROLE, untouched by SECURITY DEFINER.
    RETURN CASE WHEN current_setting('role') = 'none' THEN session_user
                ELSE current_setting('role')::name END;
END
$$;

CREATE OR REPLACE FUNCTION @extschema@._is_superuser(p_role name) RETURNS boolean
LANGUAGE plpgsql STABLE
SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    RETURN coalesce((SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname = p_role), false);
END
$$;

-- A superuser, or a member of the database's owner.
CREATE OR REPLACE FUNCTION @extschema@._is_admin(p_role name) RETURNS boolean
LANGUAGE sql STABLE
SET search_path = @extschema@, pg_temp
AS $$
    SELECT @extschema@._is_superuser(p_role)
        OR pg_catalog.pg_has_role(p_role, d.datdba, 'MEMBER')
    FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database()
$$;

CREATE OR REPLACE FUNCTION @extschema@._check_admin(p_action text) RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    IF NOT @extschema@._is_admin(@extschema@._caller()) THEN
        RAISE EXCEPTION 'permission denied to %', p_action
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = format('Role "%s" is neither a superuser nor the owner of database "%s".',
                                  @extschema@._caller(), pg_catalog.current_database()),
                  HINT = 'Ask a superuser or the database owner.';
    END IF;
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
        SELECT FROM @extschema@.scheduler_role s
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

-- run_as must be a role that can log in (PostgreSQL 15 starts no worker
-- as a NOLOGIN role) and that the owner may become.
CREATE OR REPLACE FUNCTION @extschema@._check_run_as(p_owner name, p_run_as name) RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_role pg_catalog.pg_roles;
BEGIN
    SELECT * INTO v_role FROM pg_catalog.pg_roles r WHERE r.rolname = p_run_as;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'role "%" does not exist', p_run_as
            USING ERRCODE = 'undefined_object',
                  DETAIL = 'The option run_as names the role the job runs as.',
                  HINT = 'Give an existing role, or leave run_as out to run as yourself.';
    END IF;
    IF NOT (@extschema@._is_superuser(p_owner) OR pg_catalog.pg_has_role(p_owner, p_run_as, 'MEMBER')) THEN
        RAISE EXCEPTION 'permission denied to run jobs as role "%"', p_run_as
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = format('Role "%s" is not a member of role "%s".', p_owner, p_run_as),
                  HINT = format('Run the job as yourself, or have "%s" granted to "%s".', p_run_as, p_owner);
    END IF;
    IF NOT v_role.rolcanlogin THEN
        RAISE EXCEPTION 'role "%" cannot log in, so no job can run as it', p_run_as
            USING ERRCODE = 'invalid_authorization_specification',
                  DETAIL = 'Jobs run in background workers that connect as their role, and PostgreSQL 15 requires such a role to have LOGIN.',
                  HINT = format('ALTER ROLE %I LOGIN, or run the job as another role.', p_run_as);
    END IF;
END
$$;

-- Whether p_role may see and change a job of p_owner that runs as
-- p_run_as: it is one of the two, or a superuser.
CREATE OR REPLACE FUNCTION @extschema@._is_job_role(p_role name, p_owner name, p_run_as name) RETURNS boolean
LANGUAGE plpgsql STABLE
SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    RETURN p_role IN (p_owner, p_run_as) OR @extschema@._is_superuser(p_role);
END
$$;

-- The job p_job_id, locked for a change by the caller, who must own it,
-- be the role it runs as, or be a superuser.  Others get the same error as
-- for a job that does not exist, so job ids do not leak.
CREATE OR REPLACE FUNCTION @extschema@._job_for_change(p_job_id bigint) RETURNS @extschema@.job
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_caller name := @extschema@._caller();
    v_job    @extschema@.job;
BEGIN
    IF p_job_id IS NULL THEN
        RAISE EXCEPTION 'job_id must not be NULL'
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Pass the id that create_job() returned.';
    END IF;
    SELECT * INTO v_job FROM @extschema@.job j WHERE j.job_id = p_job_id FOR UPDATE;
    IF NOT FOUND OR NOT @extschema@._is_job_role(v_caller, v_job.owner, v_job.run_as) THEN
        RAISE EXCEPTION 'scheduled job % does not exist', p_job_id
            USING ERRCODE = 'undefined_object',
                  DETAIL = format('Role "%s" owns no job with job_id %s and runs no such job.', v_caller, p_job_id),
                  HINT = 'SELECT job_id, name FROM my_jobs lists the jobs you can change.';
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
    INSERT INTO @extschema@.scheduler_role (role_name, granted_by)
    VALUES (p_role, @extschema@._caller())
    ON CONFLICT ON CONSTRAINT scheduler_role_pkey DO NOTHING;
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
    DELETE FROM @extschema@.scheduler_role s WHERE s.role_name = p_role;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'role "%" was not allowed to schedule jobs', p_role
            USING ERRCODE = 'undefined_object',
                  DETAIL = 'scheduler_role has no row for that role.',
                  HINT = 'SELECT * FROM scheduler_role lists the roles allowed to schedule.';
    END IF;
END
$$;

COMMENT ON FUNCTION @extschema@.grant_scheduler(name) IS 'allow a role to create scheduled jobs (superuser or database owner)';
COMMENT ON FUNCTION @extschema@.revoke_scheduler(name) IS 'stop a role from creating scheduled jobs; its existing jobs stay';

-- sql/updates/2.2.0--2.3.0/functions/job_define.sql (changed since 2.2.0)
-- 2.3.0: run_job records the run's kind (job_run.oneoff); the whole file again.

-- Defining scheduled jobs: create, change, activate, deactivate, drop, and
-- run once now.  Every change is audited (job_audit) and wakes the tick, so
-- that a new next fire time is honoured at once.

CREATE OR REPLACE FUNCTION @extschema@.create_job(p_options jsonb) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_caller name := @extschema@._caller();
    j        @extschema@.job;
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
    INSERT INTO @extschema@.job VALUES (j.*);
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
    PERFORM @extschema@._tick_wake();
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

-- Store a changed job, audit it and recompute its schedules.
CREATE OR REPLACE FUNCTION @extschema@._job_update(p_action text, p_old @extschema@.job, p_new @extschema@.job)
RETURNS void
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    IF p_new IS NOT DISTINCT FROM p_old THEN
        RETURN;
    END IF;
    UPDATE @extschema@.job j SET
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
    PERFORM @extschema@._tick_wake();
END
$$;

CREATE OR REPLACE FUNCTION @extschema@.set_job_attributes(p_job_id bigint, p_options jsonb) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_old @extschema@.job := @extschema@._job_for_change(p_job_id);
    v_new @extschema@.job;
BEGIN
    PERFORM @extschema@._job_options_check('set_job_attributes', p_options, true);
    v_new := @extschema@._job_apply_options('set_job_attributes', v_old, p_options);
    IF v_new.run_as IS DISTINCT FROM v_old.run_as THEN
        PERFORM @extschema@._check_run_as(@extschema@._caller(), v_new.run_as);
    END IF;
    PERFORM @extschema@._job_update('change', v_old, v_new);
END
$$;

CREATE OR REPLACE FUNCTION @extschema@.set_job_attribute(p_job_id bigint, p_name text, p_value text) RETURNS void
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
CREATE OR REPLACE FUNCTION @extschema@.activate_job(p_job_id bigint) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_old @extschema@.job := @extschema@._job_for_change(p_job_id);
    v_new @extschema@.job := v_old;
BEGIN
    PERFORM @extschema@._check_run_as(v_old.owner, v_old.run_as);
    v_new.active := true;
    v_new.broken_reason := NULL;
    -- Fire times missed while inactive are not made up for.
    UPDATE @extschema@.job_schedule s SET fired_until = greatest(s.fired_until, now())
    WHERE s.job_id = p_job_id AND NOT (v_old.active AND v_old.broken_reason IS NULL);
    PERFORM @extschema@._job_update('activate', v_old, v_new);
END
$$;

CREATE OR REPLACE FUNCTION @extschema@.deactivate_job(p_job_id bigint) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_old @extschema@.job := @extschema@._job_for_change(p_job_id);
    v_new @extschema@.job := v_old;
BEGIN
    v_new.active := false;
    PERFORM @extschema@._job_update('deactivate', v_old, v_new);
END
$$;

-- Drop a job and its schedules.  Its runs stay in job_run and job_log
-- unless p_drop_history; a running run finishes.
CREATE OR REPLACE FUNCTION @extschema@.drop_job(p_job_id bigint, p_drop_history boolean DEFAULT false) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_old @extschema@.job := @extschema@._job_for_change(p_job_id);
BEGIN
    PERFORM @extschema@._depends_check_drop(p_job_id);
    DELETE FROM @extschema@.job j WHERE j.job_id = p_job_id;
    UPDATE @extschema@.job_run r SET status = 'skipped', reason = 'the job was dropped', finished_at = now()
    WHERE r.job_id = p_job_id AND r.status IN ('blocked', 'waiting');
    IF p_drop_history THEN
        DELETE FROM @extschema@.job_log l USING @extschema@.job_run r
        WHERE r.job_id = p_job_id AND l.job_id = r.log_id AND r.status NOT IN ('starting', 'running');
        DELETE FROM @extschema@.job_run r
        WHERE r.job_id = p_job_id AND r.status NOT IN ('starting', 'running');
    END IF;
    PERFORM @extschema@._audit('drop', p_job_id, NULL, to_jsonb(v_old), NULL);
END
$$;

-- Run a job once, now, whatever its schedules say (QSched's qsched_job_exec).
-- The run waits like any other for a free worker and for max_instances.
CREATE OR REPLACE FUNCTION @extschema@.run_job(p_job_id bigint) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_job    @extschema@.job := @extschema@._job_for_change(p_job_id);
    v_run_id bigint;
BEGIN
    INSERT INTO @extschema@.job_run (job_id, job_name, owner, run_as, oneoff, due_at)
    VALUES (v_job.job_id, v_job.name, v_job.owner, v_job.run_as, v_job.oneoff, now())
    RETURNING run_id INTO v_run_id;
    PERFORM @extschema@._audit('run now', p_job_id, NULL, NULL, jsonb_build_object('run_id', v_run_id));
    PERFORM @extschema@._tick_wake();
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

-- sql/updates/2.2.0--2.3.0/functions/job_oneoff.sql (changed since 2.2.0)
-- 2.3.0: one-off runs record their kind (job_run.oneoff); the whole file again.

-- One-off jobs, as pgpro_scheduler's submit_job(): a query that runs once,
-- not before run_after and after the jobs it depends on, with its
-- parameters bound as real parameters.  A one-off job is a row of job with
-- oneoff set and no schedule; each of its runs (the first, retries,
-- resubmissions) is a job_run row and a logged pg_jobmon job like any other.
-- Its runs use their own worker allowance, max_oneoff_workers.

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
END
$$;

-- The argument names are pgpro_scheduler's, so that calls with named
-- arguments (submit_job(query => ..., run_after => ...)) keep working.
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
    j         @extschema@.job;
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
    INSERT INTO @extschema@.job VALUES (j.*);

    v_problem := @extschema@._depends_problem(j);
    IF v_problem LIKE 'failed:%' THEN
        RAISE EXCEPTION 'a job that job % depends on has already failed', j.job_id
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('depends_on of submit_job() got %s: %s.', submit_job.depends_on,
                                  substr(v_problem, length('failed: ') + 1)),
                  HINT = 'Submit the job it depends on again, or leave it out of depends_on.';
    END IF;
    INSERT INTO @extschema@.job_run (job_id, job_name, owner, run_as, oneoff, due_at, status)
    VALUES (j.job_id, j.name, j.owner, j.run_as, true, coalesce(submit_job.run_after, now()),
            CASE WHEN v_problem IS NULL THEN 'waiting' ELSE 'blocked' END);
    PERFORM @extschema@._audit('submit', j.job_id, NULL, NULL, to_jsonb(j));
    PERFORM @extschema@._tick_wake();
    RETURN j.job_id;
END
$$;

-- Cancel a one-off job: its run that has not started, and any further
-- resubmission.  A run under way goes on; cancel_job() on its log_id
-- cancels it.  Returns whether anything was left to cancel.
CREATE OR REPLACE FUNCTION @extschema@.cancel_submitted_job(p_job_id bigint) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_job       @extschema@.job := @extschema@._job_for_change(p_job_id);
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
    UPDATE @extschema@.job_run r
    SET status = 'cancelled', finished_at = now(),
        reason = format('cancelled by %s with cancel_submitted_job()', @extschema@._caller())
    WHERE r.job_id = p_job_id AND r.status IN ('blocked', 'waiting');
    GET DIAGNOSTICS v_cancelled = ROW_COUNT;
    SELECT true, r.log_id INTO v_running, v_log_id FROM @extschema@.job_run r
    WHERE r.job_id = p_job_id AND r.status IN ('starting', 'running');
    v_running := coalesce(v_running, false);
    -- A job that has ended is not marked cancelled after the fact.
    IF NOT v_job.active OR (v_cancelled = 0 AND NOT v_running) THEN
        RETURN false;
    END IF;
    UPDATE @extschema@.job j SET active = false WHERE j.job_id = p_job_id;
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
CREATE OR REPLACE FUNCTION @extschema@._oneoff_resubmit(r @extschema@.job_run, p_after interval) RETURNS text
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    j      @extschema@.job;
    v_done bigint;
BEGIN
    SELECT * INTO j FROM @extschema@.job x WHERE x.job_id = r.job_id;
    IF NOT FOUND OR NOT j.active THEN
        RETURN 'not resubmitted: the job was cancelled';
    END IF;
    SELECT count(*) - 1 INTO v_done FROM @extschema@.job_run x WHERE x.job_id = j.job_id AND x.attempt = 1;
    IF v_done >= j.resubmit_limit THEN
        RETURN format('not resubmitted: resubmit_limit %s reached', j.resubmit_limit);
    END IF;
    INSERT INTO @extschema@.job_run (job_id, job_name, owner, run_as, oneoff, due_at)
    VALUES (j.job_id, j.name, j.owner, j.run_as, true, now() + p_after);
    PERFORM @extschema@._tick_wake();
    RETURN NULL;
END
$$;

-- Inside a job's run (the worker knows it); an error elsewhere.
CREATE OR REPLACE FUNCTION @extschema@.get_self_id() RETURNS bigint
LANGUAGE C STRICT VOLATILE
AS 'MODULE_PATHNAME', 'jobmon_get_self_id';

CREATE OR REPLACE FUNCTION @extschema@.resubmit(run_after interval DEFAULT '1 second') RETURNS bigint
LANGUAGE C VOLATILE
AS 'MODULE_PATHNAME', 'jobmon_resubmit';

COMMENT ON FUNCTION @extschema@.submit_job(text, text[], timestamptz, text, interval, interval, text, bigint[], text, text, bigint)
    IS 'submit a one-off job (pgpro_scheduler''s arguments); returns its job id';
COMMENT ON FUNCTION @extschema@.cancel_submitted_job(bigint)
    IS 'cancel a one-off job that has not run yet, or stop its resubmission';
COMMENT ON FUNCTION @extschema@.get_self_id() IS 'inside a job: its job id';
COMMENT ON FUNCTION @extschema@.resubmit(interval) IS 'inside a one-off job: run it again that long after this run ends (up to resubmit_limit)';

-- sql/updates/2.2.0--2.3.0/functions/job_run.sql (changed since 2.2.0)
-- 2.3.0: runs record their kind; _run_begin starts a run in one update, for _run_start and _run_next; PL/pgSQL helpers; the whole file again.
DROP FUNCTION @extschema@._run_start(bigint);

-- The life of a run: planned by the tick (waiting), handed to a worker
-- (starting), executed (running), and ended (success, failure, timeout,
-- cancelled or skipped).  The _run_* functions are called by the worker
-- (src/worker.c) as the extension's owner, in transactions of their own;
-- nobody else may call them.  A run is logged as a pg_jobmon job, so its
-- job_log row and steps are written here too.

-- The log of a scheduled run is written by its worker and by the roles
-- of its job; through the logging API (SECURITY DEFINER writers open to
-- all) no other role may end, cancel or rewrite it.
CREATE OR REPLACE FUNCTION @extschema@._run_log_guard(p_job_id bigint) RETURNS void
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
CREATE OR REPLACE FUNCTION @extschema@._job_break(p_job_id bigint, p_reason text) RETURNS void
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
CREATE OR REPLACE FUNCTION @extschema@._job_role_problem(p_job @extschema@.job) RETURNS text
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
CREATE OR REPLACE FUNCTION @extschema@._run_plan(j @extschema@.job, p_schedule_id bigint, p_due_at timestamptz)
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
CREATE OR REPLACE FUNCTION @extschema@._run_begin(r @extschema@.job_run) RETURNS @extschema@._run_definition
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
CREATE OR REPLACE FUNCTION @extschema@._run_start(p_run_id bigint) RETURNS SETOF @extschema@._run_definition
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

CREATE OR REPLACE FUNCTION @extschema@._run_step_start(p_run_id bigint, p_action text) RETURNS bigint
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
CREATE OR REPLACE FUNCTION @extschema@._run_step_end(p_run_id bigint, p_step_id bigint, p_ok boolean, p_message text)
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
CREATE OR REPLACE FUNCTION @extschema@._run_retry(r @extschema@.job_run, p_outcome text) RETURNS timestamptz
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
CREATE OR REPLACE FUNCTION @extschema@._run_log_close(r @extschema@.job_run, p_outcome text, p_retry_at timestamptz)
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
CREATE OR REPLACE FUNCTION @extschema@._run_finish(p_run_id bigint, p_outcome text, p_reason text,
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

CREATE OR REPLACE FUNCTION @extschema@._process_exists(p_pid integer) RETURNS boolean
LANGUAGE C STRICT VOLATILE
AS 'MODULE_PATHNAME', 'jobmon_process_exists';

-- Close runs whose worker is gone (terminated, crashed, server restart):
-- each once, as failed with the reason, or as timed out when the tick
-- terminated it for running past max_run_time.
CREATE OR REPLACE FUNCTION @extschema@._runs_close_orphaned() RETURNS integer
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

-- sql/updates/2.2.0--2.3.0/functions/log_writes.sql (changed since 2.2.0)
-- 2.3.0: _log_job_start in PL/pgSQL, which keeps its plans; the whole file again.

-- The writes of the job log, run on the autonomous logging connection (see
-- log_connection.sql).  They are SECURITY DEFINER so that a role allowed to
-- log needs no privilege on the tables themselves: it can add and finish
-- jobs and steps through these, but not rewrite or delete the log.

CREATE OR REPLACE FUNCTION @extschema@._log_job_start(p_job_name text, p_owner text, p_pid integer)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_job_id bigint;
BEGIN
    INSERT INTO @extschema@.job_log (owner, job_name, start_time, pid)
    VALUES (p_owner, upper(p_job_name), now(), p_pid)
    RETURNING job_id INTO v_job_id;
    RETURN v_job_id;
END
$$;

CREATE OR REPLACE FUNCTION @extschema@._job_not_found(p_job_id bigint) RETURNS void
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    RAISE EXCEPTION 'job % does not exist', p_job_id
        USING ERRCODE = 'undefined_object',
              DETAIL = format('No row of job_log has job_id %s.', p_job_id),
              HINT = 'Pass the id that add_job() returned.';
END
$$;

CREATE OR REPLACE FUNCTION @extschema@._step_not_found(p_step_id bigint) RETURNS void
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    RAISE EXCEPTION 'step % does not exist', p_step_id
        USING ERRCODE = 'undefined_object',
              DETAIL = format('No row of job_detail has step_id %s.', p_step_id),
              HINT = 'Pass the id that add_step() returned.';
END
$$;

CREATE OR REPLACE FUNCTION @extschema@._log_step_start(p_job_id bigint, p_action text) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_step_id bigint;
BEGIN
    PERFORM @extschema@._run_log_guard(p_job_id);
    INSERT INTO @extschema@.job_detail (job_id, action, start_time)
    SELECT j.job_id, p_action, now() FROM @extschema@.job_log j WHERE j.job_id = p_job_id
    RETURNING step_id INTO v_step_id;
    IF v_step_id IS NULL THEN
        PERFORM @extschema@._job_not_found(p_job_id);
    END IF;
    RETURN v_step_id;
END
$$;

CREATE OR REPLACE FUNCTION @extschema@._log_step_end(p_step_id bigint, p_status text, p_message text)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    PERFORM @extschema@._run_log_guard(d.job_id) FROM @extschema@.job_detail d WHERE d.step_id = p_step_id;
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

-- Finish a job with the status text of p_alert_code.  Unless the setting
-- log_durability is off, the end of a job is committed with the session's
-- own synchronous_commit (steps may have been written asynchronously), so
-- once close_job or fail_job returns, the job and everything logged before
-- it are as durable as the caller's own work.
CREATE OR REPLACE FUNCTION @extschema@._log_job_end(p_job_id bigint, p_alert_code integer) RETURNS bigint
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
    PERFORM @extschema@._run_log_guard(p_job_id);
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
    PERFORM @extschema@._run_log_guard(d.job_id) FROM @extschema@.job_detail d WHERE d.step_id = p_step_id;
    INSERT INTO @extschema@.job_event (job_id, step_id, event_time, severity, sqlstate, message,
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

-- sql/updates/2.2.0--2.3.0/functions/tick.sql (changed since 2.2.0)
-- 2.3.0: claims read job_run alone, by kind and role; _run_next starts the run it claims; _tick_wake in PL/pgSQL; the whole file again.
DROP FUNCTION @extschema@._run_next(bigint);

-- One pass of the dispatcher, called by the tick procedure
-- (procedures/tick.sql) in a transaction of its own, about once a second
-- or as soon as something is due: close runs whose worker vanished,
-- enforce time limits, plan the runs of due schedules, start workers for
-- waiting runs, and apply the retention of finished runs.

CREATE OR REPLACE FUNCTION @extschema@._worker_launch(p_run_id bigint, p_role oid, p_due_at timestamptz)
RETURNS integer
LANGUAGE C STRICT VOLATILE
AS 'MODULE_PATHNAME', 'jobmon_worker_launch';

CREATE OR REPLACE FUNCTION @extschema@._tick_sleep(p_seconds float8) RETURNS boolean
LANGUAGE C STRICT VOLATILE
AS 'MODULE_PATHNAME', 'jobmon_tick_sleep';

CREATE OR REPLACE FUNCTION @extschema@._latch_set_at_commit(p_pid integer) RETURNS void
LANGUAGE C STRICT VOLATILE
AS 'MODULE_PATHNAME', 'jobmon_latch_set_at_commit';

REVOKE ALL ON FUNCTION @extschema@._worker_launch(bigint, oid, timestamptz),
    @extschema@._tick_sleep(float8), @extschema@._latch_set_at_commit(integer) FROM PUBLIC;

-- Wake the dispatcher when this transaction commits (a job changed, a run
-- ended), instead of at its next planned wake-up.
CREATE OR REPLACE FUNCTION @extschema@._tick_wake() RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    PERFORM @extschema@._latch_set_at_commit(s.tick_pid)
    FROM @extschema@.scheduler_state s WHERE s.tick_pid IS NOT NULL;
END
$$;

-- How far ahead of a due time the dispatcher starts the worker, which then
-- waits for the due time itself: starting a process costs milliseconds.
CREATE OR REPLACE FUNCTION @extschema@._tick_lead() RETURNS interval
LANGUAGE sql IMMUTABLE
AS $$ SELECT interval '50 milliseconds' $$;

CREATE OR REPLACE FUNCTION @extschema@._max_workers() RETURNS integer
LANGUAGE sql STABLE
SET search_path = @extschema@, pg_temp
AS $$
    SELECT coalesce(@extschema@._setting('max_workers')::integer,
                    greatest(1, current_setting('max_worker_processes')::integer / 2))
$$;

-- One-off jobs have their own allowance, so that neither kind starves the
-- other: the worker slots of one kind, periodic or one-off.
CREATE OR REPLACE FUNCTION @extschema@._max_workers(p_oneoff boolean) RETURNS integer
LANGUAGE sql STABLE
SET search_path = @extschema@, pg_temp
AS $$
    SELECT CASE WHEN p_oneoff THEN @extschema@._setting('max_oneoff_workers')::integer
                ELSE @extschema@._max_workers() END
$$;

-- The latest fire time of a cron expression in [p_from, p_to], or NULL.
-- Looks back through growing windows, so that the rows it reads stay few
-- whether the expression fires every second or once a year.
CREATE OR REPLACE FUNCTION @extschema@._cron_latest(p_cron text, p_from timestamptz, p_to timestamptz, p_tz text)
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

-- Plan the runs of one due schedule and move it to its next fire time.
-- Fire times that passed while nothing dispatched (downtime) follow the
-- job's on_missed: once (one run, for the latest), skip (none), all (each,
-- up to missed_limit, then on from now).
CREATE OR REPLACE FUNCTION @extschema@._schedule_dispatch(s @extschema@.job_schedule) RETURNS void
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    j        @extschema@.job;
    v_now    timestamptz := clock_timestamp();
    v_latest timestamptz;
    v_times  timestamptz[];
BEGIN
    SELECT * INTO j FROM @extschema@.job x WHERE x.job_id = s.job_id;
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
        INSERT INTO @extschema@.job_run (job_id, schedule_id, job_name, owner, run_as, oneoff, due_at,
                                         status, reason, finished_at)
        VALUES (j.job_id, s.schedule_id, j.name, j.owner, j.run_as, j.oneoff, v_latest, 'skipped',
                format('the fire times from %s to %s were missed while no tick ran (on_missed skip)',
                       s.next_fire, v_latest), now());
    END IF;
    PERFORM @extschema@._run_plan(j, s.schedule_id, t) FROM unnest(v_times) t;

    s.fired_until := greatest(s.fired_until, s.next_fire, v_latest);
    s.override_time := NULL;
    UPDATE @extschema@.job_schedule x
    SET fired_until = s.fired_until, override_time = NULL, next_fire = @extschema@._schedule_next(s, j)
    WHERE x.schedule_id = s.schedule_id;
END
$$;

-- Plan the runs of every due schedule.  A schedule that cannot be planned
-- breaks its job, never the tick.
CREATE OR REPLACE FUNCTION @extschema@._tick_dispatch() RETURNS integer
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    s       @extschema@.job_schedule;
    v_count integer := 0;
    -- A constant, so that it bounds the index scan (clock_timestamp()
    -- in the condition would be a filter over every schedule).
    v_until timestamptz := clock_timestamp() + @extschema@._tick_lead();
BEGIN
    FOR s IN
        SELECT * FROM @extschema@.job_schedule x
        WHERE x.next_fire <= v_until
        ORDER BY x.next_fire
        LIMIT 1000
        FOR UPDATE SKIP LOCKED
    LOOP
        BEGIN
            PERFORM @extschema@._schedule_dispatch(s);
        EXCEPTION WHEN OTHERS THEN
            PERFORM @extschema@._job_break(s.job_id, 'its schedule could not be dispatched: ' || SQLERRM);
        END;
        v_count := v_count + 1;
    END LOOP;
    RETURN v_count;
END
$$;

CREATE OR REPLACE FUNCTION @extschema@._run_skip(p_run_id bigint, p_reason text) RETURNS void
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_job_id bigint;
BEGIN
    UPDATE @extschema@.job_run r SET status = 'skipped', reason = p_reason, finished_at = now()
    WHERE r.run_id = p_run_id
    RETURNING r.job_id INTO v_job_id;
    PERFORM @extschema@._dependants_notify(v_job_id);     -- a one-off job that never ran failed
END
$$;

CREATE OR REPLACE FUNCTION @extschema@._run_late_reason(j @extschema@.job) RETURNS text
LANGUAGE sql IMMUTABLE
AS $$
    SELECT format('could not start within %s of its due time (%s)', j.last_start_available,
                  CASE WHEN j.oneoff THEN 'max_wait_interval' ELSE 'last_start_available' END)
$$;

-- Why run r of job j can never start (it is then skipped with this
-- reason), or NULL.
CREATE OR REPLACE FUNCTION @extschema@._run_start_problem(r @extschema@.job_run, j @extschema@.job) RETURNS text
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

-- Lock and return the first waiting run due by p_until that may start now,
-- of a periodic or a one-off job, as p_run_as when that is given; runs that
-- can never start are skipped on the way.  Returns NULL when none may.
-- The claim reads job_run alone, walking job_run_waiting_idx (or, for a
-- role, job_run_waiting_role_idx) in order, and enable_sort is off so that
-- it does whatever the statistics say: right after a burst of submit_job()
-- they count few waiting runs and few jobs, and a sort or a join of all of
-- them costs milliseconds a claim.
CREATE OR REPLACE FUNCTION @extschema@._run_claim(p_oneoff boolean, p_run_as name, p_until timestamptz)
RETURNS @extschema@.job_run
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
SET enable_sort = off
AS $$
DECLARE
    r         @extschema@.job_run;
    j         @extschema@.job;
    v_problem text;
    v_queued  bigint[] := '{}';
BEGIN
    -- One row at a time: a cursor would lock rows ahead that other workers
    -- could take meanwhile.
    LOOP
        IF p_run_as IS NULL THEN
            SELECT * INTO r FROM @extschema@.job_run x
            WHERE x.status = 'waiting' AND x.oneoff = p_oneoff AND x.due_at <= p_until
              AND NOT x.run_id = ANY (v_queued)
            ORDER BY x.oneoff, x.due_at, x.run_id
            LIMIT 1 FOR UPDATE SKIP LOCKED;
        ELSE
            SELECT * INTO r FROM @extschema@.job_run x
            WHERE x.status = 'waiting' AND x.oneoff = p_oneoff AND x.run_as = p_run_as
              AND x.due_at <= p_until AND NOT x.run_id = ANY (v_queued)
            ORDER BY x.oneoff, x.run_as, x.due_at, x.run_id
            LIMIT 1 FOR UPDATE SKIP LOCKED;
        END IF;
        IF NOT FOUND THEN
            RETURN NULL;
        END IF;
        SELECT * INTO j FROM @extschema@.job y WHERE y.job_id = r.job_id;
        IF p_run_as IS NOT NULL AND j.run_as <> p_run_as THEN
            v_queued := v_queued || r.run_id;   -- run_as changed since: the tick starts it
            CONTINUE;
        END IF;
        v_problem := @extschema@._run_start_problem(r, j);
        IF v_problem IS NOT NULL THEN
            PERFORM @extschema@._run_skip(r.run_id, v_problem);
        ELSIF (SELECT count(*) FROM @extschema@.job_run x
               WHERE x.job_id = j.job_id AND x.status IN ('starting', 'running')) < j.max_instances THEN
            RETURN r;
        ELSE
            v_queued := v_queued || r.run_id;   -- behind a run of its own job
        END IF;
    END LOOP;
END
$$;

-- Waiting runs that can no longer start within last_start_available (for
-- one-off jobs, max_wait_interval) of their due time, also while no slot is
-- free.
CREATE OR REPLACE FUNCTION @extschema@._runs_skip_expired() RETURNS void
LANGUAGE sql
SET search_path = @extschema@, pg_temp
AS $$
    SELECT @extschema@._run_skip(x.run_id, @extschema@._run_late_reason(j))
    FROM @extschema@.job_run x JOIN @extschema@.job j ON j.job_id = x.job_id
    WHERE x.status = 'waiting' AND j.last_start_available IS NOT NULL
      AND x.due_at + j.last_start_available < clock_timestamp()
$$;

-- Start workers for waiting runs, in due order, while this database has
-- worker slots of their kind (periodic or one-off).
CREATE OR REPLACE FUNCTION @extschema@._tick_launch() RETURNS integer
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    r         @extschema@.job_run;
    v_oneoff  boolean;
    v_free    integer;
    v_pid     integer;
    v_started integer := 0;
    v_until   timestamptz := clock_timestamp() + @extschema@._tick_lead();
BEGIN
    FOREACH v_oneoff IN ARRAY ARRAY[false, true] LOOP
        SELECT @extschema@._max_workers(v_oneoff) - count(*) INTO v_free
        FROM @extschema@.job_run x WHERE x.status IN ('starting', 'running') AND x.oneoff = v_oneoff;
        WHILE v_free > 0 LOOP
            r := @extschema@._run_claim(v_oneoff, NULL, v_until);
            EXIT WHEN r.run_id IS NULL;
            -- The worker waits for this transaction to end before it claims
            -- the run (src/worker.c, wait_for_launcher), so it sees this mark.
            v_pid := @extschema@._worker_launch(r.run_id,
                (SELECT j.run_as::regrole::oid FROM @extschema@.job j WHERE j.job_id = r.job_id), r.due_at);
            EXIT WHEN v_pid IS NULL;    -- no background worker slot left
            UPDATE @extschema@.job_run x SET status = 'starting', started_at = clock_timestamp(), pid = v_pid
            WHERE x.run_id = r.run_id;
            v_free := v_free - 1;
            v_started := v_started + 1;
        END LOOP;
    END LOOP;
    PERFORM @extschema@._runs_skip_expired();
    RETURN v_started;
END
$$;

-- A worker that has ended a run takes the next one of the same kind and
-- role that is due, in the same slot, instead of exiting: starting a
-- process costs more than most one-off jobs.  It starts the run in the
-- same transaction (_run_begin); no row when there is none.
CREATE OR REPLACE FUNCTION @extschema@._run_next(p_prev_run_id bigint) RETURNS SETOF @extschema@._run_definition
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    r @extschema@.job_run;
BEGIN
    r := @extschema@._run_claim((SELECT x.oneoff FROM @extschema@.job_run x WHERE x.run_id = p_prev_run_id),
                                session_user, clock_timestamp());
    IF r.run_id IS NULL THEN
        PERFORM @extschema@._tick_wake();       -- a slot is free
        RETURN;
    END IF;
    RETURN NEXT @extschema@._run_begin(r);
END
$$;

REVOKE ALL ON FUNCTION @extschema@._run_next(bigint) FROM PUBLIC;

-- max_run_time: the worker cancels its own run; a job that swallows the
-- cancel is terminated a little later.  end_date: running runs are
-- cancelled.  The reason tells the worker (and _runs_close_orphaned) why.
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
        FROM (SELECT * FROM @extschema@.job_run x
              WHERE x.status = 'running' AND x.reason IS NULL
              OFFSET 0) r
        JOIN @extschema@.job j ON j.job_id = r.job_id
        WHERE r.started_at + j.max_run_time + interval '5 seconds' < v_now
           OR j.end_date < v_now
    LOOP
        IF v_run.started_at + v_run.max_run_time + interval '5 seconds' < v_now THEN
            UPDATE @extschema@.job_run r
            SET reason = format('terminated after max_run_time %s: the job ignored the cancel', v_run.max_run_time)
            WHERE r.run_id = v_run.run_id;
            PERFORM pg_catalog.pg_terminate_backend(v_run.pid);
        ELSE
            UPDATE @extschema@.job_run r
            SET reason = format('stopped at the job''s end_date %s', v_run.end_date)
            WHERE r.run_id = v_run.run_id;
            PERFORM pg_catalog.pg_cancel_backend(v_run.pid);
        END IF;
    END LOOP;
END
$$;

-- Forget finished runs older than the setting run_retention, with their
-- job_log rows, a batch at a time.
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
        DELETE FROM @extschema@.job_run r
        WHERE r.run_id IN (SELECT x.run_id FROM @extschema@.job_run x
                           WHERE x.finished_at < now() - v_keep LIMIT 10000)
        RETURNING r.log_id)
    DELETE FROM @extschema@.job_log l USING old WHERE l.job_id = old.log_id;
    GET DIAGNOSTICS v_count = ROW_COUNT;
    RETURN v_count;
END
$$;

-- One pass; returns when the next pass is due.
CREATE OR REPLACE FUNCTION @extschema@._tick_pass() RETURNS timestamptz
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_state @extschema@.scheduler_state;
BEGIN
    -- Workers wait for this transaction to end: do not make them wait for
    -- its WAL flush too.  A worker's own first commit flushes past it, so a
    -- run that did anything cannot lose its plan; a plan lost in a crash is
    -- made again.
    SET LOCAL synchronous_commit = off;
    UPDATE @extschema@.scheduler_state s SET last_wakeup = clock_timestamp()
    RETURNING * INTO v_state;
    PERFORM @extschema@._runs_close_orphaned();
    PERFORM @extschema@._runs_enforce_limits();
    PERFORM @extschema@._tick_dispatch();
    PERFORM @extschema@._tick_launch();
    IF v_state.retention_at IS NULL OR v_state.retention_at < now() - interval '1 minute' THEN
        PERFORM @extschema@._runs_apply_retention();
        UPDATE @extschema@.scheduler_state s SET retention_at = now();
    END IF;
    -- Sleep until the next fire time, but look again within a second for
    -- runs that wait for a slot, time limits and vanished workers.
    RETURN least(clock_timestamp() + interval '1 second',
                 (SELECT min(x.next_fire) FROM @extschema@.job_schedule x WHERE x.next_fire IS NOT NULL)
                     - @extschema@._tick_lead(),
                 (SELECT min(x.due_at) FROM @extschema@.job_run x
                  WHERE x.status = 'waiting' AND x.due_at > clock_timestamp()) - @extschema@._tick_lead());
END
$$;

-- sql/updates/2.2.0--2.3.0/views/oneoff.sql (changed since 2.2.0)
-- 2.3.0: all_job_status names the columns of the last run it reads; the whole file again.

-- Views of one-off jobs (submit_job), with pgpro_scheduler's columns:
-- job_status shows the reader's own jobs (owned or run as), all_job_status
-- every job the reader may see (everything, for a superuser).  The status
-- is submitted (not started yet), processing (a run under way) or done.

CREATE OR REPLACE VIEW @extschema@.all_job_status WITH (security_invoker = true) AS
SELECT j.job_id AS id,
       NULL::text AS node,
       j.name,
       j.comments,
       last.due_at AS run_after,
       j.commands[1] AS query,
       j.params,
       j.depends_on,
       j.run_as AS executor,
       j.owner,
       j.last_start_available AS max_wait_interval,
       runs.started AS attempt,
       j.resubmit_limit,
       j.max_run_time AS max_duration,
       j.created_at AS submit_time,
       NOT j.active AS canceled,
       last.started_at AS start_time,
       CASE WHEN last.finished_at IS NOT NULL THEN last.status = 'success' END AS is_success,
       CASE WHEN last.status <> 'success' OR last.status IS NULL THEN last.reason END AS error,
       last.finished_at AS done_time,
       CASE WHEN last.status IN ('blocked', 'waiting') THEN 'submitted'
            WHEN last.status IN ('starting', 'running') THEN 'processing'
            ELSE 'done' END AS status,
       -- pg_jobmon's own: the run's state and its job_log row (for cancel_job)
       last.status AS run_status,
       last.reason AS message,
       last.log_id
FROM @extschema@.job j
CROSS JOIN LATERAL (
    SELECT count(*) FILTER (WHERE r.started_at IS NOT NULL) AS started
    FROM @extschema@.job_run r WHERE r.job_id = j.job_id) runs
LEFT JOIN LATERAL (
    SELECT r.due_at, r.started_at, r.finished_at, r.status, r.reason, r.log_id
    FROM @extschema@.job_run r
    WHERE r.job_id = j.job_id ORDER BY r.run_id DESC LIMIT 1) last ON true
WHERE j.oneoff;

CREATE OR REPLACE VIEW @extschema@.job_status WITH (security_invoker = true) AS
SELECT s.* FROM @extschema@.all_job_status s
WHERE current_user IN (s.owner, s.executor);

COMMENT ON VIEW @extschema@.all_job_status IS 'every one-off job you may see (all of them, for a superuser), pgpro_scheduler''s columns';
COMMENT ON VIEW @extschema@.job_status IS 'your one-off jobs (owned or run as you), pgpro_scheduler''s columns';

GRANT SELECT ON @extschema@.all_job_status, @extschema@.job_status TO PUBLIC;
