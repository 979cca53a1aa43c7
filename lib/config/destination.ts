/**
 * Parsing of destination lists: `host`, `host:port`, `[ipv6]:port`, an
 * optional `tcp:` prefix (netdata accepts it), and skiff's `stdout`.
 *
 * @module
 */

/** One place to send to. */
export type Destination =
  | {
    kind: "tcp";
    hostname: string;
    port: number;
    text: string;
    /** The service name the port was given as (`host:graphite`). */
    service?: string;
  }
  | { kind: "stdout"; text: string };

/** Service name -> TCP port, as /etc/services lists them. */
export type Services = ReadonlyMap<string, number>;

/** Where service names come from, as netdata's getaddrinfo() finds them. */
export const SERVICES_FILE = "/etc/services";

/** The TCP services of an /etc/services text, names and aliases. */
export function parseServices(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    const words = line.replace(/#.*/, "").trim().split(/\s+/);
    const m = /^(\d+)\/tcp$/.exec(words[1] ?? "");
    if (!m) continue;
    for (const name of [words[0], ...words.slice(2)]) {
      if (!out.has(name)) out.set(name, Number(m[1]));
    }
  }
  return out;
}

/**
 * Parses one destination; `defaultPort` applies when none is given.
 * Throws an Error whose message says what is wrong with `text`.
 */
export function parseDestination(
  text: string,
  defaultPort: number,
  services?: Services,
): Destination {
  if (text === "stdout") return { kind: "stdout", text };
  let rest = text;
  if (rest.startsWith("tcp:")) rest = rest.slice(4);
  if (rest.startsWith("udp:")) {
    throw new Error(`"${text}": udp destinations are not supported, use tcp`);
  }
  let hostname: string;
  let portText: string | undefined;
  if (rest.startsWith("[")) {
    const close = rest.indexOf("]");
    if (close < 0) throw new Error(`"${text}": "[" without closing "]"`);
    hostname = rest.slice(1, close);
    const after = rest.slice(close + 1);
    if (after !== "") {
      if (after[0] !== ":") {
        throw new Error(`"${text}": expected ":port" after "]"`);
      }
      portText = after.slice(1);
    }
  } else {
    const colons = rest.split(":").length - 1;
    if (colons > 1) {
      throw new Error(
        `"${text}": an IPv6 address needs brackets, e.g. [::1]:${defaultPort}`,
      );
    }
    const colon = rest.indexOf(":");
    hostname = colon < 0 ? rest : rest.slice(0, colon);
    portText = colon < 0 ? undefined : rest.slice(colon + 1);
  }
  if (hostname === "") throw new Error(`"${text}": no host name`);
  if (!/^[A-Za-z0-9._:%-]+$/.test(hostname)) {
    throw new Error(`"${text}": "${hostname}" is not a host name or address`);
  }
  let port = defaultPort;
  if (portText !== undefined && /^[A-Za-z][A-Za-z0-9_-]*$/.test(portText)) {
    // A service name, as netdata accepts (`host:graphite`).
    const p = services?.get(portText);
    if (p === undefined) {
      throw new Error(
        services
          ? `"${text}": "${portText}" is not a port number, nor a tcp service in ${SERVICES_FILE}`
          : `"${text}": "${portText}" is a service name, but ${SERVICES_FILE} could not be read (--allow-read=${SERVICES_FILE})`,
      );
    }
    return { kind: "tcp", hostname, port: p, text, service: portText };
  }
  if (portText !== undefined) {
    if (!/^\d+$/.test(portText) || +portText < 1 || +portText > 65535) {
      throw new Error(
        `"${text}": port must be a number from 1 to 65535, got "${portText}"`,
      );
    }
    port = +portText;
  }
  return { kind: "tcp", hostname, port, text };
}

/** Splits a space- or comma-separated list of destinations and parses each. */
export function parseDestinationList(
  text: string,
  defaultPort: number,
  services?: Services,
): Destination[] {
  return text.split(/[\s,]+/).filter((s) => s !== "").map((s) =>
    parseDestination(s, defaultPort, services)
  );
}

/** `host:port`, with brackets for IPv6: the form Deno's --allow-net takes. */
export function destinationAddress(d: Destination): string {
  return d.kind === "stdout" ? "stdout" : hostPort(d.hostname, d.port);
}

/** `host:port`, an IPv6 address in brackets (as Deno's --allow-net spells it). */
export function hostPort(hostname: string, port: number): string {
  return hostname.includes(":")
    ? `[${hostname}]:${port}`
    : `${hostname}:${port}`;
}

/**
 * A `[web] bind to` address as Deno.listen takes it, from netdata's forms:
 * `*` (all IPv4 interfaces), `host`, `host:port`, `*:port`, `[ipv6]:port`.
 * netdata's `unix:PATH`, `^SSL=...` and `=ACL` forms are refused with the
 * reason. Throws an Error saying what is wrong with `text`.
 */
export function parseBindAddress(
  text: string,
  defaultPort: number,
): { hostname: string; port: number } {
  if (text.startsWith("unix:")) {
    throw new Error(
      `"${text}": unix sockets are not supported; use host:port`,
    );
  }
  if (text.includes("^SSL=")) {
    throw new Error(
      `"${text}": TLS on the listener (^SSL=) is not supported; use a TLS proxy in front`,
    );
  }
  if (text.includes("=")) {
    throw new Error(
      `"${text}": access lists (=dashboard|streaming...) are not supported; skiff's listener serves streaming only`,
    );
  }
  let host: string;
  let port = String(defaultPort);
  const v6 = /^\[([^\]]+)\](?::(\d*))?$/.exec(text);
  if (v6) {
    host = v6[1];
    if (v6[2]) port = v6[2];
  } else {
    if ((text.match(/:/g) ?? []).length > 1) {
      throw new Error(
        `"${text}": an IPv6 address needs brackets, e.g. [::1]:${defaultPort}`,
      );
    }
    const colon = text.lastIndexOf(":");
    host = colon < 0 ? text : text.slice(0, colon);
    if (colon >= 0) port = text.slice(colon + 1);
  }
  // 0 asks the system for a free port (tests use it).
  if (!/^\d+$/.test(port) || +port > 65535) {
    throw new Error(`"${text}": "${port}" is not a port (0-65535)`);
  }
  if (host === "*" || host === "") host = "0.0.0.0";
  if (!/^[A-Za-z0-9._:%-]+$/.test(host)) {
    throw new Error(`"${text}": "${host}" is not a host name or address`);
  }
  return { hostname: host, port: Number(port) };
}
