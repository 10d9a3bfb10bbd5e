#!/usr/bin/env bash
# logging.sh - what autonomous logging costs.
#
# One logged job of one step (add_job, add_step, update_step, close_job),
# measured three ways in the same cluster, one client, same duration each:
#   pg_jobmon         the extension: one private libpq connection per session,
#                     reused from job to job, with prepared writes
#   floor             the same four writes as plain SQL in the caller's own
#                     transaction: not autonomous, the least possible cost
#   connection/call   the classic autonomous method: a new dblink connection
#                     for every write (what pg_jobmon 1.x did)
#   4 round trips     four 'SELECT 1' on a reused dblink connection: the
#                     least any synchronous autonomous logging can cost
# Targets: pg_jobmon <= 2.5x the floor, and >= 30x faster than connection/call.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
secs=${BENCH_SECONDS:-10}

psql -X -q -v ON_ERROR_STOP=1 -f "$here/logging/setup.sql"

run() {	# run FUNCTION: microseconds per logged job
	pgbench -n -c 1 -T "$secs" -f <(echo "SELECT bench.$1();") 2>/dev/null |
		sed -n 's/^tps = \([0-9.]*\).*/\1/p' | awk '{ printf "%.1f", 1e6 / $1 }'
}

floor=$(run logged_job_floor)
ours=$(run logged_job_jobmon)
psql -X -q -c "SELECT jobmon.jobmon_config_set('log_durability', 'off')" >/dev/null
ours_async=$(run logged_job_jobmon)
psql -X -q -c "SELECT jobmon.jobmon_config_reset('log_durability')" >/dev/null
classic=$(run logged_job_connection_per_call)
rtt=$(run four_round_trips)

printf '%-44s %10s us/job\n' "floor (plain SQL, caller's txn)" "$floor" \
	"pg_jobmon (log_durability = job_end, default)" "$ours" \
	"pg_jobmon (log_durability = off)" "$ours_async" \
	"connection per call (1.x method)" "$classic" \
	"4 empty round trips on a reused connection" "$rtt"
awk -v f="$floor" -v o="$ours" -v a="$ours_async" -v c="$classic" 'BEGIN {
	printf "pg_jobmon / floor                   = %.2fx (target <= 2.5x)\n", o / f
	printf "connection per call / pg_jobmon     = %.1fx (target >= 30x)\n", c / o
	printf "  with log_durability = off         = %.1fx\n", c / a
}'
