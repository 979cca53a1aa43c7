/**
 * /proc/net/dev: per-interface bandwidth, packets, errors and drops, and
 * system.net, as netdata 1.37's proc_net_dev.c; with its state charts from
 * /sys/class/net/IFACE: speed and duplex (real interfaces), operstate,
 * carrier and mtu, read in the same pass as /proc/net/dev.
 *
 * @module
 */

import { simplePatternMatch } from "../../simple_pattern.ts";
import { parseNetDev } from "./parse.ts";
import type { NetDevice } from "./parse.ts";
import type { DimSpec, ProcContext, ProcModule } from "./context.ts";
import type { Chart } from "../../storage/mod.ts";

/** netdata's default `disable by default interfaces matching`. */
const EXCLUDED_INTERFACES = "lo fireqos* *-ifb fwpr* fwbr* fwln*";

/** netdata's get_operstate(): the dimension a state word sets. */
const OPERSTATES = [
  "up",
  "down",
  "notpresent",
  "lowerlayerdown",
  "testing",
  "dormant",
  "unknown",
] as const;

/** A /sys/class/net file of an interface. */
function sysNet(name: string, file: string): string {
  return `/sys/class/net/${name}/${file}`;
}

/** netdata's str2ull: the leading digits ("-1" is 0). */
function leadingNumber(text: string): number {
  const m = /^\s*(\d+)/.exec(text);
  return m ? Number(m[1]) : 0;
}

/** The /proc/net/dev module. */
export function procNetDev(ctx: ProcContext): ProcModule {
  const virtualNet = new Map<string, boolean>();
  /**
   * Per interface, the /sys/class/net files still read: netdata stops
   * reading operstate and mtu once a read fails; speed and duplex are for
   * real interfaces only.
   */
  const sysFiles = new Map<string, Set<string>>();
  return {
    path: "/proc/net/dev",
    alsoRead: () =>
      [...sysFiles].flatMap(([name, files]) =>
        [...files].map((f) => sysNet(name, f))
      ),
    collect: netdev,
  };

  async function netdev(
    text: string,
    ms: number,
    ut: number,
    also: Map<string, string>,
  ): Promise<void> {
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
        const isVirtual = found.has(probe(d.name));
        virtualNet.set(d.name, isVirtual);
        sysFiles.set(
          d.name,
          new Set(
            isVirtual
              ? ["operstate", "carrier", "mtu"]
              : ["speed", "duplex", "operstate", "carrier", "mtu"],
          ),
        );
      }
      // Their state files, this once outside the module's own read.
      const first = await ctx.files(
        unknown.flatMap((d) =>
          [...sysFiles.get(d.name)!].map((f) => sysNet(d.name, f))
        ),
      );
      for (const [k, v] of first) also.set(k, v);
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
      if (!chart) {
        netdevState(dev.name, isVirtual, false, also, ms, ut);
        continue;
      }
      labelled(chart, dev.name, isVirtual);
      chart.dimension("received")!.set(dev.receivedBytes, ms);
      chart.dimension("sent")!.set(dev.sentBytes, ms);
      chart.done(ut);
      netdevState(dev.name, isVirtual, true, also, ms, ut);
    }
    for (const dev of devices) {
      netdevDetails(dev, virtualNet.get(dev.name)!, ms, ut);
    }
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
   * net_packets, net_errors, net_drops, net_fifo, net_compressed and
   * net_events of one interface, as netdata
   * 1.37's proc_net_dev.c: detail charts, each created once its counters
   * are not zero ("auto"), virtual interfaces included.
   */
  function netdevDetails(
    dev: NetDevice,
    isVirtual: boolean,
    ms: number,
    ut: number,
  ): void {
    const detail = (
      type: string,
      title: string,
      units: string,
      offset: number,
      dims: [id: string, multiplier: number, value: number][],
    ) =>
      interfaceChart(dev.name, isVirtual, {
        type,
        title,
        units,
        offset,
        algorithm: "incremental",
        auto: true,
        dims,
        ms,
        ut,
      });
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
    detail("net_fifo", "Interface FIFO Buffer Errors", "errors", 4, [
      ["receive", 1, dev.receivedFifo],
      ["transmit", -1, dev.sentFifo],
    ]);
    detail("net_compressed", "Compressed Packets", "packets/s", 5, [
      ["received", 1, dev.receivedCompressed],
      ["sent", -1, dev.sentCompressed],
    ]);
    detail("net_events", "Network Interface Events", "events/s", 6, [
      ["frames", 1, dev.receivedFrames],
      ["collisions", -1, dev.sentCollisions],
      ["carrier", -1, dev.sentCarrier],
    ]);
  }

  /**
   * net_speed, net_duplex, net_operstate, net_carrier and net_mtu of one
   * interface, as netdata 1.37 makes them: speed only once the interface
   * has its bandwidth chart, 0 without a carrier; duplex "unknown" without
   * one; carrier while its file can be read; operstate and mtu until a
   * read fails.
   */
  function netdevState(
    name: string,
    isVirtual: boolean,
    hasBandwidth: boolean,
    also: Map<string, string>,
    ms: number,
    ut: number,
  ): void {
    const files = sysFiles.get(name)!;
    const read = (f: string) =>
      files.has(f) ? also.get(sysNet(name, f)) : undefined;
    const carrierText = read("carrier");
    const carrier = carrierText === undefined ? 0 : leadingNumber(carrierText);
    // netdata's `carrier || carrier_file_exists`: the file was read.
    const hasCarrier = carrierText !== undefined;
    const state = (
      type: string,
      title: string,
      units: string,
      offset: number,
      dims: [id: string, value: number][],
    ) =>
      interfaceChart(name, isVirtual, {
        type,
        title,
        units,
        offset,
        algorithm: "absolute",
        auto: false,
        dims: dims.map(([d, v]) => [d, 1, v]),
        ms,
        ut,
      });
    if (hasBandwidth && !isVirtual && files.has("speed")) {
      const speedText = hasCarrier ? read("speed") : "0";
      if (speedText !== undefined) {
        state("net_speed", "Interface Speed", "kilobits/s", 7, [
          ["speed", leadingNumber(speedText) * 1000],
        ]);
      }
    }
    if (!isVirtual) {
      const d = hasCarrier ? read("duplex")?.[0] : undefined;
      const duplex = d === "f" ? "full" : d === "h" ? "half" : "unknown";
      state("net_duplex", "Interface Duplex State", "state", 8, [
        ["full", duplex === "full" ? 1 : 0],
        ["half", duplex === "half" ? 1 : 0],
        ["unknown", duplex === "unknown" ? 1 : 0],
      ]);
    }
    if (files.has("operstate")) {
      const text = read("operstate");
      if (text === undefined) files.delete("operstate");
      else {
        const word = text.trim();
        const op = OPERSTATES.find((o) => o === word) ?? "unknown";
        state(
          "net_operstate",
          "Interface Operational State",
          "state",
          9,
          OPERSTATES.map((o) => [o, o === op ? 1 : 0]),
        );
      }
    }
    if (carrierText !== undefined) {
      state("net_carrier", "Interface Physical Link State", "state", 10, [
        ["up", carrier === 1 ? 1 : 0],
        ["down", carrier !== 1 ? 1 : 0],
      ]);
    }
    if (files.has("mtu")) {
      const text = read("mtu");
      if (text === undefined) files.delete("mtu");
      else {
        state("net_mtu", "Interface MTU", "octets", 11, [[
          "mtu",
          leadingNumber(text),
        ]]);
      }
    }
  }

  /**
   * One chart of an interface, netdata's priority 7000 + `offset`, a
   * detail chart with the interface's labels; an `auto` one is made once a
   * value is not zero.
   */
  function interfaceChart(
    name: string,
    isVirtual: boolean,
    c: {
      type: string;
      title: string;
      units: string;
      offset: number;
      algorithm: "incremental" | "absolute";
      auto: boolean;
      dims: [id: string, multiplier: number, value: number][];
      ms: number;
      ut: number;
    },
  ): void {
    const def = {
      id: `${c.type}.${name}`,
      title: c.title,
      units: c.units,
      family: name,
      context: c.type.replace("_", "."),
      chartType: "line" as const,
      priority: 7000 + c.offset,
      module: "/proc/net/dev",
      detail: true,
    };
    const specs = c.dims.map(([d, m]): DimSpec => [d, m, 1, c.algorithm]);
    const chart = c.auto
      ? ctx.chartOnceNonZero(c.dims.some(([, , v]) => v !== 0), def, specs)
      : ctx.chart(def, specs);
    if (!chart) return;
    labelled(chart, name, isVirtual);
    for (const [d, , v] of c.dims) chart.dimension(d)!.set(v, c.ms);
    chart.done(c.ut);
  }
}

/** netdata's labels of an interface's charts. */
function labelled(chart: Chart, name: string, isVirtual: boolean): void {
  if (chart.labels.has("device")) return;
  chart.labels.set("interface_type", isVirtual ? "virtual" : "real");
  chart.labels.set("device", name);
}
