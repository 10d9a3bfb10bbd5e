-- check_job_status: every rule (FAILED_RUN, MISSING, RUNNING, BLOCKED,
-- escalation, the history argument) against job_log rows written directly
-- with times in the past, so that nothing depends on how long the test
-- takes.  Everything but the lock table below happens in one transaction
-- and is rolled back; now() is fixed for all of it.
--
-- The BLOCKED case needs a second session (a dblink connection) waiting on
-- a lock this transaction holds, so the table it waits on is committed
-- before BEGIN and dropped at the end.
\ir ../setup.sql

DROP TABLE IF EXISTS public.t11_lock_target;
CREATE TABLE public.t11_lock_target (id integer);

BEGIN;
SELECT plan(38);

-- Start from an empty log and the three seeded codes, whatever other test
-- files committed (rolled back at the end).
DELETE FROM jobmon.job_check_log;
DELETE FROM jobmon.job_check_config;
DELETE FROM jobmon.job_log;
DELETE FROM jobmon.job_status_text WHERE alert_code > 3;

-- A run of p_job that started p_ago before now() and, if p_finished, ended
-- a minute later; a non-NULL p_status is then set by UPDATE, as close_job and
-- fail_job do, so the job_monitor trigger records it.
CREATE FUNCTION pg_temp.t11_run(p_job text, p_ago interval, p_status text DEFAULT NULL,
                                p_finished boolean DEFAULT true, p_pid integer DEFAULT 0)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    v_job_id bigint;
BEGIN
    INSERT INTO jobmon.job_log (owner, job_name, start_time, end_time, pid)
    VALUES (current_user, p_job, now() - p_ago,
            CASE WHEN p_finished THEN now() - p_ago + interval '1 minute' END, p_pid)
    RETURNING job_id INTO v_job_id;
    IF p_status IS NOT NULL THEN
        UPDATE jobmon.job_log SET status = p_status WHERE job_id = v_job_id;
    END IF;
    RETURN v_job_id;
END
$$;

-- true once backend p_pid waits for a lock, false after p_timeout.
CREATE FUNCTION pg_temp.t11_waits_for_lock(p_pid integer, p_timeout interval)
RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
    v_deadline timestamptz := clock_timestamp() + p_timeout;
BEGIN
    LOOP
        IF EXISTS (SELECT FROM pg_catalog.pg_locks l WHERE l.pid = p_pid AND NOT l.granted) THEN
            RETURN true;
        END IF;
        IF clock_timestamp() > v_deadline THEN
            RETURN false;
        END IF;
        PERFORM pg_sleep(0.05);
    END LOOP;
END
$$;

-- The expected rows of check_job_status, for results_eq.
CREATE FUNCTION pg_temp.t11_ok() RETURNS text LANGUAGE sql AS
$$ SELECT $q$VALUES (1, 'OK'::text, NULL::text, 'All jobs run successfully'::text)$q$ $$;

-- ---------------------------------------------------------------- all well
SELECT results_eq('SELECT * FROM jobmon.check_job_status()', pg_temp.t11_ok(),
                  'with nothing failed or missing, exactly one OK row');

-- ---------------------------------------------------- job without configuration
DO $$ BEGIN
    PERFORM pg_temp.t11_run('T11_UNCONF', '30 minutes', 'CRITICAL');
    PERFORM pg_temp.t11_run('T11_UNCONF', '20 minutes', 'CRITICAL');
END $$;
SELECT is((SELECT count(*)::int FROM jobmon.job_check_log WHERE job_name = 'T11_UNCONF'), 2,
          'each failed run adds a row to job_check_log');
SELECT results_eq('SELECT * FROM jobmon.check_job_status()', pg_temp.t11_ok(),
                  'two failures of a job without configuration raise no alert');

DO $$ BEGIN PERFORM pg_temp.t11_run('T11_UNCONF', '10 minutes', 'CRITICAL'); END $$;
SELECT results_eq('SELECT * FROM jobmon.check_job_status()',
                  $$VALUES (3, 'FAILED_RUN'::text, 'T11_UNCONF'::text, '3 consecutive CRITICAL runs'::text)$$,
                  'the third failure of a job without configuration is FAILED_RUN with code 3, in 1.x''s words');

DO $$ BEGIN PERFORM pg_temp.t11_run('T11_UNCONF', '5 minutes', 'OK'); END $$;
SELECT is((SELECT count(*)::int FROM jobmon.job_check_log WHERE job_name = 'T11_UNCONF'), 0,
          'a successful run clears the job''s failures from job_check_log');
SELECT results_eq('SELECT * FROM jobmon.check_job_status()', pg_temp.t11_ok(),
                  'after a successful run the job is no longer reported');

-- --------------------------------------- configured jobs: sensitivity, inactive
INSERT INTO jobmon.job_check_config (job_name, warn_threshold, error_threshold, active, sensitivity)
VALUES ('T11_SENS', '1 hour', '3 hours', true, 2),
       ('T11_INACTIVE', '10 days', '30 days', false, 0);

DO $$ BEGIN
    PERFORM pg_temp.t11_run('T11_SENS', '30 minutes', 'WARNING');
    PERFORM pg_temp.t11_run('T11_SENS', '20 minutes', 'WARNING');
END $$;
SELECT results_eq('SELECT * FROM jobmon.check_job_status()', pg_temp.t11_ok(),
                  'an active job with as many failures as its sensitivity (2) raises no alert');

DO $$ BEGIN PERFORM pg_temp.t11_run('T11_SENS', '10 minutes', 'WARNING'); END $$;
SELECT results_eq('SELECT * FROM jobmon.check_job_status()',
                  $$VALUES (2, 'FAILED_RUN'::text, 'T11_SENS'::text, '3 WARNING run(s)'::text)$$,
                  'one failure more than the sensitivity is FAILED_RUN, at the code of the failures (2)');

DO $$ BEGIN
    PERFORM pg_temp.t11_run('T11_INACTIVE', '40 days', 'CRITICAL');
    PERFORM pg_temp.t11_run('T11_INACTIVE', '39 days', 'CRITICAL');
    PERFORM pg_temp.t11_run('T11_INACTIVE', '38 days', 'CRITICAL');
    PERFORM pg_temp.t11_run('T11_SENS', '5 minutes', 'OK');
END $$;
SELECT results_eq('SELECT * FROM jobmon.check_job_status()', pg_temp.t11_ok(),
                  'an inactive configured job is reported neither as failed nor as missing');

-- ------------------------------------------------------------------ MISSING
INSERT INTO jobmon.job_check_config (job_name, warn_threshold, error_threshold, active)
VALUES ('T11_MISS_AWARN', '1 hour', '3 hours', true),
       ('T11_MISS_ERR', '1 hour', '3 hours', true),
       ('T11_MISS_NEVER', '1 hour', '3 hours', true),
       ('T11_MISS_OLD', '1 hour', '3 hours', true),
       ('T11_MISS_EDGE', '1 hour', '3 hours', true);
DO $$ BEGIN
    PERFORM pg_temp.t11_run('T11_MISS_AWARN', '5 hours', 'OK');
    PERFORM pg_temp.t11_run('T11_MISS_AWARN', '2 hours', 'OK');
    PERFORM pg_temp.t11_run('T11_MISS_ERR', '4 hours', 'OK');
    PERFORM pg_temp.t11_run('T11_MISS_OLD', '2 days', 'OK');
    PERFORM pg_temp.t11_run('T11_MISS_EDGE', '1 hour', 'OK');
END $$;

SELECT throws_ok($$SELECT * FROM jobmon.check_job_status('2 hours')$$, '22023',
                 'history interval 02:00:00 is shorter than the longest monitoring threshold 03:00:00',
                 'a history shorter than the longest threshold of an active job is rejected');
SELECT lives_ok($$SELECT * FROM jobmon.check_job_status('1 day')$$,
                'the thresholds of inactive jobs (T11_INACTIVE: 30 days) do not bound the history');
SELECT throws_ok($$SELECT * FROM jobmon.check_job_status(NULL)$$, '22004',
                 'argument p_history of check_job_status() must not be NULL',
                 'a NULL history is an error');

SELECT results_eq(
    $$SELECT * FROM jobmon.check_job_status('1 day') WHERE job_name LIKE 'T11_MISS%'$$,
    $$VALUES (3, 'MISSING'::text, 'T11_MISS_ERR'::text,
              'Last completed run: ' || (now() - interval '4 hours' + interval '1 minute')),
             (3, 'MISSING', 'T11_MISS_NEVER', 'Has not completed a run since highest configured monitoring time period'),
             (3, 'MISSING', 'T11_MISS_OLD', 'Has not completed a run since highest configured monitoring time period'),
             (2, 'MISSING', 'T11_MISS_AWARN',
              'Last completed run: ' || (now() - interval '2 hours' + interval '1 minute'))$$,
    'MISSING: code 2 past warn_threshold, 3 past error_threshold or with no run in the history, '
    'none at exactly warn_threshold; ordered by alert_code DESC, then job_name');
SELECT results_eq(
    $$SELECT * FROM jobmon.check_job_status('3 days') WHERE job_name = 'T11_MISS_OLD'$$,
    $$VALUES (3, 'MISSING'::text, 'T11_MISS_OLD'::text,
              'Last completed run: ' || (now() - interval '2 days' + interval '1 minute'))$$,
    'a run within a longer history is reported as the last completed run');
SELECT results_eq('SELECT * FROM jobmon.check_job_status()',
                  $$SELECT * FROM jobmon.check_job_status('3 hours')$$,
                  'without an argument the history is the longest threshold of the active jobs');
SELECT results_eq(
    $$SELECT alert_text FROM jobmon.check_job_status() WHERE job_name = 'T11_MISS_ERR'$$,
    $$VALUES ('Has not completed a run since highest configured monitoring time period')$$,
    'without an argument a run older than the longest threshold is outside the history');

-- ------------------------------------------------------------------ RUNNING
INSERT INTO jobmon.job_check_config (job_name, warn_threshold, error_threshold, active)
VALUES ('T11_RUN', '1 hour', '3 hours', true),
       ('T11_RUN_DEAD', '1 hour', '3 hours', true);
DO $$ BEGIN
    PERFORM pg_temp.t11_run('T11_RUN', '1 day', 'OK');
    PERFORM pg_temp.t11_run('T11_RUN', '2 hours', p_finished => false, p_pid => pg_backend_pid());
    PERFORM pg_temp.t11_run('T11_RUN_DEAD', '2 hours', p_finished => false, p_pid => 0);
END $$;
SELECT results_eq(
    $$SELECT * FROM jobmon.check_job_status('3 hours') WHERE job_name LIKE 'T11_RUN%'$$,
    $$VALUES (2, 'RUNNING'::text, 'T11_RUN'::text,
              'Currently running. Job has not had a completed run within configured monitoring time period.'::text),
             (2, 'MISSING', 'T11_RUN_DEAD', 'Has not completed a run since highest configured monitoring time period')$$,
    'a run past its threshold in a live backend is RUNNING; without a live backend it is MISSING');
SELECT results_eq(
    $$SELECT * FROM jobmon.check_job_status('2 days') WHERE job_name = 'T11_RUN'$$,
    $$VALUES (2, 'RUNNING'::text, 'T11_RUN'::text,
              'Currently running. Last completed run: ' || (now() - interval '1 day' + interval '1 minute'))$$,
    'RUNNING names the last completed run within the history');

-- ------------------------------------------------------------------ BLOCKED
SELECT is(dblink_connect('t11_blocker',
              format('host=''%s'' port=%s dbname=''%s'' user=''%s'' application_name=t11_blocker',
                     trim(split_part(current_setting('unix_socket_directories'), ',', 1)),
                     current_setting('port'), current_database(), session_user)),
          'OK', 'a second session connects');
SELECT t.pid AS t11_blocker_pid FROM dblink('t11_blocker', 'SELECT pg_backend_pid()') AS t(pid integer) \gset
INSERT INTO jobmon.job_check_config (job_name, warn_threshold, error_threshold, active)
VALUES ('T11_BLOCK', '1 hour', '3 hours', true);
INSERT INTO jobmon.job_log (owner, job_name, start_time, pid)
VALUES (current_user, 'T11_BLOCK', now() - interval '4 hours', :t11_blocker_pid);
LOCK TABLE public.t11_lock_target IN ACCESS EXCLUSIVE MODE;

-- pg_stat_activity is read once per transaction: forget that snapshot so
-- the second session is seen.
DO $$ BEGIN PERFORM pg_stat_clear_snapshot(); END $$;
SELECT results_eq(
    $$SELECT * FROM jobmon.check_job_status('1 day') WHERE job_name = 'T11_BLOCK'$$,
    $$VALUES (3, 'RUNNING'::text, 'T11_BLOCK'::text,
              'Currently running. Job has not had a completed run within configured monitoring time period.'::text)$$,
    'a run past error_threshold whose backend is idle is RUNNING with code 3');
SELECT is(dblink_send_query('t11_blocker', 'SELECT count(*) FROM public.t11_lock_target'), 1,
          'the second session starts a query on the locked table');
SELECT ok(pg_temp.t11_waits_for_lock(:t11_blocker_pid, interval '10 seconds'),
          'the second session waits for the lock (within 10 s)');
DO $$ BEGIN PERFORM pg_stat_clear_snapshot(); END $$;
SELECT results_eq(
    $$SELECT * FROM jobmon.check_job_status('1 day') WHERE job_name = 'T11_BLOCK'$$,
    $$VALUES (3, 'BLOCKED'::text, 'T11_BLOCK'::text,
              'Another transaction has a lock that blocking this job from completing'::text)$$,
    'a reported run whose backend waits for a lock is BLOCKED (1.x''s text, word for word)');
SELECT is(dblink_cancel_query('t11_blocker'), 'OK', 'the waiting query is cancelled');
DO $$ BEGIN PERFORM dblink_disconnect('t11_blocker'); END $$;

-- --------------------------------------------------------------- escalation
INSERT INTO jobmon.job_check_config (job_name, warn_threshold, error_threshold, active, sensitivity, escalate)
VALUES ('T11_ESC', '1 hour', '3 hours', true, 0, 2);

SELECT pg_temp.t11_run('T11_ESC', '40 minutes', 'WARNING') AS t11_esc1 \gset
SELECT results_eq($$SELECT alert_code FROM jobmon.job_check_log WHERE job_name = 'T11_ESC' ORDER BY job_id$$,
                  'VALUES (2)', 'a first failure is logged at its own code');
SELECT results_eq(
    $$SELECT * FROM jobmon.check_job_status('1 day') WHERE job_name = 'T11_ESC'$$,
    $$VALUES (2, 'FAILED_RUN'::text, 'T11_ESC'::text, '1 WARNING run(s)'::text)$$,
    'with sensitivity 0 the first failure alerts');

SELECT pg_temp.t11_run('T11_ESC', '30 minutes', 'WARNING') AS t11_esc2 \gset
SELECT results_eq($$SELECT alert_code FROM jobmon.job_check_log WHERE job_name = 'T11_ESC' ORDER BY job_id$$,
                  'VALUES (2), (3)', 'the second failure at the top code (escalate = 2) is raised one code');
SELECT results_eq(
    'SELECT action, status, message FROM jobmon.job_detail WHERE job_id = ' || :t11_esc2,
    $$VALUES ('ALERT ESCALATION'::text, 'ESCALATE'::text,
              'Job has alerted at level 2 in excess of the escalate value configured for this job (2). Alert code value has been escalated to: 3'::text)$$,
    'the escalation is logged as an ALERT ESCALATION step of the failing job');
SELECT is((SELECT status FROM jobmon.job_log WHERE job_id = :t11_esc2), 'ESCALATED',
          'the failing job''s status becomes ESCALATED');
SELECT results_eq(
    $$SELECT * FROM jobmon.check_job_status('1 day') WHERE job_name = 'T11_ESC'$$,
    $$VALUES (3, 'FAILED_RUN'::text, 'T11_ESC'::text, '1 CRITICAL run(s)'::text)$$,
    'the alert takes the escalated code; its text counts the failures at that code');

SELECT pg_temp.t11_run('T11_ESC', '20 minutes', 'WARNING') AS t11_esc3 \gset
SELECT results_eq($$SELECT alert_code FROM jobmon.job_check_log WHERE job_name = 'T11_ESC' ORDER BY job_id$$,
                  'VALUES (2), (3), (3)',
                  'a later failure never drops below the highest code logged, nor goes above the highest code in job_status_text');
SELECT results_eq(
    'SELECT j.status, count(d.step_id)::int FROM jobmon.job_log j '
    'LEFT JOIN jobmon.job_detail d ON d.job_id = j.job_id WHERE j.job_id = ' || :t11_esc3 || ' GROUP BY j.status',
    $$VALUES ('WARNING'::text, 0)$$,
    'no escalation (no step, status kept) when the code is already the highest');

INSERT INTO jobmon.job_status_text (alert_code, alert_text) VALUES (4, 'ESCALATED_PAGE');
SELECT pg_temp.t11_run('T11_ESC', '10 minutes', 'CRITICAL') AS t11_esc4 \gset
SELECT results_eq($$SELECT alert_code FROM jobmon.job_check_log WHERE job_name = 'T11_ESC' ORDER BY job_id$$,
                  'VALUES (2), (3), (3), (4)',
                  'with code 4 in job_status_text, the next failure at the top code escalates to 4');
SELECT is((SELECT status FROM jobmon.job_log WHERE job_id = :t11_esc4), 'ESCALATED',
          'the job that escalated to 4 is ESCALATED');
SELECT results_eq(
    $$SELECT * FROM jobmon.check_job_status('1 day') WHERE job_name = 'T11_ESC'$$,
    $$VALUES (4, 'FAILED_RUN'::text, 'T11_ESC'::text, '1 ESCALATED_PAGE run(s)'::text)$$,
    'the alert takes code 4');

-- ------------------------------------------------------ text_style = 2.x
SELECT jobmon.jobmon_config_set('text_style', '2.x') \g /dev/null
SELECT results_eq(
    $$SELECT * FROM jobmon.check_job_status('1 day') WHERE job_name = 'T11_ESC'$$,
    $$VALUES (4, 'FAILED_RUN'::text, 'T11_ESC'::text, '4 consecutive job failure(s)'::text)$$,
    'with text_style = 2.x, FAILED_RUN says how many failures in all');
DO $$ BEGIN
    PERFORM pg_temp.t11_run('T11_UNCONF', '4 minutes', 'CRITICAL');
    PERFORM pg_temp.t11_run('T11_UNCONF', '3 minutes', 'WARNING');
    PERFORM pg_temp.t11_run('T11_UNCONF', '2 minutes', 'CRITICAL');
    PERFORM pg_temp.t11_run('T11_UNCONF', '1 minute', 'CRITICAL');
END $$;
SELECT results_eq(
    $$SELECT * FROM jobmon.check_job_status('1 day') WHERE job_name = 'T11_UNCONF'$$,
    $$VALUES (3, 'FAILED_RUN'::text, 'T11_UNCONF'::text, '4 consecutive job failure(s)'::text)$$,
    'with text_style = 2.x, the failures of a job without configuration are counted whatever their code');
SELECT jobmon.jobmon_config_reset('text_style') \g /dev/null
SELECT results_eq(
    $$SELECT * FROM jobmon.check_job_status('1 day') WHERE job_name = 'T11_UNCONF'$$,
    $$VALUES (3, 'FAILED_RUN'::text, 'T11_UNCONF'::text, '3 consecutive CRITICAL runs'::text)$$,
    'with 1.x''s texts (the default), a job without configuration reads "3 consecutive <code> runs" whatever the count');

SELECT * FROM finish();
ROLLBACK;

DROP TABLE public.t11_lock_target;
