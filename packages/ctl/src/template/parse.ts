/**
 * Parser for the part of Go's text/template that `--format` needs: text,
 * `{{pipeline}}` actions with `-` trim markers, comments, `if`/`else
 * if`/`else`/`end` and `with`, pipelines with `|`, parenthesised
 * pipelines, field chains (`.Name`, `.LastUpdate.Unix`), string, raw
 * string, number, boolean and nil literals, and function calls. Variables
 * (`$x`), `range`, `define` and `template` are refused with a message.
 */
import { ValidationError } from '@tunasync/core';

/** One argument or the head of a command. */
export type Operand =
  | { kind: 'field'; chain: string[] }
  | { kind: 'string'; value: string }
  | { kind: 'number'; value: number }
  | { kind: 'bool'; value: boolean }
  | { kind: 'nil' }
  | { kind: 'func'; name: string }
  | { kind: 'pipe'; pipe: Pipeline };

/** Operands of one command: a function or value followed by its arguments. */
export type Command = Operand[];
/** Commands joined by `|`; each result is passed as the last argument of the next. */
export type Pipeline = Command[];

/** A parsed template node. */
export type TemplateNode =
  | { kind: 'text'; text: string }
  | { kind: 'action'; pipe: Pipeline }
  | { kind: 'if' | 'with'; branches: { cond: Pipeline; body: TemplateNode[] }[]; otherwise: TemplateNode[] };

/** Functions a template may call (Go's builtins that make sense here). */
export const TEMPLATE_FUNCTIONS = ['and', 'or', 'not', 'eq', 'ne', 'lt', 'le', 'gt', 'ge', 'len', 'print', 'printf', 'println'] as const;

function fail(message: string): never {
  throw new ValidationError(`template: ${message}`, 'format');
}

const GO_ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"', "'": "'", a: '\x07', b: '\b', f: '\f', v: '\v', '0': '\0' };

function unquote(body: string): string {
  return body.replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|.)/g, (all, e: string) => {
    if (e.length > 1) return String.fromCharCode(parseInt(e.slice(1), 16));
    const r = GO_ESCAPES[e];
    if (r === undefined) fail(`unknown escape sequence ${all}`);
    return r;
  });
}

/** Splits an action's body into tokens; quotes are kept together. */
function tokenize(src: string): string[] {
  const tokens: string[] = [];
  const re = /\s+|"(?:[^"\\]|\\.)*"|`[^`]*`|\(|\)|\||[^\s()|"`]+/gy;
  let m: RegExpExecArray | null;
  while (re.lastIndex < src.length && (m = re.exec(src)) !== null) {
    if (m[0].trim() !== '') tokens.push(m[0]);
  }
  if (re.lastIndex < src.length) fail(`unterminated quoted string in ${JSON.stringify(src)}`);
  return tokens;
}

function operand(tok: string, rest: string[]): Operand {
  if (tok === '(') return { kind: 'pipe', pipe: pipeline(rest, ')') };
  if (tok.startsWith('"')) return { kind: 'string', value: unquote(tok.slice(1, -1)) };
  if (tok.startsWith('`')) return { kind: 'string', value: tok.slice(1, -1) };
  if (tok === 'true' || tok === 'false') return { kind: 'bool', value: tok === 'true' };
  if (tok === 'nil') return { kind: 'nil' };
  if (/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(tok) || /^0[xX][0-9a-fA-F]+$/.test(tok)) return { kind: 'number', value: Number(tok) };
  if (tok === '.') return { kind: 'field', chain: [] };
  if (/^(\.[A-Za-z_][A-Za-z0-9_]*)+$/.test(tok)) return { kind: 'field', chain: tok.slice(1).split('.') };
  if (tok.startsWith('$')) fail(`variables such as ${tok} are not supported`);
  if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(tok)) {
    if (!(TEMPLATE_FUNCTIONS as readonly string[]).includes(tok)) fail(`function ${JSON.stringify(tok)} not defined`);
    return { kind: 'func', name: tok };
  }
  return fail(`unexpected ${JSON.stringify(tok)} in command`);
}

/** Reads a pipeline from `tokens` (consumed) up to `close` or the end. */
function pipeline(tokens: string[], close?: string): Pipeline {
  const pipe: Pipeline = [];
  let cmd: Command = [];
  for (;;) {
    const tok = tokens.shift();
    if (tok === undefined) {
      if (close) fail(`unclosed left paren`);
      break;
    }
    if (tok === close) break;
    if (tok === ')') fail('unexpected right paren');
    if (tok === '|') {
      if (cmd.length === 0) fail('missing command before |');
      pipe.push(cmd);
      cmd = [];
      continue;
    }
    cmd.push(operand(tok, tokens));
  }
  if (cmd.length === 0) fail(pipe.length === 0 ? 'missing value for command' : 'missing command after |');
  pipe.push(cmd);
  return pipe;
}

interface RawAction {
  body: string;
}

/** Splits template text into text pieces and action bodies, applying trim markers. */
function scan(src: string): (string | RawAction)[] {
  const out: (string | RawAction)[] = [];
  let i = 0;
  let trimNext = false;
  while (i < src.length) {
    const open = src.indexOf('{{', i);
    let text = src.slice(i, open === -1 ? src.length : open);
    if (trimNext) text = text.replace(/^\s+/, '');
    if (open === -1) {
      if (text) out.push(text);
      break;
    }
    let j = open + 2;
    const trimLeft = src.startsWith('- ', j) || src.startsWith('-\t', j) || src.startsWith('-\n', j);
    if (trimLeft) text = text.replace(/\s+$/, '');
    if (text) out.push(text);
    if (trimLeft) j += 1;
    // Find the closing braces outside of quotes.
    let k = j;
    let quote = '';
    for (; k < src.length; k++) {
      const c = src[k]!;
      if (quote) {
        if (c === '\\' && quote === '"') k++;
        else if (c === quote) quote = '';
      } else if (c === '"' || c === '`') quote = c;
      else if (src.startsWith('}}', k)) break;
    }
    if (k >= src.length) fail(quote ? 'unterminated quoted string' : 'unclosed action');
    let body = src.slice(j, k);
    trimNext = /\s-$/.test(body);
    if (trimNext) body = body.slice(0, -1);
    out.push({ body: body.trim() });
    i = k + 2;
  }
  return out;
}

/** Parses a template; throws a ValidationError (`template: …`) on a syntax error. */
export function parseTemplate(src: string): TemplateNode[] {
  const items = scan(src);
  type Frame = { node: Extract<TemplateNode, { kind: 'if' | 'with' }>; inElse: boolean };
  const root: TemplateNode[] = [];
  const stack: Frame[] = [];
  const target = (): TemplateNode[] => {
    const top = stack[stack.length - 1];
    if (!top) return root;
    return top.inElse ? top.node.otherwise : top.node.branches[top.node.branches.length - 1]!.body;
  };
  for (const item of items) {
    if (typeof item === 'string') {
      target().push({ kind: 'text', text: item });
      continue;
    }
    const body = item.body;
    if (body.startsWith('/*')) {
      if (!body.endsWith('*/')) fail('unclosed comment');
      continue;
    }
    const tokens = tokenize(body);
    const word = tokens[0];
    if (word === 'if' || word === 'with') {
      tokens.shift();
      const node: Frame['node'] = { kind: word, branches: [{ cond: pipeline(tokens), body: [] }], otherwise: [] };
      target().push(node);
      stack.push({ node, inElse: false });
    } else if (word === 'else') {
      const top = stack[stack.length - 1];
      if (!top || top.inElse) fail('unexpected {{else}}');
      tokens.shift();
      if (tokens[0] === 'if' && top.node.kind === 'if') {
        tokens.shift();
        top.node.branches.push({ cond: pipeline(tokens), body: [] });
      } else if (tokens.length > 0) {
        fail(`unexpected ${JSON.stringify(tokens.join(' '))} after else`);
      } else {
        top.inElse = true;
      }
    } else if (word === 'end') {
      if (tokens.length > 1) fail('unexpected words after end');
      if (!stack.pop()) fail('unexpected {{end}}');
    } else if (word === 'range' || word === 'define' || word === 'template' || word === 'block' || word === 'break' || word === 'continue') {
      fail(`{{${word}}} is not supported in --format (each job is formatted on its own)`);
    } else if (word === undefined) {
      fail('missing value for command');
    } else {
      target().push({ kind: 'action', pipe: pipeline(tokens) });
    }
  }
  if (stack.length > 0) fail(`unexpected EOF: {{${stack[stack.length - 1]!.node.kind}}} has no {{end}}`);
  return root;
}
