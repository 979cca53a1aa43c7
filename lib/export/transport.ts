/**
 * Sending bytes to the first reachable destination. Knows nothing of
 * formats. Every connect and every write is bounded by `timeoutMs` through
 * the injected clock, so a peer that never answers SYN or never reads costs
 * at most the timeout. What a peer sends back is read in the background and
 * handed over once per cycle.
 *
 * @module
 */

import type { Clock } from "../clock.ts";
import { withTimeout } from "../clock.ts";
import type { Destination } from "../config/mod.ts";
import type { Consumed, SendBuffer } from "./buffer.ts";
import { hostPort } from "../config/mod.ts";
import { readResponse, requestHead, retryAfterSec } from "./http.ts";
import type { HttpRequestSpec } from "./http.ts";

/** What one send did. */
export interface SendResult {
  ok: boolean;
  /** Bytes the peer's socket took. */
  bytes: number;
  /** Metrics whose unit was written whole (first time). */
  metrics: number;
  /** Re-sent metrics whose unit was written whole. */
  resent: number;
  /** Why it failed. */
  error?: string;
  /** HTTP: the status of the last response. */
  status?: number;
  /** HTTP 429 or 503: the server's Retry-After, in seconds. */
  retryAfterSec?: number;
}

/** What a peer sent back since the last look. */
export interface Responses {
  bytes: number;
  reads: number;
  /** First bytes, non-printable characters as spaces, at most 1023. */
  sample: string;
  /** The peer closed the connection. */
  closed: boolean;
}

/** The minimum of a connection skiff uses; Deno.Conn fits it. */
export interface Link {
  write(p: Uint8Array): Promise<number>;
  read(p: Uint8Array): Promise<number | null>;
  close(): void;
}

/** Opens a link to a destination; replaceable in tests. */
export type Dialer = (d: Destination) => Promise<Link>;

/** How a sender speaks HTTP, for connectors that POST. */
export interface HttpOptions {
  request: HttpRequestSpec;
  /** `Authorization: ...\r\n` or "". */
  authorization: string;
}

/** TLS for `:https` connectors. */
export interface TlsOptions {
  /** PEM certificates to trust instead of the system's store. */
  caCerts?: string[];
}

const encoder = new TextEncoder();

/** The real dialer: Deno.connect for tcp (DNS resolved on every call), stdout for stdout. */
export function dial(
  d: Destination,
  stdout: Link = stdoutLink(),
  tls?: TlsOptions,
): Promise<Link> {
  if (d.kind === "stdout") return Promise.resolve(stdout);
  if (tls) return connectTls(d.hostname, d.port, tls);
  return Deno.connect({ hostname: d.hostname, port: d.port, transport: "tcp" });
}

/**
 * A TLS connection, its handshake done: a certificate the CA does not sign
 * fails the connect (and the next destination is tried), with the reason.
 */
async function connectTls(
  hostname: string,
  port: number,
  tls: TlsOptions,
): Promise<Link> {
  const conn = await Deno.connectTls({ hostname, port, caCerts: tls.caCerts });
  try {
    await conn.handshake();
  } catch (err) {
    conn.close();
    throw new Error(`TLS handshake failed: ${(err as Error).message}`);
  }
  return conn;
}

/** Standard output as a link that never answers and never closes. */
export function stdoutLink(): Link {
  return {
    write: (p) => Deno.stdout.write(p),
    read: () => new Promise<number | null>(() => {}),
    close: () => {},
  };
}

const WRITE_CHUNK = 64 * 1024;
const SAMPLE_MAX = 1023;

/** Sends to the first destination of a list that accepts a connection. */
export class Sender {
  readonly destinations: Destination[];
  timeoutMs: number;
  readonly #clock: Clock;
  readonly #dial: Dialer;
  #link: Link | undefined;
  #current: Destination | undefined;
  #responseBytes = 0;
  #reads = 0;
  #sample = "";
  #peerClosed = false;
  readonly #http: HttpOptions | undefined;

  constructor(
    destinations: Destination[],
    options: {
      timeoutMs: number;
      clock: Clock;
      dial?: Dialer;
      http?: HttpOptions;
      tls?: TlsOptions;
    },
  ) {
    this.destinations = destinations;
    this.timeoutMs = options.timeoutMs;
    this.#clock = options.clock;
    this.#http = options.http;
    const tls = options.tls;
    this.#dial = options.dial ?? ((d) => dial(d, undefined, tls));
  }

  get connected(): boolean {
    return this.#link !== undefined;
  }

  /** The destination connected to, if any. */
  get current(): Destination | undefined {
    return this.#current;
  }

  /** Destinations as the config names them, for log lines. */
  get names(): string {
    return this.destinations.map((d) => d.text).join(" ");
  }

  /**
   * Tries the destinations in order, each bounded by the timeout; the first
   * that accepts wins. Returns the attempts made and the errors met.
   */
  async connect(): Promise<{ attempts: number; errors: string[] }> {
    const errors: string[] = [];
    let attempts = 0;
    for (const d of this.destinations) {
      attempts++;
      const pending = this.#dial(d);
      try {
        const link = await withTimeout(
          pending,
          this.timeoutMs,
          this.#clock,
          `connect to ${d.text}`,
        );
        this.#attach(link, d);
        return { attempts, errors };
      } catch (err) {
        // A connect that completes after its timeout is closed at once.
        pending.then((late) => late.close(), () => {});
        errors.push(`${d.text}: ${(err as Error).message}`);
      }
    }
    return { attempts, errors };
  }

  #attach(link: Link, d: Destination): void {
    this.#link = link;
    this.#current = d;
    this.#peerClosed = false;
    // An HTTP sender reads each response after its request, itself.
    if (d.kind === "tcp" && !this.#http) this.#readLoop(link);
  }

  async #readLoop(link: Link): Promise<void> {
    const buf = new Uint8Array(4096);
    try {
      for (;;) {
        const n = await link.read(buf);
        if (n === null) break;
        this.#responseBytes += n;
        this.#reads++;
        for (let i = 0; i < n && this.#sample.length < SAMPLE_MAX; i++) {
          const c = buf[i];
          this.#sample += c >= 32 && c < 127 ? String.fromCharCode(c) : " ";
        }
      }
    } catch {
      // reset or closed by us: either way the link is finished
    }
    if (this.#link === link) this.#peerClosed = true;
  }

  /**
   * Hands over what peers sent since the last call. A link the peer closed
   * is closed here, so the next send reconnects.
   */
  takeResponses(): Responses {
    const r: Responses = {
      bytes: this.#responseBytes,
      reads: this.#reads,
      sample: this.#sample,
      closed: this.#peerClosed,
    };
    this.#responseBytes = 0;
    this.#reads = 0;
    this.#sample = "";
    if (this.#peerClosed) this.close();
    return r;
  }

  /**
   * Writes the buffer until it is empty, each write bounded by the timeout.
   * On failure the link is closed and the buffer keeps what was not
   * written (a partly written unit goes again, whole).
   */
  async send(buffer: SendBuffer): Promise<SendResult> {
    const link = this.#link;
    const r: SendResult = { ok: true, bytes: 0, metrics: 0, resent: 0 };
    if (!link) return { ...r, ok: false, error: "not connected" };
    buffer.writing = true;
    try {
      while (!buffer.empty && r.ok) {
        if (this.#http) {
          if (!(await this.#post(link, buffer, this.#http, r))) break;
        } else {
          const chunk = buffer.peek(WRITE_CHUNK);
          const n = await this.#write(link, chunk);
          r.bytes += n;
          this.#count(buffer.consume(n), r);
        }
      }
      return r;
    } catch (err) {
      this.close();
      buffer.rewindToUnitStart();
      return { ...r, ok: false, error: (err as Error).message };
    } finally {
      buffer.writing = false;
    }
  }

  #count(done: Consumed, r: SendResult): void {
    r.metrics += done.metrics;
    r.resent += done.resent;
  }

  /** One write, bounded by the timeout; the bytes the link took. */
  #write(link: Link, bytes: Uint8Array): Promise<number> {
    return withTimeout(
      link.write(bytes),
      this.timeoutMs,
      this.#clock,
      `write to ${this.#current!.text}`,
    );
  }

  /** Writes all of `bytes`, each write bounded by the timeout. */
  async #writeAll(link: Link, bytes: Uint8Array): Promise<void> {
    for (let off = 0; off < bytes.length;) {
      off += await this.#write(link, bytes.subarray(off, off + WRITE_CHUNK));
    }
  }

  /**
   * HTTP: the first batch as one POST; its metrics count as sent only on a
   * 2xx answer, read within the timeout. Any other status is a failure
   * that keeps the batch (with Retry-After for 429 and 503), noted in `r`.
   * Returns whether to go on with the next batch on this connection.
   */
  async #post(
    link: Link,
    buffer: SendBuffer,
    http: HttpOptions,
    r: SendResult,
  ): Promise<boolean> {
    const dest = this.#current!;
    const host = dest.kind === "tcp" ? hostPort(dest.hostname, dest.port) : "";
    const body = buffer.peek(Infinity);
    const head = encoder.encode(
      requestHead(http.request, host, body.length, http.authorization),
    );
    await this.#writeAll(link, head);
    await this.#writeAll(link, body);
    r.bytes += head.length + body.length;
    const res = await withTimeout(
      readResponse(link),
      this.timeoutMs,
      this.#clock,
      `response from ${dest.text}`,
    );
    this.#responseBytes += res.bytes;
    this.#reads++;
    if (res.close) this.close();
    if (res.status < 200 || res.status >= 300) {
      buffer.rewindToUnitStart();
      r.ok = false;
      r.status = res.status;
      r.error = `${res.statusLine}: '${res.sample}'`;
      if (res.status === 429 || res.status === 503) {
        r.retryAfterSec = retryAfterSec(
          res.headers.get("retry-after"),
          Date.now(),
        );
      }
      return false;
    }
    this.#count(buffer.consume(body.length), r);
    return !res.close;
  }

  /** Closes the link, if any. */
  close(): void {
    const link = this.#link;
    this.#link = undefined;
    this.#current = undefined;
    this.#peerClosed = false;
    if (link) {
      try {
        link.close();
      } catch {
        // already closed
      }
    }
  }
}

/** Encodes text for a link (helper for tests and the stdout banner). */
export function encode(text: string): Uint8Array {
  return encoder.encode(text);
}
