-- add_job: start a logged job.  The name is stored in upper case, the owner
-- is the effective role of the calling context (current_user) and pid the
-- calling backend, as in pg_jobmon 1.5; the C fills both in
-- (_log_send_job_open), no caller passes them.
CREATE FUNCTION @extschema@.add_job(p_job_name text) RETURNS bigint
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    IF p_job_name IS NULL THEN
        PERFORM @extschema@._null_argument('add_job', 'p_job_name');
    ELSIF p_job_name = '' THEN
        RAISE EXCEPTION 'job name must not be empty'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'add_job() was called with p_job_name = ''''.',
                  HINT = 'Give the job a name that says what it does; check_job_status() reports jobs by name.';
    END IF;
    RETURN @extschema@._log_send_job_open(p_job_name);
END
$$;

COMMENT ON FUNCTION @extschema@.add_job(text) IS 'start a logged job and return its job_id (committed autonomously)';
