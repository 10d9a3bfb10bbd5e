-- sql_step and sql_job run the caller's statement as the caller and under
-- the caller's search_path (pg_jobmon 1.x did), while pg_jobmon's own calls
-- keep resolving in the extension's schema: a schema put first on the
-- search_path, with functions and an operator named like the ones
-- sql_step and sql_job use, hijacks none of them, and the statement gains
-- none of the owner's rights.
\ir ../setup.sql
-- The plain role must be committed: the logging connection checks it.
DROP ROLE IF EXISTS jobmon_test_t72_plain;
CREATE ROLE jobmon_test_t72_plain;
GRANT USAGE ON SCHEMA jobmon TO jobmon_test_t72_plain;
GRANT SELECT ON jobmon.job_log, jobmon.job_detail TO jobmon_test_t72_plain;
BEGIN;
SELECT plan(12);

CREATE SCHEMA t72_app;
CREATE TABLE t72_app.orders (id int);
-- Whatever the attacker's objects run leaves a mark here.
CREATE TABLE public.t72_hijacked (what text);
GRANT INSERT ON public.t72_hijacked TO PUBLIC;

CREATE SCHEMA t72_evil;
CREATE FUNCTION t72_evil.mark(p_what text) RETURNS void LANGUAGE sql
AS $$ INSERT INTO public.t72_hijacked VALUES (p_what) $$;
CREATE FUNCTION t72_evil.add_step(bigint, text) RETURNS bigint LANGUAGE sql
AS $$ SELECT t72_evil.mark('add_step'); SELECT 0::bigint $$;
CREATE FUNCTION t72_evil.update_step(bigint, text, text) RETURNS void LANGUAGE sql
AS $$ SELECT t72_evil.mark('update_step') $$;
CREATE FUNCTION t72_evil.close_job(bigint) RETURNS void LANGUAGE sql
AS $$ SELECT t72_evil.mark('close_job') $$;
CREATE FUNCTION t72_evil.add_job(text) RETURNS bigint LANGUAGE sql
AS $$ SELECT t72_evil.mark('add_job'); SELECT 0::bigint $$;
CREATE FUNCTION t72_evil.upper(text) RETURNS text LANGUAGE sql
AS $$ SELECT t72_evil.mark('upper'); SELECT 'X'::text $$;
CREATE FUNCTION t72_evil.quote_literal(text) RETURNS text LANGUAGE sql
AS $$ SELECT t72_evil.mark('quote_literal'); SELECT 'X'::text $$;
CREATE FUNCTION t72_evil.current_setting(text) RETURNS text LANGUAGE sql
AS $$ SELECT t72_evil.mark('current_setting'); SELECT 'pg_catalog'::text $$;
CREATE FUNCTION t72_evil.concat_hijack(text, bigint) RETURNS text LANGUAGE sql
AS $$ SELECT t72_evil.mark('||'); SELECT 'X'::text $$;
CREATE OPERATOR t72_evil.|| (LEFTARG = text, RIGHTARG = bigint, FUNCTION = t72_evil.concat_hijack);
GRANT USAGE ON SCHEMA t72_evil TO PUBLIC;

-- The caller's search_path: the attacker's schema first, even before
-- pg_catalog, then the application's, then pg_jobmon's.  The calls run
-- under it; the assertions after it (pgTAP resolves through search_path).
SET LOCAL search_path = t72_evil, pg_catalog, t72_app, jobmon, public;
SELECT jobmon.add_job('t72 step') AS job \gset
SELECT jobmon.sql_step(:job, 'insert an order', 'INSERT INTO orders VALUES (1), (2)') AS step_ok \gset
SELECT jobmon.sql_job('t72 job', 'DELETE FROM orders WHERE id = 1') AS job_result \gset
SELECT pg_catalog.current_setting('search_path') AS path_after \gset
SELECT jobmon.sql_step(:job, 'missing table', 'INSERT INTO no_such_table VALUES (1)') AS fail_ok \gset
SELECT pg_catalog.current_setting('search_path') AS path_after_failure \gset
RESET search_path;

SELECT is(:'step_ok'::text, 't', 'sql_step runs an unqualified statement under the caller''s search_path');
SELECT is((SELECT count(*)::int FROM t72_app.orders), 1,
          'the rows went to the table the caller''s search_path names (2 inserted, 1 deleted by sql_job)');
SELECT results_eq(format($$SELECT d.status, d.message FROM jobmon.job_detail d
                          WHERE d.job_id = %s AND d.action = 'insert an order'$$, :job),
                  $$VALUES ('OK', 'Rows affected: 2')$$,
                  'the step is logged by pg_jobmon''s own functions and ||, not the shadowing ones');
SELECT is(:'job_result'::text, 'Job logged with job id: ' || (SELECT max(job_id) FROM jobmon.job_log WHERE job_name = 'T72 JOB'),
          'sql_job runs an unqualified statement under the caller''s search_path');
SELECT results_eq($$SELECT d.action, d.message FROM jobmon.job_detail d JOIN jobmon.job_log j USING (job_id)
                    WHERE j.job_id = (SELECT max(job_id) FROM jobmon.job_log WHERE job_name = 'T72 JOB')$$,
                  $$VALUES ('Running sql: ''DELETE FROM orders WHERE id = 1''', 'Rows affected: 1')$$,
                  'sql_job logs through pg_jobmon''s own upper, quote_literal and ||');
SELECT is(:'path_after'::text, 't72_evil, pg_catalog, t72_app, jobmon, public',
          'the caller''s search_path is given back as it was');
SELECT is(:'fail_ok'::text, 'f', 'a statement that fails under the caller''s search_path returns false');
SELECT is(:'path_after_failure'::text, 't72_evil, pg_catalog, t72_app, jobmon, public',
          'and the caller''s search_path is given back after a failure too');
SELECT is_empty('SELECT * FROM public.t72_hijacked', 'no object of the attacker''s schema ran');

-- The statement runs as the caller, never as the extension's owner.
SET LOCAL ROLE jobmon_test_t72_plain;
SELECT jobmon.add_job('t72 plain') AS plain_job \gset
SELECT is(jobmon.sql_step(:plain_job, 'change a setting', $$INSERT INTO jobmon.jobmon_config VALUES ('log_port', '1')$$),
          false, 'a statement that needs the owner''s rights fails for a plain role');
SELECT is((SELECT message FROM jobmon.job_detail WHERE job_id = :plain_job),
          'ERROR: permission denied for table jobmon_config', 'with the permission error of the caller');
SELECT is(jobmon.sql_step(:plain_job, 'who', 'SELECT 1 WHERE current_user = ''jobmon_test_t72_plain'''), true,
          'the statement sees the caller as current_user');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
DROP OWNED BY jobmon_test_t72_plain;
DROP ROLE jobmon_test_t72_plain;
