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
