/**
 * skiff's own health as charts on the local host: CPU, memory, how long
 * each collector took, and what the database holds.
 *
 * @module
 */

import { cpuUsage } from "../cpu_usage.ts";
import { arenaBytes, PAGE_SLOTS, slabPages } from "../storage/mod.ts";
import type { Database } from "../storage/mod.ts";
import type { Collector, Durations } from "./collector.ts";

/**
 * Writes netdata.server_cpu, netdata.memory, netdata.collectors_duration,
 * netdata.db, netdata.db_memory.
 */
export class SelfCollector implements Collector {
  readonly name = "netdata monitoring";
  readonly updateEverySec: number;
  readonly #db: Database;
  readonly #durations: Durations;
  readonly #history: number;

  constructor(
    db: Database,
    options: { updateEverySec: number; history: number; durations: Durations },
  ) {
    this.#db = db;
    this.updateEverySec = options.updateEverySec;
    this.#durations = options.durations;
    this.#history = options.history;
  }

  #chart(
    id: string,
    title: string,
    units: string,
    priority: number,
    chartType: "line" | "stacked" = "line",
  ) {
    return this.#db.localhost.addChart({
      id,
      title,
      units,
      family: "skiff",
      priority,
      chartType,
      updateEverySec: this.updateEverySec,
      history: this.#history,
      plugin: "skiff",
      module: "self",
    });
  }

  collect(nowMs: number): Promise<void> {
    const ut = nowMs * 1000;
    const cpu = this.#chart(
      "netdata.server_cpu",
      "skiff CPU usage",
      "milliseconds/s",
      130000,
      "stacked",
    );
    const usage = cpuUsage();
    cpu.addDimension("user", { algorithm: "incremental", divisor: 1000 }).set(
      usage.user,
      nowMs,
    );
    cpu.addDimension("system", { algorithm: "incremental", divisor: 1000 }).set(
      usage.system,
      nowMs,
    );
    cpu.done(ut);

    const mem = this.#chart(
      "netdata.memory",
      "skiff memory",
      "MiB",
      130100,
      "line",
    );
    const m = Deno.memoryUsage();
    const mib = { divisor: 1024 * 1024 };
    mem.addDimension("rss", mib).set(m.rss, nowMs);
    mem.addDimension("heap_used", mib).set(m.heapUsed, nowMs);
    mem.addDimension("heap_total", mib).set(m.heapTotal, nowMs);
    mem.addDimension("external", mib).set(m.external, nowMs);
    mem.done(ut);

    if (this.#durations.size > 0) {
      const dur = this.#chart(
        "netdata.collectors_duration",
        "skiff collector run time",
        "milliseconds",
        130200,
      );
      for (const [name, us] of this.#durations) {
        dur.addDimension(name.replace(/[^A-Za-z0-9_.-]/g, "_"), {
          name,
          divisor: 1000,
        }).set(us, nowMs);
      }
      dur.done(ut);
    }

    let hosts = 0;
    let charts = 0;
    let dims = 0;
    for (const h of this.#db.hosts()) {
      hosts++;
      charts += h.charts.size;
      dims += h.dimensionCount();
    }
    const db = this.#chart("netdata.db", "skiff database", "items", 130300);
    db.addDimension("hosts").set(hosts, nowMs);
    db.addDimension("charts").set(charts, nowMs);
    db.addDimension("dimensions").set(dims, nowMs);
    db.done(ut);

    // what the pages of every ring take: compressed (the arena's blocks),
    // raw (the pages being written, in slabs), and free in both
    const arena = arenaBytes();
    const slab = slabPages();
    const pageBytes = PAGE_SLOTS * 4;
    const pages = this.#chart(
      "netdata.db_memory",
      "skiff database pages",
      "MiB",
      130400,
      "stacked",
    );
    pages.addDimension("compressed", mib).set(arena.total - arena.free, nowMs);
    pages.addDimension("raw", mib).set(
      (slab.carved - slab.free) * pageBytes,
      nowMs,
    );
    pages.addDimension("free", mib).set(
      arena.free + slab.free * pageBytes,
      nowMs,
    );
    pages.done(ut);
    return Promise.resolve();
  }
}
