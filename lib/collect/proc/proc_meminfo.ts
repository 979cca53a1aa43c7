/**
 * /proc/meminfo: system.ram and the mem.* charts, as netdata 1.37's proc_meminfo.c.
 *
 * @module
 */

import type { Chart } from "../../storage/mod.ts";
import { parseKeyValues } from "./parse.ts";
import type { DimSpec, ProcContext, ProcModule } from "./context.ts";

/** The /proc/meminfo module. */
export function procMeminfo(ctx: ProcContext): ProcModule {
  return { path: "/proc/meminfo", collect: meminfo };

  function meminfo(text: string, ms: number, ut: number): void {
    const m = parseKeyValues(text);
    const need = ["MemTotal", "MemFree", "Cached", "Buffers"];
    const missing = need.filter((k) => !m.has(k));
    if (missing.length) throw new Error(`missing ${missing.join(", ")}`);
    const get = (k: string) => m.get(k) ?? 0;
    // As netdata: cached includes reclaimable slab, less shared memory.
    const cached = get("Cached") + get("SReclaimable") - get("Shmem");
    const used = get("MemTotal") - get("MemFree") - cached - get("Buffers");
    const ram = ctx.chart({
      id: "system.ram",
      title: "System RAM",
      units: "MiB",
      family: "ram",
      chartType: "stacked",
      priority: 200,
      module: "/proc/meminfo",
    }, [["free", 1, 1024, "absolute"], ["used", 1, 1024, "absolute"], [
      "cached",
      1,
      1024,
      "absolute",
    ], [
      "buffers",
      1,
      1024,
      "absolute",
    ]]);
    ram.dimension("free")!.set(get("MemFree"), ms);
    ram.dimension("used")!.set(used, ms);
    ram.dimension("cached")!.set(cached, ms);
    ram.dimension("buffers")!.set(get("Buffers"), ms);
    ram.done(ut);
    if (m.has("MemAvailable")) {
      const avail = ctx.chart({
        id: "mem.available",
        title: "Available RAM for applications",
        units: "MiB",
        family: "system",
        chartType: "area",
        priority: 1010,
        module: "/proc/meminfo",
      }, [["MemAvailable", 1, 1024, "absolute", "avail"]]);
      avail.dimension("MemAvailable")!.set(get("MemAvailable"), ms);
      avail.done(ut);
    } else {
      ctx.warnOnce(
        "MemAvailable",
        "/proc/meminfo has no MemAvailable (old kernel): skipping mem.available",
      );
    }
    if (m.has("Committed_AS")) {
      const committed = ctx.chart({
        id: "mem.committed",
        title: "Committed (Allocated) Memory",
        units: "MiB",
        family: "system",
        chartType: "area",
        priority: 1030,
        module: "/proc/meminfo",
        detail: true,
      }, [["Committed_AS", 1, 1024, "absolute"]]);
      committed.dimension("Committed_AS")!.set(get("Committed_AS"), ms);
      committed.done(ut);
    }
    // netdata 1.37's proc_meminfo.c: writeback, kernel and slab memory,
    // always (missing fields are 0), detail charts.
    const kib = (id: string, name?: string): DimSpec =>
      name ? [id, 1, 1024, "absolute", name] : [id, 1, 1024, "absolute"];
    const set = (chart: Chart, values: [string, string][]) => {
      for (const [dim, field] of values) {
        chart.dimension(dim)!.set(get(field), ms);
      }
      chart.done(ut);
    };
    const writeback = ctx.chart({
      id: "mem.writeback",
      title: "Writeback Memory",
      units: "MiB",
      family: "kernel",
      chartType: "line",
      priority: 1100,
      module: "/proc/meminfo",
      detail: true,
    }, [
      kib("Dirty"),
      kib("Writeback"),
      kib("FuseWriteback"),
      kib("NfsWriteback"),
      kib("Bounce"),
    ]);
    set(writeback, [
      ["Dirty", "Dirty"],
      ["Writeback", "Writeback"],
      ["FuseWriteback", "WritebackTmp"],
      ["NfsWriteback", "NFS_Unstable"],
      ["Bounce", "Bounce"],
    ]);
    const percpu = m.has("Percpu");
    const kernel = ctx.chart({
      id: "mem.kernel",
      title: "Memory Used by Kernel",
      units: "MiB",
      family: "kernel",
      chartType: "stacked",
      priority: 1101,
      module: "/proc/meminfo",
      detail: true,
    }, [
      kib("Slab"),
      kib("KernelStack"),
      kib("PageTables"),
      kib("VmallocUsed"),
      ...(percpu ? [kib("Percpu")] : []),
    ]);
    set(kernel, [
      ["Slab", "Slab"],
      ["KernelStack", "KernelStack"],
      ["PageTables", "PageTables"],
      ["VmallocUsed", "VmallocUsed"],
      ...(percpu ? [["Percpu", "Percpu"] as [string, string]] : []),
    ]);
    const slab = ctx.chart({
      id: "mem.slab",
      title: "Reclaimable Kernel Memory",
      units: "MiB",
      family: "slab",
      chartType: "stacked",
      priority: 1200,
      module: "/proc/meminfo",
      detail: true,
    }, [kib("reclaimable"), kib("unreclaimable")]);
    set(slab, [["reclaimable", "SReclaimable"], [
      "unreclaimable",
      "SUnreclaim",
    ]]);
  }
}
