-- The cron engine's SQL surface: signatures, volatility, NULL handling,
-- and each function on ordinary input.
\ir ../setup.sql
BEGIN;
SELECT plan(47);
SET LOCAL TimeZone = 'UTC';

SELECT has_function('jobmon', 'cron_next', ARRAY['text', 'timestamp with time zone', 'text'], 'cron_next(text, timestamptz, text)');
SELECT function_returns('jobmon', 'cron_next', ARRAY['text', 'timestamp with time zone', 'text'], 'timestamp with time zone', 'cron_next returns timestamptz');
SELECT has_function('jobmon', 'cron_times', ARRAY['text', 'timestamp with time zone', 'timestamp with time zone', 'text'], 'cron_times(text, timestamptz, timestamptz, text)');
SELECT function_returns('jobmon', 'cron_times', ARRAY['text', 'timestamp with time zone', 'timestamp with time zone', 'text'], 'setof timestamp with time zone', 'cron_times returns setof timestamptz');
SELECT function_returns('jobmon', 'cron_validate', ARRAY['text'], 'void', 'cron_validate(text) returns void');
SELECT function_returns('jobmon', 'cron_is_valid', ARRAY['text'], 'boolean', 'cron_is_valid(text) returns boolean');
SELECT function_returns('jobmon', 'cron_describe', ARRAY['text'], 'text', 'cron_describe(text) returns text');
SELECT function_returns('jobmon', 'cron_from_rule', ARRAY['jsonb'], 'text', 'cron_from_rule(jsonb) returns text');
SELECT is((SELECT pg_get_function_arguments('jobmon.cron_next(text, timestamptz, text)'::regprocedure)),
          'expr text, after timestamp with time zone DEFAULT now(), tz text DEFAULT current_setting(''TimeZone''::text)',
          'cron_next has the documented arguments and defaults');
SELECT is((SELECT array_agg(DISTINCT provolatile) FROM pg_proc
           WHERE pronamespace = 'jobmon'::regnamespace AND proname LIKE 'cron\_%'), ARRAY['i'::"char"],
          'every cron function is IMMUTABLE');
SELECT is((SELECT array_agg(proname::text ORDER BY proname) FROM pg_proc
           WHERE pronamespace = 'jobmon'::regnamespace AND proname LIKE 'cron\_%' AND NOT proisstrict),
          ARRAY['cron_validate'], 'every cron function but cron_validate is STRICT');
SELECT ok((SELECT bool_and(obj_description(oid, 'pg_proc') IS NOT NULL) FROM pg_proc
           WHERE pronamespace = 'jobmon'::regnamespace AND proname LIKE 'cron\_%'), 'every cron function has a comment');

-- cron_next
SELECT is(jobmon.cron_next('30 2 * * 1-5', '2024-01-05 03:00+00', 'UTC'), '2024-01-08 02:30+00'::timestamptz,
          'cron_next skips the weekend');
SELECT is(jobmon.cron_next('30 2 * * *', '2024-01-05 02:30+00', 'UTC'), '2024-01-06 02:30+00'::timestamptz,
          'cron_next is strictly after its argument');
SELECT is(jobmon.cron_next('30 2 * * *', '2024-01-05 02:29:59.999999+00', 'UTC'), '2024-01-05 02:30+00'::timestamptz,
          'cron_next honours microseconds');
SELECT is(jobmon.cron_next('30 2 * * *', '2024-01-05 12:00+00', 'Asia/Kolkata'), '2024-01-05 21:00+00'::timestamptz,
          'cron_next computes in the given zone (02:30 IST is 21:00 UTC the day before)');
SELECT is(jobmon.cron_next('30 2 * * *', '2024-01-05 12:00+00', '+5'), '2024-01-05 21:30+00'::timestamptz,
          'cron_next takes a numeric zone as SET TimeZone does (hours east)');
SELECT is(jobmon.cron_next('0 0 * * *', '2024-01-05 12:00+00'), '2024-01-06 00:00+00'::timestamptz,
          'tz defaults to the session''s TimeZone');
SELECT ok(jobmon.cron_next('* * * * * *') BETWEEN now() AND now() + interval '1 second',
          'after defaults to now()');
SELECT is(jobmon.cron_next('@reboot', '2024-01-01', 'UTC'), NULL, '@reboot has no fire time');
SELECT is(jobmon.cron_next('0 0 1 1 *', 'infinity', 'UTC'), NULL, 'nothing fires after infinity');
SELECT is(jobmon.cron_next('0 0 1 1 *', '294276-06-01', 'UTC'), NULL, 'NULL past the end of timestamptz');
SELECT is(jobmon.cron_next(NULL, now(), 'UTC'), NULL, 'cron_next(NULL, ...) is NULL');
SELECT is(jobmon.cron_next('* * * * *', NULL, 'UTC'), NULL, 'cron_next with a NULL time is NULL');
SELECT is(jobmon.cron_next('* * * * *', now(), NULL), NULL, 'cron_next with a NULL zone is NULL');
SELECT is((SELECT count(DISTINCT jobmon.cron_next(e, '2024-01-01', 'UTC'))::int
           FROM (VALUES ('0 1 * * *'), ('0 2 * * *'), ('0 1 * * *')) v(e)), 2,
          'cron_next per row with different expressions');

-- cron_times
SELECT results_eq($$SELECT jobmon.cron_times('0 */6 * * *', '2024-01-01 00:00+00', '2024-01-01 18:00+00', 'UTC')$$,
                  $$VALUES ('2024-01-01 00:00+00'::timestamptz), ('2024-01-01 06:00+00'), ('2024-01-01 12:00+00'), ('2024-01-01 18:00+00')$$,
                  'cron_times includes both ends');
SELECT is((SELECT count(*)::int FROM jobmon.cron_times('* * * * *', '2024-01-01 00:00:00.5+00', '2024-01-01 01:00+00', 'UTC')), 60,
          'cron_times from a fractional start');
SELECT is((SELECT count(*)::int FROM jobmon.cron_times('* * * * *', '2024-01-02', '2024-01-01', 'UTC')), 0,
          'cron_times of an empty range is empty');
SELECT is((SELECT count(*)::int FROM jobmon.cron_times('@reboot', '2024-01-01', '2025-01-01', 'UTC')), 0,
          'cron_times of @reboot is empty');
-- An endless series is refused however it is called: in FROM, all its
-- rows would be computed before LIMIT reads the first.
SELECT throws_ok($$SELECT * FROM jobmon.cron_times('@hourly', now(), 'infinity') LIMIT 5$$, '22023',
                 'cron_times needs a finite start and a finite end', 'cron_times to infinity in FROM is refused');
SELECT throws_ok($$SELECT jobmon.cron_times('@hourly', now(), 'infinity') LIMIT 5$$, '22023',
                 'cron_times needs a finite start and a finite end', 'and so it is in the select list');
SELECT throws_ok($$SELECT count(*) FROM jobmon.cron_times('* * * * * *', '2024-01-01', '2024-02-01', 'UTC')$$, '54000',
                 'cron_times would return more than 1000000 fire times',
                 'a range that holds more than a million fire times is refused');
SELECT is((SELECT count(*)::int FROM jobmon.cron_times('* * * * * *', '2024-01-01', '2024-01-12 13:46:39', 'UTC')), 1000000,
          'a million fire times are returned');
SELECT is((SELECT count(*)::int FROM jobmon.cron_times(NULL, '2024-01-01', '2025-01-01', 'UTC')), 0,
          'cron_times(NULL, ...) is empty');

-- cron_validate, cron_is_valid
SELECT lives_ok($$SELECT jobmon.cron_validate('30 2 * * 1-5')$$, 'cron_validate accepts a valid expression');
SELECT throws_ok($$SELECT jobmon.cron_validate(NULL)$$, '22004', 'argument expr of cron_validate() must not be NULL',
                 'cron_validate(NULL) is an error');
SELECT is(jobmon.cron_is_valid('*/5 * * * *'), true, 'cron_is_valid: valid');
SELECT is(jobmon.cron_is_valid('*/0 * * * *'), false, 'cron_is_valid: invalid');
SELECT is(jobmon.cron_is_valid(NULL), NULL, 'cron_is_valid(NULL) is NULL');

-- cron_describe
SELECT is(jobmon.cron_describe('30 2 * * 1-5'), 'At 02:30, Monday through Friday', 'cron_describe: weekdays');
SELECT is(jobmon.cron_describe('0 0 * * 5L'), 'At 00:00, on the last Friday of the month', 'cron_describe: last Friday');
SELECT is(jobmon.cron_describe('@reboot'), 'At scheduler start', 'cron_describe: @reboot');

-- cron_from_rule
SELECT is(jobmon.cron_from_rule('{"minutes": [30], "hours": [2], "wdays": [1, 2, 3, 4, 5]}'), '30 2 * * 1-5',
          'cron_from_rule: ranges from consecutive values');
SELECT is(jobmon.cron_from_rule('{"seconds": [0, 30], "minutes": [0, 15, 30, 45], "days": [1, 15], "months": [1, 7]}'),
          '0,30 0,15,30,45 * 1,15 1,7 *', 'cron_from_rule: seconds give six fields');
SELECT is(jobmon.cron_from_rule('{"onstart": 1}'), '@reboot', 'cron_from_rule: onstart is @reboot');
SELECT is(jobmon.cron_from_rule('{}'), '* * * * *', 'cron_from_rule: an empty rule fires every minute');

SELECT * FROM finish();
ROLLBACK;
