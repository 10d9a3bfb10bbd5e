-- The caller is the effective role, never the session's (DESIGN.md 3a).
-- Code of another role runs inside a superuser's session: after SET ROLE,
-- in that role's SECURITY DEFINER function, in its index expressions
-- evaluated by the superuser's ANALYZE, CREATE INDEX and REINDEX.  There it
-- is that role: create_job() with run_as the superuser is refused (42501)
-- and leaves no job and no audit row, and add_job() records that role as
-- the owner of the logged job.
--
-- jobmon_test_sec_id_intruder logs in and may schedule (grant_scheduler,
-- which also grants USAGE on schema jobmon), so that the only thing
-- between it and a job running as the superuser is the identity check.  It
-- owns schema sec20_id, and sets its traps through a connection of its
-- own, where it is the session user too.  No dispatcher runs: a job that
-- got through would run in an hour, and its existence is the failure.
\ir ../setup.sql
\ir ../security.sql

-- Left over by an interrupted earlier run of this file.
DROP SCHEMA IF EXISTS sec20_id CASCADE;
SELECT jobmon.drop_job(j.job_id, true) FROM jobmon.jobmon_job j WHERE j.name LIKE 'sec20\_id\_%' \g /dev/null
SELECT pg_temp.drop_test_roles(ARRAY['jobmon_test_sec_id_intruder']) \g /dev/null
DELETE FROM jobmon.job_log WHERE job_name LIKE 'SEC20\_ID\_%';

CREATE ROLE jobmon_test_sec_id_intruder LOGIN;
SELECT jobmon.grant_scheduler('jobmon_test_sec_id_intruder') \g /dev/null
CREATE SCHEMA sec20_id AUTHORIZATION jobmon_test_sec_id_intruder;

-- The jobs and audit rows this file's attacks would have made.
CREATE FUNCTION pg_temp.forged_jobs() RETURNS bigint LANGUAGE sql AS $$
    SELECT count(*) FROM jobmon.jobmon_job j WHERE j.name LIKE 'sec20\_id\_%'
$$;
CREATE FUNCTION pg_temp.forged_audit() RETURNS bigint LANGUAGE sql AS $$
    SELECT count(*) FROM jobmon.jobmon_audit a
    WHERE a.new_value->>'name' LIKE 'sec20\_id\_%' OR a.old_value->>'name' LIKE 'sec20\_id\_%'
$$;

-- The intruder's traps, set as itself.  attempt() tries to create a job
-- that runs as the session user (in the superuser's session: the superuser)
-- and makes the intruder superuser, then logs a job, and records what each
-- got (ok, or the SQLSTATE).  f() is the IMMUTABLE-declared function of its
-- index, which calls attempt() when someone else's session evaluates it.
-- definer() and definer_log() are its SECURITY DEFINER functions that do
-- the same, for a superuser to call.
SELECT pg_temp.connect_as('sec20_id_intruder', 'jobmon_test_sec_id_intruder') \g /dev/null
SELECT dblink_exec('sec20_id_intruder', $trap$
CREATE TABLE sec20_id.outcome (create_state text, log_state text);
CREATE FUNCTION sec20_id.attempt(p_job_name text, p_log_name text) RETURNS bigint
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_create text := 'ok';
    v_log    text := 'ok';
    v_job_id bigint;
BEGIN
    BEGIN
        v_job_id := jobmon.create_job(jsonb_build_object('name', p_job_name, 'run_as', session_user::text,
            'commands', 'ALTER ROLE jobmon_test_sec_id_intruder SUPERUSER',
            'dates', (now() + interval '1 hour')::text));
    EXCEPTION WHEN OTHERS THEN
        v_create := SQLSTATE;
    END;
    BEGIN
        PERFORM jobmon.close_job(jobmon.add_job(p_log_name));
    EXCEPTION WHEN OTHERS THEN
        v_log := SQLSTATE;
    END;
    INSERT INTO sec20_id.outcome VALUES (v_create, v_log);
    RETURN v_job_id;
END
$$;
CREATE FUNCTION sec20_id.f(p_x integer) RETURNS integer
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF session_user <> current_user THEN
        PERFORM sec20_id.attempt('sec20_id_index_' || md5(random()::text), 'sec20_id_index_log');
    END IF;
    RETURN p_x;
END
$$;
CREATE TABLE sec20_id.t (x integer);
INSERT INTO sec20_id.t VALUES (1);
CREATE INDEX t_f ON sec20_id.t (sec20_id.f(x));
CREATE FUNCTION sec20_id.definer(p_job_name text) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN jobmon.create_job(jsonb_build_object('name', p_job_name, 'run_as', session_user::text,
        'commands', 'ALTER ROLE jobmon_test_sec_id_intruder SUPERUSER',
        'dates', (now() + interval '1 hour')::text));
END
$$;
CREATE FUNCTION sec20_id.definer_log(p_log_name text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM jobmon.close_job(jobmon.add_job(p_log_name));
END
$$;
$trap$) \g /dev/null
SELECT dblink_disconnect('sec20_id_intruder') \g /dev/null

SELECT plan(22);

SELECT is((SELECT count(*)::int FROM sec20_id.outcome), 0, 'setting the traps as the intruder itself sprang none');

-------------------------------------------------------------------------------
-- (a) SET ROLE intruder in the superuser's session.  (d) is asserted along
-- the way: whatever the intruder logs from there is the intruder's.
SET ROLE jobmon_test_sec_id_intruder;
SELECT throws_ok($$SELECT jobmon.create_job(jsonb_build_object('name', 'sec20_id_a', 'run_as', session_user::text,
                      'commands', 'ALTER ROLE jobmon_test_sec_id_intruder SUPERUSER',
                      'dates', (now() + interval '1 hour')::text))$$,
                 '42501', format('permission denied to run jobs as role "%s"', session_user),
                 '(a) after SET ROLE, create_job() running as the session''s superuser is refused');
SELECT lives_ok($$SELECT jobmon.close_job(jobmon.add_job('sec20_id_a_log'))$$, '(a) and the intruder logs a job');
RESET ROLE;
SELECT is((SELECT count(*)::int FROM jobmon.jobmon_job WHERE name = 'sec20_id_a'), 0, '(a) no job was made');
SELECT is((SELECT count(*)::int FROM jobmon.jobmon_audit WHERE new_value->>'name' = 'sec20_id_a'), 0, '(a) no audit row either');
SELECT results_eq($$SELECT owner FROM jobmon.job_log WHERE job_name = 'SEC20_ID_A_LOG'$$,
                  $$VALUES ('jobmon_test_sec_id_intruder')$$, '(d) the logged job is the intruder''s, not the superuser''s');

-------------------------------------------------------------------------------
-- (b) The intruder's SECURITY DEFINER function, called by the superuser.
SELECT throws_ok($$SELECT sec20_id.definer('sec20_id_b')$$,
                 '42501', format('permission denied to run jobs as role "%s"', session_user),
                 '(b) create_job() in the intruder''s SECURITY DEFINER function, called by the superuser, is refused');
SELECT lives_ok($$SELECT sec20_id.definer_log('sec20_id_b_log')$$,
                '(b) and add_job() there works');
SELECT is((SELECT count(*)::int FROM jobmon.jobmon_job WHERE name = 'sec20_id_b'), 0, '(b) no job was made');
SELECT is((SELECT count(*)::int FROM jobmon.jobmon_audit WHERE new_value->>'name' = 'sec20_id_b'), 0, '(b) no audit row either');
SELECT results_eq($$SELECT owner FROM jobmon.job_log WHERE job_name = 'SEC20_ID_B_LOG'$$,
                  $$VALUES ('jobmon_test_sec_id_intruder')$$,
                  '(d) the job logged there is the intruder''s, not the superuser''s');

-------------------------------------------------------------------------------
-- (c) The intruder's index expression, evaluated by the superuser's ANALYZE,
-- CREATE INDEX and REINDEX (as the table's owner, the intruder).
DELETE FROM sec20_id.outcome;
ANALYZE sec20_id.t;
SELECT results_eq('SELECT DISTINCT create_state FROM sec20_id.outcome', $$VALUES ('42501')$$,
                  '(c) ANALYZE: the trap sprang, and create_job() got 42501');
DELETE FROM sec20_id.outcome;
CREATE INDEX t_f2 ON sec20_id.t (sec20_id.f(x));
SELECT results_eq('SELECT DISTINCT create_state FROM sec20_id.outcome', $$VALUES ('42501')$$,
                  '(c) CREATE INDEX: the trap sprang, and create_job() got 42501');
DELETE FROM sec20_id.outcome;
REINDEX TABLE sec20_id.t;
SELECT results_eq('SELECT DISTINCT create_state FROM sec20_id.outcome', $$VALUES ('42501')$$,
                  '(c) REINDEX: the trap sprang, and create_job() got 42501');
SELECT is((SELECT count(*)::int FROM jobmon.jobmon_job WHERE name LIKE 'sec20\_id\_index\_%'), 0,
          '(c) no job was made by the index expression');
SELECT is((SELECT count(*)::int FROM jobmon.jobmon_audit a
           WHERE a.new_value->>'name' LIKE 'sec20\_id\_index\_%' AND a.action = 'create'), 0,
          '(c) and no audit row says that the superuser made one');
SELECT results_eq('SELECT DISTINCT log_state FROM sec20_id.outcome', $$VALUES ('ok')$$,
                  '(d) add_job() works in the index expression');
SELECT results_eq($$SELECT DISTINCT owner FROM jobmon.job_log WHERE job_name = 'SEC20_ID_INDEX_LOG'$$,
                  $$VALUES ('jobmon_test_sec_id_intruder')$$,
                  '(d) and the jobs logged there are the intruder''s, not the superuser''s');

-------------------------------------------------------------------------------
-- After all of it.
SELECT is(pg_temp.forged_jobs(), 0::bigint, 'no attack made a job');
SELECT is((SELECT count(*)::int FROM jobmon.jobmon_job j
           WHERE array_to_string(j.commands, ' ') LIKE '%ALTER ROLE jobmon_test_sec_id_intruder SUPERUSER%'), 0,
          'no job, whatever its name, holds the intruder''s command');
SELECT is(pg_temp.forged_audit(), 0::bigint, 'nor an audit row');
SELECT ok(NOT (SELECT rolsuper FROM pg_roles WHERE rolname = 'jobmon_test_sec_id_intruder'),
          'the intruder is no superuser');

SELECT * FROM finish();
DROP SCHEMA sec20_id CASCADE;
SELECT jobmon.drop_job(j.job_id, true) FROM jobmon.jobmon_job j WHERE j.name LIKE 'sec20\_id\_%' \g /dev/null
SELECT jobmon.revoke_scheduler('jobmon_test_sec_id_intruder') \g /dev/null
DELETE FROM jobmon.job_log WHERE job_name LIKE 'SEC20\_ID\_%';
DROP OWNED BY jobmon_test_sec_id_intruder;
DROP ROLE jobmon_test_sec_id_intruder;
