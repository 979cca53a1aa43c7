/**
 * The codec of a ring's full pages: up to {@link PAGE_SLOTS} storage numbers
 * to a few bytes and back, exactly. A page is a mode byte, then one of:
 *
 * - {@link MODE_DELTAS}: the first storage number, then the delta of delta
 *   of the others (as 32-bit integers), zigzag varints, a run of zero
 *   deltas of delta as one token. A linear series (a counter's rate, a
 *   sawtooth) costs a few bytes a page.
 * - {@link MODE_BITS}: the page's smallest storage number (a varint), a bit
 *   width, then each slot less that smallest in that many bits. A series
 *   that wanders within a band (an interpolated rate: every collection a
 *   few ms off its second changes its last digits, so each slot differs
 *   from the last by up to some 17 bits) costs its band's width a slot
 *   instead of a 3-byte varint; a constant page is 7 bytes.
 *
 * The encoder takes the smaller (a page of deltas is cut short as soon as
 * it is no smaller than the other). netdata 1.37's ram mode keeps 4 bytes
 * a slot.
 *
 * @module
 */

/** Slots a page holds at most (a power of two). */
export const PAGE_SLOTS = 128;

/** Page modes: the first byte of a page. */
export const MODE_DELTAS = 0;
export const MODE_BITS = 1;

/**
 * Scratch for encoding: the mode byte, then a page of deltas (a token
 * takes at most 5 bytes).
 */
export const scratch = new Uint8Array(1 + PAGE_SLOTS * 5 + 16);

function writeVarint(out: Uint8Array, at: number, x: number): number {
  while (x >= 128) {
    out[at++] = (x % 128) | 128;
    x = Math.floor(x / 128);
  }
  out[at++] = x;
  return at;
}

/** Where the varint {@link readVarint} read last ended. */
let varintEnd = 0;

/** The varint at `bytes[at]`; it ends at {@link varintEnd}. */
function readVarint(bytes: Uint8Array, at: number): number {
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

function varintBytes(x: number): number {
  let n = 1;
  while (x >= 128) {
    x = Math.floor(x / 128);
    n++;
  }
  return n;
}

/**
 * Encodes `length` slots of `raw` from `start` into {@link scratch};
 * returns the encoded length (the bytes are `scratch[0..length)` until the
 * next encode).
 */
export function encodeToScratch(
  raw: Uint32Array,
  length: number,
  start = 0,
): number {
  let min = raw[start];
  let max = min;
  for (let i = 1; i < length; i++) {
    const v = raw[start + i];
    if (v < min) min = v;
    else if (v > max) max = v;
  }
  const range = max - min;
  const width = range === 0 ? 0 : 32 - Math.clz32(range);
  const bitsLength = 2 + varintBytes(min) + Math.ceil(length * width / 8);
  const deltasLength = encodeDeltas(raw, length, start, bitsLength);
  if (deltasLength < bitsLength) return deltasLength;
  return encodeBits(raw, length, start, min, width);
}

/**
 * A page of deltas into {@link scratch}; stops once `limit` bytes are
 * written (returns `limit` then: no smaller than the other mode).
 */
function encodeDeltas(
  raw: Uint32Array,
  length: number,
  start: number,
  limit: number,
): number {
  scratch[0] = MODE_DELTAS;
  let at = 1;
  let prev = 0;
  let prevDelta = 0;
  let run = 0;
  for (let i = 0; i < length; i++) {
    const v = raw[start + i] | 0;
    const delta = (v - prev) | 0;
    const dod = (delta - prevDelta) | 0;
    prev = v;
    // The first value is a delta from 0, not a slope.
    prevDelta = i === 0 ? 0 : delta;
    if (dod === 0) {
      run++;
      continue;
    }
    if (run > 0) {
      at = writeVarint(scratch, at, run * 2 + 1);
      run = 0;
    }
    // zigzag, then a literal token is even
    at = writeVarint(scratch, at, (((dod << 1) ^ (dod >> 31)) >>> 0) * 2);
    if (at >= limit) return limit;
  }
  if (run > 0) at = writeVarint(scratch, at, run * 2 + 1);
  return Math.min(at, limit);
}

/** A page of bits into {@link scratch}. */
function encodeBits(
  raw: Uint32Array,
  length: number,
  start: number,
  min: number,
  width: number,
): number {
  scratch[0] = MODE_BITS;
  let at = writeVarint(scratch, 1, min);
  scratch[at++] = width;
  if (width === 0) return at;
  // bits low first; at most 24 a write, so they fit a 31-bit accumulator
  let acc = 0;
  let n = 0;
  const put = (x: number, bits: number) => {
    acc |= x << n;
    n += bits;
    while (n >= 8) {
      scratch[at++] = acc & 255;
      acc >>>= 8;
      n -= 8;
    }
  };
  for (let i = 0; i < length; i++) {
    const x = raw[start + i] - min;
    if (width <= 24) put(x, width);
    else {
      put(x & 0xffff, 16);
      put(x >>> 16, width - 16);
    }
  }
  if (n > 0) scratch[at++] = acc & 255;
  return at;
}

/** Encodes `length` slots of `raw` (a copy of the encoded bytes). */
export function encodePage(raw: Uint32Array, length: number): Uint8Array {
  return scratch.slice(0, encodeToScratch(raw, length));
}

/**
 * Decodes a page that starts at `bytes[start]` into `length` slots of
 * `out` from `outStart`.
 */
export function decodePage(
  bytes: Uint8Array,
  out: Uint32Array,
  length: number,
  start = 0,
  outStart = 0,
): void {
  if (bytes[start] === MODE_BITS) {
    decodeBits(bytes, out, length, start + 1, outStart);
  } else decodeDeltas(bytes, out, length, start + 1, outStart);
}

function decodeDeltas(
  bytes: Uint8Array,
  out: Uint32Array,
  length: number,
  start: number,
  outStart: number,
): void {
  let at = start;
  let prev = 0;
  let prevDelta = 0;
  let i = outStart;
  const end = outStart + length;
  while (i < end) {
    const x = readVarint(bytes, at);
    at = varintEnd;
    if (x % 2 === 1) {
      // bounded by the page, so even a damaged page decodes in bounded time
      for (let n = Math.min((x - 1) / 2, end - i); n > 0; n--) {
        prev = (prev + prevDelta) | 0;
        out[i++] = prev;
      }
    } else {
      const zz = x / 2;
      const dod = (zz % 2 === 0 ? zz / 2 : -(zz + 1) / 2) | 0;
      prevDelta = (prevDelta + dod) | 0;
      prev = (prev + prevDelta) | 0;
      if (i === outStart) prevDelta = 0;
      out[i++] = prev;
    }
  }
}

function decodeBits(
  bytes: Uint8Array,
  out: Uint32Array,
  length: number,
  start: number,
  outStart: number,
): void {
  const min = readVarint(bytes, start);
  let at = varintEnd;
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
