-- Included by the security tests after setup.sql (\ir ../security.sql):
-- what they share to set up roles, act as them and look at what an attack
-- left behind.

-- Drop the test roles p_roles left by an interrupted earlier run, with
-- what they own and their permission to schedule.
CREATE FUNCTION pg_temp.drop_test_roles(p_roles text[]) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v_role text;
BEGIN
    FOREACH v_role IN ARRAY p_roles LOOP
        IF EXISTS (SELECT FROM pg_roles WHERE rolname = v_role) THEN
            BEGIN
                PERFORM jobmon.revoke_scheduler(v_role);
            EXCEPTION WHEN undefined_object THEN
                NULL;   -- it was not allowed to schedule
            END;
            EXECUTE format('DROP OWNED BY %I', v_role);
            EXECUTE format('DROP ROLE %I', v_role);
        END IF;
    END LOOP;
END
$$;

-- A dblink connection named p_name, logged in as p_role.
CREATE FUNCTION pg_temp.connect_as(p_name text, p_role text) RETURNS void LANGUAGE sql AS $$
    SELECT dblink_connect(p_name, format('dbname=%s host=%s port=%s user=%s', current_database(),
        btrim(split_part(current_setting('unix_socket_directories'), ',', 1)), current_setting('port'), p_role));
    SELECT
$$;

-- The SQLSTATE p_sql raises, or 'ok'.
CREATE FUNCTION pg_temp.sqlstate_of(p_sql text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    v_state text;
BEGIN
    EXECUTE p_sql;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE;
    RETURN v_state;
END
$$;

-- The same for the query p_sql (one column) on connection p_conn.
CREATE FUNCTION pg_temp.remote_state(p_conn text, p_sql text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    v_state text;
BEGIN
    PERFORM * FROM dblink(p_conn, p_sql) AS t(x text);
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE;
    RETURN v_state;
END
$$;

-- A logged job as it is: its job_log row, its steps and its events.
CREATE FUNCTION pg_temp.log_of(p_job_id bigint) RETURNS text LANGUAGE sql AS $$
    SELECT concat_ws(' | ',
        (SELECT format('%s %s %s %s %s', l.owner, l.job_name, l.status, l.start_time, l.end_time)
         FROM jobmon.job_log l WHERE l.job_id = p_job_id),
        (SELECT string_agg(format('%s %s %s %s %s', d.step_id, d.action, d.status, d.message, d.end_time),
                           '; ' ORDER BY d.step_id)
         FROM jobmon.job_detail d WHERE d.job_id = p_job_id),
        (SELECT count(*) || ' events' FROM jobmon.jobmon_event e WHERE e.job_id = p_job_id))
$$;
