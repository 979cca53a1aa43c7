/**
 * netdata's simple patterns, used by [plugin:proc] exclusions and
 * `allow from` of stream API keys.
 *
 * @module
 */

/**
 * netdata's simple patterns: space-separated globs with `*`, a leading `!`
 * negates; the first pattern that matches decides.
 */
export function simplePatternMatch(patterns: string, value: string): boolean {
  for (const raw of patterns.split(/\s+/)) {
    if (raw === "") continue;
    const negate = raw.startsWith("!");
    const p = negate ? raw.slice(1) : raw;
    const re = new RegExp(
      "^" + p.split("*").map((s) =>
        s.replace(/[.+?^${}()|[\]\\]/g, "\\$&")
      ).join(".*") + "$",
    );
    if (re.test(value)) {
      return !negate;
    }
  }
  return false;
}
