/*-------------------------------------------------------------------------
 *
 * cron_oracle.h
 *		Slow reference calculator and random expressions for the tests.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CRON_ORACLE_H
#define CRON_ORACLE_H

#include "cron.h"

extern bool oracle_day_matches(const CronExpr *e, int64_t y, int m, int d);
extern bool oracle_time_matches(const CronExpr *e, int h, int mi, int s);
/* Next fire time in UTC after `after` (>= 0), scanning at most max_days. */
extern bool oracle_next_utc(const CronExpr *e, int64_t after, int max_days,
							int64_t *out);
extern uint64_t oracle_rand(uint64_t *state);
/* A random valid expression; plain: only forms croner reads too. */
extern void oracle_random_expr(uint64_t *st, char *out, size_t len, bool plain);

#endif
