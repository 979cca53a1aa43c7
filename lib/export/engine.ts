/**
 * The exporter loop (netdata's backends module): every `update every`
 * seconds it formats every dimension of every host updated in the window,
 * appends the batch to the send buffer, reads what the backend said,
 * connects if needed, sends, and accounts for every metric: formatted =
 * sent + lost + still buffered, always.
 *
 * @module
 */

import process from "node:process";
import type { Clock } from "../clock.ts";
import { heartbeat } from "../clock.ts";
import type { Config } from "../config/mod.ts";
import type { Logger } from "../log.ts";
import { aggregate } from "../storage/query.ts";
import type { AggregateResult } from "../storage/query.ts";
import type { Chart, Database, Dimension } from "../storage/rrd.ts";
import { BatchWriter, SendBuffer } from "./buffer.ts";
import { CONNECTORS } from "./connectors/mod.ts";
import type { Connector, MetricLine } from "./connectors/mod.ts";
import {
  formatCollected,
  formatFixed7,
  sanitizeHostname,
  sanitizeName,
} from "./format.ts";
import { Sender } from "./transport.ts";
import type { Dialer } from "./transport.ts";
import { storedSlotRange } from "./window.ts";

/** Totals since start; the invariant is formatted = sent + lost + buffered. */
export interface Accounting {
  formatted: number;
  sent: number;
  lost: number;
  buffered: number;
}

/** What one cycle did (also what the self-monitoring charts show). */
export interface CycleReport {
  before: number;
  formattedMetrics: number;
  formattedBytes: number;
  sentMetrics: number;
  sentBytes: number;
  lostMetrics: number;
  lostBytes: number;
  bufferedMetrics: number;
  bufferedBytes: number;
  receivedBytes: number;
  reads: number;
  writes: number;
  discards: number;
  reconnects: number;
  failures: number;
}

/** What the engine needs besides config. */
export interface ExporterOptions {
  clock: Clock;
  log: Logger;
  /** Replaces Deno.connect / stdout, for tests. */
  dial?: Dialer;
  /** Clock for connect/write timeouts; defaults to `clock`. */
  timeoutClock?: Clock;
}

type BackendConfig = Config["backend"];

/** The exporter engine. */
export class Exporter {
  readonly #db: Database;
  readonly #cfg: BackendConfig;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #connector: Connector;
  readonly #sender: Sender;
  readonly #buffer = new SendBuffer();
  readonly #batch = new BatchWriter();
  readonly #agg: AggregateResult = { value: NaN, count: 0 };
  readonly #line: MetricLine;
  /** Last stored slot looked at per chart: the next window starts after it. */
  readonly #exportedThrough = new WeakMap<Chart, number>();
  readonly #chartNames = new WeakMap<Chart, string>();
  readonly #dimNames = new WeakMap<Dimension, string>();
  #after: number;
  #consecutiveFailures = 0;
  #totals: Accounting = { formatted: 0, sent: 0, lost: 0, buffered: 0 };
  #cpuUserUs = 0;
  #cpuSystemUs = 0;
  #charts: SelfCharts;

  constructor(db: Database, cfg: BackendConfig, options: ExporterOptions) {
    this.#db = db;
    this.#cfg = cfg;
    this.#clock = options.clock;
    this.#log = options.log;
    const connector = CONNECTORS[cfg.type];
    if (!connector) {
      throw new Error(`no connector for backend type "${cfg.type}"`);
    }
    this.#connector = connector;
    this.#sender = new Sender(cfg.destinations, {
      timeoutMs: cfg.timeoutMs,
      clock: options.timeoutClock ?? options.clock,
      dial: options.dial,
    });
    this.#after = Math.floor(this.#clock.nowMs() / 1000);
    this.#line = {
      prefix: cfg.prefix,
      hostname: "",
      chartId: "",
      dimensionId: "",
      value: "",
      timestamp: 0,
    };
    this.#charts = createSelfCharts(db, cfg.updateEverySec);
  }

  /** Totals since start. */
  accounting(): Accounting {
    return { ...this.#totals, buffered: this.#buffer.metrics };
  }

  /** Unsent bytes held. */
  get bufferedBytes(): number {
    return this.#buffer.bytes;
  }

  /** The sender, for inspection in tests. */
  get sender(): Sender {
    return this.#sender;
  }

  /** Runs cycles on the heartbeat until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    const c = this.#cfg;
    this.#log.info(
      `sending ${c.dataSource} data as ${c.type} to ${this.#sender.names} every ${c.updateEverySec}s, as host "${c.hostname}" with prefix "${c.prefix}"`,
    );
    for await (
      const _tick of heartbeat(this.#clock, c.updateEverySec * 1000, { signal })
    ) {
      await this.cycle();
    }
  }

  /**
   * One last cycle at shutdown, every connect and write bounded by
   * `deadlineMs` at most; then the connection is closed.
   */
  async finalCycle(deadlineMs: number): Promise<CycleReport> {
    this.#sender.timeoutMs = Math.max(
      1,
      Math.min(this.#cfg.timeoutMs, deadlineMs),
    );
    try {
      return await this.cycle();
    } finally {
      this.#sender.close();
      const a = this.accounting();
      this.#log.info(
        `stopped: ${a.sent} metrics sent, ${a.lost} lost, ${a.buffered} unsent at exit (of ${a.formatted} formatted)`,
      );
    }
  }

  /** One cycle at the clock's now. */
  async cycle(): Promise<CycleReport> {
    const nowMs = this.#clock.nowMs();
    const before = Math.floor(nowMs / 1000);
    const cpuStart = process.cpuUsage();
    const r: CycleReport = {
      before,
      formattedMetrics: 0,
      formattedBytes: 0,
      sentMetrics: 0,
      sentBytes: 0,
      lostMetrics: 0,
      lostBytes: 0,
      bufferedMetrics: 0,
      bufferedBytes: 0,
      receivedBytes: 0,
      reads: 0,
      writes: 0,
      discards: 0,
      reconnects: 0,
      failures: 0,
    };

    // 1-3. Format the window (after, before] of every host into one batch.
    this.#formatWindow(this.#after, before);
    this.#after = before;
    const batch = this.#batch.take();
    r.formattedMetrics = batch.lines;
    r.formattedBytes = batch.bytes.length;
    this.#totals.formatted += batch.lines;
    this.#buffer.append(batch.bytes, batch.lines);
    this.#addCpu(cpuStart);

    // 4. What the backend sent back.
    const responses = this.#sender.takeResponses();
    r.receivedBytes = responses.bytes;
    r.reads = responses.reads;
    if (responses.bytes > 0) {
      this.#log.info(
        `received ${responses.bytes} bytes from ${this.#cfg.type} backend; ignoring them. Sample: '${responses.sample}'`,
      );
    }
    if (responses.closed) this.#log.warn(`backend closed the connection`);

    // 5. Connect, if not connected.
    if (!this.#sender.connected) {
      const { attempts, errors } = await this.#sender.connect();
      r.reconnects = attempts;
      for (const e of errors) this.#log.warn(`cannot connect: ${e}`);
    }

    // 6. Send the whole buffer.
    if (this.#sender.connected) {
      const to = this.#sender.current!.text;
      const sent = await this.#sender.send(this.#buffer);
      r.sentBytes = sent.bytes;
      r.sentMetrics = sent.metrics;
      this.#totals.sent += sent.metrics;
      if (sent.ok) {
        r.writes = 1;
        this.#consecutiveFailures = 0;
      } else {
        r.failures = 1;
        this.#consecutiveFailures++;
        this.#log.error(
          `failed to send to ${to} after ${sent.bytes} bytes (${sent.error}); ${this.#buffer.metrics} metrics kept for the next cycle`,
        );
      }
    } else {
      r.failures = 1;
      this.#consecutiveFailures++;
      this.#log.error(
        `no destination reachable (${this.#sender.names}); ${this.#buffer.metrics} metrics kept for the next cycle`,
      );
    }

    // 7. Too many failures, or too many bytes: drop and count.
    if (this.#consecutiveFailures > this.#cfg.bufferOnFailures) {
      const d = this.#buffer.dropAll();
      r.lostMetrics += d.metrics;
      r.lostBytes += d.bytes;
      r.discards++;
      this.#log.error(
        `${this.#consecutiveFailures} consecutive failures, more than "buffer on failures" (${this.#cfg.bufferOnFailures}): dropped ${d.metrics} metrics (${d.bytes} bytes) meant for ${this.#sender.names}`,
      );
      this.#consecutiveFailures = 0;
    }
    if (this.#buffer.bytes > this.#cfg.maxBufferedBytes) {
      const d = this.#buffer.dropOldestOver(this.#cfg.maxBufferedBytes);
      if (d.metrics > 0) {
        r.lostMetrics += d.metrics;
        r.lostBytes += d.bytes;
        r.discards++;
        this.#log.error(
          `unsent data over "max buffered bytes" (${this.#cfg.maxBufferedBytes}): dropped the oldest ${d.metrics} metrics (${d.bytes} bytes)`,
        );
      }
    }
    this.#totals.lost += r.lostMetrics;
    r.bufferedMetrics = this.#buffer.metrics;
    r.bufferedBytes = this.#buffer.bytes;

    // 8. Self-monitoring.
    this.#updateSelfCharts(r, this.#clock.nowMs() * 1000);
    return r;
  }

  #addCpu(start: { user: number; system: number }): void {
    const d = process.cpuUsage(start);
    this.#cpuUserUs += d.user;
    this.#cpuSystemUs += d.system;
  }

  #chartName(chart: Chart): string {
    let n = this.#chartNames.get(chart);
    if (n === undefined) {
      this.#chartNames.set(chart, n = sanitizeName(chart.id));
    }
    return n;
  }

  #dimName(dim: Dimension): string {
    let n = this.#dimNames.get(dim);
    if (n === undefined) this.#dimNames.set(dim, n = sanitizeName(dim.id));
    return n;
  }

  #formatWindow(after: number, before: number): void {
    const asCollected = this.#cfg.dataSource === "as collected";
    const kind = this.#cfg.dataSource === "sum" ? "sum" : "average";
    const line = this.#line;
    const batch = this.#batch;
    const connector = this.#connector;
    const agg = this.#agg;
    for (const host of this.#db.hosts()) {
      line.hostname = sanitizeHostname(
        host.isLocal ? this.#cfg.hostname : host.hostname,
      );
      for (const chart of host.charts.values()) {
        const dims = chart.dimensions;
        line.chartId = this.#chartName(chart);
        if (asCollected) {
          for (let i = 0; i < dims.length; i++) {
            const d = dims[i];
            const collectedSec = Math.floor(d.lastCollectedTimeMs / 1000);
            if (d.lastCollectedTimeMs === 0 || collectedSec < after) continue;
            line.dimensionId = this.#dimName(d);
            line.value = formatCollected(d.lastCollectedValue);
            line.timestamp = collectedSec;
            batch.writeLine(connector.formatLine(line));
          }
          continue;
        }
        // Improvement over the seed: a slot stored after its window closed
        // (collection finishing just past the tick) is sent next cycle
        // instead of being skipped, by starting after the last slot sent.
        const through = this.#exportedThrough.get(chart);
        const windowAfter = through !== undefined && through < after
          ? through
          : after;
        const range = storedSlotRange(
          windowAfter,
          before,
          chart.updateEverySec,
          chart.firstEntrySec(),
          chart.lastEntrySec(),
        );
        // Remember how far this chart was looked at, even when nothing was
        // sent: the exporter's own charts are completed after formatting, so
        // their slot at `before` is stored too late for this window.
        this.#exportedThrough.set(
          chart,
          range ? range.to : Math.min(chart.lastEntrySec(), before),
        );
        if (!range) continue;
        for (let i = 0; i < dims.length; i++) {
          const d = dims[i];
          if (
            d.lastCollectedTimeMs === 0 ||
            Math.floor(d.lastCollectedTimeMs / 1000) < after
          ) continue;
          aggregate(chart, d, range.from, range.to, kind, agg);
          if (agg.count === 0) continue;
          line.dimensionId = this.#dimName(d);
          line.value = formatFixed7(agg.value);
          line.timestamp = before;
          batch.writeLine(connector.formatLine(line));
        }
      }
    }
  }

  #updateSelfCharts(r: CycleReport, nowUt: number): void {
    const c = this.#charts;
    const ms = this.#clock.nowMs();
    c.metrics.dimension("buffered")!.set(r.bufferedMetrics, ms);
    c.metrics.dimension("lost")!.set(r.lostMetrics, ms);
    c.metrics.dimension("sent")!.set(r.sentMetrics, ms);
    c.metrics.done(nowUt);
    c.bytes.dimension("buffered")!.set(r.bufferedBytes, ms);
    c.bytes.dimension("lost")!.set(r.lostBytes, ms);
    c.bytes.dimension("sent")!.set(r.sentBytes, ms);
    c.bytes.dimension("received")!.set(r.receivedBytes, ms);
    c.bytes.done(nowUt);
    c.ops.dimension("write")!.set(r.writes, ms);
    c.ops.dimension("discard")!.set(r.discards, ms);
    c.ops.dimension("reconnect")!.set(r.reconnects, ms);
    c.ops.dimension("failure")!.set(r.failures, ms);
    c.ops.dimension("read")!.set(r.reads, ms);
    c.ops.done(nowUt);
    c.cpu.dimension("user")!.set(this.#cpuUserUs, ms);
    c.cpu.dimension("system")!.set(this.#cpuSystemUs, ms);
    c.cpu.done(nowUt);
  }
}

interface SelfCharts {
  metrics: Chart;
  bytes: Chart;
  ops: Chart;
  cpu: Chart;
}

/** netdata's backend monitoring charts, same ids, dimensions and scales. */
function createSelfCharts(db: Database, updateEverySec: number): SelfCharts {
  const host = db.localhost;
  const history = 3600;
  const chart = (id: string, title: string, units: string, priority: number) =>
    host.addChart({
      id,
      title,
      units,
      family: "backend",
      priority,
      updateEverySec,
      history,
      chartType: "area",
      plugin: "skiff",
      module: "backend",
    });
  const metrics = chart(
    "netdata.backend_metrics",
    "Netdata Buffered Metrics",
    "metrics",
    130600,
  );
  for (const d of ["buffered", "lost", "sent"]) metrics.addDimension(d);
  const bytes = chart(
    "netdata.backend_bytes",
    "Netdata Backend Data Size",
    "KB",
    130610,
  );
  for (const d of ["buffered", "lost", "sent", "received"]) {
    bytes.addDimension(d, { divisor: 1024 });
  }
  const ops = chart(
    "netdata.backend_ops",
    "Netdata Backend Operations",
    "operations",
    130630,
  );
  for (const d of ["write", "discard", "reconnect", "failure", "read"]) {
    ops.addDimension(d);
  }
  const cpu = chart(
    "netdata.backend_thread_cpu",
    "Netdata Backend Thread CPU usage",
    "milliseconds/s",
    130630,
  );
  for (const d of ["user", "system"]) {
    cpu.addDimension(d, { algorithm: "incremental", divisor: 1000 });
  }
  return { metrics, bytes, ops, cpu };
}
