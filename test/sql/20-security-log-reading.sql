-- Who reads which log.  A role reads the job_log, job_detail and
-- jobmon_event rows, and the show_* output, of its own jobs: the logged
-- jobs it added, and the runs of the scheduled jobs it owns or that run as
-- it; not every role's.  A second ordinary role sees none of them.  A
-- monitoring role (a member of pg_monitor) sees every job_log row, and
-- check_job_status() works for it as in 1.x; but the commands of other
-- roles' scheduled jobs, the job_detail.action of their runs' steps, are
-- readable by no role that is neither the job's owner nor its run_as role,
-- the monitoring role included.
--
-- Roles (all log in), each with the grants doc/pg_jobmon.md gives a role
-- that logs, as a 1.x user has them: USAGE on schema jobmon and SELECT on
-- all its tables.  Besides:
--  - jobmon_test_sec_rd_alice may schedule (grant_scheduler);
--  - jobmon_test_sec_rd_bob has nothing more;
--  - jobmon_test_sec_rd_monitor is a member of pg_monitor.
-- The logs: one logged job each of alice, bob and the superuser; a run each
-- of a job alice owns, of a job of the superuser's that runs as alice, and
-- of a job of the superuser's that runs as the superuser.  Each has steps
-- and an event.
-- Workers only see committed jobs: this file commits (see scheduler.sql).
\ir ../setup.sql
\ir ../scheduler.sql
\ir ../security.sql

-- Left over by an interrupted earlier run of this file.
SELECT pg_temp.test_cleanup('sec20_rd_') \g /dev/null
DELETE FROM jobmon.job_check_config WHERE job_name = 'sec20_rd_bob_log';
DELETE FROM jobmon.job_check_log WHERE job_name LIKE 'SEC20\_RD\_%';
DELETE FROM jobmon.job_log WHERE job_name LIKE 'SEC20\_RD\_%';
SELECT pg_temp.drop_test_roles(ARRAY['jobmon_test_sec_rd_alice', 'jobmon_test_sec_rd_bob', 'jobmon_test_sec_rd_monitor']) \g /dev/null

CREATE ROLE jobmon_test_sec_rd_alice LOGIN;
CREATE ROLE jobmon_test_sec_rd_bob LOGIN;
CREATE ROLE jobmon_test_sec_rd_monitor LOGIN IN ROLE pg_monitor;
GRANT USAGE ON SCHEMA jobmon TO jobmon_test_sec_rd_alice, jobmon_test_sec_rd_bob, jobmon_test_sec_rd_monitor;
GRANT SELECT ON ALL TABLES IN SCHEMA jobmon TO jobmon_test_sec_rd_alice, jobmon_test_sec_rd_bob, jobmon_test_sec_rd_monitor;
SELECT jobmon.grant_scheduler('jobmon_test_sec_rd_alice') \g /dev/null
-- Bob's logged job fails; check_job_status() reports a configured job's
-- first failure.
INSERT INTO jobmon.job_check_config (job_name, warn_threshold, error_threshold, active, sensitivity)
VALUES ('sec20_rd_bob_log', '1 hour', '2 hours', true, 0);

-- A logged job with a step and an event, as the current role; its job_id.
CREATE FUNCTION pg_temp.logged_job(p_name text, p_fail boolean) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    v_job_id  bigint := jobmon.add_job(p_name);
    v_step_id bigint := jobmon.add_step(v_job_id, p_name || ': the step');
BEGIN
    PERFORM jobmon.log_event(v_step_id, 'NOTICE', NULL, p_name || ': the event');
    PERFORM jobmon.update_step(v_step_id, 'OK', 'done');
    IF p_fail THEN
        PERFORM jobmon.fail_job(v_job_id, 3);
    ELSE
        PERFORM jobmon.close_job(v_job_id);
    END IF;
    RETURN v_job_id;
END
$$;
-- The options of a job whose first command is its secret and whose second
-- raises a notice (an event).
CREATE FUNCTION pg_temp.job_options(p_name text, p_run_as text) RETURNS jsonb LANGUAGE sql AS $$
    SELECT jsonb_build_object('name', p_name, 'run_as', p_run_as, 'commands', jsonb_build_array(
        format('SELECT %L AS secret', p_name || ': a secret command'),
        format('DO $d$BEGIN RAISE NOTICE %L; END$d$', p_name || ': a notice')))
$$;
-- The rows of the one-column query p_sql, or none if it fails (a column
-- the role may not read).
CREATE FUNCTION pg_temp.rows_of(p_sql text) RETURNS SETOF text LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY EXECUTE p_sql;
EXCEPTION WHEN insufficient_privilege THEN
    RETURN;
END
$$;

-------------------------------------------------------------------------------
-- The logs.
SET ROLE jobmon_test_sec_rd_alice;
SELECT pg_temp.logged_job('sec20_rd_alice_log', false) AS la \gset
SELECT jobmon.create_job(pg_temp.job_options('sec20_rd_alice_job', 'jobmon_test_sec_rd_alice')) AS j1 \gset
RESET ROLE;
SET ROLE jobmon_test_sec_rd_bob;
SELECT pg_temp.logged_job('sec20_rd_bob_log', true) AS lb \gset
RESET ROLE;
SELECT pg_temp.logged_job('sec20_rd_superuser_log', false) AS ls \gset
SELECT jobmon.create_job(pg_temp.job_options('sec20_rd_for_alice', 'jobmon_test_sec_rd_alice')) AS j2 \gset
SELECT jobmon.create_job(pg_temp.job_options('sec20_rd_superuser_job', session_user)) AS j3 \gset

SELECT plan(18);
SELECT pg_temp.tick_start() \g /dev/null
SET ROLE jobmon_test_sec_rd_alice;
SELECT jobmon.run_job(:j1) AS run1 \gset
RESET ROLE;
SELECT jobmon.run_job(:j2) AS run2, jobmon.run_job(:j3) AS run3 \gset
SELECT results_eq(format('SELECT jobmon.wait_for_run(r, %L) FROM unnest(ARRAY[%s, %s, %s]) r', '30 seconds', :run1, :run2, :run3),
                  $$VALUES ('success'), ('success'), ('success')$$, 'the three runs succeed');
CALL pg_temp.tick_stop();
SELECT (SELECT log_id FROM jobmon.jobmon_run WHERE run_id = :run1) AS r1,
       (SELECT log_id FROM jobmon.jobmon_run WHERE run_id = :run2) AS r2,
       (SELECT log_id FROM jobmon.jobmon_run WHERE run_id = :run3) AS r3 \gset
-- Every logged job of this file, and the commands of the runs, as the
-- superuser reads them.
SELECT format('ARRAY[%s, %s, %s, %s, %s, %s]::bigint[]', :la, :lb, :ls, :r1, :r2, :r3) AS all_ids \gset
CREATE TEMPORARY TABLE secret_actions AS
    SELECT d.job_id, d.action FROM jobmon.job_detail d WHERE d.job_id IN (:r1, :r2, :r3);
GRANT SELECT ON secret_actions TO PUBLIC;

-------------------------------------------------------------------------------
-- Alice: her logged job, the run of her job, the run of the job that runs as her.
SET ROLE jobmon_test_sec_rd_alice;
SELECT set_eq($$SELECT job_id FROM jobmon.job_log WHERE job_name LIKE 'SEC20\_RD\_%'$$,
              ARRAY[:la, :r1, :r2]::bigint[], 'alice reads the job_log rows of her jobs, no one else''s');
SELECT set_eq(format('SELECT DISTINCT job_id FROM jobmon.job_detail WHERE job_id = ANY (%s)', :'all_ids'),
              ARRAY[:la, :r1, :r2]::bigint[], 'and their job_detail rows');
SELECT set_eq(format('SELECT DISTINCT job_id FROM jobmon.jobmon_event WHERE job_id = ANY (%s)', :'all_ids'),
              ARRAY[:la, :r1, :r2]::bigint[], 'and their jobmon_event rows');
SELECT set_eq($$SELECT job_id FROM jobmon.show_job_like('^SEC20_RD_')$$,
              ARRAY[:la, :r1, :r2]::bigint[], 'show_job_like() shows her jobs, no one else''s');
SELECT set_eq(format('SELECT DISTINCT d.job_id FROM unnest(%s) i, jobmon.show_detail(i) d', :'all_ids'),
              ARRAY[:la, :r1, :r2]::bigint[], 'show_detail() shows the steps of her jobs only');
SELECT set_eq(format('SELECT DISTINCT e.job_id FROM unnest(%s) i, jobmon.show_events(i) e', :'all_ids'),
              ARRAY[:la, :r1, :r2]::bigint[], 'show_events() shows the events of her jobs only');
SELECT set_eq(format('SELECT action FROM jobmon.job_detail WHERE job_id IN (%s, %s)', :r1, :r2),
              format('SELECT action FROM secret_actions WHERE job_id IN (%s, %s)', :r1, :r2),
              'she reads the commands of both runs (the steps'' actions)');
RESET ROLE;

-------------------------------------------------------------------------------
-- Bob: his logged job only.
SET ROLE jobmon_test_sec_rd_bob;
SELECT set_eq($$SELECT job_id FROM jobmon.job_log WHERE job_name LIKE 'SEC20\_RD\_%'$$,
              ARRAY[:lb]::bigint[], 'bob reads his job_log row, none of alice''s or the superuser''s');
SELECT set_eq(format('SELECT DISTINCT job_id FROM jobmon.job_detail WHERE job_id = ANY (%s)', :'all_ids'),
              ARRAY[:lb]::bigint[], 'and its job_detail rows only');
SELECT set_eq(format('SELECT DISTINCT job_id FROM jobmon.jobmon_event WHERE job_id = ANY (%s)', :'all_ids'),
              ARRAY[:lb]::bigint[], 'and its jobmon_event rows only');
SELECT set_eq($$SELECT job_id FROM jobmon.show_job_like('^SEC20_RD_')$$,
              ARRAY[:lb]::bigint[], 'show_job_like() shows his job only');
SELECT set_eq(format('SELECT DISTINCT d.job_id FROM unnest(%s) i, jobmon.show_detail(i) d', :'all_ids'),
              ARRAY[:lb]::bigint[], 'show_detail() shows the steps of his job only');
SELECT set_eq(format('SELECT DISTINCT e.job_id FROM unnest(%s) i, jobmon.show_events(i) e', :'all_ids'),
              ARRAY[:lb]::bigint[], 'show_events() shows the events of his job only');
RESET ROLE;

-------------------------------------------------------------------------------
-- The monitoring role: every job_log row and check_job_status(), but not
-- the commands of others' scheduled jobs.
SET ROLE jobmon_test_sec_rd_monitor;
SELECT set_eq($$SELECT job_id FROM jobmon.job_log WHERE job_name LIKE 'SEC20\_RD\_%'$$,
              :all_ids, 'the monitoring role reads every job_log row');
SELECT results_eq($$SELECT alert_code, alert_status, alert_text FROM jobmon.check_job_status()
                    WHERE job_name = 'SEC20_RD_BOB_LOG'$$,
                  $$VALUES (3, 'FAILED_RUN', '1 CRITICAL run(s)')$$,
                  'check_job_status() works for it, and reports bob''s failed job');
SELECT is_empty(format($$SELECT r FROM pg_temp.rows_of('SELECT action FROM jobmon.job_detail WHERE job_id IN (%s, %s, %s)') r
                         INTERSECT SELECT action FROM secret_actions$$, :r1, :r2, :r3),
                'it cannot read the commands of the runs (job_detail.action of their steps)');
SELECT is_empty(format($$SELECT r FROM pg_temp.rows_of('SELECT d.action FROM unnest(ARRAY[%s, %s, %s]) i, jobmon.show_detail(i) d') r
                         INTERSECT SELECT action FROM secret_actions$$, :r1, :r2, :r3),
                'nor through show_detail()');
RESET ROLE;

-------------------------------------------------------------------------------
SELECT pg_temp.test_cleanup('sec20_rd_') \g /dev/null
SELECT * FROM finish();
DELETE FROM jobmon.job_check_config WHERE job_name = 'sec20_rd_bob_log';
DELETE FROM jobmon.job_check_log WHERE job_name LIKE 'SEC20\_RD\_%';
DELETE FROM jobmon.job_log WHERE job_name LIKE 'SEC20\_RD\_%';
SELECT jobmon.revoke_scheduler('jobmon_test_sec_rd_alice') \g /dev/null
DROP OWNED BY jobmon_test_sec_rd_alice;
DROP OWNED BY jobmon_test_sec_rd_bob;
DROP OWNED BY jobmon_test_sec_rd_monitor;
DROP ROLE jobmon_test_sec_rd_alice, jobmon_test_sec_rd_bob, jobmon_test_sec_rd_monitor;
