/*-------------------------------------------------------------------------
 *
 * pg_jobmon.h
 *		Declarations shared by the C parts of pg_jobmon.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PG_JOBMON_H
#define PG_JOBMON_H

#include "datatype/timestamp.h"

/* The process type of the workers that execute runs (pg_stat_activity.backend_type). */
#define JOBMON_WORKER_TYPE "pg_jobmon worker"

/* What the dispatcher hands a worker, in BackgroundWorker.bgw_extra. */
typedef struct JobmonWorkerArgs
{
	int64		run_id;			/* job_run.run_id */
	Oid			database;		/* database to connect to */
	Oid			role;			/* role the job runs as */
	TimestampTz due_at;			/* do not start before this */
	TransactionId launcher_xid; /* the tick's transaction, which planned the
								 * run: wait for it to end before claiming */
} JobmonWorkerArgs;

/* job_context.c: what a running job knows about itself */
extern void jobmon_job_context_set(int64 job_id, bool oneoff);
extern void jobmon_job_context_clear(void);
extern Interval *jobmon_job_context_resubmit(void);

/* message.c */
extern const char *jobmon_severity_name(int elevel);

#endif							/* PG_JOBMON_H */
