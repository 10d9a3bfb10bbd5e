#!/usr/bin/env bash
# run.sh - upgrade test (part of make test; needs the cluster up, the PG*
# variables set and the extension installed): every earlier version that
# updates/ can build (the baseline and each version an update script starts
# from) installed, then ALTER EXTENSION pg_jobmon UPDATE, must give the same
# database as a fresh install of the current version.  Compared, with a
# unified diff on any difference:
#   schema   pg_dump --schema-only --binary-upgrade of the extension and its
#            schema: binary-upgrade mode is the one that dumps every member
#            object (with its grants and its membership), not just CREATE
#            EXTENSION.  OIDs, xids, pg_dump's comments, SET lines and blank
#            lines are dropped; the dump is cut into pg_dump's per-object
#            blocks ("-- Name: ...; Type: ...") sorted by that header, so
#            only object definitions compare, each as dumped.
#   members  pg_describe_object() of every extension member.
#   data     the extension row (version, schema, config tables and their
#            conditions, by name), the rows of every config table and the
#            row count of every other member table, as the scripts left them.
# Also checks that the installed pg_jobmon scripts are the tree's (a stale
# update script left by an earlier make install would take part in the
# update path).  Then runs from-1x.sh (pg_jobmon 1.x databases updated in
# place).  Prints TAP; exits non-zero on any failure.
set -uo pipefail
dir=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$dir/../.." && pwd)
cd "$top" || exit 1
ext=pg_jobmon
current=$(sed -n "s/^default_version *= *'\(.*\)'/\1/p" $ext.control)
sharedir=$(${PG_CONFIG:-pg_config} --sharedir)/extension

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The versions an update script starts from (pg_jobmon--A--B.sql gives A).
versions=$(ls updates/$ext--*--*.sql 2>/dev/null |
	sed "s|^updates/$ext--\(.*\)--.*\.sql\$|\1|" | sort -uV)
n=0 failed=0
echo "# upgrade test: earlier versions updated to $current, against a fresh install"
echo "1..$((1 + $(echo "$versions" | grep -c .)))"

ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)) failed=$((failed + 1)); echo "not ok $n - $*"; }
diag() { sed 's/^/# /'; }
. "$dir/lib.sh"

# 1. The installed scripts are the tree's.
{
	# sql/: the generated install script and pg_jobmon 1.x's conversions.
	for f in updates/$ext--*.sql sql/$ext--"$current".sql sql/$ext--*--*.sql; do
		[ -f "$f" ] || continue
		cmp -s "$f" "$sharedir/${f##*/}" || echo "$f: not installed as is (run make install)"
	done
	for f in "$sharedir/$ext"--*.sql; do
		[ -f "$f" ] || continue
		[ -f "updates/${f##*/}" ] || [ "${f##*/}" = "$ext--$current.sql" ] ||
			[ -f "sql/${f##*/}" ] ||
			echo "$f: installed, but not in updates/ or generated in sql/ (stale: remove it)"
	done
} > "$work/installed"
if [ -s "$work/installed" ]; then
	not_ok "installed pg_jobmon scripts are the tree's"
	diag < "$work/installed"
else
	ok "installed pg_jobmon scripts are the tree's"
fi

fresh=${ext}_upgrade_fresh
if ! create_db "$fresh" > "$work/fresh.err" 2>&1 ||
	! snapshot "$fresh" "$work/fresh" 2>> "$work/fresh.err"; then
	for v in $versions; do not_ok "upgrade $v -> current: fresh install of $current failed"; done
	diag < "$work/fresh.err"
	exit 1
fi

for v in $versions; do
	label="upgrade $v -> current"
	db=${ext}_upgrade_from_${v//[^0-9a-zA-Z]/_}
	if ! create_db "$db" "$v" > "$work/$v.err" 2>&1; then
		not_ok "$label: CREATE EXTENSION $ext VERSION '$v' failed"
		diag < "$work/$v.err"
		continue
	fi
	if ! q -d "$db" -c "ALTER EXTENSION $ext UPDATE" > "$work/$v.err" 2>&1; then
		not_ok "$label: ALTER EXTENSION $ext UPDATE failed"
		diag < "$work/$v.err"
		continue
	fi
	if ! snapshot "$db" "$work/$v" 2> "$work/$v.err"; then
		not_ok "$label: could not read the updated database"
		diag < "$work/$v.err"
		continue
	fi
	differ=""
	for part in schema members data; do
		if ! diff -q "$work/fresh.$part" "$work/$v.$part" > /dev/null; then
			differ="$differ $part"
		fi
	done
	if [ -z "$differ" ]; then
		ok "$label: same schema as a fresh install"
		drop_db "$db" > /dev/null
	else
		not_ok "$label: differs from a fresh install in:$differ (database $db kept)"
		for part in $differ; do
			diff -u --label "fresh install $current ($part)" --label "$v updated ($part)" \
				"$work/fresh.$part" "$work/$v.$part" | diag
		done
	fi
done
drop_db "$fresh" > /dev/null

if [ "$failed" -eq 0 ]; then
	echo "# upgrade test: all $n passed"
else
	echo "# upgrade test: $failed of $n FAILED"
fi

# pg_jobmon 1.x databases updated in place: a TAP stream of its own.
"$dir/from-1x.sh" || failed=$((failed + 1))
[ "$failed" -eq 0 ]
