-- What the update must keep (test/upgrade/from-1x.sh), one line per fact,
-- read the same way before and after it: rows and ids of the kept tables
-- (a digest of every row, in id order, over 1.x's columns), sequence
-- positions, grants, and the user views with their definitions, owners,
-- options, grants, comments and results.  job_check_config's values are
-- repaired: only its names and count are here.
SET search_path = pg_catalog;
SELECT format('rows %s: %s, digest %s', t.name, t.n, t.digest) FROM (
    SELECT 'job_log' AS name, count(*) AS n,
           md5(string_agg(format('%s|%s|%s|%s|%s|%s|%s', job_id, owner, job_name, start_time, end_time, status, pid), ',' ORDER BY job_id)) AS digest
    FROM jobmon.job_log
    UNION ALL
    SELECT 'job_detail', count(*),
           md5(string_agg(format('%s|%s|%s|%s|%s|%s|%s|%s', job_id, step_id, action, start_time, end_time, elapsed_time, status, message), ',' ORDER BY step_id))
    FROM jobmon.job_detail
    UNION ALL
    SELECT 'job_check_log', count(*),
           md5(string_agg(format('%s|%s|%s', job_id, job_name, alert_code), ',' ORDER BY job_id, alert_code))
    FROM jobmon.job_check_log
    UNION ALL
    SELECT 'job_check_config', count(*), md5(string_agg(job_name, ',' ORDER BY job_name))
    FROM jobmon.job_check_config
    UNION ALL
    SELECT 'job_status_text', count(*),
           string_agg(format('%s=%s', alert_code, alert_text), ',' ORDER BY alert_code)
    FROM jobmon.job_status_text
) t;
SELECT format('sequence %s: last_value %s, is_called %s', 'job_log_job_id_seq', last_value, is_called)
FROM jobmon.job_log_job_id_seq;
SELECT format('sequence %s: last_value %s, is_called %s', 'job_detail_step_id_seq', last_value, is_called)
FROM jobmon.job_detail_step_id_seq;
SELECT format('grants %s: %s', c.oid::regclass, c.relacl)
FROM pg_class c
WHERE c.oid IN ('jobmon.job_log'::regclass, 'jobmon.job_detail'::regclass, 'jobmon.job_check_log'::regclass,
                'jobmon.job_check_config'::regclass, 'jobmon.job_status_text'::regclass,
                'jobmon.job_log_job_id_seq'::regclass, 'jobmon.job_detail_step_id_seq'::regclass)
ORDER BY 1;
SELECT format('column grants %s.%s: %s', a.attrelid::regclass, a.attname, a.attacl)
FROM pg_attribute a
WHERE a.attrelid IN ('jobmon.job_log'::regclass, 'jobmon.job_detail'::regclass) AND a.attacl IS NOT NULL
ORDER BY 1;
SELECT format('index %s', pg_get_indexdef('jobmon.job_log_owner_idx'::regclass));
SELECT format('constraint %s: %s', conname, pg_get_constraintdef(oid))
FROM pg_constraint WHERE conrelid = 'jobmon.job_log'::regclass AND conname = 'job_log_pid_positive';
SELECT format('trigger %s', pg_get_triggerdef(t.oid))
FROM pg_trigger t WHERE t.tgrelid = 'jobmon.job_log'::regclass AND t.tgname = 'count_new_jobs';
SELECT format('default %s.%s: %s', d.adrelid::regclass, a.attname, pg_get_expr(d.adbin, d.adrelid))
FROM pg_attrdef d JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum
WHERE d.adrelid = 'jobmon.running_report'::regclass;
SELECT format('view %s (%s): owner %s, options %s, grants %s, comment %L, column comments %s, definition %s',
              c.oid::regclass, c.relkind, pg_get_userbyid(c.relowner), c.reloptions, c.relacl,
              obj_description(c.oid, 'pg_class'),
              (SELECT string_agg(format('%s=%L', a.attname, col_description(c.oid, a.attnum)), ',' ORDER BY a.attnum)
               FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND col_description(c.oid, a.attnum) IS NOT NULL),
              md5(pg_get_viewdef(c.oid)))
FROM pg_class c
WHERE c.relkind IN ('v', 'm')
  AND (c.relnamespace = 'reports'::regnamespace OR c.oid = 'jobmon.running_report'::regclass)
ORDER BY 1;
SELECT format('index on view %s', pg_get_indexdef(i.indexrelid))
FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
WHERE c.relnamespace = 'reports'::regnamespace ORDER BY 1;
SELECT format('SELECT %L || count(*) || '', digest '' || md5(string_agg(t::text, '','' ORDER BY t::text)) FROM %s t',
              'view rows ' || c.oid::regclass || ': ', c.oid::regclass)
FROM pg_class c
WHERE c.relkind IN ('v', 'm')
  AND (c.relnamespace = 'reports'::regnamespace OR c.oid = 'jobmon.running_report'::regclass)
ORDER BY 1 \gexec
