-- What a worker keeps of the messages a job raises is bounded: the settings
-- capture_max_messages and capture_max_bytes (per run: the first messages
-- are kept, the rest counted in one event "N more messages not kept" per
-- step) and capture_max_message_bytes (each text cut, with a marker).  A
-- job cannot switch capture off with SET log_min_messages; an error is
-- stored whole once, in its event, and the step repeats it cut short.
-- Workers only see committed jobs: this file commits (see scheduler.sql).
\ir ../setup.sql
\ir ../scheduler.sql

-- Left over by an interrupted earlier run of this file.
SELECT pg_temp.test_cleanup('c64_') \g /dev/null
SELECT jobmon.jobmon_config_reset(s) FROM unnest(ARRAY['capture_max_messages', 'capture_max_bytes',
                                                        'capture_max_message_bytes']) s \g /dev/null
SELECT pg_advisory_unlock_all() \g /dev/null

SELECT plan(30);
SELECT pg_temp.tick_start() \g /dev/null

-- (step number in the run, severity, sqlstate, message) of a run's events, in order.
CREATE FUNCTION pg_temp.events(p_run_id bigint) RETURNS TABLE (step int, severity text, sqlstate text, message text)
LANGUAGE sql AS $$
    SELECT s.n, e.severity, e.sqlstate, e.message
    FROM jobmon.jobmon_event e
    JOIN (SELECT d.step_id, row_number() OVER (ORDER BY d.step_id)::int AS n
          FROM jobmon.job_detail d JOIN jobmon.jobmon_run r ON r.log_id = d.job_id
          WHERE r.run_id = p_run_id) s ON s.step_id = e.step_id
    ORDER BY e.event_id
$$;
-- Start a job with the given commands (a json array), return its run.
CREATE FUNCTION pg_temp.run(p_name text, p_commands jsonb, p_same_transaction boolean DEFAULT false)
RETURNS bigint LANGUAGE sql AS $$
    SELECT jobmon.run_job(jobmon.create_job(jsonb_build_object('name', p_name, 'dates', jsonb_build_array('2100-01-01'),
        'commands', p_commands, 'use_same_transaction', p_same_transaction)))
$$;

-------------------------------------------------------------------------------
-- The settings.
SELECT results_eq($$SELECT name, default_value FROM jobmon.jobmon_config_show() WHERE name LIKE 'capture\_%' ORDER BY name$$,
    $$VALUES ('capture_max_bytes', '1MB'), ('capture_max_message_bytes', '8kB'), ('capture_max_messages', '1000')$$,
    'the capture bounds are settings with their defaults');
SELECT throws_ok($$SELECT jobmon.jobmon_config_set('capture_max_messages', '-1')$$, '22023',
                 'invalid value for setting "capture_max_messages": "-1"', 'capture_max_messages is a whole number');
SELECT throws_ok($$SELECT jobmon.jobmon_config_set('capture_max_bytes', '2GB')$$, '22023',
                 'invalid value for setting "capture_max_bytes": "2GB"', 'capture_max_bytes is at most 1GB');
SELECT throws_ok($$SELECT jobmon.jobmon_config_set('capture_max_message_bytes', '8 kilobytes')$$, '22023',
                 'invalid value for setting "capture_max_message_bytes": "8 kilobytes"',
                 'capture_max_message_bytes is a size with the units of postgresql.conf');
SELECT lives_ok($$SELECT jobmon.jobmon_config_set('capture_max_bytes', '64 kB')$$,
                'a size may have a unit');

-------------------------------------------------------------------------------
-- capture_max_messages: a run keeps its first messages; the step records the
-- others as one event, at the highest severity among them.
SELECT jobmon.jobmon_config_reset('capture_max_bytes') \g /dev/null
SELECT jobmon.jobmon_config_set('capture_max_messages', '5') \g /dev/null
SELECT pg_temp.run('c64_many', jsonb_build_array($q$DO $d$BEGIN
    FOR i IN 1..12 LOOP RAISE NOTICE 'c64 n %', i; END LOOP;
    RAISE WARNING 'c64 last';
END$d$$q$)) AS run \gset
SELECT is(jobmon.wait_for_run(:run, '30 seconds'), 'success', 'a job raising 13 messages, 5 kept, succeeds');
SELECT results_eq(format('SELECT severity, sqlstate, message FROM pg_temp.events(%s)', :run),
    $$VALUES ('NOTICE', '00000', 'c64 n 1'), ('NOTICE', '00000', 'c64 n 2'), ('NOTICE', '00000', 'c64 n 3'),
             ('NOTICE', '00000', 'c64 n 4'), ('NOTICE', '00000', 'c64 n 5'),
             ('WARNING', '54000', '8 more messages not kept')$$,
    'the first 5 messages are events, then one event counts the 8 others, as WARNING, the highest of them');
SELECT matches((SELECT detail FROM jobmon.jobmon_event e JOIN jobmon.jobmon_run r ON r.log_id = e.job_id
                WHERE r.run_id = :run AND e.sqlstate = '54000'),
               'up to 5 messages .*capture_max_messages', 'its detail names the bound and the setting');

-- The bound is per run: a later step keeps what the earlier ones left.
SELECT pg_temp.run('c64_steps', jsonb_build_array(
    $q$DO $d$BEGIN FOR i IN 1..3 LOOP RAISE NOTICE 'c64 a %', i; END LOOP; END$d$$q$,
    $q$DO $d$BEGIN FOR i IN 1..4 LOOP RAISE NOTICE 'c64 b %', i; END LOOP; END$d$$q$)) AS run \gset
SELECT is(jobmon.wait_for_run(:run, '30 seconds'), 'success', 'a job of two commands raising 3 and 4 messages succeeds');
SELECT results_eq(format('SELECT step, message FROM pg_temp.events(%s)', :run),
    $$VALUES (1, 'c64 a 1'), (1, 'c64 a 2'), (1, 'c64 a 3'), (2, 'c64 b 1'), (2, 'c64 b 2'),
             (2, '2 more messages not kept')$$,
    'capture_max_messages counts per run: the second step keeps 2 and counts 2');

-- 0 keeps none.
SELECT jobmon.jobmon_config_set('capture_max_messages', '0') \g /dev/null
SELECT pg_temp.run('c64_none', jsonb_build_array(
    $q$DO $d$BEGIN RAISE NOTICE 'c64 x'; END$d$$q$)) AS run \gset
SELECT is(jobmon.wait_for_run(:run, '30 seconds'), 'success', 'capture_max_messages 0: the run succeeds');
SELECT results_eq(format('SELECT severity, sqlstate, message FROM pg_temp.events(%s)', :run),
    $$VALUES ('NOTICE', '54000', '1 more message not kept')$$,
    'capture_max_messages 0 keeps no message, and counts it');
SELECT jobmon.jobmon_config_reset('capture_max_messages') \g /dev/null

-------------------------------------------------------------------------------
-- capture_max_message_bytes: each text of a message is cut, on a character
-- boundary, with a marker.
SELECT jobmon.jobmon_config_set('capture_max_message_bytes', '101') \g /dev/null
SELECT pg_temp.run('c64_long', jsonb_build_array($q$DO $d$BEGIN
    RAISE NOTICE '%', repeat('x', 1000) USING DETAIL = repeat('é', 100), HINT = 'c64 short';
END$d$$q$)) AS run \gset
SELECT is(jobmon.wait_for_run(:run, '30 seconds'), 'success', 'a job raising a long message succeeds');
SELECT results_eq(format($$SELECT e.message, e.detail, e.hint FROM jobmon.jobmon_event e
                           JOIN jobmon.jobmon_run r ON r.log_id = e.job_id WHERE r.run_id = %s$$, :run),
    format('VALUES (%L, %L, %L)', repeat('x', 101) || '... (899 bytes not kept)',
           repeat('é', 50) || '... (100 bytes not kept)', 'c64 short'),
    'texts longer than capture_max_message_bytes are cut (a 2-byte character is not split); shorter ones are whole');
SELECT jobmon.jobmon_config_reset('capture_max_message_bytes') \g /dev/null

-------------------------------------------------------------------------------
-- capture_max_bytes: once a message does not fit, it and the later ones are
-- counted, not kept.
SELECT jobmon.jobmon_config_set('capture_max_bytes', '4kB') \g /dev/null
SELECT pg_temp.run('c64_bytes', jsonb_build_array($q$DO $d$BEGIN
    FOR i IN 1..20 LOOP RAISE NOTICE 'c64 b % %', i, repeat('y', 1000); END LOOP;
END$d$$q$)) AS run \gset
SELECT is(jobmon.wait_for_run(:run, '30 seconds'), 'success', 'a job raising 20 messages of 1 kB succeeds');
SELECT count(*) AS kept FROM pg_temp.events(:run) WHERE sqlstate = '00000' \gset
SELECT ok(:kept BETWEEN 1 AND 3, 'capture_max_bytes 4kB keeps 1 to 3 of them (1 kB of text and about 250 bytes more each)');
SELECT results_eq(format($$SELECT message FROM pg_temp.events(%s) WHERE sqlstate = '00000'$$, :run),
                  format($$SELECT format('c64 b %%s %%s', g, repeat('y', 1000)) FROM generate_series(1, %s) g$$, :kept),
                  'the first ones');
SELECT is((SELECT message FROM pg_temp.events(:run) WHERE sqlstate = '54000'),
          format('%s more messages not kept', 20 - :kept), 'and counts the others in one event');
SELECT jobmon.jobmon_config_reset('capture_max_bytes') \g /dev/null

-------------------------------------------------------------------------------
-- A job cannot switch capture off: its SET of log_min_messages lasts until
-- its next command.
SELECT pg_temp.run('c64_lmm', jsonb_build_array('SET log_min_messages = panic',
    $q$DO $d$BEGIN RAISE NOTICE 'c64 after SET'; END$d$$q$,
    $q$SELECT set_config('log_min_messages', 'panic', false)$q$,
    $q$DO $d$BEGIN RAISE NOTICE 'c64 after set_config'; END$d$$q$)) AS run \gset
SELECT is(jobmon.wait_for_run(:run, '30 seconds'), 'success', 'a job that sets log_min_messages to PANIC succeeds');
SELECT results_eq(format('SELECT step, message FROM pg_temp.events(%s)', :run),
    $$VALUES (2, 'c64 after SET'), (4, 'c64 after set_config')$$,
    'the NOTICEs of its later commands are captured');
SELECT pg_temp.run('c64_lmm_same', jsonb_build_array('SET log_min_messages = panic',
    $q$DO $d$BEGIN RAISE NOTICE 'c64 after SET'; END$d$$q$), true) AS run \gset
SELECT is(jobmon.wait_for_run(:run, '30 seconds'), 'success', 'the same in one transaction succeeds');
SELECT results_eq(format('SELECT step, message FROM pg_temp.events(%s)', :run),
    $$VALUES (2, 'c64 after SET')$$,
    'use_same_transaction: the NOTICE of the later command is captured');

-------------------------------------------------------------------------------
-- An error of 1 MB is stored once, whole, in its event; the step's message
-- (and the run's reason) repeat it cut at capture_max_message_bytes.
SELECT pg_temp.run('c64_error', jsonb_build_array($q$DO $d$BEGIN RAISE EXCEPTION '%', repeat('e', 1048576); END$d$$q$)) AS run \gset
SELECT is(jobmon.wait_for_run(:run, '30 seconds'), 'failure', 'a job raising an error of 1 MB fails');
SELECT results_eq(format($$SELECT e.severity, octet_length(e.message) FROM jobmon.jobmon_event e
                           JOIN jobmon.jobmon_run r ON r.log_id = e.job_id WHERE r.run_id = %s$$, :run),
    $$VALUES ('ERROR', 1048576)$$, 'the error is one event, with the whole message');
SELECT is((SELECT d.message FROM jobmon.job_detail d JOIN jobmon.jobmon_run r ON r.log_id = d.job_id WHERE r.run_id = :run),
          repeat('e', 8192) || '... (1040384 more bytes in the step''s ERROR event)',
          'the step''s message is the error cut at capture_max_message_bytes, pointing at the event');
SELECT cmp_ok((SELECT octet_length(reason) FROM jobmon.jobmon_run WHERE run_id = :run), '<', 9000,
              'the run''s reason is the error cut short');

-------------------------------------------------------------------------------
-- The worker's memory stays bounded whatever a job raises: 200000 NOTICEs
-- with the default bounds.  The job's second command waits for a lock that
-- this session holds, so that the worker is still there to be measured after
-- it recorded the first command's step.
SELECT pg_advisory_lock(64064) \g /dev/null
SELECT pg_temp.run('c64_200k', jsonb_build_array(
    $q$DO $d$BEGIN FOR i IN 1..200000 LOOP RAISE NOTICE 'n %', i; END LOOP; END$d$$q$,
    'SELECT pg_advisory_lock_shared(64064)')) AS run \gset
SELECT pg_temp.wait_until(format($$SELECT count(*) = 2 FROM jobmon.job_detail d JOIN jobmon.jobmon_run r ON r.log_id = d.job_id
                                   WHERE r.run_id = %s$$, :run)) AS second_step \gset
SELECT coalesce((regexp_match(pg_read_file(format('/proc/%s/status', pid), 0, 100000, true), 'VmHWM:\s+(\d+) kB'))[1]::bigint, 0)
       AS hwm_kb
FROM jobmon.jobmon_run WHERE run_id = :run \gset
SELECT pg_advisory_unlock(64064) \g /dev/null
SELECT is(jobmon.wait_for_run(:run, '60 seconds'), 'success', 'a job raising 200000 NOTICEs succeeds');
SELECT CASE WHEN :'second_step' AND :hwm_kb > 0
            THEN cmp_ok(:hwm_kb::bigint, '<', 100 * 1024::bigint,
                        'its worker''s peak memory (VmHWM) stays under 100 MB')
            ELSE skip('the worker''s /proc/<pid>/status could not be read', 1) END;
SELECT results_eq(format($$SELECT count(*), count(*) FILTER (WHERE sqlstate = '54000'),
                                  max(message) FILTER (WHERE sqlstate = '54000') FROM pg_temp.events(%s)$$, :run),
    $$VALUES (1001::bigint, 1::bigint, '199000 more messages not kept')$$,
    'its step records the first 1000 messages and one event for the 199000 others');

-------------------------------------------------------------------------------
CALL pg_temp.tick_stop();
SELECT pg_temp.test_cleanup('c64_') \g /dev/null
SELECT jobmon.jobmon_config_reset(s) FROM unnest(ARRAY['capture_max_messages', 'capture_max_bytes',
                                                        'capture_max_message_bytes']) s \g /dev/null
SELECT is((SELECT count(*)::int FROM jobmon.jobmon_run WHERE job_name LIKE 'c64\_%'), 0, 'clean-up leaves no run behind');
SELECT * FROM finish();
