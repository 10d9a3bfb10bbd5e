-- The writers of the job log, called by the statements that the logging
-- connection sends (src/log_connection.c), which logs in as the extension's
-- owner; the scheduler's workers call them too, as the owner.  They write
-- the owner, pid, job and step they are given, so they are executable by
-- the owner only (sql/privileges.sql): a role logs through the API,
-- whose writes record who it is (and tell the writer's backend on whose
-- behalf they write, _log_set_caller), and cannot call these to forge a
-- row.  They are SECURITY DEFINER so that a log_user other than the owner
-- needs EXECUTE on them (and on _log_set_caller) but no privilege on the
-- tables.

CREATE FUNCTION @extschema@._log_job_open(p_job_name text, p_owner text, p_pid integer)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_job_id bigint;
BEGIN
    INSERT INTO @extschema@.job_log (owner, job_name, start_time, pid)
    VALUES (p_owner, upper(p_job_name), now(), p_pid)
    RETURNING job_id INTO v_job_id;
    RETURN v_job_id;
END
$$;

CREATE FUNCTION @extschema@._job_not_found(p_job_id bigint) RETURNS void
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    RAISE EXCEPTION 'job % does not exist', p_job_id
        USING ERRCODE = 'undefined_object',
              DETAIL = format('No row of job_log has job_id %s.', p_job_id),
              HINT = 'Pass the id that add_job() returned.';
END
$$;

CREATE FUNCTION @extschema@._step_not_found(p_step_id bigint) RETURNS void
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    RAISE EXCEPTION 'step % does not exist', p_step_id
        USING ERRCODE = 'undefined_object',
              DETAIL = format('No row of job_detail has step_id %s.', p_step_id),
              HINT = 'Pass the id that add_step() returned.';
END
$$;

-- Log rows are written by whom they belong to: the role that added the
-- logged job (job_log.owner), a member of it, or a superuser, whoever
-- called (the role the logging connection writes for, _caller()).  Checked
-- before anything is written.  pg_jobmon 1.x let any role write any job
-- by its id.
CREATE FUNCTION @extschema@._log_check_writer(p_job_id bigint) RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_caller name := @extschema@._caller();
    v_owner  text;
BEGIN
    SELECT j.owner INTO v_owner FROM @extschema@.job_log j WHERE j.job_id = p_job_id;
    IF v_owner IS NULL OR v_owner = v_caller
       OR EXISTS (SELECT FROM pg_catalog.pg_roles r
                  WHERE r.rolname = v_owner AND pg_catalog.pg_has_role(v_caller, r.oid, 'MEMBER'))
       OR (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname = v_caller) THEN
        RETURN;
    END IF;
    RAISE EXCEPTION 'permission denied to write the log of job %', p_job_id
        USING ERRCODE = 'insufficient_privilege',
              DETAIL = format('Job %s of job_log belongs to role "%s", of which role "%s" is not a member.',
                              p_job_id, v_owner, v_caller),
              HINT = 'Only the role that added the job, its members, or a superuser can log to it.';
END
$$;

CREATE FUNCTION @extschema@._log_step_open(p_job_id bigint, p_action text) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_step_id bigint;
BEGIN
    PERFORM @extschema@._log_check_writer(p_job_id);
    INSERT INTO @extschema@.job_detail (job_id, action, start_time)
    SELECT j.job_id, p_action, now() FROM @extschema@.job_log j WHERE j.job_id = p_job_id
    RETURNING step_id INTO v_step_id;
    IF v_step_id IS NULL THEN
        PERFORM @extschema@._job_not_found(p_job_id);
    END IF;
    RETURN v_step_id;
END
$$;

CREATE FUNCTION @extschema@._log_step_close(p_step_id bigint, p_status text, p_message text)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    PERFORM @extschema@._log_check_writer(d.job_id) FROM @extschema@.job_detail d WHERE d.step_id = p_step_id;
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

-- Finish a job with the status text of p_alert_code.  Unless the setting
-- log_durability is off, the end of a job is committed with the session's
-- own synchronous_commit (steps may have been written asynchronously), so
-- once close_job or fail_job returns, the job and everything logged before
-- it are as durable as the caller's own work.
CREATE FUNCTION @extschema@._log_job_close(p_job_id bigint, p_alert_code integer) RETURNS bigint
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
    PERFORM @extschema@._log_check_writer(p_job_id);
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

CREATE FUNCTION @extschema@._log_event(
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
    PERFORM @extschema@._log_check_writer(d.job_id) FROM @extschema@.job_detail d WHERE d.step_id = p_step_id;
    INSERT INTO @extschema@.jobmon_event (job_id, step_id, event_time, severity, sqlstate, message,
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

-- Only the extension's owner (the logging connection, the workers) writes
-- the log directly; _log_step_failed is in events.sql.
