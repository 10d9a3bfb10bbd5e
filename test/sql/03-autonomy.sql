-- Autonomy: log rows commit on their own and survive the caller's rollback
-- or error; one logging connection per session is reused; a killed logging
-- connection is replaced on the next call.
\ir ../setup.sql
SELECT jobmon._log_disconnect() \g /dev/null
BEGIN;
SELECT plan(14);

-- A whole transaction of another session that logs and rolls back.
SELECT public.dblink_connect('autonomy_caller',
    format('dbname=%s port=%s host=%s', current_database(), current_setting('port'),
           split_part(current_setting('unix_socket_directories'), ',', 1))) \g /dev/null
SELECT public.dblink_exec('autonomy_caller', 'BEGIN') \g /dev/null
SELECT t.id AS other_job FROM public.dblink('autonomy_caller',
    'SELECT jobmon.add_job(''autonomy other session'')') AS t(id bigint) \gset
SELECT * FROM public.dblink('autonomy_caller', 'SELECT jobmon.add_step(' || :other_job || ', ''rolled back'')') AS t(id bigint) \g /dev/null
SELECT public.dblink_exec('autonomy_caller', 'ROLLBACK') \g /dev/null
SELECT public.dblink_disconnect('autonomy_caller') \g /dev/null
SELECT is((SELECT count(*)::int FROM jobmon.job_detail WHERE job_id = :other_job AND action = 'rolled back'), 1,
          'a job and step logged in a transaction that rolled back are kept');

SAVEPOINT caller_work;
SELECT jobmon.add_job('autonomy rollback') AS job \gset
SELECT jobmon.add_step(:job, 'written inside the transaction') AS step \gset
SELECT jobmon.update_step(:step, 'OK', 'before the rollback') \g /dev/null
SELECT jobmon.close_job(:job) \g /dev/null

-- The rows are visible to another session before this transaction ends.
SELECT is((SELECT n FROM public.dblink(
              format('dbname=%s port=%s host=%s', current_database(), current_setting('port'),
                     split_part(current_setting('unix_socket_directories'), ',', 1)),
              format('SELECT count(*) FROM jobmon.job_detail WHERE job_id = %s AND status = ''OK''', :job))
           AS t(n bigint)), 1::bigint,
          'another session sees the step before the caller commits');

-- The connection is opened once and reused.
SELECT isnt((SELECT pid FROM jobmon._log_connection_info()), NULL, 'the session has its logging connection');
SELECT pid AS log_pid FROM jobmon._log_connection_info() \gset
SELECT jobmon.add_step(:job, 'one more') \g /dev/null
SELECT jobmon.add_step(:job, 'and another') \g /dev/null
SELECT is((SELECT pid FROM jobmon._log_connection_info()), :log_pid,
          'later calls reuse the same logging backend');
SELECT is((SELECT count(*)::int FROM pg_stat_activity
           WHERE application_name = 'pg_jobmon log writer' AND pid = :log_pid), 1,
          'the logging backend names itself in pg_stat_activity');
ROLLBACK TO SAVEPOINT caller_work;

SELECT results_eq(format('SELECT status FROM jobmon.job_log WHERE job_id = %s', :job), $$VALUES ('OK')$$,
                  'the job survives the rollback of the caller''s work');
SELECT is((SELECT count(*)::int FROM jobmon.job_detail WHERE job_id = :job), 3,
          'its steps survive the rollback of the caller''s work');

-- An error in the caller, after logging, loses nothing either.
SELECT throws_ok($$
    DO $do$
    DECLARE v_job bigint;
    BEGIN
        v_job := jobmon.add_job('autonomy error');
        PERFORM jobmon.add_step(v_job, 'about to fail');
        PERFORM 1 / 0;
    END $do$ $$, '22012', NULL, 'the caller fails after logging');
SELECT is((SELECT count(*)::int FROM jobmon.job_log j JOIN jobmon.job_detail d USING (job_id)
           WHERE j.job_name = 'AUTONOMY ERROR' AND d.action = 'about to fail'
             AND j.pid = pg_backend_pid() AND j.start_time >= now()), 1,
          'a job logged by a statement that then failed is kept with its step');

-- Kill the logging backend: the next call reconnects once and succeeds.
SELECT pid AS log_pid FROM jobmon._log_connection_info() \gset
SELECT ok(pg_terminate_backend(:log_pid, 10000), 'the logging backend is terminated');
SELECT lives_ok(format('SELECT jobmon.add_step(%s, ''after the kill'')', :job),
                'the next logging call succeeds after the connection was killed');
SELECT isnt((SELECT pid FROM jobmon._log_connection_info()), :log_pid,
            'it runs on a new logging backend');
SELECT is((SELECT count(*)::int FROM jobmon.job_detail WHERE job_id = :job AND action = 'after the kill'), 1,
          'the write after the reconnect is logged exactly once');
-- A connection closed by the caller is reopened as well.
SELECT jobmon._log_disconnect() \g /dev/null
SELECT lives_ok(format('SELECT jobmon.close_job(%s)', :job), 'a logging call reopens a connection the caller closed');

SELECT * FROM finish();
ROLLBACK;
