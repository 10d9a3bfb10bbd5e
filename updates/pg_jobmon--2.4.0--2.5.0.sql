-- pg_jobmon 2.4.0 -> 2.5.0: no role reaches another role's privileges.

\echo Use "ALTER EXTENSION pg_jobmon UPDATE TO '2.5.0'" to load this file. \quit
