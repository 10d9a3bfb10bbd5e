-- cancel_job() checks before it writes: a role that is neither the owner
-- of a run's job, its run_as role nor a superuser cannot cancel the run
-- through its logged job (jobmon_run.log_id).  It gets 42501, and the run's
-- job_log row and steps are left as they were: same rows, same statuses,
-- no "Cancelled by role" text, the run still running.  Tried from the
-- role's own connection, and after SET ROLE in a superuser's session: the
-- role does not read another role's log, so for it the job does not exist
-- (42704, as for the scheduler's ids: ids do not leak).  A role that reads
-- every logged job (pg_monitor) but is not the job's gets 42501.
-- Then the owner cancels the run, which shows that the run could be.
--
-- Roles (both log in):
--  - jobmon_test_sec_cj_owner: allowed to schedule (grant_scheduler); owns
--    the job, which runs as it;
--  - jobmon_test_sec_cj_other.
-- Both have the grants of a role that logs (doc/pg_jobmon.md: USAGE on
-- schema jobmon, SELECT on its tables), which cancel_job() needs.
-- Workers only see committed jobs: this file commits (see scheduler.sql).
\ir ../setup.sql
\ir ../scheduler.sql
\ir ../security.sql

-- Left over by an interrupted earlier run of this file.
SELECT pg_cancel_backend(r.pid) FROM jobmon.jobmon_run r
WHERE r.job_name LIKE 'sec20\_cj\_%' AND r.status = 'running' \g /dev/null
SELECT pg_temp.wait_until($$SELECT NOT EXISTS (SELECT FROM jobmon.jobmon_run r
                            WHERE r.job_name LIKE 'sec20\_cj\_%' AND r.status IN ('starting', 'running'))$$) \g /dev/null
SELECT pg_temp.test_cleanup('sec20_cj_') \g /dev/null
DELETE FROM jobmon.job_check_log WHERE job_name LIKE 'SEC20\_CJ\_%';
DELETE FROM jobmon.job_log WHERE job_name LIKE 'SEC20\_CJ\_%';
SELECT pg_temp.drop_test_roles(ARRAY['jobmon_test_sec_cj_owner', 'jobmon_test_sec_cj_other']) \g /dev/null

CREATE ROLE jobmon_test_sec_cj_owner LOGIN;
CREATE ROLE jobmon_test_sec_cj_other LOGIN;
SELECT jobmon.grant_scheduler('jobmon_test_sec_cj_owner') \g /dev/null
GRANT USAGE ON SCHEMA jobmon TO jobmon_test_sec_cj_owner, jobmon_test_sec_cj_other;
GRANT SELECT ON ALL TABLES IN SCHEMA jobmon TO jobmon_test_sec_cj_owner, jobmon_test_sec_cj_other;

-- Whether any step of the logged job says that someone cancelled it.
CREATE FUNCTION pg_temp.says_cancelled(p_job_id bigint) RETURNS boolean LANGUAGE sql AS $$
    SELECT EXISTS (SELECT FROM jobmon.job_detail d WHERE d.job_id = p_job_id
                   AND (d.message LIKE '%Cancelled by role%' OR d.message LIKE 'Manually cancelled via call to %'))
$$;

SELECT plan(16);
SELECT pg_temp.tick_start() \g /dev/null

-- The owner's job sleeps; wait until it is running its step.
SET ROLE jobmon_test_sec_cj_owner;
SELECT jobmon.run_job(jobmon.create_job(jsonb_build_object('name', 'sec20_cj_sleep',
    'commands', 'SELECT pg_sleep(60)', 'max_run_time', '2 minutes'))) AS run \gset
RESET ROLE;
SELECT ok(pg_temp.wait_until(format($$SELECT EXISTS (SELECT FROM jobmon.jobmon_run r JOIN jobmon.job_detail d ON d.job_id = r.log_id
                                      WHERE r.run_id = %s AND r.status = 'running' AND d.end_time IS NULL)$$, :run)),
          'the owner''s run is running its step');
SELECT log_id FROM jobmon.jobmon_run WHERE run_id = :run \gset
SELECT pg_temp.log_of(:log_id) AS run_log \gset

-------------------------------------------------------------------------------
-- From the other role's own connection.
SELECT dblink_connect('sec20_cj_other', format('dbname=%s host=%s port=%s user=%s', current_database(),
    btrim(split_part(current_setting('unix_socket_directories'), ',', 1)), current_setting('port'),
    'jobmon_test_sec_cj_other')) \g /dev/null
SELECT is(pg_temp.remote_state('sec20_cj_other', format('SELECT jobmon.cancel_job(%s)', :log_id)), '42704',
          'another role''s cancel_job() of the run, from its own connection, finds no such job (42704)');
SELECT dblink_disconnect('sec20_cj_other') \g /dev/null
SELECT is(pg_temp.log_of(:log_id), :'run_log', 'the run''s job_log row and steps are unchanged');
SELECT ok(NOT pg_temp.says_cancelled(:log_id), 'no step says "Cancelled by role"');
SELECT is((SELECT status FROM jobmon.jobmon_run WHERE run_id = :run), 'running', 'the run is still running');

-------------------------------------------------------------------------------
-- After SET ROLE in the superuser's session.
SET ROLE jobmon_test_sec_cj_other;
SELECT throws_ok(format('SELECT jobmon.cancel_job(%s)', :log_id), '42704', NULL,
                 'after SET ROLE in a superuser''s session, the other role''s cancel_job() of the run finds no such job (42704)');
RESET ROLE;
SELECT is(pg_temp.log_of(:log_id), :'run_log', 'the run''s job_log row and steps are unchanged');
SELECT ok(NOT pg_temp.says_cancelled(:log_id), 'no step says "Cancelled by role"');
SELECT is((SELECT status FROM jobmon.jobmon_run WHERE run_id = :run), 'running', 'the run is still running');

-------------------------------------------------------------------------------
-- A role that reads every logged job, but is not the job's.
GRANT pg_monitor TO jobmon_test_sec_cj_other;
SET ROLE jobmon_test_sec_cj_other;
SELECT throws_ok(format('SELECT jobmon.cancel_job(%s)', :log_id), '42501', NULL,
                 'a member of pg_monitor that is not the job''s cannot cancel the run (42501)');
RESET ROLE;
REVOKE pg_monitor FROM jobmon_test_sec_cj_other;
SELECT is(pg_temp.log_of(:log_id), :'run_log', 'the run''s job_log row and steps are unchanged');
SELECT ok(NOT pg_temp.says_cancelled(:log_id), 'no step says "Cancelled by role"');
SELECT is((SELECT status FROM jobmon.jobmon_run WHERE run_id = :run), 'running', 'the run is still running');

-------------------------------------------------------------------------------
-- The owner can cancel it.
SET ROLE jobmon_test_sec_cj_owner;
SELECT is(pg_temp.sqlstate_of(format('SELECT jobmon.cancel_job(%s)', :log_id)), 'ok', 'the owner cancels the run');
RESET ROLE;
SELECT is(jobmon.wait_for_run(:run, '30 seconds'), 'cancelled', 'and the run ends cancelled');
SELECT ok(EXISTS (SELECT FROM jobmon.job_detail d WHERE d.job_id = :log_id
                  AND d.message = 'Manually cancelled via call to jobmon.cancel_job() by jobmon_test_sec_cj_owner'),
          'its step says the owner cancelled it');

-------------------------------------------------------------------------------
-- Whatever happened, no worker is left sleeping.
SELECT pg_cancel_backend(pid) FROM jobmon.jobmon_run WHERE run_id = :run AND status = 'running' \g /dev/null
SELECT pg_temp.wait_until(format($$SELECT status NOT IN ('starting', 'running') FROM jobmon.jobmon_run WHERE run_id = %s$$, :run))
    \g /dev/null
CALL pg_temp.tick_stop();
SELECT pg_temp.test_cleanup('sec20_cj_') \g /dev/null
SELECT * FROM finish();
DELETE FROM jobmon.job_check_log WHERE job_name LIKE 'SEC20\_CJ\_%';
DELETE FROM jobmon.job_log WHERE job_name LIKE 'SEC20\_CJ\_%';
SELECT jobmon.revoke_scheduler('jobmon_test_sec_cj_owner') \g /dev/null
DROP OWNED BY jobmon_test_sec_cj_owner;
DROP OWNED BY jobmon_test_sec_cj_other;
DROP ROLE jobmon_test_sec_cj_owner, jobmon_test_sec_cj_other;
