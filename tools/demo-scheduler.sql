-- The "make demo" tour of the scheduler, run by demo.sh after demo.sql
-- while a dispatcher dispatches in the background (as pg_cron would call it).
\pset footer off
\pset null ''
SET client_min_messages = warning;

\echo
\echo '== The scheduler: three jobs, each run logged as a pg_jobmon job'
\echo
CREATE TABLE public.heartbeat (beat_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE public.load_errors (failed_at timestamptz NOT NULL DEFAULT now(), what text NOT NULL);

-- Every 5 seconds.
SELECT jobmon.create_job('{"name": "demo heartbeat", "cron": "*/5 * * * * *",
                           "commands": "INSERT INTO public.heartbeat DEFAULT VALUES"}') AS heartbeat_id \gset
-- Fails every time (qty must be positive); onrollback records the failure.
SELECT jobmon.create_job($${"name": "demo failing load", "cron": "2/5 * * * * *",
                            "commands": ["SELECT count(*) FROM public.orders",
                                         "INSERT INTO public.orders VALUES (1, -1)"],
                            "onrollback": "INSERT INTO public.load_errors (what) VALUES ('orders load failed')"}$$) AS failing_id \gset
-- One date to start; after each run, next_time_statement picks the next time.
SELECT jobmon.create_job(jsonb_build_object(
    'name', 'demo self-scheduling',
    'dates', now() + interval '3 seconds',
    'commands', 'SELECT count(*) FROM public.heartbeat',
    'next_time_statement', $$SELECT now() + CASE current_setting('pg_jobmon.transaction_state')
                                              WHEN 'success' THEN interval '4 seconds'
                                              ELSE interval '1 minute' END$$)) AS adaptive_id \gset

SELECT job_id, name, array_to_string(commands, ' / ') AS commands, crons, dates FROM jobmon.jobmon_my_jobs ORDER BY job_id;

\echo '== Waiting (at most 30 seconds) until each job has run three times...'
-- Runs that ended with a job_log row: those are the ones check_job_status sees.
DO $$
DECLARE
    v_until timestamptz := clock_timestamp() + interval '30 seconds';
BEGIN
    WHILE clock_timestamp() < v_until AND EXISTS (
        SELECT FROM jobmon.jobmon_my_jobs j
        WHERE j.name LIKE 'demo %'
          AND (SELECT count(*) FROM jobmon.jobmon_my_log r
               WHERE r.job_id = j.job_id AND r.log_id IS NOT NULL
                 AND r.status NOT IN ('waiting', 'starting', 'running')) < 3)
    LOOP
        PERFORM pg_sleep(0.2);
    END LOOP;
END $$;
-- Stop the background tick: the picture below no longer changes.
SELECT jobmon.jobmon_stop() \g /dev/null

\echo
\echo '== jobmon_timers: next and last run of each job'
SELECT job_name, schedule, last_status, time_since, time_left FROM jobmon.jobmon_timers;

\echo '== jobmon_my_log joined with job_detail through log_id: the runs and their steps'
SELECT r.run_id, r.job_name, r.status AS run_status, to_char(r.started_at, 'HH24:MI:SS.MS') AS started,
       d.action AS step, d.status AS step_status, d.message
FROM jobmon.jobmon_my_log r
LEFT JOIN jobmon.job_detail d ON d.job_id = r.log_id
WHERE r.job_name LIKE 'demo %'
ORDER BY r.run_id, d.step_id;

\echo '== jobmon_event: the error of a failed run, with the fields of a PostgreSQL error'
SELECT e.severity, e.sqlstate, e.message, e.table_name, e.constraint_name
FROM jobmon.jobmon_my_log r JOIN jobmon.jobmon_event e ON e.job_id = r.log_id
WHERE r.job_id = :failing_id
ORDER BY e.event_id LIMIT 1;

\echo '== what the jobs did: heartbeats, and failures recorded by onrollback'
SELECT (SELECT count(*) FROM public.heartbeat) AS heartbeats,
       (SELECT count(*) FROM public.load_errors) AS load_errors_recorded;

\echo '== check_job_status: the failing job alerts like any failing logged job'
SELECT * FROM jobmon.check_job_status();
