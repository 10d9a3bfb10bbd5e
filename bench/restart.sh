#!/usr/bin/env bash
# restart.sh - how long dispatch stops when the server crashes and restarts.
#
# jobmon_start() has pg_cron call the dispatcher every minute and at the
# server's start (@reboot).  Here: a job firing every second, dispatched
# (jobmon_start(), and a dispatcher started at once rather than at pg_cron's
# next minute); then the server is stopped as in a crash (pg_ctl restart
# -m immediate: no shutdown checkpoint, crash recovery at start).  Figures:
#   restart   from the crash to the server accepting connections again;
#   gap       from then to the first run of the job that a worker started;
# beside the baselines: the restart itself, and the gap pg_cron's next minute
# alone would give (from the server being up to the next whole minute,
# this run; 46 s was measured before @reboot).  Target: gap <= 2 s.
#
# pg_cron lives in one database (cron.database_name): like the test of
# jobmon_start() (test/sql/66-scheduler-start.sql), pg_jobmon is installed
# there in a schema of its own, jobmon_restart, and removed at the end.
# Needs the PG* environment of tools/bench.sh (superuser, pg_cron preloaded)
# and the server's data directory on this host, for pg_ctl.
set -euo pipefail
cron_db=$(psql -X -At -c "SELECT current_setting('cron.database_name', true)")
if [ -z "$cron_db" ]; then
	echo "restart.sh: pg_cron is not loaded in this cluster; skipped"
	exit 0
fi
data=$(psql -X -At -c "SHOW data_directory")
bindir=$(pg_config --bindir)
schema=jobmon_restart
client=""

sql() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$cron_db" "$@"; }

as_owner() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

cleanup() {
	sql -c "SELECT $schema.jobmon_stop()" >/dev/null 2>&1 || true
	if [ -n "$client" ]; then
		wait "$client" 2>/dev/null || true
	fi
	sql -c "SET client_min_messages = warning; DROP EXTENSION IF EXISTS pg_jobmon; DROP SCHEMA IF EXISTS $schema CASCADE" \
		>/dev/null 2>&1 || true
}
trap cleanup EXIT

if [ "$(sql -c "SELECT EXISTS (SELECT FROM pg_extension WHERE extname = 'pg_jobmon')")" = t ]; then
	echo "restart.sh: pg_jobmon is already installed in database $cron_db; skipped"
	trap - EXIT
	exit 0
fi

# wait_for CONDITION SECONDS: poll a boolean SQL expression; false after SECONDS.
wait_for() {
	local deadline=$((SECONDS + $2))
	until [ "$(sql -c "SELECT ($1)" 2>/dev/null)" = t ]; do
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.05
	done
}

sql <<SQL
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dblink SCHEMA public;
CREATE EXTENSION IF NOT EXISTS pg_cron;
CREATE SCHEMA $schema;
CREATE EXTENSION pg_jobmon SCHEMA $schema;
SELECT $schema.create_job('{"name": "bench restart", "cron": "* * * * * *", "commands": "SELECT 1"}') \g /dev/null
SELECT $schema.jobmon_start() \g /dev/null
SQL
psql -X -q -d "$cron_db" -c "CALL $schema.jobmon_dispatch('2 minutes')" >/dev/null 2>&1 &
client=$!
wait_for "EXISTS (SELECT FROM $schema.jobmon_run WHERE job_name = 'bench restart' AND log_id IS NOT NULL)" 30 || {
	echo "restart.sh: the job was not dispatched before the restart" >&2
	exit 1
}

t_crash=$(date +%s.%N)
as_owner "$bindir/pg_ctl" -D "$data" -l "$data.log" -m immediate -w -t 120 restart >/dev/null
t_up=$(date +%s.%N)
wait "$client" 2>/dev/null || true
client=""

# The first run a worker started after the server came up.
if ! wait_for "EXISTS (SELECT FROM $schema.jobmon_run WHERE job_name = 'bench restart'
                       AND started_at >= to_timestamp($t_up) AND log_id IS NOT NULL)" 90; then
	echo "restart.sh: no run was dispatched within 90 s of the restart" >&2
	exit 1
fi
first=$(sql -c "SELECT extract(epoch FROM min(started_at)) FROM $schema.jobmon_run
                WHERE job_name = 'bench restart' AND started_at >= to_timestamp($t_up) AND log_id IS NOT NULL")

awk -v c="$t_crash" -v u="$t_up" -v f="$first" 'BEGIN {
	restart = u - c
	gap = f - u
	minute = 60 - (u % 60)
	printf "%-58s %8s\n", "", "seconds"
	printf "%-58s %8.2f\n", "server restart after a crash (baseline)", restart
	printf "%-58s %8.2f\n", "pg_cron next minute after the server was up (baseline)", minute
	printf "%-58s %8.2f\n", "measured before @reboot (2.5.0)", 46
	printf "%-58s %8.2f\n", "server up -> first run started (jobmon_start, @reboot)", gap
	printf "gap / restart = %.2fx; gap / next minute = %.3fx; target <= 2 s: %s\n",
		gap / restart, gap / minute, (gap <= 2 ? "met" : "MISSED")
}'
