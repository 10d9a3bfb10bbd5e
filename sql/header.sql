-- pg_jobmon install script, assembled by the Makefile from sql/*/*.sql.
-- Do not edit the generated file: edit the sources and run make.

\echo Use "CREATE EXTENSION pg_jobmon" to load this file. \quit
