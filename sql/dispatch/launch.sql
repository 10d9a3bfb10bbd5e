-- Launching: how many worker slots there are, when to start a worker,
-- and starting workers for the waiting runs that fit (src/launcher.c does
-- the starting, sql/dispatch/claim.sql chooses the run).

-- Wake the dispatcher when this transaction commits (a job changed, a run
-- ended), instead of at its next planned wake-up.
CREATE FUNCTION @extschema@._dispatch_wake() RETURNS void
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    PERFORM @extschema@._latch_set_at_commit(s.dispatcher_pid)
    FROM @extschema@.jobmon_dispatcher_state s WHERE s.dispatcher_pid IS NOT NULL;
END
$$;

-- How far ahead of a due time the dispatcher starts the worker, which then
-- waits for the due time itself: starting a process costs milliseconds.
CREATE FUNCTION @extschema@._dispatch_lead() RETURNS interval
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

-- Start workers for waiting runs, in due order, while this database has
-- worker slots of their kind (periodic or one-off).
CREATE FUNCTION @extschema@._dispatch_launch() RETURNS integer
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    r         @extschema@.jobmon_run;
    v_oneoff  boolean;
    v_free    integer;
    v_pid     integer;
    v_started integer := 0;
    v_until   timestamptz := clock_timestamp() + @extschema@._dispatch_lead();
BEGIN
    FOREACH v_oneoff IN ARRAY ARRAY[false, true] LOOP
        SELECT @extschema@._max_workers(v_oneoff) - count(*) INTO v_free
        FROM @extschema@.jobmon_run x WHERE x.status IN ('starting', 'running') AND x.oneoff = v_oneoff;
        WHILE v_free > 0 LOOP
            r := @extschema@._run_claim(v_oneoff, NULL, v_until);
            EXIT WHEN r.run_id IS NULL;
            -- The worker waits for this transaction to end before it claims
            -- the run (src/worker.c, worker_wait_for_dispatcher), so it sees this mark.
            -- The role by its exact name, never parsed as an identifier: a
            -- run_as of "Reports" must not become role reports.
            v_pid := @extschema@._worker_launch(r.run_id,
                (SELECT a.oid FROM @extschema@.jobmon_job j
                 JOIN pg_catalog.pg_roles a ON a.rolname = j.run_as
                 WHERE j.job_id = r.job_id), r.due_at);
            EXIT WHEN v_pid IS NULL;    -- no background worker slot left
            UPDATE @extschema@.jobmon_run x SET status = 'starting', started_at = clock_timestamp(), pid = v_pid
            WHERE x.run_id = r.run_id;
            v_free := v_free - 1;
            v_started := v_started + 1;
        END LOOP;
    END LOOP;
    PERFORM @extschema@._runs_skip_expired();
    RETURN v_started;
END
$$;
