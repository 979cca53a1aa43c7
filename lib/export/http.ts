/**
 * HTTP/1.1 for the exporting connectors that POST (json:http,
 * opentsdb:http, graphite:http, prometheus_remote_write): the request head
 * and reading one response from a link, keep-alive. Pure parsing apart
 * from the reads; the transport bounds each read with its timeout.
 *
 * @module
 */

import type { Link } from "./transport.ts";

/** What a connector that POSTs needs of the transport. */
export interface HttpRequestSpec {
  /** The request path, e.g. `/api/put`. */
  path: string;
  /** Headers after Host (and Authorization), before Content-Length. */
  headers: string[];
}

/** The request head, as netdata 1.37's prepare_header functions build it. */
export function requestHead(
  spec: HttpRequestSpec,
  host: string,
  bodyLength: number,
  authorization: string,
): string {
  return `POST ${spec.path} HTTP/1.1\r\nHost: ${host}\r\n${authorization}${
    spec.headers.map((h) => `${h}\r\n`).join("")
  }Content-Length: ${bodyLength}\r\n\r\n`;
}

/** `Authorization: Basic ...` for `username`/`password`, "" without a username. */
export function basicAuthorization(username: string, password: string): string {
  if (username === "") return "";
  const bytes = new TextEncoder().encode(`${username}:${password}`);
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return `Authorization: Basic ${btoa(bin)}\r\n`;
}

/** One HTTP response, its body cut to a sample. */
export interface HttpResponse {
  status: number;
  statusLine: string;
  /** Lower-cased header names. */
  headers: Map<string, string>;
  /** The body's first bytes, non-printable as spaces (at most 1023). */
  sample: string;
  /** The bytes read in all. */
  bytes: number;
  /** The server will close the connection (or did). */
  close: boolean;
}

const SAMPLE_MAX = 1023;
const HEAD_MAX = 64 * 1024;

/** Reads bytes from a link, with a pushback for what a read took too much. */
class Reader {
  #buf = new Uint8Array(0);
  bytes = 0;
  eof = false;
  constructor(readonly link: Link) {}

  async #more(): Promise<boolean> {
    const chunk = new Uint8Array(16 * 1024);
    const n = await this.link.read(chunk);
    if (n === null) {
      this.eof = true;
      return false;
    }
    this.bytes += n;
    const joined = new Uint8Array(this.#buf.length + n);
    joined.set(this.#buf);
    joined.set(chunk.subarray(0, n), this.#buf.length);
    this.#buf = joined;
    return true;
  }

  /** Bytes up to and including `delim`; undefined at EOF before it. */
  async until(delim: string, max: number): Promise<Uint8Array | undefined> {
    const d = new TextEncoder().encode(delim);
    for (;;) {
      const i = indexOf(this.#buf, d);
      if (i >= 0) {
        const out = this.#buf.subarray(0, i + d.length);
        this.#buf = this.#buf.subarray(i + d.length);
        return out;
      }
      if (this.#buf.length > max) {
        throw new Error(`HTTP response head longer than ${max} bytes`);
      }
      if (!(await this.#more())) return undefined;
    }
  }

  /** Exactly `n` bytes (fewer at EOF). */
  async take(n: number): Promise<Uint8Array> {
    while (this.#buf.length < n && await this.#more());
    const out = this.#buf.subarray(0, Math.min(n, this.#buf.length));
    this.#buf = this.#buf.subarray(out.length);
    return out;
  }

  /** Everything until EOF. */
  async rest(): Promise<Uint8Array> {
    while (await this.#more());
    const out = this.#buf;
    this.#buf = new Uint8Array(0);
    return out;
  }
}

function indexOf(hay: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) {
      if (hay[i + j] !== needle[j]) continue outer;
    }
    return i;
  }
  return -1;
}

function printable(bytes: Uint8Array, into: string): string {
  let s = into;
  for (let i = 0; i < bytes.length && s.length < SAMPLE_MAX; i++) {
    const c = bytes[i];
    s += c >= 32 && c < 127 ? String.fromCharCode(c) : " ";
  }
  return s;
}

/**
 * Reads one response (status line, headers, a Content-Length, chunked or
 * to-close body) from `link`. Throws when the peer closes before a whole
 * head or sends something that is not HTTP.
 */
export async function readResponse(link: Link): Promise<HttpResponse> {
  const r = new Reader(link);
  const head = await r.until("\r\n\r\n", HEAD_MAX);
  if (!head) {
    throw new Error("the server closed the connection without a response");
  }
  const lines = new TextDecoder().decode(head).split("\r\n");
  const statusLine = lines[0];
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine);
  if (!m) {
    throw new Error(
      `not an HTTP response: "${printable(head.subarray(0, 80), "")}"`,
    );
  }
  const headers = new Map<string, string>();
  for (const l of lines.slice(1)) {
    const colon = l.indexOf(":");
    if (colon > 0) {
      headers.set(
        l.slice(0, colon).trim().toLowerCase(),
        l.slice(colon + 1).trim(),
      );
    }
  }
  const status = Number(m[1]);
  let sample = "";
  let close = (headers.get("connection") ?? "").toLowerCase() === "close" ||
    statusLine.startsWith("HTTP/1.0");
  const length = headers.get("content-length");
  if (status === 204 || status === 304 || (status >= 100 && status < 200)) {
    // no body
  } else if (
    (headers.get("transfer-encoding") ?? "").toLowerCase().includes("chunked")
  ) {
    for (;;) {
      const sizeLine = await r.until("\r\n", 1024);
      if (!sizeLine) {
        throw new Error("the server closed the connection in a chunked body");
      }
      const size = parseInt(new TextDecoder().decode(sizeLine), 16);
      if (!(size >= 0)) throw new Error("bad chunk size in the response");
      if (size === 0) {
        await r.until("\r\n", HEAD_MAX); // trailers end
        break;
      }
      sample = printable(await r.take(size), sample);
      await r.take(2);
    }
  } else if (length !== undefined) {
    const body = await r.take(Number(length));
    sample = printable(body, sample);
    if (body.length < Number(length)) close = true;
  } else {
    sample = printable(await r.rest(), sample);
    close = true;
  }
  return { status, statusLine, headers, sample, bytes: r.bytes, close };
}

/**
 * Seconds to wait from a Retry-After header (seconds or an HTTP date),
 * undefined when absent or unreadable.
 */
export function retryAfterSec(
  value: string | undefined,
  nowMs: number,
): number | undefined {
  if (value === undefined) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const at = Date.parse(value);
  return Number.isNaN(at)
    ? undefined
    : Math.max(0, Math.ceil((at - nowMs) / 1000));
}
