-- timetable(start_time, end_time): what runs when.  Planned fire times of
-- cron schedules (in the job's time zone, compared with cron_times()),
-- of date lists, within start_date and end_date, none for a disabled
-- schedule or an inactive job, a dyn_override time; runs already done
-- with their status, times and error; a one-off job's waiting run; each
-- role sees only its own jobs; argument errors.
-- Expected times are computed with cron_times() and the schedules' own
-- columns, never written out.  Workers only see committed jobs: this file
-- commits (see scheduler.sql).
\ir ../setup.sql
\ir ../scheduler.sql

-- Left over by an interrupted earlier run of this file.
SELECT pg_temp.test_cleanup('r61_') \g /dev/null
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'jobmon_test_r61') THEN
        CREATE ROLE jobmon_test_r61 LOGIN;
    END IF;
END
$$;
SELECT jobmon.grant_scheduler('jobmon_test_r61') \g /dev/null

SELECT plan(29);

-- (due_at, status) of the rows of one job in timetable(p_from, p_to).
CREATE FUNCTION pg_temp.tt(p_job_id bigint, p_from timestamptz, p_to timestamptz) RETURNS text LANGUAGE sql AS $$
    SELECT format('SELECT due_at, status FROM jobmon.timetable(%L, %L) WHERE job_id = %s', p_from, p_to, p_job_id)
$$;
-- The fire times of cron schedule p_schedule_id from its next_fire on
-- (next_fire itself, which may be a dyn_override time, and the cron times
-- after it), within [p_from, p_to), as planned timetable rows.
CREATE FUNCTION pg_temp.expected(p_schedule_id bigint, p_from timestamptz, p_to timestamptz) RETURNS text
LANGUAGE sql AS $$
    SELECT format($q$SELECT t, 'planned'::text
                     FROM (SELECT %L::timestamptz UNION SELECT jobmon.cron_times(%L, %L, %L, %L)) c(t)
                     WHERE t >= %L AND t < %L ORDER BY t$q$,
                  s.next_fire, s.cron, s.next_fire, p_to, j.timezone, p_from, p_to)
    FROM jobmon.jobmon_schedule s JOIN jobmon.jobmon_job j USING (job_id) WHERE s.schedule_id = p_schedule_id
$$;

-- The range: 2 hours from a minute from now, so that no fire time falls
-- between the creation of a job below and the start of the range.
SELECT now() + interval '1 minute' AS t0, now() + interval '121 minutes' AS t1 \gset

-------------------------------------------------------------------------------
-- A cron job every 10 minutes in Kathmandu (UTC+05:45, so that its times
-- differ from the same expression in UTC).
SELECT jobmon.create_job($${"name": "r61_cron", "cron": "*/10 * * * *", "timezone": "Asia/Kathmandu",
                            "commands": "SELECT 1"}$$) AS cron_job \gset
SELECT schedule_id AS cron_sched FROM jobmon.jobmon_schedule WHERE job_id = :cron_job \gset
SELECT results_eq(pg_temp.tt(:cron_job, :'t0', :'t1'), pg_temp.expected(:cron_sched, :'t0', :'t1'),
                  'a cron job: the next 2 hours are exactly cron_times() from next_fire on, all planned');
SELECT is((SELECT count(*)::int FROM jobmon.timetable(:'t0', :'t1') WHERE job_id = :cron_job), 12,
          'that is 12 times in 2 hours for */10');
SELECT is((SELECT count(*)::int FROM jobmon.timetable(:'t0', :'t1') WHERE job_id = :cron_job
           AND extract(minute FROM due_at AT TIME ZONE 'Asia/Kathmandu')::int % 10 = 0
           AND extract(second FROM due_at AT TIME ZONE 'Asia/Kathmandu') = 0), 12,
          'each on a multiple of 10 minutes in the job''s time zone');
SELECT is((SELECT count(*)::int FROM jobmon.timetable(:'t0', :'t1') t
           JOIN jobmon.cron_times('*/10 * * * *', :'t0', :'t1', 'UTC') u ON u = t.due_at
           WHERE t.job_id = :cron_job), 0,
          'and none at the times of the same expression in UTC');
SELECT is((SELECT count(*)::int FROM jobmon.timetable(:'t0', :'t1') t
           WHERE t.job_id = :cron_job
             AND (t.name, t.kind, t.schedule_id, t.status, t.attempt) = ('r61_cron', 'periodic', :cron_sched, 'planned', 1)
             AND t.run_id IS NULL AND t.started_at IS NULL AND t.finished_at IS NULL AND t.error IS NULL), 12,
          'planned rows: name, kind periodic, schedule_id, attempt 1, no run, no times, no error');
-- [start_time, end_time): a fire time at start_time is in, one at end_time out.
SELECT next_fire AS f1, jobmon.cron_next(cron, jobmon.cron_next(cron, next_fire, 'Asia/Kathmandu'), 'Asia/Kathmandu') AS f3
FROM jobmon.jobmon_schedule WHERE schedule_id = :cron_sched \gset
SELECT results_eq(format('SELECT count(*)::int, min(due_at), max(due_at) FROM jobmon.timetable(%L, %L) WHERE job_id = %s',
                         :'f1', :'f3', :cron_job),
                  format('SELECT 2, %L::timestamptz, %L::timestamptz', :'f1',
                         jobmon.cron_next('*/10 * * * *', :'f1', 'Asia/Kathmandu')),
                  'the range includes start_time and excludes end_time');

-------------------------------------------------------------------------------
-- A schedule of dates: those in the range.
SELECT jobmon.create_job(jsonb_build_object('name', 'r61_dates', 'commands', 'SELECT 1',
    'dates', jsonb_build_array(now() + interval '10 minutes', now() + interval '50 minutes', now() + interval '3 hours')))
    AS dates_job \gset
SELECT results_eq(pg_temp.tt(:dates_job, :'t0', :'t1'),
                  format($$SELECT d, 'planned'::text FROM jobmon.jobmon_schedule, unnest(dates) d
                           WHERE job_id = %s AND d >= %L AND d < %L ORDER BY d$$, :dates_job, :'t0', :'t1'),
                  'a dates schedule: its dates within the range, planned');
SELECT is((SELECT count(*)::int FROM jobmon.timetable(:'t0', :'t1') WHERE job_id = :dates_job), 2,
          'two of its three dates are in the next 2 hours');

-- start_date and end_date, both on fire times: the times from one to the
-- other, both included.
SELECT jobmon.cron_next('*/10 * * * *', now() + interval '30 minutes', 'UTC') AS sd,
       jobmon.cron_next('*/10 * * * *', now() + interval '80 minutes', 'UTC') AS ed \gset
SELECT jobmon.create_job(jsonb_build_object('name', 'r61_bounded', 'cron', '*/10 * * * *', 'timezone', 'UTC',
    'start_date', :'sd'::timestamptz, 'end_date', :'ed'::timestamptz, 'commands', 'SELECT 1')) AS bounded_job \gset
SELECT results_eq(pg_temp.tt(:bounded_job, :'t0', :'t1'),
                  format($$SELECT t, 'planned'::text FROM jobmon.cron_times('*/10 * * * *', %L, %L, 'UTC') t ORDER BY t$$,
                         :'sd', :'ed'),
                  'start_date and end_date: the fire times from start_date to end_date, both included');
SELECT is_empty(pg_temp.tt(:bounded_job, :'ed'::timestamptz + interval '1 second', :'t1'),
                'nothing after end_date');

-- A disabled schedule and an inactive job plan nothing.
SELECT jobmon.create_job($${"name": "r61_disabled", "cron": "*/10 * * * *", "commands": "SELECT 1"}$$) AS disabled_job \gset
SELECT jobmon.create_job($${"name": "r61_inactive", "cron": "*/10 * * * *", "commands": "SELECT 1"}$$) AS inactive_job \gset
SELECT is((SELECT count(*)::int FROM jobmon.timetable(:'t0', :'t1') WHERE job_id IN (:disabled_job, :inactive_job)), 24,
          'before: both jobs have their 12 planned times');
SELECT jobmon.disable_schedule(schedule_id) FROM jobmon.jobmon_schedule WHERE job_id = :disabled_job \g /dev/null
SELECT jobmon.deactivate_job(:inactive_job) \g /dev/null
SELECT is_empty(pg_temp.tt(:disabled_job, :'t0', :'t1'), 'a disabled schedule has no planned rows');
SELECT is_empty(pg_temp.tt(:inactive_job, :'t0', :'t1'), 'an inactive job has no planned rows');

-- dyn_override: the override time is planned, then the schedule goes on.
SELECT jobmon.create_job($${"name": "r61_override", "cron": "0 0 1 1 *", "commands": "SELECT 1"}$$) AS override_job \gset
SELECT schedule_id AS override_sched FROM jobmon.jobmon_schedule WHERE job_id = :override_job \gset
SELECT date_trunc('second', now()) + interval '37 minutes 7 seconds' AS override_at \gset
SELECT jobmon.dyn_override(:override_sched, :'override_at') \g /dev/null
SELECT results_eq(format($$SELECT status FROM jobmon.timetable(%L, %L) WHERE job_id = %s AND due_at = %L$$,
                         :'t0', :'t1', :override_job, :'override_at'),
                  $$VALUES ('planned')$$, 'a dyn_override time appears, planned');
SELECT results_eq(pg_temp.tt(:override_job, :'t0', :'t1'), pg_temp.expected(:override_sched, :'t0', :'t1'),
                  'with the override, the rows are the override and the cron times after it');

-- An override before start_date: the dispatcher fires the override, then goes on
-- from start_date (_schedule_next; shown with the dispatcher below), so no time
-- between them is planned.  (Fails with 2.2.0's timetable(), which lists
-- the cron times from the override on, start_date ignored.)
SELECT jobmon.create_job(jsonb_build_object('name', 'r61_early', 'cron', '*/10 * * * *', 'timezone', 'UTC',
    'start_date', now() + interval '1 hour', 'commands', 'SELECT 1')) AS early_job \gset
SELECT schedule_id AS early_sched, date_trunc('second', now()) + interval '5 minutes' AS early_at
FROM jobmon.jobmon_schedule WHERE job_id = :early_job \gset
SELECT jobmon.dyn_override(:early_sched, :'early_at') \g /dev/null
SELECT results_eq(pg_temp.tt(:early_job, :'t0', :'t1'),
                  format($$SELECT t, 'planned'::text FROM (SELECT %L::timestamptz
                           UNION SELECT jobmon.cron_times('*/10 * * * *', %L, %L, 'UTC')) c(t) WHERE t < %L ORDER BY t$$,
                         :'early_at', (SELECT start_date FROM jobmon.jobmon_job WHERE job_id = :early_job), :'t1', :'t1'),
                  'an override before start_date: the override, then the fire times from start_date on');

-------------------------------------------------------------------------------
-- Another role sees only its own jobs.
SET ROLE jobmon_test_r61;
SELECT jobmon.create_job($${"name": "r61_theirs", "cron": "*/10 * * * *", "commands": "SELECT 1"}$$) AS their_job \gset
SELECT is((SELECT count(*)::int FROM jobmon.timetable(:'t0', :'t1') WHERE job_id = :their_job), 12,
          'another role sees the planned times of its job');
SELECT is((SELECT count(*)::int FROM jobmon.timetable(:'t0', :'t1') WHERE job_id <> :their_job), 0,
          'and nothing of any other job');
RESET ROLE;
SELECT set_eq(format('SELECT DISTINCT job_id FROM jobmon.timetable(%L, %L) WHERE job_id IN (%s, %s)',
                     :'t0', :'t1', :cron_job, :their_job),
              ARRAY[:cron_job, :their_job]::bigint[], 'a superuser sees every role''s jobs');

-------------------------------------------------------------------------------
-- Runs already done, and a one-off job's waiting run.
SELECT pg_temp.tick_start() \g /dev/null
SELECT jobmon.create_job($${"name": "r61_fail", "commands": "DO $d$BEGIN RAISE EXCEPTION 'r61 fails'; END$d$"}$$)
    AS fail_job \gset
SELECT jobmon.run_job(:fail_job) AS fail_run \gset
SELECT is(jobmon.wait_for_run(:fail_run, '30 seconds'), 'failure', 'a failing job ran (run_job)');
SELECT results_eq(format($$SELECT job_id, name, kind, schedule_id, status, attempt, started_at, finished_at, error
                           FROM jobmon.timetable(now() - interval '1 hour', now() + interval '1 hour')
                           WHERE run_id = %s$$, :fail_run),
                  format($$SELECT job_id, job_name, 'periodic'::text, schedule_id, 'failure'::text, 1,
                                  started_at, finished_at, 'r61 fails'::text
                           FROM jobmon.jobmon_run WHERE run_id = %s AND started_at IS NOT NULL
                                                AND finished_at IS NOT NULL$$, :fail_run),
                  'its run is in the timetable: failure, its started_at, finished_at and error');

SELECT now() + interval '30 minutes' AS later_at \gset
SELECT jobmon.submit_job('SELECT 1', run_after => :'later_at', name => 'r61_later') AS later_job \gset
SELECT results_eq(format($$SELECT name, kind, due_at, status, run_id FROM jobmon.timetable(%L, %L) WHERE job_id = %s$$,
                         :'t0', :'t1', :later_job),
                  format($$SELECT 'r61_later'::text, 'one-off'::text, due_at, 'waiting'::text, run_id
                           FROM jobmon.jobmon_run WHERE job_id = %s$$, :later_job),
                  'a one-off job submitted with run_after in the range: its waiting run, due at run_after');
SELECT is((SELECT due_at FROM jobmon.timetable(:'t0', :'t1') WHERE job_id = :later_job), :'later_at'::timestamptz,
          'due at its run_after');

-- The dispatcher on an override before start_date: it fires the override, then
-- goes on from start_date, as the timetable above should say.
SELECT jobmon.create_job(jsonb_build_object('name', 'r61_early2', 'cron', '*/10 * * * *', 'timezone', 'UTC',
    'start_date', now() + interval '1 hour', 'commands', 'SELECT 1')) AS early2_job \gset
SELECT jobmon.dyn_override(schedule_id, now()) FROM jobmon.jobmon_schedule WHERE job_id = :early2_job \g /dev/null
SELECT ok(pg_temp.wait_until(format('SELECT pg_temp.finished_runs(%L) = 1', 'r61_early2')),
          'the dispatcher fires an override before start_date');
SELECT is((SELECT next_fire FROM jobmon.jobmon_schedule WHERE job_id = :early2_job),
          (SELECT jobmon.cron_next('*/10 * * * *', start_date - interval '1 microsecond', 'UTC') FROM jobmon.jobmon_job WHERE job_id = :early2_job),
          'then fires next at the first fire time from start_date on');
CALL pg_temp.tick_stop();

-------------------------------------------------------------------------------
-- Arguments.
SELECT throws_ok($$SELECT * FROM jobmon.timetable(NULL, now())$$, '22004', NULL, 'start_time NULL: 22004');
SELECT throws_ok($$SELECT * FROM jobmon.timetable(now(), NULL)$$, '22004', NULL, 'end_time NULL: 22004');
SELECT throws_ok($$SELECT * FROM jobmon.timetable(now(), now() - interval '1 hour')$$, '22023', NULL,
                 'end_time before start_time: 22023');

-------------------------------------------------------------------------------
SELECT pg_temp.test_cleanup('r61_') \g /dev/null
SELECT is((SELECT count(*)::int FROM jobmon.jobmon_job WHERE name LIKE 'r61\_%'), 0, 'clean-up drops every job of this file');
SELECT * FROM finish();
SELECT jobmon.revoke_scheduler('jobmon_test_r61') \g /dev/null
REVOKE USAGE ON SCHEMA jobmon FROM jobmon_test_r61;
DROP ROLE jobmon_test_r61;
