/**
 * /proc/stat: CPU, interrupts, context switches, forks and processes, as netdata 1.37's proc_stat.c.
 *
 * @module
 */

import type { ChartDefinition } from "../../storage/mod.ts";
import { parseProcStat } from "./parse.ts";
import type { ProcContext, ProcModule } from "./context.ts";

const CPU_DIMS = [
  "guest_nice",
  "guest",
  "steal",
  "softirq",
  "irq",
  "user",
  "system",
  "nice",
  "iowait",
  "idle",
] as const;

/** The /proc/stat module. */
export function procStat(ctx: ProcContext): ProcModule {
  return { path: "/proc/stat", collect: stat };

  function stat(text: string, ms: number, ut: number): void {
    const s = parseProcStat(text);
    for (const cpu of s.cpus) {
      const total = cpu.id === "cpu";
      const core = total ? 0 : Number(cpu.id.slice(3));
      const chart = ctx.chart(
        total
          ? {
            id: "system.cpu",
            title: "Total CPU utilization",
            units: "percentage",
            family: "cpu",
            context: "system.cpu",
            chartType: "stacked",
            priority: 100,
            module: "/proc/stat",
          }
          : {
            id: `cpu.${cpu.id}`,
            title: "Core utilization",
            units: "percentage",
            family: "utilization",
            context: "cpu.cpu",
            chartType: "stacked",
            priority: 1000 + core + 1,
            module: "/proc/stat",
          },
        CPU_DIMS.map((d) => [d, 1, 1, "percentage-of-incremental-row"]),
      );
      chart.dimension("idle")!.hidden = true;
      const values: Record<(typeof CPU_DIMS)[number], number> = {
        guest_nice: cpu.guestNice,
        guest: cpu.guest,
        steal: cpu.steal,
        softirq: cpu.softirq,
        irq: cpu.irq,
        user: cpu.user,
        system: cpu.system,
        nice: cpu.nice,
        iowait: cpu.iowait,
        idle: cpu.idle,
      };
      for (const d of CPU_DIMS) chart.dimension(d)!.set(values[d], ms);
      chart.done(ut);
    }
    const single = (
      value: number | undefined,
      def: Omit<ChartDefinition, "history" | "updateEverySec">,
      dim: string,
    ) => {
      if (value === undefined) {
        return ctx.warnOnce(def.id, `/proc/stat has no data for ${def.id}`);
      }
      const chart = ctx.chart({ ...def, module: "/proc/stat" }, [[
        dim,
        1,
        1,
        "incremental",
      ]]);
      chart.dimension(dim)!.set(value, ms);
      chart.done(ut);
    };
    single(
      s.interrupts,
      {
        id: "system.intr",
        title: "CPU Interrupts",
        units: "interrupts/s",
        family: "interrupts",
        chartType: "line",
        priority: 900,
        detail: true,
      },
      "interrupts",
    );
    single(s.contextSwitches, {
      id: "system.ctxt",
      title: "CPU Context Switches",
      units: "context switches/s",
      family: "processes",
      chartType: "line",
      priority: 800,
    }, "switches");
    single(
      s.processesStarted,
      {
        id: "system.forks",
        title: "Started Processes",
        units: "processes/s",
        family: "processes",
        chartType: "line",
        priority: 700,
        detail: true,
      },
      "started",
    );
    if (s.processesRunning !== undefined && s.processesBlocked !== undefined) {
      const chart = ctx.chart({
        id: "system.processes",
        title: "System Processes",
        units: "processes",
        family: "processes",
        chartType: "line",
        priority: 600,
        module: "/proc/stat",
      }, [["running", 1, 1, "absolute"], ["blocked", -1, 1, "absolute"]]);
      chart.dimension("running")!.set(s.processesRunning, ms);
      chart.dimension("blocked")!.set(s.processesBlocked, ms);
      chart.done(ut);
    }
  }
}
