/**
 * One exporting instance (netdata 1.37's `struct instance`): its own
 * schedule, window, filters, connector, send buffer, transport, accounting
 * and self charts. Formatting a batch is synchronous; sending runs on its
 * own, so a blackholed destination never delays another instance or
 * collection.
 *
 * @module
 */

import { cpuUsage } from "../cpu_usage.ts";
import type { Clock } from "../clock.ts";
import type { ExportingInstance } from "../config/mod.ts";
import { LABEL_SOURCE_AUTO, LABEL_SOURCE_CONFIG } from "../config/mod.ts";
import type { Logger } from "../log.ts";
import { compileSimplePattern } from "../simple_pattern.ts";
import type { SimplePattern } from "../simple_pattern.ts";
import { aggregateSlots, slotWindow } from "../storage/mod.ts";
import type { AggregateResult, SlotWindow } from "../storage/mod.ts";
import type { Chart, Database, Dimension, Host } from "../storage/mod.ts";
import { BatchWriter, SendBuffer } from "./buffer.ts";
import type { Batch, Dropped } from "./buffer.ts";
import { connectorFor } from "./connectors/mod.ts";
import type { Connector, HostFormat, MetricFormat } from "./connectors/mod.ts";
import {
  formatCollected,
  formatFixed7,
  sanitizeHostname,
  sanitizeName,
} from "./format.ts";
import { completeChart, createInstanceCharts } from "./self_charts.ts";
import type { InstanceCharts } from "./self_charts.ts";
import { basicAuthorization } from "./http.ts";
import { Sender } from "./transport.ts";
import type { Dialer } from "./transport.ts";
import { continueWindow, exportWindow, latePieces } from "./window.ts";

/**
 * Totals since start; the invariant is formatted = sent + lost + buffered.
 * Re-sent metrics (`resend window seconds`) are counted apart.
 */
export interface Accounting {
  formatted: number;
  sent: number;
  lost: number;
  buffered: number;
  resent: number;
}

/** What happened since the last report (also what the self charts show). */
export interface CycleReport {
  formattedMetrics: number;
  formattedBytes: number;
  sentMetrics: number;
  sentBytes: number;
  /** Metrics sent again after a reconnect (`resend window seconds`). */
  resentMetrics: number;
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

function emptyReport(): CycleReport {
  return {
    formattedMetrics: 0,
    formattedBytes: 0,
    sentMetrics: 0,
    sentBytes: 0,
    resentMetrics: 0,
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
}

/** An instance's state, for `/status`. */
export interface InstanceStatus {
  name: string;
  section: string;
  type: string;
  destinations: string[];
  /** The destination connected to; "" when none. */
  connectedTo: string;
  /**
   * `tap` (skiff tap), `connected`, `failing` (the last cycles failed), or
   * `idle` (never connected yet: nothing to send so far).
   */
  state: "tap" | "connected" | "failing" | "idle";
  /** Since when the outage under way began (ms); 0 when none. */
  failingSinceMs: number;
  failedCycles: number;
  /** The last error met; "" when none. */
  lastError: string;
  accounting: Accounting;
  bufferedBytes: number;
  updateEverySec: number;
}

/** What an instance needs besides its config. */
export interface InstanceOptions {
  clock: Clock;
  log: Logger;
  /** Replaces Deno.connect / stdout, for tests. */
  dial?: Dialer;
  /** Clock for connect/write timeouts; defaults to `clock`. */
  timeoutClock?: Clock;
  /** Where the self charts go; none when undefined. */
  chartsHost?: Host;
  /**
   * `skiff tap`: each batch goes here instead of to the destination, which
   * is never connected to (the batches count as sent, to the tap).
   */
  tap?: (instance: ExportInstance, batch: Batch) => void;
}

/** One exporting instance. */
export class ExportInstance {
  readonly config: ExportingInstance;
  readonly #clock: Clock;
  readonly #tap: InstanceOptions["tap"];
  readonly #log: Logger;
  readonly #connector: Connector;
  readonly #sender: Sender;
  readonly #buffer = new SendBuffer();
  readonly #batch = new BatchWriter();
  readonly #agg: AggregateResult = { value: NaN, count: 0 };
  readonly #window: SlotWindow = { slot: 0, slots: 0 };
  readonly #charts: InstanceCharts | undefined;
  readonly #chartsPattern: SimplePattern;
  readonly #hostsPattern: SimplePattern;
  readonly #chartSend = new WeakMap<Chart, { name: string; send: boolean }>();
  readonly #hostSend = new WeakMap<Host, boolean>();
  /**
   * Per chart, what this instance exported last: the last slot (average,
   * sum), or the newest collection time in ms (as collected). Nothing is
   * exported twice, and nothing is skipped.
   */
  readonly #through = new WeakMap<Chart, number>();
  readonly #chartNames = new WeakMap<Chart, { from: string; name: string }>();
  readonly #dimNames = new WeakMap<
    Dimension,
    { from: string; name: string }
  >();
  readonly #host: HostFormat = {
    hostname: "",
    tags: "",
    labelsConfigured: false,
    labels: [],
    suffix: "",
    program: "",
    programVersion: "",
    variables: new Map(),
    nowMs: 0,
  };
  readonly #metric: MetricFormat;
  #afterSec: number;
  #totals = { formatted: 0, sent: 0, lost: 0, resent: 0 };
  /** Since the self charts were last updated. */
  #period = emptyReport();
  #cpuUserUs = 0;
  #cpuSystemUs = 0;
  #flushing: Promise<CycleReport> | undefined;
  /**
   * The outage under way: cycles that failed in a row (0: none), since when,
   * the last error, and what was lost before it began. Its start and its
   * end are logged once; the cycles between at debug level.
   */
  #failedCycles = 0;
  #failingSinceMs = 0;
  #lastError = "";
  #lostBeforeOutage = 0;
  #everConnected = false;
  /** No request before this (ms): a server's Retry-After. */
  #notBeforeMs = 0;

  constructor(config: ExportingInstance, options: InstanceOptions) {
    this.config = config;
    this.#clock = options.clock;
    this.#tap = options.tap;
    this.#log = options.log;
    const connector = connectorFor(config);
    if (!connector) {
      throw new Error(
        `[${config.section}]: no connector for type "${config.typeWord}" (not implemented, or not loaded: loadConnectors)`,
      );
    }
    this.#connector = connector;
    this.#sender = new Sender(config.destinations, {
      timeoutMs: config.timeoutMs,
      clock: options.timeoutClock ?? options.clock,
      dial: options.dial,
      http: connector.http && {
        request: config.type === "prometheus_remote_write"
          ? { ...connector.http, path: config.remoteWritePath }
          : connector.http,
        authorization: basicAuthorization(config.username, config.password),
      },
      tls: config.tls ? { caCerts: config.tlsCaCerts } : undefined,
    });
    this.#afterSec = Math.floor(this.#clock.nowMs() / 1000);
    this.#buffer.resendWindowMs = config.resendWindowSec * 1000;
    this.#chartsPattern = compileSimplePattern(config.sendChartsMatching);
    this.#hostsPattern = compileSimplePattern(config.sendHostsMatching);
    this.#metric = {
      prefix: config.prefix,
      host: this.#host,
      chart: "",
      dimension: "",
      value: "",
      numericValue: 0,
      timestamp: 0,
      timestampMs: 0,
      chartInfo: undefined as unknown as Chart,
      dimensionInfo: undefined as unknown as Dimension,
    };
    if (options.chartsHost) {
      this.#charts = createInstanceCharts(
        options.chartsHost,
        config.name,
        config.updateEverySec,
        config.legacy,
      );
      // skiff's: re-sent metrics, counted apart from sent ones.
      if (config.resendWindowSec > 0) {
        this.#charts.metrics.addDimension("resent");
      }
    }
  }

  /** Totals since start. */
  accounting(): Accounting {
    return { ...this.#totals, buffered: this.#buffer.metrics };
  }

  /** Where it sends, and how that goes. */
  status(): InstanceStatus {
    const c = this.config;
    const connectedTo = this.#sender.connected
      ? this.#sender.current!.text
      : "";
    return {
      name: c.name,
      section: c.section,
      type: c.type,
      destinations: c.destinations.map((d) => d.text),
      connectedTo,
      state: this.#tap
        ? "tap"
        : this.#failedCycles > 0
        ? "failing"
        : connectedTo !== ""
        ? "connected"
        : "idle",
      failingSinceMs: this.#failedCycles > 0 ? this.#failingSinceMs : 0,
      failedCycles: this.#failedCycles,
      lastError: this.#lastError,
      accounting: this.accounting(),
      bufferedBytes: this.#buffer.bytes,
      updateEverySec: c.updateEverySec,
    };
  }

  /** Unsent bytes held. */
  get bufferedBytes(): number {
    return this.#buffer.bytes;
  }

  /** The sender, for inspection in tests. */
  get sender(): Sender {
    return this.#sender;
  }

  /** Whether a send is in progress. */
  get busy(): boolean {
    return this.#flushing !== undefined;
  }

  /** One line saying what this instance does, for the start-up log. */
  describe(): string {
    const c = this.config;
    return `[${c.section}] sending ${c.dataSource} data as ${c.type}${
      c.tls ? " over TLS" : ""
    } to ${this.#sender.names} every ${c.updateEverySec}s, as host "${c.hostname}" with prefix "${c.prefix}"`;
  }

  /**
   * Formats the window ending at `nowMs` into a batch and queues it; the
   * oldest batches beyond `buffer on failures` or `max buffered bytes` are
   * dropped and counted as lost. Returns the metrics formatted.
   */
  format(db: Database, nowMs: number): number {
    const cpuStart = cpuUsage();
    const before = Math.floor(nowMs / 1000);
    this.#formatWindow(db, this.#afterSec, before, nowMs);
    this.#afterSec = before;
    const batch = this.#batch.take(this.#connector.framing === "message");
    this.#totals.formatted += batch.metrics;
    this.#period.formattedMetrics += batch.metrics;
    this.#period.formattedBytes += batch.bytes.length;
    // A request with no metric is not sent (netdata POSTs an empty array).
    if (batch.metrics > 0) this.#buffer.append(batch, nowMs);
    // As netdata 1.37's ring of `buffer on failures` batches.
    this.#countLost(this.#buffer.dropOldest(this.config.bufferOnFailures));
    this.#addCpu(cpuStart);
    return batch.metrics;
  }

  #countLost(d: Dropped): void {
    if (d.batches === 0) return;
    this.#totals.lost += d.metrics;
    this.#period.lostMetrics += d.metrics;
    this.#period.lostBytes += d.bytes;
    this.#period.discards++;
    this.#log.error(
      `[${this.config.section}] dropped the oldest ${d.batches} unsent batches, ${d.metrics} metrics (${d.bytes} bytes) meant for ${this.#sender.names}: more than "buffer on failures" (${this.config.bufferOnFailures} batches) or "max buffered bytes" (${this.config.maxBufferedBytes})`,
    );
  }

  /**
   * Sends what is buffered, unless a send is already running (it takes the
   * new batches too). Resolves with what happened since the last report,
   * after the self charts are updated.
   */
  flush(): Promise<CycleReport> {
    this.#flushing ??= this.#flushOnce().finally(() => {
      this.#flushing = undefined;
    });
    return this.#flushing;
  }

  /**
   * Formats at `nowMs` and sends, waiting for the send (tests, shutdown). A
   * send already running takes the new batch too; one more send follows
   * for what it left.
   */
  async cycle(db: Database, nowMs: number): Promise<CycleReport> {
    this.format(db, nowMs);
    if (this.#flushing) await this.#flushing;
    return await this.flush();
  }

  /** Closes the connection. */
  close(): void {
    this.#sender.close();
  }

  async #flushOnce(): Promise<CycleReport> {
    const cpuStart = cpuUsage();
    const p = this.#period;
    const name = `[${this.config.section}]`;
    const responses = this.#sender.takeResponses();
    p.receivedBytes += responses.bytes;
    p.reads += responses.reads;
    if (responses.bytes > 0) {
      this.#log.info(
        `${name} received ${responses.bytes} bytes from ${this.config.type} destination; ignoring them. Sample: '${responses.sample}'`,
      );
    }
    if (responses.closed) {
      this.#log.warn(`${name} the destination closed the connection`);
    }
    if (this.#tap) {
      for (const b of this.#buffer.takeAll()) {
        this.#tap(this, b);
        p.sentMetrics += b.metrics;
        p.sentBytes += b.bytes.length;
        this.#totals.sent += b.metrics;
      }
    }
    const waitMs = this.#notBeforeMs - this.#clock.nowMs();
    let connectError = "";
    if (waitMs > 0 && !this.#buffer.empty) {
      this.#log.debug(
        `${name} waiting ${
          Math.ceil(waitMs / 1000)
        } s more, as the server asked (Retry-After); ${this.#buffer.metrics} metrics kept`,
      );
    } else if (!this.#sender.connected && !this.#buffer.empty) {
      const { attempts, errors } = await this.#sender.connect();
      p.reconnects += attempts;
      for (const e of errors) {
        this.#log.log(
          this.#failedCycles === 0 ? "warn" : "debug",
          `${name} cannot connect: ${e}`,
        );
      }
      connectError = errors[errors.length - 1] ?? "";
      if (this.#sender.connected) {
        const to = this.#sender.current!.text;
        this.#log.info(
          !this.#everConnected
            ? `${name} connected to ${to}`
            : this.#failedCycles > 0
            ? `${name} reconnected to ${to} after ${this.#failedCycles} failed cycles`
            : `${name} reconnected to ${to}`,
        );
        this.#everConnected = true;
        const again = this.#buffer.requeueRecent(this.#clock.nowMs());
        if (again > 0) {
          this.#log.info(
            `${name} sending again the ${again} metrics sent in the last ${this.config.resendWindowSec} s ("resend window seconds"): the previous connection may have lost them`,
          );
        }
      }
    }
    if (this.#buffer.empty || waitMs > 0) {
      // nothing to send, or not yet
    } else if (this.#sender.connected) {
      const to = this.#sender.current!.text;
      const sent = await this.#sender.send(this.#buffer);
      p.sentBytes += sent.bytes;
      p.sentMetrics += sent.metrics;
      p.resentMetrics += sent.resent;
      this.#totals.resent += sent.resent;
      this.#totals.sent += sent.metrics;
      if (sent.ok) {
        p.writes++;
        if (this.#failedCycles > 0) {
          this.#log.info(
            `${name} recovered after ${this.#failedCycles} failed cycles (failing since ${
              new Date(this.#failingSinceMs).toISOString()
            }; last error: ${this.#lastError}): ${sent.metrics} metrics delivered to ${to}, those buffered during the outage included; ${
              this.#totals.lost - this.#lostBeforeOutage
            } lost meanwhile`,
          );
        }
        this.#failedCycles = 0;
      } else {
        p.failures++;
        if (sent.retryAfterSec !== undefined) {
          this.#notBeforeMs = this.#clock.nowMs() + sent.retryAfterSec * 1000;
        }
        this.#failed(
          `failed to send to ${to} after ${sent.bytes} bytes (${sent.error})`,
          sent.retryAfterSec !== undefined
            ? `, sent again in ${sent.retryAfterSec} s (Retry-After)`
            : "",
        );
      }
    } else {
      p.failures++;
      this.#failed(
        `no destination reachable (${this.#sender.names}${
          connectError ? `; ${connectError}` : ""
        })`,
        "",
      );
    }
    // What a send could not take is held up to the byte cap.
    this.#countLost(
      this.#buffer.dropOldest(Infinity, this.config.maxBufferedBytes),
    );
    this.#addCpu(cpuStart);
    p.bufferedMetrics = this.#buffer.metrics;
    p.bufferedBytes = this.#buffer.bytes;
    this.#period = emptyReport();
    this.#updateSelfCharts(p);
    this.#log.debug(
      `${name} cycle: ${p.formattedMetrics} metrics formatted (${p.formattedBytes} bytes), ${p.sentMetrics} sent (${p.sentBytes} bytes), ${p.lostMetrics} lost, ${p.bufferedMetrics} buffered (${p.bufferedBytes} bytes)${
        this.#failedCycles > 0
          ? `; failing for ${this.#failedCycles} cycles`
          : ""
      }`,
    );
    return p;
  }

  /**
   * A cycle that could not deliver: the first of an outage is logged as an
   * error, the next ones at debug level until it recovers.
   */
  #failed(what: string, more: string): void {
    const name = `[${this.config.section}]`;
    this.#lastError = what;
    const first = this.#failedCycles === 0;
    if (first) {
      this.#failingSinceMs = this.#clock.nowMs();
      this.#lostBeforeOutage = this.#totals.lost;
    }
    this.#failedCycles++;
    this.#log.log(
      first ? "error" : "debug",
      `${name} ${what}; ${this.#buffer.metrics} metrics kept for the next cycle${more}${
        first
          ? " (logged again when it recovers; every cycle at debug level)"
          : ""
      }`,
    );
  }

  #addCpu(start: { user: number; system: number }): void {
    const d = cpuUsage(start);
    this.#cpuUserUs += d.user;
    this.#cpuSystemUs += d.system;
  }

  #hostExportable(host: Host): boolean {
    let send = this.#hostSend.get(host);
    if (send === undefined) {
      send = this.#hostsPattern(host.isLocal ? "localhost" : host.hostname);
      this.#hostSend.set(host, send);
      this.#log.info(
        `[${this.config.section}] ${
          send ? "enabled" : "disabled"
        } exporting of host "${host.isLocal ? "localhost" : host.hostname}"`,
      );
    }
    return send;
  }

  #chartExportable(chart: Chart): boolean {
    // Decided once per name, as netdata 1.37 decides once and again after
    // a rename (rrdset_reset_name() clears RRDSET_FLAG_EXPORTING_SEND).
    let c = this.#chartSend.get(chart);
    if (c === undefined || c.name !== chart.name) {
      c = {
        name: chart.name,
        send: this.#chartsPattern(chart.id) || this.#chartsPattern(chart.name),
      };
      this.#chartSend.set(chart, c);
    }
    return c.send;
  }

  #chartName(chart: Chart): string {
    return this.#cachedName(
      this.#chartNames,
      chart,
      this.config.sendNames ? chart.name : chart.id,
    );
  }

  #dimName(dim: Dimension): string {
    return this.#cachedName(
      this.#dimNames,
      dim,
      this.config.sendNames ? dim.name : dim.id,
    );
  }

  /**
   * A sanitized name. One that sanitizing changes is kept until the name
   * changes (a child that redefines a chart may rename it, as netdata's
   * rrdset_reset_name() allows); one it leaves as it is (most) is checked
   * again on each use, a scan of its characters that allocates nothing, and
   * keeps nothing: an entry a dimension took some 50 bytes, 0.5 MiB for the
   * compare job's 10,000 dimensions.
   */
  #cachedName<K extends object>(
    cache: WeakMap<K, { from: string; name: string }>,
    key: K,
    from: string,
  ): string {
    const c = cache.get(key);
    if (c !== undefined && c.from === from) return c.name;
    const name = sanitizeName(from);
    if (name !== from) cache.set(key, { from, name });
    else if (c !== undefined) cache.delete(key);
    return name;
  }

  #startHost(host: Host, nowMs: number): void {
    const c = this.config;
    const h = this.#host;
    h.hostname = sanitizeHostname(host.isLocal ? c.hostname : host.hostname);
    h.tags = host.tags;
    h.program = host.program;
    h.programVersion = host.programVersion;
    h.variables = host.variables;
    h.labelsConfigured = c.sendConfiguredLabels || c.sendAutomaticLabels;
    h.labels = [];
    for (const [name, { value, source }] of host.labels) {
      // netdata's should_send_label()
      if (
        (c.sendConfiguredLabels && (source & LABEL_SOURCE_CONFIG) !== 0) ||
        (c.sendAutomaticLabels && (source & LABEL_SOURCE_AUTO) !== 0)
      ) h.labels.push([name, value]);
    }
    h.suffix = "";
    h.nowMs = nowMs;
    this.#connector.startHost?.(h);
  }

  #formatWindow(
    db: Database,
    afterSec: number,
    beforeSec: number,
    nowMs: number,
  ): void {
    const asCollected = this.config.dataSource === "as collected";
    const kind = this.config.dataSource === "sum" ? "sum" : "average";
    const m = this.#metric;
    const batch = this.#batch;
    const connector = this.#connector;
    const agg = this.#agg;
    connector.startBatch?.(batch);
    for (const host of db.hosts()) {
      if (!this.#hostExportable(host)) continue;
      this.#startHost(host, nowMs);
      for (const chart of host.charts.values()) {
        const dims = chart.dimensions;
        if (
          chart.obsolete || dims.length === 0 || !this.#chartExportable(chart)
        ) continue;
        m.chart = this.#chartName(chart);
        m.chartInfo = chart;
        if (asCollected) {
          // Each collection once: those newer than the newest this
          // instance sent of the chart (netdata sends every dimension every
          // cycle, the same collection again until a new one comes).
          const since = this.#through.get(chart) ?? 0;
          let newest = since;
          for (let i = 0; i < dims.length; i++) {
            const d = dims[i];
            const t = d.lastCollectedTimeMs;
            if (t <= since) continue;
            if (t > newest) newest = t;
            m.dimension = this.#dimName(d);
            m.dimensionInfo = d;
            m.value = formatCollected(d.lastCollectedValue);
            m.numericValue = d.lastCollectedValue;
            m.timestamp = Math.floor(t / 1000);
            m.timestampMs = Math.floor(t);
            connector.metric(m, batch);
          }
          this.#through.set(chart, newest);
          continue;
        }
        const ue = chart.updateEverySec;
        const first = chart.firstEntrySec();
        const window = exportWindow(
          afterSec,
          beforeSec,
          ue,
          first,
          chart.lastEntrySec(),
        );
        const through = this.#through.get(chart);
        const range = window && continueWindow(window, through, ue, first);
        if (!range) continue;
        this.#through.set(chart, range.to);
        const pieces = through === undefined
          ? [range]
          : latePieces(range, this.config.updateEverySec, ue);
        for (const piece of pieces) {
          m.timestamp = piece.to;
          m.timestampMs = piece.to * 1000;
          const window = slotWindow(chart, piece.from, piece.to, this.#window);
          if (window.slots === 0) continue;
          for (let i = 0; i < dims.length; i++) {
            const d = dims[i];
            aggregateSlots(chart, d, window, kind, agg);
            if (agg.count === 0) continue;
            m.dimension = this.#dimName(d);
            m.dimensionInfo = d;
            m.value = formatFixed7(agg.value);
            m.numericValue = agg.value;
            connector.metric(m, batch);
          }
        }
      }
      connector.variables?.(this.#host, batch);
    }
    connector.endBatch?.(batch);
  }

  #updateSelfCharts(r: CycleReport): void {
    const c = this.#charts;
    if (!c) return;
    const ms = this.#clock.nowMs();
    completeChart(c.metrics, {
      buffered: r.bufferedMetrics,
      lost: r.lostMetrics,
      sent: r.sentMetrics,
      ...(this.config.resendWindowSec > 0 ? { resent: r.resentMetrics } : {}),
    }, ms);
    completeChart(c.bytes, {
      buffered: r.bufferedBytes,
      lost: r.lostBytes,
      sent: r.sentBytes,
      received: r.receivedBytes,
    }, ms);
    completeChart(c.ops, {
      write: r.writes,
      discard: r.discards,
      reconnect: r.reconnects,
      failure: r.failures,
      read: r.reads,
    }, ms);
    completeChart(c.cpu, {
      user: this.#cpuUserUs,
      system: this.#cpuSystemUs,
    }, ms);
  }
}
