/**
 * Splits a command line into words as a POSIX shell would, without running
 * a shell and without expanding anything (tunasync's go-shlex behaviour):
 * single quotes are literal, double quotes allow `\"`, `\\`, `\$` and `` \` ``,
 * a backslash outside quotes escapes the next character. Written here because
 * shell-quote, the common library, also expands `$VAR` and parses operators,
 * which would change the command a mirror operator wrote.
 */

/** Splits `line` into words; throws on an unterminated quote or trailing backslash. */
export function splitShellWords(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let i = 0;
  while (i < line.length) {
    const c = line[i]!;
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unterminated single quote in ${JSON.stringify(line)}`);
      word += line.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (c === '"') {
      i += 1;
      let closed = false;
      while (i < line.length) {
        const d = line[i]!;
        if (d === '"') {
          closed = true;
          i += 1;
          break;
        }
        if (d === '\\' && i + 1 < line.length && '"\\$`\n'.includes(line[i + 1]!)) {
          if (line[i + 1] !== '\n') word += line[i + 1];
          i += 2;
          continue;
        }
        word += d;
        i += 1;
      }
      if (!closed) throw new Error(`unterminated double quote in ${JSON.stringify(line)}`);
      inWord = true;
    } else if (c === '\\') {
      if (i + 1 >= line.length) throw new Error(`trailing backslash in ${JSON.stringify(line)}`);
      if (line[i + 1] !== '\n') {
        word += line[i + 1];
        inWord = true;
      }
      i += 2;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      i += 1;
    } else {
      word += c;
      inWord = true;
      i += 1;
    }
  }
  if (inWord) words.push(word);
  return words;
}
