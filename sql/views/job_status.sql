-- Views of one-off jobs (submit_job), with pgpro_scheduler's columns:
-- job_status shows the reader's own jobs (owned or run as), all_job_status
-- every job the reader may see (everything, for a superuser).  The status
-- is submitted (not started yet), processing (a run under way) or done.

CREATE VIEW @extschema@.jobmon_all_job_status WITH (security_invoker = true) AS

SELECT j.job_id AS id,
       NULL::text AS node,
       j.name,
       j.comments,
       last.due_at AS run_after,
       j.commands[1] AS query,
       j.params,
       j.depends_on,
       j.run_as AS executor,
       j.owner,
       j.last_start_available AS max_wait_interval,
       runs.started AS attempt,
       j.resubmit_limit,
       j.max_run_time AS max_duration,
       j.created_at AS submit_time,
       NOT j.active AS canceled,
       last.started_at AS start_time,
       CASE WHEN last.finished_at IS NOT NULL THEN last.status = 'success' END AS is_success,
       CASE WHEN last.status <> 'success' OR last.status IS NULL THEN last.reason END AS error,
       last.finished_at AS done_time,
       CASE WHEN last.status IN ('blocked', 'waiting') THEN 'submitted'
            WHEN last.status IN ('starting', 'running') THEN 'processing'
            ELSE 'done' END AS status,
       -- pg_jobmon's own: the run's state and its job_log row (for cancel_job)
       last.status AS run_status,
       last.reason AS message,
       last.log_id
FROM @extschema@.jobmon_job j
CROSS JOIN LATERAL (
    SELECT count(*) FILTER (WHERE r.started_at IS NOT NULL) AS started
    FROM @extschema@.jobmon_run r WHERE r.job_id = j.job_id) runs
LEFT JOIN LATERAL (
    SELECT r.due_at, r.started_at, r.finished_at, r.status, r.reason, r.log_id
    FROM @extschema@.jobmon_run r
    WHERE r.job_id = j.job_id ORDER BY r.run_id DESC LIMIT 1) last ON true
WHERE j.oneoff;

CREATE VIEW @extschema@.jobmon_job_status WITH (security_invoker = true) AS

SELECT s.* FROM @extschema@.jobmon_all_job_status s
WHERE current_user IN (s.owner, s.executor);

COMMENT ON VIEW @extschema@.jobmon_all_job_status IS 'every one-off job you may see (all of them, for a superuser), pgpro_scheduler''s columns';

COMMENT ON VIEW @extschema@.jobmon_job_status IS 'your one-off jobs (owned or run as you), pgpro_scheduler''s columns';

GRANT SELECT ON @extschema@.jobmon_all_job_status, @extschema@.jobmon_job_status TO PUBLIC;
