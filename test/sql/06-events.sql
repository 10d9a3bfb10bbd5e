-- Structured events: log_event records any message with PostgreSQL's
-- fields; log_error records the error an EXCEPTION handler is handling, in
-- one call, and marks the step failed.
\ir ../setup.sql
DROP TABLE IF EXISTS public.event_target;
CREATE TABLE public.event_target (id int PRIMARY KEY, qty int NOT NULL CONSTRAINT qty_positive CHECK (qty > 0));
BEGIN;
SELECT plan(15);

SELECT jobmon.add_job('events test') AS job \gset
SELECT jobmon.add_step(:job, 'notice step') AS step \gset
SELECT jobmon.log_event(:step, 'notice', '01000', 'vacuum skipped', 'Table busy.', 'Run it later.', 'in a test',
                        'public', 'event_target', 'qty', 'integer', 'qty_positive') AS event \gset
SELECT results_eq(format($$SELECT job_id, step_id, severity, sqlstate, message, detail, hint, context, schema_name,
                                  table_name, column_name, datatype_name, constraint_name
                           FROM jobmon.jobmon_event WHERE event_id = %s$$, :event),
                  format($$VALUES (%s::bigint, %s::bigint, 'NOTICE', '01000', 'vacuum skipped', 'Table busy.', 'Run it later.',
                                   'in a test', 'public', 'event_target', 'qty', 'integer', 'qty_positive')$$, :job, :step),
                  'log_event records every field, severity in upper case');
SELECT ok((SELECT event_time BETWEEN now() AND clock_timestamp() FROM jobmon.jobmon_event WHERE event_id = :event),
          'the event has the time it was recorded');
SELECT lives_ok(format($$SELECT jobmon.log_event(%s, 'WARNING', NULL, 'only a message')$$, :step),
                'log_event needs only step, severity, SQLSTATE (may be NULL) and message');
SELECT throws_ok(format($$SELECT jobmon.log_event(%s, 'LOUD', NULL, 'x')$$, :step), '22023',
                 'unrecognized severity "LOUD"', 'an unknown severity is an error');
SELECT throws_ok(format($$SELECT jobmon.log_event(%s, 'ERROR', '2201', 'x')$$, :step), '22023',
                 'invalid SQLSTATE code "2201"', 'a malformed SQLSTATE is an error');
SELECT throws_ok(format($$SELECT jobmon.log_event(%s, 'ERROR', NULL, NULL)$$, :step), '22004',
                 'argument p_message of log_event() must not be NULL', 'a NULL message is an error');
SELECT throws_ok($$SELECT jobmon.log_event(0, 'ERROR', NULL, 'x')$$, '42704', 'step 0 does not exist',
                 'an event for a missing step is an error');

-- log_error inside a handler: a check constraint violation carries schema,
-- table and constraint names.
SELECT jobmon.add_step(:job, 'failing insert') AS fstep \gset
SELECT set_config('events.step', :'fstep', true) \g /dev/null
CREATE TEMP TABLE events_result (event_id bigint);
DO $$
BEGIN
    INSERT INTO public.event_target VALUES (1, -5);
EXCEPTION WHEN check_violation THEN
    INSERT INTO events_result VALUES (jobmon.log_error(current_setting('events.step')::bigint));
END $$;
SELECT results_eq(
    $$SELECT e.severity, e.sqlstate, e.message, e.detail, e.schema_name, e.table_name, e.constraint_name
      FROM events_result r JOIN jobmon.jobmon_event e USING (event_id)$$,
    $$VALUES ('ERROR', '23514', 'new row for relation "event_target" violates check constraint "qty_positive"',
              'Failing row contains (1, -5).', 'public', 'event_target', 'qty_positive')$$,
    'log_error records the handled error with its detail and object names');
SELECT ok((SELECT e.context LIKE '%PL/pgSQL function inline_code_block%' FROM events_result r JOIN jobmon.jobmon_event e USING (event_id)),
          'log_error records the error''s context');
SELECT results_eq(format('SELECT status, message FROM jobmon.job_detail WHERE step_id = %s', :fstep),
                  $$VALUES ('CRITICAL', 'ERROR: new row for relation "event_target" violates check constraint "qty_positive"')$$,
                  'log_error marks the step CRITICAL with the error message');

-- A NOT NULL violation names the column; a bad cast names no object but
-- keeps its SQLSTATE; the handler's caller keeps going.
SELECT jobmon.add_step(:job, 'not null') AS nstep \gset
SELECT set_config('events.step', :'nstep', true) \g /dev/null
DO $$
BEGIN
    INSERT INTO public.event_target VALUES (2, NULL);
EXCEPTION WHEN OTHERS THEN
    PERFORM jobmon.log_error(current_setting('events.step')::bigint);
END $$;
SELECT results_eq(format('SELECT sqlstate, column_name, table_name FROM jobmon.jobmon_event WHERE step_id = %s', :nstep),
                  $$VALUES ('23502', 'qty', 'event_target')$$, 'a not-null violation is recorded with its column');

-- Nested: the innermost active handler's error is the one recorded.
SELECT jobmon.add_step(:job, 'nested') AS xstep \gset
SELECT set_config('events.step', :'xstep', true) \g /dev/null
DO $$
BEGIN
    PERFORM 1 / 0;
EXCEPTION WHEN division_by_zero THEN
    BEGIN
        PERFORM 'abc'::int;
    EXCEPTION WHEN invalid_text_representation THEN
        PERFORM jobmon.log_error(current_setting('events.step')::bigint);
    END;
END $$;
SELECT results_eq(format('SELECT sqlstate, message FROM jobmon.jobmon_event WHERE step_id = %s', :xstep),
                  $$VALUES ('22P02', 'invalid input syntax for type integer: "abc"')$$,
                  'a nested handler records its own error');

SELECT throws_ok(format('SELECT jobmon.log_error(%s)', :xstep), '0Z002', 'no error is being handled',
                 'log_error outside an EXCEPTION handler is an error');
SELECT throws_ok($q$DO $x$ BEGIN PERFORM jobmon.log_error(1); END $x$$q$, '0Z002', 'no error is being handled',
                 'log_error in PL/pgSQL outside a handler is an error');
SELECT results_eq(format('SELECT step_id, sqlstate FROM jobmon.show_events(%s) ORDER BY event_id', :job),
                  format($$VALUES (%s::bigint, '01000'), (%s, NULL), (%s, '23514'), (%s, '23502'), (%s, '22P02')$$,
                         :step, :step, :fstep, :nstep, :xstep),
                  'show_events lists a job''s events in order');

SELECT * FROM finish();
ROLLBACK;
DROP TABLE public.event_target;
