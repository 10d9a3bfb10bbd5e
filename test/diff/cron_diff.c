/*-------------------------------------------------------------------------
 *
 * cron_diff.c
 *		Case generator for the differential test against croner: random
 *		valid expressions (only forms croner reads too), random start
 *		times and zones, and this engine's next fire times for each.
 *
 * Usage: cron_diff COUNT SEED > cases.jsonl
 * Each line: {"e": expr, "z": zone, "t": start, "r": [t1, ...], "g": [...]}
 * with times in seconds since 1970 UTC; "g" lists the indexes in "r" of
 * fire times that end a spring-forward gap (a fixed-hour time that fell in
 * the gap).  compare.mjs runs croner on the same.
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>

#include "cron.h"
#include "cron_oracle.h"
#include "cron_tz_system.h"

#define RUNS 5

/*
 * near_change - an instant up to 30 hours before the first offset change
 * of the current zone in the 200 days after t (t itself if none).
 */
static int64_t
near_change(int64_t t, uint64_t *st)
{
	int32_t		off = cron_tz_system.utc_offset(NULL, t);
	int64_t		lo = t;
	int64_t		hi;
	int			day;

	for (day = 1; day <= 200; day++)
	{
		hi = t + (int64_t) day * 86400;
		if (cron_tz_system.utc_offset(NULL, hi) != off)
		{
			while (hi - lo > 1)
			{
				int64_t		mid = lo + (hi - lo) / 2;

				if (cron_tz_system.utc_offset(NULL, mid) == off)
					lo = mid;
				else
					hi = mid;
			}
			return hi - 1 - (int64_t) (oracle_rand(st) % (30 * 3600));
		}
		lo = hi;
	}
	return t;
}

int
main(int argc, char **argv)
{
	static const char *const zones[] = {"UTC", "Europe/Berlin", "America/New_York"};
	int			count = argc > 1 ? atoi(argv[1]) : 1000;
	uint64_t	st = argc > 2 ? strtoull(argv[2], NULL, 10) * 2654435761u + 1 : 1;
	int			z;

	for (z = 0; z < 3; z++)
	{
		int			i;

		cron_tz_system_set(zones[z]);
		for (i = 0; i < count; i++)
		{
			char		text[400];
			CronExpr	e;
			CronError	err;
			/* 2000-01-01 .. 2040-01-01, on a whole second */
			int64_t		t = 946684800 + (int64_t) (oracle_rand(&st) % UINT64_C(1262304000));
			int			k;

			/* every other case starts up to 30 hours before a change */
			if (z > 0 && i % 2 == 1)
				t = near_change(t, &st);

			oracle_random_expr(&st, text, sizeof(text), true);
			if (!cron_parse(text, &e, &err))
			{
				fprintf(stderr, "generated an invalid expression \"%s\": %s\n", text, err.detail);
				return 1;
			}
			int			ngap = 0;
			int			gaps[RUNS];

			printf("{\"e\":\"%s\",\"z\":\"%s\",\"t\":%lld,\"r\":[", text, zones[z], (long long) t);
			for (k = 0; k < RUNS; k++)
			{
				int64_t		r;
				int32_t		off;
				int64_t		local;
				int64_t		y;
				int			m,
							d,
							sod;

				if (!cron_next(&e, t, &cron_tz_system, &r))
					break;
				printf("%s%lld", k ? "," : "", (long long) r);
				off = cron_tz_system.utc_offset(NULL, r);
				local = r + off;
				cron_civil_from_days(local / 86400, &y, &m, &d);
				sod = (int) (local % 86400);
				if (cron_tz_system.utc_offset(NULL, r - 1) < off &&
					!(oracle_day_matches(&e, y, m, d) &&
					  oracle_time_matches(&e, sod / 3600, sod / 60 % 60, sod % 60)))
					gaps[ngap++] = k;
				t = r;
			}
			printf("],\"g\":[");
			for (k = 0; k < ngap; k++)
				printf("%s%d", k ? "," : "", gaps[k]);
			printf("]}\n");
		}
	}
	return 0;
}
