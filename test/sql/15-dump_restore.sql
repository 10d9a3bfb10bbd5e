-- pg_dump and restore of a database using pg_jobmon: the job log, the
-- monitoring configuration, the status codes a user added and the text a
-- user gave a seeded code come back exactly once, the sequences continue, and the restore runs without a
-- message under ON_ERROR_STOP.
--
-- The data must be committed for pg_dump to see it, so it is written
-- before BEGIN (through the API, which commits on its own) and deleted at
-- the end, with the restored database, outside the test transaction.  The
-- dump and restore run as the server's system user through COPY ... FROM
-- PROGRAM, which needs a superuser.
\ir ../setup.sql

-- Leftovers of an earlier run that stopped half-way.
DROP DATABASE IF EXISTS jobmon_t15_restored WITH (FORCE);
DELETE FROM jobmon.job_log WHERE job_name LIKE 'T15\_%';
DELETE FROM jobmon.job_check_log WHERE job_name LIKE 'T15\_%';
DELETE FROM jobmon.job_check_config WHERE job_name LIKE 'T15\_%';
DELETE FROM jobmon.job_status_text WHERE alert_code = 4 AND alert_text = 'T15_ESCALATED_PAGE';
UPDATE jobmon.job_status_text SET alert_text = 'WARNING' WHERE alert_code = 2;

-- Committed set-up: a seeded code with a text of the user's (as a database
-- updated from 1.x may have), a custom alert code, a job configured to escalate, a
-- successful job, and two failed runs of the configured job with a
-- structured event; the second failure escalates to the custom code.  And a
-- job whose failure was logged before escalation was configured for it: a
-- restore must load that failure as it is, not escalate it.
INSERT INTO jobmon.job_status_text (alert_code, alert_text) VALUES (4, 'T15_ESCALATED_PAGE');
INSERT INTO jobmon.job_check_config (job_name, warn_threshold, error_threshold, active, sensitivity, escalate)
VALUES ('T15_DUMP_FAIL', '1 day', '2 days', false, 1, 2);
DO $$
DECLARE
    v_job_id  bigint;
    v_step_id bigint;
BEGIN
    v_job_id := jobmon.add_job('t15_dump_ok');
    v_step_id := jobmon.add_step(v_job_id, 't15 first step');
    PERFORM jobmon.update_step(v_step_id, 'OK', 't15 step done');
    v_step_id := jobmon.add_step(v_job_id, 't15 second step');
    PERFORM jobmon.update_step(v_step_id, 'OK', 't15 second step done');
    PERFORM jobmon.close_job(v_job_id);

    v_job_id := jobmon.add_job('t15_dump_fail');
    v_step_id := jobmon.add_step(v_job_id, 't15 failing step');
    PERFORM jobmon.log_event(v_step_id, 'error', '22012', 't15 division by zero',
                             p_detail => 't15 detail', p_hint => 't15 hint',
                             p_table_name => 't15_table');
    PERFORM jobmon.update_step(v_step_id, 'CRITICAL', 't15 step failed');
    PERFORM jobmon.fail_job(v_job_id);

    v_job_id := jobmon.add_job('t15_dump_fail');
    PERFORM jobmon.fail_job(v_job_id);

    v_job_id := jobmon.add_job('t15_late_escalate');
    PERFORM jobmon.fail_job(v_job_id, 2);
END
$$;
-- The user's text for code 2, given after the jobs logged theirs.
UPDATE jobmon.job_status_text SET alert_text = 'T15_WARN' WHERE alert_code = 2;
INSERT INTO jobmon.job_check_config (job_name, warn_threshold, error_threshold, active, sensitivity, escalate)
VALUES ('T15_LATE_ESCALATE', '1 day', '2 days', false, 0, 1);

BEGIN;
SELECT plan(15);

-- Shell quoting for the command line below.
CREATE FUNCTION pg_temp.t15_sh(p_word text) RETURNS text LANGUAGE sql IMMUTABLE AS
$$ SELECT '''' || replace(p_word, '''', '''\''''') || '''' $$;

-- The same query run in the restored database, for results_eq.
CREATE FUNCTION pg_temp.t15_restored(p_query text, p_columns text) RETURNS text LANGUAGE sql AS
$$ SELECT format('SELECT * FROM dblink(%L, %L) AS t(%s)', 't15_restored', p_query, p_columns) $$;

-- Dump this database, create the new one, restore into it.  Each step
-- prints its exit status; anything else printed is a message (stderr).
CREATE TEMP TABLE t15_out (n serial, line text);
DO $$
DECLARE
    v_bin  text := (SELECT setting FROM pg_catalog.pg_config WHERE name = 'BINDIR');
    v_conn text := format('-h %s -p %s -U %s',
                          pg_temp.t15_sh(trim(split_part(current_setting('unix_socket_directories'), ',', 1))),
                          pg_temp.t15_sh(current_setting('port')), pg_temp.t15_sh(session_user));
    v_cmd  text;
BEGIN
    v_cmd := format($sh$exec 2>&1
d=$(mktemp -d /tmp/t15_dump.XXXXXX) || { echo "mktemp exit $?"; exit 0; }
%1$s/pg_dump %2$s -d %3$s -f "$d/dump.sql"; echo "pg_dump exit $?"
%1$s/createdb %2$s jobmon_t15_restored; echo "createdb exit $?"
%1$s/psql -X -q -v ON_ERROR_STOP=1 %2$s -d jobmon_t15_restored -o /dev/null -f "$d/dump.sql"; echo "psql exit $?"
rm -rf "$d"
exit 0$sh$, pg_temp.t15_sh(v_bin), v_conn, pg_temp.t15_sh(current_database()));
    EXECUTE format($c$COPY t15_out (line) FROM PROGRAM %L WITH (FORMAT csv, DELIMITER E'\x1f', QUOTE E'\x1e')$c$,
                   v_cmd);
END
$$;
SELECT is((SELECT string_agg(coalesce(line, ''), E'\n' ORDER BY n) FROM t15_out),
          E'pg_dump exit 0\ncreatedb exit 0\npsql exit 0',
          'pg_dump, createdb and psql -v ON_ERROR_STOP=1 succeed and print nothing');

SELECT is(dblink_connect('t15_restored',
              format('host=''%s'' port=%s dbname=jobmon_t15_restored user=''%s''',
                     trim(split_part(current_setting('unix_socket_directories'), ',', 1)),
                     current_setting('port'), session_user)),
          'OK', 'the restored database accepts connections');

-- ------------------------------------------------ the same rows, row for row
SELECT results_eq(
    'SELECT job_id, owner, job_name, start_time, end_time, status, pid FROM jobmon.job_log ORDER BY job_id',
    pg_temp.t15_restored(
        'SELECT job_id, owner, job_name, start_time, end_time, status, pid FROM jobmon.job_log ORDER BY job_id',
        'job_id bigint, owner text, job_name text, start_time timestamptz, end_time timestamptz, status text, pid integer'),
    'job_log is restored row for row');
SELECT results_eq(
    'SELECT job_id, step_id, action, start_time, end_time, elapsed_time, status, message FROM jobmon.job_detail ORDER BY step_id',
    pg_temp.t15_restored(
        'SELECT job_id, step_id, action, start_time, end_time, elapsed_time, status, message FROM jobmon.job_detail ORDER BY step_id',
        'job_id bigint, step_id bigint, action text, start_time timestamptz, end_time timestamptz, elapsed_time real, status text, message text'),
    'job_detail is restored row for row');
SELECT results_eq(
    'SELECT event_id, job_id, step_id, event_time, severity, sqlstate, message, detail, hint, context, '
    'schema_name, table_name, column_name, datatype_name, constraint_name FROM jobmon.jobmon_event ORDER BY event_id',
    pg_temp.t15_restored(
        'SELECT event_id, job_id, step_id, event_time, severity, sqlstate, message, detail, hint, context, '
        'schema_name, table_name, column_name, datatype_name, constraint_name FROM jobmon.jobmon_event ORDER BY event_id',
        'event_id bigint, job_id bigint, step_id bigint, event_time timestamptz, severity text, sqlstate text, '
        'message text, detail text, hint text, context text, schema_name text, table_name text, column_name text, '
        'datatype_name text, constraint_name text'),
    'jobmon_event is restored row for row');
SELECT results_eq(
    'SELECT job_name, warn_threshold, error_threshold, active, sensitivity, escalate FROM jobmon.job_check_config ORDER BY job_name',
    pg_temp.t15_restored(
        'SELECT job_name, warn_threshold, error_threshold, active, sensitivity, escalate FROM jobmon.job_check_config ORDER BY job_name',
        'job_name text, warn_threshold interval, error_threshold interval, active boolean, sensitivity smallint, escalate integer'),
    'job_check_config is restored row for row');
SELECT results_eq(
    'SELECT job_id, job_name, alert_code FROM jobmon.job_check_log ORDER BY job_id, alert_code',
    pg_temp.t15_restored(
        'SELECT job_id, job_name, alert_code FROM jobmon.job_check_log ORDER BY job_id, alert_code',
        'job_id bigint, job_name text, alert_code integer'),
    'job_check_log is restored row for row');

-- ------------------------------------------- the set-up rows are among them
SELECT results_eq(
    pg_temp.t15_restored(
        $$SELECT j.job_name, j.status, count(d.step_id)::int, string_agg(d.action || ':' || d.status, ',' ORDER BY d.step_id)
          FROM jobmon.job_log j LEFT JOIN jobmon.job_detail d ON d.job_id = j.job_id
          WHERE j.job_name LIKE 'T15\_%' GROUP BY j.job_id ORDER BY j.job_id$$,
        'job_name text, status text, steps integer, actions text'),
    $$VALUES ('T15_DUMP_OK'::text, 'OK'::text, 2, 't15 first step:OK,t15 second step:OK'::text),
             ('T15_DUMP_FAIL', 'CRITICAL', 1, 't15 failing step:CRITICAL'),
             ('T15_DUMP_FAIL', 'ESCALATED', 1, 'ALERT ESCALATION:ESCALATE'),
             ('T15_LATE_ESCALATE', 'WARNING', 0, NULL)$$,
    'the restored database has the set-up jobs, their steps and the one escalation step');
SELECT results_eq(
    pg_temp.t15_restored(
        $$SELECT job_name, alert_code FROM jobmon.job_check_log WHERE job_name LIKE 'T15\_%' ORDER BY job_id$$,
        'job_name text, alert_code integer'),
    $$VALUES ('T15_DUMP_FAIL'::text, 3), ('T15_DUMP_FAIL', 4), ('T15_LATE_ESCALATE', 2)$$,
    'restored failures keep their codes: neither escalated again nor escalated late');
SELECT results_eq(
    pg_temp.t15_restored(
        $$SELECT e.severity, e.sqlstate, e.message, e.detail, e.hint, e.table_name, d.action
          FROM jobmon.jobmon_event e JOIN jobmon.job_detail d USING (step_id)
          WHERE e.message LIKE 't15%'$$,
        'severity text, sqlstate text, message text, detail text, hint text, table_name text, action text'),
    $$VALUES ('ERROR'::text, '22012'::text, 't15 division by zero'::text, 't15 detail'::text, 't15 hint'::text,
              't15_table'::text, 't15 failing step'::text)$$,
    'the restored database has the structured event on its step');
SELECT results_eq(
    pg_temp.t15_restored(
        'SELECT alert_code, alert_text FROM jobmon.job_status_text ORDER BY alert_code',
        'alert_code integer, alert_text text'),
    $$VALUES (1, 'OK'::text), (2, 'T15_WARN'), (3, 'CRITICAL'), (4, 'T15_ESCALATED_PAGE')$$,
    'job_status_text has the seeded codes 1, 2, 3 once, code 2 with the user''s text, and the custom code 4 once');
SELECT results_eq(
    $$SELECT pg_catalog.pg_describe_object(d.classid, d.objid, d.objsubid) AS member
      FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_extension e ON e.oid = d.refobjid
      WHERE d.refclassid = 'pg_catalog.pg_extension'::regclass AND e.extname = 'pg_jobmon' AND d.deptype = 'e'
      ORDER BY pg_catalog.pg_describe_object(d.classid, d.objid, d.objsubid) COLLATE "C"$$,
    pg_temp.t15_restored(
        $$SELECT pg_catalog.pg_describe_object(d.classid, d.objid, d.objsubid) AS member
          FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_extension e ON e.oid = d.refobjid
          WHERE d.refclassid = 'pg_catalog.pg_extension'::regclass AND e.extname = 'pg_jobmon' AND d.deptype = 'e'
          ORDER BY pg_catalog.pg_describe_object(d.classid, d.objid, d.objsubid) COLLATE "C"$$,
        'member text'),
    'the restored extension owns the same objects (nothing was re-created outside it)');

-- --------------------------------------------------- the sequences continue
CREATE TEMP TABLE t15_new AS
SELECT * FROM dblink('t15_restored', $$
    WITH j AS (SELECT jobmon.add_job('t15_after_restore') AS job_id),
         s AS (SELECT j.job_id, jobmon.add_step(j.job_id, 't15 step after restore') AS step_id FROM j)
    SELECT s.job_id, s.step_id, jobmon.log_event(s.step_id, 'NOTICE', NULL, 't15 event after restore') FROM s$$,
    false) AS t(job_id bigint, step_id bigint, event_id bigint);
SELECT cmp_ok((SELECT job_id FROM t15_new), '>', (SELECT max(job_id) FROM jobmon.job_log),
              'add_job in the restored database gets a job_id above every restored one');
SELECT cmp_ok((SELECT step_id FROM t15_new), '>', (SELECT max(step_id) FROM jobmon.job_detail),
              'add_step in the restored database gets a step_id above every restored one');
SELECT cmp_ok((SELECT event_id FROM t15_new), '>', (SELECT max(event_id) FROM jobmon.jobmon_event),
              'log_event in the restored database gets an event_id above every restored one');

DO $$ BEGIN PERFORM dblink_disconnect('t15_restored'); END $$;
SELECT * FROM finish();
ROLLBACK;

-- Clean-up, whatever the assertions said.
DROP DATABASE IF EXISTS jobmon_t15_restored WITH (FORCE);
DELETE FROM jobmon.job_log WHERE job_name LIKE 'T15\_%';
DELETE FROM jobmon.job_check_log WHERE job_name LIKE 'T15\_%';
DELETE FROM jobmon.job_check_config WHERE job_name LIKE 'T15\_%';
DELETE FROM jobmon.job_status_text WHERE alert_code = 4 AND alert_text = 'T15_ESCALATED_PAGE';
UPDATE jobmon.job_status_text SET alert_text = 'WARNING' WHERE alert_code = 2;
