-- No value a definition accepts can make a dispatcher pass fail: times
-- must be finite and intervals at most 100 years, refused at input with
-- 22023 naming the bound; what is accepted at its extremes (100 years,
-- a date in the year 200000, a role name with a space) plans, launches,
-- enforces limits and lists like any other job.  The dispatcher's passes
-- are called directly, in a transaction that rolls back: no worker starts.
\ir ../setup.sql
BEGIN;
SELECT plan(21);

-- Refused at input.
SELECT throws_ok($$SELECT jobmon.create_job('{"cron": "* * * * *", "commands": "SELECT 1", "max_run_time": "1000000 years"}')$$,
                 '22023', 'option "max_run_time" of create_job() must be at most 100 years',
                 'create_job: max_run_time above 100 years is refused');
SELECT throws_ok($$SELECT jobmon.create_job('{"cron": "* * * * *", "commands": "SELECT 1", "last_start_available": "1000000 years"}')$$,
                 '22023', 'option "last_start_available" of create_job() must be at most 100 years',
                 'create_job: last_start_available above 100 years is refused');
SELECT throws_ok($$SELECT jobmon.create_job('{"cron": "* * * * *", "commands": "SELECT 1", "retries": 1, "retry_delay": "200 years"}')$$,
                 '22023', 'option "retry_delay" of create_job() must be at most 100 years',
                 'create_job: retry_delay above 100 years is refused');
SELECT throws_ok($$SELECT jobmon.create_job('{"dates": ["infinity"], "commands": "SELECT 1"}')$$,
                 '22023', 'option "dates" of create_job() must be a finite time',
                 'create_job: dates ["infinity"] is refused');
SELECT throws_ok($$SELECT jobmon.create_job('{"cron": "* * * * *", "commands": "SELECT 1", "start_date": "-infinity"}')$$,
                 '22023', 'option "start_date" of create_job() must be a finite time',
                 'create_job: start_date -infinity is refused');
SELECT throws_ok($$SELECT jobmon.create_job('{"cron": "* * * * *", "commands": "SELECT 1", "missed_limit": 1099511627776}')$$,
                 '22023', 'invalid value for option "missed_limit" of create_job()',
                 'create_job: a missed_limit beyond integer is refused');
SELECT throws_ok($$SELECT jobmon.submit_job('SELECT 1', run_after => '-infinity')$$,
                 '22023', 'argument run_after of submit_job() must be a finite time',
                 'submit_job: run_after -infinity is refused');
SELECT throws_ok($$SELECT jobmon.submit_job('SELECT 1', run_after => 'infinity')$$,
                 '22023', 'argument run_after of submit_job() must be a finite time',
                 'submit_job: run_after infinity is refused');
SELECT throws_ok($$SELECT jobmon.submit_job('SELECT 1', max_wait_interval => '1000000 years')$$,
                 '22023', 'argument max_wait_interval of submit_job() must be at most 100 years',
                 'submit_job: max_wait_interval above 100 years is refused');
SELECT throws_ok($$SELECT jobmon.submit_job('SELECT 1', max_duration => '1000000 years')$$,
                 '22023', 'argument max_duration of submit_job() must be at most 100 years',
                 'submit_job: max_duration above 100 years is refused');

SELECT jobmon.create_job('{"name": "x62 plain", "cron": "* * * * * *", "commands": "SELECT 1"}') AS plain \gset
SELECT schedule_id AS plain_sched FROM jobmon.jobmon_schedule WHERE job_id = :plain \gset
SELECT throws_ok(format('SELECT jobmon.add_schedule(%s, ARRAY[%L]::timestamptz[])', :plain, 'infinity'),
                 '22023', 'each of the dates of add_schedule() must be a finite time',
                 'add_schedule: an infinite date is refused');
SELECT throws_ok(format('SELECT jobmon.dyn_override(%s, %L)', :plain_sched, '-infinity'),
                 '22023', 'argument p_next_time of dyn_override() must be a finite time',
                 'dyn_override: an infinite time is refused');
SELECT throws_ok(format('SELECT jobmon.set_job_attribute(%s, %L, %L)', :plain, 'max_run_time', '101 years'),
                 '22023', 'option "max_run_time" of set_job_attributes() must be at most 100 years',
                 'set_job_attribute: max_run_time above 100 years is refused');

-- Accepted at the extremes.
SELECT lives_ok($$SELECT jobmon.create_job('{"name": "x62 extreme", "cron": "* * * * * *", "commands": "SELECT 1",
                   "max_run_time": "100 years", "last_start_available": "100 years", "retries": 999999999,
                   "retry_delay": "100 years", "max_retry_delay": "100 years", "retry_backoff": 1000,
                   "missed_limit": 999999999, "max_instances": 999999999, "end_date": "200000-01-01"}')$$,
                'a job with every limit at its bound is accepted');
SELECT lives_ok($$SELECT jobmon.create_job('{"name": "x62 far", "dates": ["200000-01-01"], "commands": "SELECT 1"}')$$,
                'a job that fires in the year 200000 is accepted');
SELECT lives_ok($$SELECT jobmon.submit_job('SELECT 1', name => 'x62 oneoff', max_duration => '100 years',
                                           max_wait_interval => '100 years', run_after => now() - interval '1 second')$$,
                'a one-off job with its limits at their bound is accepted');

-- A run of the extreme job under way, as a worker would have left it.
INSERT INTO jobmon.jobmon_run (job_id, job_name, owner, run_as, due_at, status, started_at, pid)
SELECT job_id, name, owner, run_as, now() - interval '1 minute', 'running', now() - interval '1 minute', pg_backend_pid()
FROM jobmon.jobmon_job WHERE name = 'x62 extreme';
-- Its schedules due now.
UPDATE jobmon.jobmon_schedule s SET next_fire = now() - interval '1 second', fired_until = now() - interval '2 seconds'
FROM jobmon.jobmon_job j WHERE j.job_id = s.job_id AND j.name LIKE 'x62 %' AND s.cron IS NOT NULL;

SELECT lives_ok('SELECT jobmon._runs_enforce_limits()', 'the limits pass runs with a 100-year max_run_time under way');
SELECT lives_ok('SELECT jobmon._dispatch_plan()', 'the planning pass runs');
SELECT lives_ok('SELECT jobmon._runs_skip_expired()', 'the expiry pass runs');
SELECT is((SELECT count(*)::int FROM jobmon.jobmon_run WHERE job_name = 'x62 plain' AND status = 'waiting'), 1,
          'the plain job is planned beside them');
SELECT lives_ok('SELECT count(*) FROM jobmon.jobmon_timers', 'jobmon_timers lists them all');

SELECT * FROM finish();
ROLLBACK;
