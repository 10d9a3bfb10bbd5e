-- A worker terminated in the middle of a command: the dispatcher closes the
-- run, and with it the step the worker was in (never left open, without a
-- status), and every time it records is in order (no negative duration),
-- even when its pass began before the worker's last writes.
\ir ../setup.sql
\ir ../scheduler.sql

SELECT pg_temp.test_cleanup('r75_') \g /dev/null
SELECT plan(6);
SELECT pg_temp.tick_start() \g /dev/null

SELECT jobmon.create_job($${"name": "r75_killed", "commands": ["SELECT 1", "SELECT pg_sleep(60)"]}$$) AS job \gset
SELECT jobmon.run_job(:job) AS run \gset
SELECT ok(pg_temp.wait_until(format(
    $$SELECT EXISTS (SELECT FROM jobmon.job_detail d JOIN jobmon.jobmon_run r ON r.log_id = d.job_id
                     WHERE r.run_id = %s AND d.action LIKE '%%pg_sleep%%')$$, :run)),
    'the run is in its second command');
SELECT ok(pg_terminate_backend(pid), 'its worker is terminated') FROM jobmon.jobmon_run WHERE run_id = :run;
SELECT is(jobmon.wait_for_run(:run, '30 seconds'), 'failure', 'the dispatcher closes the run as failed');

SELECT results_eq(format($$SELECT d.status FROM jobmon.job_detail d JOIN jobmon.jobmon_run r ON r.log_id = d.job_id
                           WHERE r.run_id = %s ORDER BY d.step_id$$, :run),
                  $$VALUES ('OK'), ('CRITICAL'), ('CRITICAL')$$,
                  'the step the worker was in is closed as CRITICAL, before the ''worker vanished'' step');
SELECT is((SELECT count(*) FROM jobmon.job_detail d JOIN jobmon.jobmon_run r ON r.log_id = d.job_id
           WHERE r.run_id = :run AND (d.end_time IS NULL OR d.end_time < d.start_time OR d.elapsed_time < 0)),
          0::bigint, 'every step has an end, none before its start');
SELECT ok((SELECT r.finished_at >= r.started_at AND l.end_time >= l.start_time
           FROM jobmon.jobmon_run r JOIN jobmon.job_log l ON l.job_id = r.log_id WHERE r.run_id = :run),
          'the run and its job_log row end after they start');

CALL pg_temp.tick_stop();
SELECT pg_temp.test_cleanup('r75_') \g /dev/null
SELECT * FROM finish();
