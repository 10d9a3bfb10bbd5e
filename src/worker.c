/*-------------------------------------------------------------------------
 *
 * worker.c
 * The background worker that executes runs of scheduled and one-off jobs.
 *
 * The worker connects as the job's run_as role, so the job's commands run
 * with exactly that role's privileges: the session user is the job's role,
 * and there is no other role that RESET ROLE or SET SESSION AUTHORIZATION
 * could return to.  The bookkeeping around the commands (the run's state,
 * its job_log and job_detail rows, captured messages) is done by the
 * extension's SQL functions in transactions of their own, executed as the
 * extension's owner under SECURITY_LOCAL_USERID_CHANGE, which the job's
 * commands never see.
 *
 * One run:
 *		_run_start		claim the run, open its job_log row, read the job,
 *						and open the first command's step (_run_step_start;
 *						every command's, with use_same_transaction)
 *		per command		the command (executed like a client's query, so
 *						VACUUM works), then in one transaction _run_step_end
 *						with the rows or the error and the messages captured
 *						meanwhile, and the next command's _run_step_start
 *		onrollback		after a failure, in a new transaction, as a step
 *		next_time		the job's next_time_statement, knowing the outcome
 *		_run_finish		close the run and its job_log row; after a success
 *						without next_time_statement, also the last step
 *
 * Then the worker takes the next due run of the same role and kind and
 * starts it (_run_next, in _run_finish's transaction, which so also opens
 * the next run's first step), resets its session (reset_session), and exits
 * only when there is none: starting a process costs more than most one-off
 * jobs.  A run of one successful command thus costs one bookkeeping
 * transaction besides its command's.
 *
 * A worker that dies on the way (terminated, crashed) leaves its run
 * "running"; the dispatcher closes such runs as failed.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <signal.h>

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "nodes/params.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lmgr.h"
#include "tcop/dest.h"
#include "parser/analyze.h"
#include "tcop/pquery.h"
#include "tcop/tcopprot.h"
#include "tcop/utility.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timeout.h"
#include "utils/timestamp.h"

#include "pg_jobmon.h"

PGDLLEXPORT void jobmon_worker_main(Datum main_arg);

/* What one command (or the onrollback statement) did. */
typedef struct CommandResult
{
	int64		step_id;		/* its job_detail row */
	bool		ran;			/* false when an earlier command failed */
	bool		rolled_back;	/* succeeded, then a later command failed */
	bool		ok;
	uint64		rows;			/* rows processed, when ok */
	ErrorData  *error;			/* the error, when not ok */
	List	   *messages;		/* ErrorData of captured messages */
} CommandResult;

/* The job, as _run_start returns it. */
typedef struct RunDefinition
{
	int			ncommands;
	char	  **commands;
	bool		same_transaction;
	char	   *onrollback;
	char	   *next_time_statement;
	int64		max_run_ms;		/* 0: no limit */
	int			capture_elevel; /* 0: capture nothing */
	int64		job_id;
	bool		oneoff;
	int			nparams;		/* -1: the job has no params */
	char	  **params;			/* bound to $1, $2 ...; NULL elements are NULL */
	CommandResult *results;		/* one per command */
	int			unclosed_from;	/* results[unclosed_from..unclosed_to - 1]: */
	int			unclosed_to;	/* steps that run_finish closes */
} RunDefinition;

static int64 run_id;
static MemoryContext RunContext = NULL; /* one per run */
static char *ext_schema;		/* quoted schema of the extension */
static Oid	ext_owner;
static Oid	saved_userid;
static int	saved_sec_context;

/* Message capture: the result the messages belong to, while a command runs. */
static CommandResult *capturing = NULL;
static int	capture_elevel = 0;
static int	server_log_elevel;	/* log_min_messages before we lowered it */
static emit_log_hook_type prev_emit_log_hook = NULL;

/* The job whose commands run now, for its params; NULL otherwise. */
static RunDefinition *binding = NULL;

/* Set by the max_run_time timer. */
static volatile sig_atomic_t run_timed_out = false;

/* The extension's functions the worker calls for its bookkeeping. */
typedef enum BookkeepingCall
{
	CALL_RUN_START,
	CALL_STEP_START,
	CALL_LOG_EVENT,
	CALL_STEP_END,
	CALL_RUN_FINISH,
	CALL_RUN_NEXT,
	NUM_BOOKKEEPING_CALLS
} BookkeepingCall;

typedef struct BookkeepingCallDef
{
	const char *call;
	int			nargs;
	Oid			types[12];
} BookkeepingCallDef;

static const BookkeepingCallDef bookkeeping_calls[NUM_BOOKKEEPING_CALLS] = {
	[CALL_RUN_START] = {"_run_start($1)", 1, {INT8OID}},
	[CALL_STEP_START] = {"_run_step_start($1, $2)", 2, {INT8OID, TEXTOID}},
	[CALL_LOG_EVENT] = {"_log_event($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)", 12,
	{INT8OID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID}},
	[CALL_STEP_END] = {"_run_step_end($1, $2, $3, $4)", 4, {INT8OID, INT8OID, BOOLOID, TEXTOID}},
	[CALL_RUN_FINISH] = {"_run_finish($1, $2, $3, $4, $5, $6)", 6,
	{INT8OID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, INTERVALOID}},
	[CALL_RUN_NEXT] = {"_run_next($1)", 1, {INT8OID}},
};

/* Their prepared statements, kept for the worker's life. */
static SPIPlanPtr bookkeeping_plans[NUM_BOOKKEEPING_CALLS];

/*
 * Bookkeeping: our own statements, each group in a transaction of its own,
 * as the extension's owner.  They commit asynchronously: closing the run's
 * job_log row waits for the WAL flush as the setting log_durability says
 * (_log_job_end), which also makes the earlier steps durable; a crash
 * before it leaves a run that the dispatcher closes as vanished.  A cancel
 * (the max_run_time timer, cancel_job) that arrives meanwhile stays pending
 * until the next command of the job, so that it cancels the job, not the
 * record of it.
 *
 * Every bookkeeping statement finds its rows by key, and a worker keeps its
 * plans for many runs: with sequential scans off, a plan made while the log
 * tables were small (a new installation, the first runs of a burst) cannot
 * go on scanning them whole as they grow.  JIT is off because these
 * statements are short, and because sequential scans that remain (a table
 * without an index for the query) would look costly enough to compile.
 */
static void
bookkeeping_begin(void)
{
	HOLD_CANCEL_INTERRUPTS();
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	(void) set_config_option("synchronous_commit", "off", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_LOCAL, true, 0, false);
	(void) set_config_option("enable_seqscan", "off", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_LOCAL, true, 0, false);
	(void) set_config_option("jit", "off", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_LOCAL, true, 0, false);
	GetUserIdAndSecContext(&saved_userid, &saved_sec_context);
	SetUserIdAndSecContext(ext_owner, saved_sec_context | SECURITY_LOCAL_USERID_CHANGE);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	PushActiveSnapshot(GetTransactionSnapshot());
}

static void
bookkeeping_end(void)
{
	PopActiveSnapshot();
	SPI_finish();
	SetUserIdAndSecContext(saved_userid, saved_sec_context);
	CommitTransactionCommand();
	MemoryContextSwitchTo(RunContext);
	RESUME_CANCEL_INTERRUPTS();
}

/*
 * Execute "SELECT * FROM <schema>.<call>", so a record comes as columns.
 * The statement is prepared once per worker and kept: a worker executes
 * the same few calls for every run.
 */
static void
bookkeeping_call(BookkeepingCall call, Datum *values, const char *nulls)
{
	const BookkeepingCallDef *def = &bookkeeping_calls[call];
	int			rc;

	if (bookkeeping_plans[call] == NULL)
	{
		char	   *sql = psprintf("SELECT * FROM %s.%s", ext_schema, def->call);
		SPIPlanPtr	plan = SPI_prepare(sql, def->nargs, (Oid *) def->types);

		if (plan == NULL || SPI_keepplan(plan) != 0)
			elog(ERROR, "pg_jobmon worker: could not prepare %s: %s", def->call,
				 SPI_result_code_string(SPI_result));
		bookkeeping_plans[call] = plan;
	}
	rc = SPI_execute_plan(bookkeeping_plans[call], values, nulls, false, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "pg_jobmon worker: %s failed: %s", def->call, SPI_result_code_string(rc));
}

/* A text datum of a C string, or a NULL marked in nulls. */
static Datum
text_arg(const char *s, char *nulls, int i)
{
	nulls[i] = s ? ' ' : 'n';
	return s ? CStringGetTextDatum(s) : (Datum) 0;
}

/* The text value of column col of the first row, copied into RunContext. */
static char *
first_row_text(int col)
{
	char	   *value;

	if (SPI_processed == 0)
		return NULL;
	value = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, col);
	return value ? MemoryContextStrdup(RunContext, value) : NULL;
}

/*
 * The tick plans the run and starts this worker in one transaction, and
 * the run's row may be one it inserted: wait until that transaction has
 * ended before looking, or the run would not be there yet.
 */
static void
wait_for_launcher(TransactionId xid)
{
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	XactLockTableWait(xid, NULL, NULL, XLTW_None);
	CommitTransactionCommand();
	MemoryContextSwitchTo(RunContext);
}

static void
find_extension(void)
{
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	PushActiveSnapshot(GetTransactionSnapshot());
	if (SPI_execute("SELECT quote_ident(n.nspname), e.extowner::int8 FROM pg_catalog.pg_extension e "
					"JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace "
					"WHERE e.extname = 'pg_jobmon'", true, 1) != SPI_OK_SELECT ||
		SPI_processed != 1)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("extension \"pg_jobmon\" is not installed in this database")));
	ext_schema = MemoryContextStrdup(TopMemoryContext, first_row_text(1));
	ext_owner = (Oid) pg_strtoint64(first_row_text(2));
	PopActiveSnapshot();
	SPI_finish();
	CommitTransactionCommand();
	MemoryContextSwitchTo(RunContext);
}

/* The error level of a capture_level name; 0 for NONE. */
static int
severity_elevel(const char *name)
{
	for (int elevel = DEBUG5; elevel <= WARNING; elevel++)
		if (strcmp(name, jobmon_severity_name(elevel)) == 0)
			return elevel;
	return 0;
}

/* Open a step: its job_detail row.  In a bookkeeping transaction. */
static void
step_open(CommandResult *result, const char *action)
{
	Datum		values[2] = {Int64GetDatum(run_id), CStringGetTextDatum(action)};

	bookkeeping_call(CALL_STEP_START, values, NULL);
	result->step_id = pg_strtoint64(first_row_text(1));
}

/*
 * Read the run that _run_start or _run_next has just started (a row of
 * run_id, commands, use_same_transaction, onrollback, next_time_statement,
 * max_run_ms, capture_level, job_id, oneoff, params) into def, in
 * RunContext, and open the step of its first command (of every command,
 * when they share a transaction) in the same transaction.  False when there
 * is no row: no run to execute.
 */
static bool
run_begin(RunDefinition *def)
{
	HeapTuple	row;
	TupleDesc	desc;
	bool		isnull;
	Datum	   *elems;
	bool	   *elem_nulls;
	int			nelems;
	Datum		params;

	if (SPI_processed == 0)
		return false;
	row = SPI_tuptable->vals[0];
	desc = SPI_tuptable->tupdesc;
	memset(def, 0, sizeof(*def));
	run_id = DatumGetInt64(SPI_getbinval(row, desc, 1, &isnull));

	deconstruct_array(DatumGetArrayTypeP(SPI_getbinval(row, desc, 2, &isnull)),
					  TEXTOID, -1, false, TYPALIGN_INT, &elems, NULL, &nelems);
	def->ncommands = nelems;
	def->commands = MemoryContextAlloc(RunContext, sizeof(char *) * nelems);
	for (int i = 0; i < nelems; i++)
		def->commands[i] = MemoryContextStrdup(RunContext, TextDatumGetCString(elems[i]));
	def->same_transaction = DatumGetBool(SPI_getbinval(row, desc, 3, &isnull));
	def->onrollback = first_row_text(4);
	def->next_time_statement = first_row_text(5);
	def->max_run_ms = DatumGetInt64(SPI_getbinval(row, desc, 6, &isnull));
	if (isnull)
		def->max_run_ms = 0;
	def->capture_elevel = severity_elevel(SPI_getvalue(row, desc, 7));
	def->job_id = DatumGetInt64(SPI_getbinval(row, desc, 8, &isnull));
	def->oneoff = DatumGetBool(SPI_getbinval(row, desc, 9, &isnull));
	def->nparams = -1;
	params = SPI_getbinval(row, desc, 10, &isnull);
	if (!isnull)
	{
		deconstruct_array(DatumGetArrayTypeP(params), TEXTOID, -1, false, TYPALIGN_INT,
						  &elems, &elem_nulls, &nelems);
		def->nparams = nelems;
		def->params = MemoryContextAllocZero(RunContext, sizeof(char *) * Max(nelems, 1));
		for (int i = 0; i < nelems; i++)
			if (!elem_nulls[i])
				def->params[i] = MemoryContextStrdup(RunContext, TextDatumGetCString(elems[i]));
	}

	def->results = MemoryContextAllocZero(RunContext, sizeof(CommandResult) * def->ncommands);
	for (int i = 0; i < (def->same_transaction ? def->ncommands : 1); i++)
		step_open(&def->results[i], def->commands[i]);
	return true;
}

/* Start the run the tick launched this worker for; false when it is gone. */
static bool
run_start(RunDefinition *def)
{
	Datum		values[1] = {Int64GetDatum(run_id)};
	bool		found;

	bookkeeping_begin();
	bookkeeping_call(CALL_RUN_START, values, NULL);
	found = run_begin(def);
	bookkeeping_end();
	return found;
}

static void
step_start(CommandResult *result, const char *action)
{
	bookkeeping_begin();
	step_open(result, action);
	bookkeeping_end();
}

/* Record one message (or the error) of a step as a structured event. */
static void
record_event(int64 step_id, ErrorData *e)
{
	Datum		values[12];
	char		nulls[12];

	values[0] = Int64GetDatum(step_id);
	nulls[0] = ' ';
	values[1] = text_arg(jobmon_severity_name(e->elevel), nulls, 1);
	values[2] = text_arg(unpack_sql_state(e->sqlerrcode), nulls, 2);
	values[3] = text_arg(e->message ? e->message : "", nulls, 3);
	values[4] = text_arg(e->detail, nulls, 4);
	values[5] = text_arg(e->hint, nulls, 5);
	values[6] = text_arg(e->context, nulls, 6);
	values[7] = text_arg(e->schema_name, nulls, 7);
	values[8] = text_arg(e->table_name, nulls, 8);
	values[9] = text_arg(e->column_name, nulls, 9);
	values[10] = text_arg(e->datatype_name, nulls, 10);
	values[11] = text_arg(e->constraint_name, nulls, 11);
	bookkeeping_call(CALL_LOG_EVENT, values, nulls);
}

/*
 * Close a step with its outcome and events, in a bookkeeping transaction.
 * Returns whether the run may go on (false once someone cancelled it or
 * asked it to stop).
 */
static bool
step_close(CommandResult *result)
{
	Datum		values[4];
	char		nulls[4] = {' ', ' ', ' ', ' '};
	const char *message;
	ListCell   *lc;

	if (!result->ran)
		message = "not run: an earlier command of the transaction failed";
	else if (result->rolled_back)
		message = "rolled back: a later command of the transaction failed";
	else if (result->ok)
		message = psprintf(UINT64_FORMAT " %s", result->rows, result->rows == 1 ? "row" : "rows");
	else
		message = result->error->message;

	values[0] = Int64GetDatum(run_id);
	values[1] = Int64GetDatum(result->step_id);
	values[2] = BoolGetDatum(result->ran && result->ok && !result->rolled_back);
	values[3] = CStringGetTextDatum(message);

	foreach(lc, result->messages)
		record_event(result->step_id, (ErrorData *) lfirst(lc));
	if (result->error)
		record_event(result->step_id, result->error);
	bookkeeping_call(CALL_STEP_END, values, nulls);
	return strcmp(first_row_text(1), "t") == 0;
}

/*
 * Close the steps of commands from..to-1 and open the next command's, in
 * one bookkeeping transaction.  When the run has succeeded and nothing runs
 * before its end, run_finish closes them in its transaction instead.
 * Returns whether the run may go on.
 */
static bool
steps_end(RunDefinition *def, int from, int to, bool ok)
{
	bool		go_on = true;

	if (ok && to == def->ncommands && def->next_time_statement == NULL)
	{
		def->unclosed_from = from;
		def->unclosed_to = to;
		return true;
	}
	bookkeeping_begin();
	for (int i = from; i < to; i++)
		go_on = step_close(&def->results[i]) && go_on;
	if (ok && go_on && to < def->ncommands)
		step_open(&def->results[to], def->commands[to]);
	bookkeeping_end();
	return go_on;
}

/*
 * Whether the server would log a message of elevel with log_min_messages at
 * min_elevel (elog.c's rule: LOG ranks between ERROR and FATAL there).
 */
static bool
server_would_log(int elevel, int min_elevel)
{
	if (elevel == LOG || elevel == LOG_SERVER_ONLY)
		return min_elevel == LOG || min_elevel <= ERROR;
	if (min_elevel == LOG)
		return elevel >= FATAL;
	return elevel >= min_elevel;
}

/*
 * Keep the messages a command raises below ERROR (errors are caught where
 * they are thrown).  Messages the server would not have logged anyway stay
 * out of the server log.
 */
static void
capture_message(ErrorData *edata)
{
	if (capturing != NULL && capture_elevel > 0 &&
		edata->elevel >= capture_elevel && edata->elevel < ERROR)
	{
		MemoryContext old = MemoryContextSwitchTo(RunContext);

		capturing->messages = lappend(capturing->messages, CopyErrorData());
		MemoryContextSwitchTo(old);
		if (!server_would_log(edata->elevel, server_log_elevel))
			edata->output_to_server = false;
	}
	if (prev_emit_log_hook)
		prev_emit_log_hook(edata);
}

/*
 * The values of a one-off job's params as the parameters $1..$n of one
 * analyzed statement, each converted by the input function of the type the
 * statement gives it: bound as values, never spliced into the text.
 */
static ParamListInfo
bind_params(Oid *types, int ntypes)
{
	ParamListInfo params;

	if (ntypes > binding->nparams)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_PARAMETER),
				 errmsg("there is no parameter $%d", binding->nparams + 1),
				 errdetail("The query uses $%d, and the job's params have %d values.",
						   ntypes, binding->nparams),
				 errhint("Pass one value in params for each $n of the query.")));
	params = makeParamList(ntypes);
	for (int i = 0; i < ntypes; i++)
	{
		ParamExternData *param = &params->params[i];
		Oid			input;
		Oid			ioparam;

		if (types[i] == InvalidOid || types[i] == UNKNOWNOID)
			ereport(ERROR,
					(errcode(ERRCODE_INDETERMINATE_DATATYPE),
					 errmsg("could not determine data type of parameter $%d", i + 1),
					 errhint("Cast the parameter in the query, e.g. $%d::integer.", i + 1)));
		getTypeInputInfo(types[i], &input, &ioparam);
		param->ptype = types[i];
		param->pflags = PARAM_FLAG_CONST;
		param->isnull = binding->params[i] == NULL;
		param->value = param->isnull ? (Datum) 0 :
			OidInputFunctionCall(input, binding->params[i], ioparam, -1);
	}
	return params;
}

/*
 * Execute one command string the way a client's simple query is executed:
 * statement by statement, at top level, so that VACUUM and the other
 * commands that refuse to run inside a function work in a job as they do
 * in psql.  Several statements in one string, or several commands in one
 * transaction, form an implicit transaction block, as in psql, so such a
 * command cannot commit half of them.  Returns the rows processed by the
 * last statement.
 */
static uint64
execute_command(const char *sql, bool implicit_block, MemoryContext parse_context)
{
	MemoryContext old = MemoryContextSwitchTo(parse_context);
	List	   *statements = pg_parse_query(sql);
	uint64		rows = 0;
	ListCell   *lc;

	if (list_length(statements) > 1)
		implicit_block = true;

	foreach(lc, statements)
	{
		RawStmt    *statement = lfirst_node(RawStmt, lc);
		CommandTag	tag = CreateCommandTag(statement->stmt);
		bool		snapshot_set = false;
		List	   *queries;
		List	   *plans;
		ParamListInfo params = NULL;
		Portal		portal;
		DestReceiver *receiver;
		QueryCompletion qc;

		/* The worker owns the transactions: a BEGIN would swallow the rest. */
		if (IsA(statement->stmt, TransactionStmt))
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("transaction control statements are not allowed in the commands of a job"),
					 errdetail("The command contains %s.", GetCommandTagName(tag)),
					 errhint("Give each transaction as one command of the job's commands array, or set use_same_transaction.")));
		if (implicit_block)
			BeginImplicitTransactionBlock();
		if (analyze_requires_snapshot(statement))
		{
			PushActiveSnapshot(GetTransactionSnapshot());
			snapshot_set = true;
		}
		if (binding != NULL && binding->nparams >= 0)
		{
			Oid		   *types = NULL;
			int			ntypes = 0;

			queries = pg_analyze_and_rewrite_varparams(statement, sql, &types, &ntypes, NULL);
			params = bind_params(types, ntypes);
		}
		else
			queries = pg_analyze_and_rewrite_fixedparams(statement, sql, NULL, 0, NULL);
		plans = pg_plan_queries(queries, sql, CURSOR_OPT_PARALLEL_OK, params);
		if (snapshot_set)
			PopActiveSnapshot();

		portal = CreatePortal("", true, true);
		portal->visible = false;
		PortalDefineQuery(portal, NULL, sql, tag, plans, NULL);
		PortalStart(portal, params, 0, InvalidSnapshot);
		receiver = CreateDestReceiver(DestNone);
		InitializeQueryCompletion(&qc);
		(void) PortalRun(portal, FETCH_ALL, true, true, receiver, receiver, &qc);
		receiver->rDestroy(receiver);
		PortalDrop(portal, false);
		/* VACUUM and the like commit and start transactions themselves. */
		MemoryContextSwitchTo(parse_context);
		rows = qc.nprocessed;
		if (lnext(statements, lc) != NULL)
			CommandCounterIncrement();
	}
	if (implicit_block)
		EndImplicitTransactionBlock();
	MemoryContextSwitchTo(old);
	return rows;
}

/*
 * Execute sql[0..n-1] in one transaction as the job's role, stopping at the
 * first error, and fill in results[0..n-1].  Returns whether all succeeded.
 */
static bool
run_transaction(char **sql, CommandResult *results, int n)
{
	MemoryContext parse_context = AllocSetContextCreate(RunContext, "pg_jobmon command",
														ALLOCSET_DEFAULT_SIZES);
	volatile int i = 0;
	volatile bool ok = true;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	PG_TRY();
	{
		for (i = 0; i < n; i++)
		{
			CHECK_FOR_INTERRUPTS();
			SetCurrentStatementStartTimestamp();
			pgstat_report_activity(STATE_RUNNING, sql[i]);
			results[i].ran = true;
			capturing = &results[i];
			results[i].rows = execute_command(sql[i], n > 1, parse_context);
			capturing = NULL;
			results[i].ok = true;
			if (i + 1 < n)
				CommandCounterIncrement();
		}
		CommitTransactionCommand();
	}
	PG_CATCH();
	{
		capturing = NULL;
		MemoryContextSwitchTo(RunContext);
		results[Min(i, n - 1)].ok = false;
		results[Min(i, n - 1)].error = CopyErrorData();
		FlushErrorState();
		AbortCurrentTransaction();
		ok = false;
	}
	PG_END_TRY();
	MemoryContextSwitchTo(RunContext);
	MemoryContextDelete(parse_context);
	pgstat_report_activity(STATE_IDLE, NULL);
	return ok;
}

/*
 * The job's commands: each in a transaction of its own, or all in one when
 * use_same_transaction is set.  Returns whether all succeeded; *stopped is
 * set when the run was cancelled between commands.
 */
static bool
run_commands(RunDefinition *def, bool *stopped)
{
	CommandResult *results = def->results;
	bool		ok;

	/* run_start has opened the first step, or all of them. */
	if (def->same_transaction)
	{
		ok = run_transaction(def->commands, results, def->ncommands);
		for (int i = 0; i < def->ncommands; i++)
			results[i].rolled_back = !ok && results[i].ok;
		*stopped = !steps_end(def, 0, def->ncommands, ok);
		return ok;
	}
	for (int i = 0;; i++)
	{
		ok = run_transaction(&def->commands[i], &results[i], 1);
		*stopped = !steps_end(def, i, i + 1, ok);
		if (!ok || *stopped || i + 1 == def->ncommands)
			return ok;
	}
}

/* onrollback, after a failure: true when it succeeded. */
static bool
run_onrollback(RunDefinition *def)
{
	CommandResult result = {0};

	step_start(&result, psprintf("onrollback: %s", def->onrollback));
	run_transaction(&def->onrollback, &result, 1);
	bookkeeping_begin();
	step_close(&result);
	bookkeeping_end();
	return result.ok;
}

/*
 * next_time_statement, as the job's role, with the outcome readable as
 * current_setting('pg_jobmon.transaction_state').  Returns the first column
 * of its first row as text; an error is returned in *error instead.
 */
static char *
run_next_time_statement(RunDefinition *def, const char *state, char **error)
{
	char	   *volatile next_time = NULL;

	*error = NULL;
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	PG_TRY();
	{
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		SetConfigOption("pg_jobmon.transaction_state", state, PGC_USERSET, PGC_S_SESSION);
		PushActiveSnapshot(GetTransactionSnapshot());
		SPI_execute(def->next_time_statement, false, 1);
		PopActiveSnapshot();
		if (SPI_processed > 0 && SPI_tuptable != NULL)
			next_time = first_row_text(1);
		SPI_finish();
		CommitTransactionCommand();
	}
	PG_CATCH();
	{
		ErrorData  *e;

		MemoryContextSwitchTo(RunContext);
		e = CopyErrorData();
		FlushErrorState();
		AbortCurrentTransaction();
		*error = e->message;
	}
	PG_END_TRY();
	MemoryContextSwitchTo(RunContext);
	return next_time;
}

/*
 * End the run (with the steps left open for it), and start the next due run
 * of the same role and kind in the same transaction.  Returns whether there
 * was one; def is then that run.  Whether the run ending was cancelled
 * meanwhile, _run_finish finds out itself.
 */
static bool
run_finish(RunDefinition *def, const char *outcome, const char *reason,
		   const char *next_time, const char *next_time_error)
{
	Datum		values[6];
	char		nulls[6];
	Interval   *resubmit_after = jobmon_job_context_resubmit();
	bool		next;

	values[0] = Int64GetDatum(run_id);
	nulls[0] = ' ';
	values[1] = text_arg(outcome, nulls, 1);
	values[2] = text_arg(reason, nulls, 2);
	values[3] = text_arg(next_time, nulls, 3);
	values[4] = text_arg(next_time_error, nulls, 4);
	values[5] = resubmit_after ? IntervalPGetDatum(resubmit_after) : (Datum) 0;
	nulls[5] = resubmit_after ? ' ' : 'n';

	bookkeeping_begin();
	for (int i = def->unclosed_from; i < def->unclosed_to; i++)
		(void) step_close(&def->results[i]);
	bookkeeping_call(CALL_RUN_FINISH, values, nulls);
	/* When there is none, _run_next wakes the dispatcher: a slot is free. */
	bookkeeping_call(CALL_RUN_NEXT, values, NULL);
	MemoryContextReset(RunContext);	/* the run has ended: its memory goes */
	next = run_begin(def);
	bookkeeping_end();
	return next;
}

static void
run_timeout_handler(void)
{
	run_timed_out = true;
	InterruptPending = true;
	QueryCancelPending = true;
	SetLatch(MyLatch);
}

/* Sleep until the run's due time: the dispatcher starts workers early. */
static void
wait_until(TimestampTz due_at)
{
	for (;;)
	{
		long		ms = TimestampDifferenceMilliseconds(GetCurrentTimestamp(), due_at);

		if (ms <= 0)
			break;
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 ms, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}
}

/*
 * Messages reach emit_log_hook only when log_min_messages lets them through:
 * lower it to the run's capture level (for LOG, which it ranks high, to
 * DEBUG1), or put the server's level back.
 */
static void
set_capture_level(int elevel)
{
	capture_elevel = elevel;
	SetConfigOption("log_min_messages",
					jobmon_severity_name(elevel == 0 ? server_log_elevel :
										 elevel == LOG ? DEBUG1 : elevel),
					PGC_SUSET, PGC_S_OVERRIDE);
}

/*
 * Between two runs in one worker: what the last job set in its session
 * (settings, prepared statements, cursors, temporary tables, advisory
 * locks, sequence values ...) must not reach the next one.  DISCARD ALL
 * without DISCARD PLANS, which would make every following bookkeeping
 * statement plan again.
 */
static void
reset_session(void)
{
	CommandResult result = {0};
	char	   *discard = "CLOSE ALL; RESET ALL; DEALLOCATE ALL; UNLISTEN *; "
		"SELECT pg_catalog.pg_advisory_unlock_all(); DISCARD SEQUENCES; DISCARD TEMP";

	run_transaction(&discard, &result, 1);
	if (!result.ok)
		ereport(ERROR,
				(errmsg("pg_jobmon worker could not reset its session between runs: %s",
						result.error->message)));
}

/*
 * Execute the run def, which has started; returns whether the worker has
 * started a next run, which is then in def.
 */
static bool
run_one(RunDefinition *def, TimeoutId timeout_id)
{
	bool		ok;
	bool		stopped;
	const char *outcome;
	const char *reason = NULL;
	char	   *next_time = NULL;
	char	   *next_time_error = NULL;
	bool		next;

	jobmon_job_context_set(def->job_id, def->oneoff);
	run_timed_out = false;
	if (def->max_run_ms > 0)
		enable_timeout_after(timeout_id, (int) Min(def->max_run_ms, PG_INT32_MAX));
	set_capture_level(def->capture_elevel);

	binding = def;
	ok = run_commands(def, &stopped);
	binding = NULL;

	disable_timeout(timeout_id, false);
	set_capture_level(0);
	/* A cancel that came too late for the commands must not hit the rest. */
	QueryCancelPending = false;

	if (ok)
		outcome = "success";
	else if (stopped)
		outcome = "cancelled";
	else if (run_timed_out)
		outcome = "timeout";
	else
		outcome = "failure";

	if (!ok && !stopped && def->onrollback != NULL && !run_onrollback(def))
		reason = "onrollback failed too (double fault)";

	if (def->next_time_statement != NULL)
		next_time = run_next_time_statement(def, ok ? "success" : "failure",
											&next_time_error);

	next = run_finish(def, outcome, reason, next_time, next_time_error);
	jobmon_job_context_clear();
	return next;
}

void
jobmon_worker_main(Datum main_arg)
{
	JobmonWorkerArgs args;
	TimeoutId	timeout_id;
	RunDefinition def;

	memcpy(&args, MyBgworkerEntry->bgw_extra, sizeof(args));
	run_id = args.run_id;

	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnectionByOid(args.database, args.role, 0);
	pgstat_report_appname("pg_jobmon worker");

	RunContext = AllocSetContextCreate(TopMemoryContext, "pg_jobmon run",
									   ALLOCSET_DEFAULT_SIZES);
	MemoryContextSwitchTo(RunContext);

	wait_for_launcher(args.launcher_xid);
	wait_until(args.due_at);
	find_extension();

	timeout_id = RegisterTimeout(USER_TIMEOUT, run_timeout_handler);
	server_log_elevel = log_min_messages;
	prev_emit_log_hook = emit_log_hook;
	emit_log_hook = capture_message;

	if (run_start(&def))
		while (run_one(&def, timeout_id))
			reset_session();
	proc_exit(0);
}
