-- Job SQL cannot regain anyone else's privileges.  The worker logs in as
-- the job's role, so jobs of jm_alice (no superuser) that try RESET ROLE,
-- SET ROLE, SET SESSION AUTHORIZATION, ALTER ROLE or writing the
-- scheduler's tables stay jm_alice or fail with 42501, recorded in the
-- run's step and event; and a job's name and commands, quotes, semicolons
-- and dollar quotes included, are run and logged exactly as given.
-- Workers only see committed jobs: this file commits (see scheduler.sql).
\ir ../setup.sql
\ir ../scheduler.sql

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'jm_alice') THEN
        CREATE ROLE jm_alice LOGIN;
    END IF;
END
$$;
ALTER ROLE jm_alice LOGIN NOSUPERUSER NOCREATEROLE;
-- Left over by an interrupted earlier run of this file.
SELECT pg_temp.test_cleanup('jm55_') \g /dev/null
DROP SCHEMA IF EXISTS jm55 CASCADE;

SELECT jobmon.grant_scheduler('jm_alice') \g /dev/null
-- Alice's own schema, for the tables her jobs create and write.
CREATE SCHEMA jm55 AUTHORIZATION jm_alice;
SET ROLE jm_alice;
-- What a command saw: who it ran as, and whether as a superuser.
CREATE TABLE jm55.whoami (tag text, cur text, sess text, super text);
-- A table that the injection job's name and commands talk of dropping.
CREATE TABLE jm55.t (x integer);
RESET ROLE;

-- (action, status, message) of the steps of a run, in order, and the
-- SQLSTATEs of its errors.
CREATE FUNCTION pg_temp.steps(p_run_id bigint) RETURNS TABLE (action text, status text, message text)
LANGUAGE sql AS $$
    SELECT d.action, d.status, d.message FROM jobmon.job_detail d
    JOIN jobmon.jobmon_run r ON r.log_id = d.job_id WHERE r.run_id = p_run_id ORDER BY d.step_id
$$;
CREATE FUNCTION pg_temp.error_states(p_run_id bigint) RETURNS text[] LANGUAGE sql AS $$
    SELECT array_agg(e.sqlstate ORDER BY e.event_id) FROM jobmon.jobmon_event e
    JOIN jobmon.jobmon_run r ON r.log_id = e.job_id WHERE r.run_id = p_run_id AND e.severity = 'ERROR'
$$;
-- Alice creates a job and runs it once: run is the run_id, ended (or
-- still under way after 30 seconds).  A procedure, to commit the run
-- before waiting for it.
CREATE PROCEDURE pg_temp.alice_runs(p_options jsonb, INOUT run bigint DEFAULT NULL) LANGUAGE plpgsql AS $$
DECLARE
    v_job_id bigint;
BEGIN
    SET ROLE jm_alice;
    v_job_id := jobmon.create_job(p_options);
    FOR i IN 1..3 LOOP
        SET ROLE jm_alice;
        run := jobmon.run_job(v_job_id);
        RESET ROLE;
        COMMIT;
        PERFORM jobmon.wait_for_run(run, '30 s');
        -- Work around a race in the sources: a worker that starts before
        -- the dispatcher's transaction commits does not see its run "starting"
        -- and exits without running it.  Try again then, nothing else.
        EXIT WHEN NOT EXISTS (SELECT FROM jobmon.jobmon_run r WHERE r.run_id = run AND r.log_id IS NULL
                              AND r.reason LIKE 'worker process % ended without finishing the run%');
    END LOOP;
END
$$;

SELECT plan(26);
SELECT pg_temp.tick_start() \g /dev/null

-- RESET ROLE and RESET SESSION AUTHORIZATION return to alice herself.
CALL pg_temp.alice_runs(jsonb_build_object('name', 'jm55_reset', 'commands', jsonb_build_array(
    'RESET ROLE', 'RESET SESSION AUTHORIZATION',
    'CREATE TABLE jm55.after_reset (x integer)',
    $$INSERT INTO jm55.whoami SELECT 'reset', current_user, session_user, current_setting('is_superuser')$$))) \gset
SELECT is((SELECT status FROM jobmon.jobmon_run WHERE run_id = :run), 'success', 'RESET ROLE and RESET SESSION AUTHORIZATION run');
SELECT is((SELECT tableowner::text FROM pg_tables WHERE schemaname = 'jm55' AND tablename = 'after_reset'),
          'jm_alice', 'the table created after them belongs to alice, not to a superuser');
SELECT results_eq($$SELECT cur, sess, super FROM jm55.whoami WHERE tag = 'reset'$$,
                  $$VALUES ('jm_alice', 'jm_alice', 'off')$$, 'after them the job is still alice, no superuser');

-- Nor does a superuser-only statement work after RESET ROLE.
CALL pg_temp.alice_runs(jsonb_build_object('name', 'jm55_alter_role',
    'commands', 'RESET ROLE; ALTER ROLE jm_alice SUPERUSER')) \gset
SELECT is((SELECT status FROM jobmon.jobmon_run WHERE run_id = :run), 'failure', 'RESET ROLE; ALTER ROLE jm_alice SUPERUSER fails');
SELECT is(pg_temp.error_states(:run), ARRAY['42501'], 'with insufficient_privilege');
SELECT ok(NOT (SELECT rolsuper FROM pg_roles WHERE rolname = 'jm_alice'), 'alice is no superuser');

-- SET ROLE to a role she is not, with an onrollback that records who it is.
CALL pg_temp.alice_runs(jsonb_build_object('name', 'jm55_set_role', 'commands', 'SET ROLE postgres',
    'onrollback', $$INSERT INTO jm55.whoami SELECT 'onrollback', current_user, session_user, current_setting('is_superuser')$$))
    \gset
SELECT is((SELECT status FROM jobmon.jobmon_run WHERE run_id = :run), 'failure', 'SET ROLE postgres fails');
SELECT results_eq(format('SELECT action, status, message FROM pg_temp.steps(%s)', :run),
                  $$VALUES ('SET ROLE postgres', 'CRITICAL', 'permission denied to set role "postgres"'),
                           ('onrollback: INSERT INTO jm55.whoami SELECT ''onrollback'', current_user, session_user, current_setting(''is_superuser'')',
                            'OK', '1 row')$$,
                  'the step records the error');
SELECT is(pg_temp.error_states(:run), ARRAY['42501'], 'its event has SQLSTATE 42501');
SELECT results_eq($$SELECT cur, sess, super FROM jm55.whoami WHERE tag = 'onrollback'$$,
                  $$VALUES ('jm_alice', 'jm_alice', 'off')$$, 'onrollback runs as alice too');

CALL pg_temp.alice_runs(jsonb_build_object('name', 'jm55_session_auth',
    'commands', 'SET SESSION AUTHORIZATION postgres')) \gset
SELECT is((SELECT status FROM jobmon.jobmon_run WHERE run_id = :run), 'failure', 'SET SESSION AUTHORIZATION postgres fails');
SELECT results_eq(format('SELECT status, message LIKE %L FROM pg_temp.steps(%s)',
                         'permission denied to set session authorization%', :run),
                  $$VALUES ('CRITICAL', true)$$, 'the step records the error');
SELECT is(pg_temp.error_states(:run), ARRAY['42501'], 'its event has SQLSTATE 42501');

-- Who the commands and the next_time_statement run as.
CALL pg_temp.alice_runs(jsonb_build_object('name', 'jm55_whoami', 'cron', '0 0 1 1 *',
    'commands', $$INSERT INTO jm55.whoami SELECT 'command', current_user, session_user, current_setting('is_superuser')$$,
    'next_time_statement', $$WITH w AS (INSERT INTO jm55.whoami SELECT 'next_time', current_user, session_user,
                                            current_setting('is_superuser') RETURNING 1)
                             SELECT now() + interval '1 day' FROM w$$)) \gset
SELECT is((SELECT status FROM jobmon.jobmon_run WHERE run_id = :run), 'success', 'a job records who it runs as');
SELECT results_eq($$SELECT tag, cur, sess, super FROM jm55.whoami
                    WHERE tag IN ('command', 'next_time') ORDER BY tag$$,
                  $$VALUES ('command', 'jm_alice', 'jm_alice', 'off'), ('next_time', 'jm_alice', 'jm_alice', 'off')$$,
                  'current_user and session_user are alice, in the commands and in next_time_statement');
SELECT is((SELECT l.owner FROM jobmon.job_log l JOIN jobmon.jobmon_run r ON r.log_id = l.job_id WHERE r.run_id = :run),
          'jm_alice', 'its job_log row is owned by alice');

-- The scheduler's tables are no more writable from a job than from psql.
CALL pg_temp.alice_runs(jsonb_build_object('name', 'jm55_write_job',
    'commands', $$UPDATE jobmon.jobmon_job SET run_as = 'postgres' WHERE name LIKE 'jm55\_%'$$)) \gset
SELECT is((SELECT status FROM jobmon.jobmon_run WHERE run_id = :run), 'failure', 'a job cannot update jobmon.jobmon_job');
SELECT is(pg_temp.error_states(:run), ARRAY['42501'], 'insufficient_privilege');
SELECT is((SELECT count(*)::int FROM jobmon.jobmon_job WHERE name LIKE 'jm55\_%' AND run_as <> 'jm_alice'), 0,
          'every job still runs as alice');
CALL pg_temp.alice_runs(jsonb_build_object('name', 'jm55_call_internal',
    'commands', format('SELECT * FROM jobmon._worker_begin(%s)', :run))) \gset
SELECT is((SELECT status FROM jobmon.jobmon_run WHERE run_id = :run), 'failure', 'nor call the internal _run_start()');
SELECT is(pg_temp.error_states(:run), ARRAY['42501'], 'insufficient_privilege');

-- Names and commands are data: nothing is spliced into other SQL.
CALL pg_temp.alice_runs(jsonb_build_object('name', $$jm55_x'; DROP TABLE jm55.t; --$$,
    'commands', jsonb_build_array($$SELECT 'a;b''c'$$, $q$SELECT $$d'; DROP TABLE jm55.t; --$$$q$))) \gset
SELECT is((SELECT status FROM jobmon.jobmon_run WHERE run_id = :run), 'success', 'a job whose name and commands hold quotes and semicolons runs');
SELECT results_eq(format('SELECT action, status, message FROM pg_temp.steps(%s)', :run),
                  $q$VALUES ($$SELECT 'a;b''c'$$, 'OK', '1 row'), ($$SELECT $$ || '$$' || $$d'; DROP TABLE jm55.t; --$$ || '$$', 'OK', '1 row')$q$,
                  'each step''s action is its command, exactly');
SELECT is((SELECT job_name FROM jobmon.jobmon_run WHERE run_id = :run), $$jm55_x'; DROP TABLE jm55.t; --$$,
          'the run has the name exactly');
SELECT is((SELECT l.job_name FROM jobmon.job_log l JOIN jobmon.jobmon_run r ON r.log_id = l.job_id WHERE r.run_id = :run),
          $$JM55_X'; DROP TABLE JM55.T; --$$, 'its job_log row the name in upper case');
SELECT has_table('jm55', 't', 'the table the name and a command talk of dropping is still there');

CALL pg_temp.tick_stop();
SELECT * FROM finish();

SELECT pg_temp.test_cleanup('jm55_') \g /dev/null
DROP SCHEMA jm55 CASCADE;
SELECT jobmon.revoke_scheduler('jm_alice') \g /dev/null
REVOKE USAGE ON SCHEMA jobmon FROM jm_alice;
