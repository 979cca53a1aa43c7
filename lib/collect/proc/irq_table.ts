/**
 * /proc/interrupts and /proc/softirqs share their shape (a header of CPUn
 * columns, then a line per source with a count per CPU) and netdata 1.37
 * charts them alike (proc_interrupts.c, proc_softirqs.c): a system chart
 * with a dimension per source once it counts, and a chart per CPU with a
 * dimension per source once that CPU counts it. Both modules are built here.
 *
 * @module
 */

import type { ChartSpec, ProcContext, ProcModule } from "./context.ts";

/** netdata's MAX_INTERRUPT_NAME. */
const MAX_NAME = 50;

/** One source: its id, netdata's name for it, and its count per CPU. */
export interface IrqRow {
  id: string;
  name: string;
  perCpu: number[];
  total: number;
}

/**
 * Parses the table. Words are split on spaces, tabs and `:` (netdata's
 * separators). With `named`, a numbered interrupt is named after its last
 * word (the device), `_`, its number: `virtio0-config_28`, as netdata.
 */
export function parseIrqTable(
  text: string,
  named: boolean,
): { cpus: number; rows: IrqRow[] } {
  const lines = text.split("\n");
  const cpus = lines[0].split(/\s+/).filter((w) => w.startsWith("CPU")).length;
  if (cpus === 0) throw new Error("no CPU columns in its first line");
  const rows: IrqRow[] = [];
  for (const line of lines.slice(1)) {
    const w = line.split(/[\s:]+/).filter((x) => x !== "");
    if (w.length === 0) continue;
    const id = w[0];
    const perCpu: number[] = [];
    let total = 0;
    for (let c = 0; c < cpus; c++) {
      const v = c + 1 < w.length ? Number.parseInt(w[c + 1], 10) || 0 : 0;
      perCpu.push(v);
      total += v;
    }
    let name = id.slice(0, MAX_NAME);
    if (named && /^\d/.test(id) && cpus + 2 < w.length) {
      const device = w[w.length - 1].slice(0, MAX_NAME);
      name = device.length + 1 + id.length <= MAX_NAME
        ? `${device}_${id}`
        : `${device.slice(0, MAX_NAME - id.length - 1)}_${id}`;
    }
    rows.push({ id, name, perCpu, total });
  }
  return { cpus, rows };
}

/** What differs between /proc/interrupts and /proc/softirqs. */
export interface IrqSpec {
  path: string;
  /** Numbered sources are named after their device (interrupts). */
  named: boolean;
  system: ChartSpec;
  /** The chart of CPU `c`. */
  perCpu(c: number): ChartSpec;
  /** A CPU's chart waits until that CPU has counted one (softirqs). */
  perCpuOnceNonZero: boolean;
}

/** A module charting one of the two tables. */
export function irqModule(ctx: ProcContext, spec: IrqSpec): ProcModule {
  return {
    path: spec.path,
    collect(text: string, ms: number, ut: number) {
      const t = parseIrqTable(text, spec.named);
      const system = ctx.chart(spec.system, []);
      for (const r of t.rows) {
        if (r.total === 0) continue;
        (system.dimension(r.id) ??
          system.addDimension(r.id, { name: r.name, algorithm: "incremental" }))
          .set(r.total, ms);
      }
      system.done(ut);
      for (let c = 0; c < t.cpus; c++) {
        const core = spec.perCpuOnceNonZero
          ? ctx.chartOnceNonZero(
            t.rows.some((r) => r.perCpu[c] !== 0),
            spec.perCpu(c),
            [],
          )
          : ctx.chart(spec.perCpu(c), []);
        if (!core) continue;
        core.labels.set("cpu", `cpu${c}`);
        for (const r of t.rows) {
          const v = r.perCpu[c];
          if (v === 0) continue;
          (core.dimension(r.id) ??
            core.addDimension(r.id, { name: r.name, algorithm: "incremental" }))
            .set(v, ms);
        }
        core.done(ut);
      }
    },
  };
}
