/**
 * Window maths of the exporter, pure.
 *
 * @module
 */

/** An inclusive range of aligned slot times. */
export interface SlotRange {
  from: number;
  to: number;
}

/**
 * The stored slots a cycle reads for a chart, as netdata's backends module
 * computes them: the window is `(after, before]` in seconds; `after` is
 * aligned up to the chart's next slot past it, `before` down to a slot,
 * both clamped to what the chart stores. Undefined when no slot remains.
 */
export function storedSlotRange(
  after: number,
  before: number,
  updateEvery: number,
  firstEntry: number,
  lastEntry: number,
): SlotRange | undefined {
  if (lastEntry === 0) return undefined;
  let from = after - (after % updateEvery) + updateEvery;
  let to = before - (before % updateEvery);
  if (from < firstEntry) from = firstEntry;
  if (to > lastEntry) to = lastEntry;
  if (from > to) return undefined;
  return { from, to };
}
