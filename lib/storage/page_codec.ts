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
 * - {@link MODE_RATE}: an incremental dimension's page as the counter
 *   deltas its values were interpolated from (lib/storage/rate_page.ts);
 *   decoding it needs the chart's slot times. Tried only when the ring's
 *   writer gave what it needs, and kept only when it decodes exactly.
 *
 * The encoder takes the smallest (a page of deltas is cut short as soon as
 * it is no smaller than another). netdata 1.37's ram mode keeps 4 bytes
 * a slot.
 *
 * @module
 */

import { decodeRate, encodeRate, type RateInput } from "./rate_page.ts";
import type { SlotTimes } from "./slot_times.ts";
import {
  bitsBytes,
  readBits,
  readVarint,
  varintEnd,
  widthOf,
  writeBits,
  writeVarint,
} from "./varint_bits.ts";

export type { RateInput };

/** Slots a page holds at most (a power of two). */
export const PAGE_SLOTS = 128;

/** Page modes: the first byte of a page. */
export const MODE_DELTAS = 0;
export const MODE_BITS = 1;
export const MODE_RATE = 2;

/**
 * Scratch for encoding: the mode byte, then a page of deltas (a token
 * takes at most 5 bytes).
 */
export const scratch = new Uint8Array(1 + PAGE_SLOTS * 5 + 16);
/**
 * The smallest rate page: the mode, a multiplier and a divisor of one byte,
 * the carried float64, one delta's varint and width.
 */
const RATE_MIN_BYTES = 1 + 1 + 1 + 8 + 1 + 1;
/** Scratch for a rate page (lib/storage/rate_page.ts): at most 4 bytes a delta. */
const rateScratch = new Uint8Array(1 + 5 + 5 + 8 + 6 + PAGE_SLOTS * 4);

/**
 * Encodes `length` slots of `raw` from `start` into {@link scratch};
 * returns the encoded length (the bytes are `scratch[0..length)` until the
 * next encode). With `rate` (an incremental dimension's page), a rate page
 * is tried too.
 */
export function encodeToScratch(
  raw: Uint32Array,
  length: number,
  start = 0,
  rate?: RateInput,
): number {
  let min = raw[start];
  let max = min;
  for (let i = 1; i < length; i++) {
    const v = raw[start + i];
    if (v < min) min = v;
    else if (v > max) max = v;
  }
  const width = widthOf(max - min);
  const bitsLength = 1 + bitsBytes(length, min, width);
  const deltasLength = encodeDeltas(raw, length, start, bitsLength);
  const best = Math.min(deltasLength, bitsLength);
  // a rate page is tried only where it can be smaller
  if (rate && best > RATE_MIN_BYTES) {
    const rateLength = encodeRate(raw, length, start, rate, rateScratch, 1);
    if (rateLength > 0 && rateLength < best) {
      rateScratch[0] = MODE_RATE;
      scratch.set(rateScratch.subarray(0, rateLength));
      return rateLength;
    }
  }
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
  return writeBits(scratch, 1, raw, length, start, min, width);
}

/** Encodes `length` slots of `raw` (a copy of the encoded bytes). */
export function encodePage(raw: Uint32Array, length: number): Uint8Array {
  return scratch.slice(0, encodeToScratch(raw, length));
}

/**
 * Decodes a page that starts at `bytes[start]` into `length` slots of
 * `out` from `outStart`. A rate page needs its chart's slot `times` and
 * its index in the ring (`page`).
 */
export function decodePage(
  bytes: Uint8Array,
  out: Uint32Array,
  length: number,
  start = 0,
  outStart = 0,
  times?: SlotTimes,
  page = 0,
): void {
  const mode = bytes[start];
  if (mode === MODE_BITS) {
    readBits(bytes, start + 1, out, length, outStart);
  } else if (mode === MODE_RATE) {
    decodeRate(bytes, start + 1, out, length, outStart, times, page);
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
