/*-------------------------------------------------------------------------
 *
 * cron_next.c
 *		Compute the next fire time of a parsed cron expression.
 *
 * Two layers.
 *
 * cron_next_local() works in local wall-clock time, counted as seconds
 * since 1970-01-01 00:00 as if the zone were UTC, with the proleptic
 * Gregorian calendar.  It finds the smallest matching wall-clock time at
 * or after a given one by jumping field by field: month, then day (from a
 * 31-bit mask of the month's matching days, which folds in L, W, # and the
 * POSIX day-of-month/day-of-week rule), then hour, minute and second, each
 * by a count-trailing-zeros over the field's bitset.  It never steps
 * minute by minute; a call costs a few dozen operations plus one day-mask
 * per month visited.  The calendar repeats every 400 years, so a search
 * that finds nothing within 400 years will never find anything.
 *
 * cron_next() maps wall-clock times to instants through the CronTz
 * interface (one function: the UTC offset in force at an instant), with
 * the daylight-saving rules of doc/cron.md:
 *
 * - Fixed-hour schedules (hour field without "*" or a step): each matching
 *	 wall-clock time fires once.  A time inside a spring-forward gap fires
 *	 at the first instant after the gap; a time that occurs twice in a
 *	 fall-back overlap fires at its first occurrence only.
 * - Wall-clock schedules (hour field with "*" or a step) follow the
 *	 clock: times inside a gap do not occur and are skipped, times inside
 *	 an overlap fire at both occurrences.
 *
 * Wall-clock time c can be resolved to instants by looking at the offsets
 * 16 hours before and after c (no zone's offset is outside +-16 hours, and
 * no zone changes its offset twice within 32 hours): with offsets pa and
 * pb, the instants are among c - pa and c - pb, and each candidate is kept
 * if the zone really has that offset there.
 *
 *-------------------------------------------------------------------------
 */
#include "cron.h"

#include <string.h>

#define CRON_SECS_PER_DAY	86400
#define CRON_TZ_SPAN		57600	/* 16 hours, beyond any UTC offset */
#define CRON_SEARCH_YEARS	401		/* one Gregorian cycle, and a bit */
#define CRON_MAX_ABS_TIME	INT64_C(10000000000000)	/* ~317,000 years */
#define CRON_MAX_ROUNDS		1000	/* bound on wall-time candidates */

static bool cron_next_local(const CronExpr *expr, int64_t from, int64_t *out);
static int	cron_resolve(const CronTz *tz, int64_t c, int64_t inst[2],
						 int64_t *gap_end);
static int64_t cron_transition(const CronTz *tz, int64_t lo, int64_t hi);
static int	cron_days_in_month(int64_t y, int m);

/* Floor division and modulo for possibly negative numerators. */
static inline int64_t
cron_floor_div(int64_t a, int64_t b)
{
	int64_t		q = a / b;

	return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

static inline int
cron_ctz64(uint64_t v)
{
	return __builtin_ctzll(v);
}

/*
 * cron_days_from_civil - days since 1970-01-01 of a proleptic Gregorian
 * date.  Works for any year that keeps the result in range.
 */
int64_t
cron_days_from_civil(int64_t y, int m, int d)
{
	int64_t		era;
	int64_t		yoe;
	int64_t		doy;
	int64_t		doe;

	y -= m <= 2;
	era = cron_floor_div(y, 400);
	yoe = y - era * 400;		/* 0..399 */
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;	/* 0..365 */
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;	/* 0..146096 */
	return era * 146097 + doe - 719468;
}

/*
 * cron_civil_from_days - the inverse of cron_days_from_civil.
 */
void
cron_civil_from_days(int64_t days, int64_t *y, int *m, int *d)
{
	int64_t		z = days + 719468;
	int64_t		era = cron_floor_div(z, 146097);
	int64_t		doe = z - era * 146097; /* 0..146096 */
	int64_t		yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t		doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t		mp = (5 * doy + 2) / 153;

	*d = (int) (doy - (153 * mp + 2) / 5 + 1);
	*m = (int) (mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

/*
 * cron_days_in_month - length of month m (1-12) of year y.
 */
static int
cron_days_in_month(int64_t y, int m)
{
	static const int len[13] = {0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (m == 2 && (y % 4 == 0) && (y % 100 != 0 || y % 400 == 0))
		return 29;
	return len[m];
}

/*
 * cron_day_mask - the days (bits 1-31) of month m of year y on which expr
 * fires, all day-of-month and day-of-week forms and the rule between the
 * two fields applied.
 */
uint32_t
cron_day_mask(const CronExpr *expr, int64_t year, int month)
{
	int			len = cron_days_in_month(year, month);
	uint32_t	valid = (uint32_t) (((uint64_t) 2 << len) - 2);
	int			fw;				/* weekday of day 1, 0 = Sunday */
	uint32_t	dom = 0;
	uint32_t	dow = 0;
	bool		dom_star = (expr->flags & CRON_DOM_STAR) != 0;
	bool		dow_star = (expr->flags & CRON_DOW_STAR) != 0;

	if (dom_star && dow_star)
		return valid;

	{
		int64_t		d1 = cron_days_from_civil(year, month, 1) + 4;

		fw = (int) (d1 - cron_floor_div(d1, 7) * 7);	/* 1970-01-01: Thursday */
	}

	if (!dom_star)
	{
		uint32_t	bits;

		dom = expr->mdays & valid;
		for (bits = expr->mdays_last; bits; bits &= bits - 1)
		{
			int			n = __builtin_ctz(bits);

			if (n < len)
				dom |= (uint32_t) 1 << (len - n);
		}
		if (expr->mday_lw)
		{
			int			wd = (fw + len - 1) % 7;
			int			day = len - (wd == 6 ? 1 : wd == 0 ? 2 : 0);

			dom |= (uint32_t) 1 << day;
		}
		for (bits = expr->mdays_near & valid; bits; bits &= bits - 1)
		{
			int			n = __builtin_ctz(bits);
			int			wd = (fw + n - 1) % 7;
			int			day = n;

			if (wd == 6)
				day = (n == 1) ? 3 : n - 1;
			else if (wd == 0)
				day = (n == len) ? n - 2 : n + 1;
			dom |= (uint32_t) 1 << day;
		}
	}

	if (!dow_star)
	{
		int			w;

		if (expr->wdays)
		{
			uint32_t	week = 0;

			for (w = 0; w < 7; w++)
				if (expr->wdays & (1 << w))
					week |= (uint32_t) 1 << (1 + (w - fw + 7) % 7);
			dow = (week | week << 7 | week << 14 | week << 21 | week << 28) & valid;
		}
		if (expr->wdays_last)
		{
			int			lastwd = (fw + len - 1) % 7;

			for (w = 0; w < 7; w++)
				if (expr->wdays_last & (1 << w))
					dow |= (uint32_t) 1 << (len - (lastwd - w + 7) % 7);
		}
		for (w = 0; w < 7; w++)
		{
			int			first;
			int			k;

			if (!expr->wdays_nth[w])
				continue;
			first = 1 + (w - fw + 7) % 7;
			for (k = 0; k < 5; k++)
				if ((expr->wdays_nth[w] & (1 << k)) && first + 7 * k <= len)
					dow |= (uint32_t) 1 << (first + 7 * k);
		}
	}

	if (dom_star)
		return dow;
	if (dow_star)
		return dom;
	return dom | dow;
}

/*
 * cron_next_local - the smallest matching wall-clock time >= from, in
 * *out.  False if there is none within 400 years (there never will be).
 */
static bool
cron_next_local(const CronExpr *expr, int64_t from, int64_t *out)
{
	int64_t		days = cron_floor_div(from, CRON_SECS_PER_DAY);
	int			sod = (int) (from - days * CRON_SECS_PER_DAY);
	int64_t		y;
	int64_t		ylimit;
	int			m;
	int			d;
	int			h = sod / 3600;
	int			mi = sod / 60 % 60;
	int			s = sod % 60;
	int64_t		mask_y = INT64_MIN;
	int			mask_m = 0;
	uint64_t	mask = 0;

	cron_civil_from_days(days, &y, &m, &d);
	ylimit = y + CRON_SEARCH_YEARS;

	for (;;)
	{
		uint64_t	rest;

		if (y > ylimit)
			return false;

		/* month */
		if (!(expr->months & (1u << m)))
		{
			rest = expr->months & ~((2u << m) - 1);
			if (rest)
				m = cron_ctz64(rest);
			else
			{
				y++;
				m = cron_ctz64(expr->months);
			}
			d = 1;
			h = mi = s = 0;
			continue;
		}

		/* day */
		if (y != mask_y || m != mask_m)
		{
			mask = cron_day_mask(expr, y, m);
			mask_y = y;
			mask_m = m;
		}
		rest = mask & ~(((uint64_t) 1 << d) - 1);
		if (!rest)
		{
			if (++m > 12)
			{
				m = 1;
				y++;
			}
			d = 1;
			h = mi = s = 0;
			continue;
		}
		if (cron_ctz64(rest) != d)
		{
			d = cron_ctz64(rest);
			h = mi = s = 0;
		}

		/* hour */
		rest = expr->hours & ~(((uint64_t) 1 << h) - 1);
		if (!rest)
		{
			d++;
			h = mi = s = 0;
			continue;
		}
		if (cron_ctz64(rest) != h)
		{
			h = cron_ctz64(rest);
			mi = s = 0;
		}

		/* minute */
		rest = expr->minutes & ~(((uint64_t) 1 << mi) - 1);
		if (!rest)
		{
			h++;
			mi = s = 0;
			continue;
		}
		if (cron_ctz64(rest) != mi)
		{
			mi = cron_ctz64(rest);
			s = 0;
		}

		/* second */
		rest = expr->seconds & ~(((uint64_t) 1 << s) - 1);
		if (!rest)
		{
			mi++;
			s = 0;
			continue;
		}
		s = cron_ctz64(rest);

		*out = cron_days_from_civil(y, m, d) * CRON_SECS_PER_DAY +
			h * 3600 + mi * 60 + s;
		return true;
	}
}

static inline int32_t
cron_offset(const CronTz *tz, int64_t t)
{
	return tz->utc_offset(tz->arg, t);
}

/*
 * cron_transition - the first instant in (lo, hi] whose offset differs
 * from lo's, by bisection; hi if the offsets at lo and hi agree.
 */
static int64_t
cron_transition(const CronTz *tz, int64_t lo, int64_t hi)
{
	int32_t		olo = cron_offset(tz, lo);

	if (cron_offset(tz, hi) == olo)
		return hi;
	while (hi - lo > 1)
	{
		int64_t		mid = lo + (hi - lo) / 2;

		if (cron_offset(tz, mid) == olo)
			lo = mid;
		else
			hi = mid;
	}
	return hi;
}

/*
 * cron_resolve - the instants at which the wall clock shows c: returns how
 * many (0, 1 or 2, ascending in inst[]).  For 0 (c falls in a gap),
 * *gap_end is the first instant after the gap.
 */
static int
cron_resolve(const CronTz *tz, int64_t c, int64_t inst[2], int64_t *gap_end)
{
	int32_t		pa = cron_offset(tz, c - CRON_TZ_SPAN);
	int32_t		pb = cron_offset(tz, c + CRON_TZ_SPAN);
	int64_t		ta;
	int64_t		tb;
	bool		va;
	bool		vb;

	if (pa == pb)
	{
		int32_t		o;

		ta = c - pa;
		o = cron_offset(tz, ta);
		if (o == pa)
		{
			inst[0] = ta;
			return 1;
		}
		/* More than one change within 32 hours: settle on what holds. */
		tb = c - o;
		if (cron_offset(tz, tb) == o)
		{
			inst[0] = tb;
			return 1;
		}
		*gap_end = (ta > tb ? ta : tb);
		return 0;
	}

	ta = c - pa;
	tb = c - pb;
	va = cron_offset(tz, ta) == pa;
	vb = cron_offset(tz, tb) == pb;
	if (va && vb)
	{
		inst[0] = ta < tb ? ta : tb;
		inst[1] = ta < tb ? tb : ta;
		return 2;
	}
	if (va || vb)
	{
		inst[0] = va ? ta : tb;
		return 1;
	}
	/* A gap: the change lies between the earlier and later candidate. */
	if (ta < tb)
		*gap_end = cron_transition(tz, ta, tb);
	else
		*gap_end = cron_transition(tz, tb, ta);
	return 0;
}

/*
 * cron_next - the first fire time of expr strictly after instant after,
 * in time zone tz, into *result.  False if the expression never fires
 * again (or is @reboot, which has no fire time).
 */
bool
cron_next(const CronExpr *expr, int64_t after, const CronTz *tz,
		  int64_t *result)
{
	bool		wall = (expr->flags & CRON_WALL_HOURS) != 0;
	int64_t		start;
	int64_t		from;
	int64_t		inst[2];
	int64_t		gap_end;
	int			rounds;

	if (expr->flags & CRON_REBOOT)
		return false;
	if (after >= CRON_MAX_ABS_TIME || after <= -CRON_MAX_ABS_TIME)
		return false;

	start = after + 1;
	from = start + cron_offset(tz, start);

	/*
	 * A wall-clock schedule that starts inside the first pass through a
	 * fall-back overlap: what is left of the first pass comes first; after
	 * it, the wall clock starts the overlap again, so the search goes on
	 * from the beginning of the overlap.
	 */
	if (wall && cron_offset(tz, start + CRON_TZ_SPAN) < from - start &&
		cron_resolve(tz, from, inst, &gap_end) == 2 && inst[0] == start)
	{
		int64_t		t = cron_transition(tz, inst[0], inst[1]);
		int32_t		first_off = cron_offset(tz, inst[0]);
		int64_t		c;

		if (!cron_next_local(expr, from, &c))
			return false;
		if (c < t + first_off)
		{
			*result = c - first_off;
			return true;
		}
		from = t + cron_offset(tz, t);
	}

	for (rounds = 0; rounds < CRON_MAX_ROUNDS; rounds++)
	{
		int64_t		c;
		int			n;

		if (!cron_next_local(expr, from, &c))
			return false;
		n = cron_resolve(tz, c, inst, &gap_end);
		if (n == 1)
		{
			if (inst[0] >= start)
			{
				*result = inst[0];
				return true;
			}
			from = c + 1;
		}
		else if (n == 2)
		{
			if (inst[0] >= start)
			{
				*result = inst[0];
				return true;
			}
			if (wall)
			{
				if (inst[1] >= start)
				{
					*result = inst[1];
					return true;
				}
				from = c + 1;
			}
			else
			{
				/* skip the rest of the overlap: second occurrences */
				int64_t		t = cron_transition(tz, inst[0], inst[1]);
				int64_t		end = t + cron_offset(tz, inst[0]);

				from = end > c ? end : c + 1;
			}
		}
		else
		{
			if (!wall && gap_end >= start)
			{
				*result = gap_end;
				return true;
			}
			/* skip the gap: its wall-clock times never occur */
			{
				int64_t		end = gap_end + cron_offset(tz, gap_end);

				from = end > c ? end : c + 1;
			}
		}
	}
	return false;
}
