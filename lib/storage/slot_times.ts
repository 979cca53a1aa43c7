/**
 * A chart's collection times, one entry a ring slot: what its incremental
 * dimensions' rate pages (lib/storage/rate_page.ts) need besides each
 * collection's counter delta to recompute the slot's stored value.
 *
 * An `incremental` dimension's stored value at a slot is netdata's
 * interpolation of the counter's delta over the collection that crossed
 * the slot's boundary: with `a` the time from the previous collection to
 * the boundary and `b` from the previous collection to this one (both in
 * microseconds), the slot gets `delta * a / b` plus what the previous
 * collection left over, and leaves `delta - delta * a / b` to the next one.
 * Collections a few ms off their second change every slot's last digits:
 * stored as values that is 14 to 17 bits a slot and a dimension; kept here
 * once for the chart, and a counter with a steady rate needs one delta a
 * page.
 *
 * What is kept is each slot's offset: the time from the slot's boundary to
 * the collection that made it (0 to `update every`), when that collection
 * made that one slot. With consecutive slots, `a = ue - offset[s - 1]` and
 * `b = ue + offset[s] - offset[s - 1]`; a page's first slot takes the
 * offset before it from {@link SlotTimes.prevOffset}, kept a page. The
 * offsets are a ring of their own (lib/storage/ring.ts), compressed a page
 * at a time like any dimension's: a few ms of jitter is some 12 bits a
 * slot, collections at exact times a few bytes a page. A page of them is
 * kept only when the chart's dimensions made rate pages of that page: a
 * chart whose counters never move (7-byte constant pages, no rate page
 * smaller) keeps none.
 *
 * The chart writes a slot's times right after every dimension has written
 * that slot (which turns the page of any of them compressed as rates back
 * into raw values first), so the times a compressed rate page was checked
 * against never change while it lives.
 *
 * @module
 */

import { PAGE_SHIFT, SlotRing } from "./ring.ts";
import { SN_EMPTY_SLOT } from "./storage_number.ts";

/** A slot whose value a rate page can not recompute. */
export const NOT_REPLAYABLE = -1;

/** One chart's per-slot collection times. */
export class SlotTimes {
  readonly entries: number;
  readonly updateEverySec: number;
  /** Each slot's offset (µs); the empty slot where not replayable. */
  readonly #offsets: SlotRing;
  /** Each page's offset before its first slot (taken at the first write). */
  #prev: Int32Array | undefined = undefined;
  /** Each page: 1 when a rate page of it was made since its first slot. */
  #kept: Uint8Array | undefined = undefined;

  constructor(entries: number, updateEverySec: number) {
    this.entries = entries;
    this.updateEverySec = updateEverySec;
    this.#offsets = new SlotRing(entries);
  }

  /** True once a slot was written (a chart with incremental dimensions). */
  get used(): boolean {
    return this.#prev !== undefined;
  }

  /**
   * Records slot `slot`'s collection: `offsetUs` from the slot's boundary
   * to the collection (NOT_REPLAYABLE when it made other slots too), and
   * `prevOffsetUs`, the previous collection's from the boundary before.
   * At a page's first slot, the page before is done: its times are dropped
   * unless a rate page of it was made ({@link keep}); nothing else reads them.
   */
  set(slot: number, offsetUs: number, prevOffsetUs: number): void {
    const ueUs = this.updateEverySec * 1_000_000;
    const valid = (x: number) =>
      Number.isInteger(x) && x >= 0 && x < ueUs && x < SN_EMPTY_SLOT;
    if ((slot & ((1 << PAGE_SHIFT) - 1)) === 0) {
      const page = slot >> PAGE_SHIFT;
      const before = page > 0 ? page - 1 : this.#pages() - 1;
      const prev = this.#perPage(page);
      const kept = this.#kept!;
      // (a page past the arrays was never started: nothing kept)
      if (kept[before] !== 1) this.#offsets.clearPage(before);
      // every rate page of this page's last lap was just decoded by its ring
      kept[page] = 0;
      prev[page] = valid(prevOffsetUs) ? prevOffsetUs : NOT_REPLAYABLE;
    }
    this.#perPage(0);
    this.#offsets.set(slot, valid(offsetUs) ? offsetUs : SN_EMPTY_SLOT);
  }

  /** A ring made a rate page of page `index`: its times are kept. */
  keep(index: number): void {
    this.#perPage(index);
    this.#kept![index] = 1;
  }

  #pages(): number {
    return Math.ceil(this.entries / (1 << PAGE_SHIFT));
  }

  /**
   * The per-page arrays (offsets before each page, kept flags), grown in
   * powers of two to hold page `page`; returns the offsets.
   */
  #perPage(page: number): Int32Array {
    const old = this.#prev;
    if (old && page < old.length) return old;
    let n = 1;
    while (n <= page) n *= 2;
    n = Math.min(n, this.#pages());
    const grown = new Int32Array(n).fill(NOT_REPLAYABLE);
    const kept = new Uint8Array(n);
    if (old) {
      grown.set(old);
      kept.set(this.#kept!);
    }
    this.#kept = kept;
    return this.#prev = grown;
  }

  /** Marks slot `slot` not replayable (when it was taken). */
  forget(slot: number): void {
    if (this.used) this.#offsets.set(slot, SN_EMPTY_SLOT);
  }

  /** Page `index`'s offsets into `out` (the empty slot: not replayable). */
  read(index: number, out: Uint32Array): void {
    this.#offsets.copyPage(index, out);
  }

  /** The offset before page `index`'s first slot, or NOT_REPLAYABLE. */
  prevOffset(index: number): number {
    const prev = this.#prev;
    return prev && index < prev.length ? prev[index] : NOT_REPLAYABLE;
  }

  /** Bytes its offsets take (see {@link SlotRing.bytes}) and the per-page array. */
  get bytes(): number {
    return this.#offsets.bytes + this.#perPageBytes();
  }

  #perPageBytes(): number {
    return (this.#prev?.byteLength ?? 0) + (this.#kept?.byteLength ?? 0);
  }

  /** Bytes of its compressed pages (see {@link SlotRing.compressedBytes}) and the per-page array. */
  get compressedBytes(): number {
    return this.#offsets.compressedBytes + this.#perPageBytes();
  }

  /** Frees its pages. */
  clear(): void {
    this.#offsets.clear();
    this.#prev?.fill(NOT_REPLAYABLE);
    this.#kept?.fill(0);
  }
}
