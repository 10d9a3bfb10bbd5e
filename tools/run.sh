#!/usr/bin/env bash
# run.sh - the steps behind "make test", "make demo", "make bench" and
# "make start": install what is missing, build and install the extension,
# start a private cluster, do the work, and stop (or keep) the cluster.
#
# test and bench use a throwaway cluster (tmp/pgdata-<target>) that is
# destroyed afterwards, whatever happens; start keeps tmp/pgdata running.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
target=${1:?usage: run.sh test|demo|bench|start}

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"

tools/deps.sh
make -s
# Scripts of versions that no longer exist would join the update paths.
$sudo rm -f "$(pg_config --sharedir)/extension/pg_jobmon--"*.sql
$sudo make -s install >/dev/null

case "$target" in
start)
	tools/cluster.sh start
	eval "$(tools/cluster.sh env)"
	tools/setup-db.sh "${PGJ_DB:-jobmon}"
	echo "cluster running; 'make psql' to connect (database ${PGJ_DB:-jobmon}), 'make stop' to stop"
	exit 0
	;;
test | demo | bench)
	export PGJ_DATA=${PGJ_DATA:-$top/tmp/pgdata-$target}
	export PGJ_PORT=${PGJ_PORT:-$((54330 + $(printf '%s' "$target" | cksum | cut -c1-2)))}
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
