-- pg_jobmon install script, assembled by the Makefile from sql/*/*.sql.
-- Do not edit the generated file: edit the sources and run make.

\echo Use "CREATE EXTENSION pg_jobmon" to load this file. \quit
-- Settings of the extension.  Only values a superuser has set are stored;
-- every setting has a built-in default (see functions/config.sql), so the
-- table is dumped whole and an upgrade never has to merge seeded rows.

CREATE TABLE @extschema@.config (
    name   text NOT NULL,
    value  text NOT NULL,
    CONSTRAINT config_name_pkey PRIMARY KEY (name)
);
SELECT pg_catalog.pg_extension_config_dump('@extschema@.config', '');

COMMENT ON TABLE @extschema@.config IS 'settings changed from their defaults; see config_show()';
-- The job log: one job_log row per logged job, one job_detail row per step,
-- and the structured events (errors, warnings, notices) that hang off a step.
-- job_log and job_detail keep pg_jobmon 1.5's columns, names and types; new
-- columns are only ever appended.

CREATE TABLE @extschema@.job_log (
    job_id      bigint NOT NULL,
    owner       text NOT NULL,
    job_name    text NOT NULL,
    start_time  timestamptz NOT NULL,
    end_time    timestamptz,
    status      text,
    pid         integer NOT NULL,
    CONSTRAINT job_log_job_id_pkey PRIMARY KEY (job_id)
);
CREATE SEQUENCE @extschema@.job_log_job_id_seq AS bigint OWNED BY @extschema@.job_log.job_id;
ALTER TABLE @extschema@.job_log
    ALTER COLUMN job_id SET DEFAULT nextval('@extschema@.job_log_job_id_seq');
-- Job names can be long (no btree entry holds more than about 2.7 kB), and
-- they are only ever looked up by equality: a hash index serves both.
CREATE INDEX job_log_job_name_idx ON @extschema@.job_log USING hash (job_name);
CREATE INDEX job_log_start_time_idx ON @extschema@.job_log (start_time);
CREATE INDEX job_log_status_idx ON @extschema@.job_log (status);
CREATE INDEX job_log_running_idx ON @extschema@.job_log (pid) WHERE end_time IS NULL;

COMMENT ON TABLE @extschema@.job_log IS 'one row per logged job (pg_jobmon 1.5 layout)';

CREATE TABLE @extschema@.job_detail (
    job_id        bigint NOT NULL,
    step_id       bigint NOT NULL,
    action        text NOT NULL,
    start_time    timestamptz NOT NULL,
    end_time      timestamptz,
    elapsed_time  real,
    status        text,
    message       text,
    CONSTRAINT job_detail_step_id_pkey PRIMARY KEY (step_id),
    CONSTRAINT job_detail_job_id_fkey FOREIGN KEY (job_id)
        REFERENCES @extschema@.job_log (job_id) ON DELETE CASCADE
);
CREATE SEQUENCE @extschema@.job_detail_step_id_seq AS bigint OWNED BY @extschema@.job_detail.step_id;
ALTER TABLE @extschema@.job_detail
    ALTER COLUMN step_id SET DEFAULT nextval('@extschema@.job_detail_step_id_seq');
CREATE INDEX job_detail_job_id_idx ON @extschema@.job_detail (job_id);

COMMENT ON TABLE @extschema@.job_detail IS 'one row per step of a logged job (pg_jobmon 1.5 layout)';

-- Structured events in the shape of PostgreSQL's own messages (ErrorData).
CREATE TABLE @extschema@.job_event (
    event_id         bigint NOT NULL,
    job_id           bigint NOT NULL,
    step_id          bigint NOT NULL,
    event_time       timestamptz NOT NULL,
    severity         text NOT NULL,
    sqlstate         text,
    message          text NOT NULL,
    detail           text,
    hint             text,
    context          text,
    schema_name      text,
    table_name       text,
    column_name      text,
    datatype_name    text,
    constraint_name  text,
    CONSTRAINT job_event_event_id_pkey PRIMARY KEY (event_id),
    CONSTRAINT job_event_step_id_fkey FOREIGN KEY (step_id)
        REFERENCES @extschema@.job_detail (step_id) ON DELETE CASCADE,
    CONSTRAINT job_event_job_id_fkey FOREIGN KEY (job_id)
        REFERENCES @extschema@.job_log (job_id) ON DELETE CASCADE,
    CONSTRAINT job_event_severity_check CHECK (severity IN
        ('DEBUG5', 'DEBUG4', 'DEBUG3', 'DEBUG2', 'DEBUG1', 'LOG', 'INFO',
         'NOTICE', 'WARNING', 'ERROR', 'FATAL', 'PANIC')),
    CONSTRAINT job_event_sqlstate_check CHECK (sqlstate ~ '^[0-9A-Z]{5}$')
);
CREATE SEQUENCE @extschema@.job_event_event_id_seq AS bigint OWNED BY @extschema@.job_event.event_id;
ALTER TABLE @extschema@.job_event
    ALTER COLUMN event_id SET DEFAULT nextval('@extschema@.job_event_event_id_seq');
CREATE INDEX job_event_step_id_idx ON @extschema@.job_event (step_id);
CREATE INDEX job_event_job_id_idx ON @extschema@.job_event (job_id);

COMMENT ON TABLE @extschema@.job_event IS 'errors, warnings and notices recorded against a step, with every field of a PostgreSQL message';

-- The log is the user's data: pg_dump keeps it, with its sequences.
SELECT pg_catalog.pg_extension_config_dump('@extschema@.job_log', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.job_log_job_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.job_detail', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.job_detail_step_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.job_event', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.job_event_event_id_seq', '');
-- Monitoring state and configuration, as pg_jobmon 1.5 has them.
--
-- job_status_text maps alert codes to the status words written into
-- job_log.status; job_check_config holds per-job thresholds; job_check_log
-- holds the failures of each job since its last success (maintained by a
-- trigger on job_log, see functions/job_monitor.sql).

CREATE TABLE @extschema@.job_status_text (
    alert_code  integer NOT NULL,
    alert_text  text NOT NULL,
    CONSTRAINT job_status_text_alert_code_pkey PRIMARY KEY (alert_code)
);
INSERT INTO @extschema@.job_status_text (alert_code, alert_text)
VALUES (1, 'OK'), (2, 'WARNING'), (3, 'CRITICAL');
-- Only codes users add are dumped: the seeded three come with CREATE EXTENSION.
SELECT pg_catalog.pg_extension_config_dump('@extschema@.job_status_text', 'WHERE alert_code > 3');

COMMENT ON TABLE @extschema@.job_status_text IS 'alert codes and the status text each one writes into job_log';

CREATE TABLE @extschema@.job_check_config (
    job_name         text NOT NULL,
    warn_threshold   interval NOT NULL,
    error_threshold  interval NOT NULL,
    active           boolean NOT NULL DEFAULT false,
    sensitivity      smallint NOT NULL DEFAULT 0,
    escalate         integer,
    CONSTRAINT job_check_config_job_name_pkey PRIMARY KEY (job_name),
    CONSTRAINT job_check_config_sensitivity_check CHECK (sensitivity >= 0),
    CONSTRAINT job_check_config_escalate_check CHECK (escalate > 0)
);
SELECT pg_catalog.pg_extension_config_dump('@extschema@.job_check_config', '');

COMMENT ON TABLE @extschema@.job_check_config IS 'per-job monitoring thresholds read by check_job_status()';

CREATE TABLE @extschema@.job_check_log (
    job_id      bigint NOT NULL,
    job_name    text NOT NULL,
    alert_code  integer NOT NULL DEFAULT 3
);
CREATE INDEX job_check_log_job_name_idx ON @extschema@.job_check_log USING hash (job_name);
SELECT pg_catalog.pg_extension_config_dump('@extschema@.job_check_log', '');

COMMENT ON TABLE @extschema@.job_check_log IS 'failed runs of each job since its last successful run';
-- Argument checks shared by the logging API.

-- A NULL job or step id: an error, except under on_log_failure = warning,
-- where a failed add_job or add_step already warned and returned NULL and
-- the calls that follow it do nothing (the function returns true then).
CREATE FUNCTION @extschema@._null_id(p_function text, p_argument text) RETURNS boolean
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    IF @extschema@._setting('on_log_failure') = 'warning' THEN
        RETURN true;
    END IF;
    RAISE EXCEPTION 'argument % of %() must not be NULL', p_argument, p_function
        USING ERRCODE = 'null_value_not_allowed',
              DETAIL = format('%s() was called with %s = NULL.', p_function, p_argument),
              HINT = CASE WHEN p_argument = 'p_step_id' THEN 'Pass the id that add_step() returned.'
                          ELSE 'Pass the id that add_job() returned.' END;
END
$$;

-- Any other NULL argument is always an error.
CREATE FUNCTION @extschema@._null_argument(p_function text, p_argument text) RETURNS void
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    RAISE EXCEPTION 'argument % of %() must not be NULL', p_argument, p_function
        USING ERRCODE = 'null_value_not_allowed',
              DETAIL = format('%s() was called with %s = NULL.', p_function, p_argument),
              HINT = 'Pass a value for every argument.';
END
$$;
-- add_job: start a logged job.  The name is stored in upper case, the owner
-- is the current role and pid the calling backend, as in pg_jobmon 1.5.
CREATE FUNCTION @extschema@.add_job(p_job_name text) RETURNS bigint
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
    RETURN @extschema@._log_write(format('SELECT @extschema@._log_job_start(%L, %L, %s)',
                                         p_job_name, current_user, pg_backend_pid()));
END
$$;

COMMENT ON FUNCTION @extschema@.add_job(text) IS 'start a logged job and return its job_id (committed autonomously)';
-- add_step: start a step of a logged job.
CREATE FUNCTION @extschema@.add_step(p_job_id bigint, p_action text) RETURNS bigint
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
    RETURN @extschema@._log_write(format('SELECT @extschema@._log_step_start(%s, %L)',
                                         p_job_id, p_action));
END
$$;

COMMENT ON FUNCTION @extschema@.add_step(bigint, text) IS 'start a step of a logged job and return its step_id (committed autonomously)';
-- cancel_job: cancel the backend running a job, mark the job's last step
-- CRITICAL with who cancelled it, and fail the job.  Returns whether a
-- backend was signalled (false when the job's backend is gone or is this
-- session itself, which is not interrupted).
CREATE FUNCTION @extschema@.cancel_job(p_job_id bigint) RETURNS boolean
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_job       @extschema@.job_log;
    v_step_id   bigint;
    v_signalled boolean := false;
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

    IF v_job.pid <> pg_backend_pid() AND EXISTS (
        SELECT FROM pg_catalog.pg_stat_activity a
        WHERE a.pid = v_job.pid)
    THEN
        v_signalled := pg_catalog.pg_cancel_backend(v_job.pid);
    END IF;

    SELECT max(d.step_id) INTO v_step_id FROM @extschema@.job_detail d WHERE d.job_id = p_job_id;
    IF v_step_id IS NULL THEN
        v_step_id := @extschema@.add_step(p_job_id, 'Job cancelled');
    END IF;
    PERFORM @extschema@.update_step(v_step_id,
        (SELECT t.alert_text FROM @extschema@.job_status_text t WHERE t.alert_code = 3),
        format('Cancelled by role %s through cancel_job()', current_user));
    PERFORM @extschema@.fail_job(p_job_id, 3);
    RETURN v_signalled;
END
$$;

COMMENT ON FUNCTION @extschema@.cancel_job(bigint) IS 'cancel a running logged job: signal its backend, log who cancelled it, fail the job';
-- check_job_status: one row per problem, for Nagios-style alerting, or one
-- OK row when all is well.  The rules are pg_jobmon 1.5's:
--
--  FAILED_RUN  a job without configuration with more than 2 failures since
--              its last success; a configured, active job with more
--              failures than its sensitivity.  The code is the highest of
--              those failures (escalation raises it).
--  MISSING     a configured, active job whose last run started longer ago
--              than its warn_threshold (code 2) or error_threshold (code 3),
--              or that has not started within p_history (code 3).
--  RUNNING     a MISSING job whose last run is still running in a live
--              backend, for longer than the smaller threshold.
--  BLOCKED     a reported job whose running backend waits on a lock.
--
-- p_history bounds how far back job_log is read; it must cover the longest
-- threshold of an active job, or a job would be reported missing that ran
-- within it (inactive jobs are never reported, so their thresholds do not
-- count, as in pg_jobmon 1.3.2 and later).
CREATE FUNCTION @extschema@.check_job_status(p_history interval,
    OUT alert_code integer, OUT alert_status text, OUT job_name text, OUT alert_text text)
RETURNS SETOF record
LANGUAGE plpgsql STABLE
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_longest interval;
    v_found   boolean := false;
BEGIN
    IF p_history IS NULL THEN
        PERFORM @extschema@._null_argument('check_job_status', 'p_history');
    END IF;
    SELECT greatest(max(c.warn_threshold), max(c.error_threshold)) INTO v_longest
    FROM @extschema@.job_check_config c WHERE c.active;
    IF p_history < v_longest THEN
        RAISE EXCEPTION 'history interval % is shorter than the longest monitoring threshold %', p_history, v_longest
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'job_check_config has a warn_threshold or error_threshold longer than p_history, so jobs that ran within their threshold could be reported missing.',
                  HINT = format('Pass at least %L, or call check_job_status() without an argument.', v_longest);
    END IF;

    FOR alert_code, alert_status, job_name, alert_text IN
        WITH config AS (
            SELECT upper(c.job_name) AS job_name, c.warn_threshold, c.error_threshold, c.active, c.sensitivity
            FROM @extschema@.job_check_config c
        ),
        failures AS (
            SELECT l.job_name, max(l.alert_code) AS alert_code, count(*) AS failures
            FROM @extschema@.job_check_log l
            GROUP BY l.job_name
        ),
        failed AS (
            SELECT f.alert_code, 'FAILED_RUN'::text AS alert_status, f.job_name,
                   f.failures || ' consecutive job failure(s)' AS alert_text
            FROM failures f
            LEFT JOIN config c ON c.job_name = f.job_name
            WHERE (c.job_name IS NULL AND f.failures > 2)
               OR (c.active AND f.failures > c.sensitivity)
        ),
        last_run AS (
            SELECT DISTINCT ON (j.job_name) j.job_name, j.start_time, j.end_time, j.pid,
                   max(j.end_time) OVER (PARTITION BY j.job_name) AS last_end
            FROM @extschema@.job_log j
            JOIN config c ON c.job_name = j.job_name AND c.active
            WHERE j.start_time > now() - p_history
            ORDER BY j.job_name, j.start_time DESC
        ),
        missing AS (
            SELECT CASE WHEN r.start_time IS NULL OR now() - r.start_time > c.error_threshold THEN 3 ELSE 2 END
                       AS alert_code,
                   c.job_name, r.start_time, r.end_time, r.pid, r.last_end,
                   least(c.warn_threshold, c.error_threshold) AS shortest
            FROM config c
            LEFT JOIN last_run r ON r.job_name = c.job_name
            WHERE c.active AND (r.start_time IS NULL OR now() - r.start_time > c.warn_threshold)
        ),
        running AS (
            SELECT m.*,
                   a.pid IS NOT NULL AND m.end_time IS NULL AND now() - m.start_time >= m.shortest AS is_running
            FROM missing m
            LEFT JOIN pg_catalog.pg_stat_activity a ON a.pid = m.pid
        ),
        problems AS (
            SELECT f.alert_code, f.alert_status, f.job_name, f.alert_text FROM failed f
            UNION ALL
            SELECT r.alert_code,
                   CASE WHEN r.is_running THEN 'RUNNING' ELSE 'MISSING' END,
                   r.job_name,
                   CASE WHEN r.is_running THEN
                            coalesce('Currently running. Last completed run: ' || r.last_end,
                                     'Currently running. Job has not had a completed run within configured monitoring time period.')
                        ELSE
                            coalesce('Last completed run: ' || r.last_end,
                                     'Has not completed a run since highest configured monitoring time period')
                   END
            FROM running r
        ),
        blocked AS (
            SELECT DISTINCT j.job_name
            FROM @extschema@.job_log j
            JOIN pg_catalog.pg_stat_activity a ON a.pid = j.pid
            JOIN pg_catalog.pg_locks k ON k.pid = j.pid AND NOT k.granted
            WHERE j.end_time IS NULL AND j.start_time > now() - p_history
        )
        SELECT p.alert_code,
               CASE WHEN b.job_name IS NOT NULL THEN 'BLOCKED' ELSE p.alert_status END,
               p.job_name,
               CASE WHEN b.job_name IS NOT NULL
                    THEN 'Another transaction has a lock that is blocking this job from completing'
                    ELSE p.alert_text END
        FROM problems p
        LEFT JOIN blocked b ON b.job_name = p.job_name
        ORDER BY 1 DESC, 3, 2
    LOOP
        v_found := true;
        RETURN NEXT;
    END LOOP;

    IF NOT v_found THEN
        alert_code := 1;
        alert_status := 'OK';
        job_name := NULL;
        alert_text := 'All jobs run successfully';
        RETURN NEXT;
    END IF;
END
$$;

-- Without an argument the history is the longest threshold of an active
-- job, or a week when none is configured (failures are still reported).
CREATE FUNCTION @extschema@.check_job_status(
    OUT alert_code integer, OUT alert_status text, OUT job_name text, OUT alert_text text)
RETURNS SETOF record
LANGUAGE sql STABLE
SET search_path = @extschema@, pg_temp
AS $$
    SELECT * FROM @extschema@.check_job_status(
        (SELECT coalesce(greatest(max(c.warn_threshold), max(c.error_threshold)), interval '1 week')
         FROM @extschema@.job_check_config c WHERE c.active))
$$;

COMMENT ON FUNCTION @extschema@.check_job_status(interval) IS 'jobs that need attention (failed, missing, running long, blocked), reading job_log back over the interval';
COMMENT ON FUNCTION @extschema@.check_job_status() IS 'jobs that need attention, reading job_log back over the longest configured threshold';
-- close_job: finish a job successfully (status = alert_text of code 1).
CREATE FUNCTION @extschema@.close_job(p_job_id bigint) RETURNS void
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    IF p_job_id IS NULL THEN
        IF @extschema@._null_id('close_job', 'p_job_id') THEN
            RETURN;
        END IF;
    END IF;
    PERFORM @extschema@._log_write(format('SELECT @extschema@._log_job_end(%s, 1)', p_job_id));
END
$$;

COMMENT ON FUNCTION @extschema@.close_job(bigint) IS 'finish a logged job as OK (committed autonomously)';
-- Settings: built-in defaults, the values a superuser changed, and the
-- functions to read and change them.  Only superusers change settings,
-- because log_host, log_port and log_user decide where and as whom the
-- logging connection logs in.

CREATE FUNCTION @extschema@._setting_defaults(
    OUT name text, OUT default_value text, OUT description text)
RETURNS SETOF record
LANGUAGE sql IMMUTABLE
SET search_path = @extschema@, pg_temp
AS $$
    VALUES
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
     'What a logging call does when the log cannot be written: error (raise it) or warning (warn and return NULL).')
$$;

-- The effective value of one setting.
CREATE FUNCTION @extschema@._setting(p_name text) RETURNS text
LANGUAGE sql STABLE
SET search_path = @extschema@, pg_temp
AS $$
    SELECT coalesce(c.value, d.default_value)
    FROM @extschema@._setting_defaults() d
    LEFT JOIN @extschema@.config c ON c.name = d.name
    WHERE d.name = p_name
$$;

CREATE FUNCTION @extschema@.config_show(
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

CREATE FUNCTION @extschema@.config_set(p_name text, p_value text) RETURNS void
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
                         ELSE 'Give a non-empty value.' END;
    END IF;
    INSERT INTO @extschema@.config (name, value) VALUES (p_name, p_value)
    ON CONFLICT ON CONSTRAINT config_name_pkey DO UPDATE SET value = EXCLUDED.value;
    -- The logging connection of this session picks the change up when it
    -- next connects; reconnect now so the caller sees the effect at once.
    PERFORM @extschema@._log_disconnect();
END
$$;

CREATE FUNCTION @extschema@.config_reset(p_name text) RETURNS void
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

CREATE FUNCTION @extschema@._setting_check_superuser() RETURNS void
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

CREATE FUNCTION @extschema@._setting_value_is_valid(p_name text, p_value text) RETURNS boolean
LANGUAGE sql IMMUTABLE
SET search_path = @extschema@, pg_temp
AS $$
    SELECT CASE p_name
        WHEN 'log_port' THEN CASE WHEN p_value ~ '^[0-9]{1,5}$'
                             THEN p_value::int BETWEEN 1 AND 65535 ELSE false END
        WHEN 'log_durability' THEN p_value IN ('always', 'job_end', 'off')
        WHEN 'log_lock_timeout' THEN p_value ~ '^\s*[0-9]+\s*(ms|s|min|h)?\s*$'
        WHEN 'on_log_failure' THEN p_value IN ('error', 'warning')
        ELSE p_value <> ''
    END
$$;

COMMENT ON FUNCTION @extschema@.config_show() IS 'every pg_jobmon setting with its value, default and meaning';
COMMENT ON FUNCTION @extschema@.config_set(text, text) IS 'change a pg_jobmon setting (superuser)';
COMMENT ON FUNCTION @extschema@.config_reset(text) IS 'return a pg_jobmon setting to its default (superuser)';
-- The cron engine (src/cron*.c): next fire times, series of fire times,
-- validation with precise errors, descriptions in English, and
-- pgpro_scheduler's rule objects.  doc/cron.md is the reference.
--
-- All are IMMUTABLE: the result depends on the arguments only (the time
-- zone is an argument; now() and current_setting('TimeZone') are defaults,
-- evaluated by the caller).  All are STRICT (NULL in, NULL or no rows out)
-- except cron_validate, which raises 22004 for a NULL expression.

CREATE FUNCTION @extschema@.cron_next(
    expr text,
    after timestamptz DEFAULT now(),
    tz text DEFAULT current_setting('TimeZone'))
RETURNS timestamptz
AS 'MODULE_PATHNAME', 'pgj_cron_next'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.cron_next(text, timestamptz, text) IS
'First fire time of cron expression expr strictly after "after", in time zone tz; NULL if it never fires again';

CREATE FUNCTION @extschema@.cron_times(
    expr text,
    from_time timestamptz,
    to_time timestamptz,
    tz text DEFAULT current_setting('TimeZone'))
RETURNS SETOF timestamptz
AS 'MODULE_PATHNAME', 'pgj_cron_times'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 100;

COMMENT ON FUNCTION @extschema@.cron_times(text, timestamptz, timestamptz, text) IS
'Every fire time of cron expression expr from from_time to to_time (both included), ascending, in time zone tz';

CREATE FUNCTION @extschema@.cron_validate(expr text)
RETURNS void
AS 'MODULE_PATHNAME', 'pgj_cron_validate'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.cron_validate(text) IS
'Raise 22023 with the field and the offending text if expr is not a valid cron expression';

CREATE FUNCTION @extschema@.cron_is_valid(expr text)
RETURNS boolean
AS 'MODULE_PATHNAME', 'pgj_cron_is_valid'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.cron_is_valid(text) IS
'True if expr is a valid cron expression';

CREATE FUNCTION @extschema@.cron_describe(expr text)
RETURNS text
AS 'MODULE_PATHNAME', 'pgj_cron_describe'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.cron_describe(text) IS
'Cron expression expr in English, for example "At 02:30, Monday through Friday"';

-- pgpro_scheduler's rule object: arrays of integers under seconds, minutes,
-- hours, days (1-31), months (1-12) and wdays (0-6, 0 = Sunday); a missing
-- key or an empty array means every value; "onstart": true (or 1) alone
-- means @reboot.  Consecutive values are written as ranges.
CREATE FUNCTION @extschema@.cron_from_rule(rule jsonb)
RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_keys constant text[] := ARRAY['seconds', 'minutes', 'hours', 'days', 'months', 'wdays'];
    v_lo constant int[] := ARRAY[0, 0, 0, 1, 1, 0];
    v_hi constant int[] := ARRAY[59, 59, 23, 31, 12, 6];
    v_hint constant text := 'Write for example {"minutes": [30], "hours": [2], "wdays": [1, 2, 3, 4, 5]}.';
    v_key text;
    v_value jsonb;
    v_elem jsonb;
    v_vals int[];
    v_fields text[] := ARRAY[]::text[];
    v_field text;
    v_onstart boolean := false;
    v_times boolean := false;
    v_expr text;
    i int;
BEGIN
    IF jsonb_typeof(rule) <> 'object' THEN
        RAISE EXCEPTION 'invalid pgpro_scheduler rule'
            USING ERRCODE = '22023',
                  DETAIL = format('The rule is a JSON %s, not an object.', jsonb_typeof(rule)),
                  HINT = v_hint;
    END IF;
    FOR v_key IN SELECT jsonb_object_keys(rule) LOOP
        IF NOT (v_key = ANY (v_keys) OR v_key = 'onstart') THEN
            RAISE EXCEPTION 'invalid pgpro_scheduler rule'
                USING ERRCODE = '22023',
                      DETAIL = format('The key "%s" is not one of seconds, minutes, hours, days, months, wdays and onstart.', v_key),
                      HINT = v_hint;
        END IF;
    END LOOP;

    v_value := rule -> 'onstart';
    IF v_value IS NOT NULL AND jsonb_typeof(v_value) <> 'null' THEN
        IF v_value IN ('true', '1') THEN
            v_onstart := true;
        ELSIF v_value NOT IN ('false', '0') THEN
            RAISE EXCEPTION 'invalid pgpro_scheduler rule'
                USING ERRCODE = '22023',
                      DETAIL = format('The value of "onstart" is %s; it must be true, false, 1 or 0.', v_value),
                      HINT = 'Write {"onstart": true} for a job that runs when the scheduler starts.';
        END IF;
    END IF;

    FOR i IN 1 .. array_length(v_keys, 1) LOOP
        v_key := v_keys[i];
        v_value := rule -> v_key;
        v_vals := ARRAY[]::int[];
        IF v_value IS NOT NULL AND jsonb_typeof(v_value) <> 'null' THEN
            IF jsonb_typeof(v_value) = 'number' THEN
                v_value := jsonb_build_array(v_value);
            END IF;
            IF jsonb_typeof(v_value) <> 'array' THEN
                RAISE EXCEPTION 'invalid pgpro_scheduler rule'
                    USING ERRCODE = '22023',
                          DETAIL = format('The value of "%s" is a JSON %s; it must be an array of integers.',
                                          v_key, jsonb_typeof(v_value)),
                          HINT = v_hint;
            END IF;
            FOR v_elem IN SELECT jsonb_array_elements(v_value) LOOP
                IF jsonb_typeof(v_elem) <> 'number' OR v_elem::text !~ '^-?[0-9]{1,9}$'
                   OR v_elem::text::int NOT BETWEEN v_lo[i] AND v_hi[i] THEN
                    RAISE EXCEPTION 'invalid pgpro_scheduler rule'
                        USING ERRCODE = '22023',
                              DETAIL = format('The array "%s" holds %s; it takes integers from %s to %s.',
                                              v_key, v_elem, v_lo[i], v_hi[i]),
                              HINT = v_hint;
                END IF;
                v_vals := v_vals || v_elem::text::int;
            END LOOP;
        END IF;
        IF cardinality(v_vals) = 0 THEN
            v_field := '*';
        ELSE
            v_times := true;
            SELECT string_agg(CASE WHEN lo = hi THEN lo::text ELSE lo || '-' || hi END, ',' ORDER BY lo)
              INTO v_field
              FROM (SELECT min(v) AS lo, max(v) AS hi
                      FROM (SELECT v, v - row_number() OVER (ORDER BY v) AS grp
                              FROM (SELECT DISTINCT unnest(v_vals) AS v) d) s
                     GROUP BY grp) r;
        END IF;
        IF v_key <> 'seconds' OR v_field <> '*' THEN
            v_fields := v_fields || v_field;
        END IF;
    END LOOP;

    IF v_onstart THEN
        IF v_times THEN
            RAISE EXCEPTION 'invalid pgpro_scheduler rule'
                USING ERRCODE = '22023',
                      DETAIL = 'The rule has "onstart" and also times; a job runs either at start or on a schedule.',
                      HINT = 'Write {"onstart": true} alone, or drop "onstart".';
        END IF;
        RETURN '@reboot';
    END IF;
    v_expr := array_to_string(v_fields, ' ');
    PERFORM @extschema@.cron_validate(v_expr);
    RETURN v_expr;
END
$$;

COMMENT ON FUNCTION @extschema@.cron_from_rule(jsonb) IS
'pgpro_scheduler''s rule object (seconds, minutes, hours, days, months, wdays arrays; onstart) as a cron expression';
-- fail_job: finish a job as failed, with the status text of p_fail_level
-- (3, CRITICAL, by default).  One function with a default rather than two
-- overloads, so that fail_job(id) and fail_job(id, 2) both resolve.
CREATE FUNCTION @extschema@.fail_job(p_job_id bigint, p_fail_level integer DEFAULT 3) RETURNS void
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
    PERFORM @extschema@._log_write(format('SELECT @extschema@._log_job_end(%s, %s)',
                                          p_job_id, p_fail_level));
END
$$;

COMMENT ON FUNCTION @extschema@.fail_job(bigint, integer) IS 'finish a logged job as failed at the given alert level (committed autonomously)';
-- job_log_clear: delete the jobs that started longer ago than p_interval,
-- with their steps and events.
CREATE FUNCTION @extschema@.job_log_clear(p_interval interval) RETURNS void
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    IF p_interval IS NULL THEN
        PERFORM @extschema@._null_argument('job_log_clear', 'p_interval');
    ELSIF p_interval < interval '0' THEN
        RAISE EXCEPTION 'interval must not be negative'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('job_log_clear() was called with %s.', p_interval),
                  HINT = 'Pass how old a job must be to be deleted, e.g. ''30 days''.';
    END IF;
    DELETE FROM @extschema@.job_log j WHERE j.start_time < now() - p_interval;
END
$$;

COMMENT ON FUNCTION @extschema@.job_log_clear(interval) IS 'delete jobs (with their steps and events) that started longer ago than the interval';
-- Failure bookkeeping for check_job_status(), kept by triggers as in
-- pg_jobmon 1.5: when a job's status becomes the text of an alert code, a
-- success (code 1) clears the job's failures from job_check_log and any
-- other code adds one; escalation raises the code of repeated failures.

CREATE FUNCTION @extschema@._job_monitor() RETURNS trigger
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_alert_code integer;
BEGIN
    SELECT t.alert_code INTO v_alert_code
    FROM @extschema@.job_status_text t WHERE t.alert_text = NEW.status;
    IF v_alert_code = 1 THEN
        DELETE FROM @extschema@.job_check_log c WHERE c.job_name = NEW.job_name;
    ELSIF v_alert_code IS NOT NULL THEN
        INSERT INTO @extschema@.job_check_log (job_id, job_name, alert_code)
        VALUES (NEW.job_id, NEW.job_name, v_alert_code);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER job_monitor
AFTER UPDATE OF status ON @extschema@.job_log
FOR EACH ROW WHEN (NEW.status IS DISTINCT FROM OLD.status)
EXECUTE FUNCTION @extschema@._job_monitor();

-- Escalation: a job configured with escalate = n whose failures at its
-- highest alert code reach n has the new failure raised one code, up to the
-- highest code in job_status_text.  A new failure never drops below the
-- highest code already logged.  The escalation is logged as a step of the
-- failing job, and that job's status becomes ESCALATED.
--
-- Only failures that job_monitor records escalate.  Rows loaded straight
-- into job_check_log are kept as they are: a restore of a dump loads them
-- before job_log and before the added alert codes, and escalating them
-- again would change them or fail on job_detail's foreign key.
CREATE FUNCTION @extschema@._job_check_log_escalate() RETURNS trigger
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_escalate       integer;
    v_highest_code   integer;
    v_count          integer;
    v_max_code       integer;
BEGIN
    IF pg_catalog.pg_trigger_depth() < 2 THEN
        RETURN NEW;
    END IF;
    SELECT c.escalate INTO v_escalate FROM @extschema@.job_check_config c
    WHERE upper(c.job_name) = NEW.job_name;
    IF v_escalate IS NULL THEN
        RETURN NEW;
    END IF;

    SELECT l.alert_code, count(*) INTO v_highest_code, v_count
    FROM @extschema@.job_check_log l WHERE l.job_name = NEW.job_name
    GROUP BY l.alert_code ORDER BY l.alert_code DESC LIMIT 1;
    IF v_highest_code > NEW.alert_code THEN
        NEW.alert_code := v_highest_code;
    END IF;

    SELECT max(t.alert_code) INTO v_max_code FROM @extschema@.job_status_text t;
    IF coalesce(v_count, 0) + 1 >= v_escalate AND NEW.alert_code < v_max_code THEN
        NEW.alert_code := NEW.alert_code + 1;
        INSERT INTO @extschema@.job_detail (job_id, action, start_time, end_time, elapsed_time, status, message)
        VALUES (NEW.job_id, 'ALERT ESCALATION', now(), now(), 0, 'ESCALATE',
                format('Job has alerted at level %s in excess of the escalate value configured for this job (%s). Alert code value has been escalated to: %s',
                       NEW.alert_code - 1, v_escalate, NEW.alert_code));
        UPDATE @extschema@.job_log j SET status = 'ESCALATED' WHERE j.job_id = NEW.job_id;
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER job_check_log_escalate
BEFORE INSERT ON @extschema@.job_check_log
FOR EACH ROW EXECUTE FUNCTION @extschema@._job_check_log_escalate();
-- The autonomous logging connection.
--
-- Log rows are written through a dblink connection back into this database,
-- so they commit on their own and survive the caller's rollback.  There is
-- one such connection per session, named pg_jobmon_log, opened on first use
-- and reused; a connection that died since its last use (its backend was
-- terminated, the server restarted) is reopened once.
--
-- The connection logs in as the session user (or the role in the log_user
-- setting), never as anyone more privileged: any code in the session can
-- use a named dblink connection, so it must not carry privileges the
-- session does not already have.  _log_connect is SECURITY DEFINER only so
-- that a non-superuser needs no grant on dblink_connect_u; it connects
-- without a password, which works where the server's own credentials
-- (pg_hba trust or peer, or the server account's .pgpass) admit the role.
--
-- dblink may live in any schema.  PostgreSQL 15 has no @extschema:dblink@,
-- so the functions that call it are created here with dblink's schema
-- written into their bodies (the @dblink@ marker below).

CREATE FUNCTION @extschema@._conninfo_quote(p_value text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT
SET search_path = @extschema@, pg_temp
AS $$
    SELECT '''' || replace(replace(p_value, '\', '\\'), '''', '\''') || ''''
$$;

-- Raise a logging failure as an error or, with on_log_failure = warning, as
-- a warning; the caller returns NULL in that case.
CREATE FUNCTION @extschema@._log_failure(p_sqlstate text, p_message text, p_detail text, p_hint text)
RETURNS void
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    IF @extschema@._setting('on_log_failure') = 'warning' THEN
        RAISE WARNING USING MESSAGE = p_message, DETAIL = coalesce(p_detail, ''),
                            HINT = coalesce(p_hint, 'Check the logging connection settings with SELECT * FROM config_show().'), ERRCODE = p_sqlstate;
    ELSE
        RAISE EXCEPTION USING MESSAGE = p_message, DETAIL = coalesce(p_detail, ''),
                              HINT = coalesce(p_hint, 'Check the logging connection settings with SELECT * FROM config_show().'), ERRCODE = p_sqlstate;
    END IF;
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
CREATE FUNCTION @extschema@._log_connect() RETURNS void
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
                      HINT = 'Let the role log in without a password over that socket (pg_hba.conf, or a .pgpass file of the server''s system account), or point config_set(''log_host'' | ''log_port'' | ''log_user'', ...) at a connection that works.';
        END;
    END;
    -- Unless log_durability is always, writes commit asynchronously;
    -- _log_job_end restores the session's own synchronous_commit for the
    -- end of a job unless log_durability is off.
    IF v_durability <> 'always' THEN
        PERFORM @dblink@.dblink_exec('pg_jobmon_log', 'SET synchronous_commit = off');
    END IF;
    PERFORM @dblink@.dblink_exec('pg_jobmon_log',
        format('SET lock_timeout = %L', @extschema@._setting('log_lock_timeout')));
END
$$;

CREATE FUNCTION @extschema@._log_disconnect() RETURNS void
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    IF 'pg_jobmon_log' = ANY (@dblink@.dblink_get_connections()) THEN
        PERFORM @dblink@.dblink_disconnect('pg_jobmon_log');
    END IF;
END
$$;

-- Run one statement on the logging connection and return the bigint it
-- yields (or NULL).  p_sql is built by our own functions with format(%L).
CREATE FUNCTION @extschema@._log_write(p_sql text) RETURNS bigint
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_id bigint;
BEGIN
    IF NOT coalesce('pg_jobmon_log' = ANY (@dblink@.dblink_get_connections()), false) THEN
        RETURN @extschema@._log_write_reconnecting(p_sql);
    END IF;
    SELECT t.id INTO v_id FROM @dblink@.dblink('pg_jobmon_log', p_sql) AS t(id bigint);
    RETURN v_id;
EXCEPTION WHEN connection_exception OR admin_shutdown OR crash_shutdown OR cannot_connect_now THEN
    RETURN @extschema@._log_write_reconnecting(p_sql);
END
$$;

-- (Re)open the connection and run the statement; a failure here is final
-- and goes through the on_log_failure setting.
CREATE FUNCTION @extschema@._log_write_reconnecting(p_sql text) RETURNS bigint
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_id bigint;
BEGIN
    PERFORM @extschema@._log_connect();
    SELECT t.id INTO v_id FROM @dblink@.dblink('pg_jobmon_log', p_sql) AS t(id bigint);
    RETURN v_id;
EXCEPTION WHEN connection_exception OR admin_shutdown OR crash_shutdown OR cannot_connect_now THEN
    DECLARE
        v_state text;
        v_message text;
        v_detail text;
        v_hint text;
    BEGIN
        GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT,
                                v_detail = PG_EXCEPTION_DETAIL, v_hint = PG_EXCEPTION_HINT;
        PERFORM @extschema@._log_failure(v_state, 'could not write to the pg_jobmon job log',
                                         concat_ws(' ', upper(left(v_message, 1)) || substr(v_message, 2) || '.',
                                                   v_detail),
                                         v_hint);
        RETURN NULL;
    END;
END
$$;
$fn$, '@dblink@', v_dblink);
END
$install$;

COMMENT ON FUNCTION @extschema@._log_write(text) IS 'internal: run a statement on the autonomous logging connection';
-- Structured events: messages in the shape of PostgreSQL's own (severity,
-- SQLSTATE, message, detail, hint, context and the names of the objects
-- involved), recorded against a step.

CREATE FUNCTION @extschema@._handled_error(
    OUT severity text, OUT sqlstate text, OUT message text, OUT detail text, OUT hint text,
    OUT context text, OUT schema_name text, OUT table_name text, OUT column_name text,
    OUT datatype_name text, OUT constraint_name text)
RETURNS record
LANGUAGE C VOLATILE
AS 'MODULE_PATHNAME', 'jobmon_handled_error';

COMMENT ON FUNCTION @extschema@._handled_error() IS 'internal: the error the calling PL/pgSQL EXCEPTION handler is handling';

-- log_event: record any message against a step.
CREATE FUNCTION @extschema@.log_event(
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
    RETURN @extschema@._log_write(format(
        'SELECT @extschema@._log_event(%s, %L, %L, %L, %L, %L, %L, %L, %L, %L, %L, %L)',
        p_step_id, v_severity, p_sqlstate, p_message, p_detail, p_hint, p_context,
        p_schema_name, p_table_name, p_column_name, p_datatype_name, p_constraint_name));
END
$$;

COMMENT ON FUNCTION @extschema@.log_event(bigint, text, text, text, text, text, text, text, text, text, text, text)
    IS 'record a message with all the fields of a PostgreSQL message against a step (committed autonomously)';

-- Record a handled error against a step and mark the step failed, in one
-- write: used by log_error, sql_step and sql_job.
CREATE FUNCTION @extschema@._log_step_error(p_step_id bigint, p_error record) RETURNS bigint
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    RETURN @extschema@._log_write(format(
        'SELECT @extschema@._log_step_failed(%s, %L, %L, %L, %L, %L, %L, %L, %L, %L, %L, %L)',
        p_step_id, p_error.severity, p_error.sqlstate, p_error.message, p_error.detail,
        p_error.hint, p_error.context, p_error.schema_name, p_error.table_name,
        p_error.column_name, p_error.datatype_name, p_error.constraint_name));
END
$$;

-- The remote half of _log_step_error.
CREATE FUNCTION @extschema@._log_step_failed(
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
    PERFORM @extschema@._log_step_end(p_step_id,
                                      (SELECT t.alert_text FROM @extschema@.job_status_text t WHERE t.alert_code = 3),
                                      'ERROR: ' || p_message);
    RETURN v_event_id;
END
$$;

-- log_error: inside an EXCEPTION handler, record the error being handled
-- (every field, no GET STACKED DIAGNOSTICS needed) and mark the step failed.
CREATE FUNCTION @extschema@.log_error(p_step_id bigint) RETURNS bigint
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_error record;
BEGIN
    SELECT * INTO v_error FROM @extschema@._handled_error();
    IF p_step_id IS NULL THEN
        IF @extschema@._null_id('log_error', 'p_step_id') THEN
            RETURN NULL;
        END IF;
    END IF;
    RETURN @extschema@._log_step_error(p_step_id, v_error);
END
$$;

COMMENT ON FUNCTION @extschema@.log_error(bigint)
    IS 'inside an EXCEPTION handler: record the error being handled against a step and mark the step failed';
-- The writes of the job log, run on the autonomous logging connection (see
-- log_connection.sql).  They are SECURITY DEFINER so that a role allowed to
-- log needs no privilege on the tables themselves: it can add and finish
-- jobs and steps through these, but not rewrite or delete the log.

CREATE FUNCTION @extschema@._log_job_start(p_job_name text, p_owner text, p_pid integer)
RETURNS bigint
LANGUAGE sql SECURITY DEFINER
SET search_path = @extschema@, pg_temp
AS $$
    INSERT INTO @extschema@.job_log (owner, job_name, start_time, pid)
    VALUES (p_owner, upper(p_job_name), now(), p_pid)
    RETURNING job_id
$$;

CREATE FUNCTION @extschema@._job_not_found(p_job_id bigint) RETURNS void
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

CREATE FUNCTION @extschema@._step_not_found(p_step_id bigint) RETURNS void
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

CREATE FUNCTION @extschema@._log_step_start(p_job_id bigint, p_action text) RETURNS bigint
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

CREATE FUNCTION @extschema@._log_step_end(p_step_id bigint, p_status text, p_message text)
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

-- Finish a job with the status text of p_alert_code.  Unless the setting
-- log_durability is off, the end of a job is committed with the session's
-- own synchronous_commit (steps may have been written asynchronously), so
-- once close_job or fail_job returns, the job and everything logged before
-- it are as durable as the caller's own work.
CREATE FUNCTION @extschema@._log_job_end(p_job_id bigint, p_alert_code integer) RETURNS bigint
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

CREATE FUNCTION @extschema@._log_event(
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
-- The show_* readers of the job log.  Names (and statuses) are matched
-- case-insensitively; the newest job comes first.  The unnamed int argument
-- is the number of jobs to return, as in pg_jobmon 1.5.

CREATE FUNCTION @extschema@.show_job(p_name text, integer DEFAULT 10)
RETURNS SETOF @extschema@.job_log
LANGUAGE sql STABLE
SET search_path = @extschema@, pg_temp
AS $$
    SELECT * FROM @extschema@.job_log j
    WHERE j.job_name = upper(p_name)
    ORDER BY j.job_id DESC
    LIMIT $2
$$;

CREATE FUNCTION @extschema@.show_job_like(p_name text, integer DEFAULT 10)
RETURNS SETOF @extschema@.job_log
LANGUAGE sql STABLE
SET search_path = @extschema@, pg_temp
AS $$
    SELECT * FROM @extschema@.job_log j
    WHERE j.job_name ~* p_name
    ORDER BY j.job_id DESC
    LIMIT $2
$$;

CREATE FUNCTION @extschema@.show_job_status(p_status text, integer DEFAULT 10)
RETURNS SETOF @extschema@.job_log
LANGUAGE sql STABLE
SET search_path = @extschema@, pg_temp
AS $$
    SELECT * FROM @extschema@.job_log j
    WHERE upper(j.status) = upper(p_status)
    ORDER BY j.job_id DESC
    LIMIT $2
$$;

CREATE FUNCTION @extschema@.show_job_status(p_name text, p_status text, integer DEFAULT 10)
RETURNS SETOF @extschema@.job_log
LANGUAGE sql STABLE
SET search_path = @extschema@, pg_temp
AS $$
    SELECT * FROM @extschema@.job_log j
    WHERE j.job_name = upper(p_name) AND upper(j.status) = upper(p_status)
    ORDER BY j.job_id DESC
    LIMIT $3
$$;

CREATE FUNCTION @extschema@.show_detail(p_id bigint)
RETURNS SETOF @extschema@.job_detail
LANGUAGE sql STABLE
SET search_path = @extschema@, pg_temp
AS $$
    SELECT * FROM @extschema@.job_detail d
    WHERE d.job_id = p_id
    ORDER BY d.step_id
$$;

-- The steps of the newest $2 jobs of that name, newest job first.
CREATE FUNCTION @extschema@.show_detail(p_name text, integer DEFAULT 1)
RETURNS SETOF @extschema@.job_detail
LANGUAGE sql STABLE
SET search_path = @extschema@, pg_temp
AS $$
    SELECT d.* FROM (
        SELECT j.job_id FROM @extschema@.job_log j
        WHERE j.job_name = upper(p_name)
        ORDER BY j.job_id DESC
        LIMIT $2
    ) j
    JOIN @extschema@.job_detail d ON d.job_id = j.job_id
    ORDER BY d.job_id DESC, d.step_id
$$;

-- Jobs not yet ended whose backend is still alive.
CREATE FUNCTION @extschema@.show_running(integer DEFAULT 10)
RETURNS SETOF @extschema@.job_log
LANGUAGE sql STABLE
SET search_path = @extschema@, pg_temp
AS $$
    SELECT j.* FROM @extschema@.job_log j
    JOIN pg_catalog.pg_stat_activity a ON a.pid = j.pid
    WHERE j.end_time IS NULL
    ORDER BY j.job_id DESC
    LIMIT $1
$$;

-- The structured events of a job, in order.
CREATE FUNCTION @extschema@.show_events(p_id bigint)
RETURNS SETOF @extschema@.job_event
LANGUAGE sql STABLE
SET search_path = @extschema@, pg_temp
AS $$
    SELECT * FROM @extschema@.job_event e
    WHERE e.job_id = p_id
    ORDER BY e.event_id
$$;

COMMENT ON FUNCTION @extschema@.show_job(text, integer) IS 'the newest jobs of that name';
COMMENT ON FUNCTION @extschema@.show_job_like(text, integer) IS 'the newest jobs whose name matches the regular expression (case-insensitive)';
COMMENT ON FUNCTION @extschema@.show_job_status(text, integer) IS 'the newest jobs with that status';
COMMENT ON FUNCTION @extschema@.show_job_status(text, text, integer) IS 'the newest jobs of that name with that status';
COMMENT ON FUNCTION @extschema@.show_detail(bigint) IS 'the steps of a job';
COMMENT ON FUNCTION @extschema@.show_detail(text, integer) IS 'the steps of the newest jobs of that name';
COMMENT ON FUNCTION @extschema@.show_running(integer) IS 'jobs still running in a live backend';
COMMENT ON FUNCTION @extschema@.show_events(bigint) IS 'the errors, warnings and notices recorded for a job';
-- sql_job: run one SQL statement as a whole logged job of one step.
--
-- Two runs of the same job name do not overlap: a run that finds another
-- one holding the job's advisory lock logs that and ends OK without running
-- the statement.  The lock is transaction-scoped, so no error path can leave
-- it behind.
CREATE FUNCTION @extschema@.sql_job(p_job_name text, p_sql text) RETURNS text
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_job_id  bigint;
    v_step_id bigint;
    v_rows    bigint;
BEGIN
    IF p_sql IS NULL THEN
        PERFORM @extschema@._null_argument('sql_job', 'p_sql');
    END IF;
    v_job_id := @extschema@.add_job(p_job_name);

    IF NOT pg_catalog.pg_try_advisory_xact_lock(pg_catalog.hashtext('pg_jobmon.sql_job'),
                                                pg_catalog.hashtext(upper(p_job_name))) THEN
        v_step_id := @extschema@.add_step(v_job_id, 'Obtaining advisory lock for job: ' || upper(p_job_name));
        PERFORM @extschema@.update_step(v_step_id, 'OK', 'Found concurrent job. Exiting gracefully');
        PERFORM @extschema@.close_job(v_job_id);
        RETURN 'Concurrent job found. Obtaining advisory lock FAILED for job: ' || upper(p_job_name);
    END IF;

    v_step_id := @extschema@.add_step(v_job_id, 'Running sql: ' || quote_literal(p_sql));
    BEGIN
        EXECUTE p_sql;
        GET DIAGNOSTICS v_rows = ROW_COUNT;
    EXCEPTION WHEN OTHERS THEN
        PERFORM @extschema@._log_step_error(v_step_id, e) FROM @extschema@._handled_error() e;
        PERFORM @extschema@.fail_job(v_job_id);
        RETURN 'Job ID ' || v_job_id || ' failed. See job_detail table for more details';
    END;
    PERFORM @extschema@.update_step(v_step_id, 'OK', 'Rows affected: ' || v_rows);
    PERFORM @extschema@.close_job(v_job_id);
    RETURN 'Job logged with job id: ' || v_job_id;
END
$$;

COMMENT ON FUNCTION @extschema@.sql_job(text, text) IS 'run a statement as a complete logged job of one step';
-- sql_step: run one SQL statement as a logged step of a job.  Returns true
-- when it succeeded (the step records the rows affected), false when it
-- failed (the step records the error and is marked CRITICAL; the
-- statement's effects are rolled back, the caller's are not).
CREATE FUNCTION @extschema@.sql_step(p_job_id bigint, p_action text, p_sql text) RETURNS boolean
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_step_id bigint;
    v_rows    bigint;
BEGIN
    IF p_sql IS NULL THEN
        PERFORM @extschema@._null_argument('sql_step', 'p_sql');
    END IF;
    v_step_id := @extschema@.add_step(p_job_id, p_action);
    BEGIN
        EXECUTE p_sql;
        GET DIAGNOSTICS v_rows = ROW_COUNT;
    EXCEPTION WHEN OTHERS THEN
        PERFORM @extschema@._log_step_error(v_step_id, e) FROM @extschema@._handled_error() e;
        RETURN false;
    END;
    PERFORM @extschema@.update_step(v_step_id, 'OK', 'Rows affected: ' || v_rows);
    RETURN true;
END
$$;

COMMENT ON FUNCTION @extschema@.sql_step(bigint, text, text) IS 'run a statement as a logged step; true on success, false (error logged) on failure';
-- update_step: record a step's status and message; end_time and
-- elapsed_time (seconds) are set on every call, so a step can be updated
-- several times as it progresses.
CREATE FUNCTION @extschema@.update_step(p_step_id bigint, p_status text, p_message text) RETURNS void
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    IF p_step_id IS NULL THEN
        IF @extschema@._null_id('update_step', 'p_step_id') THEN
            RETURN;
        END IF;
    END IF;
    PERFORM @extschema@._log_write(format('SELECT @extschema@._log_step_end(%s, %L, %L)',
                                          p_step_id, p_status, p_message));
END
$$;

COMMENT ON FUNCTION @extschema@.update_step(bigint, text, text) IS 'set the status and message of a step (committed autonomously)';
