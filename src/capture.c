/*-------------------------------------------------------------------------
 *
 * capture.c
 *		Capture of the messages that a job's command raises, for its step.
 *
 * A job's capture_level (NONE, or DEBUG5 .. WARNING) says from which
 * severity up the messages that its commands raise below ERROR are kept:
 * the worker records them as events of the command's step.  Errors are
 * caught where they are thrown (command.c), not here.
 *
 * The messages reach the worker through emit_log_hook, which sees a
 * message only when log_min_messages lets it through: for the commands of
 * a run, the worker lowers log_min_messages in its own session to the
 * run's capture level, and puts the server's setting back afterwards.  A
 * captured message that the server would not have logged anyway stays out
 * of the server log.
 *
 * A hook takes no argument, so where captured messages go now is module
 * state, the hook's and this file's only: set and cleared through
 * jobmon_capture_start/jobmon_capture_stop around each command, with the
 * level set by jobmon_capture_level around a run's commands.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "utils/elog.h"
#include "utils/guc.h"
#include "utils/memutils.h"

#include "pg_jobmon.h"
#include "worker_internal.h"

/* The hook's state. */
typedef struct CaptureState
{
	CommandResult *target;		/* the command whose messages are kept now,
								 * or NULL */
	MemoryContext context;		/* where their copies go */
	int			elevel;			/* keep messages from this level up; 0: none */
	int			server_elevel;	/* the server's log_min_messages for this
								 * process, before we lowered it */
	char	   *server_setting; /* the same, as the setting's text */
} CaptureState;

static CaptureState capture = {0};
static emit_log_hook_type prev_emit_log_hook = NULL;

static void capture_message(ErrorData *edata);
static bool capture_server_would_log(int elevel, int min_elevel);

/*
 * Install the hook, once per worker, and remember the server's level
 * before any run lowers it.
 */
void
jobmon_capture_install(void)
{
	/*
	 * PostgreSQL 19 made log_min_messages a list of levels per process type
	 * ("WARNING, autovacuum:DEBUG1"), kept as an array indexed by
	 * BackendType; this process's level is the one that applies to what it
	 * logs.  Its text is put back as it was, list and all.
	 */
#if PG_VERSION_NUM >= 190000
	capture.server_elevel = log_min_messages[MyBackendType];
#else
	capture.server_elevel = log_min_messages;
#endif
	capture.server_setting =
		MemoryContextStrdup(TopMemoryContext,
							GetConfigOption("log_min_messages", false, false));
	prev_emit_log_hook = emit_log_hook;
	emit_log_hook = capture_message;
}

/*
 * Capture messages from elevel up while the commands of a run execute:
 * lower log_min_messages in this session to elevel (for LOG, which it
 * ranks high, to DEBUG1); 0 captures nothing and puts the server's setting
 * back.  Outside any transaction.
 */
void
jobmon_capture_level(int elevel)
{
	capture.elevel = elevel;
	SetConfigOption("log_min_messages",
					elevel == 0 ? capture.server_setting :
					jobmon_severity_name(elevel == LOG ? DEBUG1 : elevel),
					PGC_SUSET, PGC_S_OVERRIDE);
}

/*
 * Messages captured from now on belong to result: copies go to its
 * messages list, in context.
 */
void
jobmon_capture_start(CommandResult *result, MemoryContext context)
{
	capture.target = result;
	capture.context = context;
}

/* No command's messages are captured from now on. */
void
jobmon_capture_stop(void)
{
	capture.target = NULL;
	capture.context = NULL;
}

/*
 * Whether the server would log a message of elevel with log_min_messages at
 * min_elevel (elog.c's rule: LOG ranks between ERROR and FATAL there).
 */
static bool
capture_server_would_log(int elevel, int min_elevel)
{
	if (elevel == LOG || elevel == LOG_SERVER_ONLY)
		return min_elevel == LOG || min_elevel <= ERROR;
	if (min_elevel == LOG)
		return elevel >= FATAL;
	return elevel >= min_elevel;
}

/*
 * emit_log_hook: keep a copy of a message below ERROR that the current
 * command raises at or above the capture level, and keep it out of the
 * server log when the server would not have logged it.  Then chain.
 */
static void
capture_message(ErrorData *edata)
{
	if (capture.target != NULL && capture.elevel > 0 &&
		edata->elevel >= capture.elevel && edata->elevel < ERROR)
	{
		MemoryContext old = MemoryContextSwitchTo(capture.context);

		capture.target->messages = lappend(capture.target->messages, CopyErrorData());
		MemoryContextSwitchTo(old);
		if (!capture_server_would_log(edata->elevel, capture.server_elevel))
			edata->output_to_server = false;
	}
	if (prev_emit_log_hook)
		prev_emit_log_hook(edata);
}
