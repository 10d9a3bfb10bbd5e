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
# update path).  Prints TAP; exits non-zero on any failure.
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
q() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }

# 1. The installed scripts are the tree's.
{
	for f in updates/$ext--*.sql sql/$ext--"$current".sql; do
		[ -f "$f" ] || continue
		cmp -s "$f" "$sharedir/${f##*/}" || echo "$f: not installed as is (run make install)"
	done
	for f in "$sharedir/$ext"--*.sql; do
		[ -f "$f" ] || continue
		[ -f "updates/${f##*/}" ] || [ "${f##*/}" = "$ext--$current.sql" ] ||
			echo "$f: installed, but not in updates/ (stale: remove it)"
	done
} > "$work/installed"
if [ -s "$work/installed" ]; then
	not_ok "installed pg_jobmon scripts are the tree's"
	diag < "$work/installed"
else
	ok "installed pg_jobmon scripts are the tree's"
fi

# create_db DB [VERSION]: as tools/setup-db.sh (pgTAP aside), at VERSION.
create_db() {
	q -d postgres <<-SQL
	SET client_min_messages = warning;
	DROP DATABASE IF EXISTS "$1" WITH (FORCE);
	CREATE DATABASE "$1";
	SQL
	q -d "$1" <<-SQL
	SET client_min_messages = warning;
	CREATE EXTENSION dblink SCHEMA public;
	CREATE SCHEMA jobmon;
	CREATE EXTENSION $ext ${2:+VERSION '$2'} SCHEMA jobmon;
	SQL
}

drop_db() {
	q -d postgres -c "DROP DATABASE IF EXISTS \"$1\" WITH (FORCE)"
}

# snapshot DB OUT: OUT.schema, OUT.members, OUT.data
snapshot() {
	pg_dump --schema-only --binary-upgrade --extension=$ext --schema=jobmon -d "$1" |
		LC_ALL=C awk -v OFS='\t' '
		function out(line) { if (held) print key, seq++, hold; hold = line; held = 1 }
		/^-- Name: / { out(""); held = 0; key = $0; seq = 0; out($0); next }
		/^--( |$)/ || /^$/ { next }
		/^SET / || /^SELECT pg_catalog\.set_config\(/ { next }
		/^\\(un)?restrict / { next }
		/binary_upgrade_set_next_|binary_upgrade_set_missing_value/ { next }
		/^WHERE oid = .[0-9]+.;$/ { next }
		/binary_upgrade_create_empty_extension/ {
			sub(/\x27\{[0-9,]*\}\x27/, "\x27{config table oids}\x27")
		}
		# Columns an update dropped survive in a binary-upgrade dump: drop
		# them from CREATE TABLE (and the comma before a last one) and drop
		# the statements that recreate them.
		/^UPDATE pg_catalog\.pg_attribute$/ { skip = 1 }
		skip { if (/;$/) skip = 0; next }
		/^ALTER TABLE ONLY .* DROP COLUMN "\.+pg\.dropped\.[0-9]+\.+";$/ { next }
		/^    "\.+pg\.dropped\.[0-9]+\.+" / { if (!/,$/) sub(/,$/, "", hold); next }
		{ out($0) }
		END { out("") }
		' | LC_ALL=C sort -s -t "$(printf '\t')" -k1,1 | cut -f3- > "$2.schema" || return 1

	q -A -t -d "$1" > "$2.members" <<-SQL || return 1
	SELECT pg_catalog.pg_describe_object(classid, objid, objsubid)
	FROM pg_catalog.pg_depend
	WHERE refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass
	  AND refobjid = (SELECT oid FROM pg_catalog.pg_extension WHERE extname = '$ext')
	  AND deptype = 'e'
	ORDER BY 1;
	SQL

	q -A -t -d "$1" > "$2.data" <<-SQL
	SET search_path = pg_catalog;
	SELECT format('extension %s %s in schema %s, relocatable %s',
	              extname, extversion, extnamespace::regnamespace, extrelocatable)
	FROM pg_extension WHERE extname = '$ext';
	SELECT format('config %s %L', c::regclass, cond)
	FROM pg_extension e, unnest(e.extconfig, e.extcondition) WITH ORDINALITY AS u(c, cond, i)
	WHERE e.extname = '$ext' ORDER BY i;
	SELECT CASE WHEN c.relkind = 'S'
	       THEN format('SELECT %L || last_value || %L || is_called FROM %s;',
	                   c.oid::regclass || ': last_value ', ', is_called ', c.oid::regclass)
	       ELSE format('SELECT %L || t::text FROM %s t ORDER BY 1;',
	                   c.oid::regclass || ': ', c.oid::regclass) END
	FROM pg_extension e, unnest(e.extconfig) AS u(oid) JOIN pg_class c ON c.oid = u.oid
	WHERE e.extname = '$ext' ORDER BY c.oid::regclass::text \gexec
	SELECT format('SELECT %L || count(*) || %L FROM %s;',
	              c.oid::regclass || ': ', ' rows', c.oid::regclass)
	FROM pg_depend d JOIN pg_class c ON c.oid = d.objid
	WHERE d.classid = 'pg_class'::regclass AND d.deptype = 'e'
	  AND d.refclassid = 'pg_extension'::regclass
	  AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = '$ext')
	  AND c.relkind IN ('r', 'p')
	  AND c.oid <> ALL ((SELECT extconfig FROM pg_extension WHERE extname = '$ext')::oid[])
	ORDER BY c.oid::regclass::text \gexec
	SQL
}

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
	exit 1
fi
