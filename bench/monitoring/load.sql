-- The history that bench/monitoring.sh checks: :runs job_log rows (one run
-- every 138 seconds back from now, so 400 days hold about 250,000 of a
-- million) over 40 job names, :steps job_detail rows per run, and a few
-- failures.  BENCH JOB 01-30 are configured, active, with a 12-hour error
-- threshold; 36-40 have not run for 10 days (MISSING), 41-42 never ran.
-- The last 20 runs are unfinished, in backends that are gone.
SET client_min_messages = warning;
-- Bulk load: no foreign-key or RLS checks row by row (restored as usual at
-- the end of the session).
SET session_replication_role = replica;
SET synchronous_commit = off;
\o /dev/null

INSERT INTO jobmon.job_log (job_id, owner, job_name, start_time, end_time, status, pid)
SELECT i, 'bench',
       format('BENCH JOB %s', lpad((CASE WHEN n > 35 AND i <= 6300 THEN n - 5 ELSE n END)::text, 2, '0')),
       now() - i * interval '138 seconds',
       CASE WHEN i > 20 THEN now() - i * interval '138 seconds' + (i % 97) * interval '1 second' END,
       CASE WHEN i > 20 THEN 'OK' END,
       0
FROM generate_series(1, :runs) i, LATERAL (SELECT i % 40 + 1 AS n) k;
SELECT setval('jobmon.job_log_job_id_seq', :runs);

INSERT INTO jobmon.job_detail (job_id, step_id, action, start_time, end_time, elapsed_time, status, message)
SELECT j.job_id, (j.job_id - 1) * :steps + s, 'step ' || s, j.start_time, j.end_time, 1, j.status, 'Rows affected: 1'
FROM jobmon.job_log j, generate_series(1, :steps) s;
SELECT setval('jobmon.job_detail_step_id_seq', :runs::bigint * :steps);

INSERT INTO jobmon.job_check_config (job_name, warn_threshold, error_threshold, active, sensitivity)
SELECT format('BENCH JOB %s', lpad(n::text, 2, '0')), interval '3 hours', interval '12 hours', true, 0
FROM generate_series(1, 30) n
UNION ALL
SELECT format('BENCH JOB %s', n), interval '3 hours', interval '12 hours', true, 0 FROM generate_series(36, 42) n;

INSERT INTO jobmon.job_check_log (job_id, job_name, alert_code)
VALUES (1, 'BENCH UNCONFIGURED', 3), (2, 'BENCH UNCONFIGURED', 3), (3, 'BENCH UNCONFIGURED', 3),
       (4, 'BENCH JOB 07', 2);

VACUUM ANALYZE jobmon.job_log;
VACUUM ANALYZE jobmon.job_detail;
VACUUM ANALYZE jobmon.job_check_config;
VACUUM ANALYZE jobmon.job_check_log;
\o
