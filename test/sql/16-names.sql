-- Names that cannot shadow a user's own.  pg_jobmon 1.x users put the
-- extension's schema first on search_path (pg_partman sets "partman,
-- jobmon"), so every table, view and function callable without arguments
-- that 2.x adds must carry a name their own schemas will not plausibly
-- have: the prefix jobmon_, or a leading underscore for internal objects.
-- Kept as they are: pg_jobmon 1.x's own names, and pgpro_scheduler's
-- get_* readers.  A new object with another name fails here until it is
-- renamed or reviewed into the lists below (doc/pg_jobmon.md, "Names").
\ir ../setup.sql
BEGIN;
SELECT plan(4);

SELECT is_empty(
    $$SELECT c.relname FROM pg_class c
      WHERE c.relnamespace = 'jobmon'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'c', 'f')
        AND c.relname NOT LIKE 'jobmon\_%' AND c.relname NOT LIKE '\_%'
        AND c.relname NOT IN ('job_log', 'job_detail', 'job_check_log', 'job_check_config',
                              'job_status_text')$$,
    'every table, view and type is pg_jobmon 1.x''s, internal (_) or named jobmon_*');

SELECT is_empty(
    $$SELECT p.oid::regprocedure FROM pg_proc p
      WHERE p.pronamespace = 'jobmon'::regnamespace AND p.pronargs = p.pronargdefaults
        AND p.proname NOT LIKE 'jobmon\_%' AND p.proname NOT LIKE '\_%'
        AND p.proname NOT IN ('check_job_status', 'show_running',
                              'get_self_id', 'resubmit', 'get_active_runs', 'get_owned_jobs',
                              'get_run_as_jobs', 'get_run_log')$$,
    'every function callable without arguments is 1.x''s, pgpro_scheduler''s, internal or named jobmon_*');

SELECT is_empty(
    $$SELECT c.relname FROM pg_class c
      WHERE c.relnamespace = 'jobmon'::regnamespace
        AND c.relname IN ('job', 'config', 'timers', 'my_jobs', 'my_log', 'job_run', 'job_schedule',
                          'job_audit', 'job_event', 'job_status', 'all_job_status',
                          'scheduler_role', 'scheduler_state')$$,
    'none of 2.3.0''s generic table and view names is left');

SELECT is_empty(
    $$SELECT p.oid::regprocedure FROM pg_proc p
      WHERE p.pronamespace = 'jobmon'::regnamespace
        AND p.proname IN ('status', 'start', 'stop', 'tick', 'clean_log', 'config_show',
                          'config_set', 'config_reset')$$,
    'none of 2.3.0''s generic function names is left');

SELECT * FROM finish();
ROLLBACK;
