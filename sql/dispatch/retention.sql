-- Retention: what the dispatcher forgets, and how it keeps up with any
-- rate of runs.  Four kinds of rows, each with its setting:
--
--   runs           finished runs older than run_retention (by finished_at),
--                  skipped fire times included, with their job_log rows
--                  (steps and events go with them, ON DELETE CASCADE);
--   one-off jobs   definitions of one-off jobs (submit_job) created before
--                  run_retention whose runs are all gone, unless a job
--                  still waits for them (as drop_job() refuses);
--   audit          jobmon_audit rows older than audit_retention;
--   logged jobs    closed job_log rows of the logging API (not of runs)
--                  that started before log_retention: off (0) by default,
--                  as pg_jobmon 1.x kept them until job_log_clear().
--
-- A batch deletes at most p_batch rows of one kind, in the caller's
-- transaction.  A round (_retention_round) runs batches, committing after
-- each, while old rows are left and its time lasts: no lock is held
-- longer than a batch, and the rows deleted per round grow with the
-- backlog, up to what the round's time allows.  The dispatcher runs a
-- round after a pass, in the time until its next pass, once a minute
-- when nothing is left and after every pass while a backlog remains.

-- The time before which rows are old by setting p_setting, or NULL when
-- it is 0 (keep for ever).  A duration longer than time goes back also
-- keeps everything: no value of a setting can make the dispatcher fail.
CREATE FUNCTION @extschema@._retention_cutoff(p_setting text) RETURNS timestamptz
LANGUAGE plpgsql STABLE
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_keep interval;
BEGIN
    v_keep := @extschema@._setting(p_setting)::interval;
    RETURN CASE WHEN v_keep > interval '0' THEN now() - v_keep END;
EXCEPTION WHEN datetime_field_overflow OR interval_field_overflow THEN
    RETURN NULL;
END
$$;

CREATE FUNCTION @extschema@._retention_runs(p_batch integer) RETURNS integer
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_cutoff timestamptz := @extschema@._retention_cutoff('run_retention');
    v_count  integer;
BEGIN
    IF v_cutoff IS NULL THEN
        RETURN 0;
    END IF;
    -- Oldest first, through jobmon_run_finished_at_idx; a row someone holds
    -- is left for a later batch rather than waited for.
    WITH old AS (
        DELETE FROM @extschema@.jobmon_run r
        WHERE r.run_id IN (SELECT x.run_id FROM @extschema@.jobmon_run x
                           WHERE x.finished_at < v_cutoff
                           ORDER BY x.finished_at LIMIT p_batch
                           FOR UPDATE SKIP LOCKED)
        RETURNING r.log_id),
    logs AS (
        DELETE FROM @extschema@.job_log l USING old WHERE l.job_id = old.log_id)
    SELECT count(*) INTO v_count FROM old;
    RETURN v_count;
END
$$;

CREATE FUNCTION @extschema@._retention_oneoff_jobs(p_batch integer) RETURNS integer
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_cutoff timestamptz := @extschema@._retention_cutoff('run_retention');
    v_count  integer;
BEGIN
    IF v_cutoff IS NULL THEN
        RETURN 0;
    END IF;
    DELETE FROM @extschema@.jobmon_job j
    WHERE j.job_id IN (
        SELECT x.job_id FROM @extschema@.jobmon_job x
        WHERE x.oneoff AND x.created_at < v_cutoff
          AND NOT EXISTS (SELECT FROM @extschema@.jobmon_run r WHERE r.job_id = x.job_id)
          AND NOT EXISTS (SELECT FROM @extschema@.jobmon_job d
                          WHERE d.depends_on @> ARRAY[x.job_id] AND d.job_id <> x.job_id
                            AND (NOT d.oneoff OR EXISTS (SELECT FROM @extschema@.jobmon_run b
                                                         WHERE b.job_id = d.job_id AND b.status = 'blocked')))
        LIMIT p_batch
        FOR UPDATE SKIP LOCKED);
    GET DIAGNOSTICS v_count = ROW_COUNT;
    RETURN v_count;
END
$$;

CREATE FUNCTION @extschema@._retention_audit(p_batch integer) RETURNS integer
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_cutoff timestamptz := @extschema@._retention_cutoff('audit_retention');
    v_count  integer;
BEGIN
    IF v_cutoff IS NULL THEN
        RETURN 0;
    END IF;
    DELETE FROM @extschema@.jobmon_audit a
    WHERE a.audit_id IN (SELECT x.audit_id FROM @extschema@.jobmon_audit x
                         WHERE x.changed_at < v_cutoff
                         ORDER BY x.changed_at LIMIT p_batch);
    GET DIAGNOSTICS v_count = ROW_COUNT;
    RETURN v_count;
END
$$;

-- Logged jobs of the logging API.  job_log does not say which rows are
-- the logs of runs (those go with their runs), so the rows are looked at
-- once each, in start_time order from where the last batch stopped
-- (jobmon_dispatcher_state.log_retention_time, _id): when log_retention
-- is shorter than run_retention, the logs of young runs are passed over
-- once, not read again by every batch.  A job still open in a live
-- session stops the walk until it closes; one left open by a session that
-- ended is passed over and kept (job_log_clear() deletes such rows).
-- Returns how many rows it looked at (0: none left to look at now).
CREATE FUNCTION @extschema@._retention_logged_jobs(p_batch integer) RETURNS integer
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_cutoff timestamptz := @extschema@._retention_cutoff('log_retention');
    v_time   timestamptz;
    v_id     bigint;
    v_live   integer[];
    v_old    bigint[] := '{}';
    v_seen   integer := 0;
    l        record;
BEGIN
    IF v_cutoff IS NULL THEN
        RETURN 0;
    END IF;
    SELECT s.log_retention_time, s.log_retention_id INTO v_time, v_id
    FROM @extschema@.jobmon_dispatcher_state s;
    v_live := ARRAY(SELECT a.pid FROM pg_catalog.pg_stat_activity a);
    FOR l IN
        SELECT x.job_id, x.start_time, x.end_time, x.pid FROM @extschema@.job_log x
        WHERE x.start_time < v_cutoff
          AND (v_time IS NULL OR (x.start_time >= v_time AND (x.start_time, x.job_id) > (v_time, v_id)))
        ORDER BY x.start_time, x.job_id
        LIMIT p_batch
    LOOP
        EXIT WHEN l.end_time IS NULL AND l.pid = ANY (v_live);
        IF l.end_time IS NOT NULL
           AND NOT EXISTS (SELECT FROM @extschema@.jobmon_run r WHERE r.log_id = l.job_id) THEN
            v_old := v_old || l.job_id;
        END IF;
        v_time := l.start_time;
        v_id := l.job_id;
        v_seen := v_seen + 1;
    END LOOP;
    IF v_seen > 0 THEN
        DELETE FROM @extschema@.job_log x WHERE x.job_id = ANY (v_old);
        UPDATE @extschema@.jobmon_dispatcher_state s
        SET log_retention_time = v_time, log_retention_id = v_id;
    END IF;
    RETURN v_seen;
END
$$;

-- One batch: at most p_batch rows of the first kind that has old rows.
-- Returns how many rows it deleted or looked at: 0 when none is left, or
-- when a row to delete is locked by another transaction (a user's open
-- UPDATE of an old job_log row): the batch is undone and tried again at
-- the next round, rather than make the dispatcher wait.
CREATE FUNCTION @extschema@._retention_batch(p_batch integer) RETURNS integer
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
SET lock_timeout = '1s'
AS $$
DECLARE
    v_count integer;
BEGIN
    v_count := @extschema@._retention_runs(p_batch);
    IF v_count = 0 THEN
        v_count := @extschema@._retention_oneoff_jobs(p_batch);
    END IF;
    IF v_count = 0 THEN
        v_count := @extschema@._retention_audit(p_batch);
    END IF;
    IF v_count = 0 THEN
        v_count := @extschema@._retention_logged_jobs(p_batch);
    END IF;
    RETURN v_count;
EXCEPTION WHEN lock_not_available THEN
    RETURN 0;
END
$$;

-- A round of batches of p_batch rows, each committed, until nothing old
-- is left or the next batch, as long as the last one, would end after
-- p_until (at least one batch, so that a busy dispatcher keeps up too:
-- a pass waits for at most one batch).  p_batches returns
-- how many batches ran, p_finished whether nothing old is left; then
-- jobmon_dispatcher_state.retention_at is set, and the dispatcher waits a
-- minute for the next round.
--
-- A procedure, to commit; so it has no SET clause, and sets search_path
-- itself, local to each of its transactions (as jobmon_dispatch does).
CREATE PROCEDURE @extschema@._retention_round(p_until timestamptz, p_batch integer,
    INOUT p_batches integer DEFAULT 0, INOUT p_finished boolean DEFAULT false)
LANGUAGE plpgsql
AS $$
DECLARE
    v_start pg_catalog.timestamptz;
BEGIN
    p_batches := 0;
    LOOP
        PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
        v_start := clock_timestamp();
        -- A batch lost in a crash is deleted again by the next one.
        PERFORM pg_catalog.set_config('synchronous_commit', 'off', true);
        p_finished := @extschema@._retention_batch(p_batch) = 0;
        p_batches := p_batches + 1;
        IF p_finished THEN
            UPDATE @extschema@.jobmon_dispatcher_state s SET retention_at = now();
        END IF;
        COMMIT;
        PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
        EXIT WHEN p_finished OR clock_timestamp() + (clock_timestamp() - v_start) > p_until;
    END LOOP;
END
$$;

-- Forget the finished runs the caller can see (all, for a superuser),
-- with their job_log rows; returns how many.
CREATE FUNCTION @extschema@.jobmon_clean_log()
RETURNS bigint
LANGUAGE C AS 'MODULE_PATHNAME', 'jobmon_api';

CREATE FUNCTION @extschema@._api_jobmon_clean_log()
RETURNS bigint
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_caller name := @extschema@._caller();
    v_count  bigint;
BEGIN
    WITH gone AS (
        DELETE FROM @extschema@.jobmon_run r
        WHERE r.status NOT IN ('waiting', 'starting', 'running')
          AND @extschema@._is_job_role(v_caller, r.owner, r.run_as)
        RETURNING r.log_id),
    logs AS (
        DELETE FROM @extschema@.job_log l USING gone WHERE l.job_id = gone.log_id)
    SELECT count(*) INTO v_count FROM gone;
    RETURN v_count;
END
$$;

COMMENT ON FUNCTION @extschema@.jobmon_clean_log() IS 'delete the finished runs you can see, with their job_log rows';
