-- Fire times missed while no dispatcher ran (downtime), by on_missed policy.
-- The dispatcher's planning step is called directly, in a transaction
-- that rolls back: no worker starts.
\ir ../setup.sql
BEGIN;
SELECT plan(9);

-- Three every-second jobs whose schedules last fired 10.5 seconds ago.
SELECT jobmon.create_job(format('{"name": "m58 %s", "cron": "* * * * * *", "commands": "SELECT 1",
                                  "on_missed": "%s", "missed_limit": 5}', p, p)::jsonb)
FROM unnest(ARRAY['once', 'skip', 'all']) p \g /dev/null
UPDATE jobmon.jobmon_schedule s
SET fired_until = date_trunc('second', now()) - interval '10 seconds',
    next_fire = date_trunc('second', now()) - interval '9 seconds'
FROM jobmon.jobmon_job j WHERE j.job_id = s.job_id AND j.name LIKE 'm58 %';
SELECT jobmon._dispatch_plan() \g /dev/null

SELECT is((SELECT count(*)::int FROM jobmon.jobmon_run WHERE job_name = 'm58 once'), 1,
          'once: one run for all the missed fire times');
SELECT ok((SELECT due_at >= date_trunc('second', now()) - interval '1 second'
           FROM jobmon.jobmon_run WHERE job_name = 'm58 once'),
          'once: the run is for the latest missed time');
SELECT results_eq($$SELECT status, reason ~ 'missed while no dispatcher ran' FROM jobmon.jobmon_run WHERE job_name = 'm58 skip'$$,
                  $$VALUES ('skipped'::text, true)$$,
                  'skip: no run, one skipped record saying why');
SELECT is((SELECT count(*)::int FROM jobmon.jobmon_run WHERE job_name = 'm58 all'), 5,
          'all: one run per missed time, at most missed_limit');
SELECT is((SELECT count(*)::int FROM jobmon.jobmon_run WHERE job_name = 'm58 all' AND status = 'waiting'), 1,
          'all: with max_instances 1 the others are skipped as overlapping');
SELECT ok((SELECT bool_and(s.next_fire > now()) FROM jobmon.jobmon_schedule s JOIN jobmon.jobmon_job j USING (job_id)
           WHERE j.name IN ('m58 once', 'm58 skip')),
          'once and skip: the schedule goes on in the future');
SELECT ok((SELECT s.next_fire > now() FROM jobmon.jobmon_schedule s JOIN jobmon.jobmon_job j USING (job_id)
           WHERE j.name = 'm58 all'),
          'all: past the limit, the schedule goes on from now');

-- A schedule that is just due (no backlog) plans exactly one waiting run.
SELECT jobmon.create_job('{"name": "m58 due", "cron": "* * * * * *", "commands": "SELECT 1"}') \g /dev/null
UPDATE jobmon.jobmon_schedule s SET next_fire = clock_timestamp()
FROM jobmon.jobmon_job j WHERE j.job_id = s.job_id AND j.name = 'm58 due';
SELECT jobmon._dispatch_plan() \g /dev/null
SELECT results_eq($$SELECT status FROM jobmon.jobmon_run WHERE job_name = 'm58 due'$$,
                  $$VALUES ('waiting'::text)$$, 'a due schedule plans one waiting run');
SELECT is((SELECT count(*)::int FROM jobmon.jobmon_run WHERE job_name LIKE 'm58 %' AND schedule_id IS NULL), 0,
          'planned runs name their schedule');

SELECT * FROM finish();
ROLLBACK;
