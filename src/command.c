/*-------------------------------------------------------------------------
 *
 * command.c
 *		Executing a job's commands, its onrollback statement and its
 *		next_time_statement, as the job's role.
 *
 * A command string is executed the way a client's simple query is
 * (exec_simple_query): parsed, analyzed, planned and run through a portal
 * statement by statement, at top level, so that VACUUM and the other
 * commands that refuse to run inside a function work in a job as they do
 * in psql.  A one-off job's params are bound to $1, $2 ... as values, each
 * converted by the input function of the type the statement gives it,
 * never spliced into the text.  A worker has no client, so a string with
 * COPY TO STDOUT or COPY FROM STDIN is refused before any of it runs.
 *
 * The worker owns the transactions: a command in a transaction of its own,
 * or all of a job's commands in one (use_same_transaction).  Errors are
 * caught per transaction and kept in the command's CommandResult, with the
 * messages captured meanwhile (capture.c); the step boundaries between
 * commands are recorded through bookkeeping.c.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "nodes/params.h"
#include "nodes/parsenodes.h"
#include "parser/analyze.h"
#include "pgstat.h"
#include "storage/proc.h"
#include "tcop/dest.h"
#include "tcop/pquery.h"
#include "tcop/tcopprot.h"
#include "tcop/utility.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/portal.h"
#include "utils/snapmgr.h"
#include "utils/timeout.h"

#include "worker_internal.h"

static ParamListInfo command_bind_params(const JobmonParams *params, Oid *types,
										 int ntypes);
static void command_check_no_client(Node *statement);
static void command_statement_timeout_start(void);
static uint64 command_execute(const char *sql, bool implicit_block,
							  MemoryContext parse_context,
							  const JobmonParams *params);

/*
 * The values of a one-off job's params as the parameters $1..$n of one
 * analyzed statement, each converted by the input function of the type the
 * statement gives it.
 */
static ParamListInfo
command_bind_params(const JobmonParams *params, Oid *types, int ntypes)
{
	ParamListInfo list;

	if (ntypes > params->nparams)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_PARAMETER),
				 errmsg("there is no parameter $%d", params->nparams + 1),
				 errdetail("The query uses $%d, and the job's params have %d values.",
						   ntypes, params->nparams),
				 errhint("Pass one value in params for each $n of the query.")));
	list = makeParamList(ntypes);
	for (int i = 0; i < ntypes; i++)
	{
		ParamExternData *param = &list->params[i];
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
		param->isnull = params->values[i] == NULL;
		param->value = param->isnull ? (Datum) 0 :
			OidInputFunctionCall(input, params->values[i], ioparam, -1);
	}
	return list;
}

/*
 * statement_timeout applies to each statement of a job as to a client's:
 * the job's own SET, or its role's or database's setting.  A worker is
 * not a client backend, whose main loop arms the timer; so it is armed
 * here, before the statement is analyzed, and disarmed when it ends.
 */
static void
command_statement_timeout_start(void)
{
	if (StatementTimeout > 0)
		enable_timeout_after(STATEMENT_TIMEOUT, StatementTimeout);
	else
		disable_timeout(STATEMENT_TIMEOUT, false);
}

/*
 * Raise an error if the raw (parsed, not yet analyzed) statement would talk
 * to a client.  A worker has none: COPY TO STDOUT would write into whatever
 * the postmaster's stdout is (often the server log) and COPY FROM STDIN
 * would read nothing and succeed.  COPY nested in a function is refused
 * already (by SPI, so by PL/pgSQL, and by SQL functions), and every other
 * statement's rows go to the DestNone receiver, so a top-level COPY with
 * neither a file nor a program is all there is to check.
 */
static void
command_check_no_client(Node *statement)
{
	CopyStmt   *copy;

	if (!IsA(statement, CopyStmt))
		return;
	copy = (CopyStmt *) statement;
	if (copy->filename != NULL || copy->is_program)
		return;
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("COPY to or from a client is not possible in a job"),
			 errdetail("A job runs in a background worker, which has no client: the command contains COPY %s %s.",
					   copy->is_from ? "FROM" : "TO", copy->is_from ? "STDIN" : "STDOUT"),
			 errhint("COPY to or from a file on the server (with the privileges that needs), or use INSERT ... SELECT.")));
}

/*
 * Execute one command string the way a client's simple query is executed:
 * statement by statement, at top level.  Several statements in one string,
 * or several commands in one transaction (implicit_block), form an implicit
 * transaction block, as in psql, so such a command cannot commit half of
 * them.  params, when not NULL and the job has params, are bound to $n.
 * Returns the rows processed by the last statement.  The caller has
 * started the transaction.
 */
static uint64
command_execute(const char *sql, bool implicit_block, MemoryContext parse_context,
				const JobmonParams *params)
{
	MemoryContext old = MemoryContextSwitchTo(parse_context);
	List	   *statements = pg_parse_query(sql);
	uint64		rows = 0;
	ListCell   *lc;

	if (list_length(statements) > 1)
		implicit_block = true;
	/* Before any statement runs, so that none of the string runs. */
	foreach(lc, statements)
		command_check_no_client(lfirst_node(RawStmt, lc)->stmt);

	foreach(lc, statements)
	{
		RawStmt    *statement = lfirst_node(RawStmt, lc);
		CommandTag	tag = CreateCommandTag(statement->stmt);
		bool		snapshot_set = false;
		List	   *queries;
		List	   *plans;
		ParamListInfo bound = NULL;
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
		command_statement_timeout_start();
		if (analyze_requires_snapshot(statement))
		{
			PushActiveSnapshot(GetTransactionSnapshot());
			snapshot_set = true;
		}
		if (params != NULL && params->nparams >= 0)
		{
			Oid		   *types = NULL;
			int			ntypes = 0;

			queries = pg_analyze_and_rewrite_varparams(statement, sql, &types, &ntypes, NULL);
			bound = command_bind_params(params, types, ntypes);
		}
		else
			queries = pg_analyze_and_rewrite_fixedparams(statement, sql, NULL, 0, NULL);
		plans = pg_plan_queries(queries, sql, CURSOR_OPT_PARALLEL_OK, bound);
		if (snapshot_set)
			PopActiveSnapshot();

		portal = CreatePortal("", true, true);
		portal->visible = false;
		PortalDefineQuery(portal, NULL, sql, tag, plans, NULL);
		PortalStart(portal, bound, 0, InvalidSnapshot);
		receiver = CreateDestReceiver(DestNone);
		InitializeQueryCompletion(&qc);
		/* PostgreSQL 18 dropped PortalRun's run_once argument. */
#if PG_VERSION_NUM >= 180000
		(void) PortalRun(portal, FETCH_ALL, true, receiver, receiver, &qc);
#else
		(void) PortalRun(portal, FETCH_ALL, true, true, receiver, receiver, &qc);
#endif
		receiver->rDestroy(receiver);
		PortalDrop(portal, false);
		disable_timeout(STATEMENT_TIMEOUT, false);
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
 * Execute sql[0..n-1] in one transaction as the current role, stopping at
 * the first error, and fill in results[0..n-1] (in context, which is
 * current again on return).  params as for command_execute; NULL binds
 * nothing.  The messages each command raises go to its result while the
 * capture level lets them (jobmon_capture_level).  Returns whether all
 * succeeded.
 */
bool
jobmon_run_transaction(MemoryContext context, char **sql, CommandResult *results,
					   int n, const JobmonParams *params)
{
	MemoryContext parse_context = AllocSetContextCreate(context, "pg_jobmon command",
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
			jobmon_capture_start(&results[i], context);
			results[i].rows = command_execute(sql[i], n > 1, parse_context, params);
			jobmon_capture_stop();
			results[i].ok = true;
			if (i + 1 < n)
				CommandCounterIncrement();
		}
		CommitTransactionCommand();
	}
	PG_CATCH();
	{
		disable_timeout(STATEMENT_TIMEOUT, false);
		jobmon_capture_stop();
		MemoryContextSwitchTo(context);
		results[Min(i, n - 1)].ok = false;
		results[Min(i, n - 1)].error = CopyErrorData();
		FlushErrorState();
		AbortCurrentTransaction();
		ok = false;
	}
	PG_END_TRY();
	MemoryContextSwitchTo(context);
	MemoryContextDelete(parse_context);
	pgstat_report_activity(STATE_IDLE, NULL);
	return ok;
}

/*
 * The job's commands: each in a transaction of its own, or all in one when
 * use_same_transaction is set, with the job's params bound.  The step of
 * the first command (of all, in one transaction) is open already; each
 * transaction's end closes its steps and opens the next one.  Returns
 * whether all succeeded; *stopped is set when the run was cancelled
 * between commands.
 */
bool
jobmon_run_commands(JobmonBookkeeping *bk, JobmonRun *run, bool *stopped)
{
	JobmonRunDef *def = &run->def;
	CommandResult *results = run->results;
	bool		ok;

	if (def->same_transaction)
	{
		ok = jobmon_run_transaction(run->context, def->commands, results,
									def->ncommands, &def->params);
		for (int i = 0; i < def->ncommands; i++)
			results[i].rolled_back = !ok && results[i].ok;
		*stopped = !jobmon_steps_end(bk, run, 0, def->ncommands, ok);
		return ok;
	}
	for (int i = 0;; i++)
	{
		ok = jobmon_run_transaction(run->context, &def->commands[i], &results[i], 1,
									&def->params);
		*stopped = !jobmon_steps_end(bk, run, i, i + 1, ok);
		if (!ok || *stopped || i + 1 == def->ncommands)
			return ok;
	}
}

/*
 * The job's onrollback statement, after a failure, in a transaction and a
 * step of its own, without params; true when it succeeded.
 */
bool
jobmon_run_onrollback(JobmonBookkeeping *bk, JobmonRun *run)
{
	CommandResult result = {0};

	jobmon_step_start(bk, run, &result,
					  psprintf("onrollback: %s", run->def.onrollback));
	jobmon_run_transaction(run->context, &run->def.onrollback, &result, 1, NULL);
	(void) jobmon_step_end(bk, run, &result);
	return result.ok;
}

/*
 * A job's next_time_statement, as the job's role, with the outcome (state)
 * readable as current_setting('pg_jobmon.transaction_state').  Returns the
 * first column of its first row as text, in context; an error is returned
 * in *error instead.  context is current again on return.
 */
char *
jobmon_run_next_time_statement(MemoryContext context, const char *statement,
							   const char *state, char **error)
{
	char	   *volatile next_time = NULL;

	*error = NULL;
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	PG_TRY();
	{
		ListCell   *lc;

		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		SetConfigOption("pg_jobmon.transaction_state", state, PGC_USERSET, PGC_S_SESSION);
		/* SPI refuses COPY to a client with an error code, not an error: say why. */
		foreach(lc, pg_parse_query(statement))
			command_check_no_client(lfirst_node(RawStmt, lc)->stmt);
		PushActiveSnapshot(GetTransactionSnapshot());
		SPI_execute(statement, false, 1);
		PopActiveSnapshot();
		if (SPI_processed > 0 && SPI_tuptable != NULL)
		{
			char	   *value = SPI_getvalue(SPI_tuptable->vals[0],
											 SPI_tuptable->tupdesc, 1);

			next_time = value ? MemoryContextStrdup(context, value) : NULL;
		}
		SPI_finish();
		CommitTransactionCommand();
	}
	PG_CATCH();
	{
		ErrorData  *e;

		MemoryContextSwitchTo(context);
		e = CopyErrorData();
		FlushErrorState();
		AbortCurrentTransaction();
		*error = e->message;
	}
	PG_END_TRY();
	MemoryContextSwitchTo(context);
	return next_time;
}
