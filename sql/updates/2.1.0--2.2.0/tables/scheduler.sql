-- 2.2.0: one-off jobs, dependencies and retries.
ALTER TABLE @extschema@.job
    ADD COLUMN oneoff boolean NOT NULL DEFAULT false,
    ADD COLUMN params text[],
    ADD COLUMN depends_on bigint[],
    ADD COLUMN resubmit_limit bigint NOT NULL DEFAULT 100,
    ADD COLUMN retries integer NOT NULL DEFAULT 0,
    ADD COLUMN retry_delay interval NOT NULL DEFAULT '1 minute',
    ADD COLUMN retry_backoff float8 NOT NULL DEFAULT 2,
    ADD COLUMN max_retry_delay interval,
    ADD CONSTRAINT job_resubmit_limit_check CHECK (resubmit_limit >= 0),
    ADD CONSTRAINT job_retries_check CHECK (retries >= 0),
    ADD CONSTRAINT job_retry_backoff_check CHECK (retry_backoff >= 1);
DROP INDEX @extschema@.job_name_key;
CREATE UNIQUE INDEX job_name_key ON @extschema@.job (upper(name)) WHERE NOT oneoff;
CREATE INDEX job_depends_on_idx ON @extschema@.job USING gin (depends_on) WITH (fastupdate = off);

ALTER TABLE @extschema@.job_run
    ADD COLUMN attempt integer NOT NULL DEFAULT 1,
    DROP CONSTRAINT job_run_status_check,
    ADD CONSTRAINT job_run_status_check CHECK (status IN
        ('blocked', 'waiting', 'starting', 'running', 'success', 'failure', 'timeout', 'cancelled', 'skipped'));
DROP INDEX @extschema@.job_run_waiting_idx;
CREATE INDEX job_run_waiting_idx ON @extschema@.job_run (due_at, run_id) WHERE status = 'waiting';
CREATE INDEX job_run_blocked_idx ON @extschema@.job_run (job_id) WHERE status = 'blocked';
