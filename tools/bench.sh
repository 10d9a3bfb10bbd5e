#!/usr/bin/env bash
# bench.sh - run every benchmark under bench/ against the private cluster.
# Each bench/NAME.sh prints its own figures beside the baseline it measured
# in the same run; BENCH=NAME runs just one.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

export PGDATABASE=jobmon_bench
tools/setup-db.sh "$PGDATABASE"
for b in bench/${BENCH:-*}.sh; do
	echo "== $(basename "$b" .sh)"
	"$b"
done
