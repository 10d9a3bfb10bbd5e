/*-------------------------------------------------------------------------
 *
 * worker.c
 *		The background worker that executes runs of scheduled and one-off
 *		jobs: its life and its signals.
 *
 * The dispatcher starts a worker for a run (launcher.c).  The worker
 * connects as the job's run_as role, so the job's commands run with
 * exactly that role's privileges: the session user is the job's role, and
 * there is no other role that RESET ROLE or SET SESSION AUTHORIZATION
 * could return to.  The bookkeeping around the commands (the run's state,
 * its job_log and job_detail rows, captured messages) is done by the
 * extension's SQL functions in transactions of their own, executed as the
 * extension's owner under SECURITY_LOCAL_USERID_CHANGE, which the job's
 * commands never see (bookkeeping.c).
 *
 * One run:
 *		_worker_begin	claim the run, open its job_log row, read the job,
 *						and open the first command's step (_worker_step_open;
 *						every command's, with use_same_transaction)
 *		per command		the command (executed like a client's query, so
 *						VACUUM works: command.c), then in one transaction
 *						_worker_step_close with the rows or the error and the
 *						messages captured meanwhile (capture.c), and the
 *						next command's _worker_step_open
 *		onrollback		after a failure, in a new transaction, as a step
 *		next_time		the job's next_time_statement, knowing the outcome
 *		_worker_end		close the run and its job_log row; after a success
 *						without next_time_statement, also the last step
 *
 * Then the worker takes the next due run of the same role and kind and
 * starts it (_worker_next, in _worker_end's transaction, which thus also
 * opens the next run's first step), resets its session between the two
 * runs (worker_reset_session), and exits only when there is none: starting
 * a process costs more than most one-off jobs.  A run of one successful
 * command thus costs one bookkeeping transaction besides its command's.
 *
 * Signals: SIGTERM is die(), as in a backend: it ends the worker at the
 * next CHECK_FOR_INTERRUPTS, in a command or between runs.  A job's
 * max_run_time is a timeout that cancels the current command like a query
 * cancel; the flag it sets tells a timeout from another cancel.
 *
 * A worker that dies on the way (terminated, crashed) leaves its run
 * "running"; the dispatcher closes such runs as failed.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <signal.h>

#include "access/xact.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lmgr.h"
#include "tcop/tcopprot.h"
#include "utils/memutils.h"
#include "utils/timeout.h"
#include "utils/timestamp.h"

#include "pg_jobmon.h"
#include "worker_internal.h"

PGDLLEXPORT void jobmon_worker_main(Datum main_arg);

/*
 * Set by the max_run_time timer, read when the run's commands have ended:
 * the state of a signal-time handler, which takes no argument.
 */
static volatile sig_atomic_t run_timed_out = false;

static void worker_timeout_handler(void);
static void worker_wait_for_dispatcher(TransactionId xid);
static void worker_wait_until(TimestampTz due_at);
static bool worker_run_one(JobmonBookkeeping *bk, JobmonRun *run,
						   TimeoutId timeout_id);
static void worker_reset_session(JobmonRun *run);

/* The max_run_time timeout: cancel the current command. */
static void
worker_timeout_handler(void)
{
	run_timed_out = true;
	InterruptPending = true;
	QueryCancelPending = true;
	SetLatch(MyLatch);
}

/*
 * The dispatcher plans the run and starts this worker in one transaction,
 * and the run's row may be one it inserted: wait until that transaction
 * has ended before looking, or the run would not be there yet.  The
 * caller's memory context is current again on return.
 */
static void
worker_wait_for_dispatcher(TransactionId xid)
{
	MemoryContext caller = CurrentMemoryContext;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	XactLockTableWait(xid, NULL, NULL, XLTW_None);
	CommitTransactionCommand();
	MemoryContextSwitchTo(caller);
}

/* Sleep until the run's due time: the dispatcher starts workers early. */
static void
worker_wait_until(TimestampTz due_at)
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
 * A job's error, which the worker catches to record it, also goes to the
 * server log, as a job's error would in a session of its own: log-based
 * alerting sees it.  Logged as LOG, with the error's SQLSTATE, so that it
 * reaches the log at the default log_min_messages.
 */
static void
worker_log_failure(const JobmonRun *run)
{
	int			i;

	for (i = 0; i < run->def.ncommands; i++)
	{
		const ErrorData *e = run->results[i].error;

		if (e == NULL)
			continue;
		ereport(LOG,
				(errcode(e->sqlerrcode),
				 errmsg("pg_jobmon job " INT64_FORMAT " failed in run " INT64_FORMAT ": %s",
						run->def.job_id, run->run_id, e->message),
				 e->detail ? errdetail_internal("%s", e->detail) : 0,
				 e->hint ? errhint("%s", e->hint) : 0));
		return;
	}
}

/*
 * Execute run, which has started; returns whether the worker has started a
 * next run, which is then in run.
 */
static bool
worker_run_one(JobmonBookkeeping *bk, JobmonRun *run, TimeoutId timeout_id)
{
	JobmonRunDef *def = &run->def;
	JobmonRunEnd end = {0};
	bool		ok;
	bool		stopped;
	char	   *next_time_error = NULL;
	bool		next;

	jobmon_job_context_set(def->job_id, def->oneoff);
	run_timed_out = false;
	if (def->max_run_ms > 0)
		enable_timeout_after(timeout_id, (int) Min(def->max_run_ms, PG_INT32_MAX));
	jobmon_capture_level(def->capture_elevel);

	ok = jobmon_run_commands(bk, run, &stopped);

	disable_timeout(timeout_id, false);
	jobmon_capture_level(0);
	/* A cancel that came too late for the commands must not hit the rest. */
	QueryCancelPending = false;

	if (ok)
		end.outcome = "success";
	else if (stopped)
		end.outcome = "cancelled";
	else if (run_timed_out)
		end.outcome = "timeout";
	else
		end.outcome = "failure";

	if (!ok && !stopped)
		worker_log_failure(run);
	if (!ok && !stopped && def->onrollback != NULL && !jobmon_run_onrollback(bk, run))
		end.reason = "onrollback failed too (double fault)";

	if (def->next_time_statement != NULL)
	{
		end.next_time = jobmon_run_next_time_statement(run->context,
													   def->next_time_statement,
													   ok ? "success" : "failure",
													   &next_time_error);
		end.next_time_error = next_time_error;
	}

	end.resubmit_after = jobmon_job_context_resubmit();
	next = jobmon_run_finish(bk, run, &end);
	jobmon_job_context_clear();
	return next;
}

/*
 * Between two runs in one worker: what the last job set in its session
 * (settings, a SET ROLE, which RESET ALL leaves, prepared statements,
 * cursors, temporary tables, advisory locks, sequence values ...) must not
 * reach the next one.  DISCARD ALL
 * without DISCARD PLANS, which would make every following bookkeeping
 * statement plan again.
 */
static void
worker_reset_session(JobmonRun *run)
{
	CommandResult result = {0};
	char	   *discard = "CLOSE ALL; RESET ALL; RESET ROLE; DEALLOCATE ALL; UNLISTEN *; "
		"SELECT pg_catalog.pg_advisory_unlock_all(); DISCARD SEQUENCES; DISCARD TEMP";

	if (!jobmon_run_transaction(run->context, &discard, &result, 1, NULL))
		ereport(ERROR,
				(errcode(result.error->sqlerrcode),
				 errmsg("pg_jobmon worker could not reset its session between runs: %s",
						result.error->message)));
}

/*
 * The worker's main function (bgw_function_name): execute the run the
 * dispatcher started it for, then the next due runs of the same role and
 * kind, and exit.
 */
void
jobmon_worker_main(Datum main_arg)
{
	JobmonWorkerArgs args;
	JobmonBookkeeping *bk;
	JobmonRun	run;
	TimeoutId	timeout_id;

	memcpy(&args, MyBgworkerEntry->bgw_extra, sizeof(args));

	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();

	/*
	 * No flags, on every version: the role must be able to log in (the
	 * dispatcher checks it before every run; PostgreSQL 17's
	 * BGWORKER_BYPASS_ROLELOGINCHECK is deliberately not used), and the
	 * database must allow connections.
	 */
	BackgroundWorkerInitializeConnectionByOid(args.database, args.role, 0);
	pgstat_report_appname(JOBMON_WORKER_TYPE);

	memset(&run, 0, sizeof(run));
	run.run_id = args.run_id;
	run.context = AllocSetContextCreate(TopMemoryContext, "pg_jobmon run",
										ALLOCSET_DEFAULT_SIZES);
	MemoryContextSwitchTo(run.context);

	worker_wait_for_dispatcher(args.dispatcher_xid);
	worker_wait_until(args.due_at);
	bk = jobmon_bookkeeping_setup();

	timeout_id = RegisterTimeout(USER_TIMEOUT, worker_timeout_handler);
	jobmon_capture_install();

	if (jobmon_run_start(bk, &run))
		while (worker_run_one(bk, &run, timeout_id))
			worker_reset_session(&run);
	proc_exit(0);
}
