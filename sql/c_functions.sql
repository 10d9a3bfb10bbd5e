-- Every SQL function implemented in C, grouped by the source file that
-- implements it: the SQL -> C half of the contract between the two.  The
-- other half, the SQL functions that the C calls, is declared in
-- src/bookkeeping_calls.h, which checks their result columns by name.

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

REVOKE ALL ON FUNCTION @extschema@._worker_launch(bigint, oid, timestamptz),
    @extschema@._dispatch_sleep(float8), @extschema@._latch_set_at_commit(integer) FROM PUBLIC;

CREATE FUNCTION @extschema@._process_exists(p_pid integer) RETURNS boolean
LANGUAGE C STRICT VOLATILE
AS 'MODULE_PATHNAME', 'jobmon_process_exists';

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
