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
-- The scheduler's definitions and history: jobs, their schedules, their
-- runs, the audit trail of every change, and the roles allowed to schedule.
-- A run of a job is also a logged pg_jobmon job (job_run.log_id points to
-- its job_log row), so the logging and monitoring API sees scheduled runs.
--
-- Users never write these tables directly: the API functions check who may
-- do what and write them.  Users read them through row-level security,
-- which shows a role the jobs it owns or that run as it.

CREATE TABLE @extschema@.scheduler_role (
    role_name   name NOT NULL,
    granted_by  name NOT NULL,
    granted_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT scheduler_role_pkey PRIMARY KEY (role_name)
);
COMMENT ON TABLE @extschema@.scheduler_role IS 'roles allowed to create scheduled jobs (grant_scheduler)';

CREATE TABLE @extschema@.job (
    job_id                bigint NOT NULL,
    name                  text NOT NULL,
    owner                 name NOT NULL,
    run_as                name NOT NULL,
    commands              text[] NOT NULL,
    use_same_transaction  boolean NOT NULL DEFAULT false,
    comments              text,
    start_date            timestamptz,
    end_date              timestamptz,
    last_start_available  interval,
    max_instances         integer NOT NULL DEFAULT 1,
    max_run_time          interval,
    onrollback            text,
    next_time_statement   text,
    timezone              text NOT NULL,
    on_overlap            text NOT NULL DEFAULT 'skip',
    on_missed             text NOT NULL DEFAULT 'once',
    missed_limit          integer NOT NULL DEFAULT 100,
    capture_level         text NOT NULL DEFAULT 'NOTICE',
    active                boolean NOT NULL DEFAULT true,
    broken_reason         text,
    created_at            timestamptz NOT NULL DEFAULT now(),
    -- 2.2.0: one-off jobs (submit_job), dependencies and retries.
    oneoff                boolean NOT NULL DEFAULT false,
    params                text[],
    depends_on            bigint[],
    resubmit_limit        bigint NOT NULL DEFAULT 100,
    retries               integer NOT NULL DEFAULT 0,
    retry_delay           interval NOT NULL DEFAULT '1 minute',
    retry_backoff         float8 NOT NULL DEFAULT 2,
    max_retry_delay       interval,
    CONSTRAINT job_pkey PRIMARY KEY (job_id),
    CONSTRAINT job_commands_check CHECK (cardinality(commands) > 0),
    CONSTRAINT job_dates_check CHECK (end_date > start_date),
    CONSTRAINT job_max_instances_check CHECK (max_instances > 0),
    CONSTRAINT job_on_overlap_check CHECK (on_overlap IN ('skip', 'queue')),
    CONSTRAINT job_on_missed_check CHECK (on_missed IN ('once', 'skip', 'all')),
    CONSTRAINT job_missed_limit_check CHECK (missed_limit > 0),
    CONSTRAINT job_capture_level_check CHECK (capture_level IN
        ('DEBUG5', 'DEBUG4', 'DEBUG3', 'DEBUG2', 'DEBUG1', 'LOG', 'INFO', 'NOTICE', 'WARNING', 'NONE')),
    CONSTRAINT job_resubmit_limit_check CHECK (resubmit_limit >= 0),
    CONSTRAINT job_retries_check CHECK (retries >= 0),
    CONSTRAINT job_retry_backoff_check CHECK (retry_backoff >= 1)
);
CREATE SEQUENCE @extschema@.job_job_id_seq AS bigint OWNED BY @extschema@.job.job_id;
ALTER TABLE @extschema@.job ALTER COLUMN job_id SET DEFAULT nextval('@extschema@.job_job_id_seq');
-- A run is logged under upper(name), as add_job() does, so two jobs whose
-- names differ only in case would share one history in job_log.  One-off
-- jobs may share a name (a job submitted again and again).
CREATE UNIQUE INDEX job_name_key ON @extschema@.job (upper(name)) WHERE NOT oneoff;
CREATE INDEX job_owner_idx ON @extschema@.job (owner);
CREATE INDEX job_run_as_idx ON @extschema@.job (run_as);
-- Which jobs wait for a job: looked up each time a run ends.  Without a
-- pending list, which every lookup would read whole after a burst of
-- submit_job().
CREATE INDEX job_depends_on_idx ON @extschema@.job USING gin (depends_on) WITH (fastupdate = off);
COMMENT ON TABLE @extschema@.job IS 'scheduled jobs: what runs, as whom, and under which limits';

CREATE TABLE @extschema@.job_schedule (
    schedule_id    bigint NOT NULL,
    job_id         bigint NOT NULL,
    cron           text,
    dates          timestamptz[],
    enabled        boolean NOT NULL DEFAULT true,
    -- Fire times up to here have been dispatched; the next one is later.
    fired_until    timestamptz NOT NULL DEFAULT now(),
    -- A one-off replacement of the next fire time (dyn_override, or the
    -- result of the job's next_time_statement).
    override_time  timestamptz,
    -- When the tick next has to look at this schedule; NULL when it never
    -- has to (disabled, job inactive or broken, no fire time left).
    next_fire      timestamptz,
    CONSTRAINT job_schedule_pkey PRIMARY KEY (schedule_id),
    CONSTRAINT job_schedule_job_id_fkey FOREIGN KEY (job_id)
        REFERENCES @extschema@.job (job_id) ON DELETE CASCADE,
    CONSTRAINT job_schedule_kind_check CHECK ((cron IS NULL) <> (dates IS NULL))
);
CREATE SEQUENCE @extschema@.job_schedule_schedule_id_seq AS bigint
    OWNED BY @extschema@.job_schedule.schedule_id;
ALTER TABLE @extschema@.job_schedule
    ALTER COLUMN schedule_id SET DEFAULT nextval('@extschema@.job_schedule_schedule_id_seq');
-- The tick's only way into the schedules: its cost grows with the number of
-- due schedules, not with the number of jobs.
CREATE INDEX job_schedule_next_fire_idx ON @extschema@.job_schedule (next_fire)
    WHERE next_fire IS NOT NULL;
CREATE INDEX job_schedule_job_id_idx ON @extschema@.job_schedule (job_id);
COMMENT ON TABLE @extschema@.job_schedule IS 'when jobs run: cron expressions or lists of dates, each enabled on its own';

CREATE TABLE @extschema@.job_run (
    run_id       bigint NOT NULL,
    job_id       bigint NOT NULL,
    schedule_id  bigint,
    job_name     text NOT NULL,
    owner        name NOT NULL,
    run_as       name NOT NULL,
    due_at       timestamptz NOT NULL,
    status       text NOT NULL DEFAULT 'waiting',
    reason       text,
    log_id       bigint,
    pid          integer,
    started_at   timestamptz,
    finished_at  timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now(),
    -- 2.2.0: 1 for a planned run, n + 1 for the retry after attempt n.
    attempt      integer NOT NULL DEFAULT 1,
    -- 2.3.0: the job's oneoff, so that runs are claimed by kind from the
    -- waiting indexes alone.
    oneoff       boolean NOT NULL DEFAULT false,
    CONSTRAINT job_run_pkey PRIMARY KEY (run_id),
    -- blocked: a one-off run waiting for the jobs it depends on.
    CONSTRAINT job_run_status_check CHECK (status IN
        ('blocked', 'waiting', 'starting', 'running', 'success', 'failure', 'timeout', 'cancelled', 'skipped'))
);
CREATE SEQUENCE @extschema@.job_run_run_id_seq AS bigint OWNED BY @extschema@.job_run.run_id;
ALTER TABLE @extschema@.job_run ALTER COLUMN run_id SET DEFAULT nextval('@extschema@.job_run_run_id_seq');
-- Waiting runs of each kind in the order they start (ties: a burst of
-- one-off jobs): for the tick, and for a worker that takes the next run of
-- its role (functions/tick.sql, _run_claim).
CREATE INDEX job_run_waiting_idx ON @extschema@.job_run (oneoff, due_at, run_id) WHERE status = 'waiting';
CREATE INDEX job_run_waiting_role_idx ON @extschema@.job_run (oneoff, run_as, due_at, run_id)
    WHERE status = 'waiting';
CREATE INDEX job_run_active_idx ON @extschema@.job_run (job_id)
    WHERE status IN ('waiting', 'starting', 'running');
CREATE INDEX job_run_blocked_idx ON @extschema@.job_run (job_id) WHERE status = 'blocked';
CREATE INDEX job_run_job_id_idx ON @extschema@.job_run (job_id, run_id);
CREATE INDEX job_run_finished_at_idx ON @extschema@.job_run (finished_at);
CREATE INDEX job_run_log_id_idx ON @extschema@.job_run (log_id);
COMMENT ON TABLE @extschema@.job_run IS 'every run of a scheduled job, planned, running or done; log_id is its job_log row';

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

CREATE TABLE @extschema@.job_audit (
    audit_id     bigint NOT NULL,
    changed_at   timestamptz NOT NULL DEFAULT now(),
    changed_by   name NOT NULL,
    action       text NOT NULL,
    job_id       bigint NOT NULL,
    schedule_id  bigint,
    old_value    jsonb,
    new_value    jsonb,
    CONSTRAINT job_audit_pkey PRIMARY KEY (audit_id)
);
CREATE SEQUENCE @extschema@.job_audit_audit_id_seq AS bigint OWNED BY @extschema@.job_audit.audit_id;
ALTER TABLE @extschema@.job_audit
    ALTER COLUMN audit_id SET DEFAULT nextval('@extschema@.job_audit_audit_id_seq');
CREATE INDEX job_audit_job_id_idx ON @extschema@.job_audit (job_id);
COMMENT ON TABLE @extschema@.job_audit IS 'who changed which job or schedule when, with the old and new values';

-- What the dispatcher last did, for status().  One row.
CREATE TABLE @extschema@.scheduler_state (
    id            boolean NOT NULL DEFAULT true,
    tick_pid      integer,
    tick_started  timestamptz,
    last_wakeup   timestamptz,
    -- A tick that found another one dispatching asks it to go on until then.
    renew_until   timestamptz,
    stop_requested boolean NOT NULL DEFAULT false,
    retention_at  timestamptz,
    CONSTRAINT scheduler_state_pkey PRIMARY KEY (id),
    CONSTRAINT scheduler_state_one_row CHECK (id)
);
INSERT INTO @extschema@.scheduler_state DEFAULT VALUES;
COMMENT ON TABLE @extschema@.scheduler_state IS 'the dispatcher''s last wake-up (one row)';

-- A role sees the jobs it owns and the jobs that run as it, with their
-- schedules, runs and audit rows; a superuser sees everything.
ALTER TABLE @extschema@.job ENABLE ROW LEVEL SECURITY;
ALTER TABLE @extschema@.job_schedule ENABLE ROW LEVEL SECURITY;
ALTER TABLE @extschema@.job_run ENABLE ROW LEVEL SECURITY;
ALTER TABLE @extschema@.job_audit ENABLE ROW LEVEL SECURITY;
CREATE POLICY job_visible ON @extschema@.job FOR SELECT
    USING (owner = current_user OR run_as = current_user);
CREATE POLICY job_schedule_visible ON @extschema@.job_schedule FOR SELECT
    USING (EXISTS (SELECT FROM @extschema@.job j WHERE j.job_id = job_schedule.job_id));
CREATE POLICY job_run_visible ON @extschema@.job_run FOR SELECT
    USING (owner = current_user OR run_as = current_user);
CREATE POLICY job_audit_visible ON @extschema@.job_audit FOR SELECT
    USING (changed_by = current_user
           OR EXISTS (SELECT FROM @extschema@.job j WHERE j.job_id = job_audit.job_id));

GRANT SELECT ON @extschema@.job, @extschema@.job_schedule, @extschema@.job_run,
    @extschema@.job_audit TO PUBLIC;

-- Definitions and history are the user's data: pg_dump keeps them.
SELECT pg_catalog.pg_extension_config_dump('@extschema@.scheduler_role', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.job', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.job_job_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.job_schedule', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.job_schedule_schedule_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.job_run', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.job_run_run_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.job_audit', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.job_audit_audit_id_seq', '');
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

    -- Log first, signal last: a scheduled run's worker, once interrupted,
    -- looks at its job_log row to tell a cancel from a failure.
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
CREATE FUNCTION @extschema@._setting(p_name text) RETURNS text
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
        WHEN 'max_workers' THEN p_value ~ '^[0-9]{1,4}$' AND p_value::int >= 1
        WHEN 'max_oneoff_workers' THEN p_value ~ '^[0-9]{1,4}$' AND p_value::int >= 1
        WHEN 'run_retention' THEN p_value ~ '^\s*[0-9]+\s*(s|min|h|d|days?|hours?|minutes?|seconds?)?\s*$'
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

CREATE FUNCTION @extschema@._caller() RETURNS name
LANGUAGE plpgsql STABLE
SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    -- The role setting is the caller's SET ROLE, untouched by SECURITY DEFINER.
    RETURN CASE WHEN current_setting('role') = 'none' THEN session_user
                ELSE current_setting('role')::name END;
END
$$;

CREATE FUNCTION @extschema@._is_superuser(p_role name) RETURNS boolean
LANGUAGE plpgsql STABLE
SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    RETURN coalesce((SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname = p_role), false);
END
$$;

-- A superuser, or a member of the database's owner.
CREATE FUNCTION @extschema@._is_admin(p_role name) RETURNS boolean
LANGUAGE sql STABLE
SET search_path = @extschema@, pg_temp
AS $$
    SELECT @extschema@._is_superuser(p_role)
        OR pg_catalog.pg_has_role(p_role, d.datdba, 'MEMBER')
    FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database()
$$;

CREATE FUNCTION @extschema@._check_admin(p_action text) RETURNS void
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

CREATE FUNCTION @extschema@._check_may_schedule() RETURNS void
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
CREATE FUNCTION @extschema@._check_run_as(p_owner name, p_run_as name) RETURNS void
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
CREATE FUNCTION @extschema@._is_job_role(p_role name, p_owner name, p_run_as name) RETURNS boolean
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
CREATE FUNCTION @extschema@._job_for_change(p_job_id bigint) RETURNS @extschema@.job
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

CREATE FUNCTION @extschema@.grant_scheduler(p_role name) RETURNS void
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

CREATE FUNCTION @extschema@.revoke_scheduler(p_role name) RETURNS void
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
-- Defining scheduled jobs: create, change, activate, deactivate, drop, and
-- run once now.  Every change is audited (job_audit) and wakes the tick, so
-- that a new next fire time is honoured at once.

CREATE FUNCTION @extschema@.create_job(p_options jsonb) RETURNS bigint
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
CREATE FUNCTION @extschema@._job_update(p_action text, p_old @extschema@.job, p_new @extschema@.job)
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

CREATE FUNCTION @extschema@.set_job_attributes(p_job_id bigint, p_options jsonb) RETURNS void
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
CREATE FUNCTION @extschema@.activate_job(p_job_id bigint) RETURNS void
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

CREATE FUNCTION @extschema@.deactivate_job(p_job_id bigint) RETURNS void
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
CREATE FUNCTION @extschema@.drop_job(p_job_id bigint, p_drop_history boolean DEFAULT false) RETURNS void
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
CREATE FUNCTION @extschema@.run_job(p_job_id bigint) RETURNS bigint
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
-- Dependencies between jobs (the job's depends_on): a job runs only after
-- the jobs it depends on have succeeded.  The rules (doc/scheduler.md):
--
-- * "Since" is the start of the dependant's own latest run (or its
--   creation): a dependency is met when its latest run that finished since
--   then succeeded.  A one-off dependency counts with its final outcome,
--   whenever it came.  A failed run with a retry pending is not final.
-- * A periodic job with schedules runs when a schedule is due and every
--   dependency is met; otherwise that fire time is skipped with the reason.
-- * A periodic job without schedules runs as soon as the last of its
--   dependencies succeeds (a chain or DAG: extract -> transform -> load).
-- * A one-off job waits (its run is "blocked") until every dependency is
--   met, and is cancelled as soon as one of them fails or is cancelled, so
--   that it never waits on a job that has ended; a job that others wait
--   for cannot be dropped.
-- * Cycles are refused when depends_on is set.

-- What one dependency says to a dependant whose window starts at p_since:
-- 'met', or 'pending: ...' or 'failed: ...' with the reason.
CREATE FUNCTION @extschema@._depends_state(p_dep_id bigint, p_since timestamptz) RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    d @extschema@.job;
    r @extschema@.job_run;
BEGIN
    SELECT * INTO d FROM @extschema@.job j WHERE j.job_id = p_dep_id;
    IF NOT FOUND THEN
        RETURN format('failed: job %s no longer exists', p_dep_id);
    END IF;
    IF d.oneoff AND EXISTS (SELECT FROM @extschema@.job_run x WHERE x.job_id = d.job_id
                            AND x.status IN ('blocked', 'waiting', 'starting', 'running')) THEN
        RETURN format('pending: job %s "%s" has not finished', d.job_id, d.name);
    END IF;
    SELECT * INTO r FROM @extschema@.job_run x
    WHERE x.job_id = d.job_id AND x.finished_at IS NOT NULL
      AND (d.oneoff OR (x.status <> 'skipped' AND x.finished_at > p_since))
    ORDER BY x.finished_at DESC, x.run_id DESC LIMIT 1;
    IF NOT FOUND THEN
        RETURN format('pending: job %s "%s" has not finished a run since %s', d.job_id, d.name, p_since);
    ELSIF r.status = 'success' THEN
        RETURN 'met';
    ELSIF EXISTS (SELECT FROM @extschema@.job_run x WHERE x.job_id = d.job_id
                  AND x.status IN ('waiting', 'starting', 'running') AND x.attempt > r.attempt) THEN
        RETURN format('pending: job %s "%s" failed and will be retried', d.job_id, d.name);
    END IF;
    RETURN format('failed: job %s "%s" ended with %s%s', d.job_id, d.name, r.status, coalesce(' (' || r.reason || ')', ''));
END
$$;

-- The start of the window in which a job's dependencies must succeed.
CREATE FUNCTION @extschema@._depends_since(j @extschema@.job) RETURNS timestamptz
LANGUAGE sql STABLE
SET search_path = @extschema@, pg_temp
AS $$
    SELECT coalesce((SELECT max(r.created_at) FROM @extschema@.job_run r
                     WHERE r.job_id = j.job_id AND r.status <> 'skipped'), j.created_at)
$$;

-- NULL when every dependency of j is met; else the first failed one's
-- state, or the first pending one's.
CREATE FUNCTION @extschema@._depends_problem(j @extschema@.job) RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_since  timestamptz := @extschema@._depends_since(j);
    v_state  text;
    v_result text;
BEGIN
    FOR v_state IN SELECT @extschema@._depends_state(d, v_since) FROM unnest(j.depends_on) d LOOP
        IF v_state LIKE 'failed:%' THEN
            RETURN v_state;
        END IF;
        v_result := coalesce(v_result, nullif(v_state, 'met'));
    END LOOP;
    RETURN v_result;
END
$$;

-- A run of job p_job_id ended (or its job was cancelled): move on the jobs
-- that depend on it.  Each dependant is locked first, so that of two runs
-- ending at once the second sees the first.
CREATE FUNCTION @extschema@._dependants_notify(p_job_id bigint) RETURNS void
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    j         @extschema@.job;
    v_problem text;
BEGIN
    FOR j IN
        SELECT * FROM @extschema@.job x WHERE x.depends_on @> ARRAY[p_job_id]
        ORDER BY x.job_id FOR UPDATE
    LOOP
        v_problem := @extschema@._depends_problem(j);
        IF j.oneoff THEN
            IF v_problem IS NULL THEN
                UPDATE @extschema@.job_run r SET status = 'waiting', due_at = greatest(r.due_at, now())
                WHERE r.job_id = j.job_id AND r.status = 'blocked';
                PERFORM @extschema@._tick_wake();
            ELSIF v_problem LIKE 'failed:%' THEN
                UPDATE @extschema@.job_run r
                SET status = 'cancelled', finished_at = now(),
                    reason = 'a dependency failed: ' || substr(v_problem, length('failed: ') + 1)
                WHERE r.job_id = j.job_id AND r.status = 'blocked';
                IF FOUND THEN
                    PERFORM @extschema@._dependants_notify(j.job_id);
                END IF;
            END IF;
        ELSIF v_problem IS NULL AND j.active AND j.broken_reason IS NULL
              AND NOT EXISTS (SELECT FROM @extschema@.job_schedule s WHERE s.job_id = j.job_id) THEN
            PERFORM @extschema@._run_plan(j, NULL, now());
            PERFORM @extschema@._tick_wake();
        END IF;
    END LOOP;
END
$$;

-- The ids of a depends_on option: job ids or names of jobs the caller may
-- see, with no cycle through p_job_id.
CREATE FUNCTION @extschema@._depends_resolve(p_function text, p_job_id bigint, p_value jsonb)
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
            SELECT j.job_id INTO v_id FROM @extschema@.job j
            WHERE j.job_id = (v_elem #>> '{}')::bigint AND @extschema@._is_job_role(v_caller, j.owner, j.run_as);
        ELSIF jsonb_typeof(v_elem) = 'string' THEN
            SELECT j.job_id INTO v_id FROM @extschema@.job j
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

-- Refuse depends_on p_ids for job p_job_id when a path of dependencies
-- leads from one of them back to the job.
CREATE FUNCTION @extschema@._depends_check_cycle(p_function text, p_job_id bigint, p_ids bigint[])
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
        FROM walk w JOIN @extschema@.job j ON j.job_id = w.job_id, unnest(j.depends_on) d
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

-- drop_job: a job others wait for is not dropped from under them.
CREATE FUNCTION @extschema@._depends_check_drop(p_job_id bigint) RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_dependants text;
BEGIN
    SELECT string_agg(format('%s "%s"', j.job_id, j.name), ', ' ORDER BY j.job_id) INTO v_dependants
    FROM @extschema@.job j
    WHERE j.depends_on @> ARRAY[p_job_id] AND j.job_id <> p_job_id
      AND (NOT j.oneoff OR EXISTS (SELECT FROM @extschema@.job_run r
                                   WHERE r.job_id = j.job_id AND r.status = 'blocked'));
    IF v_dependants IS NOT NULL THEN
        RAISE EXCEPTION 'cannot drop job % because other jobs depend on it', p_job_id
            USING ERRCODE = 'dependent_objects_still_exist',
                  DETAIL = 'Jobs depending on it: ' || v_dependants || '.',
                  HINT = 'Drop those jobs first, or remove the job from their depends_on with set_job_attributes().';
    END IF;
END
$$;
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
-- One-off jobs, as pgpro_scheduler's submit_job(): a query that runs once,
-- not before run_after and after the jobs it depends on, with its
-- parameters bound as real parameters.  A one-off job is a row of job with
-- oneoff set and no schedule; each of its runs (the first, retries,
-- resubmissions) is a job_run row and a logged pg_jobmon job like any other.
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
END
$$;

-- The argument names are pgpro_scheduler's, so that calls with named
-- arguments (submit_job(query => ..., run_after => ...)) keep working.
CREATE FUNCTION @extschema@.submit_job(query text, params text[] DEFAULT NULL,
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
CREATE FUNCTION @extschema@.cancel_submitted_job(p_job_id bigint) RETURNS boolean
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
CREATE FUNCTION @extschema@._oneoff_resubmit(r @extschema@.job_run, p_after interval) RETURNS text
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
CREATE FUNCTION @extschema@.get_self_id() RETURNS bigint
LANGUAGE C STRICT VOLATILE
AS 'MODULE_PATHNAME', 'jobmon_get_self_id';

CREATE FUNCTION @extschema@.resubmit(run_after interval DEFAULT '1 second') RETURNS bigint
LANGUAGE C VOLATILE
AS 'MODULE_PATHNAME', 'jobmon_resubmit';

COMMENT ON FUNCTION @extschema@.submit_job(text, text[], timestamptz, text, interval, interval, text, bigint[], text, text, bigint)
    IS 'submit a one-off job (pgpro_scheduler''s arguments); returns its job id';
COMMENT ON FUNCTION @extschema@.cancel_submitted_job(bigint)
    IS 'cancel a one-off job that has not run yet, or stop its resubmission';
COMMENT ON FUNCTION @extschema@.get_self_id() IS 'inside a job: its job id';
COMMENT ON FUNCTION @extschema@.resubmit(interval) IS 'inside a one-off job: run it again that long after this run ends (up to resubmit_limit)';
-- The options of a scheduled job, as create_job() and set_job_attributes()
-- take them in jsonb: pgpro_scheduler's keys with their meaning, plus
-- pg_jobmon's own.  One table of keys and their JSON types, one function
-- that checks a document against it.

CREATE FUNCTION @extschema@._job_option_types(OUT key text, OUT json_types text[], OUT settable boolean)
RETURNS SETOF record
LANGUAGE sql IMMUTABLE
SET search_path = @extschema@, pg_temp
AS $$
    VALUES
    ('name',                 '{string}'::text[],        true),
    ('comments',             '{string,"null"}',           true),
    ('commands',             '{string,array}',          true),
    ('cron',                 '{string}',                false),
    ('dates',                '{string,array}',          false),
    ('rule',                 '{object}',                false),
    ('run_as',               '{string}',                true),
    ('start_date',           '{string,"null"}',           true),
    ('end_date',             '{string,"null"}',           true),
    ('use_same_transaction', '{boolean}',               true),
    ('last_start_available', '{string,"null"}',           true),
    ('max_instances',        '{number}',                true),
    ('max_run_time',         '{string,"null"}',           true),
    ('onrollback',           '{string,"null"}',           true),
    ('next_time_statement',  '{string,"null"}',           true),
    ('timezone',             '{string}',                true),
    ('on_overlap',           '{string}',                true),
    ('on_missed',            '{string}',                true),
    ('missed_limit',         '{number}',                true),
    ('capture_level',        '{string}',                true),
    ('depends_on',           '{array,number,string,"null"}', true),
    ('retries',              '{number}',                true),
    ('retry_delay',          '{string}',                true),
    ('retry_backoff',        '{number}',                true),
    ('max_retry_delay',      '{string,"null"}',           true)
$$;

-- A new job of p_owner with every option at its default.
CREATE FUNCTION @extschema@._job_new(p_owner name) RETURNS @extschema@.job
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    j @extschema@.job;
BEGIN
    j.job_id := nextval('@extschema@.job_job_id_seq');
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

-- Raise 22023 for an option value that is wrong, saying which and why.
CREATE FUNCTION @extschema@._job_option_error(p_function text, p_key text, p_value jsonb,
                                              p_detail text, p_hint text)
RETURNS void
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    RAISE EXCEPTION 'invalid value for option "%" of %()', p_key, p_function
        USING ERRCODE = 'invalid_parameter_value',
              DETAIL = format('%s got %s. %s', p_function, coalesce(p_value::text, 'NULL'), p_detail),
              HINT = p_hint;
END
$$;

-- Check the keys and JSON types of an options document.
CREATE FUNCTION @extschema@._job_options_check(p_function text, p_options jsonb, p_for_change boolean)
RETURNS void
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_key   text;
    v_value jsonb;
    v_types text[];
    v_settable boolean;
BEGIN
    IF p_options IS NULL THEN
        PERFORM @extschema@._null_argument(p_function, 'options');
    END IF;
    IF jsonb_typeof(p_options) <> 'object' THEN
        RAISE EXCEPTION 'options of %() must be a JSON object', p_function
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('%s() got a JSON %s.', p_function, jsonb_typeof(p_options)),
                  HINT = 'Pass e.g. ''{"cron": "*/5 * * * *", "commands": "VACUUM"}''.';
    END IF;
    FOR v_key, v_value IN SELECT * FROM jsonb_each(p_options) LOOP
        SELECT t.json_types, t.settable INTO v_types, v_settable
        FROM @extschema@._job_option_types() t WHERE t.key = v_key;
        IF v_types IS NULL THEN
            RAISE EXCEPTION 'unrecognized option "%" of %()', v_key, p_function
                USING ERRCODE = 'invalid_parameter_value',
                      DETAIL = 'The options are: ' || (SELECT string_agg(t.key, ', ' ORDER BY t.key)
                                                      FROM @extschema@._job_option_types() t) || '.',
                      HINT = 'Check the spelling of the key; doc/scheduler.md describes every option.';
        END IF;
        IF p_for_change AND NOT v_settable THEN
            RAISE EXCEPTION 'option "%" cannot be changed with %()', v_key, p_function
                USING ERRCODE = 'invalid_parameter_value',
                      DETAIL = 'A job''s cron, dates and rule are its schedules, each with its own id.',
                      HINT = 'Use add_schedule() and drop_schedule() to change when a job runs.';
        END IF;
        IF NOT jsonb_typeof(v_value) = ANY (v_types) THEN
            PERFORM @extschema@._job_option_error(p_function, v_key, v_value,
                format('The option takes a JSON %s, not a %s.', array_to_string(v_types, ' or '),
                       jsonb_typeof(v_value)),
                'Quote times and intervals as strings, e.g. "2026-12-01 08:00" or "5 minutes".');
        END IF;
    END LOOP;
END
$$;

-- A text, array-of-text, time or interval option, converted with a clear
-- error when the conversion fails.
CREATE FUNCTION @extschema@._job_option_text_array(p_function text, p_key text, p_value jsonb)
RETURNS text[]
LANGUAGE plpgsql IMMUTABLE
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_result text[];
BEGIN
    IF p_value IS NULL OR jsonb_typeof(p_value) = 'null' THEN
        RETURN NULL;
    ELSIF jsonb_typeof(p_value) = 'string' THEN
        v_result := ARRAY[p_value #>> '{}'];
    ELSIF EXISTS (SELECT FROM jsonb_array_elements(p_value) e WHERE jsonb_typeof(e) <> 'string') THEN
        PERFORM @extschema@._job_option_error(p_function, p_key, p_value,
            'Every element of the array must be a string.', 'Quote each element.');
    ELSE
        SELECT array_agg(e ORDER BY n) INTO v_result
        FROM jsonb_array_elements_text(p_value) WITH ORDINALITY AS a(e, n);
    END IF;
    IF cardinality(v_result) IS NULL OR EXISTS (SELECT FROM unnest(v_result) c WHERE btrim(c) = '') THEN
        PERFORM @extschema@._job_option_error(p_function, p_key, p_value,
            'It must not be empty, nor contain an empty string.', 'Give at least one non-empty value.');
    END IF;
    RETURN v_result;
END
$$;

CREATE FUNCTION @extschema@._job_option_time(p_function text, p_key text, p_value jsonb)
RETURNS timestamptz
LANGUAGE plpgsql STABLE
SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    IF p_value IS NULL OR jsonb_typeof(p_value) = 'null' THEN
        RETURN NULL;
    END IF;
    RETURN (p_value #>> '{}')::timestamptz;
EXCEPTION WHEN invalid_datetime_format OR datetime_field_overflow OR invalid_parameter_value THEN
    PERFORM @extschema@._job_option_error(p_function, p_key, p_value,
        'It is not a time: ' || SQLERRM || '.', 'Give a timestamp such as "2026-12-01 08:00:00+01".');
    RETURN NULL;
END
$$;

CREATE FUNCTION @extschema@._job_option_interval(p_function text, p_key text, p_value jsonb)
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
    RETURN v_result;
END
$$;

CREATE FUNCTION @extschema@._job_option_int(p_function text, p_key text, p_value jsonb,
                                            p_min integer DEFAULT 1)
RETURNS integer
LANGUAGE plpgsql IMMUTABLE
SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    IF NOT (p_value #>> '{}') ~ '^[0-9]{1,9}$' OR (p_value #>> '{}')::integer < p_min THEN
        PERFORM @extschema@._job_option_error(p_function, p_key, p_value,
            format('It must be a whole number of at least %s.', p_min),
            format('Give e.g. %s.', greatest(p_min, 1)));
    END IF;
    RETURN (p_value #>> '{}')::integer;
END
$$;

-- One of a fixed set of words.
CREATE FUNCTION @extschema@._job_option_word(p_function text, p_key text, p_value jsonb, p_words text[])
RETURNS text
LANGUAGE plpgsql IMMUTABLE
SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    IF NOT (p_value #>> '{}') = ANY (p_words) THEN
        PERFORM @extschema@._job_option_error(p_function, p_key, p_value,
            'It must be one of ' || array_to_string(p_words, ', ') || '.',
            'Give one of those words.');
    END IF;
    RETURN p_value #>> '{}';
END
$$;

CREATE FUNCTION @extschema@._job_option_timezone(p_function text, p_value jsonb)
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    -- The cron engine decides which names it accepts (not abbreviations).
    PERFORM @extschema@.cron_next('* * * * *', now(), p_value #>> '{}');
    RETURN p_value #>> '{}';
EXCEPTION WHEN invalid_parameter_value OR feature_not_supported THEN
    PERFORM @extschema@._job_option_error(p_function, 'timezone', p_value,
        'It is not a time zone name PostgreSQL knows.',
        'Give a name from pg_timezone_names, e.g. "Europe/Paris" or "UTC".');
    RETURN NULL;
END
$$;

-- Apply the settable options of p_options to p_job and return it; checks
-- each value and the rules between values.  run_as is checked by the caller.
CREATE FUNCTION @extschema@._job_apply_options(p_function text, p_job @extschema@.job, p_options jsonb)
RETURNS @extschema@.job
LANGUAGE plpgsql STABLE
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    j @extschema@.job := p_job;
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
    IF j.name IS NOT NULL AND EXISTS (SELECT FROM @extschema@.job x
                                      WHERE upper(x.name) = upper(j.name) AND x.job_id <> j.job_id) THEN
        RAISE EXCEPTION 'a scheduled job named "%" already exists', j.name
            USING ERRCODE = 'unique_violation',
                  DETAIL = 'Runs are logged in job_log under the upper-case name, so names must differ in more than case.',
                  HINT = 'Choose another name.';
    END IF;
    RETURN j;
END
$$;
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
-- For users of runs: wait for one to end, forget finished ones.

-- Wait until a run has ended, or p_timeout passed; returns its status.
CREATE FUNCTION @extschema@.wait_for_run(p_run_id bigint, p_timeout interval DEFAULT interval '1 minute')
RETURNS text
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_until  timestamptz := clock_timestamp() + p_timeout;
    v_status text;
BEGIN
    IF EXISTS (SELECT FROM @extschema@.job_run r
               WHERE r.run_id = p_run_id AND r.xmin = xid(pg_current_xact_id_if_assigned())) THEN
        RAISE EXCEPTION 'run % cannot start before this transaction commits', p_run_id
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = 'The run was planned in this transaction, which the dispatcher cannot see yet.',
                  HINT = 'Commit first, e.g. SELECT run_job(...) \gset, then wait_for_run in its own statement.';
    END IF;
    LOOP
        SELECT r.status INTO v_status FROM @extschema@.job_run r WHERE r.run_id = p_run_id;
        IF v_status IS NULL THEN
            RAISE EXCEPTION 'run % does not exist', p_run_id
                USING ERRCODE = 'undefined_object',
                      HINT = 'SELECT run_id FROM my_log lists the runs you can see.';
        END IF;
        EXIT WHEN v_status NOT IN ('waiting', 'starting', 'running') OR clock_timestamp() >= v_until;
        PERFORM pg_catalog.pg_sleep(0.01);
    END LOOP;
    RETURN v_status;
END
$$;

-- Forget the finished runs the caller can see (all, for a superuser),
-- with their job_log rows; returns how many.
CREATE FUNCTION @extschema@.clean_log() RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_caller name := @extschema@._caller();
    v_count  bigint;
BEGIN
    WITH gone AS (
        DELETE FROM @extschema@.job_run r
        WHERE r.status NOT IN ('waiting', 'starting', 'running')
          AND @extschema@._is_job_role(v_caller, r.owner, r.run_as)
        RETURNING r.log_id),
    logs AS (
        DELETE FROM @extschema@.job_log l USING gone WHERE l.job_id = gone.log_id)
    SELECT count(*) INTO v_count FROM gone;
    RETURN v_count;
END
$$;

COMMENT ON FUNCTION @extschema@.wait_for_run(bigint, interval) IS 'wait until a run has ended (or the timeout); returns its status';
COMMENT ON FUNCTION @extschema@.clean_log() IS 'delete the finished runs you can see, with their job_log rows';
-- Schedules: when a job runs.  A job has any number of schedules, each a
-- cron expression or a list of dates, each enabled on its own.  The tick
-- finds due schedules by next_fire, which these functions keep current.

-- The audit trail: one row per change, with the old and new values.
CREATE FUNCTION @extschema@._audit(p_action text, p_job_id bigint, p_schedule_id bigint,
                                   p_old jsonb, p_new jsonb)
RETURNS void
LANGUAGE sql
SET search_path = @extschema@, pg_temp
AS $$
    INSERT INTO @extschema@.job_audit (changed_by, action, job_id, schedule_id, old_value, new_value)
    VALUES (@extschema@._caller(), p_action, p_job_id, p_schedule_id, p_old, p_new)
$$;

-- The next time schedule s of job j fires after what it already fired, or
-- NULL when it will not fire (disabled, job inactive or broken, past the
-- job's end_date, no date left).
CREATE FUNCTION @extschema@._schedule_next(s @extschema@.job_schedule, j @extschema@.job)
RETURNS timestamptz
LANGUAGE plpgsql STABLE
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_after timestamptz := greatest(s.fired_until, j.start_date - interval '1 microsecond');
    v_next  timestamptz;
BEGIN
    IF NOT s.enabled OR NOT j.active OR j.broken_reason IS NOT NULL THEN
        RETURN NULL;
    ELSIF s.override_time IS NOT NULL THEN
        v_next := s.override_time;
    ELSIF s.cron IS NOT NULL THEN
        v_next := @extschema@.cron_next(s.cron, v_after, j.timezone);
    ELSE
        SELECT min(d) INTO v_next FROM unnest(s.dates) d WHERE d > v_after;
    END IF;
    IF v_next > j.end_date THEN
        RETURN NULL;
    END IF;
    RETURN v_next;
END
$$;

-- Recompute next_fire of every schedule of a job, after a change.
CREATE FUNCTION @extschema@._schedules_refresh(p_job_id bigint) RETURNS void
LANGUAGE sql
SET search_path = @extschema@, pg_temp
AS $$
    UPDATE @extschema@.job_schedule s
    SET next_fire = @extschema@._schedule_next(s, j)
    FROM @extschema@.job j
    WHERE j.job_id = p_job_id AND s.job_id = j.job_id
$$;

-- Check and insert a schedule: exactly one of a cron expression (or a
-- pgpro_scheduler rule, turned into one) and a list of dates.
CREATE FUNCTION @extschema@._schedule_insert(p_function text, p_job_id bigint, p_cron text,
                                             p_dates timestamptz[])
RETURNS bigint
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_schedule @extschema@.job_schedule;
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
        IF @extschema@.cron_next(p_cron, now(), (SELECT j.timezone FROM @extschema@.job j WHERE j.job_id = p_job_id)) IS NULL THEN
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
    INSERT INTO @extschema@.job_schedule (job_id, cron, dates)
    VALUES (p_job_id, p_cron, p_dates)
    RETURNING * INTO v_schedule;
    UPDATE @extschema@.job_schedule s
    SET next_fire = @extschema@._schedule_next(s, j)
    FROM @extschema@.job j
    WHERE s.schedule_id = v_schedule.schedule_id AND j.job_id = s.job_id
    RETURNING s.* INTO v_schedule;
    PERFORM @extschema@._audit('add schedule', p_job_id, v_schedule.schedule_id, NULL, to_jsonb(v_schedule));
    RETURN v_schedule.schedule_id;
END
$$;

-- The schedule p_schedule_id, locked, if the caller may change its job;
-- others get the error of a schedule that does not exist.
CREATE FUNCTION @extschema@._schedule_for_change(p_schedule_id bigint)
RETURNS @extschema@.job_schedule
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_caller   name := @extschema@._caller();
    v_schedule @extschema@.job_schedule;
BEGIN
    IF p_schedule_id IS NULL THEN
        RAISE EXCEPTION 'schedule_id must not be NULL'
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Pass the id that add_schedule() returned, or one from job_schedule.';
    END IF;
    SELECT s.* INTO v_schedule
    FROM @extschema@.job_schedule s JOIN @extschema@.job j ON j.job_id = s.job_id
    WHERE s.schedule_id = p_schedule_id
      AND @extschema@._is_job_role(v_caller, j.owner, j.run_as)
    FOR UPDATE OF s, j;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'schedule % does not exist', p_schedule_id
            USING ERRCODE = 'undefined_object',
                  DETAIL = format('No job that role "%s" owns or runs has a schedule with schedule_id %s.',
                                  v_caller, p_schedule_id),
                  HINT = 'SELECT * FROM job_schedule lists the schedules of your jobs.';
    END IF;
    RETURN v_schedule;
END
$$;

-- Store the enabled flag and override of p_new, recompute next_fire, audit.
CREATE FUNCTION @extschema@._schedule_update(p_action text, p_old @extschema@.job_schedule,
                                             p_new @extschema@.job_schedule)
RETURNS void
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_new @extschema@.job_schedule;
BEGIN
    UPDATE @extschema@.job_schedule s
    SET enabled = p_new.enabled, override_time = p_new.override_time,
        next_fire = @extschema@._schedule_next(p_new, j)
    FROM @extschema@.job j
    WHERE s.schedule_id = p_old.schedule_id AND j.job_id = s.job_id
    RETURNING s.* INTO v_new;
    PERFORM @extschema@._audit(p_action, p_old.job_id, p_old.schedule_id, to_jsonb(p_old), to_jsonb(v_new));
    PERFORM @extschema@._tick_wake();
END
$$;

CREATE FUNCTION @extschema@.add_schedule(p_job_id bigint, p_cron text) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    PERFORM @extschema@._job_for_change(p_job_id);
    IF p_cron IS NULL THEN
        PERFORM @extschema@._null_argument('add_schedule', 'p_cron');
    END IF;
    PERFORM @extschema@._tick_wake();
    RETURN @extschema@._schedule_insert('add_schedule', p_job_id, p_cron, NULL);
END
$$;

CREATE FUNCTION @extschema@.add_schedule(p_job_id bigint, p_dates timestamptz[]) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    PERFORM @extschema@._job_for_change(p_job_id);
    IF p_dates IS NULL THEN
        PERFORM @extschema@._null_argument('add_schedule', 'p_dates');
    END IF;
    PERFORM @extschema@._tick_wake();
    RETURN @extschema@._schedule_insert('add_schedule', p_job_id, NULL, p_dates);
END
$$;

CREATE FUNCTION @extschema@.enable_schedule(p_schedule_id bigint) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_old @extschema@.job_schedule := @extschema@._schedule_for_change(p_schedule_id);
    v_new @extschema@.job_schedule := v_old;
BEGIN
    v_new.enabled := true;
    -- Fire times missed while disabled are not made up for.
    IF NOT v_old.enabled THEN
        v_new.fired_until := greatest(v_old.fired_until, now());
        UPDATE @extschema@.job_schedule s SET fired_until = v_new.fired_until
        WHERE s.schedule_id = p_schedule_id;
    END IF;
    PERFORM @extschema@._schedule_update('enable schedule', v_old, v_new);
END
$$;

CREATE FUNCTION @extschema@.disable_schedule(p_schedule_id bigint) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_old @extschema@.job_schedule := @extschema@._schedule_for_change(p_schedule_id);
    v_new @extschema@.job_schedule := v_old;
BEGIN
    v_new.enabled := false;
    PERFORM @extschema@._schedule_update('disable schedule', v_old, v_new);
END
$$;

CREATE FUNCTION @extschema@.drop_schedule(p_schedule_id bigint) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_old @extschema@.job_schedule := @extschema@._schedule_for_change(p_schedule_id);
BEGIN
    DELETE FROM @extschema@.job_schedule s WHERE s.schedule_id = p_schedule_id;
    PERFORM @extschema@._audit('drop schedule', v_old.job_id, p_schedule_id, to_jsonb(v_old), NULL);
END
$$;

-- Replace the next fire time of a schedule, once (QSched's dyn_override);
-- after that time the schedule goes on as before.
CREATE FUNCTION @extschema@.dyn_override(p_schedule_id bigint, p_next_time timestamptz) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_old @extschema@.job_schedule := @extschema@._schedule_for_change(p_schedule_id);
    v_new @extschema@.job_schedule := v_old;
BEGIN
    IF p_next_time IS NULL THEN
        PERFORM @extschema@._null_argument('dyn_override', 'p_next_time');
    END IF;
    v_new.override_time := p_next_time;
    PERFORM @extschema@._schedule_update('override schedule', v_old, v_new);
END
$$;

CREATE FUNCTION @extschema@.cancel_override(p_schedule_id bigint) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_old @extschema@.job_schedule := @extschema@._schedule_for_change(p_schedule_id);
    v_new @extschema@.job_schedule := v_old;
BEGIN
    v_new.override_time := NULL;
    PERFORM @extschema@._schedule_update('cancel override', v_old, v_new);
END
$$;

COMMENT ON FUNCTION @extschema@.add_schedule(bigint, text) IS 'add a cron schedule to a job; returns its schedule_id';
COMMENT ON FUNCTION @extschema@.add_schedule(bigint, timestamptz[]) IS 'add a schedule of fixed dates to a job; returns its schedule_id';
COMMENT ON FUNCTION @extschema@.enable_schedule(bigint) IS 'let a schedule fire again (missed times are not made up for)';
COMMENT ON FUNCTION @extschema@.disable_schedule(bigint) IS 'stop a schedule from firing; the job''s other schedules go on';
COMMENT ON FUNCTION @extschema@.drop_schedule(bigint) IS 'remove a schedule from its job';
COMMENT ON FUNCTION @extschema@.dyn_override(bigint, timestamptz) IS 'fire a schedule next at this time instead, once';
COMMENT ON FUNCTION @extschema@.cancel_override(bigint) IS 'undo dyn_override: the schedule fires at its own next time';
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

CREATE FUNCTION @extschema@._log_step_end(p_step_id bigint, p_status text, p_message text)
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
-- One pass of the dispatcher, called by the tick procedure
-- (procedures/tick.sql) in a transaction of its own, about once a second
-- or as soon as something is due: close runs whose worker vanished,
-- enforce time limits, plan the runs of due schedules, start workers for
-- waiting runs, and apply the retention of finished runs.

CREATE FUNCTION @extschema@._worker_launch(p_run_id bigint, p_role oid, p_due_at timestamptz)
RETURNS integer
LANGUAGE C STRICT VOLATILE
AS 'MODULE_PATHNAME', 'jobmon_worker_launch';

CREATE FUNCTION @extschema@._tick_sleep(p_seconds float8) RETURNS boolean
LANGUAGE C STRICT VOLATILE
AS 'MODULE_PATHNAME', 'jobmon_tick_sleep';

CREATE FUNCTION @extschema@._latch_set_at_commit(p_pid integer) RETURNS void
LANGUAGE C STRICT VOLATILE
AS 'MODULE_PATHNAME', 'jobmon_latch_set_at_commit';

REVOKE ALL ON FUNCTION @extschema@._worker_launch(bigint, oid, timestamptz),
    @extschema@._tick_sleep(float8), @extschema@._latch_set_at_commit(integer) FROM PUBLIC;

-- Wake the dispatcher when this transaction commits (a job changed, a run
-- ended), instead of at its next planned wake-up.
CREATE FUNCTION @extschema@._tick_wake() RETURNS void
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
CREATE FUNCTION @extschema@._tick_lead() RETURNS interval
LANGUAGE sql IMMUTABLE
AS $$ SELECT interval '50 milliseconds' $$;

CREATE FUNCTION @extschema@._max_workers() RETURNS integer
LANGUAGE sql STABLE
SET search_path = @extschema@, pg_temp
AS $$
    SELECT coalesce(@extschema@._setting('max_workers')::integer,
                    greatest(1, current_setting('max_worker_processes')::integer / 2))
$$;

-- One-off jobs have their own allowance, so that neither kind starves the
-- other: the worker slots of one kind, periodic or one-off.
CREATE FUNCTION @extschema@._max_workers(p_oneoff boolean) RETURNS integer
LANGUAGE sql STABLE
SET search_path = @extschema@, pg_temp
AS $$
    SELECT CASE WHEN p_oneoff THEN @extschema@._setting('max_oneoff_workers')::integer
                ELSE @extschema@._max_workers() END
$$;

-- The latest fire time of a cron expression in [p_from, p_to], or NULL.
-- Looks back through growing windows, so that the rows it reads stay few
-- whether the expression fires every second or once a year.
CREATE FUNCTION @extschema@._cron_latest(p_cron text, p_from timestamptz, p_to timestamptz, p_tz text)
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
CREATE FUNCTION @extschema@._schedule_dispatch(s @extschema@.job_schedule) RETURNS void
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
CREATE FUNCTION @extschema@._tick_dispatch() RETURNS integer
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

CREATE FUNCTION @extschema@._run_skip(p_run_id bigint, p_reason text) RETURNS void
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

CREATE FUNCTION @extschema@._run_late_reason(j @extschema@.job) RETURNS text
LANGUAGE sql IMMUTABLE
AS $$
    SELECT format('could not start within %s of its due time (%s)', j.last_start_available,
                  CASE WHEN j.oneoff THEN 'max_wait_interval' ELSE 'last_start_available' END)
$$;

-- Why run r of job j can never start (it is then skipped with this
-- reason), or NULL.
CREATE FUNCTION @extschema@._run_start_problem(r @extschema@.job_run, j @extschema@.job) RETURNS text
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
CREATE FUNCTION @extschema@._run_claim(p_oneoff boolean, p_run_as name, p_until timestamptz)
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
CREATE FUNCTION @extschema@._runs_skip_expired() RETURNS void
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
CREATE FUNCTION @extschema@._tick_launch() RETURNS integer
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
CREATE FUNCTION @extschema@._run_next(p_prev_run_id bigint) RETURNS SETOF @extschema@._run_definition
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
CREATE FUNCTION @extschema@._runs_enforce_limits() RETURNS void
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
CREATE FUNCTION @extschema@._runs_apply_retention() RETURNS integer
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
CREATE FUNCTION @extschema@._tick_pass() RETURNS timestamptz
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
-- Starting, stopping and watching the dispatcher.

-- The pg_cron job that calls this database's tick.
CREATE FUNCTION @extschema@._tick_cron_job_name() RETURNS text
LANGUAGE sql STABLE
AS $$ SELECT 'pg_jobmon tick: ' || pg_catalog.current_database() $$;

-- Schedule the tick with pg_cron, every minute; each call dispatches for a
-- minute and keeps one dispatcher alive (see tick()).  Idempotent.
CREATE FUNCTION @extschema@.start() RETURNS bigint
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_job_id bigint;
BEGIN
    IF NOT @extschema@._is_superuser(current_user) THEN
        RAISE EXCEPTION 'permission denied to start the pg_jobmon scheduler'
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = 'The tick starts workers as the roles of the jobs, which only a superuser may do.',
                  HINT = 'Run start() as a superuser.';
    END IF;
    IF to_regprocedure('cron.schedule_in_database(text,text,text,text,text,boolean)') IS NULL THEN
        RAISE EXCEPTION 'pg_cron is not installed in database "%"', current_database()
            USING ERRCODE = 'undefined_object',
                  DETAIL = format('start() schedules CALL %I.tick() with pg_cron, which lives in the database named by cron.database_name (%s).',
                                  '@extschema@', coalesce(current_setting('cron.database_name', true), 'pg_cron is not loaded')),
                  HINT = format('In database %s run: SELECT cron.schedule_in_database(%L, %L, %L, %L); or have any other scheduler run that CALL every minute.',
                                coalesce(current_setting('cron.database_name', true), 'postgres'),
                                @extschema@._tick_cron_job_name(), '* * * * *',
                                format('CALL %I.tick()', '@extschema@'), current_database());
    END IF;
    EXECUTE 'SELECT cron.schedule_in_database($1, $2, $3, $4)'
        INTO v_job_id
        USING @extschema@._tick_cron_job_name(), '* * * * *',
              format('CALL %I.tick()', '@extschema@'), current_database();
    RETURN v_job_id;
END
$$;

-- Unschedule the tick and stop the one running now.
CREATE FUNCTION @extschema@.stop() RETURNS void
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    IF NOT @extschema@._is_superuser(current_user) THEN
        RAISE EXCEPTION 'permission denied to stop the pg_jobmon scheduler'
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'Run stop() as a superuser.';
    END IF;
    IF to_regprocedure('cron.unschedule(name)') IS NOT NULL THEN
        EXECUTE 'SELECT cron.unschedule(jobname) FROM cron.job WHERE jobname = $1'
            USING @extschema@._tick_cron_job_name();
    END IF;
    UPDATE @extschema@.scheduler_state s SET stop_requested = true WHERE s.tick_pid IS NOT NULL;
    PERFORM @extschema@._tick_wake();
END
$$;

-- What the dispatcher is doing, and a word on what to do when it is not.
CREATE FUNCTION @extschema@.status(
    OUT running boolean, OUT tick_pid integer, OUT tick_started timestamptz,
    OUT last_wakeup timestamptz, OUT workers_in_use bigint, OUT max_workers integer,
    OUT runs_waiting bigint, OUT pg_cron_job text, OUT message text)
RETURNS record
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_state @extschema@.scheduler_state;
BEGIN
    SELECT * INTO v_state FROM @extschema@.scheduler_state;
    running := EXISTS (SELECT FROM pg_catalog.pg_stat_activity a WHERE a.pid = v_state.tick_pid);
    tick_pid := CASE WHEN running THEN v_state.tick_pid END;
    tick_started := CASE WHEN running THEN v_state.tick_started END;
    last_wakeup := v_state.last_wakeup;
    SELECT count(*) FILTER (WHERE r.status IN ('starting', 'running')),
           count(*) FILTER (WHERE r.status = 'waiting' AND r.due_at <= now())
    INTO workers_in_use, runs_waiting
    FROM @extschema@.job_run r WHERE r.status IN ('waiting', 'starting', 'running');
    max_workers := @extschema@._max_workers();
    IF to_regclass('cron.job') IS NOT NULL THEN
        EXECUTE 'SELECT schedule || '' '' || command FROM cron.job WHERE jobname = $1'
            INTO pg_cron_job USING @extschema@._tick_cron_job_name();
    END IF;
    message := CASE
        WHEN running AND last_wakeup > now() - interval '10 seconds' THEN 'dispatching'
        WHEN running THEN format('the tick (pid %s) has not woken since %s', v_state.tick_pid, last_wakeup)
        WHEN pg_cron_job IS NOT NULL AND last_wakeup IS NULL THEN
            'pg_cron calls the tick at the start of every minute; if it has not after a minute, check cron.job_run_details'
        WHEN pg_cron_job IS NOT NULL AND last_wakeup < now() - interval '2 minutes' THEN
            'pg_cron has not run the tick for over two minutes: check cron.job_run_details; if pg_cron cannot connect, set cron.use_background_workers = on (or cron.host to a socket directory) and restart'
        WHEN pg_cron_job IS NOT NULL THEN 'waiting for pg_cron to call the tick (every minute)'
        ELSE format('no tick is running: SELECT %I.start(), or CALL %I.tick() every minute from another scheduler',
                    '@extschema@', '@extschema@')
        END;
END
$$;

COMMENT ON FUNCTION @extschema@.start() IS 'schedule the tick with pg_cron in this database; returns the pg_cron job id';
COMMENT ON FUNCTION @extschema@.stop() IS 'unschedule the tick and stop the running one';
COMMENT ON FUNCTION @extschema@.status() IS 'whether the dispatcher runs, its last wake-up, workers in use, runs waiting';
-- timetable(): what runs when in a range of time, as pgpro_scheduler's
-- timetable() answers it, with what already ran.  Planned fire times come
-- from the cron engine, starting at each schedule's next_fire (which the
-- tick dispatches next), so the rows are exactly the runs the tick will
-- plan, as long as nothing changes.  Runs already planned or done are the
-- job_run rows due in the range.  Row-level security shows each role its
-- own jobs.

CREATE FUNCTION @extschema@.timetable(start_time timestamptz, end_time timestamptz)
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
        FROM @extschema@.job_run r
        LEFT JOIN @extschema@.job j ON j.job_id = r.job_id
        WHERE r.due_at >= timetable.start_time AND r.due_at < timetable.end_time
        UNION ALL
        -- Fire times the tick has not dispatched yet.
        SELECT j.job_id, j.name, 'periodic', s.schedule_id, t.due_at, 'planned', NULL, 1, NULL, NULL, NULL
        FROM @extschema@.job_schedule s
        JOIN @extschema@.job j ON j.job_id = s.job_id
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

COMMENT ON FUNCTION @extschema@.timetable(timestamptz, timestamptz)
    IS 'every planned, running and finished run of the jobs you can see, due in [start_time, end_time)';
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
-- The dispatcher: CALL tick() from pg_cron (start() schedules it), from
-- any other scheduler, or by hand.  It dispatches for up to p_run_for,
-- waking when the next run is due, when a run ends or a job changes, and
-- at least once a second.  Only one tick per database dispatches: another
-- one returns at once, after asking the running one to go on for
-- p_run_for from now, so that pg_cron's call every minute keeps a single
-- dispatcher alive without a gap.  On a standby it does nothing.
--
-- A procedure, not a function: it commits after every pass, so what it
-- planned is visible to the workers at once.  For the same reason it has
-- no SET clause (it could not commit) and names everything in full.
CREATE PROCEDURE @extschema@.tick(p_run_for interval DEFAULT interval '1 minute')
LANGUAGE plpgsql
AS $$
DECLARE
    v_deadline timestamptz := clock_timestamp() + p_run_for;
    v_wake     timestamptz;
    v_state    @extschema@.scheduler_state;
BEGIN
    IF pg_catalog.pg_is_in_recovery() THEN
        RETURN;
    END IF;
    IF NOT pg_catalog.pg_try_advisory_lock(pg_catalog.hashtext('pg_jobmon tick'), 0) THEN
        UPDATE @extschema@.scheduler_state s
        SET renew_until = greatest(s.renew_until, v_deadline);
        RETURN;
    END IF;
    UPDATE @extschema@.scheduler_state s
    SET tick_pid = pg_catalog.pg_backend_pid(), tick_started = clock_timestamp(),
        renew_until = NULL, stop_requested = false;
    COMMIT;
    LOOP
        v_wake := @extschema@._tick_pass();
        SELECT * INTO v_state FROM @extschema@.scheduler_state;
        COMMIT;
        v_deadline := greatest(v_deadline, v_state.renew_until);
        EXIT WHEN v_state.stop_requested OR clock_timestamp() >= v_deadline;
        PERFORM @extschema@._tick_sleep(extract(epoch FROM least(v_wake, v_deadline) - clock_timestamp()));
    END LOOP;
    UPDATE @extschema@.scheduler_state s SET tick_pid = NULL, stop_requested = false;
    COMMIT;
    PERFORM pg_catalog.pg_advisory_unlock(pg_catalog.hashtext('pg_jobmon tick'), 0);
END
$$;

REVOKE ALL ON PROCEDURE @extschema@.tick(interval) FROM PUBLIC;
COMMENT ON PROCEDURE @extschema@.tick(interval) IS 'dispatch due runs of scheduled jobs for a while (superuser; start() schedules it with pg_cron)';
-- Views of one-off jobs (submit_job), with pgpro_scheduler's columns:
-- job_status shows the reader's own jobs (owned or run as), all_job_status
-- every job the reader may see (everything, for a superuser).  The status
-- is submitted (not started yet), processing (a run under way) or done.

CREATE VIEW @extschema@.all_job_status WITH (security_invoker = true) AS
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

CREATE VIEW @extschema@.job_status WITH (security_invoker = true) AS
SELECT s.* FROM @extschema@.all_job_status s
WHERE current_user IN (s.owner, s.executor);

COMMENT ON VIEW @extschema@.all_job_status IS 'every one-off job you may see (all of them, for a superuser), pgpro_scheduler''s columns';
COMMENT ON VIEW @extschema@.job_status IS 'your one-off jobs (owned or run as you), pgpro_scheduler''s columns';

GRANT SELECT ON @extschema@.all_job_status, @extschema@.job_status TO PUBLIC;
-- Views of the scheduler for people: each shows only what the reader may
-- see (security_invoker, so the tables' row-level security applies).

-- Like systemctl list-timers: when each job runs next and last, and how.
CREATE VIEW @extschema@.timers WITH (security_invoker = true) AS
SELECT n.next_run,
       date_trunc('second', n.next_run - now()) AS time_left,
       l.started_at AS last_run,
       date_trunc('second', now() - l.started_at) AS time_since,
       coalesce(l.status, 'never run') AS last_status,
       j.job_id,
       j.name AS job_name,
       CASE WHEN j.broken_reason IS NOT NULL THEN 'broken: ' || j.broken_reason
            WHEN NOT j.active THEN 'inactive'
            ELSE n.schedule END AS schedule
FROM @extschema@.job j
LEFT JOIN LATERAL (
    SELECT min(s.next_fire) AS next_run,
           string_agg(CASE WHEN s.cron IS NOT NULL THEN @extschema@.cron_describe(s.cron)
                           ELSE 'at ' || array_to_string(s.dates, ', ') END
                      || CASE WHEN s.enabled THEN '' ELSE ' (disabled)' END,
                      '; ' ORDER BY s.schedule_id) AS schedule
    FROM @extschema@.job_schedule s WHERE s.job_id = j.job_id) n ON true
LEFT JOIN LATERAL (
    SELECT r.started_at, r.status FROM @extschema@.job_run r
    WHERE r.job_id = j.job_id AND r.started_at IS NOT NULL
    ORDER BY r.run_id DESC LIMIT 1) l ON true
WHERE NOT j.oneoff
ORDER BY n.next_run NULLS LAST, j.job_id;

COMMENT ON VIEW @extschema@.timers IS 'next and last run of every job you can see, like systemctl list-timers';

-- The periodic jobs a role owns or that run as it, with their schedules
-- (one-off jobs are in job_status).
CREATE VIEW @extschema@.my_jobs WITH (security_invoker = true) AS
SELECT j.job_id, j.name, j.owner, j.run_as, j.commands, j.use_same_transaction,
       j.comments, j.start_date, j.end_date, j.last_start_available, j.max_instances,
       j.max_run_time, j.onrollback, j.next_time_statement, j.timezone, j.on_overlap,
       j.on_missed, j.missed_limit, j.capture_level, j.active, j.broken_reason, j.created_at,
       (SELECT min(s.next_fire) FROM @extschema@.job_schedule s WHERE s.job_id = j.job_id) AS next_run,
       (SELECT array_agg(s.cron ORDER BY s.schedule_id) FROM @extschema@.job_schedule s
        WHERE s.job_id = j.job_id AND s.cron IS NOT NULL) AS crons,
       (SELECT array_agg(d ORDER BY d) FROM @extschema@.job_schedule s, unnest(s.dates) d
        WHERE s.job_id = j.job_id) AS dates,
       j.depends_on, j.retries, j.retry_delay, j.retry_backoff, j.max_retry_delay
FROM @extschema@.job j
WHERE NOT j.oneoff;

COMMENT ON VIEW @extschema@.my_jobs IS 'the scheduled jobs you own or that run as you';

-- Their runs, newest first; log_id is the run's job_log row.
CREATE VIEW @extschema@.my_log WITH (security_invoker = true) AS
SELECT r.run_id, r.job_id, r.job_name, r.run_as, r.due_at, r.started_at, r.finished_at,
       r.finished_at - r.started_at AS duration, r.status, r.reason, r.log_id, r.attempt
FROM @extschema@.job_run r
ORDER BY r.run_id DESC;

COMMENT ON VIEW @extschema@.my_log IS 'the runs of the jobs you own or that run as you, newest first';

GRANT SELECT ON @extschema@.timers, @extschema@.my_jobs, @extschema@.my_log TO PUBLIC;
-- pgpro_scheduler-style readers of jobs and runs.  They read through the
-- views (and return their row types, hence their place here), so each
-- role sees its own jobs and a superuser sees all.

CREATE FUNCTION @extschema@.get_job(p_job_id bigint) RETURNS SETOF @extschema@.my_jobs
LANGUAGE sql STABLE
SET search_path = @extschema@, pg_temp
AS $$ SELECT * FROM @extschema@.my_jobs m WHERE m.job_id = p_job_id $$;

CREATE FUNCTION @extschema@.get_owned_jobs(p_owner name DEFAULT current_user) RETURNS SETOF @extschema@.my_jobs
LANGUAGE sql STABLE
SET search_path = @extschema@, pg_temp
AS $$ SELECT * FROM @extschema@.my_jobs m WHERE m.owner = p_owner ORDER BY m.job_id $$;

CREATE FUNCTION @extschema@.get_run_as_jobs(p_run_as name DEFAULT current_user) RETURNS SETOF @extschema@.my_jobs
LANGUAGE sql STABLE
SET search_path = @extschema@, pg_temp
AS $$ SELECT * FROM @extschema@.my_jobs m WHERE m.run_as = p_run_as ORDER BY m.job_id $$;

CREATE FUNCTION @extschema@.get_active_runs() RETURNS SETOF @extschema@.my_log
LANGUAGE sql STABLE
SET search_path = @extschema@, pg_temp
AS $$ SELECT * FROM @extschema@.my_log m WHERE m.status IN ('waiting', 'starting', 'running') $$;

CREATE FUNCTION @extschema@.get_run_log(p_job_id bigint DEFAULT NULL) RETURNS SETOF @extschema@.my_log
LANGUAGE sql STABLE
SET search_path = @extschema@, pg_temp
AS $$ SELECT * FROM @extschema@.my_log m WHERE p_job_id IS NULL OR m.job_id = p_job_id $$;

COMMENT ON FUNCTION @extschema@.get_job(bigint) IS 'one job you can see';
COMMENT ON FUNCTION @extschema@.get_owned_jobs(name) IS 'the jobs a role owns (that you can see)';
COMMENT ON FUNCTION @extschema@.get_run_as_jobs(name) IS 'the jobs that run as a role (that you can see)';
COMMENT ON FUNCTION @extschema@.get_active_runs() IS 'runs waiting, starting or running';
COMMENT ON FUNCTION @extschema@.get_run_log(bigint) IS 'the run log, of one job or all you can see';
