/*-------------------------------------------------------------------------
 *
 * launcher.c
 *		The dispatcher's launcher functions: what the dispatcher (CALL
 *		jobmon_dispatch()) needs from C to start a background worker for a
 *		run, sleep until the next due time, and be woken early.
 *
 * The dispatcher is PL/pgSQL; it decides what runs and when.  These
 * functions only do what SQL cannot: register a dynamic background worker
 * that connects as the job's role (worker.c is its other side), and wait
 * on the process latch so that a finished run or a new job wakes the
 * dispatcher at once instead of at its next poll.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <signal.h>

#include "access/xact.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/latch.h"
#include "storage/proc.h"
#include "storage/procarray.h"
#include "utils/timestamp.h"

#include "pg_jobmon.h"

PG_FUNCTION_INFO_V1(jobmon_worker_launch);
PG_FUNCTION_INFO_V1(jobmon_dispatch_sleep);
PG_FUNCTION_INFO_V1(jobmon_latch_set_at_commit);
PG_FUNCTION_INFO_V1(jobmon_process_exists);

/*
 * The backend whose latch to set when the current transaction commits
 * (_latch_set_at_commit), 0 for none: transaction callbacks take no
 * argument of the caller's.
 */
static int	launcher_wake_pid = 0;
static bool launcher_wake_registered = false;

static void launcher_wake_at_commit(XactEvent event, void *arg);

/*
 * _worker_launch(run_id bigint, role oid, due_at timestamptz) returns the
 * pid of a new worker that will execute the run as that role, or NULL when
 * no background worker slot is free or the extension's objects are of
 * another version than this library (the run then waits for the next try).
 *
 * Only a superuser may start a process as another role; the dispatcher has
 * already checked that the job's owner may run as that role.
 */
Datum
jobmon_worker_launch(PG_FUNCTION_ARGS)
{
	JobmonWorkerArgs args;
	BackgroundWorker worker;
	BackgroundWorkerHandle *handle;
	BgwHandleStatus status;
	pid_t		pid;

	if (!superuser())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to start a pg_jobmon worker"),
				 errdetail("Only a superuser can start a process that runs as another role."),
				 errhint("CALL jobmon_dispatch() as a superuser, as jobmon_start() schedules it.")));

	if (!jobmon_extension_version_matches(WARNING))
		PG_RETURN_NULL();

	memset(&args, 0, sizeof(args));
	args.run_id = PG_GETARG_INT64(0);
	args.role = PG_GETARG_OID(1);
	args.due_at = PG_GETARG_TIMESTAMPTZ(2);
	args.database = MyDatabaseId;
	args.dispatcher_xid = GetTopTransactionId();

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = BGW_NEVER_RESTART;
	snprintf(worker.bgw_library_name, BGW_MAXLEN, "pg_jobmon");
	snprintf(worker.bgw_function_name, BGW_MAXLEN, "jobmon_worker_main");
	snprintf(worker.bgw_name, BGW_MAXLEN, "pg_jobmon worker for run " INT64_FORMAT,
			 args.run_id);
	snprintf(worker.bgw_type, BGW_MAXLEN, JOBMON_WORKER_TYPE);
	StaticAssertStmt(sizeof(JobmonWorkerArgs) <= BGW_EXTRALEN,
					 "worker arguments must fit in bgw_extra");
	memcpy(worker.bgw_extra, &args, sizeof(args));
	worker.bgw_notify_pid = MyProcPid;

	if (!RegisterDynamicBackgroundWorker(&worker, &handle))
		PG_RETURN_NULL();

	status = WaitForBackgroundWorkerStartup(handle, &pid);
	if (status != BGWH_STARTED)
		PG_RETURN_NULL();

	PG_RETURN_INT32(pid);
}

/*
 * _dispatch_sleep(seconds float8) waits that long or until the latch is set
 * (by _dispatch_wake, through _latch_set_at_commit), whichever comes first;
 * returns true when woken early.
 */
Datum
jobmon_dispatch_sleep(PG_FUNCTION_ARGS)
{
	float8		seconds = PG_GETARG_FLOAT8(0);
	long		timeout_ms;
	int			rc;

	if (seconds <= 0)
		PG_RETURN_BOOL(false);
	timeout_ms = (long) Min(seconds * 1000.0, 60.0 * 60 * 1000);

	rc = WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
				   timeout_ms, PG_WAIT_EXTENSION);
	ResetLatch(MyLatch);
	CHECK_FOR_INTERRUPTS();

	PG_RETURN_BOOL((rc & WL_LATCH_SET) != 0);
}

/*
 * Transaction callback: at commit, set the latch of launcher_wake_pid;
 * forget it at commit or abort.
 */
static void
launcher_wake_at_commit(XactEvent event, void *arg)
{
	PGPROC	   *proc;

	switch (event)
	{
		case XACT_EVENT_COMMIT:
			proc = launcher_wake_pid ? BackendPidGetProc(launcher_wake_pid) : NULL;
			if (proc != NULL)
				SetLatch(&proc->procLatch);
			launcher_wake_pid = 0;
			break;
		case XACT_EVENT_ABORT:
			launcher_wake_pid = 0;
			break;
		default:
			break;
	}
}

/*
 * _latch_set_at_commit(pid integer) sets the latch of that backend when the
 * current transaction commits, ending its _dispatch_sleep: woken earlier,
 * the dispatcher would not yet see what this transaction planned.  Setting
 * a latch does nothing else, so waking a process that is not sleeping in
 * _dispatch_sleep is harmless.
 */
Datum
jobmon_latch_set_at_commit(PG_FUNCTION_ARGS)
{
	if (!launcher_wake_registered)
	{
		RegisterXactCallback(launcher_wake_at_commit, NULL);
		launcher_wake_registered = true;
	}
	launcher_wake_pid = PG_GETARG_INT32(0);
	PG_RETURN_VOID();
}

/*
 * _process_exists(pid integer): whether a process with that pid exists.  A
 * worker that has not connected yet is not in pg_stat_activity, but it
 * exists; after a crash and restart it does not.
 */
Datum
jobmon_process_exists(PG_FUNCTION_ARGS)
{
	int			pid = PG_GETARG_INT32(0);

	PG_RETURN_BOOL(pid > 0 && (kill(pid, 0) == 0 || errno == EPERM));
}
