/*-------------------------------------------------------------------------
 *
 * pg_jobmon.h
 *		Declarations shared by the C parts of pg_jobmon.
 *
 * What the dispatcher and the workers exchange, and the few functions that
 * more than one concern calls.  The worker's own files share
 * worker_internal.h besides; the cron engine has cron.h.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PG_JOBMON_H
#define PG_JOBMON_H

#include "datatype/timestamp.h"
#include "fmgr.h"

/* The process type of the workers that execute runs (pg_stat_activity.backend_type). */
#define JOBMON_WORKER_TYPE "pg_jobmon worker"

/* What the dispatcher hands a worker, in BackgroundWorker.bgw_extra. */
typedef struct JobmonWorkerArgs
{
	int64		run_id;			/* jobmon_run.run_id */
	Oid			database;		/* database to connect to */
	Oid			role;			/* role the job runs as */
	TimestampTz due_at;			/* do not start before this */
	TransactionId dispatcher_xid;	/* the dispatcher's transaction, which
									 * planned the run: wait for it to end
									 * before claiming */
} JobmonWorkerArgs;

/* job_context.c: what a running job knows about itself */
extern void jobmon_job_context_set(int64 job_id, bool oneoff);
extern void jobmon_job_context_clear(void);
extern void jobmon_job_context_set_run(int64 run_id);
extern Interval *jobmon_job_context_resubmit(void);

/* pg_jobmon.c: the extension itself */
extern void jobmon_extension_lookup(Oid *owner, Oid *schema, char **version);
extern bool jobmon_extension_version_matches(int elevel);

/* api.c: who is calling */
extern Oid	jobmon_caller_id(void);

/*
 * log_connection.c: in a log writer's backend, the role the log write under
 * way is made for (the caller of the logging API); InvalidOid elsewhere
 */
extern Oid	jobmon_log_caller_id(void);

/* message.c: severity names, as PostgreSQL prints them */
extern const char *jobmon_severity_name(int elevel);
extern int	jobmon_severity_elevel(const char *name);

/*
 * SQL-callable functions that legacy.c's old entry points forward to
 * (cron_sql.c, launcher.c).
 */
extern PGDLLEXPORT Datum jobmon_cron_next(PG_FUNCTION_ARGS);
extern PGDLLEXPORT Datum jobmon_cron_times(PG_FUNCTION_ARGS);
extern PGDLLEXPORT Datum jobmon_cron_validate(PG_FUNCTION_ARGS);
extern PGDLLEXPORT Datum jobmon_cron_is_valid(PG_FUNCTION_ARGS);
extern PGDLLEXPORT Datum jobmon_cron_describe(PG_FUNCTION_ARGS);
extern PGDLLEXPORT Datum jobmon_dispatch_sleep(PG_FUNCTION_ARGS);

#endif							/* PG_JOBMON_H */
