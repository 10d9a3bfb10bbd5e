-- sql_step and sql_job: run a statement as a logged step or a whole job,
-- recording rows affected or the error.
\ir ../setup.sql
DROP TABLE IF EXISTS public.sql_step_target;
CREATE TABLE public.sql_step_target (id int PRIMARY KEY, v text NOT NULL);
BEGIN;
SELECT plan(18);

SELECT jobmon.add_job('sql step test') AS job \gset
SELECT is(jobmon.sql_step(:job, 'insert three rows', 'INSERT INTO public.sql_step_target SELECT g, ''x'' FROM generate_series(1, 3) g'),
          true, 'sql_step returns true when the statement succeeds');
SELECT results_eq(format('SELECT action, status, message FROM jobmon.job_detail WHERE job_id = %s', :job),
                  $$VALUES ('insert three rows', 'OK', 'Rows affected: 3')$$,
                  'the step records the rows affected');
SELECT is((SELECT count(*)::int FROM public.sql_step_target), 3, 'the statement''s effect stays in the caller''s transaction');
SELECT results_eq(format('SELECT status, end_time IS NOT NULL FROM jobmon.job_log WHERE job_id = %s', :job),
                  $$VALUES ('OK', true)$$, 'a successful sql_step closes the job, as pg_jobmon 1.x did');
SELECT is(jobmon.sql_step(:job, 'duplicate key', 'INSERT INTO public.sql_step_target VALUES (1, ''y'')'),
          false, 'sql_step returns false when the statement fails');
SELECT results_eq(format('SELECT status, message FROM jobmon.job_detail WHERE job_id = %s AND action = ''duplicate key''', :job),
                  $$VALUES ('CRITICAL', 'ERROR: duplicate key value violates unique constraint "sql_step_target_pkey"')$$,
                  'the failed step is CRITICAL with the error message');
SELECT results_eq(format($$SELECT severity, sqlstate, schema_name, table_name, constraint_name, detail
                          FROM jobmon.jobmon_event e JOIN jobmon.job_detail d USING (step_id)
                          WHERE d.job_id = %s AND d.action = 'duplicate key'$$, :job),
                  $$VALUES ('ERROR', '23505', 'public', 'sql_step_target', 'sql_step_target_pkey', 'Key (id)=(1) already exists.')$$,
                  'the failure is recorded as a structured event with its fields');
SELECT is((SELECT count(*)::int FROM public.sql_step_target), 3, 'the caller''s earlier work survives a failed step');
SELECT throws_ok($$SELECT jobmon.sql_step(NULL, 'x', 'SELECT 1')$$, '22004', NULL, 'sql_step with a NULL job id is an error');
SELECT throws_ok(format('SELECT jobmon.sql_step(%s, ''x'', NULL)', :job), '22004',
                 'argument p_sql of sql_step() must not be NULL', 'sql_step with NULL SQL is an error');

SELECT jobmon.sql_job('sql job test', 'UPDATE public.sql_step_target SET v = ''z'' WHERE id <= 2') AS result \gset
SELECT ok(:'result' LIKE 'Job logged with job id: %', 'sql_job reports the job id');
SELECT results_eq($$SELECT j.status, d.action, d.status, d.message FROM jobmon.job_log j JOIN jobmon.job_detail d USING (job_id)
                    WHERE j.job_name = 'SQL JOB TEST' ORDER BY j.job_id DESC LIMIT 1$$,
                  $$VALUES ('OK', 'Running sql: ''UPDATE public.sql_step_target SET v = ''''z'''' WHERE id <= 2''', 'OK', 'Rows affected: 2')$$,
                  'sql_job logs one step with the statement and closes the job OK');

SELECT jobmon.sql_job('sql job failing', 'SELECT 1/0') AS result \gset
SELECT ok(:'result' ~ '^Job ID \d+ failed. See job_detail table for more details$', 'sql_job reports a failure');
SELECT results_eq($$SELECT j.status, d.status, d.message, e.sqlstate FROM jobmon.job_log j JOIN jobmon.job_detail d USING (job_id)
                    JOIN jobmon.jobmon_event e USING (step_id)
                    WHERE j.job_name = 'SQL JOB FAILING' ORDER BY j.job_id DESC LIMIT 1$$,
                  $$VALUES ('CRITICAL', 'CRITICAL', 'ERROR: division by zero', '22012')$$,
                  'a failed sql_job is CRITICAL, with the error on its step and as an event');

-- Another session holds the job's advisory lock: sql_job does not run.
SELECT public.dblink_connect('sql_job_holder',
    format('dbname=%s port=%s host=%s', current_database(), current_setting('port'),
           split_part(current_setting('unix_socket_directories'), ',', 1))) \g /dev/null
SELECT * FROM public.dblink('sql_job_holder',
    $$SELECT pg_advisory_lock(hashtext('pg_jobmon.sql_job'), hashtext('SQL JOB BUSY'))$$) AS t(x text) \g /dev/null
SELECT jobmon.sql_job('sql job busy', 'DELETE FROM public.sql_step_target') AS result \gset
SELECT is(:'result'::text, 'Concurrent job found. Obtaining advisory lock FAILED for job: SQL JOB BUSY',
          'sql_job does not run while another run of the job holds its lock');
SELECT is((SELECT count(*)::int FROM public.sql_step_target), 3, 'the statement did not run');
SELECT results_eq($$SELECT j.status, d.action, d.message FROM jobmon.job_log j JOIN jobmon.job_detail d USING (job_id)
                    WHERE j.job_name = 'SQL JOB BUSY' ORDER BY j.job_id DESC LIMIT 1$$,
                  $$VALUES ('OK', 'Obtaining advisory lock for job: SQL JOB BUSY', 'Found concurrent job. Exiting gracefully')$$,
                  'the skipped run is logged and closed');
-- Release the lock before disconnecting: a closed connection's backend
-- releases its locks only when it has exited, a moment later.
SELECT * FROM public.dblink('sql_job_holder',
    $$SELECT pg_advisory_unlock(hashtext('pg_jobmon.sql_job'), hashtext('SQL JOB BUSY'))$$) AS t(x text) \g /dev/null
SELECT public.dblink_disconnect('sql_job_holder') \g /dev/null
SELECT ok(jobmon.sql_job('sql job busy', 'SELECT 1') LIKE 'Job logged with job id: %',
          'once the lock is released the job runs');

SELECT * FROM finish();
ROLLBACK;
DROP TABLE public.sql_step_target;
