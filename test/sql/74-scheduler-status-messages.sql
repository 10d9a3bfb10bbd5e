-- jobmon_status() and jobmon_start() say what is true in every set-up:
-- pg_cron not loaded, loaded for another database (the application
-- database cannot see pg_cron's jobs), or loaded for this one but not
-- created in it.  Which of the first two applies depends on the cluster
-- (Debian's PostgreSQL 15 here has pg_cron for the database postgres; the
-- PostgreSQL 18 built by tools/pg18.sh has none): each is tested where it
-- holds, the rest skipped.  The message's word on a running dispatcher is
-- tested from the state it is given.
\ir ../setup.sql

SELECT coalesce(current_setting('cron.database_name', true), '') AS cron_db,
       coalesce(current_setting('cron.database_name', true), '') <> '' AS has_cron \gset

-- jobmon_status()'s message for a dispatcher state of the given fields.
CREATE FUNCTION pg_temp.message(p_running boolean, p_state jsonb, p_pg_cron_job text DEFAULT NULL)
RETURNS text LANGUAGE sql AS $$
    SELECT jobmon._dispatch_status_message(p_running,
        jsonb_populate_record(NULL::jobmon.jobmon_dispatcher_state, p_state), p_pg_cron_job)
$$;

SELECT plan(10);

SELECT is(pg_temp.message(true, jsonb_build_object('dispatcher_pid', 1, 'last_wakeup', now())),
          'dispatching', 'a running dispatcher that woke just now is dispatching');
SELECT is(pg_temp.message(false, '{}', '* * * * * CALL jobmon.jobmon_dispatch()'),
          'pg_cron calls the dispatcher at the start of every minute; if it has not after a minute, check cron.job_run_details',
          'scheduled here and never woken: pg_cron is about to call it');

-- pg_cron not loaded.
SELECT skip('pg_cron is loaded in this cluster', 2) WHERE :'has_cron'::boolean;
\if :has_cron
\else
SELECT is(pg_temp.message(false, '{}'),
          'no dispatcher is running, and pg_cron is not loaded: add it to shared_preload_libraries, or CALL jobmon.jobmon_dispatch() every minute from another scheduler',
          'without pg_cron, status says to load it or call the dispatcher another way');
SELECT throws_ok('SELECT jobmon.jobmon_start()', '55000', 'pg_cron is not loaded',
                 'without pg_cron, jobmon_start() says pg_cron is not loaded');
\endif

-- pg_cron loaded for another database than this one.
SELECT skip('pg_cron is not loaded in this cluster', 6) WHERE NOT :'has_cron'::boolean;
\if :has_cron
SELECT is(pg_temp.message(false, '{}'),
          format('no dispatcher is running; pg_cron lives in database %s, whose jobs this database cannot see: there, check cron.job for %L (SELECT jobmon.jobmon_start() here says how to schedule it)',
                 :'cron_db', 'pg_jobmon dispatcher: ' || current_database()),
          'pg_cron in another database: status says where to look');
SELECT matches(pg_temp.message(false, jsonb_build_object('last_wakeup', now() - interval '30 seconds')),
               format('^between two calls of the dispatcher, which last woke at .*; pg_cron calls it from database %s, whose jobs this database cannot see$', :'cron_db'),
               'pg_cron in another database, and a dispatcher woke lately: status does not say none runs');
SELECT throws_ok('SELECT jobmon.jobmon_start()', '55000',
                 format('pg_cron lives in database "%s", not in "%s"', :'cron_db', current_database()),
                 'pg_cron in another database: jobmon_start() says where pg_cron lives');
CREATE FUNCTION pg_temp.start_hint() RETURNS text LANGUAGE plpgsql AS $$
DECLARE v_hint text;
BEGIN
    PERFORM jobmon.jobmon_start();
    RETURN NULL;
EXCEPTION WHEN object_not_in_prerequisite_state THEN
    GET STACKED DIAGNOSTICS v_hint = PG_EXCEPTION_HINT;
    RETURN v_hint;
END
$$;
SELECT is(pg_temp.start_hint(),
          format('In database %s, as a superuser, run: SELECT cron.schedule_in_database(%L, ''* * * * *'', ''CALL jobmon.jobmon_dispatch()'', %L); SELECT cron.schedule_in_database(%L, ''@reboot'', ''CALL jobmon.jobmon_dispatch()'', %L);',
                 :'cron_db', 'pg_jobmon dispatcher: ' || current_database(), current_database(),
                 'pg_jobmon dispatcher: ' || current_database() || ' at start', current_database()),
          'its HINT gives the two calls to make in pg_cron''s database, every minute and at start');

-- pg_cron loaded for a database where it is not created: that database,
-- with pg_jobmon in a schema of its own, through dblink (skipped where
-- pg_cron is created there: the test does not drop it).
SELECT dblink_connect('s74_cron', format('dbname=%s host=%s port=%s', :'cron_db',
    btrim(split_part(current_setting('unix_socket_directories'), ',', 1)), current_setting('port'))) \g /dev/null
SELECT t.had_cron FROM dblink('s74_cron', 'SELECT EXISTS (SELECT FROM pg_extension WHERE extname = ''pg_cron'')')
    AS t(had_cron boolean) \gset
SELECT NOT :'had_cron'::boolean AS cron_db_free \gset
SELECT skip('pg_cron is created in database ' || :'cron_db', 2) WHERE NOT :'cron_db_free';
\if :cron_db_free
SELECT dblink_exec('s74_cron', 'SET client_min_messages = warning;
    CREATE EXTENSION IF NOT EXISTS dblink SCHEMA public; CREATE SCHEMA jobmon_s74;
    CREATE EXTENSION pg_jobmon SCHEMA jobmon_s74') \g /dev/null
SELECT is((SELECT t.m FROM dblink('s74_cron', 'SELECT message FROM jobmon_s74.jobmon_status()') AS t(m text)),
          'no dispatcher is running, and pg_cron is not created in this database: CREATE EXTENSION pg_cron, then SELECT jobmon_s74.jobmon_start()',
          'pg_cron loaded for this database but not created: status says to create it');
SELECT throws_ok($$SELECT * FROM dblink('s74_cron', 'SELECT jobmon_s74.jobmon_start()') AS t(x bigint)$$,
                 format('pg_cron is not installed in database "%s"', :'cron_db'),
                 'and jobmon_start() says pg_cron is not installed there');
SELECT dblink_exec('s74_cron', 'SET client_min_messages = warning; DROP EXTENSION pg_jobmon; DROP SCHEMA jobmon_s74') \g /dev/null
\endif
SELECT dblink_disconnect('s74_cron') \g /dev/null
\endif
SELECT * FROM finish();
