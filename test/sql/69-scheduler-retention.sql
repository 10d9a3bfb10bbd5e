-- Retention: each kind of row is deleted when old and kept when young
-- (finished runs with their logs, skipped fire times, finished one-off
-- jobs, the audit trail, logged jobs of the logging API); the defaults keep
-- pg_jobmon 1.x's logged jobs; a round of batches clears a backlog of many
-- batches, a round whose time is up stops after one batch, and a batch
-- gives way to a row another transaction holds.
-- A round commits after each batch: this file commits, names its rows
-- r69 and deletes them at the end.  Old rows are made by back-dating.
\ir ../setup.sql
\ir ../scheduler.sql

SELECT pg_temp.test_cleanup('r69_') \g /dev/null
DELETE FROM jobmon.job_log WHERE job_name LIKE 'R69%';
SELECT jobmon.jobmon_config_reset(s) FROM unnest('{run_retention,audit_retention,log_retention}'::text[]) s \g /dev/null
-- Back-dated rows lie before where an earlier round's walk of job_log
-- stopped: start the walk again.
UPDATE jobmon.jobmon_dispatcher_state
SET log_retention_time = NULL, log_retention_id = NULL, log_retention_kept_time = NULL, log_retention_kept_id = NULL;

SELECT plan(34);

SELECT results_eq($$SELECT name, value FROM jobmon.jobmon_config_show()
                    WHERE name IN ('run_retention', 'audit_retention', 'log_retention') ORDER BY name$$,
                  $$VALUES ('audit_retention', '90 days'), ('log_retention', '0'), ('run_retention', '30 days')$$,
                  'runs are kept 30 days, the audit trail 90 days, logged jobs for ever by default');
SELECT throws_ok($$SELECT jobmon.jobmon_config_set('audit_retention', 'a year')$$, '22023',
                 'invalid value for setting "audit_retention": "a year"', 'audit_retention must be a duration');
SELECT throws_ok($$SELECT jobmon.jobmon_config_set('log_retention', '-1 day')$$, '22023',
                 'invalid value for setting "log_retention": "-1 day"', 'log_retention must be a duration');

-- A round with the caller's batch size; its (batches, finished).
CREATE FUNCTION pg_temp.round_result(p_batches integer, p_finished boolean) RETURNS text LANGUAGE sql
AS $$ SELECT format('%s batches, finished %s', p_batches, p_finished) $$;

-------------------------------------------------------------------------------
-- Runs of a periodic job: 45 finished two hours ago, with their logs
-- (job_log, a step, an event), one skipped fire time as old, two finished
-- ten minutes ago, one waiting.
SELECT jobmon.create_job('{"name": "r69_periodic", "commands": "SELECT 1"}') AS job \gset
CREATE TEMP TABLE r69_old_runs (run_id bigint, log_id bigint, step_id bigint);
WITH logs AS (
    INSERT INTO jobmon.job_log (owner, job_name, start_time, end_time, status, pid)
    SELECT current_user, 'R69_PERIODIC', now() - interval '2 hours', now() - interval '2 hours', 'OK', 0
    FROM generate_series(1, 45)
    RETURNING job_id)
INSERT INTO r69_old_runs (log_id) SELECT job_id FROM logs;
WITH runs AS (
    INSERT INTO jobmon.jobmon_run (job_id, job_name, owner, run_as, due_at, status, log_id, started_at, finished_at)
    SELECT :job, 'r69_periodic', current_user, current_user, now() - interval '2 hours', 'success', o.log_id,
           now() - interval '2 hours', now() - interval '2 hours'
    FROM r69_old_runs o
    RETURNING run_id, log_id)
UPDATE r69_old_runs o SET run_id = r.run_id FROM runs r WHERE r.log_id = o.log_id;
WITH steps AS (
    INSERT INTO jobmon.job_detail (job_id, action, start_time, end_time, status)
    SELECT o.log_id, 'SELECT 1', now() - interval '2 hours', now() - interval '2 hours', 'OK' FROM r69_old_runs o
    RETURNING job_id, step_id)
UPDATE r69_old_runs o SET step_id = s.step_id FROM steps s WHERE s.job_id = o.log_id;
INSERT INTO jobmon.jobmon_event (job_id, step_id, event_time, severity, message)
SELECT o.log_id, o.step_id, now() - interval '2 hours', 'NOTICE', 'r69 old notice' FROM r69_old_runs o;
INSERT INTO jobmon.jobmon_run (job_id, job_name, owner, run_as, due_at, status, reason, finished_at)
VALUES (:job, 'r69_periodic', current_user, current_user, now() - interval '2 hours', 'skipped',
        'r69 skipped fire time', now() - interval '2 hours')
RETURNING run_id AS skipped \gset
-- A young run whose log started long ago: log_retention leaves it to
-- its run.
INSERT INTO jobmon.job_log (owner, job_name, start_time, end_time, status, pid)
VALUES (current_user, 'R69_PERIODIC', now() - interval '3 hours', now() - interval '10 minutes', 'OK', 0),
       (current_user, 'R69_PERIODIC', now() - interval '10 minutes', now() - interval '10 minutes', 'OK', 0);
CREATE TEMP TABLE r69_young_runs (run_id bigint, log_id bigint);
WITH runs AS (
    INSERT INTO jobmon.jobmon_run (job_id, job_name, owner, run_as, due_at, status, log_id, started_at, finished_at)
    SELECT :job, 'r69_periodic', current_user, current_user, l.start_time, 'success', l.job_id,
           l.start_time, now() - interval '10 minutes'
    FROM jobmon.job_log l
    WHERE l.job_name = 'R69_PERIODIC' AND l.job_id NOT IN (SELECT log_id FROM r69_old_runs)
    RETURNING run_id, log_id)
INSERT INTO r69_young_runs SELECT run_id, log_id FROM runs;
SELECT jobmon.run_job(:job) AS waiting \gset
UPDATE jobmon.jobmon_run SET due_at = now() - interval '2 hours' WHERE run_id = :waiting;

-------------------------------------------------------------------------------
-- One-off jobs: one that finished two hours ago, one created as long ago
-- whose run finished ten minutes ago, and one that finished two hours ago
-- which a periodic job depends on.
SELECT jobmon.submit_job('SELECT 1', name => 'r69_once_old') AS once_old \gset
SELECT jobmon.submit_job('SELECT 1', name => 'r69_once_young') AS once_young \gset
SELECT jobmon.submit_job('SELECT 1', name => 'r69_once_needed') AS once_needed \gset
UPDATE jobmon.jobmon_job SET created_at = now() - interval '3 hours' WHERE job_id IN (:once_old, :once_young, :once_needed);
UPDATE jobmon.jobmon_run SET status = 'success', started_at = now() - interval '3 hours',
    finished_at = CASE job_id WHEN :once_young THEN now() - interval '10 minutes' ELSE now() - interval '2 hours' END
WHERE job_id IN (:once_old, :once_young, :once_needed);
SELECT jobmon.create_job(format('{"name": "r69_after", "commands": "SELECT 1", "depends_on": [%s]}', :once_needed)::jsonb)
    AS after \gset

-------------------------------------------------------------------------------
-- The audit trail: the creation of r69_periodic two hours ago, its
-- run_job now.
UPDATE jobmon.jobmon_audit SET changed_at = now() - interval '2 hours' WHERE job_id = :job AND action = 'create';

-------------------------------------------------------------------------------
-- Logged jobs of the logging API (pg_jobmon 1.x's job_log): two closed
-- ones started two hours ago (one with a step), one that started half an
-- hour later and is still open (with this session's pid, which started
-- after it: a pid reused), a closed one after it, one started ten minutes
-- ago.
INSERT INTO jobmon.job_log (owner, job_name, start_time, end_time, status, pid)
VALUES (current_user, 'R69 LOGGED OLD', now() - interval '2 hours', now() - interval '2 hours', 'OK', 0)
RETURNING job_id AS logged_old \gset
INSERT INTO jobmon.job_detail (job_id, action, start_time, end_time, status)
VALUES (:logged_old, 'r69 step', now() - interval '2 hours', now() - interval '2 hours', 'OK');
INSERT INTO jobmon.job_log (owner, job_name, start_time, end_time, status, pid)
VALUES (current_user, 'R69 LOGGED FAILED', now() - interval '2 hours', now() - interval '2 hours', 'CRITICAL', 0)
RETURNING job_id AS logged_failed \gset
INSERT INTO jobmon.job_log (owner, job_name, start_time, pid)
VALUES (current_user, 'R69 LOGGED OPEN', now() - interval '1 hour 30 minutes', pg_backend_pid())
RETURNING job_id AS logged_open \gset
INSERT INTO jobmon.job_log (owner, job_name, start_time, end_time, status, pid)
VALUES (current_user, 'R69 LOGGED AFTER OPEN', now() - interval '1 hour 20 minutes', now() - interval '1 hour 20 minutes', 'OK', 0)
RETURNING job_id AS logged_after_open \gset
INSERT INTO jobmon.job_log (owner, job_name, start_time, end_time, status, pid)
VALUES (current_user, 'R69 LOGGED YOUNG', now() - interval '10 minutes', now() - interval '10 minutes', 'OK', 0)
RETURNING job_id AS logged_young \gset

-------------------------------------------------------------------------------
-- A round whose time is already up runs one batch and stops.
SELECT jobmon.jobmon_config_set('run_retention', '1 hour') \g /dev/null
SELECT jobmon.jobmon_config_set('audit_retention', '1 hour') \g /dev/null
CALL jobmon._retention_round(clock_timestamp() - interval '1 second', 10) \gset
SELECT is(pg_temp.round_result(:p_batches, :'p_finished'::boolean), '1 batches, finished f',
          'a round whose time is up runs one batch and stops, rows left');
SELECT is((SELECT count(*)::int FROM jobmon.jobmon_run WHERE run_id IN (SELECT run_id FROM r69_old_runs)), 35,
          'that batch deleted as many runs as a batch holds');

-- A round with time: batches of 10 until nothing old is left.
CALL jobmon._retention_round(clock_timestamp() + interval '10 minutes', 10) \gset
SELECT ok(:p_batches >= 4 AND :'p_finished'::boolean, 'a round clears a backlog of many batches: ' || :p_batches || ' batches');
SELECT is((SELECT retention_at FROM jobmon.jobmon_dispatcher_state) >= now() - interval '1 minute', true,
          'and notes when it left nothing old, so the dispatcher waits a minute for the next');

SELECT is((SELECT count(*)::int FROM jobmon.jobmon_run WHERE run_id IN (SELECT run_id FROM r69_old_runs)), 0,
          'finished runs older than run_retention are deleted');
SELECT is((SELECT count(*)::int FROM jobmon.job_log WHERE job_id IN (SELECT log_id FROM r69_old_runs)), 0,
          'with their job_log rows');
SELECT is((SELECT count(*)::int FROM jobmon.job_detail WHERE step_id IN (SELECT step_id FROM r69_old_runs)), 0,
          'their steps');
SELECT is((SELECT count(*)::int FROM jobmon.jobmon_event WHERE message = 'r69 old notice'), 0,
          'and their events');
SELECT is((SELECT count(*)::int FROM jobmon.jobmon_run WHERE run_id = :skipped), 0,
          'a skipped fire time older than run_retention is deleted');
SELECT is((SELECT count(*)::int FROM jobmon.jobmon_run r JOIN jobmon.job_log l ON l.job_id = r.log_id
           WHERE r.run_id IN (SELECT run_id FROM r69_young_runs)), 2,
          'younger finished runs stay, with their job_log rows');
SELECT is((SELECT status FROM jobmon.jobmon_run WHERE run_id = :waiting), 'waiting',
          'a run that has not finished stays, however old its due time');

SELECT is((SELECT count(*)::int FROM jobmon.jobmon_job WHERE job_id = :once_old), 0,
          'a one-off job whose runs are past run_retention is deleted');
SELECT is((SELECT count(*)::int FROM jobmon.jobmon_run WHERE job_id = :once_old), 0, 'with its runs');
SELECT is((SELECT count(*)::int FROM jobmon.jobmon_job j JOIN jobmon.jobmon_run r USING (job_id) WHERE j.job_id = :once_young), 1,
          'a one-off job with a younger run stays, with the run');
SELECT is((SELECT count(*)::int FROM jobmon.jobmon_job WHERE job_id = :once_needed), 1,
          'a one-off job that another job depends on stays');
SELECT is((SELECT count(*)::int FROM jobmon.jobmon_job WHERE job_id = :job), 1, 'periodic jobs stay');

SELECT is((SELECT count(*)::int FROM jobmon.jobmon_audit WHERE job_id = :job AND action = 'create'), 0,
          'audit rows older than audit_retention are deleted');
SELECT is((SELECT count(*)::int FROM jobmon.jobmon_audit WHERE job_id = :job AND action = 'run now'), 1,
          'younger audit rows stay');

SELECT is((SELECT count(*)::int FROM jobmon.job_log WHERE job_id IN (:logged_old, :logged_failed, :logged_open, :logged_after_open, :logged_young)), 5,
          'by default logged jobs of the logging API stay, however old (pg_jobmon 1.x)');

-------------------------------------------------------------------------------
-- log_retention
SELECT jobmon.jobmon_config_set('log_retention', '1 hour') \g /dev/null
CALL jobmon._retention_round(clock_timestamp() + interval '10 minutes', 10) \gset
SELECT ok(:'p_finished'::boolean, 'a round with log_retention finishes');
SELECT is((SELECT count(*)::int FROM jobmon.job_log WHERE job_id IN (:logged_old, :logged_failed)), 0,
          'closed logged jobs that started before log_retention are deleted, whatever their status');
SELECT is((SELECT count(*)::int FROM jobmon.job_detail WHERE job_id = :logged_old), 0, 'with their steps');
SELECT is((SELECT count(*)::int FROM jobmon.job_log WHERE job_id = :logged_young), 1, 'younger logged jobs stay');
SELECT is((SELECT count(*)::int FROM jobmon.job_log WHERE job_id = :logged_open), 1,
          'an old logged job still open stays');
SELECT is((SELECT count(*)::int FROM jobmon.job_log WHERE job_id = :logged_after_open), 0,
          'the walk does not stop at it: an old closed job after it is deleted');
SELECT is((SELECT count(*)::int FROM jobmon.job_log WHERE job_id IN (SELECT log_id FROM r69_young_runs)), 2,
          'the log of a run stays while its run does, however old the log');
SELECT is((SELECT log_retention_kept_id FROM jobmon.jobmon_dispatcher_state), NULL,
          'nor is it waited for: its pid is that of a session started after it');

-- A row that another transaction holds: the batch gives way rather than
-- make the dispatcher wait, and a later round deletes it.
INSERT INTO jobmon.job_log (owner, job_name, start_time, end_time, status, pid)
VALUES (current_user, 'R69_PERIODIC', now() - interval '2 hours', now() - interval '2 hours', 'OK', 0)
RETURNING job_id AS locked_log \gset
INSERT INTO jobmon.jobmon_run (job_id, job_name, owner, run_as, due_at, status, log_id, started_at, finished_at)
VALUES (:job, 'r69_periodic', current_user, current_user, now() - interval '2 hours', 'success', :locked_log,
        now() - interval '2 hours', now() - interval '2 hours')
RETURNING run_id AS locked_run \gset
SELECT dblink_connect('r69_lock', format('dbname=%s host=%s port=%s', current_database(),
    btrim(split_part(current_setting('unix_socket_directories'), ',', 1)), current_setting('port'))) \g /dev/null
SELECT dblink_exec('r69_lock', 'BEGIN') \g /dev/null
SELECT * FROM dblink('r69_lock', format('SELECT job_id FROM jobmon.job_log WHERE job_id = %s FOR UPDATE', :locked_log))
    AS t(job_id bigint) \g /dev/null
CALL jobmon._retention_round(clock_timestamp() + interval '10 minutes', 10) \gset
SELECT ok(:'p_finished'::boolean AND EXISTS (SELECT FROM jobmon.jobmon_run WHERE run_id = :locked_run),
          'a batch that meets a row locked by another transaction gives way: the round ends, the run stays');
SELECT dblink_exec('r69_lock', 'ROLLBACK') \g /dev/null
SELECT dblink_disconnect('r69_lock') \g /dev/null
CALL jobmon._retention_round(clock_timestamp() + interval '10 minutes', 10) \gset
SELECT is((SELECT count(*)::int FROM jobmon.jobmon_run WHERE run_id = :locked_run), 0,
          'once the lock is gone, a later round deletes it');

-- A duration longer than time goes back keeps everything rather than fail.
SELECT jobmon.jobmon_config_set('run_retention', '9999999 days') \g /dev/null
SELECT is(jobmon._retention_cutoff('run_retention'), NULL::timestamptz,
          'a run_retention longer than time goes back means keep everything, not an error');
CALL jobmon._retention_round(clock_timestamp() + interval '10 minutes', 10) \gset
SELECT ok(:'p_finished'::boolean AND (SELECT count(*) FROM jobmon.jobmon_run WHERE run_id IN (SELECT run_id FROM r69_young_runs)) = 2,
          'a round with it finishes and deletes no run');

SELECT * FROM finish();

SELECT jobmon.jobmon_config_reset(s) FROM unnest('{run_retention,audit_retention,log_retention}'::text[]) s \g /dev/null
UPDATE jobmon.jobmon_job SET depends_on = NULL WHERE job_id = :after;
SELECT pg_temp.test_cleanup('r69_') \g /dev/null
DELETE FROM jobmon.job_log WHERE job_name LIKE 'R69%';
DELETE FROM jobmon.jobmon_audit WHERE job_id IN (:job, :once_old, :once_young, :once_needed, :after);
