-- Attacks found by a review of 2.5.0, each tried as written and now held:
--  F1  a job's role puts an operator of its own on its search_path, which
--      the worker's set-up query used to resolve as the extension's owner;
--  F3  a role that may create schemas plants a schema "cron" (where
--      pg_cron is not installed) whose functions and views jobmon_status()
--      and jobmon_start() used to run as the superuser who called them;
--  F4  a function on the caller's search_path shadows clock_timestamp()
--      in the dispatcher, which a superuser runs;
--  F6  cancel_job() of a logged job whose backend the caller may not signal
--      used to write "Cancelled" first;
--  F7  a role granted DELETE on job_log deleted every role's rows;
--  F9  a job's SET ROLE used to reach the next run of the same worker.
-- Each ends with the attacker not superuser and nothing written that
-- should not be.  Workers only see committed jobs: this file commits.
\ir ../setup.sql
\ir ../scheduler.sql

SELECT pg_temp.test_cleanup('s20r_') \g /dev/null
DROP SCHEMA IF EXISTS s20r_m, s20r_evil, cron CASCADE;
DROP TABLE IF EXISTS public.s20r_seen;
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'jobmon_test_s20r_mallory') THEN
        EXECUTE 'DROP OWNED BY jobmon_test_s20r_mallory, jobmon_test_s20r_other';
        EXECUTE 'DROP ROLE jobmon_test_s20r_mallory, jobmon_test_s20r_other';
    END IF;
END
$$;
CREATE ROLE jobmon_test_s20r_mallory LOGIN;
CREATE ROLE jobmon_test_s20r_other LOGIN;
GRANT jobmon_test_s20r_other TO jobmon_test_s20r_mallory;
SELECT format('GRANT CREATE ON DATABASE %I TO jobmon_test_s20r_mallory', current_database()) \gexec
GRANT USAGE ON SCHEMA jobmon TO jobmon_test_s20r_mallory, jobmon_test_s20r_other;
SELECT jobmon.grant_scheduler('jobmon_test_s20r_mallory') \g /dev/null
CREATE TABLE public.s20r_seen (run text, who text);
GRANT INSERT ON public.s20r_seen TO jobmon_test_s20r_mallory, jobmon_test_s20r_other;

SELECT plan(12);
SELECT pg_temp.tick_start() \g /dev/null

CREATE FUNCTION pg_temp.mallory_is_superuser() RETURNS boolean LANGUAGE sql AS $$
    SELECT rolsuper FROM pg_roles WHERE rolname = 'jobmon_test_s20r_mallory'
$$;

-- F1: an operator on the job role's search_path.
SET ROLE jobmon_test_s20r_mallory;
CREATE SCHEMA s20r_m;
CREATE FUNCTION s20r_m.oideq(oid, oid) RETURNS boolean LANGUAGE sql IMMUTABLE
    AS $f$ SELECT $1 OPERATOR(pg_catalog.=) 's20r_m'::regnamespace::oid $f$;
CREATE OPERATOR s20r_m.= (LEFTARG = oid, RIGHTARG = oid, FUNCTION = s20r_m.oideq);
CREATE FUNCTION s20r_m._worker_begin(bigint)
RETURNS TABLE (run_id bigint, commands text[], use_same_transaction boolean, onrollback text,
               next_time_statement text, max_run_ms bigint, capture_level text, job_id bigint,
               oneoff boolean, params text[])
LANGUAGE plpgsql AS $f$ BEGIN EXECUTE 'ALTER ROLE jobmon_test_s20r_mallory SUPERUSER'; END $f$;
ALTER ROLE jobmon_test_s20r_mallory SET search_path = s20r_m, pg_catalog;
SELECT jobmon.create_job('{"name": "s20r_f1", "dates": ["2100-01-01"], "commands": "INSERT INTO public.s20r_seen VALUES (''f1'', current_user)"}') AS f1 \gset
SELECT jobmon.run_job(:f1) AS run \gset
RESET ROLE;
SELECT is(jobmon.wait_for_run(:run, '30 seconds'), 'success', 'F1: the run of a role with its own = operator succeeds');
SELECT ok(NOT pg_temp.mallory_is_superuser(), 'F1: and its role is not superuser');
ALTER ROLE jobmon_test_s20r_mallory RESET search_path;

-- F9: a job's SET ROLE does not reach the next run of its worker.
SELECT jobmon.jobmon_config_set('max_oneoff_workers', '1') \g /dev/null
SET ROLE jobmon_test_s20r_mallory;
SELECT jobmon.submit_job('SET ROLE jobmon_test_s20r_other', name => 's20r_f9a') AS f9a \gset
SELECT jobmon.submit_job($q$INSERT INTO public.s20r_seen VALUES ('f9', current_user)$q$, name => 's20r_f9b',
                         depends_on => ARRAY[:f9a]::bigint[]) AS f9b \gset
RESET ROLE;
SELECT ok(pg_temp.wait_until('SELECT EXISTS (SELECT FROM public.s20r_seen WHERE run = ''f9'')'),
          'F9: the second one-off job ran');
SELECT is((SELECT who FROM public.s20r_seen WHERE run = 'f9'), 'jobmon_test_s20r_mallory',
          'F9: as its own role, not the role the first job SET');
SELECT jobmon.jobmon_config_reset('max_oneoff_workers') \g /dev/null

-- F3: a planted schema "cron".
SET ROLE jobmon_test_s20r_mallory;
CREATE SCHEMA cron;
CREATE FUNCTION cron.payload() RETURNS text LANGUAGE plpgsql AS $f$
BEGIN
    IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        EXECUTE 'ALTER ROLE jobmon_test_s20r_mallory SUPERUSER';
    END IF;
    RETURN current_user;
END $f$;
CREATE VIEW cron.job AS SELECT cron.payload() AS schedule, 'x'::text AS command,
    ('pg_jobmon dispatcher: ' || current_database())::text AS jobname;
CREATE FUNCTION cron.schedule_in_database(text, text, text, text) RETURNS bigint LANGUAGE sql
    AS $f$ SELECT length(cron.payload())::bigint $f$;
RESET ROLE;
SELECT lives_ok('SELECT * FROM jobmon.jobmon_status()', 'F3: jobmon_status() in a database with a planted schema cron');
SELECT throws_like('SELECT jobmon.jobmon_start()', 'pg_cron %', 'F3: jobmon_start() finds no pg_cron there');
SELECT ok(NOT pg_temp.mallory_is_superuser(), 'F3: and the planted functions did not run as the superuser');
DROP SCHEMA cron CASCADE;

-- F4: a function on the caller's search_path shadows one the dispatcher uses.
SET ROLE jobmon_test_s20r_mallory;
CREATE SCHEMA s20r_evil;
CREATE FUNCTION s20r_evil.clock_timestamp() RETURNS timestamptz LANGUAGE plpgsql AS $f$
BEGIN
    IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        EXECUTE 'ALTER ROLE jobmon_test_s20r_mallory SUPERUSER';
    END IF;
    RETURN pg_catalog.clock_timestamp();
END $f$;
RESET ROLE;
SET search_path = s20r_evil, pg_catalog, public;
CALL jobmon.jobmon_dispatch('0 seconds');
SELECT ok(NOT pg_temp.mallory_is_superuser(), 'F4: the dispatcher resolves nothing through its caller''s search_path');
SELECT is(current_setting('search_path'), 's20r_evil, pg_catalog, public', 'F4: and gives the caller''s back');
RESET search_path;

-- F7: DELETE on job_log deletes the caller's own logged jobs only.
SELECT jobmon.add_job('s20r_f7 superuser''s') AS f7 \gset
SELECT jobmon.close_job(:f7) \g /dev/null
GRANT SELECT, DELETE ON jobmon.job_log TO jobmon_test_s20r_mallory;
SET ROLE jobmon_test_s20r_mallory;
DELETE FROM jobmon.job_log;
RESET ROLE;
REVOKE SELECT, DELETE ON jobmon.job_log FROM jobmon_test_s20r_mallory;
SELECT ok(EXISTS (SELECT FROM jobmon.job_log WHERE job_id = :f7), 'F7: another role''s logged job survives DELETE FROM job_log');

-- F6: cancel_job() checks that it may signal before it writes.  The job is
-- mallory's (added under SET ROLE) but runs in this superuser's backend.
SET ROLE jobmon_test_s20r_mallory;
SELECT jobmon.add_job('s20r_f6') AS f6 \gset
RESET ROLE;
SELECT dblink_connect('s20r_mallory', format('dbname=%s host=%s port=%s user=%s', current_database(),
    btrim(split_part(current_setting('unix_socket_directories'), ',', 1)), current_setting('port'),
    'jobmon_test_s20r_mallory')) \g /dev/null
SELECT is((SELECT * FROM dblink('s20r_mallory', format(
              $q$DO $d$ BEGIN PERFORM jobmon.cancel_job(%s); EXCEPTION WHEN OTHERS THEN RAISE NOTICE '%%', SQLSTATE; END $d$;
                 SELECT 'done'$q$, :f6)) AS t(x text)), 'done', 'F6: the cancel was tried');
SELECT dblink_disconnect('s20r_mallory') \g /dev/null
SELECT ok((SELECT end_time IS NULL FROM jobmon.job_log WHERE job_id = :f6)
          AND NOT EXISTS (SELECT FROM jobmon.job_detail WHERE job_id = :f6),
          'F6: nothing was written, as the backend could not be signalled');
SELECT jobmon.close_job(:f6) \g /dev/null

-------------------------------------------------------------------------------
CALL pg_temp.tick_stop();
SELECT pg_temp.test_cleanup('s20r_') \g /dev/null
SELECT * FROM finish();
DELETE FROM jobmon.job_log WHERE job_name LIKE 'S20R\_%';
DROP SCHEMA s20r_m, s20r_evil CASCADE;
DROP TABLE public.s20r_seen;
SELECT jobmon.revoke_scheduler('jobmon_test_s20r_mallory') \g /dev/null
SELECT format('REVOKE CREATE ON DATABASE %I FROM jobmon_test_s20r_mallory', current_database()) \gexec
REVOKE USAGE ON SCHEMA jobmon FROM jobmon_test_s20r_mallory, jobmon_test_s20r_other;
DROP ROLE jobmon_test_s20r_other, jobmon_test_s20r_mallory;
