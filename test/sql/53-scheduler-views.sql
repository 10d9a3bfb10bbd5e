-- The scheduler's views and readers: jobmon_timers (next and last run, the
-- schedule in words, inactive and broken jobs, never run), jobmon_my_jobs, jobmon_my_log,
-- get_job, get_owned_jobs, get_run_as_jobs, get_run_log, get_active_runs,
-- each showing a role only its jobs.  Finished runs are inserted directly,
-- as the worker would leave them.  Nothing is committed.
\ir ../setup.sql
BEGIN;
SELECT plan(35);
-- Dates in the schedule descriptions are printed in the session's zone.
SET LOCAL TimeZone = 'UTC';

DO $$ BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'jobmon_test_s53_bob') THEN
        CREATE ROLE jobmon_test_s53_bob LOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'jobmon_test_s53_carol') THEN
        CREATE ROLE jobmon_test_s53_carol LOGIN;
    END IF;
END $$;
SELECT jobmon.grant_scheduler('jobmon_test_s53_bob') \g /dev/null
GRANT USAGE ON SCHEMA jobmon TO jobmon_test_s53_carol;
SELECT current_user AS su \gset

-- The jobs of this file, which the views show among any others.
CREATE TEMP TABLE s53_jobs (job_id bigint);
GRANT SELECT ON s53_jobs TO PUBLIC;

-- A superuser's jobs
SELECT jobmon.create_job('{"name": "s53 every5", "cron": "*/5 * * * *", "commands": "SELECT 1"}') AS every5 \gset
SELECT jobmon.create_job('{"name": "s53 multi", "cron": "0 9 * * *", "commands": "SELECT 1",
                           "dates": ["2030-01-01 00:00+00", "2030-02-01 12:00+00"]}') AS multi \gset
SELECT jobmon.disable_schedule(schedule_id) FROM jobmon.jobmon_schedule WHERE job_id = :multi AND dates IS NOT NULL \g /dev/null
SELECT jobmon.create_job('{"name": "s53 inactive", "cron": "0 9 * * *", "commands": "SELECT 1"}') AS inactive \gset
SELECT jobmon.deactivate_job(:inactive) \g /dev/null
SELECT jobmon.create_job('{"name": "s53 broken", "cron": "0 9 * * *", "commands": "SELECT 1"}') AS broken \gset
SELECT jobmon._job_break(:broken, 'role "x" that the job runs as no longer exists') \g /dev/null
SELECT jobmon.create_job('{"name": "s53 ran", "dates": "2030-01-01 00:00+00", "commands": "SELECT 1",
                           "run_as": "jobmon_test_s53_bob"}') AS ran \gset
-- bob's own job
SET ROLE jobmon_test_s53_bob;
SELECT jobmon.create_job('{"name": "s53 bob", "cron": "0 12 * * *", "commands": "SELECT 1"}') AS bob \gset
RESET ROLE;
INSERT INTO s53_jobs VALUES (:every5), (:multi), (:inactive), (:broken), (:ran), (:bob);

-- Runs of "s53 ran" as the worker leaves them: two finished, then one
-- skipped and one waiting, which never started.
INSERT INTO jobmon.jobmon_run (job_id, job_name, owner, run_as, due_at, status, reason, started_at, finished_at)
VALUES (:ran, 's53 ran', current_user, 'jobmon_test_s53_bob', now() - interval '2 hours', 'success', NULL,
        now() - interval '2 hours', now() - interval '2 hours' + interval '3 seconds'),
       (:ran, 's53 ran', current_user, 'jobmon_test_s53_bob', now() - interval '1 hour', 'failure', 'division by zero',
        now() - interval '1 hour', now() - interval '1 hour' + interval '1 minute'),
       (:ran, 's53 ran', current_user, 'jobmon_test_s53_bob', now() - interval '10 minutes', 'skipped', '1 run(s) of the job were still under way',
        NULL, now() - interval '10 minutes');
SELECT jobmon.run_job(:ran) AS waiting \gset
SELECT max(run_id) AS failed FROM jobmon.jobmon_run WHERE job_id = :ran AND status = 'failure' \gset
INSERT INTO jobmon.jobmon_run (job_id, job_name, owner, run_as, due_at, status, started_at, pid)
VALUES (:every5, 's53 every5', current_user, current_user, now(), 'running', now(), 0) RETURNING run_id AS running \gset

-- jobmon_timers
SELECT set_eq($$SELECT job_name, schedule FROM jobmon.jobmon_timers WHERE job_id IN (SELECT job_id FROM s53_jobs)$$,
    $$VALUES ('s53 every5', 'Every 5 minutes'),
             ('s53 multi', 'At 09:00; at 2030-01-01 00:00:00+00, 2030-02-01 12:00:00+00 (disabled)'),
             ('s53 bob', 'At 12:00'),
             ('s53 ran', 'at 2030-01-01 00:00:00+00'),
             ('s53 inactive', 'inactive'),
             ('s53 broken', 'broken: role "x" that the job runs as no longer exists')$$,
    'jobmon_timers: each job with its schedules in words, or why it does not run');
SELECT results_eq(format('SELECT job_name FROM jobmon.jobmon_timers WHERE job_id IN (%s, %s, %s, %s)', :broken, :inactive, :ran, :every5),
    $$VALUES ('s53 every5'), ('s53 ran'), ('s53 inactive'), ('s53 broken')$$,
    'soonest first, jobs that will not run last');
SELECT is((SELECT schedule FROM jobmon.jobmon_timers WHERE job_id = :multi),
          jobmon.cron_describe('0 9 * * *') || '; at 2030-01-01 00:00:00+00, 2030-02-01 12:00:00+00 (disabled)',
          'a cron schedule is described by cron_describe');
SELECT results_eq(format('SELECT next_run, time_left FROM jobmon.jobmon_timers WHERE job_id = %s', :every5),
    $$SELECT jobmon.cron_next('*/5 * * * *', now()), date_trunc('second', jobmon.cron_next('*/5 * * * *', now()) - now())$$,
    'next_run is the next fire time, time_left the whole seconds until then');
SELECT ok((SELECT time_left >= interval '0' AND time_left <= interval '5 minutes' FROM jobmon.jobmon_timers WHERE job_id = :every5),
          'which is at most five minutes away');
SELECT is((SELECT next_run FROM jobmon.jobmon_timers WHERE job_id = :multi), jobmon.cron_next('0 9 * * *', now()),
          'a disabled schedule does not count for next_run');
SELECT results_eq(format('SELECT next_run, time_left FROM jobmon.jobmon_timers WHERE job_id IN (%s, %s)', :inactive, :broken),
    $$VALUES (NULL::timestamptz, NULL::interval), (NULL, NULL)$$, 'inactive and broken jobs have no next run');
SELECT results_eq(format('SELECT last_run, time_since, last_status FROM jobmon.jobmon_timers WHERE job_id = %s', :multi),
    $$VALUES (NULL::timestamptz, NULL::interval, 'never run')$$, 'a job without runs: never run');
SELECT results_eq(format('SELECT last_run, time_since, last_status FROM jobmon.jobmon_timers WHERE job_id = %s', :ran),
    $$VALUES (now() - interval '1 hour', interval '1 hour', 'failure')$$,
    'last_run and last_status are of the last run that started; skipped and waiting runs do not count');
SELECT results_eq(format('SELECT last_status, last_run FROM jobmon.jobmon_timers WHERE job_id = %s', :every5),
    $$VALUES ('running', now())$$, 'a running run is the last run');

-- jobmon_my_jobs and the readers, as a superuser
SELECT results_eq(format('SELECT name, owner, run_as, crons, dates, next_run FROM jobmon.jobmon_my_jobs WHERE job_id = %s', :multi),
    $$VALUES ('s53 multi', current_user, current_user, '{0 9 * * *}'::text[],
              '{2030-01-01 00:00+00,2030-02-01 12:00+00}'::timestamptz[], jobmon.cron_next('0 9 * * *', now()))$$,
    'jobmon_my_jobs: the job, its crons, its dates and its next run');
SELECT is((SELECT count(*)::int FROM jobmon.jobmon_my_jobs WHERE job_id IN (SELECT job_id FROM s53_jobs)), 6,
          'a superuser sees every job in jobmon_my_jobs');
SELECT results_eq(format('SELECT * FROM jobmon.get_job(%s)', :multi),
    format('SELECT * FROM jobmon.jobmon_my_jobs WHERE job_id = %s', :multi), 'get_job returns the jobmon_my_jobs row');
SELECT is_empty(format('SELECT * FROM jobmon.get_job(%s)', (SELECT max(job_id) + 1000 FROM jobmon.jobmon_job)),
                'get_job of a job that does not exist: no row');
SELECT results_eq($$SELECT name FROM jobmon.get_owned_jobs() WHERE job_id IN (SELECT job_id FROM s53_jobs)$$,
    $$VALUES ('s53 every5'), ('s53 multi'), ('s53 inactive'), ('s53 broken'), ('s53 ran')$$,
    'get_owned_jobs(): the caller''s jobs by job_id');
SELECT results_eq($$SELECT name FROM jobmon.get_owned_jobs('jobmon_test_s53_bob')$$, $$VALUES ('s53 bob')$$,
    'get_owned_jobs(role): another role''s, for a superuser');
SELECT results_eq($$SELECT name FROM jobmon.get_run_as_jobs('jobmon_test_s53_bob')$$, $$VALUES ('s53 ran'), ('s53 bob')$$,
    'get_run_as_jobs(role): the jobs that run as that role');

-- jobmon_my_log and the run readers
SELECT results_eq(format('SELECT run_id, status, reason, duration FROM jobmon.get_run_log(%s)', :ran),
    format($$VALUES (%s::bigint, 'waiting', NULL, NULL::interval),
                    (%s - 1, 'skipped', '1 run(s) of the job were still under way', NULL),
                    (%s, 'failure', 'division by zero', '1 minute'), (%s - 1, 'success', NULL, '3 seconds')$$,
           :waiting, :waiting, :failed, :failed),
    'get_run_log(job): its runs newest first, with their durations');
SELECT bag_eq($$SELECT job_id, status FROM jobmon.get_run_log() WHERE job_id IN (SELECT job_id FROM s53_jobs)$$,
    format($$VALUES (%1$s::bigint, 'waiting'), (%1$s, 'skipped'), (%1$s, 'failure'), (%1$s, 'success'), (%2$s, 'running')$$,
           :ran, :every5),
    'get_run_log(): the runs of every job');
SELECT results_eq($$SELECT run_id, status FROM jobmon.get_active_runs() WHERE job_id IN (SELECT job_id FROM s53_jobs)$$,
    format($$VALUES (%s::bigint, 'running'), (%s, 'waiting')$$, :running, :waiting),
    'get_active_runs(): the waiting and running ones, newest first');
SELECT results_eq(format('SELECT job_name, run_as, due_at FROM jobmon.jobmon_my_log WHERE run_id = %s', :waiting),
    $$VALUES ('s53 ran', 'jobmon_test_s53_bob'::name, now())$$, 'jobmon_my_log: a run_job() run is due now');

-- What bob sees: his job and the job that runs as him
SET ROLE jobmon_test_s53_bob;
SELECT results_eq($$SELECT job_name FROM jobmon.jobmon_timers$$, $$VALUES ('s53 bob'), ('s53 ran')$$,
    'bob: jobmon_timers shows his job and the one that runs as him, and no other');
SELECT results_eq($$SELECT name FROM jobmon.jobmon_my_jobs ORDER BY job_id$$, $$VALUES ('s53 ran'), ('s53 bob')$$,
    'bob: so does jobmon_my_jobs');
SELECT results_eq($$SELECT name FROM jobmon.get_owned_jobs()$$, $$VALUES ('s53 bob')$$, 'bob: get_owned_jobs() is his job');
SELECT results_eq($$SELECT name FROM jobmon.get_run_as_jobs()$$, $$VALUES ('s53 ran'), ('s53 bob')$$,
    'bob: get_run_as_jobs() is every job that runs as him');
SELECT results_eq(format('SELECT name FROM jobmon.get_owned_jobs(%L)', :'su'), $$VALUES ('s53 ran')$$,
    'bob: of the superuser''s jobs, only the one that runs as him');
SELECT is_empty(format('SELECT * FROM jobmon.get_job(%s)', :every5), 'bob: get_job of a job not his: no row');
SELECT results_eq($$SELECT count(*)::int, min(job_id) FROM jobmon.get_run_log()$$, format('VALUES (4, %s::bigint)', :ran),
    'bob: get_run_log() shows the runs of the job that runs as him');
SELECT results_eq($$SELECT run_id FROM jobmon.get_active_runs()$$, format('VALUES (%s::bigint)', :waiting),
    'bob: get_active_runs() likewise');
SELECT results_eq($$SELECT last_status FROM jobmon.jobmon_timers ORDER BY job_id$$, $$VALUES ('failure'), ('never run')$$,
    'bob: jobmon_timers shows the last status of what he can see');
RESET ROLE;

-- carol has no job
SET ROLE jobmon_test_s53_carol;
SELECT is_empty('SELECT * FROM jobmon.jobmon_timers', 'carol: jobmon_timers is empty');
SELECT is_empty('SELECT * FROM jobmon.jobmon_my_jobs', 'carol: jobmon_my_jobs is empty');
SELECT is_empty('SELECT * FROM jobmon.jobmon_my_log', 'carol: jobmon_my_log is empty');
SELECT is_empty('SELECT * FROM jobmon.jobmon_schedule', 'carol: she reads no schedule either');
RESET ROLE;

-- A job whose last schedule is dropped has nothing to say
SELECT jobmon.drop_schedule(schedule_id) FROM jobmon.jobmon_schedule WHERE job_id = :every5 \g /dev/null
SELECT results_eq(format('SELECT next_run, schedule, last_status FROM jobmon.jobmon_timers WHERE job_id = %s', :every5),
    $$VALUES (NULL::timestamptz, NULL::text, 'running')$$, 'a job without schedules: no next run, no schedule');

SELECT * FROM finish();
ROLLBACK;
