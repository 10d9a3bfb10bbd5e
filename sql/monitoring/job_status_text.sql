-- The seeded alert codes 1 to 3 come with CREATE EXTENSION; a dump holds
-- their rows too when their texts were changed (tables.sql).  Restored
-- after CREATE EXTENSION, such a row would be a duplicate: an insert of
-- one of the three codes sets the text of the row that is there instead.
-- Codes users add keep the primary key's error on a duplicate.

CREATE FUNCTION @extschema@._status_text_seeded_insert() RETURNS trigger
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    UPDATE @extschema@.job_status_text t SET alert_text = NEW.alert_text
    WHERE t.alert_code = NEW.alert_code;
    IF FOUND THEN
        RETURN NULL;
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER job_status_text_seeded_insert
BEFORE INSERT ON @extschema@.job_status_text
FOR EACH ROW WHEN (NEW.alert_code BETWEEN 1 AND 3)
EXECUTE FUNCTION @extschema@._status_text_seeded_insert();
