-- A job's commands run under its role's and its own settings, as a
-- client's would: statement_timeout set by the job or by ALTER ROLE ...
-- SET applies to them.  The record of the run is immune to what the job
-- did to its session: read-only or serializable transactions by default,
-- a short lock_timeout or statement_timeout leave every later command run
-- and every step recorded.
-- Workers only see committed jobs: this file commits (see scheduler.sql).
\ir ../setup.sql
\ir ../scheduler.sql

SELECT pg_temp.test_cleanup('s65_') \g /dev/null
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'jobmon_test_s65') THEN
        CREATE ROLE jobmon_test_s65 LOGIN;
    END IF;
END
$$;
ALTER ROLE jobmon_test_s65 SET statement_timeout = '200ms';

SELECT plan(9);
SELECT pg_temp.tick_start() \g /dev/null

-- The statuses of a run's steps, in order.
CREATE FUNCTION pg_temp.step_statuses(p_run_id bigint) RETURNS text[] LANGUAGE sql AS $$
    SELECT array_agg(d.status ORDER BY d.step_id) FROM jobmon.job_detail d
    JOIN jobmon.jobmon_run r ON r.log_id = d.job_id WHERE r.run_id = p_run_id
$$;
-- The SQLSTATE of the error events of a run.
CREATE FUNCTION pg_temp.error_states(p_run_id bigint) RETURNS text[] LANGUAGE sql AS $$
    SELECT array_agg(e.sqlstate ORDER BY e.event_id) FROM jobmon.jobmon_event e
    JOIN jobmon.jobmon_run r ON r.log_id = e.job_id WHERE r.run_id = p_run_id AND e.severity = 'ERROR'
$$;

-- statement_timeout set by the job.
SELECT jobmon.create_job('{"name": "s65_own_timeout", "dates": ["2100-01-01"],
                           "commands": ["SET statement_timeout = 200", "SELECT pg_sleep(10)"]}') AS own \gset
SELECT jobmon.run_job(:own) AS run \gset
SELECT is(jobmon.wait_for_run(:run, '30 seconds'), 'failure', 'a job''s own statement_timeout ends its long statement');
SELECT is(pg_temp.error_states(:run), ARRAY['57014'], 'with the statement timeout''s error');

-- statement_timeout set on the job's role.
SELECT jobmon.create_job('{"name": "s65_role_timeout", "dates": ["2100-01-01"], "run_as": "jobmon_test_s65",
                           "commands": "SELECT pg_sleep(10)"}') AS role_job \gset
SELECT jobmon.run_job(:role_job) AS run \gset
SELECT is(jobmon.wait_for_run(:run, '30 seconds'), 'failure', 'the role''s statement_timeout applies to its jobs');
SELECT is(pg_temp.error_states(:run), ARRAY['57014'], 'with the statement timeout''s error');

-- Settings that would break the bookkeeping if it inherited them.
SELECT jobmon.create_job('{"name": "s65_read_only", "dates": ["2100-01-01"],
                           "commands": ["SET default_transaction_read_only = on", "SELECT 1", "SELECT 2"]}') AS ro \gset
SELECT jobmon.run_job(:ro) AS run \gset
SELECT is(jobmon.wait_for_run(:run, '30 seconds'), 'success', 'a job that makes its session read-only still succeeds');
SELECT is(pg_temp.step_statuses(:run), ARRAY['OK', 'OK', 'OK'], 'and every command ran and is recorded');

SELECT jobmon.create_job('{"name": "s65_session", "dates": ["2100-01-01"],
                           "commands": ["SET default_transaction_isolation = serializable; SET lock_timeout = 1; SET statement_timeout = 1",
                                        "SELECT 1", "SELECT 2"]}') AS sess \gset
SELECT jobmon.run_job(:sess) AS run \gset
SELECT is(jobmon.wait_for_run(:run, '30 seconds'), 'success', 'so does one with serializable transactions and 1 ms timeouts');
SELECT is(pg_temp.step_statuses(:run), ARRAY['OK', 'OK', 'OK'], 'every command recorded');

-------------------------------------------------------------------------------
CALL pg_temp.tick_stop();
SELECT pg_temp.test_cleanup('s65_') \g /dev/null
SELECT is((SELECT count(*)::int FROM jobmon.jobmon_run WHERE job_name LIKE 's65\_%'), 0, 'clean-up leaves no run behind');
SELECT * FROM finish();
DROP ROLE jobmon_test_s65;
