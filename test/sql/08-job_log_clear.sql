-- job_log_clear deletes old jobs with their steps and events.
\ir ../setup.sql
BEGIN;
SELECT plan(6);

DELETE FROM jobmon.job_log;
INSERT INTO jobmon.job_log (job_id, owner, job_name, start_time, end_time, status, pid) VALUES
    (201, 'u', 'OLD', now() - interval '40 days', now() - interval '40 days', 'OK', 1),
    (202, 'u', 'RECENT', now() - interval '10 days', now() - interval '10 days', 'OK', 1);
INSERT INTO jobmon.job_detail (job_id, step_id, action, start_time) VALUES
    (201, 2001, 'old step', now()), (202, 2002, 'recent step', now());
INSERT INTO jobmon.jobmon_event (job_id, step_id, event_time, severity, message) VALUES
    (201, 2001, now(), 'ERROR', 'old event');

SELECT lives_ok($$SELECT jobmon.job_log_clear('30 days')$$, 'job_log_clear runs');
SELECT results_eq('SELECT job_id FROM jobmon.job_log', $$VALUES (202::bigint)$$, 'jobs older than the interval are deleted');
SELECT results_eq('SELECT step_id FROM jobmon.job_detail', $$VALUES (2002::bigint)$$, 'with their steps');
SELECT is((SELECT count(*)::int FROM jobmon.jobmon_event), 0, 'and their events');
SELECT throws_ok($$SELECT jobmon.job_log_clear(NULL)$$, '22004', 'argument p_interval of job_log_clear() must not be NULL',
                 'a NULL interval is an error');
SELECT throws_ok($$SELECT jobmon.job_log_clear('-1 day')$$, '22023', 'interval must not be negative',
                 'a negative interval is an error');

SELECT * FROM finish();
ROLLBACK;
