/**
 * Numbers as netdata 1.37 prints them in its web API, digit for digit:
 * C's `%0.7f` / `%0.0f` (allmetrics) and print_netdata_double()
 * (`/api/v1/data`). C rounds an exact tie to even where JavaScript's
 * toFixed() rounds it up; both are handled.
 *
 * @module
 */

/** Rounds to the nearest integer, an exact tie to even (C's rint/llrint). */
function rint(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * C's `printf("%0.<digits>f", v)` for a finite double: the exact binary
 * value rounded half to even at `digits` decimals; negative zero keeps
 * its sign. NaN and infinities print as glibc does (`nan`, `inf`).
 */
export function printfFixed(v: number, digits: number): string {
  if (Number.isNaN(v)) return v < 0 ? "-nan" : "nan";
  if (!Number.isFinite(v)) return v < 0 ? "-inf" : "inf";
  const neg = v < 0 || Object.is(v, -0);
  const m = neg ? -v : v;
  let s = m.toFixed(digits);
  // toFixed rounds an exact tie away from zero; C to even.
  if (m < 1e21) {
    const exact = m.toFixed(100);
    const dot = exact.indexOf(".");
    const rest = exact.slice(dot + 1 + digits);
    if (/^50*$/.test(rest)) {
      const kept = exact.slice(0, digits === 0 ? dot : dot + 1 + digits);
      const last = kept.charCodeAt(kept.length - 1) - 48;
      if (last % 2 === 0) s = kept;
    }
  }
  return neg ? `-${s}` : s;
}

/**
 * netdata's print_netdata_double(): at most 7 decimals, rounded (a tie to
 * even), trailing zeros dropped, no dot for integers; `-0` only for a
 * negative that rounds to zero, never for negative zero itself. NaN and
 * infinities are `null` (buffer_rrd_value).
 */
export function printNetdataDouble(v: number): string {
  if (!Number.isFinite(v)) return "null";
  let sign = "";
  if (v < 0) {
    sign = "-";
    v = -v;
  }
  let ip = Math.trunc(v);
  let f = rint((v - ip) * 10000000.0);
  if (f >= 10000000) {
    ip += 1;
    f -= 10000000;
  }
  let s = sign + ip.toFixed(0);
  if (f !== 0) s += "." + String(f).padStart(7, "0").replace(/0+$/, "");
  return s;
}
