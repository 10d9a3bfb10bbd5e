-- A pg_jobmon 1.x database as its users leave it (test/upgrade/from-1x.sh):
-- a log written through the 1.x API, custom status texts, monitoring
-- configurations 2.x's checks refuse, stored credentials, and sequences
-- moved past the highest ids (rows deleted, ids spent by rolled-back jobs).
SET client_min_messages = warning;

-- Custom texts: code 3 renamed (job_log rows carry it), a code 4 added.
UPDATE jobmon.job_status_text SET alert_text = 'FAILED' WHERE alert_code = 3;
INSERT INTO jobmon.job_status_text (alert_code, alert_text) VALUES (4, 'PAGE_ONCALL');

DO $$
DECLARE
    v_job   bigint;
    v_step  bigint;
BEGIN
    FOR i IN 1..1500 LOOP
        v_job := jobmon.add_job(format('nightly_%s', i % 7));
        FOR n IN 1..3 LOOP
            v_step := jobmon.add_step(v_job, format('step %s of run %s', n, i));
            PERFORM jobmon.update_step(v_step, 'OK', format('%s rows', i * n));
        END LOOP;
        CASE
            WHEN i % 101 = 0 THEN NULL;                         -- still running
            WHEN i % 50 = 0 THEN PERFORM jobmon.fail_job(v_job, 2);
            WHEN i % 37 = 0 THEN PERFORM jobmon.fail_job(v_job);
            WHEN i % 97 = 0 THEN PERFORM jobmon.fail_job(v_job, 4);
            ELSE PERFORM jobmon.close_job(v_job);
        END CASE;
    END LOOP;
    -- A job that keeps failing: its failures stay in job_check_log.
    FOR i IN 1..4 LOOP
        v_job := jobmon.add_job('always_fails');
        v_step := jobmon.add_step(v_job, 'try');
        PERFORM jobmon.update_step(v_step, 'CRITICAL', 'no luck');
        PERFORM jobmon.fail_job(v_job);
    END LOOP;
END
$$;
DELETE FROM jobmon.job_log WHERE job_id IN (3, 4, 5);
SELECT setval('jobmon.job_log_job_id_seq', (SELECT max(job_id) + 100 FROM jobmon.job_log));
SELECT setval('jobmon.job_detail_step_id_seq', (SELECT max(step_id) + 250 FROM jobmon.job_detail));

-- Configurations: escalate <= 0 and sensitivity < 0 are refused by 2.x.
INSERT INTO jobmon.job_check_config (job_name, warn_threshold, error_threshold, active, sensitivity, escalate)
VALUES ('NIGHTLY_1', '1 day', '2 days', true, 0, 0),
       ('NIGHTLY_2', '1 day', '2 days', true, -1, NULL),
       ('NIGHTLY_3', '1 day', '2 days', false, -3, -2),
       ('NIGHTLY_4', '1 day', '2 days', true, 2, 3);

-- Stored credentials, in the columns this release has.
INSERT INTO jobmon.dblink_mapping_jobmon (username, port, pwd) VALUES ('jobmon_logger', '5433', 's3cret-pw');
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_attribute WHERE attrelid = 'jobmon.dblink_mapping_jobmon'::regclass AND attname = 'hostaddr') THEN
        UPDATE jobmon.dblink_mapping_jobmon SET hostaddr = '192.0.2.10';
    ELSIF EXISTS (SELECT FROM pg_attribute WHERE attrelid = 'jobmon.dblink_mapping_jobmon'::regclass AND attname = 'host') THEN
        UPDATE jobmon.dblink_mapping_jobmon SET host = '192.0.2.10';
    END IF;
END
$$;
