-- The "make demo" tour of pg_jobmon's logging and monitoring.
\pset footer off
\pset null '(null)'
SET client_min_messages = warning;

\echo
\echo '== A nightly job with three steps; the second one fails, inside a transaction that rolls back'
\echo
CREATE TABLE public.orders (id int PRIMARY KEY, qty int NOT NULL CHECK (qty > 0));

CREATE FUNCTION public.nightly_load() RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v_job  bigint := jobmon.add_job('nightly load');
    v_step bigint;
BEGIN
    v_step := jobmon.add_step(v_job, 'load new orders');
    INSERT INTO public.orders SELECT g, g FROM generate_series(1, 100) g;
    PERFORM jobmon.update_step(v_step, 'OK', 'loaded 100 orders');

    v_step := jobmon.add_step(v_job, 'apply returns');
    BEGIN
        UPDATE public.orders SET qty = qty - 5 WHERE id <= 10;
        PERFORM jobmon.update_step(v_step, 'OK', 'applied returns');
    EXCEPTION WHEN check_violation THEN
        -- One call records the whole error: SQLSTATE, detail, table, constraint...
        PERFORM jobmon.log_error(v_step);
    END;

    v_step := jobmon.add_step(v_job, 'refresh totals');
    PERFORM jobmon.update_step(v_step, 'OK', 'done');
    PERFORM jobmon.fail_job(v_job);   -- a step failed: the job is CRITICAL
END $$;

BEGIN;
DO $$ BEGIN PERFORM public.nightly_load(); END $$;
ROLLBACK;   -- the caller's work is undone; the log is not

\echo
\echo '== show_job: the job survived the ROLLBACK'
SELECT job_id, owner, job_name, status, end_time - start_time AS took FROM jobmon.show_job('nightly load');

\echo '== show_detail: its steps'
SELECT step_id, action, status, message, elapsed_time FROM jobmon.show_detail('nightly load');

\echo '== show_events: the failure, with the fields of a PostgreSQL error'
SELECT e.severity, e.sqlstate, e.message, e.detail, e.table_name, e.constraint_name
FROM jobmon.show_job('nightly load', 1) j, jobmon.show_events(j.job_id) e;

\echo '== sql_job: a one-statement job, and one that fails'
SELECT jobmon.sql_job('vacuum orders', 'ANALYZE public.orders');
SELECT jobmon.sql_job('purge orders', 'DELETE FROM public.no_such_table');

\echo
\echo '== check_job_status: fine after one failure of an unmonitored job...'
SELECT * FROM jobmon.check_job_status();
BEGIN;
DO $$ BEGIN PERFORM public.nightly_load(); END $$;
ROLLBACK;
BEGIN;
DO $$ BEGIN PERFORM public.nightly_load(); END $$;
ROLLBACK;
\echo '== ...alerting after three failures in a row'
SELECT * FROM jobmon.check_job_status();

\echo '== ...and a monitored job that should run hourly but has not'
INSERT INTO jobmon.job_check_config (job_name, warn_threshold, error_threshold, active)
VALUES ('HOURLY ROLLUP', '1 hour', '2 hours', true);
SELECT * FROM jobmon.check_job_status();
