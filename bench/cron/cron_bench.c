/*-------------------------------------------------------------------------
 *
 * cron_bench.c
 *		Time the cron engine's C core: ns per next-fire-time computation
 *		over the expression set of bench/cron/exprs.tsv.
 *
 * For each expression: parse once, then chains of CHAIN fire times from
 * 2024-01-01 00:00 UTC (each result is the next "after"), repeated for at
 * least MIN_NS of wall time.  Zones come from the C library's zoneinfo
 * (test/c/cron_tz_system.c), as in the unit tests.  Prints one line per
 * expression, "ns<TAB>zone<TAB>expression", and "mean<TAB>ns".
 *
 *-------------------------------------------------------------------------
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cron.h"
#include "cron_tz_system.h"

#define CHAIN	50
#define START	INT64_C(1704067200)	/* 2024-01-01 00:00:00 UTC */
#define MIN_NS	200000000.0		/* 0.2 s per expression */

static double
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int
main(int argc, char **argv)
{
	FILE	   *f = fopen(argc > 1 ? argv[1] : "exprs.tsv", "r");
	char		line[512];
	double		sum = 0;
	int			n = 0;
	volatile int64_t sink = 0;

	if (!f)
	{
		perror("exprs.tsv");
		return 1;
	}
	while (fgets(line, sizeof(line), f))
	{
		char	   *zone = strtok(line, "\t\n");
		char	   *text = strtok(NULL, "\t\n");
		CronExpr	e;
		CronError	err;
		double		t0;
		double		elapsed;
		long		calls = 0;

		if (!zone || zone[0] == '#' || !text)
			continue;
		if (!cron_parse(text, &e, &err))
		{
			fprintf(stderr, "%s: %s\n", text, err.detail);
			return 1;
		}
		cron_tz_system_set(zone);
		t0 = now_ns();
		do
		{
			int			round;

			for (round = 0; round < 100; round++)
			{
				int64_t		t = START;
				int			k;

				for (k = 0; k < CHAIN; k++)
				{
					int64_t		r;

					if (!cron_next(&e, t, &cron_tz_system, &r))
						break;
					t = r;
					calls++;
				}
				sink += t;
			}
			elapsed = now_ns() - t0;
		} while (elapsed < MIN_NS);
		printf("%.1f\t%s\t%s\n", elapsed / calls, zone, text);
		sum += elapsed / calls;
		n++;
	}
	printf("mean\t%.1f\n", sum / n);
	return sink == 42 ? 1 : 0;
}
