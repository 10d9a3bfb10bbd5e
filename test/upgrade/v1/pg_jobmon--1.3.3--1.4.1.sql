-- Test fixture (see pg_jobmon--1.3.0.sql): 1.4.0 added host to the
-- credentials table; 1.4.1 changed a function body only.
\echo Use "ALTER EXTENSION pg_jobmon UPDATE TO '1.4.1'" to load this file. \quit
ALTER TABLE @extschema@.dblink_mapping_jobmon ADD COLUMN host text;
