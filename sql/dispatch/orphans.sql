-- Close runs whose worker is gone (terminated, crashed, server restart):
-- each once, as failed with the reason, or as timed out when the dispatcher
-- terminated it for running past max_run_time.
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
          AND CASE WHEN r.status = 'running'
                   THEN NOT EXISTS (SELECT FROM pg_catalog.pg_stat_activity a
                                    WHERE a.pid = r.pid AND a.backend_type = 'pg_jobmon worker')
                   -- A worker is not in pg_stat_activity until it has connected.
                   ELSE NOT coalesce(@extschema@._process_exists(r.pid), false)
                        AND r.started_at < now() - interval '1 second' END
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
