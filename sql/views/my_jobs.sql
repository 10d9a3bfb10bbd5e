-- Views of the scheduler for people: each shows only what the reader may
-- see (security_invoker, so the tables' row-level security applies).

-- Like systemctl list-timers: when each job runs next and last, and how.
CREATE VIEW @extschema@.jobmon_timers WITH (security_invoker = true) AS

SELECT n.next_run,
       date_trunc('second', n.next_run - now()) AS time_left,
       l.started_at AS last_run,
       date_trunc('second', now() - l.started_at) AS time_since,
       coalesce(l.status, 'never run') AS last_status,
       j.job_id,
       j.name AS job_name,
       CASE WHEN j.broken_reason IS NOT NULL THEN 'broken: ' || j.broken_reason
            WHEN NOT j.active THEN 'inactive'
            ELSE n.schedule END AS schedule
FROM @extschema@.jobmon_job j
LEFT JOIN LATERAL (
    SELECT min(s.next_fire) AS next_run,
           string_agg(CASE WHEN s.cron IS NOT NULL THEN @extschema@.cron_describe(s.cron)
                           ELSE 'at ' || array_to_string(s.dates, ', ') END
                      || CASE WHEN s.enabled THEN '' ELSE ' (disabled)' END,
                      '; ' ORDER BY s.schedule_id) AS schedule
    FROM @extschema@.jobmon_schedule s WHERE s.job_id = j.job_id) n ON true
LEFT JOIN LATERAL (
    SELECT r.started_at, r.status FROM @extschema@.jobmon_run r
    WHERE r.job_id = j.job_id AND r.started_at IS NOT NULL
    ORDER BY r.run_id DESC LIMIT 1) l ON true
WHERE NOT j.oneoff
ORDER BY n.next_run NULLS LAST, j.job_id;

COMMENT ON VIEW @extschema@.jobmon_timers IS 'next and last run of every job you can see, like systemctl list-timers';

-- The periodic jobs a role owns or that run as it, with their schedules
-- (one-off jobs are in job_status).
CREATE VIEW @extschema@.jobmon_my_jobs WITH (security_invoker = true) AS

SELECT j.job_id, j.name, j.owner, j.run_as, j.commands, j.use_same_transaction,
       j.comments, j.start_date, j.end_date, j.last_start_available, j.max_instances,
       j.max_run_time, j.onrollback, j.next_time_statement, j.timezone, j.on_overlap,
       j.on_missed, j.missed_limit, j.capture_level, j.active, j.broken_reason, j.created_at,
       (SELECT min(s.next_fire) FROM @extschema@.jobmon_schedule s WHERE s.job_id = j.job_id) AS next_run,
       (SELECT array_agg(s.cron ORDER BY s.schedule_id) FROM @extschema@.jobmon_schedule s
        WHERE s.job_id = j.job_id AND s.cron IS NOT NULL) AS crons,
       (SELECT array_agg(d ORDER BY d) FROM @extschema@.jobmon_schedule s, unnest(s.dates) d
        WHERE s.job_id = j.job_id) AS dates,
       j.depends_on, j.retries, j.retry_delay, j.retry_backoff, j.max_retry_delay
FROM @extschema@.jobmon_job j
WHERE NOT j.oneoff;

COMMENT ON VIEW @extschema@.jobmon_my_jobs IS 'the scheduled jobs you own or that run as you';

-- Their runs, newest first; log_id is the run's job_log row.
CREATE VIEW @extschema@.jobmon_my_log WITH (security_invoker = true) AS

SELECT r.run_id, r.job_id, r.job_name, r.run_as, r.due_at, r.started_at, r.finished_at,
       r.finished_at - r.started_at AS duration, r.status, r.reason, r.log_id, r.attempt
FROM @extschema@.jobmon_run r
ORDER BY r.run_id DESC;

COMMENT ON VIEW @extschema@.jobmon_my_log IS 'the runs of the jobs you own or that run as you, newest first';

GRANT SELECT ON @extschema@.jobmon_timers, @extschema@.jobmon_my_jobs, @extschema@.jobmon_my_log TO PUBLIC;
