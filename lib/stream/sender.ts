/**
 * The streaming sender (a netdata child): streams a host to the first
 * reachable `[stream] destination` with netdata 1.37's protocol, so a
 * netdata 1.37 parent or another skiff receives it. It offers the
 * capabilities a 1.37 child offers (ver=16376, less those turned off) and
 * uses what the parent grants: chart labels, LZ4 compression, and
 * replication. Every chart is defined on connect (CHART, CLABEL, DIMENSION);
 * with replication, each definition ends with `CHART_DEFINITION_END first
 * last now` and the chart's live data waits until the parent's
 * `REPLAY_CHART` is answered from storage, so the parent fills the hole
 * the disconnect left. Each completion is sent as BEGIN/SET/END with the
 * raw collected values, as netdata's sender does. Reconnects with backoff;
 * a parent that does not read for the timeout is dropped. A FUNCTION call
 * is answered "not supported" (skiff has no functions).
 *
 * @module
 */

import type { Clock } from "../clock.ts";
import { sleep, withTimeout } from "../clock.ts";
import type { Config } from "../config/mod.ts";
import { writeAll } from "./conn.ts";
import type { Destination } from "../config/mod.ts";
import type { Logger } from "../log.ts";
import { formatCollected } from "../export/format.ts";
import type { Chart, Database, Dimension, Host } from "../storage/mod.ts";
import { SKIFF_VERSION } from "../collect/mod.ts";
import { LineSplitter, splitWords } from "../protocol/mod.ts";
import {
  CAP,
  capabilityBits,
  capabilityList,
  OUR_CAPABILITIES,
  READY_V1,
  READY_V2,
  READY_VN,
  versionToCapabilities,
} from "./handshake.ts";
import type { StreamCompressor } from "./compression.ts";
import { replayResponse } from "./replication.ts";
import type { ReplayRequest } from "./replication.ts";

/** A sender drops the connection when more than this waits to be written. */
export const MAX_PENDING_BYTES = 4 * 1024 * 1024;
/**
 * A parent asks one replay per chart at a time; more than this waiting is
 * a parent gone wrong, and the connection is dropped.
 */
export const MAX_QUEUED_REPLAYS = 10_000;

/** netdata's RRDLABEL_SRC_AUTO | RRDLABEL_SRC_CONFIG, as its children send. */
const LABEL_SOURCE_AUTO = 536870913;

/** `"text"` as netdata quotes words (a `"` inside would end it: made `'`). */
function q(text: string): string {
  return `"${text.replaceAll('"', "'")}"`;
}

/** The CHART, DIMENSION and CLABEL lines defining a chart. */
export function chartDefinition(chart: Chart): string {
  const opts = [
    chart.obsolete ? "obsolete" : "",
    chart.detail ? "detail" : "",
    chart.hidden ? "hidden" : "",
  ]
    .filter((o) => o !== "").join(" ");
  let out = `CHART ${q(chart.id)} ${
    q(chart.name === chart.id ? "" : chart.name)
  } ${q(chart.title)} ${q(chart.units)} ${q(chart.family)} ${
    q(chart.context)
  } ${q(chart.chartType)} ${chart.priority} ${chart.updateEverySec} ${
    q(opts)
  } ${q(chart.plugin)} ${q(chart.module)}\n`;
  // As netdata 1.37 sends them: automatic labels first (source AUTO|CONFIG),
  // then the chart's own; CLABEL_COMMIT only after at least one CLABEL, since
  // a 1.37 parent drops a child that commits none.
  const labels: string[] = [];
  if (chart.plugin) {
    labels.push(
      `CLABEL "_collect_plugin" ${q(chart.plugin)} ${LABEL_SOURCE_AUTO}\n`,
    );
  }
  if (chart.module) {
    labels.push(
      `CLABEL "_collect_module" ${q(chart.module)} ${LABEL_SOURCE_AUTO}\n`,
    );
  }
  for (const [k, v] of chart.labels) labels.push(`CLABEL ${q(k)} ${q(v)} 1\n`);
  if (labels.length > 0) out += labels.join("") + "CLABEL_COMMIT\n";
  for (const d of chart.dimensions) out += dimensionDefinition(d);
  return out;
}

function dimensionDefinition(d: Dimension): string {
  const opts = [
    d.obsolete ? "obsolete" : "",
    d.hidden ? "hidden" : "",
    d.dontDetectResets ? "noreset" : "",
  ]
    .filter((o) => o !== "").join(" ");
  return `DIMENSION ${q(d.id)} ${q(d.name === d.id ? "" : d.name)} ${
    q(d.algorithm)
  } ${d.multiplier} ${d.divisor} ${q(opts)}\n`;
}

/**
 * What ends a chart's definition when replication is on, as 1.37's
 * rrdpush_send_chart_definition(): the first and last slot stored, and now.
 */
export function chartDefinitionEnd(chart: Chart, nowSec: number): string {
  let first = chart.firstEntrySec();
  let last = chart.lastEntrySec();
  if (last > nowSec) last = nowSec;
  if (first && last && first >= last) first = last - chart.updateEverySec;
  if (!first && last) first = last;
  return `CHART_DEFINITION_END ${first} ${last} ${nowSec}\n`;
}

/** One completion as BEGIN/SET/END, from the dimensions updated in it. */
export function chartCollection(chart: Chart): string {
  let out = `BEGIN ${q(chart.id)} ${chart.usecSinceLastUpdate}\n`;
  for (const d of chart.dimensions) {
    if (d.updated) {
      out += `SET ${q(d.id)} = ${formatCollected(d.collectedValue)}\n`;
    }
  }
  return out + "END\n";
}

/** The request line and headers a child sends. */
export function streamRequest(
  o: {
    hops?: number;
    apiKey: string;
    hostname: string;
    machineGuid: string;
    updateEverySec: number;
    os: string;
    timezone: string;
    /** netdata's host tags, sent as `tags=` ("" for none). */
    tags?: string;
    /** The capabilities offered (`ver=`); all skiff has by default. */
    capabilities?: number;
  },
): string {
  const params = [
    ["key", o.apiKey],
    ["hostname", o.hostname],
    ["registry_hostname", o.hostname],
    ["machine_guid", o.machineGuid],
    ["update_every", String(o.updateEverySec)],
    ["os", o.os],
    ["timezone", o.timezone],
    ["abbrev_timezone", "UTC"],
    ["utc_offset", "0"],
    ["hops", String(o.hops ?? 1)],
    ["ml_capable", "0"],
    ["ml_enabled", "0"],
    ["mc_version", "0"],
    ["tags", o.tags ?? ""],
    ["ver", String(o.capabilities ?? OUR_CAPABILITIES)],
    ["NETDATA_PROTOCOL_VERSION", "1.1"],
  ].map(([k, v]) => `${k}=${v.replace(/[&\s]/g, "_")}`).join("&");
  return `STREAM ${params} HTTP/1.1\r\nUser-Agent: skiff/v${SKIFF_VERSION}\r\nAccept: */*\r\n\r\n`;
}

/**
 * A parent's answer: the version it accepted and the capabilities that
 * means (as a 1.37 child reads it), or why it refused.
 */
export function parseReadyAnswer(
  text: string,
):
  | { ok: true; version: number; capabilities: number }
  | { ok: false; answer: string } {
  let version = 0;
  if (text.startsWith(READY_VN)) {
    version = Number.parseInt(text.slice(READY_VN.length), 10);
    if (!(version > 0)) return { ok: false, answer: text };
  } else if (text.startsWith(READY_V2)) version = 2;
  else if (text.startsWith(READY_V1)) version = 1;
  else {
    return {
      ok: false,
      answer: text.trim().split(/\r?\n/).pop()!.slice(0, 200),
    };
  }
  return { ok: true, version, capabilities: versionToCapabilities(version) };
}

/** Opens a connection; replaceable in tests. */
export type StreamDialer = (
  d: Destination & { kind: "tcp" },
) => Promise<Deno.Conn>;

/** Counters of a sender, since it was made. */
export interface SenderStats {
  /** Connections that completed the handshake. */
  connections: number;
  /** Stream text queued, and what it took on the wire (compressed or not). */
  textBytes: number;
  wireBytes: number;
  /** REPLAY_CHART requests answered, and the slots sent in them. */
  replayRequests: number;
  replayedSlots: number;
}

/** The sender. */
export class StreamSender {
  readonly stats: SenderStats = {
    connections: 0,
    textBytes: 0,
    wireBytes: 0,
    replayRequests: 0,
    replayedSlots: 0,
  };
  readonly #host: Host;
  readonly #hops: number;
  readonly #cfg: Config["stream"];
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #dial: StreamDialer;
  #conn: Deno.Conn | undefined;

  /** Whether a parent accepted the stream and the link is up. */
  get connected(): boolean {
    return this.#conn !== undefined;
  }
  #pending: Uint8Array[] = [];
  #pendingBytes = 0;
  #defined = new WeakSet<Chart>();
  /** Charts defined on this connection that wait for their replay. */
  #replicating = new WeakSet<Chart>();
  /** Charts defined while they had nothing stored (CHART_DEFINITION_END 0 0). */
  #definedEmpty = new WeakSet<Chart>();
  /** REPLAY_CHART requests not answered yet, oldest first. */
  #replays: { chartId: string; req: ReplayRequest }[] = [];
  #capabilities = 0;
  #compressor: StreamCompressor | undefined;
  #writing: Promise<void> | undefined;
  #failed: string | undefined;

  constructor(
    db: Database,
    config: Config,
    options: {
      clock: Clock;
      log: Logger;
      dial?: StreamDialer;
      /** The host to stream; the local one unless forwarding a received host. */
      host?: Host;
      /** 1 for the local host; 2 for a host received from a child. */
      hops?: number;
    },
  ) {
    this.#host = options.host ?? db.localhost;
    this.#hops = options.hops ?? 1;
    this.#cfg = config.stream;
    this.#clock = options.clock;
    this.#log = options.log;
    this.#dial = options.dial ??
      ((d) =>
        Deno.connect({ hostname: d.hostname, port: d.port, transport: "tcp" }));
  }

  /** Connections that completed the handshake. */
  get connections(): number {
    return this.stats.connections;
  }

  /** The capabilities the parent granted on the current connection. */
  get capabilities(): number {
    return this.#capabilities;
  }

  /** What this sender offers: all of skiff's, less those turned off. */
  #offered(): number {
    let off = capabilityBits(this.#cfg.disabledCapabilities);
    if (!this.#cfg.enableCompression) off |= CAP.COMPRESSION;
    return OUR_CAPABILITIES & ~off;
  }

  /** Streams until `signal` aborts, reconnecting with backoff. */
  async run(signal: AbortSignal): Promise<void> {
    const host = this.#host;
    host.observeCompletions((chart) => this.#onComplete(chart));
    let delaySec = this.#cfg.reconnectDelaySec;
    try {
      while (!signal.aborted) {
        const conn = await this.#connect(signal);
        if (conn) {
          delaySec = this.#cfg.reconnectDelaySec;
          await this.#stream(conn, signal);
        }
        if (signal.aborted) break;
        this.#log.info(`reconnecting to a parent in ${delaySec} s`);
        try {
          await sleep(this.#clock, delaySec * 1000, signal);
        } catch {
          break;
        }
        delaySec = Math.min(60, delaySec * 2);
      }
    } finally {
      host.observeCompletions(undefined);
      this.#conn?.close();
      this.#conn = undefined;
    }
  }

  /** Tries each destination in order; the connection of the first that accepts the stream. */
  async #connect(signal: AbortSignal): Promise<Deno.Conn | undefined> {
    const timeoutMs = this.#cfg.timeoutSec * 1000;
    const local = this.#host;
    for (const d of this.#cfg.destinations) {
      if (signal.aborted || d.kind !== "tcp") continue;
      let conn: Deno.Conn | undefined;
      try {
        conn = await withTimeout(
          this.#dial(d),
          timeoutMs,
          this.#clock,
          `connect to ${d.text}`,
        );
        const request = streamRequest({
          apiKey: this.#cfg.apiKey,
          hops: this.#hops,
          hostname: local.hostname,
          machineGuid: local.machineGuid,
          updateEverySec: 1,
          os: local.os || Deno.build.os,
          timezone: local.timezone || "UTC",
          tags: local.tags,
          capabilities: this.#offered(),
        });
        await withTimeout(
          writeAll(conn, new TextEncoder().encode(request)),
          timeoutMs,
          this.#clock,
          "request",
        );
        const answer = await withTimeout(
          readAnswer(conn),
          timeoutMs,
          this.#clock,
          "answer",
        );
        const ready = parseReadyAnswer(answer);
        if (!ready.ok) {
          this.#log.error(
            `parent ${d.text} refused the stream: "${ready.answer}"`,
          );
          conn.close();
          continue;
        }
        this.stats.connections++;
        // A parent grants from what was offered; never use more.
        this.#capabilities = ready.capabilities & this.#offered();
        this.#log.info(
          `streaming host "${local.hostname}" to ${d.text} (protocol version ${ready.version}; capabilities: ${
            capabilityList(this.#capabilities) || "none"
          })`,
        );
        return conn;
      } catch (err) {
        this.#log.warn(
          `cannot stream to ${d.text}: ${(err as Error).message}`,
        );
        try {
          conn?.close();
        } catch {
          // closed
        }
      }
    }
    return undefined;
  }

  async #stream(conn: Deno.Conn, signal: AbortSignal): Promise<void> {
    this.#conn = conn;
    this.#failed = undefined;
    this.#defined = new WeakSet();
    this.#replicating = new WeakSet();
    this.#definedEmpty = new WeakSet();
    this.#replays = [];
    this.#pending = [];
    this.#pendingBytes = 0;
    // loaded once a parent grants compression: npm:lz4js is some 5 MiB resident
    this.#compressor = this.#capabilities & CAP.COMPRESSION
      ? new (await import("./compression.ts")).StreamCompressor()
      : undefined;
    const failed = new Promise<void>((r) => (this.#onFail = r));
    const labels = [...this.#host.labels].map(([k, l]) =>
      `LABEL ${q(k)} = ${l.source} ${q(l.value)}\n`
    ).join("");
    if (labels) this.#enqueue(labels + "OVERWRITE labels\n");
    for (const chart of this.#host.charts.values()) {
      this.#enqueue(this.#define(chart));
    }
    // The parent's commands (REPLAY_CHART, FUNCTION) are read and answered;
    // a close ends the stream.
    const closed = (async () => {
      const buf = new Uint8Array(16384);
      const splitter = new LineSplitter(16384);
      const sink = {
        line: (text: string) => this.#command(text),
        oversize: () => {},
      };
      try {
        for (;;) {
          const n = await conn.read(buf);
          if (n === null) break;
          splitter.push(buf.subarray(0, n), sink);
        }
      } catch {
        // reset
      }
    })();
    const aborted = new Promise<void>((r) =>
      signal.addEventListener("abort", () => r(), { once: true })
    );
    await Promise.race([closed, aborted, failed]);
    if (this.#failed) {
      this.#log.warn(`stream to the parent failed: ${this.#failed}`);
    } else if (!signal.aborted) this.#log.warn("the parent closed the stream");
    this.#conn = undefined;
    try {
      conn.close();
    } catch {
      // closed
    }
  }

  #onFail: () => void = () => {};

  /** A chart's definition; with replication its live data now waits. */
  #define(chart: Chart): string {
    this.#defined.add(chart);
    let text = chartDefinition(chart);
    if (this.#capabilities & CAP.REPLICATION) {
      text += chartDefinitionEnd(chart, this.#nowSec());
      this.#replicating.add(chart);
      if (chart.lastEntrySec() === 0) this.#definedEmpty.add(chart);
    }
    return text;
  }

  #nowSec(): number {
    return Math.floor(this.#clock.nowMs() / 1000);
  }

  /** A line from the parent. */
  #command(line: string): void {
    const words: string[] = [];
    const n = splitWords(line, words);
    if (n === 0) return;
    if (words[0] === "REPLAY_CHART" && n >= 5) {
      if (this.#replays.length >= MAX_QUEUED_REPLAYS) {
        this.#fail(
          `the parent sent more than ${MAX_QUEUED_REPLAYS} replay requests not yet answered`,
        );
        return;
      }
      this.#replays.push({
        chartId: words[1],
        req: {
          startStreaming: words[2] === "true",
          after: Number.parseInt(words[3], 10) || 0,
          before: Number.parseInt(words[4], 10) || 0,
        },
      });
      this.#answerReplays();
    } else if (words[0] === "FUNCTION" && n >= 2) {
      // FUNCTION transaction timeout "name": skiff has no functions.
      this.#enqueue(
        `FUNCTION_RESULT_BEGIN ${q(words[1])} 503 "application/json" 0\n` +
          `{"status":503,"error_message":"skiff does not support functions"}` +
          "\nFUNCTION_RESULT_END\n",
      );
    } else {
      this.#log.warn(
        `the parent sent a command skiff does not know: "${line.slice(0, 80)}"`,
      );
    }
  }

  /**
   * Answers queued replay requests while less than a quarter of the
   * pending-bytes cap waits to be written, so a parent asking for every
   * chart at once cannot overflow the queue; the rest are answered as the
   * queue drains.
   */
  #answerReplays(): void {
    while (
      this.#replays.length > 0 && this.#conn && !this.#failed &&
      this.#pendingBytes < MAX_PENDING_BYTES / 4
    ) {
      const { chartId, req } = this.#replays.shift()!;
      const chart = this.#host.chart(chartId);
      if (!chart) {
        this.#log.warn(
          `the parent asked to replay chart "${chartId}", which this host does not have`,
        );
        continue;
      }
      // A chart defined with nothing stored gets an empty request (the
      // parent could not ask for more); what it stored since, while its
      // live data waited, is sent with the answer instead of being lost
      // (a 1.37 child loses it).
      const first = chart.firstEntrySec();
      const asked = req.after === 0 && req.before === 0 &&
          this.#definedEmpty.has(chart) && first > 0
        ? {
          after: first - chart.updateEverySec,
          before: chart.lastEntrySec(),
          startStreaming: true,
        }
        : req;
      const { text, streaming, slots } = replayResponse(
        chart,
        asked,
        this.#nowSec(),
      );
      this.stats.replayRequests++;
      this.stats.replayedSlots += slots;
      if (streaming) this.#replicating.delete(chart);
      this.#enqueue(text);
    }
  }

  #onComplete(chart: Chart): void {
    if (!this.#conn || this.#failed) return;
    if (!this.#defined.has(chart)) {
      this.#enqueue(this.#define(chart));
    }
    if (this.#replicating.has(chart)) return; // sent by its replay
    this.#enqueue(chartCollection(chart));
  }

  #enqueue(text: string): void {
    if (text === "") return;
    const bytes = new TextEncoder().encode(text);
    const chunks = this.#compressor
      ? this.#compressor.compress(bytes)
      : [bytes];
    let size = 0;
    for (const c of chunks) size += c.length;
    if (this.#pendingBytes + size > MAX_PENDING_BYTES) {
      this.#fail(
        `the parent is not reading: over ${MAX_PENDING_BYTES} bytes waiting`,
      );
      return;
    }
    this.stats.textBytes += bytes.length;
    this.stats.wireBytes += size;
    this.#pending.push(...chunks);
    this.#pendingBytes += size;
    this.#writing ??= this.#drain().finally(() => (this.#writing = undefined));
  }

  async #drain(): Promise<void> {
    const timeoutMs = this.#cfg.timeoutSec * 1000;
    while (this.#pending.length > 0 && this.#conn && !this.#failed) {
      const chunk = this.#pending.shift()!;
      this.#pendingBytes -= chunk.length;
      try {
        await withTimeout(
          writeAll(this.#conn, chunk),
          timeoutMs,
          this.#clock,
          "write",
        );
      } catch (err) {
        this.#fail((err as Error).message);
      }
      if (this.#replays.length > 0) this.#answerReplays();
    }
  }

  #fail(why: string): void {
    if (this.#failed) return;
    this.#failed = why;
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#onFail();
  }
}

/** Reads the parent's answer: netdata sends it without a newline, then waits. */
async function readAnswer(conn: Deno.Conn): Promise<string> {
  const buf = new Uint8Array(8192);
  let text = "";
  const decoder = new TextDecoder();
  for (;;) {
    const n = await conn.read(buf);
    if (n === null) return text;
    text += decoder.decode(buf.subarray(0, n), { stream: true });
    // The ready answers end with a version number or "..."; an HTTP refusal
    // ends with its body. Enough is here once a known shape is complete.
    if (
      /version=\d+$/.test(text) || text.endsWith("...") ||
      /\r\n\r\n[\s\S]*\S/.test(text)
    ) return text;
    if (text.length > 8192) return text;
  }
}
