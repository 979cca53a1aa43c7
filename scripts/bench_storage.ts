/**
 * What storage costs: bytes per stored point and query speed.
 *
 *   deno task bench:storage [seconds of a real child, default 150]
 *
 * 1. synthetic: `../shared/bench/synth.plugin`'s values (half the
 *    dimensions incremental counters rising 1000/s, half a sawtooth of
 *    step 7), 10,000 dimensions for 1 hour at 1 s, history 3600; collected
 *    at exact seconds, each collection up to 1 ms off its second (the
 *    slot boundary inside the jitter: half the collections make two slots
 *    or none, which rate pages do not take), and up to 1 ms off the middle
 *    of its second (as synth.plugin, started at any time; skiff's own
 *    collectors run a few ms after the second, which is the same case);
 * 2. real: a netdata 1.37 child (Debian's, all its default proc charts)
 *    streams into skiff for the given seconds; its charts' pages;
 * 3. aggregate: ns per slot of `average` over compressed and raw pages;
 * 4. idle: RSS of `skiff run` with the shipped skiff.conf after 20 s, run
 *    from main.ts (with this checkout's deno.json, as `deno run main.ts`
 *    takes it) and from the bundle `deno task install` installs, as its
 *    shim runs it (`--no-config`, the install's permission flags; run once
 *    before, as the install does, so Deno's code cache is written).
 *
 * Bytes per point count every page a ring holds (raw 4 bytes a slot,
 * compressed as encoded) and the charts' slot times (a chart with
 * incremental dimensions: its collections' offsets, a ring of their own,
 * which rate pages are read with) over
 * the points stored, and over full (compressed) pages alone (the slot
 * times' compressed pages counted there too); for the synthetic data also everything the
 * database holds (V8 heap and buffers after a GC), bookkeeping included.
 *
 * @module
 */
import { realClock } from "../lib/clock.ts";
import { parseConfig } from "../lib/config/mod.ts";
import { Agent } from "../lib/agent.ts";
import { Logger, memorySink } from "../lib/log.ts";
import { aggregate } from "../lib/storage/query.ts";
import { arenaBytes } from "../lib/storage/arena.ts";
import { Database } from "../lib/storage/rrd.ts";
import type { Host } from "../lib/storage/rrd.ts";
import { startNetdata } from "../tests/helpers/servers.ts";
import { bundle } from "./bundle.ts";
import { INSTALL_FLAGS } from "./install.ts";
import { residentMiB } from "./proc_status.ts";

const realSeconds = Number(Deno.args[0] ?? 150);

/** Bytes and points over every dimension of `host`. */
function footprint(host: Host) {
  let bytes = 0;
  let points = 0;
  let fullBytes = 0;
  let fullPoints = 0;
  let timesBytes = 0;
  let incrementalPages = 0;
  let ratePages = 0;
  let timesFullBytes = 0;
  for (const c of host.charts.values()) {
    const stored = Math.min(c.counter, c.entries);
    timesBytes += c.times.bytes;
    timesFullBytes += c.times.compressedBytes;
    for (const d of c.dimensions) {
      bytes += d.ring.bytes;
      points += stored;
      const pages = d.ring.pageCounts();
      fullPoints += pages.compressedSlots;
      if (d.algorithm === "incremental") incrementalPages += pages.compressed;
      ratePages += pages.rate;
      fullBytes += d.ring.compressedBytes;
    }
  }
  return {
    bytes: bytes + timesBytes,
    points,
    fullBytes: fullBytes + timesFullBytes,
    fullPoints,
    timesBytes,
    incrementalPages,
    ratePages,
  };
}

function report(name: string, f: ReturnType<typeof footprint>) {
  console.log(
    `${name}: ${
      (f.bytes / f.points).toFixed(3)
    } bytes/point over ${f.points} points (${
      (f.bytes / 1048576).toFixed(1)
    } MiB); full pages ${
      f.fullPoints ? (f.fullBytes / f.fullPoints).toFixed(3) : "-"
    } bytes/point over ${f.fullPoints} points (raw: 4); the charts' slot times ${
      (f.timesBytes / 1048576).toFixed(2)
    } MiB of it; ${f.ratePages} of the incremental dimensions' ${f.incrementalPages} full pages are rate pages`,
  );
}

/**
 * V8 heap + buffers in use after full GCs (the task exposes gc), a pause
 * between them so that sweeping (concurrent) finishes.
 */
async function heldBytes(): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < 3; i++) {
    gc?.();
    await new Promise((r) => setTimeout(r, 100));
  }
  const m = Deno.memoryUsage();
  return m.heapUsed + m.external;
}

/**
 * `synth.plugin`'s values for 10,000 dimensions over 3,601 s, collected at
 * exact seconds or `jitterMs` off them (uniform, seeded): a real plugin's
 * collections come a few ms early or late, and netdata's interpolation to
 * the second then changes the last digits of every stored value.
 */
function synthetic(jitterMs: number, offsetMs = 0) {
  const db = new Database({ hostname: "synth" });
  const T0 = 1_700_000_000;
  const charts = Array.from({ length: 100 }, (_, c) => {
    const chart = db.localhost.addChart({
      id: `synth.c${c}`,
      updateEverySec: 1,
      history: 3600,
    });
    const dims = Array.from(
      { length: 100 },
      (_, d) =>
        chart.addDimension(`d${d}`, {
          algorithm: d % 2 ? "incremental" : "absolute",
        }),
    );
    return { chart, dims };
  });
  let seed = 12345;
  const jitterUs = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return Math.round((seed / 2 ** 32 * 2 - 1) * jitterMs * 1000);
  };
  let next = 0;
  /** Collects `seconds` more seconds. */
  const collect = (seconds: number) => {
    for (const end = next + seconds; next < end; next++) {
      const i = next;
      for (const { chart, dims } of charts) {
        const tUs = (T0 + i) * 1e6 + offsetMs * 1000 + jitterUs();
        for (let d = 0; d < 100; d++) {
          dims[d].set(d % 2 ? i * 1000 + d : (i * 7 + d) % 1000, tUs / 1000);
        }
        chart.done(tUs);
      }
    }
  };
  const start = performance.now();
  collect(3601);
  return { db, charts, T0, ms: performance.now() - start, collect };
}

async function reportSynthetic(jitterMs: number, offsetMs = 0) {
  const held0 = await heldBytes();
  const run = synthetic(jitterMs, offsetMs);
  const held = await heldBytes() - held0;
  const around = offsetMs ? `${offsetMs} ms after the second` : "the second";
  const name = jitterMs
    ? `synthetic, collections +-${jitterMs} ms off ${around}`
    : "synthetic, 10,000 dims x 3600 s";
  report(name, footprint(run.db.localhost));
  console.log(
    `  memory held, everything included (dimension objects, rings, pages; heap + buffers after GC): ${
      (held / 1048576).toFixed(1)
    } MiB, ${(held / (3601 * 10000)).toFixed(3)} bytes/point, ${
      (held / 10000).toFixed(0)
    } bytes/dimension`,
  );
  return run;
}

// 1. synthetic, at exact seconds and jittered as a real plugin is; the
// jittered one also over two more laps of its rings (rewritten pages
// change size: what the rings hold must not grow lap after lap)
{
  const held0 = await heldBytes();
  const { collect } = await reportSynthetic(1);
  const afterHour = await heldBytes() - held0;
  collect(7200);
  const afterThree = await heldBytes() - held0;
  const arena = arenaBytes();
  console.log(
    `  the same after 3 hours (3 laps of every ring): ${
      (afterThree / 1048576).toFixed(1)
    } MiB held (${
      (afterHour / 1048576).toFixed(1)
    } after the first); the arena of compressed pages ${
      (arena.total / 1048576).toFixed(1)
    } MiB, ${(arena.free / 1048576).toFixed(1)} of it free`,
  );
  // Its rings are not cleared: their blocks stay taken, so the next run's
  // memory is its own, not this one's free blocks reused.
}
/**
 * 3. aggregate speed: the last 10 slots (raw page) and a whole hour
 * (compressed pages), average over every dimension.
 */
function aggregateSpeed({ charts, T0 }: ReturnType<typeof synthetic>) {
  const out = { value: 0, count: 0 };
  const last = T0 + 3600;
  for (const [label, from] of [["10 s", last - 9], ["1 h", last - 3598]]) {
    const slots = last - (from as number) + 1;
    const t0 = performance.now();
    let rounds = 0;
    while (performance.now() - t0 < 1000) {
      for (const { chart, dims } of charts) {
        for (const d of dims) {
          aggregate(chart, d, from as number, last, "average", out);
        }
      }
      rounds++;
    }
    const ns = (performance.now() - t0) * 1e6 / (rounds * 10000 * slots);
    console.log(`  aggregate over ${label}: ${ns.toFixed(1)} ns per slot`);
  }
}
// the incremental half in rate pages: decoded with the chart's slot times
aggregateSpeed(await reportSynthetic(1, 500));
{
  const run = await reportSynthetic(0);
  console.log(
    `  stored in ${(run.ms / 1000).toFixed(1)} s: ${
      (run.ms * 1e6 / (3601 * 10000)).toFixed(0)
    } ns per point (collection, interpolation, packing, paging)`,
  );
  aggregateSpeed(run);
}

// 2. a real netdata child
try {
  const KEY = "11111111-2222-3333-4444-555555555555";
  const { config } = parseConfig(
    `[global]\nhostname = bench\n[plugins]\nproc = no\nnetdata monitoring = no\n` +
      `[web]\nmode = static-threaded\nbind to = 127.0.0.1:0\n[${KEY}]\nenabled = yes\n`,
    "bench.conf",
    { systemHostname: "bench" },
  );
  const agent = new Agent(config, {
    clock: realClock,
    log: new Logger("skiff", { sink: memorySink().sink }),
  });
  await agent.start();
  const port = agent.receiver!.addresses[0].port;
  const child = await startNetdata({
    hostname: "bench-child",
    files: {
      "stream.conf":
        `[stream]\n    enabled = yes\n    destination = 127.0.0.1:${port}\n    api key = ${KEY}\n`,
    },
  });
  await new Promise((r) => setTimeout(r, realSeconds * 1000));
  const host = agent.db.hostByName("bench-child");
  if (host) {
    report(
      `real netdata 1.37 child, ${host.charts.size} charts, ${realSeconds} s`,
      footprint(host),
    );
  }
  await child.stop();
  await agent.stop();
} catch (err) {
  console.log(`real child: not measured (${(err as Error).message})`);
}

// 4. idle RSS with the shipped config, from main.ts and from the bundle
{
  const dir = await Deno.makeTempDir({ prefix: "skiff-bench-idle-" });
  const js = await bundle(`${dir}/skiff.js`);
  const run = (args: string[]) =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", "--quiet", ...args],
      stdout: "null",
      stderr: "null",
    });
  const asInstalled = ["--no-config", ...INSTALL_FLAGS, js];
  await run([...asInstalled, "version"]).output();
  for (
    const [name, main] of [
      ["main.ts", ["--allow-all", "main.ts"]],
      ["the bundle, as installed", asInstalled],
    ] as const
  ) {
    const p = run([...main, "run", "--config", "skiff.conf"]).spawn();
    await new Promise((r) => setTimeout(r, 20000));
    const rss = await residentMiB(p.pid);
    p.kill();
    await p.status;
    console.log(
      `idle: skiff run --config skiff.conf from ${name}, RSS ${
        rss.total.toFixed(1)
      } MiB after 20 s (anonymous ${rss.anon.toFixed(1)}, file ${
        rss.file.toFixed(1)
      })`,
    );
  }
  await Deno.remove(dir, { recursive: true });
}
Deno.exit(0);
