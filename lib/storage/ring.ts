/**
 * A dimension's ring of slots, in pages that cost memory only once
 * written: one page of {@link PAGE_SLOTS} storage numbers is raw (the one
 * being written, taken from a shared slab on its first non-empty write);
 * the others are compressed, blocks in an arena shared by every ring. A page is
 * compressed when writing moves to another page, and decoded again when
 * written (the next lap of the ring, a replay); reads of it go through a
 * one-page cache shared by every ring, as queries read one dimension at a
 * time.
 *
 * netdata 1.37's ram mode keeps one 4-byte storage number per slot and
 * touches its pages as they fill; skiff keeps the same numbers, and full
 * pages at a fraction of a byte to a byte or two a point.
 *
 * The pages' codec is lib/storage/page_codec.ts. An incremental
 * dimension's ring (its `rate` set by the chart) also gives, with each
 * page's first slot, the value carried into it; its full pages can then
 * be rate pages (lib/storage/rate_page.ts), read with the chart's slot
 * times.
 *
 * @module
 */

import {
  allocate,
  byteOffset,
  chunkBytes,
  chunkOf,
  chunkWords,
  release,
  UNIT_BYTES,
  unitsFor,
} from "./arena.ts";
import {
  decodePage,
  encodeToScratch,
  MODE_RATE,
  PAGE_SLOTS,
  type RateInput,
  scratch,
} from "./page_codec.ts";
import type { SlotTimes } from "./slot_times.ts";
import { SN_EMPTY_SLOT } from "./storage_number.ts";

/**
 * What lets a ring keep its pages as rates (lib/storage/rate_page.ts): the
 * chart's slot times and the dimension's current multiplier and divisor.
 */
export interface RateSource {
  readonly times: SlotTimes | undefined;
  readonly multiplier: number;
  readonly divisor: number;
}

export { PAGE_SLOTS };
/** log2 of {@link PAGE_SLOTS}: a slot's page is `slot >> PAGE_SHIFT`. */
export const PAGE_SHIFT = 7;
const SHIFT = PAGE_SHIFT;
const MASK = PAGE_SLOTS - 1;

/** The one decoded page every ring reads compressed pages through. */
let cacheRing: SlotRing | undefined;
let cacheIndex = -1;
const cacheSlots = new Uint32Array(PAGE_SLOTS);

/**
 * Where slot 0 is in the array the last {@link SlotRing.page} call
 * answered (a raw page's place in its slab; 0 for a decoded page): a live
 * binding, read it right after the call.
 */
export let pageStart = 0;

/**
 * Raw pages live in slabs of {@link SLAB_PAGES}: a typed array a page
 * cost some 200 bytes of objects and a malloc chunk beside its 512 bytes
 * of slots (2 MiB for 10,000 dimensions). A page given back is reused
 * before a slab is carved further: the slabs keep the most raw pages ever
 * held at once (one a dimension being collected), as a pool would.
 */
const SLAB_PAGES = 256;
const SLAB_SHIFT = 8;
const slabs: Uint32Array[] = [];
/**
 * A raw page's carried value: what its writer gave with its first slot
 * (an incremental dimension's value carried into it, for a rate page);
 * NaN when none was given.
 */
const slabCarried: Float64Array[] = [];
const freePages: number[] = [];
let carvedPages = 0;

/** A raw page (its slots empty, nothing carried): its number in the slabs. */
function takePage(): number {
  let n = freePages.pop();
  if (n === undefined) {
    if (carvedPages === slabs.length * SLAB_PAGES) {
      slabs.push(new Uint32Array(SLAB_PAGES * PAGE_SLOTS).fill(SN_EMPTY_SLOT));
      slabCarried.push(new Float64Array(SLAB_PAGES));
    }
    n = carvedPages++;
  }
  slabCarried[n >> SLAB_SHIFT][n & (SLAB_PAGES - 1)] = NaN;
  return n;
}

/** The rate page input {@link SlotRing} fills for each page it compresses. */
const rateInput: RateInput = {
  times: undefined as unknown as SlotTimes,
  page: 0,
  carried: NaN,
  multiplier: 1,
  divisor: 1,
};

/** Gives raw page `n` back, its slots emptied. */
function givePage(n: number): void {
  const base = (n & (SLAB_PAGES - 1)) << SHIFT;
  slabs[n >> SLAB_SHIFT].fill(SN_EMPTY_SLOT, base, base + PAGE_SLOTS);
  freePages.push(n);
}

/** A compressed page's block: its encoded length (a u16), then its bytes. */
const LENGTH_BYTES = 2;

/** The encoded length of the page in block `address`. */
function encodedLength(address: number): number {
  const b = chunkBytes[chunkOf(address)];
  const at = byteOffset(address);
  return b[at] | (b[at + 1] << 8);
}

/** Raw pages carved from slabs so far, and how many are free. */
export function slabPages(): { carved: number; free: number } {
  return { carved: carvedPages, free: freePages.length };
}

/**
 * A ring of `entries` storage numbers, empty at first. At most one page is
 * raw (4 bytes a slot, in a slab): the one being written. It is compressed
 * when a write goes to another page (the raw page then serves the next
 * one: no allocation as collection moves on); a compressed page written
 * again (the next lap, a replay) is decoded first.
 *
 * Compressed pages are blocks in the shared arena (lib/storage/arena.ts):
 * a u16 length, then the page's bytes. The ring finds them through its page
 * table, a block of the arena too (a u32 address a page, 0: none), taken
 * with the first compressed page and given back with the last one: a
 * typed array a ring would cost some 300 bytes of bookkeeping, more than a
 * compressed page holds.
 */
export class SlotRing {
  readonly entries: number;
  /** Set by a chart for an incremental dimension's ring: its pages may be rate pages. */
  rate: RateSource | undefined = undefined;
  /** The raw page's index in the ring (-1: none). */
  #rawIndex = -1;
  /** Its slots: `#slab[#rawBase .. #rawBase + PAGE_SLOTS)`, page `#rawPage`. */
  #rawPage = -1;
  #slab: Uint32Array = cacheSlots; // no raw page: never read (#rawIndex is -1)
  #rawBase = 0;
  /**
   * The page table's address in the arena (0: no page compressed), and
   * its entries: pages up to the highest compressed so far, in powers of
   * two (a ring filling up takes 1, 2, 4 ... entries, not all at once).
   */
  #table = 0;
  #tableEntries = 0;
  /** Pages compressed, and the bytes their blocks hold as encoded. */
  #compressed = 0;
  #encodedBytes = 0;
  /** Pages in the ring. */
  readonly #pageCount: number;

  constructor(entries: number) {
    this.entries = entries;
    this.#pageCount = Math.ceil(entries / PAGE_SLOTS);
  }

  /** Page `index`'s block (0: raw, empty or never written). */
  #block(index: number): number {
    const t = this.#table;
    if (index >= this.#tableEntries) return 0;
    return chunkWords[chunkOf(t)][(byteOffset(t) >>> 2) + index];
  }

  #setBlock(index: number, address: number): void {
    const t = this.#table;
    chunkWords[chunkOf(t)][(byteOffset(t) >>> 2) + index] = address;
  }

  /** Slots of page `index` (the last one may be short). */
  #length(index: number): number {
    return Math.min(PAGE_SLOTS, this.entries - index * PAGE_SLOTS);
  }

  /** Decodes compressed page `index` (block `address`) into `out` from `outStart`. */
  #decode(index: number, address: number, out: Uint32Array, outStart: number) {
    decodePage(
      chunkBytes[chunkOf(address)],
      out,
      this.#length(index),
      byteOffset(address) + LENGTH_BYTES,
      outStart,
      this.rate?.times,
      index,
    );
  }

  /** The storage number at `slot`. */
  get(slot: number): number {
    const p = this.page(slot >> SHIFT);
    return p === undefined ? SN_EMPTY_SLOT : p[pageStart + (slot & MASK)];
  }

  /**
   * The slots of page `index` to read, from {@link pageStart}: the raw page
   * in its slab, or a decoded copy shared by every ring, valid until the
   * next read of another page; undefined when every slot of it is empty.
   * For loops over many slots: one lookup a page, not one a slot.
   */
  page(index: number): Uint32Array | undefined {
    if (index === this.#rawIndex) {
      pageStart = this.#rawBase;
      return this.#slab;
    }
    pageStart = 0;
    if (cacheRing === this && cacheIndex === index) return cacheSlots;
    const address = this.#block(index);
    if (address === 0) return undefined;
    this.#decode(index, address, cacheSlots, 0);
    cacheRing = this;
    cacheIndex = index;
    return cacheSlots;
  }

  /**
   * Copies page `index`'s slots into `out` (the empty slot where none),
   * not through the cache {@link page} answers from: for a reader that
   * is itself decoding into it (a rate page reading its chart's times).
   */
  copyPage(index: number, out: Uint32Array): void {
    const length = this.#length(index);
    if (index === this.#rawIndex) {
      out.set(this.#slab.subarray(this.#rawBase, this.#rawBase + length));
      return;
    }
    const address = this.#block(index);
    if (address === 0) out.fill(SN_EMPTY_SLOT, 0, length);
    else this.#decode(index, address, out, 0);
  }

  /**
   * Stores `sn` at `slot`; the page is compressed once its last slot is
   * written. With a page's first slot, an incremental dimension gives the
   * value `carried` into it (see lib/storage/rate_page.ts).
   */
  set(slot: number, sn: number, carried = NaN): void {
    const index = slot >> SHIFT;
    if (cacheRing === this && cacheIndex === index) cacheRing = undefined;
    if (index !== this.#rawIndex) {
      const address = this.#block(index);
      if (address === 0 && sn === SN_EMPTY_SLOT) return;
      this.#compressRaw();
      const n = this.#rawPage = takePage();
      const slab = this.#slab = slabs[n >> SLAB_SHIFT];
      const base = this.#rawBase = (n & (SLAB_PAGES - 1)) << SHIFT;
      if (address !== 0) {
        // written again: decoded, its block given back
        this.#decode(index, address, slab, base);
        this.#free(index, address);
      }
      this.#rawIndex = index;
    }
    const at = slot & MASK;
    if (at === 0) {
      const n = this.#rawPage;
      slabCarried[n >> SLAB_SHIFT][n & (SLAB_PAGES - 1)] = carried;
    }
    this.#slab[this.#rawBase + at] = sn;
  }

  /** Gives the raw page back to the slabs. */
  #dropRaw(): void {
    if (this.#rawPage >= 0) givePage(this.#rawPage);
    this.#rawIndex = -1;
    this.#rawPage = -1;
    this.#slab = cacheSlots;
  }

  /** Compresses the raw page, if any (a page of empty slots: dropped). */
  #compressRaw(): void {
    const index = this.#rawIndex;
    if (index < 0) return;
    const slab = this.#slab;
    const base = this.#rawBase;
    const length = this.#length(index);
    let empty = true;
    for (let i = 0; i < length && empty; i++) {
      empty = slab[base + i] === SN_EMPTY_SLOT;
    }
    const n = empty
      ? 0
      : encodeToScratch(slab, length, base, this.#rateInput(index));
    this.#dropRaw();
    if (empty) return;
    if (index >= this.#tableEntries) this.#growTable(index);
    const address = allocate(n + LENGTH_BYTES);
    const bytes = chunkBytes[chunkOf(address)];
    const at = byteOffset(address);
    bytes[at] = n & 255;
    bytes[at + 1] = n >>> 8;
    bytes.set(scratch.subarray(0, n), at + LENGTH_BYTES);
    // the chart keeps this page's times while a rate page needs them
    if (scratch[0] === MODE_RATE) this.rate?.times?.keep(index);
    this.#setBlock(index, address);
    this.#compressed++;
    this.#encodedBytes += n;
  }

  /** What the raw page (page `index`) needs to be tried as a rate page, if it has it. */
  #rateInput(index: number): RateInput | undefined {
    const rate = this.rate;
    const n = this.#rawPage;
    const carried = slabCarried[n >> SLAB_SHIFT][n & (SLAB_PAGES - 1)];
    if (!rate?.times || Number.isNaN(carried)) return undefined;
    rateInput.times = rate.times;
    rateInput.page = index;
    rateInput.carried = carried;
    rateInput.multiplier = rate.multiplier;
    rateInput.divisor = rate.divisor;
    return rateInput;
  }

  /** A page table with an entry for page `index` (the entries kept). */
  #growTable(index: number): void {
    let entries = 1;
    while (entries <= index) entries *= 2;
    entries = Math.min(entries, this.#pageCount);
    const t = allocate(4 * entries);
    const words = chunkWords[chunkOf(t)];
    const at = byteOffset(t) >>> 2;
    const old = this.#tableEntries;
    if (old > 0) {
      const o = this.#table;
      const from = byteOffset(o) >>> 2;
      words.set(chunkWords[chunkOf(o)].subarray(from, from + old), at);
      release(o, 4 * old);
    }
    words.fill(0, at + old, at + entries);
    this.#table = t;
    this.#tableEntries = entries;
  }

  /** Gives back page `index`'s block (`address`), and the table with the last one. */
  #free(index: number, address: number): void {
    const n = encodedLength(address);
    release(address, n + LENGTH_BYTES);
    this.#setBlock(index, 0);
    this.#encodedBytes -= n;
    if (--this.#compressed === 0) {
      release(this.#table, 4 * this.#tableEntries);
      this.#table = 0;
      this.#tableEntries = 0;
    }
  }

  /** Empties page `index`'s slots (and frees it). */
  clearPage(index: number): void {
    if (index === this.#rawIndex) this.#dropRaw();
    else {
      const address = this.#block(index);
      if (address !== 0) this.#free(index, address);
    }
    if (cacheRing === this && cacheIndex === index) cacheRing = undefined;
  }

  /** Empties every slot (and frees every page). */
  clear(): void {
    this.#dropRaw();
    for (let i = 0; i < this.#tableEntries && this.#compressed > 0; i++) {
      const address = this.#block(i);
      if (address !== 0) this.#free(i, address);
    }
    if (cacheRing === this) cacheRing = undefined;
  }

  /**
   * Bytes its pages take: the raw page's 4 a slot, and the compressed
   * pages' blocks and table in the arena (rounded up to whole units).
   */
  get bytes(): number {
    let units = 0;
    if (this.#table !== 0) {
      units = unitsFor(4 * this.#tableEntries);
      for (let i = 0; i < this.#tableEntries; i++) {
        const address = this.#block(i);
        if (address === 0) continue;
        units += unitsFor(encodedLength(address) + LENGTH_BYTES);
      }
    }
    return units * UNIT_BYTES + (this.#rawPage >= 0 ? 4 * PAGE_SLOTS : 0);
  }

  /** Bytes of its compressed pages as encoded (lengths and table included). */
  get compressedBytes(): number {
    if (this.#table === 0) return 0;
    return 4 * this.#tableEntries + LENGTH_BYTES * this.#compressed +
      this.#encodedBytes;
  }

  /** Pages: raw, compressed (the slots they hold, how many are rate pages), not allocated. */
  pageCounts(): {
    raw: number;
    compressed: number;
    compressedSlots: number;
    /** Compressed pages that are rate pages. */
    rate: number;
    none: number;
  } {
    const c = { raw: 0, compressed: 0, compressedSlots: 0, rate: 0, none: 0 };
    for (let i = 0; i < this.#pageCount; i++) {
      const address = this.#block(i);
      if (i === this.#rawIndex) c.raw++;
      else if (address !== 0) {
        c.compressed++;
        c.compressedSlots += this.#length(i);
        const mode = chunkBytes[chunkOf(address)][
          byteOffset(address) + LENGTH_BYTES
        ];
        if (mode === MODE_RATE) c.rate++;
      } else c.none++;
    }
    return c;
  }
}
