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

-- check_job_status() reads the last run and the last end of each
-- configured job: one probe each into these, whatever the history holds.
-- Keyed by a hash of the name, which fits a btree entry however long the
-- name is (the readers compare the name itself too), then by the time as
-- timezone('UTC', t), an expression no other index has, so that the
-- readers' ORDER BY can be served by these alone (see check_job_status).
CREATE INDEX job_log_job_name_start_idx ON @extschema@.job_log
    (pg_catalog.hashtextextended(job_name, 0), pg_catalog.timezone('UTC', start_time));

CREATE INDEX job_log_job_name_end_idx ON @extschema@.job_log
    (pg_catalog.hashtextextended(job_name, 0), pg_catalog.timezone('UTC', end_time))
    WHERE end_time IS NOT NULL;

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
CREATE TABLE @extschema@.jobmon_event (
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
    CONSTRAINT jobmon_event_event_id_pkey PRIMARY KEY (event_id),
    CONSTRAINT jobmon_event_step_id_fkey FOREIGN KEY (step_id)
        REFERENCES @extschema@.job_detail (step_id) ON DELETE CASCADE,
    CONSTRAINT jobmon_event_job_id_fkey FOREIGN KEY (job_id)
        REFERENCES @extschema@.job_log (job_id) ON DELETE CASCADE,
    CONSTRAINT jobmon_event_severity_check CHECK (severity IN
        ('DEBUG5', 'DEBUG4', 'DEBUG3', 'DEBUG2', 'DEBUG1', 'LOG', 'INFO',
         'NOTICE', 'WARNING', 'ERROR', 'FATAL', 'PANIC')),
    CONSTRAINT jobmon_event_sqlstate_check CHECK (sqlstate ~ '^[0-9A-Z]{5}$')
);

CREATE SEQUENCE @extschema@.jobmon_event_event_id_seq AS bigint OWNED BY @extschema@.jobmon_event.event_id;

ALTER TABLE @extschema@.jobmon_event
    ALTER COLUMN event_id SET DEFAULT nextval('@extschema@.jobmon_event_event_id_seq');

CREATE INDEX jobmon_event_step_id_idx ON @extschema@.jobmon_event (step_id);

CREATE INDEX jobmon_event_job_id_idx ON @extschema@.jobmon_event (job_id);

COMMENT ON TABLE @extschema@.jobmon_event IS 'errors, warnings and notices recorded against a step, with every field of a PostgreSQL message';

-- Who reads the log: a role reads the logged jobs it added (job_log.owner)
-- with their steps and events; a member of pg_monitor reads every logged
-- job, as a monitoring role needs for check_job_status().  Superusers and
-- the extension's owner (the writers) are not subject to row-level
-- security.  The scheduler adds its rules for the log of runs
-- (sql/run/run_log.sql).  A role granted DELETE (job_log_clear) deletes
-- the logged jobs it added.
CREATE FUNCTION @extschema@._log_reads_all() RETURNS boolean
LANGUAGE sql STABLE
AS $$ SELECT pg_catalog.pg_has_role(current_user, 'pg_monitor', 'USAGE') $$;

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

-- The log is the user's data: pg_dump keeps it, with its sequences.
SELECT pg_catalog.pg_extension_config_dump('@extschema@.job_log', '');

SELECT pg_catalog.pg_extension_config_dump('@extschema@.job_log_job_id_seq', '');

SELECT pg_catalog.pg_extension_config_dump('@extschema@.job_detail', '');

SELECT pg_catalog.pg_extension_config_dump('@extschema@.job_detail_step_id_seq', '');

SELECT pg_catalog.pg_extension_config_dump('@extschema@.jobmon_event', '');

SELECT pg_catalog.pg_extension_config_dump('@extschema@.jobmon_event_event_id_seq', '');
