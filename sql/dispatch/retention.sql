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

-- Delete the rows of p_table whose p_key is in p_ids; returns how many
-- went.  All at once, or, when that fails (a foreign key of the user's
-- to one of them, say), one by one, leaving those that fail with a
-- WARNING: a row that cannot be deleted never keeps the others.  A lock
-- that cannot be had is passed on, for the batch to give way.
CREATE FUNCTION @extschema@._retention_delete(p_kind text, p_table regclass, p_key name, p_ids bigint[])
RETURNS integer
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_delete text := format('DELETE FROM %s WHERE %I = ANY ($1)', p_table, p_key);
    v_count  integer;
    v_done   integer := 0;
    v_failed integer := 0;
    v_error  text;
    v_id     bigint;
    v_first  bigint;
BEGIN
    IF cardinality(p_ids) = 0 THEN
        RETURN 0;
    END IF;
    BEGIN
        EXECUTE v_delete USING p_ids;
        GET DIAGNOSTICS v_count = ROW_COUNT;
        RETURN v_count;
    EXCEPTION WHEN lock_not_available THEN
        RAISE;
    WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS v_error = MESSAGE_TEXT;
    END;
    FOREACH v_id IN ARRAY p_ids LOOP
        BEGIN
            EXECUTE v_delete USING ARRAY[v_id];
            GET DIAGNOSTICS v_count = ROW_COUNT;
            v_done := v_done + v_count;
        EXCEPTION WHEN lock_not_available THEN
            RAISE;
        WHEN OTHERS THEN
            v_failed := v_failed + 1;
            v_first := coalesce(v_first, v_id);
        END;
    END LOOP;
    RAISE WARNING 'retention could not delete % of % % rows: %', v_failed, cardinality(p_ids), p_kind, v_error
        USING DETAIL = format('The first kept is the row of %s with %s %s.', p_table, p_key, v_first),
              HINT = 'Remove what keeps them (a foreign key to them, a trigger); the others were deleted.';
    RETURN v_done;
END
$$;

-- Runs and their logs.  A run whose log cannot be deleted goes without
-- it: the log is then a logged job, to log_retention.
CREATE FUNCTION @extschema@._retention_runs(p_batch integer) RETURNS integer
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_cutoff timestamptz := @extschema@._retention_cutoff('run_retention');
    v_runs   bigint[];
    v_kept   bigint[] := '{}';
    v_run    bigint;
    v_count  integer;
BEGIN
    IF v_cutoff IS NULL THEN
        RETURN 0;
    END IF;
    -- Oldest first, through jobmon_run_finished_at_idx; a row someone holds
    -- is left for a later batch rather than waited for.
    v_runs := ARRAY(SELECT x.run_id FROM @extschema@.jobmon_run x
                    WHERE x.finished_at < v_cutoff
                    ORDER BY x.finished_at LIMIT p_batch
                    FOR UPDATE SKIP LOCKED);
    BEGIN
        WITH old AS (
            DELETE FROM @extschema@.jobmon_run r WHERE r.run_id = ANY (v_runs)
            RETURNING r.log_id),
        logs AS (
            DELETE FROM @extschema@.job_log l USING old WHERE l.job_id = old.log_id)
        SELECT count(*) INTO v_count FROM old;
        RETURN v_count;
    EXCEPTION WHEN lock_not_available THEN
        RAISE;
    WHEN OTHERS THEN
        NULL;
    END;
    -- A run or a log cannot go: run by run, those whose log cannot go
    -- without it (the log is then a logged job: log_retention's).
    v_count := 0;
    FOREACH v_run IN ARRAY v_runs LOOP
        BEGIN
            WITH old AS (
                DELETE FROM @extschema@.jobmon_run r WHERE r.run_id = v_run
                RETURNING r.log_id)
            DELETE FROM @extschema@.job_log l USING old WHERE l.job_id = old.log_id;
            v_count := v_count + 1;
        EXCEPTION WHEN lock_not_available THEN
            RAISE;
        WHEN OTHERS THEN
            v_kept := v_kept || v_run;
        END;
    END LOOP;
    IF cardinality(v_kept) > 0 THEN
        RAISE WARNING 'retention could not delete the job_log rows of % of % runs', cardinality(v_kept), cardinality(v_runs)
            USING DETAIL = format('The runs go without them (the first: run_id %s); log_retention deletes them if it can.',
                                  v_kept[1]),
                  HINT = 'Remove what keeps them (a foreign key to them, a trigger).';
    END IF;
    RETURN v_count + @extschema@._retention_delete('run', 'jobmon_run', 'run_id', v_kept);
END
$$;

CREATE FUNCTION @extschema@._retention_oneoff_jobs(p_batch integer) RETURNS integer
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_cutoff timestamptz := @extschema@._retention_cutoff('run_retention');
BEGIN
    IF v_cutoff IS NULL THEN
        RETURN 0;
    END IF;
    RETURN @extschema@._retention_delete('one-off job', 'jobmon_job', 'job_id', ARRAY(
        SELECT x.job_id FROM @extschema@.jobmon_job x
        WHERE x.oneoff AND x.created_at < v_cutoff
          AND NOT EXISTS (SELECT FROM @extschema@.jobmon_run r WHERE r.job_id = x.job_id)
          AND NOT EXISTS (SELECT FROM @extschema@.jobmon_job d
                          WHERE d.depends_on @> ARRAY[x.job_id] AND d.job_id <> x.job_id
                            AND (NOT d.oneoff OR EXISTS (SELECT FROM @extschema@.jobmon_run b
                                                         WHERE b.job_id = d.job_id AND b.status = 'blocked')))
        LIMIT p_batch
        FOR UPDATE SKIP LOCKED));
END
$$;

CREATE FUNCTION @extschema@._retention_audit(p_batch integer) RETURNS integer
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_cutoff timestamptz := @extschema@._retention_cutoff('audit_retention');
BEGIN
    IF v_cutoff IS NULL THEN
        RETURN 0;
    END IF;
    RETURN @extschema@._retention_delete('audit', 'jobmon_audit', 'audit_id', ARRAY(
        SELECT x.audit_id FROM @extschema@.jobmon_audit x
        WHERE x.changed_at < v_cutoff
        ORDER BY x.changed_at LIMIT p_batch));
END
$$;

-- Why log retention keeps logged job p_job_id for now, if for a reason
-- that lapses: 'open' while it is open in a live session (its pid's
-- backend started before it: a pid reused by a later session does not
-- count), 'monitored' while it is the newest row of a job that
-- job_check_config names (check_job_status reads it, by upper(job_name);
-- one probe of job_log_job_name_start_idx, from the newest, as there);
-- NULL otherwise.  A row kept as 'monitored' goes when the walk meets the
-- job's next row (_retention_monitored_before).  PL/pgSQL, for its cached
-- plans: the walk calls these for each row of a monitored job; without
-- enable_sort the planner would sort all the job's rows rather than read
-- the index from the newest (as check_job_status explains).
CREATE FUNCTION @extschema@._retention_kept_for(p_job_id bigint) RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = @extschema@, pg_temp
SET enable_sort = off
AS $$
BEGIN
    RETURN (
        SELECT CASE
            WHEN l.end_time IS NULL THEN
                CASE WHEN EXISTS (SELECT FROM pg_catalog.pg_stat_activity a
                                  WHERE a.pid = l.pid AND a.backend_start <= l.start_time) THEN 'open' END
            WHEN EXISTS (SELECT FROM @extschema@.job_check_config c WHERE upper(c.job_name) = l.job_name)
                 AND (SELECT n.start_time FROM @extschema@.job_log n
                      WHERE pg_catalog.hashtextextended(n.job_name, 0) = pg_catalog.hashtextextended(l.job_name, 0)
                        AND n.job_name = l.job_name
                      ORDER BY pg_catalog.timezone('UTC', n.start_time) DESC
                      LIMIT 1) <= l.start_time THEN 'monitored'
        END
        FROM @extschema@.job_log l WHERE l.job_id = p_job_id);
END
$$;

-- The row before logged job p_job_id of the same monitored job, if it is
-- closed and not the log of a run: kept as the newest while it was, it
-- is not any more.  One probe of job_log_job_name_start_idx.
CREATE FUNCTION @extschema@._retention_monitored_before(p_job_id bigint) RETURNS bigint
LANGUAGE plpgsql STABLE
SET search_path = @extschema@, pg_temp
SET enable_sort = off
AS $$
BEGIN
    RETURN (
        SELECT p.job_id
        FROM @extschema@.job_log l
        CROSS JOIN LATERAL (
            SELECT n.job_id, n.end_time FROM @extschema@.job_log n
            WHERE pg_catalog.hashtextextended(n.job_name, 0) = pg_catalog.hashtextextended(l.job_name, 0)
              AND n.job_name = l.job_name
              AND pg_catalog.timezone('UTC', n.start_time) < pg_catalog.timezone('UTC', l.start_time)
            ORDER BY pg_catalog.timezone('UTC', n.start_time) DESC
            LIMIT 1) p
        WHERE l.job_id = p_job_id
          AND EXISTS (SELECT FROM @extschema@.job_check_config c WHERE upper(c.job_name) = l.job_name)
          AND p.end_time IS NOT NULL
          AND NOT EXISTS (SELECT FROM @extschema@.jobmon_run r WHERE r.log_id = p.job_id));
END
$$;

-- Logged jobs of the logging API.  job_log does not say which rows are
-- the logs of runs (those go with their runs), so the rows are looked at
-- once each, in start_time order from where the last batch stopped
-- (jobmon_dispatcher_state.log_retention_time, _id): when log_retention
-- is shorter than run_retention, the logs of young runs are passed over
-- once, not read again by every batch.  The walk deletes the closed rows
-- and passes over the others: open ones (never deleted while open; one
-- left open by a session that ended stays, job_log_clear() deletes such
-- rows), and the newest row of a monitored job, deleted when the walk
-- meets the job's next row.  It notes the oldest job it passed over open
-- in a live session; once at its end and that job closed (or its
-- session gone), it starts again from it, so that the jobs closed after
-- the walk passed them go too.
-- Returns how many rows it looked at (0: none left to look at now).
CREATE FUNCTION @extschema@._retention_logged_jobs(p_batch integer) RETURNS integer
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_cutoff    timestamptz := @extschema@._retention_cutoff('log_retention');
    v_state     @extschema@.jobmon_dispatcher_state;
    v_old       bigint[] := '{}';
    v_before    bigint;
    v_probed    text[] := '{}';
    -- The names check_job_status looks for (see _retention_kept_for).
    v_monitored text[] := ARRAY(SELECT upper(c.job_name) FROM @extschema@.job_check_config c);
    v_seen      integer := 0;
    l           record;
BEGIN
    IF v_cutoff IS NULL THEN
        RETURN 0;
    END IF;
    SELECT * INTO v_state FROM @extschema@.jobmon_dispatcher_state s;
    FOR l IN
        SELECT x.job_id, x.job_name, x.start_time, x.end_time FROM @extschema@.job_log x
        WHERE x.start_time < v_cutoff
          AND (v_state.log_retention_time IS NULL
               OR (x.start_time >= v_state.log_retention_time
                   AND (x.start_time, x.job_id) > (v_state.log_retention_time, v_state.log_retention_id)))
        ORDER BY x.start_time, x.job_id
        LIMIT p_batch
    LOOP
        v_seen := v_seen + 1;
        v_state.log_retention_time := l.start_time;
        v_state.log_retention_id := l.job_id;
        CONTINUE WHEN EXISTS (SELECT FROM @extschema@.jobmon_run r WHERE r.log_id = l.job_id);
        IF l.end_time IS NULL THEN
            IF v_state.log_retention_kept_id IS NULL
               AND @extschema@._retention_kept_for(l.job_id) = 'open' THEN
                v_state.log_retention_kept_time := l.start_time;
                v_state.log_retention_kept_id := l.job_id;
            END IF;
        ELSIF NOT l.job_name = ANY (v_monitored) THEN
            v_old := v_old || l.job_id;
        ELSIF @extschema@._retention_kept_for(l.job_id) IS NULL THEN
            v_old := v_old || l.job_id;
        END IF;
        -- The row before the first of a monitored job in this batch: the
        -- rows before the others are in this batch.
        IF l.job_name = ANY (v_monitored) AND NOT l.job_name = ANY (v_probed) THEN
            v_probed := v_probed || l.job_name;
            v_before := @extschema@._retention_monitored_before(l.job_id);
            IF v_before IS NOT NULL THEN
                v_old := v_old || v_before;
            END IF;
        END IF;
    END LOOP;
    IF v_seen = 0 THEN
        IF v_state.log_retention_kept_id IS NULL
           OR @extschema@._retention_kept_for(v_state.log_retention_kept_id) = 'open' THEN
            RETURN 0;
        END IF;
        -- Start again from the open job that closed.
        v_state.log_retention_time := v_state.log_retention_kept_time;
        v_state.log_retention_id := v_state.log_retention_kept_id - 1;
        v_state.log_retention_kept_time := NULL;
        v_state.log_retention_kept_id := NULL;
        v_seen := 1;
    END IF;
    PERFORM @extschema@._retention_delete('logged job', 'job_log', 'job_id', v_old);
    UPDATE @extschema@.jobmon_dispatcher_state s
    SET log_retention_time = v_state.log_retention_time, log_retention_id = v_state.log_retention_id,
        log_retention_kept_time = v_state.log_retention_kept_time,
        log_retention_kept_id = v_state.log_retention_kept_id;
    RETURN v_seen;
END
$$;

-- One batch: at most p_batch rows of the first kind that has old rows.
-- Returns how many rows it deleted or looked at: 0 when none is left, or
-- when a row to delete is locked by another transaction (a user's open
-- UPDATE of an old job_log row): the batch is undone and tried again at
-- the next round, rather than make the dispatcher wait.  Any other error
-- of a kind (a deadlock with job_log_clear(), say) undoes that kind's
-- part only, with a WARNING, and the batch goes on with the next kind:
-- retention never makes the dispatcher fail.
CREATE FUNCTION @extschema@._retention_batch(p_batch integer) RETURNS integer
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
SET lock_timeout = '1s'
AS $$
DECLARE
    v_kind  text;
    v_count integer := 0;
    v_error text;
BEGIN
    FOREACH v_kind IN ARRAY ARRAY['runs', 'one-off jobs', 'audit', 'logged jobs'] LOOP
        BEGIN
            v_count := CASE v_kind
                WHEN 'runs' THEN @extschema@._retention_runs(p_batch)
                WHEN 'one-off jobs' THEN @extschema@._retention_oneoff_jobs(p_batch)
                WHEN 'audit' THEN @extschema@._retention_audit(p_batch)
                ELSE @extschema@._retention_logged_jobs(p_batch)
            END;
        EXCEPTION WHEN lock_not_available THEN
            RETURN 0;
        WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS v_error = MESSAGE_TEXT;
            RAISE WARNING 'retention of % failed: %', v_kind, v_error
                USING HINT = 'The dispatcher goes on; retention of the other kinds too.';
            v_count := 0;
        END;
        EXIT WHEN v_count > 0;
    END LOOP;
    RETURN v_count;
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
