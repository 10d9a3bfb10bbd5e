-- Running jobs: what a run does and what it leaves behind.  A cron job
-- fires on its own; the other cases use run_job() for single, deterministic
-- runs: the job_log row and one step per command, transactions per command
-- or for all, errors and captured messages as jobmon_event rows, onrollback,
-- next_time_statement, jobs marked broken, time zones and one-off dates.
-- Workers only see committed jobs: this file commits (see scheduler.sql).
\ir ../setup.sql
\ir ../scheduler.sql

-- Left over by an interrupted earlier run of this file.
SELECT pg_temp.test_cleanup('r56_') \g /dev/null
DROP TABLE IF EXISTS public.r56_t, public.r56_log, public.r56_gone;
DELETE FROM jobmon.job_check_config WHERE job_name = 'r56_fail';
DELETE FROM jobmon.job_check_log WHERE job_name LIKE 'R56\_%';
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'jobmon_test_r56') THEN
        CREATE ROLE jobmon_test_r56 LOGIN;
    END IF;
END
$$;
CREATE TABLE public.r56_t (x integer NOT NULL CONSTRAINT r56_t_x_check CHECK (x > 0));
CREATE TABLE public.r56_log (msg text);
GRANT INSERT ON public.r56_t TO jobmon_test_r56;
-- Monitoring of one failing job, read by check_job_status().
INSERT INTO jobmon.job_check_config (job_name, warn_threshold, error_threshold, active, sensitivity)
VALUES ('r56_fail', '1 hour', '2 hours', true, 0);

SELECT plan(63);
SELECT pg_temp.tick_start() \g /dev/null

-- The last run of a job and its job_log row.
CREATE FUNCTION pg_temp.last_run(p_name text) RETURNS jobmon.jobmon_run LANGUAGE sql AS $$
    SELECT * FROM jobmon.jobmon_run r WHERE r.job_name = p_name ORDER BY r.run_id DESC LIMIT 1
$$;
-- (action, status, message) of the steps of a run, in order.
CREATE FUNCTION pg_temp.steps(p_run_id bigint) RETURNS TABLE (action text, status text, message text)
LANGUAGE sql AS $$
    SELECT d.action, d.status, d.message FROM jobmon.job_detail d
    JOIN jobmon.jobmon_run r ON r.log_id = d.job_id WHERE r.run_id = p_run_id ORDER BY d.step_id
$$;

-------------------------------------------------------------------------------
-- A cron job runs on its own, every second, as its run_as role.  (on_missed
-- all: a dispatcher that wakes late on a busy machine still plans every second.)
SELECT jobmon.create_job(jsonb_build_object('name', 'r56_cron', 'cron', '* * * * * *',
    'run_as', 'jobmon_test_r56', 'on_missed', 'all',
    'commands', jsonb_build_array('INSERT INTO public.r56_t VALUES (1)', 'SELECT 1'))) AS cron_job \gset
SELECT ok(pg_temp.wait_until($$SELECT count(*) >= 2 FROM jobmon.jobmon_run
                              WHERE job_name = 'r56_cron' AND status = 'success'$$),
          'a cron job runs on its own, twice within 30 seconds');
SELECT jobmon.deactivate_job(:cron_job) \g /dev/null
SELECT ok(pg_temp.wait_until($$SELECT NOT EXISTS (SELECT FROM jobmon.get_active_runs() WHERE job_name = 'r56_cron')$$),
          'after deactivate_job nothing of it runs any more');
SELECT is((SELECT count(*)::int FROM jobmon.jobmon_run WHERE job_name = 'r56_cron' AND due_at <> date_trunc('second', due_at)),
          0, 'an every-second job is due on whole seconds');
SELECT is((SELECT count(*)::int FROM (
              SELECT due_at - lag(due_at) OVER (ORDER BY due_at) AS gap
              FROM jobmon.jobmon_run WHERE job_name = 'r56_cron') g
           WHERE gap <> interval '1 second'),
          0, 'its runs are due one second after another');
SELECT is((SELECT count(*)::int FROM jobmon.jobmon_run r JOIN jobmon.job_log l ON l.job_id = r.log_id
           WHERE r.job_name = 'r56_cron' AND r.status = 'success'
             AND l.job_name = 'R56_CRON' AND l.status = 'OK' AND l.owner = 'jobmon_test_r56'
             AND l.owner = r.run_as AND l.end_time IS NOT NULL),
          (SELECT count(*)::int FROM jobmon.jobmon_run WHERE job_name = 'r56_cron' AND status = 'success'),
          'each run is a job_log row: upper-case name, status OK, owned by the run_as role');
SELECT results_eq(format('SELECT * FROM pg_temp.steps(%L)', (pg_temp.last_run('r56_cron')).run_id),
    $$VALUES ('INSERT INTO public.r56_t VALUES (1)', 'OK', '1 row'), ('SELECT 1', 'OK', '1 row')$$,
    'each command is a step: the command as action, status OK, the rows as message');
SELECT is((SELECT count(*)::int FROM public.r56_t),
          (SELECT count(*)::int FROM jobmon.jobmon_run WHERE job_name = 'r56_cron' AND status = 'success'),
          'each run inserted its row, as the run_as role');
SELECT is((SELECT count(*)::int FROM jobmon.show_job('r56_cron', 1000) s
           JOIN jobmon.jobmon_run r ON r.log_id = s.job_id WHERE r.job_name = 'r56_cron'),
          (SELECT count(*)::int FROM jobmon.jobmon_run WHERE job_name = 'r56_cron' AND log_id IS NOT NULL),
          'show_job() lists the runs');
SELECT results_eq(format('SELECT action, status, message FROM jobmon.show_detail(%L::bigint)', (pg_temp.last_run('r56_cron')).log_id),
                  format('SELECT * FROM pg_temp.steps(%L)', (pg_temp.last_run('r56_cron')).run_id),
                  'show_detail() shows the steps of a run');
SELECT is((SELECT count(*)::int FROM jobmon.show_detail('r56_cron')), 2,
          'show_detail() by name shows the steps of the last run');

-------------------------------------------------------------------------------
-- An array of commands: one transaction each.  The second violates a CHECK
-- constraint; the first stays committed.
TRUNCATE public.r56_t;
SELECT jobmon.create_job(jsonb_build_object('name', 'r56_array',
    'commands', jsonb_build_array('INSERT INTO public.r56_t VALUES (10)', 'INSERT INTO public.r56_t VALUES (-1)',
                                  'SELECT 1'))) AS array_job \gset
SELECT jobmon.run_job(:array_job) AS run \gset
SELECT is(jobmon.wait_for_run(:run, '30 seconds'), 'failure', 'a run whose command fails is a failure');
SELECT results_eq('SELECT x FROM public.r56_t', 'VALUES (10)',
                  'each command commits on its own: the first one''s row stays');
SELECT results_eq(format('SELECT * FROM pg_temp.steps(%L)', :run),
    $$VALUES ('INSERT INTO public.r56_t VALUES (10)', 'OK', '1 row'),
             ('INSERT INTO public.r56_t VALUES (-1)', 'CRITICAL',
              'new row for relation "r56_t" violates check constraint "r56_t_x_check"')$$,
    'the failing step is CRITICAL with the error; no command runs after it');
SELECT results_eq(format($$SELECT severity, sqlstate, message, detail, schema_name, table_name, constraint_name
                           FROM jobmon.jobmon_event WHERE job_id = %L$$, (pg_temp.last_run('r56_array')).log_id),
    $$VALUES ('ERROR', '23514', 'new row for relation "r56_t" violates check constraint "r56_t_x_check"',
              'Failing row contains (-1).', 'public', 'r56_t', 'r56_t_x_check')$$,
    'the error is a jobmon_event: SQLSTATE, message, detail, schema, table and constraint');
SELECT is((SELECT status FROM jobmon.job_log WHERE job_id = (pg_temp.last_run('r56_array')).log_id), 'CRITICAL',
          'the job_log row of a failed run is CRITICAL');
SELECT is((pg_temp.last_run('r56_array')).reason,
          'new row for relation "r56_t" violates check constraint "r56_t_x_check"',
          'the reason of a failed run is the error message');

-- use_same_transaction: all or nothing; the steps after the error did not run.
TRUNCATE public.r56_t;
SELECT jobmon.set_job_attribute(:array_job, 'use_same_transaction', 'true') \g /dev/null
SELECT jobmon.run_job(:array_job) AS run \gset
SELECT is(jobmon.wait_for_run(:run, '30 seconds'), 'failure', 'use_same_transaction: the run fails');
SELECT is((SELECT count(*)::int FROM public.r56_t), 0, 'use_same_transaction: the first command is rolled back too');
SELECT results_eq(format('SELECT action, status FROM pg_temp.steps(%L) OFFSET 1', :run),
    $$VALUES ('INSERT INTO public.r56_t VALUES (-1)', 'CRITICAL'), ('SELECT 1', 'CRITICAL')$$,
    'use_same_transaction: every command is a step, the failing one and those after it CRITICAL');
SELECT is((SELECT message FROM pg_temp.steps(:run) OFFSET 2), 'not run: an earlier command of the transaction failed',
          'use_same_transaction: the steps after the error say they did not run');

-------------------------------------------------------------------------------
-- A failing command: a NOT NULL violation names the column.  The failure
-- reaches check_job_status().
SELECT jobmon.create_job(jsonb_build_object('name', 'r56_fail',
    'commands', 'INSERT INTO public.r56_t VALUES (NULL)')) AS fail_job \gset
SELECT jobmon.run_job(:fail_job) AS run \gset
SELECT is(jobmon.wait_for_run(:run, '30 seconds'), 'failure', 'a NOT NULL violation fails the run');
SELECT results_eq(format($$SELECT severity, sqlstate, message, detail, schema_name, table_name, column_name
                           FROM jobmon.jobmon_event WHERE job_id = %L$$, (pg_temp.last_run('r56_fail')).log_id),
    $$VALUES ('ERROR', '23502', 'null value in column "x" of relation "r56_t" violates not-null constraint',
              'Failing row contains (null).', 'public', 'r56_t', 'x')$$,
    'the error event names schema, table and column');
SELECT results_eq(format('SELECT status FROM pg_temp.steps(%L)', :run), $$VALUES ('CRITICAL')$$,
                  'the step is CRITICAL');
SELECT is((SELECT status FROM jobmon.job_log WHERE job_id = (pg_temp.last_run('r56_fail')).log_id), 'CRITICAL',
          'the job_log row is CRITICAL');
SELECT results_eq($$SELECT alert_code, alert_status, alert_text FROM jobmon.check_job_status() WHERE job_name = 'R56_FAIL'$$,
                  $$VALUES (3, 'FAILED_RUN', '1 CRITICAL run(s)')$$,
                  'check_job_status() reports the failed run');

-------------------------------------------------------------------------------
-- onrollback runs after a failure, as a step of its own, and commits.
SELECT jobmon.create_job(jsonb_build_object('name', 'r56_onrollback',
    'commands', 'INSERT INTO public.r56_t VALUES (-2)',
    'onrollback', $$INSERT INTO public.r56_log VALUES ('rolled back')$$)) AS onrollback_job \gset
SELECT jobmon.run_job(:onrollback_job) AS run \gset
SELECT is(jobmon.wait_for_run(:run, '30 seconds'), 'failure', 'onrollback: the run is still a failure');
SELECT results_eq(format('SELECT * FROM pg_temp.steps(%L)', :run),
    $$VALUES ('INSERT INTO public.r56_t VALUES (-2)', 'CRITICAL',
              'new row for relation "r56_t" violates check constraint "r56_t_x_check"'),
             ($o$onrollback: INSERT INTO public.r56_log VALUES ('rolled back')$o$, 'OK', '1 row')$$,
    'onrollback is a step ''onrollback: ...'' after the failed one');
SELECT results_eq('SELECT msg FROM public.r56_log', $$VALUES ('rolled back')$$, 'what onrollback did is committed');

-- A double fault: onrollback fails too.
SELECT jobmon.create_job(jsonb_build_object('name', 'r56_double',
    'commands', $q$DO $d$BEGIN RAISE EXCEPTION 'r56 first fault' USING HINT = 'r56 hint'; END$d$$q$,
    'onrollback', 'INSERT INTO public.r56_t VALUES (-3)')) AS double_job \gset
SELECT jobmon.run_job(:double_job) AS run \gset
SELECT is(jobmon.wait_for_run(:run, '30 seconds'), 'failure', 'double fault: the run fails');
SELECT matches((pg_temp.last_run('r56_double')).reason, 'double fault', 'double fault: the reason says so');
SELECT results_eq(format('SELECT status, message FROM pg_temp.steps(%L)', :run),
    $$VALUES ('CRITICAL', 'r56 first fault'),
             ('CRITICAL', 'new row for relation "r56_t" violates check constraint "r56_t_x_check"')$$,
    'double fault: both steps are CRITICAL with their errors');
SELECT results_eq(format($$SELECT sqlstate, message, hint FROM jobmon.jobmon_event
                           WHERE job_id = %L AND severity = 'ERROR' ORDER BY event_id$$,
                         (pg_temp.last_run('r56_double')).log_id),
    $$VALUES ('P0001', 'r56 first fault', 'r56 hint'),
             ('23514', 'new row for relation "r56_t" violates check constraint "r56_t_x_check"', NULL)$$,
    'double fault: both errors are events, with the hint of the first');

-------------------------------------------------------------------------------
-- Captured messages: NOTICE and WARNING with every field RAISE can set.
SELECT jobmon.create_job(jsonb_build_object('name', 'r56_messages', 'commands', $q$DO $d$BEGIN
    RAISE NOTICE 'r56 notice' USING DETAIL = 'nd', HINT = 'nh', ERRCODE = 'R5601', COLUMN = 'nc',
        CONSTRAINT = 'nk', DATATYPE = 'nt', TABLE = 'ntb', SCHEMA = 'ns';
    RAISE WARNING 'r56 warning' USING DETAIL = 'wd', HINT = 'wh', ERRCODE = 'R5602', COLUMN = 'wc',
        CONSTRAINT = 'wk', DATATYPE = 'wt', TABLE = 'wtb', SCHEMA = 'ws';
END$d$$q$)) AS messages_job \gset
SELECT jobmon.run_job(:messages_job) AS run \gset
SELECT is(jobmon.wait_for_run(:run, '30 seconds'), 'success', 'a job raising a notice and a warning succeeds');
SELECT results_eq(format($$SELECT severity, sqlstate, message, detail, hint, schema_name, table_name,
                                  column_name, datatype_name, constraint_name
                           FROM jobmon.jobmon_event WHERE job_id = %L ORDER BY event_id$$,
                         (pg_temp.last_run('r56_messages')).log_id),
    $$VALUES ('NOTICE', 'R5601', 'r56 notice', 'nd', 'nh', 'ns', 'ntb', 'nc', 'nt', 'nk'),
             ('WARNING', 'R5602', 'r56 warning', 'wd', 'wh', 'ws', 'wtb', 'wc', 'wt', 'wk')$$,
    'capture_level NOTICE (the default): both messages are events with all their fields');
SELECT is((SELECT count(*)::int FROM jobmon.jobmon_event e JOIN jobmon.job_detail d USING (step_id)
           WHERE e.job_id = (pg_temp.last_run('r56_messages')).log_id AND d.action LIKE 'DO %'), 2,
          'the events belong to the step of the command');

SELECT jobmon.set_job_attribute(:messages_job, 'capture_level', 'warning') \g /dev/null
SELECT jobmon.run_job(:messages_job) AS run \gset
SELECT is(jobmon.wait_for_run(:run, '30 seconds'), 'success', 'capture_level WARNING: the run succeeds');
SELECT results_eq(format('SELECT severity, message FROM jobmon.jobmon_event WHERE job_id = %L',
                         (pg_temp.last_run('r56_messages')).log_id),
                  $$VALUES ('WARNING', 'r56 warning')$$,
                  'capture_level WARNING captures the warning, not the notice');

SELECT jobmon.set_job_attribute(:messages_job, 'capture_level', 'NONE') \g /dev/null
SELECT jobmon.run_job(:messages_job) AS run \gset
SELECT is(jobmon.wait_for_run(:run, '30 seconds'), 'success', 'capture_level NONE: the run succeeds');
SELECT is((SELECT count(*)::int FROM jobmon.jobmon_event WHERE job_id = (pg_temp.last_run('r56_messages')).log_id), 0,
          'capture_level NONE captures nothing');

-------------------------------------------------------------------------------
-- next_time_statement: its result, knowing the outcome, is the next fire time.
SELECT jobmon.create_job(jsonb_build_object('name', 'r56_next', 'cron', '0 0 1 1 *', 'commands', 'SELECT 1',
    'next_time_statement', $$SELECT CASE current_setting('pg_jobmon.transaction_state')
        WHEN 'success' THEN now() + interval '1 hour' ELSE now() + interval '2 hours' END$$)) AS next_job \gset
SELECT jobmon.run_job(:next_job) AS run \gset
SELECT is(jobmon.wait_for_run(:run, '30 seconds'), 'success', 'next_time_statement: the run succeeds');
SELECT ok((SELECT next_fire BETWEEN now() + interval '55 minutes' AND now() + interval '65 minutes'
           FROM jobmon.jobmon_schedule WHERE job_id = :next_job),
          'after a success the schedule fires next at next_time_statement''s time (in 1 hour)');
SELECT jobmon.set_job_attribute(:next_job, 'commands', 'SELECT 1/0') \g /dev/null
SELECT jobmon.run_job(:next_job) AS run \gset
SELECT is(jobmon.wait_for_run(:run, '30 seconds'), 'failure', 'next_time_statement: a failing run');
SELECT ok((SELECT next_fire BETWEEN now() + interval '115 minutes' AND now() + interval '125 minutes'
           FROM jobmon.jobmon_schedule WHERE job_id = :next_job),
          'after a failure next_time_statement sees it (in 2 hours)');

-- A next_time_statement that returns no time, or fails, breaks the job.
SELECT jobmon.set_job_attributes(:next_job, $${"commands": "SELECT 1", "next_time_statement": "SELECT 'not a time'"}$$)
    \g /dev/null
SELECT jobmon.run_job(:next_job) AS run \gset
SELECT is(jobmon.wait_for_run(:run, '30 seconds'), 'success', 'a next_time_statement returning no time: the run itself succeeds');
SELECT is((SELECT broken_reason FROM jobmon.jobmon_job WHERE job_id = :next_job),
          'next_time_statement returned "not a time", not a time', 'and the job is broken, with the reason');
SELECT is((SELECT schedule FROM jobmon.jobmon_timers WHERE job_id = :next_job),
          'broken: next_time_statement returned "not a time", not a time', 'jobmon_timers shows it broken');
SELECT is((SELECT next_fire FROM jobmon.jobmon_schedule WHERE job_id = :next_job), NULL,
          'a broken job is not scheduled');
SELECT jobmon.activate_job(:next_job) \g /dev/null
SELECT is((SELECT broken_reason FROM jobmon.jobmon_job WHERE job_id = :next_job), NULL, 'activate_job clears broken');
SELECT jobmon.set_job_attribute(:next_job, 'next_time_statement', 'SELECT 1/0') \g /dev/null
SELECT jobmon.run_job(:next_job) AS run \gset
SELECT is(jobmon.wait_for_run(:run, '30 seconds'), 'success', 'a failing next_time_statement: the run itself succeeds');
SELECT is((SELECT broken_reason FROM jobmon.jobmon_job WHERE job_id = :next_job),
          'next_time_statement failed: division by zero', 'and the job is broken with the error');

-------------------------------------------------------------------------------
-- A command on a table that was dropped fails the same way every time: the
-- job is marked broken.
CREATE TABLE public.r56_gone (x integer);
SELECT jobmon.create_job(jsonb_build_object('name', 'r56_gone', 'cron', '0 0 1 1 *',
    'commands', 'INSERT INTO public.r56_gone VALUES (1)')) AS gone_job \gset
DROP TABLE public.r56_gone;
SELECT jobmon.run_job(:gone_job) AS run \gset
SELECT is(jobmon.wait_for_run(:run, '30 seconds'), 'failure', 'a command on a dropped table fails');
SELECT is((SELECT broken_reason FROM jobmon.jobmon_job WHERE job_id = :gone_job),
          'relation "public.r56_gone" does not exist (SQLSTATE 42P01)', 'the job is broken, with SQLSTATE 42P01');
SELECT is((SELECT next_fire FROM jobmon.jobmon_schedule WHERE job_id = :gone_job), NULL,
          'the broken job has no next fire time');
SELECT matches((SELECT schedule FROM jobmon.jobmon_timers WHERE job_id = :gone_job), '^broken: relation',
               'jobmon_timers shows the job broken');
SELECT jobmon.activate_job(:gone_job) \g /dev/null
SELECT is((SELECT broken_reason FROM jobmon.jobmon_job WHERE job_id = :gone_job), NULL, 'activate_job clears broken');
SELECT isnt((SELECT next_fire FROM jobmon.jobmon_schedule WHERE job_id = :gone_job), NULL,
            'the activated job is scheduled again');

-------------------------------------------------------------------------------
-- A job's own time zone: 09:00 in Tokyo.
SELECT jobmon.create_job(jsonb_build_object('name', 'r56_tokyo', 'cron', '0 9 * * *', 'timezone', 'Asia/Tokyo',
    'commands', 'SELECT 1')) AS tokyo_job \gset
SELECT is((SELECT (next_fire AT TIME ZONE 'Asia/Tokyo')::time FROM jobmon.jobmon_schedule WHERE job_id = :tokyo_job),
          '09:00'::time, 'a job with timezone Asia/Tokyo fires at 09:00 Tokyo time');
SELECT ok((SELECT next_fire > now() AND next_fire <= now() + interval '1 day'
           FROM jobmon.jobmon_schedule WHERE job_id = :tokyo_job), 'the next 09:00 in Tokyo, within a day');

-------------------------------------------------------------------------------
-- A one-off date: it runs once, then the schedule has no fire time left.
SELECT jobmon.create_job(jsonb_build_object('name', 'r56_dates', 'dates', jsonb_build_array(now() + interval '2 seconds'),
    'commands', $$INSERT INTO public.r56_log VALUES ('dated')$$)) AS dates_job \gset
SELECT ok(pg_temp.wait_until($$SELECT pg_temp.finished_runs('r56_dates') >= 1$$), 'a job with one date runs');
SELECT results_eq($$SELECT status, due_at FROM jobmon.jobmon_run WHERE job_name = 'r56_dates'$$,
                  format($$VALUES ('success', %L::timestamptz)$$,
                         (SELECT dates[1] FROM jobmon.jobmon_schedule WHERE job_id = :dates_job)),
                  'it ran once, due at its date');
SELECT is((SELECT next_fire FROM jobmon.jobmon_schedule WHERE job_id = :dates_job), NULL,
          'then its schedule has no next fire time');
SELECT results_eq($$SELECT msg FROM public.r56_log WHERE msg = 'dated'$$, $$VALUES ('dated')$$,
                  'its command ran');

-------------------------------------------------------------------------------
CALL pg_temp.tick_stop();
SELECT pg_temp.test_cleanup('r56_') \g /dev/null
SELECT is((SELECT count(*)::int FROM jobmon.jobmon_run WHERE job_name LIKE 'r56\_%'), 0, 'clean-up leaves no run behind');
SELECT * FROM finish();
DELETE FROM jobmon.job_check_config WHERE job_name = 'r56_fail';
DELETE FROM jobmon.job_check_log WHERE job_name LIKE 'R56\_%';
DROP TABLE public.r56_t, public.r56_log;
DROP ROLE jobmon_test_r56;
