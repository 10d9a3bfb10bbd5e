-- jobmon_start() registers the dispatcher with pg_cron every minute and at
-- the server's start (@reboot), so that after a restart or a crash
-- dispatch resumes at once rather than at pg_cron's next minute;
-- jobmon_stop() removes both.  pg_cron lives in one database
-- (cron.database_name): the test installs pg_jobmon there, in a schema of
-- its own, through dblink, and removes it again.  Skipped where pg_cron is
-- not loaded.
\ir ../setup.sql

-- Without pg_cron the setting is NULL, which \gset would leave unset.
SELECT coalesce(current_setting('cron.database_name', true), '') AS cron_db,
       coalesce(current_setting('cron.database_name', true), '') <> '' AS has_cron \gset
SELECT plan(4);

SELECT skip('pg_cron is not loaded in this cluster', 4) WHERE :'cron_db' = '';
\if :has_cron

SELECT dblink_connect('s66_cron', format('dbname=%s host=%s port=%s', :'cron_db',
    btrim(split_part(current_setting('unix_socket_directories'), ',', 1)), current_setting('port')))
WHERE :'cron_db' <> '' \g /dev/null
SELECT t.had_dblink, t.had_cron FROM dblink('s66_cron',
    'SELECT EXISTS (SELECT FROM pg_extension WHERE extname = ''dblink''), EXISTS (SELECT FROM pg_extension WHERE extname = ''pg_cron'')')
    AS t(had_dblink boolean, had_cron boolean) WHERE :'cron_db' <> '' \gset
SELECT dblink_exec('s66_cron', 'SET client_min_messages = warning;
    DROP EXTENSION IF EXISTS pg_jobmon; DROP SCHEMA IF EXISTS jobmon_s66;
    CREATE EXTENSION IF NOT EXISTS dblink SCHEMA public; CREATE EXTENSION IF NOT EXISTS pg_cron;
    CREATE SCHEMA jobmon_s66; CREATE EXTENSION pg_jobmon SCHEMA jobmon_s66')
WHERE :'cron_db' <> '' \g /dev/null

-- The pg_cron jobs of the dispatcher of that database.
CREATE FUNCTION pg_temp.cron_jobs() RETURNS TABLE (schedule text, command text) LANGUAGE sql AS $$
    SELECT * FROM dblink('s66_cron',
        'SELECT schedule, command FROM cron.job WHERE jobname LIKE ''pg_jobmon dispatcher: %'' ORDER BY schedule')
    AS t(schedule text, command text)
$$;

SELECT ok((SELECT id > 0 FROM dblink('s66_cron', 'SELECT jobmon_s66.jobmon_start()') AS t(id bigint)),
          'jobmon_start() returns the pg_cron job''s id')
WHERE :'cron_db' <> '';
SELECT results_eq('SELECT * FROM pg_temp.cron_jobs()',
                  $$VALUES ('* * * * *', 'CALL jobmon_s66.jobmon_dispatch()'),
                           ('@reboot', 'CALL jobmon_s66.jobmon_dispatch()')$$,
                  'the dispatcher is scheduled every minute and at the server''s start')
WHERE :'cron_db' <> '';
SELECT lives_ok($$SELECT * FROM dblink('s66_cron', 'SELECT jobmon_s66.jobmon_start()') AS t(id bigint)$$,
                'jobmon_start() again is harmless')
WHERE :'cron_db' <> '';
SELECT * FROM dblink('s66_cron', 'SELECT jobmon_s66.jobmon_stop()::text') AS t(x text) WHERE :'cron_db' <> '' \g /dev/null
SELECT is((SELECT count(*)::int FROM pg_temp.cron_jobs()), 0, 'jobmon_stop() removes both')
WHERE :'cron_db' <> '';

SELECT dblink_exec('s66_cron', 'SET client_min_messages = warning;
    DROP EXTENSION pg_jobmon; DROP SCHEMA jobmon_s66') WHERE :'cron_db' <> '' \g /dev/null
SELECT dblink_exec('s66_cron', 'DROP EXTENSION dblink') WHERE :'cron_db' <> '' AND NOT :'had_dblink' \g /dev/null
SELECT dblink_exec('s66_cron', 'DROP EXTENSION pg_cron') WHERE :'cron_db' <> '' AND NOT :'had_cron' \g /dev/null
SELECT dblink_disconnect('s66_cron') WHERE :'cron_db' <> '' \g /dev/null
\endif
SELECT * FROM finish();
