-- Test fixture (see pg_jobmon--1.3.0.sql): 1.5.0 added hostaddr to the
-- credentials table and moved the addresses kept in host into it.
\echo Use "ALTER EXTENSION pg_jobmon UPDATE TO '1.5.0'" to load this file. \quit
ALTER TABLE @extschema@.dblink_mapping_jobmon ADD COLUMN hostaddr text;
UPDATE @extschema@.dblink_mapping_jobmon SET hostaddr = host, host = NULL;
