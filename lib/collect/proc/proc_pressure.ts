/**
 * /proc/pressure/{cpu,memory,io}: the kernel's pressure stall information,
 * as netdata 1.37's proc_pressure.c charts it: per resource and per kind
 * (`some`, and `full` when the file has it), the share of time stalled
 * (avg10, avg60, avg300, in percent) and the total stall time (ms/s).
 * Collected every 2 s at most: the kernel computes these every 2 s.
 *
 * @module
 */

import type { ProcContext, ProcModule } from "./context.ts";

/** netdata's MIN_PRESSURE_UPDATE_EVERY (kernel/sched/psi.c's PSI_FREQ). */
const MIN_PRESSURE_UPDATE_EVERY = 2;

/** One line of a pressure file. */
export interface PressureLine {
  avg10: number;
  avg60: number;
  avg300: number;
  /** Stall time in microseconds. */
  totalUs: number;
}

/**
 * Parses a pressure file: its `some` and (newer kernels, and always for
 * memory and io) `full` lines. Throws when the `some` line is missing.
 */
export function parsePressure(
  text: string,
): { some: PressureLine; full?: PressureLine } {
  const lines = new Map<string, PressureLine>();
  for (const line of text.split("\n")) {
    const w = line.trim().split(/[\s=]+/);
    if (w.length < 9) continue;
    // netdata reads words 2, 4, 6 and 8: the values after avg10=, avg60=,
    // avg300= and total=
    lines.set(w[0], {
      avg10: Number.parseFloat(w[2]),
      avg60: Number.parseFloat(w[4]),
      avg300: Number.parseFloat(w[6]),
      totalUs: Number.parseInt(w[8], 10) || 0,
    });
  }
  const some = lines.get("some");
  if (!some) throw new Error(`no "some" line in "${text.trim()}"`);
  return { some, full: lines.get("full") };
}

/** netdata's resource_info[]: the file, its family and section priority. */
const RESOURCES = [
  { name: "cpu", title: "CPU", family: "cpu", priority: 100 },
  { name: "memory", title: "Memory", family: "ram", priority: 200 },
  { name: "io", title: "I/O", family: "disk", priority: 150 },
] as const;

/** The three /proc/pressure modules (one per file, one config key). */
export function procPressure(ctx: ProcContext): ProcModule[] {
  return RESOURCES.map((r) => {
    let lastMs = 0;
    return {
      path: `/proc/pressure/${r.name}`,
      key: "/proc/pressure",
      collect(text: string, ms: number, ut: number) {
        const every = Math.max(ctx.updateEverySec, MIN_PRESSURE_UPDATE_EVERY);
        if (lastMs !== 0 && ms - lastMs < every * 1000 - 500) return;
        lastMs = ms;
        const p = parsePressure(text);
        kind("some", p.some, every, ms, ut);
        if (p.full) kind("full", p.full, every, ms, ut);
      },
    };

    function kind(
      which: "some" | "full",
      l: PressureLine,
      every: number,
      ms: number,
      ut: number,
    ): void {
      const some = which === "some";
      const share = ctx.chart({
        id: `system.${r.name}_${which}_pressure`,
        title: `${r.title} ${which} pressure`,
        units: "percentage",
        family: r.family,
        chartType: "line",
        priority: r.priority + (some ? 40 : 50),
        updateEverySec: every,
        module: "/proc/pressure",
      }, [
        [`${which} 10`, 1, 100, "absolute"],
        [`${which} 60`, 1, 100, "absolute"],
        [`${which} 300`, 1, 100, "absolute"],
      ]);
      // netdata: (collected_number)(value * 100), truncated
      share.dimension(`${which} 10`)!.set(Math.trunc(l.avg10 * 100), ms);
      share.dimension(`${which} 60`)!.set(Math.trunc(l.avg60 * 100), ms);
      share.dimension(`${which} 300`)!.set(Math.trunc(l.avg300 * 100), ms);
      share.done(ut);
      const total = ctx.chart({
        id: `system.${r.name}_${which}_pressure_stall_time`,
        title: `${r.title} ${which} pressure stall time`,
        units: "ms",
        family: r.family,
        chartType: "line",
        priority: r.priority + (some ? 45 : 55),
        updateEverySec: every,
        module: "/proc/pressure",
      }, [["time", 1, 1, "incremental"]]);
      total.dimension("time")!.set(Math.trunc(l.totalUs / 1000), ms);
      total.done(ut);
    }
  });
}
