/**
 * One ajv instance and the glue that turns its errors into messages naming
 * the field at fault (`schedules[2].name: must be string`).
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { ValidationError } from './errors.js';

/** The shared ajv instance: all errors, defaults off (we apply them ourselves). */
export const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });

/** Converts a JSON pointer such as `/mirrors/3/interval` into `mirrors[3].interval`. */
export function pointerToPath(pointer: string): string {
  if (!pointer) return '';
  let out = '';
  for (const raw of pointer.split('/').slice(1)) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (/^\d+$/.test(seg)) out += `[${seg}]`;
    else out += out ? `.${seg}` : seg;
  }
  return out;
}

/** One readable problem from an ajv error: the key path and what is wrong with it. */
export interface SchemaProblem {
  /** Key path, empty for the root. */
  path: string;
  /** Why the value at `path` is wrong. */
  message: string;
  /** True when the problem is a key the schema does not know. */
  unknownKey?: boolean;
}

function join(base: string, key: string): string {
  return base ? `${base}.${key}` : key;
}

/** Turns ajv's errors into readable problems, one per distinct path. */
export function describeAjvErrors(errors: ErrorObject[] | null | undefined): SchemaProblem[] {
  const out: SchemaProblem[] = [];
  const seen = new Set<string>();
  for (const e of errors ?? []) {
    let path = pointerToPath(e.instancePath);
    let message = e.message ?? 'is invalid';
    let unknownKey = false;
    if (e.keyword === 'additionalProperties') {
      path = join(path, String((e.params as { additionalProperty: string }).additionalProperty));
      message = 'unknown key';
      unknownKey = true;
    } else if (e.keyword === 'required') {
      path = join(path, String((e.params as { missingProperty: string }).missingProperty));
      message = 'is required';
    } else if (e.keyword === 'enum') {
      const allowed = (e.params as { allowedValues: unknown[] }).allowedValues;
      message = `must be one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}`;
    }
    const key = `${path}\u0000${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(unknownKey ? { path, message, unknownKey } : { path, message });
  }
  return out;
}

/**
 * Validates `value` with a compiled schema; throws a ValidationError whose
 * message names every wrong field (prefixed with `what`, e.g. "MirrorStatus").
 */
export function assertValid<T>(validate: ValidateFunction<T>, value: unknown, what: string): asserts value is T {
  if (validate(value)) return;
  const problems = describeAjvErrors(validate.errors);
  const first = problems[0];
  const text = problems.map((p) => (p.path ? `${p.path}: ${p.message}` : p.message)).join('; ');
  throw new ValidationError(`invalid ${what}: ${text}`, first?.path || undefined);
}
