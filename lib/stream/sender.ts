/**
 * The streaming sender (a netdata child): streams the local host to the
 * first reachable `[stream] destination` with netdata's protocol, version 4
 * (plain text, no compression, no replication), so a netdata 1.37 parent or
 * another skiff receives it. Every chart is defined on connect (CHART,
 * DIMENSION, CLABEL_COMMIT) and each completion is sent as BEGIN/SET/END
 * with the raw collected values, as netdata's sender does. Reconnects with
 * backoff; a parent that does not read for the timeout is dropped.
 *
 * @module
 */

import type { Clock } from "../clock.ts";
import { sleep, withTimeout } from "../clock.ts";
import type { Config } from "../config/mod.ts";
import { writeAll } from "./conn.ts";
import type { Destination } from "../config/destination.ts";
import type { Logger } from "../log.ts";
import { formatCollected } from "../export/format.ts";
import type { Chart, Database, Dimension, Host } from "../storage/rrd.ts";
import { SKIFF_VERSION } from "../collect/plugins_d.ts";
import { READY_V1, READY_V2, READY_VN } from "./handshake.ts";
const STREAM_VERSION = 4;

/** A sender drops the connection when more than this waits to be written. */
export const MAX_PENDING_BYTES = 4 * 1024 * 1024;

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
    ["ver", String(STREAM_VERSION)],
    ["NETDATA_PROTOCOL_VERSION", "1.1"],
  ].map(([k, v]) => `${k}=${v.replace(/[&\s]/g, "_")}`).join("&");
  return `STREAM ${params} HTTP/1.1\r\nUser-Agent: skiff/v${SKIFF_VERSION}\r\nAccept: */*\r\n\r\n`;
}

/** A parent's answer: the version it accepted, or why it refused. */
export function parseReadyAnswer(
  text: string,
): { ok: true; version: number } | { ok: false; answer: string } {
  if (text.startsWith(READY_VN)) {
    const v = Number.parseInt(text.slice(READY_VN.length), 10);
    return Number.isFinite(v)
      ? { ok: true, version: v }
      : { ok: false, answer: text };
  }
  if (text.startsWith(READY_V2)) return { ok: true, version: 2 };
  if (text.startsWith(READY_V1)) return { ok: true, version: 1 };
  return { ok: false, answer: text.trim().split(/\r?\n/).pop()!.slice(0, 200) };
}

/** Opens a connection; replaceable in tests. */
export type StreamDialer = (
  d: Destination & { kind: "tcp" },
) => Promise<Deno.Conn>;

/** The sender. */
export class StreamSender {
  /** Connections that completed the handshake. */
  connections = 0;
  readonly #host: Host;
  readonly #hops: number;
  readonly #cfg: Config["stream"];
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #dial: StreamDialer;
  #conn: Deno.Conn | undefined;
  #pending: Uint8Array[] = [];
  #pendingBytes = 0;
  #defined = new WeakSet<Chart>();
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
        this.connections++;
        this.#log.info(
          `streaming host "${local.hostname}" to ${d.text} (protocol version ${ready.version})`,
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
    this.#pending = [];
    this.#pendingBytes = 0;
    const failed = new Promise<void>((r) => (this.#onFail = r));
    const labels = [...this.#host.labels].map(([k, l]) =>
      `LABEL ${q(k)} = ${l.source} ${q(l.value)}\n`
    ).join("");
    if (labels) this.#enqueue(labels + "OVERWRITE labels\n");
    for (const chart of this.#host.charts.values()) {
      this.#enqueue(chartDefinition(chart));
      this.#defined.add(chart);
    }
    // Whatever the parent sends (nothing, with version 4) is read and dropped,
    // so its replies cannot fill the socket; a close ends the stream.
    const closed = (async () => {
      const buf = new Uint8Array(4096);
      try {
        while ((await conn.read(buf)) !== null) { /* ignored */ }
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

  #onComplete(chart: Chart): void {
    if (!this.#conn || this.#failed) return;
    let text = "";
    if (!this.#defined.has(chart)) {
      text += chartDefinition(chart);
      this.#defined.add(chart);
    }
    this.#enqueue(text + chartCollection(chart));
  }

  #enqueue(text: string): void {
    if (text === "") return;
    const bytes = new TextEncoder().encode(text);
    if (this.#pendingBytes + bytes.length > MAX_PENDING_BYTES) {
      this.#fail(
        `the parent is not reading: over ${MAX_PENDING_BYTES} bytes waiting`,
      );
      return;
    }
    this.#pending.push(bytes);
    this.#pendingBytes += bytes.length;
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
