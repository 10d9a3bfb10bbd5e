#!/usr/bin/env bash
# monitoring.sh - what check_job_status costs over a long history.
#
# A database of its own (dropped at the end) gets a history of
# BENCH_RUNS job_log rows (default 1,000,000; one run every 138 s, so 400
# days hold about 250,000) over 40 job names, BENCH_STEPS job_detail rows
# per run (default 10: 10,000,000), 37 active configured jobs and a few
# failures (bench/monitoring/load.sql).  check_job_status is timed over
# several histories beside the baseline: pg_jobmon 1.5's algorithm on a
# copy of the same rows in 1.5's table layout (bench/monitoring/v1.sql).
# Each figure is the median of BENCH_REPEAT runs (default 5), each run in
# its own statement of one session, after one warm-up run.
# Target: new / 1.x <= 1 for every history.  BENCH_KEEP=1 keeps the
# database (jobmon_bench_monitoring) to look at the plans afterwards.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
runs=${BENCH_RUNS:-1000000}
steps=${BENCH_STEPS:-10}
repeat=${BENCH_REPEAT:-5}
db=jobmon_bench_monitoring

"$top/tools/setup-db.sh" "$db"
[ -n "${BENCH_KEEP:-}" ] || trap 'psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null' EXIT

t0=$(date +%s)
psql -X -q -v ON_ERROR_STOP=1 -d "$db" -v runs="$runs" -v steps="$steps" -f "$here/monitoring/load.sql"
psql -X -q -v ON_ERROR_STOP=1 -d "$db" -f "$here/monitoring/v1.sql"
echo "loaded $(psql -X -A -t -d "$db" -c "SELECT count(*) FROM jobmon.job_log") job_log and" \
     "$(psql -X -A -t -d "$db" -c "SELECT count(*) FROM jobmon.job_detail") job_detail rows in $(( $(date +%s) - t0 )) s"

# Both must report the same problems, or the comparison means nothing.
for h in "12 hours" "400 days"; do
	diff <(psql -X -A -t -d "$db" -c "SELECT * FROM jobmon.check_job_status('$h') ORDER BY 1 DESC, 3, 2") \
	     <(psql -X -A -t -d "$db" -c "SELECT * FROM bench_v1.check_job_status('$h') ORDER BY 1 DESC, 3, 2") >/dev/null ||
		{ echo "check_job_status('$h') and the 1.x baseline disagree" >&2; exit 1; }
done

printf '%-28s %10s %10s %10s %8s\n' "history" "runs read" "new ms" "1.x ms" "new/1.x"
for h in default "1 day" "30 days" "400 days"; do
	if [ "$h" = default ]; then
		new="SELECT count(*) FROM jobmon.check_job_status()"
		arg="(SELECT greatest(max(warn_threshold), max(error_threshold)) FROM jobmon.job_check_config WHERE active)"
		label="default (12 hours)"
	else
		new="SELECT count(*) FROM jobmon.check_job_status('$h')"
		arg="interval '$h'"
		label="'$h'"
	fi
	psql -X -A -t -F ' ' -d "$db" -c "
		SELECT (SELECT count(*) FROM jobmon.job_log WHERE start_time > now() - $arg),
		       bench_v1.median_ms(\$q\$$new\$q\$, $repeat),
		       bench_v1.median_ms(format('SELECT count(*) FROM bench_v1.check_job_status(%L)', $arg), $repeat)" |
	while read -r n a b; do
		awk -v l="$label" -v n="$n" -v a="$a" -v b="$b" \
			'BEGIN { printf "%-28s %10d %10.2f %10.2f %7.2fx\n", l, n, a, b, a / b }'
	done
done
echo "target: new/1.x <= 1.00x for every history"
