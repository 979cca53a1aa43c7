/**
 * Queries over stored points: value at a slot, and aggregates over a range
 * of slots skipping gaps. Nothing here allocates per point.
 *
 * @module
 */

import type { Chart, Dimension } from "./rrd.ts";
import { SN_EMPTY_SLOT, unpackStorageNumber } from "./storage_number.ts";
import { PAGE_SHIFT, PAGE_SLOTS, pageStart } from "./ring.ts";

/** Aggregation over stored points. */
export type Aggregate = "average" | "sum" | "min" | "max";

/** The value stored at aligned time `t`, NaN for a gap or out of range. */
export function valueAt(chart: Chart, dim: Dimension, t: number): number {
  if (chart.counter === 0) return NaN;
  if (t < chart.firstEntrySec() || t > chart.lastEntrySec()) return NaN;
  if (t % chart.updateEverySec !== 0) return NaN;
  return unpackStorageNumber(dim.ring.get(chart.slotOf(t)));
}

/** Result holder reused by callers, so a query allocates nothing. */
export interface AggregateResult {
  value: number;
  /** Non-gap points that contributed. */
  count: number;
}

/** The ring slots of a time window, reused by callers. */
export interface SlotWindow {
  /** Ring index of the window's first slot. */
  slot: number;
  /** Slots in the window, 0 when none is stored. */
  slots: number;
}

/**
 * The slots holding aligned times `from..to` (both inclusive, clamped to
 * what is stored) into `out`; `out.slots` is 0 when none is. Computed once
 * a chart, it serves every dimension of it (see {@link aggregateSlots}):
 * the clamping and alignment are done once, not once a dimension.
 */
export function slotWindow(
  chart: Chart,
  from: number,
  to: number,
  out: SlotWindow,
): SlotWindow {
  out.slot = 0;
  out.slots = 0;
  if (chart.counter === 0) return out;
  const ue = chart.updateEverySec;
  const first = chart.firstEntrySec();
  const last = chart.lastEntrySec();
  if (from < first) from = first;
  if (to > last) to = last;
  // Align inward, so only slot times are visited.
  if (from % ue !== 0) from = from - (from % ue) + ue;
  if (to % ue !== 0) to = to - (to % ue);
  if (from > to) return out;
  out.slot = chart.slotOf(from);
  out.slots = (to - from) / ue + 1;
  return out;
}

/**
 * Aggregates `slots` ring slots of `dim` from ring index `slot` (wrapping
 * at `chart.entries`), as found by {@link slotWindow}, into `out`;
 * `out.value` is NaN when no point was found.
 */
export function aggregateSlots(
  chart: Chart,
  dim: Dimension,
  window: SlotWindow,
  kind: Aggregate,
  out: AggregateResult,
): AggregateResult {
  out.value = NaN;
  out.count = 0;
  const ring = dim.ring;
  const entries = chart.entries;
  let slot = window.slot;
  let n = window.slots;
  let acc = kind === "min" ? Infinity : kind === "max" ? -Infinity : 0;
  let count = 0;
  // Page by page: the slots of one page in one tight loop.
  while (n > 0) {
    const offset = slot & (PAGE_SLOTS - 1);
    const run = Math.min(n, PAGE_SLOTS - offset, entries - slot);
    const page = ring.page(slot >> PAGE_SHIFT);
    if (page !== undefined) {
      const start = pageStart + offset;
      for (let i = start; i < start + run; i++) {
        const sn = page[i];
        if (sn === SN_EMPTY_SLOT) continue;
        const v = unpackStorageNumber(sn);
        if (kind === "min") {
          if (v < acc) acc = v;
        } else if (kind === "max") {
          if (v > acc) acc = v;
        } else acc += v;
        count++;
      }
    }
    n -= run;
    slot += run;
    if (slot === entries) slot = 0;
  }
  if (count === 0) return out;
  out.count = count;
  out.value = kind === "average" ? acc / count : acc;
  return out;
}

const oneWindow: SlotWindow = { slot: 0, slots: 0 };

/**
 * Aggregates the points at aligned times `from..to` (both inclusive,
 * clamped to what is stored) into `out`. `out.value` is NaN when no point
 * was found. For many dimensions of one chart, {@link slotWindow} once and
 * {@link aggregateSlots} for each is cheaper.
 */
export function aggregate(
  chart: Chart,
  dim: Dimension,
  from: number,
  to: number,
  kind: Aggregate,
  out: AggregateResult,
): AggregateResult {
  return aggregateSlots(
    chart,
    dim,
    slotWindow(chart, from, to, oneWindow),
    kind,
    out,
  );
}
