-- Retention that nothing stops: a row it cannot delete (a foreign key of
-- an application's to it) costs a WARNING, not the dispatcher, and never
-- keeps the other rows; a job left open in a live session does not stop
-- log_retention for the others, and goes once closed; the newest row of a
-- monitored job stays, so that check_job_status() still sees its last run.
-- A round commits after each batch: this file commits, names its rows
-- R78 and deletes them at the end.  Old rows are made by back-dating.
\ir ../setup.sql
\ir ../scheduler.sql

SELECT pg_temp.test_cleanup('r78_') \g /dev/null
DELETE FROM jobmon.job_log WHERE job_name LIKE 'R78%';
DELETE FROM jobmon.job_check_config WHERE job_name LIKE 'R78%';
SELECT jobmon.jobmon_config_reset(s) FROM unnest('{run_retention,audit_retention,log_retention}'::text[]) s \g /dev/null
CREATE FUNCTION pg_temp.walk_again() RETURNS void LANGUAGE sql AS $$
    UPDATE jobmon.jobmon_dispatcher_state
    SET log_retention_time = NULL, log_retention_id = NULL, log_retention_kept_time = NULL, log_retention_kept_id = NULL
$$;
SELECT pg_temp.walk_again() \g /dev/null

SELECT dblink_connect('s78', format('dbname=%s host=%s port=%s', current_database(),
    btrim(split_part(current_setting('unix_socket_directories'), ',', 1)), current_setting('port'))) \g /dev/null

SELECT plan(13);

-------------------------------------------------------------------------------
-- A logged job that an application's table refers to, and others after it.
DROP TABLE IF EXISTS public.r78_batches;
CREATE TABLE public.r78_batches (job_id bigint REFERENCES jobmon.job_log (job_id));
INSERT INTO jobmon.job_log (owner, job_name, start_time, end_time, status, pid)
VALUES (current_user, 'R78 KEPT BY FK', now() - interval '2 days', now() - interval '2 days', 'OK', 0)
RETURNING job_id AS fk_log \gset
INSERT INTO public.r78_batches VALUES (:fk_log);
INSERT INTO jobmon.job_log (owner, job_name, start_time, end_time, status, pid)
SELECT current_user, 'R78 OLD', now() - interval '2 days' + i * interval '1 second', now() - interval '2 days', 'OK', 0
FROM generate_series(1, 5) i;
SELECT jobmon.jobmon_config_set('log_retention', '1 day') \g /dev/null
UPDATE jobmon.jobmon_dispatcher_state SET retention_at = NULL;
SELECT dblink_exec('s78', 'SET client_min_messages = error') \g /dev/null
SELECT lives_ok($$SELECT dblink_exec('s78', 'CALL jobmon.jobmon_dispatch(''1 second'')')$$,
                'the dispatcher runs on when retention meets a row it cannot delete');
SELECT is((SELECT count(*)::int FROM jobmon.job_log WHERE job_name = 'R78 OLD'), 0,
          'the other old logged jobs are deleted');
SELECT is((SELECT count(*)::int FROM jobmon.job_log WHERE job_id = :fk_log), 1, 'that row stays');
-- The walk went past it: new old rows after it are deleted too.
INSERT INTO jobmon.job_log (owner, job_name, start_time, end_time, status, pid)
VALUES (current_user, 'R78 OLD', now() - interval '1 day 1 hour', now() - interval '1 day 1 hour', 'OK', 0);
CALL jobmon._retention_round(clock_timestamp() + interval '10 minutes', 10) \gset
SELECT ok(:'p_finished'::boolean AND NOT EXISTS (SELECT FROM jobmon.job_log WHERE job_name = 'R78 OLD'),
          'later rounds finish and delete the rows after it');

-- A run whose log the application's table refers to goes without it; the
-- other runs go with their logs.
SELECT jobmon.create_job('{"name": "r78_periodic", "commands": "SELECT 1"}') AS job \gset
WITH logs AS (
    INSERT INTO jobmon.job_log (owner, job_name, start_time, end_time, status, pid)
    SELECT current_user, 'R78_PERIODIC', now() - interval '2 hours', now() - interval '2 hours', 'OK', 0
    FROM generate_series(1, 3)
    RETURNING job_id)
INSERT INTO jobmon.jobmon_run (job_id, job_name, owner, run_as, due_at, status, log_id, started_at, finished_at)
SELECT :job, 'r78_periodic', current_user, current_user, now() - interval '2 hours', 'success', l.job_id,
       now() - interval '2 hours', now() - interval '2 hours'
FROM logs l;
INSERT INTO public.r78_batches SELECT min(log_id) FROM jobmon.jobmon_run WHERE job_id = :job;
SELECT jobmon.jobmon_config_set('run_retention', '1 hour') \g /dev/null
SET client_min_messages = error;
CALL jobmon._retention_round(clock_timestamp() + interval '10 minutes', 10) \gset
RESET client_min_messages;
SELECT ok(:'p_finished'::boolean AND NOT EXISTS (SELECT FROM jobmon.jobmon_run WHERE job_id = :job),
          'a run whose log cannot be deleted is deleted without it');
SELECT is((SELECT array_agg(job_name) FROM jobmon.job_log
           WHERE job_name = 'R78_PERIODIC' OR job_id IN (SELECT job_id FROM public.r78_batches)),
          '{R78 KEPT BY FK,R78_PERIODIC}', 'the other runs'' logs are deleted with them');
SELECT jobmon.jobmon_config_reset('run_retention') \g /dev/null
DROP TABLE public.r78_batches;

-------------------------------------------------------------------------------
-- A job open in a live session (another one's: Bob's), then five closed
-- ones (Alice's) as old: log_retention 1 second.
SELECT pg_temp.walk_again() \g /dev/null
SELECT t.job_id AS bob FROM dblink('s78', 'SELECT jobmon.add_job(''R78 BOB NEVER CLOSES'')') AS t(job_id bigint) \gset
INSERT INTO jobmon.job_log (owner, job_name, start_time, end_time, status, pid)
SELECT current_user, 'R78 ALICE ' || i, l.start_time + i * interval '1 millisecond', now(), 'OK', 0
FROM generate_series(1, 5) i, jobmon.job_log l WHERE l.job_id = :bob;
SELECT jobmon.jobmon_config_set('log_retention', '1 second') \g /dev/null
SELECT ok(pg_temp.wait_until(format($$SELECT start_time < clock_timestamp() - interval '1.1 seconds' FROM jobmon.job_log WHERE job_id = %s$$, :bob)),
          'the jobs are older than log_retention');
CALL jobmon._retention_round(clock_timestamp() + interval '10 minutes', 1000) \gset
SELECT is((SELECT count(*)::int FROM jobmon.job_log WHERE job_name LIKE 'R78 ALICE%'), 0,
          'closed jobs after a job open in a live session are deleted');
SELECT is((SELECT count(*)::int FROM jobmon.job_log WHERE job_id = :bob), 1, 'the open one stays');
SELECT * FROM dblink('s78', format('SELECT jobmon.close_job(%s)::text', :bob)) AS t(x text) \g /dev/null
CALL jobmon._retention_round(clock_timestamp() + interval '10 minutes', 1000) \gset
SELECT is((SELECT count(*)::int FROM jobmon.job_log WHERE job_id = :bob), 0,
          'once closed, the next round deletes it');

-------------------------------------------------------------------------------
-- A weekly job, monitored, that last ran two days ago; log_retention a day.
SELECT pg_temp.walk_again() \g /dev/null
INSERT INTO jobmon.job_check_config (job_name, warn_threshold, error_threshold, active, sensitivity)
VALUES ('r78 weekly report', '8 days', '9 days', true, 0);
INSERT INTO jobmon.job_log (owner, job_name, start_time, end_time, status, pid)
VALUES (current_user, 'R78 WEEKLY REPORT', now() - interval '9 days', now() - interval '9 days', 'OK', 0),
       (current_user, 'R78 WEEKLY REPORT', now() - interval '2 days', now() - interval '2 days', 'OK', 0);
SELECT job_id AS weekly_last FROM jobmon.job_log WHERE job_name = 'R78 WEEKLY REPORT' ORDER BY start_time DESC LIMIT 1 \gset
SELECT jobmon.jobmon_config_set('log_retention', '1 day') \g /dev/null
CALL jobmon._retention_round(clock_timestamp() + interval '10 minutes', 1000) \gset
SELECT is((SELECT array_agg(job_id) FROM jobmon.job_log WHERE job_name = 'R78 WEEKLY REPORT'), ARRAY[:weekly_last::bigint],
          'log_retention keeps the newest run of a monitored job, and only that');
SELECT is((SELECT count(*)::int FROM jobmon.check_job_status() WHERE job_name = 'R78 WEEKLY REPORT'), 0,
          'so check_job_status() does not report it missing');
-- It ran again (a day and an hour ago): the run before is no longer needed.
INSERT INTO jobmon.job_log (owner, job_name, start_time, end_time, status, pid)
VALUES (current_user, 'R78 WEEKLY REPORT', now() - interval '1 day 1 hour', now() - interval '1 day 1 hour', 'OK', 0)
RETURNING job_id AS weekly_next \gset
CALL jobmon._retention_round(clock_timestamp() + interval '10 minutes', 1000) \gset
SELECT is((SELECT array_agg(job_id) FROM jobmon.job_log WHERE job_name = 'R78 WEEKLY REPORT'), ARRAY[:weekly_next::bigint],
          'once the job has run again, the next round deletes the run before and keeps the new one');

SELECT * FROM finish();

SELECT dblink_disconnect('s78') \g /dev/null
SELECT jobmon.jobmon_config_reset(s) FROM unnest('{run_retention,audit_retention,log_retention}'::text[]) s \g /dev/null
SELECT pg_temp.test_cleanup('r78_') \g /dev/null
DELETE FROM jobmon.job_log WHERE job_name LIKE 'R78%';
DELETE FROM jobmon.job_check_config WHERE job_name LIKE 'R78%';
SELECT pg_temp.walk_again() \g /dev/null
