/*-------------------------------------------------------------------------
 *
 * bookkeeping.c
 *		The worker's bookkeeping protocol: the calls to the extension's SQL
 *		functions that record a run, its steps and their events.
 *
 * The calls, their arguments and the result columns read are declared in
 * bookkeeping_calls.h, the contract with the installed schema; this file
 * prepares them, checks their results against it, and reads the values by
 * the column numbers found by name.
 *
 * Bookkeeping runs in transactions of its own, between the job's
 * commands, as the extension's owner (SECURITY_LOCAL_USERID_CHANGE, which
 * the job's commands never see).  They commit asynchronously
 * (synchronous_commit off): closing the run's job_log row waits for the
 * WAL flush as the setting log_durability says (_log_job_end), which also
 * makes the earlier steps durable; a crash before it leaves a run that the
 * dispatcher closes as vanished.  Cancel interrupts are held meanwhile: a
 * cancel (the max_run_time timer, cancel_job) that arrives during
 * bookkeeping stays pending until the next command of the job, so that it
 * cancels the job, not the record of it.
 *
 * Every bookkeeping statement finds its rows by key, and a worker keeps its
 * prepared plans for many runs: with sequential scans off, a plan made
 * while the log tables were small (a new installation, the first runs of a
 * burst) cannot go on scanning them whole as they grow.  JIT is off
 * because these statements are short, and because sequential scans that
 * remain (a table without an index for the query) would look costly
 * enough to compile.
 *
 * Transactions per run: _worker_begin (or the previous run's _worker_next)
 * opens the first command's step in its own transaction; each command's
 * end closes its step and opens the next one in one transaction; and
 * _worker_end closes the run, with the steps left open for it, and starts
 * the next run (_worker_next) in the same transaction.  A run of one
 * successful command thus costs one bookkeeping transaction besides its
 * command's.  The transaction that starts a run also reads the settings,
 * for the run's capture bounds (capture.c).
 *
 * Recording what a step captured is bounded by those bounds, and every
 * call's result (an SPI tuple table, 8 kB at least) is freed once read, so
 * that a transaction recording many events does not keep one result each.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/plancache.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "bookkeeping_calls.h"
#include "pg_jobmon.h"
#include "worker_internal.h"

/*
 * The worker's connection to the extension: found once, kept for the
 * worker's life (in TopMemoryContext).
 */
struct JobmonBookkeeping
{
	char	   *schema;			/* quoted schema of the extension */
	Oid			owner;			/* its owner, who does the bookkeeping */
	SPIPlanPtr	plans[JOBMON_NUM_CALLS];	/* prepared at first use, kept */
	/* the attribute numbers of each call's declared columns, found by name */
	int			attnums[JOBMON_NUM_CALLS][JOBMON_CALL_MAX_COLUMNS];
	/* Saved during a bookkeeping transaction */
	MemoryContext caller_context;	/* current again after it */
	Oid			saved_userid;	/* the job's role */
	int			saved_sec_context;
};

static void bookkeeping_begin(JobmonBookkeeping *bk);
static void bookkeeping_end(JobmonBookkeeping *bk);
static SPIPlanPtr bookkeeping_plan(JobmonBookkeeping *bk, JobmonCallId id);
static SPIPlanPtr bookkeeping_prepare(const JobmonCall *call, const char *sql);
static void bookkeeping_check_result(JobmonBookkeeping *bk, JobmonCallId id,
									 SPIPlanPtr plan);
static void bookkeeping_call(JobmonBookkeeping *bk, JobmonCallId id,
							 Datum *values, const char *nulls);
static Datum bookkeeping_value(JobmonBookkeeping *bk, JobmonCallId id,
							   int column, bool *isnull);
static Datum bookkeeping_required(JobmonBookkeeping *bk, JobmonCallId id,
								  int column);
static char *bookkeeping_text(JobmonBookkeeping *bk, JobmonCallId id,
							  int column);
static Datum bookkeeping_text_arg(const char *s, char *nulls, int i);
static bool bookkeeping_read_run(JobmonBookkeeping *bk, JobmonCallId id,
								 JobmonRun *run);
static void bookkeeping_read_capture_bounds(JobmonBookkeeping *bk);
static void bookkeeping_step_open(JobmonBookkeeping *bk, JobmonRun *run,
								  CommandResult *result, const char *action);
static void bookkeeping_record_event(JobmonBookkeeping *bk, int64 step_id,
									 const ErrorData *e);
static bool bookkeeping_step_close(JobmonBookkeeping *bk, JobmonRun *run,
								   CommandResult *result);

/*
 * Find the extension's schema and owner, in a transaction of its own (from
 * the catalog, so the job role's search_path cannot bear on it), and refuse
 * objects of another version than this library: the calls below would
 * read their results as this version's.  The
 * caller's memory context is current again on return.
 */
JobmonBookkeeping *
jobmon_bookkeeping_setup(void)
{
	MemoryContext caller = CurrentMemoryContext;
	JobmonBookkeeping *bk;
	Oid			schema;

	bk = MemoryContextAllocZero(TopMemoryContext, sizeof(JobmonBookkeeping));

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	(void) jobmon_extension_version_matches(ERROR);
	jobmon_extension_lookup(&bk->owner, &schema, NULL);
	bk->schema = MemoryContextStrdup(TopMemoryContext,
									 quote_identifier(get_namespace_name(schema)));
	CommitTransactionCommand();
	MemoryContextSwitchTo(caller);
	return bk;
}

/*
 * Start a bookkeeping transaction: cancels held, our settings local to it,
 * the extension's owner as current user, SPI connected, a snapshot set.
 *
 * The job's commands run in this session and may have changed its
 * settings (SET search_path, default_transaction_read_only, default_
 * transaction_isolation, statement_timeout, lock_timeout, session_
 * replication_role ...),
 * as may its role's ALTER ROLE ... SET: the bookkeeping must not inherit
 * them, or a job could break the record of its own run.  The transaction
 * characteristics come from the defaults when it starts, so they are set
 * around its start; the rest are set local to it.
 */
static void
bookkeeping_begin(JobmonBookkeeping *bk)
{
	bool		job_read_only = DefaultXactReadOnly;
	int			job_isolation = DefaultXactIsoLevel;
	bool		job_deferrable = DefaultXactDeferrable;

	HOLD_CANCEL_INTERRUPTS();
	bk->caller_context = CurrentMemoryContext;
	SetCurrentStatementStartTimestamp();
	DefaultXactReadOnly = false;
	DefaultXactIsoLevel = XACT_READ_COMMITTED;
	DefaultXactDeferrable = false;
	StartTransactionCommand();
	DefaultXactReadOnly = job_read_only;
	DefaultXactIsoLevel = job_isolation;
	DefaultXactDeferrable = job_deferrable;
	(void) set_config_option("search_path", "pg_catalog", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_LOCAL, true, 0, false);
	(void) set_config_option("statement_timeout", "0", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_LOCAL, true, 0, false);
	(void) set_config_option("lock_timeout", "0", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_LOCAL, true, 0, false);
	(void) set_config_option("session_replication_role", "origin", PGC_SUSET, PGC_S_SESSION,
							 GUC_ACTION_LOCAL, true, 0, false);
	(void) set_config_option("synchronous_commit", "off", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_LOCAL, true, 0, false);
	(void) set_config_option("enable_seqscan", "off", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_LOCAL, true, 0, false);
	(void) set_config_option("jit", "off", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_LOCAL, true, 0, false);
	GetUserIdAndSecContext(&bk->saved_userid, &bk->saved_sec_context);
	SetUserIdAndSecContext(bk->owner,
						   bk->saved_sec_context | SECURITY_LOCAL_USERID_CHANGE);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	PushActiveSnapshot(GetTransactionSnapshot());
}

/*
 * Commit the bookkeeping transaction that bookkeeping_begin started, and
 * make the caller's memory context current again.
 */
static void
bookkeeping_end(JobmonBookkeeping *bk)
{
	PopActiveSnapshot();
	SPI_finish();
	SetUserIdAndSecContext(bk->saved_userid, bk->saved_sec_context);
	CommitTransactionCommand();
	MemoryContextSwitchTo(bk->caller_context);
	RESUME_CANCEL_INTERRUPTS();
}

/*
 * The prepared statement of a call: "SELECT * FROM <schema>.<call>", so a
 * record comes as columns.  Prepared once per worker and kept (a worker
 * executes the same few calls for every run), its result checked against
 * the contract when it is prepared.  In a bookkeeping transaction.
 */
static SPIPlanPtr
bookkeeping_plan(JobmonBookkeeping *bk, JobmonCallId id)
{
	const JobmonCall *call = &jobmon_calls[id];
	SPIPlanPtr	plan;

	if (bk->plans[id] != NULL)
		return bk->plans[id];

	plan = bookkeeping_prepare(call, psprintf("SELECT * FROM %s.%s",
											  bk->schema, call->call));
	bookkeeping_check_result(bk, id, plan);
	if (SPI_keepplan(plan) != 0)
		elog(ERROR, "pg_jobmon worker: could not keep the plan of %s: %s",
			 call->function, SPI_result_code_string(SPI_result));
	bk->plans[id] = plan;
	return plan;
}

/*
 * SPI_prepare, with a function that does not exist (a schema older than the
 * library, whose function has another name or other arguments) reported as
 * the mismatch it is.
 */
static SPIPlanPtr
bookkeeping_prepare(const JobmonCall *call, const char *sql)
{
	MemoryContext context = CurrentMemoryContext;
	SPIPlanPtr	plan = NULL;

	PG_TRY();
	{
		plan = SPI_prepare(sql, call->nargs, (Oid *) call->argtypes);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(context);
		edata = CopyErrorData();
		if (edata->sqlerrcode != ERRCODE_UNDEFINED_FUNCTION)
			PG_RE_THROW();
		FlushErrorState();
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("pg_jobmon worker: function %s does not exist", call->function),
				 errdetail("The installed schema of pg_jobmon does not match the library: %s.",
						   edata->message),
				 errhint("Run ALTER EXTENSION pg_jobmon UPDATE.")));
	}
	PG_END_TRY();

	if (plan == NULL)
		elog(ERROR, "pg_jobmon worker: could not prepare %s: %s", call->function,
			 SPI_result_code_string(SPI_result));
	return plan;
}

/*
 * Check the result of a call's statement against the contract: every
 * declared column, found by name, with the declared type.  Remembers the
 * column numbers.
 */
static void
bookkeeping_check_result(JobmonBookkeeping *bk, JobmonCallId id, SPIPlanPtr plan)
{
	const JobmonCall *call = &jobmon_calls[id];
	List	   *sources = SPI_plan_get_plan_sources(plan);
	TupleDesc	desc;

	if (list_length(sources) != 1 ||
		(desc = ((CachedPlanSource *) linitial(sources))->resultDesc) == NULL)
		elog(ERROR, "pg_jobmon worker: the statement of %s returns no rows",
			 call->function);

	for (int i = 0; i < call->ncolumns; i++)
	{
		const JobmonCallColumn *column = &call->columns[i];
		int			attnum = SPI_fnumber(desc, column->name);
		Oid			type = attnum > 0 ? TupleDescAttr(desc, attnum - 1)->atttypid : InvalidOid;

		if (type != column->type)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("pg_jobmon worker: function %s returns no column \"%s\" of type %s",
							call->function, column->name, format_type_be(column->type)),
					 attnum > 0 ?
					 errdetail("The installed schema of pg_jobmon does not match the library: the column is of type %s.",
							   format_type_be(type)) :
					 errdetail("The installed schema of pg_jobmon does not match the library: the function returns no such column."),
					 errhint("Run ALTER EXTENSION pg_jobmon UPDATE.")));
		bk->attnums[id][i] = attnum;
	}
}

/* Execute a call.  In a bookkeeping transaction. */
static void
bookkeeping_call(JobmonBookkeeping *bk, JobmonCallId id, Datum *values,
				 const char *nulls)
{
	int			rc;

	rc = SPI_execute_plan(bookkeeping_plan(bk, id), values, nulls, false, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "pg_jobmon worker: %s failed: %s", jobmon_calls[id].function,
			 SPI_result_code_string(rc));
}

/*
 * The value of declared column "column" in the first row of the call just
 * made; the caller has checked that there is a row.
 */
static Datum
bookkeeping_value(JobmonBookkeeping *bk, JobmonCallId id, int column, bool *isnull)
{
	Assert(SPI_processed > 0 && column < jobmon_calls[id].ncolumns);
	return SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc,
						 bk->attnums[id][column], isnull);
}

/* The same, for a column that is never NULL. */
static Datum
bookkeeping_required(JobmonBookkeeping *bk, JobmonCallId id, int column)
{
	bool		isnull = true;
	Datum		value = 0;

	if (SPI_processed > 0)
		value = bookkeeping_value(bk, id, column, &isnull);
	if (isnull)
		elog(ERROR, "pg_jobmon worker: %s returned no %s", jobmon_calls[id].function,
			 jobmon_calls[id].columns[column].name);
	return value;
}

/* The same, for a text column that may be NULL: a C string or NULL. */
static char *
bookkeeping_text(JobmonBookkeeping *bk, JobmonCallId id, int column)
{
	bool		isnull;
	Datum		value = bookkeeping_value(bk, id, column, &isnull);

	return isnull ? NULL : TextDatumGetCString(value);
}

/* A text argument of a C string, or a NULL marked in nulls. */
static Datum
bookkeeping_text_arg(const char *s, char *nulls, int i)
{
	nulls[i] = s ? ' ' : 'n';
	return s ? CStringGetTextDatum(s) : (Datum) 0;
}

/*
 * Read the run that _worker_begin or _worker_next (call id) has just
 * started, a _worker_run row, into run, in the run's memory, and open the
 * step of its first command (of every command, when they share a
 * transaction) in the same transaction.  False when there is no row: no
 * run to execute.
 */
static bool
bookkeeping_read_run(JobmonBookkeeping *bk, JobmonCallId id, JobmonRun *run)
{
	JobmonRunDef *def = &run->def;
	MemoryContext old;
	Datum	   *elems;
	bool	   *elem_nulls;
	int			nelems;
	Datum		value;
	bool		isnull;
	char	   *capture_level;

	if (SPI_processed == 0)
		return false;

	old = MemoryContextSwitchTo(run->context);
	memset(def, 0, sizeof(*def));
	run->unclosed_from = run->unclosed_to = 0;
	run->run_id = DatumGetInt64(bookkeeping_required(bk, id, WORKER_RUN_RUN_ID));
	jobmon_job_context_set_run(run->run_id);

	deconstruct_array(DatumGetArrayTypeP(bookkeeping_required(bk, id, WORKER_RUN_COMMANDS)),
					  TEXTOID, -1, false, TYPALIGN_INT, &elems, NULL, &nelems);
	def->ncommands = nelems;
	def->commands = palloc(sizeof(char *) * nelems);
	for (int i = 0; i < nelems; i++)
		def->commands[i] = TextDatumGetCString(elems[i]);
	def->same_transaction =
		DatumGetBool(bookkeeping_required(bk, id, WORKER_RUN_USE_SAME_TRANSACTION));
	def->onrollback = bookkeeping_text(bk, id, WORKER_RUN_ONROLLBACK);
	def->next_time_statement = bookkeeping_text(bk, id, WORKER_RUN_NEXT_TIME_STATEMENT);
	value = bookkeeping_value(bk, id, WORKER_RUN_MAX_RUN_MS, &isnull);
	def->max_run_ms = isnull ? 0 : DatumGetInt64(value);
	capture_level = bookkeeping_text(bk, id, WORKER_RUN_CAPTURE_LEVEL);
	def->capture_elevel = capture_level ? jobmon_severity_elevel(capture_level) : 0;
	def->job_id = DatumGetInt64(bookkeeping_required(bk, id, WORKER_RUN_JOB_ID));
	def->oneoff = DatumGetBool(bookkeeping_required(bk, id, WORKER_RUN_ONEOFF));
	def->params.nparams = -1;
	value = bookkeeping_value(bk, id, WORKER_RUN_PARAMS, &isnull);
	if (!isnull)
	{
		deconstruct_array(DatumGetArrayTypeP(value), TEXTOID, -1, false, TYPALIGN_INT,
						  &elems, &elem_nulls, &nelems);
		def->params.nparams = nelems;
		def->params.values = palloc0(sizeof(char *) * Max(nelems, 1));
		for (int i = 0; i < nelems; i++)
			if (!elem_nulls[i])
				def->params.values[i] = TextDatumGetCString(elems[i]);
	}
	run->results = palloc0(sizeof(CommandResult) * def->ncommands);
	MemoryContextSwitchTo(old);

	bookkeeping_read_capture_bounds(bk);
	for (int i = 0; i < (def->same_transaction ? def->ncommands : 1); i++)
		bookkeeping_step_open(bk, run, &run->results[i], def->commands[i]);
	return true;
}

/*
 * Start the capture of a run that starts: its bounds, from the settings
 * (every row of jobmon_config_show; capture.c takes its own).  In a
 * bookkeeping transaction.
 */
static void
bookkeeping_read_capture_bounds(JobmonBookkeeping *bk)
{
	jobmon_capture_run_start();
	bookkeeping_call(bk, CALL_CONFIG_SHOW, NULL, NULL);
	for (uint64 row = 0; row < SPI_processed; row++)
	{
		HeapTuple	tuple = SPI_tuptable->vals[row];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		name_null;
		bool		value_null;
		Datum		name = SPI_getbinval(tuple, desc,
										 bk->attnums[CALL_CONFIG_SHOW][CONFIG_SHOW_NAME],
										 &name_null);
		Datum		value = SPI_getbinval(tuple, desc,
										  bk->attnums[CALL_CONFIG_SHOW][CONFIG_SHOW_VALUE],
										  &value_null);

		if (!name_null && !value_null)
			jobmon_capture_setting(TextDatumGetCString(name), TextDatumGetCString(value));
	}
	SPI_freetuptable(SPI_tuptable);
}

/* Open a step: its job_detail row.  In a bookkeeping transaction. */
static void
bookkeeping_step_open(JobmonBookkeeping *bk, JobmonRun *run, CommandResult *result,
					  const char *action)
{
	Datum		values[2] = {Int64GetDatum(run->run_id), CStringGetTextDatum(action)};

	bookkeeping_call(bk, CALL_WORKER_STEP_OPEN, values, NULL);
	result->step_id =
		DatumGetInt64(bookkeeping_required(bk, CALL_WORKER_STEP_OPEN, STEP_OPEN_STEP_ID));
	SPI_freetuptable(SPI_tuptable);
	pfree(DatumGetPointer(values[1]));
}

/*
 * Record one message (or the error) of a step as a structured event, and
 * free what the call took (its arguments' copies, its result).  In a
 * bookkeeping transaction.
 */
static void
bookkeeping_record_event(JobmonBookkeeping *bk, int64 step_id, const ErrorData *e)
{
	Datum		values[12];
	char		nulls[12];

	values[0] = Int64GetDatum(step_id);
	nulls[0] = ' ';
	values[1] = bookkeeping_text_arg(jobmon_severity_name(e->elevel), nulls, 1);
	values[2] = bookkeeping_text_arg(unpack_sql_state(e->sqlerrcode), nulls, 2);
	values[3] = bookkeeping_text_arg(e->message ? e->message : "", nulls, 3);
	values[4] = bookkeeping_text_arg(e->detail, nulls, 4);
	values[5] = bookkeeping_text_arg(e->hint, nulls, 5);
	values[6] = bookkeeping_text_arg(e->context, nulls, 6);
	values[7] = bookkeeping_text_arg(e->schema_name, nulls, 7);
	values[8] = bookkeeping_text_arg(e->table_name, nulls, 8);
	values[9] = bookkeeping_text_arg(e->column_name, nulls, 9);
	values[10] = bookkeeping_text_arg(e->datatype_name, nulls, 10);
	values[11] = bookkeeping_text_arg(e->constraint_name, nulls, 11);
	bookkeeping_call(bk, CALL_LOG_EVENT, values, nulls);
	SPI_freetuptable(SPI_tuptable);
	for (int i = 1; i < 12; i++)
		if (nulls[i] == ' ')
			pfree(DatumGetPointer(values[i]));
}

/*
 * Close a step with its outcome and events: the messages it kept, one event
 * for those past the run's capture bounds, and its error, whole; the
 * step's message repeats the error cut short.  In a bookkeeping
 * transaction.  Returns whether the run may go on (false once someone
 * cancelled it or asked it to stop).
 */
static bool
bookkeeping_step_close(JobmonBookkeeping *bk, JobmonRun *run, CommandResult *result)
{
	Datum		values[4];
	const char *message;
	ErrorData  *not_kept;
	bool		go_on;

	if (!result->ran)
		message = "not run: an earlier command of the transaction failed";
	else if (result->rolled_back)
		message = "rolled back: a later command of the transaction failed";
	else if (result->ok)
		message = psprintf(UINT64_FORMAT " %s", result->rows, result->rows == 1 ? "row" : "rows");
	else
		message = jobmon_capture_error_summary(result->error);

	values[0] = Int64GetDatum(run->run_id);
	values[1] = Int64GetDatum(result->step_id);
	values[2] = BoolGetDatum(result->ran && result->ok && !result->rolled_back);
	values[3] = CStringGetTextDatum(message);

	for (CapturedMessage *m = result->messages; m != NULL; m = m->next)
		bookkeeping_record_event(bk, result->step_id, &m->data);
	not_kept = jobmon_capture_not_kept(result);
	if (not_kept)
		bookkeeping_record_event(bk, result->step_id, not_kept);
	if (result->error)
		bookkeeping_record_event(bk, result->step_id, result->error);
	bookkeeping_call(bk, CALL_WORKER_STEP_CLOSE, values, NULL);
	go_on = DatumGetBool(bookkeeping_required(bk, CALL_WORKER_STEP_CLOSE, STEP_CLOSE_GO_ON));
	SPI_freetuptable(SPI_tuptable);
	pfree(DatumGetPointer(values[3]));
	return go_on;
}

/*
 * Start the run that the dispatcher launched this worker for (run->run_id),
 * in one bookkeeping transaction; false when it is no longer to start.
 */
bool
jobmon_run_start(JobmonBookkeeping *bk, JobmonRun *run)
{
	Datum		values[1] = {Int64GetDatum(run->run_id)};
	bool		found;

	bookkeeping_begin(bk);
	bookkeeping_call(bk, CALL_WORKER_BEGIN, values, NULL);
	found = bookkeeping_read_run(bk, CALL_WORKER_BEGIN, run);
	bookkeeping_end(bk);
	return found;
}

/* Open a step of the run in a bookkeeping transaction of its own. */
void
jobmon_step_start(JobmonBookkeeping *bk, JobmonRun *run, CommandResult *result,
				  const char *action)
{
	bookkeeping_begin(bk);
	bookkeeping_step_open(bk, run, result, action);
	bookkeeping_end(bk);
}

/*
 * Close a step of the run in a bookkeeping transaction of its own; returns
 * whether the run may go on.
 */
bool
jobmon_step_end(JobmonBookkeeping *bk, JobmonRun *run, CommandResult *result)
{
	bool		go_on;

	bookkeeping_begin(bk);
	go_on = bookkeeping_step_close(bk, run, result);
	bookkeeping_end(bk);
	return go_on;
}

/*
 * Close the steps of commands from..to-1 and open the next command's, in
 * one bookkeeping transaction.  When the run has succeeded and nothing runs
 * before its end, jobmon_run_finish closes them in its transaction instead.
 * Returns whether the run may go on.
 */
bool
jobmon_steps_end(JobmonBookkeeping *bk, JobmonRun *run, int from, int to, bool ok)
{
	JobmonRunDef *def = &run->def;
	bool		go_on = true;

	if (ok && to == def->ncommands && def->next_time_statement == NULL)
	{
		run->unclosed_from = from;
		run->unclosed_to = to;
		return true;
	}
	bookkeeping_begin(bk);
	for (int i = from; i < to; i++)
		go_on = bookkeeping_step_close(bk, run, &run->results[i]) && go_on;
	if (ok && go_on && to < def->ncommands)
		bookkeeping_step_open(bk, run, &run->results[to], def->commands[to]);
	bookkeeping_end(bk);
	return go_on;
}

/*
 * End the run (with the steps left open for it), and start the next due
 * run of the same role and kind in the same transaction.  Returns whether
 * there was one; run is then that run, and the memory of the run that
 * ended is gone.  Whether the run ending was cancelled meanwhile,
 * _worker_end finds out itself.
 */
bool
jobmon_run_finish(JobmonBookkeeping *bk, JobmonRun *run, const JobmonRunEnd *end)
{
	Datum		values[6];
	char		nulls[6];
	bool		next;

	values[0] = Int64GetDatum(run->run_id);
	nulls[0] = ' ';
	values[1] = bookkeeping_text_arg(end->outcome, nulls, 1);
	values[2] = bookkeeping_text_arg(end->reason, nulls, 2);
	values[3] = bookkeeping_text_arg(end->next_time, nulls, 3);
	values[4] = bookkeeping_text_arg(end->next_time_error, nulls, 4);
	values[5] = end->resubmit_after ? IntervalPGetDatum(end->resubmit_after) : (Datum) 0;
	nulls[5] = end->resubmit_after ? ' ' : 'n';

	bookkeeping_begin(bk);
	for (int i = run->unclosed_from; i < run->unclosed_to; i++)
		(void) bookkeeping_step_close(bk, run, &run->results[i]);
	bookkeeping_call(bk, CALL_WORKER_END, values, nulls);
	/* When there is none, _worker_next wakes the dispatcher: a slot is free. */
	bookkeeping_call(bk, CALL_WORKER_NEXT, values, NULL);
	MemoryContextReset(run->context);	/* the run has ended: its memory goes */
	next = bookkeeping_read_run(bk, CALL_WORKER_NEXT, run);
	bookkeeping_end(bk);
	return next;
}
