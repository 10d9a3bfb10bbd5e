#!/usr/bin/env bash
# scheduler.sh - how late the scheduler starts runs, and what its dispatcher costs
# when many jobs exist but few are due.
#
# Two windows of BENCH_SECONDS (60) each, the dispatcher running in the background
# (CALL jobmon.jobmon_dispatch() on a psql of its own, as pg_cron would run it):
#   A. 5 jobs firing every second ('* * * * * *', 'SELECT 1');
#   B. the same 5 jobs beside 100,000 active jobs that never fire during the
#      run ('0 0 1 1 *').
# For each: lateness of the runs due in the window (started_at, when the
# worker claims the run, minus due_at), the dispatcher backend's CPU from
# /proc/<pid>/stat, and the dispatcher's passes with the mean time of a pass and of
# its main steps (track_functions = all in the dispatcher's session).
# Baselines measured in the same run:
#   lateness  pg_cron's own lateness for a '* * * * *' job in this cluster,
#             scheduled throughout: its runs due in the two windows (one
#             each), start_time minus the minute;
#   CPU       window A (no idle jobs) for window B.
# Targets: lateness p50 <= 10 ms, p99 <= 25 ms; tick CPU <= 2% of a core
# with 100,000 jobs.
#
# The 100,000 jobs are created through create_job() in one DO block (about
# 0.5 ms a job, whatever the number of jobs: bench/definitions.sh), then
# analyzed, as autovacuum soon would; all are dropped with drop_job() at the end.  Needs the PG*
# environment of tools/bench.sh (superuser, pg_cron preloaded with
# cron.database_name = 'postgres') and a server on this host, for /proc.
set -euo pipefail
secs=${BENCH_SECONDS:-60}
idle_jobs=${BENCH_IDLE_JOBS:-100000}
db=$(psql -X -At -c "SELECT current_database()")
hz=$(getconf CLK_TCK)
work=$(mktemp -d)
cron_job=""

sql() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }

cleanup() {
	sql -c "SELECT jobmon.jobmon_stop()" >/dev/null 2>&1 || true
	if [ -n "$cron_job" ]; then
		sql -d postgres -c "SELECT cron.unschedule($cron_job)" >/dev/null 2>&1 || true
	fi
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

# wait_for CONDITION SECONDS: poll a boolean SQL expression, fail after SECONDS.
wait_for() {
	local deadline=$((SECONDS + $2))
	until [ "$(sql -c "SELECT ($1)")" = t ]; do
		if [ "$SECONDS" -ge "$deadline" ]; then
			echo "scheduler.sh: timed out waiting for: $1" >&2
			exit 1
		fi
		sleep 0.1
	done
}

# CPU ticks (user + system) of a process; the command name may hold spaces.
cpu_ticks() { sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }

# window NAME: run the dispatcher, measure one window, stop the dispatcher; writes
# NAME.lateness (due started p50 p95 p99 max statuses), NAME.cpu (%),
# NAME.passes, and the window's bounds to windows.
window() {
	local name=$1 client pid t0 t1 c0 c1 s0 s1
	sql -c "SELECT pg_stat_reset()" >/dev/null
	PGOPTIONS='-c track_functions=all' psql -X -q -c "CALL jobmon.jobmon_dispatch('$((secs + 15)) seconds')" >/dev/null &
	client=$!
	wait_for "EXISTS (SELECT FROM jobmon.jobmon_dispatcher_state s JOIN pg_stat_activity a ON a.pid = s.dispatcher_pid)" 10
	pid=$(sql -c "SELECT dispatcher_pid FROM jobmon.jobmon_dispatcher_state")
	# Warmed up once a run due after the dispatcher started has been claimed
	# (the first pass also plans the one catch-up run of missed times).
	wait_for "EXISTS (SELECT FROM jobmon.jobmon_run r, jobmon.jobmon_dispatcher_state s
	                  WHERE r.log_id IS NOT NULL AND r.due_at > s.dispatcher_started)" 10
	t0=$(sql -c "SELECT clock_timestamp()")
	c0=$(cpu_ticks "$pid"); s0=$(date +%s.%N)
	sleep "$secs"
	c1=$(cpu_ticks "$pid"); s1=$(date +%s.%N)
	t1=$(sql -c "SELECT clock_timestamp()")
	sql -c "SELECT jobmon.jobmon_stop()" >/dev/null
	wait "$client"
	printf "('%s'::timestamptz, '%s'::timestamptz)\n" "$t0" "$t1" >> "$work/windows"

	awk -v c="$((c1 - c0))" -v hz="$hz" -v s0="$s0" -v s1="$s1" \
		'BEGIN { printf "%.2f\n", 100 * c / hz / (s1 - s0) }' > "$work/$name.cpu"
	# Runs the worker claimed have a job_log row; the others are counted
	# by status only.
	sql -F ' ' -v t0="$t0" -v t1="$t1" > "$work/$name.lateness" <<'SQL'
WITH w AS (
    SELECT r.status, r.log_id IS NOT NULL AS claimed,
           extract(epoch FROM r.started_at - r.due_at) * 1000 AS ms
    FROM jobmon.jobmon_run r
    WHERE r.due_at >= :'t0' AND r.due_at < :'t1' AND r.job_name LIKE 'bench_sec_%')
SELECT count(*), count(*) FILTER (WHERE claimed),
       round(percentile_cont(0.50) WITHIN GROUP (ORDER BY ms) FILTER (WHERE claimed)::numeric, 1),
       round(percentile_cont(0.95) WITHIN GROUP (ORDER BY ms) FILTER (WHERE claimed)::numeric, 1),
       round(percentile_cont(0.99) WITHIN GROUP (ORDER BY ms) FILTER (WHERE claimed)::numeric, 1),
       round(max(ms) FILTER (WHERE claimed)::numeric, 1),
       (SELECT string_agg(s || '=' || n, ',' ORDER BY s)
        FROM (SELECT status || CASE WHEN claimed THEN '' ELSE '(unclaimed)' END s, count(*) n
              FROM w GROUP BY 1) x)
FROM w;
SQL
	# Stats of the dispatcher's backend reach pg_stat when it exits.
	sql -F ' ' > "$work/$name.passes" <<'SQL'
SELECT max(f.calls) FILTER (WHERE f.funcname = '_dispatch_pass'),
       round(sum(f.total_time) FILTER (WHERE f.funcname = '_dispatch_pass')::numeric / n, 2),
       round(sum(f.total_time) FILTER (WHERE f.funcname = '_dispatch_plan')::numeric / n, 2),
       round(sum(f.total_time) FILTER (WHERE f.funcname = '_runs_enforce_limits')::numeric / n, 2),
       round(sum(f.total_time) FILTER (WHERE f.funcname = '_dispatch_launch')::numeric / n, 2)
FROM pg_stat_user_functions f,
     (SELECT nullif(calls, 0) n FROM pg_stat_user_functions
      WHERE schemaname = 'jobmon' AND funcname = '_dispatch_pass') p
WHERE f.schemaname = 'jobmon'
GROUP BY n;
SQL
}

# pg_cron's minute job, scheduled throughout.
cron_job=$(sql -d postgres <<SQL
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pg_cron;
SELECT cron.schedule_in_database('pg_jobmon bench', '* * * * *', 'SELECT 1', '$db');
SQL
)
cron_version=$(sql -d postgres -c "SELECT extversion FROM pg_extension WHERE extname = 'pg_cron'")

sql <<'SQL'
SELECT jobmon.create_job(jsonb_build_object('name', 'bench_sec_' || g,
                         'cron', '* * * * * *', 'commands', 'SELECT 1'))
FROM generate_series(1, 5) g \g /dev/null
SQL
window few

sql -v n="$idle_jobs" <<'SQL'
SELECT set_config('bench.idle_jobs', :'n', false) \g /dev/null
DO $$
BEGIN
    FOR i IN 1..current_setting('bench.idle_jobs')::integer LOOP
        PERFORM jobmon.create_job(jsonb_build_object('name', 'bench_idle_' || i,
                                  'cron', '0 0 1 1 *', 'commands', 'SELECT 1'));
    END LOOP;
END
$$;
ANALYZE jobmon.jobmon_job, jobmon.jobmon_schedule, jobmon.jobmon_run;
SQL
window many

# pg_cron's runs due in the two windows (one each), against their minute.
windows=$(paste -sd, "$work/windows")
sql -d postgres -F ' ' -v job="$cron_job" > "$work/cron.lateness" <<SQL
WITH r AS (
    SELECT extract(epoch FROM d.start_time - date_trunc('minute', d.start_time)) * 1000 AS ms
    FROM cron.job_run_details d, (VALUES $windows) w(t0, t1)
    WHERE d.jobid = :job AND date_trunc('minute', d.start_time) >= w.t0
      AND date_trunc('minute', d.start_time) < w.t1)
SELECT count(*),
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)::numeric, 1),
       round(max(ms)::numeric, 1),
       coalesce(string_agg(round(ms::numeric, 1)::text, ', ' ORDER BY ms), '-')
FROM r;
SQL
sql -d postgres -c "SELECT cron.unschedule($cron_job)" >/dev/null
cron_job=""

sql <<'SQL'
DO $$
BEGIN
    PERFORM jobmon.drop_job(j.job_id, true) FROM jobmon.jobmon_job j
    WHERE j.name LIKE 'bench_sec_%' OR j.name LIKE 'bench_idle_%';
END
$$;
SQL

# Report
read -r fd fn fp50 fp95 fp99 fmax fstat < "$work/few.lateness"
read -r md mn mp50 mp95 mp99 mmax mstat < "$work/many.lateness"
read -r cn cp50 cmax clist < "$work/cron.lateness"
read -r fcpu < "$work/few.cpu"
read -r mcpu < "$work/many.cpu"
read -r fpasses fpass fdisp flim flaunch < "$work/few.passes"
read -r mpasses mpass mdisp mlim mlaunch < "$work/many.passes"
label_many="pg_jobmon, 5 + $idle_jobs idle jobs"
printf 'lateness of runs (started_at - due_at), %s s windows, ms\n' "$secs"
printf '%-38s %4s %7s %6s %6s %6s %6s  %s\n' "" due started p50 p95 p99 max statuses \
	"pg_jobmon, 5 every-second jobs" "$fd" "$fn" "$fp50" "$fp95" "$fp99" "$fmax" "$fstat" \
	"$label_many" "$md" "$mn" "$mp50" "$mp95" "$mp99" "$mmax" "$mstat"
printf '%-38s %4s %7s %6s %6s %6s %6s  each: %s\n' "pg_cron $cron_version, minute job (baseline)" \
	"$cn" "$cn" "$cp50" - - "$cmax" "$clist"
printf '\ntick backend CPU, %% of one core over %s s; passes of the dispatcher, mean ms each\n' "$secs"
printf '%-38s %6s %%   %5s passes of %6s ms: plan %s, limits %s, launch %s ms\n' \
	"5 every-second jobs (baseline)" "$fcpu" "$fpasses" "$fpass" "$fdisp" "$flim" "$flaunch" \
	"5 + $idle_jobs idle jobs" "$mcpu" "$mpasses" "$mpass" "$mdisp" "$mlim" "$mlaunch"
echo
awk -v f50="$fp50" -v f99="$fp99" -v m50="$mp50" -v m99="$mp99" -v c50="$cp50" \
	-v fd="$fd" -v fn="$fn" -v md="$md" -v mn="$mn" \
	-v fc="$fcpu" -v mc="$mcpu" -v n="$idle_jobs" '
function verdict(ok) { return ok ? "met" : "MISSED" }
BEGIN {
	printf "lateness p50 %s / %s ms (target <= 10): %s; p99 %s / %s ms (target <= 25): %s\n",
		f50, m50, verdict(f50 <= 10 && m50 <= 10), f99, m99, verdict(f99 <= 25 && m99 <= 25)
	printf "runs not started (skipped, or failed before the worker claimed them): %d of %d / %d of %d\n",
		fd - fn, fd, md - mn, md
	if (c50 > 0)
		printf "lateness p50 against pg_cron minute job: %.2fx / %.2fx\n", f50 / c50, m50 / c50
	printf "tick CPU with %d idle jobs %.2f%% (target <= 2%%): %s; %.1fx the baseline %.2f%%\n",
		n, mc, verdict(mc <= 2), (fc > 0 ? mc / fc : 0), fc
}'
