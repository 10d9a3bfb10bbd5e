-- Structured events: messages in the shape of PostgreSQL's own (severity,
-- SQLSTATE, message, detail, hint, context and the names of the objects
-- involved), recorded against a step.

-- log_event: record any message against a step.
CREATE FUNCTION @extschema@.log_event(
    p_step_id bigint, p_severity text, p_sqlstate text, p_message text,
    p_detail text DEFAULT NULL, p_hint text DEFAULT NULL, p_context text DEFAULT NULL,
    p_schema_name text DEFAULT NULL, p_table_name text DEFAULT NULL,
    p_column_name text DEFAULT NULL, p_datatype_name text DEFAULT NULL,
    p_constraint_name text DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_severity text := upper(p_severity);
BEGIN
    IF p_step_id IS NULL THEN
        IF @extschema@._null_id('log_event', 'p_step_id') THEN
            RETURN NULL;
        END IF;
    END IF;
    IF p_severity IS NULL THEN
        PERFORM @extschema@._null_argument('log_event', 'p_severity');
    ELSIF p_message IS NULL THEN
        PERFORM @extschema@._null_argument('log_event', 'p_message');
    END IF;
    IF v_severity NOT IN ('DEBUG5', 'DEBUG4', 'DEBUG3', 'DEBUG2', 'DEBUG1', 'LOG', 'INFO',
                          'NOTICE', 'WARNING', 'ERROR', 'FATAL', 'PANIC') THEN
        RAISE EXCEPTION 'unrecognized severity "%"', p_severity
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'log_event() takes PostgreSQL''s message severities.',
                  HINT = 'Use one of DEBUG5 .. DEBUG1, LOG, INFO, NOTICE, WARNING, ERROR, FATAL, PANIC.';
    END IF;
    IF p_sqlstate !~ '^[0-9A-Z]{5}$' THEN
        RAISE EXCEPTION 'invalid SQLSTATE code "%"', p_sqlstate
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'An SQLSTATE is five digits or upper-case letters.',
                  HINT = 'Pass the SQLSTATE variable of an EXCEPTION handler, e.g. ''22012'', or NULL.';
    END IF;
    RETURN @extschema@._log_send_event(p_step_id, v_severity, p_sqlstate, p_message, p_detail,
                                       p_hint, p_context, p_schema_name, p_table_name,
                                       p_column_name, p_datatype_name, p_constraint_name);
END
$$;

COMMENT ON FUNCTION @extschema@.log_event(bigint, text, text, text, text, text, text, text, text, text, text, text)
    IS 'record a message with all the fields of a PostgreSQL message against a step (committed autonomously)';

-- Record a handled error against a step and mark the step failed, in one
-- write: used by log_error, sql_step and sql_job.
CREATE FUNCTION @extschema@._log_step_error(p_step_id bigint, p_error record) RETURNS bigint
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    RETURN @extschema@._log_send_step_failed(
        p_step_id, p_error.severity, p_error.sqlstate, p_error.message, p_error.detail,
        p_error.hint, p_error.context, p_error.schema_name, p_error.table_name,
        p_error.column_name, p_error.datatype_name, p_error.constraint_name);
END
$$;

-- The remote half of _log_step_error, a writer like those of writes.sql
-- (executable by the extension's owner only, see there).
CREATE FUNCTION @extschema@._log_step_failed(
    p_step_id bigint, p_severity text, p_sqlstate text, p_message text, p_detail text,
    p_hint text, p_context text, p_schema_name text, p_table_name text, p_column_name text,
    p_datatype_name text, p_constraint_name text)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_event_id bigint;
BEGIN
    v_event_id := @extschema@._log_event(p_step_id, p_severity, p_sqlstate, p_message, p_detail,
                                         p_hint, p_context, p_schema_name, p_table_name,
                                         p_column_name, p_datatype_name, p_constraint_name);
    PERFORM @extschema@._log_step_close(p_step_id,
                                      (SELECT t.alert_text FROM @extschema@.job_status_text t WHERE t.alert_code = 3),
                                      'ERROR: ' || p_message);
    RETURN v_event_id;
END
$$;

-- log_error: inside an EXCEPTION handler, record the error being handled
-- (every field, no GET STACKED DIAGNOSTICS needed) and mark the step failed.
CREATE FUNCTION @extschema@.log_error(p_step_id bigint) RETURNS bigint
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_error record;
BEGIN
    SELECT * INTO v_error FROM @extschema@._handled_error();
    IF p_step_id IS NULL THEN
        IF @extschema@._null_id('log_error', 'p_step_id') THEN
            RETURN NULL;
        END IF;
    END IF;
    RETURN @extschema@._log_step_error(p_step_id, v_error);
END
$$;

COMMENT ON FUNCTION @extschema@.log_error(bigint)
    IS 'inside an EXCEPTION handler: record the error being handled against a step and mark the step failed';
