-- run_as names a role by identity, not as an SQL identifier to be parsed
-- again: a job that runs as the mixed-case role "jobmon_test_sec_Reports"
-- runs as that role and never as the lower-case jobmon_test_sec_reports,
-- and a role whose name has a space runs jobs too.  Whom a job may run as
-- is decided on that identity: the owner, a member of the mixed-case role
-- only, cannot have a job run as the lower-case one.
--
-- Roles (all log in): "jobmon_test_sec_Reports", jobmon_test_sec_reports,
-- "jobmon_test_sec_Ops Team", and jobmon_test_sec_ra_owner, a member of
-- "jobmon_test_sec_Reports" and of "jobmon_test_sec_Ops Team", allowed to
-- schedule (grant_scheduler, which grants USAGE on schema jobmon).  Every
-- role may insert into public.sec20_ra_whoami, so that a job run as the
-- wrong role shows instead of failing.
-- Workers only see committed jobs: this file commits (see scheduler.sql).
\ir ../setup.sql
\ir ../scheduler.sql
\ir ../security.sql

-- Left over by an interrupted earlier run of this file.
SELECT pg_temp.test_cleanup('sec20_ra_') \g /dev/null
DROP TABLE IF EXISTS public.sec20_ra_whoami;
SELECT pg_temp.drop_test_roles(ARRAY['jobmon_test_sec_ra_owner', 'jobmon_test_sec_Reports', 'jobmon_test_sec_reports',
                                  'jobmon_test_sec_Ops Team']) \g /dev/null

CREATE ROLE "jobmon_test_sec_Reports" LOGIN;
CREATE ROLE jobmon_test_sec_reports LOGIN;
CREATE ROLE "jobmon_test_sec_Ops Team" LOGIN;
CREATE ROLE jobmon_test_sec_ra_owner LOGIN IN ROLE "jobmon_test_sec_Reports", "jobmon_test_sec_Ops Team";
SELECT jobmon.grant_scheduler('jobmon_test_sec_ra_owner') \g /dev/null
CREATE TABLE public.sec20_ra_whoami (tag text, who text);
GRANT INSERT ON public.sec20_ra_whoami TO PUBLIC;

-- The owner creates a job that records who runs it under p_tag, runs it
-- once, and waits (30 seconds at most): the run's id.  A procedure, to
-- commit the job and the run before waiting.
CREATE PROCEDURE pg_temp.owner_runs(p_tag text, p_run_as text, INOUT run bigint DEFAULT NULL) LANGUAGE plpgsql AS $$
BEGIN
    SET ROLE jobmon_test_sec_ra_owner;
    run := jobmon.run_job(jobmon.create_job(jsonb_build_object('name', 'sec20_ra_' || p_tag, 'run_as', p_run_as,
        'commands', format('INSERT INTO public.sec20_ra_whoami SELECT %L, current_user::text', p_tag))));
    RESET ROLE;
    COMMIT;
    PERFORM jobmon.wait_for_run(run, '30 seconds');
END
$$;

SELECT plan(11);
SELECT pg_temp.tick_start() \g /dev/null

-------------------------------------------------------------------------------
-- The mixed-case role.
CALL pg_temp.owner_runs('reports', 'jobmon_test_sec_Reports') \gset
SELECT is((SELECT status FROM jobmon.jobmon_run WHERE run_id = :run), 'success',
          'a job with run_as ''jobmon_test_sec_Reports'' runs');
SELECT results_eq($$SELECT who FROM public.sec20_ra_whoami WHERE tag = 'reports'$$,
                  $$VALUES ('jobmon_test_sec_Reports')$$,
                  'its command runs as "jobmon_test_sec_Reports", not as jobmon_test_sec_reports');
SELECT is((SELECT l.owner FROM jobmon.job_log l JOIN jobmon.jobmon_run r ON r.log_id = l.job_id WHERE r.run_id = :run),
          'jobmon_test_sec_Reports', 'the run''s job_log row names the role as it is named');

-------------------------------------------------------------------------------
-- The lower-case role, which the owner is not a member of.
SET ROLE jobmon_test_sec_ra_owner;
SELECT throws_ok($$SELECT jobmon.create_job(jsonb_build_object('name', 'sec20_ra_lower', 'run_as', 'jobmon_test_sec_reports',
                      'commands', 'SELECT 1', 'dates', (now() + interval '1 hour')::text))$$,
                 '42501', 'permission denied to run jobs as role "jobmon_test_sec_reports"',
                 'run_as ''jobmon_test_sec_reports'' by a member of "jobmon_test_sec_Reports" only is refused');
SELECT throws_ok(format('SELECT jobmon.set_job_attribute(%s, %L, %L)',
                        (SELECT job_id FROM jobmon.jobmon_job WHERE name = 'sec20_ra_reports'), 'run_as', 'jobmon_test_sec_reports'),
                 '42501', 'permission denied to run jobs as role "jobmon_test_sec_reports"',
                 'and so is switching the job to run as it');
RESET ROLE;
SELECT is((SELECT count(*)::int FROM jobmon.jobmon_job WHERE name LIKE 'sec20\_ra\_%'
           AND run_as::text IN ('jobmon_test_sec_reports', (SELECT oid::text FROM pg_roles WHERE rolname = 'jobmon_test_sec_reports'))),
          0, 'no job of the owner''s runs as jobmon_test_sec_reports');

-------------------------------------------------------------------------------
-- A role whose name has a space.
CALL pg_temp.owner_runs('ops', 'jobmon_test_sec_Ops Team') \gset
SELECT is((SELECT status FROM jobmon.jobmon_run WHERE run_id = :run), 'success',
          'a job with run_as ''jobmon_test_sec_Ops Team'' runs');
SELECT results_eq($$SELECT who FROM public.sec20_ra_whoami WHERE tag = 'ops'$$,
                  $$VALUES ('jobmon_test_sec_Ops Team')$$, 'as "jobmon_test_sec_Ops Team"');
SELECT is((SELECT l.owner FROM jobmon.job_log l JOIN jobmon.jobmon_run r ON r.log_id = l.job_id WHERE r.run_id = :run),
          'jobmon_test_sec_Ops Team', 'the run''s job_log row names the role as it is named');

-------------------------------------------------------------------------------
SELECT is((SELECT count(*)::int FROM public.sec20_ra_whoami WHERE who = 'jobmon_test_sec_reports'), 0,
          'nothing ever ran as jobmon_test_sec_reports');
CALL pg_temp.tick_stop();
SELECT pg_temp.test_cleanup('sec20_ra_') \g /dev/null
SELECT is((SELECT count(*)::int FROM jobmon.jobmon_run WHERE job_name LIKE 'sec20\_ra\_%'), 0,
          'clean-up leaves no run behind');
SELECT * FROM finish();
SELECT jobmon.revoke_scheduler('jobmon_test_sec_ra_owner') \g /dev/null
DROP TABLE public.sec20_ra_whoami;
DROP OWNED BY jobmon_test_sec_ra_owner;
DROP ROLE jobmon_test_sec_ra_owner, "jobmon_test_sec_Reports", jobmon_test_sec_reports, "jobmon_test_sec_Ops Team";
