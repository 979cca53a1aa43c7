/**
 * Hot paths, each a unit of work whose item count is in its name:
 * items per second = items / (time per iteration).
 */
import {
  exportSetup,
  formatWorkload,
  parseWorkload,
  queryWorkload,
  remoteWriteWorkload,
  storeWorkload,
} from "./workloads.ts";
import { loadConnectors } from "../../lib/export/mod.ts";
import {
  StreamCompressor,
  StreamDecompressor,
} from "../../lib/stream/compression.ts";
import { capturedStream, concatBytes } from "../helpers/stream_receiver.ts";

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

// Remote write encoding alone: 100,000 samples (1,000 charts x 100
// dimensions) through the connector, protobuf and snappy included.
const encode = remoteWriteWorkload(1000, 100);
Deno.bench(
  "remote write: 100,000 samples encoded (protobuf + snappy)",
  { group: "remote write" },
  () => encode.run(),
);

// Prometheus remote write, end to end: 100,000 dimensions averaged, encoded
// (protobuf + snappy) and POSTed to a loopback receiver answering 204.
const receiver = Deno.serve(
  { hostname: "127.0.0.1", port: 0, onListen: () => {} },
  async (req) => {
    await req.arrayBuffer();
    return new Response(null, { status: 204 });
  },
);
await loadConnectors(["prometheus_remote_write"]);
const rw = exportSetup({
  charts: 1000,
  dimsPerChart: 100,
  history: 60,
  section:
    `[prometheus_remote_write:bench]\nenabled = yes\ndestination = 127.0.0.1:${receiver.addr.port}\nremote write URL path = /api/v1/write\n`,
});
for (let i = 0; i < 12; i++) rw.collect();
await rw.cycle();
Deno.bench(
  "remote write: one average cycle over 100,000 dimensions to a loopback receiver (100,000 samples)",
  { group: "remote write", n: 10, warmup: 2 },
  async (b) => {
    for (let i = 0; i < 10; i++) rw.collect();
    b.start();
    const r = await rw.cycle();
    b.end();
    // 100,000 dimensions, and the instance's own self charts when their
    // slots are in the window.
    if (r.sentMetrics < 100_000 || r.failures !== 0) {
      throw new Error(`sent ${r.sentMetrics}, failures ${r.failures}`);
    }
  },
);

// A real 1.37 child's stream (the capture), about 1 MB, as a sender cuts it.
const streamText = new TextEncoder().encode(capturedStream(1_000_000));
const streamWire = concatBytes(new StreamCompressor().compress(streamText));
Deno.bench("stream: 1 MB of a child's stream LZ4-compressed, 1.37 framing", {
  group: "compression",
}, () => {
  new StreamCompressor().compress(streamText);
});
Deno.bench("stream: the same 1 MB decompressed", {
  group: "compression",
}, () => {
  new StreamDecompressor().push(streamWire);
});
