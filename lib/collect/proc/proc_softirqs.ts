/**
 * /proc/softirqs: system.softirqs and, per CPU, cpu.cpuN_softirqs, as
 * netdata 1.37's proc_softirqs.c: a dimension per softirq once its count is
 * not zero; a CPU's chart once that CPU has counted one ("interrupts per
 * core" = auto).
 *
 * @module
 */

import type { ProcContext, ProcModule } from "./context.ts";

/** /proc/softirqs: the number of CPUs, and each softirq's counts per CPU. */
export interface Softirqs {
  cpus: number;
  rows: { id: string; perCpu: number[]; total: number }[];
}

/** Parses /proc/softirqs (a header of CPUn columns, then `NAME: n n ...`). */
export function parseSoftirqs(text: string): Softirqs {
  const lines = text.split("\n");
  const cpus = lines[0].split(/\s+/).filter((w) => w.startsWith("CPU")).length;
  if (cpus === 0) throw new Error("no CPU columns in its first line");
  const rows: Softirqs["rows"] = [];
  for (const line of lines.slice(1)) {
    const w = line.split(/[\s:]+/).filter((x) => x !== "");
    if (w.length === 0) continue;
    const perCpu: number[] = [];
    let total = 0;
    for (let c = 0; c < cpus; c++) {
      const v = c + 1 < w.length ? Number.parseInt(w[c + 1], 10) || 0 : 0;
      perCpu.push(v);
      total += v;
    }
    rows.push({ id: w[0], perCpu, total });
  }
  return { cpus, rows };
}

/** The /proc/softirqs module. */
export function procSoftirqs(ctx: ProcContext): ProcModule {
  const module = "/proc/softirqs";
  return {
    path: module,
    collect(text: string, ms: number, ut: number) {
      const s = parseSoftirqs(text);
      const system = ctx.chart({
        id: "system.softirqs",
        title: "System softirqs",
        units: "softirqs/s",
        family: "softirqs",
        chartType: "stacked",
        priority: 950,
        module,
      }, []);
      for (const r of s.rows) {
        if (r.total === 0) continue;
        (system.dimension(r.id) ??
          system.addDimension(r.id, { algorithm: "incremental" }))
          .set(r.total, ms);
      }
      system.done(ut);
      for (let c = 0; c < s.cpus; c++) {
        const core = ctx.chartOnceNonZero(
          s.rows.some((r) => r.perCpu[c] !== 0),
          {
            id: `cpu.cpu${c}_softirqs`,
            title: "CPU softirqs",
            units: "softirqs/s",
            family: "softirqs",
            context: "cpu.softirqs",
            chartType: "stacked",
            priority: 3000 + c,
            module,
          },
          [],
        );
        if (!core) continue;
        core.labels.set("cpu", `cpu${c}`);
        for (const r of s.rows) {
          const v = r.perCpu[c];
          if (v === 0) continue;
          (core.dimension(r.id) ??
            core.addDimension(r.id, { algorithm: "incremental" })).set(v, ms);
        }
        core.done(ut);
      }
    },
  };
}
