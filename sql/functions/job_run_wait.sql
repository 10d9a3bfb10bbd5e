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
    IF EXISTS (SELECT FROM @extschema@.job_run r
               WHERE r.run_id = p_run_id AND r.xmin = xid(pg_current_xact_id_if_assigned())) THEN
        RAISE EXCEPTION 'run % cannot start before this transaction commits', p_run_id
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = 'The run was planned in this transaction, which the dispatcher cannot see yet.',
                  HINT = 'Commit first, e.g. SELECT run_job(...) \gset, then wait_for_run in its own statement.';
    END IF;
    LOOP
        SELECT r.status INTO v_status FROM @extschema@.job_run r WHERE r.run_id = p_run_id;
        IF v_status IS NULL THEN
            RAISE EXCEPTION 'run % does not exist', p_run_id
                USING ERRCODE = 'undefined_object',
                      HINT = 'SELECT run_id FROM my_log lists the runs you can see.';
        END IF;
        EXIT WHEN v_status NOT IN ('waiting', 'starting', 'running') OR clock_timestamp() >= v_until;
        PERFORM pg_catalog.pg_sleep(0.01);
    END LOOP;
    RETURN v_status;
END
$$;

-- Forget the finished runs the caller can see (all, for a superuser),
-- with their job_log rows; returns how many.
CREATE FUNCTION @extschema@.clean_log() RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_caller name := @extschema@._caller();
    v_count  bigint;
BEGIN
    WITH gone AS (
        DELETE FROM @extschema@.job_run r
        WHERE r.status NOT IN ('waiting', 'starting', 'running')
          AND @extschema@._is_job_role(v_caller, r.owner, r.run_as)
        RETURNING r.log_id),
    logs AS (
        DELETE FROM @extschema@.job_log l USING gone WHERE l.job_id = gone.log_id)
    SELECT count(*) INTO v_count FROM gone;
    RETURN v_count;
END
$$;

COMMENT ON FUNCTION @extschema@.wait_for_run(bigint, interval) IS 'wait until a run has ended (or the timeout); returns its status';
COMMENT ON FUNCTION @extschema@.clean_log() IS 'delete the finished runs you can see, with their job_log rows';
