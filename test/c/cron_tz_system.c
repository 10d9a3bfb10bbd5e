/*-------------------------------------------------------------------------
 *
 * cron_tz_system.c
 *		CronTz over the C library's time-zone code, for the standalone
 *		builds of the cron engine (unit tests, fuzzer, benchmark).
 *
 * The backend uses PostgreSQL's own tz code instead (src/cron_sql.c); both
 * read the IANA database, so they agree for every zone PostgreSQL knows.
 * The zone is process-wide (TZ and tzset()), which is all the standalone
 * programs need: they switch zones between test cases, never in between
 * two calls of one computation.
 *
 *-------------------------------------------------------------------------
 */
#define _DEFAULT_SOURCE
#include "cron_tz_system.h"

#include <stdlib.h>
#include <time.h>

/*
 * cron_tz_system_set - make name (an IANA zone) the zone cron_tz_system
 * reports.
 */
void
cron_tz_system_set(const char *name)
{
	setenv("TZ", name, 1);
	tzset();
}

static int32_t
cron_tz_system_offset(const void *arg, int64_t t)
{
	time_t		tt = (time_t) t;
	struct tm	tm;

	(void) arg;
	if (localtime_r(&tt, &tm) == NULL)
		return 0;
	return (int32_t) tm.tm_gmtoff;
}

static int32_t
cron_tz_utc_offset(const void *arg, int64_t t)
{
	(void) arg;
	(void) t;
	return 0;
}

const CronTz cron_tz_system = {cron_tz_system_offset, NULL};
const CronTz cron_tz_utc = {cron_tz_utc_offset, NULL};
