/*-------------------------------------------------------------------------
 *
 * worker_internal.h
 *		What the files of the background worker share, and nothing else
 *		includes.
 *
 * A worker executes runs (see worker.c).  Its concerns live in four files
 * that pass their state to each other explicitly:
 *
 *		worker.c		the process: start, wait, loop over runs, exit
 *		bookkeeping.c	the bookkeeping protocol with the extension's SQL
 *						functions (bookkeeping_calls.h is the contract)
 *		command.c		executing a job's commands, onrollback and
 *						next_time_statement
 *		capture.c		capturing the messages that a command raises
 *
 * A run is a JobmonRun: its id, its memory, its job's definition and what
 * each command did; the extension's schema, owner and prepared plans (kept
 * for the worker's life) are a JobmonBookkeeping that the worker holds.
 * Both are passed to whatever needs them.  The only module state among
 * these files is what a callback needs and cannot be passed: the capture
 * hook's state (capture.c) and the max_run_time timer's flag (worker.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef WORKER_INTERNAL_H
#define WORKER_INTERNAL_H

#include "datatype/timestamp.h"
#include "nodes/pg_list.h"

/*
 * A message that a command raised, as capture.c keeps it for an event of
 * its step: the fields an event records, each text cut at the setting
 * capture_max_message_bytes, in one allocation with the struct.
 */
typedef struct CapturedMessage
{
	struct CapturedMessage *next;	/* the next one the command raised */
	ErrorData	data;			/* elevel, sqlerrcode and the texts */
} CapturedMessage;

/* What one command (or the onrollback statement) did. */
typedef struct CommandResult
{
	int64		step_id;		/* its step: a job_detail row */
	bool		ran;			/* false when an earlier command failed */
	bool		rolled_back;	/* succeeded, then a later command failed */
	bool		ok;
	uint64		rows;			/* rows processed, when ok */
	ErrorData  *error;			/* the error, when not ok */
	CapturedMessage *messages;	/* captured messages kept, in order */
	CapturedMessage *last_message;	/* the last of them */
	int64		not_kept;		/* captured messages past the run's bounds:
								 * counted, not kept */
	int			not_kept_elevel;	/* the highest level among those */
} CommandResult;

/* A one-off job's params: bound to $1, $2 ... of its commands. */
typedef struct JobmonParams
{
	int			nparams;		/* -1: the job has no params */
	char	  **values;			/* NULL elements are SQL NULLs */
} JobmonParams;

/* The job of a run, as _worker_run describes it. */
typedef struct JobmonRunDef
{
	int			ncommands;
	char	  **commands;
	bool		same_transaction;	/* use_same_transaction */
	char	   *onrollback;		/* or NULL */
	char	   *next_time_statement;	/* or NULL */
	int64		max_run_ms;		/* 0: no limit */
	int			capture_elevel; /* capture_level; 0: capture nothing */
	int64		job_id;
	bool		oneoff;
	JobmonParams params;
} JobmonRunDef;

/* One run, from _worker_begin (or _worker_next) to _worker_end. */
typedef struct JobmonRun
{
	int64		run_id;			/* jobmon_run.run_id */
	MemoryContext context;		/* everything of the run below; reset when
								 * the run ends */
	JobmonRunDef def;
	CommandResult *results;		/* one per command */
	int			unclosed_from;	/* results[unclosed_from..unclosed_to - 1]: */
	int			unclosed_to;	/* steps that jobmon_run_finish closes */
} JobmonRun;

/* How a run ended: the arguments of _worker_end besides the run's id. */
typedef struct JobmonRunEnd
{
	const char *outcome;		/* success, failure, timeout or cancelled */
	const char *reason;			/* or NULL */
	const char *next_time;		/* next_time_statement's value, or NULL */
	const char *next_time_error;	/* its error, or NULL */
	Interval   *resubmit_after; /* what resubmit() asked for, or NULL */
} JobmonRunEnd;

/* bookkeeping.c: the worker's connection to the extension, kept for its life */
typedef struct JobmonBookkeeping JobmonBookkeeping;

extern JobmonBookkeeping *jobmon_bookkeeping_setup(void);
extern bool jobmon_run_start(JobmonBookkeeping *bk, JobmonRun *run);
extern void jobmon_step_start(JobmonBookkeeping *bk, JobmonRun *run,
							  CommandResult *result, const char *action);
extern bool jobmon_step_end(JobmonBookkeeping *bk, JobmonRun *run,
							CommandResult *result);
extern bool jobmon_steps_end(JobmonBookkeeping *bk, JobmonRun *run,
							 int from, int to, bool ok);
extern bool jobmon_run_finish(JobmonBookkeeping *bk, JobmonRun *run,
							  const JobmonRunEnd *end);

/* command.c: executing a job's commands */
extern bool jobmon_run_transaction(MemoryContext context, char **sql,
								   CommandResult *results, int n,
								   const JobmonParams *params);
extern bool jobmon_run_commands(JobmonBookkeeping *bk, JobmonRun *run,
								bool *stopped);
extern bool jobmon_run_onrollback(JobmonBookkeeping *bk, JobmonRun *run);
extern char *jobmon_run_next_time_statement(MemoryContext context,
											const char *statement,
											const char *state, char **error);

/* capture.c: the messages a command raises */
extern void jobmon_capture_install(void);
extern void jobmon_capture_run_start(void);
extern void jobmon_capture_setting(const char *name, const char *value);
extern void jobmon_capture_level(int elevel);
extern void jobmon_capture_start(CommandResult *result, MemoryContext context);
extern void jobmon_capture_stop(void);
extern ErrorData *jobmon_capture_not_kept(const CommandResult *result);
extern char *jobmon_capture_error_summary(const ErrorData *error);

#endif							/* WORKER_INTERNAL_H */
