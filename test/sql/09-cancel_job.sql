-- cancel_job: cancel the backend running a job, mark its last step CRITICAL
-- naming who cancelled it (in 1.x's words, or 2.x's with text_style = 2.x),
-- and fail the job.
\ir ../setup.sql
BEGIN;
SELECT plan(12);

-- A second session runs a logged job that waits.
SELECT public.dblink_connect('cancel_victim',
    format('dbname=%s port=%s host=%s', current_database(), current_setting('port'),
           split_part(current_setting('unix_socket_directories'), ',', 1))) \g /dev/null
SELECT t.id AS job FROM public.dblink('cancel_victim', 'SELECT jobmon.add_job(''cancel test'')') AS t(id bigint) \gset
SELECT t.id AS step FROM public.dblink('cancel_victim', format('SELECT jobmon.add_step(%s, ''long wait'')', :job)) AS t(id bigint) \gset
SELECT public.dblink_send_query('cancel_victim', 'SELECT pg_sleep(60)') \g /dev/null

-- Wait (bounded) until the victim is inside pg_sleep.
DO $$
DECLARE v_deadline timestamptz := clock_timestamp() + interval '10 seconds';
BEGIN
    WHILE NOT EXISTS (SELECT FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(60)' AND state = 'active') LOOP
        IF clock_timestamp() > v_deadline THEN
            RAISE EXCEPTION 'the victim session never started waiting';
        END IF;
        PERFORM pg_sleep(0.02);
        PERFORM pg_stat_clear_snapshot();
    END LOOP;
END $$;

SELECT is(jobmon.cancel_job(:job), true, 'cancel_job signals the job''s backend');
SELECT * FROM public.dblink_get_result('cancel_victim', false) AS t(x text) \g /dev/null
SELECT ok(public.dblink_error_message('cancel_victim') LIKE '%canceling statement due to user request%',
          'the job''s running statement is cancelled');
SELECT results_eq(format('SELECT status, message FROM jobmon.job_detail WHERE step_id = %s', :step),
                  format($$VALUES ('CRITICAL', 'Manually cancelled via call to jobmon.cancel_job() by %s')$$, current_user),
                  'the last step is CRITICAL and names who cancelled the job, in pg_jobmon 1.x''s words');
SELECT results_eq(format('SELECT status, end_time IS NOT NULL FROM jobmon.job_log WHERE job_id = %s', :job),
                  $$VALUES ('CRITICAL', true)$$, 'the job is failed');
SELECT ok((SELECT count(*) > 0 FROM jobmon.job_check_log WHERE job_id = :job), 'the failure counts for monitoring');
SELECT public.dblink_disconnect('cancel_victim') \g /dev/null

SELECT throws_ok(format('SELECT jobmon.cancel_job(%s)', :job), '55000', format('cannot cancel job %s', :job),
                 'a job that has ended cannot be cancelled');
SELECT throws_ok('SELECT jobmon.cancel_job(0)', '42704', 'job 0 does not exist', 'cancelling a missing job is an error');
SELECT throws_ok('SELECT jobmon.cancel_job(NULL)', '22004', NULL, 'cancel_job(NULL) is an error');

-- A job whose backend is gone is still failed, and cancel_job says no
-- backend was signalled.
SELECT public.dblink_connect('cancel_gone',
    format('dbname=%s port=%s host=%s', current_database(), current_setting('port'),
           split_part(current_setting('unix_socket_directories'), ',', 1))) \g /dev/null
SELECT t.pid AS gone_pid, t.id AS orphan FROM public.dblink('cancel_gone',
    'SELECT pg_backend_pid(), jobmon.add_job(''cancel orphan'')') AS t(pid int, id bigint) \gset
SELECT public.dblink_disconnect('cancel_gone') \g /dev/null
SELECT set_config('cancel.gone_pid', :'gone_pid', true) \g /dev/null
DO $$
DECLARE v_deadline timestamptz := clock_timestamp() + interval '10 seconds';
BEGIN
    WHILE EXISTS (SELECT FROM pg_stat_activity WHERE pid = current_setting('cancel.gone_pid')::int) LOOP
        IF clock_timestamp() > v_deadline THEN
            RAISE EXCEPTION 'the disconnected session never ended';
        END IF;
        PERFORM pg_sleep(0.02);
        PERFORM pg_stat_clear_snapshot();
    END LOOP;
END $$;
SELECT jobmon.jobmon_config_set('text_style', '2.x') \g /dev/null
SELECT is(jobmon.cancel_job(:orphan), false, 'cancel_job returns false when the job''s backend is gone');
SELECT is((SELECT status FROM jobmon.job_log WHERE job_id = :orphan), 'CRITICAL', 'and still fails the job');
SELECT results_eq(format('SELECT action, status, message FROM jobmon.job_detail WHERE job_id = %s', :orphan),
                  format($$VALUES ('Job cancelled', 'CRITICAL', 'Cancelled by role %s through cancel_job()')$$, current_user),
                  'a job without steps gets a step "Job cancelled"; with text_style = 2.x it says who in 2.x''s words');
SELECT throws_ok($$SELECT jobmon.jobmon_config_set('text_style', '3.x')$$, '22023',
                 'invalid value for setting "text_style": "3.x"', 'text_style takes only 1.x or 2.x');

SELECT * FROM finish();
ROLLBACK;
