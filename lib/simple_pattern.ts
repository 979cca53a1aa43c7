/**
 * netdata's simple patterns: `send charts matching`, `send hosts matching`,
 * `allow from` of stream API keys.
 *
 * @module
 */

/** A compiled simple pattern: true when the value is matched positively. */
export type SimplePattern = (value: string) => boolean;

/**
 * Compiles netdata's simple patterns once: space-separated globs with `*`,
 * a leading `!` negates; the first pattern that matches decides; nothing
 * matching is false.
 */
export function compileSimplePattern(patterns: string): SimplePattern {
  const compiled = patterns.split(/\s+/).filter((p) => p !== "").map(
    (raw) => {
      const negate = raw.startsWith("!");
      const p = negate ? raw.slice(1) : raw;
      const re = new RegExp(
        "^" + p.split("*").map((s) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
          .join(".*") +
          "$",
        "s",
      );
      return { negate, re };
    },
  );
  return (value) => {
    for (const { negate, re } of compiled) {
      if (re.test(value)) return !negate;
    }
    return false;
  };
}

/** Matches `value` against `patterns` (compiled each call; see {@link compileSimplePattern}). */
export function simplePatternMatch(patterns: string, value: string): boolean {
  return compileSimplePattern(patterns)(value);
}
