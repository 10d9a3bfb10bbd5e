-- Definitions at scale: create_job, set_job_attributes, submit_job and
-- drop_job find what they need through indexes, never by reading a
-- scheduler table whole, so that their cost does not grow with the number
-- of jobs (bench/definitions.sh measures it).  And the name rule those
-- look-ups serve: names of periodic jobs are unique without regard to
-- case; one-off names need not be.
\ir ../setup.sql
-- Before any call of this session plans the statements inside: with
-- sequential scans off, a statement that has no index to use still reads
-- its table whole, and the counters below see it.
SET enable_seqscan = off;
BEGIN;
SELECT plan(9);

-- Sequential scans of the scheduler's tables in this transaction.
CREATE FUNCTION pg_temp.seq_scans() RETURNS bigint LANGUAGE sql AS $$
    SELECT sum(t.seq_scan)::bigint FROM pg_stat_xact_user_tables t
    WHERE t.schemaname = 'jobmon' AND t.relname IN ('jobmon_job', 'jobmon_schedule', 'jobmon_run', 'jobmon_audit')
$$;
CREATE TEMP TABLE scans (step text PRIMARY KEY, n bigint);
CREATE TEMP TABLE ids (kind text, job_id bigint);

INSERT INTO scans VALUES ('before', pg_temp.seq_scans());
INSERT INTO ids SELECT 'periodic', jobmon.create_job(jsonb_build_object('name', 's70 job ' || g, 'cron', '0 0 1 1 *',
                                                                      'commands', 'SELECT 1'))
FROM generate_series(1, 5) g;
INSERT INTO scans VALUES ('create_job', pg_temp.seq_scans());
SELECT jobmon.set_job_attribute(job_id, 'comments', 'changed') FROM ids \g /dev/null
SELECT jobmon.set_job_attributes(job_id, '{"name": "s70 renamed"}') FROM ids WHERE job_id = (SELECT min(job_id) FROM ids) \g /dev/null
INSERT INTO scans VALUES ('set_job_attributes', pg_temp.seq_scans());
INSERT INTO ids SELECT 'oneoff', jobmon.submit_job('SELECT 1', name => 's70 once') FROM generate_series(1, 5);
INSERT INTO scans VALUES ('submit_job', pg_temp.seq_scans());
SELECT jobmon.drop_job(job_id, true) FROM ids \g /dev/null
INSERT INTO scans VALUES ('drop_job', pg_temp.seq_scans());

SELECT is((SELECT n FROM scans WHERE step = 'create_job'), (SELECT n FROM scans WHERE step = 'before'),
          'create_job reads no scheduler table whole (the name check probes the unique index)');
SELECT is((SELECT n FROM scans WHERE step = 'set_job_attributes'), (SELECT n FROM scans WHERE step = 'create_job'),
          'set_job_attribute(s) reads no scheduler table whole');
SELECT is((SELECT n FROM scans WHERE step = 'submit_job'), (SELECT n FROM scans WHERE step = 'set_job_attributes'),
          'submit_job reads no scheduler table whole');
SELECT is((SELECT n FROM scans WHERE step = 'drop_job'), (SELECT n FROM scans WHERE step = 'submit_job'),
          'drop_job reads no scheduler table whole');

-- The name rule.
SELECT lives_ok($$SELECT jobmon.create_job('{"name": "s70 nightly", "cron": "0 3 * * *", "commands": "SELECT 1"}')$$,
                'a periodic job gets a name');
SELECT throws_ok($$SELECT jobmon.create_job('{"name": "S70 NIGHTLY", "cron": "0 3 * * *", "commands": "SELECT 1"}')$$,
                 '23505', 'a scheduled job named "S70 NIGHTLY" already exists',
                 'another periodic job cannot take it in another case');
SELECT lives_ok($$SELECT jobmon.submit_job('SELECT 1', name => 's70 nightly')$$,
                'a one-off job can share the name of a periodic job');
INSERT INTO ids SELECT 'twice', jobmon.submit_job('SELECT 1', name => 's70 twice') FROM generate_series(1, 2);
SELECT lives_ok($$SELECT jobmon.set_job_attributes(max(job_id), '{"comments": "second of its name"}')
                  FROM ids WHERE kind = 'twice'$$,
                'a one-off job that shares its name with another one is changed');
SELECT lives_ok($$SELECT jobmon.create_job('{"name": "s70 twice", "cron": "0 3 * * *", "commands": "SELECT 1"}')$$,
                'a periodic job can take the name of one-off jobs');

SELECT * FROM finish();
ROLLBACK;
