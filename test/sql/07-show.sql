-- The show_* readers: matching (case-insensitive), order (newest first)
-- and limits.  Runs on jobs inserted in this transaction only.
\ir ../setup.sql
BEGIN;
SELECT plan(14);

-- Start from an empty log inside this transaction (rolled back at the end).
DELETE FROM jobmon.job_log;
INSERT INTO jobmon.job_log (job_id, owner, job_name, start_time, end_time, status, pid) VALUES
    (101, 'u', 'NIGHTLY LOAD', now() - interval '3 days', now() - interval '3 days', 'OK', 1),
    (102, 'u', 'NIGHTLY LOAD', now() - interval '2 days', now() - interval '2 days', 'CRITICAL', 1),
    (103, 'u', 'NIGHTLY LOAD', now() - interval '1 day', now() - interval '1 day', 'OK', 1),
    (104, 'u', 'HOURLY ROLLUP', now() - interval '1 hour', now() - interval '1 hour', 'WARNING', 1),
    (105, 'u', 'HOURLY ROLLUP', now() - interval '1 minute', NULL, NULL, pg_backend_pid()),
    (106, 'u', 'DEAD SESSION', now() - interval '1 minute', NULL, NULL, 0);
INSERT INTO jobmon.job_detail (job_id, step_id, action, start_time, status) VALUES
    (101, 1001, 'a', now(), 'OK'), (102, 1002, 'b1', now(), 'OK'), (102, 1003, 'b2', now(), 'CRITICAL'),
    (103, 1004, 'c', now(), 'OK');

SELECT results_eq($$SELECT job_id FROM jobmon.show_job('nightly load')$$, $$VALUES (103::bigint), (102), (101)$$,
                  'show_job matches the name case-insensitively, newest first');
SELECT results_eq($$SELECT job_id FROM jobmon.show_job('Nightly Load', 2)$$, $$VALUES (103::bigint), (102)$$,
                  'show_job takes a limit');
SELECT is((SELECT count(*)::int FROM jobmon.show_job('nightly')), 0, 'show_job matches the whole name only');
SELECT results_eq($$SELECT job_id FROM jobmon.show_job_like('nightly|rollup')$$,
                  $$VALUES (105::bigint), (104), (103), (102), (101)$$,
                  'show_job_like matches a regular expression, case-insensitively');
SELECT results_eq($$SELECT job_id FROM jobmon.show_job_like('^hourly', 1)$$, $$VALUES (105::bigint)$$,
                  'show_job_like takes a limit');
SELECT results_eq($$SELECT job_id FROM jobmon.show_job_status('ok')$$, $$VALUES (103::bigint), (101)$$,
                  'show_job_status matches the status case-insensitively');
SELECT results_eq($$SELECT job_id FROM jobmon.show_job_status('nightly load', 'critical')$$, $$VALUES (102::bigint)$$,
                  'show_job_status(name, status) matches both');
SELECT results_eq($$SELECT job_id FROM jobmon.show_job_status('OK', 1)$$, $$VALUES (103::bigint)$$,
                  'show_job_status takes a limit');
SELECT results_eq($$SELECT step_id FROM jobmon.show_detail(102)$$, $$VALUES (1002::bigint), (1003)$$,
                  'show_detail(id) lists the job''s steps in order');
SELECT results_eq($$SELECT step_id FROM jobmon.show_detail('nightly load')$$, $$VALUES (1004::bigint)$$,
                  'show_detail(name) lists the steps of the newest job of that name');
SELECT results_eq($$SELECT job_id, step_id FROM jobmon.show_detail('nightly load', 2)$$,
                  $$VALUES (103::bigint, 1004::bigint), (102, 1002), (102, 1003)$$,
                  'show_detail(name, n) lists the steps of the newest n jobs, newest job first');
SELECT results_eq($$SELECT job_id FROM jobmon.show_running()$$, $$VALUES (105::bigint)$$,
                  'show_running lists unfinished jobs whose backend is alive');
SELECT is((SELECT count(*)::int FROM jobmon.show_running(0)), 0, 'show_running takes a limit');
SELECT throws_ok($$SELECT * FROM jobmon.show_job_like('(')$$, '2201B', NULL,
                 'show_job_like with an invalid regular expression is an error');

SELECT * FROM finish();
ROLLBACK;
