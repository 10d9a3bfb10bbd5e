-- What a logging call does when the log cannot be written: an error by
-- default, a warning and NULL with on_log_failure = warning; and a log write
-- that would wait on a lock the caller holds fails after log_lock_timeout.
\ir ../setup.sql
SELECT jobmon._log_disconnect() \g /dev/null
BEGIN;
SELECT plan(10);

-- Point the logging connection at a port where nothing listens.
SELECT jobmon.jobmon_config_set('log_port', '1') \g /dev/null
SELECT throws_ok($$SELECT jobmon.add_job('failure test')$$, '08001', 'could not write to the pg_jobmon job log',
                 'by default a logging call that cannot connect raises an error');
CREATE FUNCTION pg_temp.error_of(p_sql text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE v_detail text; v_hint text;
BEGIN
    EXECUTE p_sql;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS v_detail = PG_EXCEPTION_DETAIL, v_hint = PG_EXCEPTION_HINT;
    RETURN v_detail || ' | ' || v_hint;
END $$;
SELECT alike(pg_temp.error_of($$SELECT jobmon.add_job('failure test')$$),
            '%as role "' || (SELECT pg_get_userbyid(extowner) FROM pg_extension WHERE extname = 'pg_jobmon')
            || '"%port 1 failed%| Let the role log in without a password%',
            'the error says where it tried to connect and what to do');

SELECT jobmon.jobmon_config_set('on_log_failure', 'warning') \g /dev/null
SET LOCAL client_min_messages = error;  -- the expected warning
SELECT is(jobmon.add_job('failure test'), NULL, 'with on_log_failure = warning add_job returns NULL');
SELECT is(jobmon.add_step(NULL, 'x'), NULL, 'add_step on that NULL job does nothing');
SELECT lives_ok($$SELECT jobmon.update_step(NULL, 'OK', 'x')$$, 'update_step on a NULL step does nothing');
SELECT lives_ok($$SELECT jobmon.close_job(NULL)$$, 'close_job on a NULL job does nothing');
SELECT jobmon.jobmon_config_reset('on_log_failure') \g /dev/null
SET LOCAL client_min_messages = warning;
SELECT jobmon.jobmon_config_reset('log_port') \g /dev/null

SELECT lives_ok($$SELECT jobmon.close_job(jobmon.add_job('failure test recovered'))$$,
                'logging works again once the settings are fixed');

-- The caller locks a log row and then logs to it: the log write gives up
-- after log_lock_timeout instead of waiting for the caller forever.
SELECT jobmon.jobmon_config_set('log_lock_timeout', '200ms') \g /dev/null
SELECT jobmon.add_job('failure test locked') AS job \gset
UPDATE jobmon.job_log SET owner = owner WHERE job_id = :job;
SELECT throws_ok(format('SELECT jobmon.close_job(%s)', :job), '55P03', NULL,
                 'a log write blocked by the caller''s own lock fails with lock_not_available');
SELECT jobmon.jobmon_config_reset('log_lock_timeout') \g /dev/null
SELECT throws_ok($$SELECT jobmon.jobmon_config_set('log_lock_timeout', 'soon')$$, '22023', NULL,
                 'log_lock_timeout takes a duration');
SELECT is((SELECT value FROM jobmon.jobmon_config_show() WHERE name = 'log_lock_timeout'), '10s',
          'log_lock_timeout defaults to 10s');

SELECT * FROM finish();
ROLLBACK;
SELECT jobmon._log_disconnect() \g /dev/null
