/**
 * /proc/net/dev: per-interface bandwidth, packets, errors and drops, and system.net, as netdata 1.37's proc_net_dev.c.
 *
 * @module
 */

import { simplePatternMatch } from "../../simple_pattern.ts";
import { parseNetDev } from "./parse.ts";
import type { NetDevice } from "./parse.ts";
import type { ProcContext, ProcModule } from "./context.ts";

/** netdata's default `disable by default interfaces matching`. */
const EXCLUDED_INTERFACES = "lo fireqos* *-ifb fwpr* fwbr* fwln*";

/** The /proc/net/dev module. */
export function procNetDev(ctx: ProcContext): ProcModule {
  const virtualNet = new Map<string, boolean>();
  return { path: "/proc/net/dev", collect: netdev };

  async function netdev(text: string, ms: number, ut: number): Promise<void> {
    let physicalIn = 0;
    let physicalOut = 0;
    let physical = 0;
    const devices = parseNetDev(text).filter((d) =>
      !simplePatternMatch(EXCLUDED_INTERFACES, d.name)
    );
    const unknown = devices.filter((d) => !virtualNet.has(d.name));
    if (unknown.length > 0) {
      // Virtual interfaces have a directory under /sys/devices/virtual/net.
      const probe = (name: string) =>
        `/sys/devices/virtual/net/${name}/ifindex`;
      const found = await ctx.files(unknown.map((d) => probe(d.name)));
      for (const d of unknown) {
        virtualNet.set(d.name, found.has(probe(d.name)));
      }
    }
    for (const dev of devices) {
      const isVirtual = virtualNet.get(dev.name)!;
      if (!isVirtual) {
        physical++;
        physicalIn += dev.receivedBytes;
        physicalOut += dev.sentBytes;
      }
      // netdata's "auto": an interface is charted once it has traffic.
      const chart = ctx.chartOnceNonZero(
        dev.receivedBytes + dev.sentBytes > 0,
        {
          id: `net.${dev.name}`,
          title: "Bandwidth",
          units: "kilobits/s",
          family: dev.name,
          context: "net.net",
          chartType: "area",
          priority: 7000,
          module: "/proc/net/dev",
        },
        [["received", 8, 1000, "incremental"], [
          "sent",
          -8,
          1000,
          "incremental",
        ]],
      );
      if (!chart) continue;
      chart.dimension("received")!.set(dev.receivedBytes, ms);
      chart.dimension("sent")!.set(dev.sentBytes, ms);
      chart.done(ut);
    }
    for (const dev of devices) netdevDetails(dev, ms, ut);
    if (physical > 0) {
      const chart = ctx.chart({
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
  function netdevDetails(dev: NetDevice, ms: number, ut: number): void {
    const detail = (
      type: string,
      title: string,
      units: string,
      offset: number,
      dims: [id: string, multiplier: number, value: number][],
    ) => {
      const chart = ctx.chartOnceNonZero(dims.some(([, , v]) => v !== 0), {
        id: `${type}.${dev.name}`,
        title,
        units,
        family: dev.name,
        context: type.replace("_", "."),
        chartType: "line",
        priority: 7000 + offset,
        module: "/proc/net/dev",
        detail: true,
      }, dims.map(([d, m]) => [d, m, 1, "incremental"]));
      if (!chart) return;
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
}
