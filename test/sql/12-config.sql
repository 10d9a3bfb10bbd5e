-- Settings: defaults, changes and their validation.
\ir ../setup.sql
BEGIN;
SELECT plan(11);

SELECT set_eq('SELECT name FROM jobmon.config_show()',
              $$VALUES ('log_host'), ('log_port'), ('log_user'), ('log_lock_timeout'), ('log_step_sync'), ('on_log_failure')$$,
              'config_show lists every setting');
SELECT is((SELECT value FROM jobmon.config_show() WHERE name = 'on_log_failure'), 'error',
          'on_log_failure defaults to error');
SELECT lives_ok($$SELECT jobmon.config_set('on_log_failure', 'warning')$$, 'a superuser changes a setting');
SELECT results_eq($$SELECT value, default_value FROM jobmon.config_show() WHERE name = 'on_log_failure'$$,
                  $$VALUES ('warning', 'error')$$, 'config_show shows the value beside its default');
SELECT lives_ok($$SELECT jobmon.config_reset('on_log_failure')$$, 'config_reset returns to the default');
SELECT is((SELECT count(*)::int FROM jobmon.config), 0, 'only changed settings are stored');
SELECT throws_ok($$SELECT jobmon.config_set('log_colour', 'blue')$$, '22023', 'unrecognized pg_jobmon setting "log_colour"',
                 'an unknown setting is an error');
SELECT throws_ok($$SELECT jobmon.config_set('log_port', '70000')$$, '22023',
                 'invalid value for setting "log_port": "70000"', 'a port out of range is an error');
SELECT throws_ok($$SELECT jobmon.config_set('on_log_failure', 'ignore')$$, '22023',
                 'invalid value for setting "on_log_failure": "ignore"', 'an unknown failure policy is an error');
SELECT throws_ok($$SELECT jobmon.config_set('log_user', NULL)$$, '22004',
                 'value of setting "log_user" must not be NULL', 'a NULL value is an error');
SELECT throws_ok($$SELECT jobmon.config_reset('nope')$$, '22023', 'unrecognized pg_jobmon setting "nope"',
                 'resetting an unknown setting is an error');

SELECT * FROM finish();
ROLLBACK;
