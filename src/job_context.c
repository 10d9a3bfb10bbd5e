/*-------------------------------------------------------------------------
 *
 * job_context.c
 *		What the SQL of a running job can ask about its own run:
 *		get_self_id() and resubmit().
 *
 * The worker (worker.c) sets the context when it starts a run and clears it
 * when the run ends.  Keeping it in process memory rather than in a
 * setting means that a job cannot pretend to be another job: SET cannot
 * reach it, and outside a worker there is no context at all.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "pg_jobmon.h"

PG_FUNCTION_INFO_V1(jobmon_get_self_id);
PG_FUNCTION_INFO_V1(jobmon_resubmit);
PG_FUNCTION_INFO_V1(jobmon_worker_run_id);

/*
 * The context, module state by design: the SQL functions below can only
 * find it here.
 */
static int64 self_job_id = 0;	/* 0: not inside a run */
static bool self_oneoff = false;
static Interval resubmit_after;
static bool resubmit_requested = false;
static int64 worker_run_id = 0; /* 0: not a worker, or between runs */

static void job_context_check_inside(const char *function);

/* Enter the context of a run of job job_id; no resubmission asked yet. */
void
jobmon_job_context_set(int64 job_id, bool oneoff)
{
	self_job_id = job_id;
	self_oneoff = oneoff;
	resubmit_requested = false;
}

/* Leave the run's context. */
void
jobmon_job_context_clear(void)
{
	jobmon_job_context_set(0, false);
}

/*
 * The run this worker executes, from the moment its bookkeeping reads it
 * (before it opens the run's first step) to the next.
 */
void
jobmon_job_context_set_run(int64 run_id)
{
	worker_run_id = run_id;
}

/* The delay resubmit() asked for in this run, or NULL. */
Interval *
jobmon_job_context_resubmit(void)
{
	return resubmit_requested ? &resubmit_after : NULL;
}

/* Raise an error unless inside a run; function names the caller. */
static void
job_context_check_inside(const char *function)
{
	if (self_job_id == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("%s can only be called inside a job", function),
				 errdetail("This session is not a pg_jobmon worker running a job."),
				 errhint("Call it in the query of a job, e.g. submit_job('SELECT %s').", function)));
}

/* get_self_id(): the id of the job whose run this is. */
Datum
jobmon_get_self_id(PG_FUNCTION_ARGS)
{
	job_context_check_inside("get_self_id()");
	PG_RETURN_INT64(self_job_id);
}

/*
 * resubmit(run_after interval): run this one-off job again that long after
 * the current run has ended successfully.  The worker passes the request to
 * _worker_end, which applies resubmit_limit.  Returns the job's id.
 */
Datum
jobmon_resubmit(PG_FUNCTION_ARGS)
{
	Interval   *after;
	Interval	zero = {0};

	job_context_check_inside("resubmit()");
	if (!self_oneoff)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("resubmit() can only be called inside a one-off job"),
				 errdetail("Job " INT64_FORMAT " is a periodic job.", self_job_id),
				 errhint("Its schedules decide when it runs again; dyn_override() moves its next run.")));
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("run_after of resubmit() must not be NULL"),
				 errhint("Give how long after this run the job runs again, e.g. resubmit('10 seconds').")));
	after = PG_GETARG_INTERVAL_P(0);
	if (DatumGetBool(DirectFunctionCall2(interval_lt, IntervalPGetDatum(after),
										 IntervalPGetDatum(&zero))))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("run_after of resubmit() must not be negative"),
				 errdetail("resubmit() got %s.",
						   DatumGetCString(DirectFunctionCall1(interval_out, IntervalPGetDatum(after)))),
				 errhint("Give 0 or a positive interval.")));
	resubmit_after = *after;
	resubmit_requested = true;
	PG_RETURN_INT64(self_job_id);
}

/*
 * _worker_run_id(): the run this process executes, when it is a pg_jobmon
 * worker; NULL otherwise.  A pid can be reused by any later process, and a
 * run row can be copied to another database; only the worker itself has
 * its run here.
 */
Datum
jobmon_worker_run_id(PG_FUNCTION_ARGS)
{
	if (worker_run_id == 0)
		PG_RETURN_NULL();
	PG_RETURN_INT64(worker_run_id);
}
