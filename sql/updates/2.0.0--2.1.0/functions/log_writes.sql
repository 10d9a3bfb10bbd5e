-- 2.1.0: the log of a scheduled run may only be written by its job's roles
-- (see _run_log_guard in functions/job_run.sql).

CREATE OR REPLACE FUNCTION @extschema@._log_step_start(p_job_id bigint, p_action text) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_step_id bigint;
BEGIN
    PERFORM @extschema@._run_log_guard(p_job_id);
    INSERT INTO @extschema@.job_detail (job_id, action, start_time)
    SELECT j.job_id, p_action, now() FROM @extschema@.job_log j WHERE j.job_id = p_job_id
    RETURNING step_id INTO v_step_id;
    IF v_step_id IS NULL THEN
        PERFORM @extschema@._job_not_found(p_job_id);
    END IF;
    RETURN v_step_id;
END
$$;

CREATE OR REPLACE FUNCTION @extschema@._log_step_end(p_step_id bigint, p_status text, p_message text)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    PERFORM @extschema@._run_log_guard(d.job_id) FROM @extschema@.job_detail d WHERE d.step_id = p_step_id;
    UPDATE @extschema@.job_detail d
    SET end_time = now(),
        elapsed_time = extract(epoch FROM now() - d.start_time)::real,
        status = p_status,
        message = p_message
    WHERE d.step_id = p_step_id;
    IF NOT FOUND THEN
        PERFORM @extschema@._step_not_found(p_step_id);
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION @extschema@._log_job_end(p_job_id bigint, p_alert_code integer) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_status text;
BEGIN
    SELECT t.alert_text INTO v_status FROM @extschema@.job_status_text t WHERE t.alert_code = p_alert_code;
    IF v_status IS NULL THEN
        RAISE EXCEPTION 'alert code % does not exist', p_alert_code
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('job_status_text has the codes %s.',
                                  (SELECT string_agg(t.alert_code::text, ', ' ORDER BY t.alert_code)
                                   FROM @extschema@.job_status_text t)),
                  HINT = 'Use one of those codes, or add the code to job_status_text first.';
    END IF;
    PERFORM @extschema@._run_log_guard(p_job_id);
    UPDATE @extschema@.job_log j SET end_time = now(), status = v_status WHERE j.job_id = p_job_id;
    IF NOT FOUND THEN
        PERFORM @extschema@._job_not_found(p_job_id);
    END IF;
    IF @extschema@._setting('log_durability') <> 'off' THEN
        SET LOCAL synchronous_commit TO DEFAULT;
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION @extschema@._log_event(
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
    PERFORM @extschema@._run_log_guard(d.job_id) FROM @extschema@.job_detail d WHERE d.step_id = p_step_id;
    INSERT INTO @extschema@.job_event (job_id, step_id, event_time, severity, sqlstate, message,
                                       detail, hint, context, schema_name, table_name,
                                       column_name, datatype_name, constraint_name)
    SELECT d.job_id, d.step_id, now(), p_severity, p_sqlstate, p_message,
           p_detail, p_hint, p_context, p_schema_name, p_table_name,
           p_column_name, p_datatype_name, p_constraint_name
    FROM @extschema@.job_detail d WHERE d.step_id = p_step_id
    RETURNING event_id INTO v_event_id;
    IF v_event_id IS NULL THEN
        PERFORM @extschema@._step_not_found(p_step_id);
    END IF;
    RETURN v_event_id;
END
$$;
