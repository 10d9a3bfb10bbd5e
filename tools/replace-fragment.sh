#!/usr/bin/env bash
# replace-fragment.sh FROM TO FILE WHY [SQL] - write the update fragment
# sql/updates/FROM--TO/<dir>/<file>.sql (see tools/make-update.sh) for a
# changed source file of functions or views: a comment with WHY, then SQL
# (the DROPs of signatures that changed, say), then the whole file again
# with CREATE OR REPLACE, which keeps the objects' privileges and what
# depends on them.  FILE is a path under sql/, e.g. functions/tick.sql.
# Run it again after each change of FILE; commit the fragment.
set -euo pipefail
cd "$(dirname "$0")/.."

die() { echo "replace-fragment.sh: $*" >&2; exit 1; }
[ $# -ge 4 ] || die "usage: tools/replace-fragment.sh FROM TO FILE WHY [SQL]"
from=$1 to=$2 file=$3 why=$4 sql=${5:-}
case "$file" in functions/*.sql | views/*.sql) ;; *) die "FILE must be functions/*.sql or views/*.sql" ;; esac
[ -f "sql/$file" ] || die "no sql/$file"

out=sql/updates/$from--$to/$file
mkdir -p "$(dirname "$out")"
{
	echo "-- $to: $why; the whole file again."
	[ -z "$sql" ] || printf '%s\n' "$sql"
	echo
	sed -e 's/^CREATE FUNCTION /CREATE OR REPLACE FUNCTION /' \
		-e 's/^CREATE VIEW /CREATE OR REPLACE VIEW /' "sql/$file"
} > "$out"
echo "$out"
