-- Who may execute what.  Every function whose name starts with "_" is
-- internal: PUBLIC may not execute it, except the few below, which run in
-- the caller's own right on the way of what any role may do (the logging
-- API, the row-level security of the log, the first checks of the
-- superuser-only functions, so that they fail with their own message).
-- The dispatcher's procedure is the superusers'.  Last in the install
-- script, so that it covers every function above; test/sql/20-security-
-- reviewed-surfaces.sql lists the result.
DO $privileges$
DECLARE
    v_function regprocedure;
BEGIN
    FOR v_function IN
        SELECT p.oid FROM pg_catalog.pg_proc p
        WHERE p.pronamespace = '@extschema@'::regnamespace
          AND p.proname LIKE '\_%'
          AND p.proname NOT IN (
              -- the logging API
              '_null_id', '_null_argument', '_setting', '_job_not_found', '_step_not_found',
              '_handled_error', '_log_step_error', '_log_send_job_open', '_log_send_step_open',
              '_log_send_step_close', '_log_send_job_close', '_log_send_event',
              '_log_send_step_failed', '_sql_step', '_sql_job', '_sql_execute',
              -- row-level security of the log
              '_log_reads_all', '_run_log_roles',
              -- jobmon_config_show(), and the checks before a superuser's work
              '_setting_defaults', '_setting_check_superuser', '_is_superuser')
    LOOP
        EXECUTE pg_catalog.format('REVOKE ALL ON ROUTINE %s FROM PUBLIC', v_function);
    END LOOP;
END
$privileges$;

REVOKE ALL ON PROCEDURE @extschema@.jobmon_dispatch(interval) FROM PUBLIC;
