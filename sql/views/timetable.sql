-- timetable(): what runs when in a range of time, as pgpro_scheduler's
-- timetable() answers it, with what already ran.  Planned fire times come
-- from the cron engine, starting at each schedule's next_fire (which the
-- dispatcher dispatches next), so the rows are exactly the runs the dispatcher will
-- plan, as long as nothing changes.  Runs already planned or done are the
-- jobmon_run rows due in the range.  Row-level security shows each role its
-- own jobs.

CREATE FUNCTION @extschema@.timetable(start_time timestamptz, end_time timestamptz)
RETURNS TABLE (job_id bigint, name text, kind text, schedule_id bigint, due_at timestamptz,
               status text, run_id bigint, attempt integer, started_at timestamptz,
               finished_at timestamptz, error text)
LANGUAGE plpgsql STABLE
SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    IF start_time IS NULL OR end_time IS NULL THEN
        PERFORM @extschema@._null_argument('timetable', CASE WHEN start_time IS NULL THEN 'start_time' ELSE 'end_time' END);
    END IF;
    IF end_time < start_time THEN
        RAISE EXCEPTION 'end_time of timetable() is earlier than start_time'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('timetable() got %s to %s.', start_time, end_time),
                  HINT = 'Swap the two arguments.';
    END IF;
    RETURN QUERY
    SELECT p.job_id, p.name, p.kind, p.schedule_id, p.due_at, p.status, p.run_id, p.attempt,
           p.started_at, p.finished_at, p.error
    FROM (
        -- Runs planned, under way or done.
        SELECT r.job_id, r.job_name AS name,
               CASE WHEN j.oneoff THEN 'one-off' WHEN NOT j.oneoff THEN 'periodic' ELSE 'dropped' END AS kind,
               r.schedule_id, r.due_at, r.status, r.run_id, r.attempt, r.started_at, r.finished_at,
               CASE WHEN r.status <> 'success' THEN r.reason END AS error
        FROM @extschema@.jobmon_run r
        LEFT JOIN @extschema@.jobmon_job j ON j.job_id = r.job_id
        WHERE r.due_at >= timetable.start_time AND r.due_at < timetable.end_time
        UNION ALL
        -- Fire times the dispatcher has not dispatched yet.
        SELECT j.job_id, j.name, 'periodic', s.schedule_id, t.due_at, 'planned', NULL, 1, NULL, NULL, NULL
        FROM @extschema@.jobmon_schedule s
        JOIN @extschema@.jobmon_job j ON j.job_id = s.job_id
        CROSS JOIN LATERAL (
            SELECT s.next_fire AS due_at
            UNION
            SELECT c FROM @extschema@.cron_times(s.cron, greatest(timetable.start_time, s.next_fire, j.start_date),
                                                 least(timetable.end_time, j.end_date), j.timezone) c
            WHERE s.cron IS NOT NULL AND c > s.next_fire
            UNION
            SELECT d FROM unnest(s.dates) d WHERE d > s.next_fire AND (d >= j.start_date) IS NOT FALSE
        ) t
        WHERE s.next_fire IS NOT NULL
          AND t.due_at >= timetable.start_time AND t.due_at < timetable.end_time
          AND (t.due_at <= j.end_date) IS NOT FALSE
    ) p
    ORDER BY p.due_at, p.job_id, p.run_id;
END
$$;

COMMENT ON FUNCTION @extschema@.timetable(timestamptz, timestamptz)
    IS 'every planned, running and finished run of the jobs you can see, due in [start_time, end_time)';
