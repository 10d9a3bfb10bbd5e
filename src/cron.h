/*-------------------------------------------------------------------------
 *
 * cron.h
 *		The cron engine of pg_jobmon: parse, validate, describe and compute
 *		fire times of cron expressions.
 *
 * The engine is pure C99: it includes no PostgreSQL header, allocates no
 * memory and keeps no state between calls, so the same objects build into
 * the extension (through src/cron_sql.c, the only fmgr glue), the C unit
 * tests, the fuzzer and the benchmark.  An expression is parsed once into
 * a CronExpr made of bitsets; the calculator jumps field by field over
 * those bitsets in local wall-clock time and maps wall-clock times to
 * instants through a CronTz, a one-function time-zone interface that the
 * backend implements with PostgreSQL's own tz code and the standalone
 * builds with the C library (see cron_tz_system.c under test/c).
 *
 * Instants are whole seconds since 1970-01-01 00:00:00 UTC (int64).
 *
 * doc/cron.md is the user-facing reference for the syntax and the
 * daylight-saving rules implemented here.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PG_JOBMON_CRON_H
#define PG_JOBMON_CRON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest expression accepted, in bytes. */
#define CRON_MAX_EXPR_LEN	1000

/* Fields, in the order of a six-field expression. */
typedef enum CronField
{
	CRON_FIELD_NONE = -1,		/* error about the expression as a whole */
	CRON_FIELD_SECOND = 0,
	CRON_FIELD_MINUTE,
	CRON_FIELD_HOUR,
	CRON_FIELD_DOM,
	CRON_FIELD_MONTH,
	CRON_FIELD_DOW
} CronField;

/* CronExpr.flags */
#define CRON_DOM_STAR		0x01	/* day-of-month written "*" or "?" */
#define CRON_DOW_STAR		0x02	/* day-of-week written "*" or "?" */
#define CRON_WALL_HOURS		0x04	/* hour field uses "*" or a step */
#define CRON_REBOOT			0x08	/* @reboot: no fire time, fires at start */
#define CRON_HAS_SECONDS	0x10	/* written with a seconds field */

/*
 * A parsed expression.  Every set is a bitset: bit n set means value n
 * matches.  The day-of-month and day-of-week specials are kept apart from
 * the plain sets because they depend on the month being looked at.
 */
typedef struct CronExpr
{
	uint64_t	seconds;		/* bits 0-59 */
	uint64_t	minutes;		/* bits 0-59 */
	uint32_t	hours;			/* bits 0-23 */
	uint32_t	mdays;			/* bits 1-31: plain days of the month */
	uint32_t	mdays_last;		/* bit n: n days before the last day (L-n),
								 * bit 0 is L itself */
	uint32_t	mdays_near;		/* bits 1-31: weekday nearest to day n (nW) */
	uint16_t	months;			/* bits 1-12 */
	uint8_t		wdays;			/* bits 0-6: plain days of the week, 0 = Sunday */
	uint8_t		wdays_last;		/* bit n: last weekday n of the month (nL) */
	uint8_t		wdays_nth[7];	/* per weekday, bit k-1: k-th one of the
								 * month (n#k, k 1-5) */
	uint8_t		mday_lw;		/* 1 if LW (last weekday of the month) */
	uint8_t		flags;			/* CRON_* flags above */
} CronExpr;

/*
 * Why an expression was refused.  detail and hint are complete English
 * sentences (capitalized, final period) ready for errdetail/errhint.
 */
typedef struct CronError
{
	CronField	field;
	char		detail[320];
	char		hint[160];
} CronError;

/*
 * Time-zone interface: utc_offset returns the offset of local time from
 * UTC, in seconds east of Greenwich, in force at instant t.
 */
typedef struct CronTz
{
	int32_t		(*utc_offset) (const void *arg, int64_t t);
	const void *arg;
} CronTz;

/* cron_parse.c */
extern bool cron_parse(const char *text, CronExpr *expr, CronError *err);

/* cron_next.c */
extern bool cron_next(const CronExpr *expr, int64_t after, const CronTz *tz,
					  int64_t *result);
extern uint32_t cron_day_mask(const CronExpr *expr, int64_t year, int month);
extern int64_t cron_days_from_civil(int64_t y, int m, int d);
extern void cron_civil_from_days(int64_t days, int64_t *y, int *m, int *d);

/* cron_describe.c */
extern void cron_describe(const CronExpr *expr, char *buf, size_t buflen);

#endif							/* PG_JOBMON_CRON_H */
