/**
 * Shell-style globs for mirror names (`debian*`, `ubuntu-?`, `[a-c]*`,
 * `[!x]*`): `*` any run of characters, `?` one character, `[…]` one of a
 * set (`!` or `^` first negates, `a-z` ranges), `\` quotes the next
 * character. A word without these is a plain name.
 */

const SPECIAL = /[*?[\\]/;

/** Whether `word` holds glob syntax (and so names a pattern, not a mirror). */
export function isGlob(word: string): boolean {
  return SPECIAL.test(word);
}

const escapeRe = (c: string): string => c.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
/** A character as a member of a RegExp class. */
const escapeMember = (c: string): string => c.replace(/[\\\]^[-]/g, '\\$&');

/** The anchored RegExp of a glob; an unclosed `[` stands for itself. */
export function globToRegExp(glob: string): RegExp {
  const chars = [...glob];
  let re = '';
  for (let i = 0; i < chars.length; i += 1) {
    const c = chars[i]!;
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '\\' && i + 1 < chars.length) re += escapeRe(chars[++i]!);
    else if (c === '[') {
      let j = i + 1;
      let negate = false;
      if (chars[j] === '!' || chars[j] === '^') {
        negate = true;
        j += 1;
      }
      const start = j;
      // A `]` right after `[` or `[!` is a member, as in the shell.
      if (chars[j] === ']') j += 1;
      while (j < chars.length && chars[j] !== ']') j += 1;
      if (j >= chars.length) {
        re += '\\[';
        continue;
      }
      const members = chars.slice(start, j);
      let set = '';
      for (let k = 0; k < members.length; k += 1) {
        const m = members[k]!;
        if (members[k + 1] === '-' && k + 2 < members.length) {
          set += `${escapeMember(m)}-${escapeMember(members[k + 2]!)}`;
          k += 2;
        } else set += escapeMember(m);
      }
      re += `[${negate ? '^' : ''}${set}]`;
      i = j;
    } else re += escapeRe(c);
  }
  return new RegExp(`^${re}$`, 'su');
}

/** Whether `name` matches `glob` (a plain word matches only itself). */
export function matchGlob(glob: string, name: string): boolean {
  return isGlob(glob) ? globToRegExp(glob).test(name) : glob === name;
}
