/**
 * /proc/net/sockstat: the ipv4.sockstat_* charts, as netdata 1.37's
 * proc_net_sockstat.c: each created once one of its values is not zero
 * ("auto"). Memory is counted in pages, taken as 4 KiB (netdata asks
 * sysconf(_SC_PAGESIZE), which Deno cannot; 4 KiB on x86-64). The host
 * variables netdata keeps (tcp_mem_low..., tcp_max_orphans) are not read.
 *
 * @module
 */

import type { DimSpec, ProcContext, ProcModule } from "./context.ts";

const PAGE_BYTES = 4096;

/** `PROTO: name value name value ...` lines, by protocol then name. */
export function parseSockstat(text: string): Map<string, Map<string, number>> {
  const out = new Map<string, Map<string, number>>();
  for (const line of text.split("\n")) {
    const w = line.trim().split(/[\s:]+/).filter((x) => x !== "");
    if (w.length < 3) continue;
    const fields = new Map<string, number>();
    for (let i = 1; i + 1 < w.length; i += 2) {
      fields.set(w[i], Number.parseInt(w[i + 1], 10) || 0);
    }
    out.set(w[0], fields);
  }
  return out;
}

/** One chart: its id, title, family, units, type, priority and dimensions. */
interface SockstatChart {
  id: string;
  title: string;
  family: string;
  units: string;
  chartType: "line" | "area";
  priority: number;
  /** [dimension, protocol, field, multiplier, divisor] */
  dims: [string, string, string, number, number][];
}

const CHARTS: SockstatChart[] = [
  {
    id: "sockstat_sockets",
    title: "IPv4 Sockets Used",
    family: "sockets",
    units: "sockets",
    chartType: "line",
    priority: 5100,
    dims: [["used", "sockets", "used", 1, 1]],
  },
  {
    id: "sockstat_tcp_sockets",
    title: "IPv4 TCP Sockets",
    family: "tcp",
    units: "sockets",
    chartType: "line",
    priority: 5201,
    dims: [
      ["alloc", "TCP", "alloc", 1, 1],
      ["orphan", "TCP", "orphan", 1, 1],
      ["inuse", "TCP", "inuse", 1, 1],
      ["timewait", "TCP", "tw", 1, 1],
    ],
  },
  {
    id: "sockstat_tcp_mem",
    title: "IPv4 TCP Sockets Memory",
    family: "tcp",
    units: "KiB",
    chartType: "area",
    priority: 5290,
    dims: [["mem", "TCP", "mem", PAGE_BYTES, 1024]],
  },
  {
    id: "sockstat_udp_sockets",
    title: "IPv4 UDP Sockets",
    family: "udp",
    units: "sockets",
    chartType: "line",
    priority: 5300,
    dims: [["inuse", "UDP", "inuse", 1, 1]],
  },
  {
    id: "sockstat_udp_mem",
    title: "IPv4 UDP Sockets Memory",
    family: "udp",
    units: "KiB",
    chartType: "area",
    priority: 5390,
    dims: [["mem", "UDP", "mem", PAGE_BYTES, 1024]],
  },
  {
    id: "sockstat_udplite_sockets",
    title: "IPv4 UDPLITE Sockets",
    family: "udplite",
    units: "sockets",
    chartType: "line",
    priority: 5400,
    dims: [["inuse", "UDPLITE", "inuse", 1, 1]],
  },
  {
    id: "sockstat_raw_sockets",
    title: "IPv4 RAW Sockets",
    family: "raw",
    units: "sockets",
    chartType: "line",
    priority: 5450,
    dims: [["inuse", "RAW", "inuse", 1, 1]],
  },
  {
    id: "sockstat_frag_sockets",
    title: "IPv4 FRAG Sockets",
    family: "fragments",
    units: "fragments",
    chartType: "line",
    priority: 5460,
    dims: [["inuse", "FRAG", "inuse", 1, 1]],
  },
  {
    id: "sockstat_frag_mem",
    title: "IPv4 FRAG Sockets Memory",
    family: "fragments",
    units: "KiB",
    chartType: "area",
    priority: 5470,
    dims: [["mem", "FRAG", "memory", 1, 1024]],
  },
];

/** The /proc/net/sockstat module. */
export function procNetSockstat(ctx: ProcContext): ProcModule {
  const module = "/proc/net/sockstat";
  return {
    path: module,
    collect(text: string, ms: number, ut: number) {
      const s = parseSockstat(text);
      for (const c of CHARTS) {
        const values = c.dims.map(([, proto, field]) =>
          s.get(proto)?.get(field) ?? 0
        );
        const chart = ctx.chartOnceNonZero(
          values.some((v) => v !== 0),
          {
            id: `ipv4.${c.id}`,
            title: c.title,
            units: c.units,
            family: c.family,
            chartType: c.chartType,
            priority: c.priority,
            module,
          },
          c.dims.map(([dim, , , m, d]): DimSpec => [dim, m, d, "absolute"]),
        );
        if (!chart) continue;
        c.dims.forEach(([dim], i) => chart.dimension(dim)!.set(values[i], ms));
        chart.done(ut);
      }
    },
  };
}
