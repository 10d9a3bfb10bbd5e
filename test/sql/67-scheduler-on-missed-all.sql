-- on_missed all, end to end: after a downtime every missed fire time up to
-- missed_limit runs, oldest first, one at a time (or max_instances at a
-- time), the latest missed time included; the older ones are recorded in
-- one skipped run.  The downtime is simulated: the schedule of a job that
-- fires every 10 minutes is moved back an hour, as if no dispatcher had run
-- since.  Its minutes are chosen about 5 minutes away from now, so that no
-- fire time comes while this file runs.  Each run records when its
-- commands begin and end, by its own clock.
-- Workers only see committed jobs: this file commits (see scheduler.sql).
\ir ../setup.sql
\ir ../scheduler.sql

SELECT pg_temp.test_cleanup('r67_') \g /dev/null
DROP TABLE IF EXISTS public.r67_trace;

SELECT plan(16);
SELECT pg_temp.tick_start() \g /dev/null

CREATE TABLE public.r67_trace (run_id bigint, event text, at timestamptz);

-- Every 10 minutes, at the minutes 5 from now's modulo 10.
SELECT string_agg(m::text, ',') AS cron FROM generate_series((extract(minute FROM now())::int + 5) % 10, 59, 10) m \gset
SELECT :'cron' || ' * * * *' AS cron \gset

-- A job of this file; its commands trace its runs.
CREATE FUNCTION pg_temp.job(p_name text, p_cron text, p_max_instances integer, p_missed_limit integer,
                            p_seconds float8)
RETURNS bigint LANGUAGE sql AS $$
    SELECT jobmon.create_job(jsonb_build_object(
        'name', p_name, 'cron', p_cron, 'on_missed', 'all', 'missed_limit', p_missed_limit,
        'max_instances', p_max_instances,
        'commands', jsonb_build_array(
            $q$INSERT INTO public.r67_trace VALUES (jobmon._worker_run_id(), 'begin', clock_timestamp())$q$,
            format('SELECT pg_sleep(%s)', p_seconds),
            $q$INSERT INTO public.r67_trace VALUES (jobmon._worker_run_id(), 'end', clock_timestamp())$q$)))
$$;
-- Move the schedule of job p_job_id back, as if its fire times of the last
-- hour had been missed (six of them).  Returns the first.
CREATE FUNCTION pg_temp.miss_an_hour(p_job_id bigint, p_cron text) RETURNS timestamptz LANGUAGE sql AS $$
    UPDATE jobmon.jobmon_schedule s
    SET fired_until = now() - interval '1 hour', next_fire = jobmon.cron_next(p_cron, now() - interval '1 hour')
    WHERE s.job_id = p_job_id
    RETURNING s.next_fire
$$;
-- The runs of a job that ran, in fire-time order, with their traces.
CREATE FUNCTION pg_temp.ran(p_name text)
RETURNS TABLE (run_id bigint, due_at timestamptz, began timestamptz, ended timestamptz) LANGUAGE sql AS $$
    SELECT r.run_id, r.due_at, b.at, e.at FROM jobmon.jobmon_run r
    JOIN public.r67_trace b ON b.run_id = r.run_id AND b.event = 'begin'
    JOIN public.r67_trace e ON e.run_id = r.run_id AND e.event = 'end'
    WHERE r.job_name = p_name ORDER BY r.due_at
$$;
-- How many pairs of runs of a job overlapped.
CREATE FUNCTION pg_temp.overlaps(p_name text) RETURNS integer LANGUAGE sql AS $$
    SELECT count(*)::int FROM pg_temp.ran(p_name) a JOIN pg_temp.ran(p_name) b
    ON a.run_id < b.run_id AND a.began < b.ended AND b.began < a.ended
$$;
-- The condition "n runs of job p_name succeeded".
CREATE FUNCTION pg_temp.succeeded(p_name text, n integer) RETURNS text LANGUAGE sql AS $$
    SELECT format($q$SELECT count(*) = %s FROM jobmon.jobmon_run WHERE job_name = %L AND status = 'success'$q$, n, p_name)
$$;

-------------------------------------------------------------------------------
-- max_instances 1, missed_limit 5: six fire times missed, the last five run
-- one at a time, oldest first.
SELECT pg_temp.job('r67_one', :'cron', 1, 5, 0.3) AS one \gset
SELECT pg_temp.miss_an_hour(:one, :'cron') AS first_missed \gset
SELECT ok(pg_temp.wait_until(pg_temp.succeeded('r67_one', 5)), 'the runs of five missed fire times succeed');
SELECT is((SELECT count(*)::int FROM jobmon.jobmon_run WHERE job_name = 'r67_one'), 6,
          'nothing else is planned: five runs and one skipped record');
SELECT is((SELECT array_agg(due_at ORDER BY due_at) FROM jobmon.jobmon_run WHERE job_name = 'r67_one' AND status = 'success'),
          (SELECT array_agg(t ORDER BY t) FROM jobmon.cron_times(:'cron', :'first_missed'::timestamptz + interval '10 minutes', now()) t),
          'they are for the last five missed fire times, the latest (the on-time one) included');
SELECT is((SELECT array_agg(run_id ORDER BY began) FROM pg_temp.ran('r67_one')),
          (SELECT array_agg(run_id ORDER BY due_at) FROM pg_temp.ran('r67_one')),
          'they run oldest first');
SELECT is(pg_temp.overlaps('r67_one'), 0, 'one at a time: each begins after the one before it has ended');
SELECT results_eq($$SELECT due_at, reason FROM jobmon.jobmon_run WHERE job_name = 'r67_one' AND status = 'skipped'$$,
    format($$VALUES (%L::timestamptz, %L)$$, :'first_missed',
           format('1 fire time(s) from %s to %s were missed while no dispatcher ran and are not run: '
                  'on_missed all runs the last 5 (missed_limit)', :'first_missed'::timestamptz, :'first_missed'::timestamptz)),
    'the oldest missed time, beyond missed_limit, is a skipped run that says so');
SELECT ok((SELECT s.next_fire > now() FROM jobmon.jobmon_schedule s WHERE s.job_id = :one),
          'the schedule goes on with its next fire time to come');

-------------------------------------------------------------------------------
-- max_instances 2: two at a time, never more.
SELECT pg_temp.job('r67_two', :'cron', 2, 5, 2) AS two \gset
SELECT pg_temp.miss_an_hour(:two, :'cron') \g /dev/null
SELECT ok(pg_temp.wait_until($$SELECT count(*) = 2 FROM jobmon.jobmon_run WHERE job_name = 'r67_two' AND status = 'running'$$),
          'max_instances 2: two missed runs run at once');
SELECT ok(pg_temp.wait_until(pg_temp.succeeded('r67_two', 5), '60 seconds'), 'and all five succeed');
SELECT is((SELECT max(n)::int FROM (SELECT count(*) AS n FROM pg_temp.ran('r67_two') a JOIN pg_temp.ran('r67_two') b
                                    ON b.began <= a.began AND a.began < b.ended GROUP BY a.run_id) x), 2,
          'never more than two at once');
SELECT is((SELECT count(*)::int FROM jobmon.jobmon_run WHERE job_name = 'r67_two' AND status = 'skipped'), 1,
          'the older missed time is one skipped run');

-------------------------------------------------------------------------------
-- A run under way when the dispatcher comes back (max_instances 1,
-- on_overlap skip): the missed runs wait for it, none is skipped as
-- overlapping.
SELECT pg_temp.job('r67_busy', :'cron', 1, 2, 3) AS busy \gset
SELECT jobmon.run_job(:busy) AS busy_run \gset
SELECT ok(pg_temp.wait_until(format($$SELECT EXISTS (SELECT FROM public.r67_trace WHERE run_id = %L)$$, :busy_run)),
          'a run of the job is under way');
SELECT pg_temp.miss_an_hour(:busy, :'cron') \g /dev/null
SELECT ok(pg_temp.wait_until(pg_temp.succeeded('r67_busy', 3)), 'it and the two missed runs succeed');
SELECT ok((SELECT max(r.created_at) FROM jobmon.jobmon_run r WHERE r.job_name = 'r67_busy' AND r.run_id <> :busy_run)
              < (SELECT ended FROM pg_temp.ran('r67_busy') WHERE run_id = :busy_run),
          'the missed runs were planned while it ran');
SELECT is(pg_temp.overlaps('r67_busy'), 0, 'they ran one after the other');
SELECT results_eq($$SELECT status, count(*)::int FROM jobmon.jobmon_run WHERE job_name = 'r67_busy' GROUP BY status ORDER BY status$$,
                  $$VALUES ('skipped', 1), ('success', 3)$$,
                  'the only skipped run records the missed times beyond missed_limit');

-------------------------------------------------------------------------------
CALL pg_temp.tick_stop();
SELECT pg_temp.test_cleanup('r67_') \g /dev/null
DROP TABLE public.r67_trace;
SELECT * FROM finish();
