/**
 * /proc/sys/kernel/random/entropy_avail: system.entropy, as netdata 1.37's proc_sys_kernel_random_entropy_avail.c.
 *
 * @module
 */

import type { ProcContext, ProcModule } from "./context.ts";

/** The /proc/sys/kernel/random/entropy_avail module. */
export function procEntropy(ctx: ProcContext): ProcModule {
  return { path: "/proc/sys/kernel/random/entropy_avail", collect: entropy };

  /** netdata 1.37's proc_sys_kernel_random_entropy_avail.c. */
  function entropy(text: string, ms: number, ut: number): void {
    const entropy = Number(text.trim());
    if (!Number.isInteger(entropy)) throw new Error(`not a number: ${text}`);
    const chart = ctx.chart({
      id: "system.entropy",
      title: "Available Entropy",
      units: "entropy",
      family: "entropy",
      chartType: "line",
      priority: 1000,
      module: "/proc/sys/kernel/random/entropy_avail",
    }, [["entropy", 1, 1, "absolute"]]);
    chart.dimension("entropy")!.set(entropy, ms);
    chart.done(ut);
  }
}
