-- check_job_status: one row per problem, for Nagios-style alerting, or one
-- OK row when all is well.  The rules are pg_jobmon 1.5's:
--
--  FAILED_RUN  a job without configuration with more than 2 failures since
--              its last success; a configured, active job with more
--              failures than its sensitivity.  The code is the highest of
--              those failures (escalation raises it).  The text is 1.x's
--              ("3 consecutive CRITICAL runs" without configuration, "N
--              WARNING run(s)" with, N the failures at the reported code)
--              unless the setting text_style is 2.x ("N consecutive job
--              failure(s)", N all of them).
--  MISSING     a configured, active job whose last run started longer ago
--              than its warn_threshold (code 2) or error_threshold (code 3),
--              or that has not started within p_history (code 3).
--  RUNNING     a MISSING job whose last run is still running in a live
--              backend, for longer than the smaller threshold.
--  BLOCKED     a reported job whose running backend waits on a lock.
--
-- p_history bounds how far back job_log is read; it must cover the longest
-- threshold of an active job, or a job would be reported missing that ran
-- within it (inactive jobs are never reported, so their thresholds do not
-- count, as in pg_jobmon 1.3.2 and later).
CREATE FUNCTION @extschema@.check_job_status(p_history interval,
    OUT alert_code integer, OUT alert_status text, OUT job_name text, OUT alert_text text)
RETURNS SETOF record
LANGUAGE plpgsql STABLE
SET search_path = @extschema@, pg_temp
SET enable_sort = off
SET jit = off
AS $$
DECLARE
    v_longest interval;
    v_since   timestamptz;
    v_v1      boolean := @extschema@._setting('text_style') = '1.x';
    v_found   boolean := false;
BEGIN
    IF p_history IS NULL THEN
        PERFORM @extschema@._null_argument('check_job_status', 'p_history');
    END IF;
    SELECT greatest(max(c.warn_threshold), max(c.error_threshold)) INTO v_longest
    FROM @extschema@.job_check_config c WHERE c.active;
    IF p_history < v_longest THEN
        RAISE EXCEPTION 'history interval % is shorter than the longest monitoring threshold %', p_history, v_longest
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'job_check_config has a warn_threshold or error_threshold longer than p_history, so jobs that ran within their threshold could be reported missing.',
                  HINT = format('Pass at least %L, or call check_job_status() without an argument.', v_longest);
    END IF;
    v_since := now() - p_history;

    -- The last run of a job and its last end are each one probe of an
    -- index on the hash of the name (job_log_job_name_start_idx,
    -- job_log_job_name_end_idx), made only for the active configured jobs
    -- and, for the last end, only for those reported with a run in the
    -- history: the cost does not grow with the history read.  The times
    -- are compared and ordered as timezone('UTC', t), which orders as t
    -- does, because only those indexes hold that expression: ordered by the
    -- plain column, the planner may read the newest runs of every job
    -- through job_log_start_time_idx until one of this job's turns up,
    -- which for a job that has not run lately (the very one reported) is
    -- the whole history.  enable_sort = off (this function's setting) keeps
    -- it from sorting all of a job's runs instead; the other queries here
    -- have no other way than a sort where they sort, but the penalty that
    -- enable_sort adds to their cost would make them look worth compiling:
    -- hence jit = off.  The last end is looked for among the runs that
    -- ended within the history, as those that started within it did.
    FOR alert_code, alert_status, job_name, alert_text IN
        WITH config AS (
            SELECT upper(c.job_name) AS job_name, c.warn_threshold, c.error_threshold, c.active, c.sensitivity
            FROM @extschema@.job_check_config c
        ),
        failures AS (
            SELECT l.job_name, max(l.alert_code) AS alert_code, count(*) AS failures
            FROM @extschema@.job_check_log l
            GROUP BY l.job_name
        ),
        failed AS (
            SELECT f.alert_code, 'FAILED_RUN'::text AS alert_status, f.job_name,
                   CASE WHEN NOT v_v1 THEN f.failures || ' consecutive job failure(s)'
                        WHEN c.job_name IS NULL THEN '3 consecutive ' || t.word || ' runs'
                        ELSE (SELECT count(*) FROM @extschema@.job_check_log l
                              WHERE l.job_name = f.job_name AND l.alert_code = f.alert_code)
                             || ' ' || t.word || ' run(s)'
                   END AS alert_text
            FROM failures f
            LEFT JOIN config c ON c.job_name = f.job_name
            CROSS JOIN LATERAL (
                SELECT coalesce((SELECT s.alert_text FROM @extschema@.job_status_text s
                                 WHERE s.alert_code = f.alert_code), f.alert_code::text) AS word) t
            WHERE (c.job_name IS NULL AND f.failures > 2)
               OR (c.active AND f.failures > c.sensitivity)
        ),
        missing AS (
            SELECT CASE WHEN r.start_time IS NULL OR now() - r.start_time > c.error_threshold THEN 3 ELSE 2 END
                       AS alert_code,
                   c.job_name, r.start_time, r.end_time, r.pid,
                   least(c.warn_threshold, c.error_threshold) AS shortest
            FROM config c
            LEFT JOIN LATERAL (
                SELECT j.start_time, j.end_time, j.pid
                FROM @extschema@.job_log j
                WHERE pg_catalog.hashtextextended(j.job_name, 0) = pg_catalog.hashtextextended(c.job_name, 0)
                  AND j.job_name = c.job_name
                  AND pg_catalog.timezone('UTC', j.start_time) > pg_catalog.timezone('UTC', v_since)
                ORDER BY pg_catalog.timezone('UTC', j.start_time) DESC
                LIMIT 1) r ON true
            WHERE c.active AND (r.start_time IS NULL OR now() - r.start_time > c.warn_threshold)
        ),
        running AS (
            SELECT m.*,
                   a.pid IS NOT NULL AND m.end_time IS NULL AND now() - m.start_time >= m.shortest AS is_running,
                   CASE WHEN m.start_time IS NOT NULL THEN
                       (SELECT j.end_time
                        FROM @extschema@.job_log j
                        WHERE pg_catalog.hashtextextended(j.job_name, 0) = pg_catalog.hashtextextended(m.job_name, 0)
                          AND j.job_name = m.job_name AND j.end_time IS NOT NULL
                          AND pg_catalog.timezone('UTC', j.end_time) > pg_catalog.timezone('UTC', v_since)
                          AND j.start_time > v_since
                        ORDER BY pg_catalog.timezone('UTC', j.end_time) DESC
                        LIMIT 1)
                   END AS last_end
            FROM missing m
            LEFT JOIN pg_catalog.pg_stat_activity a ON a.pid = m.pid
        ),
        problems AS (
            SELECT f.alert_code, f.alert_status, f.job_name, f.alert_text FROM failed f
            UNION ALL
            SELECT r.alert_code,
                   CASE WHEN r.is_running THEN 'RUNNING' ELSE 'MISSING' END,
                   r.job_name,
                   CASE WHEN r.is_running THEN
                            coalesce('Currently running. Last completed run: ' || r.last_end,
                                     'Currently running. Job has not had a completed run within configured monitoring time period.')
                        ELSE
                            coalesce('Last completed run: ' || r.last_end,
                                     'Has not completed a run since highest configured monitoring time period')
                   END
            FROM running r
        ),
        blocked AS (
            SELECT DISTINCT j.job_name
            FROM @extschema@.job_log j
            JOIN pg_catalog.pg_stat_activity a ON a.pid = j.pid
            JOIN pg_catalog.pg_locks k ON k.pid = j.pid AND NOT k.granted
            WHERE j.end_time IS NULL AND j.start_time > v_since
        )
        SELECT p.alert_code,
               CASE WHEN b.job_name IS NOT NULL THEN 'BLOCKED' ELSE p.alert_status END,
               p.job_name,
               CASE WHEN b.job_name IS NULL THEN p.alert_text
                    WHEN v_v1 THEN 'Another transaction has a lock that blocking this job from completing'
                    ELSE 'Another transaction has a lock that is blocking this job from completing' END
        FROM problems p
        LEFT JOIN blocked b ON b.job_name = p.job_name
        ORDER BY 1 DESC, 3, 2
    LOOP
        v_found := true;
        RETURN NEXT;
    END LOOP;

    IF NOT v_found THEN
        alert_code := 1;
        alert_status := 'OK';
        job_name := NULL;
        alert_text := 'All jobs run successfully';
        RETURN NEXT;
    END IF;
END
$$;

-- Without an argument the history is the longest threshold of an active
-- job, or a week when none is configured (failures are still reported).
CREATE FUNCTION @extschema@.check_job_status(
    OUT alert_code integer, OUT alert_status text, OUT job_name text, OUT alert_text text)
RETURNS SETOF record
LANGUAGE sql STABLE
SET search_path = @extschema@, pg_temp
AS $$
    SELECT * FROM @extschema@.check_job_status(
        (SELECT coalesce(greatest(max(c.warn_threshold), max(c.error_threshold)), interval '1 week')
         FROM @extschema@.job_check_config c WHERE c.active))
$$;

COMMENT ON FUNCTION @extschema@.check_job_status(interval) IS 'jobs that need attention (failed, missing, running long, blocked), reading job_log back over the interval';

COMMENT ON FUNCTION @extschema@.check_job_status() IS 'jobs that need attention, reading job_log back over the longest configured threshold';
