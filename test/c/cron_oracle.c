/*-------------------------------------------------------------------------
 *
 * cron_oracle.c
 *		A slow, obvious reference for the cron calculator, and a random
 *		expression generator; used by the unit tests and the fuzzer.
 *
 * The oracle shares only the parser with the engine.  It decides whether
 * a day matches from the definitions (weekday by Sakamoto's method, L, W
 * and # by looking at neighbouring days), then scans seconds one by one
 * within candidate days: fine for checking, far too slow for use.
 * It works in UTC only; the daylight-saving rules are checked with
 * tables derived by hand (cron_test.c, test/sql/42-cron-dst.sql).
 *
 *-------------------------------------------------------------------------
 */
#include "cron_oracle.h"

#include <stdio.h>
#include <string.h>

static bool
oracle_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
oracle_mlen(int64_t y, int m)
{
	static const int len[] = {0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	return (m == 2 && oracle_leap(y)) ? 29 : len[m];
}

/* Sakamoto: 0 = Sunday. */
static int
oracle_weekday(int64_t y, int m, int d)
{
	static const int t[] = {0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4};
	int64_t		r;

	if (m < 3)
		y -= 1;
	r = (y + y / 4 - y / 100 + y / 400 + t[m - 1] + d) % 7;
	if (r < 0)
		r += 7;
	return (int) r;
}

static bool
oracle_is_weekday(int64_t y, int m, int d)
{
	int			w = oracle_weekday(y, m, d);

	return w >= 1 && w <= 5;
}

/* The weekday nearest day n of the month, without leaving the month. */
static int
oracle_nearest(int64_t y, int m, int n)
{
	int			len = oracle_mlen(y, m);

	if (oracle_is_weekday(y, m, n))
		return n;
	if (n > 1 && oracle_is_weekday(y, m, n - 1) && oracle_weekday(y, m, n) == 6)
		return n - 1;
	if (n < len && oracle_is_weekday(y, m, n + 1) && oracle_weekday(y, m, n) == 0)
		return n + 1;
	/* Saturday the 1st: Monday the 3rd; Sunday the last: Friday before */
	return oracle_weekday(y, m, n) == 6 ? n + 2 : n - 2;
}

bool
oracle_day_matches(const CronExpr *e, int64_t y, int m, int d)
{
	int			len = oracle_mlen(y, m);
	int			w = oracle_weekday(y, m, d);
	bool		dom = false;
	bool		dow = false;
	int			n;

	if (!(e->months & (1 << m)))
		return false;
	if (e->mdays & (1u << d))
		dom = true;
	for (n = 0; n < 31; n++)
		if ((e->mdays_last & (1u << n)) && d == len - n)
			dom = true;
	if (e->mday_lw)
	{
		int			last = len;

		while (!oracle_is_weekday(y, m, last))
			last--;
		if (d == last)
			dom = true;
	}
	for (n = 1; n <= len; n++)
		if ((e->mdays_near & (1u << n)) && oracle_nearest(y, m, n) == d)
			dom = true;

	if (e->wdays & (1 << w))
		dow = true;
	if ((e->wdays_last & (1 << w)) && d + 7 > len)
		dow = true;
	if (e->wdays_nth[w] & (1 << ((d - 1) / 7)))
		dow = true;

	if ((e->flags & CRON_DOM_STAR) && (e->flags & CRON_DOW_STAR))
		return true;
	if (e->flags & CRON_DOM_STAR)
		return dow;
	if (e->flags & CRON_DOW_STAR)
		return dom;
	return dom || dow;
}

bool
oracle_time_matches(const CronExpr *e, int h, int mi, int s)
{
	return ((e->hours >> h) & 1) && ((e->minutes >> mi) & 1) &&
		((e->seconds >> s) & 1);
}

/* Days since 1970-01-01, by counting years and months. */
static int64_t
oracle_days(int64_t y, int m, int d)
{
	int64_t		days = 0;
	int64_t		yy;
	int			mm;

	/* whole 400-year cycles first, to keep it quick */
	while (y - 1970 >= 400)
	{
		days += 146097;
		y -= 400;
	}
	for (yy = 1970; yy < y; yy++)
		days += oracle_leap(yy) ? 366 : 365;
	for (mm = 1; mm < m; mm++)
		days += oracle_mlen(y, mm);
	return days + d - 1;
}

bool
oracle_next_utc(const CronExpr *e, int64_t after, int max_days, int64_t *out)
{
	int64_t		t = after + 1;
	int64_t		days = t / 86400;
	int			sod = (int) (t % 86400);
	int64_t		y = 1970;
	int			m = 1;
	int			d = 1;
	int			i;

	if (e->flags & CRON_REBOOT)
		return false;
	/* find y, m, d by walking from 1970 (t >= 0 only) */
	{
		int64_t		left = days;

		while (left >= (oracle_leap(y) ? 366 : 365))
		{
			left -= oracle_leap(y) ? 366 : 365;
			y++;
		}
		while (left >= oracle_mlen(y, m))
		{
			left -= oracle_mlen(y, m);
			m++;
		}
		d = (int) left + 1;
	}
	for (i = 0; i <= max_days; i++)
	{
		if (oracle_day_matches(e, y, m, d))
		{
			int			s;

			for (s = sod; s < 86400; s++)
			{
				if (oracle_time_matches(e, s / 3600, s / 60 % 60, s % 60))
				{
					*out = oracle_days(y, m, d) * 86400 + s;
					return true;
				}
			}
		}
		sod = 0;
		if (++d > oracle_mlen(y, m))
		{
			d = 1;
			if (++m > 12)
			{
				m = 1;
				y++;
			}
		}
	}
	return false;
}

/* xorshift64* */
uint64_t
oracle_rand(uint64_t *state)
{
	uint64_t	x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * UINT64_C(2685821657736338717);
}

static int
oracle_pick(uint64_t *st, int lo, int hi)
{
	return lo + (int) (oracle_rand(st) % (uint64_t) (hi - lo + 1));
}

/*
 * One random item for a field with values lo..hi, in the plain syntax that
 * croner also reads (no wrap-around, no "a/n", steps within range).
 */
static void
oracle_item(uint64_t *st, char *out, size_t len, int lo, int hi, bool plain,
			bool cyclic)
{
	int			kind = oracle_pick(st, 0, plain ? 3 : 5);
	int			a = oracle_pick(st, lo, hi);
	int			b = oracle_pick(st, lo, hi);

	if (a > b)
	{
		int			t = a;

		a = b;
		b = t;
	}
	switch (kind)
	{
		case 0:
			snprintf(out, len, "%d", a);
			break;
		case 1:
			snprintf(out, len, "%d-%d", a, b);
			break;
		case 2:
			snprintf(out, len, "*/%d", oracle_pick(st, 1, (hi - lo + 1) / 2 > 1 ? (hi - lo + 1) / 2 : 1));
			break;
		case 3:
			snprintf(out, len, "%d-%d/%d", a, b, oracle_pick(st, 1, b - a + 1));
			break;
		case 4:
			/* reversed range: wraps (not for day-of-month) */
			if (!cyclic)
				snprintf(out, len, "%d", a);
			else
				snprintf(out, len, "%d-%d", b, a);
			break;
		default:
			snprintf(out, len, "%d/%d", a, oracle_pick(st, 1, hi - a + 1));
			break;
	}
}

static void
oracle_field(uint64_t *st, char *out, size_t len, int lo, int hi, int starodds,
			 bool plain, bool cyclic)
{
	int			n;
	int			i;
	size_t		used = 0;

	if (oracle_pick(st, 0, 99) < starodds)
	{
		snprintf(out, len, "*");
		return;
	}
	n = oracle_pick(st, 1, 3);
	out[0] = '\0';
	for (i = 0; i < n; i++)
	{
		char		item[32];

		oracle_item(st, item, sizeof(item), lo, hi, plain, cyclic);
		used += snprintf(out + used, len - used, "%s%s", i ? "," : "", item);
	}
}

void
oracle_random_expr(uint64_t *st, char *out, size_t len, bool plain)
{
	char		f[6][128];
	int			seconds = oracle_pick(st, 0, 3) == 0;
	int			domkind = oracle_pick(st, 0, 9);
	int			dowkind = oracle_pick(st, 0, 9);

	oracle_field(st, f[0], sizeof(f[0]), 0, 59, 30, plain, true);
	oracle_field(st, f[1], sizeof(f[1]), 0, 59, 20, plain, true);
	oracle_field(st, f[2], sizeof(f[2]), 0, 23, 30, plain, true);
	if (domkind == 0)
		snprintf(f[3], sizeof(f[3]), "L");
	else if (domkind == 1)
		snprintf(f[3], sizeof(f[3]), "%dW", oracle_pick(st, 1, 28));
	else if (domkind == 2)
		snprintf(f[3], sizeof(f[3]), "LW");
	else if (domkind == 3 && !plain)
		snprintf(f[3], sizeof(f[3]), "L-%d", oracle_pick(st, 1, 27));
	else
		oracle_field(st, f[3], sizeof(f[3]), 1, 28, 60, plain, false);
	oracle_field(st, f[4], sizeof(f[4]), 1, 12, 60, plain, true);
	if (dowkind == 0)
		snprintf(f[5], sizeof(f[5]), "%d#%d", oracle_pick(st, 0, 6), oracle_pick(st, 1, 5));
	else if (dowkind == 1)
		snprintf(f[5], sizeof(f[5]), "%d#L", oracle_pick(st, 0, 6));
	else
		oracle_field(st, f[5], sizeof(f[5]), 0, 6, 60, plain, true);

	if (seconds)
		snprintf(out, len, "%s %s %s %s %s %s", f[0], f[1], f[2], f[3], f[4], f[5]);
	else
		snprintf(out, len, "%s %s %s %s %s", f[1], f[2], f[3], f[4], f[5]);
}
