/*-------------------------------------------------------------------------
 *
 * legacy.c
 *		The old C symbols of SQL-callable functions, kept for the install
 *		and update scripts that still name them.
 *
 * A CREATE FUNCTION ... AS 'MODULE_PATHNAME', 'symbol' names a C symbol of
 * this library, and the scripts of released versions are frozen: the 2.3.0
 * install script (updates/pg_jobmon--2.3.0.sql, from which every later
 * version is reached by update scripts) creates cron_next, cron_times,
 * cron_validate, cron_is_valid and cron_describe with the symbols
 * pgj_cron_*, and _tick_sleep with jobmon_tick_sleep.  The C functions have
 * since been renamed to the single prefix jobmon_ (jobmon_cron_* in
 * cron_sql.c, jobmon_dispatch_sleep in launcher.c); the old symbols stay
 * here as entry points that forward to them, the way pg_stat_statements
 * keeps the entry points of its older versions, so that a database still
 * at 2.3.0, or being updated from it, works with this library.
 *
 * Nothing else belongs here, and nothing new should name these symbols.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"

#include "pg_jobmon.h"

/* pg_jobmon 2.3.0 and earlier */
PG_FUNCTION_INFO_V1(pgj_cron_next);
PG_FUNCTION_INFO_V1(pgj_cron_times);
PG_FUNCTION_INFO_V1(pgj_cron_validate);
PG_FUNCTION_INFO_V1(pgj_cron_is_valid);
PG_FUNCTION_INFO_V1(pgj_cron_describe);
PG_FUNCTION_INFO_V1(jobmon_tick_sleep);

/* cron_next(text, timestamptz, text): jobmon_cron_next */
Datum
pgj_cron_next(PG_FUNCTION_ARGS)
{
	return jobmon_cron_next(fcinfo);
}

/* cron_times(text, timestamptz, timestamptz, text): jobmon_cron_times */
Datum
pgj_cron_times(PG_FUNCTION_ARGS)
{
	return jobmon_cron_times(fcinfo);
}

/* cron_validate(text): jobmon_cron_validate */
Datum
pgj_cron_validate(PG_FUNCTION_ARGS)
{
	return jobmon_cron_validate(fcinfo);
}

/* cron_is_valid(text): jobmon_cron_is_valid */
Datum
pgj_cron_is_valid(PG_FUNCTION_ARGS)
{
	return jobmon_cron_is_valid(fcinfo);
}

/* cron_describe(text): jobmon_cron_describe */
Datum
pgj_cron_describe(PG_FUNCTION_ARGS)
{
	return jobmon_cron_describe(fcinfo);
}

/* _tick_sleep(float8): jobmon_dispatch_sleep */
Datum
jobmon_tick_sleep(PG_FUNCTION_ARGS)
{
	return jobmon_dispatch_sleep(fcinfo);
}
