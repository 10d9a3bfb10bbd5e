#!/usr/bin/env bash
# cluster.sh - a private, throwaway PostgreSQL cluster for tests and demos.
#
#   cluster.sh start    initdb if needed, then start (pg_cron preloaded
#                       when it is installed for that server)
#   cluster.sh stop     stop it (the data directory stays for next time)
#   cluster.sh destroy  stop it and remove the data directory
#   cluster.sh psql     open psql on it
#   cluster.sh env      print the PG* variables that reach it
#
# The server is the one PG_CONFIG names (default: pg_config on the PATH);
# PG_BINDIR overrides where its programs are.  The data directory lives
# inside the checkout (tmp/pgdata, ignored by git; tmp/pgdataNN for a major
# version NN other than 15), the socket in a short directory under /tmp
# (socket paths are limited to about 100 bytes), the port is PGJ_PORT
# (default 54329, plus 100 for each major version after 15).  As root the
# server runs as the "postgres" system user, since initdb refuses to run as
# root.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
PG_CONFIG=${PG_CONFIG:-pg_config}
BINDIR=${PG_BINDIR:-$("$PG_CONFIG" --bindir 2>/dev/null || echo /usr/lib/postgresql/15/bin)}
[ -x "$BINDIR/pg_config" ] && PG_CONFIG=$BINDIR/pg_config
PG_MAJOR=$("$PG_CONFIG" --version 2>/dev/null | sed -n 's/^PostgreSQL \([0-9]*\).*/\1/p' || true)
PG_MAJOR=${PG_MAJOR:-15}
suffix=""
[ "$PG_MAJOR" = 15 ] || suffix=$PG_MAJOR
PGDATA=${PGJ_DATA:-$top/tmp/pgdata$suffix}
PORT=${PGJ_PORT:-$((54329 + 100 * (PG_MAJOR - 15)))}
SOCKDIR=/tmp/pg_jobmon.$(printf '%s:%s' "$PGDATA" "$PORT" | md5sum | cut -c1-10)
LOGFILE=$PGDATA.log
DBUSER=postgres

as_owner() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

[ "$(id -u)" -eq 0 ] || DBUSER=$(id -un)

print_env() {
	echo "export PGHOST=$SOCKDIR PGPORT=$PORT PGUSER=$DBUSER PGDATABASE=${PGDATABASE:-postgres}"
}

init() {
	[ -f "$PGDATA/PG_VERSION" ] && return 0
	mkdir -p "$PGDATA"
	# Hand the server only what it writes, never a parent directory:
	# PGJ_DATA=/tmp/x must not give /tmp to postgres.
	if [ "$(id -u)" -eq 0 ]; then
		chown -R postgres: "$PGDATA"
	fi
	as_owner "$BINDIR/initdb" -D "$PGDATA" -U "$DBUSER" --auth=trust \
		--encoding=UTF8 --locale=C.UTF-8 >/dev/null
	cat >> "$PGDATA/postgresql.conf" <<CONF
# pg_jobmon private cluster
listen_addresses = ''
port = $PORT
unix_socket_directories = '$SOCKDIR'
max_worker_processes = 32
log_min_messages = warning
CONF
	# pg_cron where it is installed for this server (Debian's packages have
	# it for 15; a server built by tools/pg18.sh does not).
	if [ -f "$("$PG_CONFIG" --pkglibdir 2>/dev/null)/pg_cron.so" ]; then
		cat >> "$PGDATA/postgresql.conf" <<CONF
shared_preload_libraries = 'pg_cron'
cron.database_name = 'postgres'
cron.use_background_workers = on
CONF
	fi
}

start() {
	init
	mkdir -p "$SOCKDIR"
	touch "$LOGFILE"
	if [ "$(id -u)" -eq 0 ]; then
		chown postgres: "$SOCKDIR" "$LOGFILE"
	fi
	if as_owner "$BINDIR/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; then
		return 0
	fi
	as_owner "$BINDIR/pg_ctl" -D "$PGDATA" -l "$LOGFILE" -w -t 60 start >/dev/null
}

stop() {
	[ -f "$PGDATA/postmaster.pid" ] || return 0
	as_owner "$BINDIR/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null || true
}

case "${1:-}" in
start) start ;;
stop) stop ;;
destroy) stop; rm -rf "$PGDATA" "$SOCKDIR" ;;
psql) shift; eval "$(print_env)"; exec psql "$@" ;;
env) print_env ;;
*) echo "usage: $0 start|stop|destroy|psql|env" >&2; exit 2 ;;
esac
