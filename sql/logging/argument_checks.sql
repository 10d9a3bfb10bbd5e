-- Argument checks shared by the logging API.

-- A NULL job or step id: an error, except under on_log_failure = warning,
-- where a failed add_job or add_step already warned and returned NULL and
-- the calls that follow it do nothing (the function returns true then).
CREATE FUNCTION @extschema@._null_id(p_function text, p_argument text) RETURNS boolean
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    IF @extschema@._setting('on_log_failure') = 'warning' THEN
        RETURN true;
    END IF;
    RAISE EXCEPTION 'argument % of %() must not be NULL', p_argument, p_function
        USING ERRCODE = 'null_value_not_allowed',
              DETAIL = format('%s() was called with %s = NULL.', p_function, p_argument),
              HINT = CASE WHEN p_argument = 'p_step_id' THEN 'Pass the id that add_step() returned.'
                          ELSE 'Pass the id that add_job() returned.' END;
END
$$;

-- Any other NULL argument is always an error.
CREATE FUNCTION @extschema@._null_argument(p_function text, p_argument text) RETURNS void
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    RAISE EXCEPTION 'argument % of %() must not be NULL', p_argument, p_function
        USING ERRCODE = 'null_value_not_allowed',
              DETAIL = format('%s() was called with %s = NULL.', p_function, p_argument),
              HINT = 'Pass a value for every argument.';
END
$$;
