/**
 * End to end, in process: two hosts in storage (the local one, collected
 * through the storage API, and a remote one fed through the protocol parser
 * as a streaming child would), a manual clock stepping through one minute
 * that ended a few minutes ago, and exporters sending to a real
 * VictoriaMetrics (Graphite and OpenTSDB listeners) and a real carbon-cache.
 * The servers must hold exactly the values and timestamps computed by hand
 * from the input, for every data source.
 */
import { assert, assertEquals } from "../helpers/assert.ts";
import { ManualClock, realClock } from "../../lib/clock.ts";
import { parseConfig } from "../../lib/config/mod.ts";
import { ExportInstance } from "../../lib/export/mod.ts";
import { formatFixed7 } from "../../lib/export/format.ts";
import { Logger, memorySink } from "../../lib/log.ts";
import { HostWriter } from "../../lib/protocol/apply.ts";
import { ProtocolParser } from "../../lib/protocol/parser.ts";
import { Database } from "../../lib/storage/rrd.ts";
import { haveBinary, waitFor } from "../helpers/e2e.ts";
import {
  CARBON_BIN,
  startCarbon,
  startVictoria,
  VICTORIA_BIN,
} from "../helpers/servers.ts";

/** Export every 10 s over 60 s of collection every second. */
const EXPORT_EVERY = 10;
const SECONDS = 60;
/** Start of the simulated minute: aligned, 10 minutes ago. */
const T0 = Math.floor(Date.now() / 60_000) * 60 - 600;

/** Collected value of `ramp` at second t on host `a` (x1) and `b` (x2). */
const ramp = (t: number, factor: number) => (t - T0) * factor;

interface Run {
  exporter: ExportInstance;
  logs: ReturnType<typeof memorySink>;
}

/**
 * Builds the two-host database and an exporter with `backend` keys, then
 * steps the manual clock second by second: collect both hosts, and every
 * EXPORT_EVERY seconds run one export cycle to the real server.
 */
async function simulate(
  backend: string,
  section = "backend",
): Promise<Run> {
  const clock = new ManualClock(T0 * 1000);
  const db = new Database({ hostname: "ignored-system-name" });
  const { config, errors } = parseConfig(
    `[global]\nhostname = edge-a\n[${section}]\nenabled = yes\nupdate every = ${EXPORT_EVERY}\n${backend}\n`,
    "e2e.conf",
    { systemHostname: "ignored-system-name" },
  );
  assertEquals(errors, []);
  const logs = memorySink();
  const exporter = new ExportInstance(config.exporting[0], {
    clock,
    timeoutClock: realClock,
    log: new Logger("export", { sink: logs.sink, level: "debug" }),
    chartsHost: db.localhost,
  });

  // Host a: the local host, written through the storage API.
  const chartA = db.localhost.addChart({
    id: "e2e.values",
    updateEverySec: 1,
    history: 600,
  });
  const constA = chartA.addDimension("const");
  const rampA = chartA.addDimension("ramp");
  const scaledA = chartA.addDimension("scaled", { divisor: 1000 });

  // Host b: a remote host, written through the protocol parser.
  const hostB = db.addHost({ hostname: "edge-b", machineGuid: "e2e-b-guid" });
  const parserB = new ProtocolParser(
    new HostWriter(hostB, {
      clock,
      defaultUpdateEverySec: 1,
      historyEntries: 600,
      trustDurations: true,
      pluginName: "stream",
    }),
  );
  const feedB = (text: string) => {
    for (const l of text.split("\n")) parserB.parseLine(l);
  };
  feedB(
    `CHART e2e.values '' 'values' 'n' e2e e2e.values line 1 1\n` +
      `DIMENSION const '' absolute 1 1\n` +
      `DIMENSION ramp '' absolute 2 1\n` +
      `DIMENSION scaled '' absolute 1 1000`,
  );

  for (let t = T0; t <= T0 + SECONDS; t++) {
    await clock.advanceTo(t * 1000);
    constA.set(42, clock.nowMs());
    rampA.set(ramp(t, 1), clock.nowMs());
    scaledA.set(12345, clock.nowMs());
    chartA.done(clock.nowMs() * 1000);
    feedB(
      `BEGIN e2e.values ${t === T0 ? 0 : 1_000_000}\nSET const = 42\n` +
        `SET ramp = ${t - T0}\nSET scaled = 12345\nEND`,
    );
    if (t > T0 && (t - T0) % EXPORT_EVERY === 0) {
      const r = await exporter.cycle(db, clock.nowMs());
      const a = exporter.accounting();
      assertEquals(a.formatted, a.sent + a.lost + a.buffered);
      assertEquals(
        [r.failures, a.lost, a.buffered],
        [0, 0, 0],
        `cycle at ${t}: ${logs.lines.join("\n")}`,
      );
    }
  }
  return { exporter, logs };
}

/**
 * The timestamps of the cycles whose windows are whole. As netdata 1.37:
 * the cycle at b reads the slots b-12 .. b-3 (two slots back, the newest
 * left for the next cycle) and stamps them b-3.
 */
const fullWindows = () => {
  const ends: number[] = [];
  for (let b = T0 + 2 * EXPORT_EVERY; b <= T0 + SECONDS; b += EXPORT_EVERY) {
    ends.push(b - 3);
  }
  return ends;
};

/** Average of ramp over the 10 slots ending at b: the mean of b-9 .. b. */
const rampAverage = (b: number, f: number) =>
  (ramp(b - EXPORT_EVERY + 1, f) + ramp(b, f)) / 2;
const rampSum = (b: number, f: number) => rampAverage(b, f) * EXPORT_EVERY;

/** `timestamp(s) -> value` from a VictoriaMetrics series. */
function byTime(s: { values: number[]; timestamps: number[] }) {
  return new Map(s.timestamps.map((ts, i) => [ts / 1000, s.values[i]]));
}

Deno.test({
  name: "two hosts exported to real VictoriaMetrics and carbon-cache",
  ignore: !haveBinary(VICTORIA_BIN, "victoria-metrics") ||
    !haveBinary(CARBON_BIN, "graphite-carbon python3-whisper"),
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const vm = await startVictoria();
    const carbon = await startCarbon();
    try {
      const graphite =
        `type = graphite\ndestination = 127.0.0.1:${vm.graphitePort}`;
      const hosts: [string, number][] = [["edge-a", 1], ["edge-b", 2]];

      /** Waits until `count` series match and each has every time in `times`. */
      const settled = (regex: string, count: number, times: number[]) =>
        waitFor(regex, async () => {
          const s = await vm.series(regex);
          const complete = s.length === count &&
            s.every((x) => times.every((t) => x.timestamps.includes(t * 1000)));
          return complete ? s : undefined;
        });
      const allCycles: number[] = [];
      for (let b = T0 + EXPORT_EVERY; b <= T0 + SECONDS; b += EXPORT_EVERY) {
        allCycles.push(b);
      }

      await t.step(
        "graphite, as collected: last value and its time",
        async () => {
          await simulate(
            `${graphite}\ndata source = as collected\nprefix = collected`,
          );
          for (const [host] of hosts) {
            const [ramps] = await settled(
              `collected[.]${host}[.]e2e[.]values[.]ramp`,
              1,
              allCycles,
            );
            const m = byTime(ramps);
            // the raw collected number, before multiplier and divisor, as netdata sends it
            for (const b of allCycles) {
              assertEquals(m.get(b), ramp(b, 1), `${host} ramp at ${b}`);
            }
            const [scaled] = await settled(
              `collected[.]${host}[.]e2e[.]values[.]scaled`,
              1,
              allCycles,
            );
            assertEquals(new Set(scaled.values), new Set([12345]));
          }
        },
      );

      await t.step(
        "graphite, average: means of the stored slots at the window end",
        async () => {
          await simulate(
            `${graphite}\ndata source = average\nprefix = average`,
          );
          for (const [host, f] of hosts) {
            const got = await settled(
              `average[.]${host}[.]e2e[.]values[.](ramp|scaled|const)`,
              3,
              fullWindows(),
            );
            const dim = (id: string) =>
              byTime(
                got.find((s) => s.metric.__name__.endsWith(id))!,
              );
            for (const b of fullWindows()) {
              assertEquals(
                dim("ramp").get(b),
                rampAverage(b, f),
                `${host} ramp avg at ${b}`,
              );
              assertEquals(dim("const").get(b), 42);
              assertEquals(dim("scaled").get(b), 12.345);
            }
          }
        },
      );

      await t.step("graphite, sum: totals of the stored slots", async () => {
        await simulate(`${graphite}\ndata source = sum\nprefix = sum`);
        for (const [host, f] of hosts) {
          const [got] = await settled(
            `sum[.]${host}[.]e2e[.]values[.]ramp`,
            1,
            fullWindows(),
          );
          const m = byTime(got);
          for (const b of fullWindows()) {
            assertEquals(m.get(b), rampSum(b, f), `${host} ramp sum at ${b}`);
          }
        }
      });

      await t.step("opentsdb, average: host as a tag", async () => {
        await simulate(
          `type = opentsdb\ndestination = 127.0.0.1:${vm.opentsdbPort}\ndata source = average\nprefix = tsdb`,
        );
        const got = await settled(
          `tsdb[.]e2e[.]values[.]ramp`,
          2,
          fullWindows(),
        );
        for (const [host, f] of hosts) {
          const s = got.find((x) => x.metric.host === host);
          assert(
            s,
            `no series with host=${host}: ${
              JSON.stringify(got.map((x) => x.metric))
            }`,
          );
          const m = byTime(s);
          for (const b of fullWindows()) {
            assertEquals(m.get(b), rampAverage(b, f));
          }
        }
      });

      await t.step(
        "opentsdb:http, average: POST /api/put to VictoriaMetrics",
        async () => {
          await simulate(
            `destination = 127.0.0.1:${vm.opentsdbHttpPort}\ndata source = average\nprefix = tsdbhttp\nsend configured labels = no`,
            "opentsdb:http:vm",
          );
          const got = await settled(
            `tsdbhttp[.]e2e[.]values[.]ramp`,
            2,
            fullWindows(),
          );
          for (const [host, f] of hosts) {
            const s = got.find((x) => x.metric.host === host)!;
            const m = byTime(s);
            for (const b of fullWindows()) {
              assertEquals(m.get(b), rampAverage(b, f));
            }
          }
        },
      );

      await t.step(
        "carbon-cache, average: the whisper files hold the same numbers",
        async () => {
          const run = await simulate(
            `type = graphite\ndestination = 127.0.0.1:${carbon.port}\ndata source = average\nprefix = carbon`,
          );
          assert(run.exporter.accounting().sent > 0);
          for (const [host, f] of hosts) {
            const m = await waitFor(
              `carbon.${host} whisper points`,
              async () => {
                try {
                  const m = await carbon.fetch(
                    `carbon.${host}.e2e.values.ramp`,
                    T0 - 10,
                  );
                  return fullWindows().every((b) => m.has(b)) ? m : undefined;
                } catch {
                  return undefined;
                }
              },
              30000,
            );
            for (const b of fullWindows()) {
              // whisper keeps doubles; compare the 7-decimal text skiff sent
              assertEquals(
                formatFixed7(m.get(b)!),
                formatFixed7(rampAverage(b, f)),
              );
            }
            const scaled = await carbon.fetch(
              `carbon.${host}.e2e.values.scaled`,
              T0 - 10,
            );
            for (const b of fullWindows()) assertEquals(scaled.get(b), 12.345);
          }
        },
      );
    } finally {
      await vm.stop();
      await carbon.stop();
    }
  },
});
