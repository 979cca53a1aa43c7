/**
 * Exported bytes, netdata 1.37 against skiff, on the same data: a real
 * netdata 1.37 child streams through a tee (tests/helpers/stream_tee.ts)
 * that hands every byte, at the same moment, to a real netdata 1.37 parent
 * and to skiff (in process). Both parents read the same exporting.conf
 * (Graphite and OpenTSDB, average and as collected, update every 5 s), each
 * instance sending to its own loopback sink. For the child's host, the
 * lines must name the same metrics on both sides and, for each metric and
 * timestamp both sides sent, be byte-identical except where the two
 * parents placed a collection differently (each stamps a collection when
 * it reads it, skiff a little later than netdata: see the bound below).
 *
 * Set EXPORT_COMPAT_DUMP=DIR to keep every sink's lines in DIR.
 */
import { assert, assertEquals } from "../helpers/assert.ts";
import { loadConfigFile } from "../../lib/config/mod.ts";
import {
  freePort,
  haveBinary,
  MAIN_TS,
  start,
  waitFor,
} from "../helpers/e2e.ts";
import type { Proc } from "../helpers/e2e.ts";
import { NETDATA_BIN, startNetdata } from "../helpers/servers.ts";
import type { Netdata } from "../helpers/servers.ts";
import { StreamTee } from "../helpers/stream_tee.ts";

const KEY = "6e1f3c52-0b7d-4c8e-9a41-7d2b5e9f0c13";
const CHILD = "ndchild";
const EXPORT_EVERY_SEC = 5;
/** Export cycles (with the child's lines) each side must have sent. */
const CYCLES = 8;

type Format = "graphite" | "opentsdb" | "json" | "opentsdb_http";

interface Instance {
  name: string;
  format: Format;
  source: "average" | "as collected";
  /** The exporting.conf type, when not the format's name. */
  type?: string;
}

const INSTANCES: Instance[] = [
  { name: "g_avg", format: "graphite", source: "average" },
  { name: "g_raw", format: "graphite", source: "as collected" },
  { name: "o_avg", format: "opentsdb", source: "average" },
  { name: "o_raw", format: "opentsdb", source: "as collected" },
  { name: "j_avg", format: "json", source: "average" },
  { name: "j_raw", format: "json", source: "as collected" },
  { name: "jh_avg", format: "json", source: "average", type: "json:http" },
  {
    name: "oh_avg",
    format: "opentsdb_http",
    source: "average",
    type: "opentsdb:http",
  },
];

/** The same exporting.conf for both parents, with their own sink ports. */
function exportingConf(ports: number[]): string {
  return `[exporting:global]
    enabled = yes
    update every = ${EXPORT_EVERY_SEC}
` + INSTANCES.map((inst, i) =>
    `[${inst.type ?? inst.format}:${inst.name}]
    enabled = yes
    destination = 127.0.0.1:${ports[i]}
    data source = ${inst.source}
`
  ).join("");
}

/** A line received by a sink and when (wall clock, ms since the epoch). */
interface Received {
  atMs: number;
  line: string;
}
/** A new cycle starts after this much silence on a sink. */
const CYCLE_GAP_MS = 1500;

/**
 * A loopback sink that stamps every complete line with its arrival time,
 * so lines can be grouped into export cycles (a cycle's batch arrives
 * within milliseconds; cycles are seconds apart).
 */
class TimedSink {
  readonly listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  readonly received: Received[] = [];
  connections = 0;
  /** Cycles with a line containing `marker` so far (cheap, for waiting). */
  markedCycles = 0;
  readonly #marker: string;
  #lastAtMs = -Infinity;
  #cycleMarked = false;
  #closed = false;
  readonly #conns = new Set<Deno.Conn>();
  readonly #serving = new Set<Promise<void>>();
  #loop: Promise<void>;

  /** HTTP: answer each request with 200 and keep its body's lines. */
  readonly #http: boolean;

  constructor(marker: string, http = false) {
    this.#marker = marker;
    this.#http = http;
    this.#loop = this.#accept();
  }

  get port(): number {
    return this.listener.addr.port;
  }

  async #accept(): Promise<void> {
    try {
      for await (const conn of this.listener) {
        this.connections++;
        this.#conns.add(conn);
        const p = this.#serve(conn).finally(() => {
          this.#conns.delete(conn);
          this.#serving.delete(p);
        });
        this.#serving.add(p);
      }
    } catch {
      // listener closed
    }
  }

  async #serve(conn: Deno.Conn): Promise<void> {
    const decoder = new TextDecoder();
    const buf = new Uint8Array(256 * 1024);
    let partial = "";
    try {
      for (;;) {
        const n = await conn.read(buf);
        if (n === null) break;
        // Wall clock: the parents stamp and schedule by it.
        const atMs = Date.now();
        let lines = (partial + decoder.decode(buf.subarray(0, n), {
          stream: true,
        })).split("\n");
        partial = lines.pop()!;
        if (this.#http) {
          // Requests carry JSON arrays, an object a line: answer each
          // request head with 200, keep the body lines (no "[", "]", ",").
          const answers = lines.filter((l) => l.startsWith("POST ")).length;
          for (let i = 0; i < answers; i++) {
            await conn.write(
              new TextEncoder().encode(
                "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
              ),
            );
          }
          lines = lines.filter((l) => l.startsWith("{")).map((l) =>
            l.endsWith(",") ? l.slice(0, -1) : l
          );
        }
        if (lines.length === 0) continue;
        if (atMs - this.#lastAtMs > CYCLE_GAP_MS) this.#cycleMarked = false;
        this.#lastAtMs = atMs;
        for (const line of lines) {
          this.received.push({ atMs, line });
          if (!this.#cycleMarked && line.includes(this.#marker)) {
            this.#cycleMarked = true;
            this.markedCycles++;
          }
        }
      }
    } catch {
      // peer went away
    }
    try {
      conn.close();
    } catch {
      // closed
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.listener.close();
    for (const c of this.#conns) {
      try {
        c.close();
      } catch {
        // closed
      }
    }
    await this.#loop;
    await Promise.all([...this.#serving]);
  }
}

/** One exported line of the child's host. */
interface Metric {
  /** The metric name with its tags: what identifies a series. */
  series: string;
  ts: number;
  value: string;
  line: string;
}

/**
 * Parses a line of `format` if it belongs to `host`; undefined for other
 * hosts, an Error for a line of `host` that does not parse.
 *   graphite: `netdata.<host>.<chart>.<dim>[;tag=v...] VALUE TIMESTAMP`
 *   opentsdb: `put netdata.<chart>.<dim> TIMESTAMP VALUE host=<host>[ tags]`
 */
function parseLine(
  format: Format,
  line: string,
  host: string,
): Metric | Error | undefined {
  if (format === "graphite") {
    if (!line.startsWith(`netdata.${host}.`)) return undefined;
    const m = /^(\S+) (\S+) (\d+)$/.exec(line);
    if (!m) return new Error(`bad graphite line: ${JSON.stringify(line)}`);
    return { series: m[1], value: m[2], ts: Number(m[3]), line };
  }
  if (format === "opentsdb_http") {
    const m =
      /^\{"metric":"([^"]+)","timestamp":(\d+),"value":([^,]+),"tags":(\{.*\})\}$/
        .exec(line);
    if (!m) {
      return line.includes(`"host":"${host}`)
        ? new Error(`bad opentsdb http object: ${JSON.stringify(line)}`)
        : undefined;
    }
    if (!m[4].startsWith(`{"host":"${host}"`)) return undefined;
    return { series: `${m[1]} ${m[4]}`, ts: Number(m[2]), value: m[3], line };
  }
  if (format === "json") {
    if (!line.includes(`"hostname":"${host}",`)) return undefined;
    const m = /"value":([^,]+),"timestamp": ?(\d+)\}$/.exec(line);
    if (!m) return new Error(`bad json line: ${JSON.stringify(line)}`);
    // Everything but the value and the timestamp names the series.
    return {
      series: line.slice(0, m.index),
      value: m[1],
      ts: Number(m[2]),
      line,
    };
  }
  const m = /^put (\S+) (\d+) (\S+) (host=(\S+)(?: .*)?)$/.exec(line);
  if (!m) {
    return line.includes(`host=${host}`)
      ? new Error(`bad opentsdb line: ${JSON.stringify(line)}`)
      : undefined;
  }
  if (m[5] !== host) return undefined;
  // Host and tags identify the series, trailing spaces included: a
  // difference there is a naming difference, not a value difference.
  return { series: `${m[1]} ${m[4]}`, ts: Number(m[2]), value: m[3], line };
}

/** The child's lines of one sink, grouped into export cycles. */
interface Side {
  cycles: Metric[][];
  /** Arrival (wall clock ms) of each cycle's first line. */
  cycleAtMs: number[];
  malformed: string[];
}

function childSide(format: Format, received: Received[]): Side {
  const side: Side = { cycles: [], cycleAtMs: [], malformed: [] };
  let lastAtMs = -Infinity;
  let current: Metric[] | undefined;
  for (const r of received) {
    if (r.atMs - lastAtMs > CYCLE_GAP_MS) {
      if (current?.length) {
        side.cycles.push(current);
      }
      current = [];
      side.cycleAtMs[side.cycles.length] = r.atMs;
    }
    lastAtMs = r.atMs;
    const m = parseLine(format, r.line, CHILD);
    if (m instanceof Error) side.malformed.push(m.message);
    else if (m) current!.push(m);
  }
  if (current?.length) side.cycles.push(current);
  side.cycleAtMs.length = side.cycles.length;
  return side;
}

/** Lines of the middle cycles (first and last dropped) by `series@ts`. */
function middle(side: Side): Map<string, Metric[]> {
  const byKey = new Map<string, Metric[]>();
  for (const cycle of side.cycles.slice(1, -1)) {
    for (const m of cycle) {
      const key = `${m.series}@${m.ts}`;
      const list = byKey.get(key);
      if (list) list.push(m);
      else byKey.set(key, [m]);
    }
  }
  return byKey;
}

function seriesOf(byKey: Map<string, Metric[]>): Set<string> {
  return new Set([...byKey.values()].map((ms) => ms[0].series));
}

/**
 * The largest |value| of `m`'s series in its window and the windows just
 * before and after it, on `side` (all cycles, edges included).
 */
function neighbourScale(side: Side, m: Metric): number {
  const values = side.cycles.flatMap((cycle) =>
    cycle.filter((x) => x.series === m.series)
  ).sort((x, y) => x.ts - y.ts);
  const i = values.findIndex((x) => x.ts === m.ts);
  return Math.max(
    ...values.slice(Math.max(0, i - 1), i + 2).map((x) =>
      Math.abs(Number(x.value))
    ),
  );
}

function relativeDifference(a: string, b: string): number {
  const [x, y] = [Number(a), Number(b)];
  if (x === y) return 0;
  return Math.abs(x - y) / Math.max(Math.abs(x), Math.abs(y));
}

/** A (series, timestamp) whose lines differ. */
interface Difference {
  netdata: string;
  skiff: string;
  relative: number;
  /** |netdata - skiff| / M: M the series' largest |value| in this and the
   * adjacent windows of netdata. */
  ofNeighbours: number;
}

/** What one instance pair's comparison found. */
interface Comparison {
  instance: Instance;
  netdataCycles: number;
  skiffCycles: number;
  onlyNetdata: string[];
  onlySkiff: string[];
  /** (series, timestamp) keys sent by one side only. */
  keysOnlyNetdata: number;
  keysOnlySkiff: number;
  /** Export moments: median ms within the second, and second mod 5. */
  netdataPhase: string;
  skiffPhase: string;
  series: number;
  common: number;
  identical: number;
  differing: Difference[];
}

function compare(instance: Instance, netdata: Side, skiff: Side): Comparison {
  const [nd, sk] = [middle(netdata), middle(skiff)];
  const [ndSeries, skSeries] = [seriesOf(nd), seriesOf(sk)];
  const c: Comparison = {
    instance,
    netdataCycles: netdata.cycles.length,
    skiffCycles: skiff.cycles.length,
    onlyNetdata: [...ndSeries].filter((s) => !skSeries.has(s)).sort(),
    onlySkiff: [...skSeries].filter((s) => !ndSeries.has(s)).sort(),
    keysOnlyNetdata: [...nd.keys()].filter((k) => !sk.has(k)).length,
    keysOnlySkiff: [...sk.keys()].filter((k) => !nd.has(k)).length,
    netdataPhase: phase(netdata),
    skiffPhase: phase(skiff),
    series: ndSeries.size,
    common: 0,
    identical: 0,
    differing: [],
  };
  for (const [key, ndLines] of nd) {
    const skLines = sk.get(key);
    if (!skLines) continue;
    // As collected, a parent sends the same collection again when none
    // came between two cycles: the same line twice, compared once.
    const a = ndLines[ndLines.length - 1];
    const b = skLines[skLines.length - 1];
    c.common++;
    if (a.line === b.line) c.identical++;
    else {
      c.differing.push({
        netdata: a.line,
        skiff: b.line,
        relative: relativeDifference(a.value, b.value),
        ofNeighbours: Math.abs(Number(a.value) - Number(b.value)) /
          neighbourScale(netdata, a),
      });
    }
  }
  return c;
}

/** When a side exports: `:ms` within the second and `second % 5`. */
function phase(side: Side): string {
  if (side.cycleAtMs.length === 0) return "none";
  const ms = side.cycleAtMs.map((t) => t % 1000).sort((a, b) => a - b);
  const mod = new Set(
    side.cycleAtMs.map((t) => Math.floor(t / 1000) % EXPORT_EVERY_SEC),
  );
  return `:${ms[ms.length >> 1]} ms, second%${EXPORT_EVERY_SEC} ${
    [...mod].join("/")
  }`;
}

function median(values: number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1];
}

function report(c: Comparison): string {
  const share = c.common ? (100 * c.identical / c.common).toFixed(2) : "n/a";
  const worst = c.differing.reduce((w, d) => Math.max(w, d.relative), 0);
  const shift = c.differing.reduce((w, d) => Math.max(w, d.ofNeighbours), 0);
  return [
    `${c.instance.name} (${c.instance.format}, ${c.instance.source}): ` +
    `${c.series} series; cycles netdata ${c.netdataCycles} ` +
    `(${c.netdataPhase}), skiff ${c.skiffCycles} (${c.skiffPhase})`,
    `  ${c.common} (series, timestamp) in common, ${c.identical} identical ` +
    `(${share}%), ${c.differing.length} differ`,
    `  relative difference: median ${
      median(c.differing.map((d) => d.relative)).toExponential(2)
    }, worst ${worst.toExponential(2)}; worst of neighbours' M ${
      shift.toExponential(2)
    }; keys only netdata ${c.keysOnlyNetdata}, only skiff ${c.keysOnlySkiff}`,
    ...c.onlyNetdata.slice(0, 10).map((s) => `  only netdata: ${s}`),
    ...c.onlySkiff.slice(0, 10).map((s) => `  only skiff:   ${s}`),
    // The largest differences first.
    ...[...c.differing].sort((x, y) => y.relative - x.relative).slice(0, 5)
      .flatMap((d) => [
        `  netdata: ${d.netdata}`,
        `  skiff:   ${d.skiff}`,
      ]),
  ].join("\n");
}

/**
 * The bound on differing lines. Both parents get each chunk of the child's
 * stream at the same moment (one tee write to each), but the two
 * processes read it some time d apart: microseconds, usually up to a
 * scheduler slice or two (~20 ms) when the 2 cores are busy, as in CI
 * where other end-to-end tests run beside this one (~55 ms seen once).
 * Each parent stamps a collection with its own clock
 * when its END arrives (a 1.37 child sends BEGIN with 0 usec for its first
 * 60 updates, longer than this test) and interpolates the collections onto
 * the slot boundaries. So:
 * - average: a slot's value moves by d / 1 s of the step between the two
 *   collections around it. Constant dimensions never differ; every noisy
 *   rate (interrupts, softirqs, packets, io, netdata's own ops) differs in
 *   its 4th-7th digit: 8.5-11.5% of the lines in three runs (376 to 511
 *   of ~4450). That share cannot be tighter than the share of noisy
 *   dimensions, hence at most 25%. Per line: a lone burst of a counter
 *   (a few packets) whose second straddles a window edge is split between
 *   the two windows by where each parent stamped the collections around
 *   it, so the share moved is d / 1 s of the burst, against M >= half the
 *   burst: |netdata - skiff| <= 2 (d / 1 s) M, M the largest |value| of
 *   that series in this window and its neighbours (a steady rate moves
 *   less). Measured: <= 0.0025 M with this test alone (6.1e-4 on
 *   2026-11-26), but 0.11 M once in CI, where the whole suite ran beside
 *   it (system.ipv6.sent, -0.0615108 against -0.0682987, both neighbours
 *   smaller: one parent ~55 ms late on one read; netdata then ran at its
 *   default nice 19, now at 0, see startNetdata: 5.4e-3 M with a busy loop
 *   on each core beside the whole suite). How late a process on a busy
 *   2-core machine reads is not bounded; 0.5 M is d up to 250 ms,
 *   and still fails a sign, a unit or another dimension's value (>= 1 M).
 *   Next to a spike the relative difference of a near-zero value is
 *   unbounded (0.0015339 against 0.0010010 after a window of 260.99), so
 *   the typical case is bounded too: d is ~1 ms and noisy rates move ~30%
 *   between seconds, so the median relative difference is ~3e-4
 *   (measured 2.5e-5 to 2.2e-4 alone, 2.1e-3 once with skiff in this
 *   test's process under the whole parallel suite); 5e-3 allows for that
 *   load. A window off by one slot, or another interpolation, would move
 *   noisy rates by 1e-2 to 1e-1 (estimated, not provoked).
 * - as collected: the same series and timestamp is the same collection,
 *   whose raw value both parents send unchanged; it differs only for a
 *   collection arriving within d of a second edge, stamped in different
 *   seconds, i.e. d / 1 s of the collections: 2% (measured: none). Its
 *   value is then the neighbour's, which can be anything: no tolerance.
 * None can be tighter: d is real time on a shared 2-core machine.
 */
const MAX_DIFFERING_SHARE = { average: 0.25, "as collected": 0.02 };
/** Largest difference of an average, as a share of M (see above). */
const MAX_AVERAGE_SHIFT = 0.5;
const MAX_MEDIAN_RELATIVE = 5e-3;

Deno.test({
  name: "netdata 1.37 and skiff export the same child's metrics byte for byte",
  ignore: !haveBinary(NETDATA_BIN, "netdata"),
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const began = performance.now();
    const marker = (inst: Instance) =>
      inst.format === "graphite"
        ? `netdata.${CHILD}.`
        : inst.format === "json"
        ? `"hostname":"${CHILD}",`
        : inst.format === "opentsdb_http"
        ? `"host":"${CHILD}"`
        : ` host=${CHILD}`;
    const sink = (inst: Instance) =>
      new TimedSink(marker(inst), inst.type?.endsWith(":http"));
    const ndSinks = INSTANCES.map(sink);
    const skSinks = INSTANCES.map(sink);
    const dir = await Deno.makeTempDir({ prefix: "skiff-compat-" });
    const logs = {
      get lines() {
        return skiff?.output().split("\n") ?? [];
      },
    };
    let parent: Netdata | undefined;
    let child: Netdata | undefined;
    let skiff: Proc | undefined;
    let tee: StreamTee | undefined;
    const stopAll = async () => {
      // Parents first: their last cycle is dropped anyway, and no cycle is
      // sent for a child that is gone.
      await Promise.all([parent?.stop(), skiff?.stop("SIGTERM")]);
      await tee?.stop();
      await child?.stop();
      await Promise.all([...ndSinks, ...skSinks].map((s) => s.close()));
      // The tee stays for its log; stopping it again does nothing.
      [parent, skiff, child] = [undefined, undefined, undefined];
    };
    try {
      parent = await startNetdata({
        hostname: "ndparent",
        files: {
          "stream.conf": `[${KEY}]\n    enabled = yes\n`,
          "exporting.conf": exportingConf(ndSinks.map((s) => s.port)),
        },
      });

      const skiffPort = freePort();
      await Deno.writeTextFile(
        `${dir}/exporting.conf`,
        exportingConf(skSinks.map((s) => s.port)),
      );
      await Deno.writeTextFile(
        `${dir}/skiff.conf`,
        `[global]
    hostname = skiff-parent
[plugins]
    proc = no
    netdata monitoring = no
[web]
    mode = static-threaded
    bind to = 127.0.0.1:${skiffPort}
[${KEY}]
    enabled = yes
`,
      );
      const loaded = await loadConfigFile(`${dir}/skiff.conf`, {
        systemHostname: "skiff-parent",
      });
      assertEquals(loaded.errors, []);
      // As users run it: its own process, reading the tee's chunks as the
      // netdata parent does, not in this test's event loop.
      skiff = start(Deno.execPath(), [
        "run",
        "-A",
        MAIN_TS,
        "run",
        "--config",
        `${dir}/skiff.conf`,
      ]);

      tee = StreamTee.start([
        { name: "netdata", port: parent.port },
        { name: "skiff", port: skiffPort },
      ]);
      child = await startNetdata({
        hostname: CHILD,
        extra: "[host labels]\n    site = north\n",
        files: {
          "stream.conf": `[stream]
    enabled = yes
    destination = 127.0.0.1:${tee.port}
    api key = ${KEY}
`,
        },
      });

      await t.step(
        "both parents accept the child through the tee",
        async () => {
          const p = parent!, s = skiff!, tt = tee!;
          // The tee records the answers once it has read both; a parent
          // may list the child, and skiff log it, a moment before that.
          await waitFor("both parents list the child", async () => {
            const info = await p.api<{ mirrored_hosts: string[] }>(
              "/api/v1/info",
            );
            return info.mirrored_hosts.includes(CHILD) &&
                s.output().includes(`STREAM ${CHILD} [receive from`) &&
                s.output().includes("accepted") && tt.answers.length > 0
              ? true
              : undefined;
          }, 60000).catch((e) => {
            throw new Error(
              `${e.message}\ntee:\n${tt.log()}\nskiff:\n${
                logs.lines.join("\n")
              }`,
            );
          });
          assertEquals(tt.answers[0], {
            netdata: "Hit me baby, push them over with the version=4",
            skiff: "Hit me baby, push them over with the version=4",
          });
        },
      );

      await t.step(`both parents export ${CYCLES} cycles`, async () => {
        // About 40 s: the netdata parent sends a cycle every 5 s.
        await waitFor(
          `${CYCLES} cycles with the child's lines from the netdata parent`,
          () =>
            ndSinks.every((s) => s.markedCycles >= CYCLES) ? true : undefined,
          CYCLES * EXPORT_EVERY_SEC * 1000 + 30000,
        );
        // skiff gets two cycles' time more; fewer is reported below.
        await waitFor(
          `${CYCLES} cycles with the child's lines from skiff`,
          () =>
            skSinks.every((s) => s.markedCycles >= CYCLES) ? true : undefined,
          2 * EXPORT_EVERY_SEC * 1000,
        ).catch(() => {});
        assertEquals(tee!.sessions, 1, tee!.log());
      });

      await stopAll();
      const ndSides = INSTANCES.map((inst, i) =>
        childSide(inst.format, ndSinks[i].received)
      );
      const skSides = INSTANCES.map((inst, i) =>
        childSide(inst.format, skSinks[i].received)
      );
      const dump = Deno.env.get("EXPORT_COMPAT_DUMP");
      if (dump) {
        await Deno.mkdir(dump, { recursive: true });
        for (
          const [side, sinks] of [["netdata", ndSinks], [
            "skiff",
            skSinks,
          ]] as const
        ) {
          for (const [i, inst] of INSTANCES.entries()) {
            await Deno.writeTextFile(
              `${dump}/${side}-${inst.name}.txt`,
              sinks[i].received.map((r) => `${r.atMs.toFixed(0)} ${r.line}\n`)
                .join(""),
            );
          }
        }
        await Deno.writeTextFile(`${dump}/skiff.log`, logs.lines.join("\n"));
        await Deno.writeTextFile(`${dump}/tee.log`, tee?.log() ?? "");
      }

      const comparisons = INSTANCES.map((inst, i) =>
        compare(inst, ndSides[i], skSides[i])
      );
      console.log(comparisons.map(report).join("\n"));

      await t.step("netdata's lines for the child are well formed", () => {
        for (const [i, inst] of INSTANCES.entries()) {
          assertEquals(ndSides[i].malformed, [], inst.name);
          assert(ndSides[i].cycles.length >= CYCLES, inst.name);
        }
      });

      await t.step("skiff sends well-formed lines every cycle", () => {
        for (const [i, inst] of INSTANCES.entries()) {
          assertEquals(skSides[i].malformed, [], inst.name);
          assert(
            skSides[i].cycles.length >= CYCLES - 1,
            `${inst.name}: skiff sent ${
              skSides[i].cycles.length
            } cycles with ${CHILD}'s lines, netdata ${
              ndSides[i].cycles.length
            }\nskiff log:\n${logs.lines.slice(-30).join("\n")}`,
          );
        }
      });

      await t.step("the same series on both sides", () => {
        for (const c of comparisons) {
          assertEquals(
            { onlyNetdata: c.onlyNetdata, onlySkiff: c.onlySkiff },
            { onlyNetdata: [], onlySkiff: [] },
            c.instance.name,
          );
        }
      });

      await t.step(
        "the same lines, but where a collection was stamped a little apart",
        () => {
          for (const c of comparisons) {
            if (c.instance.source === "average") {
              // Average windows end on aligned seconds, whatever the moment
              // within the second each side exports: every series must meet
              // in the middle cycles (a few fewer for charts updating every
              // 2 or 5 s).
              assert(
                c.common >= 3 * c.series,
                `${c.instance.name}: ${c.common} common lines for ${c.series} series\n${
                  report(c)
                }`,
              );
            } else if (c.common < c.series) {
              // As collected, each side sends the last collection before its
              // own export moment, which netdata randomizes per thread
              // (heartbeat randomness, 250-500 ms into the second; the child
              // collects at such a moment too). When the child's collections
              // arrive between the two sides' moments, the keys of 1 s charts
              // are one second apart in every cycle: nothing to compare.
              console.log(
                `${c.instance.name}: as-collected keys rarely meet this run ` +
                  `(export moments netdata ${c.netdataPhase}, skiff ${c.skiffPhase})`,
              );
            }
            assert(
              c.differing.length <=
                MAX_DIFFERING_SHARE[c.instance.source] * c.common,
              report(c),
            );
            if (c.instance.source === "average") {
              assert(
                median(c.differing.map((d) => d.relative)) <=
                  MAX_MEDIAN_RELATIVE,
                `${c.instance.name}: median relative difference\n${report(c)}`,
              );
              for (const d of c.differing) {
                assert(
                  d.ofNeighbours <= MAX_AVERAGE_SHIFT,
                  `${c.instance.name}: ${d.netdata} | ${d.skiff}`,
                );
              }
            }
          }
        },
      );
    } finally {
      await stopAll();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
      console.log(
        `export compat e2e took ${
          ((performance.now() - began) / 1000).toFixed(1)
        } s`,
      );
    }
  },
});
