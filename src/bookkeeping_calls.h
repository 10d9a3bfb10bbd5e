/*-------------------------------------------------------------------------
 *
 * bookkeeping_calls.h
 *		The C -> SQL half of the contract between pg_jobmon's library and
 *		its installed schema: every SQL function that the C calls, with its
 *		call text, its argument types, and the result columns the C reads,
 *		by name and type.
 *
 * The other half, the SQL functions implemented in C, is declared in
 * sql/c_functions.sql.  The SQL side of these calls is sql/run/worker.sql
 * (and _log_event, sql/logging/writes.sql; jobmon_config_show,
 * sql/settings/settings.sql).
 *
 * The worker (bookkeeping.c) executes each call as
 *		SELECT * FROM <extension schema>.<call>
 * so that a row comes as columns, prepared at its first use and kept for
 * the worker's life.  At that first prepare it looks every column declared
 * here up by name in the statement's result, and checks its type: a schema
 * older or newer than the library (ALTER EXTENSION UPDATE not yet run, or
 * a library older than the schema) stops the worker with an ERROR that
 * says so, instead of misreading a column.  Afterwards it reads each value
 * by the attribute number found by name, never by position.  A scalar
 * function's single column is named by a column alias in the call.
 *
 * Adding a column that the C reads: add it to the SQL function (in an
 * update script too) and here; the check keeps an old schema from being
 * misread by the new library.
 *
 * Included by bookkeeping.c only: the table itself is defined here, so
 * that the whole contract reads in one place.
 *
 *-------------------------------------------------------------------------
 */
#ifndef BOOKKEEPING_CALLS_H
#define BOOKKEEPING_CALLS_H

#include "catalog/pg_type.h"

#define JOBMON_CALL_MAX_ARGS	12
#define JOBMON_CALL_MAX_COLUMNS 10

/* A result column that the C reads. */
typedef struct JobmonCallColumn
{
	const char *name;
	Oid			type;
} JobmonCallColumn;

/* A SQL function that the C calls. */
typedef struct JobmonCall
{
	const char *function;		/* its name, as messages show it */
	const char *call;			/* the FROM item, after the schema */
	int			nargs;
	Oid			argtypes[JOBMON_CALL_MAX_ARGS];
	int			ncolumns;		/* result columns the C reads */
	JobmonCallColumn columns[JOBMON_CALL_MAX_COLUMNS];
} JobmonCall;

/* The calls, in the order a run makes them. */
typedef enum JobmonCallId
{
	CALL_WORKER_BEGIN,			/* claim the run; its _worker_run, or none */
	CALL_CONFIG_SHOW,			/* the settings, for the run's capture bounds
								 * (after _worker_begin or _worker_next) */
	CALL_WORKER_STEP_OPEN,		/* open a command's step; its id */
	CALL_LOG_EVENT,				/* record a message of a step */
	CALL_WORKER_STEP_CLOSE,		/* close a step; may the run go on? */
	CALL_WORKER_END,			/* end the run */
	CALL_WORKER_NEXT,			/* claim the next due run; its _worker_run */
	JOBMON_NUM_CALLS
} JobmonCallId;

/*
 * The columns of composite type _worker_run, which _worker_begin and
 * _worker_next return (indexes into JobmonCall.columns).
 */
typedef enum WorkerRunColumn
{
	WORKER_RUN_RUN_ID,
	WORKER_RUN_COMMANDS,
	WORKER_RUN_USE_SAME_TRANSACTION,
	WORKER_RUN_ONROLLBACK,
	WORKER_RUN_NEXT_TIME_STATEMENT,
	WORKER_RUN_MAX_RUN_MS,
	WORKER_RUN_CAPTURE_LEVEL,
	WORKER_RUN_JOB_ID,
	WORKER_RUN_ONEOFF,
	WORKER_RUN_PARAMS,
	WORKER_RUN_NUM_COLUMNS
} WorkerRunColumn;

#define WORKER_RUN_COLUMNS { \
	[WORKER_RUN_RUN_ID] = {"run_id", INT8OID}, \
	[WORKER_RUN_COMMANDS] = {"commands", TEXTARRAYOID}, \
	[WORKER_RUN_USE_SAME_TRANSACTION] = {"use_same_transaction", BOOLOID}, \
	[WORKER_RUN_ONROLLBACK] = {"onrollback", TEXTOID}, \
	[WORKER_RUN_NEXT_TIME_STATEMENT] = {"next_time_statement", TEXTOID}, \
	[WORKER_RUN_MAX_RUN_MS] = {"max_run_ms", INT8OID}, \
	[WORKER_RUN_CAPTURE_LEVEL] = {"capture_level", TEXTOID}, \
	[WORKER_RUN_JOB_ID] = {"job_id", INT8OID}, \
	[WORKER_RUN_ONEOFF] = {"oneoff", BOOLOID}, \
	[WORKER_RUN_PARAMS] = {"params", TEXTARRAYOID}, \
}

/* The single column of _worker_step_open and of _worker_step_close. */
#define STEP_OPEN_STEP_ID	0
#define STEP_CLOSE_GO_ON	0

/* The columns of jobmon_config_show that the worker reads. */
#define CONFIG_SHOW_NAME	0
#define CONFIG_SHOW_VALUE	1

static const JobmonCall jobmon_calls[JOBMON_NUM_CALLS] = {
	/* _worker_begin(p_run_id bigint) RETURNS SETOF _worker_run */
	[CALL_WORKER_BEGIN] = {
		.function = "_worker_begin",
		.call = "_worker_begin($1)",
		.nargs = 1,
		.argtypes = {INT8OID},
		.ncolumns = WORKER_RUN_NUM_COLUMNS,
		.columns = WORKER_RUN_COLUMNS,
	},

	/*
	 * jobmon_config_show(OUT name text, OUT value text, OUT default_value
	 * text, OUT description text) RETURNS SETOF record: every setting with
	 * its value, one row each (sql/settings/settings.sql).  The worker reads
	 * the capture bounds (capture_max_*) from it at the start of each run;
	 * a schema without them leaves the library's defaults.
	 */
	[CALL_CONFIG_SHOW] = {
		.function = "jobmon_config_show",
		.call = "jobmon_config_show()",
		.nargs = 0,
		.ncolumns = 2,
		.columns = {
			[CONFIG_SHOW_NAME] = {"name", TEXTOID},
			[CONFIG_SHOW_VALUE] = {"value", TEXTOID},
		},
	},
	/* _worker_step_open(p_run_id bigint, p_action text) RETURNS bigint */
	[CALL_WORKER_STEP_OPEN] = {
		.function = "_worker_step_open",
		.call = "_worker_step_open($1, $2) AS r(step_id)",
		.nargs = 2,
		.argtypes = {INT8OID, TEXTOID},
		.ncolumns = 1,
		.columns = {[STEP_OPEN_STEP_ID] = {"step_id", INT8OID}},
	},

	/*
	 * _log_event(p_step_id bigint, p_severity text, p_sqlstate text,
	 * p_message text, p_detail text, p_hint text, p_context text,
	 * p_schema_name text, p_table_name text, p_column_name text,
	 * p_datatype_name text, p_constraint_name text) RETURNS bigint; the
	 * event's id is not read.
	 */
	[CALL_LOG_EVENT] = {
		.function = "_log_event",
		.call = "_log_event($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
		.nargs = 12,
		.argtypes = {INT8OID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID,
		TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID},
		.ncolumns = 0,
	},

	/*
	 * _worker_step_close(p_run_id bigint, p_step_id bigint, p_ok boolean,
	 * p_message text) RETURNS boolean: whether the run may go on.
	 */
	[CALL_WORKER_STEP_CLOSE] = {
		.function = "_worker_step_close",
		.call = "_worker_step_close($1, $2, $3, $4) AS r(go_on)",
		.nargs = 4,
		.argtypes = {INT8OID, INT8OID, BOOLOID, TEXTOID},
		.ncolumns = 1,
		.columns = {[STEP_CLOSE_GO_ON] = {"go_on", BOOLOID}},
	},

	/*
	 * _worker_end(p_run_id bigint, p_outcome text, p_reason text,
	 * p_next_time text, p_next_time_error text, p_resubmit_after interval)
	 * RETURNS void
	 */
	[CALL_WORKER_END] = {
		.function = "_worker_end",
		.call = "_worker_end($1, $2, $3, $4, $5, $6)",
		.nargs = 6,
		.argtypes = {INT8OID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, INTERVALOID},
		.ncolumns = 0,
	},
	/* _worker_next(p_prev_run_id bigint) RETURNS SETOF _worker_run */
	[CALL_WORKER_NEXT] = {
		.function = "_worker_next",
		.call = "_worker_next($1)",
		.nargs = 1,
		.argtypes = {INT8OID},
		.ncolumns = WORKER_RUN_NUM_COLUMNS,
		.columns = WORKER_RUN_COLUMNS,
	},
};

#endif							/* BOOKKEEPING_CALLS_H */
