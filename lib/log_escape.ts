/**
 * Escaping text that came from a peer (a child's hostname, a protocol
 * keyword, a plugin's output) before it goes into a log line, so a peer
 * cannot forge log lines (`\r`, `\n`), drive the terminal that shows them
 * (`\x1b[...`) or reorder what is shown (bidi controls).
 *
 * @module
 */

/**
 * C0 controls, DEL, C1 controls, the backslash (so an escape in the output
 * is always ours), and the Unicode line separators and bidi controls.
 */
const UNSAFE =
  // deno-lint-ignore no-control-regex -- matching them is the point
  /[\x00-\x1f\x7f-\x9f\\\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

function escapeOne(ch: string): string {
  if (ch === "\\") return "\\\\";
  const code = ch.charCodeAt(0);
  return code <= 0xff
    ? `\\x${code.toString(16).padStart(2, "0")}`
    : `\\u{${code.toString(16)}}`;
}

/**
 * `text` with every control character shown as `\xNN` (C0, DEL, C1), the
 * Unicode line separators and bidi controls as `\u{NNNN}`, and `\` as `\\`;
 * everything else (printable Unicode included) is kept as is.
 *
 * `escapeForLog("a\r\x1b[31m")` is `a\x0d\x1b[31m`.
 */
export function escapeForLog(text: string): string {
  UNSAFE.lastIndex = 0;
  return UNSAFE.test(text) ? text.replace(UNSAFE, escapeOne) : text;
}
