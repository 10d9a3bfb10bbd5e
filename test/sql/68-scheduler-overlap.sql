-- max_instances 1: the runs of a job never overlap, neither in fact nor
-- in their record (jobmon_run's started_at and finished_at), however two
-- workers' transactions interleave.  The race of 57's "no two runs of a job
-- overlapped", made deterministic:
--
--   worker W2 ends run X of another job: its bookkeeping transaction
--     begins (its now() is t2), then waits (here: for a row lock);
--   worker W1 ends run A of job J: finished_at = its now(), t1 > t2;
--   W2 goes on, and takes the next due run of its role, run B of J: its
--     started_at was W2's now(), t2 < t1, so B seemed to start before A
--     ended, though its commands began after.
--
-- Workers only see committed jobs: this file commits (see scheduler.sql).
\ir ../setup.sql
\ir ../scheduler.sql

SELECT pg_temp.test_cleanup('r68_') \g /dev/null
SELECT jobmon.jobmon_config_reset('max_workers') \g /dev/null
DROP TABLE IF EXISTS public.r68_trace;

SELECT plan(11);
SELECT pg_temp.tick_start() \g /dev/null

CREATE TABLE public.r68_trace (run_id bigint, event text, at timestamptz);

-- A job whose runs trace when their commands begin and end.
CREATE FUNCTION pg_temp.job(p_name text, p_seconds float8) RETURNS bigint LANGUAGE sql AS $$
    SELECT jobmon.create_job(jsonb_build_object(
        'name', p_name, 'max_instances', 1,
        'commands', jsonb_build_array(
            $q$INSERT INTO public.r68_trace VALUES (jobmon._worker_run_id(), 'begin', clock_timestamp())$q$,
            format('SELECT pg_sleep(%s)', p_seconds),
            $q$INSERT INTO public.r68_trace VALUES (jobmon._worker_run_id(), 'end', clock_timestamp())$q$)))
$$;
CREATE FUNCTION pg_temp.traced(p_run_id bigint, p_event text) RETURNS timestamptz LANGUAGE sql AS $$
    SELECT at FROM public.r68_trace WHERE run_id = p_run_id AND event = p_event
$$;
CREATE FUNCTION pg_temp.run(p_run_id bigint) RETURNS jobmon.jobmon_run LANGUAGE sql AS $$
    SELECT * FROM jobmon.jobmon_run r WHERE r.run_id = p_run_id
$$;

-- Run X of one job ends first, run A of job J later.
SELECT pg_temp.job('r68_other', 2) AS other_job \gset
SELECT pg_temp.job('r68_job', 4) AS job \gset
SELECT jobmon.run_job(:other_job) AS x \gset
SELECT jobmon.run_job(:job) AS a \gset
SELECT ok(pg_temp.wait_until(format($$SELECT count(*) = 2 FROM public.r68_trace WHERE run_id IN (%L, %L)$$, :x, :a)),
          'run X of one job and run A of job J are running');
-- One worker slot, and two taken: the dispatcher starts nothing more, the
-- workers alone take the next runs.
SELECT jobmon.jobmon_config_set('max_workers', '1') \g /dev/null
-- Run B of J, due a moment after A ends: A's worker, ending A, finds no
-- run due and exits.
SELECT jobmon.run_job(:job) AS b \gset
UPDATE jobmon.jobmon_run SET due_at = pg_temp.traced(:a, 'begin') + interval '6 seconds' WHERE run_id = :b;

BEGIN;
-- Hold X's row: X's worker, ending X, waits in its bookkeeping transaction.
SELECT 1 FROM jobmon.jobmon_run WHERE run_id = :x FOR UPDATE \g /dev/null
SELECT ok(pg_temp.traced(:x, 'end') IS NULL, 'X was still running when its row was locked');
SELECT ok(pg_temp.wait_until(format($$SELECT EXISTS (SELECT FROM pg_stat_activity
                                                     WHERE wait_event_type = 'Lock' AND backend_type = 'pg_jobmon worker'
                                                       AND pid = (SELECT pid FROM jobmon.jobmon_run WHERE run_id = %L))$$, :x)),
          'X''s worker waits to end X');
SELECT ok(pg_temp.wait_until(format($$SELECT status = 'success' FROM jobmon.jobmon_run WHERE run_id = %L$$, :a)),
          'A ends meanwhile');
SELECT ok(pg_temp.wait_until(format($$SELECT clock_timestamp() > due_at FROM jobmon.jobmon_run WHERE run_id = %L$$, :b)),
          'B is due');
COMMIT;

SELECT is(jobmon.wait_for_run(:b, '30 seconds'), 'success', 'B runs');
SELECT is((pg_temp.run(:b)).pid, (pg_temp.run(:x)).pid, 'in X''s worker, which took it when it ended X');
SELECT ok(pg_temp.traced(:b, 'begin') > pg_temp.traced(:a, 'end'), 'B''s commands began after A''s ended');
SELECT ok((pg_temp.run(:b)).started_at >= (pg_temp.run(:a)).finished_at,
          'B''s started_at is not before A''s finished_at: the record shows no overlap either');

SELECT jobmon.jobmon_config_reset('max_workers') \g /dev/null
CALL pg_temp.tick_stop();

-------------------------------------------------------------------------------
-- Two claimers: while one holds the earlier of two waiting runs of a job
-- (the dispatcher, say, has claimed it and not yet committed), the other
-- (a worker that ended a run) must not take the later one: it would see no
-- run of the job starting or running, and both would run at once.  No
-- dispatcher runs now: the claims are made here.
SELECT jobmon.run_job(:job) AS r1 \gset
SELECT jobmon.run_job(:job) AS r2 \gset
SELECT dblink_connect('r68_claimer', format('dbname=%s host=%s port=%s', current_database(),
    btrim(split_part(current_setting('unix_socket_directories'), ',', 1)), current_setting('port'))) \g /dev/null
BEGIN;
SELECT 1 FROM jobmon.jobmon_run WHERE run_id = :r1 FOR UPDATE \g /dev/null
SELECT is((SELECT id FROM dblink('r68_claimer', 'SELECT (jobmon._run_claim(false, NULL, clock_timestamp())).run_id') AS t(id bigint)),
          NULL, 'while the earlier run is held by another claimer, the later one of the same job is not claimed');
ROLLBACK;
SELECT is((SELECT id FROM dblink('r68_claimer', 'SELECT (jobmon._run_claim(false, NULL, clock_timestamp())).run_id') AS t(id bigint)),
          :r1::bigint, 'once it is released, the earlier one is claimed first');
SELECT dblink_disconnect('r68_claimer') \g /dev/null
SELECT pg_temp.test_cleanup('r68_') \g /dev/null
DROP TABLE public.r68_trace;
SELECT * FROM finish();
