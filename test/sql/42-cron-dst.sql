-- Fire times across daylight-saving changes, derived by hand.
--   Europe/Berlin 2024: 31 March 02:00 CET -> 03:00 CEST (01:00 UTC);
--                       27 October 03:00 CEST -> 02:00 CET (01:00 UTC).
--   America/New_York 2024: 10 March 02:00 EST -> 03:00 EDT (07:00 UTC);
--                          3 November 02:00 EDT -> 01:00 EST (06:00 UTC).
-- Fixed hours: a time in the gap fires at the first instant after it, a
-- repeated time fires at its first occurrence.  Wildcard or stepped hours
-- follow the wall clock: gap times are skipped, repeated times fire twice.
\ir ../setup.sql
BEGIN;
SELECT plan(17);
SET LOCAL TimeZone = 'UTC';

CREATE FUNCTION pg_temp.times(e text, f timestamptz, t timestamptz, z text) RETURNS SETOF timestamptz
LANGUAGE sql AS $$ SELECT jobmon.cron_times(e, f, t, z) $$;

-- Europe/Berlin, spring forward
SELECT results_eq($$SELECT pg_temp.times('30 2 * * *', '2024-03-29 12:00Z', '2024-04-02 12:00Z', 'Europe/Berlin')$$,
    $$VALUES ('2024-03-30 01:30Z'::timestamptz), ('2024-03-31 01:00Z'), ('2024-04-01 00:30Z'), ('2024-04-02 00:30Z')$$,
    'Berlin: 02:30 daily fires at 03:00 CEST on the day of the gap');
SELECT results_eq($$SELECT pg_temp.times('0,30 2,3 * * *', '2024-03-30 23:00Z', '2024-03-31 23:00Z', 'Europe/Berlin')$$,
    $$VALUES ('2024-03-31 01:00Z'::timestamptz), ('2024-03-31 01:30Z')$$,
    'Berlin: 02:00, 02:30 and 03:00 collapse into 03:00 CEST; 03:30 follows');
SELECT results_eq($$SELECT pg_temp.times('30 * * * *', '2024-03-30 23:00Z', '2024-03-31 03:00Z', 'Europe/Berlin')$$,
    $$VALUES ('2024-03-30 23:30Z'::timestamptz), ('2024-03-31 00:30Z'), ('2024-03-31 01:30Z'), ('2024-03-31 02:30Z')$$,
    'Berlin: hourly at :30 skips the missing 02:30 and stays hourly');
SELECT results_eq($$SELECT pg_temp.times('0 */2 * * *', '2024-03-30 22:00Z', '2024-03-31 04:00Z', 'Europe/Berlin')$$,
    $$VALUES ('2024-03-30 23:00Z'::timestamptz), ('2024-03-31 02:00Z'), ('2024-03-31 04:00Z')$$,
    'Berlin: every two hours skips 02:00 (it does not exist)');
-- Europe/Berlin, fall back
SELECT results_eq($$SELECT pg_temp.times('30 2 * * *', '2024-10-26 00:00Z', '2024-10-28 23:00Z', 'Europe/Berlin')$$,
    $$VALUES ('2024-10-26 00:30Z'::timestamptz), ('2024-10-27 00:30Z'), ('2024-10-28 01:30Z')$$,
    'Berlin: 02:30 daily fires once, at 02:30 CEST, on the day it repeats');
SELECT results_eq($$SELECT pg_temp.times('30 * * * *', '2024-10-26 23:00Z', '2024-10-27 03:00Z', 'Europe/Berlin')$$,
    $$VALUES ('2024-10-26 23:30Z'::timestamptz), ('2024-10-27 00:30Z'), ('2024-10-27 01:30Z'), ('2024-10-27 02:30Z')$$,
    'Berlin: hourly at :30 fires at 02:30 CEST and again at 02:30 CET');
SELECT results_eq($$SELECT pg_temp.times('*/30 2 * * *', '2024-10-26 12:00Z', '2024-10-28 12:00Z', 'Europe/Berlin')$$,
    $$VALUES ('2024-10-27 00:00Z'::timestamptz), ('2024-10-27 00:30Z'), ('2024-10-28 01:00Z'), ('2024-10-28 01:30Z')$$,
    'Berlin: a fixed hour with stepped minutes runs the repeated hour once');
SELECT is(jobmon.cron_next('0 0 * * *', '2024-10-26 00:00Z', 'Europe/Berlin'), '2024-10-26 22:00Z'::timestamptz,
          'Berlin: midnight before the change is 22:00 UTC');

-- America/New_York, spring forward
SELECT results_eq($$SELECT pg_temp.times('30 2 * * *', '2024-03-09 00:00Z', '2024-03-11 12:00Z', 'America/New_York')$$,
    $$VALUES ('2024-03-09 07:30Z'::timestamptz), ('2024-03-10 07:00Z'), ('2024-03-11 06:30Z')$$,
    'New York: 02:30 daily fires at 03:00 EDT on the day of the gap');
SELECT results_eq($$SELECT pg_temp.times('*/30 * * * *', '2024-03-10 06:00Z', '2024-03-10 08:00Z', 'America/New_York')$$,
    $$VALUES ('2024-03-10 06:00Z'::timestamptz), ('2024-03-10 06:30Z'), ('2024-03-10 07:00Z'), ('2024-03-10 07:30Z'), ('2024-03-10 08:00Z')$$,
    'New York: every 30 minutes goes from 01:30 EST to 03:00 EDT');
SELECT results_eq($$SELECT pg_temp.times('0 0-3 * * *', '2024-03-10 04:30Z', '2024-03-11 04:30Z', 'America/New_York')$$,
    $$VALUES ('2024-03-10 05:00Z'::timestamptz), ('2024-03-10 06:00Z'), ('2024-03-10 07:00Z'), ('2024-03-11 04:00Z')$$,
    'New York: hours 0-3 fire three times on the short day');
-- America/New_York, fall back
SELECT results_eq($$SELECT pg_temp.times('30 1 * * *', '2024-11-02 12:00Z', '2024-11-04 12:00Z', 'America/New_York')$$,
    $$VALUES ('2024-11-03 05:30Z'::timestamptz), ('2024-11-04 06:30Z')$$,
    'New York: 01:30 daily fires once, at 01:30 EDT');
SELECT results_eq($$SELECT pg_temp.times('0 * * * *', '2024-11-03 04:30Z', '2024-11-03 07:30Z', 'America/New_York')$$,
    $$VALUES ('2024-11-03 05:00Z'::timestamptz), ('2024-11-03 06:00Z'), ('2024-11-03 07:00Z')$$,
    'New York: hourly fires at 01:00 EDT and 01:00 EST');
SELECT results_eq($$SELECT pg_temp.times('0 0-3 * * *', '2024-11-03 03:30Z', '2024-11-03 09:00Z', 'America/New_York')$$,
    $$VALUES ('2024-11-03 04:00Z'::timestamptz), ('2024-11-03 05:00Z'), ('2024-11-03 07:00Z'), ('2024-11-03 08:00Z')$$,
    'New York: hours 0-3 fire four times on the long day, 01:00 once');
SELECT is(jobmon.cron_next('30 * * * *', '2024-11-03 05:30Z', 'America/New_York'), '2024-11-03 06:30Z'::timestamptz,
          'New York: from 01:30 EDT the next :30 is 01:30 EST');
SELECT results_eq($$SELECT pg_temp.times('16,21 * * * *', '2017-11-05 05:16:01Z', '2017-11-05 06:30Z', 'America/New_York')$$,
    $$VALUES ('2017-11-05 05:21Z'::timestamptz), ('2017-11-05 06:16Z'), ('2017-11-05 06:21Z')$$,
    'New York: from inside the first pass, the rest of it comes before the second pass');
SELECT is(jobmon.cron_next('45 1 * * *', '2024-11-03 06:10Z', 'America/New_York'), '2024-11-04 06:45Z'::timestamptz,
          'New York: inside the repeated hour, a fixed 01:45 waits for the next day');

SELECT * FROM finish();
ROLLBACK;
