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
