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
 * of the server log.  A job's own SET (or set_config) of log_min_messages,
 * which takes precedence over the worker's, lasts only until its next
 * command: the capture level is asserted again before each command (the
 * setting is session-level there, as a job's SET is, and it is also the
 * value that a job's RESET returns to).
 *
 * What a run keeps is bounded, whatever its commands raise (the settings
 * capture_max_messages, capture_max_bytes and capture_max_message_bytes,
 * which the worker reads at the start of each run):
 *
 * - each text of a kept message (message, detail, hint, context ...) is
 *	 cut at capture_max_message_bytes, on a character boundary, and ends
 *	 with "... (N bytes not kept)";
 * - the first messages of a run are kept, up to capture_max_messages
 *	 messages and capture_max_bytes bytes (a message costs its texts as
 *	 kept plus its fixed part, sizeof(CapturedMessage)).  Once a message
 *	 does not fit, it and the run's later messages are counted per step,
 *	 with the highest severity among them, and not kept: when the step
 *	 closes, one event "N more messages not kept" (SQLSTATE 54000,
 *	 program_limit_exceeded, at that severity) records them
 *	 (jobmon_capture_not_kept).
 *
 * The bounds are per run, not per step: a run's commands are many, and in
 * one transaction (use_same_transaction) all their steps are recorded
 * together, so only a bound per run bounds what the worker holds.  They
 * also bound the time the worker spends recording events after a command,
 * which no cancel interrupts (bookkeeping.c).
 *
 * The error that ends a command is kept whole by command.c, and recorded
 * whole as its step's ERROR event; the step's message repeats it cut at
 * capture_max_message_bytes (jobmon_capture_error_summary).
 *
 * The hook never raises an error: it copies only the fields that an event
 * records, into one allocation that fails softly (a message that cannot be
 * allocated is counted as not kept), and lists them through the messages'
 * own links.
 *
 * A hook takes no argument, so where captured messages go now is module
 * state, the hook's and this file's only: set and cleared through
 * jobmon_capture_start/jobmon_capture_stop around each command, with the
 * level set by jobmon_capture_level around a run's commands, and the
 * bounds and what the run has kept so far reset by jobmon_capture_run_start
 * and jobmon_capture_setting when a run starts.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <string.h>

#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/elog.h"
#include "utils/guc.h"
#include "utils/memutils.h"

#include "pg_jobmon.h"
#include "worker_internal.h"

/*
 * The bounds' defaults: those of _setting_defaults (sql/settings/
 * settings.sql), used when a setting is missing (an older schema) or
 * unreadable.
 */
#define CAPTURE_DEFAULT_MAX_MESSAGES		1000
#define CAPTURE_DEFAULT_MAX_BYTES			(1024 * 1024)
#define CAPTURE_DEFAULT_MAX_MESSAGE_BYTES	8192

/* The texts of a message that an event records, as CapturedMessage keeps them. */
#define CAPTURE_NFIELDS 9

/* What follows a text cut at capture_max_message_bytes. */
#define CAPTURE_CUT_MARKER "... (%zu bytes not kept)"
#define CAPTURE_CUT_ERROR_MARKER "... (%zu more bytes in the step's ERROR event)"
/* Room for either marker with the largest count. */
#define CAPTURE_MARKER_SIZE 64

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
	/* The run's bounds (settings capture_max_*) */
	int			max_messages;	/* messages kept per run */
	int			max_bytes;		/* bytes kept per run */
	int			max_message_bytes;	/* bytes kept of each text */
	/* What the run has kept so far */
	int			kept_messages;
	Size		kept_bytes;
	bool		full;			/* a message did not fit: keep no more */
} CaptureState;

static CaptureState capture = {
	.max_messages = CAPTURE_DEFAULT_MAX_MESSAGES,
	.max_bytes = CAPTURE_DEFAULT_MAX_BYTES,
	.max_message_bytes = CAPTURE_DEFAULT_MAX_MESSAGE_BYTES,
};
static emit_log_hook_type prev_emit_log_hook = NULL;

static void capture_message(ErrorData *edata);
static void capture_keep(const ErrorData *edata);
static bool capture_server_would_log(int elevel, int min_elevel);
static int	capture_session_elevel(void);
static void capture_set_min_messages(const char *value);
static size_t capture_cut_length(const char *text, size_t len, const char *marker_format,
								 char *marker);

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
	capture.server_elevel = capture_session_elevel();
	capture.server_setting =
		MemoryContextStrdup(TopMemoryContext,
							GetConfigOption("log_min_messages", false, false));
	prev_emit_log_hook = emit_log_hook;
	emit_log_hook = capture_message;
}

/*
 * A run starts: its bounds back to their defaults until
 * jobmon_capture_setting sets them, and nothing kept yet.
 */
void
jobmon_capture_run_start(void)
{
	capture.max_messages = CAPTURE_DEFAULT_MAX_MESSAGES;
	capture.max_bytes = CAPTURE_DEFAULT_MAX_BYTES;
	capture.max_message_bytes = CAPTURE_DEFAULT_MAX_MESSAGE_BYTES;
	capture.kept_messages = 0;
	capture.kept_bytes = 0;
	capture.full = false;
}

/*
 * A setting of the run starting (a row of jobmon_config_show()): takes the
 * bounds (capture_max_*) and ignores the other settings.  A value that
 * cannot be read (jobmon_config_set validates them; a row written into
 * jobmon_config directly is not) leaves the default.  Never raises an
 * error.
 */
void
jobmon_capture_setting(const char *name, const char *value)
{
	int			parsed;

	if (name == NULL || value == NULL)
		return;
	if (strcmp(name, "capture_max_messages") == 0)
	{
		if (parse_int(value, &parsed, 0, NULL) && parsed >= 0)
			capture.max_messages = parsed;
	}
	else if (strcmp(name, "capture_max_bytes") == 0)
	{
		if (parse_int(value, &parsed, GUC_UNIT_BYTE, NULL) && parsed >= 0)
			capture.max_bytes = parsed;
	}
	else if (strcmp(name, "capture_max_message_bytes") == 0)
	{
		if (parse_int(value, &parsed, GUC_UNIT_BYTE, NULL) && parsed >= 0)
			capture.max_message_bytes = parsed;
	}
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
	capture_set_min_messages(elevel == 0 ? capture.server_setting :
							 jobmon_severity_name(elevel == LOG ? DEBUG1 : elevel));
}

/*
 * Messages captured from now on belong to result: copies go to its
 * messages list, in context.  Before each command, so a job's SET of
 * log_min_messages in an earlier command is undone here.
 */
void
jobmon_capture_start(CommandResult *result, MemoryContext context)
{
	if (capture.elevel > 0)
	{
		int			wanted = capture.elevel == LOG ? DEBUG1 : capture.elevel;

		if (capture_session_elevel() != wanted)
			capture_set_min_messages(jobmon_severity_name(wanted));
	}
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
 * The event that records the messages of result's step that the run's
 * bounds did not let it keep, allocated in the current memory context; NULL
 * when it kept them all.
 */
ErrorData *
jobmon_capture_not_kept(const CommandResult *result)
{
	ErrorData  *e;

	if (result->not_kept == 0)
		return NULL;
	e = palloc0(sizeof(ErrorData));
	e->elevel = result->not_kept_elevel;
	e->sqlerrcode = ERRCODE_PROGRAM_LIMIT_EXCEEDED;
	e->message = psprintf(INT64_FORMAT " more %s not kept", result->not_kept,
						  result->not_kept == 1 ? "message" : "messages");
	e->detail = psprintf("A run keeps its first messages, up to %d messages and %d bytes "
						 "(the settings capture_max_messages and capture_max_bytes); "
						 "this step raised " INT64_FORMAT " more, the highest of severity %s.",
						 capture.max_messages, capture.max_bytes, result->not_kept,
						 jobmon_severity_name(result->not_kept_elevel));
	e->hint = pstrdup("Raise the job's capture_level to keep fewer messages, or the settings "
					  "capture_max_messages and capture_max_bytes (jobmon_config_set) to keep more.");
	return e;
}

/*
 * The message of a failed step: its error's message, cut at
 * capture_max_message_bytes with a note that the step's ERROR event has it
 * whole; allocated in the current memory context.
 */
char *
jobmon_capture_error_summary(const ErrorData *error)
{
	const char *text = error->message ? error->message : "";
	size_t		len = strlen(text);
	char		marker[CAPTURE_MARKER_SIZE];
	size_t		keep = capture_cut_length(text, len, CAPTURE_CUT_ERROR_MARKER, marker);

	if (keep == len)
		return pstrdup(text);
	return psprintf("%.*s%s", (int) keep, text, marker);
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

/* This process's log_min_messages, as a level. */
static int
capture_session_elevel(void)
{
#if PG_VERSION_NUM >= 190000
	return log_min_messages[MyBackendType];
#else
	return log_min_messages;
#endif
}

/*
 * Set log_min_messages in this session, over a job's SET of it: a
 * session-level setting ranks above the override level, so both are set,
 * the session's for now and the override's for what RESET (a job's, or
 * RESET ALL between runs) returns to.
 */
static void
capture_set_min_messages(const char *value)
{
	(void) set_config_option("log_min_messages", value, PGC_SUSET, PGC_S_OVERRIDE,
							 GUC_ACTION_SET, true, 0, false);
	(void) set_config_option("log_min_messages", value, PGC_SUSET, PGC_S_SESSION,
							 GUC_ACTION_SET, true, 0, false);
}

/*
 * How many bytes of text (len bytes) to keep: all of it when it is at most
 * capture_max_message_bytes long, else as many as fit on a character
 * boundary, and then marker receives what follows them (marker_format with
 * the bytes not kept).  Never raises an error.
 */
static size_t
capture_cut_length(const char *text, size_t len, const char *marker_format, char *marker)
{
	size_t		keep;

	marker[0] = '\0';
	if (len <= (size_t) capture.max_message_bytes)
		return len;
	keep = pg_mbcliplen(text, (int) Min(len, (size_t) MaxAllocSize),
						capture.max_message_bytes);
	snprintf(marker, CAPTURE_MARKER_SIZE, marker_format, len - keep);
	return keep;
}

/*
 * emit_log_hook: keep a copy of a message below ERROR that the current
 * command raises at or above the capture level, within the run's bounds,
 * and keep it out of the server log when the server would not have logged
 * it.  Then chain.
 */
static void
capture_message(ErrorData *edata)
{
	if (capture.target != NULL && capture.elevel > 0 &&
		edata->elevel >= capture.elevel && edata->elevel < ERROR)
	{
		capture_keep(edata);
		if (!capture_server_would_log(edata->elevel, capture.server_elevel))
			edata->output_to_server = false;
	}
	if (prev_emit_log_hook)
		prev_emit_log_hook(edata);
}

/*
 * Keep the fields of edata that an event records, each text cut, in one
 * allocation appended to the target's messages; or, past the run's bounds
 * (or out of memory), count it as not kept.  Never raises an error.
 */
static void
capture_keep(const ErrorData *edata)
{
	CommandResult *target = capture.target;
	const char *texts[CAPTURE_NFIELDS] = {
		edata->message, edata->detail, edata->hint, edata->context,
		edata->schema_name, edata->table_name, edata->column_name,
		edata->datatype_name, edata->constraint_name,
	};
	size_t		lens[CAPTURE_NFIELDS];
	size_t		keeps[CAPTURE_NFIELDS];
	char		markers[CAPTURE_NFIELDS][CAPTURE_MARKER_SIZE];
	Size		size = sizeof(CapturedMessage);
	CapturedMessage *m = NULL;
	char	   *p;
	char	   *copies[CAPTURE_NFIELDS];

	if (capture.full || capture.kept_messages >= capture.max_messages)
		goto not_kept;
	for (int i = 0; i < CAPTURE_NFIELDS; i++)
	{
		if (texts[i] == NULL)
			continue;
		lens[i] = strlen(texts[i]);
		keeps[i] = capture_cut_length(texts[i], lens[i], CAPTURE_CUT_MARKER, markers[i]);
		size += keeps[i] + strlen(markers[i]) + 1;
	}
	if (size > (Size) capture.max_bytes - capture.kept_bytes || !AllocSizeIsValid(size))
	{
		capture.full = true;
		goto not_kept;
	}
	m = MemoryContextAllocExtended(capture.context, size, MCXT_ALLOC_NO_OOM);
	if (m == NULL)
		goto not_kept;

	memset(m, 0, sizeof(CapturedMessage));
	p = (char *) m + sizeof(CapturedMessage);
	for (int i = 0; i < CAPTURE_NFIELDS; i++)
	{
		size_t		marker_len;

		copies[i] = NULL;
		if (texts[i] == NULL)
			continue;
		marker_len = strlen(markers[i]);
		copies[i] = p;
		memcpy(p, texts[i], keeps[i]);
		memcpy(p + keeps[i], markers[i], marker_len);
		p[keeps[i] + marker_len] = '\0';
		p += keeps[i] + marker_len + 1;
	}
	m->data.elevel = edata->elevel;
	m->data.sqlerrcode = edata->sqlerrcode;
	m->data.message = copies[0];
	m->data.detail = copies[1];
	m->data.hint = copies[2];
	m->data.context = copies[3];
	m->data.schema_name = copies[4];
	m->data.table_name = copies[5];
	m->data.column_name = copies[6];
	m->data.datatype_name = copies[7];
	m->data.constraint_name = copies[8];

	if (target->last_message)
		target->last_message->next = m;
	else
		target->messages = m;
	target->last_message = m;
	capture.kept_messages++;
	capture.kept_bytes += size;
	return;

not_kept:
	target->not_kept++;
	target->not_kept_elevel = Max(target->not_kept_elevel, edata->elevel);
}
