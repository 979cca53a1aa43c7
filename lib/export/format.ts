/**
 * Number and name formatting, byte-exact with netdata's printf formats.
 *
 * @module
 */

/**
 * `%0.7f`: seven decimals. JavaScript's toFixed rounds exact ties up, C's
 * printf rounds them to even (1/256 = 0.00390625 prints 0.0039062 in C);
 * exact ties are detected and rounded as C does.
 */
export function formatFixed7(x: number): string {
  if (!Number.isFinite(x)) return x > 0 ? "inf" : x < 0 ? "-inf" : "nan";
  // toFixed switches to exponent notation at 1e21; printf does not. Such a
  // double is an integer, so its digits are exact.
  if (Math.abs(x) >= 1e21) return `${BigInt(x)}.0000000`;
  const scaled = x * 1e8;
  if (
    Number.isInteger(scaled) && Math.abs(scaled) % 10 === 5 &&
    scaled / 1e8 === x && Math.abs(scaled) < Number.MAX_SAFE_INTEGER
  ) {
    // An exact tie at the 8th decimal: round half to even.
    const abs = Math.abs(scaled);
    let q = (abs - 5) / 10;
    if (q % 2 === 1) q += 1;
    const s = (q / 1e7).toFixed(7);
    return x < 0 ? "-" + s : s;
  }
  const s = x.toFixed(7);
  // printf keeps the sign of a negative value that rounds to zero.
  if (x < 0 && s[0] !== "-") return "-" + s;
  return s;
}

/** `%lld` of a collected value (an int64 in netdata). */
export function formatCollected(v: number): string {
  if (Number.isSafeInteger(v)) return String(v);
  if (!Number.isFinite(v)) return "0";
  return BigInt(Math.trunc(v)).toString();
}

/**
 * netdata's exporting_name_copy(): every character other than a letter, a
 * digit or `.` becomes `_`, so spaces and protocol separators cannot break a
 * line.
 */
export function sanitizeName(name: string): string {
  let clean = true;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (
      !((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) ||
        c === 46)
    ) {
      clean = false;
      break;
    }
  }
  return clean ? name : name.replace(/[^A-Za-z0-9.]/g, "_");
}

/**
 * A Graphite tag value as netdata 1.37's sanitize_graphite_label_value():
 * spaces, `;` and `~` become `_`.
 */
export function sanitizeGraphiteLabelValue(value: string): string {
  return /[\s;~]/.test(value) ? value.replace(/[\s;~]/g, "_") : value;
}

/**
 * An OpenTSDB tag value as netdata 1.37's sanitize_opentsdb_label_value():
 * letters, digits, `-`, `.`, `/` and non-ASCII (UTF-8) characters stay;
 * anything else becomes `_`.
 */
export function sanitizeOpentsdbLabelValue(value: string): string {
  return value.replace(/[^A-Za-z0-9\-./\u0080-\uffff]/g, "_");
}

/**
 * netdata's netdata_fix_chart_id(): lower case; letters, digits, `-` and
 * `.` stay, `,` becomes `.`, anything else `_`.
 */
export function fixChartId(id: string): string {
  return id.toLowerCase().replace(/,/g, ".").replace(/[^a-z0-9.\-]/g, "_");
}

/**
 * The hostname part of a line. netdata writes it unchanged; skiff keeps what
 * is safe in both protocols (letters, digits, `-`, `_`, `.`, `/`, so
 * `edge-1.example` stays as netdata sends it) and turns anything that could
 * break a line or an OpenTSDB tag (spaces, `=`, control characters) into `_`.
 */
export function sanitizeHostname(name: string): string {
  return /^[A-Za-z0-9._\/-]*$/.test(name)
    ? name
    : name.replace(/[^A-Za-z0-9._\/-]/g, "_");
}
