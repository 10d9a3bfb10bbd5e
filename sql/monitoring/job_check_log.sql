-- Failure bookkeeping for check_job_status(), kept by triggers as in
-- pg_jobmon 1.5: when a job's status becomes the text of an alert code, a
-- success (code 1) clears the job's failures from job_check_log and any
-- other code adds one; escalation raises the code of repeated failures.

CREATE FUNCTION @extschema@._job_monitor() RETURNS trigger
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_alert_code integer;
BEGIN
    SELECT t.alert_code INTO v_alert_code
    FROM @extschema@.job_status_text t WHERE t.alert_text = NEW.status;
    IF v_alert_code = 1 THEN
        DELETE FROM @extschema@.job_check_log c WHERE c.job_name = NEW.job_name;
    ELSIF v_alert_code IS NOT NULL THEN
        INSERT INTO @extschema@.job_check_log (job_id, job_name, alert_code)
        VALUES (NEW.job_id, NEW.job_name, v_alert_code);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER job_monitor
AFTER UPDATE OF status ON @extschema@.job_log
FOR EACH ROW WHEN (NEW.status IS DISTINCT FROM OLD.status)
EXECUTE FUNCTION @extschema@._job_monitor();

-- Escalation: a job configured with escalate = n whose failures at its
-- highest alert code reach n has the new failure raised one code, up to the
-- highest code in job_status_text.  A new failure never drops below the
-- highest code already logged.  The escalation is logged as a step of the
-- failing job, and that job's status becomes ESCALATED.
--
-- Only failures that job_monitor records escalate.  Rows loaded straight
-- into job_check_log are kept as they are: a restore of a dump loads them
-- before job_log and before the added alert codes, and escalating them
-- again would change them or fail on job_detail's foreign key.
CREATE FUNCTION @extschema@._job_check_log_escalate() RETURNS trigger
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_escalate       integer;
    v_highest_code   integer;
    v_count          integer;
    v_max_code       integer;
BEGIN
    IF pg_catalog.pg_trigger_depth() < 2 THEN
        RETURN NEW;
    END IF;
    SELECT c.escalate INTO v_escalate FROM @extschema@.job_check_config c
    WHERE upper(c.job_name) = NEW.job_name;
    IF v_escalate IS NULL THEN
        RETURN NEW;
    END IF;

    SELECT l.alert_code, count(*) INTO v_highest_code, v_count
    FROM @extschema@.job_check_log l WHERE l.job_name = NEW.job_name
    GROUP BY l.alert_code ORDER BY l.alert_code DESC LIMIT 1;
    IF v_highest_code > NEW.alert_code THEN
        NEW.alert_code := v_highest_code;
    END IF;

    SELECT max(t.alert_code) INTO v_max_code FROM @extschema@.job_status_text t;
    IF coalesce(v_count, 0) + 1 >= v_escalate AND NEW.alert_code < v_max_code THEN
        NEW.alert_code := NEW.alert_code + 1;
        INSERT INTO @extschema@.job_detail (job_id, action, start_time, end_time, elapsed_time, status, message)
        VALUES (NEW.job_id, 'ALERT ESCALATION', now(), now(), 0, 'ESCALATE',
                format('Job has alerted at level %s in excess of the escalate value configured for this job (%s). Alert code value has been escalated to: %s',
                       NEW.alert_code - 1, v_escalate, NEW.alert_code));
        UPDATE @extschema@.job_log j SET status = 'ESCALATED' WHERE j.job_id = NEW.job_id;
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER job_check_log_escalate
BEFORE INSERT ON @extschema@.job_check_log
FOR EACH ROW EXECUTE FUNCTION @extschema@._job_check_log_escalate();
