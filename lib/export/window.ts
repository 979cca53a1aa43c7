/**
 * Window maths of the exporting engine, pure.
 *
 * @module
 */

/** An inclusive range of aligned slot times. */
export interface SlotRange {
  from: number;
  to: number;
}

/**
 * Whether an instance exporting every `instanceUpdateEverySec` is due at
 * `nowSec`, on an engine that ticks every `localUpdateEverySec`: netdata
 * 1.37's mark_scheduled_instances().
 */
export function instanceDue(
  nowSec: number,
  instanceUpdateEverySec: number,
  localUpdateEverySec: number,
): boolean {
  return nowSec % instanceUpdateEverySec >=
    instanceUpdateEverySec - localUpdateEverySec;
}

/**
 * The stored slots an `average`/`sum` cycle reads for a chart, as netdata
 * 1.37's exporting_calculate_value_from_stored_data() computes them from
 * the instance's `after` and `before` (seconds): both step back two slots
 * (so late collections are complete) and align down to the chart's update
 * every; `before` loses one more slot (the newest waits for the next
 * cycle); `after > before` becomes `after = before`; both are clamped to
 * what the chart stores. Consecutive cycles read adjacent ranges. The
 * metric's timestamp is `to`. Undefined when nothing stored is in range.
 */
export function exportWindow(
  after: number,
  before: number,
  updateEvery: number,
  firstEntry: number,
  lastEntry: number,
): SlotRange | undefined {
  if (lastEntry === 0) return undefined;
  after -= updateEvery * 2;
  before -= updateEvery * 2;
  after -= after % updateEvery;
  before -= before % updateEvery;
  before -= updateEvery;
  if (after > before) after = before;
  if (after < firstEntry) after = firstEntry;
  if (before > lastEntry) before = lastEntry;
  if (before < firstEntry || after > lastEntry) return undefined;
  return { from: after, to: before };
}

/**
 * skiff's guard on a chart's window, given the last slot this instance
 * already exported for the chart (`through`): a slot is never exported
 * twice (netdata re-sends the last one, with another value, when a cycle
 * comes early, as the last one at shutdown does), and slots a previous
 * cycle could not read yet (stored late, past its clamp) are read now
 * instead of being skipped. Undefined when there is nothing new.
 */
export function continueWindow(
  range: SlotRange,
  through: number | undefined,
  updateEvery: number,
  firstEntry: number,
): SlotRange | undefined {
  if (through === undefined) return range;
  if (range.to <= through) return undefined;
  const next = Math.max(through + updateEvery, firstEntry);
  return { from: Math.min(next, range.to), to: range.to };
}

/**
 * skiff's export of slots that came late (a child's replay after a
 * disconnect, a slow collection): a range longer than one cycle's
 * (`stepSec`, the instance's update every, at least one slot) is cut into
 * pieces of one cycle each, ending at `range.to`, `range.to - step`, ...,
 * oldest first, so each late slot is sent at about the time it would have
 * been had it come in time, not averaged with the present into one point.
 * netdata 1.37 has no late slots to export (it does not replicate into
 * its exporting windows).
 */
export function latePieces(
  range: SlotRange,
  stepSec: number,
  updateEvery: number,
): SlotRange[] {
  const step = Math.max(
    updateEvery,
    Math.ceil(stepSec / updateEvery) * updateEvery,
  );
  if (range.to - range.from < step) return [range];
  const pieces: SlotRange[] = [];
  for (let to = range.to; to >= range.from; to -= step) {
    pieces.push({ from: Math.max(range.from, to - step + updateEvery), to });
  }
  return pieces.reverse();
}
