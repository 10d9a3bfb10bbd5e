/*-------------------------------------------------------------------------
 *
 * pg_jobmon.c
 *		Module entry point of pg_jobmon.
 *
 * pg_jobmon is mostly PL/pgSQL; its C parts (the cron engine, the capture
 * of server messages) live in files of their own.  This file holds what the
 * shared library needs exactly once.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"

PG_MODULE_MAGIC;
