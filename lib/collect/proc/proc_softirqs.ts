/**
 * /proc/softirqs: system.softirqs and, per CPU, cpu.cpuN_softirqs, as
 * netdata 1.37's proc_softirqs.c: a dimension per softirq once it counts; a
 * CPU's chart once that CPU has counted one ("interrupts per core" = auto).
 *
 * @module
 */

import type { ProcContext, ProcModule } from "./context.ts";
import { irqModule } from "./irq_table.ts";

/** The /proc/softirqs module. */
export function procSoftirqs(ctx: ProcContext): ProcModule {
  const module = "/proc/softirqs";
  return irqModule(ctx, {
    path: module,
    named: false,
    system: {
      id: "system.softirqs",
      title: "System softirqs",
      units: "softirqs/s",
      family: "softirqs",
      chartType: "stacked",
      priority: 950,
      module,
    },
    perCpu: (c) => ({
      id: `cpu.cpu${c}_softirqs`,
      title: "CPU softirqs",
      units: "softirqs/s",
      family: "softirqs",
      context: "cpu.softirqs",
      chartType: "stacked",
      priority: 3000 + c,
      module,
    }),
    perCpuOnceNonZero: true,
  });
}
