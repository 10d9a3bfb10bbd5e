-- A job's commands have no client.  COPY TO STDOUT and COPY FROM STDIN in a
-- job would reach the postmaster's own stdout and stdin (a forged line in
-- the server log, or an empty read reported as success): they fail, with
-- SQLSTATE 0A000 recorded as an event of the step, before anything of the
-- command string runs.  COPY to or from the client nested in PL/pgSQL or in
-- an SQL function is refused by PostgreSQL itself; that is checked too, as
-- are onrollback and next_time_statement.  COPY to a file still works.
-- Workers only see committed jobs: this file commits (see scheduler.sql).
\ir ../setup.sql
\ir ../scheduler.sql

-- Left over by an interrupted earlier run of this file.
SELECT pg_temp.test_cleanup('sec20_copy_') \g /dev/null
DROP TABLE IF EXISTS public.sec20_copy_t;
DROP FUNCTION IF EXISTS public.sec20_copy_sql_fn();
DELETE FROM jobmon.job_check_log WHERE job_name LIKE 'SEC20\_COPY\_%';
DELETE FROM jobmon.job_log WHERE job_name LIKE 'SEC20\_COPY\_%';

CREATE TABLE public.sec20_copy_t (x integer);
-- COPY to the client inside an SQL function, which PostgreSQL refuses at run time.
CREATE FUNCTION public.sec20_copy_sql_fn() RETURNS void LANGUAGE sql AS $$COPY (SELECT 1) TO STDOUT$$;

-- Create a job (run as this superuser), run it once and wait for the end:
-- the run's id.  A procedure, to commit the job and the run before waiting.
CREATE PROCEDURE pg_temp.run_once(p_options jsonb, INOUT run bigint DEFAULT NULL) LANGUAGE plpgsql AS $$
BEGIN
    run := jobmon.run_job(jobmon.create_job(p_options));
    COMMIT;
    PERFORM jobmon.wait_for_run(run, '30 seconds');
END
$$;
-- (severity, sqlstate, message) of the events of a run's steps, in order.
CREATE FUNCTION pg_temp.events(p_run_id bigint)
RETURNS TABLE (action text, severity text, sqlstate text, message text) LANGUAGE sql AS $$
    SELECT d.action, e.severity, e.sqlstate, e.message FROM jobmon.jobmon_event e
    JOIN jobmon.job_detail d ON d.step_id = e.step_id
    JOIN jobmon.jobmon_run r ON r.log_id = e.job_id WHERE r.run_id = p_run_id ORDER BY e.event_id
$$;
CREATE FUNCTION pg_temp.run_status(p_run_id bigint) RETURNS text LANGUAGE sql AS $$
    SELECT r.status FROM jobmon.jobmon_run r WHERE r.run_id = p_run_id
$$;

SELECT plan(21);
SELECT pg_temp.tick_start() \g /dev/null

-- The server log of the private test cluster (tools/cluster.sh: the data
-- directory's path plus .log), and how much of it there is before the jobs
-- run (-1 where the log is elsewhere).
SELECT current_setting('data_directory') || '.log' AS server_log \gset
SELECT coalesce((pg_stat_file(:'server_log', true)).size, -1) AS log_start \gset

-------------------------------------------------------------------------------
-- COPY TO STDOUT: the marker below would have been written into whatever the
-- postmaster's stdout is (often the server log).  The command does not
-- contain the marker as one string, so only COPY's output could.
CALL pg_temp.run_once(jsonb_build_object('name', 'sec20_copy_to_stdout',
    'commands', $$COPY (SELECT 'sec20 forged ' || 'postmaster PANIC line') TO STDOUT$$)) \gset
SELECT is(pg_temp.run_status(:run), 'failure', 'a job with COPY ... TO STDOUT fails');
SELECT results_eq(format('SELECT action, severity, sqlstate, message FROM pg_temp.events(%s)', :run),
    $$VALUES ($c$COPY (SELECT 'sec20 forged ' || 'postmaster PANIC line') TO STDOUT$c$, 'ERROR', '0A000',
              'COPY to or from a client is not possible in a job')$$,
    'its step records the error: SQLSTATE 0A000, a COPY to or from a client is not possible in a job');
SELECT is((SELECT e.detail FROM jobmon.jobmon_event e JOIN jobmon.jobmon_run r ON r.log_id = e.job_id
           WHERE r.run_id = :run),
          'A job runs in a background worker, which has no client: the command contains COPY TO STDOUT.',
          'the detail says why, and which COPY');
SELECT is((SELECT d.status FROM jobmon.job_detail d JOIN jobmon.jobmon_run r ON r.log_id = d.job_id
           WHERE r.run_id = :run), 'CRITICAL', 'the step is CRITICAL');
-- What the log got since the jobs ran (the pattern is built, so that no
-- statement logged with an error can contain it).
SELECT CASE WHEN :log_start < 0
            THEN skip('the server log is not at ' || :'server_log', 1)
            ELSE unalike(pg_read_file(:'server_log', :log_start, (pg_stat_file(:'server_log')).size - :log_start),
                         '%sec20 forged ' || 'postmaster PANIC line%',
                         'the server log got no line written by the COPY')
       END;

-------------------------------------------------------------------------------
-- COPY FROM STDIN: a read from nowhere must not pass for an empty load.
CALL pg_temp.run_once(jsonb_build_object('name', 'sec20_copy_from_stdin',
    'commands', 'COPY public.sec20_copy_t FROM STDIN')) \gset
SELECT is(pg_temp.run_status(:run), 'failure', 'a job with COPY ... FROM STDIN fails');
SELECT results_eq(format('SELECT severity, sqlstate, message FROM pg_temp.events(%s)', :run),
    $$VALUES ('ERROR', '0A000', 'COPY to or from a client is not possible in a job')$$,
    'its step records the error with SQLSTATE 0A000');
SELECT is((SELECT e.detail FROM jobmon.jobmon_event e JOIN jobmon.jobmon_run r ON r.log_id = e.job_id
           WHERE r.run_id = :run),
          'A job runs in a background worker, which has no client: the command contains COPY FROM STDIN.',
          'the detail names COPY FROM STDIN');
SELECT isnt((SELECT d.message FROM jobmon.job_detail d JOIN jobmon.jobmon_run r ON r.log_id = d.job_id
             WHERE r.run_id = :run), '0 rows', 'the step does not report an empty load');

-------------------------------------------------------------------------------
-- COPY in the second statement of a string: the first does not run either.
CALL pg_temp.run_once(jsonb_build_object('name', 'sec20_copy_second',
    'commands', 'INSERT INTO public.sec20_copy_t VALUES (1); COPY public.sec20_copy_t TO STDOUT')) \gset
SELECT is(pg_temp.run_status(:run), 'failure', 'a string whose second statement is COPY ... TO STDOUT fails');
SELECT results_eq(format('SELECT sqlstate FROM pg_temp.events(%s)', :run), $$VALUES ('0A000')$$,
                  'with SQLSTATE 0A000');
SELECT is((SELECT count(*)::int FROM public.sec20_copy_t), 0, 'and its first statement left nothing');

-------------------------------------------------------------------------------
-- Nested COPY: PL/pgSQL (DO, EXECUTE) and SQL functions refuse it themselves.
CALL pg_temp.run_once(jsonb_build_object('name', 'sec20_copy_do',
    'commands', $q$DO $d$BEGIN EXECUTE 'COPY (SELECT 1) TO STDOUT'; END$d$$q$)) \gset
SELECT is(pg_temp.run_status(:run), 'failure', 'COPY ... TO STDOUT inside EXECUTE in a DO block fails');
SELECT results_eq(format('SELECT severity, sqlstate FROM pg_temp.events(%s)', :run), $$VALUES ('ERROR', '0A000')$$,
                  'PL/pgSQL refuses it with SQLSTATE 0A000, recorded as an event');
CALL pg_temp.run_once(jsonb_build_object('name', 'sec20_copy_sql_fn',
    'commands', 'SELECT public.sec20_copy_sql_fn()')) \gset
SELECT is(pg_temp.run_status(:run), 'failure', 'COPY ... TO STDOUT in an SQL function fails');
SELECT results_eq(format('SELECT severity, sqlstate FROM pg_temp.events(%s)', :run), $$VALUES ('ERROR', '0A000')$$,
                  'with SQLSTATE 0A000, recorded as an event');

-------------------------------------------------------------------------------
-- onrollback and next_time_statement have no client either.
CALL pg_temp.run_once(jsonb_build_object('name', 'sec20_copy_onrollback', 'commands', 'SELECT 1/0',
    'onrollback', 'COPY (SELECT 1) TO STDOUT')) \gset
SELECT results_eq(format('SELECT action, sqlstate FROM pg_temp.events(%s)', :run),
    $$VALUES ('SELECT 1/0', '22012'), ('onrollback: COPY (SELECT 1) TO STDOUT', '0A000')$$,
    'an onrollback with COPY ... TO STDOUT fails with SQLSTATE 0A000');
CALL pg_temp.run_once(jsonb_build_object('name', 'sec20_copy_next_time', 'cron', '0 0 1 1 *', 'commands', 'SELECT 1',
    'next_time_statement', 'COPY (SELECT now()) TO STDOUT')) \gset
SELECT is(pg_temp.run_status(:run), 'success', 'a job whose next_time_statement is COPY ... TO STDOUT runs');
SELECT is((SELECT broken_reason FROM jobmon.jobmon_job WHERE name = 'sec20_copy_next_time'),
          'next_time_statement failed: COPY to or from a client is not possible in a job',
          'but the job is broken, and the reason says why');

-------------------------------------------------------------------------------
-- COPY to a file on the server is not a client's: it still works, with the
-- privileges it needs (this job runs as the superuser).
CALL pg_temp.run_once(jsonb_build_object('name', 'sec20_copy_to_file',
    'commands', $$COPY (SELECT 1) TO '/dev/null'$$)) \gset
SELECT is(pg_temp.run_status(:run), 'success', 'a job with COPY ... TO a file on the server succeeds');
SELECT is((SELECT d.message FROM jobmon.job_detail d JOIN jobmon.jobmon_run r ON r.log_id = d.job_id
           WHERE r.run_id = :run), '1 row', 'and its step counts the row');

-------------------------------------------------------------------------------
CALL pg_temp.tick_stop();
SELECT pg_temp.test_cleanup('sec20_copy_') \g /dev/null
SELECT * FROM finish();
DELETE FROM jobmon.job_check_log WHERE job_name LIKE 'SEC20\_COPY\_%';
DROP TABLE public.sec20_copy_t;
DROP FUNCTION public.sec20_copy_sql_fn();
