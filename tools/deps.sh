#!/usr/bin/env bash
# deps.sh - install the Debian packages that building, testing and
# benchmarking pg_jobmon need, and only those that are missing.
#
# As root apt-get runs directly; otherwise through sudo.  The package list
# is the single place that says what a fresh Debian 12 machine lacks.
#
# The server is Debian's PostgreSQL PG_MAJOR (default 15), or the one that
# PG_CONFIG names when that is not Debian's (/usr/lib/postgresql/NN/bin):
# such a server (tools/pg18.sh builds one) gets no server packages from
# here; it must have dblink and pgTAP installed already.
set -euo pipefail

server_packages=()
bindir=""
[ -n "${PG_CONFIG:-}" ] && bindir=$("$PG_CONFIG" --bindir 2>/dev/null || true)
case "$bindir" in
"" | /usr/lib/postgresql/*/bin)
	PG_MAJOR=${PG_MAJOR:-$(echo "$bindir" | sed -n 's|^/usr/lib/postgresql/\([0-9]*\)/bin$|\1|p')}
	PG_MAJOR=${PG_MAJOR:-15}
	server_packages=(
		"postgresql-$PG_MAJOR"
		"postgresql-server-dev-$PG_MAJOR"
		"postgresql-contrib"			# dblink
		"postgresql-$PG_MAJOR-cron"
		"postgresql-$PG_MAJOR-pgtap"
		"postgresql-$PG_MAJOR-partman"	# logs to pg_jobmon: test/upgrade/from-1x.sh
	)
	;;
*)
	extdir=$("$PG_CONFIG" --sharedir)/extension
	for ext in dblink pgtap; do
		if [ ! -f "$extdir/$ext.control" ]; then
			echo "deps: $ext is not installed for $PG_CONFIG ($extdir);" \
				"tools/pg18.sh installs it for the PostgreSQL 18 it builds" >&2
			exit 1
		fi
	done
	;;
esac
packages=(
	"${server_packages[@]}"
	libtap-parser-sourcehandler-pgtap-perl	# pg_prove
	check					# C unit tests
	clang					# libFuzzer
	gcc make
)
# The cron differential test and bench run croner under Node.js; a machine
# that already has node and npm (from any source) keeps them.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
	packages+=(nodejs npm)
fi

. "$(dirname "$0")/debian-apt.sh"
apt_install "${packages[@]}"
