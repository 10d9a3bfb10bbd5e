-- Bad arguments get clear errors (SQLSTATE, message, detail, hint), and
-- hostile names and texts are stored as given, never spliced into SQL.
\ir ../setup.sql
BEGIN;
SELECT plan(22);

SELECT throws_ok('SELECT jobmon.add_job(NULL)', '22004', 'argument p_job_name of add_job() must not be NULL',
                 'add_job(NULL) is an error');
SELECT throws_ok($$SELECT jobmon.add_job('')$$, '22023', 'job name must not be empty', 'an empty job name is an error');
SELECT throws_ok($$SELECT jobmon.add_step(NULL, 'x')$$, '22004', 'argument p_job_id of add_step() must not be NULL',
                 'add_step(NULL, ...) is an error');
SELECT throws_ok($$SELECT jobmon.add_step(-1, 'x')$$, '42704', 'job -1 does not exist',
                 'add_step on a job that does not exist is an error');
SELECT jobmon.add_job('errors test') AS job \gset
SELECT throws_ok(format('SELECT jobmon.add_step(%s, NULL)', :job), '22004',
                 'argument p_action of add_step() must not be NULL', 'add_step with a NULL action is an error');
SELECT throws_ok($$SELECT jobmon.update_step(NULL, 'OK', 'x')$$, '22004',
                 'argument p_step_id of update_step() must not be NULL', 'update_step(NULL, ...) is an error');
SELECT throws_ok($$SELECT jobmon.update_step(0, 'OK', 'x')$$, '42704', 'step 0 does not exist',
                 'update_step on a step that does not exist is an error');
SELECT throws_ok('SELECT jobmon.close_job(NULL)', '22004', 'argument p_job_id of close_job() must not be NULL',
                 'close_job(NULL) is an error');
SELECT throws_ok('SELECT jobmon.close_job(0)', '42704', 'job 0 does not exist', 'close_job on a missing job is an error');
SELECT throws_ok('SELECT jobmon.fail_job(NULL)', '22004', 'argument p_job_id of fail_job() must not be NULL',
                 'fail_job(NULL) is an error');
SELECT throws_ok(format('SELECT jobmon.fail_job(%s, NULL)', :job), '22004',
                 'argument p_fail_level of fail_job() must not be NULL', 'fail_job with a NULL level is an error');
SELECT throws_ok(format('SELECT jobmon.fail_job(%s, 9)', :job), '22023', 'alert code 9 does not exist',
                 'fail_job with a level missing from job_status_text is an error');
SELECT is((SELECT status FROM jobmon.job_log WHERE job_id = :job), NULL,
          'a rejected fail_job leaves the job as it was');

-- The full error, as a user sees it.
CREATE FUNCTION pg_temp.error_of(p_sql text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE v_state text; v_message text; v_detail text; v_hint text;
BEGIN
    EXECUTE p_sql;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT,
                            v_detail = PG_EXCEPTION_DETAIL, v_hint = PG_EXCEPTION_HINT;
    RETURN concat_ws(' | ', v_state, v_message, v_detail, v_hint);
END $$;
SELECT is(pg_temp.error_of('SELECT jobmon.add_step(424242424242, ''x'')'),
          '42704 | job 424242424242 does not exist | No row of job_log has job_id 424242424242. | Pass the id that add_job() returned.',
          'a missing job is reported with a detail and a hint');
SELECT is(pg_temp.error_of(format('SELECT jobmon.fail_job(%s, 0)', :job)),
          '22023 | alert code 0 does not exist | job_status_text has the codes 1, 2, 3. | Use one of those codes, or add the code to job_status_text first.',
          'a bad alert code is reported with the codes that exist');

-- Hostile names and texts are stored exactly.
CREATE TEMP TABLE hostile (label text, value text);
INSERT INTO hostile VALUES
    ('quotes', $$it's "quoted" ''$$),
    ('backslashes', E'back\\slash \\'' \\\\ end\\'),
    ('percent', '100% %s %L %I %%'),
    ('semicolon', $$x'); DROP TABLE jobmon.job_log; --$$),
    ('dollar', '$$ $tag$ $1'),
    ('unicode', 'Jöb — 作業 🚀 ünïcödé'),
    ('long', (SELECT string_agg(md5(i::text), '') FROM generate_series(1, 313) i)),
    ('newlines', E'line one\nline two\ttab');
CREATE TEMP TABLE hostile_jobs AS SELECT label, value, jobmon.add_job(value) AS job_id FROM hostile;
SELECT results_eq(
    'SELECT h.label, j.job_name FROM hostile_jobs h JOIN jobmon.job_log j USING (job_id) ORDER BY h.label',
    'SELECT label, upper(value) FROM hostile ORDER BY label',
    'hostile job names are stored exactly (in upper case)');
SELECT jobmon.add_job('hostile steps') AS hjob \gset
CREATE TEMP TABLE hostile_steps AS SELECT label, value, jobmon.add_step(:hjob, value) AS step_id FROM hostile;
SELECT results_eq(
    'SELECT h.label, d.action FROM hostile_steps h JOIN jobmon.job_detail d USING (step_id) ORDER BY h.label',
    'SELECT label, value FROM hostile ORDER BY label',
    'hostile step actions are stored exactly');
SELECT jobmon.update_step(step_id, value, value) FROM hostile_steps \g /dev/null
SELECT is((SELECT count(*)::int FROM hostile_steps h JOIN jobmon.job_detail d USING (step_id)
           WHERE d.status = h.value AND d.message = h.value), 8,
          'hostile statuses and messages are stored exactly');
SELECT is((SELECT length(j.job_name) FROM hostile_jobs h JOIN jobmon.job_log j USING (job_id) WHERE h.label = 'long'),
          10016, 'a 10 kB job name is stored whole');
SELECT ok(to_regclass('jobmon.job_log') IS NOT NULL, 'nothing hostile was executed');
SELECT is((SELECT job_id FROM jobmon.show_job($$it's "quoted" ''$$, 1)),
          (SELECT job_id FROM hostile_jobs WHERE label = 'quotes'),
          'show_job finds a job by a hostile name');
SELECT ok(jobmon.sql_job($$x'; DROP TABLE jobmon.job_log; --$$, 'SELECT 1') LIKE 'Job logged with job id: %',
          'sql_job with a hostile name runs only its own statement');

SELECT * FROM finish();
ROLLBACK;
