/**
 * The values a `--format` template sees: Go-named structs (MirrorStatus,
 * WebMirrorStatus, WorkerStatus), times with Go's methods, and plain
 * strings, numbers and booleans, printed as Go's fmt prints them.
 */
import { ValidationError, isZeroTime } from '@tunasync/core';
import { formatGoTime, goTimeString, localZone, UTC_ZONE, type GoZone } from '../go-time.js';

/** A struct with Go field names (`Name`, `LastUpdate`, …). */
export class TemplateStruct {
  /**
   * @param typeName Go type name, used in error messages (`WebMirrorStatus`).
   * @param fields Values by Go field name.
   */
  constructor(
    readonly typeName: string,
    readonly fields: Readonly<Record<string, TemplateValue>>,
  ) {}
}

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/** A Go `time.Time`: prints as `String()` and answers its common methods. */
export class TemplateTime {
  /**
   * @param date The instant.
   * @param zone The zone it is shown in.
   */
  constructor(
    readonly date: Date,
    readonly zone: GoZone,
  ) {}

  /** Go's `String()`. */
  toString(): string {
    return goTimeString(this.date, this.zone);
  }

  /** Calls method `name`; undefined when Time has no such method. */
  call(name: string, args: TemplateValue[]): TemplateValue | undefined {
    const arity = (n: number): void => {
      if (args.length !== n) throw new ValidationError(`template: wrong number of args for ${name}: want ${n} got ${args.length}`, 'format');
    };
    const wall = new Date(this.date.getTime() + this.zone.offsetMinutes * 60_000);
    switch (name) {
      case 'Format': {
        arity(1);
        if (typeof args[0] !== 'string') throw new ValidationError(`template: Format takes a layout string`, 'format');
        return formatGoTime(this.date, args[0], this.zone);
      }
      case 'String': arity(0); return this.toString();
      case 'Unix': arity(0); return Math.floor(this.date.getTime() / 1000);
      case 'UnixMilli': arity(0); return this.date.getTime();
      case 'IsZero': arity(0); return isZeroTime(this.date);
      case 'UTC': arity(0); return new TemplateTime(this.date, UTC_ZONE);
      case 'Local': arity(0); return new TemplateTime(this.date, localZone(this.date));
      case 'Year': arity(0); return wall.getUTCFullYear();
      case 'Month': arity(0); return MONTHS[wall.getUTCMonth()]!;
      case 'Day': arity(0); return wall.getUTCDate();
      case 'Weekday': arity(0); return DAYS[wall.getUTCDay()]!;
      case 'Hour': arity(0); return wall.getUTCHours();
      case 'Minute': arity(0); return wall.getUTCMinutes();
      case 'Second': arity(0); return wall.getUTCSeconds();
      default: return undefined;
    }
  }
}

/** Anything a template expression can produce. */
export type TemplateValue = string | number | boolean | null | TemplateStruct | TemplateTime;

/** Go's idea of a value's type name, for error messages. */
export function goTypeName(v: TemplateValue): string {
  if (v === null) return 'nil';
  if (v instanceof TemplateStruct) return v.typeName;
  if (v instanceof TemplateTime) return 'time.Time';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float64';
  return typeof v === 'boolean' ? 'bool' : 'string';
}

/** Formats a number as Go's `%v` does (`%g` for floats, shortest form). */
export function goNumber(n: number): string {
  if (Number.isInteger(n)) return String(n);
  const s = String(n);
  return s.includes('e') ? s.replace(/e([+-])(\d)$/, 'e$10$2') : s;
}

/** The text Go's `fmt.Sprint` gives for a value (`%v`). */
export function printValue(v: TemplateValue): string {
  if (v === null) return '<nil>';
  if (typeof v === 'number') return goNumber(v);
  if (v instanceof TemplateStruct) return `{${Object.values(v.fields).map(printValue).join(' ')}}`;
  return String(v);
}

/** Go templates' truth: false, 0, nil and "" are false; structs and times are true. */
export function truth(v: TemplateValue): boolean {
  if (v === null || v === false || v === 0 || v === '') return false;
  return true;
}
