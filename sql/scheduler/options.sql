-- The options of a scheduled job, as create_job() and set_job_attributes()
-- take them in jsonb: pgpro_scheduler's keys with their meaning, plus
-- pg_jobmon's own.  One table of keys and their JSON types, one function
-- that checks a document against it.

CREATE FUNCTION @extschema@._job_option_types(OUT key text, OUT json_types text[], OUT settable boolean)
RETURNS SETOF record
LANGUAGE sql IMMUTABLE
SET search_path = @extschema@, pg_temp
AS $$
    VALUES
    ('name',                 '{string}'::text[],        true),
    ('comments',             '{string,"null"}',           true),
    ('commands',             '{string,array}',          true),
    ('cron',                 '{string}',                false),
    ('dates',                '{string,array}',          false),
    ('rule',                 '{object}',                false),
    ('run_as',               '{string}',                true),
    ('start_date',           '{string,"null"}',           true),
    ('end_date',             '{string,"null"}',           true),
    ('use_same_transaction', '{boolean}',               true),
    ('last_start_available', '{string,"null"}',           true),
    ('max_instances',        '{number}',                true),
    ('max_run_time',         '{string,"null"}',           true),
    ('onrollback',           '{string,"null"}',           true),
    ('next_time_statement',  '{string,"null"}',           true),
    ('timezone',             '{string}',                true),
    ('on_overlap',           '{string}',                true),
    ('on_missed',            '{string}',                true),
    ('missed_limit',         '{number}',                true),
    ('capture_level',        '{string}',                true),
    ('depends_on',           '{array,number,string,"null"}', true),
    ('retries',              '{number}',                true),
    ('retry_delay',          '{string}',                true),
    ('retry_backoff',        '{number}',                true),
    ('max_retry_delay',      '{string,"null"}',           true)
$$;

-- A new job of p_owner with every option at its default.
CREATE FUNCTION @extschema@._job_new(p_owner name) RETURNS @extschema@.jobmon_job
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    j @extschema@.jobmon_job;
BEGIN
    j.job_id := nextval('@extschema@.jobmon_job_job_id_seq');
    j.name := 'job ' || j.job_id;
    j.owner := p_owner;
    j.run_as := p_owner;
    j.use_same_transaction := false;
    j.max_instances := 1;
    j.timezone := current_setting('TimeZone');
    j.on_overlap := 'skip';
    j.on_missed := 'once';
    j.missed_limit := 100;
    j.capture_level := 'NOTICE';
    j.active := true;
    j.created_at := now();
    j.oneoff := false;
    j.resubmit_limit := 100;
    j.retries := 0;
    j.retry_delay := interval '1 minute';
    j.retry_backoff := 2;
    RETURN j;
END
$$;

-- Raise 22023 for an option value that is wrong, saying which and why.
CREATE FUNCTION @extschema@._job_option_error(p_function text, p_key text, p_value jsonb,
                                              p_detail text, p_hint text)
RETURNS void
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    RAISE EXCEPTION 'invalid value for option "%" of %()', p_key, p_function
        USING ERRCODE = 'invalid_parameter_value',
              DETAIL = format('%s got %s. %s', p_function, coalesce(p_value::text, 'NULL'), p_detail),
              HINT = p_hint;
END
$$;

-- Bounds on times and intervals that a definition accepts, so that no
-- value it holds can make a dispatcher pass fail later (an infinite due
-- time, or a time limit whose end is past the last timestamp).  p_what
-- names the value: 'option "max_run_time"', 'argument run_after'.
CREATE FUNCTION @extschema@._time_check_finite(p_function text, p_what text, p_value timestamptz)
RETURNS void
LANGUAGE plpgsql IMMUTABLE
SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    IF NOT isfinite(p_value) THEN
        RAISE EXCEPTION '% of %() must be a finite time', p_what, p_function
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('%s() got %s.', p_function, p_value),
                  HINT = 'Give a time such as "2026-12-01 08:00:00+01": no job runs at infinity.';
    END IF;
END
$$;

CREATE FUNCTION @extschema@._interval_check_bound(p_function text, p_what text, p_value interval)
RETURNS void
LANGUAGE plpgsql IMMUTABLE
SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    IF p_value > interval '100 years' THEN
        RAISE EXCEPTION '% of %() must be at most 100 years', p_what, p_function
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('%s() got %s.', p_function, p_value),
                  HINT = 'Give a shorter interval, or leave it out for no limit.';
    END IF;
END
$$;

-- Check the keys and JSON types of an options document.
CREATE FUNCTION @extschema@._job_options_check(p_function text, p_options jsonb, p_for_change boolean)
RETURNS void
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_key   text;
    v_value jsonb;
    v_types text[];
    v_settable boolean;
BEGIN
    IF p_options IS NULL THEN
        PERFORM @extschema@._null_argument(p_function, 'options');
    END IF;
    IF jsonb_typeof(p_options) <> 'object' THEN
        RAISE EXCEPTION 'options of %() must be a JSON object', p_function
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('%s() got a JSON %s.', p_function, jsonb_typeof(p_options)),
                  HINT = 'Pass e.g. ''{"cron": "*/5 * * * *", "commands": "VACUUM"}''.';
    END IF;
    FOR v_key, v_value IN SELECT * FROM jsonb_each(p_options) LOOP
        SELECT t.json_types, t.settable INTO v_types, v_settable
        FROM @extschema@._job_option_types() t WHERE t.key = v_key;
        IF v_types IS NULL THEN
            RAISE EXCEPTION 'unrecognized option "%" of %()', v_key, p_function
                USING ERRCODE = 'invalid_parameter_value',
                      DETAIL = 'The options are: ' || (SELECT string_agg(t.key, ', ' ORDER BY t.key)
                                                      FROM @extschema@._job_option_types() t) || '.',
                      HINT = 'Check the spelling of the key; doc/scheduler.md describes every option.';
        END IF;
        IF p_for_change AND NOT v_settable THEN
            RAISE EXCEPTION 'option "%" cannot be changed with %()', v_key, p_function
                USING ERRCODE = 'invalid_parameter_value',
                      DETAIL = 'A job''s cron, dates and rule are its schedules, each with its own id.',
                      HINT = 'Use add_schedule() and drop_schedule() to change when a job runs.';
        END IF;
        IF NOT jsonb_typeof(v_value) = ANY (v_types) THEN
            PERFORM @extschema@._job_option_error(p_function, v_key, v_value,
                format('The option takes a JSON %s, not a %s.', array_to_string(v_types, ' or '),
                       jsonb_typeof(v_value)),
                'Quote times and intervals as strings, e.g. "2026-12-01 08:00" or "5 minutes".');
        END IF;
    END LOOP;
END
$$;

-- A text, array-of-text, time or interval option, converted with a clear
-- error when the conversion fails.
CREATE FUNCTION @extschema@._job_option_text_array(p_function text, p_key text, p_value jsonb)
RETURNS text[]
LANGUAGE plpgsql IMMUTABLE
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_result text[];
BEGIN
    IF p_value IS NULL OR jsonb_typeof(p_value) = 'null' THEN
        RETURN NULL;
    ELSIF jsonb_typeof(p_value) = 'string' THEN
        v_result := ARRAY[p_value #>> '{}'];
    ELSIF EXISTS (SELECT FROM jsonb_array_elements(p_value) e WHERE jsonb_typeof(e) <> 'string') THEN
        PERFORM @extschema@._job_option_error(p_function, p_key, p_value,
            'Every element of the array must be a string.', 'Quote each element.');
    ELSE
        SELECT array_agg(e ORDER BY n) INTO v_result
        FROM jsonb_array_elements_text(p_value) WITH ORDINALITY AS a(e, n);
    END IF;
    IF cardinality(v_result) IS NULL OR EXISTS (SELECT FROM unnest(v_result) c WHERE btrim(c) = '') THEN
        PERFORM @extschema@._job_option_error(p_function, p_key, p_value,
            'It must not be empty, nor contain an empty string.', 'Give at least one non-empty value.');
    END IF;
    RETURN v_result;
END
$$;

CREATE FUNCTION @extschema@._job_option_time(p_function text, p_key text, p_value jsonb)
RETURNS timestamptz
LANGUAGE plpgsql STABLE
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_result timestamptz;
BEGIN
    IF p_value IS NULL OR jsonb_typeof(p_value) = 'null' THEN
        RETURN NULL;
    END IF;
    BEGIN
        v_result := (p_value #>> '{}')::timestamptz;
    EXCEPTION WHEN invalid_datetime_format OR datetime_field_overflow OR invalid_parameter_value THEN
        PERFORM @extschema@._job_option_error(p_function, p_key, p_value,
            'It is not a time: ' || SQLERRM || '.', 'Give a timestamp such as "2026-12-01 08:00:00+01".');
    END;
    PERFORM @extschema@._time_check_finite(p_function, format('option "%s"', p_key), v_result);
    RETURN v_result;
END
$$;

CREATE FUNCTION @extschema@._job_option_interval(p_function text, p_key text, p_value jsonb)
RETURNS interval
LANGUAGE plpgsql STABLE
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_result interval;
BEGIN
    IF p_value IS NULL OR jsonb_typeof(p_value) = 'null' THEN
        RETURN NULL;
    END IF;
    BEGIN
        v_result := (p_value #>> '{}')::interval;
    EXCEPTION WHEN invalid_datetime_format OR datetime_field_overflow OR interval_field_overflow THEN
        PERFORM @extschema@._job_option_error(p_function, p_key, p_value,
            'It is not an interval: ' || SQLERRM || '.', 'Give an interval such as "30 seconds" or "01:00:00".');
    END;
    IF v_result <= interval '0' THEN
        PERFORM @extschema@._job_option_error(p_function, p_key, p_value,
            'It must be longer than zero.', 'Give a positive interval, or leave the option out for no limit.');
    END IF;
    PERFORM @extschema@._interval_check_bound(p_function, format('option "%s"', p_key), v_result);
    RETURN v_result;
END
$$;

CREATE FUNCTION @extschema@._job_option_int(p_function text, p_key text, p_value jsonb,
                                            p_min integer DEFAULT 1)
RETURNS integer
LANGUAGE plpgsql IMMUTABLE
SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    IF NOT (p_value #>> '{}') ~ '^[0-9]{1,9}$' OR (p_value #>> '{}')::integer < p_min THEN
        PERFORM @extschema@._job_option_error(p_function, p_key, p_value,
            format('It must be a whole number from %s to 999999999.', p_min),
            format('Give e.g. %s.', greatest(p_min, 1)));
    END IF;
    RETURN (p_value #>> '{}')::integer;
END
$$;

-- One of a fixed set of words.
CREATE FUNCTION @extschema@._job_option_word(p_function text, p_key text, p_value jsonb, p_words text[])
RETURNS text
LANGUAGE plpgsql IMMUTABLE
SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    IF NOT (p_value #>> '{}') = ANY (p_words) THEN
        PERFORM @extschema@._job_option_error(p_function, p_key, p_value,
            'It must be one of ' || array_to_string(p_words, ', ') || '.',
            'Give one of those words.');
    END IF;
    RETURN p_value #>> '{}';
END
$$;

CREATE FUNCTION @extschema@._job_option_timezone(p_function text, p_value jsonb)
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    -- The cron engine decides which names it accepts (not abbreviations).
    PERFORM @extschema@.cron_next('* * * * *', now(), p_value #>> '{}');
    RETURN p_value #>> '{}';
EXCEPTION WHEN invalid_parameter_value OR feature_not_supported THEN
    PERFORM @extschema@._job_option_error(p_function, 'timezone', p_value,
        'It is not a time zone name PostgreSQL knows.',
        'Give a name from pg_timezone_names, e.g. "Europe/Paris" or "UTC".');
    RETURN NULL;
END
$$;

-- Apply the settable options of p_options to p_job and return it; checks
-- each value and the rules between values.  run_as is checked by the caller.
CREATE FUNCTION @extschema@._job_apply_options(p_function text, p_job @extschema@.jobmon_job, p_options jsonb)
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
