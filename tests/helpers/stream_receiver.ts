/**
 * A streaming receiver on loopback for tests, and raw children that speak
 * netdata's stream protocol to it: the captured netdata 1.37.1 child's
 * request and first 400 lines, or a synthetic `STREAM ...` request.
 *
 * @module
 */

import { assertEquals } from "./assert.ts";
import { ManualClock } from "../../lib/clock.ts";
import type { Clock } from "../../lib/clock.ts";
import { parseConfig } from "../../lib/config/mod.ts";
import type { Config } from "../../lib/config/mod.ts";
import { Logger, memorySink } from "../../lib/log.ts";
import type { LogSink } from "../../lib/log.ts";
import { Database } from "../../lib/storage/rrd.ts";
import { StreamReceiver } from "../../lib/stream/receiver.ts";
import type { AcceptFn } from "../../lib/stream/receiver.ts";
import { guidFromName } from "../../lib/stream/handshake.ts";

/** The API key the test configs enable. */
export const KEY = "11111111-2222-3333-4444-555555555555";

const captureLines = (await Deno.readTextFile(
  new URL("../fixtures/netdata-1.37-child-stream.txt", import.meta.url),
)).split("\n").map((l) => l.replace(/\r$/, ""));

/**
 * The captured netdata 1.37.1 child's request, as it sent it but for
 * `ver=16376`, made `ver=4`: the captured body is what that child streamed
 * once answered version 4 (plain text, no replication), so replaying it
 * after a version 4 answer is faithful. {@link CAPTURED_HEAD_AS_SENT} is
 * the request untouched.
 */
export const CAPTURED_HEAD_AS_SENT = (() => {
  const i = captureLines.findIndex((l) => l.startsWith("STREAM "));
  return captureLines.slice(i, i + 3).join("\r\n") + "\r\n\r\n";
})();
export const CAPTURED_HEAD = CAPTURED_HEAD_AS_SENT.replace(
  "&ver=16376&",
  "&ver=4&",
);

/** The captured child's first 400 stream lines (27 charts, their values). */
export const CAPTURED_BODY = (() => {
  const i = captureLines.findIndex((l) => l.startsWith("# First 400 lines"));
  return captureLines.slice(i + 1).filter((l) => l !== "" && !l.startsWith("#"))
    .join("\n") + "\n";
})();

/**
 * The captured child's stream lines repeated to at least `bytes` bytes: a
 * real 1.37 stream of some size (compression tests and benchmarks).
 */
export function capturedStream(bytes: number): string {
  return CAPTURED_BODY.repeat(Math.ceil(bytes / CAPTURED_BODY.length));
}

/** `parts` one after another, in one array. */
export function concatBytes(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** A unique, valid machine GUID for synthetic child `n`. */
export function testGuid(n: number): string {
  return `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;
}

/**
 * A 1.37-style `STREAM` request head; `ver` 4 by default: a child that
 * streams plain text without replication, as these tests write by hand.
 */
export function streamHead(
  hostname: string,
  machineGuid: string,
  key = KEY,
  ver = 4,
): string {
  return `STREAM key=${key}&hostname=${hostname}&machine_guid=${machineGuid}&update_every=1&ver=${ver} HTTP/1.1\r\nUser-Agent: test\r\n\r\n`;
}

/** A receiver listening on loopback, serving until `stop()`. */
export interface TestReceiver {
  db: Database;
  receiver: StreamReceiver;
  config: Config;
  clock: Clock;
  /** Lines logged (unless a sink was given). */
  lines: string[];
  /** The port of the first `bind to` address. */
  port: number;
  stop(): Promise<void>;
}

/**
 * Starts a receiver with `text` as its whole config (the parent host is
 * named "parent"); config errors fail the test.
 */
export function startReceiver(
  text: string,
  options: { clock?: Clock; accept?: AcceptFn; sink?: LogSink } = {},
): TestReceiver {
  const { config, errors } = parseConfig(text, "parent.conf", {
    systemHostname: "parent",
  });
  assertEquals(errors, []);
  const clock = options.clock ??
    new ManualClock(Math.floor(Date.now() / 1000) * 1000);
  const db = new Database({
    hostname: "parent",
    machineGuid: guidFromName("parent"),
  });
  const memory = memorySink();
  const receiver = new StreamReceiver(db, config, {
    clock,
    accept: options.accept,
    log: new Logger("stream", {
      sink: options.sink ?? memory.sink,
      level: "debug",
    }),
  });
  receiver.listen();
  const abort = new AbortController();
  const serving = receiver.serve(abort.signal);
  return {
    db,
    receiver,
    config,
    clock,
    lines: memory.lines,
    port: receiver.addresses[0].port,
    async stop() {
      abort.abort();
      await serving;
    },
  };
}

/** A raw connection to a receiver, speaking whatever the test writes. */
export interface RawChild {
  conn: Deno.TcpConn;
  send(text: string): Promise<void>;
  /** Reads once; "" when the server closed (or reset) the connection. */
  read(): Promise<string>;
  /** Reads until the server closes; everything it sent. */
  readToEnd(): Promise<string>;
  close(): void;
}

/** Connects to `port` on 127.0.0.1 (or `hostname`, e.g. "::1"). */
export async function rawChild(
  port: number,
  hostname = "127.0.0.1",
): Promise<RawChild> {
  const conn = await Deno.connect({ hostname, port });
  const buf = new Uint8Array(65536);
  const enc = new TextEncoder();
  const read = async (): Promise<string> => {
    const n = await conn.read(buf).catch(() => null);
    return n === null ? "" : new TextDecoder().decode(buf.subarray(0, n));
  };
  return {
    conn,
    async send(text: string) {
      const b = enc.encode(text);
      let off = 0;
      while (off < b.length) off += await conn.write(b.subarray(off));
    },
    read,
    async readToEnd(): Promise<string> {
      let all = "";
      for (;;) {
        const t = await read();
        if (t === "") return all;
        all += t;
      }
    },
    close() {
      try {
        conn.close();
      } catch {
        // closed
      }
    },
  };
}
