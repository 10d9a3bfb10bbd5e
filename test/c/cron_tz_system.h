/*-------------------------------------------------------------------------
 *
 * cron_tz_system.h
 *		CronTz implementations for the standalone builds (unit tests,
 *		fuzzer, benchmark): the C library's zoneinfo, and fixed offsets.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CRON_TZ_SYSTEM_H
#define CRON_TZ_SYSTEM_H

#include "cron.h"

/* Select zone name (as in TZ=name) for cron_tz_system; process-wide. */
extern void cron_tz_system_set(const char *name);
extern const CronTz cron_tz_system;

/* UTC, no transitions. */
extern const CronTz cron_tz_utc;

#endif
