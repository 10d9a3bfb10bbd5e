#!/usr/bin/env bash
# cron.sh - benchmark of the cron engine (make bench, or BENCH=cron make bench).
#
# In one run, over the fixed expression set of bench/cron/exprs.tsv (L, W,
# #, seconds, zones with daylight-saving time):
#   1. the C core: ns per next fire time (bench/cron/cron_bench.c, -O2);
#   2. the same set through SQL: jobmon.cron_next calls per second, beside
#      the same query calling the built-in timezone() instead (the cost of
#      the query itself, as a baseline);
#   3. the npm packages croner and cron-parser on the same set, installed
#      here into bench/node_modules (ignored by git) on first use.
# Prints every figure beside its baseline, as ratios.  Needs the PG*
# environment that tools/bench.sh sets (database with pg_jobmon in "jobmon").
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
set_file="$here/cron/exprs.tsv"
CRONER_VERSION=11.0.1
CRON_PARSER_VERSION=5.10.5
SQL_CALLS=${CRON_BENCH_SQL_CALLS:-200000}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# 1. C core
${CC:-cc} -std=c99 -O2 -DNDEBUG -I"$top/src" -I"$top/test/c" -o "$work/cron_bench" \
	"$here/cron/cron_bench.c" "$top/test/c/cron_tz_system.c" \
	$(ls "$top"/src/cron*.c | grep -v cron_sql.c)
"$work/cron_bench" "$set_file" > "$work/core.tsv"

# 2. SQL
{
	cat <<'SQL'
\set QUIET 1
CREATE FUNCTION pg_temp.rate(q text, n int) RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz;
BEGIN
    EXECUTE q;                       -- warm up (parse, cache, zone load)
    t0 := clock_timestamp();
    EXECUTE q;
    RETURN n / extract(epoch FROM clock_timestamp() - t0);
END $$;
SQL
	grep -v '^#' "$set_file" | while IFS=$'\t' read -r zone expr _ _; do
		q="SELECT count(jobmon.cron_next('$expr', '2024-01-01 00:00Z'::timestamptz + g * interval '7 minutes 3 seconds', '$zone')) FROM generate_series(1, $SQL_CALLS) g"
		b="SELECT count(timezone('$zone', '2024-01-01 00:00Z'::timestamptz + g * interval '7 minutes 3 seconds')) FROM generate_series(1, $SQL_CALLS) g"
		printf "SELECT round(pg_temp.rate(%s, %s)), round(pg_temp.rate(%s, %s)), %s, %s;\n" \
			"\$q\$$q\$q\$" "$SQL_CALLS" "\$q\$$b\$q\$" "$SQL_CALLS" "\$z\$$zone\$z\$" "\$e\$$expr\$e\$"
	done
} | psql -X -q -At -F $'\t' -v ON_ERROR_STOP=1 > "$work/sql.tsv"

# 3. croner and cron-parser
if [ ! -f "$top/bench/node_modules/croner/package.json" ] ||
	[ ! -f "$top/bench/node_modules/cron-parser/package.json" ]; then
	npm install --prefix "$top/bench" --no-save --no-package-lock --no-audit --no-fund \
		--loglevel=error "croner@$CRONER_VERSION" "cron-parser@$CRON_PARSER_VERSION" >/dev/null
fi
node "$here/cron/bench.mjs" "$set_file" > "$work/js.tsv"

# Report
awk -F'\t' -v croner="$CRONER_VERSION" -v parser="$CRON_PARSER_VERSION" -v calls="$SQL_CALLS" '
FILENAME ~ /core/ { if ($1 == "mean") next; key = $2 "\t" $3; core[key] = $1; order[++n] = key; next }
FILENAME ~ /js/   { key = $3 "\t" $4; if ($1 == "croner") cr[key] = $2; else cp[key] = $2; next }
FILENAME ~ /sql/  { key = $3 "\t" $4; sql[key] = $1; base[key] = $2; next }
END {
	printf "%-34s %9s %9s %7s %11s %7s %12s %12s\n", "expression (zone)", "core ns", "croner", "ratio", "cron-parser", "ratio", "SQL calls/s", "baseline/s"
	for (i = 1; i <= n; i++) {
		k = order[i]; split(k, p, "\t")
		label = p[2] " (" p[1] ")"
		r1 = (cr[k] == "n/a") ? "n/a" : sprintf("%.0fx", cr[k] / core[k])
		r2 = (cp[k] == "n/a") ? "n/a" : sprintf("%.0fx", cp[k] / core[k])
		printf "%-34s %9.0f %9s %7s %11s %7s %12.0f %12.0f\n", label, core[k], cr[k] == "n/a" ? "n/a" : sprintf("%.0f", cr[k]), r1, cp[k] == "n/a" ? "n/a" : sprintf("%.0f", cp[k]), r2, sql[k], base[k]
		sc += core[k]; nc++
		if (cr[k] != "n/a") { scr += cr[k]; scc += core[k]; ncr++ }
		if (cp[k] != "n/a") { scp += cp[k]; spc += core[k]; ncp++ }
		# harmonic mean of rates = calls / total time
		tsql += 1 / sql[k]; tbase += 1 / base[k]
	}
	printf "\n"
	printf "C core:           %.0f ns per next fire time (mean over %d expressions)\n", sc / nc, nc
	printf "croner %s:    %.0f ns per next fire time (%d expressions); the core is %.0fx faster on them (target >= 100x)\n", croner, scr / ncr, ncr, scr / scc
	printf "cron-parser %s: %.0f ns per next fire time (%d expressions); the core is %.0fx faster on them\n", parser, scp / ncp, ncp, scp / spc
	rsql = n / tsql; rbase = n / tbase
	printf "SQL cron_next:    %.0f calls/s (%.1fx the target of 500000/s); the same query with the built-in timezone() instead: %.0f calls/s (ratio %.2f)\n", rsql, rsql / 500000, rbase, rsql / rbase
}' "$work/core.tsv" "$work/js.tsv" "$work/sql.tsv"
