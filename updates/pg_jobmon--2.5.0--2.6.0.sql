-- pg_jobmon 2.5.0 -> 2.6.0: robustness, and moving in from pg_jobmon 1.x.
--
-- Each section below is the delta of one change, in the order they landed.

\echo Use "ALTER EXTENSION pg_jobmon UPDATE TO '2.6.0'" to load this file. \quit

-- Definitions at scale (issue 13, item 12): the name check of create_job()
-- and set_job_attributes() read jobmon_job whole on every call, because its
-- query lacked the predicate (NOT oneoff) of the unique index it mirrors;
-- with it, it probes that index, and one-off jobs, whose names need not be
-- unique, are no longer checked against each other.
-- Apply the settable options of p_options to p_job and return it; checks
-- each value and the rules between values.  run_as is checked by the caller.
CREATE OR REPLACE FUNCTION @extschema@._job_apply_options(p_function text, p_job @extschema@.jobmon_job, p_options jsonb)
RETURNS @extschema@.jobmon_job
LANGUAGE plpgsql STABLE
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    j @extschema@.jobmon_job := p_job;
    o jsonb := p_options;
BEGIN
    IF o ? 'name' THEN
        j.name := (@extschema@._job_option_text_array(p_function, 'name', o->'name'))[1];
    END IF;
    IF o ? 'comments' THEN j.comments := o->>'comments'; END IF;
    IF o ? 'commands' THEN
        -- One string is one transaction; an array is one transaction each
        -- (or one for all with use_same_transaction).
        j.commands := @extschema@._job_option_text_array(p_function, 'commands', o->'commands');
    END IF;
    IF o ? 'run_as' THEN j.run_as := o->>'run_as'; END IF;
    IF o ? 'start_date' THEN j.start_date := @extschema@._job_option_time(p_function, 'start_date', o->'start_date'); END IF;
    IF o ? 'end_date' THEN j.end_date := @extschema@._job_option_time(p_function, 'end_date', o->'end_date'); END IF;
    IF o ? 'use_same_transaction' THEN j.use_same_transaction := (o->>'use_same_transaction')::boolean; END IF;
    IF o ? 'last_start_available' THEN
        j.last_start_available := @extschema@._job_option_interval(p_function, 'last_start_available', o->'last_start_available');
    END IF;
    IF o ? 'max_instances' THEN j.max_instances := @extschema@._job_option_int(p_function, 'max_instances', o->'max_instances'); END IF;
    IF o ? 'max_run_time' THEN j.max_run_time := @extschema@._job_option_interval(p_function, 'max_run_time', o->'max_run_time'); END IF;
    IF o ? 'onrollback' THEN j.onrollback := nullif(btrim(o->>'onrollback'), ''); END IF;
    IF o ? 'next_time_statement' THEN j.next_time_statement := nullif(btrim(o->>'next_time_statement'), ''); END IF;
    IF o ? 'timezone' THEN j.timezone := @extschema@._job_option_timezone(p_function, o->'timezone'); END IF;
    IF o ? 'on_overlap' THEN
        j.on_overlap := @extschema@._job_option_word(p_function, 'on_overlap', o->'on_overlap', '{skip,queue}');
    END IF;
    IF o ? 'on_missed' THEN
        j.on_missed := @extschema@._job_option_word(p_function, 'on_missed', o->'on_missed', '{once,skip,all}');
    END IF;
    IF o ? 'missed_limit' THEN j.missed_limit := @extschema@._job_option_int(p_function, 'missed_limit', o->'missed_limit'); END IF;
    IF o ? 'capture_level' THEN
        j.capture_level := @extschema@._job_option_word(p_function, 'capture_level', to_jsonb(upper(o->>'capture_level')),
            '{DEBUG5,DEBUG4,DEBUG3,DEBUG2,DEBUG1,LOG,INFO,NOTICE,WARNING,NONE}');
    END IF;

    IF o ? 'depends_on' THEN
        j.depends_on := @extschema@._depends_resolve(p_function, j.job_id, o->'depends_on');
    END IF;
    IF o ? 'retries' THEN j.retries := @extschema@._job_option_int(p_function, 'retries', o->'retries', 0); END IF;
    IF o ? 'retry_delay' THEN
        j.retry_delay := @extschema@._job_option_interval(p_function, 'retry_delay', o->'retry_delay');
    END IF;
    IF o ? 'retry_backoff' THEN
        IF NOT (o->>'retry_backoff')::numeric BETWEEN 1 AND 1000 THEN
            PERFORM @extschema@._job_option_error(p_function, 'retry_backoff', o->'retry_backoff',
                'It must be a number from 1 to 1000.', 'Give e.g. 2 to double the delay after each attempt, or 1 to keep it.');
        END IF;
        j.retry_backoff := (o->>'retry_backoff')::float8;
    END IF;
    IF o ? 'max_retry_delay' THEN
        j.max_retry_delay := @extschema@._job_option_interval(p_function, 'max_retry_delay', o->'max_retry_delay');
    END IF;

    IF j.end_date <= j.start_date THEN
        RAISE EXCEPTION 'end_date must be later than start_date'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('%s() got start_date %s and end_date %s.', p_function, j.start_date, j.end_date),
                  HINT = 'Swap the two, or leave end_date out for no end.';
    END IF;
    IF j.name ~* '^job [0-9]+$' AND j.name <> 'job ' || j.job_id THEN
        RAISE EXCEPTION 'job names of the form "job N" are reserved'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('%s() got the name "%s"; a job created without a name is named "job <its id>".', p_function, j.name),
                  HINT = 'Choose another name.';
    END IF;
    -- The same rule as the unique index jobmon_job_name_key, and the same
    -- predicate (NOT oneoff), so that the look-up is a probe of that index:
    -- without it every create_job() read the whole table.  One-off names
    -- need not be unique.
    IF NOT j.oneoff AND EXISTS (SELECT FROM @extschema@.jobmon_job x
                                WHERE upper(x.name) = upper(j.name) AND NOT x.oneoff
                                  AND x.job_id <> j.job_id) THEN
        RAISE EXCEPTION 'a scheduled job named "%" already exists', j.name
            USING ERRCODE = 'unique_violation',
                  DETAIL = 'Runs are logged in job_log under the upper-case name, so names must differ in more than case.',
                  HINT = 'Choose another name.';
    END IF;
    RETURN j;
END
$$;
