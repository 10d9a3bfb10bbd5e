-- Invalid cron expressions: SQLSTATE 22023, the primary message quoting the
-- expression, a DETAIL naming the field and the offending text, and a HINT
-- with a correct example.  Includes what pg_cron 1.4 accepts and ignores.
\ir ../setup.sql
BEGIN;
SELECT plan(40);

-- SQLSTATE, message, detail and hint of cron_validate(e), or NULL if valid.
CREATE FUNCTION pg_temp.cron_error(e text) RETURNS text[] LANGUAGE plpgsql AS $$
DECLARE
    v_state text; v_msg text; v_detail text; v_hint text;
BEGIN
    PERFORM jobmon.cron_validate(e);
    RETURN NULL;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_msg = MESSAGE_TEXT,
                            v_detail = PG_EXCEPTION_DETAIL, v_hint = PG_EXCEPTION_HINT;
    RETURN ARRAY[v_state, v_msg, v_detail, v_hint];
END $$;

SELECT throws_ok($$SELECT jobmon.cron_validate('61 * * * *')$$, '22023', 'invalid cron expression "61 * * * *"',
                 'an out-of-range minute');
SELECT throws_ok($$SELECT jobmon.cron_next('0 0 30 2 *', '2024-01-01', 'UTC')$$, '22023', 'invalid cron expression "0 0 30 2 *"',
                 'cron_next raises the same error');
SELECT throws_ok($$SELECT jobmon.cron_describe('* * *')$$, '22023', 'invalid cron expression "* * *"',
                 'cron_describe raises the same error');
SELECT throws_ok($$SELECT * FROM jobmon.cron_times('x', '2024-01-01', '2024-01-02', 'UTC')$$, '22023',
                 'invalid cron expression "x"', 'cron_times raises the same error');
SELECT throws_ok($$SELECT jobmon.cron_next('* * * * *', '2024-01-01', 'Mars/Olympus')$$, '22023',
                 'time zone "Mars/Olympus" not recognized', 'an unknown zone');
SELECT throws_ok($$SELECT jobmon.cron_next('* * * * *', '-infinity', 'UTC')$$, '22008',
                 'cannot compute a fire time after -infinity', 'after -infinity');

SELECT is((pg_temp.cron_error('61 * * * *'))[3],
          'In the minute field, "61" is not valid: a value must be between 0 and 59.', 'detail: out of range');
SELECT is((pg_temp.cron_error('61 * * * *'))[4],
          'A minute field takes 0-59, for example "*/15 * * * *" fires every 15 minutes.', 'hint: a correct example');
SELECT is((pg_temp.cron_error('0 0 30 2 *'))[3],
          'The day-of-month field "30" matches no day of the selected months, so the expression would never fire.',
          'detail: a day that never exists');
SELECT is((pg_temp.cron_error(''))[3], 'The expression is empty.', 'detail: empty string');
SELECT is((pg_temp.cron_error('* * * *'))[3],
          'The expression has 4 fields; a cron expression has 5, or 6 with a leading seconds field.', 'detail: too few fields');
SELECT is((pg_temp.cron_error('* * * * * * *'))[3],
          'The expression has 7 fields; a cron expression has 5, or 6 with a leading seconds field.', 'detail: too many fields');
SELECT is((pg_temp.cron_error(repeat(' ', 996) || '* * * * *'))[3],
          'The expression is 1005 bytes long; the limit is 1000 bytes.', 'detail: over 1000 bytes');
SELECT is((pg_temp.cron_error(repeat('1', 1200)))[2],
          'invalid cron expression "' || repeat('1', 60) || '..."', 'a long expression is shortened in the message');
SELECT is((pg_temp.cron_error('0 0 * * 1#2x'))[3],
          'In the day-of-week field, "1#2x" is not valid: "x" is unexpected after the occurrence.', 'detail: trailing garbage after #');
SELECT is((pg_temp.cron_error('1#2 * * * *'))[3],
          'In the minute field, "1#2" is not valid: "#" is not allowed in the minute field.',
          'pg_cron 1.4 reads 1#2 as 1; refused');
SELECT is((pg_temp.cron_error('0 0 * * * garbage'))[3],
          'In the day-of-week field, "garbage" is not valid: names are the first three letters in English (sun-sat).',
          'pg_cron 1.4 ignores a sixth field of garbage; refused');
SELECT is((pg_temp.cron_error('0 0 25-5 * *'))[3],
          'In the day-of-month field, "25-5" is not valid: the range is reversed, and the day-of-month does not wrap around.',
          'detail: reversed range in a non-cyclic field');
SELECT is((pg_temp.cron_error('*/0 * * * *'))[3],
          'In the minute field, "*/0" is not valid: the step must be at least 1.', 'detail: step 0');
SELECT is((pg_temp.cron_error('0 */25 * * *'))[3],
          'In the hour field, "*/25" is not valid: the step 25 is larger than the 24 values of the range.', 'detail: step larger than the range');
SELECT is((pg_temp.cron_error('5x * * * *'))[3],
          'In the minute field, "5x" is not valid: "x" is unexpected.', 'detail: trailing garbage');
SELECT is((pg_temp.cron_error('0 0 L-2W * *'))[3],
          'In the day-of-month field, "L-2W" is not valid: "W" is unexpected after L-2.', 'detail: L-nW');
SELECT is((pg_temp.cron_error('0 0 1-5W * *'))[3],
          'In the day-of-month field, "1-5W" is not valid: "W" cannot be combined with a range, a step or "*".', 'detail: W with a range');
SELECT is((pg_temp.cron_error('0 L * * *'))[3],
          'In the hour field, "L" is not valid: "L" is only allowed in the day-of-month and day-of-week fields.', 'detail: L in hours');
SELECT is((pg_temp.cron_error('0 0 * * L'))[3],
          'In the day-of-week field, "L" is not valid: "L" in the day-of-week field follows a weekday, as in 5L for the last Friday of the month.',
          'detail: L alone in day-of-week');
SELECT is((pg_temp.cron_error('0 0 * * 1#6'))[3],
          'In the day-of-week field, "1#6" is not valid: the occurrence after "#" must be between 1 and 5.', 'detail: # out of range');
SELECT is((pg_temp.cron_error('0 0 1#2 * *'))[3],
          'In the day-of-month field, "1#2" is not valid: "#" is not allowed in the day-of-month field.', 'detail: # in day-of-month');
SELECT is((pg_temp.cron_error('0 0 * * 1W'))[3],
          'In the day-of-week field, "1W" is not valid: "W" is not allowed in the day-of-week field.', 'detail: W in day-of-week');
SELECT is((pg_temp.cron_error('? * * * *'))[3],
          'In the minute field, "?" is not valid: "?" is only allowed in the day-of-month and day-of-week fields.', 'detail: ? in minutes');
SELECT is((pg_temp.cron_error('@fortnightly'))[3],
          'The keyword "@fortnightly" is not recognized.', 'detail: unknown keyword');
SELECT is((pg_temp.cron_error('0 0 31 4,6,9,11 *'))[3],
          'The day-of-month field "31" matches no day of the selected months, so the expression would never fire.',
          'detail: the 31st of 30-day months');
SELECT is((pg_temp.cron_error('0 0 * 13 *'))[1], '22023', 'SQLSTATE 22023 for a month out of range');
SELECT ok((SELECT bool_and((pg_temp.cron_error(e))[4] ~ '^[A-Z].*\.$') FROM unnest(ARRAY[
              '', '* *', '60 * * * *', '* 24 * * *', '* * 0 * *', '* * * 0 *', '* * * * 8',
              '60 * * * * *', '@x', '0 0 30 2 *']) e), 'every hint is a capitalized sentence with a period');
SELECT ok((SELECT bool_and((pg_temp.cron_error(e))[3] ~ '^[A-Z].*\.$') FROM unnest(ARRAY[
              '', '* *', '60 * * * *', '* 24 * * *', '* * 0 * *', '* * * 0 *', '* * * * 8',
              '60 * * * * *', '@x', '0 0 30 2 *']) e), 'every detail is a capitalized sentence with a period');

-- cron_from_rule errors
SELECT throws_ok($$SELECT jobmon.cron_from_rule('[1]')$$, '22023', 'invalid pgpro_scheduler rule', 'a rule must be an object');
SELECT throws_ok($$SELECT jobmon.cron_from_rule('{"hours": [24]}')$$, '22023', 'invalid pgpro_scheduler rule', 'an hour out of range');
SELECT throws_ok($$SELECT jobmon.cron_from_rule('{"weekdays": [1]}')$$, '22023', 'invalid pgpro_scheduler rule', 'an unknown key');
SELECT throws_ok($$SELECT jobmon.cron_from_rule('{"onstart": 1, "hours": [1]}')$$, '22023', 'invalid pgpro_scheduler rule',
                 'onstart with times');
SELECT throws_ok($$SELECT jobmon.cron_from_rule('{"days": [30], "months": [2]}')$$, '22023', 'invalid cron expression "* * 30 2 *"',
                 'a rule for a day that never exists');
SELECT is(jobmon.cron_is_valid('0 0 * * 5#5'), true, 'the 5th Friday exists in some months');

SELECT * FROM finish();
ROLLBACK;
