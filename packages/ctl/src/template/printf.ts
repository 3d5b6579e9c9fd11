/**
 * Go's `fmt.Sprintf` for the verbs a format line uses: `%v %s %q %d %t %f
 * %g %e %x %X %%`, with the `-`, `+`, space and `0` flags, a width and a
 * precision. A verb that does not fit its operand prints as Go does:
 * `%!d(string=abc)`.
 */
import { TemplateTime, goNumber, goTypeName, printValue, type TemplateValue } from './values.js';

function quote(s: string): string {
  return JSON.stringify(s).replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

function bad(verb: string, v: TemplateValue): string {
  return `%!${verb}(${goTypeName(v)}=${printValue(v)})`;
}

function withSign(s: string, n: number, flags: string): string {
  if (n >= 0 && flags.includes('+')) return `+${s}`;
  if (n >= 0 && flags.includes(' ')) return ` ${s}`;
  return s;
}

function verbText(verb: string, v: TemplateValue, flags: string, prec: number | undefined): string {
  switch (verb) {
    case 'v':
      return printValue(v);
    case 's': {
      if (typeof v === 'number' || typeof v === 'boolean') return bad(verb, v);
      const s = printValue(v);
      return prec === undefined ? s : [...s].slice(0, prec).join('');
    }
    case 'q':
      return typeof v === 'string' || v instanceof TemplateTime ? quote(String(v)) : bad(verb, v);
    case 't':
      return typeof v === 'boolean' ? String(v) : bad(verb, v);
    case 'd':
      return typeof v === 'number' && Number.isInteger(v) ? withSign(String(v), v, flags) : bad(verb, v);
    case 'x':
    case 'X': {
      let s: string;
      if (typeof v === 'number' && Number.isInteger(v)) s = (v < 0 ? '-' : '') + Math.abs(v).toString(16);
      else if (typeof v === 'string') s = Buffer.from(v, 'utf8').toString('hex');
      else return bad(verb, v);
      return verb === 'X' ? s.toUpperCase() : s;
    }
    case 'f':
    case 'F':
      return typeof v === 'number' ? withSign(v.toFixed(prec ?? 6), v, flags) : bad(verb, v);
    case 'e':
      return typeof v === 'number' ? withSign(v.toExponential(prec ?? 6).replace(/e([+-])(\d)$/, 'e$10$2'), v, flags) : bad(verb, v);
    case 'g':
      return typeof v === 'number' ? withSign(prec === undefined ? goNumber(v) : String(Number(v.toPrecision(prec))), v, flags) : bad(verb, v);
    default:
      return `%!${verb}(${goTypeName(v)}=${printValue(v)})`;
  }
}

/** Go's `fmt.Sprintf(format, args...)`. */
export function sprintf(format: string, args: TemplateValue[]): string {
  let out = '';
  let argi = 0;
  const re = /%([-+ 0#]*)(\d+)?(?:\.(\d*))?([a-zA-Z%])?/g;
  let last = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(format)) !== null) {
    out += format.slice(last, m.index);
    last = re.lastIndex;
    const [, flags = '', width, precText, verb] = m;
    if (verb === undefined) {
      out += '%!(NOVERB)';
      continue;
    }
    if (verb === '%') {
      out += '%';
      continue;
    }
    if (argi >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    const v = args[argi++]!;
    const prec = precText === undefined ? undefined : Number(precText || '0');
    let text = verbText(verb, v, flags, prec);
    const w = width === undefined ? 0 : Number(width);
    if (text.length < w) {
      if (flags.includes('-')) text = text.padEnd(w, ' ');
      else if (flags.includes('0') && typeof v === 'number') {
        const sign = /^[+\- ]/.test(text) ? text[0]! : '';
        text = sign + text.slice(sign.length).padStart(w - sign.length, '0');
      } else text = text.padStart(w, ' ');
    }
    out += text;
  }
  out += format.slice(last);
  if (argi < args.length) out += `%!(EXTRA ${args.slice(argi).map((a) => `${goTypeName(a)}=${printValue(a)}`).join(', ')})`;
  return out;
}
