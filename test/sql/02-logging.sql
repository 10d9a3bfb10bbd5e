-- The logging calls: what add_job, add_step, update_step, close_job and
-- fail_job write, including calls with untyped literals and plain ints as
-- clients of pg_jobmon 1.x make them.
\ir ../setup.sql
BEGIN;
SELECT plan(22);

SELECT jobmon.add_job('Logging Test') AS job \gset
SELECT ok(:job > 0, 'add_job returns a job id');
SELECT results_eq(
    format('SELECT owner, job_name, pid, end_time IS NULL, status IS NULL FROM jobmon.job_log WHERE job_id = %s', :job),
    $$VALUES (current_user::text COLLATE "default", 'LOGGING TEST', pg_backend_pid(), true, true)$$,
    'the job row has the upper-case name, the owner, the caller''s pid and no end yet');
SELECT ok((SELECT start_time BETWEEN now() AND clock_timestamp() FROM jobmon.job_log WHERE job_id = :job),
          'start_time is the time of the call');

SELECT jobmon.add_step(:job, 'first step') AS step1 \gset
SELECT ok(:step1 > 0, 'add_step returns a step id');
SELECT results_eq(
    format('SELECT job_id, action, end_time IS NULL, status IS NULL FROM jobmon.job_detail WHERE step_id = %s', :step1),
    format('VALUES (%s::bigint, ''first step'', true, true)', :job),
    'the step row belongs to the job and has not ended');

SELECT lives_ok(format('SELECT jobmon.update_step(%s, ''RUNNING'', ''half way'')', :step1),
                'update_step can be called while a step runs');
SELECT results_eq(format('SELECT status, message, end_time IS NOT NULL FROM jobmon.job_detail WHERE step_id = %s', :step1),
                  $$VALUES ('RUNNING', 'half way', true)$$, 'update_step sets status, message and end_time');
SELECT pg_sleep(0.01) \g /dev/null
SELECT jobmon.update_step(:step1, 'OK', 'done') \g /dev/null
SELECT results_eq(format('SELECT status, message FROM jobmon.job_detail WHERE step_id = %s', :step1),
                  $$VALUES ('OK', 'done')$$, 'a second update_step replaces status and message');
SELECT ok((SELECT elapsed_time >= 0.01 AND elapsed_time::numeric
                  = round(extract(epoch FROM end_time - start_time)::numeric, 6)::real::numeric
           FROM jobmon.job_detail WHERE step_id = :step1),
          'elapsed_time is end_time - start_time in seconds');

SELECT jobmon.close_job(:job) \g /dev/null
SELECT results_eq(format('SELECT status, end_time IS NOT NULL FROM jobmon.job_log WHERE job_id = %s', :job),
                  $$VALUES ('OK', true)$$, 'close_job ends the job with the text of alert code 1');

SELECT jobmon.add_job('logging test failing') AS job2 \gset
SELECT jobmon.fail_job(:job2) \g /dev/null
SELECT is((SELECT status FROM jobmon.job_log WHERE job_id = :job2), 'CRITICAL',
          'fail_job ends the job CRITICAL by default');
SELECT jobmon.add_job('logging test warning') AS job3 \gset
SELECT jobmon.fail_job(:job3, 2) \g /dev/null
SELECT is((SELECT status FROM jobmon.job_log WHERE job_id = :job3), 'WARNING',
          'fail_job(id, 2) ends the job WARNING');

-- Calls as client code writes them: untyped literals, plain int ids.
SELECT lives_ok(format($$SELECT jobmon.add_step('%s', 'literal id')$$, :job), 'add_step(''42'', ''text'') resolves');
SELECT throws_ok('SELECT jobmon.add_step(0::int, ''int id'')', '42704', 'job 0 does not exist',
                 'add_step(int, text) resolves to add_step(bigint, text)');
SELECT lives_ok(format($$SELECT jobmon.update_step('%s', 'OK', 'literal')$$, :step1), 'update_step with literals resolves');
SELECT throws_ok('SELECT jobmon.fail_job(0::int, 2::smallint)', '42704', 'job 0 does not exist',
                 'fail_job(int, smallint) resolves to fail_job(bigint, integer)');
SELECT lives_ok(format($$SELECT jobmon.close_job('%s')$$, :job), 'close_job(''42'') resolves');
SELECT lives_ok($$SELECT jobmon.add_job('literal name')$$, 'add_job(''name'') resolves');

-- Found through search_path, as clients do after looking the schema up.
SELECT set_config('search_path', (SELECT nspname FROM pg_namespace n JOIN pg_extension e ON e.extnamespace = n.oid
                                  WHERE extname = 'pg_jobmon') || ', public', true) \g /dev/null
SELECT lives_ok($$SELECT close_job(add_job('through search_path'))$$, 'unqualified calls work through search_path');

-- Many steps in one job keep their order.
SELECT jobmon.add_job('logging test many steps') AS job4 \gset
SELECT jobmon.add_step(:job4, 'step ' || i) FROM generate_series(1, 50) i \g /dev/null
SELECT results_eq(format('SELECT action FROM jobmon.show_detail(%s::bigint)', :job4),
                  'SELECT ''step '' || i FROM generate_series(1, 50) i',
                  'fifty steps come back in the order they were added');

-- Ids beyond 2^31 work everywhere (pg_jobmon 1.x had int casts).
SELECT setval('jobmon.job_log_job_id_seq', greatest(3000000000, (SELECT last_value FROM jobmon.job_log_job_id_seq))) \g /dev/null
SELECT setval('jobmon.job_detail_step_id_seq', greatest(3000000000, (SELECT last_value FROM jobmon.job_detail_step_id_seq))) \g /dev/null
SELECT jobmon.add_job('logging test big id') AS bigjob \gset
SELECT jobmon.add_step(:bigjob, 'big step') AS bigstep \gset
SELECT jobmon.update_step(:bigstep, 'OK', 'fine') \g /dev/null
SELECT jobmon.close_job(:bigjob) \g /dev/null
SELECT results_eq(format('SELECT job_id > 3000000000, status FROM jobmon.job_log WHERE job_id = %s', :bigjob),
                  $$VALUES (true, 'OK')$$, 'a job id beyond 2^31 is logged and closed');
SELECT is((SELECT status FROM jobmon.show_detail(:bigjob::bigint)), 'OK', 'a step id beyond 2^31 is updated');

SELECT * FROM finish();
ROLLBACK;
