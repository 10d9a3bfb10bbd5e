-- Test fixture (see pg_jobmon--1.3.0.sql): 1.3.1 and 1.3.2 changed function
-- bodies only; 1.3.3 stopped dumping the three seeded status texts.
\echo Use "ALTER EXTENSION pg_jobmon UPDATE TO '1.3.3'" to load this file. \quit
SELECT pg_catalog.pg_extension_config_dump('job_status_text', 'WHERE alert_code NOT IN (1,2,3)');
