/**
 * netdata's 32-bit storage number: a value packed into 4 bytes with a 24-bit
 * mantissa and a decimal exponent, as `pack_storage_number` /
 * `unpack_storage_number` in netdata 1.37 (libnetdata/storage_number). Using
 * the same packing makes skiff's stored points, and so its averages and sums,
 * the same as netdata's for the same input, at 4 bytes per point.
 *
 * @module
 */

/** The anomaly bit; netdata sets it ("not anomalous") on every stored value. */
export const SN_FLAG_NOT_ANOMALOUS = 1 << 24;
/** Set on a point whose counter overflowed or reset. */
export const SN_FLAG_RESET = 1 << 25;
const SN_FLAG_NOT_EXISTS_MUL100 = 1 << 26;
const SN_FLAG_MULTIPLY = 1 << 30;
const SN_FLAG_NEGATIVE = 2 ** 31;
/** The gap marker: a slot with no value. */
export const SN_EMPTY_SLOT = SN_FLAG_NOT_EXISTS_MUL100;
/** Flags of an ordinary stored value. */
export const SN_DEFAULT_FLAGS = SN_FLAG_NOT_ANOMALOUS;

const MANTISSA_MAX = 0x00ffffff;
const MANTISSA_MASK = 0x00ffffff;

/** Round half to even, as C's lrint() in the default rounding mode. */
function lrint(n: number): number {
  const f = Math.floor(n);
  const d = n - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** Packs `value` (NaN/Infinity -> empty slot) with `flags`. */
export function packStorageNumber(
  value: number,
  flags: number = SN_DEFAULT_FLAGS,
): number {
  if (!Number.isFinite(value)) return SN_EMPTY_SLOT;
  let r = flags & (SN_FLAG_NOT_ANOMALOUS | SN_FLAG_RESET);
  if (value === 0 || Math.abs(value) < 2.2250738585072014e-308) return r;

  let m = 0;
  let n = value;
  let factor = 10;
  if (n < 0) {
    r += SN_FLAG_NEGATIVE;
    n = -n;
  }
  if (n / 10000000.0 > MANTISSA_MAX) {
    factor = 100;
    r += SN_FLAG_NOT_EXISTS_MUL100;
  }
  while (m < 7 && n > MANTISSA_MAX) {
    n /= factor;
    m++;
  }
  if (m) {
    r += SN_FLAG_MULTIPLY + m * (1 << 27);
    if (n > MANTISSA_MAX) return r + MANTISSA_MAX;
  } else {
    // 0x0019999e * 10 still fits in 24 bits: scale small values up.
    while (m < 7 && n < 0x0019999e) {
      n *= 10;
      m++;
    }
    if (n > MANTISSA_MAX) {
      n /= 10;
      m--;
    }
    r += m * (1 << 27);
  }
  return r + lrint(n);
}

// Powers of ten by exponent field (factor 10 or 100). netdata multiplies by
// a reciprocal in long double; in double, dividing by the power is what
// rounds to the same (correctly rounded) result.
const POW = new Float64Array(16);
for (let i = 0; i < 8; i++) {
  POW[i] = Math.pow(10, i);
  POW[8 + i] = Math.pow(100, i);
}

/** Unpacks a storage number; the empty slot gives NaN. */
export function unpackStorageNumber(sn: number): number {
  if (sn === SN_EMPTY_SLOT) return NaN;
  const sign = sn >= SN_FLAG_NEGATIVE ? -1 : 1;
  const multiply = (sn & SN_FLAG_MULTIPLY) !== 0;
  const factor = (sn & SN_FLAG_NOT_EXISTS_MUL100) ? 8 : 0;
  const p = POW[factor + ((sn >>> 27) & 7)];
  const n = sn & MANTISSA_MASK;
  return sign * (multiply ? n * p : n / p);
}

/** True when the slot holds a value (is not a gap). */
export function storageNumberExists(sn: number): boolean {
  return sn !== SN_EMPTY_SLOT;
}
