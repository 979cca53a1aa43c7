/**
 * What a collector is, and the loop that runs collectors on aligned
 * heartbeats, timing each run for the self-monitoring charts.
 *
 * @module
 */

import type { Clock } from "../clock.ts";
import { heartbeat } from "../clock.ts";
import type { Logger } from "../log.ts";

/** Something that writes into storage on a schedule. */
export interface Collector {
  readonly name: string;
  readonly updateEverySec: number;
  /** One collection at `nowMs`. A thrown error is logged; the loop goes on. */
  collect(nowMs: number): Promise<void>;
}

/** Last run time of each collector, in microseconds. */
export type Durations = Map<string, number>;

/** Runs `collector` on its heartbeat until `signal` aborts. */
export async function runCollector(
  collector: Collector,
  options: {
    clock: Clock;
    log: Logger;
    signal: AbortSignal;
    durations?: Durations;
  },
): Promise<void> {
  const { clock, log, signal, durations } = options;
  let failures = 0;
  // One collection at once, so charts exist (and counters are primed) right
  // after start; then on the aligned heartbeat.
  const ticks = (async function* () {
    yield clock.nowMs();
    yield* heartbeat(clock, collector.updateEverySec * 1000, { signal });
  })();
  let first = true;
  for await (const _tick of ticks) {
    if (signal.aborted) break;
    const start = performance.now();
    try {
      await collector.collect(clock.nowMs());
      failures = 0;
    } catch (err) {
      // Log the first failures, then one in a hundred, so a broken
      // collector cannot flood the log.
      if (failures++ < 3 || failures % 100 === 0) {
        log.error(`collector ${collector.name}: ${(err as Error).message}`);
      }
    }
    durations?.set(
      collector.name,
      Math.round((performance.now() - start) * 1000),
    );
    if (first) {
      first = false;
      // performance.now() counts from process start: the start-up cost.
      log.info(
        `first collection done ${
          Math.round(performance.now())
        } ms after process start`,
      );
    }
  }
}
