-- Included by the scheduler's tests after setup.sql (\ir ../scheduler.sql).
-- Runs happen in background workers, which only see committed jobs, so
-- these tests commit: they run outside a transaction block, name their
-- jobs uniquely and drop what they created at the end (test_cleanup()).
--
-- The dispatcher runs on a dblink connection of its own, as pg_cron would run
-- it; tests wait for run states with a timeout, never for a fixed time.

CREATE FUNCTION pg_temp.tick_start() RETURNS void LANGUAGE sql AS $$
    SELECT dblink_connect('test_tick', format('dbname=%s host=%s port=%s', current_database(),
        btrim(split_part(current_setting('unix_socket_directories'), ',', 1)), current_setting('port')));
    SELECT dblink_send_query('test_tick', 'CALL jobmon.jobmon_dispatch(''10 minutes'')');
    SELECT
$$;

-- jobmon_stop() must commit before the dispatcher can see it: a procedure, called
-- with CALL pg_temp.tick_stop().
CREATE PROCEDURE pg_temp.tick_stop() LANGUAGE plpgsql AS $$
BEGIN
    PERFORM jobmon.jobmon_stop();
    COMMIT;
    PERFORM count(*) FROM dblink_get_result('test_tick', false) AS t(x text);
    PERFORM dblink_disconnect('test_tick');
END
$$;

-- Wait until the boolean query p_condition is true; false after p_timeout.
CREATE FUNCTION pg_temp.wait_until(p_condition text, p_timeout interval DEFAULT '30 seconds')
RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
    v_until timestamptz := clock_timestamp() + p_timeout;
    v_ok    boolean;
BEGIN
    LOOP
        EXECUTE p_condition INTO v_ok;
        IF v_ok OR clock_timestamp() >= v_until THEN
            RETURN coalesce(v_ok, false);
        END IF;
        PERFORM pg_stat_clear_snapshot();
        PERFORM pg_sleep(0.02);
    END LOOP;
END
$$;

-- The finished runs of a job, by name.
CREATE FUNCTION pg_temp.finished_runs(p_name text) RETURNS bigint LANGUAGE sql AS $$
    SELECT count(*) FROM jobmon.jobmon_run r
    WHERE r.job_name = p_name AND r.status NOT IN ('blocked', 'waiting', 'starting', 'running')
$$;

-- Drop the jobs whose names start with p_prefix, with their history
-- (first their dependencies, which would stop drop_job()).
CREATE FUNCTION pg_temp.test_cleanup(p_prefix text) RETURNS void LANGUAGE sql AS $$
    UPDATE jobmon.jobmon_job j SET depends_on = NULL WHERE j.name LIKE p_prefix || '%';
    SELECT jobmon.drop_job(j.job_id, true) FROM jobmon.jobmon_job j WHERE j.name LIKE p_prefix || '%';
    SELECT
$$;
