-- Settings: built-in defaults, the values a superuser changed, and the
-- functions to read and change them.  Only values a superuser has set are
-- stored; every setting has a built-in default (_setting_defaults), so the
-- table is dumped whole and an upgrade never has to merge seeded rows.
-- Only superusers change settings, because log_host, log_port and log_user
-- decide where and as whom the logging connection logs in.

CREATE TABLE @extschema@.jobmon_config (
    name   text NOT NULL,
    value  text NOT NULL,
    CONSTRAINT jobmon_config_name_pkey PRIMARY KEY (name)
);

SELECT pg_catalog.pg_extension_config_dump('@extschema@.jobmon_config', '');

COMMENT ON TABLE @extschema@.jobmon_config IS 'settings changed from their defaults; see jobmon_config_show()';

CREATE FUNCTION @extschema@._setting_defaults(
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
     'How many bytes of each text of a captured message (message, detail, hint, context ...) are kept: a longer text is cut on a character boundary and ends with "... (N bytes not kept)".  A failed step''s message repeats its error cut the same way; the error''s event keeps it whole.  A size such as 8kB or 1024 (bytes), at most 1GB.  Read when a run starts.'),
    -- Retention (sql/dispatch/retention.sql), beside run_retention.
    ('audit_retention', '90 days',
     'How long the dispatcher keeps the audit trail of changes to jobs and schedules (jobmon_audit rows, one per change and per submit_job); 0 keeps it for ever.'),
    ('log_retention', '0',
     'How long the dispatcher keeps the logged jobs of the logging API (job_log rows written by add_job and the like, with their steps and events), counted from their start and only once closed; the logs of runs go with their runs (run_retention).  0, the default, keeps them for ever, as pg_jobmon 1.x did (job_log_clear() deletes them by hand).'),
    -- pg_jobmon 1.x compatibility (text_style)
    ('text_style', '1.x',
     'Wording of the texts that checks and scripts parse: check_job_status''s FAILED_RUN and BLOCKED alert_text and the step message of cancel_job.  1.x (pg_jobmon 1.5''s: "3 consecutive CRITICAL runs", "1 WARNING run(s)", "Manually cancelled via call to jobmon.cancel_job() by alice") or 2.x ("3 consecutive job failure(s)", "Cancelled by role alice through cancel_job()").');
END
$$;

-- The effective value of one setting.  PL/pgSQL, which keeps its plans
-- for the session: every run reads a setting.
CREATE FUNCTION @extschema@._setting(p_name text) RETURNS text
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

CREATE FUNCTION @extschema@.jobmon_config_show(
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

CREATE FUNCTION @extschema@.jobmon_config_set(p_name text, p_value text) RETURNS void
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
                         WHEN 'audit_retention' THEN 'Give a duration such as 90 days or 12h; 0 keeps the audit trail for ever.'
                         WHEN 'log_retention' THEN 'Give a duration such as 30 days or 12h; 0 keeps logged jobs for ever.'
                         WHEN 'capture_max_messages' THEN 'Give a whole number of at least 0.'
                         WHEN 'capture_max_bytes' THEN 'Give a size of at most 1GB, such as 1MB, 512kB or 65536 (bytes).'
                         WHEN 'capture_max_message_bytes' THEN 'Give a size of at most 1GB, such as 8kB or 1024 (bytes).'
                         -- pg_jobmon 1.x compatibility (text_style)
                         WHEN 'text_style' THEN 'Give 1.x or 2.x.'
                         ELSE 'Give a non-empty value.' END;
    END IF;
    INSERT INTO @extschema@.jobmon_config (name, value) VALUES (p_name, p_value)
    ON CONFLICT ON CONSTRAINT jobmon_config_name_pkey DO UPDATE SET value = EXCLUDED.value;
    -- The logging connection of this session picks the change up when it
    -- next connects; reconnect now so the caller sees the effect at once.
    PERFORM @extschema@._log_disconnect();
END
$$;

CREATE FUNCTION @extschema@.jobmon_config_reset(p_name text) RETURNS void
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

-- Sizes (capture_max_bytes, capture_max_message_bytes) are written as in
-- postgresql.conf, a whole number with an optional unit B, kB, MB or GB,
-- because the worker reads them as the server reads its memory settings.
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
        WHEN 'max_workers' THEN p_value ~ '^[0-9]{1,4}$' AND p_value::int >= 1
        WHEN 'max_oneoff_workers' THEN p_value ~ '^[0-9]{1,4}$' AND p_value::int >= 1
        WHEN 'run_retention' THEN p_value ~ '^\s*[0-9]+\s*(s|min|h|d|days?|hours?|minutes?|seconds?)?\s*$'
        WHEN 'audit_retention' THEN p_value ~ '^\s*[0-9]+\s*(s|min|h|d|days?|hours?|minutes?|seconds?)?\s*$'
        WHEN 'log_retention' THEN p_value ~ '^\s*[0-9]+\s*(s|min|h|d|days?|hours?|minutes?|seconds?)?\s*$'
        WHEN 'capture_max_messages' THEN p_value ~ '^\s*[0-9]{1,9}\s*$'
        WHEN 'capture_max_bytes' THEN coalesce(s.bytes <= 1073741824, false)
        WHEN 'capture_max_message_bytes' THEN coalesce(s.bytes <= 1073741824, false)
        -- pg_jobmon 1.x compatibility (text_style)
        WHEN 'text_style' THEN p_value IN ('1.x', '2.x')
        ELSE p_value <> ''
    END
    FROM (SELECT CASE WHEN p_value ~ '^\s*[0-9]{1,10}\s*(B|kB|MB|GB)?\s*$'
                      THEN substring(p_value FROM '[0-9]+')::numeric
                           * CASE substring(p_value FROM '(B|kB|MB|GB)')
                             WHEN 'kB' THEN 1024 WHEN 'MB' THEN 1048576 WHEN 'GB' THEN 1073741824
                             ELSE 1 END
                 END AS bytes) s
$$;

COMMENT ON FUNCTION @extschema@.jobmon_config_show() IS 'every pg_jobmon setting with its value, default and meaning';

COMMENT ON FUNCTION @extschema@.jobmon_config_set(text, text) IS 'change a pg_jobmon setting (superuser)';

COMMENT ON FUNCTION @extschema@.jobmon_config_reset(text) IS 'return a pg_jobmon setting to its default (superuser)';
