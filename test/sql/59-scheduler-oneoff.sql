-- One-off jobs (submit_job): the job_status and all_job_status views
-- through submitted, processing and done; each run a logged job (job_log
-- row under upper(name), a step for the query); params bound as real
-- parameters (hostile text, NULL, types from the query's context, a
-- missing parameter, an invalid value); run_after; depends_on (success,
-- failure, cancelled dependency, refused submissions); resubmit() and
-- get_self_id() (resubmit_limit, outside a job, in a periodic job);
-- cancel_submitted_job() and cancel_job() on a run; submit_job()'s input
-- errors; max_wait_interval; the one-off worker allowance
-- (max_oneoff_workers, beside max_workers); max_duration.
-- Workers only see committed jobs: this file commits (see scheduler.sql).
-- Jobs that must stay under way while the file looks at them wait for an
-- advisory lock this session holds, and go on when it is released.
\ir ../setup.sql
\ir ../scheduler.sql

-- Left over by an interrupted earlier run of this file.
SELECT pg_temp.test_cleanup('r59_') \g /dev/null
SELECT jobmon.jobmon_config_reset('max_workers') \g /dev/null
SELECT jobmon.jobmon_config_reset('max_oneoff_workers') \g /dev/null
DROP TABLE IF EXISTS public.r59_vals, public.r59_t, public.r59_given, public.r59_self;
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'jobmon_test_r59') THEN
        CREATE ROLE jobmon_test_r59 LOGIN;
    END IF;
END
$$;
CREATE TABLE public.r59_vals (k text NOT NULL, n integer, v text);
CREATE TABLE public.r59_t (id integer PRIMARY KEY, d date, v text);
INSERT INTO public.r59_t VALUES (1, NULL, 'one'), (2, NULL, 'two');
CREATE TABLE public.r59_self (job_id bigint, tag text);
GRANT INSERT ON public.r59_vals TO jobmon_test_r59;

SELECT plan(112);
SELECT pg_temp.tick_start() \g /dev/null

-- The one-off job p_id as all_job_status shows it.
CREATE FUNCTION pg_temp.st(p_id bigint) RETURNS jobmon.jobmon_all_job_status LANGUAGE sql AS $$
    SELECT * FROM jobmon.jobmon_all_job_status s WHERE s.id = p_id
$$;
-- The latest run of a job.
CREATE FUNCTION pg_temp.last_run(p_job_id bigint) RETURNS jobmon.jobmon_run LANGUAGE sql AS $$
    SELECT * FROM jobmon.jobmon_run r WHERE r.job_id = p_job_id ORDER BY r.run_id DESC LIMIT 1
$$;
-- The condition "the one-off job is in this status of job_status", for wait_until().
CREATE FUNCTION pg_temp.is_status(p_id bigint, p_status text) RETURNS text LANGUAGE sql AS $$
    SELECT format('SELECT status = %L FROM jobmon.jobmon_all_job_status WHERE id = %L', p_status, p_id)
$$;
-- The condition "the latest run of the job has this run status".
CREATE FUNCTION pg_temp.run_is(p_job_id bigint, p_status text) RETURNS text LANGUAGE sql AS $$
    SELECT format('SELECT status = %L FROM jobmon.jobmon_run WHERE job_id = %L ORDER BY run_id DESC LIMIT 1',
                  p_status, p_job_id)
$$;
-- The error events (sqlstate, message) of a run's steps.
CREATE FUNCTION pg_temp.errors(p_run_id bigint) RETURNS TABLE (sqlstate text, message text) LANGUAGE sql AS $$
    SELECT e.sqlstate::text, e.message FROM jobmon.jobmon_event e
    JOIN jobmon.jobmon_run r ON r.log_id = e.job_id
    WHERE r.run_id = p_run_id AND e.severity = 'ERROR' ORDER BY e.event_id
$$;
-- 'SQLSTATE: message / DETAIL' of the error that p_sql raises, or NULL.
CREATE FUNCTION pg_temp.error_of(p_sql text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    v_state text;
    v_message text;
    v_detail text;
BEGIN
    EXECUTE p_sql;
    RETURN NULL;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT, v_detail = PG_EXCEPTION_DETAIL;
    RETURN format('%s: %s / %s', v_state, v_message, v_detail);
END
$$;
-- The condition "no run of this file's jobs is under way".
CREATE FUNCTION pg_temp.idle() RETURNS text LANGUAGE sql AS $$
    SELECT $q$SELECT NOT EXISTS (SELECT FROM jobmon.jobmon_run WHERE job_name LIKE 'r59\_%'
                                  AND status IN ('blocked', 'waiting', 'starting', 'running'))$q$
$$;

-------------------------------------------------------------------------------
-- A one-off job through its states, due 2 seconds from now; it waits for
-- a lock this session holds, so that it stays "processing" until released.
SELECT pg_advisory_lock(59001) \g /dev/null
SELECT now() + interval '2 seconds' AS ra \gset
SELECT jobmon.submit_job(
    query => $$INSERT INTO public.r59_vals (k, v) SELECT 'basic', pg_advisory_xact_lock(59001)::text$$,
    run_after => :'ra', name => 'r59_basic', comments => 'a first one-off job') AS basic \gset
SELECT ok(:basic > 0, 'submit_job() returns the id of the new job');
SELECT results_eq(format($$SELECT name, comments, query, executor::text, owner::text, status, attempt::int,
                                  canceled, is_success, error, resubmit_limit::int, run_after
                           FROM jobmon.jobmon_job_status WHERE id = %L$$, :basic),
    format($$VALUES ('r59_basic', 'a first one-off job',
                     'INSERT INTO public.r59_vals (k, v) SELECT ''basic'', pg_advisory_xact_lock(59001)::text',
                     current_user::text, current_user::text, 'submitted', 0, false, NULL::boolean, NULL::text, 100,
                     %L::timestamptz)$$, :'ra'),
    'job_status shows it submitted, with its query, executor, owner and run_after, not attempted yet');
SELECT ok(pg_temp.wait_until(pg_temp.run_is(:basic, 'running')), 'then it runs');
SELECT ok((pg_temp.last_run(:basic)).started_at >= :'ra'::timestamptz, 'its run did not start before run_after');
SELECT results_eq(format($$SELECT status, attempt::int, start_time IS NOT NULL, done_time, is_success
                           FROM jobmon.jobmon_all_job_status WHERE id = %L$$, :basic),
    $$VALUES ('processing', 1, true, NULL::timestamptz, NULL::boolean)$$,
    'all_job_status shows it processing, attempt 1, started, not done');
SELECT pg_advisory_unlock(59001) \g /dev/null
SELECT ok(pg_temp.wait_until(pg_temp.is_status(:basic, 'done')), 'then done');
SELECT results_eq(format($$SELECT is_success, error, attempt::int, canceled, run_status, done_time IS NOT NULL
                           FROM jobmon.jobmon_job_status WHERE id = %L$$, :basic),
    $$VALUES (true, NULL::text, 1, false, 'success', true)$$, 'done: successful, no error, one attempt, not cancelled');
SELECT is((SELECT count(*)::int FROM public.r59_vals WHERE k = 'basic'), 1, 'its query ran once');
SELECT results_eq(format($$SELECT l.job_name, l.owner, l.status, l.end_time IS NOT NULL FROM jobmon.job_log l
                           WHERE l.job_id = %L$$, (pg_temp.last_run(:basic)).log_id),
    $$VALUES ('R59_BASIC', current_user::text COLLATE "default", 'OK', true)$$,
    'the run is a logged job: a job_log row under upper(name), closed OK');
SELECT results_eq(format('SELECT action, status, message FROM jobmon.job_detail WHERE job_id = %L ORDER BY step_id',
                         (pg_temp.last_run(:basic)).log_id),
    $$VALUES ('INSERT INTO public.r59_vals (k, v) SELECT ''basic'', pg_advisory_xact_lock(59001)::text', 'OK', '1 row')$$,
    'with one step, its query');
SELECT is((pg_temp.st(:basic)).log_id, (pg_temp.last_run(:basic)).log_id, 'all_job_status shows the run''s log_id');

-- run_as: the executor.
SELECT jobmon.submit_job($$INSERT INTO public.r59_vals (k, v) VALUES ('whoami', current_user)$$,
                         run_as => 'jobmon_test_r59', name => 'r59_run_as') AS run_as \gset
SELECT ok(pg_temp.wait_until(pg_temp.is_status(:run_as, 'done')), 'a job submitted with run_as runs');
SELECT results_eq(format($$SELECT executor::text COLLATE "default", owner::text COLLATE "default", is_success
                           FROM jobmon.jobmon_job_status WHERE id = %L$$, :run_as),
    $$VALUES ('jobmon_test_r59', current_user::text COLLATE "default", true)$$, 'its executor is the run_as role, its owner the caller');
SELECT is((SELECT v FROM public.r59_vals WHERE k = 'whoami'), 'jobmon_test_r59', 'its query ran as the run_as role');
SELECT is((SELECT owner FROM jobmon.job_log WHERE job_id = (pg_temp.last_run(:run_as)).log_id), 'jobmon_test_r59',
          'its job_log row belongs to the run_as role');

-------------------------------------------------------------------------------
-- params are bound as parameters, never spliced into the query.
CREATE TABLE public.r59_given AS
SELECT ARRAY['hostile', 'it''s "quoted"', 'a; b; c', '''); DROP TABLE public.r59_vals; --',
             '$$ dollar $$ and $q$ \ back\\slash \n', NULL, '', 'E''\x41'' ; SELECT 1']::text[] AS p;
SELECT jobmon.submit_job(
    $$INSERT INTO public.r59_vals (k, n, v) VALUES ($1, 2, $2), ($1, 3, $3), ($1, 4, $4), ($1, 5, $5),
                                                    ($1, 6, $6), ($1, 7, $7), ($1, 8, $8)$$,
    (SELECT p FROM public.r59_given), name => 'r59_params') AS params \gset
SELECT ok(pg_temp.wait_until(pg_temp.is_status(:params, 'done')), 'a job with hostile params runs');
SELECT is((pg_temp.st(:params)).is_success, true, 'and succeeds');
SELECT is((pg_temp.st(:params)).params, (SELECT p FROM public.r59_given), 'all_job_status shows its params as given');
SELECT ok(to_regclass('public.r59_vals') IS NOT NULL, 'the table that a value names in a DROP TABLE is still there');
SELECT results_eq($$SELECT n, v FROM public.r59_vals WHERE k = 'hostile' ORDER BY n$$,
    $$SELECT o::int, v FROM public.r59_given, unnest(p) WITH ORDINALITY u(v, o) WHERE o > 1 ORDER BY o$$,
    'each value is stored exactly as given: quotes, semicolons, $$, backslashes, NULL, empty');

-- Types from the query's context.
SELECT jobmon.submit_job('UPDATE public.r59_t SET d = $2::date, v = $3 WHERE id = $1',
                         ARRAY['2', '2024-02-29', 'it''s two'], name => 'r59_typed') AS typed \gset
SELECT ok(pg_temp.wait_until(pg_temp.is_status(:typed, 'done')), 'a job whose params are typed by the query runs');
SELECT is((pg_temp.st(:typed)).is_success, true, 'and succeeds');
SELECT results_eq('SELECT id, d, v FROM public.r59_t ORDER BY id',
    $$VALUES (1, NULL::date, 'one'), (2, date '2024-02-29', 'it''s two')$$,
    '$1 compared with an integer column and $2::date: the right row got the date');
SELECT results_eq(format('SELECT action, message FROM jobmon.job_detail WHERE job_id = %L',
                         (pg_temp.last_run(:typed)).log_id),
    $$VALUES ('UPDATE public.r59_t SET d = $2::date, v = $3 WHERE id = $1', '1 row')$$,
    'its step is the query as written, $n and all');

-- A query using $3 with two params.
SELECT jobmon.submit_job('SELECT $1::text || $2::text || $3::text', ARRAY['a', 'b'], name => 'r59_missing') AS missing \gset
SELECT ok(pg_temp.wait_until(pg_temp.is_status(:missing, 'done')), 'a job using $3 with two params ends');
SELECT results_eq(format('SELECT run_status, is_success, error FROM jobmon.jobmon_all_job_status WHERE id = %L', :missing),
    $$VALUES ('failure', false, 'there is no parameter $3')$$, 'it failed: there is no parameter $3');
SELECT results_eq(format('SELECT * FROM pg_temp.errors(%L)', (pg_temp.last_run(:missing)).run_id),
    $$VALUES ('42P02', 'there is no parameter $3')$$, 'the error is recorded on its step, SQLSTATE 42P02');

-- A value that is no valid input of the type the query gives it.
SELECT jobmon.submit_job($$UPDATE public.r59_t SET v = 'changed' WHERE id = $1$$, ARRAY['1 OR true'],
                         name => 'r59_badvalue') AS badvalue \gset
SELECT ok(pg_temp.wait_until(pg_temp.is_status(:badvalue, 'done')), 'a job with a value invalid for its type ends');
SELECT results_eq(format('SELECT run_status, error FROM jobmon.jobmon_all_job_status WHERE id = %L', :badvalue),
    $$VALUES ('failure', 'invalid input syntax for type integer: "1 OR true"')$$,
    'it failed with the type''s input error');
SELECT results_eq(format('SELECT * FROM pg_temp.errors(%L)', (pg_temp.last_run(:badvalue)).run_id),
    $$VALUES ('22P02', 'invalid input syntax for type integer: "1 OR true"')$$, 'recorded with SQLSTATE 22P02');
SELECT is((SELECT count(*)::int FROM public.r59_t WHERE v = 'changed'), 0, 'and changed nothing');

-------------------------------------------------------------------------------
-- depends_on: a dependency that succeeds.
SELECT pg_advisory_lock(59002) \g /dev/null
SELECT jobmon.submit_job('SELECT pg_advisory_xact_lock(59002)', name => 'r59_dep_ok') AS dep_ok \gset
SELECT jobmon.submit_job('SELECT 1', depends_on => ARRAY[:dep_ok]::bigint[], name => 'r59_after_ok') AS after_ok \gset
SELECT is((pg_temp.last_run(:after_ok)).status, 'blocked', 'a job whose dependency has not finished is blocked');
SELECT is((pg_temp.st(:after_ok)).status, 'submitted', 'job_status shows it submitted');
SELECT is((pg_temp.st(:after_ok)).depends_on, ARRAY[:dep_ok]::bigint[], 'with its depends_on');
SELECT pg_advisory_unlock(59002) \g /dev/null
SELECT ok(pg_temp.wait_until(pg_temp.is_status(:after_ok, 'done')), 'once the dependency ends, the dependant runs');
SELECT results_eq(format($$SELECT s.run_status, d.run_status FROM jobmon.jobmon_all_job_status s, jobmon.jobmon_all_job_status d
                           WHERE s.id = %L AND d.id = %L$$, :after_ok, :dep_ok),
    $$VALUES ('success', 'success')$$, 'both succeeded');
SELECT ok((pg_temp.last_run(:after_ok)).started_at >= (pg_temp.last_run(:dep_ok)).finished_at,
          'the dependant started after its dependency finished');

-- A dependency that fails: the dependant is cancelled, never left blocked.
SELECT pg_advisory_lock(59003) \g /dev/null
SELECT jobmon.submit_job('SELECT 1 / length(pg_advisory_xact_lock(59003)::text)', name => 'r59_dep_fail') AS dep_fail \gset
SELECT jobmon.submit_job('SELECT 1', depends_on => ARRAY[:dep_fail]::bigint[], name => 'r59_after_fail') AS after_fail \gset
SELECT is((pg_temp.last_run(:after_fail)).status, 'blocked', 'the dependant of a job not yet failed is blocked');
SELECT pg_advisory_unlock(59003) \g /dev/null
SELECT ok(pg_temp.wait_until(pg_temp.is_status(:after_fail, 'done')), 'once the dependency fails, the dependant is done');
SELECT is((pg_temp.st(:dep_fail)).run_status, 'failure', 'the dependency failed');
SELECT results_eq(format('SELECT run_status, is_success, start_time FROM jobmon.jobmon_all_job_status WHERE id = %L', :after_fail),
    $$VALUES ('cancelled', false, NULL::timestamptz)$$, 'the dependant was cancelled without running');
SELECT is((pg_temp.st(:after_fail)).message,
          format('a dependency failed: job %s "r59_dep_fail" ended with failure (division by zero)', :dep_fail),
          'its reason names the failed job');
SELECT matches(pg_temp.error_of(format($$SELECT jobmon.submit_job('SELECT 1', depends_on => ARRAY[%s]::bigint[], name => 'r59_refused')$$,
                                       :dep_fail)),
    format('^22023: a job that job [0-9]+ depends on has already failed / depends_on of submit_job\(\) got \{%s\}: job %s "r59_dep_fail" ended with failure',
           :dep_fail, :dep_fail),
    'submitting a job that depends on an already failed one-off job: 22023, the DETAIL names it');
SELECT is((SELECT count(*)::int FROM jobmon.jobmon_job WHERE name = 'r59_refused'), 0, 'and nothing is left of it');

-- A dependency cancelled with cancel_submitted_job().
SELECT jobmon.submit_job('SELECT 1', run_after => now() + interval '1 hour', name => 'r59_dep_cancel') AS dep_cancel \gset
SELECT jobmon.submit_job('SELECT 1', depends_on => ARRAY[:dep_cancel]::bigint[], name => 'r59_after_cancel') AS after_cancel \gset
SELECT is((pg_temp.last_run(:after_cancel)).status, 'blocked', 'the dependant of a job due in an hour is blocked');
SELECT ok(jobmon.cancel_submitted_job(:dep_cancel), 'its dependency is cancelled');
SELECT results_eq(format('SELECT run_status, status FROM jobmon.jobmon_all_job_status WHERE id = %L', :after_cancel),
    $$VALUES ('cancelled', 'done')$$, 'the dependant is cancelled at once');
SELECT matches((pg_temp.st(:after_cancel)).message,
               format('^a dependency failed: job %s "r59_dep_cancel" ended with cancelled', :dep_cancel),
               'its reason names the cancelled job');

SELECT throws_ok(format('SELECT jobmon.submit_job(''SELECT 1'', depends_on => ARRAY[%s]::bigint[])',
                        (SELECT max(job_id) + 1000000 FROM jobmon.jobmon_job)),
    '42704', format('job %s does not exist', (SELECT max(job_id) + 1000000 FROM jobmon.jobmon_job)),
    'depends_on naming no job: 42704');

-------------------------------------------------------------------------------
-- resubmit() and get_self_id() inside a one-off job.
SELECT jobmon.submit_job($$INSERT INTO public.r59_self SELECT jobmon.get_self_id(), 'resub';
                           SELECT jobmon.resubmit('0 seconds')$$,
                         resubmit_limit => 2, name => 'r59_resub') AS resub \gset
SELECT ok(pg_temp.wait_until(pg_temp.is_status(:resub, 'done')), 'a job that resubmits itself ends');
SELECT results_eq(format($$SELECT count(*)::int, count(*) FILTER (WHERE status = 'success')::int,
                                  count(DISTINCT log_id)::int, max(attempt)
                           FROM jobmon.jobmon_run WHERE job_id = %L$$, :resub),
    $$VALUES (3, 3, 3, 1)$$, 'with resubmit_limit 2 it ran 3 times, each a successful run of its own (attempt 1)');
SELECT results_eq(format('SELECT status, is_success, attempt::int, canceled FROM jobmon.jobmon_all_job_status WHERE id = %L', :resub),
    $$VALUES ('done', true, 3, false)$$, 'all_job_status: done, successful, 3 attempts');
SELECT matches((pg_temp.st(:resub)).message, 'resubmit_limit 2 reached', 'the message says resubmit_limit 2 was reached');
SELECT is((pg_temp.last_run(:resub)).reason, (pg_temp.st(:resub)).message, 'it is the reason of the last run');
SELECT is((SELECT count(*)::int FROM jobmon.job_log l JOIN jobmon.jobmon_run r ON r.log_id = l.job_id
           WHERE r.job_id = :resub AND l.job_name = 'R59_RESUB' AND l.status = 'OK'), 3,
          'each run is a job_log row under upper(name)');
SELECT results_eq($$SELECT job_id FROM public.r59_self WHERE tag = 'resub'$$,
                  format('VALUES (%s::bigint), (%s), (%s)', :resub, :resub, :resub),
                  'get_self_id() inside the job returned its id, in each run');

SELECT throws_ok('SELECT jobmon.get_self_id()', '55000', 'get_self_id() can only be called inside a job',
                 'get_self_id() outside a job: 55000');
SELECT throws_ok('SELECT jobmon.resubmit()', '55000', 'resubmit() can only be called inside a job',
                 'resubmit() outside a job: 55000');
SELECT throws_ok($$SELECT jobmon.resubmit('1 second')$$, '55000', 'resubmit() can only be called inside a job',
                 'resubmit(interval) outside a job: 55000');

-- In a periodic job, get_self_id() works and resubmit() fails the run.
SELECT jobmon.create_job(jsonb_build_object('name', 'r59_periodic', 'commands', jsonb_build_array(
    $$INSERT INTO public.r59_self SELECT jobmon.get_self_id(), 'periodic'$$, 'SELECT jobmon.resubmit()'))) AS periodic \gset
SELECT jobmon.run_job(:periodic) AS run \gset
SELECT is(jobmon.wait_for_run(:run, '30 seconds'), 'failure', 'resubmit() in a periodic job fails its run');
SELECT results_eq(format('SELECT * FROM pg_temp.errors(%L)', :run),
    $$VALUES ('55000', 'resubmit() can only be called inside a one-off job')$$, 'with 55000');
SELECT is((SELECT job_id FROM public.r59_self WHERE tag = 'periodic'), :periodic::bigint,
          'get_self_id() in a periodic job returns its id');

-------------------------------------------------------------------------------
-- cancel_submitted_job() before the run.
SELECT jobmon.submit_job('INSERT INTO public.r59_vals (k) VALUES (''never'')', run_after => now() + interval '1 hour',
                         name => 'r59_cancel_early') AS early \gset
SELECT is(jobmon.cancel_submitted_job(:early), true, 'cancel_submitted_job() of a job not started returns true');
SELECT is((pg_temp.last_run(:early)).status, 'cancelled', 'its run is cancelled');
SELECT results_eq(format('SELECT canceled, status, is_success, start_time, error FROM jobmon.jobmon_job_status WHERE id = %L', :early),
    $$VALUES (true, 'done', false, NULL::timestamptz, format('cancelled by %s with cancel_submitted_job()', current_user::text COLLATE "default"))$$,
    'job_status shows it canceled and done, never started');
SELECT is(jobmon.cancel_submitted_job(:early), false, 'a second cancel_submitted_job() returns false');
SELECT throws_ok(format('SELECT jobmon.cancel_submitted_job(%s)', :periodic), '42809',
                 format('job %s is not a one-off job', :periodic), 'cancel_submitted_job() of a periodic job: 42809');

-- cancel_submitted_job() of a job that has already ended: nothing to
-- cancel, and the view must not claim that the finished job was cancelled.
SELECT is(jobmon.cancel_submitted_job(:basic), false, 'cancel_submitted_job() of a job that has ended returns false');
SELECT results_eq(format('SELECT canceled, status, is_success FROM jobmon.jobmon_job_status WHERE id = %L', :basic),
    $$VALUES (false, 'done', true)$$, 'and the job that ended successfully is not shown canceled');

-- cancel_submitted_job() while the job runs: the run goes on, it is not
-- resubmitted.  The call is made by another one-off job, whose step
-- records the NOTICE.
SELECT pg_advisory_lock(59004) \g /dev/null
SELECT jobmon.submit_job($$SELECT jobmon.resubmit('0 seconds'); SELECT pg_advisory_xact_lock(59004)$$,
                         name => 'r59_cancel_running') AS running \gset
SELECT ok(pg_temp.wait_until(pg_temp.is_status(:running, 'processing')), 'a job that resubmits itself is running');
SELECT jobmon.submit_job('INSERT INTO public.r59_vals (k, v) SELECT ''cancel_running'', jobmon.cancel_submitted_job($1::bigint)',
                         ARRAY[:running::text], name => 'r59_canceller') AS canceller \gset
SELECT ok(pg_temp.wait_until(pg_temp.is_status(:canceller, 'done')), 'another job cancels it while it runs');
SELECT is((SELECT v FROM public.r59_vals WHERE k = 'cancel_running'), 'true', 'cancel_submitted_job() returned true');
SELECT results_eq(format($$SELECT e.severity, e.message, e.hint FROM jobmon.jobmon_event e WHERE e.job_id = %L$$,
                         (pg_temp.last_run(:canceller)).log_id),
    format($$VALUES ('NOTICE', 'job %s is running now; it will not be resubmitted', 'SELECT cancel_job(%s) cancels the run itself.')$$,
           :running, (pg_temp.last_run(:running)).log_id),
    'with a NOTICE that the run goes on, whose hint names cancel_job() of its log_id');
SELECT is(jobmon.cancel_submitted_job(:running), false, 'a second cancel_submitted_job() returns false');
SELECT is((pg_temp.st(:running)).status, 'processing', 'the run goes on');
SELECT pg_advisory_unlock(59004) \g /dev/null
SELECT ok(pg_temp.wait_until(pg_temp.is_status(:running, 'done')), 'it ends');
SELECT results_eq(format('SELECT run_status, is_success, canceled, attempt::int, message FROM jobmon.jobmon_all_job_status WHERE id = %L', :running),
    $$VALUES ('success', true, true, 1, 'not resubmitted: the job was cancelled')$$,
    'successfully, canceled, and not resubmitted');
SELECT is((SELECT count(*)::int FROM jobmon.jobmon_run WHERE job_id = :running), 1, 'it has one run only');

-- cancel_job() on the log_id of a running one-off run.
SELECT jobmon.submit_job('SELECT pg_sleep(30)', name => 'r59_cancel_job') AS sleeper \gset
SELECT ok(pg_temp.wait_until(pg_temp.run_is(:sleeper, 'running')), 'a long one-off run is running');
SELECT ok(jobmon.cancel_job((pg_temp.st(:sleeper)).log_id), 'cancel_job() on its log_id signals it');
SELECT ok(pg_temp.wait_until(pg_temp.is_status(:sleeper, 'done')), 'it ends');
SELECT results_eq(format('SELECT run_status, is_success, message FROM jobmon.jobmon_all_job_status WHERE id = %L', :sleeper),
    $$VALUES ('cancelled', false, 'cancelled through cancel_job()')$$, 'its run is cancelled through cancel_job()');
SELECT ok((pg_temp.last_run(:sleeper)).finished_at < (pg_temp.last_run(:sleeper)).started_at + interval '20 seconds',
          'before its pg_sleep(30) was over');

-------------------------------------------------------------------------------
-- submit_job()'s input errors.
SELECT throws_ok('SELECT jobmon.submit_job(NULL)', '22004', 'query of submit_job() must not be empty', 'NULL query: 22004');
SELECT throws_ok($$SELECT jobmon.submit_job('  ')$$, '22023', 'query of submit_job() must not be empty', 'empty query: 22023');
SELECT throws_ok($$SELECT jobmon.submit_job('SELECT 1', node => 'other')$$, '0A000',
                 'argument node of submit_job() is not supported', 'node: 0A000');
SELECT throws_ok($$SELECT jobmon.submit_job('SELECT 1', resubmit_limit => -1)$$, '22023',
                 'resubmit_limit of submit_job() must be 0 or more', 'negative resubmit_limit: 22023');
SELECT throws_ok($$SELECT jobmon.submit_job('SELECT 1', max_duration => '0')$$, '22023',
                 'argument max_duration of submit_job() must be longer than zero', 'max_duration 0: 22023');
SELECT throws_ok($$SELECT jobmon.submit_job('SELECT 1', max_wait_interval => '-1 second')$$, '22023',
                 'argument max_wait_interval of submit_job() must be longer than zero', 'negative max_wait_interval: 22023');

-------------------------------------------------------------------------------
-- The one-off allowance, max_oneoff_workers 1: one one-off run at a time,
-- while a periodic run goes on beside it.  The three wait for a shared lock.
SELECT jobmon.jobmon_config_set('max_oneoff_workers', '1') \g /dev/null
SELECT pg_advisory_lock(59005) \g /dev/null
SELECT jobmon.submit_job('SELECT pg_advisory_xact_lock_shared(59005)', name => 'r59_one_a') AS one_a \gset
SELECT jobmon.submit_job('SELECT pg_advisory_xact_lock_shared(59005)', name => 'r59_one_b') AS one_b \gset
SELECT jobmon.create_job($${"name": "r59_beside", "commands": "SELECT pg_advisory_xact_lock_shared(59005)"}$$) AS beside \gset
SELECT jobmon.run_job(:beside) AS beside_run \gset
SELECT ok(pg_temp.wait_until(format($$SELECT count(*) = 2 FROM jobmon.jobmon_run WHERE job_id IN (%L, %L, %L) AND status = 'running'$$,
                                    :one_a, :one_b, :beside)),
          'max_oneoff_workers 1: one one-off run and the periodic run are running');
SELECT is((pg_temp.last_run(:beside)).status, 'running', 'the periodic run is one of them');
SELECT ok(NOT pg_temp.wait_until(format($$SELECT count(*) > 1 FROM jobmon.jobmon_run WHERE job_id IN (%L, %L)
                                         AND status IN ('starting', 'running')$$, :one_a, :one_b), '1 second'),
          'the second one-off run does not start while the first runs');
-- max_wait_interval: a one-off run that finds no slot within it is skipped.
SELECT jobmon.submit_job('SELECT 1', max_wait_interval => '1 second', name => 'r59_no_slot') AS no_slot \gset
SELECT ok(pg_temp.wait_until(pg_temp.is_status(:no_slot, 'done')), 'a one-off job with max_wait_interval 1 second and no free slot ends');
SELECT results_eq(format('SELECT run_status, start_time, is_success FROM jobmon.jobmon_all_job_status WHERE id = %L', :no_slot),
    $$VALUES ('skipped', NULL::timestamptz, false)$$, 'skipped, never started');
SELECT matches((pg_temp.st(:no_slot)).message, 'max_wait_interval', 'the reason names max_wait_interval');
SELECT pg_advisory_unlock(59005) \g /dev/null
SELECT ok(pg_temp.wait_until(format($$SELECT bool_and(status = 'done') FROM jobmon.jobmon_all_job_status WHERE id IN (%L, %L)$$,
                                    :one_a, :one_b)), 'once the lock is released both one-off jobs end');
SELECT is(jobmon.wait_for_run(:beside_run, '30 seconds'), 'success', 'and the periodic run');
SELECT results_eq(format('SELECT run_status FROM jobmon.jobmon_all_job_status WHERE id IN (%L, %L)', :one_a, :one_b),
    $$VALUES ('success'), ('success')$$, 'both one-off runs succeeded');
SELECT ok((SELECT a.finished_at <= b.started_at OR b.finished_at <= a.started_at
           FROM jobmon.jobmon_run a, jobmon.jobmon_run b WHERE a.job_id = :one_a AND b.job_id = :one_b),
          'the two one-off runs did not overlap: the second started after the first finished');
SELECT ok((SELECT bool_or(o.started_at < p.finished_at AND p.started_at < o.finished_at)
           FROM jobmon.jobmon_run o, jobmon.jobmon_run p WHERE o.job_id IN (:one_a, :one_b) AND p.run_id = :beside_run),
          'the periodic run ran at the same time as a one-off run');
SELECT jobmon.jobmon_config_reset('max_oneoff_workers') \g /dev/null

-- max_workers 1 taken by a periodic run: one-off jobs still run.
SELECT jobmon.jobmon_config_set('max_workers', '1') \g /dev/null
SELECT pg_advisory_lock(59006) \g /dev/null
SELECT jobmon.create_job($${"name": "r59_hog", "commands": "SELECT pg_advisory_xact_lock(59006)"}$$) AS hog \gset
SELECT jobmon.run_job(:hog) AS hog_run \gset
SELECT ok(pg_temp.wait_until(format($$SELECT status = 'running' FROM jobmon.jobmon_run WHERE run_id = %L$$, :hog_run)),
          'a periodic run takes the only periodic slot (max_workers 1)');
SELECT jobmon.submit_job('SELECT 1', name => 'r59_beside_hog') AS beside_hog \gset
SELECT ok(pg_temp.wait_until(pg_temp.is_status(:beside_hog, 'done')), 'a one-off job still runs');
SELECT is((pg_temp.st(:beside_hog)).run_status, 'success', 'and succeeds');
SELECT is((pg_temp.last_run(:hog)).status, 'running', 'while the periodic run holds its slot');
SELECT pg_advisory_unlock(59006) \g /dev/null
SELECT is(jobmon.wait_for_run(:hog_run, '30 seconds'), 'success', 'the periodic run ends once released');
SELECT jobmon.jobmon_config_reset('max_workers') \g /dev/null

-------------------------------------------------------------------------------
-- max_duration: the run is cancelled with status timeout.
SELECT jobmon.submit_job('SELECT pg_sleep(30)', max_duration => '1 second', name => 'r59_timeout') AS timeout \gset
SELECT ok(pg_temp.wait_until(pg_temp.is_status(:timeout, 'done')), 'a one-off job past its max_duration ends');
SELECT results_eq(format('SELECT run_status, is_success, max_duration FROM jobmon.jobmon_all_job_status WHERE id = %L', :timeout),
    $$VALUES ('timeout', false, interval '1 second')$$, 'with status timeout');
SELECT ok((pg_temp.last_run(:timeout)).finished_at < (pg_temp.last_run(:timeout)).started_at + interval '10 seconds',
          'soon after max_duration, not after its pg_sleep(30)');
SELECT is((pg_temp.last_run(:timeout)).reason, 'cancelled after max_duration 00:00:01',
          'the reason names max_duration, the argument of submit_job()');

-------------------------------------------------------------------------------
-- Every run records its job's kind (jobmon_run.oneoff, 2.3.0), by which the
-- dispatcher and the workers claim runs: first runs, resubmissions, periodic runs.
SELECT results_eq($$SELECT DISTINCT r.oneoff FROM jobmon.jobmon_run r WHERE r.job_name LIKE 'r59_%' ORDER BY 1$$,
                  $$VALUES (false), (true)$$, 'this file ran jobs of both kinds');
SELECT is((SELECT count(*) FROM jobmon.jobmon_run r JOIN jobmon.jobmon_job j USING (job_id)
           WHERE r.job_name LIKE 'r59_%' AND r.oneoff IS DISTINCT FROM j.oneoff), 0::bigint,
          'every run records the kind of its job');

-------------------------------------------------------------------------------
SELECT ok(pg_temp.wait_until(pg_temp.idle()), 'no run of this file is left under way');
CALL pg_temp.tick_stop();
SELECT jobmon.jobmon_config_reset('max_workers') \g /dev/null
SELECT jobmon.jobmon_config_reset('max_oneoff_workers') \g /dev/null
SELECT pg_temp.test_cleanup('r59_') \g /dev/null
DROP TABLE public.r59_vals, public.r59_t, public.r59_given, public.r59_self;
SELECT * FROM finish();
