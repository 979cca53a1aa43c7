/**
 * The /proc collector: netdata 1.37's proc.plugin, one module per /proc
 * source (proc_stat.ts, proc_meminfo.ts, ...), with netdata's chart ids,
 * dimension ids, algorithms, multipliers and divisors. A missing file or
 * field is warned about once and that part is skipped.
 *
 * @module
 */

import type { Logger } from "../../log.ts";
import type { Chart, Host } from "../../storage/mod.ts";
import type { Collector } from "../collector.ts";
import type { ChartSpec, DimSpec, ProcContext, ProcModule } from "./context.ts";
import { procDiskstats } from "./proc_diskstats.ts";
import { procLoadavg } from "./proc_loadavg.ts";
import { procMeminfo } from "./proc_meminfo.ts";
import { procNetDev } from "./proc_net_dev.ts";
import { procStat } from "./proc_stat.ts";
import { procEntropy } from "./proc_sys_kernel_random_entropy_avail.ts";
import { procPressure } from "./proc_pressure.ts";
import { procSoftirqs } from "./proc_softirqs.ts";
import { procInterrupts } from "./proc_interrupts.ts";
import { procNetSoftnetStat } from "./proc_net_softnet_stat.ts";
import { procNetStatConntrack } from "./proc_net_stat_conntrack.ts";
import { procIpc } from "./ipc.ts";
import { procNetSockstat } from "./proc_net_sockstat.ts";
import { procNetNetstat } from "./proc_net_netstat.ts";
import { sysBlockZram } from "./sys_block_zram.ts";
import { procUptime } from "./proc_uptime.ts";
import { procVmstat } from "./proc_vmstat.ts";
import { chooseReader } from "./reader.ts";
import type { FileReader } from "./reader.ts";

export type { ProcContext, ProcModule } from "./context.ts";
export { DirectReader, TailReader } from "./reader.ts";
export type { FileReader } from "./reader.ts";

/** Options of the proc collector. */
export interface ProcOptions {
  host: Host;
  log: Logger;
  updateEverySec: number;
  history: number;
  /** `[plugin:proc]` file -> enabled. */
  modules: Record<string, boolean>;
  /** Prefix for /proc and /sys paths (netdata's host prefix); "" normally. */
  root?: string;
  /** How files are read; chosen at the first collection when absent. */
  reader?: FileReader;
}

/** Collects the enabled /proc modules. */
export class ProcCollector implements Collector {
  readonly name = "proc";
  readonly updateEverySec: number;
  readonly #o: ProcOptions;
  readonly #root: string;
  readonly #disabled = new Set<string>();
  readonly #warned = new Set<string>();
  readonly #modules: ProcModule[];
  #reader: FileReader | undefined;

  constructor(options: ProcOptions) {
    this.#o = options;
    this.updateEverySec = options.updateEverySec;
    this.#root = options.root ?? "";
    this.#reader = options.reader;
    const ctx: ProcContext = {
      updateEverySec: options.updateEverySec,
      chart: (def, dims) => this.#chart(def, dims),
      chartOnceNonZero: (nonZero, def, dims) =>
        nonZero || options.host.chart(def.id)
          ? this.#chart(def, dims)
          : undefined,
      warnOnce: (key, message) => this.#warnOnce(key, message),
      files: (paths) => this.#files(paths),
    };
    this.#modules = [
      // First, so that procs_running counts skiff's reader alone (reader.ts).
      procStat(ctx),
      procUptime(ctx),
      procLoadavg(ctx),
      procMeminfo(ctx),
      procVmstat(ctx),
      procNetDev(ctx),
      procDiskstats(ctx),
      procEntropy(ctx),
      ...procPressure(ctx),
      procSoftirqs(ctx),
      procInterrupts(ctx),
      procNetSoftnetStat(ctx),
      procNetStatConntrack(ctx),
      procIpc(ctx),
      procNetSockstat(ctx),
      // after /proc/net/sockstat, as in netdata's proc_modules[]
      procNetNetstat(ctx),
      sysBlockZram(ctx),
    ];
  }

  #chart(def: ChartSpec, dims: DimSpec[]): Chart {
    let chart = this.#o.host.chart(def.id);
    if (!chart) {
      chart = this.#o.host.addChart({
        updateEverySec: this.updateEverySec,
        history: this.#o.history,
        plugin: "proc.plugin",
        ...def,
      });
      for (const [id, multiplier, divisor, algorithm, name] of dims) {
        chart.addDimension(id, { multiplier, divisor, algorithm, name });
      }
    }
    return chart;
  }

  #warnOnce(key: string, message: string): void {
    if (this.#warned.has(key)) return;
    this.#warned.add(key);
    this.#o.log.warn(message);
  }

  /** The reader in use (after the first collection). */
  get reader(): FileReader | undefined {
    return this.#reader;
  }

  async #files(paths: string[]): Promise<Map<string, string>> {
    if (!this.#reader) {
      this.#reader = await chooseReader(this.#root, "/proc/stat");
    }
    return await this.#reader.read(paths);
  }
  async collect(nowMs: number): Promise<void> {
    const nowUt = nowMs * 1000;
    const wanted = this.#modules.filter(({ path, key }) =>
      this.#o.modules[key ?? path] !== false && !this.#disabled.has(path)
    );
    const files = await this.#files(
      wanted.flatMap((m) => [m.path, ...(m.alsoRead?.() ?? [])]),
    );
    for (const { path, collect } of wanted) {
      const text = files.get(path);
      if (text === undefined) {
        this.#warnOnce(
          path,
          `cannot read ${this.#root + path}; skipping it from now on`,
        );
        this.#disabled.add(path);
        continue;
      }
      try {
        await collect(text, nowMs, nowUt, files);
      } catch (err) {
        this.#warnOnce(
          path + ":parse",
          `cannot parse ${path}: ${(err as Error).message}`,
        );
      }
    }
  }
}
