-- pg_jobmon 2.5.0 -> 2.6.0: robustness, and moving in from pg_jobmon 1.x.
--
-- Each section below is the delta of one change, in the order they landed.

\echo Use "ALTER EXTENSION pg_jobmon UPDATE TO '2.6.0'" to load this file. \quit
