#!/usr/bin/env bash
# run.sh - the steps behind "make test", "make demo", "make bench" and
# "make start": install what is missing, build and install the extension,
# start a private cluster, do the work, and stop (or keep) the cluster.
#
# test and bench use a throwaway cluster (tmp/pgdata-<target>) that is
# destroyed afterwards, whatever happens; start keeps tmp/pgdata running.
#
# The server is the one PG_CONFIG names (make test PG_CONFIG=...; default
# pg_config, Debian's PostgreSQL 15): the extension is built and installed
# for it, its programs (psql, pg_dump, pg_config) come first on the PATH,
# and a major version NN other than 15 gets clusters and ports of its own
# (tmp/pgdata-<target>NN), so runs on two servers never meet.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
PG_CONFIG=${PG_CONFIG:-pg_config}
case "$PG_CONFIG" in
*/*)
	if [ ! -x "$PG_CONFIG" ]; then
		echo "run.sh: no $PG_CONFIG (tools/pg18.sh builds PostgreSQL 18 into tmp/pg18)" >&2
		exit 1
	fi
	PG_CONFIG=$(cd "$(dirname "$PG_CONFIG")" && pwd)/$(basename "$PG_CONFIG")
	;;
esac
export PG_CONFIG
cd "$top"
target=${1:?usage: run.sh test|demo|bench|start}

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"

tools/deps.sh
PATH=$("$PG_CONFIG" --bindir):$PATH
export PATH
major=$("$PG_CONFIG" --version | sed -n 's/^PostgreSQL \([0-9]*\).*/\1/p')
suffix=""
[ "$major" = 15 ] || suffix=$major

make -s PG_CONFIG="$PG_CONFIG"
# Scripts of versions that no longer exist would join the update paths.
$sudo rm -f "$("$PG_CONFIG" --sharedir)/extension/pg_jobmon--"*.sql
$sudo make -s install PG_CONFIG="$PG_CONFIG" >/dev/null

case "$target" in
start)
	tools/cluster.sh start
	eval "$(tools/cluster.sh env)"
	tools/setup-db.sh "${PGJ_DB:-jobmon}"
	echo "cluster running; 'make psql' to connect (database ${PGJ_DB:-jobmon}), 'make stop' to stop"
	exit 0
	;;
test | demo | bench)
	export PGJ_DATA=${PGJ_DATA:-$top/tmp/pgdata-$target$suffix}
	export PGJ_PORT=${PGJ_PORT:-$((54330 + $(printf '%s' "$target" | cksum | cut -c1-2) + 100 * (major - 15)))}
	trap 'tools/cluster.sh destroy' EXIT
	tools/cluster.sh destroy
	tools/cluster.sh start
	eval "$(tools/cluster.sh env)"
	"tools/$target.sh"
	;;
*)
	echo "usage: run.sh test|demo|bench|start" >&2
	exit 2
	;;
esac
