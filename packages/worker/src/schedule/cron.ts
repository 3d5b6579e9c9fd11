/**
 * Cron expressions as the worker has always read them: node-schedule parses
 * a cron string with cron-parser, so we ask the same cron-parser (node-
 * schedule's own copy, loaded from beside it, so no second version can
 * drift) for the next match after any instant, which lets a schedule policy
 * answer from an injected clock instead of the wall clock.
 */
import { createRequire } from 'node:module';

interface CronDateLike {
  getTime(): number;
}
interface CronExpressionLike {
  next(): CronDateLike;
}
interface CronParserLike {
  parseExpression(expression: string, options?: { currentDate?: Date; tz?: string }): CronExpressionLike;
}

const requireHere = createRequire(import.meta.url);
const parser = createRequire(requireHere.resolve('node-schedule'))('cron-parser') as CronParserLike;

/** True when `expr` is a cron expression (5 fields, or 6 with seconds first). */
export function isValidCron(expr: string): boolean {
  if (expr.trim() === '') return false;
  try {
    parser.parseExpression(expr);
    return true;
  } catch {
    return false;
  }
}

/** The first match of `expr` strictly after `after`; undefined when it never matches again or is invalid. */
export function nextCronMatch(expr: string, after: Date, tz?: string): Date | undefined {
  try {
    const next = parser.parseExpression(expr, { currentDate: after, ...(tz ? { tz } : {}) }).next();
    return new Date(next.getTime());
  } catch {
    return undefined;
  }
}
