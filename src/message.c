/*-------------------------------------------------------------------------
 *
 * message.c
 *		Server messages as pg_jobmon records them.
 *
 * A recorded message, an event (a row of jobmon_event hanging off a step),
 * keeps every field of PostgreSQL's ErrorData that a reader needs.  This
 * file names severities as PostgreSQL prints them (for events, and for the
 * capture levels of the worker), and finds the error that a PL/pgSQL
 * EXCEPTION handler is handling so that log_error(step_id) can record it in
 * one call.
 *
 * PL/pgSQL keeps the error being handled in its execution state
 * (PLpgSQL_execstate.cur_error) and otherwise shows it only item by item
 * through GET STACKED DIAGNOSTICS.  While a PL/pgSQL function executes, its
 * error context callback is on error_context_stack with the execution state
 * as argument; we recognise those entries by the callback's address lying in
 * plpgsql's shared library (the callback itself is static, so it cannot be
 * looked up by name).  The only other callback plpgsql pushes is the one of
 * its compiler, which never runs user code, so it is never on the stack
 * while this function runs.  The layout of the state comes from plpgsql.h of
 * the server we are built against.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <dlfcn.h>
#include <string.h>

#include "access/htup_details.h"
#include "funcapi.h"
#include "plpgsql.h"
#include "utils/builtins.h"

#include "pg_jobmon.h"

/* Columns of _handled_error()'s result, in order */
#define HANDLED_ERROR_COLS 11

PG_FUNCTION_INFO_V1(jobmon_handled_error);

static bool message_is_plpgsql_frame(const ErrorContextCallback *ecxt);

/*
 * The severity name PostgreSQL prints for an error level.
 */
const char *
jobmon_severity_name(int elevel)
{
	switch (elevel)
	{
		case DEBUG5:
			return "DEBUG5";
		case DEBUG4:
			return "DEBUG4";
		case DEBUG3:
			return "DEBUG3";
		case DEBUG2:
			return "DEBUG2";
		case DEBUG1:
			return "DEBUG1";
		case LOG:
		case LOG_SERVER_ONLY:
			return "LOG";
		case INFO:
			return "INFO";
		case NOTICE:
			return "NOTICE";
		case WARNING:
		case WARNING_CLIENT_ONLY:
			return "WARNING";
		case ERROR:
			return "ERROR";
		case FATAL:
			return "FATAL";
		default:
			return "PANIC";
	}
}

/*
 * The error level of a severity name from DEBUG5 to WARNING (a job's
 * capture_level); 0 for any other name, such as NONE.
 */
int
jobmon_severity_elevel(const char *name)
{
	for (int elevel = DEBUG5; elevel <= WARNING; elevel++)
		if (strcmp(name, jobmon_severity_name(elevel)) == 0)
			return elevel;
	return 0;
}

/*
 * _handled_error() returns the error that the nearest PL/pgSQL EXCEPTION
 * handler up the call stack is handling, as (severity, sqlstate, message,
 * detail, hint, context, schema_name, table_name, column_name,
 * datatype_name, constraint_name).  Outside any handler it raises 0Z002,
 * as GET STACKED DIAGNOSTICS does.
 */
Datum
jobmon_handled_error(PG_FUNCTION_ARGS)
{
	ErrorContextCallback *ecxt;
	ErrorData  *edata = NULL;
	TupleDesc	tupdesc;
	Datum		values[HANDLED_ERROR_COLS];
	bool		nulls[HANDLED_ERROR_COLS];
	const char *fields[HANDLED_ERROR_COLS];
	int			i;

	for (ecxt = error_context_stack; ecxt != NULL; ecxt = ecxt->previous)
	{
		if (message_is_plpgsql_frame(ecxt))
		{
			PLpgSQL_execstate *estate = (PLpgSQL_execstate *) ecxt->arg;

			if (estate->cur_error != NULL)
			{
				edata = estate->cur_error;
				break;
			}
		}
	}

	if (edata == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_STACKED_DIAGNOSTICS_ACCESSED_WITHOUT_ACTIVE_HANDLER),
				 errmsg("no error is being handled"),
				 errdetail("log_error() reads the error of the PL/pgSQL EXCEPTION handler that calls it, and no handler is active."),
				 errhint("Call log_error() inside an EXCEPTION clause, or record a message with log_event().")));

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");

	fields[0] = jobmon_severity_name(edata->elevel);
	fields[1] = unpack_sql_state(edata->sqlerrcode);
	fields[2] = edata->message;
	fields[3] = edata->detail;
	fields[4] = edata->hint;
	fields[5] = edata->context;
	fields[6] = edata->schema_name;
	fields[7] = edata->table_name;
	fields[8] = edata->column_name;
	fields[9] = edata->datatype_name;
	fields[10] = edata->constraint_name;

	for (i = 0; i < HANDLED_ERROR_COLS; i++)
	{
		nulls[i] = (fields[i] == NULL);
		values[i] = nulls[i] ? (Datum) 0 : CStringGetTextDatum(fields[i]);
	}

	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(tupdesc),
													  values, nulls)));
}

/*
 * Is this error context entry the one of an executing PL/pgSQL function?
 */
static bool
message_is_plpgsql_frame(const ErrorContextCallback *ecxt)
{
	Dl_info		info;
	const char *base;

	if (ecxt->callback == NULL || ecxt->arg == NULL)
		return false;
	if (dladdr((void *) ecxt->callback, &info) == 0 || info.dli_fname == NULL)
		return false;
	base = strrchr(info.dli_fname, '/');
	base = base ? base + 1 : info.dli_fname;
	return strncmp(base, "plpgsql.", strlen("plpgsql.")) == 0;
}
