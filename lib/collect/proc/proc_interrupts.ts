/**
 * /proc/interrupts: system.interrupts and, per CPU, cpu.cpuN_interrupts, as
 * netdata 1.37's proc_interrupts.c: a dimension per interrupt once it
 * counts, named after its device (`virtio0-config_28`); every CPU's chart
 * from the start ("interrupts per core" = auto).
 *
 * @module
 */

import type { ProcContext, ProcModule } from "./context.ts";
import { irqModule } from "./irq_table.ts";

/** The /proc/interrupts module. */
export function procInterrupts(ctx: ProcContext): ProcModule {
  const module = "/proc/interrupts";
  return irqModule(ctx, {
    path: module,
    named: true,
    system: {
      id: "system.interrupts",
      title: "System interrupts",
      units: "interrupts/s",
      family: "interrupts",
      chartType: "stacked",
      priority: 1000,
      module,
    },
    perCpu: (c) => ({
      id: `cpu.cpu${c}_interrupts`,
      title: "CPU Interrupts",
      units: "interrupts/s",
      family: "interrupts",
      context: "cpu.interrupts",
      chartType: "stacked",
      priority: 1100 + c,
      module,
    }),
    perCpuOnceNonZero: false,
  });
}
