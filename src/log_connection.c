/*-------------------------------------------------------------------------
 *
 * log_connection.c
 *		The logging connection: a private libpq connection back into the
 *		same database, over which the logging API's writes commit on their
 *		own and so survive the caller's rollback.
 *
 * Privacy.  The connection logs in as the extension's owner (or the role
 * in the setting log_user), which makes it the most privileged thing in a
 * session, so no SQL reaches it but the fixed writes below.  It is a
 * PGconn held in this file's static state: dblink's named-connection
 * functions cannot see or use it, and no SQL function returns or opens a
 * connection that the caller could then use.  Each SQL-callable
 * jobmon_log_send_* function sends ONE statement, prepared once per
 * connection, that calls the writer of the same name in
 * sql/logging/writes.sql with parameters.  The caller's identity is not
 * among the parameters it takes: opening a job records the effective role
 * of the calling context (GetUserId()) and this backend's pid.  The
 * writers are executable only by the extension's owner, so nobody can
 * call them directly to write rows in another's name.
 *
 * On whose behalf.  The log writer's backend runs as the extension's
 * owner, so the checks made there (the scheduler's guard on the log of
 * its runs) cannot take its current_user for the caller.  Each statement
 * therefore first calls _log_set_caller() with the role of the calling
 * context (its OID, from GetUserId()), and jobmon_log_caller_id() returns
 * that role to the writer's backend until the write's transaction ends.
 * _log_set_caller() too is executable by the owner only.
 *
 * Where it connects.  Over the server's own socket (the first directory of
 * unix_socket_directories, or localhost), to this server's port and the
 * current database, as the extension's owner, with fallback_application_name
 * "pg_jobmon log writer"; the settings log_host, log_port and log_user say
 * otherwise.  The settings are read as the extension's owner when the
 * connection opens (and on_log_failure when a write fails), so a role that
 * logs needs no privilege on them.  On the connection: lock_timeout is
 * log_lock_timeout; synchronous_commit is off unless log_durability is
 * always (_log_job_close commits the end of a job with the server's
 * synchronous_commit unless log_durability is off).
 *
 * Reuse and failure.  One connection per session, opened by the first
 * write and reused.  A write that finds the connection dead (terminated,
 * server restarted) reconnects once and is sent again; a connection that
 * cannot be opened, or a second failure, is a logging failure, which the
 * setting on_log_failure turns into an error (default) or a warning, the
 * write then returning NULL.  Errors the writers raise (a job that does
 * not exist, a lock timeout) are always errors, with their own SQLSTATE.
 * Waits on the connection go through the process latch, so the caller can
 * be cancelled; the write it was waiting for is then cancelled too, and
 * the connection closed.
 *
 * Lifetime.  The connection serves the jobs this session opened (add_job,
 * sql_job) and has not yet ended (close_job, fail_job, cancel_job).  While
 * one is open the connection is kept.  At the end of a top-level
 * transaction with none open, the connection is closed once it has stayed
 * unused for LOGCONN_IDLE_CLOSE_MS: a timer then shuts its socket down
 * (shutdown() is all a signal handler may do), the log writer sees the
 * end of its input and exits, and the next use, or the next transaction
 * end, frees the PGconn.  The delay lets back-to-back jobs, one per
 * transaction, share one connection, where a new one would cost several
 * times the whole job.  So a session holds at most one extra connection,
 * only while it has a job open and for a moment after its last one ended.
 * A job this session opened but another session ended (cancel_job from
 * elsewhere) keeps the connection until this session ends.  The PGconn is
 * freed at backend exit too.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <signal.h>
#include <sys/socket.h>

#include "access/htup_details.h"
#include "access/xact.h"
#include "commands/dbcommands.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "libpq-fe.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "storage/fd.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/timeout.h"
#include "utils/varlena.h"
#include "utils/wait_event.h"

#include "pg_jobmon.h"

/* How long an unused connection serving no open job stays open. */
#define LOGCONN_IDLE_CLOSE_MS	1000

/* What the log writer's backend is called in pg_stat_activity. */
#define LOGCONN_APPLICATION_NAME "pg_jobmon log writer"

/* The writes, one prepared statement each. */
typedef enum LogconnWrite
{
	LOGCONN_JOB_OPEN,
	LOGCONN_STEP_OPEN,
	LOGCONN_STEP_CLOSE,
	LOGCONN_JOB_CLOSE,
	LOGCONN_EVENT,
	LOGCONN_STEP_FAILED,
	LOGCONN_NUM_WRITES
} LogconnWrite;

typedef struct LogconnStatement
{
	const char *name;			/* the prepared statement's name */
	const char *types;			/* its parameters' types */
	const char *call;			/* the writer it calls, with its arguments */
	int			nparams;		/* how many parameters, without the caller */
} LogconnStatement;

/*
 * Every statement has one more parameter than its writer: the caller's
 * role, for _log_set_caller().
 */
#define LOGCONN_EVENT_NARGS 12
#define LOGCONN_MAX_PARAMS (LOGCONN_EVENT_NARGS + 1)
#define LOGCONN_EVENT_TYPES \
	"(bigint, text, text, text, text, text, text, text, text, text, text, text, oid)"
#define LOGCONN_EVENT_ARGS "($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"

/* The writers are those of sql/logging/writes.sql (and events.sql). */
static const LogconnStatement logconn_statements[LOGCONN_NUM_WRITES] = {
	[LOGCONN_JOB_OPEN] = {"pg_jobmon_job_open", "(text, text, integer, oid)",
	"_log_job_open($1, $2, $3)", 3},
	[LOGCONN_STEP_OPEN] = {"pg_jobmon_step_open", "(bigint, text, oid)",
	"_log_step_open($1, $2)", 2},
	[LOGCONN_STEP_CLOSE] = {"pg_jobmon_step_close", "(bigint, text, text, oid)",
	"_log_step_close($1, $2, $3)", 3},
	[LOGCONN_JOB_CLOSE] = {"pg_jobmon_job_close", "(bigint, integer, oid)",
	"_log_job_close($1, $2)", 2},
	[LOGCONN_EVENT] = {"pg_jobmon_event", LOGCONN_EVENT_TYPES,
	"_log_event" LOGCONN_EVENT_ARGS, LOGCONN_EVENT_NARGS},
	[LOGCONN_STEP_FAILED] = {"pg_jobmon_step_failed", LOGCONN_EVENT_TYPES,
	"_log_step_failed" LOGCONN_EVENT_ARGS, LOGCONN_EVENT_NARGS},
};

/* The settings the connection depends on, as _setting() returns them. */
typedef struct LogconnSettings
{
	char	   *schema;			/* the extension's schema, quoted */
	char	   *owner;			/* the extension's owner */
	char	   *log_host;		/* NULL: the default */
	char	   *log_port;		/* NULL: the default */
	char	   *log_user;		/* NULL: the default */
	char	   *log_lock_timeout;
	char	   *log_durability;
	char	   *on_log_failure;
} LogconnSettings;

/* A logging failure, as it is reported to the caller. */
typedef struct LogconnFailure
{
	int			sqlstate;
	char	   *message;
	char	   *detail;			/* or NULL */
	char	   *hint;			/* or NULL */
} LogconnFailure;

/*
 * Module state: the connection, and the jobs it serves.
 */
static PGconn *logconn_conn = NULL;

/* The jobs this session opened and has not ended (in TopMemoryContext). */
static int64 *logconn_open_jobs = NULL;
static int	logconn_num_open = 0;
static int	logconn_max_open = 0;

/*
 * In the log writer's backend: the role the current transaction's write is
 * made for (_log_set_caller), InvalidOid elsewhere.
 */
static Oid	logconn_write_caller = InvalidOid;
static bool logconn_writer_registered = false;

static bool logconn_registered = false; /* callbacks and timeout */
static TimeoutId logconn_idle_timeout;
static bool logconn_idle_armed = false;

/*
 * Shared with the idle timer's signal handler: the socket it may shut
 * down (-1: none, the connection is in use or gone), and whether it did.
 */
static volatile sig_atomic_t logconn_idle_socket = -1;
static volatile sig_atomic_t logconn_idle_closed = false;

/*
 * Function declarations
 */
PG_FUNCTION_INFO_V1(jobmon_log_send_job_open);
PG_FUNCTION_INFO_V1(jobmon_log_send_step_open);
PG_FUNCTION_INFO_V1(jobmon_log_send_step_close);
PG_FUNCTION_INFO_V1(jobmon_log_send_job_close);
PG_FUNCTION_INFO_V1(jobmon_log_send_event);
PG_FUNCTION_INFO_V1(jobmon_log_send_step_failed);
PG_FUNCTION_INFO_V1(jobmon_log_disconnect);
PG_FUNCTION_INFO_V1(jobmon_log_connection_info);
PG_FUNCTION_INFO_V1(jobmon_log_set_caller);

static bool logconn_write(LogconnWrite write, const char **params,
						  char **result);
static void logconn_use_begin(void);
static bool logconn_open(LogconnFailure *failure);
static bool logconn_setup(const LogconnSettings *settings,
						  LogconnFailure *failure);
static void logconn_read_settings(LogconnSettings *settings);
static char *logconn_default_host(void);
static PGresult *logconn_get_result(void);
static bool logconn_connection_failed(const PGresult *res);
static void logconn_failure_from(const PGresult *res, LogconnFailure *failure);
static void logconn_raise_remote_error(PGresult *res, bool disconnect);
static void logconn_report_failure(const LogconnFailure *failure);
static void logconn_disconnect(void);
static void logconn_register(void);
static void logconn_xact_callback(XactEvent event, void *arg);
static void logconn_writer_xact_callback(XactEvent event, void *arg);
static void logconn_proc_exit(int code, Datum arg);
static void logconn_idle_timeout_handler(void);
static void logconn_notice_receiver(void *arg, const PGresult *res);
static void logconn_job_opened(int64 job_id);
static void logconn_job_ended(int64 job_id);
static const char *logconn_text_arg(FunctionCallInfo fcinfo, int argno);
static const char *logconn_int8_arg(FunctionCallInfo fcinfo, int argno);
static const char *logconn_int4_arg(FunctionCallInfo fcinfo, int argno);

/*
 * SQL-callable functions
 */

/*
 * _log_send_job_open(p_job_name text) returns the job_id of a new job_log
 * row owned by the effective role of the calling context and naming this
 * backend's pid; NULL when on_log_failure = warning let a failure pass.
 */
Datum
jobmon_log_send_job_open(PG_FUNCTION_ARGS)
{
	const char *params[4];
	char		pid[16];
	char	   *result;
	int64		job_id;

	params[0] = logconn_text_arg(fcinfo, 0);
	params[1] = GetUserNameFromId(GetUserId(), false);
	snprintf(pid, sizeof(pid), "%d", MyProcPid);
	params[2] = pid;

	if (!logconn_write(LOGCONN_JOB_OPEN, params, &result) || result == NULL)
		PG_RETURN_NULL();
	job_id = pg_strtoint64(result);
	logconn_job_opened(job_id);
	PG_RETURN_INT64(job_id);
}

/*
 * _log_send_step_open(p_job_id bigint, p_action text) returns the step_id
 * of a new job_detail row of that job.
 */
Datum
jobmon_log_send_step_open(PG_FUNCTION_ARGS)
{
	const char *params[3];
	char	   *result;

	params[0] = logconn_int8_arg(fcinfo, 0);
	params[1] = logconn_text_arg(fcinfo, 1);

	if (!logconn_write(LOGCONN_STEP_OPEN, params, &result) || result == NULL)
		PG_RETURN_NULL();
	PG_RETURN_INT64(pg_strtoint64(result));
}

/*
 * _log_send_step_close(p_step_id bigint, p_status text, p_message text)
 * sets a step's status, message and end.
 */
Datum
jobmon_log_send_step_close(PG_FUNCTION_ARGS)
{
	const char *params[4];
	char	   *result;

	params[0] = logconn_int8_arg(fcinfo, 0);
	params[1] = logconn_text_arg(fcinfo, 1);
	params[2] = logconn_text_arg(fcinfo, 2);

	(void) logconn_write(LOGCONN_STEP_CLOSE, params, &result);
	PG_RETURN_VOID();
}

/*
 * _log_send_job_close(p_job_id bigint, p_alert_code integer) ends a job
 * with the status text of that alert code.
 */
Datum
jobmon_log_send_job_close(PG_FUNCTION_ARGS)
{
	const char *params[3];
	char	   *result;

	params[0] = logconn_int8_arg(fcinfo, 0);
	params[1] = logconn_int4_arg(fcinfo, 1);

	if (logconn_write(LOGCONN_JOB_CLOSE, params, &result) && !PG_ARGISNULL(0))
		logconn_job_ended(PG_GETARG_INT64(0));
	PG_RETURN_VOID();
}

/*
 * _log_send_event(p_step_id bigint, then the eleven text fields of a
 * message) records an event against a step and returns its event_id.
 */
Datum
jobmon_log_send_event(PG_FUNCTION_ARGS)
{
	const char *params[LOGCONN_MAX_PARAMS];
	char	   *result;

	params[0] = logconn_int8_arg(fcinfo, 0);
	for (int i = 1; i < LOGCONN_EVENT_NARGS; i++)
		params[i] = logconn_text_arg(fcinfo, i);

	if (!logconn_write(LOGCONN_EVENT, params, &result) || result == NULL)
		PG_RETURN_NULL();
	PG_RETURN_INT64(pg_strtoint64(result));
}

/*
 * _log_send_step_failed(the arguments of _log_send_event) records the
 * error as an event and marks the step failed, in one write.
 */
Datum
jobmon_log_send_step_failed(PG_FUNCTION_ARGS)
{
	const char *params[LOGCONN_MAX_PARAMS];
	char	   *result;

	params[0] = logconn_int8_arg(fcinfo, 0);
	for (int i = 1; i < LOGCONN_EVENT_NARGS; i++)
		params[i] = logconn_text_arg(fcinfo, i);

	if (!logconn_write(LOGCONN_STEP_FAILED, params, &result) || result == NULL)
		PG_RETURN_NULL();
	PG_RETURN_INT64(pg_strtoint64(result));
}

/*
 * _log_disconnect() closes this session's logging connection, if it has
 * one; the next write opens a new one with the current settings.
 */
Datum
jobmon_log_disconnect(PG_FUNCTION_ARGS)
{
	logconn_disconnect();
	PG_RETURN_VOID();
}

/*
 * _log_connection_info() returns the pid of this session's log writer and
 * its synchronous_commit and lock_timeout, or NULLs when the session has no
 * live logging connection.  It never opens one.
 */
Datum
jobmon_log_connection_info(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	Datum		values[3] = {0};
	bool		nulls[3] = {true, true, true};

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");

	logconn_use_begin();
	if (logconn_conn != NULL &&
		PQsendQuery(logconn_conn,
					"SELECT pg_catalog.current_setting('synchronous_commit'), "
					"pg_catalog.current_setting('lock_timeout')"))
	{
		PGresult   *res = logconn_get_result();

		if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
		{
			values[0] = Int32GetDatum(PQbackendPID(logconn_conn));
			values[1] = CStringGetTextDatum(PQgetvalue(res, 0, 0));
			values[2] = CStringGetTextDatum(PQgetvalue(res, 0, 1));
			nulls[0] = nulls[1] = nulls[2] = false;
		}
		PQclear(res);
	}
	/* A connection that could not answer is dead: forget it. */
	if (nulls[0])
		logconn_disconnect();

	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/*
 * _log_set_caller(p_caller oid), on the log writer's connection: the role
 * the write under way is made for, until its transaction ends.  Executable
 * by the extension's owner only, as whom the connection logs in.
 */
Datum
jobmon_log_set_caller(PG_FUNCTION_ARGS)
{
	if (!logconn_writer_registered)
	{
		RegisterXactCallback(logconn_writer_xact_callback, NULL);
		logconn_writer_registered = true;
	}
	logconn_write_caller = PG_GETARG_OID(0);
	PG_RETURN_VOID();
}

/*
 * The role that the log write under way in this backend is made for, when
 * this is a log writer's backend inside a write; InvalidOid otherwise.
 */
Oid
jobmon_log_caller_id(void)
{
	return logconn_write_caller;
}

/*
 * Writing
 */

/*
 * Send one write with its parameters (text, NULL for SQL NULL; params has
 * room for one more, the caller's role, which this fills in) and wait
 * for it.  Returns true and the text of the single value it returns in
 * *result (NULL for SQL NULL); or false when the log could not be written
 * and on_log_failure = warning let the caller carry on.  Raises an error
 * for a failure otherwise, and for any error the writer raised.
 */
static bool
logconn_write(LogconnWrite write, const char **params, char **result)
{
	const LogconnStatement *stmt = &logconn_statements[write];
	LogconnFailure failure;
	bool		fresh = false;
	char		caller[16];

	/* The caller's role follows the writer's arguments, in params' room. */
	snprintf(caller, sizeof(caller), "%u", GetUserId());
	params[stmt->nparams] = caller;

	*result = NULL;
	logconn_use_begin();
	for (;;)
	{
		PGresult   *res = NULL;

		if (logconn_conn == NULL)
		{
			if (!logconn_open(&failure))
				break;
			fresh = true;
		}

		if (PQsendQueryPrepared(logconn_conn, stmt->name, stmt->nparams + 1,
								params, NULL, NULL, 0))
			res = logconn_get_result();

		if (PQresultStatus(res) == PGRES_TUPLES_OK)
		{
			if (PQntuples(res) > 0 && !PQgetisnull(res, 0, 0))
				*result = pstrdup(PQgetvalue(res, 0, 0));
			PQclear(res);
			return true;
		}
		if (!logconn_connection_failed(res))
			logconn_raise_remote_error(res, false);

		/* The connection is gone: reconnect once, unless it was new. */
		logconn_failure_from(res, &failure);
		PQclear(res);
		logconn_disconnect();
		if (fresh)
			break;
	}
	logconn_report_failure(&failure);
	return false;
}

/*
 * Before any use of the connection: stop the idle timer, and forget a
 * connection that it shut down.
 */
static void
logconn_use_begin(void)
{
	logconn_idle_socket = -1;	/* from here on the handler does nothing */
	if (logconn_idle_armed)
	{
		disable_timeout(logconn_idle_timeout, false);
		logconn_idle_armed = false;
	}
	if (logconn_idle_closed)
		logconn_disconnect();
}

/*
 * Open the connection (logconn_conn) with the current settings and prepare
 * the writes on it.  Returns false, with what went wrong in *failure, when
 * it cannot be opened; raises an error the server raised while setting it
 * up (an invalid setting).
 */
static bool
logconn_open(LogconnFailure *failure)
{
	LogconnSettings settings;
	const char *keywords[7];
	const char *values[7];
	char	   *host;
	char	   *port;
	char	   *user;
	char	   *dbname;
	PGconn	   *volatile conn = NULL;
	int			n = 0;

	logconn_register();
	logconn_read_settings(&settings);
	host = settings.log_host ? settings.log_host : logconn_default_host();
	port = settings.log_port ? settings.log_port :
		pstrdup(GetConfigOption("port", false, false));
	user = settings.log_user ? settings.log_user : settings.owner;
	dbname = get_database_name(MyDatabaseId);

	keywords[n] = "host";
	values[n++] = host;
	keywords[n] = "port";
	values[n++] = port;
	keywords[n] = "dbname";
	values[n++] = dbname;
	keywords[n] = "user";
	values[n++] = user;
	keywords[n] = "fallback_application_name";
	values[n++] = LOGCONN_APPLICATION_NAME;
	keywords[n] = "client_encoding";
	values[n++] = GetDatabaseEncodingName();
	keywords[n] = NULL;
	values[n] = NULL;

	failure->sqlstate = ERRCODE_SQLCLIENT_UNABLE_TO_ESTABLISH_SQLCONNECTION;
	failure->message = "could not open the pg_jobmon logging connection";
	failure->hint = "Let the role log in without a password over that socket "
		"(pg_hba.conf, or a .pgpass file of the server's system account), "
		"or point jobmon_config_set('log_host' | 'log_port' | 'log_user', ...) "
		"at a connection that works.";

	if (!AcquireExternalFD())
	{
		failure->detail = psprintf("Connecting to database \"%s\" as role \"%s\" through host \"%s\", port %s failed: %s",
								   dbname, user, host, port,
								   "there are too many open files on the local server");
		failure->hint = "Raise the server's max_files_per_process and/or \"ulimit -n\" limits.";
		return false;
	}

	/* Connect without blocking interrupts (as PostgreSQL 16's libpqsrv). */
	PG_TRY();
	{
		PostgresPollingStatusType status = PGRES_POLLING_WRITING;

		conn = PQconnectStartParams(keywords, values, false);
		if (conn != NULL && PQstatus(conn) != CONNECTION_BAD)
		{
			while (status != PGRES_POLLING_OK && status != PGRES_POLLING_FAILED)
			{
				int			io = status == PGRES_POLLING_READING ?
					WL_SOCKET_READABLE : WL_SOCKET_WRITEABLE;
				int			rc;

				rc = WaitLatchOrSocket(MyLatch,
									   WL_EXIT_ON_PM_DEATH | WL_LATCH_SET | io,
									   PQsocket(conn), -1L, PG_WAIT_EXTENSION);
				if (rc & WL_LATCH_SET)
				{
					ResetLatch(MyLatch);
					CHECK_FOR_INTERRUPTS();
				}
				if (rc & io)
					status = PQconnectPoll(conn);
			}
		}
	}
	PG_CATCH();
	{
		PQfinish(conn);
		ReleaseExternalFD();
		PG_RE_THROW();
	}
	PG_END_TRY();

	if (conn == NULL || PQstatus(conn) != CONNECTION_OK)
	{
		failure->detail = psprintf("Connecting to database \"%s\" as role \"%s\" through host \"%s\", port %s failed: %s",
								   dbname, user, host, port,
								   conn ? pchomp(PQerrorMessage(conn)) : "out of memory");
		PQfinish(conn);
		ReleaseExternalFD();
		return false;
	}

	PQsetNoticeReceiver(conn, logconn_notice_receiver, NULL);
	logconn_conn = conn;
	return logconn_setup(&settings, failure);
}

/*
 * Set the new connection up: no search_path (every name is qualified),
 * lock_timeout and synchronous_commit from the settings, and the writes
 * prepared.  Two round trips.  Returns false, with *failure filled in,
 * when the connection broke meanwhile (and is closed).
 */
static bool
logconn_setup(const LogconnSettings *settings, LogconnFailure *failure)
{
	StringInfoData sql;
	const char *params[1];
	PGresult   *res = NULL;
	bool		ok;

	initStringInfo(&sql);
	appendStringInfoString(&sql,
						   "SELECT pg_catalog.set_config('search_path', '', false), "
						   "pg_catalog.set_config('lock_timeout', $1, false)");
	/* Unless every write is to wait for its flush, only a job's end does. */
	if (strcmp(settings->log_durability, "always") != 0)
		appendStringInfoString(&sql,
							   ", pg_catalog.set_config('synchronous_commit', 'off', false)");
	params[0] = settings->log_lock_timeout;
	if (PQsendQueryParams(logconn_conn, sql.data, 1, NULL, params,
						  NULL, NULL, 0))
		res = logconn_get_result();
	ok = PQresultStatus(res) == PGRES_TUPLES_OK;

	if (ok)
	{
		PQclear(res);
		res = NULL;
		resetStringInfo(&sql);
		for (int i = 0; i < LOGCONN_NUM_WRITES; i++)
			appendStringInfo(&sql, "PREPARE %s%s AS SELECT %s.%s FROM %s._log_set_caller($%d);\n",
							 logconn_statements[i].name,
							 logconn_statements[i].types,
							 settings->schema,
							 logconn_statements[i].call,
							 settings->schema,
							 logconn_statements[i].nparams + 1);
		if (PQsendQuery(logconn_conn, sql.data))
			res = logconn_get_result();
		ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	}
	pfree(sql.data);

	if (ok)
	{
		PQclear(res);
		return true;
	}
	/* The server refused the setup (an invalid setting): close, report. */
	if (!logconn_connection_failed(res))
		logconn_raise_remote_error(res, true);
	logconn_failure_from(res, failure);
	PQclear(res);
	logconn_disconnect();
	return false;
}

/*
 * Read the extension's schema and owner, and its settings as _setting()
 * gives them, as the extension's owner: the settings decide where and as
 * whom the connection logs in, and a role that logs need not read them.
 * Allocates in the current memory context.
 */
static void
logconn_read_settings(LogconnSettings *settings)
{
	static const char *const names[] = {
		"log_host", "log_port", "log_user", "log_lock_timeout",
		"log_durability", "on_log_failure"
	};
	char	  **fields[] = {
		&settings->log_host, &settings->log_port, &settings->log_user,
		&settings->log_lock_timeout, &settings->log_durability,
		&settings->on_log_failure
	};
	MemoryContext caller_context = CurrentMemoryContext;
	Oid			owner;
	Oid			nspid;
	Oid			saved_userid;
	int			saved_sec_context;
	StringInfoData sql;

	jobmon_extension_lookup(&owner, &nspid, NULL);

	settings->owner = GetUserNameFromId(owner, false);
	settings->schema = pstrdup(quote_identifier(get_namespace_name(nspid)));

	initStringInfo(&sql);
	appendStringInfoString(&sql, "SELECT ");
	for (int i = 0; i < lengthof(names); i++)
		appendStringInfo(&sql, "%s%s._setting(%s)", i > 0 ? ", " : "",
						 settings->schema, quote_literal_cstr(names[i]));

	GetUserIdAndSecContext(&saved_userid, &saved_sec_context);
	SetUserIdAndSecContext(owner, saved_sec_context | SECURITY_LOCAL_USERID_CHANGE);
	PG_TRY();
	{
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		if (SPI_execute(sql.data, false, 1) != SPI_OK_SELECT || SPI_processed != 1)
			elog(ERROR, "could not read the pg_jobmon settings");
		for (int i = 0; i < lengthof(names); i++)
		{
			char	   *value = SPI_getvalue(SPI_tuptable->vals[0],
											 SPI_tuptable->tupdesc, i + 1);

			*fields[i] = value ? MemoryContextStrdup(caller_context, value) : NULL;
		}
		SPI_finish();
	}
	PG_FINALLY();
	{
		SetUserIdAndSecContext(saved_userid, saved_sec_context);
	}
	PG_END_TRY();
	pfree(sql.data);

	/* Built-in defaults, should _setting() return NULL for these. */
	if (settings->log_lock_timeout == NULL)
		settings->log_lock_timeout = "10s";
	if (settings->log_durability == NULL)
		settings->log_durability = "job_end";
	if (settings->on_log_failure == NULL)
		settings->on_log_failure = "error";
}

/*
 * The server's own socket: the first directory of unix_socket_directories,
 * or localhost when it has none.
 */
static char *
logconn_default_host(void)
{
	const char *value = GetConfigOption("unix_socket_directories", true, false);
	List	   *dirs;

	if (value != NULL &&
		SplitDirectoriesString(pstrdup(value), ',', &dirs) && dirs != NIL)
		return (char *) linitial(dirs);
	return "localhost";
}

/*
 * Wait for the result of what was sent, on the process latch so that the
 * caller can be interrupted, and return the last result (the caller clears
 * it), or NULL.  An interrupt cancels the statement on the server, closes
 * the connection, whose state is then unknown, and is raised.
 */
static PGresult *
logconn_get_result(void)
{
	PGconn	   *conn = logconn_conn;
	PGresult   *volatile last = NULL;

	PG_TRY();
	{
		for (;;)
		{
			PGresult   *res;

			while (PQisBusy(conn))
			{
				int			rc;

				rc = WaitLatchOrSocket(MyLatch,
									   WL_EXIT_ON_PM_DEATH | WL_LATCH_SET | WL_SOCKET_READABLE,
									   PQsocket(conn), -1L, PG_WAIT_EXTENSION);
				if (rc & WL_LATCH_SET)
				{
					ResetLatch(MyLatch);
					CHECK_FOR_INTERRUPTS();
				}
				/* A read that fails leaves an error for PQgetResult. */
				if ((rc & WL_SOCKET_READABLE) && !PQconsumeInput(conn))
					break;
			}
			res = PQgetResult(conn);
			if (res == NULL)
				break;
			PQclear(last);
			last = res;
			if (PQstatus(conn) == CONNECTION_BAD)
				break;
		}
	}
	PG_CATCH();
	{
		PGcancel   *cancel = PQgetCancel(conn);
		char		errbuf[256];

		/* Best effort: the write that was interrupted is not to commit. */
		if (cancel != NULL)
		{
			(void) PQcancel(cancel, errbuf, sizeof(errbuf));
			PQfreeCancel(cancel);
		}
		PQclear(last);
		logconn_disconnect();
		PG_RE_THROW();
	}
	PG_END_TRY();
	return last;
}

/*
 * Whether a write failed because of the connection rather than an error
 * the server raised on a connection that still works: no result, a broken
 * connection, or the SQLSTATEs of a connection going away.
 */
static bool
logconn_connection_failed(const PGresult *res)
{
	const char *sqlstate;

	if (res == NULL || logconn_conn == NULL ||
		PQstatus(logconn_conn) != CONNECTION_OK ||
		PQresultStatus(res) != PGRES_FATAL_ERROR)
		return true;
	sqlstate = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	if (sqlstate == NULL)
		return true;
	return strncmp(sqlstate, "08", 2) == 0 ||
		strcmp(sqlstate, "57P01") == 0 ||	/* admin_shutdown */
		strcmp(sqlstate, "57P02") == 0 ||	/* crash_shutdown */
		strcmp(sqlstate, "57P03") == 0; /* cannot_connect_now */
}

/*
 * What a connection failure says, from its result or the connection's
 * error message; allocated in the current memory context.
 */
static void
logconn_failure_from(const PGresult *res, LogconnFailure *failure)
{
	const char *sqlstate = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *message = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	const char *detail = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL) : NULL;
	const char *hint = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_HINT) : NULL;

	failure->sqlstate = sqlstate && strlen(sqlstate) == 5 ?
		MAKE_SQLSTATE(sqlstate[0], sqlstate[1], sqlstate[2], sqlstate[3], sqlstate[4]) :
		ERRCODE_CONNECTION_FAILURE;
	if (message != NULL)
		failure->message = pstrdup(message);
	else if (logconn_conn != NULL && *PQerrorMessage(logconn_conn) != '\0')
		failure->message = pchomp(PQerrorMessage(logconn_conn));
	else
		failure->message = "the logging connection was lost";
	failure->detail = detail ? pstrdup(detail) : NULL;
	failure->hint = hint ? pstrdup(hint) : NULL;
}

/*
 * Raise the error that the server raised for a write, with its SQLSTATE,
 * message, detail, hint and context; clears res, and closes the connection
 * first if asked.
 */
static void
logconn_raise_remote_error(PGresult *res, bool disconnect)
{
	const char *sqlstate = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	char	   *message = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	char	   *detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
	char	   *hint = PQresultErrorField(res, PG_DIAG_MESSAGE_HINT);
	char	   *context = PQresultErrorField(res, PG_DIAG_CONTEXT);
	int			code = ERRCODE_INTERNAL_ERROR;

	if (sqlstate != NULL && strlen(sqlstate) == 5)
		code = MAKE_SQLSTATE(sqlstate[0], sqlstate[1], sqlstate[2],
							 sqlstate[3], sqlstate[4]);
	message = message ? pstrdup(message) :
		pchomp(PQresultErrorMessage(res));
	detail = detail ? pstrdup(detail) : NULL;
	hint = hint ? pstrdup(hint) : NULL;
	context = context ? pstrdup(context) : NULL;
	PQclear(res);
	if (disconnect)
		logconn_disconnect();

	ereport(ERROR,
			(errcode(code),
			 errmsg_internal("%s", message),
			 detail ? errdetail_internal("%s", detail) : 0,
			 hint ? errhint("%s", hint) : 0,
			 context ? errcontext("%s", context) : 0,
			 errcontext("while writing to the pg_jobmon job log")));
}

/*
 * Report a logging failure as on_log_failure says: an error, or a warning
 * after which the write returns NULL.
 */
static void
logconn_report_failure(const LogconnFailure *failure)
{
	LogconnSettings settings;
	StringInfoData detail;

	logconn_read_settings(&settings);

	/* "Could not open ... connection. Connecting to ... failed: ..." */
	initStringInfo(&detail);
	appendStringInfoString(&detail, failure->message);
	if (detail.len > 0)
		detail.data[0] = pg_toupper((unsigned char) detail.data[0]);
	appendStringInfoChar(&detail, '.');
	if (failure->detail != NULL)
		appendStringInfo(&detail, " %s", failure->detail);

	ereport(strcmp(settings.on_log_failure, "warning") == 0 ? WARNING : ERROR,
			(errcode(failure->sqlstate),
			 errmsg("could not write to the pg_jobmon job log"),
			 errdetail_internal("%s", detail.data),
			 errhint("%s", failure->hint ? failure->hint :
					 "Check the logging connection settings with SELECT * FROM jobmon_config_show().")));
	pfree(detail.data);
}

/*
 * Lifetime
 */

/*
 * Close the connection, if there is one, and stop its idle timer.
 */
static void
logconn_disconnect(void)
{
	logconn_idle_socket = -1;
	if (logconn_idle_armed)
	{
		disable_timeout(logconn_idle_timeout, false);
		logconn_idle_armed = false;
	}
	logconn_idle_closed = false;
	if (logconn_conn != NULL)
	{
		PQfinish(logconn_conn);
		logconn_conn = NULL;
		ReleaseExternalFD();
	}
}

/*
 * Register, once per backend, what the connection's lifetime needs: the
 * end-of-transaction callback, the exit callback and the idle timer.
 */
static void
logconn_register(void)
{
	if (logconn_registered)
		return;
	RegisterXactCallback(logconn_xact_callback, NULL);
	on_proc_exit(logconn_proc_exit, (Datum) 0);
	logconn_idle_timeout = RegisterTimeout(USER_TIMEOUT,
										   logconn_idle_timeout_handler);
	logconn_registered = true;
}

/*
 * At the end of a top-level transaction, a connection that serves no open
 * job of this session is closed after LOGCONN_IDLE_CLOSE_MS unused (or
 * now, if the idle timer already shut it down).
 */
static void
logconn_xact_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
		case XACT_EVENT_PREPARE:
			break;
		default:
			return;
	}
	if (logconn_conn == NULL || logconn_num_open > 0)
		return;
	if (logconn_idle_closed || LOGCONN_IDLE_CLOSE_MS <= 0)
	{
		logconn_disconnect();
		return;
	}
	logconn_idle_socket = PQsocket(logconn_conn);
	enable_timeout_after(logconn_idle_timeout, LOGCONN_IDLE_CLOSE_MS);
	logconn_idle_armed = true;
}

/*
 * In the log writer's backend: a write's caller holds for its transaction.
 */
static void
logconn_writer_xact_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
		case XACT_EVENT_PREPARE:
			logconn_write_caller = InvalidOid;
			break;
		default:
			break;
	}
}

/*
 * The idle timer, in a signal handler: shut the connection's socket down,
 * which ends the log writer's backend (an end of input, not an error);
 * the PGconn is freed at its next use or transaction end.
 */
static void
logconn_idle_timeout_handler(void)
{
	int			sock = logconn_idle_socket;

	if (sock >= 0)
	{
		logconn_idle_socket = -1;
		(void) shutdown(sock, SHUT_RDWR);
		logconn_idle_closed = true;
	}
}

/*
 * At backend exit: end the connection cleanly.
 */
static void
logconn_proc_exit(int code, Datum arg)
{
	logconn_idle_socket = -1;
	if (logconn_conn != NULL)
	{
		PQfinish(logconn_conn);
		logconn_conn = NULL;
	}
}

/*
 * The writers raise no notices; should the log writer's server send one,
 * it goes to this server's log at DEBUG1, not to the caller.
 */
static void
logconn_notice_receiver(void *arg, const PGresult *res)
{
	ereport(DEBUG1,
			(errmsg_internal("pg_jobmon log writer: %s",
							 PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) ?
							 PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : "")));
}

/*
 * The jobs this session opened
 */

/* Remember a job this session opened. */
static void
logconn_job_opened(int64 job_id)
{
	if (logconn_num_open == logconn_max_open)
	{
		int			max = Max(8, logconn_max_open * 2);

		logconn_open_jobs = logconn_open_jobs == NULL ?
			MemoryContextAlloc(TopMemoryContext, max * sizeof(int64)) :
			repalloc(logconn_open_jobs, max * sizeof(int64));
		logconn_max_open = max;
	}
	logconn_open_jobs[logconn_num_open++] = job_id;
}

/* Forget a job that this session ended, if it opened it. */
static void
logconn_job_ended(int64 job_id)
{
	/* The job ended is most often the last one opened. */
	for (int i = logconn_num_open - 1; i >= 0; i--)
	{
		if (logconn_open_jobs[i] == job_id)
		{
			logconn_open_jobs[i] = logconn_open_jobs[--logconn_num_open];
			return;
		}
	}
}

/*
 * Arguments as the text parameters of a write (NULL for SQL NULL),
 * allocated in the current memory context
 */

static const char *
logconn_text_arg(FunctionCallInfo fcinfo, int argno)
{
	if (PG_ARGISNULL(argno))
		return NULL;
	return text_to_cstring(PG_GETARG_TEXT_PP(argno));
}

static const char *
logconn_int8_arg(FunctionCallInfo fcinfo, int argno)
{
	if (PG_ARGISNULL(argno))
		return NULL;
	return psprintf(INT64_FORMAT, PG_GETARG_INT64(argno));
}

static const char *
logconn_int4_arg(FunctionCallInfo fcinfo, int argno)
{
	if (PG_ARGISNULL(argno))
		return NULL;
	return psprintf("%d", PG_GETARG_INT32(argno));
}
