/**
 * /proc/loadavg: system.load and system.active_processes, as netdata 1.37's proc_loadavg.c.
 *
 * @module
 */

import { parseLoadavg } from "./parse.ts";
import type { ProcContext, ProcModule } from "./context.ts";

/** netdata collects the load average at most every 5 seconds. */
const MIN_LOADAVG_UPDATE_EVERY = 5;

/** The /proc/loadavg module. */
export function procLoadavg(ctx: ProcContext): ProcModule {
  let lastLoadMs = 0;
  return { path: "/proc/loadavg", collect: loadavg };

  function loadavg(text: string, ms: number, ut: number): void {
    const l = parseLoadavg(text);
    const loadEvery = Math.max(ctx.updateEverySec, MIN_LOADAVG_UPDATE_EVERY);
    // As netdata: the load average chart is collected every 5 s at most.
    if (
      lastLoadMs === 0 || ms - lastLoadMs >= loadEvery * 1000 - 500
    ) {
      lastLoadMs = ms;
      const load = ctx.chart({
        id: "system.load",
        title: "System Load Average",
        units: "load",
        family: "load",
        chartType: "line",
        priority: 100,
        updateEverySec: loadEvery,
        module: "/proc/loadavg",
      }, [["load1", 1, 1000, "absolute"], ["load5", 1, 1000, "absolute"], [
        "load15",
        1,
        1000,
        "absolute",
      ]]);
      load.dimension("load1")!.set(Math.trunc(l.load1 * 1000), ms);
      load.dimension("load5")!.set(Math.trunc(l.load5 * 1000), ms);
      load.dimension("load15")!.set(Math.trunc(l.load15 * 1000), ms);
      load.done(ut);
    }
    const active = ctx.chart({
      id: "system.active_processes",
      title: "System Active Processes",
      units: "processes",
      family: "processes",
      chartType: "line",
      priority: 750,
      module: "/proc/loadavg",
    }, [["active", 1, 1, "absolute"]]);
    active.dimension("active")!.set(l.activeProcesses, ms);
    active.done(ut);
  }
}
