/**
 * The streaming receiver (a netdata parent): listens on `[web] bind to`,
 * tells a `STREAM ...` request from HTTP by its first line, checks the API
 * key, answers as netdata 1.37 does with protocol version 4, and applies
 * the child's plain-text stream to its host in storage through the shared
 * protocol parser. A child that sends garbage, an oversize line or nothing
 * for the idle timeout is disconnected and logged; nothing already stored
 * is lost, and other children go on.
 *
 * @module
 */

import type { Clock } from "../clock.ts";
import { heartbeat, TimeoutError, withTimeout } from "../clock.ts";
import type { Config } from "../config/mod.ts";
import { hostPort } from "../config/destination.ts";
import { writeAll } from "./conn.ts";
import type { Logger } from "../log.ts";
import { HostWriter } from "../protocol/apply.ts";
import { LineSplitter } from "../protocol/lines.ts";
import { ProtocolError, ProtocolParser } from "../protocol/parser.ts";
import type { Database, Host } from "../storage/rrd.ts";
import {
  decideAccess,
  httpResponse,
  isStreamRequest,
  parseStreamRequest,
  readyAnswer,
  refusalAnswer,
  StreamRequestError,
} from "./handshake.ts";

/** The most a request head may take (netdata's HTTP_HEADER_SIZE). */
export const MAX_HEAD_BYTES = 8192;
/** How long a new connection has to send its request head. */
export const HEAD_TIMEOUT_MS = 10_000;

/**
 * Keywords a netdata child may send that skiff takes and ignores: claiming,
 * and commands of features it does not negotiate (replication, functions).
 */
const IGNORED_KEYWORDS = new Set([
  "CLAIMED_ID",
  "FUNCTION",
  "FUNCTION_RESULT_BEGIN",
  "FUNCTION_RESULT_END",
  "REPLAY_CHART",
  "REPLAY_BEGIN",
  "REPLAY_SET",
  "REPLAY_RRDDIM_STATE",
  "REPLAY_RRDSET_STATE",
  "REPLAY_END",
  "CHART_DEFINITION_END",
  "RSET",
]);

/** A `[web] bind to` address as Deno.listen takes it. */
export function parseBindAddress(
  text: string,
): { hostname: string; port: number } {
  let host: string;
  let port = "19999";
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (v6) {
    host = v6[1];
    if (v6[2]) port = v6[2];
  } else {
    const colon = text.lastIndexOf(":");
    host = colon < 0 ? text : text.slice(0, colon);
    if (colon >= 0) port = text.slice(colon + 1);
  }
  if (!/^\d+$/.test(port) || +port > 65535) {
    throw new Error(
      `[web] bind to "${text}": "${port}" is not a port (1-65535)`,
    );
  }
  if (host === "*" || host === "") host = "0.0.0.0";
  return { hostname: host, port: Number(port) };
}

/** Counters of one receiver, for tests and self-monitoring. */
export interface ReceiverStats {
  accepted: number;
  refused: number;
  disconnected: number;
  linesReceived: number;
}

/** The receiver. */
export class StreamReceiver {
  readonly stats: ReceiverStats = {
    accepted: 0,
    refused: 0,
    disconnected: 0,
    linesReceived: 0,
  };
  readonly #db: Database;
  readonly #config: Config;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #listeners: Deno.TcpListener[] = [];
  readonly #conns = new Set<Deno.Conn>();
  /** Called when a child's stream is accepted (the agent forwards hosts from here). */
  onHostConnected: ((host: Host) => void) | undefined;
  /** Machine GUIDs streaming now -> the API key they came with. */
  readonly #active = new Map<string, string>();

  constructor(
    db: Database,
    config: Config,
    options: { clock: Clock; log: Logger },
  ) {
    this.#db = db;
    this.#config = config;
    this.#clock = options.clock;
    this.#log = options.log;
  }

  /**
   * Opens every `[web] bind to` address; throws one error naming the address
   * that cannot be used, after closing the ones already opened.
   */
  listen(): void {
    for (const text of this.#config.web.bindTo) {
      try {
        const { hostname, port } = parseBindAddress(text);
        this.#listeners.push(Deno.listen({ hostname, port, transport: "tcp" }));
      } catch (err) {
        this.close();
        const why = err instanceof Deno.errors.AddrInUse
          ? "the address is already in use"
          : (err as Error).message;
        throw new Error(`cannot listen on [web] bind to "${text}": ${why}`);
      }
    }
  }

  /** The addresses listened on (with the ports actually bound). */
  get addresses(): Deno.NetAddr[] {
    return this.#listeners.map((l) => l.addr as Deno.NetAddr);
  }

  /** Accepts connections until `signal` aborts; marks orphans meanwhile. */
  async serve(signal: AbortSignal): Promise<void> {
    signal.addEventListener("abort", () => this.close(), { once: true });
    const loops = this.#listeners.map((l) => this.#acceptLoop(l));
    loops.push(this.#orphanLoop(signal));
    await Promise.allSettled(loops);
  }

  /** Closes the listeners and every connection. */
  close(): void {
    for (const l of this.#listeners) {
      try {
        l.close();
      } catch {
        // closed
      }
    }
    for (const c of this.#conns) {
      try {
        c.close();
      } catch {
        // closed
      }
    }
  }

  async #acceptLoop(listener: Deno.TcpListener): Promise<void> {
    for (;;) {
      let conn: Deno.Conn;
      try {
        conn = await listener.accept();
      } catch {
        return; // closed
      }
      this.#conns.add(conn);
      this.#handle(conn).catch((err) => {
        this.#log.error(
          `connection from ${peerOf(conn)}: ${(err as Error).message}`,
        );
      }).finally(() => {
        this.#conns.delete(conn);
        try {
          conn.close();
        } catch {
          // closed
        }
      });
    }
  }

  async #orphanLoop(signal: AbortSignal): Promise<void> {
    const afterMs = this.#config.web.orphanAfterSec * 1000;
    for await (const _ of heartbeat(this.#clock, 1000, { signal })) {
      this.markOrphans(this.#clock.nowMs(), afterMs);
    }
  }

  /** Marks received hosts gone for `afterMs` as orphans (kept, queryable). */
  markOrphans(nowMs: number, afterMs: number): void {
    for (const h of this.#db.hosts()) {
      if (h.isLocal || h.connected || h.orphan || h.disconnectedAtMs === 0) {
        continue;
      }
      if (nowMs - h.disconnectedAtMs >= afterMs) {
        h.orphan = true;
        this.#log.info(
          `host "${h.hostname}" (${h.machineGuid}) is orphan: its child is gone since ${
            new Date(h.disconnectedAtMs).toISOString()
          }; its data is kept`,
        );
      }
    }
  }

  async #handle(conn: Deno.Conn): Promise<void> {
    const peer = peerOf(conn);
    const buf = new Uint8Array(64 * 1024);
    const decoder = new TextDecoder();
    // 1. The request head.
    let head = "";
    let headEnd = -1;
    while (headEnd < 0) {
      const n = await withTimeout(
        conn.read(buf),
        HEAD_TIMEOUT_MS,
        this.#clock,
        "request",
      ).catch(
        (err) => {
          if (err instanceof TimeoutError) return -1;
          throw err;
        },
      );
      if (n === null) return;
      if (n === -1) {
        this.#log.warn(
          `${peer}: no request within ${HEAD_TIMEOUT_MS} ms; closing`,
        );
        return;
      }
      head += decoder.decode(buf.subarray(0, n), { stream: true });
      headEnd = head.search(/\r?\n\r?\n/);
      if (headEnd < 0 && head.length > MAX_HEAD_BYTES) {
        this.#log.warn(
          `${peer}: request head over ${MAX_HEAD_BYTES} bytes; closing`,
        );
        await write(
          conn,
          httpResponse(
            431,
            "Request Header Fields Too Large",
            "request head too large",
          ),
        );
        return;
      }
    }
    const rest = head.slice(headEnd).replace(/^\r?\n\r?\n/, "");
    head = head.slice(0, headEnd);
    const firstLine = head.split(/\r?\n/, 1)[0];
    if (!isStreamRequest(firstLine)) {
      await write(
        conn,
        httpResponse(
          404,
          "Not Found",
          "skiff: this port receives netdata streams; the web API is not in this version\n",
        ),
      );
      return;
    }

    // 2. Who is it, and may it stream?
    let req;
    try {
      req = parseStreamRequest(head);
    } catch (err) {
      if (!(err instanceof StreamRequestError)) throw err;
      this.stats.refused++;
      this.#log.error(
        `STREAM [receive from ${peer}]: ${err.message}; access denied`,
      );
      await write(conn, refusalAnswer("401"));
      return;
    }
    let activeWithKey = 0;
    for (const k of this.#active.values()) if (k === req.key) activeWithKey++;
    const decision = decideAccess(req, {
      keys: this.#config.streamKeys,
      peerAddress: hostOf(conn),
      localMachineGuid: this.#db.localhost.machineGuid,
      activeWithKey,
      alreadyConnected: this.#active.has(req.machineGuid),
    });
    if (!decision.ok) {
      this.stats.refused++;
      this.#log.error(
        `STREAM ${req.hostname} [receive from ${peer}]: access denied: ${decision.reason}`,
      );
      await write(conn, refusalAnswer(decision.answer));
      return;
    }

    // 3. The host, created or found again by machine GUID.
    const host = this.#db.addHost({
      hostname: req.hostname,
      machineGuid: req.machineGuid,
      os: req.os,
      timezone: req.timezone,
    });
    for (const [k, v] of req.params) {
      if (
        k.startsWith("NETDATA_") || k === "tags" || k === "abbrev_timezone" ||
        k === "utc_offset"
      ) {
        host.info.set(k, v);
      }
      if (k === "tags") host.tags = v;
    }
    this.#active.set(req.machineGuid, req.key);
    host.connected = true;
    host.orphan = false;
    host.disconnectedAtMs = 0;
    this.stats.accepted++;
    this.#log.info(
      `STREAM ${req.hostname} [receive from ${peer}]: accepted (machine GUID ${req.machineGuid}, ${
        req.userAgent || "no user agent"
      }); answering protocol version 4`,
    );
    this.onHostConnected?.(host);
    try {
      await write(conn, readyAnswer(req.capabilities));
      await this.#receive(
        conn,
        host,
        peer,
        req.updateEverySec,
        decision.key,
        rest,
      );
    } finally {
      this.#active.delete(req.machineGuid);
      host.connected = false;
      host.disconnectedAtMs = this.#clock.nowMs();
      this.stats.disconnected++;
    }
  }

  async #receive(
    conn: Deno.Conn,
    host: Host,
    peer: string,
    updateEverySec: number,
    key: {
      historyEntries: number;
      maxChartsPerHost: number;
      maxDimensionsPerChart: number;
    },
    already: string,
  ): Promise<void> {
    const web = this.#config.web;
    const writer = new HostWriter(host, {
      clock: this.#clock,
      defaultUpdateEverySec: updateEverySec,
      historyEntries: key.historyEntries,
      trustDurations: true,
      pluginName: "stream",
      limits: {
        maxCharts: key.maxChartsPerHost,
        maxDimensionsPerChart: key.maxDimensionsPerChart,
      },
      onOther: (keyword) => {
        if (!IGNORED_KEYWORDS.has(keyword)) {
          throw new ProtocolError(`unknown keyword "${keyword.slice(0, 40)}"`);
        }
      },
    });
    const parser = new ProtocolParser(writer);
    const splitter = new LineSplitter(web.streamMaxLineLength);
    let problem: string | undefined;
    const stats = this.stats;
    const sink = {
      line(text: string) {
        if (problem) return;
        stats.linesReceived++;
        try {
          parser.parseLine(text);
        } catch (err) {
          if (!(err instanceof ProtocolError)) throw err;
          problem = `line ${parser.lineNumber}: ${err.message}`;
        }
      },
      oversize(length: number) {
        if (problem) return;
        problem = `line ${
          parser.lineNumber + 1
        }: ${length} bytes, over the ${splitter.maxLineLength} limit ([web] stream max line length)`;
      },
    };
    if (already) splitter.pushText(already, sink);
    const buf = new Uint8Array(64 * 1024);
    const idleMs = web.streamIdleTimeoutSec * 1000;
    while (!problem) {
      let n: number | null;
      try {
        n = await withTimeout(conn.read(buf), idleMs, this.#clock, "read");
      } catch (err) {
        if (err instanceof TimeoutError) {
          this.#log.warn(
            `STREAM ${host.hostname} [receive from ${peer}]: nothing received for ${web.streamIdleTimeoutSec} s; disconnecting`,
          );
          return;
        }
        this.#log.warn(
          `STREAM ${host.hostname} [receive from ${peer}]: ${
            (err as Error).message
          }; disconnected`,
        );
        return;
      }
      if (n === null) {
        this.#log.info(
          `STREAM ${host.hostname} [receive from ${peer}]: the child closed the connection`,
        );
        return;
      }
      splitter.push(buf.subarray(0, n), sink);
    }
    this.#log.error(
      `STREAM ${host.hostname} [receive from ${peer}]: ${problem}; disconnecting (data stored so far is kept)`,
    );
  }
}

function peerOf(conn: Deno.Conn): string {
  const a = conn.remoteAddr as Deno.NetAddr;
  return hostPort(a.hostname, a.port);
}

function hostOf(conn: Deno.Conn): string {
  return (conn.remoteAddr as Deno.NetAddr).hostname;
}

/** Writes an answer; a peer that went away is told nothing more. */
async function write(conn: Deno.Conn, text: string): Promise<void> {
  await writeAll(conn, new TextEncoder().encode(text)).catch(() => {});
}
