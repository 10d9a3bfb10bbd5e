-- The limits on running jobs: max_run_time, last_start_available,
-- overlapping runs (on_overlap, max_instances), the worker slots of the
-- database (max_workers), a worker that vanishes, cancel_job(), end_date,
-- a second dispatcher, jobmon_status() and the retention of finished runs.
-- Workers only see committed jobs: this file commits (see scheduler.sql).
\ir ../setup.sql
\ir ../scheduler.sql

-- Left over by an interrupted earlier run of this file.
SELECT pg_temp.test_cleanup('r57_') \g /dev/null
SELECT jobmon.jobmon_config_reset('max_workers') \g /dev/null
SELECT jobmon.jobmon_config_reset('run_retention') \g /dev/null

SELECT plan(45);
SELECT pg_temp.tick_start() \g /dev/null

CREATE FUNCTION pg_temp.run(p_run_id bigint) RETURNS jobmon.jobmon_run LANGUAGE sql AS $$
    SELECT * FROM jobmon.jobmon_run r WHERE r.run_id = p_run_id
$$;
-- (action, status, message) of the steps of a run, in order.
CREATE FUNCTION pg_temp.steps(p_run_id bigint) RETURNS TABLE (action text, status text, message text)
LANGUAGE sql AS $$
    SELECT d.action, d.status, d.message FROM jobmon.job_detail d
    JOIN jobmon.jobmon_run r ON r.log_id = d.job_id WHERE r.run_id = p_run_id ORDER BY d.step_id
$$;
-- The condition "run p_run_id is running", for wait_until().
CREATE FUNCTION pg_temp.running(p_run_id bigint) RETURNS text LANGUAGE sql AS $$
    SELECT format($q$SELECT status = 'running' FROM jobmon.jobmon_run WHERE run_id = %L$q$, p_run_id)
$$;
-- The condition "no run of this file's jobs is under way".
CREATE FUNCTION pg_temp.idle() RETURNS text LANGUAGE sql AS $$
    SELECT $q$SELECT NOT EXISTS (SELECT FROM jobmon.jobmon_run WHERE job_name LIKE 'r57\_%'
                                  AND status IN ('waiting', 'starting', 'running'))$q$
$$;

-------------------------------------------------------------------------------
-- max_run_time: the run is cancelled when its time is up.
SELECT jobmon.create_job($${"name": "r57_timeout", "commands": "SELECT pg_sleep(30)", "max_run_time": "1 second"}$$)
    AS job \gset
SELECT jobmon.run_job(:job) AS run \gset
SELECT is(jobmon.wait_for_run(:run, '30 seconds'), 'timeout', 'a run past its max_run_time ends as timeout');
SELECT ok((pg_temp.run(:run)).finished_at < (pg_temp.run(:run)).started_at + interval '5 seconds',
          'it ends a moment after max_run_time, not after the 30 seconds of its command');
SELECT is((pg_temp.run(:run)).reason, 'cancelled after max_run_time 00:00:01', 'the reason names max_run_time');
SELECT results_eq(format('SELECT * FROM pg_temp.steps(%L)', :run),
    $$VALUES ('SELECT pg_sleep(30)', 'CRITICAL', 'canceling statement due to user request'),
             ('max_run_time exceeded', 'CRITICAL', 'cancelled after max_run_time 00:00:01')$$,
    'the cancelled command is CRITICAL, followed by a step ''max_run_time exceeded''');
SELECT is((SELECT status FROM jobmon.job_log WHERE job_id = (pg_temp.run(:run)).log_id), 'CRITICAL',
          'the job_log row of a timed-out run is CRITICAL');

-------------------------------------------------------------------------------
-- A worker terminated in the middle of a run: the dispatcher closes the run.
SELECT jobmon.create_job($${"name": "r57_killed", "commands": "SELECT pg_sleep(30)"}$$) AS killed_job \gset
SELECT jobmon.run_job(:killed_job) AS run \gset
SELECT ok(pg_temp.wait_until(pg_temp.running(:run)), 'the run to be killed is running');
SELECT ok(pg_terminate_backend((pg_temp.run(:run)).pid), 'its worker is terminated');
SELECT is(jobmon.wait_for_run(:run, '30 seconds'), 'failure', 'the dispatcher closes the run of a vanished worker as failed');
SELECT matches((pg_temp.run(:run)).reason, 'ended without finishing', 'the reason says the worker ended without finishing');
SELECT results_eq(format('SELECT status, end_time IS NOT NULL FROM jobmon.job_log WHERE job_id = %L', (pg_temp.run(:run)).log_id),
                  $$VALUES ('CRITICAL', true)$$, 'its job_log row is closed as CRITICAL');
SELECT results_eq(format('SELECT action, status, message FROM jobmon.job_detail WHERE job_id = %L ORDER BY step_id DESC LIMIT 1',
                         (pg_temp.run(:run)).log_id),
                  format($$VALUES ('worker vanished', 'CRITICAL', %L)$$, (pg_temp.run(:run)).reason),
                  'with a last step ''worker vanished''');
SELECT jobmon.set_job_attribute(:killed_job, 'commands', 'SELECT 1') \g /dev/null
SELECT jobmon.run_job(:killed_job) AS run \gset
SELECT is(jobmon.wait_for_run(:run, '30 seconds'), 'success', 'the job goes on: its next run succeeds');

-------------------------------------------------------------------------------
-- Overlapping runs of every-second jobs that take 2.5 seconds.
SELECT jobmon.create_job($${"name": "r57_skip", "cron": "* * * * * *", "commands": "SELECT pg_sleep(2.5)"}$$)
    AS skip_job \gset
SELECT jobmon.create_job($${"name": "r57_queue", "cron": "* * * * * *", "commands": "SELECT pg_sleep(2.5)",
                            "on_overlap": "queue"}$$) AS queue_job \gset
SELECT jobmon.create_job($${"name": "r57_two", "cron": "* * * * * *", "commands": "SELECT pg_sleep(2.5)",
                            "max_instances": 2}$$) AS two_job \gset

SELECT ok(pg_temp.wait_until($$SELECT EXISTS (SELECT FROM jobmon.jobmon_run WHERE job_name = 'r57_skip' AND status = 'skipped')$$),
          'on_overlap skip: a run due while one is under way is skipped');
SELECT matches((SELECT reason FROM jobmon.jobmon_run WHERE job_name = 'r57_skip' AND status = 'skipped' LIMIT 1),
               'max_instances 1, on_overlap skip', 'the reason names max_instances');
SELECT ok(pg_temp.wait_until($$SELECT count(*) FILTER (WHERE status = 'waiting') = 1 AND count(*) FILTER (WHERE status = 'running') = 1
                              FROM jobmon.jobmon_run WHERE job_name = 'r57_queue'$$),
          'on_overlap queue: one run waits while another runs');
SELECT ok(pg_temp.wait_until($$SELECT EXISTS (SELECT FROM jobmon.jobmon_run WHERE job_name = 'r57_queue' AND status = 'skipped')$$),
          'on_overlap queue: a later run, with one already waiting, is skipped');
SELECT matches((SELECT reason FROM jobmon.jobmon_run WHERE job_name = 'r57_queue' AND status = 'skipped' LIMIT 1),
               'max_instances 1, on_overlap queue', 'its reason names max_instances and on_overlap');
SELECT ok(pg_temp.wait_until($$SELECT EXISTS (SELECT FROM jobmon.jobmon_run WHERE job_name = 'r57_queue'
                                             AND status = 'success' AND started_at > due_at + interval '1 second')$$),
          'on_overlap queue: the waiting run runs after the one before it');
SELECT ok(pg_temp.wait_until($$SELECT count(*) >= 2 FROM jobmon.jobmon_run WHERE job_name = 'r57_two' AND status = 'running'$$),
          'max_instances 2: two runs of a job run at once');

-- A second dispatcher returns at once: only one dispatcher dispatches.
SELECT clock_timestamp() AS before_tick \gset
CALL jobmon.jobmon_dispatch('1 second');
SELECT ok(clock_timestamp() - :'before_tick' < interval '1 second', 'a second dispatcher returns at once');
SELECT results_eq($$SELECT running, dispatcher_pid FROM jobmon.jobmon_status()$$,
    $$SELECT true, pid FROM pg_stat_activity WHERE query = 'CALL jobmon.jobmon_dispatch(''10 minutes'')' AND state = 'active'
                                               AND datname = current_database()$$,
    'jobmon_status() shows the first dispatcher running, with its pid');

SELECT jobmon.deactivate_job(j) FROM unnest(ARRAY[:skip_job, :queue_job, :two_job]::bigint[]) j \g /dev/null
SELECT ok(pg_temp.wait_until(pg_temp.idle()), 'once deactivated, their runs end');
SELECT is((SELECT count(*)::int FROM jobmon.jobmon_run a JOIN jobmon.jobmon_run b
           ON a.job_id = b.job_id AND a.run_id < b.run_id AND a.started_at < b.finished_at AND b.started_at < a.finished_at
           WHERE a.job_name IN ('r57_skip', 'r57_queue')), 0,
          'max_instances 1: no two runs of a job overlapped');
SELECT is((SELECT count(*)::int FROM (SELECT FROM jobmon.jobmon_run WHERE job_name LIKE 'r57\_%' AND schedule_id IS NOT NULL
                                      GROUP BY schedule_id, due_at HAVING count(*) > 1) d), 0,
          'nothing ran twice: one run per schedule and due time');

-------------------------------------------------------------------------------
-- end_date: a run still running when the job's end_date passes is stopped.
SELECT jobmon.create_job($${"name": "r57_end", "commands": "SELECT pg_sleep(30)"}$$) AS end_job \gset
SELECT jobmon.run_job(:end_job) AS run \gset
SELECT ok(pg_temp.wait_until(pg_temp.running(:run)), 'the run to be stopped is running');
SELECT jobmon.set_job_attribute(:end_job, 'end_date', (now() + interval '2 seconds')::text) \g /dev/null
SELECT is(jobmon.wait_for_run(:run, '30 seconds'), 'cancelled', 'at the job''s end_date its running run is cancelled');
SELECT matches((pg_temp.run(:run)).reason, 'end_date', 'the reason names end_date');
SELECT ok((pg_temp.run(:run)).finished_at < (SELECT end_date FROM jobmon.jobmon_job WHERE job_id = :end_job) + interval '5 seconds',
          'it is stopped soon after end_date');

-------------------------------------------------------------------------------
-- One worker slot (max_workers 1), taken by a long run.
SELECT jobmon.jobmon_config_set('max_workers', '1') \g /dev/null
SELECT jobmon.create_job($${"name": "r57_hog", "commands": "SELECT pg_sleep(30)"}$$) AS hog_job \gset
SELECT jobmon.run_job(:hog_job) AS hog \gset
SELECT ok(pg_temp.wait_until(pg_temp.running(:hog)), 'a long run takes the only slot');
SELECT results_eq('SELECT running, workers_in_use, max_workers FROM jobmon.jobmon_status()', 'VALUES (true, 1::bigint, 1)',
                  'jobmon_status() shows the dispatcher running, one worker in use of one');

-- last_start_available: a run that cannot start in time is skipped.
SELECT jobmon.create_job($${"name": "r57_late", "commands": "SELECT 1", "last_start_available": "1 second"}$$) AS late_job \gset
SELECT jobmon.run_job(:late_job) AS run \gset
SELECT is(jobmon.wait_for_run(:run, '30 seconds'), 'skipped', 'a run that waits past last_start_available is skipped');
SELECT matches((pg_temp.run(:run)).reason, 'last_start_available', 'the reason names last_start_available');
SELECT is((pg_temp.run(:run)).log_id, NULL, 'a skipped run has no job_log row');

-- Two runs of two jobs wait for the slot, then take it one after the other.
SELECT jobmon.create_job($${"name": "r57_first", "commands": "SELECT pg_sleep(0.5)"}$$) AS first_job \gset
SELECT jobmon.create_job($${"name": "r57_second", "commands": "SELECT pg_sleep(0.5)"}$$) AS second_job \gset
SELECT jobmon.run_job(:first_job) AS first \gset
SELECT jobmon.run_job(:second_job) AS second \gset
SELECT results_eq(format('SELECT status FROM jobmon.jobmon_run WHERE run_id IN (%L, %L)', :first, :second),
                  $$VALUES ('waiting'), ('waiting')$$, 'while the slot is taken, runs wait');

-- cancel_job() on the job_log row of a running run cancels it.
SELECT ok(jobmon.cancel_job((pg_temp.run(:hog)).log_id), 'cancel_job() signals the worker of a running run');
-- cancel_job() ends the job_log row before it signals the worker, which
-- learns from that row that the error was a cancel.
SELECT is(jobmon.wait_for_run(:hog, '30 seconds'), 'cancelled', 'the run ends as cancelled');
SELECT is((pg_temp.run(:hog)).reason, 'cancelled through cancel_job()', 'the reason names cancel_job()');
SELECT is((SELECT status FROM jobmon.job_log WHERE job_id = (pg_temp.run(:hog)).log_id), 'CRITICAL',
          'its job_log row is CRITICAL');

SELECT is(jobmon.wait_for_run(:first, '30 seconds'), 'success', 'the first waiting run then runs');
SELECT is(jobmon.wait_for_run(:second, '30 seconds'), 'success', 'and the second');
SELECT ok((SELECT a.finished_at <= b.started_at OR b.finished_at <= a.started_at
           FROM jobmon.jobmon_run a, jobmon.jobmon_run b WHERE a.run_id = :first AND b.run_id = :second),
          'with one worker slot, the two runs did not overlap');
SELECT jobmon.jobmon_config_reset('max_workers') \g /dev/null

-------------------------------------------------------------------------------
-- Retention: the dispatcher forgets finished runs older than run_retention, with
-- their job_log rows.
SELECT jobmon.create_job($${"name": "r57_old", "commands": "SELECT 1"}$$) AS old_job \gset
SELECT jobmon.run_job(:old_job) AS old1 \gset
SELECT jobmon.run_job(:old_job) AS old2 \gset
SELECT is(ARRAY[jobmon.wait_for_run(:old1, '30 seconds'), jobmon.wait_for_run(:old2, '30 seconds')],
          '{success,success}', 'two runs to forget');
SELECT (pg_temp.run(:old1)).log_id AS log1, (pg_temp.run(:old2)).log_id AS log2 \gset
SELECT jobmon.jobmon_config_set('run_retention', '1s') \g /dev/null
UPDATE jobmon.jobmon_run SET finished_at = now() - interval '1 hour' WHERE run_id IN (:old1, :old2);
-- The dispatcher applies retention once a minute: make it due now.
UPDATE jobmon.jobmon_dispatcher_state SET retention_at = NULL;
SELECT ok(pg_temp.wait_until(format('SELECT NOT EXISTS (SELECT FROM jobmon.jobmon_run WHERE run_id IN (%L, %L))', :old1, :old2)),
          'the dispatcher deletes finished runs older than run_retention');
SELECT is((SELECT count(*)::int FROM jobmon.job_log WHERE job_id IN (:log1, :log2)), 0,
          'with their job_log rows');
SELECT jobmon.jobmon_config_reset('run_retention') \g /dev/null

-------------------------------------------------------------------------------
SELECT ok(pg_temp.wait_until(pg_temp.idle()), 'no run of this file is left under way');
CALL pg_temp.tick_stop();
SELECT pg_temp.test_cleanup('r57_') \g /dev/null
SELECT * FROM finish();
