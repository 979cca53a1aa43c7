/**
 * Hot paths, each a unit of work whose item count is in its name:
 * items per second = items / (time per iteration).
 */
import {
  exportSetup,
  formatWorkload,
  parseWorkload,
  queryWorkload,
  storeWorkload,
} from "./workloads.ts";

const parse = parseWorkload(100, 100);
Deno.bench("protocol: 10,000 SET lines (+ BEGIN/END) parsed and stored", {
  group: "parse",
}, () => parse.run());

const store = storeWorkload(1000, 10);
Deno.bench("storage: 10,000 values stored, 10 chart completions", {
  group: "store",
}, () => store.run());

const query = queryWorkload();
Deno.bench(
  "query: average over 3,600 slots",
  { group: "query" },
  () => query.run(),
);

const format = formatWorkload(100_000);
Deno.bench("format: 100,000 graphite lines with computed values", {
  group: "format",
}, () => format.run());

// 1,000 charts x 100 dimensions, 10 s collected between cycles
const setup = exportSetup({ charts: 1000, dimsPerChart: 100, history: 60 });
for (let i = 0; i < 12; i++) setup.collect();
await setup.cycle();
Deno.bench("export: one average cycle over 100,000 dimensions, 10 slots each", {
  group: "cycle",
  n: 20,
  warmup: 2,
}, async (b) => {
  for (let i = 0; i < 10; i++) setup.collect();
  b.start();
  await setup.cycle();
  b.end();
});
