/*-------------------------------------------------------------------------
 *
 * pg_jobmon.h
 *		Declarations shared by the C parts of pg_jobmon.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PG_JOBMON_H
#define PG_JOBMON_H

/* message.c */
extern const char *jobmon_severity_name(int elevel);

#endif							/* PG_JOBMON_H */
