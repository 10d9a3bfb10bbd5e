-- Who may do what in the scheduler, with nothing run: who may schedule,
-- as whom a job may run, who sees and changes which job, and what no user
-- may touch (the tables, the dispatcher's internals).  Runs are rows the
-- superuser inserts; the workers are in 55-scheduler-escalation.
--
-- jm_alice and jm_bob log in; jm_group (alice is a member) and jm_carol do
-- not; jm_dbo becomes the owner of the database for a moment.
\ir ../setup.sql

-- Roles are cluster-wide and outlive the transaction: create them once,
-- with the attributes this file starts from.
DO $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT * FROM (VALUES ('jm_alice', true), ('jm_bob', true), ('jm_carol', false),
                                   ('jm_group', false), ('jm_dbo', false)) v(name, login) LOOP
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = r.name) THEN
            EXECUTE format('CREATE ROLE %I', r.name);
        END IF;
        EXECUTE format('ALTER ROLE %I %s', r.name, CASE WHEN r.login THEN 'LOGIN' ELSE 'NOLOGIN' END);
    END LOOP;
END
$$;
GRANT jm_group TO jm_alice;

-- The error p_sql raises, with the id p_id written N: SQLSTATE, message,
-- detail and hint (throws_ok checks only the first two).
CREATE FUNCTION pg_temp.error_of(p_sql text, p_id bigint DEFAULT NULL) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    v_state text;
    v_message text;
    v_detail text;
    v_hint text;
BEGIN
    EXECUTE p_sql;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT,
                            v_detail = PG_EXCEPTION_DETAIL, v_hint = PG_EXCEPTION_HINT;
    RETURN regexp_replace(concat_ws(' | ', v_state, v_message, v_detail, v_hint),
                          '\m' || coalesce(p_id::text, 'no id') || '\M', 'N', 'g');
END
$$;

BEGIN;
SELECT plan(66);
-- Start from nobody allowed, whatever an interrupted run left.
DELETE FROM jobmon.jobmon_scheduler_role WHERE role_name LIKE 'jm\_%';
-- The schema, as a role that logs has it (doc/pg_jobmon.md): what stops
-- them now is the scheduler's own check.
GRANT USAGE ON SCHEMA jobmon TO jm_alice, jm_bob, jm_dbo;

-- Who may schedule
SET ROLE jm_alice;
SELECT throws_ok($$SELECT jobmon.create_job('0 1 * * *', 'SELECT 1')$$, '42501',
                 'permission denied to schedule jobs', 'a role not allowed to schedule cannot create a job');
SELECT matches(pg_temp.error_of($$SELECT jobmon.create_job('0 1 * * *', 'SELECT 1')$$),
               '\| [^|]*SELECT jobmon\.grant_scheduler\(''jm_alice''\)\.$',
               'the hint names grant_scheduler() for that role');
SELECT throws_ok($$SELECT jobmon.grant_scheduler('jm_alice')$$, '42501',
                 'permission denied to allow roles to schedule jobs', 'nor can it allow itself');
SELECT throws_ok($$SELECT jobmon.revoke_scheduler('jm_bob')$$, '42501',
                 'permission denied to disallow roles to schedule jobs', 'nor disallow others');
RESET ROLE;

-- The owner of the database may allow roles, but is no superuser.
SELECT r.rolname AS db_owner FROM pg_database d JOIN pg_roles r ON r.oid = d.datdba
WHERE d.datname = current_database() \gset
SELECT format('ALTER DATABASE %I OWNER TO jm_dbo', current_database()) \gexec
SET ROLE jm_dbo;
SELECT lives_ok($$SELECT jobmon.grant_scheduler('jm_bob')$$, 'the owner of the database allows bob to schedule');
SELECT throws_ok($$SELECT jobmon.create_job('{"cron": "0 1 * * *", "commands": "SELECT 1", "run_as": "jm_bob"}')$$,
                 '42501', 'permission denied to run jobs as role "jm_bob"',
                 'but cannot create a job that runs as bob');
RESET ROLE;
SELECT format('ALTER DATABASE %I OWNER TO %I', current_database(), :'db_owner') \gexec

SELECT lives_ok($$SELECT jobmon.grant_scheduler('jm_alice')$$, 'a superuser allows alice to schedule');

-- As whom a job may run
SET ROLE jm_alice;
SELECT jobmon.create_job('{"name": "jm54 alice", "cron": "0 1 * * *", "commands": "SELECT 1"}') AS a_job \gset
SELECT is((SELECT (owner, run_as)::text FROM jobmon.jobmon_job WHERE job_id = :a_job), '(jm_alice,jm_alice)',
          'alice''s job is hers and runs as her');
SELECT jobmon.create_job('{"name": "jm54 alice self", "cron": "0 1 * * *", "commands": "SELECT 1",
                           "run_as": "jm_alice"}') AS a_self \gset
SELECT is((SELECT run_as::text FROM jobmon.jobmon_job WHERE job_id = :a_self), 'jm_alice', 'run_as herself, explicitly');
SELECT throws_ok($$SELECT jobmon.create_job('{"cron": "0 1 * * *", "commands": "SELECT 1", "run_as": "jm_group"}')$$,
                 '28000', 'role "jm_group" cannot log in, so no job can run as it',
                 'run_as a role she is a member of that cannot log in is refused');
SELECT matches(pg_temp.error_of($$SELECT jobmon.create_job('{"cron": "0 1 * * *", "commands": "SELECT 1", "run_as": "jm_group"}')$$),
               '\| [^|]*ALTER ROLE jm_group LOGIN[^|]*$', 'with a hint to ALTER ROLE ... LOGIN');
RESET ROLE;
ALTER ROLE jm_group LOGIN;
SET ROLE jm_alice;
SELECT jobmon.create_job('{"name": "jm54 alice group", "cron": "0 1 * * *", "commands": "SELECT 1",
                           "run_as": "jm_group"}') AS a_group \gset
SELECT is((SELECT (owner, run_as)::text FROM jobmon.jobmon_job WHERE job_id = :a_group), '(jm_alice,jm_group)',
          'once it can log in, alice''s job runs as a role she is a member of');
SELECT throws_ok($$SELECT jobmon.create_job('{"cron": "0 1 * * *", "commands": "SELECT 1", "run_as": "jm_bob"}')$$,
                 '42501', 'permission denied to run jobs as role "jm_bob"', 'but not as bob, whom she is not');
SELECT throws_ok($$SELECT jobmon.create_job('{"cron": "0 1 * * *", "commands": "SELECT 1", "run_as": "postgres"}')$$,
                 '42501', 'permission denied to run jobs as role "postgres"', 'nor as the superuser');
SELECT throws_ok(format('SELECT jobmon.set_job_attribute(%s, %L, %L)', :a_job, 'run_as', 'jm_bob'),
                 '42501', 'permission denied to run jobs as role "jm_bob"', 'nor switch a job of hers to run as bob');
SELECT throws_ok($$SELECT jobmon.create_job('{"cron": "0 1 * * *", "commands": "SELECT 1", "run_as": "jm_nobody"}')$$,
                 '42704', 'role "jm_nobody" does not exist', 'run_as a role that does not exist is refused');
RESET ROLE;

SELECT jobmon.create_job('{"name": "jm54 root as bob", "cron": "0 1 * * *", "commands": "SELECT 1",
                           "run_as": "jm_bob"}') AS s_bob \gset
SELECT jobmon.create_job('{"name": "jm54 root as alice", "cron": "0 1 * * *", "commands": "SELECT 1",
                           "run_as": "jm_alice"}') AS s_alice \gset
SELECT is((SELECT array_agg(run_as::text ORDER BY job_id) FROM jobmon.jobmon_job WHERE job_id IN (:s_bob, :s_alice)),
          ARRAY['jm_bob', 'jm_alice'], 'a superuser may create jobs that run as anyone');
SELECT throws_ok($$SELECT jobmon.create_job('{"cron": "0 1 * * *", "commands": "SELECT 1", "run_as": "jm_carol"}')$$,
                 '28000', 'role "jm_carol" cannot log in, so no job can run as it',
                 'but not as a role that cannot log in');
SET ROLE jm_bob;
SELECT jobmon.create_job('{"name": "jm54 bob", "cron": "0 1 * * *", "commands": "SELECT 1"}') AS b_job \gset
RESET ROLE;
SELECT schedule_id AS a_sched FROM jobmon.jobmon_schedule WHERE job_id = :a_job \gset

-- Runs, as the dispatcher and the workers would have left them, with their logs.
WITH l AS (
    INSERT INTO jobmon.job_log (owner, job_name, start_time, end_time, status, pid)
    SELECT run_as, upper(name), now(), now(), 'OK', 0 FROM jobmon.jobmon_job WHERE job_id IN (:a_job, :s_alice, :b_job, :s_bob)
    RETURNING job_id AS log_id, job_name)
INSERT INTO jobmon.jobmon_run (job_id, job_name, owner, run_as, due_at, status, log_id, started_at, finished_at)
SELECT j.job_id, j.name, j.owner, j.run_as, now(), 'success', l.log_id, now(), now()
FROM jobmon.jobmon_job j JOIN l ON l.job_name = upper(j.name);
INSERT INTO jobmon.jobmon_run (job_id, job_name, owner, run_as, due_at, status, started_at)
SELECT job_id, name, owner, run_as, now(), 'running', now() FROM jobmon.jobmon_job WHERE job_id = :a_job
RETURNING run_id AS a_running \gset
SELECT run_id AS a_run, log_id AS a_log FROM jobmon.jobmon_run WHERE job_id = :a_job AND status = 'success' \gset
SELECT run_id AS b_run, log_id AS b_log FROM jobmon.jobmon_run WHERE job_id = :b_job \gset
INSERT INTO jobmon.job_detail (job_id, action, start_time, status, message)
VALUES (:b_log, 'SELECT 1', now(), 'OK', '1 row') RETURNING step_id AS b_step \gset

-- Who sees which job
SET ROLE jm_alice;
SELECT set_eq($$SELECT job_id FROM jobmon.jobmon_my_jobs WHERE name LIKE 'jm54 %'$$,
              ARRAY[:a_job, :a_self, :a_group, :s_alice]::bigint[],
              'alice sees in jobmon_my_jobs the jobs she owns and the job that runs as her');
SELECT is((SELECT count(*)::int FROM jobmon.jobmon_my_jobs WHERE owner <> 'jm_alice' AND run_as <> 'jm_alice'), 0,
          'and no job that is neither hers nor runs as her');
SELECT set_eq($$SELECT job_id FROM jobmon.jobmon_job WHERE name LIKE 'jm54 %'$$,
              ARRAY[:a_job, :a_self, :a_group, :s_alice]::bigint[], 'so does the job table');
SELECT set_eq($$SELECT job_id FROM jobmon.jobmon_timers WHERE job_name LIKE 'jm54 %'$$,
              ARRAY[:a_job, :a_self, :a_group, :s_alice]::bigint[], 'and the jobmon_timers view');
SELECT is((SELECT count(*)::int FROM jobmon.jobmon_schedule WHERE job_id IN (:b_job, :s_bob)), 0,
          'alice sees no schedule of bob''s jobs');
SELECT is((SELECT count(*)::int FROM jobmon.jobmon_audit WHERE job_id IN (:b_job, :s_bob)), 0,
          'nor their audit rows');
SELECT set_eq($$SELECT job_id FROM jobmon.jobmon_my_log WHERE job_name LIKE 'jm54 %'$$,
              ARRAY[:a_job, :a_job, :s_alice]::bigint[], 'alice sees the runs of her jobs and of the job run as her');
SELECT is((SELECT count(*)::int FROM jobmon.jobmon_run WHERE job_id IN (:b_job, :s_bob)), 0,
          'but no run of bob''s');
SELECT is_empty(format('SELECT * FROM jobmon.get_job(%s)', :b_job), 'get_job() of bob''s job is empty for alice');
SELECT is_empty($$SELECT * FROM jobmon.get_owned_jobs('jm_bob')$$, 'so is get_owned_jobs(''jm_bob'')');
RESET ROLE;
SET ROLE jm_bob;
SELECT set_eq($$SELECT job_id FROM jobmon.jobmon_my_jobs WHERE name LIKE 'jm54 %'$$, ARRAY[:b_job, :s_bob]::bigint[],
              'bob sees his job and the job that runs as him, none of alice''s');
RESET ROLE;
SELECT set_eq($$SELECT job_id FROM jobmon.jobmon_my_jobs WHERE name LIKE 'jm54 %'$$,
              ARRAY[:a_job, :a_self, :a_group, :s_alice, :b_job, :s_bob]::bigint[], 'a superuser sees every job');

-- Who changes which job: to bob, alice's job does not exist.
SET ROLE jm_bob;
SELECT throws_ok(format('SELECT jobmon.set_job_attribute(%s, %L, %L)', :a_job, 'comments', 'bob was here'),
                 '42704', format('scheduled job %s does not exist', :a_job), 'bob cannot change alice''s job');
SELECT throws_ok(format('SELECT jobmon.deactivate_job(%s)', :a_job),
                 '42704', format('scheduled job %s does not exist', :a_job), 'nor deactivate it');
SELECT throws_ok(format('SELECT jobmon.activate_job(%s)', :a_job),
                 '42704', format('scheduled job %s does not exist', :a_job), 'nor activate it');
SELECT throws_ok(format('SELECT jobmon.run_job(%s)', :a_job),
                 '42704', format('scheduled job %s does not exist', :a_job), 'nor run it');
SELECT throws_ok(format('SELECT jobmon.add_schedule(%s, %L)', :a_job, '* * * * *'),
                 '42704', format('scheduled job %s does not exist', :a_job), 'nor add a schedule to it');
SELECT throws_ok(format('SELECT jobmon.drop_job(%s)', :a_job),
                 '42704', format('scheduled job %s does not exist', :a_job), 'nor drop it');
SELECT is(pg_temp.error_of(format('SELECT jobmon.drop_job(%s)', :a_job), :a_job),
          pg_temp.error_of(format('SELECT jobmon.drop_job(%s)', :a_job + 1000000), :a_job + 1000000),
          'the error is the one for a job that does not exist (detail and hint included)');
-- _schedule_for_change() answers with the job's id, which tells bob that
-- the schedule exists and which job it belongs to.
SELECT is(pg_temp.error_of(format('SELECT jobmon.disable_schedule(%s)', :a_sched), :a_sched),
          pg_temp.error_of(format('SELECT jobmon.disable_schedule(%s)', :a_sched + 1000000), :a_sched + 1000000),
          'bob cannot disable alice''s schedule, which does not exist for him either');
SELECT throws_ok(format('SELECT jobmon.wait_for_run(%s, %L)', :a_run, '0 s'),
                 '42704', format('run %s does not exist', :a_run), 'nor wait for her run');
-- A job that runs as bob is bob's to change, though a superuser owns it.
SELECT lives_ok(format('SELECT jobmon.set_job_attribute(%s, %L, %L)', :s_bob, 'comments', 'bob was here'),
                'bob changes the job that runs as him');
SELECT throws_ok(format('SELECT jobmon.set_job_attribute(%s, %L, %L)', :s_bob, 'run_as', 'jm_alice'),
                 '42501', 'permission denied to run jobs as role "jm_alice"', 'but cannot make it run as alice');
SELECT lives_ok(format('SELECT jobmon.run_job(%s)', :s_bob), 'bob runs the job that runs as him');
SELECT lives_ok(format('SELECT jobmon.drop_job(%s)', :s_bob), 'and drops it');
RESET ROLE;
SELECT is((SELECT changed_by::text FROM jobmon.jobmon_audit WHERE job_id = :s_bob AND action = 'drop'), 'jm_bob',
          'the audit names bob');
SELECT lives_ok(format('SELECT jobmon.set_job_attribute(%s, %L, %L)', :a_job, 'comments', 'root was here'),
                'a superuser changes alice''s job');
SELECT lives_ok(format('SELECT jobmon.deactivate_job(%s)', :b_job), 'and deactivates bob''s');

-- Nobody writes the tables or calls the internals directly.
SET ROLE jm_alice;
SELECT throws_ok($$INSERT INTO jobmon.jobmon_job (name, owner, run_as, commands, timezone)
                   VALUES ('jm54 forged', 'jm_alice', 'postgres', '{SELECT 1}', 'UTC')$$,
                 '42501', NULL, 'alice cannot insert a job directly');
SELECT throws_ok(format('UPDATE jobmon.jobmon_job SET run_as = %L WHERE job_id = %s', 'postgres', :a_job),
                 '42501', NULL, 'nor update her job');
SELECT throws_ok(format('DELETE FROM jobmon.jobmon_job WHERE job_id = %s', :a_job), '42501', NULL, 'nor delete it');
SELECT throws_ok(format('UPDATE jobmon.jobmon_schedule SET next_fire = now() WHERE schedule_id = %s', :a_sched),
                 '42501', NULL, 'nor update a schedule');
SELECT throws_ok(format('DELETE FROM jobmon.jobmon_run WHERE run_id = %s', :a_run), '42501', NULL, 'nor delete a run');
SELECT throws_ok(format('INSERT INTO jobmon.jobmon_run (job_id, job_name, owner, run_as, due_at) VALUES (%s, %L, %L, %L, now())',
                        :a_job, 'jm54 alice', 'jm_alice', 'postgres'), '42501', NULL, 'nor insert one');
SELECT throws_ok('DELETE FROM jobmon.jobmon_audit', '42501', NULL, 'nor delete the audit');
SELECT throws_ok($$INSERT INTO jobmon.jobmon_scheduler_role (role_name, granted_by) VALUES ('jm_carol', 'jm_alice')$$,
                 '42501', NULL, 'nor allow a role to schedule');
SELECT throws_ok(format('SELECT * FROM jobmon._worker_begin(%s)', :a_running), '42501', NULL,
                 'alice cannot call _run_start()');
SELECT throws_ok(format('SELECT jobmon._worker_end(%s, %L, NULL, NULL, NULL, NULL)', :a_running, 'success'), '42501', NULL,
                 'nor _run_finish()');
SELECT throws_ok(format('SELECT jobmon._worker_launch(%s, %L::regrole, now())', :a_running, 'postgres'), '42501', NULL,
                 'nor _worker_launch()');
SELECT throws_ok($$CALL jobmon.jobmon_dispatch('1 second')$$, '42501', NULL, 'nor CALL jobmon_dispatch()');
-- A scheduled run is a logged job, and the logging functions write any
-- job_log row by id: bob's run must not be endable or rewritable by alice.
SELECT throws_ok(format('SELECT jobmon._log_job_close(%s, 3)', :b_log), NULL, NULL,
                 'alice cannot end the job_log row of bob''s run');
SELECT throws_ok(format('SELECT jobmon._log_step_close(%s, %L, %L)', :b_step, 'CRITICAL', 'forged'), NULL, NULL,
                 'nor rewrite its step');
RESET ROLE;

-- Disallowed again: no new job, the old ones stay.
SELECT lives_ok($$SELECT jobmon.revoke_scheduler('jm_alice')$$, 'a superuser disallows alice');
SET ROLE jm_alice;
SELECT throws_ok($$SELECT jobmon.create_job('0 1 * * *', 'SELECT 1')$$, '42501',
                 'permission denied to schedule jobs', 'alice cannot create a job any more');
SELECT is((SELECT count(*)::int FROM jobmon.jobmon_my_jobs WHERE owner = 'jm_alice' AND active AND name LIKE 'jm54 %'), 3,
          'her existing jobs stay, active');

-- jobmon_clean_log() forgets the finished runs she sees, nobody else's.
SELECT is(jobmon.jobmon_clean_log(), 2::bigint, 'alice''s jobmon_clean_log() deletes the finished runs she sees');
RESET ROLE;
SELECT set_eq(format('SELECT run_id FROM jobmon.jobmon_run WHERE job_id IN (%s, %s, %s)', :a_job, :s_alice, :b_job),
              ARRAY[:a_running, :b_run]::bigint[], 'her running run and bob''s run are left');
SELECT is((SELECT array_agg(job_id ORDER BY job_id) FROM jobmon.job_log WHERE job_id IN (:a_log, :b_log)),
          ARRAY[:b_log]::bigint[], 'and so is bob''s job_log row, while hers is gone');

SELECT * FROM finish();
ROLLBACK;
