-- Monitoring state and configuration, as pg_jobmon 1.5 has them.
--
-- job_status_text maps alert codes to the status words written into
-- job_log.status; job_check_config holds per-job thresholds; job_check_log
-- holds the failures of each job since its last success (maintained by a
-- trigger on job_log, see job_check_log.sql).

CREATE TABLE @extschema@.job_status_text (
    alert_code  integer NOT NULL,
    alert_text  text NOT NULL,
    CONSTRAINT job_status_text_alert_code_pkey PRIMARY KEY (alert_code)
);

INSERT INTO @extschema@.job_status_text (alert_code, alert_text)
VALUES (1, 'OK'), (2, 'WARNING'), (3, 'CRITICAL');

-- Dumped: the codes users add, and the seeded three when their texts were
-- changed (a database updated from 1.x keeps its own).  The seeded rows
-- come with CREATE EXTENSION, so a restore's rows for them replace their
-- texts (job_status_text.sql).
SELECT pg_catalog.pg_extension_config_dump('@extschema@.job_status_text',
    'WHERE (alert_code, alert_text) NOT IN ((1, ''OK''), (2, ''WARNING''), (3, ''CRITICAL''))');

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
