#!/usr/bin/env bash
# demo.sh - what "make demo" shows once the private cluster is up: a logged
# job with a few steps, one of them failing, the log it leaves, and what
# check_job_status() makes of it; then a few scheduled jobs, run by a dispatcher
# dispatching in the background, and their runs.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)

export PGDATABASE=jobmon_demo
"$top/tools/setup-db.sh" "$PGDATABASE"
psql -X -q -v ON_ERROR_STOP=1 -f "$top/tools/demo.sql"

# The dispatcher, as pg_cron would call it every minute; demo-scheduler.sql
# stops it (jobmon.jobmon_stop()) once it has shown the runs.
psql -X -q -c "CALL jobmon.jobmon_dispatch('1 minute')" &
tick=$!
psql -X -q -v ON_ERROR_STOP=1 -f "$top/tools/demo-scheduler.sql"
wait "$tick"
