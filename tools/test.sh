#!/usr/bin/env bash
# test.sh - everything "make test" runs once the private cluster is up:
# the C unit tests, then the documentation's examples (test/doc/run.pl),
# the pgTAP suite through pg_prove, then the upgrade test
# (test/upgrade/run.sh).  Exits non-zero when anything fails.
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
# Both run even when the first fails: every released version updated to
# this one must give the same database as a fresh install.
status=0
prove test/doc/run.pl || status=1	# the SQL of README.md and doc/, page by page
pg_prove --ext .sql test/sql/${PGJ_TESTS:-*}.sql || status=1
test/upgrade/run.sh || status=1
exit $status
