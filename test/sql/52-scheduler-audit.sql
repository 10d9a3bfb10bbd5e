-- The audit trail: every change to a job or a schedule writes one
-- jobmon_audit row naming the action, the calling role (also under SET ROLE
-- and SET SESSION AUTHORIZATION) and the old and new values; a change that
-- changes nothing writes none; a dropped job keeps its rows.
-- Nothing is committed.
\ir ../setup.sql
BEGIN;
SELECT plan(30);

DO $$ BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'jobmon_test_s52_bob') THEN
        CREATE ROLE jobmon_test_s52_bob LOGIN;
    END IF;
END $$;
SELECT jobmon.grant_scheduler('jobmon_test_s52_bob') \g /dev/null
SELECT current_user AS su \gset

-- The audit row of job :job for action p_action (the only one, or the last).
CREATE FUNCTION pg_temp.audit(p_job bigint, p_action text) RETURNS jobmon.jobmon_audit LANGUAGE sql AS $$
    SELECT * FROM jobmon.jobmon_audit a WHERE a.job_id = p_job AND a.action = p_action ORDER BY a.audit_id DESC LIMIT 1
$$;

-- bob does everything, as a superuser's session that SET ROLE to him
SET ROLE jobmon_test_s52_bob;
SELECT jobmon.create_job('{"name": "s52 job", "cron": "0 9 * * *", "timezone": "UTC", "commands": "SELECT 1"}') AS job \gset
SELECT schedule_id AS s1 FROM jobmon.jobmon_schedule WHERE job_id = :job \gset
SELECT jobmon.set_job_attributes(:job, '{"name": "s52 renamed", "max_instances": 2}') \g /dev/null
SELECT jobmon.set_job_attributes(:job, '{"max_instances": 2}') \g /dev/null
SELECT jobmon.add_schedule(:job, '15 10 * * *') AS s2 \gset
SELECT jobmon.disable_schedule(:s2) \g /dev/null
SELECT jobmon.enable_schedule(:s2) \g /dev/null
SELECT jobmon.dyn_override(:s2, '2029-06-01 12:34+00') \g /dev/null
SELECT jobmon.cancel_override(:s2) \g /dev/null
SELECT jobmon.drop_schedule(:s2) \g /dev/null
SELECT jobmon.deactivate_job(:job) \g /dev/null
SELECT jobmon.deactivate_job(:job) \g /dev/null
SELECT jobmon.activate_job(:job) \g /dev/null
SELECT jobmon.run_job(:job) AS run \gset
RESET ROLE;
-- a superuser changes bob's job
SELECT jobmon.set_job_attribute(:job, 'comments', 'seen by the admin') \g /dev/null
-- bob again, through SET SESSION AUTHORIZATION
SET SESSION AUTHORIZATION jobmon_test_s52_bob;
SELECT jobmon.set_job_attribute(:job, 'on_overlap', 'queue') \g /dev/null
SELECT jobmon.drop_job(:job) \g /dev/null
RESET SESSION AUTHORIZATION;

SELECT set_eq(format('SELECT action, schedule_id FROM jobmon.jobmon_audit WHERE job_id = %s ORDER BY audit_id LIMIT 2', :job),
    format($$VALUES ('create', NULL::bigint), ('add schedule', %s)$$, :s1),
    'create_job writes a create row and an add schedule row for its schedule');
SELECT results_eq(format('SELECT action, schedule_id, changed_by FROM jobmon.jobmon_audit WHERE job_id = %s ORDER BY audit_id OFFSET 2', :job),
    format($$VALUES ('change', NULL::bigint, 'jobmon_test_s52_bob'::name), ('add schedule', %1$s, 'jobmon_test_s52_bob'),
                    ('disable schedule', %1$s, 'jobmon_test_s52_bob'), ('enable schedule', %1$s, 'jobmon_test_s52_bob'),
                    ('override schedule', %1$s, 'jobmon_test_s52_bob'), ('cancel override', %1$s, 'jobmon_test_s52_bob'),
                    ('drop schedule', %1$s, 'jobmon_test_s52_bob'), ('deactivate', NULL, 'jobmon_test_s52_bob'),
                    ('activate', NULL, 'jobmon_test_s52_bob'), ('run now', NULL, 'jobmon_test_s52_bob'),
                    ('change', NULL, %2$L), ('change', NULL, 'jobmon_test_s52_bob'), ('drop', NULL, 'jobmon_test_s52_bob')$$,
           :s2, :'su'),
    'every later change writes one row, by the calling role; changes that change nothing write none');
SELECT is((SELECT array_agg(DISTINCT changed_by) FROM jobmon.jobmon_audit WHERE job_id = :job AND changed_by <> :'su'),
          ARRAY['jobmon_test_s52_bob']::name[], 'SET ROLE and SET SESSION AUTHORIZATION both record bob');
SELECT ok((SELECT bool_and(changed_at = now()) FROM jobmon.jobmon_audit WHERE job_id = :job), 'each row has its time');

-- create
SELECT is((pg_temp.audit(:job, 'create')).old_value, NULL, 'create: no old value');
SELECT results_eq(format($$SELECT new_value->>'name', new_value->>'owner', new_value->>'run_as', new_value->'commands',
                                  (new_value->>'job_id')::bigint
                           FROM pg_temp.audit(%s, 'create')$$, :job),
    format($$VALUES ('s52 job', 'jobmon_test_s52_bob', 'jobmon_test_s52_bob', '["SELECT 1"]'::jsonb, %s::bigint)$$, :job),
    'create: the new value is the job');
SELECT is((SELECT new_value->>'cron' FROM jobmon.jobmon_audit WHERE schedule_id = :s1), '0 9 * * *',
          'its schedule''s row holds the cron expression');

-- change
SELECT results_eq(format($$SELECT old_value->>'name', new_value->>'name', old_value->'max_instances', new_value->'max_instances'
                           FROM jobmon.jobmon_audit WHERE job_id = %s AND action = 'change' ORDER BY audit_id LIMIT 1$$, :job),
    $$VALUES ('s52 job', 's52 renamed', '1'::jsonb, '2'::jsonb)$$, 'change: old and new values of what changed');
SELECT is((SELECT old_value - 'name' - 'max_instances' FROM jobmon.jobmon_audit WHERE job_id = :job AND action = 'change' ORDER BY audit_id LIMIT 1),
          (SELECT new_value - 'name' - 'max_instances' FROM jobmon.jobmon_audit WHERE job_id = :job AND action = 'change' ORDER BY audit_id LIMIT 1),
          'and the same values of the rest');
SELECT results_eq(format($$SELECT old_value->>'comments', new_value->>'comments' FROM jobmon.jobmon_audit
                           WHERE job_id = %s AND changed_by = %L$$, :job, :'su'),
    $$VALUES (NULL, 'seen by the admin')$$, 'the superuser''s change is recorded as the superuser''s');
SELECT is((pg_temp.audit(:job, 'change')).new_value->>'on_overlap', 'queue', 'set_job_attribute is a change too');

-- schedules
SELECT results_eq(format($$SELECT old_value, new_value->>'cron', new_value->>'enabled', new_value->'next_fire' <> 'null'
                           FROM pg_temp.audit(%s, 'add schedule')$$, :job),
    $$VALUES (NULL::jsonb, '15 10 * * *', 'true', true)$$, 'add schedule: the new schedule with its next fire time');
SELECT results_eq(format($$SELECT old_value->'enabled', new_value->'enabled', old_value->'next_fire' <> 'null', new_value->'next_fire'
                           FROM pg_temp.audit(%s, 'disable schedule')$$, :job),
    $$VALUES ('true'::jsonb, 'false'::jsonb, true, 'null'::jsonb)$$, 'disable schedule: enabled and next_fire before and after');
SELECT results_eq(format($$SELECT old_value->'enabled', new_value->'enabled', old_value->'next_fire', new_value->'next_fire' <> 'null'
                           FROM pg_temp.audit(%s, 'enable schedule')$$, :job),
    $$VALUES ('false'::jsonb, 'true'::jsonb, 'null'::jsonb, true)$$, 'enable schedule: the same, the other way');
SELECT results_eq(format($$SELECT old_value->'override_time', (new_value->>'override_time')::timestamptz, (new_value->>'next_fire')::timestamptz
                           FROM pg_temp.audit(%s, 'override schedule')$$, :job),
    $$VALUES ('null'::jsonb, '2029-06-01 12:34+00'::timestamptz, '2029-06-01 12:34+00'::timestamptz)$$,
    'override schedule: the override time, which is the next fire time');
SELECT results_eq(format($$SELECT (old_value->>'override_time')::timestamptz, new_value->'override_time',
                                  (new_value->>'next_fire')::timestamptz = jobmon.cron_next('15 10 * * *', (new_value->>'fired_until')::timestamptz, 'UTC')
                           FROM pg_temp.audit(%s, 'cancel override')$$, :job),
    $$VALUES ('2029-06-01 12:34+00'::timestamptz, 'null'::jsonb, true)$$, 'cancel override: back to the cron''s own time');
SELECT results_eq(format($$SELECT (old_value->>'schedule_id')::bigint, old_value->>'cron', new_value
                           FROM pg_temp.audit(%s, 'drop schedule')$$, :job),
    format($$VALUES (%s::bigint, '15 10 * * *', NULL::jsonb)$$, :s2), 'drop schedule: the schedule as it was');

-- activation, run now, drop
SELECT results_eq(format($$SELECT old_value->'active', new_value->'active' FROM pg_temp.audit(%s, 'deactivate')$$, :job),
    $$VALUES ('true'::jsonb, 'false'::jsonb)$$, 'deactivate: active before and after');
SELECT results_eq(format($$SELECT old_value->'active', new_value->'active' FROM pg_temp.audit(%s, 'activate')$$, :job),
    $$VALUES ('false'::jsonb, 'true'::jsonb)$$, 'activate: the other way');
SELECT results_eq(format($$SELECT old_value, new_value FROM pg_temp.audit(%s, 'run now')$$, :job),
    format($$VALUES (NULL::jsonb, '{"run_id": %s}'::jsonb)$$, :run), 'run now: the run_id');
SELECT results_eq(format($$SELECT old_value->>'name', old_value->>'on_overlap', old_value->>'comments', new_value
                           FROM pg_temp.audit(%s, 'drop')$$, :job),
    $$VALUES ('s52 renamed', 'queue', 'seen by the admin', NULL::jsonb)$$, 'drop: the job as it was last');
SELECT is((SELECT count(*)::int FROM jobmon.jobmon_job WHERE job_id = :job), 0, 'the job is gone');
SELECT is((SELECT count(*)::int FROM jobmon.jobmon_audit WHERE job_id = :job), 15, 'its audit rows stay');

-- A broken mark (set by the dispatcher) and its clearing are audited too
SELECT jobmon.create_job('{"name": "s52 broken", "commands": "SELECT 1"}') AS job2 \gset
SELECT jobmon._job_break(:job2, 'role gone') \g /dev/null
SELECT jobmon.activate_job(:job2) \g /dev/null
SELECT results_eq(format($$SELECT action, old_value->>'broken_reason', new_value->>'broken_reason'
                           FROM jobmon.jobmon_audit WHERE job_id = %s AND action <> 'create' ORDER BY audit_id$$, :job2),
    $$VALUES ('broken', NULL, 'role gone'), ('activate', 'role gone', NULL)$$, 'broken and activate rows');

-- What bob reads of the trail (row-level security)
SET ROLE jobmon_test_s52_bob;
SELECT is((SELECT count(*)::int FROM jobmon.jobmon_audit WHERE job_id = :job AND changed_by = 'jobmon_test_s52_bob'), 14,
          'bob still reads his own rows of the dropped job');
SELECT is((SELECT count(*)::int FROM jobmon.jobmon_audit WHERE job_id = :job2), 0, 'but no row of a job he has nothing to do with');
SELECT throws_ok($$INSERT INTO jobmon.jobmon_audit (changed_by, action, job_id) VALUES ('x', 'forged', 1)$$, '42501', NULL,
                 'nor can he write the trail');
SELECT throws_ok(format('DELETE FROM jobmon.jobmon_audit WHERE job_id = %s', :job), '42501', NULL, 'or erase it');
RESET ROLE;

-- The options of a change are recorded only when something changes
SELECT jobmon.create_job('{"name": "s52 quiet", "commands": "SELECT 1"}') AS job3 \gset
SELECT jobmon.set_job_attributes(:job3, '{"name": "s52 quiet", "max_instances": 1}') \g /dev/null
SELECT jobmon.activate_job(:job3) \g /dev/null
SELECT is((SELECT array_agg(action) FROM jobmon.jobmon_audit WHERE job_id = :job3), ARRAY['create'],
          'setting the values a job already has, or activating an active job, writes nothing');
SELECT jobmon.set_job_attribute(:job3, 'comments', 'x') \g /dev/null
SELECT is((SELECT array_agg(action ORDER BY audit_id) FROM jobmon.jobmon_audit WHERE job_id = :job3), ARRAY['create', 'change'],
          'a real change does');

SELECT * FROM finish();
ROLLBACK;
