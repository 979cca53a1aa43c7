/**
 * The exporting engine (netdata 1.37's exporting_main()): it ticks every
 * local `update every`, formats a batch for each instance that is due and
 * hands it to the instance, which sends on its own. Every metric is
 * accounted for per instance: formatted = sent + lost + buffered, always.
 *
 * @module
 */

import { cpuUsage } from "../cpu_usage.ts";
import type { Clock } from "../clock.ts";
import { heartbeat, withTimeout } from "../clock.ts";
import type { ExportingInstance } from "../config/mod.ts";
import type { Logger } from "../log.ts";
import type { Chart, Database } from "../storage/mod.ts";
import { ExportInstance } from "./instance.ts";
import type { CycleReport, InstanceOptions } from "./instance.ts";
import { completeChart, createMainCpuChart } from "./self_charts.ts";
import type { Dialer } from "./transport.ts";
import { instanceDue } from "./window.ts";

/** How far past each aligned second the engine ticks. */
export const EXPORT_TICK_OFFSET_MS = 250;

/** What the engine needs besides its instances. */
export interface EngineOptions {
  clock: Clock;
  log: Logger;
  /** `[global] update every`: the engine's tick. */
  localUpdateEverySec: number;
  /** Replaces Deno.connect / stdout, for tests. */
  dial?: Dialer;
  /** Clock for connect/write timeouts; defaults to `clock`. */
  timeoutClock?: Clock;
  /** Self charts on the local host (default yes). */
  selfCharts?: boolean;
  /** `skiff tap`: batches go here, not to their destinations. */
  tap?: InstanceOptions["tap"];
}

/** The engine: N instances on one schedule. */
export class ExportEngine {
  readonly instances: ExportInstance[];
  readonly #db: Database;
  readonly #o: EngineOptions;
  readonly #mainCpu: Chart | undefined;
  #cpuUserUs = 0;
  #cpuSystemUs = 0;

  constructor(
    db: Database,
    instances: ExportingInstance[],
    options: EngineOptions,
  ) {
    this.#db = db;
    this.#o = options;
    const charts = options.selfCharts !== false;
    this.instances = instances.filter((i) => i.enabled).map((config) =>
      new ExportInstance(config, {
        clock: options.clock,
        log: options.log,
        dial: options.dial,
        timeoutClock: options.timeoutClock,
        chartsHost: charts ? db.localhost : undefined,
        tap: options.tap,
      })
    );
    this.#mainCpu = charts && this.instances.length > 0
      ? createMainCpuChart(db.localhost, options.localUpdateEverySec)
      : undefined;
  }

  /** The instance named `name`. */
  instance(name: string): ExportInstance | undefined {
    return this.instances.find((i) => i.config.name === name);
  }

  /** Runs ticks on the heartbeat until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    if (this.instances.length === 0) return;
    for (const i of this.instances) this.#o.log.info(i.describe());
    const step = this.#o.localUpdateEverySec * 1000;
    // Like netdata's heartbeat (250-500 ms past the second), a quarter of a
    // second in: the collections of this second are in by then.
    const offsetMs = EXPORT_TICK_OFFSET_MS;
    for await (
      const _tick of heartbeat(this.#o.clock, step, { signal, offsetMs })
    ) {
      this.tick();
    }
  }

  /**
   * One tick at the clock's now: each due instance formats its window and
   * starts sending (not awaited: a slow destination delays nobody).
   * Returns the instances that were due.
   */
  tick(): ExportInstance[] {
    const nowMs = this.#o.clock.nowMs();
    const nowSec = Math.floor(nowMs / 1000);
    const start = cpuUsage();
    const due = this.instances.filter((i) =>
      instanceDue(nowSec, i.config.updateEverySec, this.#o.localUpdateEverySec)
    );
    for (const i of due) i.format(this.#db, nowMs);
    const d = cpuUsage(start);
    this.#cpuUserUs += d.user;
    this.#cpuSystemUs += d.system;
    for (const i of due) {
      i.flush().catch((err) =>
        this.#o.log.error(
          `[${i.config.section}] send failed unexpectedly: ${err}`,
        )
      );
    }
    if (this.#mainCpu) {
      completeChart(this.#mainCpu, {
        user: this.#cpuUserUs,
        system: this.#cpuSystemUs,
      }, nowMs);
    }
    return due;
  }

  /**
   * The last cycle at shutdown: every instance formats what it has not
   * sent (never a timestamp it already sent) and sends it, each connect and
   * write bounded by `deadlineMs`, the whole bounded by it too; then every
   * connection is closed.
   */
  async finalCycle(deadlineMs: number): Promise<void> {
    const clock = this.#o.timeoutClock ?? this.#o.clock;
    const nowMs = this.#o.clock.nowMs();
    await Promise.all(this.instances.map(async (i) => {
      i.sender.timeoutMs = Math.max(
        1,
        Math.min(i.config.timeoutMs, deadlineMs),
      );
      try {
        await withTimeout(
          i.cycle(this.#db, nowMs),
          deadlineMs,
          clock,
          `[${i.config.section}] last cycle`,
        );
      } catch (err) {
        this.#o.log.warn((err as Error).message);
      } finally {
        i.close();
        const a = i.accounting();
        this.#o.log.info(
          `[${i.config.section}] stopped: ${a.sent} metrics sent, ${a.lost} lost, ${a.buffered} unsent at exit (of ${a.formatted} formatted)`,
        );
      }
    }));
  }
}

export type { CycleReport };
