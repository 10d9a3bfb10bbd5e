-- _process_exists(pid) probes the server's process table (kill(pid, 0)),
-- which is the dispatcher's business only: PUBLIC cannot execute it, so an
-- ordinary role cannot probe which pids exist on the server.
--
-- jobmon_test_sec_pe_user logs in, with the grants of a role that logs
-- (doc/pg_jobmon.md: USAGE on schema jobmon, SELECT on its tables), so that
-- what stops it is the function's own privilege, not the schema's.
\ir ../setup.sql

DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'jobmon_test_sec_pe_user') THEN
        EXECUTE 'DROP OWNED BY jobmon_test_sec_pe_user';
        EXECUTE 'DROP ROLE jobmon_test_sec_pe_user';
    END IF;
END
$$;
CREATE ROLE jobmon_test_sec_pe_user LOGIN;
GRANT USAGE ON SCHEMA jobmon TO jobmon_test_sec_pe_user;
GRANT SELECT ON ALL TABLES IN SCHEMA jobmon TO jobmon_test_sec_pe_user;

SELECT plan(4);

SELECT has_function('jobmon', '_process_exists', ARRAY['integer'], 'jobmon._process_exists(integer) exists');
SELECT ok(NOT has_function_privilege('public', 'jobmon._process_exists(integer)', 'EXECUTE'),
          'PUBLIC cannot execute jobmon._process_exists(integer)');
SELECT ok(NOT has_function_privilege('jobmon_test_sec_pe_user', 'jobmon._process_exists(integer)', 'EXECUTE'),
          'nor can an ordinary role with the grants of a role that logs');
SET ROLE jobmon_test_sec_pe_user;
SELECT throws_ok(format('SELECT jobmon._process_exists(%s)', pg_backend_pid()), '42501', NULL,
                 'calling it as that role fails with 42501');
RESET ROLE;

SELECT * FROM finish();
DROP OWNED BY jobmon_test_sec_pe_user;
DROP ROLE jobmon_test_sec_pe_user;
