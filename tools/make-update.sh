#!/usr/bin/env bash
# make-update.sh FROM TO - (re)write updates/pg_jobmon--FROM--TO.sql, the
# update script from the released version FROM to the version TO that the
# sources are building now (default_version in pg_jobmon.control).
#
# What it needs:
#   sql/released/pg_jobmon--FROM.sql  the frozen full script of FROM
#   sql/released/FROM.commit          the git commit FROM was released from;
#                                     the sources of that commit must
#                                     assemble into exactly that script
#
# How it works: every source file the Makefile assembles (sql/header.sql
# aside) is compared with the same path at the release commit, in the
# Makefile's order (tables, functions, procedures, views, grants; by name):
#   new        the file did not exist in FROM: appended whole (CREATE ...).
#   unchanged  nothing.
#   changed or deleted: a script cannot know how to turn the old objects into
#              the new ones (CREATE OR REPLACE, ALTER TABLE, DROP ...), so a
#              hand-written fragment sql/updates/FROM--TO/<dir>/<file>.sql is
#              required for it and appended in its place.  Without one the
#              tool lists every such file and fails.
# A fragment whose name matches no source file, old or new, is an extra step
# (data migration, say) and is appended in its place too, by name as the
# Makefile sorts (bytewise: tables/job_log_2.sql runs after tables/job_log.sql).
# A fragment for a new or unchanged file is an error: stale, or run twice.
#
# The result is committed.  Once TO is released (sql/released/pg_jobmon--TO.sql
# exists) its update scripts are frozen: the tool refuses to rewrite them.
# test/upgrade/run.sh (part of make test) checks that the update leaves the
# same schema as a fresh install.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
ext=pg_jobmon
dirs=$(sed -n "s/^SQL_DIRS *= *//p" Makefile)    # tables functions ...

die() { echo "make-update.sh: $*" >&2; exit 1; }
[ -n "$dirs" ] || die "no SQL_DIRS in the Makefile"

[ $# -eq 2 ] || die "usage: tools/make-update.sh FROM TO"
from=$1 to=$2
case "$from$to" in *[!0-9A-Za-z._-]*) die "a version is letters, digits, '.', '_', '-'" ;; esac
current=$(sed -n "s/^default_version *= *'\(.*\)'/\1/p" $ext.control)
out=updates/$ext--$from--$to.sql
frag=sql/updates/$from--$to

[ "$to" = "$current" ] ||
	die "TO ($to) must be the version the sources build ($current, pg_jobmon.control)"
[ ! -e "sql/released/$ext--$to.sql" ] ||
	die "$to is released (sql/released/$ext--$to.sql): $out is frozen"
[ -f "sql/released/$ext--$from.sql" ] ||
	die "no sql/released/$ext--$from.sql: $from is not a released version"
[ -f "sql/released/$from.commit" ] || die "no sql/released/$from.commit"
commit=$(tr -d '[:space:]' < "sql/released/$from.commit")
git rev-parse -q --verify "$commit^{commit}" >/dev/null ||
	die "commit $commit (sql/released/$from.commit) is not in this repository"

# Source files of a directory, in the Makefile's order ($(sort) is bytewise).
old_files() { git ls-tree --name-only "$commit" "sql/$1/" | grep '\.sql$' | LC_ALL=C sort || true; }
new_files() { ls sql/"$1"/*.sql 2>/dev/null | LC_ALL=C sort || true; }
frag_files() { ls "$frag/$1"/*.sql 2>/dev/null | sed "s|^$frag/|sql/|" | LC_ALL=C sort || true; }

# The release commit really is FROM: its sources assemble into the frozen script.
{
	git show "$commit:sql/header.sql"
	for d in $dirs; do
		for f in $(old_files "$d"); do git show "$commit:$f"; done
	done
} | cmp -s - "sql/released/$ext--$from.sql" ||
	die "the sources of $commit do not assemble into sql/released/$ext--$from.sql"

body=$(mktemp)
trap 'rm -f "$body"' EXIT
missing="" stale=""
for d in $dirs; do
	for f in $( { old_files "$d"; new_files "$d"; frag_files "$d"; } | LC_ALL=C sort -u); do
		fr=$frag/${f#sql/}
		in_old=no in_new=no
		git cat-file -e "$commit:$f" 2>/dev/null && in_old=yes
		[ -f "$f" ] && in_new=yes
		if [ $in_old = no ] && [ $in_new = yes ]; then
			state=new
		elif [ $in_old = yes ] && [ $in_new = no ]; then
			state=deleted
		elif [ $in_old = no ]; then
			state=extra
		elif git show "$commit:$f" | cmp -s - "$f"; then
			state=unchanged
		else
			state=changed
		fi
		case $state in
		new)
			[ ! -f "$fr" ] || stale="$stale $fr($state)"
			printf '\n-- %s (new in %s)\n' "$f" "$to" >> "$body"
			cat "$f" >> "$body"
			;;
		unchanged)
			[ ! -f "$fr" ] || stale="$stale $fr($state)"
			;;
		changed | deleted)
			if [ -f "$fr" ]; then
				printf '\n-- %s (%s since %s)\n' "$fr" "$state" "$from" >> "$body"
				cat "$fr" >> "$body"
			else
				missing="$missing $f($state)"
			fi
			;;
		extra)
			printf '\n-- %s\n' "$fr" >> "$body"
			cat "$fr" >> "$body"
			;;
		esac
	done
done

if [ -n "$stale" ]; then
	echo "make-update.sh: fragments for files that are new (appended whole) or unchanged:" >&2
	printf '  %s\n' $stale >&2    # one a line
	echo "remove them (or name an extra step so it matches no source file)" >&2
fi
if [ -n "$missing" ]; then
	echo "make-update.sh: changed or deleted since $from ($commit), with no fragment:" >&2
	printf '  %s\n' $missing >&2  # one a line
	echo "write sql/updates/$from--$to/<dir>/<file>.sql for each: the statements that" >&2
	echo "turn the $from objects into the $to ones (CREATE OR REPLACE FUNCTION," >&2
	echo "ALTER TABLE, DROP ...).  git diff $commit -- <file> shows the change." >&2
fi
[ -z "$stale$missing" ] || exit 1

mkdir -p updates
{
	echo "-- pg_jobmon update script $from -> $to, written by tools/make-update.sh"
	echo "-- from the sources added since $from (commit ${commit:0:12}) and the"
	echo "-- fragments in $frag/.  Do not edit: edit those,"
	echo "-- then run tools/make-update.sh $from $to again."
	echo
	echo "\\echo Use \"ALTER EXTENSION $ext UPDATE TO '$to'\" to load this file. \\quit"
	cat "$body"
} > "$out"
echo "wrote $out"
