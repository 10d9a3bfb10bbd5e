-- A non-superuser logs after the two grants the documentation names (its
-- logging connection logs in as the extension's owner, the job is the
-- role's), and it cannot rewrite the log or the settings.
\ir ../setup.sql
SELECT jobmon._log_disconnect() \g /dev/null
DROP ROLE IF EXISTS jobmon_test_alice;
CREATE ROLE jobmon_test_alice LOGIN;
-- The grants doc/pg_jobmon.md names for a role that logs:
GRANT USAGE ON SCHEMA jobmon TO jobmon_test_alice;
GRANT SELECT ON ALL TABLES IN SCHEMA jobmon TO jobmon_test_alice;

BEGIN;
SELECT plan(11);
SET SESSION AUTHORIZATION jobmon_test_alice;

SELECT jobmon.add_job('alice job') AS job \gset
SELECT ok(:job > 0, 'a non-superuser starts a job');
SELECT jobmon.add_step(:job, 'alice step') AS step \gset
SELECT lives_ok(format('SELECT jobmon.update_step(%s, ''OK'', ''fine'')', :step), 'updates a step');
SELECT lives_ok(format('SELECT jobmon.close_job(%s)', :job), 'closes the job');
SELECT results_eq(format('SELECT owner, status FROM jobmon.job_log WHERE job_id = %s', :job),
                  $$VALUES ('jobmon_test_alice', 'OK')$$, 'the job is owned by the role and closed');
RESET SESSION AUTHORIZATION;
SELECT is((SELECT a.usename::text FROM pg_stat_activity a JOIN jobmon._log_connection_info() i ON a.pid = i.pid),
          (SELECT pg_get_userbyid(extowner)::text FROM pg_extension WHERE extname = 'pg_jobmon'),
          'the logging connection logs in as the extension''s owner, not as the role');
SET SESSION AUTHORIZATION jobmon_test_alice;
SELECT ok(jobmon.sql_job('alice sql job', 'SELECT 1') LIKE 'Job logged with job id: %', 'sql_job works');
SELECT ok((SELECT count(*) > 0 FROM jobmon.check_job_status()), 'check_job_status works');

SELECT throws_ok(format('UPDATE jobmon.job_log SET status = ''OK'' WHERE job_id = %s', :job), '42501', NULL,
                 'the role cannot rewrite the log directly');
SELECT throws_ok('DELETE FROM jobmon.job_detail', '42501', NULL, 'nor delete from it');
SELECT throws_ok($$SELECT jobmon.jobmon_config_set('log_user', 'postgres')$$, '42501',
                 'permission denied to change pg_jobmon settings', 'nor change the settings');
SELECT is((SELECT count(*)::int FROM information_schema.columns
           WHERE table_schema = 'jobmon' AND column_name ~* 'pass|pwd|secret'), 0,
          'no table of the extension holds a password');

RESET SESSION AUTHORIZATION;
SELECT * FROM finish();
ROLLBACK;
SELECT jobmon._log_disconnect() \g /dev/null
REVOKE ALL ON ALL TABLES IN SCHEMA jobmon FROM jobmon_test_alice;
REVOKE USAGE ON SCHEMA jobmon FROM jobmon_test_alice;
DROP ROLE jobmon_test_alice;
