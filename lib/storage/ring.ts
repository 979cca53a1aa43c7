/**
 * A dimension's ring of slots, in pages that cost memory only once
 * written: a page of {@link PAGE_SLOTS} storage numbers is allocated on its
 * first non-empty write, and compressed when its last slot is written (the
 * write pointer moves on). A compressed page is decoded again when written
 * (the next lap of the ring, a replay); reads of it go through a one-page
 * cache shared by every ring, as queries read one dimension at a time.
 *
 * netdata 1.37's ram mode keeps one 4-byte storage number per slot and
 * touches its pages as they fill; skiff keeps the same numbers, and full
 * pages at a byte or two a point.
 *
 * The codec: each page is its first storage number, then the delta of
 * delta of the others (as 32-bit integers), zigzag varints, a run of zero
 * deltas of delta as one token: a constant or linear series costs a few
 * bytes a page.
 *
 * @module
 */

import { SN_EMPTY_SLOT } from "./storage_number.ts";

/** Slots per page (a power of two). */
export const PAGE_SLOTS = 128;
/** log2 of {@link PAGE_SLOTS}: a slot's page is `slot >> PAGE_SHIFT`. */
export const PAGE_SHIFT = 7;
const SHIFT = PAGE_SHIFT;
const MASK = PAGE_SLOTS - 1;

/** The one decoded page every ring reads compressed pages through. */
let cacheRing: SlotRing | undefined;
let cacheIndex = -1;
const cacheSlots = new Uint32Array(PAGE_SLOTS);

/** Raw pages given back by compression, reused before allocating. */
const pool: Uint32Array[] = [];
const POOL_MAX = 256;

/** Scratch for encoding: a token takes at most 5 bytes. */
const scratch = new Uint8Array(PAGE_SLOTS * 5 + 16);

function rawPage(): Uint32Array {
  return pool.pop() ?? new Uint32Array(PAGE_SLOTS).fill(SN_EMPTY_SLOT);
}

function releasePage(p: Uint32Array): void {
  if (pool.length < POOL_MAX) pool.push(p.fill(SN_EMPTY_SLOT));
}

function writeVarint(out: Uint8Array, at: number, x: number): number {
  while (x >= 128) {
    out[at++] = (x % 128) | 128;
    x = Math.floor(x / 128);
  }
  out[at++] = x;
  return at;
}

/** Encodes `length` slots of `raw`. */
export function encodePage(raw: Uint32Array, length: number): Uint8Array {
  let at = 0;
  let prev = 0;
  let prevDelta = 0;
  let run = 0;
  for (let i = 0; i < length; i++) {
    const v = raw[i] | 0;
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
  }
  if (run > 0) at = writeVarint(scratch, at, run * 2 + 1);
  return scratch.slice(0, at);
}

/** Decodes a page into `out` (its first `length` slots). */
export function decodePage(
  bytes: Uint8Array,
  out: Uint32Array,
  length: number,
): void {
  let at = 0;
  let prev = 0;
  let prevDelta = 0;
  let i = 0;
  while (i < length) {
    let x = 0;
    let scale = 1;
    for (;;) {
      const b = bytes[at++];
      x += (b & 127) * scale;
      if (b < 128) break;
      scale *= 128;
    }
    if (x % 2 === 1) {
      for (let n = (x - 1) / 2; n > 0; n--) {
        prev = (prev + prevDelta) | 0;
        out[i++] = prev;
      }
    } else {
      const zz = x / 2;
      const dod = (zz % 2 === 0 ? zz / 2 : -(zz + 1) / 2) | 0;
      prevDelta = (prevDelta + dod) | 0;
      prev = (prev + prevDelta) | 0;
      if (i === 0) prevDelta = 0;
      out[i++] = prev;
    }
  }
}

/** A ring of `entries` storage numbers, empty at first. */
export class SlotRing {
  readonly entries: number;
  /** Per page: raw, compressed, or undefined (every slot empty). */
  readonly #pages: (Uint32Array | Uint8Array | undefined)[];
  /** The raw page last written, before its last slot (-1: none). */
  #writing = -1;
  #writingPage: Uint32Array | undefined;
  #lastOffset = 0;

  constructor(entries: number) {
    this.entries = entries;
    this.#pages = new Array(Math.ceil(entries / PAGE_SLOTS)).fill(undefined);
  }

  /** Slots of page `index` (the last one may be short). */
  #length(index: number): number {
    return Math.min(PAGE_SLOTS, this.entries - index * PAGE_SLOTS);
  }

  /** The storage number at `slot`. */
  get(slot: number): number {
    const p = this.page(slot >> SHIFT);
    return p === undefined ? SN_EMPTY_SLOT : p[slot & MASK];
  }

  /**
   * The slots of page `index` to read (a raw page, or the shared decoded
   * copy of a compressed one, valid until the next read of another
   * page); undefined when every slot of it is empty. For loops over many
   * slots: one lookup a page, not one a slot.
   */
  page(index: number): Uint32Array | undefined {
    const p = this.#pages[index];
    if (p === undefined || p instanceof Uint32Array) return p;
    if (cacheRing !== this || cacheIndex !== index) {
      decodePage(p, cacheSlots, this.#length(index));
      cacheRing = this;
      cacheIndex = index;
    }
    return cacheSlots;
  }

  /** Stores `sn` at `slot`; the page is compressed once its last slot is written. */
  set(slot: number, sn: number): void {
    const index = slot >> SHIFT;
    const offset = slot & MASK;
    // The page being filled: written directly (the collection path).
    if (index === this.#writing && offset < this.#lastOffset) {
      this.#writingPage![offset] = sn;
      return;
    }
    let p = this.#pages[index];
    if (p === undefined) {
      if (sn === SN_EMPTY_SLOT) return;
      p = this.#pages[index] = rawPage();
    } else if (!(p instanceof Uint32Array)) {
      const raw = rawPage();
      decodePage(p, raw, this.#length(index));
      if (cacheRing === this && cacheIndex === index) cacheRing = undefined;
      p = this.#pages[index] = raw;
    }
    p[offset] = sn;
    const last = this.#length(index) - 1;
    if (offset === last) {
      if (this.#writing === index) this.#writing = -1;
      this.#compress(index, p);
    } else {
      this.#writing = index;
      this.#writingPage = p;
      this.#lastOffset = last;
    }
  }

  #compress(index: number, raw: Uint32Array): void {
    const length = this.#length(index);
    let empty = true;
    for (let i = 0; i < length && empty; i++) empty = raw[i] === SN_EMPTY_SLOT;
    this.#pages[index] = empty ? undefined : encodePage(raw, length);
    releasePage(raw);
  }

  /** Empties every slot (and frees every page). */
  clear(): void {
    this.#writing = -1;
    this.#writingPage = undefined;
    for (let i = 0; i < this.#pages.length; i++) {
      const p = this.#pages[i];
      if (p instanceof Uint32Array) releasePage(p);
      this.#pages[i] = undefined;
    }
    if (cacheRing === this) cacheRing = undefined;
  }

  /** Bytes its pages take (raw 4 a slot, compressed as encoded). */
  get bytes(): number {
    let n = 0;
    for (const p of this.#pages) if (p) n += p.byteLength;
    return n;
  }

  /** Bytes of its compressed pages alone. */
  get compressedBytes(): number {
    let n = 0;
    for (const p of this.#pages) if (p instanceof Uint8Array) n += p.byteLength;
    return n;
  }

  /** Pages: raw, compressed (and the slots they hold), not allocated. */
  pageCounts(): {
    raw: number;
    compressed: number;
    compressedSlots: number;
    none: number;
  } {
    const c = { raw: 0, compressed: 0, compressedSlots: 0, none: 0 };
    this.#pages.forEach((p, i) => {
      if (p === undefined) c.none++;
      else if (p instanceof Uint32Array) c.raw++;
      else {
        c.compressed++;
        c.compressedSlots += this.#length(i);
      }
    });
    return c;
  }
}
