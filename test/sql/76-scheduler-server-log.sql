-- A job's error reaches the server log as well as the job's log, as it
-- would from a session of its own, so that log-based alerting sees it:
-- a LOG line naming the job and the run, with the error's message, detail
-- and hint.  Skipped where the server log is not the test cluster's file.
\ir ../setup.sql
\ir ../scheduler.sql

SELECT pg_temp.test_cleanup('r76_') \g /dev/null
SELECT current_setting('data_directory') || '.log' AS server_log \gset
SELECT coalesce((pg_stat_file(:'server_log', true)).size, -1) AS log_start \gset
SELECT 'r76 marker ' || md5(random()::text) AS marker \gset

SELECT plan(3);
SELECT pg_temp.tick_start() \g /dev/null

SELECT jobmon.create_job(jsonb_build_object('name', 'r76_failing', 'commands',
    format('DO $b$BEGIN RAISE EXCEPTION %L USING DETAIL = %L, HINT = %L; END$b$', :'marker', 'r76 detail', 'r76 hint')))
    AS job \gset
SELECT jobmon.run_job(:job) AS run \gset
SELECT is(jobmon.wait_for_run(:run, '30 seconds'), 'failure', 'the job fails');

-- What the log got since the job ran.
CREATE FUNCTION pg_temp.log_since(p_file text, p_start bigint) RETURNS text LANGUAGE sql AS $$
    SELECT pg_read_file(p_file, p_start, (pg_stat_file(p_file)).size - p_start)
$$;
SELECT skip('the server log is not at ' || :'server_log', 2) WHERE :log_start < 0;
SELECT ok(pg_temp.wait_until(format('SELECT pg_temp.log_since(%L, %s) LIKE %L', :'server_log', :log_start,
                                   format('%%LOG:  pg_jobmon job %s failed in run %s: %s%%', :job, :run, :'marker'))),
          'the server log has a line naming the job and the run, with the error''s message')
WHERE :log_start >= 0;
SELECT ok(pg_temp.log_since(:'server_log', :log_start) ~ (:'marker' || '\n[^\n]*DETAIL:  r76 detail\n[^\n]*HINT:  r76 hint'),
          'with its detail and hint')
WHERE :log_start >= 0;

CALL pg_temp.tick_stop();
SELECT pg_temp.test_cleanup('r76_') \g /dev/null
SELECT * FROM finish();
