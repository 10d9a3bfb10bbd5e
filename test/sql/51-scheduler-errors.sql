-- Wrong input to the scheduler's definition API: each gives its SQLSTATE
-- and a message naming what is wrong, with a DETAIL and a HINT.
-- Nothing is committed.
\ir ../setup.sql
BEGIN;
SELECT plan(59);

DO $$ BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'jobmon_test_s51_nologin') THEN
        CREATE ROLE jobmon_test_s51_nologin NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'jobmon_test_s51_eve') THEN
        CREATE ROLE jobmon_test_s51_eve LOGIN;
    END IF;
END $$;
-- eve may call the API, but owns no job.
GRANT USAGE ON SCHEMA jobmon TO jobmon_test_s51_eve;

-- SQLSTATE, message, detail and hint of statement p_sql, or NULL if it works.
CREATE FUNCTION pg_temp.error_of(p_sql text) RETURNS text[] LANGUAGE plpgsql AS $$
DECLARE
    v_state text; v_msg text; v_detail text; v_hint text;
BEGIN
    EXECUTE p_sql;
    RETURN NULL;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_msg = MESSAGE_TEXT,
                            v_detail = PG_EXCEPTION_DETAIL, v_hint = PG_EXCEPTION_HINT;
    RETURN ARRAY[v_state, v_msg, v_detail, v_hint];
END $$;

SELECT jobmon.create_job('{"name": "s51 job", "cron": "0 9 * * *", "commands": "SELECT 1"}') AS job \gset
SELECT schedule_id AS sched FROM jobmon.jobmon_schedule WHERE job_id = :job \gset
-- Ids that no job or schedule has.
SELECT last_value + 1000 AS no_job FROM jobmon.jobmon_job_job_id_seq \gset
SELECT last_value + 1000 AS no_sched FROM jobmon.jobmon_schedule_schedule_id_seq \gset

-- The options document
SELECT throws_ok($$SELECT jobmon.create_job(NULL::jsonb)$$, '22004',
                 'argument options of create_job() must not be NULL', 'NULL options');
SELECT throws_ok($$SELECT jobmon.create_job('["SELECT 1"]')$$, '22023',
                 'options of create_job() must be a JSON object', 'options that are not an object');
SELECT throws_ok($$SELECT jobmon.create_job('null')$$, '22023',
                 'options of create_job() must be a JSON object', 'a JSON null');
SELECT throws_ok($$SELECT jobmon.create_job('{"commands": "SELECT 1", "comand": "x"}')$$, '22023',
                 'unrecognized option "comand" of create_job()', 'an unrecognized key');
SELECT is((pg_temp.error_of($$SELECT jobmon.create_job('{"commands": "SELECT 1", "comand": "x"}')$$))[3],
          'The options are: capture_level, commands, comments, cron, dates, depends_on, end_date, '
          'last_start_available, max_instances, max_retry_delay, max_run_time, missed_limit, name, '
          'next_time_statement, on_missed, on_overlap, onrollback, retries, retry_backoff, retry_delay, '
          'rule, run_as, start_date, timezone, use_same_transaction.',
          'its detail lists the options');
SELECT ok((pg_temp.error_of($$SELECT jobmon.create_job('{"commands": "SELECT 1", "comand": "x"}')$$))[4] IS NOT NULL,
          'and it has a hint');
SELECT throws_ok($$SELECT jobmon.create_job('{"commands": "SELECT 1", "max_instances": "3"}')$$, '22023',
                 'invalid value for option "max_instances" of create_job()', 'a string where a number belongs');
SELECT is((pg_temp.error_of($$SELECT jobmon.create_job('{"commands": "SELECT 1", "max_instances": "3"}')$$))[3],
          'create_job got "3". The option takes a JSON number, not a string.', 'its detail says which types');
SELECT throws_ok($$SELECT jobmon.create_job('{"commands": "SELECT 1", "use_same_transaction": "yes"}')$$, '22023',
                 'invalid value for option "use_same_transaction" of create_job()', 'a string where a boolean belongs');
SELECT throws_ok($$SELECT jobmon.create_job('{"commands": "SELECT 1", "name": null}')$$, '22023',
                 'invalid value for option "name" of create_job()', 'a JSON null for an option that needs a value');

-- Commands
SELECT throws_ok($$SELECT jobmon.create_job('{"cron": "0 9 * * *"}')$$, '22023',
                 'option "commands" of create_job() is required', 'missing commands');
SELECT ok((pg_temp.error_of($$SELECT jobmon.create_job('{"cron": "0 9 * * *"}')$$))[4] LIKE 'Add "commands": %',
          'its hint shows how to give them');
SELECT throws_ok($$SELECT jobmon.create_job('{"commands": []}')$$, '22023',
                 'invalid value for option "commands" of create_job()', 'an empty commands array');
SELECT throws_ok($$SELECT jobmon.create_job('{"commands": ["SELECT 1", " "]}')$$, '22023',
                 'invalid value for option "commands" of create_job()', 'a blank command');
SELECT throws_ok($$SELECT jobmon.create_job('{"commands": ["SELECT 1", 2]}')$$, '22023',
                 'invalid value for option "commands" of create_job()', 'a command that is not a string');

-- Schedules
SELECT throws_ok($$SELECT jobmon.create_job('{"cron": "61 * * * *", "commands": "SELECT 1"}')$$, '22023',
                 'invalid cron expression "61 * * * *"', 'a bad cron expression (cron_validate''s error)');
SELECT is((pg_temp.error_of($$SELECT jobmon.create_job('{"cron": "61 * * * *", "commands": "SELECT 1"}')$$))[3],
          'In the minute field, "61" is not valid: a value must be between 0 and 59.',
          'its detail names the field');
SELECT throws_ok($$SELECT jobmon.create_job('{"cron": "0 9 * * *", "rule": {"hours": [9]}, "commands": "SELECT 1"}')$$,
                 '22023', 'create_job() takes "cron" or "rule", not both', 'cron and rule both');
SELECT throws_ok($$SELECT jobmon.create_job('{"rule": {"hours": [25]}, "commands": "SELECT 1"}')$$, '22023',
                 'invalid pgpro_scheduler rule', 'a bad rule');
SELECT throws_ok($$SELECT jobmon.create_job('{"dates": [], "commands": "SELECT 1"}')$$, '22023',
                 'invalid value for option "dates" of create_job()', 'an empty dates array');
SELECT throws_ok($$SELECT jobmon.create_job('{"dates": ["2030-02-30 10:00"], "commands": "SELECT 1"}')$$, '22023',
                 'invalid value for option "dates" of create_job()', 'a date that does not exist');
SELECT throws_ok(format('SELECT jobmon.add_schedule(%s, %L)', :job, '* * *'), '22023',
                 'invalid cron expression "* * *"', 'add_schedule: a bad cron expression');
SELECT throws_ok(format('SELECT jobmon.add_schedule(%s, %L::timestamptz[])', :job, '{2030-01-01,NULL}'), '22023',
                 'dates of a schedule must be a non-empty list of times', 'add_schedule: a NULL among the dates');
SELECT throws_ok(format('SELECT jobmon.add_schedule(%s, NULL::text)', :job), '22004',
                 'argument p_cron of add_schedule() must not be NULL', 'add_schedule: a NULL cron');

-- Times, intervals, words
SELECT throws_ok($$SELECT jobmon.create_job('{"commands": "SELECT 1", "start_date": "2030-01-02", "end_date": "2030-01-01"}')$$,
                 '22023', 'end_date must be later than start_date', 'end_date before start_date');
SELECT is((pg_temp.error_of($$SELECT jobmon.create_job('{"commands": "SELECT 1", "start_date": "2030-01-02", "end_date": "2030-01-01"}')$$))[4],
          'Swap the two, or leave end_date out for no end.', 'its hint says what to do');
SELECT throws_ok($$SELECT jobmon.create_job('{"commands": "SELECT 1", "start_date": "2030-01-01", "end_date": "2030-01-01"}')$$,
                 '22023', 'end_date must be later than start_date', 'end_date equal to start_date');
SELECT throws_ok($$SELECT jobmon.create_job('{"commands": "SELECT 1", "start_date": "soon"}')$$, '22023',
                 'invalid value for option "start_date" of create_job()', 'a start_date that is not a time');
SELECT throws_ok($$SELECT jobmon.create_job('{"commands": "SELECT 1", "max_run_time": "0 seconds"}')$$, '22023',
                 'invalid value for option "max_run_time" of create_job()', 'a zero max_run_time');
SELECT is((pg_temp.error_of($$SELECT jobmon.create_job('{"commands": "SELECT 1", "max_run_time": "-5 minutes"}')$$))[3],
          'create_job got "-5 minutes". It must be longer than zero.', 'a negative one, with a detail saying why');
SELECT throws_ok($$SELECT jobmon.create_job('{"commands": "SELECT 1", "max_run_time": "forever"}')$$, '22023',
                 'invalid value for option "max_run_time" of create_job()', 'a max_run_time that is not an interval');
SELECT throws_ok($$SELECT jobmon.create_job('{"commands": "SELECT 1", "max_instances": 0}')$$, '22023',
                 'invalid value for option "max_instances" of create_job()', 'max_instances 0');
SELECT throws_ok($$SELECT jobmon.create_job('{"commands": "SELECT 1", "timezone": "Mars/Olympus"}')$$, '22023',
                 'invalid value for option "timezone" of create_job()', 'a time zone PostgreSQL does not know');
SELECT throws_ok($$SELECT jobmon.create_job('{"commands": "SELECT 1", "on_overlap": "wait"}')$$, '22023',
                 'invalid value for option "on_overlap" of create_job()', 'an on_overlap word that is not skip or queue');
SELECT is((pg_temp.error_of($$SELECT jobmon.create_job('{"commands": "SELECT 1", "on_overlap": "wait"}')$$))[3],
          'create_job got "wait". It must be one of skip, queue.', 'its detail lists the words');
SELECT throws_ok($$SELECT jobmon.create_job('{"commands": "SELECT 1", "capture_level": "LOUD"}')$$, '22023',
                 'invalid value for option "capture_level" of create_job()', 'a capture_level that is no level');

-- Names and roles
SELECT throws_ok($$SELECT jobmon.create_job('{"name": "S51 JOB", "commands": "SELECT 1"}')$$, '23505',
                 'a scheduled job named "S51 JOB" already exists', 'a name differing only in case');
SELECT throws_ok($$SELECT jobmon.create_job('{"run_as": "jobmon_test_s51_nobody", "commands": "SELECT 1"}')$$, '42704',
                 'role "jobmon_test_s51_nobody" does not exist', 'run_as a role that does not exist');
SELECT throws_ok($$SELECT jobmon.create_job('{"run_as": "jobmon_test_s51_nologin", "commands": "SELECT 1"}')$$, '28000',
                 'role "jobmon_test_s51_nologin" cannot log in, so no job can run as it', 'run_as a role without LOGIN');

-- Changes
SELECT throws_ok(format($$SELECT jobmon.set_job_attributes(%s, '{"cron": "0 10 * * *"}')$$, :job), '22023',
                 'option "cron" cannot be changed with set_job_attributes()', 'changing cron via set_job_attributes');
SELECT is((pg_temp.error_of(format($$SELECT jobmon.set_job_attribute(%s, 'dates', '2030-01-01')$$, :job)))[4],
          'Use add_schedule() and drop_schedule() to change when a job runs.',
          'changing dates via set_job_attribute: the hint names the functions to use');
SELECT throws_ok(format($$SELECT jobmon.set_job_attributes(%s, NULL)$$, :job), '22004',
                 'argument options of set_job_attributes() must not be NULL', 'set_job_attributes: NULL options');
SELECT throws_ok(format($$SELECT jobmon.set_job_attributes(%s, '"x"')$$, :job), '22023',
                 'options of set_job_attributes() must be a JSON object', 'set_job_attributes: a JSON string');
SELECT throws_ok(format($$SELECT jobmon.set_job_attribute(%s, 'name', 's51 x')$$, :no_job), '42704',
                 format('scheduled job %s does not exist', :no_job), 'set_job_attribute on a job that does not exist');
SELECT throws_ok(format('SELECT jobmon.activate_job(%s)', :no_job), '42704',
                 format('scheduled job %s does not exist', :no_job), 'activate_job on a job that does not exist');
SELECT throws_ok('SELECT jobmon.drop_job(NULL)', '22004', NULL, 'drop_job(NULL)');
SELECT throws_ok(format('SELECT jobmon.disable_schedule(%s)', :no_sched), '42704',
                 format('schedule %s does not exist', :no_sched), 'a schedule that does not exist');
SELECT throws_ok(format($$SELECT jobmon.dyn_override(%s, NULL)$$, :sched), '22004',
                 'argument p_next_time of dyn_override() must not be NULL', 'dyn_override to NULL');
SELECT is((SELECT count(*)::int FROM jobmon.jobmon_job WHERE job_id > :job), 0,
          'none of the failed calls left a job behind');

-- Another role's job is reported like one that does not exist.
SET ROLE jobmon_test_s51_eve;
SELECT throws_ok(format($$SELECT jobmon.set_job_attribute(%s, 'name', 's51 x')$$, :job), '42704',
                 format('scheduled job %s does not exist', :job), 'another role''s job does not exist for eve');
SELECT throws_ok(format('SELECT jobmon.run_job(%s)', :job), '42704',
                 format('scheduled job %s does not exist', :job), 'nor can she run it');
RESET ROLE;

-- Fixed bugs, kept as regression tests.
SELECT throws_ok($$SELECT jobmon.create_job('{"commands": "SELECT 1", "start_date": 20300101}')$$, '22023',
                 'invalid value for option "start_date" of create_job()', 'a number where a time belongs');
SELECT throws_ok($$SELECT jobmon.create_job('{"commands": "SELECT 1", "onrollback": ["SELECT 1"]}')$$, '22023',
                 'invalid value for option "onrollback" of create_job()', 'an array where a string belongs');
SELECT throws_ok(format('SELECT jobmon.add_schedule(%s, %L::timestamptz[])', :job, '{}'), '22023',
                 'dates of a schedule must be a non-empty list of times', 'add_schedule: no dates');
SELECT throws_ok($$SELECT jobmon.create_job('{"commands": "SELECT 1", "dates": "2030-01-01", "timezone": "Z"}')$$, '22023',
                 'invalid value for option "timezone" of create_job()', 'a zone abbreviation cron_next() rejects');
SELECT jobmon.set_job_attribute(:job, 'max_instances', '007') \g /dev/null
SELECT is((SELECT max_instances FROM jobmon.jobmon_job WHERE job_id = :job), 7,
          'set_job_attribute reads max_instances "007" as 7');
SET ROLE jobmon_test_s51_eve;
SELECT throws_ok(format('SELECT jobmon.disable_schedule(%s)', :sched), '42704',
                 format('schedule %s does not exist', :sched), 'another role''s schedule does not exist for eve');
RESET ROLE;
SELECT throws_ok($$SELECT jobmon.create_job('{"name": "Job 12345", "commands": "SELECT 1"}')$$, '22023',
                 'job names of the form "job N" are reserved', 'the default names cannot be taken explicitly');

SELECT throws_ok($$SELECT jobmon.create_job('@reboot', 'SELECT 1')$$, '22023',
                 'cron expression "@reboot" never fires', '@reboot is refused, not accepted and never run');

SELECT * FROM finish();
ROLLBACK;
