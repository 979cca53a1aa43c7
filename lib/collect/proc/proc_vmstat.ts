/**
 * /proc/vmstat: paging, page faults, swap i/o and OOM kills, as netdata 1.37's proc_vmstat.c.
 *
 * @module
 */

import { parseKeyValues } from "./parse.ts";
import type { ProcContext, ProcModule } from "./context.ts";

/**
 * The page size swap i/o counts in: 4 KiB on x86_64 and on the usual
 * aarch64 kernels (netdata asks sysconf; Deno cannot).
 */
const PAGE_SIZE = 4096;

/** The /proc/vmstat module. */
export function procVmstat(ctx: ProcContext): ProcModule {
  return { path: "/proc/vmstat", collect: vmstat };

  function vmstat(text: string, ms: number, ut: number): void {
    const v = parseKeyValues(text);
    if (!v.has("pgpgin") || !v.has("pgpgout")) {
      throw new Error("missing pgpgin/pgpgout");
    }
    const chart = ctx.chart({
      id: "system.pgpgio",
      title: "Memory Paged from/to disk",
      units: "KiB/s",
      family: "disk",
      chartType: "area",
      priority: 151,
      module: "/proc/vmstat",
    }, [["in", 1, 1, "incremental"], ["out", -1, 1, "incremental"]]);
    chart.dimension("in")!.set(v.get("pgpgin")!, ms);
    chart.dimension("out")!.set(v.get("pgpgout")!, ms);
    chart.done(ut);
    // The rest of netdata 1.37's proc_vmstat.c: page faults always; swap
    // i/o once not zero (netdata's "auto"); OOM kills whenever the kernel
    // counts them: netdata reads that key with config_get_boolean(), which
    // turns its "auto" default into "yes".
    const get = (k: string) => v.get(k) ?? 0;
    const pgfaults = ctx.chart({
      id: "mem.pgfaults",
      title: "Memory Page Faults",
      units: "faults/s",
      family: "system",
      chartType: "line",
      priority: 1040,
      module: "/proc/vmstat",
      detail: true,
    }, [["minor", 1, 1, "incremental"], ["major", -1, 1, "incremental"]]);
    pgfaults.dimension("minor")!.set(get("pgfault"), ms);
    pgfaults.dimension("major")!.set(get("pgmajfault"), ms);
    pgfaults.done(ut);
    const swapio = ctx.chartOnceNonZero(
      get("pswpin") + get("pswpout") > 0,
      {
        id: "system.swapio",
        title: "Swap I/O",
        units: "KiB/s",
        family: "swap",
        chartType: "area",
        priority: 250,
        module: "/proc/vmstat",
      },
      [
        ["in", PAGE_SIZE, 1024, "incremental"],
        ["out", -PAGE_SIZE, 1024, "incremental"],
      ],
    );
    if (swapio) {
      swapio.dimension("in")!.set(get("pswpin"), ms);
      swapio.dimension("out")!.set(get("pswpout"), ms);
      swapio.done(ut);
    }
    if (v.has("oom_kill")) {
      const oom = ctx.chart({
        id: "mem.oom_kill",
        title: "Out of Memory Kills",
        units: "kills/s",
        family: "system",
        chartType: "line",
        priority: 1020,
        module: "/proc/vmstat",
        detail: true,
      }, [["kills", 1, 1, "incremental"]]);
      oom.dimension("kills")!.set(get("oom_kill"), ms);
      oom.done(ut);
    }
  }
}
