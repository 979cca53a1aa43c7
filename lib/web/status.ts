/**
 * `/status`: what skiff is doing, as one JSON document: per exporting
 * instance where it sends and how that goes (connected, failing since,
 * the last error, and the exact accounting: formatted = sent + lost +
 * buffered), per host its state, per collector its last duration. Pure:
 * the agent hands in the sources.
 *
 * @module
 */

import type { InstanceStatus } from "../export/instance.ts";
import type { Database } from "../storage/mod.ts";
import type { ChildStatus } from "../stream/receiver.ts";

/** Where the status comes from (the agent fills this in). */
export interface StatusSources {
  db: Database;
  version: string;
  startedMs: number;
  instances(): InstanceStatus[];
  /** Children streaming in now (none when nothing listens). */
  children(): ChildStatus[];
  /** Collectors: name, interval, the last run's duration in µs (absent before the first). */
  collectors(): { name: string; updateEverySec: number; lastUs?: number }[];
  /** The stream to a parent, when enabled. */
  parent?(): {
    destinations: string[];
    connected: boolean;
    connections: number;
    textBytes: number;
    wireBytes: number;
  };
}

function iso(ms: number): string | null {
  return ms > 0 ? new Date(ms).toISOString() : null;
}

/** The `/status` document at `nowMs`. */
export function statusDocument(s: StatusSources, nowMs: number): unknown {
  const children = new Map(s.children().map((c) => [c.machineGuid, c]));
  const hosts = [...s.db.hosts()].map((h) => {
    const child = children.get(h.machineGuid);
    let dimensions = 0;
    for (const c of h.charts.values()) dimensions += c.dimensions.length;
    return {
      hostname: h.hostname,
      machine_guid: h.machineGuid,
      state: h.isLocal
        ? "local"
        : child
        ? "streaming"
        : h.orphan
        ? "orphan"
        : "disconnected",
      peer: child?.peer ?? null,
      streaming_since: iso(child?.sinceMs ?? 0),
      capabilities: child?.capabilities ?? null,
      disconnected_since: iso(h.disconnectedAtMs),
      charts: h.charts.size,
      dimensions,
    };
  });
  return {
    hostname: s.db.localhost.hostname,
    version: s.version,
    now: new Date(nowMs).toISOString(),
    uptime_seconds: Math.floor((nowMs - s.startedMs) / 1000),
    exporting: s.instances().map((i) => ({
      name: i.name,
      section: i.section,
      type: i.type,
      update_every: i.updateEverySec,
      destinations: i.destinations,
      connected_to: i.connectedTo || null,
      state: i.state,
      failing_since: iso(i.failingSinceMs),
      failed_cycles: i.failedCycles,
      last_error: i.lastError || null,
      metrics: {
        formatted: i.accounting.formatted,
        sent: i.accounting.sent,
        lost: i.accounting.lost,
        buffered: i.accounting.buffered,
        resent: i.accounting.resent,
      },
      buffered_bytes: i.bufferedBytes,
    })),
    hosts,
    parent: s.parent?.() ?? null,
    collectors: s.collectors().map((c) => ({
      name: c.name,
      update_every: c.updateEverySec,
      last_duration_us: c.lastUs ?? null,
    })),
  };
}
