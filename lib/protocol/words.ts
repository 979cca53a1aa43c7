/**
 * netdata's word splitter for the plugins.d / streaming protocol
 * (`quoted_strings_splitter` with `pluginsd_space`, libnetdata 1.37):
 * - spaces, tabs, CR, LF and `=` separate words (so `SET x = 1` is 3 words);
 * - a word that starts with `'` or `"` runs to the same quote, spaces and
 *   all; the closing quote also ends the word;
 * - a backslash keeps the next character from ending the word (both stay);
 * - at most {@link MAX_WORDS} words; the rest of the line is ignored.
 *
 * @module
 */

/** netdata's PLUGINSD_MAX_WORDS. */
export const MAX_WORDS = 20;

/** A word separator of the protocol: space, tab, CR, LF or `=`. */
export function isSpace(c: number): boolean {
  // ' ', '\t', '\n', '\r', '='
  return c === 32 || c === 9 || c === 10 || c === 13 || c === 61;
}

/**
 * Splits `line` into `words` (reused between calls, so the hot path does
 * not allocate an array per line) and returns how many were found.
 */
export function splitWords(line: string, words: string[]): number {
  const len = line.length;
  let i = 0;
  let n = 0;
  while (n < MAX_WORDS) {
    while (i < len && isSpace(line.charCodeAt(i))) i++;
    if (i >= len) break;
    let quote = 0;
    const c = line.charCodeAt(i);
    if (c === 34 || c === 39) {
      quote = c;
      i++;
    }
    const start = i;
    let end = -1;
    while (i < len) {
      const ch = line.charCodeAt(i);
      if (ch === 92 && i + 1 < len) {
        i += 2;
        continue;
      }
      if (quote !== 0 ? ch === quote : isSpace(ch)) {
        end = i;
        i++;
        break;
      }
      i++;
    }
    words[n++] = line.slice(start, end < 0 ? len : end);
    if (end < 0) break;
  }
  return n;
}
