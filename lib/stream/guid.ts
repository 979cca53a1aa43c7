/**
 * The machine GUID skiff gives its own host: apart from the handshake, so
 * an agent that neither streams nor listens does not load it.
 *
 * @module
 */

/**
 * A machine GUID derived from a name, the same on every start, so a parent
 * keeps one host for this machine across restarts (netdata stores a random
 * one on disk; skiff writes nothing to disk).
 */
export function guidFromName(name: string): string {
  const words: string[] = [];
  for (let seed = 0; seed < 4; seed++) {
    let h = (0x811c9dc5 ^ Math.imul(seed + 1, 0x9e3779b1)) >>> 0;
    for (let i = 0; i < name.length; i++) {
      h ^= name.charCodeAt(i);
      h = Math.imul(h, 0x01000193) >>> 0;
    }
    words.push(h.toString(16).padStart(8, "0"));
  }
  const hex = words.join("");
  // version 5 and RFC 4122 variant bits, so it is a well-formed UUID
  const v = `${hex.slice(0, 12)}5${hex.slice(13, 16)}${
    ((parseInt(hex[16], 16) & 3) | 8).toString(16)
  }${hex.slice(17)}`;
  return `${v.slice(0, 8)}-${v.slice(8, 12)}-${v.slice(12, 16)}-${
    v.slice(16, 20)
  }-${v.slice(20, 32)}`;
}
