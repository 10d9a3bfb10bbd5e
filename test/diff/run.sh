#!/usr/bin/env bash
# run.sh - differential test of the cron engine against croner (npm), on
# random valid expressions and start times in UTC, Europe/Berlin and
# America/New_York.  Installs croner into test/diff/node_modules (ignored
# by git) on first use.  DIFF_COUNT cases per zone (default 3000), DIFF_SEED.
set -euo pipefail
dir=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$dir/../.." && pwd)
CRONER_VERSION=11.0.1

if [ ! -f "$dir/node_modules/croner/package.json" ]; then
	npm install --prefix "$dir" --no-save --no-package-lock --no-audit --no-fund \
		--loglevel=error "croner@$CRONER_VERSION" >/dev/null
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
${CC:-cc} -std=c99 -O2 -Wall -I"$top/src" -I"$top/test/c" -o "$work/cron_diff" \
	"$dir/cron_diff.c" "$top/test/c/cron_oracle.c" "$top/test/c/cron_tz_system.c" \
	$(ls "$top"/src/cron*.c | grep -v cron_sql.c)
"$work/cron_diff" "${DIFF_COUNT:-3000}" "${DIFF_SEED:-1}" > "$work/cases.jsonl"
node "$dir/compare.mjs" < "$work/cases.jsonl"
