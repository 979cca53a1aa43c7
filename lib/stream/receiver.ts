/**
 * The streaming receiver (a netdata parent): listens on `[web] bind to`,
 * tells a `STREAM ...` request from HTTP by its first line, checks the API
 * key, negotiates capabilities as a netdata 1.37 parent (compression and
 * replication included), and applies
 * the child's plain-text stream to its host in storage through the shared
 * protocol parser. A child that sends garbage, an oversize line or nothing
 * for the idle timeout is disconnected and logged; nothing already stored
 * is lost, and other children go on.
 *
 * Before a peer is an accepted child it costs a socket and nothing else, and
 * is bounded: its whole request must arrive within `[web] timeout for first
 * request`, and connections in that state are capped in total and per source
 * address (over a cap a new one is closed at once). Accept errors (EMFILE
 * when the file limit is reached) are logged and retried with backoff; the
 * listener stops only when closed. Hosts whose child is gone for
 * `[db] cleanup orphan hosts after secs` are freed. Everything from a peer
 * that goes into a log line is escaped ({@link escapeForLog}).
 *
 * @module
 */

import type { Clock } from "../clock.ts";
import { heartbeat, sleep, TimeoutError, withTimeout } from "../clock.ts";
import type { Config, StreamKey } from "../config/mod.ts";
import { hostPort, parseBindAddress } from "../config/mod.ts";
import { writeAll } from "./conn.ts";
import type { Logger, LogLevel } from "../log.ts";
import { escapeForLog } from "../log_escape.ts";
import { accessList } from "../simple_pattern.ts";
import {
  HostWriter,
  LineSplitter,
  ProtocolError,
  ProtocolParser,
} from "../protocol/mod.ts";
import type { Database, Host } from "../storage/mod.ts";
import {
  CAP,
  capabilityBits,
  capabilityList,
  decideAccess,
  grantCapabilities,
  httpResponse,
  isStreamRequest,
  parseStreamRequest,
  readyAnswer,
  refusalAnswer,
  StreamRequestError,
} from "./handshake.ts";
import { CompressionError } from "./compression_error.ts";
import { ReplayReceiver } from "./replication.ts";

/** The most a request head may take (netdata's HTTP_HEADER_SIZE). */
export const MAX_HEAD_BYTES = 8192;
/** First wait after an accept error; it doubles up to {@link ACCEPT_RETRY_MAX_MS}. */
export const ACCEPT_RETRY_MIN_MS = 10;
/** Longest wait between accept attempts while accept keeps failing. */
export const ACCEPT_RETRY_MAX_MS = 1000;
/**
 * A burst of one kind of warning (accept errors, connections over a cap,
 * request timeouts) logs its first line, then at most one line per this
 * long with the count of those not logged: a flood cannot flood the log.
 */
export const LOG_BURST_INTERVAL_MS = 10_000;

/**
 * Takes the next connection of a listener: `listener.accept()`, or in tests
 * something that fails like it (EMFILE) before it succeeds.
 */
export type AcceptFn = (listener: Deno.TcpListener) => Promise<Deno.Conn>;

/** What a receiver takes from outside. */
export interface ReceiverOptions {
  clock: Clock;
  log: Logger;
  /** Replaces `listener.accept()` (tests make it throw). */
  accept?: AcceptFn;
  /**
   * Answers a request that is not a stream (the web API): given the request
   * head and the peer's address, the bytes of the whole answer. Without it,
   * such requests are answered 404.
   */
  http?: (head: string, peerAddress: string) => Promise<Uint8Array>;
}

/**
 * Keywords a netdata child may send that skiff takes and ignores: claiming,
 * and functions (a child declares them; skiff never calls one). Replication
 * is handled (lib/stream/replication.ts).
 */
const IGNORED_KEYWORDS = new Set([
  "CLAIMED_ID",
  "FUNCTION",
  "FUNCTION_RESULT_BEGIN",
  "FUNCTION_RESULT_END",
]);

/**
 * The source a per-address cap counts: an IPv4 address as is (an
 * IPv4-mapped IPv6 one too), an IPv6 address by its /64, since one peer
 * usually holds a whole /64.
 */
export function sourceOf(address: string): string {
  if (!address.includes(":")) return address;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1];
  const zone = address.indexOf("%");
  if (zone >= 0) address = address.slice(0, zone);
  const halves = address.split("::", 2);
  const left = halves[0] ? halves[0].split(":") : [];
  const right = halves.length > 1 && halves[1] ? halves[1].split(":") : [];
  const groups = halves.length > 1
    ? [
      ...left,
      ...Array(Math.max(0, 8 - left.length - right.length)).fill("0"),
      ...right,
    ]
    : left;
  return groups.slice(0, 4).map((g) => (parseInt(g, 16) || 0).toString(16))
    .join(":") + "::/64";
}

/** Counters of one receiver, for tests and self-monitoring. */
export interface ReceiverStats {
  accepted: number;
  refused: number;
  disconnected: number;
  linesReceived: number;
  /** Bytes read from children after their request, as on the wire. */
  bytesReceived: number;
  /** The same, once decompressed: the text of their streams. */
  textBytesReceived: number;
  /** Accept calls that failed (EMFILE...) and were retried. */
  acceptErrors: number;
  /** Connections closed at once: over an unauthenticated connection cap. */
  overLimit: number;
  /** Connections closed at once: not in `[web] allow connections from`. */
  notAllowed: number;
  /** Connections closed for not sending a whole request in time. */
  requestTimeouts: number;
  /** Received hosts freed after `[db] cleanup orphan hosts after secs`. */
  hostsFreed: number;
}

/**
 * Lets through the first line of a burst, then one per `intervalMs`,
 * counting the ones held back.
 */
class BurstGate {
  #lastMs = -Infinity;
  #held = 0;
  readonly #intervalMs: number;

  constructor(intervalMs: number) {
    this.#intervalMs = intervalMs;
  }

  /** The number held back since the last line let through, or -1: hold this one. */
  pass(nowMs: number): number {
    if (nowMs - this.#lastMs < this.#intervalMs) {
      this.#held++;
      return -1;
    }
    const held = this.#held;
    this.#held = 0;
    this.#lastMs = nowMs;
    return held;
  }
}

/** A child streaming now. */
export interface ChildStatus {
  hostname: string;
  machineGuid: string;
  /** Its address and port. */
  peer: string;
  /** When its stream was accepted (ms). */
  sinceMs: number;
  /** The capabilities granted, by name. */
  capabilities: string;
}

/** The receiver. */
export class StreamReceiver {
  readonly stats: ReceiverStats = {
    accepted: 0,
    refused: 0,
    disconnected: 0,
    linesReceived: 0,
    bytesReceived: 0,
    textBytesReceived: 0,
    acceptErrors: 0,
    overLimit: 0,
    notAllowed: 0,
    requestTimeouts: 0,
    hostsFreed: 0,
  };
  readonly #db: Database;
  readonly #config: Config;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #accept: AcceptFn;
  readonly #http: ReceiverOptions["http"];
  readonly #listeners: Deno.TcpListener[] = [];
  readonly #conns = new Set<Deno.Conn>();
  /** Aborted by close(): ends accept backoff waits. */
  readonly #closing = new AbortController();
  /** Called when a child's stream is accepted (the agent forwards hosts from here). */
  onHostConnected: ((host: Host) => void) | undefined;
  /** Called when a received host is freed (the agent stops forwarding it). */
  onHostRemoved: ((host: Host) => void) | undefined;
  /** Machine GUIDs streaming now -> the API key they came with. */
  readonly #active = new Map<string, ChildStatus & { key: string }>();
  /** Connections not yet accepted as a child: in total and by source. */
  #unauthenticated = 0;
  readonly #unauthenticatedBySource = new Map<string, number>();
  readonly #acceptErrorGate = new BurstGate(LOG_BURST_INTERVAL_MS);
  readonly #overLimitGate = new BurstGate(LOG_BURST_INTERVAL_MS);
  readonly #timeoutGate = new BurstGate(LOG_BURST_INTERVAL_MS);
  readonly #notAllowedGate = new BurstGate(LOG_BURST_INTERVAL_MS);
  readonly #allowConnections: (address: string) => boolean;
  readonly #allowStreaming: (address: string) => boolean;

  constructor(db: Database, config: Config, options: ReceiverOptions) {
    this.#db = db;
    this.#config = config;
    this.#clock = options.clock;
    this.#log = options.log;
    this.#accept = options.accept ?? ((listener) => listener.accept());
    this.#http = options.http;
    this.#allowConnections = accessList(config.web.allowConnectionsFrom);
    this.#allowStreaming = accessList(config.web.allowStreamingFrom);
  }

  /** The children streaming now. */
  children(): ChildStatus[] {
    return [...this.#active.values()].map(({ key: _, ...c }) => c);
  }

  /** Connections open now that are not (yet) an accepted child. */
  get unauthenticated(): number {
    return this.#unauthenticated;
  }

  /** Logs `message` with everything in it a peer could have sent escaped. */
  #say(level: LogLevel, message: string): void {
    this.#log.log(level, escapeForLog(message));
  }

  /**
   * Opens every `[web] bind to` address; throws one error naming the address
   * that cannot be used, after closing the ones already opened.
   */
  listen(): void {
    for (const text of this.#config.web.bindTo) {
      try {
        const { hostname, port } = parseBindAddress(
          text,
          this.#config.web.defaultPort,
        );
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
    this.#closing.abort();
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

  /**
   * Accepts until the receiver is closed. An accept error (EMFILE: the file
   * limit is reached; ECONNABORTED...) does not end it: it is retried after
   * a wait doubling from ACCEPT_RETRY_MIN_MS to ACCEPT_RETRY_MAX_MS, the
   * first error of a burst logged, and the recovery too.
   */
  async #acceptLoop(listener: Deno.TcpListener): Promise<void> {
    const where = (() => {
      const a = listener.addr as Deno.NetAddr;
      return hostPort(a.hostname, a.port);
    })();
    let failures = 0;
    let retryMs = 0;
    while (!this.#closing.signal.aborted) {
      let conn: Deno.Conn;
      try {
        conn = await this.#accept(listener);
      } catch (err) {
        if (
          this.#closing.signal.aborted ||
          err instanceof Deno.errors.BadResource
        ) {
          return; // closed
        }
        failures++;
        this.stats.acceptErrors++;
        retryMs = Math.min(
          retryMs === 0 ? ACCEPT_RETRY_MIN_MS : retryMs * 2,
          ACCEPT_RETRY_MAX_MS,
        );
        const held = this.#acceptErrorGate.pass(this.#clock.nowMs());
        if (held >= 0) {
          this.#say(
            "warn",
            `cannot accept a connection on ${where}: ${
              (err as Error).message
            }; retrying, waiting up to ${ACCEPT_RETRY_MAX_MS} ms between tries${
              held > 0
                ? ` (${held} more accept errors since the last line)`
                : ""
            }`,
          );
        }
        try {
          await sleep(this.#clock, retryMs, this.#closing.signal);
        } catch {
          return; // closed while waiting
        }
        continue;
      }
      if (failures > 0) {
        this.#say(
          "info",
          `accepting connections on ${where} again, after ${failures} accept errors`,
        );
        failures = 0;
        retryMs = 0;
      }
      this.#admit(conn);
    }
  }

  /**
   * Takes a new connection unless a cap on unauthenticated connections is
   * reached, in which case it is closed at once, before anything is read.
   */
  #admit(conn: Deno.Conn): void {
    const web = this.#config.web;
    if (!this.#allowConnections(hostOf(conn))) {
      // As netdata: closed at once ("Permission denied for client").
      this.stats.notAllowed++;
      this.#closeAtOnce(
        conn,
        this.#notAllowedGate,
        `not in [web] allow connections from (${web.allowConnectionsFrom})`,
      );
      return;
    }
    const source = sourceOf(hostOf(conn));
    const fromSource = this.#unauthenticatedBySource.get(source) ?? 0;
    let over = "";
    if (this.#unauthenticated >= web.maxUnauthenticatedConnections) {
      over =
        `${this.#unauthenticated} connections are already in their request ([web] max unauthenticated connections)`;
    } else if (fromSource >= web.maxUnauthenticatedConnectionsPerAddress) {
      over =
        `${fromSource} connections from ${source} are already in their request ([web] max unauthenticated connections per address)`;
    }
    if (over !== "") {
      this.stats.overLimit++;
      this.#closeAtOnce(conn, this.#overLimitGate, over);
      return;
    }
    this.#unauthenticated++;
    this.#unauthenticatedBySource.set(source, fromSource + 1);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.#unauthenticated--;
      const n = this.#unauthenticatedBySource.get(source)! - 1;
      if (n === 0) this.#unauthenticatedBySource.delete(source);
      else this.#unauthenticatedBySource.set(source, n);
    };
    this.#conns.add(conn);
    this.#handle(conn, release).catch((err) => {
      this.#say(
        "error",
        `connection from ${peerOf(conn)}: ${(err as Error).message}`,
      );
    }).finally(() => {
      release();
      this.#conns.delete(conn);
      try {
        conn.close();
      } catch {
        // closed
      }
    });
  }

  /** Closes a connection before reading it, saying why (a burst: rarely). */
  #closeAtOnce(conn: Deno.Conn, gate: BurstGate, why: string): void {
    const held = gate.pass(this.#clock.nowMs());
    if (held >= 0) {
      this.#say(
        "warn",
        `${peerOf(conn)}: closed at once: ${why}${
          held > 0 ? ` (${held} more closed since the last line)` : ""
        }`,
      );
    }
    try {
      conn.close();
    } catch {
      // closed
    }
  }

  async #orphanLoop(signal: AbortSignal): Promise<void> {
    const orphanMs = this.#config.web.orphanAfterSec * 1000;
    const freeMs = this.#config.db.cleanupOrphanHostsAfterSec * 1000;
    for await (const _ of heartbeat(this.#clock, 1000, { signal })) {
      const nowMs = this.#clock.nowMs();
      this.markOrphans(nowMs, orphanMs);
      if (freeMs > 0) this.freeOrphans(nowMs, freeMs);
    }
  }

  /**
   * Frees the orphan hosts whose child is gone for more than `afterMs`,
   * with all their data, as netdata 1.37's service thread does
   * (rrdhost_should_be_removed, rrdhost_free). A child that comes back
   * later gets a new host. Returns how many were freed.
   */
  freeOrphans(nowMs: number, afterMs: number): number {
    let freed = 0;
    for (const h of this.#db.hosts()) {
      if (
        h.isLocal || h.connected || !h.orphan || h.disconnectedAtMs === 0 ||
        this.#active.has(h.machineGuid) || nowMs - h.disconnectedAtMs <= afterMs
      ) {
        continue;
      }
      this.#db.removeHost(h.machineGuid);
      freed++;
      this.stats.hostsFreed++;
      this.#say(
        "info",
        `host "${h.hostname}" (${h.machineGuid}) is freed with its data: its child is gone since ${
          new Date(h.disconnectedAtMs).toISOString()
        } ([db] cleanup orphan hosts after secs)`,
      );
      this.onHostRemoved?.(h);
    }
    return freed;
  }

  /** Marks received hosts gone for `afterMs` as orphans (kept, queryable). */
  markOrphans(nowMs: number, afterMs: number): void {
    for (const h of this.#db.hosts()) {
      if (h.isLocal || h.connected || h.orphan || h.disconnectedAtMs === 0) {
        continue;
      }
      if (nowMs - h.disconnectedAtMs >= afterMs) {
        h.orphan = true;
        this.#say(
          "info",
          `host "${h.hostname}" (${h.machineGuid}) is orphan: its child is gone since ${
            new Date(h.disconnectedAtMs).toISOString()
          }; its data is kept`,
        );
      }
    }
  }

  /**
   * Reads the request head within the whole-request deadline (however
   * slowly it comes: the deadline is for all of it, not per read). Returns
   * the head and what came after it, or undefined when the peer closed, was
   * too slow or sent too much (answered and logged here).
   */
  async #readRequest(
    conn: Deno.Conn,
    peer: string,
  ): Promise<{ head: string; rest: Uint8Array } | undefined> {
    const timeoutSec = this.#config.web.firstRequestTimeoutSec;
    const stop = new AbortController();
    const expired = this.#clock.sleepUntil(
      this.#clock.nowMs() + timeoutSec * 1000,
      stop.signal,
    ).then(() => -1 as const, () => -2 as const);
    const buf = new Uint8Array(MAX_HEAD_BYTES);
    // Bytes, not text: what follows the head may be a compressed stream.
    let raw = new Uint8Array(0);
    let received = 0;
    try {
      for (;;) {
        const reading = conn.read(buf);
        reading.catch(() => {}); // a read cut by the deadline is not an error
        const n = await Promise.race([reading, expired]);
        if (n === null) return undefined;
        if (n < 0) {
          this.stats.requestTimeouts++;
          const held = this.#timeoutGate.pass(this.#clock.nowMs());
          if (held >= 0) {
            this.#say(
              "warn",
              `${peer}: no complete request within ${timeoutSec} s ([web] timeout for first request; ${received} bytes received); closing${
                held > 0 ? ` (${held} more cut since the last line)` : ""
              }`,
            );
          }
          return undefined;
        }
        received += n;
        const more = new Uint8Array(raw.length + n);
        more.set(raw);
        more.set(buf.subarray(0, n), raw.length);
        raw = more;
        const end = headEnd(raw);
        if (end) {
          return {
            head: new TextDecoder().decode(raw.subarray(0, end.head)),
            rest: raw.slice(end.rest),
          };
        }
        if (raw.length > MAX_HEAD_BYTES) {
          this.#say(
            "warn",
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
          return undefined;
        }
      }
    } finally {
      stop.abort();
    }
  }

  /**
   * One connection: its request (counted as unauthenticated until `release`
   * is called: when it is refused, answered or accepted), then the stream.
   */
  async #handle(conn: Deno.Conn, release: () => void): Promise<void> {
    const peer = peerOf(conn);
    // 1. The request head.
    const request = await this.#readRequest(conn, peer);
    if (!request) return;
    const { head, rest } = request;
    const firstLine = head.split(/\r?\n/, 1)[0];
    if (!isStreamRequest(firstLine)) {
      if (this.#http) {
        // Counted as unauthenticated until answered: a client that does
        // not read its answer has the request's timeout to, then is cut.
        const answer = await this.#http(head, hostOf(conn));
        const timeoutSec = this.#config.web.firstRequestTimeoutSec;
        await withTimeout(
          writeAll(conn, answer),
          timeoutSec * 1000,
          this.#clock,
          `${peer}: the answer`,
        ).catch(() => {});
        return;
      }
      await write(
        conn,
        httpResponse(
          404,
          "Not Found",
          "skiff: this port receives netdata streams; its web API is off\n",
        ),
      );
      return;
    }

    // 2. Who is it, and may it stream?
    if (!this.#allowStreaming(hostOf(conn))) {
      this.stats.refused++;
      this.#say(
        "error",
        `STREAM [receive from ${peer}]: not in [web] allow streaming from (${this.#config.web.allowStreamingFrom}); answered 403`,
      );
      await write(
        conn,
        httpResponse(
          403,
          "Forbidden",
          "You are not allowed to access this resource.",
        ),
      );
      return;
    }
    let req;
    try {
      req = parseStreamRequest(head);
    } catch (err) {
      if (!(err instanceof StreamRequestError)) throw err;
      this.stats.refused++;
      this.#say(
        "error",
        `STREAM [receive from ${peer}]: ${err.message}; access denied`,
      );
      await write(conn, refusalAnswer("401"));
      return;
    }
    let activeWithKey = 0;
    for (const c of this.#active.values()) {
      if (c.key === req.key) activeWithKey++;
    }
    const decision = decideAccess(req, {
      keys: this.#config.streamKeys,
      peerAddress: hostOf(conn),
      localMachineGuid: this.#db.localhost.machineGuid,
      activeWithKey,
      alreadyConnected: this.#active.has(req.machineGuid),
    });
    if (!decision.ok) {
      this.stats.refused++;
      this.#say(
        "error",
        `STREAM ${req.hostname} [receive from ${peer}]: access denied: ${decision.reason}`,
      );
      await write(conn, refusalAnswer(decision.answer));
      return;
    }
    // An accepted child counts against its key's max hosts, not here.
    release();

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
    // As netdata's receiver: the program and its version from the user
    // agent ("netdata/v1.37.1").
    const ua = /^([^/\s]+)\/(\S+)/.exec(req.userAgent);
    if (ua) [host.program, host.programVersion] = [ua[1], ua[2]];
    host.connected = true;
    host.orphan = false;
    host.disconnectedAtMs = 0;
    this.stats.accepted++;
    const key = decision.key;
    const granted = grantCapabilities(
      req.capabilities,
      capabilityBits(key.disabledCapabilities) |
        (key.enableCompression ? 0 : CAP.COMPRESSION),
    );
    const answer = readyAnswer(granted);
    this.#active.set(req.machineGuid, {
      key: req.key,
      hostname: req.hostname,
      machineGuid: req.machineGuid,
      peer,
      sinceMs: this.#clock.nowMs(),
      capabilities: capabilityList(granted),
    });
    this.#say(
      "info",
      `STREAM ${req.hostname} [receive from ${peer}]: accepted (machine GUID ${req.machineGuid}, ${
        req.userAgent || "no user agent"
      }); answering "${answer}" (capabilities: ${
        capabilityList(granted) || "none"
      })`,
    );
    this.onHostConnected?.(host);
    try {
      await write(conn, answer);
      await this.#receive(
        conn,
        host,
        peer,
        req.updateEverySec,
        key,
        granted,
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
    key: StreamKey,
    granted: number,
    already: Uint8Array,
  ): Promise<void> {
    const web = this.#config.web;
    const clock = this.#clock;
    const where = `STREAM ${host.hostname} [receive from ${peer}]`;
    // Lines to the child (replay requests), in order, never interleaved.
    let sending = Promise.resolve();
    const send = (line: string) => {
      const bytes = new TextEncoder().encode(line);
      sending = sending.then(() => writeAll(conn, bytes)).catch(() => {});
    };
    const replay = granted & CAP.REPLICATION
      ? new ReplayReceiver({
        send,
        chart: (id) => host.chart(id),
        currentChart: () => writer.currentChart,
        nowSec: () => Math.floor(clock.nowMs() / 1000),
        enabled: key.enableReplication,
        secondsToReplicate: key.secondsToReplicate,
        stepSec: key.replicationStepSec,
        historyEntries: key.historyEntries,
      })
      : undefined;
    const writer: HostWriter = new HostWriter(host, {
      clock,
      defaultUpdateEverySec: updateEverySec,
      historyEntries: key.historyEntries,
      trustDurations: true,
      pluginName: "stream",
      limits: {
        maxCharts: key.maxChartsPerHost,
        maxDimensionsPerChart: key.maxDimensionsPerChart,
      },
      onOther: (keyword, words, count) => {
        if (replay?.handle(keyword, words, count)) return;
        if (!IGNORED_KEYWORDS.has(keyword)) {
          throw new ProtocolError(`unknown keyword "${keyword.slice(0, 40)}"`);
        }
      },
    });
    const parser = new ProtocolParser(writer);
    const splitter = new LineSplitter(web.streamMaxLineLength);
    // loaded on the first compressed stream: npm:lz4js is some 5 MiB resident
    const decompressor = granted & CAP.COMPRESSION
      ? new (await import("./compression.ts")).StreamDecompressor()
      : undefined;
    let problem: string | undefined;
    const stats = this.stats;
    const sink = {
      line(text: string) {
        sink.lineIn(text, 0, text.length);
      },
      lineIn(text: string, start: number, end: number) {
        if (problem) return;
        stats.linesReceived++;
        try {
          parser.parseIn(text, start, end);
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
    const take = (bytes: Uint8Array) => {
      stats.bytesReceived += bytes.length;
      if (!decompressor) {
        stats.textBytesReceived += bytes.length;
        splitter.push(bytes, sink);
        return;
      }
      try {
        for (const text of decompressor.push(bytes)) {
          stats.textBytesReceived += text.length;
          splitter.push(text, sink);
        }
      } catch (err) {
        if (!(err instanceof CompressionError)) throw err;
        problem ??= `compressed stream: ${err.message}`;
      }
    };
    /** What this connection's compression and replication came to. */
    const summary = () => {
      const parts: string[] = [];
      if (decompressor) {
        parts.push(
          `${decompressor.wireBytes} bytes received compressed for ${decompressor.textBytes}`,
        );
      }
      const r = replay?.stats;
      if (r) {
        parts.push(
          `replication: ${r.requests} requests, ${r.slots} slots stored, ${r.finished} charts streaming live` +
            (r.refused ? `, ${r.refused} replayed slots refused` : ""),
        );
      }
      return parts.join("; ");
    };
    try {
      if (already.length > 0) take(already);
      const buf = new Uint8Array(64 * 1024);
      const idleMs = web.streamIdleTimeoutSec * 1000;
      while (!problem) {
        let n: number | null;
        try {
          n = await withTimeout(conn.read(buf), idleMs, clock, "read");
        } catch (err) {
          if (err instanceof TimeoutError) {
            this.#say(
              "warn",
              `${where}: nothing received for ${web.streamIdleTimeoutSec} s; disconnecting`,
            );
            return;
          }
          this.#say(
            "warn",
            `${where}: ${(err as Error).message}; disconnected`,
          );
          return;
        }
        if (n === null) {
          this.#say("info", `${where}: the child closed the connection`);
          return;
        }
        take(buf.subarray(0, n));
      }
      this.#say(
        "error",
        `${where}: ${problem}; disconnecting (data stored so far is kept)`,
      );
    } finally {
      const s = summary();
      if (s) this.#say("info", `${where}: ${s}`);
    }
  }
}

/**
 * Where a request head ends: at the first empty line (LF or CRLF line
 * ends). `head` is its length without the last line end, `rest` where what
 * follows starts.
 */
function headEnd(b: Uint8Array): { head: number; rest: number } | undefined {
  for (let i = b.indexOf(10); i >= 0; i = b.indexOf(10, i + 1)) {
    if (b[i + 1] === 10) {
      return { head: i > 0 && b[i - 1] === 13 ? i - 1 : i, rest: i + 2 };
    }
    if (b[i + 1] === 13 && b[i + 2] === 10) {
      return { head: i > 0 && b[i - 1] === 13 ? i - 1 : i, rest: i + 3 };
    }
  }
  return undefined;
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
