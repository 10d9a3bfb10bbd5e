-- The public surface of the logging and monitoring API: pg_jobmon 1.5's
-- tables, columns, types and function signatures, and no overloads where
-- callers rely on untyped literals.
\ir ../setup.sql
BEGIN;
SELECT plan(27);

SELECT is((SELECT extrelocatable FROM pg_extension WHERE extname = 'pg_jobmon'), false,
          'the extension is not relocatable');
SELECT is((SELECT extversion FROM pg_extension WHERE extname = 'pg_jobmon'), '2.6.0',
          'default version 2.6.0 is installed');
SELECT ok((SELECT 'dblink' = ANY (requires) FROM pg_available_extension_versions
           WHERE name = 'pg_jobmon' AND version = '2.6.0'), 'the extension requires dblink');

SELECT columns_are('jobmon', 'job_log',
    ARRAY['job_id', 'owner', 'job_name', 'start_time', 'end_time', 'status', 'pid'],
    'job_log has pg_jobmon 1.5''s columns');
SELECT results_eq(
    $$SELECT attname::text COLLATE "default", format_type(atttypid, atttypmod) FROM pg_attribute
      WHERE attrelid = 'jobmon.job_log'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum$$,
    $$VALUES ('job_id', 'bigint'), ('owner', 'text'), ('job_name', 'text'),
             ('start_time', 'timestamp with time zone'), ('end_time', 'timestamp with time zone'),
             ('status', 'text'), ('pid', 'integer')$$,
    'job_log columns have 1.5''s types, in order');
SELECT results_eq(
    $$SELECT attname::text COLLATE "default", format_type(atttypid, atttypmod) FROM pg_attribute
      WHERE attrelid = 'jobmon.job_detail'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum$$,
    $$VALUES ('job_id', 'bigint'), ('step_id', 'bigint'), ('action', 'text'),
             ('start_time', 'timestamp with time zone'), ('end_time', 'timestamp with time zone'),
             ('elapsed_time', 'real'), ('status', 'text'), ('message', 'text')$$,
    'job_detail columns have 1.5''s types, in order');
SELECT results_eq(
    $$SELECT attname::text COLLATE "default", format_type(atttypid, atttypmod) FROM pg_attribute
      WHERE attrelid = 'jobmon.job_check_config'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum$$,
    $$VALUES ('job_name', 'text'), ('warn_threshold', 'interval'), ('error_threshold', 'interval'),
             ('active', 'boolean'), ('sensitivity', 'smallint'), ('escalate', 'integer')$$,
    'job_check_config has 1.5''s columns');
SELECT columns_are('jobmon', 'job_check_log', ARRAY['job_id', 'job_name', 'alert_code'],
                   'job_check_log has 1.5''s columns');
SELECT results_eq('SELECT alert_code, alert_text FROM jobmon.job_status_text ORDER BY 1',
                  $$VALUES (1, 'OK'), (2, 'WARNING'), (3, 'CRITICAL')$$,
                  'job_status_text is seeded with 1 OK, 2 WARNING, 3 CRITICAL');
SELECT is((SELECT format_type(seqtypid, NULL) FROM pg_sequence
           WHERE seqrelid = 'jobmon.job_log_job_id_seq'::regclass), 'bigint',
          'job ids come from a bigint sequence');

SELECT has_function('jobmon', 'add_job', ARRAY['text'], 'add_job(text)');
SELECT function_returns('jobmon', 'add_job', ARRAY['text'], 'bigint', 'add_job returns bigint');
SELECT function_returns('jobmon', 'add_step', ARRAY['bigint', 'text'], 'bigint', 'add_step(bigint, text) returns bigint');
SELECT function_returns('jobmon', 'update_step', ARRAY['bigint', 'text', 'text'], 'void', 'update_step(bigint, text, text) returns void');
SELECT function_returns('jobmon', 'close_job', ARRAY['bigint'], 'void', 'close_job(bigint) returns void');
SELECT function_returns('jobmon', 'fail_job', ARRAY['bigint', 'integer'], 'void', 'fail_job(bigint, integer) returns void');
SELECT function_returns('jobmon', 'cancel_job', ARRAY['bigint'], 'boolean', 'cancel_job(bigint) returns boolean');
SELECT function_returns('jobmon', 'sql_step', ARRAY['bigint', 'text', 'text'], 'boolean', 'sql_step returns boolean');
SELECT function_returns('jobmon', 'sql_job', ARRAY['text', 'text'], 'text', 'sql_job returns text');
SELECT function_returns('jobmon', 'job_log_clear', ARRAY['interval'], 'void', 'job_log_clear(interval) returns void');
SELECT is((SELECT pg_get_function_arguments('jobmon.fail_job(bigint, integer)'::regprocedure)),
          'p_job_id bigint, p_fail_level integer DEFAULT 3', 'fail_job has 1.5''s argument names and default');
SELECT is((SELECT pg_get_function_arguments('jobmon.show_job(text, integer)'::regprocedure)),
          'p_name text, integer DEFAULT 10', 'show_job has 1.5''s arguments');
SELECT results_eq(
    $$SELECT p.oid::regprocedure::text COLLATE "default" FROM pg_proc p
      WHERE p.pronamespace = 'jobmon'::regnamespace AND p.proname LIKE 'show%' ORDER BY 1$$,
    $$VALUES ('jobmon.show_detail(bigint)'), ('jobmon.show_detail(text,integer)'),
             ('jobmon.show_events(bigint)'), ('jobmon.show_job(text,integer)'),
             ('jobmon.show_job_like(text,integer)'), ('jobmon.show_job_status(text,integer)'),
             ('jobmon.show_job_status(text,text,integer)'), ('jobmon.show_running(integer)')$$,
    'the show functions have 1.5''s signatures');
SELECT results_eq(
    $$SELECT pg_get_function_result(p.oid) FROM pg_proc p
      WHERE p.oid = 'jobmon.check_job_status(interval)'::regprocedure
         OR p.oid = 'jobmon.check_job_status()'::regprocedure$$,
    $$VALUES ('SETOF record'), ('SETOF record')$$,
    'both check_job_status functions return SETOF record');
SELECT is((SELECT pg_get_function_arguments('jobmon.check_job_status(interval)'::regprocedure)),
          'p_history interval, OUT alert_code integer, OUT alert_status text, OUT job_name text, OUT alert_text text',
          'check_job_status returns (alert_code, alert_status, job_name, alert_text)');
SELECT is((SELECT count(*)::int FROM pg_proc WHERE pronamespace = 'jobmon'::regnamespace
           AND proname IN ('add_job', 'add_step', 'update_step', 'close_job', 'fail_job')), 5,
          'add_job, add_step, update_step, close_job and fail_job have no overloads');
SELECT is((SELECT count(*)::int FROM pg_proc WHERE pronamespace = 'jobmon'::regnamespace
           AND prosecdef AND NOT coalesce(proconfig::text LIKE '%search_path=jobmon, pg_temp%', false)), 0,
          'every SECURITY DEFINER function pins search_path');

SELECT * FROM finish();
ROLLBACK;
