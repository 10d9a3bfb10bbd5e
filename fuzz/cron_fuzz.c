/*-------------------------------------------------------------------------
 *
 * cron_fuzz.c
 *		libFuzzer target for the cron engine: parser, calculator and
 *		describer, under ASan and UBSan.
 *
 * Input layout: byte 0 picks the zone (UTC, Europe/Berlin,
 * America/New_York, or a synthetic zone whose offset changes are read
 * from bytes 1-24), bytes 1-8 the start instant; the rest is the
 * expression.  Besides "no crash, no sanitizer report", it checks that
 * every fire time is after the previous one and, in UTC, that it matches
 * the expression (the slow oracle of test/c decides).  The calculator is
 * bounded, so a hang is a bug too (libFuzzer's -timeout).
 *
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>
#include <string.h>

#include "cron.h"
#include "cron_oracle.h"
#include "cron_tz_system.h"

/* A synthetic zone: up to 4 changes, offsets in quarter hours. */
typedef struct FuzzZone
{
	int			n;
	int64_t		at[4];			/* ascending instants of the changes */
	int32_t		off[5];			/* off[i] before at[i], off[n] after */
} FuzzZone;

static int32_t
fuzz_zone_offset(const void *arg, int64_t t)
{
	const FuzzZone *z = arg;
	int			i;

	for (i = 0; i < z->n; i++)
		if (t < z->at[i])
			return z->off[i];
	return z->off[z->n];
}

static void
fuzz_zone_make(FuzzZone *z, const uint8_t *b, int64_t base)
{
	int			i;
	int64_t		t = base;

	z->n = b[0] % 5;
	for (i = 0; i <= z->n; i++)
		z->off[i] = ((int) (b[1 + i] % 113) - 56) * 900;	/* -14h..+14h */
	for (i = 0; i < z->n; i++)
	{
		/* gaps between changes from 1 second to ~2 days */
		t += 1 + (int64_t) ((b[6 + 2 * i] << 8 | b[7 + 2 * i]) * 2711);
		z->at[i] = t;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int	inited;
	char	   *text;
	CronExpr	e;
	CronError	err;
	char		desc[512];
	CronTz		tz;
	FuzzZone	zone;
	uint64_t	raw = 0;
	int64_t		t;
	int			mode;
	int			k;
	size_t		i;

	if (!inited)
	{
		cron_tz_system_set("Europe/Berlin");
		inited = 1;
	}
	if (size < 9)
		return 0;
	mode = data[0] % 6;
	for (i = 1; i < 9; i++)
		raw = raw << 8 | data[i];
	/* mostly 1900..2100, sometimes anything */
	if (mode < 5)
		t = -2208988800LL + (int64_t) (raw % UINT64_C(6311433600));
	else
		t = (int64_t) raw;

	text = malloc(size - 9 + 1);
	memcpy(text, data + 9, size - 9);
	text[size - 9] = '\0';

	if (cron_parse(text, &e, &err))
	{
		cron_describe(&e, desc, sizeof(desc));
		if (mode == 0 || mode == 5)
			tz = cron_tz_utc;
		else if (mode <= 2)
			tz = cron_tz_system;	/* Berlin */
		else
		{
			fuzz_zone_make(&zone, data + 1, t - 86400);
			tz.utc_offset = fuzz_zone_offset;
			tz.arg = &zone;
		}
		for (k = 0; k < 4; k++)
		{
			int64_t		r;

			if (!cron_next(&e, t, &tz, &r))
				break;
			if (r <= t)
				abort();
			if (tz.utc_offset == cron_tz_utc.utc_offset && r > 0 && r < INT64_C(7258118400))
			{
				int64_t		y;
				int			m,
							d,
							sod = (int) (r % 86400);

				cron_civil_from_days(r / 86400, &y, &m, &d);
				if (!oracle_day_matches(&e, y, m, d) ||
					!oracle_time_matches(&e, sod / 3600, sod / 60 % 60, sod % 60))
					abort();
			}
			t = r;
		}
	}
	else if (err.detail[0] == '\0' || err.hint[0] == '\0')
		abort();
	free(text);
	return 0;
}
