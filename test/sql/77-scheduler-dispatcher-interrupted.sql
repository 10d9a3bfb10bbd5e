-- An interrupted dispatcher: a CALL jobmon_dispatch() cancelled by a
-- statement_timeout (or a Ctrl-C) gives its session back its own
-- search_path, and jobmon_status() says the session keeps the dispatcher's
-- lock, and how to free it; the session's next call of the dispatcher
-- leaves none of its holds behind.  And a dispatcher called by hand for a
-- few seconds ends when it said, although pg_cron's calls (here, one of
-- another session) ask the running dispatcher to go on.
\ir ../setup.sql
\ir ../scheduler.sql

SELECT dblink_connect('s77', format('dbname=%s host=%s port=%s', current_database(),
    btrim(split_part(current_setting('unix_socket_directories'), ',', 1)), current_setting('port'))) \g /dev/null
SELECT t.pid FROM dblink('s77', 'SELECT pg_backend_pid()') AS t(pid integer) \gset

SELECT plan(8);

SELECT dblink_exec('s77', 'SET search_path = public, jobmon') \g /dev/null
SELECT dblink_exec('s77', 'SET statement_timeout = ''1s''') \g /dev/null
-- (A cancel is not an error that a handler catches: dblink reports it.)
SELECT dblink_exec('s77', 'CALL jobmon.jobmon_dispatch(''1 minute'')', false) \g /dev/null
SELECT matches(dblink_error_message('s77'), 'canceling statement due to statement timeout',
               'the dispatcher is cancelled');
SELECT is((SELECT t.p FROM dblink('s77', 'SHOW search_path') AS t(p text)), 'public, jobmon',
          'its session has its own search_path back');
SELECT ok(pg_temp.wait_until(format(
              $$SELECT state = 'idle' FROM pg_stat_activity WHERE pid = %s$$, :pid)), 'its session is idle');
SELECT is((SELECT message FROM jobmon.jobmon_status()),
          format('the session of pid %s holds the dispatcher''s lock but is idle (an interrupted CALL jobmon_dispatch()): no run starts until it calls the dispatcher again or ends (SELECT pg_terminate_backend(%s))',
                 :pid, :pid),
          'jobmon_status() says the idle session keeps the dispatcher''s lock, and how to free it');

SELECT dblink_exec('s77', 'RESET statement_timeout') \g /dev/null
SELECT dblink_exec('s77', 'CALL jobmon.jobmon_dispatch(''0 seconds'')') \g /dev/null
SELECT ok(NOT jobmon._dispatch_lock_held(:pid), 'its next call of the dispatcher leaves no hold of the lock behind');
SELECT is((SELECT running FROM jobmon.jobmon_status()), false, 'and jobmon_status() says no dispatcher runs');

-- A dispatcher called for 2 seconds, and another call for a minute while
-- it runs, which returns at once.
SELECT dblink_send_query('s77', 'CALL jobmon.jobmon_dispatch(''2 seconds'')') \g /dev/null
SELECT ok(pg_temp.wait_until(format('SELECT jobmon._dispatch_lock_held(%s)', :pid)),
          'a dispatcher called by hand for 2 seconds runs');
CALL jobmon.jobmon_dispatch('1 minute');
SELECT ok(pg_temp.wait_until(format('SELECT NOT jobmon._dispatch_lock_held(%s)', :pid), '20 seconds'),
          'it ends about when it said, although another call asked it to go on for a minute');
SELECT count(*) FROM dblink_get_result('s77', false) AS t(x text) \g /dev/null

SELECT dblink_disconnect('s77') \g /dev/null
SELECT * FROM finish();
