-- Version skew: between a package upgrade (the new library installed) and
-- ALTER EXTENSION pg_jobmon UPDATE, a database has the objects of the
-- previous version beside the current library.  The library must not read
-- those objects as its own (a crash once took the whole server down): the
-- dispatcher goes on, starts no run, and the runs wait for the update;
-- jobmon_status() says what to do.  The test makes a database of its own
-- with the previous version, through dblink, and drops it again.
\ir ../setup.sql
\ir ../scheduler.sql

SELECT format('host=%s port=%s', btrim(split_part(current_setting('unix_socket_directories'), ',', 1)),
              current_setting('port')) AS conn,
       pg_postmaster_start_time() AS server_started \gset
SELECT dblink_connect('s73_admin', :'conn' || ' dbname=postgres') \g /dev/null
SELECT dblink_exec('s73_admin', 'DROP DATABASE IF EXISTS jobmon_skew_73') \g /dev/null
SELECT dblink_exec('s73_admin', 'CREATE DATABASE jobmon_skew_73') \g /dev/null
SELECT dblink_connect('s73', :'conn' || ' dbname=jobmon_skew_73') \g /dev/null
SELECT dblink_connect('s73_watch', :'conn' || ' dbname=jobmon_skew_73') \g /dev/null
-- The previous version: the newest update script's starting point.
SELECT max(version COLLATE "C") AS previous FROM pg_available_extension_versions
WHERE name = 'pg_jobmon' AND version <> (SELECT default_version FROM pg_available_extensions WHERE name = 'pg_jobmon') \gset
SELECT dblink_exec('s73', format('SET client_min_messages = warning; CREATE EXTENSION dblink;
    CREATE SCHEMA jobmon; CREATE EXTENSION pg_jobmon VERSION %L SCHEMA jobmon;
    CREATE TABLE public.skew_done (run integer)', :'previous')) \g /dev/null

CREATE FUNCTION pg_temp.skew(p_query text) RETURNS text LANGUAGE sql AS $$
    SELECT t.x FROM dblink('s73_watch', p_query) AS t(x text)
$$;

SELECT plan(8);

SELECT isnt(pg_temp.skew('SELECT extversion FROM pg_extension WHERE extname = ''pg_jobmon'''),
            (SELECT default_version FROM pg_available_extensions WHERE name = 'pg_jobmon'),
            'the database has the objects of the previous version');

SELECT pg_temp.skew('SELECT jobmon.submit_job(''INSERT INTO public.skew_done VALUES (1)'')::text') \g /dev/null
SELECT lives_ok($$SELECT dblink_exec('s73', 'CALL jobmon.jobmon_dispatch(''2 seconds'')')$$,
                'the dispatcher of the previous version runs its passes beside the current library');
SELECT is(pg_temp.skew('SELECT string_agg(status, '','') FROM jobmon.jobmon_run'), 'waiting',
          'the due run waits: no worker reads the previous version''s objects');
SELECT is(pg_temp.skew('SELECT (jobmon._worker_launch(run_id, 10, now()) IS NULL)::text FROM jobmon.jobmon_run'), 'true',
          'the library starts no worker for objects of another version');
SELECT is(pg_postmaster_start_time(), :'server_started'::timestamptz, 'the server did not restart');

-- After the update the run that waited runs.
SELECT dblink_exec('s73', 'ALTER EXTENSION pg_jobmon UPDATE') \g /dev/null
SELECT dblink_send_query('s73', 'CALL jobmon.jobmon_dispatch(''1 minute'')') \g /dev/null
SELECT ok(pg_temp.wait_until($$SELECT pg_temp.skew('SELECT string_agg(status, '','') FROM jobmon.jobmon_run') = 'success'$$),
          'after ALTER EXTENSION pg_jobmon UPDATE the run that waited succeeds');
SELECT pg_temp.skew('SELECT jobmon.jobmon_stop()::text') \g /dev/null
SELECT count(*) FROM dblink_get_result('s73', false) AS t(x text) \g /dev/null

SELECT is(pg_temp.skew('SELECT count(*)::text FROM public.skew_done'), '1', 'the job ran once');

-- jobmon_status() reports a skew: the installed version as another one,
-- in a transaction that is rolled back.
SELECT dblink_exec('s73_watch', 'BEGIN') \g /dev/null
SELECT dblink_exec('s73_watch', 'UPDATE pg_extension SET extversion = ''2.0.0'' WHERE extname = ''pg_jobmon''') \g /dev/null
SELECT matches(pg_temp.skew('SELECT message FROM jobmon.jobmon_status()'),
               '^the pg_jobmon library is version [0-9.]+ but this database has version 2\.0\.0: no run starts until ALTER EXTENSION pg_jobmon UPDATE$',
               'jobmon_status() says the library and the objects differ, and what to do');
SELECT dblink_exec('s73_watch', 'ROLLBACK') \g /dev/null

SELECT dblink_disconnect('s73') \g /dev/null
SELECT dblink_disconnect('s73_watch') \g /dev/null
SELECT dblink_exec('s73_admin', 'DROP DATABASE jobmon_skew_73 WITH (FORCE)') \g /dev/null
SELECT dblink_disconnect('s73_admin') \g /dev/null
SELECT * FROM finish();
