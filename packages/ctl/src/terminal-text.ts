/**
 * Text from the manager on an operator's terminal: a name, upstream or
 * error message may hold escape sequences (`ESC]0;…BEL` retitles the
 * terminal, `ESC[2K` erases a line, C1 `CSI` does the same in one
 * character, CR overwrites what was printed). Human output shows every
 * such character escaped, so nothing runs and nothing is hidden.
 */

// C0 controls, DEL, C1 controls, and the characters that reorder or break
// text on screen (bidi marks and overrides, line and paragraph separators).
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/g;

function escapeChar(c: string): string {
  const code = c.charCodeAt(0);
  return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * `text` with every control character shown as `\x1b` (`\u202e` above
 * U+00FF), newlines and tabs included: the result is one line that prints
 * as it reads.
 */
export function escapeTerminalText(text: string): string {
  return text.replace(CONTROL, escapeChar);
}

/** Like escapeTerminalText, but keeps the newlines (for messages of several lines). */
export function escapeTerminalLines(text: string): string {
  return text.split('\n').map(escapeTerminalText).join('\n');
}

/** A copy of `value` whose string fields are escaped (for `--format` templates and tables); other fields as they are. */
export function escapeStringFields<T extends object>(value: T): T {
  const out = { ...value } as Record<string, unknown>;
  for (const [key, field] of Object.entries(out)) if (typeof field === 'string') out[key] = escapeTerminalText(field);
  return out as T;
}
