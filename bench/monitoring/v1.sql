-- The baseline: pg_jobmon 1.5's way of checking, on a copy of the same
-- history in 1.5's own table layout and indexes (schema bench_v1).  The
-- function below follows 1.5's check_job_status step by step (written
-- here from a reading of it, not copied): the problems are collected in a
-- temporary table by one query per rule, the newest run of each job is
-- found by grouping every run of the history by name and joining the
-- group's newest start time back to job_log, and RUNNING and BLOCKED are
-- applied by a loop of updates.
SET client_min_messages = warning;
DROP SCHEMA IF EXISTS bench_v1 CASCADE;
CREATE SCHEMA bench_v1;

CREATE TABLE bench_v1.job_log (LIKE jobmon.job_log INCLUDING DEFAULTS);
INSERT INTO bench_v1.job_log SELECT * FROM jobmon.job_log;
ALTER TABLE bench_v1.job_log ADD PRIMARY KEY (job_id);
CREATE INDEX ON bench_v1.job_log (job_name);
CREATE INDEX ON bench_v1.job_log (start_time);
CREATE INDEX ON bench_v1.job_log (status);
CREATE INDEX ON bench_v1.job_log (pid);
CREATE TABLE bench_v1.job_check_config AS SELECT * FROM jobmon.job_check_config;
ALTER TABLE bench_v1.job_check_config ADD PRIMARY KEY (job_name);
CREATE TABLE bench_v1.job_check_log AS SELECT * FROM jobmon.job_check_log;
CREATE TABLE bench_v1.job_status_text AS SELECT * FROM jobmon.job_status_text;
ALTER TABLE bench_v1.job_status_text ADD PRIMARY KEY (alert_code);
VACUUM ANALYZE bench_v1.job_log;
ANALYZE bench_v1.job_check_config;
ANALYZE bench_v1.job_check_log;
ANALYZE bench_v1.job_status_text;

CREATE FUNCTION bench_v1.check_job_status(p_history interval,
    OUT alert_code int, OUT alert_status text, OUT job_name text, OUT alert_text text)
RETURNS SETOF record LANGUAGE plpgsql
SET search_path = bench_v1, pg_catalog
AS $$
DECLARE
    v_since    timestamptz := now() - p_history;
    v_longest  interval;
    v_problems int := 0;
    v_n        int;
    v_job      text;
BEGIN
    SELECT greatest(max(c.error_threshold), max(c.warn_threshold)) INTO v_longest
    FROM job_check_config c WHERE c.active;
    IF p_history < v_longest THEN
        RAISE EXCEPTION 'history shorter than the longest threshold';
    END IF;

    CREATE TEMP TABLE v1_found (code int, status text, name text, txt text, pid int);

    -- Failed runs of jobs without configuration, per job and code.
    INSERT INTO v1_found (code, status, name, txt)
    SELECT l.alert_code, 'FAILED_RUN', l.job_name, '3 consecutive ' || t.alert_text || ' runs'
    FROM job_check_log l JOIN job_status_text t USING (alert_code)
    WHERE l.job_name NOT IN (SELECT c.job_name FROM job_check_config c)
    GROUP BY l.job_name, l.alert_code, t.alert_text HAVING count(*) > 2;
    GET DIAGNOSTICS v_n = ROW_COUNT;
    v_problems := v_problems + sign(v_n);

    -- Failed runs of active configured jobs past their sensitivity.
    INSERT INTO v1_found (code, status, name, txt)
    SELECT l.alert_code, 'FAILED_RUN', l.job_name, count(*) || ' ' || t.alert_text || ' run(s)'
    FROM job_check_log l
    JOIN job_check_config c ON c.job_name = l.job_name
    JOIN job_status_text t ON t.alert_code = l.alert_code
    WHERE c.active
    GROUP BY l.job_name, l.alert_code, t.alert_text, c.sensitivity HAVING count(*) > c.sensitivity;
    GET DIAGNOSTICS v_n = ROW_COUNT;
    v_problems := v_problems + sign(v_n);

    -- Missing jobs: the newest run of every job name in the history.
    INSERT INTO v1_found (code, status, name, txt, pid)
    SELECT CASE WHEN r.newest IS NULL THEN 3
                WHEN now() - r.newest > c.error_threshold THEN 3
                WHEN now() - r.newest > c.warn_threshold THEN 2
                ELSE 3 END AS code,
           CASE WHEN now() - r.newest > c.warn_threshold OR r.end_time IS NULL THEN 'MISSING' ELSE r.status END,
           c.job_name,
           coalesce('Last completed run: ' || r.last_end, 'Has not completed a run since highest configured monitoring time period'),
           r.pid
    FROM job_check_config c
    LEFT JOIN (
        WITH per_name AS (
            SELECT g.job_name, max(g.start_time) AS newest, max(g.end_time) AS last_end
            FROM job_log g WHERE g.start_time > v_since GROUP BY g.job_name)
        SELECT j.job_name, j.end_time, j.status, j.pid, p.newest, p.last_end
        FROM job_log j JOIN per_name p ON p.job_name = j.job_name AND p.newest = j.start_time
        WHERE j.start_time > v_since) r ON r.job_name = c.job_name
    WHERE c.active AND (now() - r.newest > c.warn_threshold OR r.newest IS NULL)
    ORDER BY code, r.job_name, r.newest;
    GET DIAGNOSTICS v_n = ROW_COUNT;
    v_problems := v_problems + sign(v_n);

    FOR v_job IN
        SELECT j.job_name FROM job_log j
        JOIN job_check_config c ON c.job_name = j.job_name
        JOIN pg_stat_activity a ON a.pid = j.pid
        WHERE c.active AND j.start_time > v_since AND j.end_time IS NULL
          AND now() - j.start_time >= least(c.warn_threshold, c.error_threshold)
    LOOP
        UPDATE v1_found f SET status = 'RUNNING',
            txt = (SELECT coalesce('Currently running. Last completed run: ' || max(j.end_time),
                                   'Currently running. Job has not had a completed run within configured monitoring time period.')
                   FROM job_log j WHERE j.job_name = v_job AND j.start_time > v_since)
        WHERE f.name = v_job;
    END LOOP;

    FOR v_job IN
        SELECT j.job_name FROM job_log j
        JOIN pg_locks k ON k.pid = j.pid
        JOIN pg_stat_activity a ON a.pid = j.pid
        WHERE j.start_time > v_since AND j.end_time IS NULL AND NOT k.granted
    LOOP
        UPDATE v1_found f SET status = 'BLOCKED',
            txt = 'Another transaction has a lock that blocking this job from completing'
        WHERE f.name = v_job;
    END LOOP;

    IF v_problems > 0 THEN
        RETURN QUERY SELECT f.code, f.status, f.name, f.txt FROM v1_found f ORDER BY 1 DESC, 3, 2;
    ELSE
        RETURN QUERY SELECT 1, 'OK'::text, NULL::text, 'All jobs run successfully'::text;
    END IF;
    DROP TABLE v1_found;
END
$$;

-- Median milliseconds of p_runs runs of p_query, after one to warm up.
CREATE FUNCTION bench_v1.median_ms(p_query text, p_runs int) RETURNS numeric
LANGUAGE plpgsql AS $$
DECLARE
    v_start timestamptz;
    v_ms    numeric[] := '{}';
BEGIN
    EXECUTE p_query;
    FOR i IN 1 .. p_runs LOOP
        v_start := clock_timestamp();
        EXECUTE p_query;
        v_ms := v_ms || (extract(epoch FROM clock_timestamp() - v_start) * 1000)::numeric;
    END LOOP;
    RETURN (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY m) FROM unnest(v_ms) m)::numeric(12, 2);
END
$$;
