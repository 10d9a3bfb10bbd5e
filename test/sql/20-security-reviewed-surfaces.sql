-- The reviewed surfaces of the extension (DESIGN.md 3a): every SECURITY
-- DEFINER function, and every function or procedure that PUBLIC can
-- execute.  A new one makes this file fail until someone has reviewed it
-- and added it to the expected list below.
--
-- The rules the lists are reviewed against:
--  - SECURITY DEFINER only for a function that does not write on behalf of
--    an identity it is given; one that does (the _log_* writers take the
--    owner, job and step they write) is executable by the extension's owner
--    only, so it is not on the PUBLIC list.
--  - PUBLIC executes the API and harmless SECURITY INVOKER helpers (they
--    run with the caller's own rights), nothing that probes the server
--    (_process_exists) or opens, or writes through, the logging connection.
--
-- On failure, the diagnostics print both lists as they are, as VALUES
-- blocks to paste below once reviewed.
\ir ../setup.sql

-- The functions and procedures of the extension, as regprocedure text.
CREATE FUNCTION pg_temp.extension_functions()
RETURNS TABLE (oid oid, signature text, secdef boolean, public_executes boolean) LANGUAGE sql AS $$
    SELECT p.oid, p.oid::regprocedure::text, p.prosecdef,
           EXISTS (SELECT FROM aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
                   WHERE a.grantee = 0 AND a.privilege_type = 'EXECUTE')
    FROM pg_proc p
    JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
    JOIN pg_extension e ON d.refclassid = 'pg_extension'::regclass AND e.oid = d.refobjid
    WHERE e.extname = 'pg_jobmon'
$$;
-- A list as a VALUES block, one signature a line, for the diagnostics.
CREATE FUNCTION pg_temp.as_values(p_signatures text[]) RETURNS text LANGUAGE sql AS $$
    SELECT E'VALUES\n' || string_agg(format('    (%L)', s), E',\n' ORDER BY s COLLATE "C")
    FROM unnest(p_signatures) s
$$;

SELECT plan(4);

-------------------------------------------------------------------------------
-- (a) SECURITY DEFINER functions.
--
-- The scheduler's API (create_job ...) is not among them: its functions
-- are C forwarders that run their bodies as the extension's owner from C
-- (src/api.c), taking the caller from GetUserId().  Reviewed:
--   - the _log_* writers: they write the owner, job and step they are
--     given, so they are executable by the extension's owner only (see (b));
--   - _run_log_roles(bigint): read by the row-level security of the log;
--     reads the two roles of the run whose log an id is, writes nothing;
--   - jobmon_status(): reads the dispatcher's state, writes nothing.
SELECT results_eq(
    $$SELECT signature FROM pg_temp.extension_functions() WHERE secdef ORDER BY signature COLLATE "C"$$,
    $$SELECT s FROM (
----- EXPECTED SECURITY DEFINER FUNCTIONS (reviewed) -----------------------------
VALUES
    ('jobmon._log_event(bigint,text,text,text,text,text,text,text,text,text,text,text)'),
    ('jobmon._log_job_close(bigint,integer)'),
    ('jobmon._log_job_open(text,text,integer)'),
    ('jobmon._log_step_close(bigint,text,text)'),
    ('jobmon._log_step_failed(bigint,text,text,text,text,text,text,text,text,text,text,text)'),
    ('jobmon._log_step_open(bigint,text)'),
    ('jobmon._run_log_roles(bigint)'),
    ('jobmon.jobmon_status()')
----- END EXPECTED SECURITY DEFINER FUNCTIONS -----------------------------------
      ) v(s) ORDER BY s COLLATE "C"$$,
    'the SECURITY DEFINER functions of the extension are the reviewed ones') AS tap \gset
SELECT :'tap';
SELECT diag(E'SECURITY DEFINER functions now:\n'
            || pg_temp.as_values(ARRAY(SELECT signature FROM pg_temp.extension_functions() WHERE secdef)))
WHERE :'tap' LIKE 'not ok%';

-------------------------------------------------------------------------------
-- (b) Functions and procedures executable by PUBLIC.
--
-- The API, and the internal functions that run in the caller's own right
-- on the way of what any role may do (sql/privileges.sql): the logging
-- API's helpers and its sends over the logging connection (which take no
-- identity: the C records the caller), the row-level security of the log,
-- and the first checks of the superuser-only functions.  Not on it: the
-- _log_* writers, the log connection's controls, _process_exists, the
-- API's bodies (_api_*), the dispatcher and the worker's calls.
SELECT results_eq(
    $$SELECT signature FROM pg_temp.extension_functions() WHERE public_executes ORDER BY signature COLLATE "C"$$,
    $$SELECT s FROM (
----- EXPECTED FUNCTIONS EXECUTABLE BY PUBLIC (reviewed) ------------------------
VALUES
    ('jobmon._handled_error()'),
    ('jobmon._is_superuser(name)'),
    ('jobmon._job_not_found(bigint)'),
    ('jobmon._log_reads_all()'),
    ('jobmon._log_send_event(bigint,text,text,text,text,text,text,text,text,text,text,text)'),
    ('jobmon._log_send_job_close(bigint,integer)'),
    ('jobmon._log_send_job_open(text)'),
    ('jobmon._log_send_step_close(bigint,text,text)'),
    ('jobmon._log_send_step_failed(bigint,text,text,text,text,text,text,text,text,text,text,text)'),
    ('jobmon._log_send_step_open(bigint,text)'),
    ('jobmon._log_step_error(bigint,record)'),
    ('jobmon._null_argument(text,text)'),
    ('jobmon._null_id(text,text)'),
    ('jobmon._run_log_roles(bigint)'),
    ('jobmon._setting(text)'),
    ('jobmon._setting_check_superuser()'),
    ('jobmon._setting_defaults()'),
    ('jobmon._sql_execute(bigint,text,text)'),
    ('jobmon._sql_job(text,text,text)'),
    ('jobmon._sql_step(bigint,text,text,text)'),
    ('jobmon._step_not_found(bigint)'),
    ('jobmon.activate_job(bigint)'),
    ('jobmon.add_job(text)'),
    ('jobmon.add_schedule(bigint,text)'),
    ('jobmon.add_schedule(bigint,timestamp with time zone[])'),
    ('jobmon.add_step(bigint,text)'),
    ('jobmon.cancel_job(bigint)'),
    ('jobmon.cancel_override(bigint)'),
    ('jobmon.cancel_submitted_job(bigint)'),
    ('jobmon.check_job_status()'),
    ('jobmon.check_job_status(interval)'),
    ('jobmon.close_job(bigint)'),
    ('jobmon.create_job(jsonb)'),
    ('jobmon.create_job(text,text)'),
    ('jobmon.create_job(text,text[])'),
    ('jobmon.create_job(timestamp with time zone,text)'),
    ('jobmon.create_job(timestamp with time zone,text[])'),
    ('jobmon.create_job(timestamp with time zone[],text)'),
    ('jobmon.create_job(timestamp with time zone[],text[])'),
    ('jobmon.cron_describe(text)'),
    ('jobmon.cron_from_rule(jsonb)'),
    ('jobmon.cron_is_valid(text)'),
    ('jobmon.cron_next(text,timestamp with time zone,text)'),
    ('jobmon.cron_times(text,timestamp with time zone,timestamp with time zone,text)'),
    ('jobmon.cron_validate(text)'),
    ('jobmon.deactivate_job(bigint)'),
    ('jobmon.disable_schedule(bigint)'),
    ('jobmon.drop_job(bigint,boolean)'),
    ('jobmon.drop_schedule(bigint)'),
    ('jobmon.dyn_override(bigint,timestamp with time zone)'),
    ('jobmon.enable_schedule(bigint)'),
    ('jobmon.fail_job(bigint,integer)'),
    ('jobmon.get_active_runs()'),
    ('jobmon.get_job(bigint)'),
    ('jobmon.get_owned_jobs(name)'),
    ('jobmon.get_run_as_jobs(name)'),
    ('jobmon.get_run_log(bigint)'),
    ('jobmon.get_self_id()'),
    ('jobmon.grant_scheduler(name)'),
    ('jobmon.job_log_clear(interval)'),
    ('jobmon.jobmon_clean_log()'),
    ('jobmon.jobmon_config_reset(text)'),
    ('jobmon.jobmon_config_set(text,text)'),
    ('jobmon.jobmon_config_show()'),
    ('jobmon.jobmon_start()'),
    ('jobmon.jobmon_status()'),
    ('jobmon.jobmon_stop()'),
    ('jobmon.log_error(bigint)'),
    ('jobmon.log_event(bigint,text,text,text,text,text,text,text,text,text,text,text)'),
    ('jobmon.resubmit(interval)'),
    ('jobmon.revoke_scheduler(name)'),
    ('jobmon.run_job(bigint)'),
    ('jobmon.set_job_attribute(bigint,text,text)'),
    ('jobmon.set_job_attributes(bigint,jsonb)'),
    ('jobmon.show_detail(bigint)'),
    ('jobmon.show_detail(text,integer)'),
    ('jobmon.show_events(bigint)'),
    ('jobmon.show_job(text,integer)'),
    ('jobmon.show_job_like(text,integer)'),
    ('jobmon.show_job_status(text,integer)'),
    ('jobmon.show_job_status(text,text,integer)'),
    ('jobmon.show_running(integer)'),
    ('jobmon.sql_job(text,text)'),
    ('jobmon.sql_step(bigint,text,text)'),
    ('jobmon.submit_job(text,text[],timestamp with time zone,text,interval,interval,text,bigint[],text,text,bigint)'),
    ('jobmon.timetable(timestamp with time zone,timestamp with time zone)'),
    ('jobmon.update_step(bigint,text,text)'),
    ('jobmon.wait_for_run(bigint,interval)')
----- END EXPECTED FUNCTIONS EXECUTABLE BY PUBLIC -------------------------------
      ) v(s) ORDER BY s COLLATE "C"$$,
    'the functions and procedures of the extension that PUBLIC can execute are the reviewed ones') AS tap \gset
SELECT :'tap';
SELECT diag(E'functions and procedures executable by PUBLIC now:\n'
            || pg_temp.as_values(ARRAY(SELECT signature FROM pg_temp.extension_functions() WHERE public_executes)))
WHERE :'tap' LIKE 'not ok%';

-------------------------------------------------------------------------------
-- Whatever the lists become: no SECURITY DEFINER function is executable by
-- PUBLIC unless it is one of the two reviewed to be (they write nothing),
-- and each pins its search_path.
SELECT is(ARRAY(SELECT signature FROM pg_temp.extension_functions()
                WHERE secdef AND public_executes
                  AND signature NOT IN ('jobmon._run_log_roles(bigint)', 'jobmon.jobmon_status()')
                ORDER BY signature COLLATE "C"),
          '{}'::text[],
          'no other SECURITY DEFINER function is executable by PUBLIC');
SELECT is(ARRAY(SELECT f.signature FROM pg_temp.extension_functions() f JOIN pg_proc p ON p.oid = f.oid
                WHERE f.secdef AND NOT EXISTS (SELECT FROM unnest(p.proconfig) c WHERE c LIKE 'search\_path=%')
                ORDER BY f.signature COLLATE "C"),
          '{}'::text[],
          'every SECURITY DEFINER function sets its search_path');

SELECT * FROM finish();
