/**
 * Byte-level pieces of the page codecs (lib/storage/page_codec.ts,
 * lib/storage/rate_page.ts): unsigned varints (7 bits a byte, low first)
 * and runs of unsigned integers of up to 32 bits packed at one bit width
 * above their smallest.
 *
 * @module
 */

/** Writes varint `x` (a non-negative integer) at `out[at]`; returns where it ends. */
export function writeVarint(out: Uint8Array, at: number, x: number): number {
  while (x >= 128) {
    out[at++] = (x % 128) | 128;
    x = Math.floor(x / 128);
  }
  out[at++] = x;
  return at;
}

/** Where the varint {@link readVarint} read last ended: a live binding. */
export let varintEnd = 0;

/** The varint at `bytes[at]`; it ends at {@link varintEnd}. */
export function readVarint(bytes: Uint8Array, at: number): number {
  let x = 0;
  let scale = 1;
  for (;;) {
    const b = bytes[at++];
    x += (b & 127) * scale;
    if (b < 128) break;
    scale *= 128;
  }
  varintEnd = at;
  return x;
}

/** Bytes varint `x` takes. */
export function varintBytes(x: number): number {
  let n = 1;
  while (x >= 128) {
    x = Math.floor(x / 128);
    n++;
  }
  return n;
}

/** Bit width of `range` (the largest less the smallest): 0 for none. */
export function widthOf(range: number): number {
  return range === 0 ? 0 : 32 - Math.clz32(range);
}

/** Bytes {@link writeBits} takes for `length` values. */
export function bitsBytes(length: number, min: number, width: number): number {
  return 1 + varintBytes(min) + Math.ceil(length * width / 8);
}

/**
 * Writes `length` values of `values` from `start` at `out[at]`: the
 * varint `min` (their smallest), the byte `width`, then each value less
 * `min` in `width` bits, low first. Returns where it ends.
 */
export function writeBits(
  out: Uint8Array,
  at: number,
  values: Uint32Array,
  length: number,
  start: number,
  min: number,
  width: number,
): number {
  at = writeVarint(out, at, min);
  out[at++] = width;
  if (width === 0) return at;
  // at most 24 bits a write, so they fit a 31-bit accumulator
  let acc = 0;
  let n = 0;
  const put = (x: number, bits: number) => {
    acc |= x << n;
    n += bits;
    while (n >= 8) {
      out[at++] = acc & 255;
      acc >>>= 8;
      n -= 8;
    }
  };
  for (let i = 0; i < length; i++) {
    const x = values[start + i] - min;
    if (width <= 24) put(x, width);
    else {
      put(x & 0xffff, 16);
      put(x >>> 16, width - 16);
    }
  }
  if (n > 0) out[at++] = acc & 255;
  return at;
}

/** Reads what {@link writeBits} wrote at `bytes[at]` into `length` values of `out` from `outStart`. */
export function readBits(
  bytes: Uint8Array,
  at: number,
  out: Uint32Array,
  length: number,
  outStart: number,
): void {
  const min = readVarint(bytes, at);
  at = varintEnd;
  const width = bytes[at++];
  const end = outStart + length;
  if (width === 0) {
    out.fill(min, outStart, end);
    return;
  }
  let acc = 0;
  let n = 0;
  if (width <= 24) {
    const mask = (1 << width) - 1;
    for (let i = outStart; i < end; i++) {
      while (n < width) {
        acc |= bytes[at++] << n;
        n += 8;
      }
      out[i] = min + (acc & mask);
      acc >>>= width;
      n -= width;
    }
    return;
  }
  const high = width - 16;
  const highMask = high >= 16 ? 0xffff : (1 << high) - 1;
  for (let i = outStart; i < end; i++) {
    while (n < 16) {
      acc |= bytes[at++] << n;
      n += 8;
    }
    const low = acc & 0xffff;
    acc >>>= 16;
    n -= 16;
    while (n < high) {
      acc |= bytes[at++] << n;
      n += 8;
    }
    out[i] = min + low + (acc & highMask) * 65536;
    acc >>>= high;
    n -= high;
  }
}
