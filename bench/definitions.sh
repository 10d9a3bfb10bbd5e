#!/usr/bin/env bash
# definitions.sh - what defining a job costs as jobs accumulate.
#
# In a database of its own (created here and dropped at the end, so the
# other benchmarks see none of these jobs), in one session, as a user's
# script would define jobs:
#   1. with BENCH_BASE_JOBS (100) jobs defined, BENCH_PROBE_ROUNDS (5)
#      rounds of BENCH_PROBES (100) calls each of create_job,
#      set_job_attribute and drop_job on probe jobs of their own, and of
#      submit_job (its one-off jobs dropped after each round, untimed), so
#      that the number of jobs stays near BENCH_BASE_JOBS;
#   2. BENCH_JOBS (100,000) calls of create_job ('0 0 1 1 *', never due
#      during the run), a thousand per transaction, each thousand timed;
#   3. the probes of step 1 again, beside those jobs.
# Figures: ms per call of the first and the last thousand of step 2, and of
# each function at the two sizes (the median round); the baseline of each
# is its cost at the small size.  Target: the same cost at both sizes (ratio about 1).
#
# Needs the PG* environment of tools/bench.sh (superuser).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
base=${BENCH_BASE_JOBS:-100}
jobs=${BENCH_JOBS:-100000}
probes=${BENCH_PROBES:-100}
rounds=${BENCH_PROBE_ROUNDS:-5}
db=${PGDATABASE:-jobmon_bench}_definitions

cleanup() {
	psql -X -q -d postgres -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1 || true
}
trap cleanup EXIT
"$top/tools/setup-db.sh" "$db"

psql -X -q -At -v ON_ERROR_STOP=1 -d "$db" \
	-v base="$base" -v jobs="$jobs" -v probes="$probes" -v rounds="$rounds" <<'SQL'
SET client_min_messages = warning;
SELECT set_config('bench.base', :'base', false), set_config('bench.jobs', :'jobs', false),
       set_config('bench.probes', :'probes', false), set_config('bench.rounds', :'rounds', false) \g /dev/null

-- Milliseconds per call: (function, size, calls, ms).
CREATE TEMP TABLE timing (fn text, size text, calls integer, ms float8);

-- The probes: rounds of create_job, set_job_attribute, drop_job and
-- submit_job, p_size naming the number of jobs beside them.
CREATE PROCEDURE pg_temp.probe(p_size text) LANGUAGE plpgsql AS $$
DECLARE
    n      integer := current_setting('bench.probes')::integer;
    v_ids  bigint[];
    v_t0   timestamptz;
    v_id   bigint;
BEGIN
    FOR r IN 1..current_setting('bench.rounds')::integer LOOP
        v_t0 := clock_timestamp();
        SELECT array_agg(jobmon.create_job(jsonb_build_object('name', format('probe %s %s %s', p_size, r, g),
                                           'cron', '0 0 1 1 *', 'commands', 'SELECT 1')))
        INTO v_ids FROM generate_series(1, n) g;
        INSERT INTO timing VALUES ('create_job', p_size, n, extract(epoch FROM clock_timestamp() - v_t0) * 1000);
        COMMIT;
        v_t0 := clock_timestamp();
        FOREACH v_id IN ARRAY v_ids LOOP
            PERFORM jobmon.set_job_attribute(v_id, 'comments', 'probed');
        END LOOP;
        INSERT INTO timing VALUES ('set_job_attribute', p_size, n, extract(epoch FROM clock_timestamp() - v_t0) * 1000);
        COMMIT;
        v_t0 := clock_timestamp();
        FOREACH v_id IN ARRAY v_ids LOOP
            PERFORM jobmon.drop_job(v_id, true);
        END LOOP;
        INSERT INTO timing VALUES ('drop_job', p_size, n, extract(epoch FROM clock_timestamp() - v_t0) * 1000);
        COMMIT;
        v_t0 := clock_timestamp();
        SELECT array_agg(jobmon.submit_job('SELECT 1', name => 'probe oneoff')) INTO v_ids
        FROM generate_series(1, n);
        INSERT INTO timing VALUES ('submit_job', p_size, n, extract(epoch FROM clock_timestamp() - v_t0) * 1000);
        COMMIT;
        PERFORM jobmon.drop_job(i, true) FROM unnest(v_ids) i;
        COMMIT;
    END LOOP;
END
$$;

SELECT count(jobmon.create_job(jsonb_build_object('name', 'base ' || g, 'cron', '0 0 1 1 *', 'commands', 'SELECT 1')))
FROM generate_series(1, current_setting('bench.base')::integer) g \g /dev/null
-- The first calls of a session plan their statements: not counted.
CALL pg_temp.probe('warm-up');
CALL pg_temp.probe('small');

DO $$
DECLARE
    v_t0 timestamptz;
    v_n  integer := current_setting('bench.jobs')::integer;
BEGIN
    FOR k IN 0..(v_n - 1) / 1000 LOOP
        v_t0 := clock_timestamp();
        FOR i IN k * 1000 + 1..least(k * 1000 + 1000, v_n) LOOP
            PERFORM jobmon.create_job(jsonb_build_object('name', 'idle ' || i,
                                      'cron', '0 0 1 1 *', 'commands', 'SELECT 1'));
        END LOOP;
        INSERT INTO timing VALUES ('create_job thousand', k::text, least(1000, v_n - k * 1000),
                                   extract(epoch FROM clock_timestamp() - v_t0) * 1000);
        COMMIT;
    END LOOP;
END
$$;
CALL pg_temp.probe('large');

\pset format unaligned
\pset fieldsep ' '
SELECT format('per call, ms: %s jobs beside the first and %s beside the last thousand of %s create_job calls',
              current_setting('bench.base'), current_setting('bench.base')::int + current_setting('bench.jobs')::int - 1000,
              current_setting('bench.jobs'));
WITH t AS (
    SELECT size::int AS k, ms / calls AS per FROM timing WHERE fn = 'create_job thousand'
)
SELECT format('%-66s %8s %8s %8s', '', 'first', 'last', 'last/first')
UNION ALL
SELECT format('%-66s %8s %8s %8sx', 'create_job, a thousand calls (baseline: first)',
              round(f.per::numeric, 3), round(l.per::numeric, 3), round((l.per / f.per)::numeric, 2))
FROM t f, t l
WHERE f.k = 0 AND l.k = (SELECT max(k) FROM t);
SELECT format('%-66s %8s %8s %8s', '', current_setting('bench.base') || ' jobs',
              current_setting('bench.base')::int + current_setting('bench.jobs')::int, 'ratio');
-- The median round, against bursts of other work on the machine.
WITH r AS (
    SELECT fn, percentile_cont(0.5) WITHIN GROUP (ORDER BY ms / calls) FILTER (WHERE size = 'small') AS small,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY ms / calls) FILTER (WHERE size = 'large') AS large,
           count(*) FILTER (WHERE size = 'small') AS rounds, max(calls) AS calls
    FROM timing WHERE fn <> 'create_job thousand' AND size <> 'warm-up'
    GROUP BY fn)
SELECT format('%-66s %8s %8s %8sx', format('%s, median of %s x %s calls (baseline: %s jobs)', fn, rounds, calls,
                                           current_setting('bench.base')),
              round(small::numeric, 3), round(large::numeric, 3), round((large / small)::numeric, 2))
FROM r ORDER BY fn;
SELECT format('creating %s jobs took %s s in all; target: the same cost per call at both sizes',
              current_setting('bench.jobs'), round((sum(ms) / 1000)::numeric, 1))
FROM timing WHERE fn = 'create_job thousand';
SQL
