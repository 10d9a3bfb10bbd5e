-- Fire times around leap years, month ends and the day specials (L, L-n,
-- LW, nW, nL, n#k), derived by hand from calendars (2024: 1 January is a
-- Monday, 29 February a Thursday; 2100 is not a leap year, 2000 was).
\ir ../setup.sql
BEGIN;
SELECT plan(20);
SET LOCAL TimeZone = 'UTC';

CREATE FUNCTION pg_temp.days(e text, f date, t date) RETURNS SETOF date
LANGUAGE sql AS $$ SELECT (jobmon.cron_times(e, f::timestamptz, t::timestamptz, 'UTC'))::date $$;

SELECT results_eq($$SELECT pg_temp.days('0 0 29 2 *', '2023-01-01', '2033-01-01')$$,
    $$VALUES ('2024-02-29'::date), ('2028-02-29'), ('2032-02-29')$$, '29 February: leap years only');
SELECT is(jobmon.cron_next('0 0 29 2 *', '2096-03-01', 'UTC'), '2104-02-29'::timestamptz, '29 February skips 2100');
SELECT is(jobmon.cron_next('0 0 29 2 *', '1996-03-01', 'UTC'), '2000-02-29'::timestamptz, '29 February 2000 exists');
SELECT results_eq($$SELECT pg_temp.days('0 0 L * *', '2023-12-01', '2024-06-01')$$,
    $$VALUES ('2023-12-31'::date), ('2024-01-31'), ('2024-02-29'), ('2024-03-31'), ('2024-04-30'), ('2024-05-31')$$,
    'L: the last day of each month');
SELECT results_eq($$SELECT pg_temp.days('0 0 $ 2 *', '2023-01-01', '2025-12-31')$$,
    $$VALUES ('2023-02-28'::date), ('2024-02-29'), ('2025-02-28')$$, '$ is L');
SELECT results_eq($$SELECT pg_temp.days('0 0 L-2 * *', '2024-01-01', '2024-04-01')$$,
    $$VALUES ('2024-01-29'::date), ('2024-02-27'), ('2024-03-29')$$, 'L-2: two days before the last');
SELECT results_eq($$SELECT pg_temp.days('0 0 LW * *', '2024-06-01', '2024-10-01')$$,
    $$VALUES ('2024-06-28'::date), ('2024-07-31'), ('2024-08-30'), ('2024-09-30')$$,
    'LW: the last weekday (30 June a Sunday, 31 August a Saturday)');
SELECT results_eq($$SELECT pg_temp.days('0 0 15W * *', '2024-06-01', '2024-10-01')$$,
    $$VALUES ('2024-06-14'::date), ('2024-07-15'), ('2024-08-15'), ('2024-09-16')$$,
    '15W: Saturday goes to Friday, Sunday to Monday');
SELECT results_eq($$SELECT pg_temp.days('0 0 1W * *', '2024-06-01', '2024-07-02')$$,
    $$VALUES ('2024-06-03'::date), ('2024-07-01')$$, '1W on a Saturday stays in the month: Monday the 3rd');
SELECT results_eq($$SELECT pg_temp.days('0 0 31W * *', '2024-08-01', '2024-12-31')$$,
    $$VALUES ('2024-08-30'::date), ('2024-10-31'), ('2024-12-31')$$, '31W: only months with 31 days');
SELECT results_eq($$SELECT pg_temp.days('0 0 * * 5L', '2024-01-01', '2024-04-01')$$,
    $$VALUES ('2024-01-26'::date), ('2024-02-23'), ('2024-03-29')$$, '5L: the last Friday');
SELECT results_eq($$SELECT pg_temp.days('0 0 * * 1#2', '2024-01-01', '2024-04-01')$$,
    $$VALUES ('2024-01-08'::date), ('2024-02-12'), ('2024-03-11')$$, '1#2: the second Monday');
SELECT results_eq($$SELECT pg_temp.days('0 0 * * 5#5', '2024-01-01', '2024-12-31')$$,
    $$VALUES ('2024-03-29'::date), ('2024-05-31'), ('2024-08-30'), ('2024-11-29')$$, '5#5: only months with five Fridays');
SELECT results_eq($$SELECT pg_temp.days('0 0 1,15 * 1', '2024-01-01', '2024-02-06')$$,
    $$VALUES ('2024-01-01'::date), ('2024-01-08'), ('2024-01-15'), ('2024-01-22'), ('2024-01-29'), ('2024-02-01'), ('2024-02-05')$$,
    'day-of-month and day-of-week both restricted: either matches');
SELECT results_eq($$SELECT pg_temp.days('0 0 ? * sat-sun', '2024-01-01', '2024-01-15')$$,
    $$VALUES ('2024-01-06'::date), ('2024-01-07'), ('2024-01-13'), ('2024-01-14')$$, 'sat-sun wraps, ? is unrestricted');
SELECT results_eq($$SELECT pg_temp.days('0 0 1 nov-feb *', '2024-01-01', '2024-12-31')$$,
    $$VALUES ('2024-01-01'::date), ('2024-02-01'), ('2024-11-01'), ('2024-12-01')$$, 'nov-feb wraps around the year');
SELECT results_eq($$SELECT jobmon.cron_times('0 22-2 * * *', '2024-01-01 12:00Z', '2024-01-02 12:00Z', 'UTC')$$,
    $$VALUES ('2024-01-01 22:00Z'::timestamptz), ('2024-01-01 23:00Z'), ('2024-01-02 00:00Z'), ('2024-01-02 01:00Z'), ('2024-01-02 02:00Z')$$,
    '22-2 wraps around midnight');
SELECT results_eq($$SELECT jobmon.cron_times('1/30 * * * * *', '2024-01-01 00:00Z', '2024-01-01 00:01:05Z', 'UTC')$$,
    $$VALUES ('2024-01-01 00:00:01Z'::timestamptz), ('2024-01-01 00:00:31Z'), ('2024-01-01 00:01:01Z')$$,
    '1/30 in seconds: 1 and 31 (QHB)');
SELECT is(jobmon.cron_next('59 23 31 12 *', '2024-12-31 23:59Z', 'UTC'), '2025-12-31 23:59Z'::timestamptz,
          'the last minute of the year');
SELECT is(jobmon.cron_next('@weekly', '2024-01-01', 'UTC'), '2024-01-07 00:00Z'::timestamptz, '@weekly is Sunday midnight');

SELECT * FROM finish();
ROLLBACK;
