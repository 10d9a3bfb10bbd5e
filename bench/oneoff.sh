#!/usr/bin/env bash
# oneoff.sh - how many one-off jobs (submit_job) complete a second, each
# fully logged (a jobmon_run row, a job_log row closed OK, a job_detail step).
#
# BENCH_ONEOFF_JOBS (10000) jobs 'SELECT 1' are submitted in one
# transaction while no tick runs; then the dispatcher starts (CALL jobmon.jobmon_dispatch()
# on a psql of its own, as pg_cron would run it) with max_oneoff_workers =
# BENCH_ONEOFF_WORKERS (2, one per core of the reference machine).  The
# rate is the jobs divided by the time from the first run's start to the
# last run's end.
# Baseline, measured in the same run on the same cluster: pgbench -C
# running 'select 1' with as many clients as workers, a new connection (so
# a new process) per transaction, which is what a worker per job would cost
# at best.  Target: >= 1,000 jobs a second; workers that take the next run
# of their role (sql/functions/tick.sql, _run_next) are what lets the
# scheduler pass the process-per-job limit.
#
# Needs the PG* environment of tools/bench.sh (superuser) and pgbench.
set -euo pipefail
jobs=${BENCH_ONEOFF_JOBS:-10000}
workers=${BENCH_ONEOFF_WORKERS:-2}
work=$(mktemp -d)

sql() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }

cleanup() {
	sql -c "SELECT jobmon.jobmon_stop()" >/dev/null 2>&1 || true
	wait 2>/dev/null || true
	sql -c "SELECT jobmon.jobmon_config_reset('max_oneoff_workers')" >/dev/null 2>&1 || true
	sql <<-'SQL' >/dev/null 2>&1 || true
		DELETE FROM jobmon.job_log l USING jobmon.jobmon_run r
		WHERE l.job_id = r.log_id AND r.job_name = 'bench oneoff';
		DELETE FROM jobmon.jobmon_run WHERE job_name = 'bench oneoff';
		DELETE FROM jobmon.jobmon_job WHERE name = 'bench oneoff';
	SQL
	rm -rf "$work"
}
trap cleanup EXIT

# wait_for CONDITION SECONDS: poll a boolean SQL expression, fail after SECONDS.
wait_for() {
	local deadline=$((SECONDS + $2))
	until [ "$(sql -c "SELECT ($1)")" = t ]; do
		if [ "$SECONDS" -ge "$deadline" ]; then
			echo "oneoff.sh: timed out waiting for: $1" >&2
			exit 1
		fi
		sleep 0.2
	done
}

# Baseline: a new process per transaction.
echo 'select 1' > "$work/select1.sql"
pgbench_tps=$(pgbench -n -C -c "$workers" -j "$workers" -T 10 -f "$work/select1.sql" 2>/dev/null |
	sed -n 's/^tps = \([0-9.]*\).*/\1/p' | head -1)

sql -c "SELECT jobmon.jobmon_config_set('max_oneoff_workers', '$workers')" >/dev/null
sql -c "SELECT count(jobmon.submit_job('SELECT 1', name => 'bench oneoff')) FROM generate_series(1, $jobs)" >/dev/null
sql -c "ANALYZE jobmon.jobmon_run" >/dev/null
psql -X -q -c "CALL jobmon.jobmon_dispatch('10 minutes')" >/dev/null 2>&1 &
wait_for "NOT EXISTS (SELECT FROM jobmon.jobmon_run WHERE job_name = 'bench oneoff'
                      AND status IN ('waiting', 'starting', 'running'))" 600

sql <<SQL
SELECT format('%-44s %8s %8s %10s', '', 'jobs', 'logged', 'jobs/s');
WITH runs AS (
    SELECT r.*, l.status AS log_status,
           (SELECT count(*) FROM jobmon.job_detail d WHERE d.job_id = l.job_id) AS steps
    FROM jobmon.jobmon_run r LEFT JOIN jobmon.job_log l ON l.job_id = r.log_id
    WHERE r.job_name = 'bench oneoff')
SELECT format('%-44s %8s %8s %10s', 'pg_jobmon, $workers workers, one-off SELECT 1',
              count(*) FILTER (WHERE status = 'success'),
              count(*) FILTER (WHERE log_status = 'OK' AND steps = 1),
              round(count(*) / extract(epoch FROM max(finished_at) - min(started_at))))
FROM runs;
SELECT format('%-44s %8s %8s %10s', 'pgbench -C -c $workers, select 1 (baseline)', '', '', round($pgbench_tps));
SELECT format('ratio: %sx the process-per-transaction rate',
              round(count(*) / extract(epoch FROM max(finished_at) - min(started_at)) / $pgbench_tps, 1))
FROM jobmon.jobmon_run WHERE job_name = 'bench oneoff';
SQL
