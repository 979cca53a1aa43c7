/**
 * Rate pages: an `incremental` dimension's page kept as what its values
 * were computed from, not as the values. Each slot's stored value is
 * netdata's interpolation of the collection's counter delta over the
 * slot's boundary (lib/storage/rrd.ts, `Chart.done`):
 *
 *     cv    = delta * multiplier / divisor
 *     x     = cv * a / b     (a, b: from the chart's SlotTimes, µs)
 *     value = (x + carried) / updateEvery,  packed as a storage number
 *     carried for the next slot = cv - x
 *
 * So a page is the multiplier and the divisor (zigzag varints), the value
 * carried into its first slot (a float64), then the deltas (one a slot, packed at their
 * band's bit width). A counter with a steady rate has one delta the whole
 * page: 14 bytes for 128 slots, where its values, a few ms of collection
 * jitter in their last digits, took 14 to 17 bits a slot.
 *
 * The encoder recovers each slot's delta from its storage number (the
 * nearest integer, then its neighbours), recomputes the slot with the same
 * arithmetic the decoder uses, and gives up on the page unless every slot
 * comes out as the same storage number: a page is a rate page only when
 * it decodes to exactly what was stored. Anything else (a gap, a reset's
 * flag, a slot more than one collection made or a collection made none
 * of, a fractional counter) leaves the page to the other modes.
 *
 * @module
 */

import {
  packStorageNumber,
  SN_DEFAULT_FLAGS,
  SN_EMPTY_SLOT,
  unpackStorageNumber,
} from "./storage_number.ts";
import type { SlotTimes } from "./slot_times.ts";
import {
  readBits,
  readVarint,
  varintEnd,
  widthOf,
  writeBits,
  writeVarint,
} from "./varint_bits.ts";

/** What encoding a page as rates needs besides its storage numbers. */
export interface RateInput {
  /** The chart's slot times. */
  times: SlotTimes;
  /** The page's index in the ring. */
  page: number;
  /** The value carried into the first slot (netdata's last calculated value). */
  carried: number;
  multiplier: number;
  divisor: number;
}

/** Deltas, and the chart's slot offsets, of the page being encoded or decoded. */
let deltas = new Uint32Array(128);
let offsets = new Uint32Array(128);
const f64 = new Float64Array(1);
const f64Bytes = new Uint8Array(f64.buffer);
/** The candidates tried for a slot's delta, around the nearest integer. */
const TRIES = [0, -1, 1, -2, 2];
const U32_MAX = 0xffffffff;

/** The scratch arrays, grown to hold `length` slots. */
function growScratch(length: number): void {
  if (deltas.length < length) {
    deltas = new Uint32Array(length);
    offsets = new Uint32Array(length);
  }
}

/** What {@link recompute} leaves to the next slot: `cv - x`. */
let carriedOut = 0;

/**
 * A slot's storage number from its delta, as `Chart.done` computes it
 * (lib/storage/rrd.ts); the value it carries to the next slot is left in
 * {@link carriedOut}. The encoder checks with it and the decoder reads
 * with it: one piece of arithmetic, so a page decodes to what was checked.
 */
function recompute(
  delta: number,
  m: number,
  d: number,
  a: number,
  b: number,
  carried: number,
  ue: number,
): number {
  const cv = delta * m / d;
  const x = cv * a / b;
  carriedOut = cv - x;
  return packStorageNumber((x + carried) / ue, SN_DEFAULT_FLAGS);
}

function zigzag(x: number): number {
  return x >= 0 ? 2 * x : -2 * x - 1;
}

function unzigzag(z: number): number {
  return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
}

/** A multiplier or divisor a rate page can hold: a non-zero integer of up to 30 bits. */
function isFactor(x: number): boolean {
  return Number.isInteger(x) && x !== 0 && Math.abs(x) < 2 ** 30;
}

/**
 * Writes `length` storage numbers of `raw` from `start` as a rate page
 * body at `out[at]` (the mode byte is the caller's); returns where it
 * ends, or -1 when the page is not one.
 */
export function encodeRate(
  raw: Uint32Array,
  length: number,
  start: number,
  input: RateInput,
  out: Uint8Array,
  at: number,
): number {
  const m = input.multiplier;
  const d = input.divisor;
  if (!isFactor(m) || !isFactor(d) || !Number.isFinite(input.carried)) {
    return -1;
  }
  let prev = input.times.prevOffset(input.page);
  if (prev < 0) return -1;
  growScratch(length);
  input.times.read(input.page, offsets);
  const ue = input.times.updateEverySec;
  const ueUs = ue * 1_000_000;
  let carried = input.carried;
  let min = U32_MAX;
  let max = 0;
  for (let k = 0; k < length; k++) {
    const sn = raw[start + k];
    const offset = offsets[k];
    if (offset === SN_EMPTY_SLOT) return -1;
    const a = ueUs - prev;
    const b = ueUs + offset - prev;
    prev = offset;
    const v = unpackStorageNumber(sn);
    const guess = Math.round((v * ue - carried) * b / a * d / m);
    if (!Number.isFinite(guess)) return -1;
    let found = -1;
    for (let t = 0; t < TRIES.length; t++) {
      const c = guess + TRIES[t];
      if (c < 0 || c > U32_MAX) continue;
      if (recompute(c, m, d, a, b, carried, ue) === sn) {
        found = c;
        carried = carriedOut;
        break;
      }
    }
    if (found < 0) return -1;
    deltas[k] = found;
    if (found < min) min = found;
    if (found > max) max = found;
  }
  at = writeVarint(out, at, zigzag(m));
  at = writeVarint(out, at, zigzag(d));
  f64[0] = input.carried;
  out.set(f64Bytes, at);
  at += 8;
  return writeBits(out, at, deltas, length, 0, min, widthOf(max - min));
}

/**
 * Decodes a rate page body at `bytes[at]` into `length` storage numbers
 * of `out` from `outStart`: page `page` of a ring of the chart whose slot
 * times are `times`.
 */
export function decodeRate(
  bytes: Uint8Array,
  at: number,
  out: Uint32Array,
  length: number,
  outStart: number,
  times: SlotTimes | undefined,
  page: number,
): void {
  let prev = times ? times.prevOffset(page) : -1;
  if (!times || prev < 0) {
    throw new Error("a rate page read without its chart's slot times");
  }
  const m = unzigzag(readVarint(bytes, at));
  const d = unzigzag(readVarint(bytes, varintEnd));
  at = varintEnd;
  f64Bytes.set(bytes.subarray(at, at + 8));
  let carried = f64[0];
  growScratch(length);
  readBits(bytes, at + 8, deltas, length, 0);
  times.read(page, offsets);
  const ue = times.updateEverySec;
  const ueUs = ue * 1_000_000;
  for (let k = 0; k < length; k++) {
    const offset = offsets[k];
    // the chart keeps a page's times while a rate page needs them
    if (offset === SN_EMPTY_SLOT) {
      throw new Error(`a rate page's slot times are gone (page ${page})`);
    }
    const a = ueUs - prev;
    const b = ueUs + offset - prev;
    out[outStart + k] = recompute(deltas[k], m, d, a, b, carried, ue);
    carried = carriedOut;
    prev = offset;
  }
}
