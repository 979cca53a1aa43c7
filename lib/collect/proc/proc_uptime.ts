/**
 * /proc/uptime: system.uptime, as netdata 1.37's proc_uptime.c.
 *
 * @module
 */

import { parseUptimeMs } from "./parse.ts";
import type { ProcContext, ProcModule } from "./context.ts";

/** The /proc/uptime module. */
export function procUptime(ctx: ProcContext): ProcModule {
  return { path: "/proc/uptime", collect: uptime };

  function uptime(text: string, ms: number, ut: number): void {
    const chart = ctx.chart({
      id: "system.uptime",
      title: "System Uptime",
      units: "seconds",
      family: "uptime",
      chartType: "line",
      priority: 1000,
      module: "/proc/uptime",
    }, [["uptime", 1, 1000, "absolute"]]);
    chart.dimension("uptime")!.set(parseUptimeMs(text), ms);
    chart.done(ut);
  }
}
