-- The show_* readers of the job log.  Names (and statuses) are matched
-- case-insensitively; the newest job comes first.  The unnamed int argument
-- is the number of jobs to return, as in pg_jobmon 1.5.

CREATE FUNCTION @extschema@.show_job(p_name text, integer DEFAULT 10)
RETURNS SETOF @extschema@.job_log
LANGUAGE sql STABLE
SET search_path = @extschema@, pg_temp
AS $$
    SELECT * FROM @extschema@.job_log j
    WHERE j.job_name = upper(p_name)
    ORDER BY j.job_id DESC
    LIMIT $2
$$;

CREATE FUNCTION @extschema@.show_job_like(p_name text, integer DEFAULT 10)
RETURNS SETOF @extschema@.job_log
LANGUAGE sql STABLE
SET search_path = @extschema@, pg_temp
AS $$
    SELECT * FROM @extschema@.job_log j
    WHERE j.job_name ~* p_name
    ORDER BY j.job_id DESC
    LIMIT $2
$$;

CREATE FUNCTION @extschema@.show_job_status(p_status text, integer DEFAULT 10)
RETURNS SETOF @extschema@.job_log
LANGUAGE sql STABLE
SET search_path = @extschema@, pg_temp
AS $$
    SELECT * FROM @extschema@.job_log j
    WHERE upper(j.status) = upper(p_status)
    ORDER BY j.job_id DESC
    LIMIT $2
$$;

CREATE FUNCTION @extschema@.show_job_status(p_name text, p_status text, integer DEFAULT 10)
RETURNS SETOF @extschema@.job_log
LANGUAGE sql STABLE
SET search_path = @extschema@, pg_temp
AS $$
    SELECT * FROM @extschema@.job_log j
    WHERE j.job_name = upper(p_name) AND upper(j.status) = upper(p_status)
    ORDER BY j.job_id DESC
    LIMIT $3
$$;

CREATE FUNCTION @extschema@.show_detail(p_id bigint)
RETURNS SETOF @extschema@.job_detail
LANGUAGE sql STABLE
SET search_path = @extschema@, pg_temp
AS $$
    SELECT * FROM @extschema@.job_detail d
    WHERE d.job_id = p_id
    ORDER BY d.step_id
$$;

-- The steps of the newest $2 jobs of that name, newest job first.
CREATE FUNCTION @extschema@.show_detail(p_name text, integer DEFAULT 1)
RETURNS SETOF @extschema@.job_detail
LANGUAGE sql STABLE
SET search_path = @extschema@, pg_temp
AS $$
    SELECT d.* FROM (
        SELECT j.job_id FROM @extschema@.job_log j
        WHERE j.job_name = upper(p_name)
        ORDER BY j.job_id DESC
        LIMIT $2
    ) j
    JOIN @extschema@.job_detail d ON d.job_id = j.job_id
    ORDER BY d.job_id DESC, d.step_id
$$;

-- Jobs not yet ended whose backend is still alive.
CREATE FUNCTION @extschema@.show_running(integer DEFAULT 10)
RETURNS SETOF @extschema@.job_log
LANGUAGE sql STABLE
SET search_path = @extschema@, pg_temp
AS $$
    SELECT j.* FROM @extschema@.job_log j
    JOIN pg_catalog.pg_stat_activity a ON a.pid = j.pid
    WHERE j.end_time IS NULL
    ORDER BY j.job_id DESC
    LIMIT $1
$$;

-- The structured events of a job, in order.
CREATE FUNCTION @extschema@.show_events(p_id bigint)
RETURNS SETOF @extschema@.jobmon_event
LANGUAGE sql STABLE
SET search_path = @extschema@, pg_temp
AS $$
    SELECT * FROM @extschema@.jobmon_event e
    WHERE e.job_id = p_id
    ORDER BY e.event_id
$$;

COMMENT ON FUNCTION @extschema@.show_job(text, integer) IS 'the newest jobs of that name';

COMMENT ON FUNCTION @extschema@.show_job_like(text, integer) IS 'the newest jobs whose name matches the regular expression (case-insensitive)';

COMMENT ON FUNCTION @extschema@.show_job_status(text, integer) IS 'the newest jobs with that status';

COMMENT ON FUNCTION @extschema@.show_job_status(text, text, integer) IS 'the newest jobs of that name with that status';

COMMENT ON FUNCTION @extschema@.show_detail(bigint) IS 'the steps of a job';

COMMENT ON FUNCTION @extschema@.show_detail(text, integer) IS 'the steps of the newest jobs of that name';

COMMENT ON FUNCTION @extschema@.show_running(integer) IS 'jobs still running in a live backend';

COMMENT ON FUNCTION @extschema@.show_events(bigint) IS 'the errors, warnings and notices recorded for a job';
