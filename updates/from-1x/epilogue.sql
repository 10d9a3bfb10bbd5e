-- pg_jobmon 1.x -> 2.3.0, last part (see updates/from-1x/prologue.sql): the
-- 2.3.0 objects exist; 1.x's tables wait in _pg_jobmon_1x.

DO $epilogue$
DECLARE
    v_schema  name := (SELECT n.nspname FROM pg_catalog.pg_namespace n
                       WHERE n.oid = '@extschema@'::pg_catalog.regnamespace);
    v_path    text := pg_catalog.current_setting('search_path');
    v_table   record;
    v_columns text;
    v_seq     record;
    v_stmt    record;
BEGIN
    PERFORM pg_catalog.set_config('search_path', 'pg_catalog', true);

    -- The rows, with their ids, parents first (job_detail refers to
    -- job_log).  Columns by name: every 1.x release has a subset of 2.3.0's.
    -- Nothing fires: job_log's trigger fires on UPDATE, and job_check_log's
    -- escalates only failures that job_log's trigger records, so the copied
    -- failures are taken as they are, as in a restore.  The three alert
    -- codes 2.3.0 seeds take 1.x's texts, which job_log's rows carry.
    FOR v_table IN
        SELECT k.relname, k.conflict
        FROM (VALUES (1, 'job_log', ''), (2, 'job_detail', ''),
                     (3, 'job_check_config', ''), (4, 'job_check_log', ''),
                     (5, 'job_status_text',
                      'ON CONFLICT (alert_code) DO UPDATE SET alert_text = EXCLUDED.alert_text')
             ) k(o, relname, conflict)
        ORDER BY k.o
    LOOP
        SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) INTO v_columns
        FROM pg_attribute a
        WHERE a.attrelid = format('_pg_jobmon_1x.%I', v_table.relname)::regclass
          AND a.attnum > 0 AND NOT a.attisdropped
          AND EXISTS (SELECT FROM pg_attribute n
                      WHERE n.attrelid = format('%I.%I', v_schema, v_table.relname)::regclass
                        AND n.attname = a.attname AND NOT n.attisdropped);
        EXECUTE format('INSERT INTO %I.%I AS t (%s) SELECT %s FROM _pg_jobmon_1x.%I ORDER BY 1 %s',
                       v_schema, v_table.relname, v_columns, v_columns, v_table.relname,
                       v_table.conflict);
    END LOOP;

    -- The sequences go on from where 1.x's were.
    FOR v_seq IN SELECT s.name FROM (VALUES ('job_log_job_id_seq'), ('job_detail_step_id_seq')) s(name)
    LOOP
        EXECUTE format('SELECT pg_catalog.setval(%L, s.last_value, s.is_called) FROM _pg_jobmon_1x.%I s',
                       format('%I.%I', v_schema, v_seq.name), v_seq.name);
    END LOOP;

    -- Grants, users' indexes and triggers, and users' views, as the
    -- prologue captured them.  The grants are the users', not the
    -- extension's: pg_init_privs is put back as it was before them, so
    -- that pg_dump dumps them as it dumps grants made after CREATE EXTENSION.
    INSERT INTO _pg_jobmon_1x.init_privs SELECT * FROM pg_init_privs;
    FOR v_stmt IN SELECT r.statement, r.run_as FROM _pg_jobmon_1x.replay r ORDER BY r.phase, r.seq
    LOOP
        IF v_stmt.run_as IS NULL THEN
            EXECUTE v_stmt.statement;
        ELSE
            PERFORM _pg_jobmon_1x.execute_as(v_stmt.run_as, v_stmt.statement);
        END IF;
    END LOOP;
    DELETE FROM pg_init_privs p
    WHERE NOT EXISTS (SELECT FROM _pg_jobmon_1x.init_privs s
                      WHERE (s.objoid, s.classoid, s.objsubid) = (p.objoid, p.classoid, p.objsubid));
    UPDATE pg_init_privs p SET initprivs = s.initprivs
    FROM _pg_jobmon_1x.init_privs s
    WHERE (s.objoid, s.classoid, s.objsubid) = (p.objoid, p.classoid, p.objsubid)
      AND p.initprivs IS DISTINCT FROM s.initprivs;

    PERFORM pg_catalog.set_config('search_path', v_path, true);
END
$epilogue$;

-- 1.x's tables and this update's bookkeeping.  No CASCADE: an object of a
-- user's that still depends on 1.x's tables stops the update with
-- PostgreSQL's own list of them, rather than being dropped unseen.
DROP TABLE _pg_jobmon_1x.job_detail, _pg_jobmon_1x.job_log, _pg_jobmon_1x.job_check_log,
    _pg_jobmon_1x.job_check_config, _pg_jobmon_1x.job_status_text,
    _pg_jobmon_1x.replay, _pg_jobmon_1x.kept, _pg_jobmon_1x.views, _pg_jobmon_1x.init_privs;
DO $functions$
DECLARE
    v_function regprocedure;
BEGIN
    FOR v_function IN SELECT p.oid FROM pg_catalog.pg_proc p
                      WHERE p.pronamespace = '_pg_jobmon_1x'::pg_catalog.regnamespace
    LOOP
        EXECUTE pg_catalog.format('DROP FUNCTION %s', v_function);
    END LOOP;
END
$functions$;
DROP SCHEMA _pg_jobmon_1x;
