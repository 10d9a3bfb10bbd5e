-- For users of runs: wait for one to end, forget finished ones.

-- Wait until a run has ended, or p_timeout passed; returns its status.
CREATE FUNCTION @extschema@.wait_for_run(p_run_id bigint, p_timeout interval DEFAULT interval '1 minute')
RETURNS text
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_until  timestamptz := clock_timestamp() + p_timeout;
    v_status text;
BEGIN
    IF EXISTS (SELECT FROM @extschema@.jobmon_run r
               WHERE r.run_id = p_run_id AND r.xmin = xid(pg_current_xact_id_if_assigned())) THEN
        RAISE EXCEPTION 'run % cannot start before this transaction commits', p_run_id
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = 'The run was planned in this transaction, which the dispatcher cannot see yet.',
                  HINT = 'Commit first, e.g. SELECT run_job(...) \gset, then wait_for_run in its own statement.';
    END IF;
    LOOP
        SELECT r.status INTO v_status FROM @extschema@.jobmon_run r WHERE r.run_id = p_run_id;
        IF v_status IS NULL THEN
            RAISE EXCEPTION 'run % does not exist', p_run_id
                USING ERRCODE = 'undefined_object',
                      HINT = 'SELECT run_id FROM jobmon_my_log lists the runs you can see.';
        END IF;
        EXIT WHEN v_status NOT IN ('waiting', 'starting', 'running') OR clock_timestamp() >= v_until;
        PERFORM pg_catalog.pg_sleep(0.01);
    END LOOP;
    RETURN v_status;
END
$$;

COMMENT ON FUNCTION @extschema@.wait_for_run(bigint, interval) IS 'wait until a run has ended (or the timeout); returns its status';
