/**
 * Parsers of /proc files: text in, numbers out. Pure, so they are tested
 * on fixture text. Field positions follow netdata 1.37's proc.plugin.
 *
 * @module
 */

/** One `cpu` line of /proc/stat, guest time already taken out as netdata does. */
export interface CpuTimes {
  /** `cpu` for the total, `cpu0`... for cores. */
  id: string;
  user: number;
  nice: number;
  system: number;
  idle: number;
  iowait: number;
  irq: number;
  softirq: number;
  steal: number;
  guest: number;
  guestNice: number;
}

/** What /proc/stat gives. */
export interface ProcStat {
  cpus: CpuTimes[];
  interrupts?: number;
  contextSwitches?: number;
  processesStarted?: number;
  processesRunning?: number;
  processesBlocked?: number;
}

const num = (s: string | undefined) => (s === undefined ? 0 : Number(s) || 0);

/** Parses /proc/stat. */
export function parseProcStat(text: string): ProcStat {
  const out: ProcStat = { cpus: [] };
  for (const line of text.split("\n")) {
    const w = line.trim().split(/\s+/);
    const key = w[0];
    if (key.startsWith("cpu")) {
      const guest = num(w[9]);
      const guestNice = num(w[10]);
      // The kernel counts guest time in user and nice too: netdata subtracts it.
      out.cpus.push({
        id: key,
        user: num(w[1]) - guest,
        nice: num(w[2]) - guestNice,
        system: num(w[3]),
        idle: num(w[4]),
        iowait: num(w[5]),
        irq: num(w[6]),
        softirq: num(w[7]),
        steal: num(w[8]),
        guest,
        guestNice,
      });
    } else if (key === "intr") out.interrupts = num(w[1]);
    else if (key === "ctxt") out.contextSwitches = num(w[1]);
    else if (key === "processes") out.processesStarted = num(w[1]);
    else if (key === "procs_running") out.processesRunning = num(w[1]);
    else if (key === "procs_blocked") out.processesBlocked = num(w[1]);
  }
  return out;
}

/** What /proc/loadavg gives. */
export interface LoadAvg {
  load1: number;
  load5: number;
  load15: number;
  activeProcesses: number;
}

/** Parses /proc/loadavg; throws when it has fewer than 5 fields. */
export function parseLoadavg(text: string): LoadAvg {
  const w = text.trim().split(/[\s/]+/);
  if (w.length < 5) {
    throw new Error(`expected at least 5 fields, got "${text.trim()}"`);
  }
  return {
    load1: Number(w[0]),
    load5: Number(w[1]),
    load15: Number(w[2]),
    activeProcesses: num(w[4]),
  };
}

/** Parses /proc/uptime into milliseconds, as netdata's uptime_msec(). */
export function parseUptimeMs(text: string): number {
  const s = Number(text.trim().split(/\s+/)[0]);
  if (!Number.isFinite(s)) {
    throw new Error(`cannot read uptime from "${text.trim()}"`);
  }
  return Math.trunc(s * 1000);
}

/** Parses `Key: value [kB]` lines (/proc/meminfo) and `key value` (/proc/vmstat). */
export function parseKeyValues(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    const m = /^([^\s:]+):?\s+(\d+)/.exec(line);
    if (m) out.set(m[1], Number(m[2]));
  }
  return out;
}

/** One interface of /proc/net/dev. */
export interface NetDevice {
  name: string;
  receivedBytes: number;
  sentBytes: number;
  receivedPackets: number;
  sentPackets: number;
  receivedMulticast: number;
  receivedErrors: number;
  sentErrors: number;
  receivedDrops: number;
  sentDrops: number;
  receivedFifo: number;
  sentFifo: number;
  receivedFrames: number;
  receivedCompressed: number;
  sentCompressed: number;
  sentCollisions: number;
  sentCarrier: number;
}

/** Parses /proc/net/dev. */
export function parseNetDev(text: string): NetDevice[] {
  const out: NetDevice[] = [];
  for (const line of text.split("\n")) {
    const colon = line.indexOf(":");
    if (colon < 0 || line.includes("|")) continue;
    const name = line.slice(0, colon).trim();
    const w = line.slice(colon + 1).trim().split(/\s+/);
    if (w.length < 16) continue;
    out.push({
      name,
      receivedBytes: num(w[0]),
      receivedPackets: num(w[1]),
      receivedErrors: num(w[2]),
      receivedDrops: num(w[3]),
      receivedMulticast: num(w[7]),
      sentBytes: num(w[8]),
      sentPackets: num(w[9]),
      sentErrors: num(w[10]),
      sentDrops: num(w[11]),
      receivedFifo: num(w[4]),
      receivedFrames: num(w[5]),
      receivedCompressed: num(w[6]),
      sentFifo: num(w[12]),
      sentCollisions: num(w[13]),
      sentCarrier: num(w[14]),
      sentCompressed: num(w[15]),
    });
  }
  return out;
}

/** One block device of /proc/diskstats. */
export interface DiskStats {
  major: number;
  minor: number;
  name: string;
  readSectors: number;
  writtenSectors: number;
  reads: number;
  writes: number;
  /** I/Os in progress now. */
  queuedIos: number;
  /** Milliseconds spent doing I/Os (netdata's busy). */
  busyMs: number;
  /** Weighted milliseconds spent doing I/Os (netdata's backlog). */
  backlogMs: number;
  /** Discards and flushes completed; 0 on kernels without them. */
  discards: number;
  flushes: number;
  mergedReads: number;
  mergedWrites: number;
  mergedDiscards: number;
  discardSectors: number;
  /** Milliseconds spent reading, writing, discarding, flushing. */
  readMs: number;
  writeMs: number;
  discardMs: number;
  flushMs: number;
  /** The kernel counts discards (4.18+) and flushes (5.5+): netdata's do_dc_stats, do_fl_stats. */
  hasDiscards: boolean;
  hasFlushes: boolean;
}

/** Parses /proc/diskstats. */
export function parseDiskstats(text: string): DiskStats[] {
  const out: DiskStats[] = [];
  for (const line of text.split("\n")) {
    const w = line.trim().split(/\s+/);
    if (w.length < 14) continue;
    out.push({
      major: num(w[0]),
      minor: num(w[1]),
      name: w[2],
      reads: num(w[3]),
      readSectors: num(w[5]),
      writes: num(w[7]),
      writtenSectors: num(w[9]),
      queuedIos: num(w[11]),
      busyMs: num(w[12]),
      backlogMs: num(w[13]),
      discards: w.length > 14 ? num(w[14]) : 0,
      flushes: w.length > 18 ? num(w[18]) : 0,
      mergedReads: num(w[4]),
      mergedWrites: num(w[8]),
      mergedDiscards: w.length > 15 ? num(w[15]) : 0,
      discardSectors: w.length > 16 ? num(w[16]) : 0,
      readMs: num(w[6]),
      writeMs: num(w[10]),
      discardMs: w.length > 17 ? num(w[17]) : 0,
      flushMs: w.length > 19 ? num(w[19]) : 0,
      // as netdata's `words > 13` and `words > 17` (so a 14-field line of a
      // kernel before 4.18 counts as having discards, all zero)
      hasDiscards: w.length > 13,
      hasFlushes: w.length > 17,
    });
  }
  return out;
}

/** One mount of /proc/self/mountinfo, as netdata's disk families use it. */
export interface Mount {
  major: number;
  minor: number;
  /** The base name of the mount source (`vda` for `/dev/vda`). */
  sourceName: string;
  mountPoint: string;
}

/** Decodes mountinfo's octal escapes (`\040` is a space). */
function decodeOctal(s: string): string {
  return s.replace(
    /\\([0-7]{3})/g,
    (_, o) => String.fromCharCode(parseInt(o, 8)),
  );
}

/**
 * Parses /proc/self/mountinfo in file order, keeping the first mount of a
 * mount point, as netdata 1.37's mountinfo_read(). Lines without the `-`
 * separator or a major:minor are skipped.
 */
export function parseMountinfo(text: string): Mount[] {
  const out: Mount[] = [];
  const seen = new Set<string>();
  for (const line of text.split("\n")) {
    const w = line.trim().split(/\s+/);
    if (w.length < 5 || seen.has(w[4])) continue;
    seen.add(w[4]);
    const m = /^(\d+):(\d+)$/.exec(w[2]);
    const dash = w.indexOf("-", 6);
    if (!m || dash < 0 || w.length < dash + 3) continue;
    const source = decodeOctal(w[dash + 2]);
    out.push({
      major: Number(m[1]),
      minor: Number(m[2]),
      sourceName: source.slice(source.lastIndexOf("/") + 1),
      mountPoint: decodeOctal(w[4]),
    });
  }
  return out;
}
