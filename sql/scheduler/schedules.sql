-- Schedules: when a job runs.  A job has any number of schedules, each a
-- cron expression or a list of dates, each enabled on its own.  The dispatcher
-- finds due schedules by next_fire, which these functions keep current.

-- The audit trail: one row per change, with the old and new values.
CREATE FUNCTION @extschema@._audit(p_action text, p_job_id bigint, p_schedule_id bigint,
                                   p_old jsonb, p_new jsonb)
RETURNS void
LANGUAGE sql
SET search_path = @extschema@, pg_temp
AS $$
    INSERT INTO @extschema@.jobmon_audit (changed_by, action, job_id, schedule_id, old_value, new_value)
    VALUES (@extschema@._caller(), p_action, p_job_id, p_schedule_id, p_old, p_new)
$$;

-- The next time schedule s of job j fires after what it already fired, or
-- NULL when it will not fire (disabled, job inactive or broken, past the
-- job's end_date, no date left).
CREATE FUNCTION @extschema@._schedule_next(s @extschema@.jobmon_schedule, j @extschema@.jobmon_job)
RETURNS timestamptz
LANGUAGE plpgsql STABLE
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_after timestamptz := greatest(s.fired_until, j.start_date - interval '1 microsecond');
    v_next  timestamptz;
BEGIN
    IF NOT s.enabled OR NOT j.active OR j.broken_reason IS NOT NULL THEN
        RETURN NULL;
    ELSIF s.override_time IS NOT NULL THEN
        v_next := s.override_time;
    ELSIF s.cron IS NOT NULL THEN
        v_next := @extschema@.cron_next(s.cron, v_after, j.timezone);
    ELSE
        SELECT min(d) INTO v_next FROM unnest(s.dates) d WHERE d > v_after;
    END IF;
    IF v_next > j.end_date THEN
        RETURN NULL;
    END IF;
    RETURN v_next;
END
$$;

-- Recompute next_fire of every schedule of a job, after a change.
CREATE FUNCTION @extschema@._schedules_refresh(p_job_id bigint) RETURNS void
LANGUAGE sql
SET search_path = @extschema@, pg_temp
AS $$
    UPDATE @extschema@.jobmon_schedule s
    SET next_fire = @extschema@._schedule_next(s, j)
    FROM @extschema@.jobmon_job j
    WHERE j.job_id = p_job_id AND s.job_id = j.job_id
$$;

-- Check and insert a schedule: exactly one of a cron expression (or a
-- pgpro_scheduler rule, turned into one) and a list of dates.
CREATE FUNCTION @extschema@._schedule_insert(p_function text, p_job_id bigint, p_cron text,
                                             p_dates timestamptz[])
RETURNS bigint
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_schedule @extschema@.jobmon_schedule;
BEGIN
    IF (p_cron IS NULL) = (p_dates IS NULL) THEN
        RAISE EXCEPTION 'a schedule needs either a cron expression or dates'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('%s() got %s.', p_function,
                                  CASE WHEN p_cron IS NULL THEN 'neither' ELSE 'both' END),
                  HINT = 'Give one of them; add a second schedule for the other.';
    END IF;
    IF p_cron IS NOT NULL THEN
        PERFORM @extschema@.cron_validate(p_cron);
        IF @extschema@.cron_next(p_cron, now(), (SELECT j.timezone FROM @extschema@.jobmon_job j WHERE j.job_id = p_job_id)) IS NULL THEN
            RAISE EXCEPTION 'cron expression "%" never fires', p_cron
                USING ERRCODE = 'invalid_parameter_value',
                      DETAIL = 'The scheduler has no fire time for it: @reboot (a rule with onstart) is not supported, and no calendar day matches some expressions.',
                      HINT = 'Give an expression that fires; run_job() runs a job once, now.';
        END IF;
    ELSIF coalesce(cardinality(p_dates), 0) = 0 OR array_position(p_dates, NULL) IS NOT NULL THEN
        RAISE EXCEPTION 'dates of a schedule must be a non-empty list of times'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('%s() got %s.', p_function, coalesce(p_dates::text, 'NULL')),
                  HINT = 'Give at least one time, without NULLs.';
    ELSE
        PERFORM @extschema@._time_check_finite(p_function, 'each of the dates', d) FROM unnest(p_dates) d;
    END IF;
    INSERT INTO @extschema@.jobmon_schedule (job_id, cron, dates)
    VALUES (p_job_id, p_cron, p_dates)
    RETURNING * INTO v_schedule;
    UPDATE @extschema@.jobmon_schedule s
    SET next_fire = @extschema@._schedule_next(s, j)
    FROM @extschema@.jobmon_job j
    WHERE s.schedule_id = v_schedule.schedule_id AND j.job_id = s.job_id
    RETURNING s.* INTO v_schedule;
    PERFORM @extschema@._audit('add schedule', p_job_id, v_schedule.schedule_id, NULL, to_jsonb(v_schedule));
    RETURN v_schedule.schedule_id;
END
$$;

-- The schedule p_schedule_id, locked, if the caller may change its job;
-- others get the error of a schedule that does not exist.
CREATE FUNCTION @extschema@._schedule_for_change(p_schedule_id bigint)
RETURNS @extschema@.jobmon_schedule
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_caller   name := @extschema@._caller();
    v_schedule @extschema@.jobmon_schedule;
BEGIN
    IF p_schedule_id IS NULL THEN
        RAISE EXCEPTION 'schedule_id must not be NULL'
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Pass the id that add_schedule() returned, or one from jobmon_schedule.';
    END IF;
    SELECT s.* INTO v_schedule
    FROM @extschema@.jobmon_schedule s JOIN @extschema@.jobmon_job j ON j.job_id = s.job_id
    WHERE s.schedule_id = p_schedule_id
      AND @extschema@._is_job_role(v_caller, j.owner, j.run_as)
    FOR UPDATE OF s, j;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'schedule % does not exist', p_schedule_id
            USING ERRCODE = 'undefined_object',
                  DETAIL = format('No job that role "%s" owns or runs has a schedule with schedule_id %s.',
                                  v_caller, p_schedule_id),
                  HINT = 'SELECT * FROM jobmon_schedule lists the schedules of your jobs.';
    END IF;
    RETURN v_schedule;
END
$$;

-- Store the enabled flag and override of p_new, recompute next_fire, audit.
CREATE FUNCTION @extschema@._schedule_update(p_action text, p_old @extschema@.jobmon_schedule,
                                             p_new @extschema@.jobmon_schedule)
RETURNS void
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_new @extschema@.jobmon_schedule;
BEGIN
    UPDATE @extschema@.jobmon_schedule s
    SET enabled = p_new.enabled, override_time = p_new.override_time,
        next_fire = @extschema@._schedule_next(p_new, j)
    FROM @extschema@.jobmon_job j
    WHERE s.schedule_id = p_old.schedule_id AND j.job_id = s.job_id
    RETURNING s.* INTO v_new;
    PERFORM @extschema@._audit(p_action, p_old.job_id, p_old.schedule_id, to_jsonb(p_old), to_jsonb(v_new));
    PERFORM @extschema@._dispatch_wake();
END
$$;

CREATE FUNCTION @extschema@.add_schedule(p_job_id bigint, p_cron text)
RETURNS bigint
LANGUAGE C AS 'MODULE_PATHNAME', 'jobmon_api';

CREATE FUNCTION @extschema@._api_add_schedule(p_job_id bigint, p_cron text)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    PERFORM @extschema@._job_for_change(p_job_id);
    IF p_cron IS NULL THEN
        PERFORM @extschema@._null_argument('add_schedule', 'p_cron');
    END IF;
    PERFORM @extschema@._dispatch_wake();
    RETURN @extschema@._schedule_insert('add_schedule', p_job_id, p_cron, NULL);
END
$$;

CREATE FUNCTION @extschema@.add_schedule(p_job_id bigint, p_dates timestamptz[])
RETURNS bigint
LANGUAGE C AS 'MODULE_PATHNAME', 'jobmon_api';

CREATE FUNCTION @extschema@._api_add_schedule(p_job_id bigint, p_dates timestamptz[])
RETURNS bigint
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    PERFORM @extschema@._job_for_change(p_job_id);
    IF p_dates IS NULL THEN
        PERFORM @extschema@._null_argument('add_schedule', 'p_dates');
    END IF;
    PERFORM @extschema@._dispatch_wake();
    RETURN @extschema@._schedule_insert('add_schedule', p_job_id, NULL, p_dates);
END
$$;

CREATE FUNCTION @extschema@.enable_schedule(p_schedule_id bigint)
RETURNS void
LANGUAGE C AS 'MODULE_PATHNAME', 'jobmon_api';

CREATE FUNCTION @extschema@._api_enable_schedule(p_schedule_id bigint)
RETURNS void
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_old @extschema@.jobmon_schedule := @extschema@._schedule_for_change(p_schedule_id);
    v_new @extschema@.jobmon_schedule := v_old;
BEGIN
    v_new.enabled := true;
    -- Fire times missed while disabled are not made up for.
    IF NOT v_old.enabled THEN
        v_new.fired_until := greatest(v_old.fired_until, now());
        UPDATE @extschema@.jobmon_schedule s SET fired_until = v_new.fired_until
        WHERE s.schedule_id = p_schedule_id;
    END IF;
    PERFORM @extschema@._schedule_update('enable schedule', v_old, v_new);
END
$$;

CREATE FUNCTION @extschema@.disable_schedule(p_schedule_id bigint)
RETURNS void
LANGUAGE C AS 'MODULE_PATHNAME', 'jobmon_api';

CREATE FUNCTION @extschema@._api_disable_schedule(p_schedule_id bigint)
RETURNS void
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_old @extschema@.jobmon_schedule := @extschema@._schedule_for_change(p_schedule_id);
    v_new @extschema@.jobmon_schedule := v_old;
BEGIN
    v_new.enabled := false;
    PERFORM @extschema@._schedule_update('disable schedule', v_old, v_new);
END
$$;

CREATE FUNCTION @extschema@.drop_schedule(p_schedule_id bigint)
RETURNS void
LANGUAGE C AS 'MODULE_PATHNAME', 'jobmon_api';

CREATE FUNCTION @extschema@._api_drop_schedule(p_schedule_id bigint)
RETURNS void
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_old @extschema@.jobmon_schedule := @extschema@._schedule_for_change(p_schedule_id);
BEGIN
    DELETE FROM @extschema@.jobmon_schedule s WHERE s.schedule_id = p_schedule_id;
    PERFORM @extschema@._audit('drop schedule', v_old.job_id, p_schedule_id, to_jsonb(v_old), NULL);
END
$$;

-- Replace the next fire time of a schedule, once (QSched's dyn_override);
-- after that time the schedule goes on as before.
CREATE FUNCTION @extschema@.dyn_override(p_schedule_id bigint, p_next_time timestamptz)
RETURNS void
LANGUAGE C AS 'MODULE_PATHNAME', 'jobmon_api';

CREATE FUNCTION @extschema@._api_dyn_override(p_schedule_id bigint, p_next_time timestamptz)
RETURNS void
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_old @extschema@.jobmon_schedule := @extschema@._schedule_for_change(p_schedule_id);
    v_new @extschema@.jobmon_schedule := v_old;
BEGIN
    IF p_next_time IS NULL THEN
        PERFORM @extschema@._null_argument('dyn_override', 'p_next_time');
    END IF;
    PERFORM @extschema@._time_check_finite('dyn_override', 'argument p_next_time', p_next_time);
    v_new.override_time := p_next_time;
    PERFORM @extschema@._schedule_update('override schedule', v_old, v_new);
END
$$;

CREATE FUNCTION @extschema@.cancel_override(p_schedule_id bigint)
RETURNS void
LANGUAGE C AS 'MODULE_PATHNAME', 'jobmon_api';

CREATE FUNCTION @extschema@._api_cancel_override(p_schedule_id bigint)
RETURNS void
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_old @extschema@.jobmon_schedule := @extschema@._schedule_for_change(p_schedule_id);
    v_new @extschema@.jobmon_schedule := v_old;
BEGIN
    v_new.override_time := NULL;
    PERFORM @extschema@._schedule_update('cancel override', v_old, v_new);
END
$$;

COMMENT ON FUNCTION @extschema@.add_schedule(bigint, text) IS 'add a cron schedule to a job; returns its schedule_id';

COMMENT ON FUNCTION @extschema@.add_schedule(bigint, timestamptz[]) IS 'add a schedule of fixed dates to a job; returns its schedule_id';

COMMENT ON FUNCTION @extschema@.enable_schedule(bigint) IS 'let a schedule fire again (missed times are not made up for)';

COMMENT ON FUNCTION @extschema@.disable_schedule(bigint) IS 'stop a schedule from firing; the job''s other schedules go on';

COMMENT ON FUNCTION @extschema@.drop_schedule(bigint) IS 'remove a schedule from its job';

COMMENT ON FUNCTION @extschema@.dyn_override(bigint, timestamptz) IS 'fire a schedule next at this time instead, once';

COMMENT ON FUNCTION @extschema@.cancel_override(bigint) IS 'undo dyn_override: the schedule fires at its own next time';
