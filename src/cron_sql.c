/*-------------------------------------------------------------------------
 *
 * cron_sql.c
 *		SQL-callable functions of the cron engine: cron_next, cron_times,
 *		cron_validate, cron_is_valid and cron_describe (C symbols
 *		jobmon_cron_*; legacy.c keeps the old pgj_cron_* names).
 *
 * This is the only cron file that includes PostgreSQL headers: it turns
 * SQL values into the engine's types (cron.h) and back, reports the
 * engine's errors with ereport, and implements the engine's time-zone
 * interface with PostgreSQL's own tz code (pg_tzset, pg_localtime), so a
 * zone means here exactly what it means to SET TimeZone.
 *
 * Per-call-site cache: the parsed expression and the looked-up zone are
 * kept in fn_extra (allocated in fn_mcxt) together with the texts they came
 * from; a query that calls cron_next once per row with the same
 * expression parses it once.  Nothing else survives a call.
 *
 * NULL handling: every function is STRICT (a NULL argument gives NULL, or
 * no rows for cron_times) except cron_validate, which raises 22004 for a
 * NULL expression, since returning quietly would read as "valid".
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>
#include <stdlib.h>

#include "cron.h"
#include "datatype/timestamp.h"
#include "fmgr.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "pgtime.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"
#if PG_VERSION_NUM >= 160000
#include "varatt.h"				/* VARDATA_ANY; not included by postgres.h on 19 */
#endif

#include "pg_jobmon.h"

/* Seconds from 1970-01-01 to 2000-01-01, PostgreSQL's epoch. */
#define CRON_PG_EPOCH_SECS \
	((int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY)

/* Expression and zone last used at one call site. */
typedef struct CronSqlCache
{
	char	   *expr_text;		/* NUL-terminated copy, or NULL */
	int			expr_len;
	CronExpr	expr;
	char	   *tz_text;		/* NUL-terminated copy, or NULL */
	int			tz_len;
	pg_tz	   *tz;
} CronSqlCache;

/* State of a cron_times scan. */
typedef struct CronTimesState
{
	CronExpr	expr;
	pg_tz	   *tz;
	int64		after;			/* engine time: next result is after this */
	int64		last;			/* engine time: results must be <= this */
	int64		returned;		/* fire times returned so far */
} CronTimesState;

/*
 * At most this many fire times from one call of cron_times.  In FROM, a
 * set-returning function's rows are all computed before the first is
 * read, whatever LIMIT follows; the cap keeps a range too wide for that
 * (every second for years) from filling memory and disk.
 */
#define CRON_TIMES_MAX_ROWS 1000000

PG_FUNCTION_INFO_V1(jobmon_cron_next);
PG_FUNCTION_INFO_V1(jobmon_cron_times);
PG_FUNCTION_INFO_V1(jobmon_cron_validate);
PG_FUNCTION_INFO_V1(jobmon_cron_is_valid);
PG_FUNCTION_INFO_V1(jobmon_cron_describe);

static CronSqlCache *cron_sql_cache(FunctionCallInfo fcinfo);
static const CronExpr *cron_sql_expr(FunctionCallInfo fcinfo, CronSqlCache *cache,
									 text *t);
static pg_tz *cron_sql_tz(FunctionCallInfo fcinfo, CronSqlCache *cache, text *t);
static void cron_sql_parse(const char *s, int len, CronExpr *expr);
static pg_tz *cron_sql_lookup_tz(const char *name);
static int32_t cron_sql_offset(const void *arg, int64_t t);
static int64 cron_sql_to_engine(TimestampTz ts, bool inclusive);
static bool cron_sql_from_engine(int64 secs, TimestampTz *ts);

/*
 * cron_sql_cache - this call site's cache, created on first use.
 */
static CronSqlCache *
cron_sql_cache(FunctionCallInfo fcinfo)
{
	if (fcinfo->flinfo->fn_extra == NULL)
		fcinfo->flinfo->fn_extra =
			MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(CronSqlCache));
	return (CronSqlCache *) fcinfo->flinfo->fn_extra;
}

/*
 * cron_sql_parse - parse (s, len) into *expr or raise the engine's error.
 */
static void
cron_sql_parse(const char *s, int len, CronExpr *expr)
{
	char	   *str = pnstrdup(s, len);
	CronError	err;

	if (!cron_parse(str, expr, &err))
	{
		const char *shown = str;
		const char *ellipsis = "";

		if (len > 60)
		{
			shown = pnstrdup(str, pg_mbcliplen(str, len, 60));
			ellipsis = "...";
		}
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid cron expression \"%s%s\"", shown, ellipsis),
				 errdetail("%s", err.detail),
				 errhint("%s", err.hint)));
	}
	pfree(str);
}

/*
 * cron_sql_expr - the parsed form of t, from the cache when t is the text
 * parsed last time at this call site.
 */
static const CronExpr *
cron_sql_expr(FunctionCallInfo fcinfo, CronSqlCache *cache, text *t)
{
	const char *s = VARDATA_ANY(t);
	int			len = VARSIZE_ANY_EXHDR(t);

	if (cache->expr_text != NULL && cache->expr_len == len &&
		memcmp(cache->expr_text, s, len) == 0)
		return &cache->expr;

	cron_sql_parse(s, len, &cache->expr);
	if (cache->expr_text)
		pfree(cache->expr_text);
	cache->expr_text = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, len + 1);
	memcpy(cache->expr_text, s, len);
	cache->expr_text[len] = '\0';
	cache->expr_len = len;
	return &cache->expr;
}

/*
 * cron_sql_lookup_tz - a zone as SET TimeZone reads it: a zone name, a
 * POSIX zone specification, or a bare number of hours east of Greenwich
 * (SQL's sign convention, as SET TIME ZONE -7).  Raises 22023 otherwise.
 */
static pg_tz *
cron_sql_lookup_tz(const char *name)
{
	pg_tz	   *tz = NULL;
	char	   *end;
	double		hours;

	hours = strtod(name, &end);
	if (end != name && *end == '\0' && isfinite(hours))
	{
		if (hours >= -15 && hours <= 15)
			tz = pg_tzset_offset((long) rint(-hours * SECS_PER_HOUR));
	}
	else
		tz = pg_tzset(name);
	if (tz == NULL || !pg_tz_acceptable(tz))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("time zone \"%s\" not recognized", name),
				 errdetail("A cron time zone is any value that SET TimeZone accepts."),
				 errhint("Use a name from pg_timezone_names, for example \"Europe/Berlin\".")));
	return tz;
}

/*
 * cron_sql_tz - the zone named by t, cached like the expression.
 */
static pg_tz *
cron_sql_tz(FunctionCallInfo fcinfo, CronSqlCache *cache, text *t)
{
	const char *s = VARDATA_ANY(t);
	int			len = VARSIZE_ANY_EXHDR(t);
	char	   *name;

	if (cache->tz_text != NULL && cache->tz_len == len &&
		memcmp(cache->tz_text, s, len) == 0)
		return cache->tz;

	name = pnstrdup(s, len);
	cache->tz = cron_sql_lookup_tz(name);
	pfree(name);
	if (cache->tz_text)
		pfree(cache->tz_text);
	cache->tz_text = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, len + 1);
	memcpy(cache->tz_text, s, len);
	cache->tz_text[len] = '\0';
	cache->tz_len = len;
	return cache->tz;
}

/*
 * cron_sql_offset - CronTz callback: UTC offset of zone arg at instant t.
 */
static int32_t
cron_sql_offset(const void *arg, int64_t t)
{
	pg_time_t	pt = (pg_time_t) t;
	struct pg_tm *tm = pg_localtime(&pt, (const pg_tz *) arg);

	return tm ? (int32_t) tm->tm_gmtoff : 0;
}

/*
 * cron_sql_to_engine - the engine's "after" for a finite timestamp: fire
 * times strictly after ts, or at or after ts when inclusive.  The engine
 * counts whole seconds and returns times > after.
 */
static int64
cron_sql_to_engine(TimestampTz ts, bool inclusive)
{
	int64		us = inclusive ? ts - 1 : ts;
	int64		secs = us / USECS_PER_SEC;

	if (us % USECS_PER_SEC < 0)
		secs--;
	return secs + CRON_PG_EPOCH_SECS;
}

/*
 * cron_sql_from_engine - a timestamptz for engine time secs; false if it
 * is beyond what timestamptz holds.
 */
static bool
cron_sql_from_engine(int64 secs, TimestampTz *ts)
{
	int64		pg = secs - CRON_PG_EPOCH_SECS;

	if (pg > END_TIMESTAMP / USECS_PER_SEC || pg < MIN_TIMESTAMP / USECS_PER_SEC)
		return false;
	*ts = pg * USECS_PER_SEC;
	return IS_VALID_TIMESTAMP(*ts);
}

/*
 * cron_next(expr text, after timestamptz, tz text) RETURNS timestamptz
 *
 * The first fire time strictly after "after", NULL if there is none
 * (never again, @reboot, +infinity, or beyond timestamptz's range).
 */
Datum
jobmon_cron_next(PG_FUNCTION_ARGS)
{
	CronSqlCache *cache = cron_sql_cache(fcinfo);
	const CronExpr *expr = cron_sql_expr(fcinfo, cache, PG_GETARG_TEXT_PP(0));
	TimestampTz after = PG_GETARG_TIMESTAMPTZ(1);
	CronTz		tz;
	int64_t		next;
	TimestampTz result;

	tz.utc_offset = cron_sql_offset;
	tz.arg = cron_sql_tz(fcinfo, cache, PG_GETARG_TEXT_PP(2));

	if (TIMESTAMP_IS_NOEND(after))
		PG_RETURN_NULL();
	if (TIMESTAMP_IS_NOBEGIN(after))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("cannot compute a fire time after -infinity"),
				 errhint("Pass a finite timestamp.")));

	if (!cron_next(expr, cron_sql_to_engine(after, false), &tz, &next) ||
		!cron_sql_from_engine(next, &result))
		PG_RETURN_NULL();
	PG_RETURN_TIMESTAMPTZ(result);
}

/*
 * cron_times(expr text, from timestamptz, to timestamptz, tz text)
 * RETURNS SETOF timestamptz
 *
 * Every fire time t with from <= t <= to, ascending.  Rows are made one at
 * a time, so a LIMIT stops the scan early.
 */
Datum
jobmon_cron_times(PG_FUNCTION_ARGS)
{
	FuncCallContext *funcctx;
	CronTimesState *st;
	CronTz		tz;
	int64_t		next;
	TimestampTz result;

	if (SRF_IS_FIRSTCALL())
	{
		MemoryContext oldcxt;
		TimestampTz from = PG_GETARG_TIMESTAMPTZ(1);
		TimestampTz to = PG_GETARG_TIMESTAMPTZ(2);
		text	   *tzname = PG_GETARG_TEXT_PP(3);
		text	   *t = PG_GETARG_TEXT_PP(0);
		char	   *name;

		funcctx = SRF_FIRSTCALL_INIT();
		oldcxt = MemoryContextSwitchTo(funcctx->multi_call_memory_ctx);
		st = palloc0(sizeof(CronTimesState));
		cron_sql_parse(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), &st->expr);
		name = text_to_cstring(tzname);
		st->tz = cron_sql_lookup_tz(name);
		MemoryContextSwitchTo(oldcxt);

		if (TIMESTAMP_NOT_FINITE(from) || TIMESTAMP_NOT_FINITE(to))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("cron_times needs a finite start and a finite end"),
					 errdetail("An endless series cannot be returned: in FROM, all its rows are computed before the first is read, whatever LIMIT follows."),
					 errhint("Pass finite timestamps, for example now() and now() + interval '1 day', or call cron_next() for the next fire time.")));
		st->after = cron_sql_to_engine(from, true);
		st->last = cron_sql_to_engine(to, false);
		if (to < from)
			st->last = PG_INT64_MIN;
		funcctx->user_fctx = st;
	}

	funcctx = SRF_PERCALL_SETUP();
	st = (CronTimesState *) funcctx->user_fctx;
	tz.utc_offset = cron_sql_offset;
	tz.arg = st->tz;

	CHECK_FOR_INTERRUPTS();
	if (st->after < st->last &&
		cron_next(&st->expr, st->after, &tz, &next) &&
		next <= st->last &&
		cron_sql_from_engine(next, &result))
	{
		if (++st->returned > CRON_TIMES_MAX_ROWS)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("cron_times would return more than %d fire times", CRON_TIMES_MAX_ROWS),
					 errdetail("The range from %s to %s holds more fire times of the expression than that.",
							   timestamptz_to_str(PG_GETARG_TIMESTAMPTZ(1)),
							   timestamptz_to_str(PG_GETARG_TIMESTAMPTZ(2))),
					 errhint("Narrow the range, or call cron_next() for one fire time at a time.")));
		st->after = next;
		SRF_RETURN_NEXT(funcctx, TimestampTzGetDatum(result));
	}
	SRF_RETURN_DONE(funcctx);
}

/*
 * cron_validate(expr text) RETURNS void: raise the precise error, or
 * return.  Not strict: a NULL expression is an error too.
 */
Datum
jobmon_cron_validate(PG_FUNCTION_ARGS)
{
	text	   *t;
	CronExpr	expr;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("argument expr of cron_validate() must not be NULL"),
				 errhint("Pass a cron expression, for example '30 2 * * 1-5'.")));
	t = PG_GETARG_TEXT_PP(0);
	cron_sql_parse(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), &expr);
	PG_RETURN_VOID();
}

/*
 * cron_is_valid(expr text) RETURNS boolean
 */
Datum
jobmon_cron_is_valid(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);
	char	   *str = text_to_cstring(t);
	CronExpr	expr;
	CronError	err;
	bool		ok = cron_parse(str, &expr, &err);

	pfree(str);
	PG_RETURN_BOOL(ok);
}

/*
 * cron_describe(expr text) RETURNS text: the expression in English.
 */
Datum
jobmon_cron_describe(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);
	CronExpr	expr;
	char		buf[1024];

	cron_sql_parse(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), &expr);
	cron_describe(&expr, buf, sizeof(buf));
	PG_RETURN_TEXT_P(cstring_to_text(buf));
}
