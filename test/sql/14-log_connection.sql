-- The logging connection is private: dblink neither lists nor uses it, no
-- role can call the log's writers to forge a row's owner or pid, a job is
-- owned by the effective role of the calling context, and a session holds
-- its log writer only while it has a job open (and a moment after).
\ir ../setup.sql
SELECT jobmon._log_disconnect() \g /dev/null
BEGIN;
SELECT plan(21);

CREATE ROLE t14_usage;          -- nothing but USAGE on the schema
CREATE ROLE t14_definer;        -- owns a SECURITY DEFINER function that logs
GRANT USAGE ON SCHEMA jobmon TO t14_usage, t14_definer;
SELECT pg_get_userbyid(extowner) AS ext_owner FROM pg_extension WHERE extname = 'pg_jobmon' \gset

-- Waits, with a timeout, for a backend to be gone; true when it is.
CREATE FUNCTION pg_temp.t14_gone(p_pid integer, p_seconds float8) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    v_until timestamptz := clock_timestamp() + make_interval(secs => p_seconds);
BEGIN
    LOOP
        PERFORM pg_stat_clear_snapshot();
        IF NOT EXISTS (SELECT FROM pg_stat_activity a WHERE a.pid = p_pid) THEN
            RETURN true;
        ELSIF clock_timestamp() > v_until THEN
            RETURN false;
        END IF;
        PERFORM pg_sleep(0.02);
    END LOOP;
END $$;

-- The log writers of other sessions, once the count settles (timeout).
CREATE FUNCTION pg_temp.t14_other_writers(p_expected integer, p_seconds float8) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    v_until timestamptz := clock_timestamp() + make_interval(secs => p_seconds);
    v_count integer;
BEGIN
    LOOP
        PERFORM pg_stat_clear_snapshot();
        SELECT count(*) INTO v_count FROM pg_stat_activity a
        WHERE a.application_name = 'pg_jobmon log writer'
          AND a.pid IS DISTINCT FROM (SELECT i.pid FROM jobmon._log_connection_info() i);
        IF v_count = p_expected OR clock_timestamp() > v_until THEN
            RETURN v_count;
        END IF;
        PERFORM pg_sleep(0.02);
    END LOOP;
END $$;

-- (a) Not a dblink connection, and nothing opens one for the caller.
SELECT jobmon.add_job('t14 private') AS job \gset
SELECT is(public.dblink_get_connections(), NULL, 'after logging, dblink lists no connection');
SELECT throws_ok($$SELECT public.dblink_exec('pg_jobmon_log', 'ALTER ROLE t14_usage SUPERUSER')$$, '08001', NULL,
                 'dblink_exec() finds no connection named pg_jobmon_log');
SET ROLE t14_usage;
SELECT throws_ok($$SELECT public.dblink_exec('pg_jobmon_log', 'ALTER ROLE t14_usage SUPERUSER')$$, NULL, NULL,
                 'nor does it for another role in the same session');
RESET ROLE;
SELECT is_empty($$SELECT p.proname FROM pg_proc p WHERE p.pronamespace = 'jobmon'::regnamespace
                  AND p.proname IN ('_log_connect', '_log_write', '_log_write_reconnecting', '_conninfo_quote')$$,
                'no function opens a logging connection or runs SQL on it');

-- (b) The writers are the owner's: nobody forges a row's owner or pid.
SET ROLE t14_usage;
SELECT throws_ok($$SELECT jobmon._log_job_open('forged', 'postgres', 1)$$, '42501', NULL,
                 'a role cannot call _log_job_open() to forge owner and pid');
SELECT throws_ok(format('SELECT jobmon._log_job_close(%s, 1)', :job), '42501', NULL,
                 'nor _log_job_close()');
RESET ROLE;
SELECT is_empty($$SELECT p.oid::regprocedure FROM pg_proc p
                  WHERE p.pronamespace = 'jobmon'::regnamespace
                    AND p.proname IN ('_log_job_open', '_log_step_open', '_log_step_close', '_log_job_close',
                                      '_log_event', '_log_step_failed')
                    AND (has_function_privilege('t14_usage', p.oid, 'EXECUTE')
                         OR has_function_privilege('public', p.oid, 'EXECUTE'))$$,
                'no writer is executable by PUBLIC or by a role that logs');
SELECT is_empty($$SELECT p.oid::regprocedure FROM pg_proc p
                  WHERE p.pronamespace = 'jobmon'::regnamespace
                    AND p.proname IN ('_log_set_caller', '_log_disconnect', '_log_connection_info')
                    AND (has_function_privilege('t14_usage', p.oid, 'EXECUTE')
                         OR has_function_privilege('public', p.oid, 'EXECUTE'))$$,
                'nor is what names the caller to the log writer, or closes or inspects the connection');

-- (c) A job is owned by the effective role of the calling context.
SELECT jobmon._log_disconnect() \g /dev/null
SET ROLE t14_usage;
SELECT jobmon.add_job('t14 set role') AS role_job \gset
RESET ROLE;
SELECT results_eq(format('SELECT owner, pid FROM jobmon.job_log WHERE job_id = %s', :role_job),
                  $$VALUES ('t14_usage'::text, pg_backend_pid())$$,
                  'under SET ROLE, with only USAGE on the schema, add_job records that role and this backend');
CREATE FUNCTION public.t14_definer_add_job() RETURNS bigint
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$ SELECT jobmon.add_job('t14 definer') $$;
ALTER FUNCTION public.t14_definer_add_job() OWNER TO t14_definer;
SELECT public.t14_definer_add_job() AS definer_job \gset
SELECT results_eq(format('SELECT owner, pid FROM jobmon.job_log WHERE job_id = %s', :definer_job),
                  $$VALUES ('t14_definer'::text, pg_backend_pid())$$,
                  'inside a SECURITY DEFINER function, a superuser''s add_job records the function''s owner');
SELECT jobmon.close_job(:role_job) \g /dev/null
SELECT jobmon.close_job(:definer_job) \g /dev/null

-- (e) One writer, reused; a killed one is replaced by the next write.
SELECT pid AS writer FROM jobmon._log_connection_info() \gset
SELECT results_eq(format($$SELECT application_name COLLATE "default", usename::text COLLATE "default",
                                  backend_type COLLATE "default" FROM pg_stat_activity
                           WHERE pid = %s$$, :writer),
                  format($$VALUES ('pg_jobmon log writer'::text, %L::text, 'client backend'::text)$$, :'ext_owner'),
                  'the log writer is a client backend of the extension''s owner, named pg_jobmon log writer');
SELECT jobmon.add_step(:job, 'reused 1') AS step \gset
SELECT jobmon.update_step(:step, 'OK', 'reused 2') \g /dev/null
SELECT jobmon.log_event(:step, 'NOTICE', NULL, 'reused 3') \g /dev/null
SELECT is((SELECT pid FROM jobmon._log_connection_info()), :writer, 'several writes of a job share one log writer');
SELECT ok(pg_terminate_backend(:writer, 10000), 'the log writer is terminated');
SELECT lives_ok(format($$SELECT jobmon.add_step(%s, 'after the kill')$$, :job), 'the next write succeeds');
SELECT isnt((SELECT pid FROM jobmon._log_connection_info()), :writer, 'on a new log writer');
SELECT is((SELECT count(*)::int FROM jobmon.job_detail WHERE job_id = :job AND action = 'after the kill'), 1,
          'and is logged once');

-- (d) A session keeps its writer while it has a job open, and only then.
SELECT public.dblink_connect('t14_held',
    format('dbname=%s port=%s host=%s', current_database(), current_setting('port'),
           split_part(current_setting('unix_socket_directories'), ',', 1))) \g /dev/null
SELECT public.dblink_connect('t14_done',
    format('dbname=%s port=%s host=%s', current_database(), current_setting('port'),
           split_part(current_setting('unix_socket_directories'), ',', 1))) \g /dev/null
SELECT t.id AS held_job FROM public.dblink('t14_held', $$SELECT jobmon.add_job('t14 held')$$) AS t(id bigint) \gset
SELECT t.pid AS held_writer FROM public.dblink('t14_held', 'SELECT pid FROM jobmon._log_connection_info()') AS t(pid int) \gset
SELECT public.dblink_exec('t14_done', 'BEGIN') \g /dev/null
SELECT * FROM public.dblink('t14_done', $$SELECT jobmon.close_job(jobmon.add_job('t14 done'))$$) AS t(x text) \g /dev/null
SELECT t.pid AS done_writer FROM public.dblink('t14_done', 'SELECT pid FROM jobmon._log_connection_info()') AS t(pid int) \gset
SELECT public.dblink_exec('t14_done', 'COMMIT') \g /dev/null
SELECT ok(pg_temp.t14_gone(:done_writer, 30),
          'a session that closed its job holds no log writer once its transaction has ended');
SELECT ok(EXISTS (SELECT FROM pg_stat_activity WHERE pid = :held_writer AND application_name = 'pg_jobmon log writer'),
          'a session with a job open keeps its log writer');
SELECT is(pg_temp.t14_other_writers(1, 30), 1, 'and exactly one: the other sessions hold none');
SELECT lives_ok($$SELECT * FROM public.dblink('t14_done', 'SELECT jobmon.close_job(jobmon.add_job(''t14 again''))') AS t(x text)$$,
                'a session whose writer was closed logs again');
SELECT * FROM public.dblink('t14_held', format('SELECT jobmon.close_job(%s)', :held_job)) AS t(x text) \g /dev/null
SELECT ok(pg_temp.t14_gone(:held_writer, 30), 'once its job is closed, the other session lets its writer go too');

SELECT public.dblink_disconnect('t14_held') \g /dev/null
SELECT public.dblink_disconnect('t14_done') \g /dev/null
SELECT * FROM finish();
ROLLBACK;
SELECT jobmon._log_disconnect() \g /dev/null
