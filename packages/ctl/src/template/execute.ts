/**
 * Runs a parsed template against one value (the job or worker as `.`),
 * with Go's semantics for fields, method calls on times, pipelines, `if`,
 * `with` and the builtin functions. Errors read like Go's:
 * `can't evaluate field Worker in type WebMirrorStatus`.
 */
import { ValidationError } from '@tunasync/core';
import type { Command, Operand, Pipeline, TemplateNode } from './parse.js';
import { sprintf } from './printf.js';
import { TemplateStruct, TemplateTime, goTypeName, printValue, truth, type TemplateValue } from './values.js';

function fail(message: string): never {
  throw new ValidationError(`template: ${message}`, 'format');
}

/** Resolves `.A.B…` from `dot`; the last link may be a method taking `args`. */
function walk(dot: TemplateValue, chain: string[], args: TemplateValue[]): TemplateValue {
  let v = dot;
  chain.forEach((name, i) => {
    const last = i === chain.length - 1;
    if (v instanceof TemplateStruct) {
      if (!Object.hasOwn(v.fields, name)) {
        fail(`can't evaluate field ${name} in type ${v.typeName} (fields: ${Object.keys(v.fields).join(', ')})`);
      }
      if (last && args.length > 0) fail(`${name} is not a method but has arguments`);
      v = v.fields[name]!;
    } else if (v instanceof TemplateTime) {
      const r = v.call(name, last ? args : []);
      if (r === undefined) fail(`can't evaluate field ${name} in type time.Time`);
      v = r;
    } else {
      fail(`can't evaluate field ${name} in type ${goTypeName(v)}`);
    }
  });
  if (chain.length === 0 && args.length > 0) fail(`can't give argument to non-function .`);
  return v;
}

function compare(name: string, a: TemplateValue, b: TemplateValue): number {
  const key = (v: TemplateValue): number | string => (v instanceof TemplateTime ? v.date.getTime() : (v as number | string));
  const ka = key(a);
  const kb = key(b);
  const kind = (v: TemplateValue): string => (v instanceof TemplateTime ? 'time' : typeof v);
  if (kind(a) !== kind(b) || (typeof ka !== 'number' && typeof ka !== 'string')) {
    fail(`error calling ${name}: incompatible types for comparison (${goTypeName(a)} and ${goTypeName(b)})`);
  }
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

function equal(a: TemplateValue, b: TemplateValue): boolean {
  if (a instanceof TemplateTime && b instanceof TemplateTime) return a.date.getTime() === b.date.getTime();
  if (a instanceof TemplateStruct || b instanceof TemplateStruct) fail('error calling eq: non-comparable type');
  if (a !== null && b !== null && typeof a !== typeof b) {
    fail(`error calling eq: incompatible types for comparison (${goTypeName(a)} and ${goTypeName(b)})`);
  }
  return a === b;
}

/** Go's `fmt.Sprint`: a space between operands when neither is a string. */
function sprint(args: TemplateValue[]): string {
  let out = '';
  args.forEach((a, i) => {
    if (i > 0 && typeof a !== 'string' && typeof args[i - 1] !== 'string') out += ' ';
    out += printValue(a);
  });
  return out;
}

function arity(name: string, args: unknown[], min: number, max = min): void {
  if (args.length < min || args.length > max) fail(`wrong number of args for ${name}: want ${min === max ? min : `at least ${min}`} got ${args.length}`);
}

function callFunction(name: string, args: TemplateValue[]): TemplateValue {
  switch (name) {
    case 'and':
      arity(name, args, 1, Infinity);
      return args.find((a) => !truth(a)) ?? args[args.length - 1]!;
    case 'or':
      arity(name, args, 1, Infinity);
      return args.find((a) => truth(a)) ?? args[args.length - 1]!;
    case 'not':
      arity(name, args, 1);
      return !truth(args[0]!);
    case 'eq':
      arity(name, args, 2, Infinity);
      return args.slice(1).some((b) => equal(args[0]!, b));
    case 'ne':
      arity(name, args, 2);
      return !equal(args[0]!, args[1]!);
    case 'lt':
    case 'le':
    case 'gt':
    case 'ge': {
      arity(name, args, 2);
      const c = compare(name, args[0]!, args[1]!);
      return name === 'lt' ? c < 0 : name === 'le' ? c <= 0 : name === 'gt' ? c > 0 : c >= 0;
    }
    case 'len': {
      arity(name, args, 1);
      const v = args[0]!;
      if (typeof v === 'string') return Buffer.byteLength(v, 'utf8');
      return fail(`error calling len: len of type ${goTypeName(v)}`);
    }
    case 'print':
      return sprint(args);
    case 'println':
      return `${args.map(printValue).join(' ')}\n`;
    case 'printf': {
      arity(name, args, 1, Infinity);
      if (typeof args[0] !== 'string') fail('error calling printf: the format must be a string');
      return sprintf(args[0], args.slice(1));
    }
    default:
      return fail(`function ${JSON.stringify(name)} not defined`);
  }
}

function evalOperand(op: Operand, dot: TemplateValue, args: TemplateValue[] = []): TemplateValue {
  switch (op.kind) {
    case 'field': return walk(dot, op.chain, args);
    case 'string': return op.value;
    case 'number': return op.value;
    case 'bool': return op.value;
    case 'nil': return null;
    case 'pipe': return evalPipeline(op.pipe, dot);
    case 'func': return callFunction(op.name, args);
  }
}

function evalCommand(cmd: Command, dot: TemplateValue, piped: TemplateValue | undefined): TemplateValue {
  const [head, ...rest] = cmd;
  const args = rest.map((a) => evalOperand(a, dot));
  if (piped !== undefined) args.push(piped);
  if (head!.kind === 'func' || (head!.kind === 'field' && head!.chain.length > 0)) return evalOperand(head!, dot, args);
  if (args.length > 0) fail(`can't give argument to non-function ${head!.kind === 'field' ? '.' : printValue(evalOperand(head!, dot))}`);
  return evalOperand(head!, dot);
}

function evalPipeline(pipe: Pipeline, dot: TemplateValue): TemplateValue {
  let v: TemplateValue | undefined;
  for (const cmd of pipe) v = evalCommand(cmd, dot, v);
  return v!;
}

/** Renders `nodes` with `dot` as `.`. */
export function executeTemplate(nodes: TemplateNode[], dot: TemplateValue): string {
  let out = '';
  for (const node of nodes) {
    if (node.kind === 'text') out += node.text;
    else if (node.kind === 'action') out += printValue(evalPipeline(node.pipe, dot));
    else {
      let done = false;
      for (const b of node.branches) {
        const v = evalPipeline(b.cond, dot);
        if (truth(v)) {
          out += executeTemplate(b.body, node.kind === 'with' ? v : dot);
          done = true;
          break;
        }
      }
      if (!done) out += executeTemplate(node.otherwise, dot);
    }
  }
  return out;
}
