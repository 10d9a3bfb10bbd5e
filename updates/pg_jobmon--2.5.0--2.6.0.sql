-- pg_jobmon 2.5.0 -> 2.6.0: robustness, and moving in from pg_jobmon 1.x.
--
-- Each section below is the delta of one change, in the order they landed.

\echo Use "ALTER EXTENSION pg_jobmon UPDATE TO '2.6.0'" to load this file. \quit

-- Monitoring speed and pg_jobmon 1.x behaviour kept (issues 13 and 14):
-- check_job_status finds each configured job's last run and last end
-- through two new indexes on job_log instead of sorting the history;
-- sql_step and sql_job run the caller's SQL under the caller's
-- search_path (a wrapper reads it, a pinned body runs the statement under
-- it) and sql_step closes the job on success, as 1.x did; the setting
-- text_style (1.x by default) chooses the wording of FAILED_RUN and
-- BLOCKED alerts and of cancel_job's step.

CREATE INDEX job_log_job_name_start_idx ON @extschema@.job_log
    (pg_catalog.hashtextextended(job_name, 0), pg_catalog.timezone('UTC', start_time));

CREATE INDEX job_log_job_name_end_idx ON @extschema@.job_log
    (pg_catalog.hashtextextended(job_name, 0), pg_catalog.timezone('UTC', end_time))
    WHERE end_time IS NOT NULL;

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
     'How many bytes of each text of a captured message (message, detail, hint, context ...) are kept: a longer text is cut on a character boundary and ends with "... (N bytes not kept)".  A failed step''s message repeats its error cut the same way; the error''s event keeps it whole.  A size such as 8kB or 1024 (bytes), at most 1GB.  Read when a run starts.'),
    -- pg_jobmon 1.x compatibility (text_style)
    ('text_style', '1.x',
     'Wording of the texts that checks and scripts parse: check_job_status''s FAILED_RUN and BLOCKED alert_text and the step message of cancel_job.  1.x (pg_jobmon 1.5''s: "3 consecutive CRITICAL runs", "1 WARNING run(s)", "Manually cancelled via call to jobmon.cancel_job() by alice") or 2.x ("3 consecutive job failure(s)", "Cancelled by role alice through cancel_job()").');
END
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

CREATE OR REPLACE FUNCTION @extschema@.check_job_status(p_history interval,
    OUT alert_code integer, OUT alert_status text, OUT job_name text, OUT alert_text text)
RETURNS SETOF record
LANGUAGE plpgsql STABLE
SET search_path = @extschema@, pg_temp
SET enable_sort = off
SET jit = off
AS $$
DECLARE
    v_longest interval;
    v_since   timestamptz;
    v_v1      boolean := @extschema@._setting('text_style') = '1.x';
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
    v_since := now() - p_history;

    -- The last run of a job and its last end are each one probe of an
    -- index on the hash of the name (job_log_job_name_start_idx,
    -- job_log_job_name_end_idx), made only for the active configured jobs
    -- and, for the last end, only for those reported with a run in the
    -- history: the cost does not grow with the history read.  The times
    -- are compared and ordered as timezone('UTC', t), which orders as t
    -- does, because only those indexes hold that expression: ordered by the
    -- plain column, the planner may read the newest runs of every job
    -- through job_log_start_time_idx until one of this job's turns up,
    -- which for a job that has not run lately (the very one reported) is
    -- the whole history.  enable_sort = off (this function's setting) keeps
    -- it from sorting all of a job's runs instead; the other queries here
    -- have no other way than a sort where they sort, but the penalty that
    -- enable_sort adds to their cost would make them look worth compiling:
    -- hence jit = off.  The last end is looked for among the runs that
    -- ended within the history, as those that started within it did.
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
                   CASE WHEN NOT v_v1 THEN f.failures || ' consecutive job failure(s)'
                        WHEN c.job_name IS NULL THEN '3 consecutive ' || t.word || ' runs'
                        ELSE (SELECT count(*) FROM @extschema@.job_check_log l
                              WHERE l.job_name = f.job_name AND l.alert_code = f.alert_code)
                             || ' ' || t.word || ' run(s)'
                   END AS alert_text
            FROM failures f
            LEFT JOIN config c ON c.job_name = f.job_name
            CROSS JOIN LATERAL (
                SELECT coalesce((SELECT s.alert_text FROM @extschema@.job_status_text s
                                 WHERE s.alert_code = f.alert_code), f.alert_code::text) AS word) t
            WHERE (c.job_name IS NULL AND f.failures > 2)
               OR (c.active AND f.failures > c.sensitivity)
        ),
        missing AS (
            SELECT CASE WHEN r.start_time IS NULL OR now() - r.start_time > c.error_threshold THEN 3 ELSE 2 END
                       AS alert_code,
                   c.job_name, r.start_time, r.end_time, r.pid,
                   least(c.warn_threshold, c.error_threshold) AS shortest
            FROM config c
            LEFT JOIN LATERAL (
                SELECT j.start_time, j.end_time, j.pid
                FROM @extschema@.job_log j
                WHERE pg_catalog.hashtextextended(j.job_name, 0) = pg_catalog.hashtextextended(c.job_name, 0)
                  AND j.job_name = c.job_name
                  AND pg_catalog.timezone('UTC', j.start_time) > pg_catalog.timezone('UTC', v_since)
                ORDER BY pg_catalog.timezone('UTC', j.start_time) DESC
                LIMIT 1) r ON true
            WHERE c.active AND (r.start_time IS NULL OR now() - r.start_time > c.warn_threshold)
        ),
        running AS (
            SELECT m.*,
                   a.pid IS NOT NULL AND m.end_time IS NULL AND now() - m.start_time >= m.shortest AS is_running,
                   CASE WHEN m.start_time IS NOT NULL THEN
                       (SELECT j.end_time
                        FROM @extschema@.job_log j
                        WHERE pg_catalog.hashtextextended(j.job_name, 0) = pg_catalog.hashtextextended(m.job_name, 0)
                          AND j.job_name = m.job_name AND j.end_time IS NOT NULL
                          AND pg_catalog.timezone('UTC', j.end_time) > pg_catalog.timezone('UTC', v_since)
                          AND j.start_time > v_since
                        ORDER BY pg_catalog.timezone('UTC', j.end_time) DESC
                        LIMIT 1)
                   END AS last_end
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
            WHERE j.end_time IS NULL AND j.start_time > v_since
        )
        SELECT p.alert_code,
               CASE WHEN b.job_name IS NOT NULL THEN 'BLOCKED' ELSE p.alert_status END,
               p.job_name,
               CASE WHEN b.job_name IS NULL THEN p.alert_text
                    WHEN v_v1 THEN 'Another transaction has a lock that blocking this job from completing'
                    ELSE 'Another transaction has a lock that is blocking this job from completing' END
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
        CASE WHEN @extschema@._setting('text_style') = '1.x'
             THEN format('Manually cancelled via call to %s.cancel_job() by %s', '@extschema@', current_user)
             ELSE format('Cancelled by role %s through cancel_job()', current_user) END);
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

CREATE FUNCTION @extschema@._sql_step(p_job_id bigint, p_action text, p_sql text, p_search_path text)
RETURNS boolean
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
    v_rows := @extschema@._sql_execute(v_step_id, p_sql, p_search_path);
    IF v_rows IS NULL THEN
        RETURN false;
    END IF;
    PERFORM @extschema@.update_step(v_step_id, 'OK', 'Rows affected: ' || v_rows);
    PERFORM @extschema@.close_job(p_job_id);
    RETURN true;
END
$$;

CREATE FUNCTION @extschema@._sql_execute(p_step_id bigint, p_sql text, p_search_path text)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_rows bigint;
BEGIN
    BEGIN
        PERFORM pg_catalog.set_config('search_path', p_search_path, true);
        EXECUTE p_sql;
        GET DIAGNOSTICS v_rows = ROW_COUNT;
    EXCEPTION WHEN OTHERS THEN
        PERFORM @extschema@._log_step_error(p_step_id, e) FROM @extschema@._handled_error() e;
        RETURN NULL;
    END;
    RETURN v_rows;
END
$$;

CREATE FUNCTION @extschema@._sql_job(p_job_name text, p_sql text, p_search_path text) RETURNS text
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
    v_rows := @extschema@._sql_execute(v_step_id, p_sql, p_search_path);
    IF v_rows IS NULL THEN
        PERFORM @extschema@.fail_job(v_job_id);
        RETURN 'Job ID ' || v_job_id || ' failed. See job_detail table for more details';
    END IF;
    PERFORM @extschema@.update_step(v_step_id, 'OK', 'Rows affected: ' || v_rows);
    PERFORM @extschema@.close_job(v_job_id);
    RETURN 'Job logged with job id: ' || v_job_id;
END
$$;

CREATE OR REPLACE FUNCTION @extschema@.sql_step(p_job_id bigint, p_action text, p_sql text) RETURNS boolean
LANGUAGE sql
AS $$
    SELECT @extschema@._sql_step(p_job_id, p_action, p_sql, pg_catalog.current_setting('search_path'))
$$;

CREATE OR REPLACE FUNCTION @extschema@.sql_job(p_job_name text, p_sql text) RETURNS text
LANGUAGE sql
AS $$
    SELECT @extschema@._sql_job(p_job_name, p_sql, pg_catalog.current_setting('search_path'))
$$;

COMMENT ON FUNCTION @extschema@.sql_step(bigint, text, text) IS 'run a statement as a logged step under the caller''s search_path; true on success (the job is closed), false (error logged) on failure';

COMMENT ON FUNCTION @extschema@.sql_job(text, text) IS 'run a statement as a complete logged job of one step, under the caller''s search_path';
