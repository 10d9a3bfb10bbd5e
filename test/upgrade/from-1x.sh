#!/usr/bin/env bash
# from-1x.sh - ALTER EXTENSION pg_jobmon UPDATE from pg_jobmon 1.x (run by
# run.sh, part of make test; needs the cluster up, the PG* variables set and
# the extension installed).
#
# pg_jobmon 1.x is not installed anywhere: test/upgrade/v1/ describes its
# catalog (1.3.0's install script, and the changes of 1.3.3, 1.4.1 and 1.5.0),
# copied into the server's extension directory for this run only.  For each
# release, a database at that release gets a realistic log and what its users
# add (from-1x/data-1x.sql, from-1x/users.sql), then ALTER EXTENSION pg_jobmon
# UPDATE, and must have kept every fact from-1x/facts.sql reads (rows and
# ids, sequence positions, status texts, grants, user views), have repaired
# the monitoring configurations 2.x refuses and dropped the credentials
# table, each with its NOTICE, have the log marked for pg_dump, and the
# schema of a fresh install given the same user objects.  Then the logging
# call patterns of mimeo and (when installed) pg_partman must log.
# Prints the row counts before and after, and TAP; exits non-zero on any
# failure.
set -uo pipefail
dir=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$dir/../.." && pwd)
cd "$top" || exit 1
ext=pg_jobmon
current=$(sed -n "s/^default_version *= *'\(.*\)'/\1/p" $ext.control)
sharedir=$(${PG_CONFIG:-pg_config} --sharedir)/extension
releases="1.5.0 1.4.1 1.3.3 1.3.0"
. "$dir/lib.sh"

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
work=$(mktemp -d)
fixtures=$(cd "$dir/v1" && ls $ext--*.sql)
cleanup() {
	for f in $fixtures; do $sudo rm -f "$sharedir/$f"; done
	rm -rf "$work"
}
trap cleanup EXIT
for f in $fixtures; do
	$sudo cp "$dir/v1/$f" "$sharedir/$f"
done

partman=""
[ -f "$sharedir/pg_partman.control" ] && partman=yes
checks=13
n=0 failed=0
echo "# upgrade test: pg_jobmon 1.x databases updated to $current in place"
echo "1..$((1 + checks * $(echo $releases | wc -w)))"
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)) failed=$((failed + 1)); echo "not ok $n - $*"; }
check() { # check DESCRIPTION FILE: ok when FILE is empty, else not ok with FILE
	if [ -s "$2" ]; then not_ok "$1"; diag < "$2"; else ok "$1"; fi
}
diag() { sed 's/^/# /'; }

q -d postgres > "$work/roles.err" 2>&1 <<-'SQL'
SET client_min_messages = warning;
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'jobmon_1x_reader') THEN
        CREATE ROLE jobmon_1x_reader;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'jobmon_1x_reporter') THEN
        CREATE ROLE jobmon_1x_reporter;
    END IF;
END
$$;
-- 2.x's row-level security: a role whose views read every job is a
-- monitoring role (doc: Who reads the log).
GRANT pg_monitor TO jobmon_1x_reader, jobmon_1x_reporter;
SQL

# partman_setup DB: pg_partman as its users had it with 1.x: it finds jobmon
# through pg_extension and logs its maintenance there.
partman_setup() {
	q -d "$1" <<-'SQL'
	SET client_min_messages = warning;
	CREATE SCHEMA partman;
	CREATE EXTENSION pg_partman SCHEMA partman;
	CREATE TABLE public.events (id bigint, at timestamptz NOT NULL) PARTITION BY RANGE (at);
	SELECT partman.create_parent('public.events', 'at', 'native', 'daily', p_premake := 2, p_jobmon := true);
	SQL
}

# The fresh install to compare with, given the same user objects.
fresh=${ext}_from_1x_fresh
if create_db "$fresh" > "$work/fresh.err" 2>&1 &&
	q -d "$fresh" -f test/upgrade/from-1x/users.sql >> "$work/fresh.err" 2>&1 &&
	snapshot "$fresh" "$work/fresh" 2>> "$work/fresh.err"; then
	ok "fresh install of $current with the users' objects"
	grep -E '^(extension|config) ' "$work/fresh.data" > "$work/fresh.marks"
else
	not_ok "fresh install of $current with the users' objects"
	diag < "$work/fresh.err"
fi

for v in $releases; do
	db=${ext}_from_${v//./_}
	w=$work/$v
	mkdir -p "$w"
	if ! { create_db "$db" "$v" &&
		q -d "$db" -f test/upgrade/from-1x/data-1x.sql &&
		{ [ -z "$partman" ] || partman_setup "$db"; } &&
		q -d "$db" -f test/upgrade/from-1x/users.sql; } > "$w/setup.err" 2>&1; then
		for i in $(seq $checks); do not_ok "$v: could not create the $v database"; done
		diag < "$w/setup.err"
		continue
	fi
	q -A -t -d "$db" -f test/upgrade/from-1x/facts.sql > "$w/before" 2> "$w/before.err"
	before_seq=$(q -A -t -d "$db" -c "SELECT last_value FROM jobmon.job_log_job_id_seq")
	before_step=$(q -A -t -d "$db" -c "SELECT last_value FROM jobmon.job_detail_step_id_seq")

	# 1. The update.
	if psql -X -v ON_ERROR_STOP=1 -d "$db" -c "ALTER EXTENSION $ext UPDATE" > "$w/update.out" 2>&1 &&
		[ "$(q -A -t -d "$db" -c "SELECT extversion FROM pg_extension WHERE extname = '$ext'")" = "$current" ]; then
		ok "$v: ALTER EXTENSION $ext UPDATE gives $current"
	else
		not_ok "$v: ALTER EXTENSION $ext UPDATE gives $current (database $db kept)"
		diag < "$w/update.out"
		for i in $(seq $((checks - 1))); do not_ok "$v: not updated"; done
		continue
	fi

	# 2. Every fact kept.
	q -A -t -d "$db" -f test/upgrade/from-1x/facts.sql > "$w/after" 2> "$w/after.err"
	echo "# $v: row counts before -> after the update"
	join -t '|' <(sed -n 's/^rows \([a-z_]*\): \([0-9]*\),.*/\1|\2/p' "$w/before" | sort) \
		<(sed -n 's/^rows \([a-z_]*\): \([0-9]*\),.*/\1|\2/p' "$w/after" | sort) |
		awk -F'|' '{ printf "#   %-17s %6s -> %s\n", $1, $2, $3 }'
	{
		cat "$w/before.err" "$w/after.err"
		[ -s "$w/before" ] || echo "no facts read"
		diff -u --label "$v before" --label "$v after" "$w/before" "$w/after"
		views="jobmon.running_report, reports.failed_runs, reports.failed_steps, reports.failing_jobs, reports.job_ids_noted, reports.job_runs, reports.jobs_per_day, reports.refreshed_by, reports.worst"
		grep -qx "NOTICE:  views on pg_jobmon's objects are re-created on pg_jobmon 2.x's: $views" "$w/update.out" ||
			echo "no NOTICE naming the re-created views"
	} > "$w/facts.diff"
	check "$v: rows and ids, sequence positions, status texts, grants, added index, constraint and trigger, and user views (definitions, owners, options, grants, comments, results) kept" "$w/facts.diff"

	# 3. Configurations repaired, a NOTICE each.
	{
		q -A -t -d "$db" -c "SELECT job_name, sensitivity, escalate FROM jobmon.job_check_config ORDER BY 1" |
			diff -u --label expected --label actual \
				<(printf '%s\n' 'NIGHTLY_1|0|1' 'NIGHTLY_2|0|' 'NIGHTLY_3|0|1' 'NIGHTLY_4|2|3') -
		for want in 'escalate of job "NIGHTLY_1" changed from 0 to 1' \
			'sensitivity of job "NIGHTLY_2" changed from -1 to 0' \
			'escalate of job "NIGHTLY_3" changed from -2 to 1' \
			'sensitivity of job "NIGHTLY_3" changed from -3 to 0'; do
			grep -q "^NOTICE:  job_check_config: $want\$" "$w/update.out" || echo "no NOTICE: $want"
		done
		[ "$(grep -c '^NOTICE:  job_check_config:' "$w/update.out")" = 4 ] || echo "not 4 NOTICEs on job_check_config"
	} > "$w/config.diff" 2>&1
	check "$v: job_check_config rows 2.x refuses repaired, with a NOTICE each" "$w/config.diff"

	# 4. The credentials table dropped, with a NOTICE that says what replaced it.
	{
		q -A -t -d "$db" -c "SELECT to_regclass('jobmon.dblink_mapping_jobmon')" | grep . && echo "dblink_mapping_jobmon still exists"
		grep -q '^NOTICE:  table jobmon.dblink_mapping_jobmon is dropped: pg_jobmon 2.x stores no credentials$' "$w/update.out" ||
			echo "no NOTICE on dblink_mapping_jobmon"
		grep -q "^DETAIL:  It held .*username 'jobmon_logger'.*logs in as the extension's owner" "$w/update.out" ||
			echo "the DETAIL does not say what it held and what replaced it"
		grep -q '^HINT:  .*jobmon_config_set' "$w/update.out" || echo "the HINT does not say what to do"
		grep -q 's3cret-pw' "$w/update.out" && echo "the NOTICE shows the password"
	} > "$w/credentials.diff" 2>&1
	check "$v: dblink_mapping_jobmon dropped, with a NOTICE on what replaced it (password not shown)" "$w/credentials.diff"

	# 5. 1.x's internal functions and this update's leftovers are gone.
	q -A -t -d "$db" > "$w/leftovers" 2>&1 <<-'SQL'
	SELECT p.oid::regprocedure FROM pg_proc p
	WHERE p.pronamespace = 'jobmon'::regnamespace
	  AND p.proname IN ('auth', 'dblink_limit_trig', 'job_monitor', 'job_check_log_escalate_trig',
	                    '_autonomous_add_job', '_autonomous_add_step', '_autonomous_update_step',
	                    '_autonomous_close_job', '_autonomous_fail_job');
	SELECT nspname FROM pg_namespace WHERE nspname = '_pg_jobmon_1x';
	SQL
	check "$v: 1.x's internal functions and the update's own schema are gone" "$w/leftovers"

	# 6. The log is marked for pg_dump, and a dump has it.
	{
		for t in job_log job_log_job_id_seq job_detail job_detail_step_id_seq job_status_text job_check_config job_check_log; do
			q -A -t -d "$db" -c "SELECT 'jobmon.$t'::regclass = ANY (extconfig) FROM pg_extension WHERE extname = '$ext'" |
				grep -qx t || echo "jobmon.$t not marked for pg_dump"
		done
		rows=$(q -A -t -d "$db" -c "SELECT count(*) FROM jobmon.job_log")
		dumped=$(pg_dump --data-only --table=jobmon.job_log -d "$db" |
			awk '/^COPY jobmon.job_log /{ on = 1; next } /^\\\.$/{ on = 0 } on' | wc -l)
		[ "$rows" = "$dumped" ] || echo "pg_dump --data-only has $dumped job_log rows of $rows"
		# 1.x's own text for code 3 (data-1x.sql) is dumped with the codes users added.
		pg_dump --data-only --table=jobmon.job_status_text -d "$db" | grep -qP '^3\tFAILED$' ||
			echo "pg_dump --data-only has not the text 1.x gave code 3"
	} > "$w/dump.diff" 2>&1
	check "$v: job_log, job_detail and their sequences marked for pg_dump (a dump has every job_log row and 1.x's status texts)" "$w/dump.diff"

	# 7. Same schema and members as a fresh install with the same user
	# objects, and the same config tables in the same order.
	if snapshot "$db" "$w/updated" 2> "$w/snapshot.err"; then
		grep -E '^(extension|config) ' "$w/updated.data" > "$w/updated.marks"
		{
			for part in schema members marks; do
				# A fresh install's sequences start at 1; these go on from 1.x's.
				diff -u --label "fresh install ($part)" --label "$v updated ($part)" \
					<(grep -v '^SELECT pg_catalog.setval(' "$work/fresh.$part") \
					<(grep -v '^SELECT pg_catalog.setval(' "$w/updated.$part")
			done
		} > "$w/schema.diff"
	else
		cp "$w/snapshot.err" "$w/schema.diff"
	fi
	check "$v: same schema, members and pg_dump marks as a fresh install" "$w/schema.diff"

	# 8. New jobs and steps take ids after 1.x's sequence positions, through
	# the 2.x API with 1.x-style calls.
	got=$(q -A -t -d "$db" 2>&1 <<-'SQL'
	SELECT jobmon.add_job('after update') AS job \gset
	SELECT :job;
	SELECT jobmon.add_step(:job, 'first step');
	SQL
	)
	new_job=$(echo "$got" | sed -n 1p) new_step=$(echo "$got" | sed -n 2p)
	if [ "$new_job" = $((before_seq + 1)) ] && [ "$new_step" = $((before_step + 1)) ]; then
		ok "$v: sequences go on from 1.x's positions (job $new_job, step $new_step)"
	else
		not_ok "$v: sequences go on from 1.x's positions"
		echo "expected job $((before_seq + 1)), step $((before_step + 1)); got: $got" | diag
	fi

	# 9. Grants work: the reader reads the log through the reporter's view.
	got=$(q -A -t -d "$db" -c "SET ROLE jobmon_1x_reader" \
		-c "SELECT count(*) > 0 FROM reports.failing_jobs" -c "SELECT count(*) > 0 FROM jobmon.job_log" \
		-c "SELECT count(*) > 0 FROM jobmon.job_detail WHERE status = 'OK'" 2>&1)
	if [ "$got" = "$(printf 't\nt\nt')" ]; then
		ok "$v: a role granted 1.x's grants reads the kept tables and the re-created views"
	else
		not_ok "$v: a role granted 1.x's grants reads the kept tables and the re-created views"
		echo "$got" | diag
	fi

	# 10. A materialized view is filled anew by its owner, not by the
	# superuser running the update (its query could call the owner's code).
	got=$(q -A -t -d "$db" -c "SELECT who FROM reports.refreshed_by" 2>&1)
	if [ "$got" = jobmon_1x_reporter ]; then
		ok "$v: a materialized view is filled anew as its owner"
	else
		not_ok "$v: a materialized view is filled anew as its owner"
		echo "filled as: $got" | diag
	fi

	# 11. A view whose parsing runs its owner's code (users.sql) is
	# re-created as its owner: its code never ran as a superuser.
	got=$(q -A -t -d "$db" -c "SELECT count(*) FILTER (WHERE superuser) || ' ' || count(*) FROM reports.parsed_by" 2>&1)
	if [ "${got%% *}" = 0 ] && [ "${got#* }" -gt 1 ] 2>/dev/null; then
		ok "$v: a view whose parsing runs its owner's code is re-created as its owner, not as the superuser"
	else
		not_ok "$v: a view whose parsing runs its owner's code is re-created as its owner, not as the superuser"
		echo "parsed as a superuser / in all: $got" | diag
	fi

	# 12. mimeo's logging calls: the jobmon schema found through pg_extension,
	# put on search_path, unqualified calls with typed variables, and
	# qualified calls built with format() from untyped literals.
	q -A -t -d "$db" > "$w/mimeo" 2>&1 <<-'SQL'
	SET client_min_messages = warning;
	CREATE SCHEMA mimeo;
	CREATE FUNCTION mimeo.refresh_like(p_dest text, p_fail boolean) RETURNS void LANGUAGE plpgsql AS $$
	DECLARE
	    v_jobmon_schema text;
	    v_old_search_path text := current_setting('search_path');
	    v_job_id bigint;
	    v_step_id bigint;
	BEGIN
	    SELECT nspname INTO v_jobmon_schema FROM pg_namespace n, pg_extension e
	    WHERE e.extname = 'pg_jobmon' AND e.extnamespace = n.oid;
	    PERFORM set_config('search_path', 'mimeo,' || v_jobmon_schema || ',public', false);
	    v_job_id := add_job('Refresh Snap: ' || p_dest);
	    v_step_id := add_step(v_job_id, 'Grabbing Mapping, Building SQL');
	    PERFORM update_step(v_step_id, 'OK', 'Done');
	    IF p_fail THEN
	        EXECUTE format('SELECT %I.add_step(%L, %L)', v_jobmon_schema, v_job_id, 'Obtaining advisory lock') INTO v_step_id;
	        EXECUTE format('SELECT %I.update_step(%L, %L, %L)', v_jobmon_schema, v_step_id, 'WARNING', 'Found concurrent job. Exiting gracefully');
	        EXECUTE format('SELECT %I.fail_job(%L, %L)', v_jobmon_schema, v_job_id, 2);
	    ELSE
	        PERFORM close_job(v_job_id);
	    END IF;
	    PERFORM set_config('search_path', v_old_search_path, false);
	END
	$$;
	SELECT mimeo.refresh_like('public.t1', false);
	SELECT mimeo.refresh_like('public.t2', true);
	SELECT string_agg(format('%s %s %s', l.job_name, l.status, (SELECT count(*) FROM jobmon.job_detail d WHERE d.job_id = l.job_id)), '; ' ORDER BY l.job_id)
	FROM jobmon.job_log l WHERE l.job_name LIKE 'REFRESH SNAP%';
	SQL
	if [ "$(tail -1 "$w/mimeo")" = "REFRESH SNAP: PUBLIC.T1 OK 1; REFRESH SNAP: PUBLIC.T2 WARNING 2" ]; then
		ok "$v: mimeo's logging calls log after the update"
	else
		not_ok "$v: mimeo's logging calls log after the update"
		diag < "$w/mimeo"
	fi

	# 13. pg_partman's maintenance logs after the update.
	if [ -z "$partman" ]; then
		ok "$v: pg_partman's maintenance logs after the update # SKIP pg_partman is not installed"
	else
		got=$(q -A -t -d "$db" 2>&1 <<-SQL
		SET client_min_messages = warning;
		SELECT partman.run_maintenance(p_jobmon := true);
		SELECT format('%s %s', job_id > $before_seq, status) FROM jobmon.job_log
		WHERE job_name = 'PARTMAN RUN MAINTENANCE' ORDER BY job_id DESC LIMIT 1;
		SQL
		)
		if [ "$(echo "$got" | grep -v '^$')" = "t OK" ]; then
			ok "$v: pg_partman's maintenance logs after the update"
		else
			not_ok "$v: pg_partman's maintenance logs after the update"
			{ echo "$got"; cat "$w/setup.err"; } | diag
		fi
	fi

	[ "$failed" -eq 0 ] && drop_db "$db" > /dev/null
done
[ "$failed" -eq 0 ] && drop_db "$fresh" > /dev/null
[ "$failed" -eq 0 ] && q -d postgres -c "DROP ROLE jobmon_1x_reader" -c "DROP ROLE jobmon_1x_reporter" > /dev/null 2>&1

if [ "$failed" -eq 0 ]; then
	echo "# 1.x upgrade test: all $n passed"
else
	echo "# 1.x upgrade test: $failed of $n FAILED (databases kept)"
	exit 1
fi
