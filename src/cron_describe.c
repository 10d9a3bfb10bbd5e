/*-------------------------------------------------------------------------
 *
 * cron_describe.c
 *		Describe a parsed cron expression in English.
 *
 * The description is built from the parsed bitsets, not from the text, so
 * equivalent expressions read the same ("*\/15" and "0,15,30,45" are both
 * "every 15 minutes").  It is a sentence without a final period, for
 * example "At 02:30, Monday through Friday".  Output is truncated to
 * buflen; no allocation.
 *
 *-------------------------------------------------------------------------
 */
#include "cron.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* A bounded string builder. */
typedef struct CronBuf
{
	char	   *s;
	size_t		len;
	size_t		cap;
} CronBuf;

static const char *const cron_month_long[] = {
	"", "January", "February", "March", "April", "May", "June", "July",
	"August", "September", "October", "November", "December"
};
static const char *const cron_dow_long[] = {
	"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
	"Saturday"
};

static void cron_buf_add(CronBuf *b, const char *fmt,...)
#if defined(__GNUC__)
			__attribute__((format(printf, 2, 3)))
#endif
			;

static void
cron_buf_add(CronBuf *b, const char *fmt,...)
{
	va_list		ap;
	int			n;

	if (b->len + 1 >= b->cap)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	b->len += (size_t) n;
	if (b->len >= b->cap)
		b->len = b->cap - 1;
}

static int
cron_popcount(uint64_t v)
{
	return __builtin_popcountll(v);
}

static const char *
cron_ordinal_suffix(int n)
{
	if (n % 100 >= 11 && n % 100 <= 13)
		return "th";
	switch (n % 10)
	{
		case 1:
			return "st";
		case 2:
			return "nd";
		case 3:
			return "rd";
		default:
			return "th";
	}
}

/*
 * cron_step_of - if bits (within lo..hi) are lo+a, lo+a+s, ... up to the
 * last one that fits, with at least two values and s > 1, return s and
 * the first value in *first; else 0.
 */
static int
cron_step_of(uint64_t bits, int lo, int hi, int *first)
{
	int			a;
	int			b;
	int			s;
	int			v;

	if (cron_popcount(bits) < 2)
		return 0;
	a = __builtin_ctzll(bits);
	b = __builtin_ctzll(bits & (bits - 1));
	s = b - a;
	if (s < 2)
		return 0;
	for (v = lo; v <= hi; v++)
	{
		bool		want = v >= a && (v - a) % s == 0;

		if (want != ((bits >> v) & 1))
			return 0;
	}
	*first = a;
	return s;
}

/*
 * cron_add_list - append the values of bits (lo..hi) as runs, "1, 5
 * through 9 and 20"; names (indexed by value) replace numbers when given.
 * With cyclic, a run may wrap from hi to lo.
 */
static void
cron_add_list(CronBuf *b, uint64_t bits, int lo, int hi,
			  const char *const *names, bool cyclic)
{
	int			starts[64];
	int			ends[64];
	int			nruns = 0;
	int			origin = lo;
	int			i;
	int			span = hi - lo + 1;

	if (cyclic && ((bits >> lo) & 1) && ((bits >> hi) & 1) &&
		cron_popcount(bits) < span)
	{
		/* begin at the start of the run that wraps */
		origin = hi;
		while ((bits >> (origin - 1)) & 1)
			origin--;
	}
	for (i = 0; i < span; i++)
	{
		int			v = lo + (origin - lo + i) % span;
		int			prev = lo + (origin - lo + i + span - 1) % span;

		if (!((bits >> v) & 1))
			continue;
		if (i > 0 && ((bits >> prev) & 1) && nruns > 0)
			ends[nruns - 1] = v;
		else
		{
			starts[nruns] = v;
			ends[nruns] = v;
			nruns++;
		}
	}
	for (i = 0; i < nruns; i++)
	{
		if (i > 0)
			cron_buf_add(b, i == nruns - 1 ? " and " : ", ");
		if (names)
			cron_buf_add(b, "%s", names[starts[i]]);
		else
			cron_buf_add(b, "%d", starts[i]);
		if (ends[i] != starts[i])
		{
			bool		adjacent = (ends[i] == starts[i] + 1) ||
			(starts[i] == hi && ends[i] == lo);

			if (names)
				cron_buf_add(b, adjacent ? " and %s" : " through %s", names[ends[i]]);
			else
				cron_buf_add(b, adjacent ? " and %d" : " through %d", ends[i]);
		}
	}
}

/*
 * cron_add_unit - "every minute", "every 15 minutes", "at minute 5",
 * "at minutes 0 and 30", for a seconds, minutes or hours set.
 */
static void
cron_add_unit(CronBuf *b, uint64_t bits, int hi, const char *unit)
{
	uint64_t	all = ((uint64_t) 2 << hi) - 1;
	int			first;
	int			step;

	if (bits == all)
		cron_buf_add(b, "every %s", unit);
	else if ((step = cron_step_of(bits, 0, hi, &first)) > 0)
	{
		cron_buf_add(b, "every %d %ss", step, unit);
		if (first != 0)
			cron_buf_add(b, " starting at %s %d", unit, first);
	}
	else
	{
		cron_buf_add(b, "at %s%s ", unit, cron_popcount(bits) > 1 ? "s" : "");
		cron_add_list(b, bits, 0, hi, NULL, true);
	}
}

/*
 * cron_describe - write an English description of expr into buf.
 */
void
cron_describe(const CronExpr *expr, char *buf, size_t buflen)
{
	CronBuf		b = {buf, 0, buflen};
	bool		one_sec = cron_popcount(expr->seconds) == 1;
	bool		one_min = cron_popcount(expr->minutes) == 1;
	int			nhours = cron_popcount(expr->hours);
	bool		dom_star = (expr->flags & CRON_DOM_STAR) != 0;
	bool		dow_star = (expr->flags & CRON_DOW_STAR) != 0;
	int			i;

	if (buflen == 0)
		return;
	buf[0] = '\0';
	if (expr->flags & CRON_REBOOT)
	{
		cron_buf_add(&b, "At scheduler start");
		return;
	}

	/* time of day */
	if (one_sec && one_min && nhours <= 6)
	{
		int			s = __builtin_ctzll(expr->seconds);
		int			m = __builtin_ctzll(expr->minutes);
		int			k = 0;

		cron_buf_add(&b, "At ");
		for (i = 0; i < 24; i++)
		{
			if (!((expr->hours >> i) & 1))
				continue;
			if (k > 0)
				cron_buf_add(&b, k == nhours - 1 ? " and " : ", ");
			cron_buf_add(&b, "%02d:%02d", i, m);
			if (s != 0)
				cron_buf_add(&b, ":%02d", s);
			k++;
		}
	}
	else
	{
		bool		sec_shown = expr->seconds != 1;
		uint64_t	all60 = ((uint64_t) 1 << 60) - 1;

		if (sec_shown)
			cron_add_unit(&b, expr->seconds, 59, "second");
		if (!sec_shown || expr->minutes != all60)
		{
			if (sec_shown)
				cron_buf_add(&b, ", ");
			cron_add_unit(&b, expr->minutes, 59, "minute");
		}
		if (expr->hours == 0xFFFFFFu)
		{
			if (one_min && !sec_shown)
				cron_buf_add(&b, " of every hour");
		}
		else
		{
			int			first;
			int			step = cron_step_of(expr->hours, 0, 23, &first);

			cron_buf_add(&b, ", ");
			if (step > 0)
			{
				cron_buf_add(&b, "every %d hours", step);
				if (first != 0)
					cron_buf_add(&b, " starting at hour %d", first);
			}
			else
			{
				cron_buf_add(&b, "hour%s ", nhours > 1 ? "s" : "");
				cron_add_list(&b, expr->hours, 0, 23, NULL, true);
			}
		}
		if (b.len > 0 && buf[0] >= 'a' && buf[0] <= 'z')
			buf[0] = (char) (buf[0] - 'a' + 'A');
	}

	/* days */
	if (!dom_star)
	{
		bool		any = false;
		uint32_t	bits;

		cron_buf_add(&b, ", ");
		if (expr->mdays)
		{
			cron_buf_add(&b, "on day%s ", cron_popcount(expr->mdays) > 1 ? "s" : "");
			cron_add_list(&b, expr->mdays, 1, 31, NULL, false);
			cron_buf_add(&b, " of the month");
			any = true;
		}
		for (bits = expr->mdays_last; bits; bits &= bits - 1)
		{
			int			n = __builtin_ctz(bits);

			cron_buf_add(&b, "%s", any ? " and " : "");
			if (n == 0)
				cron_buf_add(&b, "on the last day of the month");
			else
				cron_buf_add(&b, "%d day%s before the last day of the month",
							 n, n > 1 ? "s" : "");
			any = true;
		}
		if (expr->mday_lw)
		{
			cron_buf_add(&b, "%son the last weekday of the month", any ? " and " : "");
			any = true;
		}
		for (bits = expr->mdays_near; bits; bits &= bits - 1)
		{
			int			n = __builtin_ctz(bits);

			cron_buf_add(&b, "%son the weekday nearest day %d of the month",
						 any ? " and " : "", n);
			any = true;
		}
	}
	if (!dow_star)
	{
		bool		any = false;
		int			w;

		cron_buf_add(&b, dom_star ? ", " : " or ");
		if (expr->wdays)
		{
			if (expr->wdays == 0x7F)
				cron_buf_add(&b, "every day of the week");
			else
				cron_add_list(&b, expr->wdays, 0, 6, cron_dow_long, true);
			any = true;
		}
		for (w = 0; w < 7; w++)
		{
			int			k;

			if (expr->wdays_last & (1 << w))
			{
				cron_buf_add(&b, "%son the last %s of the month",
							 any ? " and " : "", cron_dow_long[w]);
				any = true;
			}
			for (k = 1; k <= 5; k++)
			{
				if (expr->wdays_nth[w] & (1 << (k - 1)))
				{
					cron_buf_add(&b, "%son the %d%s %s of the month",
								 any ? " and " : "", k, cron_ordinal_suffix(k),
								 cron_dow_long[w]);
					any = true;
				}
			}
		}
	}
	if (expr->months != 0x1FFE)
	{
		cron_buf_add(&b, ", in ");
		cron_add_list(&b, expr->months, 1, 12, cron_month_long, true);
	}
}
