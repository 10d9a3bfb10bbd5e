-- The cron engine (src/cron*.c): next fire times, series of fire times,
-- validation with precise errors, descriptions in English, and
-- pgpro_scheduler's rule objects.  doc/cron.md is the reference.
--
-- All are IMMUTABLE: the result depends on the arguments only (the time
-- zone is an argument; now() and current_setting('TimeZone') are defaults,
-- evaluated by the caller).  All are STRICT (NULL in, NULL or no rows out)
-- except cron_validate, which raises 22004 for a NULL expression.

-- pgpro_scheduler's rule object: arrays of integers under seconds, minutes,
-- hours, days (1-31), months (1-12) and wdays (0-6, 0 = Sunday); a missing
-- key or an empty array means every value; "onstart": true (or 1) alone
-- means @reboot.  Consecutive values are written as ranges.
CREATE FUNCTION @extschema@.cron_from_rule(rule jsonb)
RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v_keys constant text[] := ARRAY['seconds', 'minutes', 'hours', 'days', 'months', 'wdays'];
    v_lo constant int[] := ARRAY[0, 0, 0, 1, 1, 0];
    v_hi constant int[] := ARRAY[59, 59, 23, 31, 12, 6];
    v_hint constant text := 'Write for example {"minutes": [30], "hours": [2], "wdays": [1, 2, 3, 4, 5]}.';
    v_key text;
    v_value jsonb;
    v_elem jsonb;
    v_vals int[];
    v_fields text[] := ARRAY[]::text[];
    v_field text;
    v_onstart boolean := false;
    v_times boolean := false;
    v_expr text;
    i int;
BEGIN
    IF jsonb_typeof(rule) <> 'object' THEN
        RAISE EXCEPTION 'invalid pgpro_scheduler rule'
            USING ERRCODE = '22023',
                  DETAIL = format('The rule is a JSON %s, not an object.', jsonb_typeof(rule)),
                  HINT = v_hint;
    END IF;
    FOR v_key IN SELECT jsonb_object_keys(rule) LOOP
        IF NOT (v_key = ANY (v_keys) OR v_key = 'onstart') THEN
            RAISE EXCEPTION 'invalid pgpro_scheduler rule'
                USING ERRCODE = '22023',
                      DETAIL = format('The key "%s" is not one of seconds, minutes, hours, days, months, wdays and onstart.', v_key),
                      HINT = v_hint;
        END IF;
    END LOOP;

    v_value := rule -> 'onstart';
    IF v_value IS NOT NULL AND jsonb_typeof(v_value) <> 'null' THEN
        IF v_value IN ('true', '1') THEN
            v_onstart := true;
        ELSIF v_value NOT IN ('false', '0') THEN
            RAISE EXCEPTION 'invalid pgpro_scheduler rule'
                USING ERRCODE = '22023',
                      DETAIL = format('The value of "onstart" is %s; it must be true, false, 1 or 0.', v_value),
                      HINT = 'Write {"onstart": true} for a job that runs when the scheduler starts.';
        END IF;
    END IF;

    FOR i IN 1 .. array_length(v_keys, 1) LOOP
        v_key := v_keys[i];
        v_value := rule -> v_key;
        v_vals := ARRAY[]::int[];
        IF v_value IS NOT NULL AND jsonb_typeof(v_value) <> 'null' THEN
            IF jsonb_typeof(v_value) = 'number' THEN
                v_value := jsonb_build_array(v_value);
            END IF;
            IF jsonb_typeof(v_value) <> 'array' THEN
                RAISE EXCEPTION 'invalid pgpro_scheduler rule'
                    USING ERRCODE = '22023',
                          DETAIL = format('The value of "%s" is a JSON %s; it must be an array of integers.',
                                          v_key, jsonb_typeof(v_value)),
                          HINT = v_hint;
            END IF;
            FOR v_elem IN SELECT jsonb_array_elements(v_value) LOOP
                IF jsonb_typeof(v_elem) <> 'number' OR v_elem::text !~ '^-?[0-9]{1,9}$'
                   OR v_elem::text::int NOT BETWEEN v_lo[i] AND v_hi[i] THEN
                    RAISE EXCEPTION 'invalid pgpro_scheduler rule'
                        USING ERRCODE = '22023',
                              DETAIL = format('The array "%s" holds %s; it takes integers from %s to %s.',
                                              v_key, v_elem, v_lo[i], v_hi[i]),
                              HINT = v_hint;
                END IF;
                v_vals := v_vals || v_elem::text::int;
            END LOOP;
        END IF;
        IF cardinality(v_vals) = 0 THEN
            v_field := '*';
        ELSE
            v_times := true;
            SELECT string_agg(CASE WHEN lo = hi THEN lo::text ELSE lo || '-' || hi END, ',' ORDER BY lo)
              INTO v_field
              FROM (SELECT min(v) AS lo, max(v) AS hi
                      FROM (SELECT v, v - row_number() OVER (ORDER BY v) AS grp
                              FROM (SELECT DISTINCT unnest(v_vals) AS v) d) s
                     GROUP BY grp) r;
        END IF;
        IF v_key <> 'seconds' OR v_field <> '*' THEN
            v_fields := v_fields || v_field;
        END IF;
    END LOOP;

    IF v_onstart THEN
        IF v_times THEN
            RAISE EXCEPTION 'invalid pgpro_scheduler rule'
                USING ERRCODE = '22023',
                      DETAIL = 'The rule has "onstart" and also times; a job runs either at start or on a schedule.',
                      HINT = 'Write {"onstart": true} alone, or drop "onstart".';
        END IF;
        RETURN '@reboot';
    END IF;
    v_expr := array_to_string(v_fields, ' ');
    PERFORM @extschema@.cron_validate(v_expr);
    RETURN v_expr;
END
$$;

COMMENT ON FUNCTION @extschema@.cron_from_rule(jsonb) IS
'pgpro_scheduler''s rule object (seconds, minutes, hours, days, months, wdays arrays; onstart) as a cron expression';
