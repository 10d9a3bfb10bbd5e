-- What pg_jobmon 1.5's own test suite checks, run against this version:
-- a day of jobs (good, warning, bad, an unconfigured job failing three
-- times, a sql_job, a run that never finished, a configured job that never
-- ran), the log they leave, check_job_status's answers as time passes,
-- recovery, and escalation through two added alert codes.  The
-- escalation's configuration and codes are committed (and removed at the
-- end): the failures are recorded by the logging connection, which sees
-- only committed rows.  Written here from
-- what those tests assert, not copied.  Where 1.5 waited (pg_sleep) for
-- thresholds to pass, this file moves the runs' start times back instead.
-- Left out on purpose: 1.5's dblink_mapping_jobmon table, which 2.x
-- removed (doc/pg_jobmon.md, section 10).
\ir ../setup.sql
SELECT 'V1 ESCALATION ' || pg_backend_pid() || ' ' || md5(random()::text) AS esc \gset
DELETE FROM jobmon.job_status_text WHERE alert_text = 'V1 TEST ALERT LEVEL';
INSERT INTO jobmon.job_check_config (job_name, warn_threshold, error_threshold, active, sensitivity, escalate)
VALUES (:'esc', '1 day', '2 days', true, 0, 3);
INSERT INTO jobmon.job_status_text (alert_code, alert_text)
SELECT max(alert_code) + 1, 'V1 TEST ALERT LEVEL' FROM jobmon.job_status_text;
INSERT INTO jobmon.job_status_text (alert_code, alert_text)
SELECT max(alert_code) + 1, 'V1 TEST ALERT LEVEL' FROM jobmon.job_status_text;

BEGIN;
SELECT plan(15);

-- A clean slate of monitoring state (rolled back at the end).
DELETE FROM jobmon.job_check_log;
DELETE FROM jobmon.job_check_config;
-- Names unique to this run: the log is autonomous, so earlier runs' rows stay.
SELECT 'V1 ' || pg_catalog.txid_current() || ' ' AS p \gset
SELECT set_config('v1.p', :'p', true) \g /dev/null

CREATE TEMP TABLE v1_rows (col1 int, col2 text);
INSERT INTO v1_rows VALUES (1, 'row1'), (2, 'row2');

INSERT INTO jobmon.job_check_config (job_name, warn_threshold, error_threshold, active, sensitivity)
VALUES (:'p' || 'NEVER RUN', '1 day', '2 days', true, 0),
       (:'p' || 'GOOD', '30 seconds', '1 min', true, 0),
       (:'p' || 'BAD', '1 day', '2 days', true, 0),
       (:'p' || 'WARNING', '1 day', '2 days', true, 0),
       (:'p' || 'NEVER FINISHED', '1 min', '10 mins', true, 1);
INSERT INTO jobmon.job_log (owner, job_name, start_time, pid)
VALUES (current_user, :'p' || 'NEVER FINISHED', now() - interval '5 days', 1234);

-- Nothing has run yet: every configured job is missing.
SELECT results_eq(format($$SELECT * FROM jobmon.check_job_status() WHERE job_name LIKE %L$$, :'p' || '%'),
    format($$VALUES (3, 'MISSING', %L, 'Has not completed a run since highest configured monitoring time period'),
                    (3, 'MISSING', %L, 'Has not completed a run since highest configured monitoring time period'),
                    (3, 'MISSING', %L, 'Has not completed a run since highest configured monitoring time period'),
                    (3, 'MISSING', %L, 'Has not completed a run since highest configured monitoring time period'),
                    (3, 'MISSING', %L, 'Has not completed a run since highest configured monitoring time period')$$,
           :'p' || 'BAD', :'p' || 'GOOD', :'p' || 'NEVER FINISHED', :'p' || 'NEVER RUN', :'p' || 'WARNING'),
    'before any run, every configured job is MISSING');

-- The jobs, logged as a 1.x client logs them (search_path first on jobmon).
SET LOCAL search_path = jobmon, public;
CREATE FUNCTION pg_temp.v1_jobs(p text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v_job  bigint;
    v_step bigint;
BEGIN
    v_job := add_job(p || 'GOOD');
    v_step := add_step(v_job, 'Test step 1');
    PERFORM update_step(v_step, 'OK', 'Successful Step 1');
    PERFORM sql_step(v_job, 'Test step 2', 'UPDATE v1_rows SET col2 = ''changed''');
    v_step := add_step(v_job, 'Test step 3');
    PERFORM update_step(v_step, 'OK', 'Successful Step 3');
    PERFORM close_job(v_job);

    v_job := add_job(p || 'WARNING');
    v_step := add_step(v_job, 'Test step 1');
    PERFORM update_step(v_step, 'OK', 'Successful Step 1');
    v_step := add_step(v_job, 'Test step 2');
    PERFORM update_step(v_step, 'WARNING', 'Failed Step 2');
    PERFORM sql_step(v_job, 'Test step 3', 'DELETE FROM v1_rows WHERE col3 = 0');
    PERFORM fail_job(v_job, 2);

    v_job := add_job(p || 'BAD');
    v_step := add_step(v_job, 'Test step 1');
    PERFORM update_step(v_step, 'OK', 'Successful Step 1');
    v_step := add_step(v_job, 'Test step 2');
    PERFORM update_step(v_step, 'CRITICAL', 'Failed Step 2');
    PERFORM sql_step(v_job, 'Test step 3', 'DELETE FROM v1_rows WHERE col3 = 0');
    PERFORM fail_job(v_job);

    PERFORM sql_job(p || 'SQL', 'UPDATE v1_rows SET col2 = ''changed again''');

    FOR i IN 1 .. 3 LOOP
        v_job := add_job(p || 'NON-CONFIG BAD');
        v_step := add_step(v_job, 'Test step 1');
        PERFORM update_step(v_step, 'CRITICAL', 'Testing repeated job failure');
        PERFORM fail_job(v_job);
    END LOOP;
END
$$;
SELECT pg_temp.v1_jobs(:'p') \g /dev/null
RESET search_path;

SELECT results_eq(format($$SELECT substr(job_name, %s), status FROM jobmon.job_log WHERE job_name LIKE %L ORDER BY job_name$$,
                         length(:'p') + 1, :'p' || '%'),
    $$VALUES ('BAD', 'CRITICAL'), ('GOOD', 'OK'), ('NEVER FINISHED', NULL),
             ('NON-CONFIG BAD', 'CRITICAL'), ('NON-CONFIG BAD', 'CRITICAL'), ('NON-CONFIG BAD', 'CRITICAL'),
             ('SQL', 'OK'), ('WARNING', 'WARNING')$$,
    'each job ends with the status 1.x gives it');
SELECT results_eq(format($$SELECT d.action, d.status, d.message FROM jobmon.job_detail d JOIN jobmon.job_log j USING (job_id)
                          WHERE j.job_name = %L ORDER BY d.step_id$$, :'p' || 'GOOD'),
    $$VALUES ('Test step 1', 'OK', 'Successful Step 1'), ('Test step 2', 'OK', 'Rows affected: 2'),
             ('Test step 3', 'OK', 'Successful Step 3')$$,
    'the good job''s steps, with sql_step''s row count; logging after sql_step closed the job still works');
SELECT results_eq(format($$SELECT d.action, d.status, d.message FROM jobmon.job_detail d JOIN jobmon.job_log j USING (job_id)
                          WHERE j.job_name = %L ORDER BY d.step_id$$, :'p' || 'WARNING'),
    $$VALUES ('Test step 1', 'OK', 'Successful Step 1'), ('Test step 2', 'WARNING', 'Failed Step 2'),
             ('Test step 3', 'CRITICAL', 'ERROR: column "col3" does not exist')$$,
    'the warning job''s steps, with sql_step''s error');
SELECT results_eq(format($$SELECT d.action, d.status, d.message FROM jobmon.job_detail d JOIN jobmon.job_log j USING (job_id)
                          WHERE j.job_name = %L ORDER BY d.step_id$$, :'p' || 'BAD'),
    $$VALUES ('Test step 1', 'OK', 'Successful Step 1'), ('Test step 2', 'CRITICAL', 'Failed Step 2'),
             ('Test step 3', 'CRITICAL', 'ERROR: column "col3" does not exist')$$,
    'the bad job''s steps');
SELECT results_eq(format($$SELECT d.action, d.status, d.message FROM jobmon.job_detail d JOIN jobmon.job_log j USING (job_id)
                          WHERE j.job_name = %L ORDER BY d.step_id$$, :'p' || 'SQL'),
    $$VALUES ('Running sql: ''UPDATE v1_rows SET col2 = ''''changed again''''''', 'OK', 'Rows affected: 2')$$,
    'sql_job''s one step');
SELECT results_eq(format($$SELECT d.action, d.status, d.message FROM jobmon.job_detail d JOIN jobmon.job_log j USING (job_id)
                          WHERE j.job_name = %L ORDER BY d.step_id LIMIT 1$$, :'p' || 'NON-CONFIG BAD'),
    $$VALUES ('Test step 1', 'CRITICAL', 'Testing repeated job failure')$$,
    'the unconfigured job''s failed step');

-- check_job_status right after: the failures, in 1.x's words.
SELECT results_eq(format($$SELECT alert_code, alert_status, substr(job_name, %s), alert_text
                          FROM jobmon.check_job_status() WHERE job_name LIKE %L ORDER BY job_name, alert_status$$,
                         length(:'p') + 1, :'p' || '%'),
    $$VALUES (3, 'FAILED_RUN', 'BAD', '1 CRITICAL run(s)'),
             (3, 'MISSING', 'NEVER FINISHED', 'Has not completed a run since highest configured monitoring time period'),
             (3, 'MISSING', 'NEVER RUN', 'Has not completed a run since highest configured monitoring time period'),
             (3, 'FAILED_RUN', 'NON-CONFIG BAD', '3 consecutive CRITICAL runs'),
             (2, 'FAILED_RUN', 'WARNING', '1 WARNING run(s)')$$,
    'the first failures, with 1.x''s alert texts');

-- 40 seconds later (1.x slept): the good job is past its warn threshold.
UPDATE jobmon.job_log SET start_time = start_time - interval '40 seconds', end_time = end_time - interval '40 seconds'
WHERE job_name LIKE :'p' || '%';
SELECT results_eq(format($$SELECT alert_code, alert_status, substr(job_name, %s)
                          FROM jobmon.check_job_status() WHERE job_name LIKE %L ORDER BY job_name, alert_status$$,
                         length(:'p') + 1, :'p' || '%'),
    $$VALUES (3, 'FAILED_RUN', 'BAD'), (2, 'MISSING', 'GOOD'), (3, 'MISSING', 'NEVER FINISHED'),
             (3, 'MISSING', 'NEVER RUN'), (3, 'FAILED_RUN', 'NON-CONFIG BAD'), (2, 'FAILED_RUN', 'WARNING')$$,
    'past the warning threshold the good job is MISSING with code 2');

-- 30 seconds more: past its error threshold.
UPDATE jobmon.job_log SET start_time = start_time - interval '30 seconds', end_time = end_time - interval '30 seconds'
WHERE job_name LIKE :'p' || '%';
SELECT results_eq(format($$SELECT alert_code, alert_status, substr(job_name, %s)
                          FROM jobmon.check_job_status() WHERE job_name LIKE %L ORDER BY job_name, alert_status$$,
                         length(:'p') + 1, :'p' || '%'),
    $$VALUES (3, 'FAILED_RUN', 'BAD'), (3, 'MISSING', 'GOOD'), (3, 'MISSING', 'NEVER FINISHED'),
             (3, 'MISSING', 'NEVER RUN'), (3, 'FAILED_RUN', 'NON-CONFIG BAD'), (2, 'FAILED_RUN', 'WARNING')$$,
    'past the error threshold the good job is MISSING with code 3');

-- The unconfigured job recovers.
DO $$
DECLARE v_job bigint := jobmon.add_job(current_setting('v1.p') || 'NON-CONFIG BAD');
BEGIN
    PERFORM jobmon.update_step(jobmon.add_step(v_job, 'Test step 1'), 'OK', 'Testing job recovery');
    PERFORM jobmon.close_job(v_job);
END $$;
SELECT results_eq(format($$SELECT alert_code, alert_status, substr(job_name, %s)
                          FROM jobmon.check_job_status() WHERE job_name LIKE %L ORDER BY job_name, alert_status$$,
                         length(:'p') + 1, :'p' || '%'),
    $$VALUES (3, 'FAILED_RUN', 'BAD'), (3, 'MISSING', 'GOOD'), (3, 'MISSING', 'NEVER FINISHED'),
             (3, 'MISSING', 'NEVER RUN'), (2, 'FAILED_RUN', 'WARNING')$$,
    'a successful run clears the unconfigured job''s failures');
SELECT results_eq(format($$SELECT d.action, d.status, d.message FROM jobmon.job_detail d
                          WHERE d.job_id = (SELECT max(job_id) FROM jobmon.job_log WHERE job_name = %L)$$,
                         :'p' || 'NON-CONFIG BAD'),
    $$VALUES ('Test step 1', 'OK', 'Testing job recovery')$$,
    'the recovery run''s step');

-- Escalation: escalate = 3, codes 4 and 5 added (committed above).  Each
-- run fails with a WARNING step and a failed sql_step, then fail_job(2).
CREATE FUNCTION pg_temp.v1_warning_runs(p_name text, p_runs int) RETURNS int LANGUAGE plpgsql AS $$
DECLARE
    v_job bigint;
BEGIN
    FOR i IN 1 .. p_runs LOOP
        v_job := jobmon.add_job(p_name);
        PERFORM jobmon.update_step(jobmon.add_step(v_job, 'Test step 1'), 'OK', 'Successful Step 1');
        PERFORM jobmon.update_step(jobmon.add_step(v_job, 'Test step 2'), 'WARNING', 'Failed Step 2');
        PERFORM jobmon.sql_step(v_job, 'Test step 3', 'DELETE FROM v1_rows WHERE col3 = 0');
        PERFORM jobmon.fail_job(v_job, 2);
    END LOOP;
    RETURN (SELECT max(l.alert_code) FROM jobmon.job_check_log l WHERE l.job_name = upper(p_name));
END
$$;
SELECT is(pg_temp.v1_warning_runs(:'esc', 3), 3, 'the third warning in a row escalates the job to code 3');
SELECT is(pg_temp.v1_warning_runs(:'esc', 3), 4, 'three more escalate it to code 4');
SELECT is(pg_temp.v1_warning_runs(:'esc', 4), 5, 'four more escalate it to code 5');

SELECT * FROM finish();
ROLLBACK;

DELETE FROM jobmon.job_check_log WHERE job_name = upper(:'esc');
DELETE FROM jobmon.job_check_config WHERE job_name = :'esc';
DELETE FROM jobmon.job_status_text WHERE alert_text = 'V1 TEST ALERT LEVEL';
