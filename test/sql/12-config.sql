-- Settings: defaults, changes and their validation.
\ir ../setup.sql
BEGIN;
SELECT plan(18);

SELECT set_eq('SELECT name FROM jobmon.jobmon_config_show()',
              $$VALUES ('log_host'), ('log_port'), ('log_user'), ('log_lock_timeout'), ('log_durability'), ('on_log_failure'),
                     ('max_workers'), ('max_oneoff_workers'), ('run_retention'), ('audit_retention'), ('log_retention'),
                     ('capture_max_messages'), ('capture_max_bytes'), ('capture_max_message_bytes'),
                     ('text_style')$$,
              'jobmon_config_show lists every setting');
SELECT is((SELECT value FROM jobmon.jobmon_config_show() WHERE name = 'on_log_failure'), 'error',
          'on_log_failure defaults to error');
SELECT lives_ok($$SELECT jobmon.jobmon_config_set('on_log_failure', 'warning')$$, 'a superuser changes a setting');
SELECT results_eq($$SELECT value, default_value FROM jobmon.jobmon_config_show() WHERE name = 'on_log_failure'$$,
                  $$VALUES ('warning', 'error')$$, 'jobmon_config_show shows the value beside its default');
SELECT lives_ok($$SELECT jobmon.jobmon_config_reset('on_log_failure')$$, 'jobmon_config_reset returns to the default');
SELECT is((SELECT count(*)::int FROM jobmon.jobmon_config), 0, 'only changed settings are stored');
SELECT throws_ok($$SELECT jobmon.jobmon_config_set('log_colour', 'blue')$$, '22023', 'unrecognized pg_jobmon setting "log_colour"',
                 'an unknown setting is an error');
SELECT throws_ok($$SELECT jobmon.jobmon_config_set('log_port', '70000')$$, '22023',
                 'invalid value for setting "log_port": "70000"', 'a port out of range is an error');
SELECT throws_ok($$SELECT jobmon.jobmon_config_set('log_durability', 'sometimes')$$, '22023',
                 'invalid value for setting "log_durability": "sometimes"', 'an unknown durability is an error');
SELECT throws_ok($$SELECT jobmon.jobmon_config_set('on_log_failure', 'ignore')$$, '22023',
                 'invalid value for setting "on_log_failure": "ignore"', 'an unknown failure policy is an error');
SELECT is((SELECT value FROM jobmon.jobmon_config_show() WHERE name = 'run_retention'), '30 days',
          'finished runs are kept 30 days by default');
SELECT is(jobmon._max_workers(), current_setting('max_worker_processes')::int / 2,
          'max_workers defaults to half of max_worker_processes');
SELECT throws_ok($$SELECT jobmon.jobmon_config_set('max_workers', '0')$$, '22023',
                 'invalid value for setting "max_workers": "0"', 'max_workers must be at least 1');
SELECT throws_ok($$SELECT jobmon.jobmon_config_set('run_retention', 'a while')$$, '22023',
                 'invalid value for setting "run_retention": "a while"', 'run_retention must be a duration');
SELECT throws_ok($$SELECT jobmon.jobmon_config_set('log_user', NULL)$$, '22004',
                 'value of setting "log_user" must not be NULL', 'a NULL value is an error');
SELECT throws_ok($$SELECT jobmon.jobmon_config_reset('nope')$$, '22023', 'unrecognized pg_jobmon setting "nope"',
                 'resetting an unknown setting is an error');

-- log_durability decides how the logging connection commits.
SELECT jobmon.close_job(jobmon.add_job('config durability')) \g /dev/null
SELECT is((SELECT synchronous_commit FROM jobmon._log_connection_info()), 'off',
          'by default log writes commit asynchronously (the end of a job waits for its flush)');
SELECT jobmon.jobmon_config_set('log_durability', 'always') \g /dev/null
SELECT jobmon.close_job(jobmon.add_job('config durability always')) \g /dev/null
SELECT is((SELECT synchronous_commit FROM jobmon._log_connection_info()), 'on',
          'with log_durability = always every log write waits for its flush');

SELECT * FROM finish();
ROLLBACK;
SELECT jobmon._log_disconnect() \g /dev/null
