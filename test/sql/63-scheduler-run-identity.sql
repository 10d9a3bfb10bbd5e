-- A run is identified by more than its pid: pids are reused, and run rows
-- travel with dumps and replicas.  A run whose pid belongs to a process
-- that is not a pg_jobmon worker of this database started before the run
-- (here: an ordinary client backend, as after a crash or failover, or the
-- worker of a copy of the database) is closed as its worker having
-- vanished, and that process is never signalled.  The dispatcher's passes
-- are called directly, in a transaction that rolls back.
\ir ../setup.sql
BEGIN;
SELECT plan(8);

-- A bystander: another client backend, whose pid the rows will carry.
SELECT dblink_connect('s63_bystander', format('dbname=%s host=%s port=%s', current_database(),
    btrim(split_part(current_setting('unix_socket_directories'), ',', 1)), current_setting('port'))) \g /dev/null
SELECT pid AS bystander FROM dblink('s63_bystander', 'SELECT pg_backend_pid()') AS t(pid int) \gset

SELECT jobmon.create_job('{"name": "s63 job", "cron": "0 0 1 1 *", "commands": "SELECT 1",
                           "max_run_time": "1 second"}') AS job \gset
-- Runs as a crash or a copy would leave them: one 'starting' a minute ago,
-- one 'running' far past its max_run_time, both with the bystander's pid.
INSERT INTO jobmon.jobmon_run (job_id, job_name, owner, run_as, due_at, status, started_at, pid)
SELECT job_id, name, owner, run_as, now() - interval '1 minute', s, now() - interval '1 minute', :bystander
FROM jobmon.jobmon_job, unnest(ARRAY['starting', 'running']) s WHERE job_id = :job;

SELECT ok(NOT jobmon._run_worker_alive(:bystander, now() - interval '1 minute', 'running'),
          'a client backend is not taken for a run''s worker');
SELECT ok(NOT jobmon._run_worker_alive(:bystander, now() - interval '1 minute', 'starting'),
          'nor for the worker of a run started a minute ago');

SELECT lives_ok('SELECT jobmon._runs_enforce_limits()', 'the limits pass runs');
SELECT is((SELECT pid FROM dblink('s63_bystander', 'SELECT pg_backend_pid()') AS t(pid int)), :bystander,
          'the bystander was not terminated for the run''s max_run_time');
SELECT is((SELECT reason FROM jobmon.jobmon_run WHERE job_id = :job AND status = 'running'), NULL,
          'and the run is not marked terminated');

SELECT is(jobmon._runs_close_orphaned(), 2, 'the orphan pass closes both runs');
SELECT results_eq($$SELECT status, reason ~ 'ended without finishing the run' FROM jobmon.jobmon_run
                    WHERE job_name = 's63 job' ORDER BY run_id$$,
                  $$VALUES ('failure'::text, true), ('failure', true)$$,
                  'as failed, their worker having vanished');
SELECT is((SELECT pid FROM dblink('s63_bystander', 'SELECT pg_backend_pid()') AS t(pid int)), :bystander,
          'and the bystander is still there');

SELECT dblink_disconnect('s63_bystander') \g /dev/null
SELECT * FROM finish();
ROLLBACK;
