-- pg_jobmon 1.x -> 2.3.0: ALTER EXTENSION pg_jobmon UPDATE on a database
-- that has pg_jobmon 1.3.0 to 1.5.0.
--
-- The Makefile assembles this script from three parts, and installs it under
-- the name of every 1.x release it reads (their catalogs differ only in
-- dblink_mapping_jobmon's columns, which are read by name, and in function
-- bodies, which are dropped):
--   updates/from-1x/prologue.sql   (this part) sets 1.x's objects aside
--   updates/pg_jobmon--2.3.0.sql   the frozen 2.3.0 install script: every
--                                  2.3.0 object, from its one home
--   updates/from-1x/epilogue.sql   moves the rows, sequence positions,
--                                  grants and user views into 2.3.0's tables
-- PostgreSQL then runs the 2.3.0 -> ... update scripts after it.
--
-- What is kept: every row of job_log, job_detail, job_check_log,
-- job_check_config and job_status_text with its ids (custom alert texts,
-- codes 1 to 3 included), the sequence positions, the grants on those tables
-- and sequences (column grants too), constraints, indexes and triggers users
-- added to them, and the views and materialized views users built on pg_jobmon's
-- objects (views on those views too) with their owners, options, grants,
-- comments, indexes, rules and triggers.  What goes: dblink_mapping_jobmon
-- (its stored password with it) and 1.x's functions; a NOTICE says what
-- replaced the credentials.  Monitoring configurations that 2.x's checks
-- refuse are repaired, each with a NOTICE.
--
-- The users' views are re-created by their owners (execute_as below): a
-- view's query is parsed anew, and parsing can run code of the view's owner
-- (a domain's CHECK on a literal of its type), which must not run with the
-- rights of the superuser who runs the update.
--
-- 1.x's tables are moved into the schema _pg_jobmon_1x, which also holds this
-- update's bookkeeping (the statements to replay once 2.3.0's objects exist);
-- the epilogue drops it.  Names that statements replay are captured with
-- search_path = pg_catalog, so every name in them is schema-qualified: 2.3.0
-- adds objects (job, status() ...) that could otherwise capture an
-- unqualified name in a user's view.

\echo Use "ALTER EXTENSION pg_jobmon UPDATE" to load this file. \quit

CREATE SCHEMA _pg_jobmon_1x;

-- The statements the epilogue runs after the rows are in: phase 1 for the
-- kept tables (grants, users' indexes and triggers), phase 2 for the users'
-- views, whose owners may need those grants; in order within each.  A
-- statement that parses a user's expressions (a view's query, a default, an
-- index, a rule, a trigger's WHEN) runs with the rights of the role that
-- owns what it makes (run_as), never the superuser's: parsing a literal of a
-- user's type runs that type's input function or a domain's CHECK, which
-- would otherwise be that user's code run as the superuser.
CREATE TABLE _pg_jobmon_1x.replay (
    seq        serial PRIMARY KEY,
    phase      integer NOT NULL,
    statement  text NOT NULL,
    run_as     oid             -- NULL: the role running the update
);

-- 1.x's tables that 2.3.0 has too (same columns), with their sequences and
-- the indexes and triggers 1.x gave them; anything else on them is a user's.
CREATE TABLE _pg_jobmon_1x.kept (
    relname      name PRIMARY KEY,
    sequences    name[] NOT NULL,
    constraints  name[] NOT NULL,
    indexes      name[] NOT NULL,
    triggers     name[] NOT NULL
);
INSERT INTO _pg_jobmon_1x.kept VALUES
    ('job_log', '{job_log_job_id_seq}', '{job_log_job_id_pkey}',
     '{job_log_job_name_idx,job_log_start_time_idx,job_log_status_idx,job_log_pid_idx}',
     '{trg_job_monitor}'),
    ('job_detail', '{job_detail_step_id_seq}', '{job_detail_step_id_pkey,job_detail_job_id_fkey}',
     '{job_detail_job_id_idx}', '{}'),
    ('job_check_log', '{}', '{}', '{}', '{job_check_log_escalate_trig}'),
    ('job_check_config', '{}', '{job_check_config_job_name_pkey}', '{}', '{}'),
    ('job_status_text', '{}', '{job_status_text_alert_code_pkey}', '{}', '{}');

-- pg_init_privs as 2.3.0's objects leave it: GRANTs run by an extension's
-- script are recorded there as the extension's own privileges, which
-- pg_dump leaves out; the users' grants that the epilogue gives back must
-- not be (see the epilogue).
CREATE TABLE _pg_jobmon_1x.init_privs (LIKE pg_catalog.pg_init_privs);

-- The views and materialized views of users that depend on the extension's
-- objects, each with its depth (1: on the extension's objects; n + 1: on a
-- view of depth n).
CREATE TABLE _pg_jobmon_1x.views (
    oid    oid PRIMARY KEY,
    depth  integer NOT NULL,
    kind   text NOT NULL
);

-- grant_statements(relation, kind keyword): GRANTs that give back the
-- privileges others hold on a relation (its owner's own come with it), table
-- and column privileges alike.
CREATE FUNCTION _pg_jobmon_1x.grant_statements(p_rel oid, p_kind text)
RETURNS SETOF text
LANGUAGE sql STABLE
SET search_path = pg_catalog
AS $$
    SELECT format('GRANT %s%s ON %s %s TO %s%s', a.privilege_type,
                  CASE WHEN a.attname IS NOT NULL THEN format(' (%I)', a.attname) END,
                  p_kind, p_rel::regclass,
                  CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(a.grantee)) END,
                  CASE WHEN a.is_grantable THEN ' WITH GRANT OPTION' END)
    FROM (SELECT NULL::name AS attname, x.*
          FROM pg_class c, aclexplode(c.relacl) x
          WHERE c.oid = p_rel AND x.grantee <> c.relowner
          UNION ALL
          SELECT t.attname, x.*
          FROM pg_attribute t, aclexplode(t.attacl) x
          WHERE t.attrelid = p_rel AND t.attnum > 0 AND NOT t.attisdropped) a
    ORDER BY a.attname NULLS FIRST, a.grantee, a.privilege_type
$$;

-- execute_as(role, statement): run the statement with the rights of that
-- role, through a SECURITY DEFINER function it owns (one per role, made on
-- first use, dropped by the epilogue).  Not SET ROLE, which code of the
-- role's could undo with RESET ROLE: within a SECURITY DEFINER function
-- PostgreSQL refuses to change the role.
CREATE FUNCTION _pg_jobmon_1x.execute_as(p_role oid, p_statement text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $$
DECLARE
    v_function text := format('_pg_jobmon_1x.%I', 'execute_as_' || p_role);
BEGIN
    IF to_regprocedure(v_function || '(text)') IS NULL THEN
        EXECUTE format('CREATE FUNCTION %s(text) RETURNS void LANGUAGE plpgsql SECURITY DEFINER
                        SET search_path = pg_catalog AS %L', v_function, 'BEGIN EXECUTE $1; END');
        EXECUTE format('ALTER FUNCTION %s(text) OWNER TO %I', v_function, pg_get_userbyid(p_role));
    END IF;
    EXECUTE format('SELECT %s($1)', v_function) USING p_statement;
END
$$;

DO $prologue$
DECLARE
    v_ext       oid := (SELECT e.oid FROM pg_catalog.pg_extension e WHERE e.extname = 'pg_jobmon');
    v_schema    name := (SELECT n.nspname FROM pg_catalog.pg_namespace n
                         WHERE n.oid = '@extschema@'::pg_catalog.regnamespace);
    v_path      text := pg_catalog.current_setting('search_path');
    v_messages  text := pg_catalog.current_setting('client_min_messages');
    v_rel       record;
    v_row       record;
    v_detail    text;
BEGIN
    PERFORM pg_catalog.set_config('search_path', 'pg_catalog', true);
    -- PostgreSQL runs extension scripts with client_min_messages = warning:
    -- the NOTICEs below are for the user, at the session's own level.
    PERFORM pg_catalog.set_config('client_min_messages', s.reset_val, true)
    FROM pg_catalog.pg_settings s WHERE s.name = 'client_min_messages';

    -- 1.x recommended partitioning the log by inheritance; rows of child
    -- tables cannot be told apart once copied.  Refuse rather than guess.
    FOR v_rel IN
        SELECT format('%I.%I', v_schema, k.relname)::regclass AS rel
        FROM _pg_jobmon_1x.kept k
        WHERE EXISTS (SELECT FROM pg_inherits i
                      WHERE i.inhparent = format('%I.%I', v_schema, k.relname)::regclass)
    LOOP
        RAISE EXCEPTION 'cannot update pg_jobmon: table % has child tables', v_rel.rel
            USING ERRCODE = 'feature_not_supported',
                  DETAIL = 'pg_jobmon 2.x copies 1.x''s log into tables of its own and cannot copy child tables.',
                  HINT = 'Move the rows of the child tables into the parent table and drop the child tables, then update again.';
    END LOOP;

    -- Views and materialized views of users on any object of the extension,
    -- then the views on those, deepest last.
    INSERT INTO _pg_jobmon_1x.views (oid, depth, kind)
    WITH RECURSIVE replaced(classid, objid) AS (
        SELECT d.classid, d.objid FROM pg_depend d
        WHERE d.refclassid = 'pg_extension'::regclass AND d.refobjid = v_ext AND d.deptype = 'e'
        UNION ALL
        SELECT 'pg_type'::regclass::oid, t.oid
        FROM pg_depend d JOIN pg_type t ON t.typrelid = d.objid
        WHERE d.refclassid = 'pg_extension'::regclass AND d.refobjid = v_ext AND d.deptype = 'e'
          AND d.classid = 'pg_class'::regclass
    ), dependent(oid, depth) AS (
        SELECT r.ev_class, 1
        FROM replaced x
        JOIN pg_depend d ON d.refclassid = x.classid AND d.refobjid = x.objid
                        AND d.classid = 'pg_rewrite'::regclass
        JOIN pg_rewrite r ON r.oid = d.objid
        JOIN pg_class c ON c.oid = r.ev_class AND c.relkind IN ('v', 'm')
        WHERE NOT EXISTS (SELECT FROM replaced m WHERE m.classid = 'pg_class'::regclass AND m.objid = r.ev_class)
        UNION ALL
        SELECT r.ev_class, v.depth + 1
        FROM dependent v
        JOIN pg_depend d ON d.refclassid = 'pg_class'::regclass AND d.refobjid = v.oid
                        AND d.classid = 'pg_rewrite'::regclass
        JOIN pg_rewrite r ON r.oid = d.objid AND r.ev_class <> v.oid
        JOIN pg_class c ON c.oid = r.ev_class AND c.relkind IN ('v', 'm')
    )
    SELECT v.oid, max(v.depth) AS depth,
           CASE c.relkind WHEN 'm' THEN 'MATERIALIZED VIEW' ELSE 'VIEW' END AS kind
    FROM dependent v JOIN pg_class c ON c.oid = v.oid
    GROUP BY v.oid, c.relkind;

    -- Their definitions, owners, grants, comments, column defaults,
    -- indexes, rules and triggers, shallowest first.
    FOR v_rel IN SELECT v.oid, v.kind, c.relowner, c.reloptions, c.relkind, c.relispopulated
                 FROM _pg_jobmon_1x.views v JOIN pg_class c ON c.oid = v.oid
                 ORDER BY v.depth, v.oid::regclass::text
    LOOP
        INSERT INTO _pg_jobmon_1x.replay (phase, statement, run_as)
        SELECT 2, s, CASE WHEN parsed THEN v_rel.relowner END FROM (
            SELECT 1 AS o, true AS parsed,
                   format('CREATE %s %s%s AS %s%s', v_rel.kind, v_rel.oid::regclass,
                          (SELECT ' WITH (' || string_agg(format('%I = %L', t.option_name, t.option_value), ', ') || ')'
                           FROM pg_options_to_table(v_rel.reloptions) t),
                          rtrim(pg_get_viewdef(v_rel.oid), ';'),
                          CASE WHEN v_rel.relkind = 'm' THEN ' WITH NO DATA' END) AS s
            UNION ALL
            -- Created by this script, it would be the extension's: it is
            -- the user's, as before.
            SELECT 2, false, format('ALTER EXTENSION pg_jobmon DROP %s %s', v_rel.kind, v_rel.oid::regclass)
            UNION ALL
            SELECT 3, true, format('ALTER VIEW %s ALTER COLUMN %I SET DEFAULT %s', v_rel.oid::regclass,
                                   a.attname, pg_get_expr(ad.adbin, ad.adrelid))
            FROM pg_attrdef ad JOIN pg_attribute a ON a.attrelid = ad.adrelid AND a.attnum = ad.adnum
            WHERE ad.adrelid = v_rel.oid
            UNION ALL
            SELECT 4, true, pg_get_indexdef(i.indexrelid) FROM pg_index i WHERE i.indrelid = v_rel.oid
            UNION ALL
            SELECT 5, true, pg_get_ruledef(r.oid) FROM pg_rewrite r
            WHERE r.ev_class = v_rel.oid AND r.rulename <> '_RETURN'
            UNION ALL
            SELECT 6, true, pg_get_triggerdef(t.oid) FROM pg_trigger t
            WHERE t.tgrelid = v_rel.oid AND NOT t.tgisinternal
            UNION ALL
            SELECT 7, false, g FROM _pg_jobmon_1x.grant_statements(v_rel.oid, 'TABLE') g
            UNION ALL
            SELECT 8, false, format('COMMENT ON %s %s IS %L', v_rel.kind, v_rel.oid::regclass, d.description)
            FROM pg_description d
            WHERE d.classoid = 'pg_class'::regclass AND d.objoid = v_rel.oid AND d.objsubid = 0
            UNION ALL
            SELECT 9, false, format('COMMENT ON COLUMN %s.%I IS %L', v_rel.oid::regclass, a.attname, d.description)
            FROM pg_description d
            JOIN pg_attribute a ON a.attrelid = d.objoid AND a.attnum = d.objsubid
            WHERE d.classoid = 'pg_class'::regclass AND d.objoid = v_rel.oid AND d.objsubid > 0
            UNION ALL
            -- Filled by REFRESH, which runs the query as the view's owner.
            SELECT 10, false, format('REFRESH MATERIALIZED VIEW %s', v_rel.oid::regclass)
            WHERE v_rel.relkind = 'm' AND v_rel.relispopulated
        ) x ORDER BY o, s;
    END LOOP;

    -- Drop them, deepest first: they are re-created on 2.3.0's objects.
    SELECT string_agg(v.oid::regclass::text, ', ' ORDER BY v.oid::regclass::text) INTO v_detail
    FROM _pg_jobmon_1x.views v;
    IF v_detail IS NOT NULL THEN
        RAISE NOTICE 'views on pg_jobmon''s objects are re-created on pg_jobmon 2.x''s: %', v_detail
            USING DETAIL = 'They keep their definitions, owners, options, grants and comments; materialized views are filled anew.';
    END IF;
    FOR v_rel IN SELECT v.oid, v.kind FROM _pg_jobmon_1x.views v ORDER BY v.depth DESC, v.oid
    LOOP
        EXECUTE format('DROP %s %s', v_rel.kind, v_rel.oid::regclass);
    END LOOP;

    -- The kept tables' and sequences' grants, and what users added to the
    -- tables: constraints, indexes and triggers (re-created after the rows
    -- are copied, so that the triggers do not fire on the copy).
    FOR v_rel IN SELECT format('%I.%I', v_schema, k.relname)::regclass AS rel, k.*
                 FROM _pg_jobmon_1x.kept k ORDER BY k.relname
    LOOP
        INSERT INTO _pg_jobmon_1x.replay (phase, statement)
        SELECT 1, g FROM _pg_jobmon_1x.grant_statements(v_rel.rel, 'TABLE') g;
        INSERT INTO _pg_jobmon_1x.replay (phase, statement)
        SELECT 1, g FROM unnest(v_rel.sequences) s,
             _pg_jobmon_1x.grant_statements(format('%I.%I', v_schema, s)::regclass, 'SEQUENCE') g;
        INSERT INTO _pg_jobmon_1x.replay (phase, statement)
        SELECT 1, format('ALTER TABLE %s ADD CONSTRAINT %I %s', v_rel.rel, n.conname,
                         pg_get_constraintdef(n.oid))
        FROM pg_constraint n
        WHERE n.conrelid = v_rel.rel AND n.conname <> ALL (v_rel.constraints)
        ORDER BY n.contype DESC, n.conname;
        INSERT INTO _pg_jobmon_1x.replay (phase, statement)
        SELECT 1, pg_get_indexdef(i.indexrelid)
        FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
        WHERE i.indrelid = v_rel.rel AND c.relname <> ALL (v_rel.indexes)
          AND NOT EXISTS (SELECT FROM pg_constraint n WHERE n.conindid = i.indexrelid
                                                        AND n.conrelid = v_rel.rel)
        ORDER BY c.relname;
        -- A trigger's WHEN is parsed as the owner of its function, whose
        -- code the trigger runs anyway.
        INSERT INTO _pg_jobmon_1x.replay (phase, statement, run_as)
        SELECT 1, pg_get_triggerdef(t.oid), CASE WHEN t.tgqual IS NOT NULL THEN p.proowner END
        FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid
        WHERE t.tgrelid = v_rel.rel AND NOT t.tgisinternal AND t.tgname <> ALL (v_rel.triggers)
        ORDER BY t.tgname;
    END LOOP;

    -- Monitoring configurations that 2.x's checks refuse.  1.x escalated a
    -- failure when the failures logged before it, plus one, reached
    -- escalate, so 0 or less acted as 1; and it alerted when a job's
    -- failures exceeded sensitivity, so a negative one acted as 0.  The
    -- repaired rows keep 1.x's behaviour.
    FOR v_row IN
        SELECT c.job_name, c.escalate, c.sensitivity
        FROM @extschema@.job_check_config c
        WHERE c.escalate <= 0 OR c.sensitivity < 0
        ORDER BY c.job_name
    LOOP
        IF v_row.escalate <= 0 THEN
            RAISE NOTICE 'job_check_config: escalate of job "%" changed from % to 1', v_row.job_name, v_row.escalate
                USING DETAIL = 'pg_jobmon 2.x requires escalate to be NULL or greater than 0; pg_jobmon 1.x escalated with 0 or less as it did with 1.';
        END IF;
        IF v_row.sensitivity < 0 THEN
            RAISE NOTICE 'job_check_config: sensitivity of job "%" changed from % to 0', v_row.job_name, v_row.sensitivity
                USING DETAIL = 'pg_jobmon 2.x requires sensitivity to be 0 or more; pg_jobmon 1.x treated a negative sensitivity as 0.';
        END IF;
    END LOOP;
    UPDATE @extschema@.job_check_config c
    SET escalate = CASE WHEN c.escalate <= 0 THEN 1 ELSE c.escalate END,
        sensitivity = greatest(c.sensitivity, 0)
    WHERE c.escalate <= 0 OR c.sensitivity < 0;

    -- The credentials table (dblink_mapping_jobmon; dblink_mapping before
    -- 1.3.0).  Its columns differ between releases: read the row as jsonb.
    FOR v_rel IN
        SELECT c.oid::regclass AS rel FROM pg_depend d JOIN pg_class c ON c.oid = d.objid
        WHERE d.refclassid = 'pg_extension'::regclass AND d.refobjid = v_ext AND d.deptype = 'e'
          AND d.classid = 'pg_class'::regclass AND c.relname IN ('dblink_mapping_jobmon', 'dblink_mapping')
    LOOP
        EXECUTE format('SELECT string_agg(format(''%%s %%s'', e.key, CASE WHEN e.key = ''pwd'' THEN ''(not shown)'' ELSE quote_literal(e.value) END), '', '' ORDER BY e.key)
                        FROM %s m, jsonb_each_text(to_jsonb(m)) e WHERE e.value IS NOT NULL', v_rel.rel)
        INTO v_detail;
        RAISE NOTICE 'table % is dropped: pg_jobmon 2.x stores no credentials', v_rel.rel
            USING DETAIL = CASE WHEN v_detail IS NULL THEN 'The table was empty. '
                                ELSE format('It held %s. ', v_detail) END
                           || 'pg_jobmon 2.x writes the log over a connection of its own that logs in as the extension''s owner, over the server''s own socket, to the current database, without a password.',
                  HINT = 'If that role is not admitted locally without a password, add a pg_hba.conf line for it or a line in the server account''s .pgpass; to log in elsewhere or as another role, a superuser sets log_host, log_port and log_user with jobmon_config_set().';
        EXECUTE format('DROP TABLE %s', v_rel.rel);
    END LOOP;

    -- 1.x's triggers on the kept tables, then every function of 1.x (2.3.0
    -- creates its own, several under the same names and arguments).
    FOR v_row IN
        SELECT t.tgname, t.tgrelid::regclass AS rel
        FROM pg_trigger t JOIN _pg_jobmon_1x.kept k
          ON t.tgrelid = format('%I.%I', v_schema, k.relname)::regclass
        WHERE t.tgname = ANY (k.triggers)
    LOOP
        EXECUTE format('DROP TRIGGER %I ON %s', v_row.tgname, v_row.rel);
    END LOOP;
    FOR v_row IN
        SELECT d.objid::regprocedure AS proc FROM pg_depend d
        WHERE d.refclassid = 'pg_extension'::regclass AND d.refobjid = v_ext AND d.deptype = 'e'
          AND d.classid = 'pg_proc'::regclass
          AND (SELECT p.pronamespace FROM pg_proc p WHERE p.oid = d.objid) = '@extschema@'::regnamespace
        ORDER BY d.objid::regprocedure::text
    LOOP
        EXECUTE format('DROP FUNCTION %s', v_row.proc);
    END LOOP;

    -- The kept tables move aside (their sequences, indexes and constraints
    -- with them), out of the way of 2.3.0's tables of the same names.
    FOR v_rel IN SELECT k.relname FROM _pg_jobmon_1x.kept k ORDER BY k.relname
    LOOP
        EXECUTE format('ALTER TABLE %I.%I SET SCHEMA _pg_jobmon_1x', v_schema, v_rel.relname);
    END LOOP;

    PERFORM pg_catalog.set_config('search_path', v_path, true);
    PERFORM pg_catalog.set_config('client_min_messages', v_messages, true);
END
$prologue$;

-- 1.x marked job_check_log, job_check_config, job_status_text and the
-- credentials table for pg_dump, never the log itself; 2.3.0 marks its own
-- tables, the log and its sequences included.  Start from none, so that the
-- list is 2.3.0's, in its order.
UPDATE pg_catalog.pg_extension SET extconfig = NULL, extcondition = NULL
WHERE extname = 'pg_jobmon';

-- The 2.3.0 install script follows.
