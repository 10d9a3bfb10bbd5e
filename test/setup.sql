-- Included by every pgTAP file (\ir ../setup.sql): quiet, unaligned output
-- that pg_prove can read, and stop at the first error outside an assertion.
\set QUIET 1
\set ON_ERROR_STOP 1
\pset format unaligned
\pset tuples_only true
\pset pager off
SET client_min_messages = warning;
