#!/usr/bin/env bash
# test.sh - everything "make test" runs once the private cluster is up:
# the C unit tests, then the pgTAP suite through pg_prove.  Exits non-zero
# when anything fails.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

# C unit tests and the differential test against another cron engine
# need no database.
if [ -f test/c/Makefile ]; then
	make -s -C test/c run
fi
if [ -x test/diff/run.sh ]; then
	test/diff/run.sh
fi

export PGDATABASE=jobmon_test
tools/setup-db.sh "$PGDATABASE"
pg_prove --ext .sql test/sql/${PGJ_TESTS:-*}.sql
