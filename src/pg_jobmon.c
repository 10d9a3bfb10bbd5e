/*-------------------------------------------------------------------------
 *
 * pg_jobmon.c
 *		Module entry point of pg_jobmon, and the map of its C parts.
 *
 * Words, with one meaning each across SQL, C and docs:
 *
 * - A logged job is a row of job_log, written through the logging API of
 *	 pg_jobmon 1.x (add_job .. close_job); a step is a row of job_detail,
 *	 one stage of a logged job; an event is a structured server message
 *	 (severity, SQLSTATE, detail, hint ...) hanging off a step, a row of
 *	 jobmon_event.
 * - A scheduled job is a definition (a row of jobmon_job): commands to
 *	 execute, as which role, when (its rows of jobmon_schedule), and how.  A
 *	 one-off job is one submitted by submit_job, to execute once, soon.
 * - A run is one execution of a job (a row of jobmon_run).  A run is
 *	 logged as one logged job, with one step per command.
 * - The dispatcher (the procedure jobmon_dispatch, which pg_cron calls
 *	 each minute) plans the due runs and launches workers: background
 *	 workers that execute runs.
 * - Settings are rows of jobmon_config.
 *
 * pg_jobmon is mostly PL/pgSQL; its C parts do what SQL cannot:
 *
 *	cron engine		cron_parse.c, cron_next.c, cron_describe.c (pure C99,
 *					cron.h), and cron_sql.c, its SQL functions
 *	dispatcher		launcher.c: the dispatcher's launcher functions (start
 *					a worker, sleep until due, be woken early)
 *	worker			worker.c: the background worker's life and signals
 *	bookkeeping		bookkeeping.c: the worker's calls to the extension's
 *					SQL functions, declared in bookkeeping_calls.h (the
 *					contract between this library and the installed schema)
 *	commands		command.c: executing a job's commands as the job's role
 *	capture			capture.c: the messages a job's commands raise
 *	messages		message.c: severity names, and the error a PL/pgSQL
 *					handler is handling (log_error)
 *	job context		job_context.c: get_self_id() and resubmit() in a run,
 *					and the run a worker executes (_worker_run_id())
 *	identity		api.c: who is calling (_caller()), and the scheduler's
 *					API functions, which run their bodies as the owner
 *	logging			log_connection.c: the private connection over which
 *					the log writes commit on their own
 *	legacy			legacy.c: old C symbols that frozen install scripts name
 *
 * pg_jobmon.h is what several of them share; worker_internal.h is what the
 * worker's files share.  SQL-callable C functions and exported symbols
 * carry the prefix jobmon_ (the engine's, cron_); sql/c_functions.sql
 * declares the SQL side of each.
 *
 * This file holds what the shared library needs exactly once, and the
 * look-up of the extension itself, which several of them need, with the
 * check that its objects are of this library's version.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/pg_extension.h"
#include "commands/dbcommands.h"	/* get_database_name(), to 18 */
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"	/* get_database_name(), from 19 */
#include "utils/rel.h"

#include "pg_jobmon.h"

#ifndef PG_JOBMON_VERSION
#error "PG_JOBMON_VERSION must name the extension version (the Makefile defines it)"
#endif

#if PG_VERSION_NUM < 150000
#error "pg_jobmon needs PostgreSQL 15 or later"
#endif

#if PG_VERSION_NUM >= 180000
PG_MODULE_MAGIC_EXT(.name = "pg_jobmon");
#else
PG_MODULE_MAGIC;
#endif

PG_FUNCTION_INFO_V1(jobmon_library_version);

/*
 * The owner and the schema of the pg_jobmon extension in this database,
 * and its version (palloc'd) unless version is NULL, read from the
 * catalog, not by SQL: no search_path of the caller (a worker runs as a
 * job's role) can bear on which extension is found.  Needs a transaction;
 * raises an error when the extension is not there.
 */
void
jobmon_extension_lookup(Oid *owner, Oid *schema, char **version)
{
	Relation	rel;
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tuple;
	Datum		datum;
	bool		isnull;

	rel = table_open(ExtensionRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_extension_extname, BTEqualStrategyNumber,
				F_NAMEEQ, CStringGetDatum("pg_jobmon"));
	scan = systable_beginscan(rel, ExtensionNameIndexId, true, NULL, 1, &key);
	tuple = systable_getnext(scan);
	if (!HeapTupleIsValid(tuple))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("extension \"pg_jobmon\" is not installed in this database")));
	*owner = ((Form_pg_extension) GETSTRUCT(tuple))->extowner;
	*schema = ((Form_pg_extension) GETSTRUCT(tuple))->extnamespace;
	if (version != NULL)
	{
		datum = heap_getattr(tuple, Anum_pg_extension_extversion,
							 RelationGetDescr(rel), &isnull);
		*version = isnull ? pstrdup("") : TextDatumGetCString(datum);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
}

/*
 * Whether the installed extension's objects are of this library's version.
 * Between the installation of a new library (a package upgrade) and ALTER
 * EXTENSION pg_jobmon UPDATE, the library would read what the older
 * objects return as if they were its own: no run starts then.  A mismatch
 * is reported at elevel (ERROR in a worker; WARNING, once per process, in
 * the dispatcher, which goes on); returns whether the versions match.
 */
bool
jobmon_extension_version_matches(int elevel)
{
	static bool warned = false;
	Oid			owner;
	Oid			schema;
	char	   *version;
	bool		matches;

	jobmon_extension_lookup(&owner, &schema, &version);
	matches = strcmp(version, PG_JOBMON_VERSION) == 0;
	if (!matches)
	{
		ereport(elevel < ERROR && warned ? DEBUG1 : elevel,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("pg_jobmon library version %s does not match the extension version %s in database \"%s\"",
						PG_JOBMON_VERSION, version, get_database_name(MyDatabaseId)),
				 errdetail("No run starts until they match; the runs that are due wait."),
				 errhint("Run ALTER EXTENSION pg_jobmon UPDATE in that database.")));
		warned = true;
	}
	pfree(version);
	return matches;
}

/*
 * _library_version() returns the version of the loaded library, which
 * jobmon_status() compares with the installed extension's.
 */
Datum
jobmon_library_version(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(PG_JOBMON_VERSION));
}
