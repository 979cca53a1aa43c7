/**
 * netdata's simple patterns: `send charts matching`, `send hosts matching`,
 * `allow from` of stream API keys.
 *
 * @module
 */

/** A compiled simple pattern: true when the value is matched positively. */
export type SimplePattern = (value: string) => boolean;

/**
 * Compiles netdata's simple patterns once: globs with `*` separated by
 * `separators` (spaces; `/api/v1/data`'s dimensions use `,|` too),
 * a leading `!` negates; the first pattern that matches decides; nothing
 * matching is false.
 */
export function compileSimplePattern(
  patterns: string,
  separators: RegExp = /\s+/,
): SimplePattern {
  const compiled = patterns.split(separators).filter((p) => p !== "").map(
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

/**
 * netdata's `allow ... from` check (connection_allowed()), without DNS: a
 * peer address matches netdata simple patterns (an IPv4-mapped IPv6 address
 * as IPv4); failing that, where netdata's "heuristic" would ask reverse DNS
 * (patterns with letters or wildcards and no `:`), a loopback address is
 * tried as `localhost`, the name DNS gives it. Other names are not looked
 * up.
 */
export function accessList(patterns: string): (address: string) => boolean {
  const pattern = compileSimplePattern(patterns);
  const words = patterns.split(/\s+/).filter((w) => w !== "");
  const potentialName = !patterns.includes(":") &&
    words.some((w) => /[a-zA-Z*]/.test(w));
  return (address) => {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    const ip = mapped ? mapped[1] : address;
    if (pattern(ip)) return true;
    const loopback = ip === "::1" || ip.startsWith("127.");
    return potentialName && loopback && pattern("localhost");
  };
}
