/*-------------------------------------------------------------------------
 *
 * cron_parse.c
 *		Parse and validate a cron expression into a CronExpr.
 *
 * One pass over the text, no allocation: the expression is split into
 * fields at blanks, each field into items at commas, and each item is
 * read by a small recursive-descent reader that sets bits in the field's
 * bitset.  Anything not consumed by the grammar is an error, so nothing is
 * ever accepted and then ignored (pg_cron 1.4 reads "1#2" as "1").
 *
 * Decisions that the syntax leaves open (doc/cron.md repeats them):
 *
 * - Cyclic fields (second, minute, hour, month, day-of-week) accept
 *	 reversed ranges and read them around the cycle: "fri-mon" is Friday,
 *	 Saturday, Sunday, Monday; "22-2" in hours is 22, 23, 0, 1, 2; a step
 *	 keeps counting through the wrap ("22-3/2" is 22, 0, 2).  The day of
 *	 the month is not cyclic (months differ in length): "25-5" is refused.
 * - "a/n" runs from a to the field's maximum (6, Saturday, in
 *	 day-of-week); "*" in day-of-week is 0-6.
 * - A step must be at least 1 and at most the number of values in its
 *	 range ("*\/60" in minutes fires at :00; "*\/61" is refused).
 * - The day-of-month and day-of-week fields count as unrestricted only
 *	 when written exactly "*" or "?"; "*\/1", "1-31" or "0-6" restrict.
 *	 When both are restricted a day matches if either matches (POSIX).
 * - A restricted day-of-month field must be able to match some day of
 *	 some selected month ("0 0 30 2 *" is refused), whatever day-of-week
 *	 says.
 *
 *-------------------------------------------------------------------------
 */
#include "cron.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* How each field reads. */
typedef struct CronFieldSpec
{
	const char *name;			/* as used in messages */
	int			min;			/* smallest value written */
	int			max;			/* largest value written */
	int			star_hi;		/* upper end of "*" and "a/n" */
	int			period;			/* cycle length, 0 if not cyclic */
	const char *const *names;	/* three-letter names, or NULL */
	int			name_base;		/* value of names[0] */
	const char *hint;			/* correct example for errhint */
} CronFieldSpec;

static const char *const cron_month_names[] = {
	"jan", "feb", "mar", "apr", "may", "jun",
	"jul", "aug", "sep", "oct", "nov", "dec", NULL
};
static const char *const cron_dow_names[] = {
	"sun", "mon", "tue", "wed", "thu", "fri", "sat", NULL
};

static const CronFieldSpec cron_specs[6] = {
	{"second", 0, 59, 59, 60, NULL, 0,
	"A seconds field takes 0-59, for example \"*/15 * * * * *\" fires every 15 seconds."},
	{"minute", 0, 59, 59, 60, NULL, 0,
	"A minute field takes 0-59, for example \"*/15 * * * *\" fires every 15 minutes."},
	{"hour", 0, 23, 23, 24, NULL, 0,
	"An hour field takes 0-23, for example \"0 9-17 * * *\" fires on the hour from 09:00 to 17:00."},
	{"day-of-month", 1, 31, 31, 0, NULL, 0,
	"A day-of-month field takes 1-31, L, L-n, nW or LW, for example \"0 0 1,15 * *\" or \"0 0 L * *\"."},
	{"month", 1, 12, 12, 12, cron_month_names, 1,
	"A month field takes 1-12 or jan-dec, for example \"0 0 1 jan,jul *\"."},
	{"day-of-week", 0, 7, 6, 7, cron_dow_names, 0,
	"A day-of-week field takes 0-7 or sun-sat, nL or n#k, for example \"0 8 * * mon-fri\" or \"0 8 * * 5L\"."},
};

static const char *const cron_whole_hint =
"A cron expression has five fields (minute hour day-of-month month day-of-week), for example \"30 2 * * 1-5\", or six with a leading seconds field.";

/* Keywords and what they stand for. */
static const struct
{
	const char *word;
	const char *expansion;		/* NULL for @reboot */
}			cron_keywords[] = {
	{"@yearly", "0 0 1 1 *"},
	{"@annually", "0 0 1 1 *"},
	{"@monthly", "0 0 1 * *"},
	{"@weekly", "0 0 * * 0"},
	{"@daily", "0 0 * * *"},
	{"@midnight", "0 0 * * *"},
	{"@hourly", "0 * * * *"},
	{"@every_minute", "* * * * *"},
	{"@every_second", "* * * * * *"},
	{"@reboot", NULL},
};

/* State of one field being read. */
typedef struct CronReader
{
	const CronFieldSpec *spec;
	CronField	field;
	const char *ftext;			/* the field's text */
	int			flen;			/* its length */
	const char *item;			/* the item being read */
	int			ilen;
	const char *p;				/* cursor inside the item */
	const char *end;			/* end of the item */
	uint64_t	bits;			/* plain values */
	CronExpr   *expr;
	CronError  *err;
} CronReader;

static bool cron_fail(CronError *err, CronField field, const char *hint,
					  const char *fmt,...)
#if defined(__GNUC__)
			__attribute__((format(printf, 4, 5)))
#endif
			;
static bool cron_item_fail(CronReader *r, const char *fmt,...)
#if defined(__GNUC__)
			__attribute__((format(printf, 2, 3)))
#endif
			;
static int	cron_clip(const char *s, int len, int max);
static bool cron_parse_fields(const char *text, CronExpr *expr, CronError *err);
static bool cron_parse_field(CronField field, const char *s, int len,
							 CronExpr *expr, CronError *err);
static bool cron_parse_item(CronReader *r);
static bool cron_read_value(CronReader *r, int *value);
static bool cron_read_number(CronReader *r, int lo, int hi, const char *what,
							 int *value);
static bool cron_check_days_exist(CronExpr *expr, CronError *err,
								  const char *domtext, int domlen);

/*
 * cron_fail - fill *err and return false.  Callers return its result.
 */
static bool
cron_fail(CronError *err, CronField field, const char *hint,
		  const char *fmt,...)
{
	va_list		ap;

	err->field = field;
	va_start(ap, fmt);
	vsnprintf(err->detail, sizeof(err->detail), fmt, ap);
	va_end(ap);
	snprintf(err->hint, sizeof(err->hint), "%s", hint);
	return false;
}

/*
 * cron_item_fail - an error about the item being read: the detail names
 * the field and quotes the item, then gives the reason (fmt).
 */
static bool
cron_item_fail(CronReader *r, const char *fmt,...)
{
	char		reason[200];
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	return cron_fail(r->err, r->field, r->spec->hint,
					 "In the %s field, \"%.*s\" is not valid: %s.",
					 r->spec->name, cron_clip(r->item, r->ilen, 60), r->item,
					 reason);
}

/*
 * cron_clip - the length of the longest prefix of (s, len) of at most max
 * bytes that does not end inside a UTF-8 sequence, so messages quote
 * whole characters.
 */
static int
cron_clip(const char *s, int len, int max)
{
	if (len <= max)
		return len;
	while (max > 0 && (((unsigned char) s[max]) & 0xC0) == 0x80)
		max--;
	return max;
}

/*
 * cron_caseeq - do the n bytes at s equal the lower-case word w, ignoring
 * ASCII case?
 */
static bool
cron_caseeq(const char *s, const char *w, size_t n)
{
	size_t		i;

	for (i = 0; i < n; i++)
		if (tolower((unsigned char) s[i]) != w[i])
			return false;
	return true;
}

static bool
cron_is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
		c == '\v';
}

/*
 * cron_parse - parse text (NUL-terminated) into *expr.  On failure returns
 * false with *err filled in and *expr unspecified.
 */
bool
cron_parse(const char *text, CronExpr *expr, CronError *err)
{
	size_t		len = strlen(text);
	const char *s;
	const char *e;
	int			i;

	memset(expr, 0, sizeof(*expr));
	memset(err, 0, sizeof(*err));
	err->field = CRON_FIELD_NONE;

	if (len > CRON_MAX_EXPR_LEN)
		return cron_fail(err, CRON_FIELD_NONE, cron_whole_hint,
						 "The expression is %zu bytes long; the limit is %d bytes.",
						 len, CRON_MAX_EXPR_LEN);

	s = text;
	e = text + len;
	while (s < e && cron_is_blank(*s))
		s++;
	while (e > s && cron_is_blank(e[-1]))
		e--;
	if (s == e)
		return cron_fail(err, CRON_FIELD_NONE, cron_whole_hint,
						 "The expression is empty.");

	if (*s != '@')
		return cron_parse_fields(text, expr, err);

	for (i = 0; i < (int) (sizeof(cron_keywords) / sizeof(cron_keywords[0])); i++)
	{
		const char *w = cron_keywords[i].word;
		size_t		wl = strlen(w);
		const char *after;

		if ((size_t) (e - s) < wl || !cron_caseeq(s, w, wl))
			continue;
		after = s + wl;
		if (after < e && !cron_is_blank(*after))
			continue;			/* a longer word: keep looking */
		if (after != e)
			return cron_fail(err, CRON_FIELD_NONE,
							 "Write the keyword alone, for example \"@daily\", or five fields instead.",
							 "The keyword \"%s\" cannot be followed by other text.",
							 w);
		if (cron_keywords[i].expansion == NULL)
		{
			expr->flags = CRON_REBOOT;
			return true;
		}
		return cron_parse_fields(cron_keywords[i].expansion, expr, err);
	}
	{
		int			wl = 0;

		while (s + wl < e && !cron_is_blank(s[wl]))
			wl++;
		wl = cron_clip(s, wl, 40);
		return cron_fail(err, CRON_FIELD_NONE,
						 "The keywords are @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly, @every_minute, @every_second and @reboot.",
						 "The keyword \"%.*s\" is not recognized.", wl, s);
	}
}

/*
 * cron_parse_fields - split text at blanks into 5 or 6 fields and read
 * each one.
 */
static bool
cron_parse_fields(const char *text, CronExpr *expr, CronError *err)
{
	const char *fs[7];
	int			fl[7];
	int			n = 0;
	const char *p = text;
	int			first;
	int			i;

	for (;;)
	{
		const char *start;

		while (*p && cron_is_blank(*p))
			p++;
		if (!*p)
			break;
		start = p;
		while (*p && !cron_is_blank(*p))
			p++;
		if (n < 7)
		{
			fs[n] = start;
			fl[n] = (int) (p - start);
		}
		n++;
	}
	if (n != 5 && n != 6)
		return cron_fail(err, CRON_FIELD_NONE, cron_whole_hint,
						 "The expression has %d field%s; a cron expression has 5, or 6 with a leading seconds field.",
						 n, n == 1 ? "" : "s");

	first = (n == 6) ? 0 : 1;
	if (n == 5)
		expr->seconds = 1;		/* second 0 */
	else
		expr->flags |= CRON_HAS_SECONDS;

	for (i = 0; i < n; i++)
	{
		CronField	field = (CronField) (first + i);

		if (!cron_parse_field(field, fs[i], fl[i], expr, err))
			return false;
	}
	return cron_check_days_exist(expr, err, fs[n - 3], fl[n - 3]);
}

/*
 * cron_parse_field - read one field (s, len) into expr.
 */
static bool
cron_parse_field(CronField field, const char *s, int len, CronExpr *expr,
				 CronError *err)
{
	CronReader	r;
	const char *p = s;
	const char *e = s + len;

	memset(&r, 0, sizeof(r));
	r.spec = &cron_specs[field];
	r.field = field;
	r.ftext = s;
	r.flen = len;
	r.expr = expr;
	r.err = err;

	if (len == 1 && (*s == '*' || *s == '?'))
	{
		if (*s == '?' && field != CRON_FIELD_DOM && field != CRON_FIELD_DOW)
			return cron_fail(err, field, r.spec->hint,
							 "In the %s field, \"?\" is not valid: \"?\" is only allowed in the day-of-month and day-of-week fields.",
							 r.spec->name);
		if (field == CRON_FIELD_DOM)
			expr->flags |= CRON_DOM_STAR;
		if (field == CRON_FIELD_DOW)
			expr->flags |= CRON_DOW_STAR;
	}
	if (field == CRON_FIELD_HOUR && (memchr(s, '*', len) || memchr(s, '/', len)))
		expr->flags |= CRON_WALL_HOURS;

	/* "?" alone means "*"; elsewhere the item reader refuses it. */
	if (len == 1 && *s == '?')
	{
		r.item = "*";
		r.ilen = 1;
		r.p = r.item;
		r.end = r.item + 1;
		if (!cron_parse_item(&r))
			return false;
	}
	else
	{
		for (;;)
		{
			const char *c = memchr(p, ',', e - p);
			const char *ie = c ? c : e;

			r.item = p;
			r.ilen = (int) (ie - p);
			r.p = p;
			r.end = ie;
			if (r.ilen == 0)
				return cron_fail(err, field, r.spec->hint,
								 "The %s field \"%.*s\" has an empty list item.",
								 r.spec->name, cron_clip(s, len, 60), s);
			if (!cron_parse_item(&r))
				return false;
			if (!c)
				break;
			p = c + 1;
		}
	}

	switch (field)
	{
		case CRON_FIELD_SECOND:
			expr->seconds = r.bits;
			break;
		case CRON_FIELD_MINUTE:
			expr->minutes = r.bits;
			break;
		case CRON_FIELD_HOUR:
			expr->hours = (uint32_t) r.bits;
			break;
		case CRON_FIELD_DOM:
			expr->mdays = (uint32_t) r.bits;
			break;
		case CRON_FIELD_MONTH:
			expr->months = (uint16_t) r.bits;
			break;
		case CRON_FIELD_DOW:
			expr->wdays = (uint8_t) r.bits;
			break;
		default:
			break;
	}
	return true;
}

static bool
cron_at(CronReader *r, char c)
{
	return r->p < r->end && toupper((unsigned char) *r->p) == c;
}

/*
 * cron_read_number - read decimal digits at the cursor, which must hold a
 * value in lo..hi; what names the value in messages.
 */
static bool
cron_read_number(CronReader *r, int lo, int hi, const char *what, int *value)
{
	long		v = 0;
	int			digits = 0;

	if (r->p >= r->end || !isdigit((unsigned char) *r->p))
	{
		if (r->p >= r->end)
			return cron_item_fail(r, "%s is missing", what);
		return cron_item_fail(r, "\"%.*s\" is unexpected where %s should be",
							  cron_clip(r->p, (int) (r->end - r->p), 20), r->p, what);
	}
	while (r->p < r->end && isdigit((unsigned char) *r->p))
	{
		if (digits < 9)
			v = v * 10 + (*r->p - '0');
		digits++;
		r->p++;
	}
	if (digits > 9 || v < lo || v > hi)
		return cron_item_fail(r, "%s must be between %d and %d", what, lo, hi);
	*value = (int) v;
	return true;
}

/*
 * cron_read_value - read a number or a three-letter name at the cursor.
 */
static bool
cron_read_value(CronReader *r, int *value)
{
	const CronFieldSpec *spec = r->spec;

	if (r->p < r->end && isalpha((unsigned char) *r->p))
	{
		int			i;

		if (spec->names && r->end - r->p >= 3)
		{
			for (i = 0; spec->names[i]; i++)
			{
				if (cron_caseeq(r->p, spec->names[i], 3))
				{
					r->p += 3;
					*value = spec->name_base + i;
					return true;
				}
			}
		}
		if (r->field == CRON_FIELD_DOW && toupper((unsigned char) *r->p) == 'L')
			return cron_item_fail(r, "\"L\" in the day-of-week field follows a weekday, as in 5L for the last Friday of the month");
		if (r->field == CRON_FIELD_DOM &&
			(toupper((unsigned char) *r->p) == 'L' || toupper((unsigned char) *r->p) == 'W'))
			return cron_item_fail(r, "\"%c\" cannot be combined with a range, a step or \"*\"",
								  toupper((unsigned char) *r->p));
		if (spec->names)
			return cron_item_fail(r, "names are the first three letters in English (%s)",
								  spec->names == cron_month_names ? "jan-dec" : "sun-sat");
		if (toupper((unsigned char) *r->p) == 'L' || toupper((unsigned char) *r->p) == 'W')
			return cron_item_fail(r, "\"%c\" is only allowed in the day-of-month and day-of-week fields",
								  toupper((unsigned char) *r->p));
		return cron_item_fail(r, "the %s field takes numbers only", spec->name);
	}
	if (r->p < r->end && (*r->p == '#' || *r->p == '$'))
		return cron_item_fail(r, "\"%c\" is only allowed in the %s field",
							  *r->p, *r->p == '#' ? "day-of-week" : "day-of-month");
	return cron_read_number(r, spec->min, spec->max, "a value", value);
}

/*
 * cron_parse_item - read one list item: "*", "a", "a-b", with an optional
 * "/n", or one of the day specials.
 */
static bool
cron_parse_item(CronReader *r)
{
	const CronFieldSpec *spec = r->spec;
	CronExpr   *expr = r->expr;
	bool		star = false;
	bool		range = false;
	int			lo = 0;
	int			hi = 0;
	int			step = 1;
	int			count;
	int			k;

	/* Day-of-month specials: L, $, L-n, LW, nW. */
	if (r->field == CRON_FIELD_DOM)
	{
		if (r->ilen == 1 && (*r->p == '$' || toupper((unsigned char) *r->p) == 'L'))
		{
			expr->mdays_last |= 1;
			return true;
		}
		if (cron_at(r, 'L'))
		{
			int			n;

			r->p++;
			if (cron_at(r, 'W') && r->p + 1 == r->end)
			{
				expr->mday_lw = 1;
				return true;
			}
			if (r->p < r->end && *r->p == '-')
			{
				r->p++;
				if (!cron_read_number(r, 1, 30, "the number of days before the last day", &n))
					return false;
				if (r->p != r->end)
					return cron_item_fail(r, "\"%.*s\" is unexpected after L-%d",
										  cron_clip(r->p, (int) (r->end - r->p), 40), r->p, n);
				expr->mdays_last |= (uint32_t) 1 << n;
				return true;
			}
			return cron_item_fail(r, "L stands alone, as L-n (n days before the last day) or as LW");
		}
		if (r->p < r->end && isdigit((unsigned char) *r->p))
		{
			const char *q = r->p;

			while (q < r->end && isdigit((unsigned char) *q))
				q++;
			if (q + 1 == r->end && toupper((unsigned char) *q) == 'W')
			{
				int			n;

				if (!cron_read_number(r, 1, 31, "the day before W", &n))
					return false;
				expr->mdays_near |= (uint32_t) 1 << n;
				return true;
			}
		}
	}

	/* The base: "*" or a value or a range. */
	if (r->p < r->end && *r->p == '*')
	{
		star = true;
		r->p++;
		lo = spec->min;
		hi = spec->star_hi;
	}
	else if (r->p < r->end && *r->p == '?')
		return cron_item_fail(r, "\"?\" must be the whole field");
	else
	{
		if (!cron_read_value(r, &lo))
			return false;
		hi = lo;
		if (r->p < r->end && *r->p == '-')
		{
			r->p++;
			if (r->p < r->end && *r->p == '*')
				return cron_item_fail(r, "a range ends with a value, not \"*\"");
			if (!cron_read_value(r, &hi))
				return false;
			range = true;
		}
	}

	/* Day-of-week specials: nL, n#k, n#L. */
	if (r->field == CRON_FIELD_DOW && !star && !range && r->p < r->end &&
		(cron_at(r, 'L') || *r->p == '#'))
	{
		int			wd = lo % 7;

		if (cron_at(r, 'L'))
		{
			r->p++;
			if (r->p != r->end)
				return cron_item_fail(r, "nothing may follow \"L\"");
			expr->wdays_last |= (uint8_t) (1 << wd);
			return true;
		}
		r->p++;					/* '#' */
		if (cron_at(r, 'L') && r->p + 1 == r->end)
		{
			expr->wdays_last |= (uint8_t) (1 << wd);
			return true;
		}
		if (!cron_read_number(r, 1, 5, "the occurrence after \"#\"", &k))
			return false;
		if (r->p != r->end)
			return cron_item_fail(r, "\"%.*s\" is unexpected after the occurrence",
								  cron_clip(r->p, (int) (r->end - r->p), 40), r->p);
		expr->wdays_nth[wd] |= (uint8_t) (1 << (k - 1));
		return true;
	}

	/* Step. */
	if (r->p < r->end && *r->p == '/')
	{
		r->p++;
		if (!cron_read_number(r, 0, 1000000, "the step", &step))
			return false;
		if (step == 0)
			return cron_item_fail(r, "the step must be at least 1");
		if (!star && !range)
		{
			/* "a/n": from a to the field's maximum */
			if (r->field == CRON_FIELD_DOW && lo == 7)
				lo = 0;
			hi = spec->star_hi;
			if (lo > hi)
				return cron_item_fail(r, "\"%d/n\" needs a start of at most %d",
									  lo, hi);
			range = true;
		}
	}

	if (r->p != r->end)
	{
		char		c = *r->p;

		if (toupper((unsigned char) c) == 'L' || toupper((unsigned char) c) == 'W' || c == '#')
		{
			if ((r->field == CRON_FIELD_DOM && toupper((unsigned char) c) != '#') ||
				(r->field == CRON_FIELD_DOW && c != 'W' && c != 'w'))
				return cron_item_fail(r, "\"%c\" cannot be combined with a range, a step or \"*\"",
									  toupper((unsigned char) c));
			return cron_item_fail(r, "\"%c\" is not allowed in the %s field",
								  toupper((unsigned char) c), spec->name);
		}
		return cron_item_fail(r, "\"%.*s\" is unexpected",
							  cron_clip(r->p, (int) (r->end - r->p), 40), r->p);
	}

	if (!star && !range)
	{
		if (r->field == CRON_FIELD_DOW)
			lo %= 7;
		r->bits |= (uint64_t) 1 << lo;
		return true;
	}

	/* Expand the range, around the cycle when reversed. */
	if (lo > hi && r->field == CRON_FIELD_DOW)
	{
		lo %= 7;
		hi %= 7;
	}
	if (lo <= hi)
		count = hi - lo + 1;
	else if (spec->period == 0)
		return cron_item_fail(r, "the range is reversed, and the %s does not wrap around",
							  spec->name);
	else
		count = hi - lo + spec->period + 1;
	if (step > count)
		return cron_item_fail(r, "the step %d is larger than the %d value%s of the range",
							  step, count, count == 1 ? "" : "s");
	for (k = 0; k < count; k += step)
	{
		int			v = lo + k;

		if (r->field == CRON_FIELD_DOW)
			v %= 7;
		else if (v > spec->max)
			v -= spec->period;
		r->bits |= (uint64_t) 1 << v;
	}
	return true;
}

/*
 * cron_check_days_exist - refuse a restricted day-of-month field that
 * matches no day of any selected month (leap years count).
 */
static bool
cron_check_days_exist(CronExpr *expr, CronError *err, const char *domtext,
					  int domlen)
{
	static const int maxlen[13] = {0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int			m;

	if (expr->flags & CRON_DOM_STAR)
		return true;
	if (expr->mday_lw || (expr->mdays_last & 1))
		return true;
	for (m = 1; m <= 12; m++)
	{
		uint32_t	valid = ((uint32_t) 2 << maxlen[m]) - 2;	/* bits 1..len */

		if (!(expr->months & (1 << m)))
			continue;
		if ((expr->mdays & valid) || (expr->mdays_near & valid) ||
			(expr->mdays_last & (((uint32_t) 1 << maxlen[m]) - 1)))
			return true;
	}
	return cron_fail(err, CRON_FIELD_DOM,
					 "Choose days that the selected months have, for example \"0 0 L 2 *\" for the last day of February.",
					 "The day-of-month field \"%.*s\" matches no day of the selected months, so the expression would never fire.",
					 cron_clip(domtext, domlen, 60), domtext);
}
