/**
 * Schema checking for config files: ajv problems become ConfigIssues naming
 * the file and the key path; unknown keys are warnings, the rest errors.
 */
import type { ValidateFunction } from 'ajv';
import { ConfigError, formatConfigIssue, type ConfigIssue } from '../errors.js';
import { describeAjvErrors } from '../validate.js';

/** A loaded config plus the warnings found while loading it. */
export interface Loaded<T> {
  config: T;
  /** Human-readable warnings (unknown keys, ignored options), each naming file and key. */
  warnings: string[];
}

/** Problems found in one document. */
export interface CheckResult {
  errors: ConfigIssue[];
  warnings: ConfigIssue[];
}

/** Validates `data` (from `file`) and sorts the problems into errors and unknown-key warnings. */
export function checkAgainstSchema(validate: ValidateFunction, data: unknown, file: string): CheckResult {
  const result: CheckResult = { errors: [], warnings: [] };
  if (validate(data)) return result;
  for (const p of describeAjvErrors(validate.errors)) {
    const issue: ConfigIssue = { file, path: p.path, message: p.message };
    (p.unknownKey ? result.warnings : result.errors).push(issue);
  }
  return result;
}

/** Throws a ConfigError when there are errors; otherwise returns the formatted warnings. */
export function finish(result: CheckResult): string[] {
  if (result.errors.length > 0) throw new ConfigError(result.errors);
  return result.warnings.map(formatConfigIssue);
}

/** Reads `obj[key]` as a sub-table (empty when absent). */
export function table(obj: Record<string, unknown>, key: string): Record<string, unknown> {
  const v = obj[key];
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}
