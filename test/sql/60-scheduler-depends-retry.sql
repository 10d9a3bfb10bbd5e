-- Dependencies between periodic jobs and retries of failed runs.
-- Dependencies: a diamond A -> B, A -> C, B + C -> D of jobs without
-- schedules runs in order, once per run of A; a failing B stops D but not
-- C; a cron job whose dependency has not succeeded skips its fire times;
-- cycles, unknown jobs and dropping a job others depend on are refused.
-- Retries: attempts with growing delays (retry_delay, retry_backoff,
-- max_retry_delay), RETRYING in job_log and no monitoring failure for the
-- attempts before the last, timeouts retried, cancels not, bad options.
-- Workers only see committed jobs: this file commits (see scheduler.sql).
\ir ../setup.sql
\ir ../scheduler.sql

-- Left over by an interrupted earlier run of this file.
SELECT pg_temp.test_cleanup('r60_') \g /dev/null
DROP TABLE IF EXISTS public.r60_order, public.r60_count;
DELETE FROM jobmon.job_check_config WHERE job_name = 'r60_once';
DELETE FROM jobmon.job_check_log WHERE job_name LIKE 'R60\_%';
-- The order in which the jobs ran, as they saw it.
CREATE TABLE public.r60_order (seq bigserial, job text NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp());
-- The attempts of a job that fails once.
CREATE TABLE public.r60_count (n integer);
-- r60_once is monitored: a single failure would be reported.
INSERT INTO jobmon.job_check_config (job_name, warn_threshold, error_threshold, active, sensitivity)
VALUES ('r60_once', '1 hour', '2 hours', true, 0);

SELECT plan(71);
SELECT pg_temp.tick_start() \g /dev/null

-- SQLSTATE, message, detail and hint of statement p_sql, or NULL if it works.
CREATE FUNCTION pg_temp.error_of(p_sql text) RETURNS text[] LANGUAGE plpgsql AS $$
DECLARE
    v_state text; v_msg text; v_detail text; v_hint text;
BEGIN
    EXECUTE p_sql;
    RETURN NULL;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_msg = MESSAGE_TEXT,
                            v_detail = PG_EXCEPTION_DETAIL, v_hint = PG_EXCEPTION_HINT;
    RETURN ARRAY[v_state, v_msg, v_detail, v_hint];
END $$;
-- The n-th run (by run_id) of a job, by name.
CREATE FUNCTION pg_temp.nth_run(p_name text, p_n integer) RETURNS jobmon.jobmon_run LANGUAGE sql AS $$
    SELECT * FROM jobmon.jobmon_run r WHERE r.job_name = p_name ORDER BY r.run_id OFFSET p_n - 1 LIMIT 1
$$;
CREATE FUNCTION pg_temp.run(p_run_id bigint) RETURNS jobmon.jobmon_run LANGUAGE sql AS $$
    SELECT * FROM jobmon.jobmon_run r WHERE r.run_id = p_run_id
$$;
-- The condition "job p_name has p_n finished runs and none under way".
CREATE FUNCTION pg_temp.settled(p_name text, p_n integer) RETURNS text LANGUAGE sql AS $$
    SELECT format($q$SELECT pg_temp.finished_runs(%L) >= %s
                     AND NOT EXISTS (SELECT FROM jobmon.jobmon_run WHERE job_name = %L
                                     AND status IN ('blocked', 'waiting', 'starting', 'running'))$q$,
                  p_name, p_n, p_name)
$$;
-- Seconds from the end of attempt n of a job to the due time of attempt n + 1.
CREATE FUNCTION pg_temp.retry_gap(p_name text, p_n integer) RETURNS float8 LANGUAGE sql AS $$
    SELECT extract(epoch FROM b.due_at - a.finished_at)::float8
    FROM jobmon.jobmon_run a, jobmon.jobmon_run b
    WHERE a.job_name = p_name AND b.job_name = p_name AND a.attempt = p_n AND b.attempt = p_n + 1
$$;

-------------------------------------------------------------------------------
-- A diamond: A -> B, A -> C, B + C -> D.  B, C and D have no schedule: they
-- run when the jobs they depend on have succeeded.  B depends on A by name.
SELECT jobmon.create_job($${"name": "r60_a", "commands": "INSERT INTO public.r60_order (job) VALUES ('A')"}$$) AS a \gset
SELECT jobmon.create_job($${"name": "r60_b", "depends_on": ["r60_a"],
    "commands": ["SELECT pg_sleep(0.2)", "INSERT INTO public.r60_order (job) VALUES ('B')"]}$$) AS b \gset
SELECT jobmon.create_job(format($${"name": "r60_c", "depends_on": [%s],
    "commands": "INSERT INTO public.r60_order (job) VALUES ('C')"}$$, :a)::jsonb) AS c \gset
SELECT jobmon.create_job(format($${"name": "r60_d", "depends_on": [%s, %s],
    "commands": "INSERT INTO public.r60_order (job) VALUES ('D')"}$$, :b, :c)::jsonb) AS d \gset
SELECT is((SELECT depends_on FROM jobmon.jobmon_job WHERE job_id = :b), ARRAY[:a]::bigint[],
          'depends_on by name stores the id of the named job');
SELECT is((SELECT depends_on FROM jobmon.jobmon_job WHERE job_id = :d), ARRAY[:b, :c]::bigint[],
          'depends_on by ids stores them');
SELECT is((SELECT count(*)::int FROM jobmon.jobmon_run WHERE job_id IN (:b, :c, :d)), 0,
          'jobs waiting for a dependency have no run before it ran');

SELECT jobmon.run_job(:a) AS run \gset
SELECT is(jobmon.wait_for_run(:run, '30 seconds'), 'success', 'diamond: run_job(A) succeeds');
SELECT ok(pg_temp.wait_until(pg_temp.settled('r60_d', 1)), 'diamond: D runs after one run of A');
SELECT results_eq($$SELECT job_name, count(*)::int, bool_and(status = 'success') FROM jobmon.jobmon_run
                    WHERE job_name IN ('r60_a', 'r60_b', 'r60_c', 'r60_d') GROUP BY job_name ORDER BY job_name$$,
                  $$VALUES ('r60_a', 1, true), ('r60_b', 1, true), ('r60_c', 1, true), ('r60_d', 1, true)$$,
                  'diamond: each job ran exactly once, successfully');
-- A worker that ends a run may start the next in the same transaction:
-- then both carry the same time.
SELECT ok((pg_temp.nth_run('r60_b', 1)).started_at >= (pg_temp.nth_run('r60_a', 1)).finished_at,
          'B started after A finished');
SELECT ok((pg_temp.nth_run('r60_c', 1)).started_at >= (pg_temp.nth_run('r60_a', 1)).finished_at,
          'C started after A finished');
SELECT ok((pg_temp.nth_run('r60_d', 1)).started_at >= (pg_temp.nth_run('r60_b', 1)).finished_at,
          'D started after B finished');
SELECT ok((pg_temp.nth_run('r60_d', 1)).started_at >= (pg_temp.nth_run('r60_c', 1)).finished_at,
          'D started after C finished');
SELECT matches((SELECT string_agg(job, '' ORDER BY seq) FROM public.r60_order), '^A(BC|CB)D$',
               'what the jobs wrote: A first, then B and C, then D');

SELECT jobmon.run_job(:a) AS run \gset
SELECT is(jobmon.wait_for_run(:run, '30 seconds'), 'success', 'diamond: a second run_job(A) succeeds');
SELECT ok(pg_temp.wait_until(pg_temp.settled('r60_d', 2)), 'diamond: D runs a second time');
SELECT results_eq($$SELECT job_name, count(*)::int, bool_and(status = 'success') FROM jobmon.jobmon_run
                    WHERE job_name IN ('r60_a', 'r60_b', 'r60_c', 'r60_d') GROUP BY job_name ORDER BY job_name$$,
                  $$VALUES ('r60_a', 2, true), ('r60_b', 2, true), ('r60_c', 2, true), ('r60_d', 2, true)$$,
                  'diamond: after two runs of A, two runs of each job');
SELECT matches((SELECT string_agg(job, '' ORDER BY seq) FROM public.r60_order), '^A(BC|CB)DA(BC|CB)D$',
               'the second round ran in the same order, after the first');
SELECT ok((pg_temp.nth_run('r60_d', 2)).started_at >= greatest((pg_temp.nth_run('r60_b', 2)).finished_at,
                                                              (pg_temp.nth_run('r60_c', 2)).finished_at)
          AND least((pg_temp.nth_run('r60_b', 2)).started_at, (pg_temp.nth_run('r60_c', 2)).started_at)
              >= (pg_temp.nth_run('r60_a', 2)).finished_at,
          'second round: B and C after A, D after both');

-- B fails: D does not run; C still does.
SELECT jobmon.set_job_attribute(:b, 'commands', $q$DO $d$BEGIN RAISE EXCEPTION 'r60 B fails'; END$d$$q$) \g /dev/null
SELECT jobmon.run_job(:a) AS run \gset
SELECT is(jobmon.wait_for_run(:run, '30 seconds'), 'success', 'a third run of A succeeds');
SELECT ok(pg_temp.wait_until($$SELECT pg_temp.finished_runs('r60_b') = 3 AND pg_temp.finished_runs('r60_c') = 3$$),
          'B and C ran a third time');
SELECT is((pg_temp.nth_run('r60_b', 3)).status, 'failure', 'that run of B failed');
SELECT is((pg_temp.nth_run('r60_c', 3)).status, 'success', 'C still ran, and succeeded');
SELECT is((SELECT count(*)::int FROM jobmon.jobmon_run WHERE job_name = 'r60_d'), 2,
          'D did not run after B failed (still two runs)');

-------------------------------------------------------------------------------
-- A cron job (every second) depending on a job that has not succeeded since
-- its last run: each fire time is a skipped run, until the dependency runs.
SELECT jobmon.create_job($${"name": "r60_x", "commands": "SELECT 1"}$$) AS x \gset
SELECT jobmon.create_job(format($${"name": "r60_e", "cron": "* * * * * *", "depends_on": [%s],
    "commands": "INSERT INTO public.r60_order (job) VALUES ('E')"}$$, :x)::jsonb) AS e \gset
SELECT ok(pg_temp.wait_until($$SELECT count(*) >= 2 FROM jobmon.jobmon_run WHERE job_name = 'r60_e'$$),
          'the cron job fires while its dependency has not run');
SELECT jobmon.run_job(:x) AS x_run \gset
SELECT is(jobmon.wait_for_run(:x_run, '30 seconds'), 'success', 'then its dependency succeeds (run_job)');
SELECT is((SELECT count(*)::int FROM jobmon.jobmon_run WHERE job_name = 'r60_e' AND due_at < (pg_temp.run(:x_run)).started_at
             AND NOT (status = 'skipped' AND reason LIKE 'dependencies not met%')),
          0, 'every fire time before the dependency ran is skipped, the reason starting ''dependencies not met''');
SELECT matches((pg_temp.nth_run('r60_e', 1)).reason,
               format('^dependencies not met: pending: job %s "r60_x" has not finished a run since ', :x),
               'the reason names the dependency');
SELECT ok(pg_temp.wait_until($$SELECT EXISTS (SELECT FROM jobmon.jobmon_run WHERE job_name = 'r60_e' AND status = 'success')$$),
          'once the dependency succeeded, the cron job runs');
-- (A margin of 0.2 s past the dependency's end: the dispatcher plans a fire time
-- 50 ms before it is due, and the end must be committed by then.)
SELECT is((SELECT status FROM jobmon.jobmon_run WHERE job_name = 'r60_e'
           AND due_at > (pg_temp.run(:x_run)).finished_at + interval '0.2 seconds' ORDER BY due_at LIMIT 1),
          'success', 'the next fire time after the dependency succeeded runs');
SELECT ok(pg_temp.wait_until($$SELECT EXISTS (SELECT FROM jobmon.jobmon_run s, jobmon.jobmon_run r
                               WHERE s.job_name = 'r60_e' AND r.job_name = 'r60_e' AND r.status = 'success'
                                 AND s.status = 'skipped' AND s.due_at > r.due_at
                                 AND s.reason LIKE 'dependencies not met%')$$),
          'after its run, the cron job skips again until the dependency succeeds again');
SELECT jobmon.deactivate_job(:e) \g /dev/null
SELECT is((SELECT count(*)::int FROM jobmon.jobmon_run WHERE job_name = 'r60_e' AND status = 'success'), 1,
          'the cron job ran once for one success of its dependency');

-------------------------------------------------------------------------------
-- Cycles are refused when depends_on is set, with the path in DETAIL.
SELECT jobmon.create_job('{"name": "r60_k1", "commands": "SELECT 1"}') AS k1 \gset
SELECT jobmon.create_job('{"name": "r60_k2", "commands": "SELECT 1"}') AS k2 \gset
SELECT jobmon.create_job('{"name": "r60_k3", "commands": "SELECT 1"}') AS k3 \gset
SELECT is(pg_temp.error_of(format($$SELECT jobmon.set_job_attributes(%s, '{"depends_on": [%s]}')$$, :k1, :k1))::text,
          ARRAY['22023', format('dependencies of job %s would form a cycle', :k1),
                format('set_job_attributes() got depends_on {%s}; job %s would wait for itself through %s -> %s.',
                       :k1, :k1, :k1, :k1),
                'Remove one of the jobs on that path from depends_on.']::text,
          'a job depending on itself: 22023, the path in DETAIL');
SELECT lives_ok(format($$SELECT jobmon.set_job_attributes(%s, '{"depends_on": [%s]}')$$, :k2, :k1),
                'k2 depends on k1');
SELECT is((pg_temp.error_of(format($$SELECT jobmon.set_job_attributes(%s, '{"depends_on": [%s]}')$$, :k1, :k2)))[1:3]::text,
          ARRAY['22023', format('dependencies of job %s would form a cycle', :k1),
                format('set_job_attributes() got depends_on {%s}; job %s would wait for itself through %s -> %s -> %s.',
                       :k2, :k1, :k1, :k2, :k1)]::text,
          'k1 -> k2 -> k1: 22023, the path in DETAIL');
SELECT lives_ok(format($$SELECT jobmon.set_job_attributes(%s, '{"depends_on": ["r60_k2"]}')$$, :k3),
                'k3 depends on k2 (by name)');
SELECT is((pg_temp.error_of(format($$SELECT jobmon.set_job_attribute(%s, 'depends_on', '[%s]')$$, :k1, :k3)))[1:3]::text,
          ARRAY['22023', format('dependencies of job %s would form a cycle', :k1),
                format('set_job_attributes() got depends_on {%s}; job %s would wait for itself through %s -> %s -> %s -> %s.',
                       :k3, :k1, :k1, :k3, :k2, :k1)]::text,
          'a 3-cycle k1 -> k3 -> k2 -> k1 through set_job_attribute: 22023, the path in DETAIL');
SELECT is((SELECT depends_on FROM jobmon.jobmon_job WHERE job_id = :k1), NULL, 'the refused changes left k1 without dependencies');

-- Unknown jobs.
SELECT last_value + 1000 AS no_job FROM jobmon.jobmon_job_job_id_seq \gset
SELECT is((pg_temp.error_of(format($$SELECT jobmon.create_job('{"name": "r60_u", "commands": "SELECT 1", "depends_on": [%s]}')$$,
                                   :no_job)))[1], '42704', 'depends_on an unknown job id: 42704');
SELECT is((pg_temp.error_of($$SELECT jobmon.create_job('{"name": "r60_u", "commands": "SELECT 1", "depends_on": ["r60_nope"]}')$$))[1],
          '42704', 'depends_on an unknown job name: 42704');
SELECT is((SELECT count(*)::int FROM jobmon.jobmon_job WHERE name = 'r60_u'), 0, 'and no job was created');

-- A job others depend on is not dropped from under them.
SELECT is((pg_temp.error_of(format('SELECT jobmon.drop_job(%s)', :k1)))[1:3]::text,
          ARRAY['2BP01', format('cannot drop job %s because other jobs depend on it', :k1),
                format('Jobs depending on it: %s "r60_k2".', :k2)]::text,
          'drop_job of a job another depends on: 2BP01, the dependants in DETAIL');
SELECT jobmon.set_job_attribute(:k2, 'depends_on', NULL) \g /dev/null
SELECT is((SELECT depends_on FROM jobmon.jobmon_job WHERE job_id = :k2), NULL, 'set_job_attribute(depends_on, NULL) clears it');
SELECT lives_ok(format('SELECT jobmon.drop_job(%s)', :k1), 'then the job drops');
SELECT is((SELECT count(*)::int FROM jobmon.jobmon_job WHERE job_id = :k1), 0, 'and is gone');

-------------------------------------------------------------------------------
-- Retries.  Four jobs at once: one always fails (retries 2, 1 s, backoff 2),
-- one fails once, one has its delay capped, one times out.
SELECT jobmon.create_job($${"name": "r60_retry", "retries": 2, "retry_delay": "1 second", "retry_backoff": 2,
    "commands": "DO $d$BEGIN RAISE EXCEPTION 'r60 always fails'; END$d$"}$$) AS retry_job \gset
SELECT jobmon.create_job($${"name": "r60_once", "retries": 2, "retry_delay": "1 second",
    "commands": ["INSERT INTO public.r60_count VALUES (1)",
                 "DO $d$BEGIN IF (SELECT count(*) FROM public.r60_count) < 2 THEN RAISE EXCEPTION 'r60 first attempt fails'; END IF; END$d$"]}$$)
    AS once_job \gset
SELECT jobmon.create_job($${"name": "r60_cap", "retries": 3, "retry_delay": "1 second", "retry_backoff": 10,
    "max_retry_delay": "2 seconds", "commands": "SELECT 1/0"}$$) AS cap_job \gset
SELECT jobmon.create_job($${"name": "r60_timeout", "retries": 1, "retry_delay": "1 second", "max_run_time": "1 second",
    "commands": "SELECT pg_sleep(10)"}$$) AS timeout_job \gset
SELECT jobmon.run_job(:retry_job) \g /dev/null
SELECT jobmon.run_job(:once_job) \g /dev/null
SELECT jobmon.run_job(:cap_job) \g /dev/null
SELECT jobmon.run_job(:timeout_job) \g /dev/null

SELECT ok(pg_temp.wait_until(pg_temp.settled('r60_retry', 3)), 'retries 2: the failing job ends');
SELECT results_eq($$SELECT attempt, status FROM jobmon.jobmon_run WHERE job_name = 'r60_retry' ORDER BY run_id$$,
                  $$VALUES (1, 'failure'), (2, 'failure'), (3, 'failure')$$,
                  'retries 2: three attempts, 1, 2 and 3, all failed');
SELECT ok(pg_temp.retry_gap('r60_retry', 1) BETWEEN 1 AND 2,
          'attempt 2 is due retry_delay (1 s) after attempt 1 ended');
SELECT ok(pg_temp.retry_gap('r60_retry', 2) BETWEEN 2 AND 3,
          'attempt 3 is due retry_delay * retry_backoff (2 s) after attempt 2 ended');
SELECT is((SELECT count(*)::int FROM jobmon.jobmon_run WHERE job_name = 'r60_retry' AND attempt > 1 AND started_at >= due_at), 2,
          'the retries did not start before they were due');
SELECT results_eq($$SELECT l.status FROM jobmon.jobmon_run r JOIN jobmon.job_log l ON l.job_id = r.log_id
                    WHERE r.job_name = 'r60_retry' ORDER BY r.run_id$$,
                  $$VALUES ('RETRYING'), ('RETRYING'), ('CRITICAL')$$,
                  'job_log: the attempts before the last are RETRYING, the last CRITICAL');
SELECT results_eq(format($$SELECT d.action, d.status FROM jobmon.job_detail d WHERE d.job_id = %s ORDER BY d.step_id DESC LIMIT 1$$,
                         (pg_temp.nth_run('r60_retry', 1)).log_id),
                  $$VALUES ('retry', 'RETRYING')$$, 'a retried attempt ends with a step ''retry''');
SELECT results_eq($$SELECT job_id, alert_code FROM jobmon.job_check_log WHERE job_name = 'R60_RETRY'$$,
                  format('VALUES (%s::bigint, 3)', (pg_temp.nth_run('r60_retry', 3)).log_id),
                  'job_check_log: one failure, the last attempt''s (CRITICAL), none for the retried ones');
SELECT is((SELECT count(*)::int FROM jobmon.check_job_status() WHERE job_name = 'R60_RETRY'), 0,
          'check_job_status() counts one failure, not three (unconfigured jobs are reported after more than 2)');

SELECT ok(pg_temp.wait_until(pg_temp.settled('r60_once', 1)), 'the job failing once ends');
SELECT results_eq($$SELECT attempt, status FROM jobmon.jobmon_run WHERE job_name = 'r60_once' ORDER BY run_id$$,
                  $$VALUES (1, 'failure'), (2, 'success')$$, 'it failed at attempt 1 and succeeded at attempt 2');
SELECT is((SELECT l.status FROM jobmon.job_log l WHERE l.job_id = (pg_temp.nth_run('r60_once', 1)).log_id), 'RETRYING',
          'its first attempt is RETRYING in job_log');
SELECT is((SELECT count(*)::int FROM jobmon.check_job_status() WHERE job_name = 'R60_ONCE'), 0,
          'check_job_status() reports no failure for it (monitored with sensitivity 0)');

SELECT ok(pg_temp.wait_until(pg_temp.settled('r60_cap', 4)), 'the job with max_retry_delay ends');
SELECT results_eq($$SELECT attempt FROM jobmon.jobmon_run WHERE job_name = 'r60_cap' ORDER BY run_id$$,
                  $$VALUES (1), (2), (3), (4)$$, 'retries 3: four attempts');
SELECT ok(pg_temp.retry_gap('r60_cap', 1) BETWEEN 1 AND 2, 'max_retry_delay: the first gap is retry_delay (1 s)');
SELECT ok(pg_temp.retry_gap('r60_cap', 2) BETWEEN 2 AND 3, 'the second (10 s by backoff) is capped at 2 s');
SELECT ok(pg_temp.retry_gap('r60_cap', 3) BETWEEN 2 AND 3, 'the third (100 s by backoff) is capped at 2 s');

SELECT ok(pg_temp.wait_until(pg_temp.settled('r60_timeout', 2)), 'the timing-out job ends');
SELECT results_eq($$SELECT attempt, status FROM jobmon.jobmon_run WHERE job_name = 'r60_timeout' ORDER BY run_id$$,
                  $$VALUES (1, 'timeout'), (2, 'timeout')$$, 'a timed-out run is retried');

-- A run cancelled with cancel_job() is not retried.
SELECT jobmon.create_job($${"name": "r60_cancel", "retries": 2, "retry_delay": "1 second",
    "commands": "SELECT pg_sleep(10)"}$$) AS cancel_job \gset
SELECT jobmon.run_job(:cancel_job) AS run \gset
SELECT ok(pg_temp.wait_until(format($$SELECT status = 'running' FROM jobmon.jobmon_run WHERE run_id = %s$$, :run)),
          'the run to cancel is running');
SELECT ok(jobmon.cancel_job((pg_temp.run(:run)).log_id), 'cancel_job() signals it');
SELECT is(jobmon.wait_for_run(:run, '30 seconds'), 'cancelled', 'it ends as cancelled');
SELECT is((SELECT count(*)::int FROM jobmon.jobmon_run WHERE job_name = 'r60_cancel'), 1, 'and is not retried');

-- Bad retry options.
SELECT throws_ok($$SELECT jobmon.create_job('{"name": "r60_bad", "commands": "SELECT 1", "retries": -1}')$$,
                 '22023', NULL, 'retries -1: 22023');
SELECT throws_ok($$SELECT jobmon.create_job('{"name": "r60_bad", "commands": "SELECT 1", "retry_backoff": 0.5}')$$,
                 '22023', NULL, 'retry_backoff 0.5: 22023');
SELECT throws_ok($$SELECT jobmon.create_job('{"name": "r60_bad", "commands": "SELECT 1", "retry_delay": "0"}')$$,
                 '22023', NULL, 'retry_delay ''0'': 22023');

-------------------------------------------------------------------------------
-- Retries and runs started by a dependency record their job's kind too
-- (jobmon_run.oneoff, 2.3.0).
SELECT is((SELECT count(*) FROM jobmon.jobmon_run r JOIN jobmon.jobmon_job j USING (job_id)
           WHERE r.job_name LIKE 'r60_%' AND r.oneoff IS DISTINCT FROM j.oneoff), 0::bigint,
          'every run, retries and dependants included, records the kind of its job');

-------------------------------------------------------------------------------
CALL pg_temp.tick_stop();
SELECT pg_temp.test_cleanup('r60_') \g /dev/null
SELECT is((SELECT count(*)::int FROM jobmon.jobmon_job WHERE name LIKE 'r60\_%'), 0, 'clean-up drops every job of this file');
SELECT * FROM finish();
DELETE FROM jobmon.job_check_config WHERE job_name = 'r60_once';
DELETE FROM jobmon.job_check_log WHERE job_name LIKE 'R60\_%';
DROP TABLE public.r60_order, public.r60_count;
