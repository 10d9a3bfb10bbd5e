-- Every SQL function implemented in C, grouped by the source file that
-- implements it: the SQL -> C half of the contract between the two.  The
-- other half, the SQL functions that the C calls, is declared in
-- src/bookkeeping_calls.h, which checks their result columns by name.

-- src/api.c: who is calling.  The scheduler's API functions (create_job,
-- submit_job ...) are C functions too, with the symbol jobmon_api: each is
-- declared beside its body, _api_<name>, which it runs as the extension's
-- owner (sql/scheduler/access.sql).

-- The effective role of the calling context, or of the outermost API call
-- under way.
CREATE FUNCTION @extschema@._caller() RETURNS name
LANGUAGE C STABLE
AS 'MODULE_PATHNAME', 'jobmon_caller';

-- src/cron_sql.c: the cron engine (doc/cron.md).

CREATE FUNCTION @extschema@.cron_next(
    expr text,
    after timestamptz DEFAULT now(),
    tz text DEFAULT current_setting('TimeZone'))
RETURNS timestamptz
AS 'MODULE_PATHNAME', 'jobmon_cron_next'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.cron_next(text, timestamptz, text) IS
'First fire time of cron expression expr strictly after "after", in time zone tz; NULL if it never fires again';

CREATE FUNCTION @extschema@.cron_times(
    expr text,
    from_time timestamptz,
    to_time timestamptz,
    tz text DEFAULT current_setting('TimeZone'))
RETURNS SETOF timestamptz
AS 'MODULE_PATHNAME', 'jobmon_cron_times'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 100;

COMMENT ON FUNCTION @extschema@.cron_times(text, timestamptz, timestamptz, text) IS
'Every fire time of cron expression expr from from_time to to_time (both included), ascending, in time zone tz';

CREATE FUNCTION @extschema@.cron_validate(expr text)
RETURNS void
AS 'MODULE_PATHNAME', 'jobmon_cron_validate'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.cron_validate(text) IS
'Raise 22023 with the field and the offending text if expr is not a valid cron expression';

CREATE FUNCTION @extschema@.cron_is_valid(expr text)
RETURNS boolean
AS 'MODULE_PATHNAME', 'jobmon_cron_is_valid'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.cron_is_valid(text) IS
'True if expr is a valid cron expression';

CREATE FUNCTION @extschema@.cron_describe(expr text)
RETURNS text
AS 'MODULE_PATHNAME', 'jobmon_cron_describe'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.cron_describe(text) IS
'Cron expression expr in English, for example "At 02:30, Monday through Friday"';

-- src/job_context.c: what a running job knows about itself.

-- Inside a job's run (the worker knows it); an error elsewhere.
CREATE FUNCTION @extschema@.get_self_id() RETURNS bigint
LANGUAGE C STRICT VOLATILE
AS 'MODULE_PATHNAME', 'jobmon_get_self_id';

CREATE FUNCTION @extschema@.resubmit(run_after interval DEFAULT '1 second') RETURNS bigint
LANGUAGE C VOLATILE
AS 'MODULE_PATHNAME', 'jobmon_resubmit';

-- The run this process executes, when it is a pg_jobmon worker; NULL
-- otherwise (sql/run/log_guard.sql).
CREATE FUNCTION @extschema@._worker_run_id() RETURNS bigint
LANGUAGE C VOLATILE
AS 'MODULE_PATHNAME', 'jobmon_worker_run_id';

COMMENT ON FUNCTION @extschema@.get_self_id() IS 'inside a job: its job id';

COMMENT ON FUNCTION @extschema@.resubmit(interval) IS 'inside a one-off job: run it again that long after this run ends (up to resubmit_limit)';

-- src/launcher.c: the dispatcher's side of the workers.  Internal: only the
-- dispatcher (sql/dispatch/) calls them.

CREATE FUNCTION @extschema@._worker_launch(p_run_id bigint, p_role oid, p_due_at timestamptz)
RETURNS integer
LANGUAGE C STRICT VOLATILE
AS 'MODULE_PATHNAME', 'jobmon_worker_launch';

CREATE FUNCTION @extschema@._dispatch_sleep(p_seconds float8) RETURNS boolean
LANGUAGE C STRICT VOLATILE
AS 'MODULE_PATHNAME', 'jobmon_dispatch_sleep';

CREATE FUNCTION @extschema@._latch_set_at_commit(p_pid integer) RETURNS void
LANGUAGE C STRICT VOLATILE
AS 'MODULE_PATHNAME', 'jobmon_latch_set_at_commit';

CREATE FUNCTION @extschema@._process_exists(p_pid integer) RETURNS boolean
LANGUAGE C STRICT VOLATILE
AS 'MODULE_PATHNAME', 'jobmon_process_exists';

-- src/log_connection.c: the private logging connection, over which the log
-- writes of sql/logging/writes.sql commit on their own.
-- Each _log_send_* sends one fixed, prepared statement calling the writer
-- of the same name (_log_job_open ... in sql/logging/writes.sql) over the
-- session's logging connection, and returns what it returns; NULL when
-- on_log_failure = warning let a failure pass.  The identity a job is
-- opened with (the calling context's effective role, this backend's pid)
-- is not an argument: the C fills it in.  Executable by all: they do what
-- the logging API does, no more.

CREATE FUNCTION @extschema@._log_send_job_open(p_job_name text) RETURNS bigint
LANGUAGE C VOLATILE
AS 'MODULE_PATHNAME', 'jobmon_log_send_job_open';

CREATE FUNCTION @extschema@._log_send_step_open(p_job_id bigint, p_action text) RETURNS bigint
LANGUAGE C VOLATILE
AS 'MODULE_PATHNAME', 'jobmon_log_send_step_open';

CREATE FUNCTION @extschema@._log_send_step_close(p_step_id bigint, p_status text, p_message text)
RETURNS void
LANGUAGE C VOLATILE
AS 'MODULE_PATHNAME', 'jobmon_log_send_step_close';

CREATE FUNCTION @extschema@._log_send_job_close(p_job_id bigint, p_alert_code integer) RETURNS void
LANGUAGE C VOLATILE
AS 'MODULE_PATHNAME', 'jobmon_log_send_job_close';

CREATE FUNCTION @extschema@._log_send_event(
    p_step_id bigint, p_severity text, p_sqlstate text, p_message text, p_detail text,
    p_hint text, p_context text, p_schema_name text, p_table_name text, p_column_name text,
    p_datatype_name text, p_constraint_name text)
RETURNS bigint
LANGUAGE C VOLATILE
AS 'MODULE_PATHNAME', 'jobmon_log_send_event';

CREATE FUNCTION @extschema@._log_send_step_failed(
    p_step_id bigint, p_severity text, p_sqlstate text, p_message text, p_detail text,
    p_hint text, p_context text, p_schema_name text, p_table_name text, p_column_name text,
    p_datatype_name text, p_constraint_name text)
RETURNS bigint
LANGUAGE C VOLATILE
AS 'MODULE_PATHNAME', 'jobmon_log_send_step_failed';

-- On the log writer's connection, which logs in as the extension's owner:
-- the role the write under way is made for, until its transaction ends
-- (each statement above calls it first).  The checks made in the writer's
-- backend take that role for the caller (jobmon_log_caller_id() in C).
CREATE FUNCTION @extschema@._log_set_caller(p_caller oid) RETURNS void
LANGUAGE C STRICT VOLATILE
AS 'MODULE_PATHNAME', 'jobmon_log_set_caller';

-- Close the calling session's own logging connection (jobmon_config_set
-- does, so that a changed setting applies at once).
CREATE FUNCTION @extschema@._log_disconnect() RETURNS void
LANGUAGE C VOLATILE
AS 'MODULE_PATHNAME', 'jobmon_log_disconnect';

-- The calling session's log writer: its pid and the settings that matter
-- (NULLs when there is none; never opens one).  For tests and diagnosis.
CREATE FUNCTION @extschema@._log_connection_info(
    OUT pid integer, OUT synchronous_commit text, OUT lock_timeout text)
RETURNS record
LANGUAGE C VOLATILE
AS 'MODULE_PATHNAME', 'jobmon_log_connection_info';

COMMENT ON FUNCTION @extschema@._log_send_job_open(text) IS 'internal: open a job_log row, as the calling role, over the logging connection';

COMMENT ON FUNCTION @extschema@._log_send_step_open(bigint, text) IS 'internal: open a step over the logging connection';

COMMENT ON FUNCTION @extschema@._log_send_step_close(bigint, text, text) IS 'internal: set a step''s status and message over the logging connection';

COMMENT ON FUNCTION @extschema@._log_send_job_close(bigint, integer) IS 'internal: end a job over the logging connection';

COMMENT ON FUNCTION @extschema@._log_send_event(bigint, text, text, text, text, text, text, text, text, text, text, text) IS 'internal: record an event over the logging connection';

COMMENT ON FUNCTION @extschema@._log_send_step_failed(bigint, text, text, text, text, text, text, text, text, text, text, text) IS 'internal: record an error and fail its step over the logging connection';

COMMENT ON FUNCTION @extschema@._log_set_caller(oid) IS 'internal, on the log writer''s connection: the role the write under way is made for';

COMMENT ON FUNCTION @extschema@._log_disconnect() IS 'internal: close this session''s logging connection';

COMMENT ON FUNCTION @extschema@._log_connection_info() IS 'internal: this session''s log writer (pid, synchronous_commit, lock_timeout), or NULLs';

-- src/message.c: the error a PL/pgSQL handler is handling, as the fields of
-- a server message (sql/logging/events.sql).

CREATE FUNCTION @extschema@._handled_error(
    OUT severity text, OUT sqlstate text, OUT message text, OUT detail text, OUT hint text,
    OUT context text, OUT schema_name text, OUT table_name text, OUT column_name text,
    OUT datatype_name text, OUT constraint_name text)
RETURNS record
LANGUAGE C VOLATILE
AS 'MODULE_PATHNAME', 'jobmon_handled_error';

COMMENT ON FUNCTION @extschema@._handled_error() IS 'internal: the error the calling PL/pgSQL EXCEPTION handler is handling';

-- src/pg_jobmon.c: the library itself.

-- The version of the loaded library: jobmon_status() reports when the
-- installed objects are of another (a package upgraded without ALTER
-- EXTENSION pg_jobmon UPDATE), for no run starts then.
CREATE FUNCTION @extschema@._library_version() RETURNS text
LANGUAGE C STABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'jobmon_library_version';

COMMENT ON FUNCTION @extschema@._library_version() IS 'internal: the version of the loaded pg_jobmon library';
