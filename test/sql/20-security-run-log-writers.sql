-- A run's log is written by whom it belongs to: the job_log row of a run
-- (jobmon_run.log_id) and its steps cannot be ended, failed, stepped,
-- given events or rewritten through the logging API by a role that is
-- neither the job's owner, its run_as role nor a superuser.  A pid proves
-- nothing: pids are reused, so a backend of the attacker's whose pid is
-- the one the run recorded for its worker is refused as well.  Simulated:
-- the superuser sets jobmon_run.pid of the finished run to the pid of the
-- attacker's connection, then to that of the backend of the attacker's
-- logging connection, and the attacker tries each write from its
-- connection.
--
-- Roles (both log in):
--  - jobmon_test_sec_rl_owner: allowed to schedule (grant_scheduler, which
--    grants USAGE on schema jobmon); owns the job, which runs as it;
--  - jobmon_test_sec_rl_attacker: the grants of a role that logs
--    (doc/pg_jobmon.md: USAGE on schema jobmon, SELECT on its tables).
-- Workers only see committed jobs: this file commits (see scheduler.sql).
\ir ../setup.sql
\ir ../scheduler.sql
\ir ../security.sql

-- Left over by an interrupted earlier run of this file.
SELECT pg_temp.test_cleanup('sec20_rl_') \g /dev/null
DELETE FROM jobmon.job_log WHERE job_name LIKE 'SEC20\_RL\_%';
SELECT pg_temp.drop_test_roles(ARRAY['jobmon_test_sec_rl_owner', 'jobmon_test_sec_rl_attacker']) \g /dev/null

CREATE ROLE jobmon_test_sec_rl_owner LOGIN;
CREATE ROLE jobmon_test_sec_rl_attacker LOGIN;
SELECT jobmon.grant_scheduler('jobmon_test_sec_rl_owner') \g /dev/null
GRANT USAGE ON SCHEMA jobmon TO jobmon_test_sec_rl_attacker;
GRANT SELECT ON ALL TABLES IN SCHEMA jobmon TO jobmon_test_sec_rl_attacker;

-- What the attacker's writes to run p_run_id's log got: one row per write.
-- (The caller has set and committed the run's pid: the writes are made by
-- other sessions.)
CREATE TEMPORARY TABLE attempts (pid_of text, call text, state text);
CREATE FUNCTION pg_temp.attack(p_run_id bigint, p_pid_of text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v_log_id  bigint := (SELECT r.log_id FROM jobmon.jobmon_run r WHERE r.run_id = p_run_id);
    v_step_id bigint := (SELECT min(d.step_id) FROM jobmon.job_detail d WHERE d.job_id = v_log_id);
    v_call    record;
BEGIN
    FOR v_call IN SELECT * FROM (VALUES
        ('update_step', format('SELECT jobmon.update_step(%s, %L, %L)', v_step_id, 'OK', 'forged by the attacker')),
        ('add_step', format('SELECT jobmon.add_step(%s, %L)', v_log_id, 'forged step')),
        ('close_job', format('SELECT jobmon.close_job(%s)', v_log_id)),
        ('fail_job', format('SELECT jobmon.fail_job(%s, 3)', v_log_id)),
        ('log_event', format('SELECT jobmon.log_event(%s, %L, %L, %L)', v_step_id, 'ERROR', 'XX000', 'forged')))
        AS c(call, sql)
    LOOP
        INSERT INTO attempts VALUES (p_pid_of, v_call.call, pg_temp.remote_state('sec20_rl_attacker', v_call.sql));
    END LOOP;
END
$$;

SELECT plan(10);
SELECT pg_temp.tick_start() \g /dev/null

-- The owner's job runs once, as the owner; then no dispatcher is needed.
SET ROLE jobmon_test_sec_rl_owner;
SELECT jobmon.run_job(jobmon.create_job(jsonb_build_object('name', 'sec20_rl_job',
    'commands', jsonb_build_array('SELECT 1', 'SELECT 2')))) AS run \gset
RESET ROLE;
SELECT is(jobmon.wait_for_run(:run, '30 seconds'), 'success', 'the owner''s job ran');
CALL pg_temp.tick_stop();
SELECT log_id, pid AS worker_pid FROM jobmon.jobmon_run WHERE run_id = :run \gset
SELECT pg_temp.log_of(:log_id) AS run_log \gset

-- The attacker's connection, and the backend of its logging connection:
-- the client backends that appear when its session logs for the first time.
SELECT pg_temp.connect_as('sec20_rl_attacker', 'jobmon_test_sec_rl_attacker') \g /dev/null
SELECT pid AS attacker_pid FROM dblink('sec20_rl_attacker', 'SELECT pg_backend_pid()') AS t(pid integer) \gset
CREATE TEMPORARY TABLE backends_before AS
    SELECT a.pid FROM pg_stat_activity a WHERE a.backend_type = 'client backend';
SELECT * FROM dblink('sec20_rl_attacker', $$SELECT jobmon.close_job(jobmon.add_job('sec20_rl_warm_up'))$$) AS t(x text) \g /dev/null

-------------------------------------------------------------------------------
-- The run claims to be the attacker's connection.
UPDATE jobmon.jobmon_run SET pid = :attacker_pid WHERE run_id = :run;
SELECT pg_temp.attack(:run, 'connection') \g /dev/null
SELECT is((SELECT state FROM attempts WHERE pid_of = 'connection' AND call = 'update_step'), '42501',
          'with the run''s pid its own, the attacker cannot update_step() a step of the run');
SELECT is((SELECT state FROM attempts WHERE pid_of = 'connection' AND call = 'add_step'), '42501',
          'nor add_step() to the run''s logged job');
SELECT is((SELECT state FROM attempts WHERE pid_of = 'connection' AND call = 'close_job'), '42501',
          'nor close_job() it');
SELECT is((SELECT state FROM attempts WHERE pid_of = 'connection' AND call = 'fail_job'), '42501',
          'nor fail_job() it');
SELECT is((SELECT state FROM attempts WHERE pid_of = 'connection' AND call = 'log_event'), '42501',
          'nor log_event() to a step of it');

-------------------------------------------------------------------------------
-- The run claims to be the backend of the attacker's logging connection
-- (skipped if logging opened no backend of its own).
SELECT coalesce(min(a.pid), 0) AS logging_pid FROM pg_stat_activity a
WHERE a.backend_type = 'client backend' AND a.pid NOT IN (SELECT pid FROM backends_before) \gset
UPDATE jobmon.jobmon_run SET pid = :logging_pid WHERE run_id = :run AND :logging_pid <> 0;
SELECT pg_temp.attack(:run, 'logging backend') WHERE :logging_pid <> 0 \g /dev/null
SELECT CASE WHEN NOT EXISTS (SELECT FROM attempts WHERE pid_of = 'logging backend')
            THEN skip('the attacker''s logging opened no backend of its own', 1)
            ELSE is(ARRAY(SELECT DISTINCT state FROM attempts WHERE pid_of = 'logging backend'), ARRAY['42501'],
                    'with the run''s pid that of the attacker''s logging backend, every one of those writes gets 42501')
       END;

SELECT is(pg_temp.log_of(:log_id), :'run_log',
          'the run''s job_log row, its steps and events are unchanged: status, messages, end times, no new step or event');
UPDATE jobmon.jobmon_run SET pid = :worker_pid WHERE run_id = :run;
SELECT is((SELECT status FROM jobmon.jobmon_run WHERE run_id = :run), 'success', 'the run is still a success');

-- The owner may write its run's log (a note after the fact).
SELECT pg_temp.connect_as('sec20_rl_owner', 'jobmon_test_sec_rl_owner') \g /dev/null
SELECT is(pg_temp.remote_state('sec20_rl_owner', format('SELECT jobmon.add_step(%s, %L)', :log_id, 'a note by the owner')),
          'ok', 'the job''s owner can add a step to its run''s log');

SELECT dblink_disconnect('sec20_rl_attacker') \g /dev/null
SELECT dblink_disconnect('sec20_rl_owner') \g /dev/null
SELECT pg_temp.test_cleanup('sec20_rl_') \g /dev/null
SELECT * FROM finish();
DELETE FROM jobmon.job_check_log WHERE job_name LIKE 'SEC20\_RL\_%';
DELETE FROM jobmon.job_log WHERE job_name LIKE 'SEC20\_RL\_%';
SELECT jobmon.revoke_scheduler('jobmon_test_sec_rl_owner') \g /dev/null
DROP OWNED BY jobmon_test_sec_rl_owner;
DROP OWNED BY jobmon_test_sec_rl_attacker;
DROP ROLE jobmon_test_sec_rl_owner, jobmon_test_sec_rl_attacker;
