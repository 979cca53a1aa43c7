/**
 * Workloads shared by the `deno bench` files and scripts/bench.ts: each
 * builds its data once and returns a function doing one measured unit of
 * work, with the number of items (lines, values, slots) that unit handles.
 *
 * @module
 */
import { realClock } from "../../lib/clock.ts";
import type { Clock } from "../../lib/clock.ts";
import { parseConfig } from "../../lib/config/mod.ts";
import { ExportInstance } from "../../lib/export/mod.ts";
import { BatchWriter } from "../../lib/export/buffer.ts";
import { graphite } from "../../lib/export/connectors/graphite.ts";
import { remoteWrite } from "../../lib/export/connectors/remote_write.ts";
import type { MetricFormat } from "../../lib/export/connectors/types.ts";
import { formatFixed7 } from "../../lib/export/format.ts";
import type { Link } from "../../lib/export/transport.ts";
import { Logger } from "../../lib/log.ts";
import { HostWriter } from "../../lib/protocol/apply.ts";
import { LineSplitter } from "../../lib/protocol/lines.ts";
import { ProtocolParser } from "../../lib/protocol/parser.ts";
import { aggregate } from "../../lib/storage/query.ts";
import type { AggregateResult } from "../../lib/storage/query.ts";
import { Chart, Database } from "../../lib/storage/rrd.ts";
import type { Dimension } from "../../lib/storage/rrd.ts";
import { edgeHost } from "../helpers/format.ts";

/** One unit of measured work and how many items it handles. */
export interface Workload {
  items: number;
  run(): void | Promise<void>;
}

const quiet = new Logger("bench", { sink: () => {}, level: "error" });

/**
 * A clock moved by plain assignment: benchmarks move time between
 * collections without the macrotask a ManualClock waits for its sleepers.
 */
class SteppedClock implements Clock {
  now: number;
  constructor(startMs: number) {
    this.now = startMs;
  }
  nowMs(): number {
    return this.now;
  }
  sleepUntil(): Promise<void> {
    return Promise.reject(new Error("nothing sleeps in a benchmark"));
  }
}

/**
 * plugins.d text through the line splitter, parser and storage: one chart
 * of `dims` dimensions, `rounds` BEGIN/SET.../END blocks per unit.
 */
export function parseWorkload(dims = 100, rounds = 100): Workload {
  const clock = new SteppedClock(1_700_000_000_000);
  const db = new Database({ hostname: "bench" });
  const parser = new ProtocolParser(
    new HostWriter(db.localhost, {
      clock,
      defaultUpdateEverySec: 1,
      historyEntries: 3600,
      trustDurations: true,
      pluginName: "bench",
    }),
  );
  const splitter = new LineSplitter();
  const sink = { line: (l: string) => parser.parseLine(l), oversize() {} };
  let def = "CHART bench.values '' 'bench' 'n' bench bench.values line 1 1\n";
  for (let d = 0; d < dims; d++) def += `DIMENSION d${d} '' absolute 1 1\n`;
  splitter.pushText(def, sink);
  const blocks: Uint8Array[] = [];
  const enc = new TextEncoder();
  for (let r = 0; r < rounds; r++) {
    let b = "BEGIN bench.values 1000000\n";
    for (let d = 0; d < dims; d++) b += `SET d${d} = ${r * 7 + d}\n`;
    blocks.push(enc.encode(b + "END\n"));
  }
  return {
    items: dims * rounds,
    run() {
      for (const b of blocks) {
        clock.now += 1000;
        splitter.push(b, sink);
      }
    },
  };
}

/** Direct storage writes: `dims` values set and one chart completion per round. */
export function storeWorkload(dims = 1000, rounds = 100): Workload {
  const db = new Database({ hostname: "bench" });
  const chart = db.localhost.addChart({
    id: "bench.store",
    updateEverySec: 1,
    history: 3600,
  });
  const ds = Array.from(
    { length: dims },
    (_, i) => chart.addDimension(`d${i}`),
  );
  let t = 1_700_000_000;
  return {
    items: dims * rounds,
    run() {
      for (let r = 0; r < rounds; r++) {
        t++;
        const ms = t * 1000;
        for (let i = 0; i < ds.length; i++) ds[i].set(i + r, ms);
        chart.done(ms * 1000);
      }
    },
  };
}

/** A chart with `dims` dimensions and `slots` stored slots (one per second). */
export function filledChart(
  dims: number,
  slots: number,
): { db: Database; chart: Chart; dims: Dimension[]; lastSec: number } {
  const db = new Database({ hostname: "bench" });
  const chart = db.localhost.addChart({
    id: "bench.filled",
    updateEverySec: 1,
    history: slots,
  });
  const ds = Array.from(
    { length: dims },
    (_, i) => chart.addDimension(`d${i}`),
  );
  let t = 1_700_000_000;
  for (let s = 0; s <= slots; s++) {
    t++;
    for (let i = 0; i < ds.length; i++) ds[i].set(s + i, t * 1000);
    chart.done(t * 1_000_000);
  }
  return { db, chart, dims: ds, lastSec: chart.lastEntrySec() };
}

/** An average over 3,600 stored slots of one dimension. */
export function queryWorkload(): Workload {
  const { chart, dims, lastSec } = filledChart(1, 3600);
  const out: AggregateResult = { value: NaN, count: 0 };
  return {
    items: 3600,
    run() {
      aggregate(chart, dims[0], lastSec - 3599, lastSec, "average", out);
      if (out.count !== 3600) throw new Error(`queried ${out.count} slots`);
    },
  };
}

/** Graphite lines with computed values into the batch writer. */
export function formatWorkload(lines = 100_000): Workload {
  const batch = new BatchWriter();
  const cpu = new Chart({ id: "system.cpu", updateEverySec: 1, history: 5 });
  const user = cpu.addDimension("user");
  const m: MetricFormat = {
    prefix: "netdata",
    host: edgeHost(),
    chart: "system.cpu",
    dimension: "user",
    value: "",
    numericValue: 0,
    timestamp: 1_700_000_000,
    timestampMs: 1_700_000_000_000,
    chartInfo: cpu,
    dimensionInfo: user,
  };
  graphite.startHost!(m.host);
  return {
    items: lines,
    run() {
      for (let i = 0; i < lines; i++) {
        m.value = formatFixed7(i * 0.37);
        graphite.metric(m, batch);
      }
      batch.take();
    },
  };
}

/**
 * Remote write samples through the connector: `charts` x `dims` metrics a
 * batch (names as netdata makes them), protobuf and snappy included.
 */
export function remoteWriteWorkload(charts: number, dims: number): Workload {
  const { config } = parseConfig(
    "[prometheus_remote_write:w]\nenabled = yes\ndestination = 127.0.0.1:1\n",
    "bench.conf",
    { systemHostname: "bench" },
  );
  const connector = remoteWrite(config.exporting[0]);
  const all = Array.from({ length: charts }, (_, c) => {
    const chart = new Chart({
      id: `bench.c${c}`,
      units: "requests/s",
      updateEverySec: 1,
      history: 5,
    });
    return {
      chart,
      dims: Array.from({ length: dims }, (_, i) => chart.addDimension(`d${i}`)),
    };
  });
  const batch = new BatchWriter();
  const host = edgeHost({ nowMs: 1_700_000_000_000 });
  const m: MetricFormat = {
    prefix: "netdata",
    host,
    chart: "",
    dimension: "",
    value: "",
    numericValue: 0,
    timestamp: 1_700_000_000,
    timestampMs: 1_700_000_000_000,
    chartInfo: all[0].chart,
    dimensionInfo: all[0].dims[0],
  };
  let k = 0;
  return {
    items: charts * dims,
    run() {
      k++;
      connector.startBatch?.(batch);
      connector.startHost!(host);
      for (const { chart, dims } of all) {
        m.chartInfo = chart;
        for (let i = 0; i < dims.length; i++) {
          m.dimensionInfo = dims[i];
          m.numericValue = k * 0.37 + i;
          connector.metric(m, batch);
        }
      }
      connector.endBatch!(batch);
      batch.take(true);
    },
  };
}

/** A link that accepts every byte at once and never answers. */
export function discardLink(): Link & { bytes: number } {
  const link = {
    bytes: 0,
    write(p: Uint8Array) {
      link.bytes += p.length;
      return Promise.resolve(p.length);
    },
    read: () => new Promise<number | null>(() => {}),
    close() {},
  };
  return link;
}

/**
 * A database of `charts` x `dimsPerChart` dimensions collected every second
 * and an exporter (average, graphite) over a link that discards: `collect`
 * advances one second, `cycle` runs one export cycle.
 */
export function exportSetup(
  options: {
    charts?: number;
    dimsPerChart?: number;
    history?: number;
    backend?: string;
    /** A whole exporting section instead of `[backend]` keys. */
    section?: string;
    link?: () => Promise<Link>;
  } = {},
) {
  const { charts = 1000, dimsPerChart = 100, history = 60 } = options;
  const clock = new SteppedClock(1_700_000_000_000);
  const db = new Database({ hostname: "bench" });
  const all: { chart: Chart; dims: Dimension[] }[] = [];
  for (let c = 0; c < charts; c++) {
    const chart = db.localhost.addChart({
      id: `bench.c${c}`,
      updateEverySec: 1,
      history,
    });
    all.push({
      chart,
      dims: Array.from(
        { length: dimsPerChart },
        (_, i) => chart.addDimension(`d${i}`),
      ),
    });
  }
  const { config } = parseConfig(
    options.section ??
      `[backend]\nenabled = yes\nupdate every = 10\ndestination = 127.0.0.1:2003\n${
        options.backend ?? ""
      }\n`,
    "bench.conf",
    { systemHostname: "bench" },
  );
  const sink = discardLink();
  const exporter = new ExportInstance(config.exporting[0], {
    clock,
    // Timeouts on real time: the stepped clock only moves when told.
    timeoutClock: realClock,
    log: quiet,
    dial: options.section
      ? undefined
      : options.link ?? (() => Promise.resolve(sink)),
    chartsHost: db.localhost,
  });
  let k = 0;
  return {
    clock,
    db,
    exporter,
    /** One export cycle at the clock's now. */
    cycle: () => exporter.cycle(db, clock.nowMs()),
    sink,
    dimensions: charts * dimsPerChart,
    /** One second of collection for every dimension. */
    collect() {
      clock.now += 1000;
      const ms = clock.now;
      k++;
      for (const { chart, dims } of all) {
        for (let i = 0; i < dims.length; i++) dims[i].set(k + i, ms);
        chart.done(ms * 1000);
      }
    },
  };
}
