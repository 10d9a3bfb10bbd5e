-- Fire times missed while no dispatcher ran (downtime), by on_missed policy:
-- what the dispatcher plans.  The dispatcher's planning step is called
-- directly, in a transaction that rolls back: no worker starts.  How the
-- runs of on_missed all then run is 67-scheduler-on-missed-all.sql.
\ir ../setup.sql
BEGIN;
SELECT plan(19);

-- Three every-second jobs whose schedules last fired 10.5 seconds ago.
SELECT jobmon.create_job(format('{"name": "m58 %s", "cron": "* * * * * *", "commands": "SELECT 1",
                                  "on_missed": "%s", "missed_limit": 5}', p, p)::jsonb)
FROM unnest(ARRAY['once', 'skip', 'all']) p \g /dev/null
SELECT date_trunc('second', now()) - interval '9 seconds' AS first_missed \gset
UPDATE jobmon.jobmon_schedule s
SET fired_until = :'first_missed'::timestamptz - interval '1 second', next_fire = :'first_missed'
FROM jobmon.jobmon_job j WHERE j.job_id = s.job_id AND j.name LIKE 'm58 %';
SELECT jobmon._dispatch_plan() \g /dev/null

SELECT is((SELECT count(*)::int FROM jobmon.jobmon_run WHERE job_name = 'm58 once'), 1,
          'once: one run for all the missed fire times');
SELECT ok((SELECT due_at >= date_trunc('second', now()) FROM jobmon.jobmon_run WHERE job_name = 'm58 once'),
          'once: the run is for the latest missed time');
SELECT results_eq($$SELECT status, reason ~ 'missed while no dispatcher ran' FROM jobmon.jobmon_run WHERE job_name = 'm58 skip'$$,
                  $$VALUES ('skipped'::text, true)$$,
                  'skip: no run, one skipped record saying why');

-- all, with missed_limit 5: the ten (or, if the second turned meanwhile,
-- eleven) missed times are first_missed, first_missed + 1s ... the latest.
SELECT is((SELECT count(*)::int FROM jobmon.jobmon_run WHERE job_name = 'm58 all' AND status = 'waiting'), 5,
          'all: missed_limit runs are planned');
SELECT is((SELECT array_agg(d ORDER BY d) FROM (SELECT due_at - min(due_at) OVER () AS d FROM jobmon.jobmon_run
                                                 WHERE job_name = 'm58 all' AND status = 'waiting') x),
          '{0,1,2,3,4}'::interval[],
          'all: for consecutive fire times');
SELECT ok((SELECT max(due_at) >= date_trunc('second', now()) FROM jobmon.jobmon_run
           WHERE job_name = 'm58 all' AND status = 'waiting'),
          'all: the last of them is the latest missed time, the one due now (the on-time run is kept)');
SELECT is((SELECT count(*)::int FROM jobmon.jobmon_run WHERE job_name = 'm58 all' AND status = 'skipped'), 1,
          'all: the older missed times, beyond missed_limit, are recorded in one skipped run');
SELECT is((SELECT reason FROM jobmon.jobmon_run WHERE job_name = 'm58 all' AND status = 'skipped'),
          (SELECT format('%s fire time(s) from %s to %s were missed while no dispatcher ran and are not run: '
                         'on_missed all runs the last 5 (missed_limit)',
                         extract(epoch FROM min(due_at) - :'first_missed')::int, :'first_missed'::timestamptz,
                         min(due_at) - interval '1 second')
           FROM jobmon.jobmon_run WHERE job_name = 'm58 all' AND status = 'waiting'),
          'all: its reason counts them and gives the first and the last');
SELECT is((SELECT due_at FROM jobmon.jobmon_run WHERE job_name = 'm58 all' AND status = 'skipped'),
          (SELECT min(due_at) - interval '1 second' FROM jobmon.jobmon_run WHERE job_name = 'm58 all' AND status = 'waiting'),
          'all: the skipped run is due at the last time it records');
SELECT ok((SELECT bool_and(s.next_fire > now()) FROM jobmon.jobmon_schedule s JOIN jobmon.jobmon_job j USING (job_id)
           WHERE j.name LIKE 'm58 %'),
          'once, skip and all: the schedule goes on in the future');

-- all, with runs under way: the missed runs wait behind them, whatever
-- on_overlap says, never skipped as overlapping.
SELECT jobmon.create_job('{"name": "m58 busy", "cron": "* * * * * *", "commands": "SELECT 1",
                           "on_missed": "all", "missed_limit": 3}') \g /dev/null
INSERT INTO jobmon.jobmon_run (job_id, schedule_id, job_name, owner, run_as, due_at, status, started_at, pid)
SELECT j.job_id, s.schedule_id, j.name, j.owner, j.run_as, :'first_missed'::timestamptz - interval '1 minute',
       'running', now(), pg_backend_pid()
FROM jobmon.jobmon_job j JOIN jobmon.jobmon_schedule s USING (job_id) WHERE j.name = 'm58 busy';
UPDATE jobmon.jobmon_schedule s
SET fired_until = :'first_missed'::timestamptz - interval '1 second', next_fire = :'first_missed'
FROM jobmon.jobmon_job j WHERE j.job_id = s.job_id AND j.name = 'm58 busy';
SELECT jobmon._dispatch_plan() \g /dev/null
SELECT results_eq($$SELECT status, count(*)::int FROM jobmon.jobmon_run WHERE job_name = 'm58 busy' GROUP BY status ORDER BY status$$,
                  $$VALUES ('running', 1), ('skipped', 1), ('waiting', 3)$$,
                  'all: with a run under way (max_instances 1, on_overlap skip), the missed runs wait');

-- A schedule of dates, missed_limit 2: three dates missed, one to come.
SELECT jobmon.create_job(format('{"name": "m58 dates", "dates": ["%s"], "commands": "SELECT 1",
                                  "on_missed": "all", "missed_limit": 2}', now() + interval '1 day')::jsonb) \g /dev/null
UPDATE jobmon.jobmon_schedule s
SET dates = ARRAY[:'first_missed'::timestamptz, :'first_missed'::timestamptz + interval '2 seconds',
                  :'first_missed'::timestamptz + interval '4 seconds', now() + interval '1 day'],
    fired_until = :'first_missed'::timestamptz - interval '1 second', next_fire = :'first_missed'
FROM jobmon.jobmon_job j WHERE j.job_id = s.job_id AND j.name = 'm58 dates';
SELECT jobmon._dispatch_plan() \g /dev/null
SELECT results_eq($$SELECT due_at - $$ || quote_literal(:'first_missed') || $$::timestamptz FROM jobmon.jobmon_run
                    WHERE job_name = 'm58 dates' AND status = 'waiting' ORDER BY due_at$$,
                  $$VALUES (interval '2 seconds'), (interval '4 seconds')$$,
                  'all, dates: runs for the last missed_limit missed dates');
SELECT is((SELECT reason FROM jobmon.jobmon_run WHERE job_name = 'm58 dates' AND status = 'skipped'),
          format('1 fire time(s) from %s to %s were missed while no dispatcher ran and are not run: '
                 'on_missed all runs the last 2 (missed_limit)', :'first_missed'::timestamptz, :'first_missed'::timestamptz),
          'all, dates: the one before them is recorded as skipped');
SELECT is((SELECT s.next_fire FROM jobmon.jobmon_schedule s JOIN jobmon.jobmon_job j USING (job_id) WHERE j.name = 'm58 dates'),
          (SELECT d FROM jobmon.jobmon_schedule s JOIN jobmon.jobmon_job j USING (job_id), unnest(s.dates) d
           WHERE j.name = 'm58 dates' ORDER BY d DESC LIMIT 1),
          'all, dates: the schedule goes on with the date to come');

-- all, after 11 days of downtime of an every-second job: nearly a million
-- missed fire times, more than cron_times lists at once.
SELECT jobmon.create_job('{"name": "m58 long", "cron": "* * * * * *", "commands": "SELECT 1",
                           "on_missed": "all", "missed_limit": 3}') \g /dev/null
SELECT date_trunc('second', now()) - interval '11 days' AS long_ago \gset
UPDATE jobmon.jobmon_schedule s
SET fired_until = :'long_ago'::timestamptz - interval '1 second', next_fire = :'long_ago'
FROM jobmon.jobmon_job j WHERE j.job_id = s.job_id AND j.name = 'm58 long';
SELECT jobmon._dispatch_plan() \g /dev/null
SELECT is((SELECT broken_reason FROM jobmon.jobmon_job WHERE name = 'm58 long'), NULL,
          'all, a long downtime: the job is not broken');
SELECT is((SELECT count(*)::int FROM jobmon.jobmon_run WHERE job_name = 'm58 long' AND status = 'waiting'), 3,
          'all, a long downtime: missed_limit runs are planned');
SELECT is((SELECT reason FROM jobmon.jobmon_run WHERE job_name = 'm58 long' AND status = 'skipped'),
          (SELECT format('%s fire time(s) from %s to %s were missed while no dispatcher ran and are not run: '
                         'on_missed all runs the last 3 (missed_limit)',
                         extract(epoch FROM min(due_at) - :'long_ago')::int, :'long_ago'::timestamptz,
                         min(due_at) - interval '1 second')
           FROM jobmon.jobmon_run WHERE job_name = 'm58 long' AND status = 'waiting'),
          'all, a long downtime: the skipped run counts every older missed time');

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
