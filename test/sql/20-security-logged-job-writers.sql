-- A logged job is written by whom it belongs to: the role that added it,
-- a member of that role, or a superuser.  Another role that knows its id
-- cannot step, update, end or fail it, nor record events on it (42501),
-- and nothing is written.  (pg_jobmon 1.x let any role write any job.)
-- Roles: s20w_owner adds the job; s20w_member is a member of s20w_owner;
-- s20w_other is neither.  Each has USAGE on the schema, as a role that
-- logs needs.
-- The roles are committed first: the log writer's backend resolves the
-- caller's role, and does not see a role of an uncommitted transaction.
\ir ../setup.sql
DROP ROLE IF EXISTS jobmon_test_s20w_member, jobmon_test_s20w_owner, jobmon_test_s20w_other;
CREATE ROLE jobmon_test_s20w_owner;
CREATE ROLE jobmon_test_s20w_member IN ROLE jobmon_test_s20w_owner;
CREATE ROLE jobmon_test_s20w_other;
GRANT USAGE ON SCHEMA jobmon TO jobmon_test_s20w_owner, jobmon_test_s20w_member, jobmon_test_s20w_other;
BEGIN;
SELECT plan(10);

SET ROLE jobmon_test_s20w_owner;
SELECT jobmon.add_job('s20w job') AS job \gset
SELECT jobmon.add_step(:job, 'first') AS step \gset
RESET ROLE;
-- The job as it is: its row and its steps.
CREATE TEMP TABLE s20w_before AS
    SELECT l.status AS job_status, l.end_time, (SELECT array_agg(d.action || ':' || coalesce(d.status, '-') ORDER BY d.step_id)
                                                FROM jobmon.job_detail d WHERE d.job_id = l.job_id) AS steps,
           (SELECT count(*) FROM jobmon.jobmon_event e WHERE e.job_id = l.job_id) AS events
    FROM jobmon.job_log l WHERE l.job_id = :job;
GRANT SELECT ON s20w_before TO PUBLIC;

SET ROLE jobmon_test_s20w_other;
SELECT throws_ok(format('SELECT jobmon.add_step(%s, %L)', :job, 'forged'), '42501',
                 format('permission denied to write the log of job %s', :job), 'another role cannot add a step');
SELECT throws_ok(format('SELECT jobmon.update_step(%s, %L, %L)', :step, 'CRITICAL', 'forged'), '42501',
                 format('permission denied to write the log of job %s', :job), 'nor update one');
SELECT throws_ok(format('SELECT jobmon.log_event(%s, %L, %L, %L)', :step, 'ERROR', 'XX000', 'forged'), '42501',
                 format('permission denied to write the log of job %s', :job), 'nor record an event');
SELECT throws_ok(format('SELECT jobmon.fail_job(%s)', :job), '42501',
                 format('permission denied to write the log of job %s', :job), 'nor fail the job');
SELECT throws_ok(format('SELECT jobmon.close_job(%s)', :job), '42501',
                 format('permission denied to write the log of job %s', :job), 'nor close it');
RESET ROLE;
SELECT results_eq(
    format($$SELECT l.status, l.end_time, (SELECT array_agg(d.action || ':' || coalesce(d.status, '-') ORDER BY d.step_id)
                                           FROM jobmon.job_detail d WHERE d.job_id = l.job_id),
                    (SELECT count(*) FROM jobmon.jobmon_event e WHERE e.job_id = l.job_id)
             FROM jobmon.job_log l WHERE l.job_id = %s$$, :job),
    'SELECT * FROM s20w_before',
    'nothing of the job was written');

SET ROLE jobmon_test_s20w_member;
SELECT lives_ok(format('SELECT jobmon.update_step(%s, %L, %L)', :step, 'OK', 'by a member'),
                'a member of the role that added the job updates its step');
SELECT lives_ok(format('SELECT jobmon.close_job(%s)', :job), 'and closes it');
RESET ROLE;
SELECT is((SELECT status FROM jobmon.job_log WHERE job_id = :job), 'OK', 'the job is closed');

SELECT jobmon.add_job('s20w other job') AS job2 \gset
SELECT lives_ok(format('SELECT jobmon.fail_job(%s)', :job2), 'a superuser writes any job');

SELECT * FROM finish();
ROLLBACK;
DELETE FROM jobmon.job_log WHERE job_name IN ('S20W JOB', 'S20W OTHER JOB');
REVOKE USAGE ON SCHEMA jobmon FROM jobmon_test_s20w_owner, jobmon_test_s20w_member, jobmon_test_s20w_other;
DROP ROLE jobmon_test_s20w_member, jobmon_test_s20w_owner, jobmon_test_s20w_other;
