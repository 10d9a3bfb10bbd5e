-- fail_job: finish a job as failed, with the status text of p_fail_level
-- (3, CRITICAL, by default).  One function with a default rather than two
-- overloads, so that fail_job(id) and fail_job(id, 2) both resolve.
CREATE FUNCTION @extschema@.fail_job(p_job_id bigint, p_fail_level integer DEFAULT 3) RETURNS void
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    IF p_job_id IS NULL THEN
        IF @extschema@._null_id('fail_job', 'p_job_id') THEN
            RETURN;
        END IF;
    END IF;
    IF p_fail_level IS NULL THEN
        PERFORM @extschema@._null_argument('fail_job', 'p_fail_level');
    END IF;
    PERFORM @extschema@._log_send_job_close(p_job_id, p_fail_level);
END
$$;

COMMENT ON FUNCTION @extschema@.fail_job(bigint, integer) IS 'finish a logged job as failed at the given alert level (committed autonomously)';
