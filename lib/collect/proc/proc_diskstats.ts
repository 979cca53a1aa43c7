/**
 * /proc/diskstats: per-disk I/O, operations, backlog, busy and utilization, and system.io, as netdata 1.37's proc_diskstats.c.
 *
 * @module
 */

import { simplePatternMatch } from "../../simple_pattern.ts";
import type { Algorithm } from "../../storage/mod.ts";
import { parseDiskstats, parseMountinfo } from "./parse.ts";
import type { DiskStats } from "./parse.ts";
import type { ProcContext, ProcModule } from "./context.ts";

/** A dimension and its value: id, multiplier, algorithm, value, divisor. */
type DimValue = [string, number, Algorithm, number, number?];

/** Makes (once `nonZero`) and updates one per-disk chart; false when not made. */
type Detail = (
  type: string,
  title: string,
  units: string,
  chartType: "line" | "area",
  priority: number,
  nonZero: boolean,
  dims: DimValue[],
  context?: string,
  isDetail?: boolean,
) => boolean;

/** netdata's default `exclude disks`. */
const EXCLUDED_DISKS = "loop* ram*";

/**
 * /proc/diskstats counts 512-byte sectors whatever the disk's own sector
 * size (netdata 1.37 commented out its hw_sector_size read for this, #3481).
 */
const SECTOR_BYTES = 512;

/** Where a disk's mount point, its charts' family, is found. */
const MOUNTINFO = "/proc/self/mountinfo";

/** The /proc/diskstats module. */
export function procDiskstats(ctx: ProcContext): ProcModule {
  const known = new Map<string, { physical: boolean; family: string } | null>();
  /** Each disk's previous collection: the averages are over the last second. */
  const previous = new Map<string, DiskStats>();
  return { path: "/proc/diskstats", collect: diskstats };

  async function diskstats(
    text: string,
    ms: number,
    ut: number,
  ): Promise<void> {
    let readKb = 0;
    let writtenKb = 0;
    const disks = parseDiskstats(text);
    await classifyDisks(disks);
    for (const d of disks) {
      const info = known.get(d.name);
      if (!info) continue;
      if (info.physical) {
        readKb += d.readSectors * SECTOR_BYTES / 1024;
        writtenKb += d.writtenSectors * SECTOR_BYTES / 1024;
      }
      // netdata's "auto": a virtual disk is charted once it has I/O.
      const chart = ctx.chartOnceNonZero(
        info.physical || d.readSectors + d.writtenSectors > 0,
        {
          id: `disk.${d.name}`,
          title: "Disk I/O Bandwidth",
          units: "KiB/s",
          family: info.family,
          context: "disk.io",
          chartType: "area",
          priority: 2000,
          module: "/proc/diskstats",
        },
        [["reads", SECTOR_BYTES, 1024, "incremental"], [
          "writes",
          -SECTOR_BYTES,
          1024,
          "incremental",
        ]],
      );
      if (!chart) continue;
      chart.dimension("reads")!.set(d.readSectors, ms);
      chart.dimension("writes")!.set(d.writtenSectors, ms);
      chart.done(ut);
      diskDetails(d, info.family, ms, ut);
    }
    const io = ctx.chart({
      id: "system.io",
      title: "Disk I/O",
      units: "KiB/s",
      family: "disk",
      chartType: "area",
      priority: 150,
      module: "/proc/diskstats",
    }, [["in", 1, 1, "incremental"], ["out", -1, 1, "incremental"]]);
    io.dimension("in")!.set(Math.trunc(readKb), ms);
    io.dimension("out")!.set(Math.trunc(writtenKb), ms);
    io.done(ut);
  }

  /**
   * Whole disks only, physical or virtual, and each one's family: its
   * mount point when mounted, else its name (netdata's proc_diskstats.c).
   */
  async function classifyDisks(disks: DiskStats[]): Promise<void> {
    for (const d of disks) {
      if (simplePatternMatch(EXCLUDED_DISKS, d.name)) {
        known.set(d.name, null);
      }
    }
    const unknown = disks.filter((d) => !known.has(d.name));
    if (unknown.length === 0) return;
    // Whole disks have /sys/block/NAME (partitions do not: netdata charts
    // no partition I/O by default); virtual ones are also under
    // /sys/devices/virtual/block.
    const sector = (n: string) => `/sys/block/${n}/queue/hw_sector_size`;
    const virtual = (n: string) => `/sys/devices/virtual/block/${n}/dev`;
    const found = await ctx.files(
      [...unknown.flatMap((d) => [sector(d.name), virtual(d.name)]), MOUNTINFO],
    );
    const mounts = parseMountinfo(found.get(MOUNTINFO) ?? "");
    for (const d of unknown) {
      const mount = mounts.find((m) =>
        m.major === d.major && m.minor === d.minor && m.sourceName === d.name
      );
      known.set(
        d.name,
        found.has(sector(d.name))
          ? {
            physical: !found.has(virtual(d.name)),
            family: mount?.mountPoint ?? d.name,
          }
          : null,
      );
    }
  }

  /**
   * disk_ops, disk_qops, disk_backlog, disk_busy and disk_util of one disk,
   * as netdata 1.37's proc_diskstats.c: detail charts, each created once its
   * source is not zero ("auto").
   */
  function diskDetails(
    d: DiskStats,
    family: string,
    ms: number,
    ut: number,
  ): void {
    const detail: Detail = (
      type,
      title,
      units,
      chartType,
      priority,
      nonZero,
      dims,
      context = `disk.${type.slice("disk_".length)}`,
      isDetail = true,
    ) => {
      const chart = ctx.chartOnceNonZero(
        nonZero,
        {
          id: `${type}.${d.name}`,
          title,
          units,
          family,
          context,
          chartType,
          priority,
          module: "/proc/diskstats",
          detail: isDetail,
        },
        dims.map(([dim, m, algorithm, , div]) => [dim, m, div ?? 1, algorithm]),
      );
      if (!chart) return false;
      for (const [dim, , , v] of dims) chart.dimension(dim)!.set(v, ms);
      chart.done(ut);
      return true;
    };
    const ops = detail(
      "disk_ops",
      "Disk Completed I/O Operations",
      "operations/s",
      "line",
      2010,
      d.reads + d.writes + d.discards + d.flushes > 0,
      [["reads", 1, "incremental", d.reads], [
        "writes",
        -1,
        "incremental",
        d.writes,
      ]],
    );
    detail(
      "disk_qops",
      "Disk Current I/O Operations",
      "operations",
      "line",
      2015,
      d.queuedIos > 0,
      [["operations", 1, "absolute", d.queuedIos]],
    );
    detail(
      "disk_backlog",
      "Disk Backlog",
      "milliseconds",
      "area",
      2020,
      d.backlogMs > 0,
      [["backlog", 1, "incremental", d.backlogMs]],
    );
    const busy = detail(
      "disk_busy",
      "Disk Busy Time",
      "milliseconds",
      "area",
      2030,
      d.busyMs > 0,
      [["busy", 1, "incremental", d.busyMs]],
    );
    if (busy) {
      // netdata: busy milliseconds since the last collection (0 before the
      // first) over the update every, in integer percent, at most 100.
      const last = previous.get(d.name)?.busyMs ?? 0;
      const utilization = Math.min(
        100,
        Math.trunc((d.busyMs - last) / (10 * ctx.updateEverySec)),
      );
      detail(
        "disk_util",
        "Disk Utilization Time",
        "% of time working",
        "area",
        2040,
        true,
        [["utilization", 1, "absolute", utilization]],
      );
    }
    // disk_util exists exactly when disk_busy does
    extended(d, detail, ops, busy);
    previous.set(d.name, d);
  }

  /**
   * The rest of netdata 1.37's per-disk charts: discards and flushes
   * (disk_ext_*, when the kernel counts them), merged operations, I/O time,
   * and, from the second collection on, the averages per operation (await,
   * avgsz, svctm) over the last interval, in integer arithmetic as netdata.
   */
  function extended(
    d: DiskStats,
    detail: Detail,
    ops: boolean,
    util: boolean,
  ): void {
    const dc = d.hasDiscards;
    const fl = d.hasFlushes;
    const S = SECTOR_BYTES;
    // disk.NAME exists: this runs only for a disk whose chart is made
    if (dc) {
      detail(
        "disk_ext",
        "Amount of Discarded Data",
        "KiB/s",
        "area",
        2001,
        true,
        [["discards", S, "incremental", d.discardSectors, 1024]],
        "disk_ext.io",
        false,
      );
    }
    if (dc && ops) {
      detail(
        "disk_ext_ops",
        "Disk Completed Extended I/O Operations",
        "operations/s",
        "line",
        2011,
        true,
        [
          ["discards", 1, "incremental", d.discards],
          ...(fl ? [["flushes", 1, "incremental", d.flushes] as DimValue] : []),
        ],
        "disk_ext.ops",
      );
    }
    const mops = detail(
      "disk_mops",
      "Disk Merged Operations",
      "merged operations/s",
      "line",
      2080,
      d.mergedReads + d.mergedWrites + d.mergedDiscards > 0,
      [["reads", 1, "incremental", d.mergedReads], [
        "writes",
        -1,
        "incremental",
        d.mergedWrites,
      ]],
    );
    if (dc && mops) {
      detail(
        "disk_ext_mops",
        "Disk Merged Discard Operations",
        "merged operations/s",
        "line",
        2081,
        true,
        [["discards", 1, "incremental", d.mergedDiscards]],
        "disk_ext.mops",
      );
    }
    const iotime = detail(
      "disk_iotime",
      "Disk Total I/O Time",
      "milliseconds/s",
      "line",
      2090,
      d.readMs + d.writeMs + d.discardMs + d.flushMs > 0,
      [["reads", 1, "incremental", d.readMs], [
        "writes",
        -1,
        "incremental",
        d.writeMs,
      ]],
    );
    if (dc && iotime) {
      detail(
        "disk_ext_iotime",
        "Disk Total I/O Time for Extended Operations",
        "milliseconds/s",
        "line",
        2091,
        true,
        [
          ["discards", 1, "incremental", d.discardMs],
          ...(fl ? [["flushes", 1, "incremental", d.flushMs] as DimValue] : []),
        ],
        "disk_ext.iotime",
      );
    }
    const p = previous.get(d.name);
    if (!p) return; // netdata: not on the first collection
    const per = (a: number, b: number) => (b !== 0 ? Math.trunc(a / b) : 0);
    const dReads = d.reads - p.reads;
    const dWrites = d.writes - p.writes;
    if (
      (iotime || d.readMs + d.writeMs > 0) && (ops || d.reads + d.writes > 0)
    ) {
      detail(
        "disk_await",
        "Average Completed I/O Operation Time",
        "milliseconds/operation",
        "line",
        2050,
        true,
        [
          ["reads", 1, "absolute", per(d.readMs - p.readMs, dReads)],
          ["writes", -1, "absolute", per(d.writeMs - p.writeMs, dWrites)],
        ],
      );
    }
    if (dc && iotime && ops) {
      detail(
        "disk_ext_await",
        "Average Completed Extended I/O Operation Time",
        "milliseconds/operation",
        "line",
        2051,
        true,
        [
          [
            "discards",
            1,
            "absolute",
            per(d.discardMs - p.discardMs, d.discards - p.discards),
          ],
          ...(fl
            ? [
              [
                "flushes",
                1,
                "absolute",
                per(d.flushMs - p.flushMs, d.flushes - p.flushes),
              ] as DimValue,
            ]
            : []),
        ],
        "disk_ext.await",
      );
    }
    // disk.NAME (the I/O chart) exists: netdata's do_io is yes
    if (ops || d.reads + d.writes > 0) {
      detail(
        "disk_avgsz",
        "Average Completed I/O Operation Bandwidth",
        "KiB/operation",
        "area",
        2060,
        true,
        [
          [
            "reads",
            S,
            "absolute",
            per(d.readSectors - p.readSectors, dReads),
            1024,
          ],
          [
            "writes",
            -S,
            "absolute",
            per(d.writtenSectors - p.writtenSectors, dWrites),
            1024,
          ],
        ],
      );
    }
    if (dc && ops) {
      detail(
        "disk_ext_avgsz",
        "Average Amount of Discarded Data",
        "KiB/operation",
        "area",
        2060,
        true,
        [[
          "discards",
          S,
          "absolute",
          per(d.discardSectors - p.discardSectors, d.discards - p.discards),
          1024,
        ]],
        "disk_ext.avgsz",
      );
    }
    if (
      (util || d.busyMs > 0) && (ops || d.reads + d.writes > 0)
    ) {
      detail(
        "disk_svctm",
        "Average Service Time",
        "milliseconds/operation",
        "line",
        2070,
        true,
        [[
          "svctm",
          1,
          "absolute",
          per(d.busyMs - p.busyMs, dReads + dWrites),
        ]],
      );
    }
  }
}
