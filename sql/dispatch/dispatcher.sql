-- The dispatcher: the procedure jobmon_dispatch() that pg_cron calls every
-- minute, and its pass, run in a transaction of its own about once a
-- second or as soon as something is due: close runs whose worker vanished
-- (orphans.sql), enforce time limits (limits.sql), plan the runs of due
-- schedules (plan.sql), start workers for waiting runs (launch.sql,
-- claim.sql).  Between passes, in transactions of their own, it deletes
-- what is past its retention (retention.sql).

-- One pass; returns when the next pass is due.
CREATE FUNCTION @extschema@._dispatch_pass() RETURNS timestamptz
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_state @extschema@.jobmon_dispatcher_state;
BEGIN
    -- Workers wait for this transaction to end: do not make them wait for
    -- its WAL flush too.  A worker's own first commit flushes past it, so a
    -- run that did anything cannot lose its plan; a plan lost in a crash is
    -- made again.
    SET LOCAL synchronous_commit = off;
    UPDATE @extschema@.jobmon_dispatcher_state s SET last_wakeup = clock_timestamp()
    RETURNING * INTO v_state;
    PERFORM @extschema@._runs_close_orphaned();
    PERFORM @extschema@._runs_enforce_limits();
    PERFORM @extschema@._dispatch_plan();
    PERFORM @extschema@._dispatch_launch();
    -- Sleep until the next fire time, but look again within a second for
    -- runs that wait for a slot, time limits and vanished workers.
    RETURN least(clock_timestamp() + interval '1 second',
                 (SELECT min(x.next_fire) FROM @extschema@.jobmon_schedule x WHERE x.next_fire IS NOT NULL)
                     - @extschema@._dispatch_lead(),
                 (SELECT min(x.due_at) FROM @extschema@.jobmon_run x
                  WHERE x.status = 'waiting' AND x.due_at > clock_timestamp()) - @extschema@._dispatch_lead());
END
$$;

-- The dispatcher: CALL jobmon_dispatch() from pg_cron (jobmon_start() schedules it), from
-- any other scheduler, or by hand.  It dispatches for up to p_run_for,
-- waking when the next run is due, when a run ends or a job changes, and
-- at least once a second.  Only one dispatcher per database dispatches: another
-- one returns at once, after asking the running one to go on for
-- p_run_for from now, so that pg_cron's call every minute keeps a single
-- dispatcher alive without a gap; a dispatcher called for less than a
-- minute (by hand, say) is not kept alive so, and ends when it said.  On a
-- standby it does nothing.
--
-- A procedure, not a function: it commits after every pass, so what it
-- planned is visible to the workers at once.  For the same reason it has
-- no SET clause (it could not commit): it runs as a superuser, so it sets
-- search_path itself, local to each of its transactions, before anything
-- else in it, lest a function or operator of the caller's search_path (a
-- database's ALTER DATABASE ... SET) run with its rights.  Local, so that
-- the caller's comes back at every commit and at an error or a cancel.
CREATE PROCEDURE @extschema@.jobmon_dispatch(p_run_for interval DEFAULT interval '1 minute')
LANGUAGE plpgsql
AS $$
DECLARE
    v_deadline pg_catalog.timestamptz;
    v_wake     pg_catalog.timestamptz;
    v_state    @extschema@.jobmon_dispatcher_state;
    v_batches  pg_catalog.int4;
    v_finished pg_catalog.bool;
BEGIN
    PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
    v_deadline := clock_timestamp() + p_run_for;
    IF pg_catalog.pg_is_in_recovery() THEN
        RETURN;
    END IF;
    -- The lock's key predates the name "dispatcher": it stays, so that the
    -- dispatchers of two versions exclude each other during an update.
    IF NOT pg_catalog.pg_try_advisory_lock(pg_catalog.hashtext('pg_jobmon tick'), 0) THEN
        UPDATE @extschema@.jobmon_dispatcher_state s
        SET renew_until = greatest(s.renew_until, v_deadline);
        RETURN;
    END IF;
    UPDATE @extschema@.jobmon_dispatcher_state s
    SET dispatcher_pid = pg_catalog.pg_backend_pid(), dispatcher_started = clock_timestamp(),
        renew_until = NULL, stop_requested = false;
    COMMIT;
    LOOP
        PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
        v_wake := @extschema@._dispatch_pass();
        SELECT * INTO v_state FROM @extschema@.jobmon_dispatcher_state;
        COMMIT;
        PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
        -- Retention, once a minute, or after every pass while old rows are
        -- left: in the time until the next pass, at most half a second.
        IF v_state.retention_at IS NULL OR v_state.retention_at < now() - interval '1 minute' THEN
            CALL @extschema@._retention_round(least(v_wake, clock_timestamp() + interval '0.5 seconds'),
                                              1000, v_batches, v_finished);
            PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
        END IF;
        -- Renewed only if called for at least pg_cron's minute: a call by
        -- hand for a shorter while ends when it said.
        IF p_run_for >= interval '1 minute' THEN
            v_deadline := greatest(v_deadline, v_state.renew_until);
        END IF;
        EXIT WHEN v_state.stop_requested OR clock_timestamp() >= v_deadline;
        PERFORM @extschema@._dispatch_sleep(extract(epoch FROM least(v_wake, v_deadline) - clock_timestamp()));
    END LOOP;
    UPDATE @extschema@.jobmon_dispatcher_state s SET dispatcher_pid = NULL, stop_requested = false;
    COMMIT;
    -- Every hold of this session's: one left by an interrupted call of this
    -- session too, which would keep every other dispatcher out.
    WHILE @extschema@._dispatch_lock_held(pg_catalog.pg_backend_pid()) LOOP
        PERFORM pg_catalog.pg_advisory_unlock(pg_catalog.hashtext('pg_jobmon tick'), 0);
    END LOOP;
END
$$;


COMMENT ON PROCEDURE @extschema@.jobmon_dispatch(interval) IS 'dispatch due runs of scheduled jobs for a while (superuser; jobmon_start() schedules it with pg_cron)';
