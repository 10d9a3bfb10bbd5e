-- The scheduler's definitions and history: jobs, their schedules, their
-- runs, the audit trail of every change, and the roles allowed to schedule.
-- A run of a job is also a logged pg_jobmon job (jobmon_run.log_id points to
-- its job_log row), so the logging and monitoring API sees scheduled runs.
--
-- Users never write these tables directly: the API functions check who may
-- do what and write them.  Users read them through row-level security,
-- which shows a role the jobs it owns or that run as it.

CREATE TABLE @extschema@.jobmon_scheduler_role (
    role_name   name NOT NULL,
    granted_by  name NOT NULL,
    granted_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT jobmon_scheduler_role_pkey PRIMARY KEY (role_name)
);

COMMENT ON TABLE @extschema@.jobmon_scheduler_role IS 'roles allowed to create scheduled jobs (grant_scheduler)';

CREATE TABLE @extschema@.jobmon_job (
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
    CONSTRAINT jobmon_job_pkey PRIMARY KEY (job_id),
    CONSTRAINT jobmon_job_commands_check CHECK (cardinality(commands) > 0),
    CONSTRAINT jobmon_job_dates_check CHECK (end_date > start_date),
    CONSTRAINT jobmon_job_max_instances_check CHECK (max_instances > 0),
    CONSTRAINT jobmon_job_on_overlap_check CHECK (on_overlap IN ('skip', 'queue')),
    CONSTRAINT jobmon_job_on_missed_check CHECK (on_missed IN ('once', 'skip', 'all')),
    CONSTRAINT jobmon_job_missed_limit_check CHECK (missed_limit > 0),
    CONSTRAINT jobmon_job_capture_level_check CHECK (capture_level IN
        ('DEBUG5', 'DEBUG4', 'DEBUG3', 'DEBUG2', 'DEBUG1', 'LOG', 'INFO', 'NOTICE', 'WARNING', 'NONE')),
    CONSTRAINT jobmon_job_resubmit_limit_check CHECK (resubmit_limit >= 0),
    CONSTRAINT jobmon_job_retries_check CHECK (retries >= 0),
    CONSTRAINT jobmon_job_retry_backoff_check CHECK (retry_backoff >= 1)
);

CREATE SEQUENCE @extschema@.jobmon_job_job_id_seq AS bigint OWNED BY @extschema@.jobmon_job.job_id;

ALTER TABLE @extschema@.jobmon_job ALTER COLUMN job_id SET DEFAULT nextval('@extschema@.jobmon_job_job_id_seq');

-- A run is logged under upper(name), as add_job() does, so two jobs whose
-- names differ only in case would share one history in job_log.  One-off
-- jobs may share a name (a job submitted again and again).
CREATE UNIQUE INDEX jobmon_job_name_key ON @extschema@.jobmon_job (upper(name)) WHERE NOT oneoff;

CREATE INDEX jobmon_job_owner_idx ON @extschema@.jobmon_job (owner);

CREATE INDEX jobmon_job_run_as_idx ON @extschema@.jobmon_job (run_as);
-- Retention looks among the old one-off jobs for those whose runs are gone.
CREATE INDEX jobmon_job_oneoff_created_at_idx ON @extschema@.jobmon_job (created_at) WHERE oneoff;

-- Which jobs wait for a job: looked up each time a run ends.  Without a
-- pending list, which every lookup would read whole after a burst of
-- submit_job().
CREATE INDEX jobmon_job_depends_on_idx ON @extschema@.jobmon_job USING gin (depends_on) WITH (fastupdate = off);

COMMENT ON TABLE @extschema@.jobmon_job IS 'scheduled jobs: what runs, as whom, and under which limits';

CREATE TABLE @extschema@.jobmon_schedule (
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
    -- When the dispatcher next has to look at this schedule; NULL when it never
    -- has to (disabled, job inactive or broken, no fire time left).
    next_fire      timestamptz,
    CONSTRAINT jobmon_schedule_pkey PRIMARY KEY (schedule_id),
    CONSTRAINT jobmon_schedule_job_id_fkey FOREIGN KEY (job_id)
        REFERENCES @extschema@.jobmon_job (job_id) ON DELETE CASCADE,
    CONSTRAINT jobmon_schedule_kind_check CHECK ((cron IS NULL) <> (dates IS NULL))
);

CREATE SEQUENCE @extschema@.jobmon_schedule_schedule_id_seq AS bigint
    OWNED BY @extschema@.jobmon_schedule.schedule_id;

ALTER TABLE @extschema@.jobmon_schedule
    ALTER COLUMN schedule_id SET DEFAULT nextval('@extschema@.jobmon_schedule_schedule_id_seq');

-- The dispatcher's only way into the schedules: its cost grows with the number of
-- due schedules, not with the number of jobs.
CREATE INDEX jobmon_schedule_next_fire_idx ON @extschema@.jobmon_schedule (next_fire)
    WHERE next_fire IS NOT NULL;

CREATE INDEX jobmon_schedule_job_id_idx ON @extschema@.jobmon_schedule (job_id);

COMMENT ON TABLE @extschema@.jobmon_schedule IS 'when jobs run: cron expressions or lists of dates, each enabled on its own';

CREATE TABLE @extschema@.jobmon_run (
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
    CONSTRAINT jobmon_run_pkey PRIMARY KEY (run_id),
    -- blocked: a one-off run waiting for the jobs it depends on.
    CONSTRAINT jobmon_run_status_check CHECK (status IN
        ('blocked', 'waiting', 'starting', 'running', 'success', 'failure', 'timeout', 'cancelled', 'skipped'))
);

CREATE SEQUENCE @extschema@.jobmon_run_run_id_seq AS bigint OWNED BY @extschema@.jobmon_run.run_id;

ALTER TABLE @extschema@.jobmon_run ALTER COLUMN run_id SET DEFAULT nextval('@extschema@.jobmon_run_run_id_seq');

-- Waiting runs of each kind in the order they start (ties: a burst of
-- one-off jobs): for the dispatcher, and for a worker that takes the next run of
-- its role (sql/dispatch/claim.sql, _run_claim).
CREATE INDEX jobmon_run_waiting_idx ON @extschema@.jobmon_run (oneoff, due_at, run_id) WHERE status = 'waiting';

CREATE INDEX jobmon_run_waiting_role_idx ON @extschema@.jobmon_run (oneoff, run_as, due_at, run_id)
    WHERE status = 'waiting';

CREATE INDEX jobmon_run_active_idx ON @extschema@.jobmon_run (job_id)
    WHERE status IN ('waiting', 'starting', 'running');

CREATE INDEX jobmon_run_blocked_idx ON @extschema@.jobmon_run (job_id) WHERE status = 'blocked';

CREATE INDEX jobmon_run_job_id_idx ON @extschema@.jobmon_run (job_id, run_id);

CREATE INDEX jobmon_run_finished_at_idx ON @extschema@.jobmon_run (finished_at);

CREATE INDEX jobmon_run_log_id_idx ON @extschema@.jobmon_run (log_id);

COMMENT ON TABLE @extschema@.jobmon_run IS 'every run of a scheduled job, planned, running or done; log_id is its job_log row';

-- What a worker needs of a run it starts (sql/run/worker.sql): returned by
-- _worker_begin and _worker_next, read by name (src/bookkeeping_calls.h).
CREATE TYPE @extschema@._worker_run AS (
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

CREATE TABLE @extschema@.jobmon_audit (
    audit_id     bigint NOT NULL,
    changed_at   timestamptz NOT NULL DEFAULT now(),
    changed_by   name NOT NULL,
    action       text NOT NULL,
    job_id       bigint NOT NULL,
    schedule_id  bigint,
    old_value    jsonb,
    new_value    jsonb,
    CONSTRAINT jobmon_audit_pkey PRIMARY KEY (audit_id)
);

CREATE SEQUENCE @extschema@.jobmon_audit_audit_id_seq AS bigint OWNED BY @extschema@.jobmon_audit.audit_id;

ALTER TABLE @extschema@.jobmon_audit
    ALTER COLUMN audit_id SET DEFAULT nextval('@extschema@.jobmon_audit_audit_id_seq');

CREATE INDEX jobmon_audit_job_id_idx ON @extschema@.jobmon_audit (job_id);
-- Retention (audit_retention) deletes the oldest rows first.
CREATE INDEX jobmon_audit_changed_at_idx ON @extschema@.jobmon_audit (changed_at);

COMMENT ON TABLE @extschema@.jobmon_audit IS 'who changed which job or schedule when, with the old and new values';

-- What the dispatcher last did, for status().  One row.
CREATE TABLE @extschema@.jobmon_dispatcher_state (
    id            boolean NOT NULL DEFAULT true,
    dispatcher_pid      integer,
    dispatcher_started  timestamptz,
    last_wakeup   timestamptz,
    -- A dispatcher that found another one dispatching asks it to go on until then.
    renew_until   timestamptz,
    stop_requested boolean NOT NULL DEFAULT false,
    retention_at  timestamptz,
    -- 2.6.0: log_retention has looked at the job_log rows up to this
    -- (start_time, job_id) (sql/dispatch/retention.sql).
    log_retention_time  timestamptz,
    log_retention_id    bigint,
    -- The oldest job_log row that walk passed over open in a live session:
    -- the walk starts again from it once it is closed.
    log_retention_kept_time timestamptz,
    log_retention_kept_id   bigint,
    CONSTRAINT jobmon_dispatcher_state_pkey PRIMARY KEY (id),
    CONSTRAINT jobmon_dispatcher_state_one_row CHECK (id)
);

INSERT INTO @extschema@.jobmon_dispatcher_state DEFAULT VALUES;

COMMENT ON TABLE @extschema@.jobmon_dispatcher_state IS 'the dispatcher''s last wake-up (one row)';

-- A role sees the jobs it owns and the jobs that run as it, with their
-- schedules, runs and audit rows; a superuser sees everything.
ALTER TABLE @extschema@.jobmon_job ENABLE ROW LEVEL SECURITY;

ALTER TABLE @extschema@.jobmon_schedule ENABLE ROW LEVEL SECURITY;

ALTER TABLE @extschema@.jobmon_run ENABLE ROW LEVEL SECURITY;

ALTER TABLE @extschema@.jobmon_audit ENABLE ROW LEVEL SECURITY;

CREATE POLICY jobmon_job_visible ON @extschema@.jobmon_job FOR SELECT
    USING (owner = current_user OR run_as = current_user);

CREATE POLICY jobmon_schedule_visible ON @extschema@.jobmon_schedule FOR SELECT
    USING (EXISTS (SELECT FROM @extschema@.jobmon_job j WHERE j.job_id = jobmon_schedule.job_id));

CREATE POLICY jobmon_run_visible ON @extschema@.jobmon_run FOR SELECT
    USING (owner = current_user OR run_as = current_user);

CREATE POLICY jobmon_audit_visible ON @extschema@.jobmon_audit FOR SELECT
    USING (changed_by = current_user
           OR EXISTS (SELECT FROM @extschema@.jobmon_job j WHERE j.job_id = jobmon_audit.job_id));

GRANT SELECT ON @extschema@.jobmon_job, @extschema@.jobmon_schedule, @extschema@.jobmon_run,
    @extschema@.jobmon_audit TO PUBLIC;

-- Definitions and history are the user's data: pg_dump keeps them.
SELECT pg_catalog.pg_extension_config_dump('@extschema@.jobmon_scheduler_role', '');

SELECT pg_catalog.pg_extension_config_dump('@extschema@.jobmon_job', '');

SELECT pg_catalog.pg_extension_config_dump('@extschema@.jobmon_job_job_id_seq', '');

SELECT pg_catalog.pg_extension_config_dump('@extschema@.jobmon_schedule', '');

SELECT pg_catalog.pg_extension_config_dump('@extschema@.jobmon_schedule_schedule_id_seq', '');

SELECT pg_catalog.pg_extension_config_dump('@extschema@.jobmon_run', '');

SELECT pg_catalog.pg_extension_config_dump('@extschema@.jobmon_run_run_id_seq', '');

SELECT pg_catalog.pg_extension_config_dump('@extschema@.jobmon_audit', '');

SELECT pg_catalog.pg_extension_config_dump('@extschema@.jobmon_audit_audit_id_seq', '');
