-- max_run_time: the worker cancels its own run; a job that swallows the
-- cancel is terminated a little later.  end_date: running runs are
-- cancelled.  The reason tells the worker (and _runs_close_orphaned) why.
-- Only the run's own worker is ever signalled (_run_worker_alive).
CREATE FUNCTION @extschema@._runs_enforce_limits() RETURNS void
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_now timestamptz := clock_timestamp();
    v_run record;
BEGIN
    -- From the few running runs (a partial index) to their jobs, never
    -- the other way round: there may be many jobs.
    FOR v_run IN
        SELECT r.run_id, r.pid, r.started_at, j.max_run_time, j.end_date
        FROM (SELECT * FROM @extschema@.jobmon_run x
              WHERE x.status = 'running' AND x.reason IS NULL
              OFFSET 0) r
        JOIN @extschema@.jobmon_job j ON j.job_id = r.job_id
        WHERE (r.started_at + j.max_run_time + interval '5 seconds' < v_now
               OR j.end_date < v_now)
          AND @extschema@._run_worker_alive(r.pid, r.started_at, r.status)
    LOOP
        IF v_run.started_at + v_run.max_run_time + interval '5 seconds' < v_now THEN
            UPDATE @extschema@.jobmon_run r
            SET reason = format('terminated after max_run_time %s: the job ignored the cancel', v_run.max_run_time)
            WHERE r.run_id = v_run.run_id;
            PERFORM pg_catalog.pg_terminate_backend(v_run.pid);
        ELSE
            UPDATE @extschema@.jobmon_run r
            SET reason = format('stopped at the job''s end_date %s', v_run.end_date)
            WHERE r.run_id = v_run.run_id;
            PERFORM pg_catalog.pg_cancel_backend(v_run.pid);
        END IF;
    END LOOP;
END
$$;
