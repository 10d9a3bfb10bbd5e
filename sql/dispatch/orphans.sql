-- Whether the worker of a run (its pid, started_at and status) is alive:
-- a pg_jobmon worker of this database, with the run's pid, that started
-- before the run did.  A pid alone can belong to any later process (after
-- a crash, a failover), and a run row can be a copy (a database restored
-- beside the original): the dispatcher never takes such a process for the
-- run's worker, so it never signals it.  A worker is in pg_stat_activity
-- once it has connected; until then, for a few seconds after the
-- dispatcher started it, its process existing is enough.
CREATE FUNCTION @extschema@._run_worker_alive(p_pid integer, p_started_at timestamptz, p_status text)
RETURNS boolean
LANGUAGE sql STABLE
SET search_path = @extschema@, pg_temp
AS $$
    SELECT EXISTS (SELECT FROM pg_catalog.pg_stat_activity a
                   WHERE a.pid = p_pid AND a.backend_type = 'pg_jobmon worker'
                     AND a.datname = pg_catalog.current_database()
                     AND a.backend_start <= p_started_at)
        OR (p_status = 'starting' AND p_started_at > now() - interval '10 seconds'
            AND coalesce(@extschema@._process_exists(p_pid), false)
            AND NOT EXISTS (SELECT FROM pg_catalog.pg_stat_activity a WHERE a.pid = p_pid))
$$;

-- Close runs whose worker is gone (terminated, crashed, server restart):
-- each once, as failed with the reason, or as timed out when the dispatcher
-- terminated it for running past max_run_time.  The step the worker was in
-- is closed with the run, never left open.  Everything is closed at now(),
-- the start of this pass: a run whose worker wrote its log after that is
-- left to the next pass, so that no duration comes out negative.
CREATE FUNCTION @extschema@._runs_close_orphaned() RETURNS integer
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_run    @extschema@.jobmon_run;
    v_status text;
    v_reason text;
    v_retry_at timestamptz;
    v_count  integer := 0;
BEGIN
    FOR v_run IN
        SELECT r.* FROM @extschema@.jobmon_run r
        WHERE r.status IN ('starting', 'running')
          AND r.started_at < now() - interval '1 second'
          AND NOT @extschema@._run_worker_alive(r.pid, r.started_at, r.status)
          AND NOT EXISTS (SELECT FROM @extschema@.job_log l WHERE l.job_id = r.log_id AND l.start_time > now())
          AND NOT EXISTS (SELECT FROM @extschema@.job_detail d WHERE d.job_id = r.log_id AND d.start_time > now())
        FOR UPDATE OF r
    LOOP
        IF v_run.reason LIKE 'terminated after max_run_time%' THEN
            v_status := 'timeout';
            v_reason := v_run.reason;
        ELSE
            v_status := 'failure';
            v_reason := format('worker process %s ended without finishing the run (terminated, crashed or restarted)',
                               coalesce(v_run.pid::text, '(never started)'));
        END IF;
        UPDATE @extschema@.jobmon_run r SET status = v_status, reason = v_reason, finished_at = now()
        WHERE r.run_id = v_run.run_id;
        v_retry_at := @extschema@._run_retry(v_run, v_status);
        IF v_run.log_id IS NOT NULL AND EXISTS (SELECT FROM @extschema@.job_log l
                                                WHERE l.job_id = v_run.log_id AND l.end_time IS NULL) THEN
            PERFORM @extschema@._log_step_close(d.step_id, 'CRITICAL', v_reason)
            FROM @extschema@.job_detail d WHERE d.job_id = v_run.log_id AND d.end_time IS NULL;
            PERFORM @extschema@._log_step_close(@extschema@._log_step_open(v_run.log_id, 'worker vanished'),
                                              'CRITICAL', v_reason);
            PERFORM @extschema@._run_log_close(v_run, v_status, v_retry_at);
        END IF;
        PERFORM @extschema@._dependants_notify(v_run.job_id);
        v_count := v_count + 1;
    END LOOP;
    RETURN v_count;
END
$$;
