/**
 * The /proc collectors, with netdata's chart ids, dimension ids,
 * algorithms, multipliers and divisors (proc.plugin in netdata 1.37).
 * A missing file or field is warned about once and that part is skipped.
 *
 * @module
 */

import { simplePatternMatch } from "../../simple_pattern.ts";
import type { Logger } from "../../log.ts";
import type {
  Algorithm,
  Chart,
  ChartDefinition,
  Host,
} from "../../storage/rrd.ts";
import type { Collector } from "../collector.ts";
import {
  parseDiskstats,
  parseKeyValues,
  parseLoadavg,
  parseMountinfo,
  parseNetDev,
  parseProcStat,
  parseUptimeMs,
} from "./parse.ts";
import type { DiskStats, NetDevice } from "./parse.ts";
import { chooseReader } from "./reader.ts";
import type { FileReader } from "./reader.ts";

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

/**
 * The page size swap i/o counts in: 4 KiB on x86_64 and on the usual
 * aarch64 kernels (netdata asks sysconf; Deno cannot).
 */
const PAGE_SIZE = 4096;

type DimSpec = [
  id: string,
  multiplier: number,
  divisor: number,
  algorithm: Algorithm,
  name?: string,
];

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

/** netdata's default `disable by default interfaces matching`. */
const EXCLUDED_INTERFACES = "lo fireqos* *-ifb fwpr* fwbr* fwln*";
/** netdata's default `exclude disks`. */
const EXCLUDED_DISKS = "loop* ram*";
/**
 * /proc/diskstats counts 512-byte sectors whatever the disk's own sector
 * size (netdata 1.37 commented out its hw_sector_size read for this, #3481).
 */
const SECTOR_BYTES = 512;
/** Where a disk's mount point, its charts' family, is found. */
const MOUNTINFO = "/proc/self/mountinfo";
/** netdata collects the load average at most every 5 seconds. */
const MIN_LOADAVG_UPDATE_EVERY = 5;

/** Collects the enabled /proc modules. */
export class ProcCollector implements Collector {
  readonly name = "proc";
  readonly updateEverySec: number;
  readonly #o: ProcOptions;
  readonly #root: string;
  readonly #disabled = new Set<string>();
  readonly #warned = new Set<string>();
  readonly #virtualNet = new Map<string, boolean>();
  readonly #disks = new Map<
    string,
    { physical: boolean; family: string } | null
  >();
  readonly #lastBusyMs = new Map<string, number>();
  #lastLoadMs = 0;
  #reader: FileReader | undefined;

  constructor(options: ProcOptions) {
    this.#o = options;
    this.updateEverySec = options.updateEverySec;
    this.#root = options.root ?? "";
    this.#reader = options.reader;
  }

  #chart(
    def: Omit<ChartDefinition, "history" | "updateEverySec"> & {
      updateEverySec?: number;
    },
    dims: DimSpec[],
  ): Chart {
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
    const modules: [
      string,
      (t: string, ms: number, ut: number) => Promise<void> | void,
    ][] = [
      // First, so that procs_running counts skiff's reader alone (reader.ts).
      ["/proc/stat", (t, ms, ut) => this.#stat(t, ms, ut)],
      ["/proc/uptime", (t, ms, ut) => this.#uptime(t, ms, ut)],
      ["/proc/loadavg", (t, ms, ut) => this.#loadavg(t, ms, ut)],
      ["/proc/meminfo", (t, ms, ut) => this.#meminfo(t, ms, ut)],
      ["/proc/vmstat", (t, ms, ut) => this.#vmstat(t, ms, ut)],
      ["/proc/net/dev", (t, ms, ut) => this.#netdev(t, ms, ut)],
      ["/proc/diskstats", (t, ms, ut) => this.#diskstats(t, ms, ut)],
      [
        "/proc/sys/kernel/random/entropy_avail",
        (t, ms, ut) => this.#entropy(t, ms, ut),
      ],
    ];
    const wanted = modules.filter(([path]) =>
      this.#o.modules[path] !== false && !this.#disabled.has(path)
    );
    const files = await this.#files(wanted.map(([path]) => path));
    for (const [path, fn] of wanted) {
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
        await fn(text, nowMs, nowUt);
      } catch (err) {
        this.#warnOnce(
          path + ":parse",
          `cannot parse ${path}: ${(err as Error).message}`,
        );
      }
    }
  }

  #stat(text: string, ms: number, ut: number): void {
    const s = parseProcStat(text);
    for (const cpu of s.cpus) {
      const total = cpu.id === "cpu";
      const core = total ? 0 : Number(cpu.id.slice(3));
      const chart = this.#chart(
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
      detail = false,
    ) => {
      if (value === undefined) {
        return this.#warnOnce(def.id, `/proc/stat has no data for ${def.id}`);
      }
      const chart = this.#chart({ ...def, module: "/proc/stat" }, [[
        dim,
        1,
        1,
        "incremental",
      ]]);
      chart.detail = detail;
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
      },
      "interrupts",
      true,
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
      },
      "started",
      true,
    );
    if (s.processesRunning !== undefined && s.processesBlocked !== undefined) {
      const chart = this.#chart({
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

  /** netdata 1.37's proc_sys_kernel_random_entropy_avail.c. */
  #entropy(text: string, ms: number, ut: number): void {
    const entropy = Number(text.trim());
    if (!Number.isInteger(entropy)) throw new Error(`not a number: ${text}`);
    const chart = this.#chart({
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

  #uptime(text: string, ms: number, ut: number): void {
    const chart = this.#chart({
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

  #loadavg(text: string, ms: number, ut: number): void {
    const l = parseLoadavg(text);
    const loadEvery = Math.max(this.updateEverySec, MIN_LOADAVG_UPDATE_EVERY);
    // As netdata: the load average chart is collected every 5 s at most.
    if (
      this.#lastLoadMs === 0 || ms - this.#lastLoadMs >= loadEvery * 1000 - 500
    ) {
      this.#lastLoadMs = ms;
      const load = this.#chart({
        id: "system.load",
        title: "System Load Average",
        units: "load",
        family: "load",
        chartType: "line",
        priority: 100,
        updateEverySec: loadEvery,
        module: "/proc/loadavg",
      }, [["load1", 1, 1000, "absolute"], ["load5", 1, 1000, "absolute"], [
        "load15",
        1,
        1000,
        "absolute",
      ]]);
      load.dimension("load1")!.set(Math.trunc(l.load1 * 1000), ms);
      load.dimension("load5")!.set(Math.trunc(l.load5 * 1000), ms);
      load.dimension("load15")!.set(Math.trunc(l.load15 * 1000), ms);
      load.done(ut);
    }
    const active = this.#chart({
      id: "system.active_processes",
      title: "System Active Processes",
      units: "processes",
      family: "processes",
      chartType: "line",
      priority: 750,
      module: "/proc/loadavg",
    }, [["active", 1, 1, "absolute"]]);
    active.dimension("active")!.set(l.activeProcesses, ms);
    active.done(ut);
  }

  #meminfo(text: string, ms: number, ut: number): void {
    const m = parseKeyValues(text);
    const need = ["MemTotal", "MemFree", "Cached", "Buffers"];
    const missing = need.filter((k) => !m.has(k));
    if (missing.length) throw new Error(`missing ${missing.join(", ")}`);
    const get = (k: string) => m.get(k) ?? 0;
    // As netdata: cached includes reclaimable slab, less shared memory.
    const cached = get("Cached") + get("SReclaimable") - get("Shmem");
    const used = get("MemTotal") - get("MemFree") - cached - get("Buffers");
    const ram = this.#chart({
      id: "system.ram",
      title: "System RAM",
      units: "MiB",
      family: "ram",
      chartType: "stacked",
      priority: 200,
      module: "/proc/meminfo",
    }, [["free", 1, 1024, "absolute"], ["used", 1, 1024, "absolute"], [
      "cached",
      1,
      1024,
      "absolute",
    ], [
      "buffers",
      1,
      1024,
      "absolute",
    ]]);
    ram.dimension("free")!.set(get("MemFree"), ms);
    ram.dimension("used")!.set(used, ms);
    ram.dimension("cached")!.set(cached, ms);
    ram.dimension("buffers")!.set(get("Buffers"), ms);
    ram.done(ut);
    if (m.has("MemAvailable")) {
      const avail = this.#chart({
        id: "mem.available",
        title: "Available RAM for applications",
        units: "MiB",
        family: "system",
        chartType: "area",
        priority: 1010,
        module: "/proc/meminfo",
      }, [["MemAvailable", 1, 1024, "absolute", "avail"]]);
      avail.dimension("MemAvailable")!.set(get("MemAvailable"), ms);
      avail.done(ut);
    } else {
      this.#warnOnce(
        "MemAvailable",
        "/proc/meminfo has no MemAvailable (old kernel): skipping mem.available",
      );
    }
    if (m.has("Committed_AS")) {
      const committed = this.#chart({
        id: "mem.committed",
        title: "Committed (Allocated) Memory",
        units: "MiB",
        family: "system",
        chartType: "area",
        priority: 1030,
        module: "/proc/meminfo",
      }, [["Committed_AS", 1, 1024, "absolute"]]);
      committed.detail = true;
      committed.dimension("Committed_AS")!.set(get("Committed_AS"), ms);
      committed.done(ut);
    }
    // netdata 1.37's proc_meminfo.c: writeback, kernel and slab memory,
    // always (missing fields are 0), detail charts.
    const kib = (id: string, name?: string): DimSpec =>
      name ? [id, 1, 1024, "absolute", name] : [id, 1, 1024, "absolute"];
    const set = (chart: Chart, values: [string, string][]) => {
      for (const [dim, field] of values) {
        chart.dimension(dim)!.set(get(field), ms);
      }
      chart.done(ut);
    };
    const writeback = this.#chart({
      id: "mem.writeback",
      title: "Writeback Memory",
      units: "MiB",
      family: "kernel",
      chartType: "line",
      priority: 1100,
      module: "/proc/meminfo",
    }, [
      kib("Dirty"),
      kib("Writeback"),
      kib("FuseWriteback"),
      kib("NfsWriteback"),
      kib("Bounce"),
    ]);
    writeback.detail = true;
    set(writeback, [
      ["Dirty", "Dirty"],
      ["Writeback", "Writeback"],
      ["FuseWriteback", "WritebackTmp"],
      ["NfsWriteback", "NFS_Unstable"],
      ["Bounce", "Bounce"],
    ]);
    const percpu = m.has("Percpu");
    const kernel = this.#chart({
      id: "mem.kernel",
      title: "Memory Used by Kernel",
      units: "MiB",
      family: "kernel",
      chartType: "stacked",
      priority: 1101,
      module: "/proc/meminfo",
    }, [
      kib("Slab"),
      kib("KernelStack"),
      kib("PageTables"),
      kib("VmallocUsed"),
      ...(percpu ? [kib("Percpu")] : []),
    ]);
    kernel.detail = true;
    set(kernel, [
      ["Slab", "Slab"],
      ["KernelStack", "KernelStack"],
      ["PageTables", "PageTables"],
      ["VmallocUsed", "VmallocUsed"],
      ...(percpu ? [["Percpu", "Percpu"] as [string, string]] : []),
    ]);
    const slab = this.#chart({
      id: "mem.slab",
      title: "Reclaimable Kernel Memory",
      units: "MiB",
      family: "slab",
      chartType: "stacked",
      priority: 1200,
      module: "/proc/meminfo",
    }, [kib("reclaimable"), kib("unreclaimable")]);
    slab.detail = true;
    set(slab, [["reclaimable", "SReclaimable"], [
      "unreclaimable",
      "SUnreclaim",
    ]]);
  }

  #vmstat(text: string, ms: number, ut: number): void {
    const v = parseKeyValues(text);
    if (!v.has("pgpgin") || !v.has("pgpgout")) {
      throw new Error("missing pgpgin/pgpgout");
    }
    const chart = this.#chart({
      id: "system.pgpgio",
      title: "Memory Paged from/to disk",
      units: "KiB/s",
      family: "disk",
      chartType: "area",
      priority: 151,
      module: "/proc/vmstat",
    }, [["in", 1, 1, "incremental"], ["out", -1, 1, "incremental"]]);
    chart.dimension("in")!.set(v.get("pgpgin")!, ms);
    chart.dimension("out")!.set(v.get("pgpgout")!, ms);
    chart.done(ut);
    // The rest of netdata 1.37's proc_vmstat.c: page faults always; swap
    // i/o once not zero (netdata's "auto"); OOM kills whenever the kernel
    // counts them: netdata reads that key with config_get_boolean(), which
    // turns its "auto" default into "yes".
    const get = (k: string) => v.get(k) ?? 0;
    const pgfaults = this.#chart({
      id: "mem.pgfaults",
      title: "Memory Page Faults",
      units: "faults/s",
      family: "system",
      chartType: "line",
      priority: 1040,
      module: "/proc/vmstat",
    }, [["minor", 1, 1, "incremental"], ["major", -1, 1, "incremental"]]);
    pgfaults.detail = true;
    pgfaults.dimension("minor")!.set(get("pgfault"), ms);
    pgfaults.dimension("major")!.set(get("pgmajfault"), ms);
    pgfaults.done(ut);
    if (
      this.#o.host.chart("system.swapio") || get("pswpin") || get("pswpout")
    ) {
      const swapio = this.#chart({
        id: "system.swapio",
        title: "Swap I/O",
        units: "KiB/s",
        family: "swap",
        chartType: "area",
        priority: 250,
        module: "/proc/vmstat",
      }, [
        ["in", PAGE_SIZE, 1024, "incremental"],
        ["out", -PAGE_SIZE, 1024, "incremental"],
      ]);
      swapio.dimension("in")!.set(get("pswpin"), ms);
      swapio.dimension("out")!.set(get("pswpout"), ms);
      swapio.done(ut);
    }
    if (v.has("oom_kill")) {
      const oom = this.#chart({
        id: "mem.oom_kill",
        title: "Out of Memory Kills",
        units: "kills/s",
        family: "system",
        chartType: "line",
        priority: 1020,
        module: "/proc/vmstat",
      }, [["kills", 1, 1, "incremental"]]);
      oom.detail = true;
      oom.dimension("kills")!.set(get("oom_kill"), ms);
      oom.done(ut);
    }
  }

  async #netdev(text: string, ms: number, ut: number): Promise<void> {
    let physicalIn = 0;
    let physicalOut = 0;
    let physical = 0;
    const devices = parseNetDev(text).filter((d) =>
      !simplePatternMatch(EXCLUDED_INTERFACES, d.name)
    );
    const unknown = devices.filter((d) => !this.#virtualNet.has(d.name));
    if (unknown.length > 0) {
      // Virtual interfaces have a directory under /sys/devices/virtual/net.
      const probe = (name: string) =>
        `/sys/devices/virtual/net/${name}/ifindex`;
      const found = await this.#files(unknown.map((d) => probe(d.name)));
      for (const d of unknown) {
        this.#virtualNet.set(d.name, found.has(probe(d.name)));
      }
    }
    for (const dev of devices) {
      const isVirtual = this.#virtualNet.get(dev.name)!;
      if (!isVirtual) {
        physical++;
        physicalIn += dev.receivedBytes;
        physicalOut += dev.sentBytes;
      }
      if (
        !this.#o.host.chart(`net.${dev.name}`) && dev.receivedBytes === 0 &&
        dev.sentBytes === 0
      ) {
        // netdata's "auto": an interface is charted once it has traffic.
        continue;
      }
      const chart = this.#chart({
        id: `net.${dev.name}`,
        title: "Bandwidth",
        units: "kilobits/s",
        family: dev.name,
        context: "net.net",
        chartType: "area",
        priority: 7000,
        module: "/proc/net/dev",
      }, [["received", 8, 1000, "incremental"], [
        "sent",
        -8,
        1000,
        "incremental",
      ]]);
      chart.dimension("received")!.set(dev.receivedBytes, ms);
      chart.dimension("sent")!.set(dev.sentBytes, ms);
      chart.done(ut);
    }
    for (const dev of devices) this.#netdevDetails(dev, ms, ut);
    if (physical > 0) {
      const chart = this.#chart({
        id: "system.net",
        title: "Physical Network Interfaces Aggregated Bandwidth",
        units: "kilobits/s",
        family: "network",
        chartType: "area",
        priority: 500,
        module: "/proc/net/dev",
      }, [["InOctets", 8, 1000, "incremental", "received"], [
        "OutOctets",
        -8,
        1000,
        "incremental",
        "sent",
      ]]);
      chart.dimension("InOctets")!.set(physicalIn, ms);
      chart.dimension("OutOctets")!.set(physicalOut, ms);
      chart.done(ut);
    }
  }

  /**
   * net_packets, net_errors and net_drops of one interface, as netdata
   * 1.37's proc_net_dev.c: detail charts, each created once its counters
   * are not zero ("auto"), virtual interfaces included.
   */
  #netdevDetails(dev: NetDevice, ms: number, ut: number): void {
    const detail = (
      type: string,
      title: string,
      units: string,
      offset: number,
      dims: [id: string, multiplier: number, value: number][],
    ) => {
      const id = `${type}.${dev.name}`;
      if (!this.#o.host.chart(id) && dims.every(([, , v]) => v === 0)) return;
      const chart = this.#chart({
        id,
        title,
        units,
        family: dev.name,
        context: type.replace("_", "."),
        chartType: "line",
        priority: 7000 + offset,
        module: "/proc/net/dev",
      }, dims.map(([d, m]) => [d, m, 1, "incremental"]));
      chart.detail = true;
      for (const [d, , v] of dims) chart.dimension(d)!.set(v, ms);
      chart.done(ut);
    };
    detail("net_packets", "Packets", "packets/s", 1, [
      ["received", 1, dev.receivedPackets],
      ["sent", -1, dev.sentPackets],
      ["multicast", 1, dev.receivedMulticast],
    ]);
    detail("net_errors", "Interface Errors", "errors/s", 2, [
      ["inbound", 1, dev.receivedErrors],
      ["outbound", -1, dev.sentErrors],
    ]);
    detail("net_drops", "Interface Drops", "drops/s", 3, [
      ["inbound", 1, dev.receivedDrops],
      ["outbound", -1, dev.sentDrops],
    ]);
  }

  /**
   * Whole disks only, physical or virtual, and each one's family: its
   * mount point when mounted, else its name (netdata's proc_diskstats.c).
   */
  async #classifyDisks(disks: DiskStats[]): Promise<void> {
    for (const d of disks) {
      if (simplePatternMatch(EXCLUDED_DISKS, d.name)) {
        this.#disks.set(d.name, null);
      }
    }
    const unknown = disks.filter((d) => !this.#disks.has(d.name));
    if (unknown.length === 0) return;
    // Whole disks have /sys/block/NAME (partitions do not: netdata charts
    // no partition I/O by default); virtual ones are also under
    // /sys/devices/virtual/block.
    const sector = (n: string) => `/sys/block/${n}/queue/hw_sector_size`;
    const virtual = (n: string) => `/sys/devices/virtual/block/${n}/dev`;
    const found = await this.#files(
      [...unknown.flatMap((d) => [sector(d.name), virtual(d.name)]), MOUNTINFO],
    );
    const mounts = parseMountinfo(found.get(MOUNTINFO) ?? "");
    for (const d of unknown) {
      const mount = mounts.find((m) =>
        m.major === d.major && m.minor === d.minor && m.sourceName === d.name
      );
      this.#disks.set(
        d.name,
        found.has(sector(d.name))
          ? {
            physical: !found.has(virtual(d.name)),
            family: mount?.mountPoint ?? d.name,
          }
          : null,
      );
    }
  }

  /**
   * disk_ops, disk_qops, disk_backlog, disk_busy and disk_util of one disk,
   * as netdata 1.37's proc_diskstats.c: detail charts, each created once its
   * source is not zero ("auto").
   */
  #diskDetails(d: DiskStats, family: string, ms: number, ut: number): void {
    const detail = (
      type: string,
      title: string,
      units: string,
      chartType: "line" | "area",
      priority: number,
      auto: boolean,
      dims: [
        id: string,
        multiplier: number,
        algorithm: Algorithm,
        value: number,
      ][],
    ) => {
      const id = `${type}.${d.name}`;
      if (!this.#o.host.chart(id) && !auto) return;
      const chart = this.#chart({
        id,
        title,
        units,
        family,
        context: `disk.${type.slice("disk_".length)}`,
        chartType,
        priority,
        module: "/proc/diskstats",
      }, dims.map(([dim, m, algorithm]) => [dim, m, 1, algorithm]));
      chart.detail = true;
      for (const [dim, , , v] of dims) chart.dimension(dim)!.set(v, ms);
      chart.done(ut);
    };
    detail(
      "disk_ops",
      "Disk Completed I/O Operations",
      "operations/s",
      "line",
      2010,
      d.reads + d.writes + d.discards + d.flushes > 0,
      [["reads", 1, "incremental", d.reads], [
        "writes",
        -1,
        "incremental",
        d.writes,
      ]],
    );
    detail(
      "disk_qops",
      "Disk Current I/O Operations",
      "operations",
      "line",
      2015,
      d.queuedIos > 0,
      [["operations", 1, "absolute", d.queuedIos]],
    );
    detail(
      "disk_backlog",
      "Disk Backlog",
      "milliseconds",
      "area",
      2020,
      d.backlogMs > 0,
      [["backlog", 1, "incremental", d.backlogMs]],
    );
    if (!this.#o.host.chart(`disk_busy.${d.name}`) && d.busyMs === 0) return;
    detail("disk_busy", "Disk Busy Time", "milliseconds", "area", 2030, true, [[
      "busy",
      1,
      "incremental",
      d.busyMs,
    ]]);
    // netdata: busy milliseconds since the last collection (0 before the
    // first) over the update every, in integer percent, at most 100.
    const last = this.#lastBusyMs.get(d.name) ?? 0;
    this.#lastBusyMs.set(d.name, d.busyMs);
    const utilization = Math.min(
      100,
      Math.trunc((d.busyMs - last) / (10 * this.updateEverySec)),
    );
    detail(
      "disk_util",
      "Disk Utilization Time",
      "% of time working",
      "area",
      2040,
      true,
      [["utilization", 1, "absolute", utilization]],
    );
  }

  async #diskstats(text: string, ms: number, ut: number): Promise<void> {
    let readKb = 0;
    let writtenKb = 0;
    const disks = parseDiskstats(text);
    await this.#classifyDisks(disks);
    for (const d of disks) {
      const info = this.#disks.get(d.name);
      if (!info) continue;
      if (info.physical) {
        readKb += d.readSectors * SECTOR_BYTES / 1024;
        writtenKb += d.writtenSectors * SECTOR_BYTES / 1024;
      } else if (
        !this.#o.host.chart(`disk.${d.name}`) && d.readSectors === 0 &&
        d.writtenSectors === 0
      ) {
        // netdata's "auto": a virtual disk is charted once it has I/O.
        continue;
      }
      const chart = this.#chart({
        id: `disk.${d.name}`,
        title: "Disk I/O Bandwidth",
        units: "KiB/s",
        family: info.family,
        context: "disk.io",
        chartType: "area",
        priority: 2000,
        module: "/proc/diskstats",
      }, [["reads", SECTOR_BYTES, 1024, "incremental"], [
        "writes",
        -SECTOR_BYTES,
        1024,
        "incremental",
      ]]);
      chart.dimension("reads")!.set(d.readSectors, ms);
      chart.dimension("writes")!.set(d.writtenSectors, ms);
      chart.done(ut);
      this.#diskDetails(d, info.family, ms, ut);
    }
    const io = this.#chart({
      id: "system.io",
      title: "Disk I/O",
      units: "KiB/s",
      family: "disk",
      chartType: "area",
      priority: 150,
      module: "/proc/diskstats",
    }, [["in", 1, 1, "incremental"], ["out", -1, 1, "incremental"]]);
    io.dimension("in")!.set(Math.trunc(readKb), ms);
    io.dimension("out")!.set(Math.trunc(writtenKb), ms);
    io.done(ut);
  }
}
