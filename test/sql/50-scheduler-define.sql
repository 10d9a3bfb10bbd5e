-- Defining scheduled jobs, without running them: every option of
-- create_job() is stored as given, the defaults, the short forms, rules,
-- dates and several schedules, next fire times in the job's time zone and
-- between start_date and end_date, and every later change (schedules,
-- overrides, attributes, activation, drop).  Nothing is committed.
\ir ../setup.sql
BEGIN;
SELECT plan(72);
-- A session zone that no job names, to see the default.
SET LOCAL TimeZone = 'Pacific/Auckland';

DO $$ BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'jobmon_test_s50_bob') THEN
        CREATE ROLE jobmon_test_s50_bob LOGIN;
    END IF;
END $$;

-- next_fire of the schedules of a job, in schedule order.
CREATE FUNCTION pg_temp.fires(p_job bigint) RETURNS timestamptz[] LANGUAGE sql AS $$
    SELECT array_agg(s.next_fire ORDER BY s.schedule_id) FROM jobmon.jobmon_schedule s WHERE s.job_id = p_job
$$;
-- Whether schedule p_schedule's next_fire is what cron_next says, from
-- what it already fired, in its job's zone.
CREATE FUNCTION pg_temp.fire_is_cron_next(p_schedule bigint) RETURNS boolean LANGUAGE sql AS $$
    SELECT s.next_fire IS NOT NULL AND s.next_fire = jobmon.cron_next(s.cron, s.fired_until, j.timezone)
    FROM jobmon.jobmon_schedule s JOIN jobmon.jobmon_job j USING (job_id) WHERE s.schedule_id = p_schedule
$$;

-- Every option, stored as given
SELECT jobmon.create_job(jsonb_build_object(
    'name', 's50 full', 'comments', 'all options', 'commands', jsonb_build_array('SELECT 1', 'SELECT 2'),
    'cron', '30 2 * * 1-5', 'run_as', 'jobmon_test_s50_bob',
    'start_date', '2030-01-01 00:00+00', 'end_date', '2031-01-01 00:00+00',
    'use_same_transaction', true, 'last_start_available', '5 minutes', 'max_instances', 3,
    'max_run_time', '1 hour', 'onrollback', 'SELECT 3', 'next_time_statement', 'SELECT now() + interval ''1 day''',
    'timezone', 'Europe/Paris', 'on_overlap', 'queue', 'on_missed', 'all', 'missed_limit', 7,
    'capture_level', 'warning')) AS full \gset
SELECT results_eq(format($$SELECT name, comments, commands, owner, run_as, start_date, end_date,
                                  use_same_transaction, last_start_available, max_instances, max_run_time
                           FROM jobmon.jobmon_job WHERE job_id = %s$$, :full),
    $$VALUES ('s50 full', 'all options', '{SELECT 1,SELECT 2}'::text[], current_user, 'jobmon_test_s50_bob'::name,
              '2030-01-01 00:00+00'::timestamptz, '2031-01-01 00:00+00'::timestamptz,
              true, '5 minutes'::interval, 3, '1 hour'::interval)$$,
    'create_job stores name, comments, commands, run_as, dates and limits as given');
SELECT results_eq(format($$SELECT onrollback, next_time_statement, timezone, on_overlap, on_missed, missed_limit,
                                  capture_level, active, broken_reason
                           FROM jobmon.jobmon_job WHERE job_id = %s$$, :full),
    $$VALUES ('SELECT 3', 'SELECT now() + interval ''1 day''', 'Europe/Paris', 'queue', 'all', 7,
              'WARNING', true, NULL::text)$$,
    'and onrollback, next_time_statement, timezone, on_overlap, on_missed, missed_limit, capture_level (upper-cased)');
SELECT results_eq(format('SELECT crons, dates FROM jobmon.jobmon_my_jobs WHERE job_id = %s', :full),
    $$VALUES ('{30 2 * * 1-5}'::text[], NULL::timestamptz[])$$, 'its cron is its one schedule');
SELECT is((SELECT next_run FROM jobmon.jobmon_my_jobs WHERE job_id = :full), '2030-01-01 02:30+01'::timestamptz,
          'its next run is the first fire time after start_date, in its zone');

-- Defaults
SELECT jobmon.create_job('{"commands": "SELECT 1"}') AS dflt \gset
SELECT results_eq(format($$SELECT name, owner, run_as, commands, timezone, on_overlap, on_missed,
                                  missed_limit, max_instances, capture_level, use_same_transaction, active
                           FROM jobmon.jobmon_job WHERE job_id = %s$$, :dflt),
    format($$VALUES ('job %s', current_user, current_user, '{SELECT 1}'::text[], 'Pacific/Auckland',
                     'skip', 'once', 100, 1, 'NOTICE', false, true)$$, :dflt),
    'defaults: name "job <id>", run_as the creator, the session zone, skip, once, 100, 1, NOTICE');
SELECT is((SELECT count(*)::int FROM jobmon.jobmon_schedule WHERE job_id = :dflt), 0,
          'a job without cron, rule or dates has no schedule');
SELECT ok((SELECT comments IS NULL AND start_date IS NULL AND end_date IS NULL AND max_run_time IS NULL
                  AND onrollback IS NULL AND next_time_statement IS NULL AND last_start_available IS NULL
           FROM jobmon.jobmon_job WHERE job_id = :dflt), 'the other options default to NULL');

-- The short forms
SELECT results_eq(format('SELECT crons, dates, commands FROM jobmon.jobmon_my_jobs WHERE job_id = %s',
                         jobmon.create_job('*/10 * * * *'::text, 'SELECT 1'::text)),
    $$VALUES ('{*/10 * * * *}'::text[], NULL::timestamptz[], '{SELECT 1}'::text[])$$, 'create_job(cron, command)');
SELECT results_eq(format('SELECT crons, dates, commands FROM jobmon.jobmon_my_jobs WHERE job_id = %s',
                         jobmon.create_job('*/10 * * * *'::text, ARRAY['SELECT 1', 'SELECT 2'])),
    $$VALUES ('{*/10 * * * *}'::text[], NULL::timestamptz[], '{SELECT 1,SELECT 2}'::text[])$$,
    'create_job(cron, commands[])');
SELECT results_eq(format('SELECT crons, dates, commands FROM jobmon.jobmon_my_jobs WHERE job_id = %s',
                         jobmon.create_job('2030-05-01 10:00+00'::timestamptz, 'SELECT 1'::text)),
    $$VALUES (NULL::text[], '{2030-05-01 10:00+00}'::timestamptz[], '{SELECT 1}'::text[])$$,
    'create_job(time, command)');
SELECT results_eq(format('SELECT crons, dates, commands FROM jobmon.jobmon_my_jobs WHERE job_id = %s',
                         jobmon.create_job('2030-05-01 10:00+00'::timestamptz, ARRAY['SELECT 1', 'SELECT 2'])),
    $$VALUES (NULL::text[], '{2030-05-01 10:00+00}'::timestamptz[], '{SELECT 1,SELECT 2}'::text[])$$,
    'create_job(time, commands[])');
SELECT results_eq(format('SELECT crons, dates, commands FROM jobmon.jobmon_my_jobs WHERE job_id = %s',
                         jobmon.create_job('{2030-05-01 10:00+00,2029-05-01 10:00+00}'::timestamptz[], 'SELECT 1'::text)),
    $$VALUES (NULL::text[], '{2029-05-01 10:00+00,2030-05-01 10:00+00}'::timestamptz[], '{SELECT 1}'::text[])$$,
    'create_job(times[], command)');
SELECT results_eq(format('SELECT crons, dates, commands FROM jobmon.jobmon_my_jobs WHERE job_id = %s',
                         jobmon.create_job('{2030-05-01 10:00+00}'::timestamptz[], ARRAY['SELECT 1', 'SELECT 2'])),
    $$VALUES (NULL::text[], '{2030-05-01 10:00+00}'::timestamptz[], '{SELECT 1,SELECT 2}'::text[])$$,
    'create_job(times[], commands[])');
SELECT results_eq(format('SELECT crons, commands FROM jobmon.jobmon_my_jobs WHERE job_id = %s',
                         jobmon.create_job('0 4 * * *', 'VACUUM')),
    $$VALUES ('{0 4 * * *}'::text[], '{VACUUM}'::text[])$$, 'two untyped literals are a cron and a command');

-- A pgpro_scheduler rule becomes a cron schedule
SELECT jobmon.create_job('{"rule": {"minutes": [0, 30], "hours": [2], "wdays": [1, 2, 3]}, "commands": "SELECT 1"}') AS rule \gset
SELECT results_eq(format('SELECT cron FROM jobmon.jobmon_schedule WHERE job_id = %s', :rule),
    $$VALUES (jobmon.cron_from_rule('{"minutes": [0, 30], "hours": [2], "wdays": [1, 2, 3]}'))$$,
    'a rule is stored as cron_from_rule(rule)');
SELECT results_eq(format('SELECT cron FROM jobmon.jobmon_schedule WHERE job_id = %s', :rule),
    $$VALUES ('0,30 2 * * 1-3')$$, 'which is the expected cron expression');

-- Dates, as one string or an array
SELECT jobmon.create_job('{"dates": "2030-05-01 10:00+00", "commands": "SELECT 1"}') AS d1 \gset
SELECT is((SELECT dates FROM jobmon.jobmon_schedule WHERE job_id = :d1), '{2030-05-01 10:00+00}'::timestamptz[],
          'dates as one string is a one-date schedule');
SELECT jobmon.create_job('{"dates": ["2030-05-01 10:00+00", "2020-01-01 00:00+00", "2029-01-01 00:00+00"],
                           "commands": "SELECT 1"}') AS d3 \gset
SELECT is((SELECT dates FROM jobmon.jobmon_schedule WHERE job_id = :d3),
          '{2030-05-01 10:00+00,2020-01-01 00:00+00,2029-01-01 00:00+00}'::timestamptz[],
          'dates as an array are stored as given, in one schedule');
SELECT is(pg_temp.fires(:d3), '{2029-01-01 00:00+00}'::timestamptz[], 'the next fire is the earliest date to come');
SELECT is(pg_temp.fires(jobmon.create_job('{"dates": ["2020-01-01 00:00+00", "2021-01-01 00:00+00"], "commands": "SELECT 1"}')),
          '{NULL}'::timestamptz[], 'a schedule of past dates never fires');
SELECT is((SELECT commands FROM jobmon.jobmon_job WHERE job_id = :d1), '{SELECT 1}'::text[],
          'commands as one string are one command');

-- Several schedules at once
SELECT jobmon.create_job('{"cron": "0 * * * *", "dates": ["2030-05-01 10:00+00"], "commands": "SELECT 1"}') AS two \gset
SELECT results_eq(format('SELECT cron, dates FROM jobmon.jobmon_schedule WHERE job_id = %s ORDER BY schedule_id', :two),
    $$VALUES ('0 * * * *', NULL::timestamptz[]), (NULL, '{2030-05-01 10:00+00}')$$,
    'cron and dates in one create_job are two schedules');
SELECT results_eq(format('SELECT crons, dates FROM jobmon.jobmon_my_jobs WHERE job_id = %s', :two),
    $$VALUES ('{0 * * * *}'::text[], '{2030-05-01 10:00+00}'::timestamptz[])$$, 'jobmon_my_jobs shows both');
SELECT is((SELECT next_run FROM jobmon.jobmon_my_jobs WHERE job_id = :two), jobmon.cron_next('0 * * * *', now()),
          'the job runs next at the earlier of the two');

-- next_fire follows the job's time zone
SELECT jobmon.create_job('{"cron": "0 9 * * *", "timezone": "America/New_York", "commands": "SELECT 1"}') AS ny \gset
SELECT jobmon.create_job('{"cron": "0 9 * * *", "timezone": "Asia/Tokyo", "commands": "SELECT 1"}') AS tokyo \gset
SELECT ok(pg_temp.fire_is_cron_next(schedule_id), 'New York: next_fire is cron_next(cron, fired_until, zone)')
FROM jobmon.jobmon_schedule WHERE job_id = :ny;
SELECT ok(pg_temp.fire_is_cron_next(schedule_id), 'Tokyo: next_fire is cron_next(cron, fired_until, zone)')
FROM jobmon.jobmon_schedule WHERE job_id = :tokyo;
SELECT is((SELECT (next_fire AT TIME ZONE 'America/New_York')::time FROM jobmon.jobmon_schedule WHERE job_id = :ny),
          '09:00'::time, 'New York: at 9:00 New York time');
SELECT is((SELECT (next_fire AT TIME ZONE 'Asia/Tokyo')::time FROM jobmon.jobmon_schedule WHERE job_id = :tokyo),
          '09:00'::time, 'Tokyo: at 9:00 Tokyo time');
SELECT isnt(pg_temp.fires(:ny), pg_temp.fires(:tokyo), 'so the two next fire times differ');
SELECT ok((SELECT fired_until = now() FROM jobmon.jobmon_schedule WHERE job_id = :ny),
          'a new schedule counts from its creation');

-- start_date and end_date
SELECT is(pg_temp.fires(jobmon.create_job('{"cron": "0 9 * * *", "timezone": "UTC", "commands": "SELECT 1",
                                            "start_date": "2030-01-01 09:00+00"}')),
          '{2030-01-01 09:00+00}'::timestamptz[], 'a fire time at start_date is the first');
SELECT is(pg_temp.fires(jobmon.create_job('{"cron": "0 9 * * *", "timezone": "UTC", "commands": "SELECT 1",
                                            "start_date": "2030-01-01 09:00:01+00"}')),
          '{2030-01-02 09:00+00}'::timestamptz[], 'one before start_date is not');
SELECT jobmon.create_job('{"cron": "0 9 * * *", "timezone": "UTC", "commands": "SELECT 1",
                           "start_date": "2030-01-01 10:00+00", "end_date": "2030-01-01 12:00+00"}') AS window \gset
SELECT is(pg_temp.fires(:window), '{NULL}'::timestamptz[], 'no fire time between start_date and end_date: none');
SELECT jobmon.create_job('{"cron": "0 9 * * *", "timezone": "UTC", "commands": "SELECT 1",
                           "end_date": "2020-01-01 00:00+00"}') AS ended \gset
SELECT is(pg_temp.fires(:ended), '{NULL}'::timestamptz[], 'end_date in the past: next_fire is NULL');
SELECT is(pg_temp.fires(jobmon.create_job('{"dates": ["2030-01-01 00:00+00", "2030-06-01 00:00+00"], "commands": "SELECT 1",
                                            "end_date": "2030-03-01 00:00+00"}')),
          '{2030-01-01 00:00+00}'::timestamptz[], 'dates before end_date still fire');
SELECT jobmon.set_job_attribute(:ended, 'end_date', NULL) \g /dev/null
SELECT ok(pg_temp.fire_is_cron_next(schedule_id), 'removing end_date brings next_fire back')
FROM jobmon.jobmon_schedule WHERE job_id = :ended;
SELECT jobmon.set_job_attribute(:window, 'start_date', '2030-01-01 08:00+00') \g /dev/null
SELECT is(pg_temp.fires(:window), '{2030-01-01 09:00+00}'::timestamptz[], 'moving start_date recomputes next_fire');

-- Schedules: add, disable, enable, drop
SELECT jobmon.create_job('{"name": "s50 sched", "cron": "0 9 * * *", "timezone": "UTC", "commands": "SELECT 1"}') AS job \gset
SELECT schedule_id AS s1 FROM jobmon.jobmon_schedule WHERE job_id = :job \gset
SELECT jobmon.add_schedule(:job, '15 10 * * *') AS s2 \gset
SELECT jobmon.add_schedule(:job, ARRAY['2030-07-01 00:00+00', '2030-08-01 00:00+00']::timestamptz[]) AS s3 \gset
SELECT results_eq(format('SELECT schedule_id, cron, dates, enabled FROM jobmon.jobmon_schedule WHERE job_id = %s ORDER BY 1', :job),
    format($$VALUES (%s::bigint, '0 9 * * *', NULL::timestamptz[], true), (%s, '15 10 * * *', NULL, true),
                    (%s, NULL, '{2030-07-01 00:00+00,2030-08-01 00:00+00}', true)$$, :s1, :s2, :s3),
    'add_schedule adds a cron and a dates schedule, enabled');
SELECT ok(pg_temp.fire_is_cron_next(:s2), 'the added cron schedule has its next fire time');
SELECT is((SELECT next_fire FROM jobmon.jobmon_schedule WHERE schedule_id = :s3), '2030-07-01 00:00+00'::timestamptz,
          'the added dates schedule fires at its first date');
SELECT jobmon.disable_schedule(:s2) \g /dev/null
SELECT results_eq(format('SELECT enabled, next_fire FROM jobmon.jobmon_schedule WHERE schedule_id = %s', :s2),
    $$VALUES (false, NULL::timestamptz)$$, 'disable_schedule: disabled, next_fire NULL');
SELECT ok(pg_temp.fire_is_cron_next(:s1), 'the other schedules go on');
SELECT jobmon.disable_schedule(:s2) \g /dev/null
SELECT is((SELECT enabled FROM jobmon.jobmon_schedule WHERE schedule_id = :s2), false, 'disabling twice is harmless');
SELECT jobmon.enable_schedule(:s2) \g /dev/null
SELECT is((SELECT enabled FROM jobmon.jobmon_schedule WHERE schedule_id = :s2), true, 'enable_schedule: enabled');
SELECT ok(pg_temp.fire_is_cron_next(:s2), 'and next_fire is back');
SELECT ok((SELECT fired_until >= now() FROM jobmon.jobmon_schedule WHERE schedule_id = :s2),
          'counting from now: times missed while disabled are not made up for');
SELECT jobmon.drop_schedule(:s3) \g /dev/null
SELECT is((SELECT array_agg(schedule_id ORDER BY schedule_id) FROM jobmon.jobmon_schedule WHERE job_id = :job),
          ARRAY[:s1, :s2]::bigint[], 'drop_schedule removes that schedule only');

-- Overrides
SELECT jobmon.dyn_override(:s1, '2029-06-01 12:34+00') \g /dev/null
SELECT results_eq(format('SELECT override_time, next_fire FROM jobmon.jobmon_schedule WHERE schedule_id = %s', :s1),
    $$VALUES ('2029-06-01 12:34+00'::timestamptz, '2029-06-01 12:34+00'::timestamptz)$$,
    'dyn_override sets the next fire time');
SELECT ok(pg_temp.fire_is_cron_next(:s2), 'of that schedule only');
SELECT jobmon.cancel_override(:s1) \g /dev/null
SELECT is((SELECT override_time FROM jobmon.jobmon_schedule WHERE schedule_id = :s1), NULL::timestamptz,
          'cancel_override clears it');
SELECT ok(pg_temp.fire_is_cron_next(:s1), 'and the schedule fires at its own next time again');
SELECT jobmon.disable_schedule(:s1) \g /dev/null
SELECT jobmon.dyn_override(:s1, '2029-06-01 12:34+00') \g /dev/null
SELECT is((SELECT next_fire FROM jobmon.jobmon_schedule WHERE schedule_id = :s1), NULL::timestamptz,
          'an override does not make a disabled schedule fire');
SELECT jobmon.cancel_override(:s1) \g /dev/null
SELECT jobmon.enable_schedule(:s1) \g /dev/null

-- Attributes
SELECT jobmon.set_job_attribute(:job, 'name', 's50 renamed') \g /dev/null
SELECT jobmon.set_job_attribute(:job, 'commands', '["SELECT 10", "SELECT 20"]') \g /dev/null
SELECT jobmon.set_job_attribute(:job, 'max_instances', '5') \g /dev/null
SELECT jobmon.set_job_attribute(:job, 'use_same_transaction', 'true') \g /dev/null
SELECT jobmon.set_job_attribute(:job, 'max_run_time', '90 seconds') \g /dev/null
SELECT jobmon.set_job_attribute(:job, 'comments', 'a comment') \g /dev/null
SELECT results_eq(format($$SELECT name, commands, max_instances, use_same_transaction, max_run_time, comments
                           FROM jobmon.jobmon_job WHERE job_id = %s$$, :job),
    $$VALUES ('s50 renamed', '{SELECT 10,SELECT 20}'::text[], 5, true, '90 seconds'::interval, 'a comment')$$,
    'set_job_attribute converts text to each option''s type');
SELECT jobmon.set_job_attribute(:job, 'comments', NULL) \g /dev/null
SELECT jobmon.set_job_attribute(:job, 'commands', 'SELECT 30') \g /dev/null
SELECT results_eq(format('SELECT comments, commands FROM jobmon.jobmon_job WHERE job_id = %s', :job),
    $$VALUES (NULL::text, '{SELECT 30}'::text[])$$, 'NULL clears a nullable option; one command is a string');
SELECT jobmon.set_job_attributes(:job, '{"on_overlap": "queue", "on_missed": "skip", "missed_limit": 3,
                                         "capture_level": "info", "run_as": "jobmon_test_s50_bob"}') \g /dev/null
SELECT results_eq(format('SELECT on_overlap, on_missed, missed_limit, capture_level, run_as FROM jobmon.jobmon_job WHERE job_id = %s', :job),
    $$VALUES ('queue', 'skip', 3, 'INFO', 'jobmon_test_s50_bob'::name)$$, 'set_job_attributes changes several at once');
SELECT jobmon.set_job_attributes(:job, '{"timezone": "Asia/Tokyo"}') \g /dev/null
SELECT ok(bool_and(pg_temp.fire_is_cron_next(schedule_id)), 'a new time zone recomputes next_fire')
FROM jobmon.jobmon_schedule WHERE job_id = :job;
SELECT is((SELECT (next_fire AT TIME ZONE 'Asia/Tokyo')::time FROM jobmon.jobmon_schedule WHERE schedule_id = :s1),
          '09:00'::time, 'in that zone');
SELECT jobmon.set_job_attributes(:job, '{}') \g /dev/null
SELECT is((SELECT name FROM jobmon.jobmon_job WHERE job_id = :job), 's50 renamed', 'no options change nothing');

-- Activation
SELECT jobmon.deactivate_job(:job) \g /dev/null
SELECT is((SELECT active FROM jobmon.jobmon_job WHERE job_id = :job), false, 'deactivate_job: inactive');
SELECT is(pg_temp.fires(:job), '{NULL,NULL}'::timestamptz[], 'no schedule of an inactive job fires');
SELECT jobmon.activate_job(:job) \g /dev/null
SELECT is((SELECT active FROM jobmon.jobmon_job WHERE job_id = :job), true, 'activate_job: active');
SELECT ok(bool_and(pg_temp.fire_is_cron_next(schedule_id)), 'its schedules fire again')
FROM jobmon.jobmon_schedule WHERE job_id = :job;
-- What the dispatcher does to a job whose role is gone (sql/dispatch/):
SELECT jobmon._job_break(:job, 'role gone') \g /dev/null
SELECT results_eq(format('SELECT active, broken_reason FROM jobmon.jobmon_job WHERE job_id = %s', :job),
    $$VALUES (true, 'role gone')$$, 'a broken job stays active but has a reason');
SELECT is(pg_temp.fires(:job), '{NULL,NULL}'::timestamptz[], 'and does not fire');
SELECT jobmon.activate_job(:job) \g /dev/null
SELECT is((SELECT broken_reason FROM jobmon.jobmon_job WHERE job_id = :job), NULL, 'activate_job clears the reason');
SELECT ok(bool_and(pg_temp.fire_is_cron_next(schedule_id)), 'and the job fires again')
FROM jobmon.jobmon_schedule WHERE job_id = :job;

-- Dropping: the job and its schedules go, its history stays unless asked
INSERT INTO jobmon.job_log (owner, job_name, start_time, end_time, status, pid)
VALUES ('jobmon_test_s50_bob', 'S50 RENAMED', now(), now(), 'OK', 0) RETURNING job_id AS log1 \gset
INSERT INTO jobmon.jobmon_run (job_id, job_name, owner, run_as, due_at, status, log_id, started_at, finished_at)
VALUES (:job, 's50 renamed', current_user, 'jobmon_test_s50_bob', now(), 'success', :log1, now(), now());
SELECT jobmon.run_job(:job) AS waiting \gset
SELECT jobmon.drop_job(:job) \g /dev/null
SELECT is((SELECT count(*)::int FROM jobmon.jobmon_job WHERE job_id = :job), 0, 'drop_job removes the job');
SELECT is((SELECT count(*)::int FROM jobmon.jobmon_schedule WHERE job_id = :job), 0, 'and its schedules');
SELECT results_eq(format('SELECT status, reason FROM jobmon.jobmon_run WHERE job_id = %s ORDER BY run_id', :job),
    $$VALUES ('success', NULL), ('skipped', 'the job was dropped')$$,
    'its runs stay; a waiting one is skipped');
SELECT is((SELECT count(*)::int FROM jobmon.job_log WHERE job_id = :log1), 1, 'and their job_log rows stay');

INSERT INTO jobmon.job_log (owner, job_name, start_time, end_time, status, pid)
VALUES (current_user, 'S50 FULL', now(), now(), 'OK', 0) RETURNING job_id AS log2 \gset
INSERT INTO jobmon.jobmon_run (job_id, job_name, owner, run_as, due_at, status, log_id, started_at, finished_at)
VALUES (:full, 's50 full', current_user, 'jobmon_test_s50_bob', now(), 'failure', :log2, now(), now());
SELECT jobmon.drop_job(:full, true) \g /dev/null
SELECT is((SELECT count(*)::int FROM jobmon.jobmon_run WHERE job_id = :full), 0, 'drop_job(id, true) removes the runs');
SELECT is((SELECT count(*)::int FROM jobmon.job_log WHERE job_id = :log2), 0, 'and their job_log rows');

SELECT * FROM finish();
ROLLBACK;
