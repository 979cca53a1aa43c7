/**
 * The pipeline benchmark: numbers for the README and the issue notes.
 *
 *   deno task bench:pipeline        (runs with --v8-flags=--expose-gc)
 *
 * 1. ingest: plugins.d text -> parser -> storage, values per second (one core)
 * 2. storage: dimension values stored per second, with chart completion
 * 3. query: average over 3,600 slots, ns per query
 * 4. format: graphite lines per second
 * 5. export: one average cycle over 100,000 dimensions, ms
 * 6. pipeline: collection + export of 10,000 dimensions for 10 simulated
 *    minutes, metrics per second and CPU time per million metrics
 * 7. memory: bytes per stored point for 10,000 dimensions x 3,600 entries
 * 8. outage: memory over a simulated hour with the destination refusing and
 *    `buffer on failures` large: flat once `max buffered bytes` is reached
 * 9. streaming receiver: values per second from 4 simulated children on
 *    loopback (CPU of this process, which also sends), memory per received
 *    dimension
 *
 * @module
 */
import process from "node:process";
import { realClock } from "../lib/clock.ts";
import { parseConfig } from "../lib/config/mod.ts";
import { Logger } from "../lib/log.ts";
import { Database } from "../lib/storage/rrd.ts";
import { StreamReceiver } from "../lib/stream/receiver.ts";
import {
  exportSetup,
  filledChart,
  formatWorkload,
  parseWorkload,
  queryWorkload,
  storeWorkload,
} from "../tests/bench/workloads.ts";
import type { Workload } from "../tests/bench/workloads.ts";

const gc = (globalThis as { gc?: () => void }).gc;
const collectGarbage = () => {
  if (gc) { for (let i = 0; i < 3; i++) gc(); }
};
const mib = (b: number) => (b / 1048576).toFixed(1);

/** Best of `repeats` timed runs of a workload, after a warm-up. */
async function bestPerItem(w: Workload, repeats = 7): Promise<number> {
  for (let i = 0; i < 3; i++) await w.run();
  let best = Infinity;
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    await w.run();
    best = Math.min(best, performance.now() - t0);
  }
  return best / w.items; // ms per item
}

const results: Record<string, string> = {};
const report = (key: string, value: string) => {
  results[key] = value;
  console.log(`${key.padEnd(44)} ${value}`);
};

console.log(
  `skiff pipeline benchmark, Deno ${Deno.version.deno}, ${navigator.hardwareConcurrency} cores\n`,
);

const parse = await bestPerItem(parseWorkload(100, 100));
report(
  "ingest (SET lines parsed and stored)",
  `${(1000 / parse / 1e6).toFixed(2)} M lines/s`,
);
const store = await bestPerItem(storeWorkload(1000, 100));
report(
  "storage writes (values, with completion)",
  `${(1000 / store / 1e6).toFixed(1)} M values/s`,
);
const query = await bestPerItem(queryWorkload(), 200);
report(
  "query: average over 3,600 slots",
  `${(query * 3600 * 1e6 / 1000).toFixed(1)} µs (${
    (query * 1e6).toFixed(1)
  } ns/slot)`,
);
const format = await bestPerItem(formatWorkload(100_000));
report(
  "format (graphite lines, computed values)",
  `${(1000 / format / 1e6).toFixed(2)} M lines/s`,
);

{
  const s = exportSetup({ charts: 1000, dimsPerChart: 100, history: 60 });
  for (let i = 0; i < 12; i++) s.collect();
  await s.cycle();
  let best = Infinity;
  for (let r = 0; r < 5; r++) {
    for (let i = 0; i < 10; i++) s.collect();
    const t0 = performance.now();
    await s.cycle();
    best = Math.min(best, performance.now() - t0);
  }
  report("export cycle, 100,000 dimensions (average)", `${best.toFixed(1)} ms`);
}

{
  // 10 minutes of 10,000 dimensions collected every second, exported every 10 s
  const s = exportSetup({ charts: 100, dimsPerChart: 100, history: 3600 });
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let metrics = 0;
  for (let sec = 1; sec <= 600; sec++) {
    s.collect();
    if (sec % 10 === 0) metrics += (await s.cycle()).sentMetrics;
  }
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuSec = (cpu.user + cpu.system) / 1e6;
  const collected = 600 * s.dimensions;
  report(
    "pipeline: values collected+stored per second",
    `${(collected / wall / 1e6).toFixed(2)} M/s (${
      collected.toLocaleString("en")
    } values in ${wall.toFixed(2)} s)`,
  );
  report(
    "pipeline: metrics exported",
    `${metrics.toLocaleString("en")} lines, ${mib(s.sink.bytes)} MiB`,
  );
  report(
    "pipeline: CPU for 10,000 dims every second",
    `${(cpuSec / 600 * 100).toFixed(2)} % of one core (${
      (cpuSec * 1e6 / (collected + metrics)).toFixed(2)
    } µs per value+metric)`,
  );
}

{
  collectGarbage();
  const before = Deno.memoryUsage();
  const { dims } = filledChart(10_000, 3600);
  collectGarbage();
  const after = Deno.memoryUsage();
  const points = dims.length * 3600;
  const heap = after.heapUsed - before.heapUsed;
  const external = after.external - before.external;
  report(
    "memory per stored point (10,000 x 3,600)",
    `${((heap + external) / points).toFixed(2)} bytes (heap ${
      mib(heap)
    } MiB + buffers ${mib(external)} MiB for ${
      points.toLocaleString("en")
    } points)${gc ? "" : " [no --expose-gc: approximate]"}`,
  );
}

{
  // A simulated hour with the only destination refusing every connection.
  collectGarbage();
  const m0 = Deno.memoryUsage();
  const base = m0.heapUsed + m0.external;
  const s = exportSetup({
    charts: 100,
    dimsPerChart: 100,
    history: 60,
    backend: "buffer on failures = 100000",
    link: () =>
      Promise.reject(new Deno.errors.ConnectionRefused("refused (simulated)")),
  });
  const samples: string[] = [];
  for (let sec = 1; sec <= 3600; sec++) {
    s.collect();
    if (sec % 10 === 0) await s.cycle();
    if (sec % 600 === 0) {
      collectGarbage();
      const m = Deno.memoryUsage();
      const used = m.heapUsed + m.external - base;
      samples.push(
        `${sec / 60} min +${mib(used)} MiB (buffer ${
          mib(s.exporter.bufferedBytes)
        })`,
      );
    }
  }
  const a = s.exporter.accounting();
  report("outage 1 h, 10,000 dims, memory over baseline", samples.join(", "));
  report(
    "outage 1 h, accounting",
    `formatted ${a.formatted.toLocaleString("en")} = sent ${a.sent} + lost ${
      a.lost.toLocaleString("en")
    } + buffered ${a.buffered.toLocaleString("en")}`,
  );
}

{
  // 4 children x 50 charts x 20 dimensions, 300 collections each.
  const KEY = "11111111-2222-3333-4444-555555555555";
  const CHILDREN = 4, CHARTS = 50, DIMS = 20, ROUNDS = 300;
  const { config } = parseConfig(
    `[web]\nmode = static-threaded\nbind to = 127.0.0.1:0\n[${KEY}]\nenabled = yes\ndefault history = 3600\n`,
    "bench.conf",
    { systemHostname: "bench" },
  );
  const db = new Database({ hostname: "bench" });
  const receiver = new StreamReceiver(db, config, {
    clock: realClock,
    log: new Logger("stream", { sink: () => {}, level: "error" }),
  });
  receiver.listen();
  const abort = new AbortController();
  const serving = receiver.serve(abort.signal);
  const port = receiver.addresses[0].port;
  const enc = new TextEncoder();
  const payloads = Array.from({ length: CHILDREN }, (_, c) => {
    let defs = "";
    for (let k = 0; k < CHARTS; k++) {
      defs +=
        `CHART "bench.c${k}" "" "t" "n" "f" "bench.c" "line" 1 1 "" "bench" "m"\n`;
      for (let d = 0; d < DIMS; d++) {
        defs += `DIMENSION "d${d}" "" "absolute" 1 1 ""\n`;
      }
    }
    const rounds: Uint8Array[] = [enc.encode(defs)];
    for (let r = 0; r < ROUNDS; r++) {
      let t = "";
      for (let k = 0; k < CHARTS; k++) {
        t += `BEGIN "bench.c${k}" ${r === 0 ? 0 : 1000000}\n`;
        for (let d = 0; d < DIMS; d++) t += `SET "d${d}" = ${r * 31 + d + c}\n`;
        t += "END\n";
      }
      rounds.push(enc.encode(t));
    }
    return rounds;
  });
  collectGarbage();
  const m0 = Deno.memoryUsage();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const linesPerChild = CHARTS * (1 + DIMS) + ROUNDS * CHARTS * (DIMS + 2);
  await Promise.all(payloads.map(async (rounds, c) => {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    const guid = `00000000-0000-4000-8000-${String(c).padStart(12, "0")}`;
    await conn.write(
      enc.encode(
        `STREAM key=${KEY}&hostname=child${c}&machine_guid=${guid}&update_every=1&ver=4 HTTP/1.1\r\n\r\n`,
      ),
    );
    await conn.read(new Uint8Array(256));
    for (const r of rounds) {
      let off = 0;
      while (off < r.length) off += await conn.write(r.subarray(off));
    }
    return conn;
  }));
  while (receiver.stats.linesReceived < CHILDREN * linesPerChild) {
    await new Promise((r) => setTimeout(r, 1));
  }
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const values = CHILDREN * ROUNDS * CHARTS * DIMS;
  report(
    "stream receiver: values per second",
    `${(values / wall / 1e6).toFixed(2)} M/s wall, ${
      (values / ((cpu.user + cpu.system) / 1e6) / 1e6).toFixed(2)
    } M per CPU-second (${CHILDREN} children, ${
      values.toLocaleString("en")
    } values, senders in the same process)`,
  );
  collectGarbage();
  const m1 = Deno.memoryUsage();
  const dims = CHILDREN * CHARTS * DIMS;
  report(
    "stream receiver: memory per received dimension",
    `${
      (((m1.heapUsed + m1.external) - (m0.heapUsed + m0.external)) / dims /
        1024).toFixed(1)
    } KiB (history 3600: 14.1 KiB of it are the 4-byte points)`,
  );
  abort.abort();
  await serving;
}

if (Deno.args.includes("--json")) console.log(JSON.stringify(results, null, 2));
