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
 * stored as values that is 14 to 17 bits a slot and a dimension; kept as
 * `a` and `b` it is 8 bytes a slot for the whole chart, and a counter with
 * a steady rate needs one delta a page.
 *
 * The chart writes a slot's times right after every dimension has written
 * that slot (which turns the page of any of them compressed as rates back
 * into raw values first), so the times a compressed rate page was checked
 * against never change while it lives.
 *
 * @module
 */

/** A slot whose value a rate page can not recompute (`a` below 0). */
export const NOT_REPLAYABLE = -1;

/** Times (µs) beyond an int32 are not kept: the slot is not replayable. */
const INT32_MAX = 0x7fffffff;

/** One chart's per-slot collection times. */
export class SlotTimes {
  readonly entries: number;
  readonly updateEverySec: number;
  /**
   * Slot `s` is `[2s] = a`, `[2s + 1] = b`; taken at the first slot
   * written (a chart without incremental dimensions never takes it).
   */
  pairs: Int32Array | undefined = undefined;

  constructor(entries: number, updateEverySec: number) {
    this.entries = entries;
    this.updateEverySec = updateEverySec;
  }

  /**
   * Records slot `slot`'s times (µs): `a` from the previous collection to
   * the slot's boundary, `b` from the previous collection to this one;
   * a negative `a` (or either beyond an int32) marks it not replayable.
   */
  set(slot: number, a: number, b: number): void {
    const p = this.pairs ??= new Int32Array(2 * this.entries);
    if (a < 0 || b <= 0 || a > INT32_MAX || b > INT32_MAX) {
      p[2 * slot] = NOT_REPLAYABLE;
      p[2 * slot + 1] = 0;
      return;
    }
    p[2 * slot] = a;
    p[2 * slot + 1] = b;
  }

  /** Marks slot `slot` not replayable (when it was taken). */
  forget(slot: number): void {
    if (this.pairs) this.pairs[2 * slot] = NOT_REPLAYABLE;
  }
}
