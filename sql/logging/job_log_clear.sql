-- job_log_clear: delete the jobs that started longer ago than p_interval,
-- with their steps and events.
CREATE FUNCTION @extschema@.job_log_clear(p_interval interval) RETURNS void
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    IF p_interval IS NULL THEN
        PERFORM @extschema@._null_argument('job_log_clear', 'p_interval');
    ELSIF p_interval < interval '0' THEN
        RAISE EXCEPTION 'interval must not be negative'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('job_log_clear() was called with %s.', p_interval),
                  HINT = 'Pass how old a job must be to be deleted, e.g. ''30 days''.';
    END IF;
    DELETE FROM @extschema@.job_log j WHERE j.start_time < now() - p_interval;
END
$$;

COMMENT ON FUNCTION @extschema@.job_log_clear(interval) IS 'delete jobs (with their steps and events) that started longer ago than the interval';
