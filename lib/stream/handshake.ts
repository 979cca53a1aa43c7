/**
 * netdata's streaming handshake, pure: telling a stream request from an HTTP
 * one by its first bytes, parsing `STREAM key=...&hostname=... HTTP/1.1`
 * (1.37 children; values are not percent-encoded) or the older
 * `GET /stream?key=...` form, deciding whether it may stream, negotiating
 * capabilities (the `ver=` bitmask, intersected, as netdata 1.37 does), and
 * the exact answers netdata 1.37 gives.
 *
 * @module
 */

import type { CapabilityName, StreamKey } from "../config/mod.ts";
import { simplePatternMatch } from "../simple_pattern.ts";

/** netdata's ready answers, by what the child understands. */
export const READY_V1 = "Hit me baby, push them over...";
export const READY_V2 =
  "Hit me baby, push them over and bring the host labels...";
export const READY_VN = "Hit me baby, push them over with the version=";
export const ALREADY_STREAMING =
  "This GUID is already streaming to this server";
export const SAME_LOCALHOST =
  "Don't hit me baby, you are trying to stream my localhost back";
/** The body of netdata's 401; the same whatever the reason, as netdata does. */
export const NOT_PERMITTED =
  "You are not permitted to access this. Check the logs for more info.";

/** netdata's capability bits (streaming/rrdpush.h of 1.37). */
export const CAP = {
  V1: 1 << 3,
  V2: 1 << 4,
  VN: 1 << 5,
  VCAPS: 1 << 6,
  HLABELS: 1 << 7,
  CLAIM: 1 << 8,
  CLABELS: 1 << 9,
  COMPRESSION: 1 << 10,
  FUNCTIONS: 1 << 11,
  REPLICATION: 1 << 12,
  BINARY: 1 << 13,
} as const;

/**
 * Every capability skiff implements: netdata 1.37's STREAM_OUR_CAPABILITIES
 * (16376 with compression). BINARY only lets a sender cut a compressed
 * message inside a line, which skiff's line splitter takes as it comes.
 */
export const OUR_CAPABILITIES = CAP.V1 | CAP.V2 | CAP.VN | CAP.VCAPS |
  CAP.HLABELS | CAP.CLAIM | CAP.CLABELS | CAP.COMPRESSION | CAP.FUNCTIONS |
  CAP.REPLICATION | CAP.BINARY;

/** The capabilities a config can turn off, by the names skiff's keys use. */
export const CAPABILITY_NAMES: Record<CapabilityName, number> = {
  hlabels: CAP.HLABELS,
  claim: CAP.CLAIM,
  clabels: CAP.CLABELS,
  compression: CAP.COMPRESSION,
  functions: CAP.FUNCTIONS,
  replication: CAP.REPLICATION,
  binary: CAP.BINARY,
};

/** The capability bits of `names`. */
export function capabilityBits(names: readonly CapabilityName[]): number {
  let bits = 0;
  for (const n of names) bits |= CAPABILITY_NAMES[n];
  return bits;
}

/** `caps` as netdata logs them (log_receiver_capabilities): `VCAPS HLABELS ...`. */
export function capabilityList(caps: number): string {
  return Object.entries(CAP).filter(([, bit]) => caps & bit).map(([n]) => n)
    .join(" ");
}

/** What a child asked for. */
export interface StreamRequest {
  params: Map<string, string>;
  key: string;
  hostname: string;
  machineGuid: string;
  updateEverySec: number;
  os: string;
  timezone: string;
  /** The capabilities the child offers, as netdata maps `ver`. */
  capabilities: number;
  userAgent: string;
}

/** A request that is not a valid stream request. */
export class StreamRequestError extends Error {}

/** True when the first line is a stream request rather than HTTP. */
export function isStreamRequest(firstLine: string): boolean {
  return firstLine.startsWith("STREAM ") ||
    firstLine.startsWith("GET /stream?");
}

/**
 * netdata 1.37's convert_stream_version_to_capabilities(): an old protocol
 * version (1 to 5) or a capability bitmask (1.37 children send ver=16376),
 * reduced to the newest way of negotiating it offers and to what skiff
 * implements.
 */
export function versionToCapabilities(version: number): number {
  let caps: number;
  if (version <= 1) caps = CAP.V1;
  else if (version < 3) caps = CAP.V2 | CAP.HLABELS;
  else if (version === 3) caps = CAP.VN | CAP.HLABELS | CAP.CLAIM;
  else if (version === 4) {
    caps = CAP.VN | CAP.HLABELS | CAP.CLAIM | CAP.CLABELS;
  } else if (version === 5) {
    caps = CAP.VN | CAP.HLABELS | CAP.CLAIM | CAP.CLABELS | CAP.COMPRESSION;
  } else caps = version;
  if (caps & CAP.VCAPS) caps &= ~(CAP.V1 | CAP.V2 | CAP.VN);
  if (caps & CAP.VN) caps &= ~(CAP.V1 | CAP.V2);
  if (caps & CAP.V2) caps &= ~CAP.V1;
  return caps & OUR_CAPABILITIES;
}

/**
 * What a parent grants: the child's capabilities less those this parent
 * has turned off (compression off for the key, skiff's `disabled
 * capabilities`). As 1.37, replication stays granted when `enable
 * replication = no`: the child is then asked for nothing to replay.
 */
export function grantCapabilities(childCaps: number, disabled: number): number {
  return childCaps & ~disabled;
}

/** netdata's stream_capabilities_to_vn(): the old version for a VN-only child. */
export function capabilitiesToVersion(caps: number): number {
  if (caps & CAP.COMPRESSION) return 5;
  if (caps & CAP.CLABELS) return 4;
  return 3;
}

const GUID =
  /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/**
 * Parses the request head (everything before the empty line). Throws a
 * {@link StreamRequestError} naming what is missing or wrong.
 */
export function parseStreamRequest(head: string): StreamRequest {
  const lines = head.split(/\r?\n/);
  const first = lines[0];
  let query: string;
  let encoded = false;
  if (first.startsWith("STREAM ")) {
    const end = first.lastIndexOf(" HTTP/");
    query = first.slice("STREAM ".length, end < 0 ? undefined : end);
  } else if (first.startsWith("GET /stream?")) {
    const end = first.lastIndexOf(" HTTP/");
    query = first.slice("GET /stream?".length, end < 0 ? undefined : end);
    encoded = true;
  } else {
    throw new StreamRequestError(
      `not a stream request: "${first.slice(0, 60)}"`,
    );
  }
  const params = new Map<string, string>();
  for (const part of query.split("&")) {
    if (part === "") continue;
    const eq = part.indexOf("=");
    const name = eq < 0 ? part : part.slice(0, eq);
    let value = eq < 0 ? "" : part.slice(eq + 1);
    if (encoded) {
      try {
        value = decodeURIComponent(value.replaceAll("+", " "));
      } catch {
        // keep it as sent
      }
    }
    params.set(name, value);
  }
  let userAgent = "";
  for (const l of lines.slice(1)) {
    const m = /^user-agent:\s*(.*)$/i.exec(l.trimEnd());
    if (m) userAgent = m[1];
  }
  const key = params.get("key") ?? "";
  const hostname = params.get("hostname") ?? "";
  const machineGuid = params.get("machine_guid") ?? "";
  if (key === "") throw new StreamRequestError("request without an API key");
  if (hostname === "") {
    throw new StreamRequestError("request without a hostname");
  }
  if (machineGuid === "") {
    throw new StreamRequestError("request without a machine GUID");
  }
  if (!GUID.test(key)) {
    throw new StreamRequestError(`API key "${key}" is not a valid GUID`);
  }
  if (!GUID.test(machineGuid)) {
    throw new StreamRequestError(
      `machine GUID "${machineGuid}" is not a valid GUID`,
    );
  }
  const ue = Number(params.get("update_every") ?? "1");
  let version = 0;
  if (params.has("ver")) version = Number.parseInt(params.get("ver")!, 10) || 0;
  else if (params.has("NETDATA_PROTOCOL_VERSION")) version = 1;
  return {
    params,
    key: key.toLowerCase(),
    hostname,
    machineGuid: machineGuid.toLowerCase(),
    updateEverySec: Number.isInteger(ue) && ue > 0 ? ue : 1,
    os: params.get("os") ?? "",
    timezone: params.get("timezone") ?? "",
    capabilities: versionToCapabilities(version),
    userAgent,
  };
}

/** What to do with a request. */
export type AccessDecision =
  | { ok: true; key: StreamKey }
  | {
    ok: false;
    reason: string;
    answer: "401" | "already" | "same-localhost" | "busy";
  };

/** Whether a parsed request may stream, and why not. */
export function decideAccess(
  req: StreamRequest,
  context: {
    keys: Record<string, StreamKey>;
    peerAddress: string;
    localMachineGuid: string;
    /** Hosts streaming now with this key. */
    activeWithKey: number;
    /** Whether this machine GUID is streaming now. */
    alreadyConnected: boolean;
  },
): AccessDecision {
  const key = context.keys[req.key];
  if (!key) {
    return { ok: false, reason: `unknown API key ${req.key}`, answer: "401" };
  }
  if (!key.enabled) {
    return {
      ok: false,
      reason: `API key ${req.key} is not enabled`,
      answer: "401",
    };
  }
  if (!simplePatternMatch(key.allowFrom, context.peerAddress)) {
    return {
      ok: false,
      reason:
        `${context.peerAddress} is not in "allow from" (${key.allowFrom}) of API key ${req.key}`,
      answer: "401",
    };
  }
  if (req.machineGuid === context.localMachineGuid.toLowerCase()) {
    return {
      ok: false,
      reason: "the machine GUID is skiff's own",
      answer: "same-localhost",
    };
  }
  if (context.alreadyConnected) {
    return {
      ok: false,
      reason: `machine GUID ${req.machineGuid} is already streaming`,
      answer: "already",
    };
  }
  if (context.activeWithKey >= key.maxHosts) {
    return {
      ok: false,
      reason:
        `API key ${req.key} already has ${context.activeWithKey} hosts streaming, its "max hosts"`,
      answer: "busy",
    };
  }
  return { ok: true, key };
}

/** The ready answer for the capabilities granted, as netdata 1.37 words it. */
export function readyAnswer(granted: number): string {
  if (granted & CAP.VCAPS) return `${READY_VN}${granted}`;
  if (granted & CAP.VN) return `${READY_VN}${capabilitiesToVersion(granted)}`;
  if (granted & CAP.V2) return READY_V2;
  return READY_V1;
}

/** A minimal HTTP/1.1 response that closes the connection. */
export function httpResponse(
  status: number,
  reason: string,
  body: string,
): string {
  return `HTTP/1.1 ${status} ${reason}\r\nContent-Type: text/plain; charset=utf-8\r\n` +
    `Content-Length: ${
      new TextEncoder().encode(body).length
    }\r\nConnection: close\r\n\r\n${body}`;
}

/** The bytes to send for a refused request, as netdata 1.37 answers. */
export function refusalAnswer(
  answer: Exclude<AccessDecision, { ok: true }>["answer"],
): string {
  switch (answer) {
    case "already":
      return ALREADY_STREAMING;
    case "same-localhost":
      return SAME_LOCALHOST;
    case "busy":
      return httpResponse(
        503,
        "Service Unavailable",
        "The server is too busy now to accept this request. Try later.",
      );
    default:
      return httpResponse(401, "Unauthorized", NOT_PERMITTED);
  }
}

export { guidFromName } from "./guid.ts";
