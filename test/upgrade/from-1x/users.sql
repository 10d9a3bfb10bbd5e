-- What users built on pg_jobmon's tables (test/upgrade/from-1x.sh): grants,
-- an index, a constraint, a trigger, views (one in the extension's schema,
-- one on a function, views on views, materialized views).  Run on the 1.x
-- database before the update and on the fresh install it is compared with.
-- The roles exist already.
SET client_min_messages = warning;

GRANT USAGE ON SCHEMA jobmon TO jobmon_1x_reader, jobmon_1x_reporter;
GRANT SELECT ON jobmon.job_log TO jobmon_1x_reader;
GRANT SELECT, DELETE ON jobmon.job_log TO jobmon_1x_reporter WITH GRANT OPTION;
GRANT SELECT (job_id, step_id, status) ON jobmon.job_detail TO jobmon_1x_reader;
GRANT SELECT ON jobmon.job_detail, jobmon.job_check_log TO jobmon_1x_reporter;
GRANT SELECT, UPDATE ON jobmon.job_check_config TO jobmon_1x_reporter;
GRANT SELECT ON jobmon.job_status_text TO PUBLIC;
GRANT USAGE ON SEQUENCE jobmon.job_log_job_id_seq TO jobmon_1x_reporter;
CREATE INDEX job_log_owner_idx ON jobmon.job_log (owner);
ALTER TABLE jobmon.job_log ADD CONSTRAINT job_log_pid_positive CHECK (pid > 0);

CREATE SCHEMA reports AUTHORIZATION jobmon_1x_reporter;
GRANT USAGE ON SCHEMA reports TO jobmon_1x_reader;
CREATE VIEW reports.job_runs AS
    SELECT job_name, count(*) AS runs, count(*) FILTER (WHERE status = 'FAILED') AS failed,
           max(end_time) AS last_end
    FROM jobmon.job_log GROUP BY job_name;
ALTER VIEW reports.job_runs OWNER TO jobmon_1x_reporter;
COMMENT ON VIEW reports.job_runs IS 'runs per job';
COMMENT ON COLUMN reports.job_runs.failed IS 'runs that ended FAILED';
CREATE VIEW reports.failing_jobs WITH (security_barrier) AS
    SELECT job_name, failed FROM reports.job_runs WHERE failed > 0;
ALTER VIEW reports.failing_jobs OWNER TO jobmon_1x_reporter;
GRANT SELECT ON reports.failing_jobs TO jobmon_1x_reader;
CREATE VIEW reports.worst AS SELECT job_name FROM reports.failing_jobs ORDER BY failed DESC, job_name LIMIT 1;
CREATE VIEW reports.failed_steps AS
    SELECT l.job_name, d.step_id, d.action, d.status
    FROM jobmon.job_detail d JOIN jobmon.job_log l USING (job_id)
    WHERE l.status <> 'OK';
CREATE VIEW reports.failed_runs AS
    SELECT job_id, job_name FROM jobmon.show_job_status('FAILED', 100000);
-- (its fillfactor, written as a string whose number depends on quoting)
CREATE MATERIALIZED VIEW reports.jobs_per_day WITH (fillfactor = '062') AS
    SELECT start_time::date AS day, count(*) AS jobs FROM jobmon.job_log GROUP BY 1;
CREATE UNIQUE INDEX jobs_per_day_day ON reports.jobs_per_day (day);
GRANT SELECT ON reports.jobs_per_day TO jobmon_1x_reader;
CREATE VIEW jobmon.running_report AS
    SELECT job_id, job_name, start_time FROM jobmon.job_log WHERE end_time IS NULL;
ALTER VIEW jobmon.running_report ALTER COLUMN job_name SET DEFAULT 'ADDED BY HAND';
CREATE FUNCTION reports.count_new_jobs() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RETURN NULL;
END
$$;
CREATE TRIGGER count_new_jobs AFTER INSERT ON jobmon.job_log
FOR EACH STATEMENT EXECUTE FUNCTION reports.count_new_jobs();
-- A materialized view of an unprivileged role: the update must fill it
-- anew as that role, never as the superuser running the update.
SET ROLE jobmon_1x_reporter;
CREATE FUNCTION reports.caller() RETURNS name LANGUAGE sql STABLE AS 'SELECT current_user';
CREATE MATERIALIZED VIEW reports.refreshed_by AS
    SELECT reports.caller() AS who, count(*) AS jobs FROM jobmon.job_log;
RESET ROLE;
-- An unprivileged role's view that runs its code when parsed: a literal of
-- a type whose domain's CHECK calls the role's function.  The update must
-- parse it as that role, never as the superuser running the update (who
-- would otherwise run the role's code: it could make itself a superuser).
-- The function notes who parsed it.
SET ROLE jobmon_1x_reporter;
CREATE TABLE reports.parsed_by (who name, superuser boolean);
CREATE FUNCTION reports.note_parser(text) RETURNS boolean LANGUAGE sql AS $$
    INSERT INTO reports.parsed_by SELECT current_user, r.rolsuper FROM pg_roles r WHERE r.rolname = current_user
    RETURNING true
$$;
CREATE DOMAIN reports.noted AS text CHECK (reports.note_parser(VALUE));
CREATE TYPE reports.noted_row AS (x reports.noted);
CREATE VIEW reports.job_ids_noted AS SELECT l.job_id, '(a)'::reports.noted_row AS noted FROM jobmon.job_log l;
RESET ROLE;
