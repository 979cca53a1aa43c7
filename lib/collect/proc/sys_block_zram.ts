/**
 * zram: per device, mem.zram_usage, _savings, _ratio and _efficiency, as
 * netdata 1.37's sys_block_zram.c, from /sys/block/zramN/mm_stat. netdata
 * finds the devices by the zram major number in /proc/devices and a scan
 * of /dev; skiff, which reads files and lists no directory, reads
 * /proc/devices for the major and probes zram0 to zram15.
 *
 * @module
 */

import type { ProcContext, ProcModule } from "./context.ts";

/** Devices probed: zram0 ... zram15. */
const MAX_DEVICES = 16;

/** /sys/block/zramN/mm_stat's first seven numbers. */
export interface MmStat {
  origDataSize: number;
  comprDataSize: number;
  memUsedTotal: number;
}

/** Parses mm_stat; undefined when it has fewer than 7 numbers (netdata). */
export function parseMmStat(text: string): MmStat | undefined {
  const w = text.trim().split(/\s+/);
  if (w.length < 7) return undefined;
  return {
    origDataSize: Number(w[0]) || 0,
    comprDataSize: Number(w[1]) || 0,
    memUsedTotal: Number(w[2]) || 0,
  };
}

/** The zram module (netdata's `/sys/block/zram` key). */
export function sysBlockZram(ctx: ProcContext): ProcModule {
  const module = "/sys/block/zram";
  let devices: string[] | undefined;
  return {
    path: "/proc/devices",
    key: module,
    alsoRead: () => (devices ?? []).map((d) => `/sys/block/${d}/mm_stat`),
    async collect(text: string, ms: number, ut: number, also) {
      if (!devices) {
        const hasZram = text.split("\n").some((l) =>
          l.trim().split(/\s+/)[1] === "zram"
        );
        devices = [];
        if (hasZram) {
          const paths = Array.from(
            { length: MAX_DEVICES },
            (_, i) => `/sys/block/zram${i}/mm_stat`,
          );
          const found = await ctx.files(paths);
          devices = paths.filter((p) => found.has(p)).map((p) =>
            p.split("/")[3]
          );
        }
      }
      if (devices.length === 0) return;
      // the first time, the devices were found after the batch was read
      const files = devices.every((d) => also.has(`/sys/block/${d}/mm_stat`))
        ? also
        : await ctx.files(devices.map((d) => `/sys/block/${d}/mm_stat`));
      for (const name of devices) {
        const mm = parseMmStat(files.get(`/sys/block/${name}/mm_stat`) ?? "");
        if (!mm) continue;
        device(name, mm, ms, ut);
      }
    },
  };

  function device(name: string, mm: MmStat, ms: number, ut: number): void {
    const MiB = 1024 * 1024;
    const chart = (
      kind: string,
      title: string,
      units: string,
      chartType: "area" | "line",
      priority: number,
      dims: [string, number, number][],
    ) => {
      const c = ctx.chart({
        id: `mem.zram_${kind}.${name}`,
        name: `mem.zram_${kind}.${name}`,
        title,
        units,
        family: name,
        context: `mem.zram_${kind}`,
        chartType,
        priority,
        module,
      }, dims.map(([id, , divisor]) => [id, 1, divisor, "absolute"]));
      c.labels.set("device", name);
      for (const [id, value] of dims) c.dimension(id)!.set(value, ms);
      c.done(ut);
    };
    chart("usage", "ZRAM Memory Usage", "MiB", "area", 1600, [
      ["compressed", mm.comprDataSize, MiB],
      ["metadata", mm.memUsedTotal - mm.comprDataSize, MiB],
    ]);
    chart("savings", "ZRAM Memory Savings", "MiB", "area", 1601, [
      ["savings", mm.comprDataSize - mm.origDataSize, MiB],
      ["original", mm.origDataSize, MiB],
    ]);
    chart(
      "ratio",
      "ZRAM Compression Ratio (original to compressed)",
      "ratio",
      "line",
      1602,
      [[
        "ratio",
        mm.comprDataSize === 0
          ? 1
          : Math.trunc(mm.origDataSize * 100 / mm.comprDataSize),
        100,
      ]],
    );
    chart("efficiency", "ZRAM Efficiency", "percentage", "line", 1603, [[
      "percent",
      mm.memUsedTotal === 0
        ? 100
        : Math.trunc(mm.comprDataSize * 1000000 / mm.memUsedTotal),
      10000,
    ]]);
  }
}
