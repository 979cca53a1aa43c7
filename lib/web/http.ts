/**
 * HTTP/1.1 as skiff's listener speaks it, pure: a request head parsed into
 * method, path and query; an answer formatted with netdata 1.37's headers
 * (CORS open, no caching) and `Connection: close`, one request per
 * connection. No I/O here: the receiver reads the head and writes the bytes.
 *
 * @module
 */

/** A parsed request head. */
export interface HttpRequest {
  method: string;
  /** The decoded path, without the query string. */
  path: string;
  query: URLSearchParams;
  /** Header names in lower case. */
  headers: Map<string, string>;
}

/** An answer. */
export interface HttpAnswer {
  status: number;
  contentType: string;
  body: string | Uint8Array;
  /** netdata sends `Cache-Control: public` for chart definitions. */
  cacheable?: boolean;
}

/** Why a request head cannot be answered: the status to answer with. */
export class HttpRequestError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

const REASONS: Record<number, string> = {
  200: "OK",
  400: "Bad Request",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  431: "Request Header Fields Too Large",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

/** Parses `METHOD TARGET HTTP/1.x` and the header lines after it. */
export function parseRequestHead(head: string): HttpRequest {
  const lines = head.split(/\r?\n/);
  const m = /^([A-Z]+) (\S+) HTTP\/1\.[01]$/.exec(lines[0]);
  if (!m) {
    throw new HttpRequestError(
      400,
      `not an HTTP/1.x request line: "${lines[0].slice(0, 80)}"`,
    );
  }
  const [, method, target] = m;
  const q = target.indexOf("?");
  const rawPath = q < 0 ? target : target.slice(0, q);
  let path;
  try {
    path = decodeURIComponent(rawPath);
  } catch {
    throw new HttpRequestError(
      400,
      `bad percent-encoding in path "${rawPath}"`,
    );
  }
  const headers = new Map<string, string>();
  for (let i = 1; i < lines.length; i++) {
    const colon = lines[i].indexOf(":");
    if (colon <= 0) continue;
    headers.set(
      lines[i].slice(0, colon).trim().toLowerCase(),
      lines[i].slice(colon + 1).trim(),
    );
  }
  return {
    method,
    path,
    query: new URLSearchParams(q < 0 ? "" : target.slice(q + 1)),
    headers,
  };
}

/** A plain-text answer. */
export function textAnswer(status: number, body: string): HttpAnswer {
  return { status, contentType: "text/plain; charset=utf-8", body };
}

/** A JSON answer (the text is already formatted). */
export function jsonAnswer(body: string, cacheable = false): HttpAnswer {
  return {
    status: 200,
    contentType: "application/json; charset=utf-8",
    body,
    cacheable,
  };
}

/**
 * The bytes of an answer, with the headers netdata 1.37 sends (CORS open;
 * `no-cache` unless cacheable), dated `nowMs`. A HEAD request gets the
 * headers only.
 */
export function formatAnswer(
  a: HttpAnswer,
  nowMs: number,
  headOnly = false,
): Uint8Array {
  const body = typeof a.body === "string"
    ? new TextEncoder().encode(a.body)
    : a.body;
  const date = new Date(nowMs).toUTCString();
  const cache = a.cacheable
    ? "Cache-Control: public\r\n" +
      `Expires: ${new Date(nowMs + 86400_000).toUTCString()}\r\n`
    : "Cache-Control: no-cache, no-store, must-revalidate\r\nPragma: no-cache\r\n" +
      `Expires: ${new Date(nowMs + 1000).toUTCString()}\r\n`;
  const head = `HTTP/1.1 ${a.status} ${REASONS[a.status] ?? "Unknown"}\r\n` +
    "Connection: close\r\n" +
    "Server: skiff\r\n" +
    "Access-Control-Allow-Origin: *\r\n" +
    "Access-Control-Allow-Credentials: true\r\n" +
    `Content-Type: ${a.contentType}\r\n` +
    `Date: ${date}\r\n` +
    cache +
    `Content-Length: ${body.length}\r\n\r\n`;
  const h = new TextEncoder().encode(head);
  if (headOnly) return h;
  const out = new Uint8Array(h.length + body.length);
  out.set(h);
  out.set(body, h.length);
  return out;
}
