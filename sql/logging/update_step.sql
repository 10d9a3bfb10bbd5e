-- update_step: record a step's status and message; end_time and
-- elapsed_time (seconds) are set on every call, so a step can be updated
-- several times as it progresses.
CREATE FUNCTION @extschema@.update_step(p_step_id bigint, p_status text, p_message text) RETURNS void
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    IF p_step_id IS NULL THEN
        IF @extschema@._null_id('update_step', 'p_step_id') THEN
            RETURN;
        END IF;
    END IF;
    PERFORM @extschema@._log_send_step_close(p_step_id, p_status, p_message);
END
$$;

COMMENT ON FUNCTION @extschema@.update_step(bigint, text, text) IS 'set the status and message of a step (committed autonomously)';
