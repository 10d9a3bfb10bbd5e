-- close_job: finish a job successfully (status = alert_text of code 1).
CREATE FUNCTION @extschema@.close_job(p_job_id bigint) RETURNS void
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    IF p_job_id IS NULL THEN
        IF @extschema@._null_id('close_job', 'p_job_id') THEN
            RETURN;
        END IF;
    END IF;
    PERFORM @extschema@._log_send_job_close(p_job_id, 1);
END
$$;

COMMENT ON FUNCTION @extschema@.close_job(bigint) IS 'finish a logged job as OK (committed autonomously)';
