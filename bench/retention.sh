#!/usr/bin/env bash
# retention.sh - whether retention keeps up with the runs the scheduler makes.
#
# In a database of its own (created here, dropped at the end): a backlog of
# BENCH_RETENTION_RUNS (200,000) finished runs 40 days old, each as a run of
# a job makes it (a jobmon_run row, its job_log row and one job_detail
# step), written in bulk, timed: the baseline, as no dispatcher writes runs
# faster than one INSERT of them all.  Then:
#   round       one retention round as the dispatcher calls it
#               (_retention_round, batches of 1,000 rows, each committed),
#               given all the time it needs: runs deleted per minute;
#   dispatcher  the dispatcher itself (CALL jobmon_dispatch()) on a second
#               backlog of the same size, which gives retention at most half
#               a second between passes: runs deleted per minute until the
#               backlog is gone (at most BENCH_RETENTION_SECONDS, 60).
# Printed beside: the rate the backlog was written at (measured), and the
# runs 200 jobs firing every second make (12,000 a minute), which the
# retention of 2.5.0 (at most 10,000 runs a minute) could not follow.
# Target: the dispatcher deletes runs faster than 200 every-second jobs
# make them.
#
# Needs the PG* environment of tools/bench.sh (superuser).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
runs=${BENCH_RETENTION_RUNS:-200000}
secs=${BENCH_RETENTION_SECONDS:-60}
db=${PGDATABASE:-jobmon_bench}_retention
client=""

sql() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$db" "$@"; }

cleanup() {
	if [ -n "$client" ]; then
		sql -c "SELECT jobmon.jobmon_stop()" >/dev/null 2>&1 || true
		wait "$client" 2>/dev/null || true
	fi
	psql -X -q -d postgres -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1 || true
}
trap cleanup EXIT
"$top/tools/setup-db.sh" "$db"

# backlog: write $runs old runs with their logs; prints the seconds it took.
backlog() {
	sql -v n="$runs" <<'SQL'
SET synchronous_commit = off;
SELECT clock_timestamp() AS t0 \gset
WITH logs AS (
    INSERT INTO jobmon.job_log (owner, job_name, start_time, end_time, status, pid)
    SELECT current_user, 'BENCH RETENTION', now() - interval '40 days', now() - interval '40 days', 'OK', 0
    FROM generate_series(1, :n)
    RETURNING job_id),
steps AS (
    INSERT INTO jobmon.job_detail (job_id, action, start_time, end_time, elapsed_time, status, message)
    SELECT job_id, 'SELECT 1', now() - interval '40 days', now() - interval '40 days', 0.001, 'OK', 'Success'
    FROM logs)
INSERT INTO jobmon.jobmon_run (job_id, job_name, owner, run_as, due_at, status, log_id, started_at, finished_at)
SELECT 1, 'bench retention', current_user, current_user, now() - interval '40 days', 'success', job_id,
       now() - interval '40 days', now() - interval '40 days'
FROM logs;
SELECT extract(epoch FROM clock_timestamp() - :'t0');
SQL
}

left() { sql -c "SELECT count(*) FROM jobmon.jobmon_run"; }

write_s=$(backlog)
sql -c "VACUUM ANALYZE jobmon.jobmon_run, jobmon.job_log, jobmon.job_detail"
round=$(sql <<'SQL'
SELECT clock_timestamp() AS t0 \gset
CALL jobmon._retention_round(clock_timestamp() + interval '1 hour', 1000) \gset
SELECT format('%s %s %s', extract(epoch FROM clock_timestamp() - :'t0'), :p_batches, :'p_finished');
SQL
)
read -r round_s round_batches round_finished <<< "$round"
round_left=$(left)

backlog >/dev/null
sql -c "VACUUM ANALYZE jobmon.jobmon_run, jobmon.job_log, jobmon.job_detail"
# As if the last round were a minute ago: the next pass starts one.
sql -c "UPDATE jobmon.jobmon_dispatcher_state SET retention_at = NULL"
before=$(left)
psql -X -q -d "$db" -c "CALL jobmon.jobmon_dispatch('$((secs + 30)) seconds')" >/dev/null &
client=$!
t0=$(date +%s.%N)
# Until the backlog is gone, or for $secs seconds.
deadline=$((SECONDS + secs))
while [ "$(left)" -gt 0 ] && [ "$SECONDS" -lt "$deadline" ]; do
	sleep 0.1
done
after=$(left)
t1=$(date +%s.%N)
sql -c "SELECT jobmon.jobmon_stop()" >/dev/null
wait "$client"
client=""

awk -v n="$runs" -v w="$write_s" -v r="$round_s" -v b="$round_batches" -v f="$round_finished" \
	-v rl="$round_left" -v before="$before" -v after="$after" -v t0="$t0" -v t1="$t1" '
BEGIN {
	make = 200 * 60
	written = n / w * 60
	rounded = (n - rl) / r * 60
	dispatched = (before - after) / (t1 - t0) * 60
	printf "backlog of %d runs 40 days old (jobmon_run + job_log + job_detail each)\n", n
	printf "%-58s %12s\n", "", "runs/minute"
	printf "%-58s %12.0f\n", "written in bulk, one INSERT (baseline, measured)", written
	printf "%-58s %12.0f\n", "made by 200 jobs firing every second (baseline)", make
	printf "%-58s %12.0f\n", "deleted by 2.5.0 retention at most (10,000 a minute)", 10000
	printf "%-58s %12.0f   %d batches, %s, %d left\n", "deleted by one retention round, untimed", rounded, b,
		(f == "t" ? "finished" : "NOT finished"), rl
	printf "%-58s %12.0f   %d in %.1f s, %d left\n", "deleted by the dispatcher (<= 0.5 s a second)", dispatched,
		before - after, t1 - t0, after
	printf "round / bulk write = %.2fx; dispatcher / 200 every-second jobs = %.1fx (target > 1): %s\n",
		rounded / written, dispatched / make, (dispatched > make ? "met" : "MISSED")
}'
