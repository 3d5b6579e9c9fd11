/**
 * Schema step 2 of the PostgreSQL store: the run history rules of core's
 * RunHistoryStep as server-side functions, so that a group commit applies
 * the steps of all its reports in one round trip
 * (`tunasync_run_steps(workers, mirrors, steps)`, steps as JSON with `at` in
 * milliseconds) instead of one to three round trips per report. The rules are
 * those of the SQLite store (sqlite-runs.ts), statement for statement; the
 * conformance suite checks both.
 */

/** The SQL of migration 2. */
export const RUN_STEP_FUNCTIONS_SQL = `
CREATE OR REPLACE FUNCTION tunasync_record_stats(p_worker text, p_mirror text, p_result text, p_duration double precision, p_bytes bigint)
RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE
  v_counted integer := CASE WHEN p_result IN ('success', 'failed') THEN 1 ELSE 0 END;
  v_failed integer := CASE WHEN p_result = 'failed' THEN 1 ELSE 0 END;
  v_bytes bigint := CASE WHEN p_result IN ('success', 'failed') THEN p_bytes END;
BEGIN
  INSERT INTO job_stats AS s (worker, mirror, runs_total, failures_total, consecutive_failures, transferred_bytes_total,
                              last_result, last_duration_s, last_transferred_bytes)
  VALUES (p_worker, p_mirror, v_counted, v_failed, v_failed, COALESCE(v_bytes, 0), p_result, p_duration, v_bytes)
  ON CONFLICT (worker, mirror) DO UPDATE SET
    runs_total = s.runs_total + v_counted,
    failures_total = s.failures_total + v_failed,
    consecutive_failures = CASE WHEN p_result = 'success' THEN 0 ELSE s.consecutive_failures + v_failed END,
    transferred_bytes_total = s.transferred_bytes_total + COALESCE(v_bytes, 0),
    last_result = p_result, last_duration_s = p_duration, last_transferred_bytes = v_bytes;
END
$fn$;

CREATE OR REPLACE FUNCTION tunasync_abort_open(p_worker text, p_mirror text, p_at bigint, p_keep text)
RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE
  r record;
BEGIN
  FOR r IN
    UPDATE runs SET result = 'aborted', ended_at = p_at, duration_s = GREATEST(0, (p_at - started_at) / 1000.0)
    WHERE worker = p_worker AND mirror = p_mirror AND result IS NULL AND (p_keep IS NULL OR run_id <> p_keep)
    RETURNING result, duration_s, transferred_bytes
  LOOP
    PERFORM tunasync_record_stats(p_worker, p_mirror, r.result, r.duration_s, r.transferred_bytes);
  END LOOP;
END
$fn$;

CREATE OR REPLACE FUNCTION tunasync_run_step(p_worker text, p_mirror text, p_step jsonb)
RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE
  v_kind text := p_step->>'kind';
  v_at bigint := (p_step->>'at')::bigint;
  v_run text := p_step->>'runId';
  v_attempt integer := (p_step->>'attempt')::integer;
  v_match boolean := COALESCE((p_step->>'matchOpen')::boolean, false);
  v_duration double precision := (p_step->>'durationS')::double precision;
  v_exit integer := (p_step->>'exitCode')::integer;
  v_bytes bigint := (p_step->>'transferredBytes')::bigint;
  v_files bigint := (p_step->>'filesTransferred')::bigint;
  v_log text := p_step->>'logFile';
  v_open_id bigint;
  v_open_run text;
  v_target bigint;
  v_target_result text;
  v_found boolean := false;
  v_started bigint;
  r record;
BEGIN
  IF v_kind = 'abort' THEN
    PERFORM tunasync_abort_open(p_worker, p_mirror, v_at, NULL);
    RETURN;
  END IF;
  SELECT id, run_id INTO v_open_id, v_open_run FROM runs
    WHERE worker = p_worker AND mirror = p_mirror AND result IS NULL ORDER BY started_at DESC, id DESC LIMIT 1;
  IF v_kind = 'open' THEN
    IF v_open_id IS NOT NULL AND COALESCE((p_step->>'onlyIfNoneOpen')::boolean, false) THEN
      RETURN;
    END IF;
    IF v_open_id IS NOT NULL AND v_open_run = v_run THEN
      UPDATE runs SET attempts = v_attempt WHERE id = v_open_id AND attempts < v_attempt;
      RETURN;
    END IF;
    IF v_open_id IS NOT NULL THEN
      PERFORM tunasync_abort_open(p_worker, p_mirror, v_at, v_run);
    END IF;
    IF NOT COALESCE((p_step->>'isNew')::boolean, false) THEN
      SELECT id INTO v_target FROM runs WHERE mirror = p_mirror AND worker = p_worker AND run_id = v_run ORDER BY id LIMIT 1;
    END IF;
    IF v_target IS NOT NULL THEN
      UPDATE runs SET attempts = v_attempt WHERE id = v_target AND attempts < v_attempt;
    ELSE
      INSERT INTO runs (run_id, worker, mirror, trigger, started_at, ended_at, duration_s, result, attempts,
                        exit_code, error_msg, size, transferred_bytes, files_transferred, log_file)
      VALUES (v_run, p_worker, p_mirror, p_step->>'trigger', v_at, NULL, NULL, NULL, v_attempt, NULL, '', '', NULL, NULL, NULL);
    END IF;
    RETURN;
  END IF;
  -- close
  IF v_open_id IS NOT NULL AND (v_match OR v_open_run = v_run) THEN
    v_target := v_open_id;
    v_found := true;
  ELSIF NOT v_match THEN
    IF v_open_id IS NOT NULL THEN
      PERFORM tunasync_abort_open(p_worker, p_mirror, v_at, v_run);
    END IF;
    SELECT id, result INTO v_target, v_target_result FROM runs
      WHERE mirror = p_mirror AND worker = p_worker AND run_id = v_run ORDER BY id LIMIT 1;
    v_found := FOUND;
  END IF;
  IF v_found AND v_target_result IS NULL THEN
    UPDATE runs SET ended_at = v_at, result = p_step->>'result', attempts = GREATEST(attempts, COALESCE(v_attempt, attempts)),
      duration_s = COALESCE(v_duration, GREATEST(0, (v_at - started_at) / 1000.0)), exit_code = v_exit,
      error_msg = p_step->>'errorMsg', size = p_step->>'size', transferred_bytes = v_bytes, files_transferred = v_files, log_file = v_log
    WHERE id = v_target RETURNING result, duration_s, transferred_bytes INTO r;
    PERFORM tunasync_record_stats(p_worker, p_mirror, r.result, r.duration_s, r.transferred_bytes);
    RETURN;
  END IF;
  IF v_found THEN
    UPDATE runs SET attempts = GREATEST(attempts, COALESCE(v_attempt, attempts)), exit_code = COALESCE(exit_code, v_exit),
      transferred_bytes = COALESCE(transferred_bytes, v_bytes), files_transferred = COALESCE(files_transferred, v_files),
      log_file = COALESCE(log_file, v_log)
    WHERE id = v_target;
    RETURN;
  END IF;
  -- A run that ends without a row: one closed row, started its duration ago (or now).
  v_started := CASE WHEN v_duration IS NOT NULL AND NOT v_match THEN v_at - floor(v_duration * 1000 + 0.5)::bigint ELSE v_at END;
  v_duration := COALESCE(v_duration, (v_at - v_started) / 1000.0);
  INSERT INTO runs (run_id, worker, mirror, trigger, started_at, ended_at, duration_s, result, attempts,
                    exit_code, error_msg, size, transferred_bytes, files_transferred, log_file)
  VALUES (v_run, p_worker, p_mirror, p_step->>'trigger', v_started, v_at, v_duration, p_step->>'result', COALESCE(v_attempt, 1),
          v_exit, p_step->>'errorMsg', p_step->>'size', v_bytes, v_files, v_log);
  PERFORM tunasync_record_stats(p_worker, p_mirror, p_step->>'result', v_duration, v_bytes);
END
$fn$;

CREATE OR REPLACE FUNCTION tunasync_run_steps(p_workers text[], p_mirrors text[], p_steps jsonb[])
RETURNS void LANGUAGE plpgsql AS $fn$
BEGIN
  FOR i IN 1 .. COALESCE(array_length(p_steps, 1), 0) LOOP
    PERFORM tunasync_run_step(p_workers[i], p_mirrors[i], p_steps[i]);
  END LOOP;
END
$fn$;
`;
