-- The three ways of logging one job of one step that bench/logging.sh times.
SET client_min_messages = warning;
DROP SCHEMA IF EXISTS bench CASCADE;
CREATE SCHEMA bench;

CREATE FUNCTION bench.logged_job_jobmon() RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v_job bigint := jobmon.add_job('BENCH LOGGING');
    v_step bigint := jobmon.add_step(v_job, 'one step');
BEGIN
    PERFORM jobmon.update_step(v_step, 'OK', 'done');
    PERFORM jobmon.close_job(v_job);
END $$;

CREATE FUNCTION bench.logged_job_floor() RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v_job bigint;
    v_step bigint;
BEGIN
    INSERT INTO jobmon.job_log (owner, job_name, start_time, pid)
    VALUES (current_user, 'BENCH LOGGING', now(), pg_backend_pid()) RETURNING job_id INTO v_job;
    INSERT INTO jobmon.job_detail (job_id, action, start_time)
    VALUES (v_job, 'one step', now()) RETURNING step_id INTO v_step;
    UPDATE jobmon.job_detail SET end_time = now(), elapsed_time = 0, status = 'OK', message = 'done'
    WHERE step_id = v_step;
    UPDATE jobmon.job_log SET end_time = now(), status = 'OK' WHERE job_id = v_job;
END $$;

-- A new connection for every write, as pg_jobmon 1.x logged.
CREATE FUNCTION bench.write_on_new_connection(p_sql text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    v_id bigint;
BEGIN
    PERFORM public.dblink_connect('bench_classic',
        format('dbname=%s port=%s host=%s', current_database(), current_setting('port'),
               split_part(current_setting('unix_socket_directories'), ',', 1)));
    SELECT t.id INTO v_id FROM public.dblink('bench_classic', p_sql) AS t(id bigint);
    PERFORM public.dblink_disconnect('bench_classic');
    RETURN v_id;
END $$;

CREATE FUNCTION bench.logged_job_connection_per_call() RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v_job bigint;
    v_step bigint;
BEGIN
    v_job := bench.write_on_new_connection(format(
        'INSERT INTO jobmon.job_log (owner, job_name, start_time, pid) VALUES (%L, %L, now(), %s) RETURNING job_id',
        current_user, 'BENCH LOGGING', pg_backend_pid()));
    v_step := bench.write_on_new_connection(format(
        'INSERT INTO jobmon.job_detail (job_id, action, start_time) VALUES (%s, %L, now()) RETURNING step_id',
        v_job, 'one step'));
    PERFORM bench.write_on_new_connection(format(
        'UPDATE jobmon.job_detail SET end_time = now(), elapsed_time = 0, status = %L, message = %L WHERE step_id = %s RETURNING NULL::bigint',
        'OK', 'done', v_step));
    PERFORM bench.write_on_new_connection(format(
        'UPDATE jobmon.job_log SET end_time = now(), status = %L WHERE job_id = %s RETURNING NULL::bigint',
        'OK', v_job));
END $$;

-- The latency floor of synchronous autonomous logging: four round trips.
CREATE FUNCTION bench.four_round_trips() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF NOT coalesce('bench_rtt' = ANY (public.dblink_get_connections()), false) THEN
        PERFORM public.dblink_connect('bench_rtt',
            format('dbname=%s port=%s host=%s', current_database(), current_setting('port'),
                   split_part(current_setting('unix_socket_directories'), ',', 1)));
    END IF;
    FOR i IN 1..4 LOOP
        PERFORM * FROM public.dblink('bench_rtt', 'SELECT 1') AS t(x int);
    END LOOP;
END $$;
