/*-------------------------------------------------------------------------
 *
 * cron_test.c
 *		Unit tests (Check) for the cron engine: parser, calculator,
 *		daylight-saving rules and descriptions.
 *
 * Expected fire times are written as UTC strings and were derived by hand
 * from calendars (2024: Jan 1 a Monday, Feb 29 a Thursday; Europe/Berlin
 * changes on 2024-03-31 01:00 UTC and 2024-10-27 01:00 UTC;
 * America/New_York on 2024-03-10 07:00 UTC and 2024-11-03 06:00 UTC).
 * A slow oracle (cron_oracle.c) checks thousands of random expressions.
 *
 *-------------------------------------------------------------------------
 */
#define _DEFAULT_SOURCE
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cron.h"
#include "cron_oracle.h"
#include "cron_tz_system.h"

/* "2024-03-31T01:00:00Z" (or "...T01:00:00") to seconds since 1970. */
static int64_t
ts(const char *s)
{
	struct tm	tm;

	memset(&tm, 0, sizeof(tm));
	if (sscanf(s, "%d-%d-%dT%d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
			   &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
		abort();
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (int64_t) timegm(&tm);
}

static const char *
fmt(int64_t t, char *buf)
{
	time_t		tt = (time_t) t;
	struct tm	tm;

	gmtime_r(&tt, &tm);
	strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}

static CronExpr
parse_ok(const char *text)
{
	CronExpr	e;
	CronError	err;

	if (!cron_parse(text, &e, &err))
		ck_abort_msg("\"%s\" refused: %s", text, err.detail);
	return e;
}

/* Check the chain of next fire times from `after` in zone tz. */
static void
check_chain(const char *expr, const char *tz, const char *after,
			const char *const *expect, int n)
{
	CronExpr	e = parse_ok(expr);
	int64_t		t = ts(after);
	int			i;
	char		b1[32];

	cron_tz_system_set(tz);
	for (i = 0; i < n; i++)
	{
		int64_t		r;

		ck_assert_msg(cron_next(&e, t, &cron_tz_system, &r),
					  "%s in %s after %s: no fire time", expr, tz, fmt(t, b1));
		ck_assert_msg(r == ts(expect[i]),
					  "%s in %s, fire %d: got %s, expected %s", expr, tz, i,
					  fmt(r, b1), expect[i]);
		t = r;
	}
}

#define CHAIN(expr, tz, after, ...) do { \
	static const char *const ex_[] = {__VA_ARGS__}; \
	check_chain(expr, tz, after, ex_, (int) (sizeof(ex_) / sizeof(ex_[0]))); \
} while (0)

/* ---------------------------------------------------------------- parser */

START_TEST(test_parse_fields)
{
	CronExpr	e;

	e = parse_ok("30 2 * * 1-5");
	ck_assert_uint_eq(e.seconds, 1);
	ck_assert_uint_eq(e.minutes, (uint64_t) 1 << 30);
	ck_assert_uint_eq(e.hours, 1u << 2);
	ck_assert_uint_eq(e.wdays, 0x3E);
	ck_assert_int_eq(e.flags & CRON_DOM_STAR, CRON_DOM_STAR);
	ck_assert_int_eq(e.flags & CRON_DOW_STAR, 0);
	ck_assert_int_eq(e.flags & CRON_WALL_HOURS, 0);

	e = parse_ok("1/30 * * * * *");
	ck_assert_uint_eq(e.seconds, ((uint64_t) 1 << 1) | ((uint64_t) 1 << 31));
	ck_assert_int_eq(e.flags & CRON_HAS_SECONDS, CRON_HAS_SECONDS);
	ck_assert_int_eq(e.flags & CRON_WALL_HOURS, CRON_WALL_HOURS);

	e = parse_ok("0 0 * * fri-mon");
	ck_assert_uint_eq(e.wdays, (1 << 5) | (1 << 6) | (1 << 0) | (1 << 1));
	e = parse_ok("0 0 * * SAT-SUN");
	ck_assert_uint_eq(e.wdays, (1 << 6) | 1);
	e = parse_ok("0 0 * * 7");
	ck_assert_uint_eq(e.wdays, 1);
	e = parse_ok("0 0 * * 0-7");
	ck_assert_uint_eq(e.wdays, 0x7F);
	e = parse_ok("0 0 * * 5-7");
	ck_assert_uint_eq(e.wdays, (1 << 5) | (1 << 6) | 1);
	e = parse_ok("0 22-2 * * *");
	ck_assert_uint_eq(e.hours, (1u << 22) | (1u << 23) | 1 | 2 | 4);
	e = parse_ok("0 22-3/2 * * *");
	ck_assert_uint_eq(e.hours, (1u << 22) | 1 | 4);
	e = parse_ok("0 0 1 nov-feb *");
	ck_assert_uint_eq(e.months, (1 << 11) | (1 << 12) | (1 << 1) | (1 << 2));
	e = parse_ok("50-10/10 * * * * *");
	ck_assert_uint_eq(e.seconds, ((uint64_t) 1 << 50) | 1 | ((uint64_t) 1 << 10));
	e = parse_ok("*/60 * * * *");
	ck_assert_uint_eq(e.minutes, 1);
	e = parse_ok("0 0 * * 1/2");
	ck_assert_uint_eq(e.wdays, (1 << 1) | (1 << 3) | (1 << 5));
	e = parse_ok("0 0 ? * MoN");
	ck_assert_uint_eq(e.wdays, 2);
	ck_assert_int_eq(e.flags & CRON_DOM_STAR, CRON_DOM_STAR);
	e = parse_ok("  0\t0   1,15  *  *  ");
	ck_assert_uint_eq(e.mdays, (1u << 1) | (1u << 15));
}
END_TEST

START_TEST(test_parse_specials)
{
	CronExpr	e;

	e = parse_ok("0 0 L * *");
	ck_assert_uint_eq(e.mdays_last, 1);
	e = parse_ok("0 0 $ * *");
	ck_assert_uint_eq(e.mdays_last, 1);
	e = parse_ok("0 0 L-3,1 * *");
	ck_assert_uint_eq(e.mdays_last, 1 << 3);
	ck_assert_uint_eq(e.mdays, 1 << 1);
	e = parse_ok("0 0 LW * *");
	ck_assert_int_eq(e.mday_lw, 1);
	e = parse_ok("0 0 15W,1w * *");
	ck_assert_uint_eq(e.mdays_near, (1u << 15) | (1u << 1));
	e = parse_ok("0 0 * * 5L");
	ck_assert_uint_eq(e.wdays_last, 1 << 5);
	e = parse_ok("0 0 * * friL");
	ck_assert_uint_eq(e.wdays_last, 1 << 5);
	e = parse_ok("0 0 * * 5#L");
	ck_assert_uint_eq(e.wdays_last, 1 << 5);
	e = parse_ok("0 0 * * 1#2,7#1");
	ck_assert_uint_eq(e.wdays_nth[1], 2);
	ck_assert_uint_eq(e.wdays_nth[0], 1);
	e = parse_ok("@reboot");
	ck_assert_int_eq(e.flags, CRON_REBOOT);
	e = parse_ok("@DAILY");
	ck_assert_uint_eq(e.hours, 1);
	e = parse_ok("@every_second");
	ck_assert_uint_eq(e.seconds, ((uint64_t) 1 << 60) - 1);
	e = parse_ok("@weekly");
	ck_assert_uint_eq(e.wdays, 1);
	e = parse_ok("0 0 29 2 *");
	ck_assert_uint_eq(e.mdays, 1u << 29);
}
END_TEST

typedef struct BadCase
{
	const char *expr;
	CronField	field;
	const char *detail_part;
} BadCase;

static const BadCase bad_cases[] = {
	{"", CRON_FIELD_NONE, "is empty"},
	{"   ", CRON_FIELD_NONE, "is empty"},
	{"* * * *", CRON_FIELD_NONE, "has 4 fields"},
	{"* * * * * * *", CRON_FIELD_NONE, "has 7 fields"},
	{"60 * * * *", CRON_FIELD_MINUTE, "\"60\" is not valid: a value must be between 0 and 59"},
	{"* 24 * * *", CRON_FIELD_HOUR, "between 0 and 23"},
	{"* * 0 * *", CRON_FIELD_DOM, "between 1 and 31"},
	{"* * 32 * *", CRON_FIELD_DOM, "between 1 and 31"},
	{"* * * 13 *", CRON_FIELD_MONTH, "between 1 and 12"},
	{"* * * * 8", CRON_FIELD_DOW, "between 0 and 7"},
	{"60 * * * * *", CRON_FIELD_SECOND, "between 0 and 59"},
	{"* * 25-5 * *", CRON_FIELD_DOM, "reversed"},
	{"*/0 * * * *", CRON_FIELD_MINUTE, "at least 1"},
	{"*/61 * * * *", CRON_FIELD_MINUTE, "larger than the 60 values"},
	{"0 0-5/7 * * *", CRON_FIELD_HOUR, "larger than the 6 values"},
	{"59/2 * * * *", CRON_FIELD_MINUTE, "larger than the 1 value"},
	{"5x * * * *", CRON_FIELD_MINUTE, "\"x\" is unexpected"},
	{"5, * * * *", CRON_FIELD_MINUTE, "empty list item"},
	{",5 * * * *", CRON_FIELD_MINUTE, "empty list item"},
	{"1-2-3 * * * *", CRON_FIELD_MINUTE, "\"-3\" is unexpected"},
	{"1#2 * * * *", CRON_FIELD_MINUTE, "\"#\" is not allowed in the minute field"},
	{"#2 * * * *", CRON_FIELD_MINUTE, "\"#\" is only allowed in the day-of-week field"},
	{"0 0 * * * garbage", CRON_FIELD_DOW, "\"garbage\""},
	{"0 0 * * 1#6", CRON_FIELD_DOW, "between 1 and 5"},
	{"0 0 * * 1#0", CRON_FIELD_DOW, "between 1 and 5"},
	{"0 0 * * 1#2x", CRON_FIELD_DOW, "unexpected"},
	{"0 0 * * 1-5#2", CRON_FIELD_DOW, "cannot be combined"},
	{"0 0 * * L", CRON_FIELD_DOW, "follows a weekday"},
	{"0 0 * * 1W", CRON_FIELD_DOW, "\"W\" is not allowed"},
	{"0 0 L-0 * *", CRON_FIELD_DOM, "between 1 and 30"},
	{"0 0 L-31 * *", CRON_FIELD_DOM, "between 1 and 30"},
	{"0 0 L/2 * *", CRON_FIELD_DOM, "L stands alone"},
	{"0 0 32W * *", CRON_FIELD_DOM, "between 1 and 31"},
	{"0 0 1-5W * *", CRON_FIELD_DOM, "cannot be combined"},
	{"0 0 W * *", CRON_FIELD_DOM, "cannot be combined"},
	{"0 0 1#2 * *", CRON_FIELD_DOM, "\"#\" is not allowed in the day-of-month field"},
	{"0 L * * *", CRON_FIELD_HOUR, "\"L\" is only allowed"},
	{"0 5L * * *", CRON_FIELD_HOUR, "\"L\" is not allowed in the hour field"},
	{"0 0 30 2 *", CRON_FIELD_DOM, "matches no day of the selected months"},
	{"0 0 31 4,6,9,11 *", CRON_FIELD_DOM, "matches no day"},
	{"0 0 30W 2 *", CRON_FIELD_DOM, "matches no day"},
	{"0 0 30 2 1", CRON_FIELD_DOM, "matches no day"},
	{"0 0 * foo *", CRON_FIELD_MONTH, "jan-dec"},
	{"0 0 * * monday", CRON_FIELD_DOW, "\"day\" is unexpected"},
	{"? * * * *", CRON_FIELD_MINUTE, "only allowed in the day-of-month"},
	{"0 0 ?,1 * *", CRON_FIELD_DOM, "must be the whole field"},
	{"0 0 * * 5-*", CRON_FIELD_DOW, "not \"*\""},
	{"-1 * * * *", CRON_FIELD_MINUTE, "\"-1\" is unexpected where a value should be"},
	{"\xc3\xa9\xc3\xa9 * * * *", CRON_FIELD_MINUTE, "\"\xc3\xa9\xc3\xa9\" is unexpected where a value should be"},
	{"99999999999 * * * *", CRON_FIELD_MINUTE, "between 0 and 59"},
	{"@dayly", CRON_FIELD_NONE, "\"@dayly\" is not recognized"},
	{"@daily 0", CRON_FIELD_NONE, "cannot be followed"},
	{"0 0 * * 7/2x", CRON_FIELD_DOW, "unexpected"},
	{"0 0 * * 8/2", CRON_FIELD_DOW, "between 0 and 7"},
	{"*/1000001 * * * *", CRON_FIELD_MINUTE, "step must be between"},
};

START_TEST(test_parse_errors)
{
	const BadCase *c = &bad_cases[_i];
	CronExpr	e;
	CronError	err;

	ck_assert_msg(!cron_parse(c->expr, &e, &err), "\"%s\" was accepted", c->expr);
	ck_assert_msg(err.field == c->field, "\"%s\": field %d, expected %d (%s)",
				  c->expr, err.field, c->field, err.detail);
	ck_assert_msg(strstr(err.detail, c->detail_part) != NULL,
				  "\"%s\": detail \"%s\" lacks \"%s\"", c->expr, err.detail,
				  c->detail_part);
	ck_assert_msg(err.hint[0] != '\0', "\"%s\": no hint", c->expr);
	ck_assert_msg(err.detail[strlen(err.detail) - 1] == '.', "detail ends with a period");
	ck_assert_msg(err.detail[0] >= 'A' && err.detail[0] <= 'Z', "detail is capitalized");
}
END_TEST

START_TEST(test_parse_too_long)
{
	char		buf[1102];
	CronExpr	e;
	CronError	err;

	memset(buf, ' ', sizeof(buf));
	memcpy(buf, "* * * * *", 9);
	buf[1001] = '\0';
	ck_assert(!cron_parse(buf, &e, &err));
	ck_assert_ptr_nonnull(strstr(err.detail, "1001 bytes"));
	buf[1000] = '\0';
	ck_assert(cron_parse(buf, &e, &err));
}
END_TEST

/* Is s valid UTF-8? */
static bool
utf8_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *) s;

	while (*p)
	{
		int			n = *p < 0x80 ? 0 : (*p & 0xE0) == 0xC0 ? 1 : (*p & 0xF0) == 0xE0 ? 2 : (*p & 0xF8) == 0xF0 ? 3 : -1;

		if (n < 0)
			return false;
		p++;
		while (n-- > 0)
			if ((*p++ & 0xC0) != 0x80)
				return false;
	}
	return true;
}

START_TEST(test_parse_utf8_messages)
{
	char		buf[200];
	CronExpr	e;
	CronError	err;
	int			i;

	/* "1" and 40 two-byte characters: quoted parts are cut at 60 and 40 bytes */
	strcpy(buf, "1");
	for (i = 0; i < 40; i++)
		strcat(buf, "\xc3\xa9");
	strcat(buf, " * * * *");
	ck_assert(!cron_parse(buf, &e, &err));
	ck_assert_msg(utf8_valid(err.detail), "detail cuts a character: %s", err.detail);
	buf[0] = '@';
	ck_assert(!cron_parse(buf, &e, &err));
	ck_assert_msg(utf8_valid(err.detail), "detail cuts a character: %s", err.detail);
}
END_TEST

/* ------------------------------------------------------------ calculator */

START_TEST(test_next_calendar)
{
	CHAIN("0 0 29 2 *", "UTC", "2024-03-01T00:00:00",
		  "2028-02-29T00:00:00", "2032-02-29T00:00:00");
	CHAIN("0 0 29 2 *", "UTC", "2096-03-01T00:00:00",
		  "2104-02-29T00:00:00");
	CHAIN("0 0 L * *", "UTC", "2023-01-31T00:00:00",
		  "2023-02-28T00:00:00", "2023-03-31T00:00:00", "2023-04-30T00:00:00");
	CHAIN("0 0 L * *", "UTC", "2024-01-31T00:00:00",
		  "2024-02-29T00:00:00");
	CHAIN("0 0 L-1 * *", "UTC", "2024-02-01T00:00:00",
		  "2024-02-28T00:00:00", "2024-03-30T00:00:00");
	CHAIN("0 0 LW * *", "UTC", "2024-06-01T00:00:00",
		  "2024-06-28T00:00:00", "2024-07-31T00:00:00", "2024-08-30T00:00:00");
	CHAIN("0 0 15W * *", "UTC", "2024-06-01T00:00:00",
		  "2024-06-14T00:00:00", "2024-07-15T00:00:00", "2024-08-15T00:00:00",
		  "2024-09-16T00:00:00");
	CHAIN("0 0 1W * *", "UTC", "2024-05-31T00:00:00",
		  "2024-06-03T00:00:00", "2024-07-01T00:00:00");
	CHAIN("0 0 31W * *", "UTC", "2024-07-31T00:00:00",
		  "2024-08-30T00:00:00", "2024-10-31T00:00:00");
	CHAIN("0 0 * * 5L", "UTC", "2024-01-01T00:00:00",
		  "2024-01-26T00:00:00", "2024-02-23T00:00:00", "2024-03-29T00:00:00");
	CHAIN("0 0 * * 1#2", "UTC", "2024-01-01T00:00:00",
		  "2024-01-08T00:00:00", "2024-02-12T00:00:00", "2024-03-11T00:00:00");
	CHAIN("0 0 * * 5#5", "UTC", "2024-01-01T00:00:00",
		  "2024-03-29T00:00:00", "2024-05-31T00:00:00", "2024-08-30T00:00:00");
	CHAIN("0 0 29 2 4", "UTC", "2024-02-20T00:00:00",
		  "2024-02-22T00:00:00", "2024-02-29T00:00:00", "2025-02-06T00:00:00");
	CHAIN("0 0 1 * 1", "UTC", "2024-01-01T00:00:00",
		  "2024-01-08T00:00:00", "2024-01-15T00:00:00", "2024-01-22T00:00:00",
		  "2024-01-29T00:00:00", "2024-02-01T00:00:00", "2024-02-05T00:00:00");
	CHAIN("0 0 * * fri-mon", "UTC", "2024-01-03T00:00:00",
		  "2024-01-05T00:00:00", "2024-01-06T00:00:00", "2024-01-07T00:00:00",
		  "2024-01-08T00:00:00", "2024-01-12T00:00:00");
	CHAIN("0 22-2 * * *", "UTC", "2024-01-01T12:00:00",
		  "2024-01-01T22:00:00", "2024-01-01T23:00:00", "2024-01-02T00:00:00",
		  "2024-01-02T01:00:00", "2024-01-02T02:00:00", "2024-01-02T22:00:00");
	CHAIN("1/30 * * * * *", "UTC", "2024-01-01T00:00:00",
		  "2024-01-01T00:00:01", "2024-01-01T00:00:31", "2024-01-01T00:01:01");
	CHAIN("@yearly", "UTC", "2024-01-01T00:00:00", "2025-01-01T00:00:00");
	CHAIN("59 23 31 12 *", "UTC", "2024-12-31T23:59:00",
		  "2025-12-31T23:59:00");
	CHAIN("* * * * * *", "UTC", "2024-12-31T23:59:59",
		  "2025-01-01T00:00:00", "2025-01-01T00:00:01");
	CHAIN("0 0 1 1 *", "UTC", "1969-06-01T00:00:00", "1970-01-01T00:00:00");
	CHAIN("30 12 * * *", "UTC", "1900-02-28T13:00:00", "1900-03-01T12:30:00");
}
END_TEST

START_TEST(test_next_fraction_and_never)
{
	CronExpr	e = parse_ok("@reboot");
	int64_t		r;

	ck_assert(!cron_next(&e, 0, &cron_tz_utc, &r));
	e = parse_ok("* * * * *");
	ck_assert(cron_next(&e, 59, &cron_tz_utc, &r));
	ck_assert_int_eq(r, 60);
	ck_assert(cron_next(&e, 60, &cron_tz_utc, &r));
	ck_assert_int_eq(r, 120);
	ck_assert(!cron_next(&e, INT64_MAX, &cron_tz_utc, &r));
	ck_assert(!cron_next(&e, INT64_MIN, &cron_tz_utc, &r));
}
END_TEST

START_TEST(test_next_dst_berlin)
{
	/* spring forward: 02:00 CET becomes 03:00 CEST at 01:00 UTC */
	CHAIN("30 2 * * *", "Europe/Berlin", "2024-03-30T12:00:00",
		  "2024-03-31T01:00:00", "2024-04-01T00:30:00");
	CHAIN("0 2 * * *", "Europe/Berlin", "2024-03-30T12:00:00",
		  "2024-03-31T01:00:00", "2024-04-01T00:00:00");
	CHAIN("0,30 2,3 * * *", "Europe/Berlin", "2024-03-30T23:00:00",
		  "2024-03-31T01:00:00", "2024-03-31T01:30:00", "2024-04-01T00:00:00");
	CHAIN("30 * * * *", "Europe/Berlin", "2024-03-31T00:00:00",
		  "2024-03-31T00:30:00", "2024-03-31T01:30:00", "2024-03-31T02:30:00");
	CHAIN("*/20 */1 * * *", "Europe/Berlin", "2024-03-31T00:30:00",
		  "2024-03-31T00:40:00", "2024-03-31T01:00:00", "2024-03-31T01:20:00");
	/* fall back: 03:00 CEST becomes 02:00 CET at 01:00 UTC */
	CHAIN("30 2 * * *", "Europe/Berlin", "2024-10-26T12:00:00",
		  "2024-10-27T00:30:00", "2024-10-28T01:30:00");
	CHAIN("*/30 2 * * *", "Europe/Berlin", "2024-10-26T12:00:00",
		  "2024-10-27T00:00:00", "2024-10-27T00:30:00", "2024-10-28T01:00:00");
	CHAIN("30 * * * *", "Europe/Berlin", "2024-10-26T23:45:00",
		  "2024-10-27T00:30:00", "2024-10-27T01:30:00", "2024-10-27T02:30:00");
	CHAIN("0 */2 * * *", "Europe/Berlin", "2024-10-26T21:00:00",
		  "2024-10-26T22:00:00", "2024-10-27T00:00:00", "2024-10-27T01:00:00",
		  "2024-10-27T03:00:00");
	CHAIN("0 0 * * *", "Europe/Berlin", "2024-10-26T00:00:00",
		  "2024-10-26T22:00:00", "2024-10-27T23:00:00");
}
END_TEST

START_TEST(test_next_dst_new_york)
{
	/* spring forward: 02:00 EST becomes 03:00 EDT at 07:00 UTC */
	CHAIN("30 2 * * *", "America/New_York", "2024-03-09T12:00:00",
		  "2024-03-10T07:00:00", "2024-03-11T06:30:00");
	CHAIN("*/30 * * * *", "America/New_York", "2024-03-10T06:45:00",
		  "2024-03-10T07:00:00", "2024-03-10T07:30:00");
	CHAIN("0 0-3 * * *", "America/New_York", "2024-03-10T04:30:00",
		  "2024-03-10T05:00:00", "2024-03-10T06:00:00", "2024-03-10T07:00:00",
		  "2024-03-11T04:00:00");
	/* fall back: 02:00 EDT becomes 01:00 EST at 06:00 UTC */
	CHAIN("30 1 * * *", "America/New_York", "2024-11-02T12:00:00",
		  "2024-11-03T05:30:00", "2024-11-04T06:30:00");
	CHAIN("0 * * * *", "America/New_York", "2024-11-03T04:30:00",
		  "2024-11-03T05:00:00", "2024-11-03T06:00:00", "2024-11-03T07:00:00");
	CHAIN("30 * * * *", "America/New_York", "2024-11-03T05:30:00",
		  "2024-11-03T06:30:00", "2024-11-03T07:30:00");
	CHAIN("45 1 * * *", "America/New_York", "2024-11-03T06:10:00",
		  "2024-11-04T06:45:00");
	CHAIN("* 1 * * *", "America/New_York", "2024-11-03T05:58:30",
		  "2024-11-03T05:59:00", "2024-11-04T06:00:00");
	/* wall clock, starting in the first pass of the repeated hour */
	CHAIN("16,21 * * * *", "America/New_York", "2017-11-05T05:16:00",
		  "2017-11-05T05:21:00", "2017-11-05T06:16:00", "2017-11-05T06:21:00");
	CHAIN("0,44 * * * *", "Europe/Berlin", "2021-10-31T00:42:18",
		  "2021-10-31T00:44:00", "2021-10-31T01:00:00", "2021-10-31T01:44:00");
	CHAIN("0 0-3 * * *", "America/New_York", "2024-11-03T03:30:00",
		  "2024-11-03T04:00:00", "2024-11-03T05:00:00", "2024-11-03T07:00:00",
		  "2024-11-03T08:00:00");
}
END_TEST

/* Random expressions against the slow oracle, in UTC. */
START_TEST(test_next_oracle)
{
	uint64_t	st = UINT64_C(0x9E3779B97F4A7C15) + (uint64_t) _i;
	int			k;

	for (k = 0; k < 250; k++)
	{
		char		text[400];
		CronExpr	e;
		CronError	err;
		int64_t		t;
		int			j;

		oracle_random_expr(&st, text, sizeof(text), _i % 2 == 0);
		ck_assert_msg(cron_parse(text, &e, &err), "\"%s\": %s", text, err.detail);
		t = (int64_t) (oracle_rand(&st) % UINT64_C(4102444800));	/* < 2100 */
		for (j = 0; j < 4; j++)
		{
			int64_t		r1 = -1;
			int64_t		r2 = -1;
			bool		f1 = cron_next(&e, t, &cron_tz_utc, &r1);
			bool		f2 = oracle_next_utc(&e, t, 3000, &r2);
			char		b1[32],
						b2[32],
						b3[32];

			ck_assert_msg(f1 == f2 && (!f1 || r1 == r2),
						  "\"%s\" after %s: engine %s, oracle %s", text,
						  fmt(t, b3), f1 ? fmt(r1, b1) : "none",
						  f2 ? fmt(r2, b2) : "none");
			if (!f1)
				break;
			t = r1 + (int64_t) (oracle_rand(&st) % 3) - 1;
		}
	}
}
END_TEST

/*
 * In zones with daylight-saving time: results increase, a wall-clock
 * schedule's results show a matching wall-clock time, and a fixed-hour
 * schedule's results do too unless they are the end of a gap.
 */
START_TEST(test_next_dst_properties)
{
	static const char *const zones[] = {"Europe/Berlin", "America/New_York",
	"Australia/Lord_Howe", "Pacific/Apia", "America/Santiago"};
	uint64_t	st = UINT64_C(12345) + (uint64_t) _i;
	int			k;

	cron_tz_system_set(zones[_i % 5]);
	for (k = 0; k < 200; k++)
	{
		char		text[400];
		CronExpr	e;
		CronError	err;
		int64_t		t;
		int			j;

		oracle_random_expr(&st, text, sizeof(text), false);
		ck_assert_msg(cron_parse(text, &e, &err), "\"%s\": %s", text, err.detail);
		t = ts("2011-01-01T00:00:00") + (int64_t) (oracle_rand(&st) % (86400 * 365 * 3));
		for (j = 0; j < 20; j++)
		{
			int64_t		r;
			int32_t		off;
			int64_t		local;
			int64_t		y;
			int			m,
						d,
						sod;
			bool		match;

			if (!cron_next(&e, t, &cron_tz_system, &r))
				break;
			ck_assert_msg(r > t, "\"%s\": %lld not after %lld", text,
						  (long long) r, (long long) t);
			off = cron_tz_system.utc_offset(NULL, r);
			local = r + off;
			cron_civil_from_days(local / 86400, &y, &m, &d);
			sod = (int) (local % 86400);
			match = oracle_day_matches(&e, y, m, d) &&
				oracle_time_matches(&e, sod / 3600, sod / 60 % 60, sod % 60);
			if (!match)
				ck_assert_msg(!(e.flags & CRON_WALL_HOURS) &&
							  cron_tz_system.utc_offset(NULL, r - 1) < off,
							  "\"%s\" in %s: %lld does not match", text,
							  zones[_i % 5], (long long) r);
			t = r;
		}
	}
}
END_TEST

START_TEST(test_day_mask)
{
	CronExpr	e = parse_ok("0 0 * * *");

	ck_assert_uint_eq(cron_day_mask(&e, 2024, 2), 0x3FFFFFFEu);
	ck_assert_uint_eq(cron_day_mask(&e, 2023, 2), 0x1FFFFFFEu);
	ck_assert_uint_eq(cron_day_mask(&e, 2100, 2), 0x1FFFFFFEu);
	ck_assert_uint_eq(cron_day_mask(&e, 2000, 2), 0x3FFFFFFEu);
	ck_assert_int_eq(cron_days_from_civil(1970, 1, 1), 0);
	ck_assert_int_eq(cron_days_from_civil(2000, 3, 1), 11017);
	ck_assert_int_eq(cron_days_from_civil(1969, 12, 31), -1);
}
END_TEST

/* -------------------------------------------------------------- describe */

typedef struct DescCase
{
	const char *expr;
	const char *text;
} DescCase;

static const DescCase desc_cases[] = {
	{"30 2 * * 1-5", "At 02:30, Monday through Friday"},
	{"0 0 * * *", "At 00:00"},
	{"0 9,17 * * *", "At 09:00 and 17:00"},
	{"*/15 * * * *", "Every 15 minutes"},
	{"* * * * *", "Every minute"},
	{"* * * * * *", "Every second"},
	{"1/30 * * * * *", "Every 30 seconds starting at second 1"},
	{"0 * * * *", "At minute 0 of every hour"},
	{"*/5 9-17 * * mon-fri", "Every 5 minutes, hours 9 through 17, Monday through Friday"},
	{"0 0 L * *", "At 00:00, on the last day of the month"},
	{"0 0 * * 5L", "At 00:00, on the last Friday of the month"},
	{"0 0 * * 1#2", "At 00:00, on the 2nd Monday of the month"},
	{"0 0 1 jan,jul *", "At 00:00, on day 1 of the month, in January and July"},
	{"0 0 1,15 * 1", "At 00:00, on days 1 and 15 of the month or Monday"},
	{"0 0 * * fri-mon", "At 00:00, Friday through Monday"},
	{"0 12 15W * *", "At 12:00, on the weekday nearest day 15 of the month"},
	{"0 0 LW * *", "At 00:00, on the last weekday of the month"},
	{"0 0 L-2 * *", "At 00:00, 2 days before the last day of the month"},
	{"@reboot", "At scheduler start"},
	{"0 0 */2 * * *", "At minute 0, every 2 hours"},
	{"15 30 2 * * *", "At 02:30:15"},
};

START_TEST(test_describe)
{
	const DescCase *c = &desc_cases[_i];
	CronExpr	e = parse_ok(c->expr);
	char		buf[512];

	cron_describe(&e, buf, sizeof(buf));
	ck_assert_str_eq(buf, c->text);
}
END_TEST

START_TEST(test_describe_truncates)
{
	CronExpr	e = parse_ok("1,3,5,7,9,11,13 1,3,5,7,9,11 1,3,5,7,9 * *");
	char		buf[16];

	memset(buf, 'x', sizeof(buf));
	cron_describe(&e, buf, sizeof(buf));
	ck_assert_int_eq(strlen(buf), 15);
}
END_TEST

static Suite *
cron_suite(void)
{
	Suite	   *s = suite_create("cron");
	TCase	   *tc;

	tc = tcase_create("parse");
	tcase_add_test(tc, test_parse_fields);
	tcase_add_test(tc, test_parse_specials);
	tcase_add_loop_test(tc, test_parse_errors, 0,
						(int) (sizeof(bad_cases) / sizeof(bad_cases[0])));
	tcase_add_test(tc, test_parse_too_long);
	tcase_add_test(tc, test_parse_utf8_messages);
	suite_add_tcase(s, tc);

	tc = tcase_create("next");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_next_calendar);
	tcase_add_test(tc, test_next_fraction_and_never);
	tcase_add_test(tc, test_next_dst_berlin);
	tcase_add_test(tc, test_next_dst_new_york);
	tcase_add_loop_test(tc, test_next_oracle, 0, 8);
	tcase_add_loop_test(tc, test_next_dst_properties, 0, 10);
	tcase_add_test(tc, test_day_mask);
	suite_add_tcase(s, tc);

	tc = tcase_create("describe");
	tcase_add_loop_test(tc, test_describe, 0,
						(int) (sizeof(desc_cases) / sizeof(desc_cases[0])));
	tcase_add_test(tc, test_describe_truncates);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner    *sr = srunner_create(cron_suite());
	int			failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
