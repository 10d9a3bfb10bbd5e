-- The logging connection is private (DESIGN.md 3): once a superuser's
-- session has logged, code of another role in that session cannot reach
-- the connection through dblink's named-connection functions, cannot call
-- the internal writers (which write the owner, job and step they are
-- given), and cannot have a connection opened for it.  Tried after SET ROLE
-- by a role that logs, and from an index expression that the superuser's
-- ANALYZE evaluates, by a role with no grant on the extension at all.
--
-- Roles (both log in):
--  - jobmon_test_sec_lc_intruder: the grants of a role that logs
--    (doc/pg_jobmon.md: USAGE on schema jobmon, SELECT on its tables), so
--    that what stops it is the function's or connection's own protection;
--  - jobmon_test_sec_lc_outsider: no grant on schema jobmon or anything of
--    the extension; dblink's functions in public are PUBLIC's, as dblink
--    installs them.  It owns schema sec20_lc and sets its trap through a
--    connection of its own.
-- After each attack the superuser takes SUPERUSER away again, so that each
-- assertion says whether its own attack got through.
\ir ../setup.sql
\ir ../security.sql

-- Left over by an interrupted earlier run of this file.
DROP SCHEMA IF EXISTS sec20_lc CASCADE;
SELECT pg_temp.drop_test_roles(ARRAY['jobmon_test_sec_lc_intruder', 'jobmon_test_sec_lc_outsider']) \g /dev/null
DELETE FROM jobmon.job_log WHERE job_name LIKE 'SEC20\_LC\_%';

CREATE ROLE jobmon_test_sec_lc_intruder LOGIN;
CREATE ROLE jobmon_test_sec_lc_outsider LOGIN;
GRANT USAGE ON SCHEMA jobmon TO jobmon_test_sec_lc_intruder;
GRANT SELECT ON ALL TABLES IN SCHEMA jobmon TO jobmon_test_sec_lc_intruder;
CREATE SCHEMA sec20_lc AUTHORIZATION jobmon_test_sec_lc_outsider;

-- Whether p_role is a superuser; then it is not any more.
CREATE FUNCTION pg_temp.was_superuser(p_role name) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
    v_super boolean := (SELECT r.rolsuper FROM pg_roles r WHERE r.rolname = p_role);
BEGIN
    EXECUTE format('ALTER ROLE %I NOSUPERUSER', p_role);
    RETURN v_super;
END
$$;

-- The outsider's trap, set as itself: when someone else's session
-- evaluates its index expression, it lists dblink's named connections and
-- tries to make itself superuser through pg_jobmon's, recording both.
SELECT dblink_connect('sec20_lc_outsider', format('dbname=%s host=%s port=%s user=%s', current_database(),
    btrim(split_part(current_setting('unix_socket_directories'), ',', 1)), current_setting('port'),
    'jobmon_test_sec_lc_outsider')) \g /dev/null
SELECT dblink_exec('sec20_lc_outsider', $trap$
CREATE TABLE sec20_lc.seen (connections text[], exec_state text);
CREATE FUNCTION sec20_lc.attempt() RETURNS void
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_state text := 'ok';
BEGIN
    BEGIN
        PERFORM public.dblink_exec('pg_jobmon_log', 'ALTER ROLE jobmon_test_sec_lc_outsider SUPERUSER');
    EXCEPTION WHEN OTHERS THEN
        v_state := SQLSTATE;
    END;
    INSERT INTO sec20_lc.seen VALUES (public.dblink_get_connections(), v_state);
END
$$;
CREATE FUNCTION sec20_lc.f(p_x integer) RETURNS integer
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF session_user <> current_user THEN
        PERFORM sec20_lc.attempt();
    END IF;
    RETURN p_x;
END
$$;
CREATE TABLE sec20_lc.t (x integer);
INSERT INTO sec20_lc.t VALUES (1);
CREATE INDEX t_f ON sec20_lc.t (sec20_lc.f(x));
$trap$) \g /dev/null
SELECT dblink_disconnect('sec20_lc_outsider') \g /dev/null

SELECT plan(24);

-------------------------------------------------------------------------------
-- The superuser's session logs a job: its logging connection is open now.
SELECT jobmon.add_job('sec20_lc_superuser') AS su_job \gset
SELECT jobmon.add_step(:su_job, 'sec20 step') AS su_step \gset
SELECT jobmon.update_step(:su_step, 'OK', 'done') \g /dev/null
SELECT jobmon.close_job(:su_job) \g /dev/null
SELECT is((SELECT status FROM jobmon.job_log WHERE job_id = :su_job), 'OK', 'the superuser''s session logged a job');
SELECT pg_temp.log_of(:su_job) AS su_log \gset

-------------------------------------------------------------------------------
-- dblink's named-connection functions, after SET ROLE.
SET ROLE jobmon_test_sec_lc_intruder;
-- (This session opened no dblink connection of its own: any is pg_jobmon's.)
SELECT is(public.dblink_get_connections(), NULL,
          'dblink_get_connections() lists no connection: pg_jobmon''s is not among them');
SELECT isnt(pg_temp.sqlstate_of($$SELECT public.dblink_exec('pg_jobmon_log', 'ALTER ROLE jobmon_test_sec_lc_intruder SUPERUSER')$$),
            'ok', 'dblink_exec(''pg_jobmon_log'', ''ALTER ROLE ... SUPERUSER'') fails');
RESET ROLE;
SELECT ok(NOT pg_temp.was_superuser('jobmon_test_sec_lc_intruder'), 'and the intruder is no superuser');
SET ROLE jobmon_test_sec_lc_intruder;
SELECT isnt(pg_temp.sqlstate_of($$SELECT * FROM public.dblink('pg_jobmon_log', 'SELECT current_user') AS t(u name)$$),
            'ok', 'dblink(''pg_jobmon_log'', ...) fails too');
RESET ROLE;

-------------------------------------------------------------------------------
-- The internal writers, which write the owner, job and step they are given:
-- the extension's owner's only.
SET ROLE jobmon_test_sec_lc_intruder;
SELECT throws_ok($$SELECT jobmon._log_job_open('sec20_lc_forged', 'postgres', pg_backend_pid())$$, '42501', NULL,
                 'the intruder cannot call _log_job_open(text, text, integer)');
SELECT throws_ok(format('SELECT jobmon._log_step_open(%s, %L)', :su_job, 'forged step'), '42501', NULL,
                 'nor _log_step_open(bigint, text)');
SELECT throws_ok(format('SELECT jobmon._log_step_close(%s, %L, %L)', :su_step, 'CRITICAL', 'forged'), '42501', NULL,
                 'nor _log_step_close(bigint, text, text)');
SELECT throws_ok(format('SELECT jobmon._log_job_close(%s, 3)', :su_job), '42501', NULL,
                 'nor _log_job_close(bigint, integer)');
SELECT throws_ok(format('SELECT jobmon._log_event(%s, %L, %L, %L, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)',
                        :su_step, 'ERROR', 'XX000', 'forged'), '42501', NULL,
                 'nor _log_event(bigint, text, ...)');
SELECT throws_ok(format('SELECT jobmon._log_step_failed(%s, %L, %L, %L, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)',
                        :su_step, 'ERROR', 'XX000', 'forged'), '42501', NULL,
                 'nor _log_step_failed(bigint, text, ...)');
RESET ROLE;
SELECT is(pg_temp.log_of(:su_job), :'su_log', 'the superuser''s logged job, steps and events are unchanged');
SELECT is((SELECT count(*)::int FROM jobmon.job_log WHERE job_name = 'SEC20_LC_FORGED'), 0,
          'and no job was logged in the superuser''s name');

-------------------------------------------------------------------------------
-- Nothing opens a logging connection for the intruder, or writes through one.
SELECT is(ARRAY(SELECT p.oid::regprocedure::text FROM pg_proc p
                WHERE p.pronamespace = 'jobmon'::regnamespace
                  AND p.proname IN ('_log_connect', '_log_write', '_log_write_reconnecting')
                  AND has_function_privilege('jobmon_test_sec_lc_intruder', p.oid, 'EXECUTE')
                ORDER BY 1),
          '{}'::text[],
          'the intruder can execute no function that opens the logging connection or writes SQL through it');
SET ROLE jobmon_test_sec_lc_intruder;
SELECT isnt(pg_temp.sqlstate_of($$SELECT jobmon._log_write('ALTER ROLE jobmon_test_sec_lc_intruder SUPERUSER')$$),
            'ok', '_log_write(''ALTER ROLE ... SUPERUSER'') fails for the intruder');
RESET ROLE;
SELECT ok(NOT pg_temp.was_superuser('jobmon_test_sec_lc_intruder'), 'and the intruder is no superuser');
SET ROLE jobmon_test_sec_lc_intruder;
SELECT pg_temp.sqlstate_of('SELECT jobmon._log_connect()') \g /dev/null
SELECT isnt(pg_temp.sqlstate_of($$SELECT public.dblink_exec('pg_jobmon_log', 'ALTER ROLE jobmon_test_sec_lc_intruder SUPERUSER')$$),
            'ok', 'after trying _log_connect(), dblink_exec(''pg_jobmon_log'', ...) fails for the intruder');
SELECT is(public.dblink_get_connections(), NULL, 'and dblink_get_connections() still lists none');
RESET ROLE;
SELECT ok(NOT pg_temp.was_superuser('jobmon_test_sec_lc_intruder'), 'the intruder is no superuser');

-------------------------------------------------------------------------------
-- From an index expression evaluated by the superuser's ANALYZE, by a role
-- with no grant on the extension.
SELECT ok(NOT has_schema_privilege('jobmon_test_sec_lc_outsider', 'jobmon', 'USAGE'),
          'the outsider has no USAGE on schema jobmon');
SELECT jobmon.close_job(jobmon.add_job('sec20_lc_superuser_again')) \g /dev/null
ANALYZE sec20_lc.t;
SELECT results_eq('SELECT DISTINCT coalesce(connections, ''{}'') FROM sec20_lc.seen', $$VALUES ('{}'::text[])$$,
                  'the trap sprang in the superuser''s ANALYZE, and dblink_get_connections() listed no connection there');
SELECT results_eq('SELECT DISTINCT exec_state <> ''ok'' FROM sec20_lc.seen', $$VALUES (true)$$,
                  'dblink_exec(''pg_jobmon_log'', ''ALTER ROLE ... SUPERUSER'') failed there');
SELECT ok(NOT pg_temp.was_superuser('jobmon_test_sec_lc_outsider'), 'and the outsider is no superuser');
SELECT is((SELECT status FROM jobmon.job_log WHERE job_name = 'SEC20_LC_SUPERUSER_AGAIN'), 'OK',
          'the superuser''s own logging still works');

SELECT * FROM finish();
ALTER ROLE jobmon_test_sec_lc_intruder NOSUPERUSER;
ALTER ROLE jobmon_test_sec_lc_outsider NOSUPERUSER;
DROP SCHEMA sec20_lc CASCADE;
DELETE FROM jobmon.job_log WHERE job_name LIKE 'SEC20\_LC\_%';
DROP OWNED BY jobmon_test_sec_lc_intruder;
DROP OWNED BY jobmon_test_sec_lc_outsider;
DROP ROLE jobmon_test_sec_lc_intruder;
DROP ROLE jobmon_test_sec_lc_outsider;
