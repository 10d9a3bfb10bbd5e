-- The autonomous logging connection.
--
-- Log rows are written through a dblink connection back into this database,
-- so they commit on their own and survive the caller's rollback.  There is
-- one such connection per session, named pg_jobmon_log, opened on first use
-- and reused; a connection that died since its last use (its backend was
-- terminated, the server restarted) is reopened once.
--
-- The connection logs in as the session user (or the role in the log_user
-- setting), never as anyone more privileged: any code in the session can
-- use a named dblink connection, so it must not carry privileges the
-- session does not already have.  _log_connect is SECURITY DEFINER only so
-- that a non-superuser needs no grant on dblink_connect_u; it connects
-- without a password, which works where the server's own credentials
-- (pg_hba trust or peer, or the server account's .pgpass) admit the role.
--
-- dblink may live in any schema.  PostgreSQL 15 has no @extschema:dblink@,
-- so the functions that call it are created here with dblink's schema
-- written into their bodies (the @dblink@ marker below).

CREATE FUNCTION @extschema@._conninfo_quote(p_value text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT
SET search_path = @extschema@, pg_temp
AS $$
    SELECT '''' || replace(replace(p_value, '\', '\\'), '''', '\''') || ''''
$$;

-- Raise a logging failure as an error or, with on_log_failure = warning, as
-- a warning; the caller returns NULL in that case.
CREATE FUNCTION @extschema@._log_failure(p_sqlstate text, p_message text, p_detail text, p_hint text)
RETURNS void
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    IF @extschema@._setting('on_log_failure') = 'warning' THEN
        RAISE WARNING USING MESSAGE = p_message, DETAIL = coalesce(p_detail, ''),
                            HINT = coalesce(p_hint, 'Check the logging connection settings with SELECT * FROM jobmon_config_show().'), ERRCODE = p_sqlstate;
    ELSE
        RAISE EXCEPTION USING MESSAGE = p_message, DETAIL = coalesce(p_detail, ''),
                              HINT = coalesce(p_hint, 'Check the logging connection settings with SELECT * FROM jobmon_config_show().'), ERRCODE = p_sqlstate;
    END IF;
END
$$;

DO $install$
DECLARE
    v_dblink text;
BEGIN
    SELECT pg_catalog.quote_ident(n.nspname) INTO STRICT v_dblink
    FROM pg_catalog.pg_extension e
    JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace
    WHERE e.extname = 'dblink';

    EXECUTE replace($fn$

CREATE FUNCTION @extschema@._log_connect() RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_host  text := coalesce(@extschema@._setting('log_host'),
                             nullif(trim(split_part(current_setting('unix_socket_directories'), ',', 1)), ''),
                             'localhost');
    v_port  text := coalesce(@extschema@._setting('log_port'), current_setting('port'));
    v_user  text := coalesce(@extschema@._setting('log_user'), session_user);
    v_durability text := @extschema@._setting('log_durability');
    v_conninfo text;
BEGIN
    PERFORM @extschema@._log_disconnect();
    v_conninfo := format('dbname=%s host=%s port=%s user=%s application_name=%s',
                         @extschema@._conninfo_quote(current_database()),
                         @extschema@._conninfo_quote(v_host),
                         @extschema@._conninfo_quote(v_port),
                         @extschema@._conninfo_quote(v_user),
                         '''pg_jobmon log writer''');
    BEGIN
        PERFORM @dblink@.dblink_connect('pg_jobmon_log', v_conninfo);
    EXCEPTION WHEN sqlclient_unable_to_establish_sqlconnection THEN
        DECLARE
            v_cause text;
        BEGIN
            GET STACKED DIAGNOSTICS v_cause = PG_EXCEPTION_DETAIL;
            RAISE EXCEPTION 'could not open the pg_jobmon logging connection'
                USING ERRCODE = 'sqlclient_unable_to_establish_sqlconnection',
                      DETAIL = format('Connecting to database "%s" as role "%s" through host "%s", port %s failed: %s',
                                      current_database(), v_user, v_host, v_port, rtrim(v_cause, E'\n')),
                      HINT = 'Let the role log in without a password over that socket (pg_hba.conf, or a .pgpass file of the server''s system account), or point jobmon_config_set(''log_host'' | ''log_port'' | ''log_user'', ...) at a connection that works.';
        END;
    END;
    -- Unless log_durability is always, writes commit asynchronously;
    -- _log_job_close restores the session's own synchronous_commit for the
    -- end of a job unless log_durability is off.
    IF v_durability <> 'always' THEN
        PERFORM @dblink@.dblink_exec('pg_jobmon_log', 'SET synchronous_commit = off');
    END IF;
    PERFORM @dblink@.dblink_exec('pg_jobmon_log',
        format('SET lock_timeout = %L', @extschema@._setting('log_lock_timeout')));
END
$$;

CREATE FUNCTION @extschema@._log_disconnect() RETURNS void
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    IF 'pg_jobmon_log' = ANY (@dblink@.dblink_get_connections()) THEN
        PERFORM @dblink@.dblink_disconnect('pg_jobmon_log');
    END IF;
END
$$;

-- Run one statement on the logging connection and return the bigint it
-- yields (or NULL).  p_sql is built by our own functions with format(%L).
CREATE FUNCTION @extschema@._log_write(p_sql text) RETURNS bigint
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_id bigint;
BEGIN
    IF NOT coalesce('pg_jobmon_log' = ANY (@dblink@.dblink_get_connections()), false) THEN
        RETURN @extschema@._log_write_reconnecting(p_sql);
    END IF;
    SELECT t.id INTO v_id FROM @dblink@.dblink('pg_jobmon_log', p_sql) AS t(id bigint);
    RETURN v_id;
EXCEPTION WHEN connection_exception OR admin_shutdown OR crash_shutdown OR cannot_connect_now THEN
    RETURN @extschema@._log_write_reconnecting(p_sql);
END
$$;

-- (Re)open the connection and run the statement; a failure here is final
-- and goes through the on_log_failure setting.
CREATE FUNCTION @extschema@._log_write_reconnecting(p_sql text) RETURNS bigint
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_id bigint;
BEGIN
    PERFORM @extschema@._log_connect();
    SELECT t.id INTO v_id FROM @dblink@.dblink('pg_jobmon_log', p_sql) AS t(id bigint);
    RETURN v_id;
EXCEPTION WHEN connection_exception OR admin_shutdown OR crash_shutdown OR cannot_connect_now THEN
    DECLARE
        v_state text;
        v_message text;
        v_detail text;
        v_hint text;
    BEGIN
        GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT,
                                v_detail = PG_EXCEPTION_DETAIL, v_hint = PG_EXCEPTION_HINT;
        PERFORM @extschema@._log_failure(v_state, 'could not write to the pg_jobmon job log',
                                         concat_ws(' ', upper(left(v_message, 1)) || substr(v_message, 2) || '.',
                                                   v_detail),
                                         v_hint);
        RETURN NULL;
    END;
END
$$;
$fn$, '@dblink@', v_dblink);
END
$install$;

COMMENT ON FUNCTION @extschema@._log_write(text) IS 'internal: run a statement on the autonomous logging connection';
