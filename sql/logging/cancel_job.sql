-- cancel_job: cancel the backend running a job, mark the job's last step
-- CRITICAL with who cancelled it (in 1.x's words unless the setting
-- text_style is 2.x), and fail the job.  Returns whether a
-- backend was signalled (false when the job's backend is gone or is this
-- session itself, which is not interrupted).
CREATE FUNCTION @extschema@.cancel_job(p_job_id bigint) RETURNS boolean
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_job       @extschema@.job_log;
    v_step_id   bigint;
    v_signalled boolean := false;
    v_backend_role oid;
BEGIN
    IF p_job_id IS NULL THEN
        PERFORM @extschema@._null_argument('cancel_job', 'p_job_id');
    END IF;
    SELECT * INTO v_job FROM @extschema@.job_log j WHERE j.job_id = p_job_id;
    IF NOT FOUND THEN
        PERFORM @extschema@._job_not_found(p_job_id);
    END IF;
    IF v_job.end_time IS NOT NULL THEN
        RAISE EXCEPTION 'cannot cancel job %', p_job_id
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = format('Job %s (%s) already ended at %s with status %s.',
                                  p_job_id, v_job.job_name, v_job.end_time, v_job.status),
                  HINT = 'Use show_running() to list the jobs that are still running.';
    END IF;

    -- Check first, log next, signal last.  Whether the caller may write
    -- the log is checked by the first write; whether it may signal the
    -- job's backend (pg_cancel_backend's rule: a member of the backend's
    -- role, or of pg_signal_backend for a non-superuser's backend) is
    -- checked here, so that nothing is written when the cancel could not
    -- be sent.  A scheduled run's worker, once interrupted, looks at its
    -- job_log row to tell a cancel from a failure.
    SELECT a.usesysid INTO v_backend_role FROM pg_catalog.pg_stat_activity a
    WHERE a.pid = v_job.pid AND v_job.pid <> pg_backend_pid();
    IF v_backend_role IS NOT NULL
       AND NOT pg_catalog.pg_has_role(current_user, v_backend_role, 'MEMBER')
       AND NOT (pg_catalog.pg_has_role(current_user, 'pg_signal_backend', 'MEMBER')
                AND NOT (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.oid = v_backend_role)) THEN
        RAISE EXCEPTION 'permission denied to cancel job %', p_job_id
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = format('Job %s runs in backend %s, which role "%s" may not signal.',
                                  p_job_id, v_job.pid, current_user),
                  HINT = 'Only a member of the role of the job''s backend, or of pg_signal_backend, can cancel it.';
    END IF;
    SELECT max(d.step_id) INTO v_step_id FROM @extschema@.job_detail d WHERE d.job_id = p_job_id;
    IF v_step_id IS NULL THEN
        v_step_id := @extschema@.add_step(p_job_id, 'Job cancelled');
    END IF;
    PERFORM @extschema@.update_step(v_step_id,
        (SELECT t.alert_text FROM @extschema@.job_status_text t WHERE t.alert_code = 3),
        CASE WHEN @extschema@._setting('text_style') = '1.x'
             THEN format('Manually cancelled via call to %s.cancel_job() by %s', '@extschema@', current_user)
             ELSE format('Cancelled by role %s through cancel_job()', current_user) END);
    PERFORM @extschema@.fail_job(p_job_id, 3);

    IF v_job.pid <> pg_backend_pid() AND EXISTS (
        SELECT FROM pg_catalog.pg_stat_activity a
        WHERE a.pid = v_job.pid)
    THEN
        v_signalled := pg_catalog.pg_cancel_backend(v_job.pid);
    END IF;
    RETURN v_signalled;
END
$$;

COMMENT ON FUNCTION @extschema@.cancel_job(bigint) IS 'cancel a running logged job: signal its backend, log who cancelled it, fail the job';
