-- add_step: start a step of a logged job.
CREATE FUNCTION @extschema@.add_step(p_job_id bigint, p_action text) RETURNS bigint
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    IF p_job_id IS NULL THEN
        IF @extschema@._null_id('add_step', 'p_job_id') THEN
            RETURN NULL;
        END IF;
    END IF;
    IF p_action IS NULL THEN
        PERFORM @extschema@._null_argument('add_step', 'p_action');
    END IF;
    RETURN @extschema@._log_send_step_open(p_job_id, p_action);
END
$$;

COMMENT ON FUNCTION @extschema@.add_step(bigint, text) IS 'start a step of a logged job and return its step_id (committed autonomously)';
