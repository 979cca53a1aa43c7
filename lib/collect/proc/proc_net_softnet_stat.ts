/**
 * /proc/net/softnet_stat: system.softnet_stat and, per CPU,
 * cpu.cpuN_softnet_stat, as netdata 1.37's proc_net_softnet_stat.c: a line
 * per CPU of hexadecimal 32-bit counters, of which columns 0, 1, 2, 9 and
 * 10 are charted (the system chart sums them over CPUs, in 32 bits).
 *
 * @module
 */

import type { DimSpec, ProcContext, ProcModule } from "./context.ts";

/** The columns netdata charts, by index (net/core/net-procfs.c). */
const COLUMNS: [number, string][] = [
  [0, "processed"],
  [1, "dropped"],
  [2, "squeezed"],
  [9, "received_rps"],
  [10, "flow_limit_count"],
];

/** The counters of each CPU's line, as netdata reads them (at most 50). */
export function parseSoftnetStat(text: string): number[][] {
  return text.split("\n").filter((l) => l.trim() !== "").slice(0, 200).map(
    (l) =>
      l.trim().split(/[ \t]+/).slice(0, 50).map((w) =>
        (Number.parseInt(w, 16) || 0) >>> 0
      ),
  );
}

/** The /proc/net/softnet_stat module. */
export function procNetSoftnetStat(ctx: ProcContext): ProcModule {
  const module = "/proc/net/softnet_stat";
  return {
    path: module,
    collect(text: string, ms: number, ut: number) {
      const rows = parseSoftnetStat(text);
      if (rows.length === 0) throw new Error("no lines");
      // netdata sizes the columns by the first line
      const columns = COLUMNS.filter(([i]) => i < rows[0].length);
      const dims: DimSpec[] = columns.map(([, name]) => [
        name,
        1,
        1,
        "incremental",
      ]);
      const system = ctx.chart({
        id: "system.softnet_stat",
        title: "System softnet_stat",
        units: "events/s",
        family: "softnet_stat",
        context: "system.softnet_stat",
        chartType: "line",
        priority: 955,
        module,
      }, dims);
      for (const [i, name] of columns) {
        let sum = 0;
        for (const r of rows) sum = (sum + (r[i] ?? 0)) >>> 0;
        system.dimension(name)!.set(sum, ms);
      }
      system.done(ut);
      rows.forEach((r, cpu) => {
        const core = ctx.chart({
          id: `cpu.cpu${cpu}_softnet_stat`,
          title: "CPU softnet_stat",
          units: "events/s",
          family: "softnet_stat",
          context: "cpu.softnet_stat",
          chartType: "line",
          priority: 4101 + cpu,
          module,
        }, dims);
        for (const [i, name] of columns) {
          core.dimension(name)!.set(r[i] ?? 0, ms);
        }
        core.done(ut);
      });
    },
  };
}
