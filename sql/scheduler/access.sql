-- Who may schedule, and who may change which job.
--
-- Users cannot write the scheduler's tables: every change goes through an
-- API function.  Each is declared as a C function (src/api.c) that records
-- its caller, the effective role of the calling context, and runs the
-- function's body, _api_<name>, as the extension's owner; _caller()
-- (sql/c_functions.sql) tells a body who called.  The bodies check the
-- caller first, before they write anything.
--
-- These checks run on every run of every job, so they are PL/pgSQL, which
-- keeps its plans for the session: a SQL function with SET search_path is
-- never inlined and is planned again on each call.

CREATE FUNCTION @extschema@._is_superuser(p_role name) RETURNS boolean
LANGUAGE plpgsql STABLE
SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    RETURN coalesce((SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname = p_role), false);
END
$$;

-- A superuser, or a member of the database's owner.
CREATE FUNCTION @extschema@._is_admin(p_role name) RETURNS boolean
LANGUAGE sql STABLE
SET search_path = @extschema@, pg_temp
AS $$
    SELECT @extschema@._is_superuser(p_role)
        OR pg_catalog.pg_has_role(p_role, d.datdba, 'MEMBER')
    FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database()
$$;

CREATE FUNCTION @extschema@._check_admin(p_action text) RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    IF NOT @extschema@._is_admin(@extschema@._caller()) THEN
        RAISE EXCEPTION 'permission denied to %', p_action
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = format('Role "%s" is neither a superuser nor the owner of database "%s".',
                                  @extschema@._caller(), pg_catalog.current_database()),
                  HINT = 'Ask a superuser or the database owner.';
    END IF;
END
$$;

CREATE FUNCTION @extschema@._check_may_schedule() RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_caller name := @extschema@._caller();
BEGIN
    IF @extschema@._is_admin(v_caller) OR EXISTS (
        SELECT FROM @extschema@.jobmon_scheduler_role s
        WHERE pg_catalog.pg_has_role(v_caller, s.role_name, 'MEMBER'))
    THEN
        RETURN;
    END IF;
    RAISE EXCEPTION 'permission denied to schedule jobs'
        USING ERRCODE = 'insufficient_privilege',
              DETAIL = format('Role "%s" has not been allowed to schedule jobs in database "%s".',
                              v_caller, pg_catalog.current_database()),
              HINT = format('A superuser or the database owner can run SELECT %s.grant_scheduler(%L).',
                            '@extschema@', v_caller);
END
$$;

-- run_as must be a role that can log in (PostgreSQL 15 starts no worker
-- as a NOLOGIN role) and that the owner may become.
CREATE FUNCTION @extschema@._check_run_as(p_owner name, p_run_as name) RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_role pg_catalog.pg_roles;
BEGIN
    SELECT * INTO v_role FROM pg_catalog.pg_roles r WHERE r.rolname = p_run_as;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'role "%" does not exist', p_run_as
            USING ERRCODE = 'undefined_object',
                  DETAIL = 'The option run_as names the role the job runs as.',
                  HINT = 'Give an existing role, or leave run_as out to run as yourself.';
    END IF;
    IF NOT (@extschema@._is_superuser(p_owner) OR pg_catalog.pg_has_role(p_owner, p_run_as, 'MEMBER')) THEN
        RAISE EXCEPTION 'permission denied to run jobs as role "%"', p_run_as
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = format('Role "%s" is not a member of role "%s".', p_owner, p_run_as),
                  HINT = format('Run the job as yourself, or have "%s" granted to "%s".', p_run_as, p_owner);
    END IF;
    IF NOT v_role.rolcanlogin THEN
        RAISE EXCEPTION 'role "%" cannot log in, so no job can run as it', p_run_as
            USING ERRCODE = 'invalid_authorization_specification',
                  DETAIL = 'Jobs run in background workers that connect as their role, and PostgreSQL 15 requires such a role to have LOGIN.',
                  HINT = format('ALTER ROLE %I LOGIN, or run the job as another role.', p_run_as);
    END IF;
END
$$;

-- Whether p_role may see and change a job of p_owner that runs as
-- p_run_as: it is one of the two, or a superuser.
CREATE FUNCTION @extschema@._is_job_role(p_role name, p_owner name, p_run_as name) RETURNS boolean
LANGUAGE plpgsql STABLE
SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    RETURN p_role IN (p_owner, p_run_as) OR @extschema@._is_superuser(p_role);
END
$$;

-- The job p_job_id, locked for a change by the caller, who must own it,
-- be the role it runs as, or be a superuser.  Others get the same error as
-- for a job that does not exist, so job ids do not leak.
CREATE FUNCTION @extschema@._job_for_change(p_job_id bigint) RETURNS @extschema@.jobmon_job
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_caller name := @extschema@._caller();
    v_job    @extschema@.jobmon_job;
BEGIN
    IF p_job_id IS NULL THEN
        RAISE EXCEPTION 'job_id must not be NULL'
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Pass the id that create_job() returned.';
    END IF;
    SELECT * INTO v_job FROM @extschema@.jobmon_job j WHERE j.job_id = p_job_id FOR UPDATE;
    IF NOT FOUND OR NOT @extschema@._is_job_role(v_caller, v_job.owner, v_job.run_as) THEN
        RAISE EXCEPTION 'scheduled job % does not exist', p_job_id
            USING ERRCODE = 'undefined_object',
                  DETAIL = format('Role "%s" owns no job with job_id %s and runs no such job.', v_caller, p_job_id),
                  HINT = 'SELECT job_id, name FROM jobmon_my_jobs lists the jobs you can change.';
    END IF;
    RETURN v_job;
END
$$;

CREATE FUNCTION @extschema@.grant_scheduler(p_role name)
RETURNS void
LANGUAGE C AS 'MODULE_PATHNAME', 'jobmon_api';

CREATE FUNCTION @extschema@._api_grant_scheduler(p_role name)
RETURNS void
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    PERFORM @extschema@._check_admin('allow roles to schedule jobs');
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles r WHERE r.rolname = p_role) THEN
        RAISE EXCEPTION 'role "%" does not exist', p_role
            USING ERRCODE = 'undefined_object',
                  HINT = 'Create the role first, or check the spelling.';
    END IF;
    INSERT INTO @extschema@.jobmon_scheduler_role (role_name, granted_by)
    VALUES (p_role, @extschema@._caller())
    ON CONFLICT ON CONSTRAINT jobmon_scheduler_role_pkey DO NOTHING;
    -- Using the API needs the schema; reading one's jobs needs nothing else.
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO %I', '@extschema@', p_role);
END
$$;

CREATE FUNCTION @extschema@.revoke_scheduler(p_role name)
RETURNS void
LANGUAGE C AS 'MODULE_PATHNAME', 'jobmon_api';

CREATE FUNCTION @extschema@._api_revoke_scheduler(p_role name)
RETURNS void
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    PERFORM @extschema@._check_admin('disallow roles to schedule jobs');
    DELETE FROM @extschema@.jobmon_scheduler_role s WHERE s.role_name = p_role;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'role "%" was not allowed to schedule jobs', p_role
            USING ERRCODE = 'undefined_object',
                  DETAIL = 'jobmon_scheduler_role has no row for that role.',
                  HINT = 'SELECT * FROM jobmon_scheduler_role lists the roles allowed to schedule.';
    END IF;
END
$$;

COMMENT ON FUNCTION @extschema@.grant_scheduler(name) IS 'allow a role to create scheduled jobs (superuser or database owner)';

COMMENT ON FUNCTION @extschema@.revoke_scheduler(name) IS 'stop a role from creating scheduled jobs; its existing jobs stay';

-- Why a job cannot run as its role now, or NULL when it can.
CREATE FUNCTION @extschema@._job_role_problem(p_job @extschema@.jobmon_job) RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    RETURN (SELECT CASE
        WHEN r.oid IS NULL THEN format('role "%s" that the job runs as no longer exists', p_job.run_as)
        WHEN NOT r.rolcanlogin THEN format('role "%s" that the job runs as cannot log in', p_job.run_as)
        WHEN o.oid IS NULL THEN format('role "%s" that owns the job no longer exists', p_job.owner)
        WHEN NOT (o.rolsuper OR pg_catalog.pg_has_role(o.oid, r.oid, 'MEMBER'))
            THEN format('role "%s" that owns the job is no longer a member of role "%s"', p_job.owner, p_job.run_as)
        END
    FROM (SELECT) AS dummy
    LEFT JOIN pg_catalog.pg_roles r ON r.rolname = p_job.run_as
    LEFT JOIN pg_catalog.pg_roles o ON o.rolname = p_job.owner);
END
$$;
