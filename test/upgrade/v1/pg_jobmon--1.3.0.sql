-- Test fixture: pg_jobmon 1.3.0's catalog, written for test/upgrade/from-1x.sh
-- from the facts of that release (its tables, columns, constraints, indexes,
-- sequences, pg_dump marks, triggers and function signatures).  It is not
-- pg_jobmon 1.x: the logging functions write directly instead of over
-- dblink, the other functions are stubs.  Installed into the server's
-- extension directory only while the test runs.

\echo Use "CREATE EXTENSION pg_jobmon VERSION '1.3.0'" to load this file. \quit

-- Tables, as 1.x creates them (names unqualified: the script's search_path
-- puts them in the extension's schema).
CREATE TABLE job_log (
    job_id bigint NOT NULL,
    owner text NOT NULL,
    job_name text NOT NULL,
    start_time timestamp with time zone NOT NULL,
    end_time timestamp with time zone,
    status text,
    pid integer NOT NULL,
    CONSTRAINT job_log_job_id_pkey PRIMARY KEY (job_id)
);
CREATE INDEX job_log_job_name_idx ON job_log (job_name);
CREATE INDEX job_log_start_time_idx ON job_log (start_time);
CREATE INDEX job_log_status_idx ON job_log (status);
CREATE INDEX job_log_pid_idx ON job_log (pid);
CREATE SEQUENCE job_log_job_id_seq;
ALTER SEQUENCE job_log_job_id_seq OWNED BY job_log.job_id;
ALTER TABLE job_log ALTER COLUMN job_id SET DEFAULT nextval('job_log_job_id_seq'::regclass);

CREATE TABLE job_detail (
    job_id bigint NOT NULL,
    step_id bigint NOT NULL,
    action text NOT NULL,
    start_time timestamp with time zone NOT NULL,
    end_time timestamp with time zone,
    elapsed_time real,
    status text,
    message text,
    CONSTRAINT job_detail_step_id_pkey PRIMARY KEY (step_id),
    CONSTRAINT job_detail_job_id_fkey FOREIGN KEY (job_id) REFERENCES job_log (job_id) ON DELETE CASCADE
);
CREATE INDEX job_detail_job_id_idx ON job_detail (job_id);
CREATE SEQUENCE job_detail_step_id_seq;
ALTER SEQUENCE job_detail_step_id_seq OWNED BY job_detail.step_id;
ALTER TABLE job_detail ALTER COLUMN step_id SET DEFAULT nextval('job_detail_step_id_seq'::regclass);

CREATE TABLE job_check_log (
    job_id bigint NOT NULL,
    job_name text NOT NULL,
    alert_code int DEFAULT 3 NOT NULL
);
SELECT pg_catalog.pg_extension_config_dump('job_check_log', '');

CREATE TABLE dblink_mapping_jobmon (
    username text,
    port text,
    pwd text
);
SELECT pg_catalog.pg_extension_config_dump('dblink_mapping_jobmon', '');

CREATE FUNCTION dblink_limit_trig() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (SELECT count(*) FROM @extschema@.dblink_mapping_jobmon) > 1 THEN
        RAISE EXCEPTION 'one row at most';
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER dblink_limit_trig AFTER INSERT ON @extschema@.dblink_mapping_jobmon
FOR EACH ROW EXECUTE PROCEDURE @extschema@.dblink_limit_trig();

CREATE TABLE job_check_config (
    job_name text NOT NULL,
    warn_threshold interval NOT NULL,
    error_threshold interval NOT NULL,
    active boolean DEFAULT false NOT NULL,
    sensitivity smallint DEFAULT 0 NOT NULL,
    escalate int,
    CONSTRAINT job_check_config_job_name_pkey PRIMARY KEY (job_name)
);
SELECT pg_catalog.pg_extension_config_dump('job_check_config', '');

CREATE TABLE job_status_text (
    alert_code integer NOT NULL,
    alert_text text NOT NULL,
    CONSTRAINT job_status_text_alert_code_pkey PRIMARY KEY (alert_code)
);
-- 1.3.0 to 1.3.2 dump the whole table (pg_jobmon--1.3.0--1.3.3.sql).
SELECT pg_catalog.pg_extension_config_dump('job_status_text', '');
INSERT INTO job_status_text (alert_code, alert_text) VALUES (1, 'OK'), (2, 'WARNING'), (3, 'CRITICAL');

-- Functions, with 1.x's signatures.
CREATE FUNCTION auth() RETURNS text LANGUAGE sql STABLE AS $$ SELECT 'dbname=' || current_database() $$;

CREATE FUNCTION _autonomous_add_job(p_owner text, p_job_name text, p_pid integer) RETURNS bigint
LANGUAGE sql AS $$
    INSERT INTO @extschema@.job_log (owner, job_name, start_time, pid)
    VALUES (p_owner, upper(p_job_name), clock_timestamp(), p_pid) RETURNING job_id
$$;
CREATE FUNCTION add_job(p_job_name text) RETURNS bigint LANGUAGE sql AS $$
    SELECT @extschema@._autonomous_add_job(current_user, p_job_name, pg_backend_pid())
$$;

CREATE FUNCTION _autonomous_add_step(p_job_id bigint, p_action text) RETURNS bigint
LANGUAGE sql AS $$
    INSERT INTO @extschema@.job_detail (job_id, action, start_time)
    VALUES (p_job_id, p_action, clock_timestamp()) RETURNING step_id
$$;
CREATE FUNCTION add_step(p_job_id bigint, p_action text) RETURNS bigint LANGUAGE sql AS $$
    SELECT @extschema@._autonomous_add_step(p_job_id, p_action)
$$;

CREATE FUNCTION _autonomous_update_step(p_step_id bigint, p_status text, p_message text) RETURNS integer
LANGUAGE sql AS $$
    WITH u AS (
        UPDATE @extschema@.job_detail SET end_time = clock_timestamp(),
            elapsed_time = extract(epoch FROM clock_timestamp() - start_time),
            status = p_status, message = p_message
        WHERE step_id = p_step_id RETURNING 1)
    SELECT count(*)::integer FROM u
$$;
CREATE FUNCTION update_step(p_step_id bigint, p_status text, p_message text) RETURNS void
LANGUAGE sql AS $$ SELECT @extschema@._autonomous_update_step(p_step_id, p_status, p_message) $$;

CREATE FUNCTION _autonomous_close_job(p_job_id bigint) RETURNS integer LANGUAGE sql AS $$
    WITH u AS (
        UPDATE @extschema@.job_log SET end_time = clock_timestamp(),
            status = (SELECT alert_text FROM @extschema@.job_status_text WHERE alert_code = 1)
        WHERE job_id = p_job_id RETURNING 1)
    SELECT count(*)::integer FROM u
$$;
CREATE FUNCTION close_job(p_job_id bigint) RETURNS void LANGUAGE sql AS $$
    SELECT @extschema@._autonomous_close_job(p_job_id)
$$;

CREATE FUNCTION _autonomous_fail_job(p_job_id bigint, p_fail_level int) RETURNS integer LANGUAGE sql AS $$
    WITH u AS (
        UPDATE @extschema@.job_log SET end_time = clock_timestamp(),
            status = (SELECT alert_text FROM @extschema@.job_status_text WHERE alert_code = p_fail_level)
        WHERE job_id = p_job_id RETURNING 1)
    SELECT count(*)::integer FROM u
$$;
CREATE FUNCTION fail_job(p_job_id bigint, p_fail_level int DEFAULT 3) RETURNS void LANGUAGE sql AS $$
    SELECT @extschema@._autonomous_fail_job(p_job_id, p_fail_level)
$$;

-- A failed job's code goes into job_check_log; a success clears the job's.
CREATE FUNCTION job_monitor() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v_code int;
BEGIN
    SELECT alert_code INTO v_code FROM @extschema@.job_status_text WHERE alert_text = NEW.status;
    IF v_code = 1 THEN
        DELETE FROM @extschema@.job_check_log WHERE job_name = NEW.job_name;
    ELSIF v_code IS NOT NULL THEN
        INSERT INTO @extschema@.job_check_log (job_id, job_name, alert_code) VALUES (NEW.job_id, NEW.job_name, v_code);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER trg_job_monitor AFTER UPDATE ON @extschema@.job_log
FOR EACH ROW EXECUTE PROCEDURE @extschema@.job_monitor();

CREATE FUNCTION job_check_log_escalate_trig() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RETURN NEW;
END
$$;
CREATE TRIGGER job_check_log_escalate_trig BEFORE INSERT ON @extschema@.job_check_log
FOR EACH ROW EXECUTE PROCEDURE job_check_log_escalate_trig();

-- Stubs: only their signatures matter to the update.
CREATE FUNCTION cancel_job(p_job_id bigint) RETURNS boolean LANGUAGE sql AS $$ SELECT false $$;
CREATE FUNCTION check_job_status(p_history interval, OUT alert_code int, OUT alert_status text,
    OUT job_name text, OUT alert_text text) RETURNS SETOF record LANGUAGE sql AS $$
    SELECT 1, 'OK'::text, NULL::text, 'All jobs run successfully'::text
$$;
CREATE FUNCTION check_job_status(OUT alert_code int, OUT alert_status text, OUT job_name text,
    OUT alert_text text) RETURNS SETOF record LANGUAGE sql STABLE AS $$
    SELECT * FROM @extschema@.check_job_status('1 week'::interval)
$$;
CREATE FUNCTION job_log_clear(p_interval interval) RETURNS void LANGUAGE sql AS $$
    DELETE FROM @extschema@.job_log WHERE start_time < current_timestamp - p_interval
$$;
CREATE FUNCTION show_detail(p_id bigint) RETURNS SETOF @extschema@.job_detail LANGUAGE sql STABLE AS $$
    SELECT * FROM @extschema@.job_detail WHERE job_id = p_id ORDER BY step_id
$$;
CREATE FUNCTION show_detail(p_name text, int DEFAULT 1) RETURNS SETOF @extschema@.job_detail LANGUAGE sql STABLE AS $$
    SELECT d.* FROM @extschema@.job_detail d
    WHERE d.job_id IN (SELECT job_id FROM @extschema@.job_log WHERE job_name = upper(p_name)
                       ORDER BY job_id DESC LIMIT $2)
    ORDER BY d.job_id DESC, d.step_id
$$;
CREATE FUNCTION show_job(p_name text, int DEFAULT 10) RETURNS SETOF @extschema@.job_log LANGUAGE sql STABLE AS $$
    SELECT * FROM @extschema@.job_log WHERE job_name = upper(p_name) ORDER BY job_id DESC LIMIT $2
$$;
CREATE FUNCTION show_job_like(p_name text, int DEFAULT 10) RETURNS SETOF @extschema@.job_log LANGUAGE sql STABLE AS $$
    SELECT * FROM @extschema@.job_log WHERE job_name ~ upper(p_name) ORDER BY job_id DESC LIMIT $2
$$;
CREATE FUNCTION show_job_status(p_status text, int DEFAULT 10) RETURNS SETOF @extschema@.job_log LANGUAGE sql STABLE AS $$
    SELECT * FROM @extschema@.job_log WHERE status = p_status ORDER BY job_id DESC LIMIT $2
$$;
CREATE FUNCTION show_job_status(p_name text, p_status text, int DEFAULT 10) RETURNS SETOF @extschema@.job_log
LANGUAGE sql STABLE AS $$
    SELECT * FROM @extschema@.job_log WHERE job_name = upper(p_name) AND status = p_status
    ORDER BY job_id DESC LIMIT $3
$$;
CREATE FUNCTION show_running(int DEFAULT 10) RETURNS SETOF @extschema@.job_log LANGUAGE sql STABLE AS $$
    SELECT * FROM @extschema@.job_log WHERE end_time IS NULL ORDER BY job_id DESC LIMIT $1
$$;
CREATE FUNCTION sql_job(p_job_name text, p_sql text) RETURNS text LANGUAGE sql AS $$ SELECT 'stub'::text $$;
CREATE FUNCTION sql_step(p_job_id bigint, p_action text, p_sql text) RETURNS boolean LANGUAGE sql AS $$ SELECT false $$;
