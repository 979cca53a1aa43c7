/**
 * The exporting engine with several instances, on real sockets and a
 * manual clock: a blackholed instance delays nobody; with jittered
 * collection no timestamp is missing or repeated, the last cycle at
 * shutdown included.
 */
import { assert, assertEquals } from "../helpers/assert.ts";
import { ManualClock, realClock } from "../../lib/clock.ts";
import { parseConfig } from "../../lib/config/mod.ts";
import { ExportEngine } from "../../lib/export/mod.ts";
import { formatFixed7 } from "../../lib/export/format.ts";
import { Logger, memorySink } from "../../lib/log.ts";
import { HostWriter } from "../../lib/protocol/apply.ts";
import { ProtocolParser } from "../../lib/protocol/parser.ts";
import { valueAt } from "../../lib/storage/query.ts";
import { Database } from "../../lib/storage/rrd.ts";
import { until } from "../helpers/e2e.ts";
import { startBlackhole, TcpSink } from "../helpers/sinks.ts";

const T0_MS = 1_700_000_000_000;

function engineFor(db: Database, clock: ManualClock, text: string) {
  const { config, errors } = parseConfig(text, "test.conf", {
    systemHostname: "local",
  });
  assertEquals(errors, []);
  const logs = memorySink();
  const engine = new ExportEngine(db, config.exporting, {
    clock,
    timeoutClock: realClock,
    log: new Logger("export", { sink: logs.sink, level: "debug" }),
    localUpdateEverySec: config.global.updateEverySec,
  });
  return { engine, logs };
}

Deno.test({
  name: "exporting engine: instances on their own",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    await t.step(
      "a blackholed instance never delays another instance or collection",
      async () => {
        const hole = await startBlackhole();
        const sink = TcpSink.start();
        const clock = new ManualClock(T0_MS);
        const db = new Database({ hostname: "local" });
        const chart = db.localhost.addChart({
          id: "test.values",
          updateEverySec: 1,
          history: 60,
        });
        const dims = [0, 1, 2].map((i) => chart.addDimension(`d${i}`));
        const { engine, logs } = engineFor(
          db,
          clock,
          `[exporting:global]\nenabled = yes\nupdate every = 1\ndata source = as collected\n` +
            `[graphite:hole]\ndestination = 127.0.0.1:${hole.port}\ntimeout ms = 3000\n` +
            `[opentsdb:live]\ndestination = 127.0.0.1:${sink.port}\n`,
        );
        const [blocked, live] = engine.instances;
        try {
          for (let k = 1; k <= 3; k++) {
            await clock.advance(1000);
            for (const d of dims) d.set(k, clock.nowMs());
            chart.done(clock.nowMs() * 1000);
            const started = performance.now();
            const due = engine.tick();
            assertEquals(due.length, 2);
            await until(
              `batch ${k} at the live sink`,
              () =>
                sink.lines().filter((l) => l.startsWith("put netdata.test."))
                  .length === 3 * k,
            );
            // Well under the blackhole's 3 s connect timeout: the live
            // instance did not wait for it (loopback delivery and the poll
            // interval make the exact figure uncertain).
            const ms = performance.now() - started;
            assert(ms < 1500, `live batch ${k} took ${ms} ms`);
            assert(blocked.busy, "the blackholed instance is still connecting");
          }
          assertEquals(
            sink.lines().filter((l) => l.startsWith("put netdata.test."))
              .map((l) => l.split(" ").slice(1, 4).join(" ")),
            [1, 2, 3].flatMap((k) =>
              [0, 1, 2].map((i) =>
                `netdata.test.values.d${i} ${T0_MS / 1000 + k} ${k}`
              )
            ),
          );
          assertEquals(live.accounting().lost, 0);
          // The blackholed connect ends at its timeout, counted, data kept.
          await until("the blackholed connect timed out", () => !blocked.busy);
          const a = blocked.accounting();
          assertEquals(a.sent, 0);
          assertEquals(a.lost, 0);
          assertEquals(a.formatted, a.buffered);
          assert(a.formatted >= 9, `formatted ${a.formatted}`);
          assert(
            logs.lines.some((l) =>
              l.includes(
                `[graphite:hole] cannot connect: 127.0.0.1:${hole.port}: connect to 127.0.0.1:${hole.port} timed out after 3000 ms`,
              )
            ),
            logs.lines.join("\n"),
          );
          assertEquals(
            db.localhost.chart("netdata.exporting_hole_ops")!.dimension(
              "failure",
            )!.lastCollectedValue,
            1,
          );
        } finally {
          await engine.finalCycle(200);
          await hole.close();
          await sink.close();
        }
      },
    );

    await t.step(
      "shutdown: the last cycle ends at its deadline whatever a destination does",
      async () => {
        const hole = await startBlackhole();
        const sink = TcpSink.start();
        const clock = new ManualClock(T0_MS);
        const db = new Database({ hostname: "local" });
        const chart = db.localhost.addChart({
          id: "test.values",
          updateEverySec: 1,
          history: 60,
        });
        const dim = chart.addDimension("d");
        const { engine, logs } = engineFor(
          db,
          clock,
          `[exporting:global]\nenabled = yes\nupdate every = 1\ndata source = as collected\ntimeout ms = 10000\n` +
            `[graphite:hole]\ndestination = 127.0.0.1:${hole.port}\n` +
            `[graphite:live]\ndestination = 127.0.0.1:${sink.port}\n`,
        );
        try {
          await clock.advance(1000);
          dim.set(1, clock.nowMs());
          chart.done(clock.nowMs() * 1000);
          engine.tick(); // the blackholed instance starts a 10 s connect
          await clock.advance(500);
          dim.set(2, clock.nowMs());
          chart.done(clock.nowMs() * 1000);
          const started = performance.now();
          await engine.finalCycle(1000);
          const ms = performance.now() - started;
          // The deadline, plus scheduling on a loaded 2-core machine.
          assert(ms < 1500, `the last cycle took ${ms} ms`);
          await until(
            "the live sink has both collections",
            () =>
              sink.lines().filter((l) => l.startsWith("netdata.local.test."))
                .length === 2,
          );
          assert(
            logs.lines.some((l) =>
              l.includes("[graphite:hole] last cycle timed out after 1000 ms")
            ),
            logs.lines.join("\n"),
          );
          assert(
            logs.lines.some((l) =>
              /\[graphite:hole\] stopped: 0 metrics sent, 0 lost, [1-9]\d* unsent at exit/
                .test(l)
            ),
            logs.lines.join("\n"),
          );
          assertEquals(engine.instance("hole")!.sender.connected, false);
        } finally {
          await hole.close();
          await sink.close();
        }
      },
    );

    await t.step(
      "jittered collection (0.8-1.2 s), update every 1, 60 cycles: every slot once, the shutdown cycle included",
      async () => {
        const sink = TcpSink.start();
        const clock = new ManualClock(T0_MS + 300);
        const db = new Database({ hostname: "local" });
        const host = db.addHost({ hostname: "jitter", machineGuid: "j-1" });
        const parser = new ProtocolParser(
          new HostWriter(host, {
            clock,
            defaultUpdateEverySec: 1,
            historyEntries: 300,
            trustDurations: false,
            pluginName: "jitter.plugin",
          }),
        );
        const lines = (text: string) =>
          text.split("\n").forEach((l) => parser.parseLine(l));
        lines(
          "CHART jitter.values '' '' '' '' '' line 1 1\nDIMENSION a '' absolute 1 1\nDIMENSION b '' absolute 1 100",
        );
        const { engine } = engineFor(
          db,
          clock,
          `[graphite:avg]\nenabled = yes\nupdate every = 1\ndestination = 127.0.0.1:${sink.port}\nsend hosts matching = jitter\n` +
            `[opentsdb:raw]\nenabled = yes\nupdate every = 1\ndata source = as collected\ndestination = 127.0.0.1:${sink.port}\nsend hosts matching = jitter\n`,
        );
        // A deterministic pseudo-random jitter.
        let seed = 7;
        const jitterMs = () => {
          seed = (seed * 1103515245 + 12345) % 2 ** 31;
          return 800 + (seed % 401);
        };
        let nextCollect = clock.nowMs();
        let nextTick = T0_MS + 1000;
        let collections = 0;
        let ticks = 0;
        // as collected sends a dimension's newest collection once: ticks
        // that found a new one.
        let collectedAtLastTick = 0;
        let ticksWithNew = 0;
        while (ticks < 60) {
          if (nextCollect < nextTick) {
            await clock.advanceTo(nextCollect);
            collections++;
            lines(
              `BEGIN jitter.values\nSET a = ${collections * 10}\nSET b = ${
                collections * 7
              }\nEND`,
            );
            nextCollect += jitterMs();
          } else {
            await clock.advanceTo(nextTick);
            engine.tick();
            ticks++;
            if (collections > collectedAtLastTick) ticksWithNew++;
            collectedAtLastTick = collections;
            nextTick += 1000;
            await Promise.all(engine.instances.map((i) => i.flush()));
          }
        }
        // Stop right after the last tick, in the same second.
        await engine.finalCycle(1000);
        const raw = (dim: string) =>
          sink.lines().filter((l) =>
            l.startsWith(`put netdata.jitter.values.${dim} `)
          );
        await until(
          "the sink has everything sent",
          () =>
            raw("a").length === ticksWithNew &&
            raw("b").length === ticksWithNew,
        );
        const chart = host.chart("jitter.values")!;
        for (const dim of ["a", "b"]) {
          const avg = sink.lines().filter((l) =>
            l.startsWith(`netdata.jitter.jitter.values.${dim} `)
          );
          const stamps = avg.map((l) => Number(l.split(" ")[2]));
          assertEquals(
            new Set(stamps).size,
            stamps.length,
            `${dim}: no timestamp twice`,
          );
          // Every stored slot from the first exported to the last, once,
          // with its stored value.
          const first = stamps[0];
          const last = stamps.at(-1)!;
          const stored: string[] = [];
          for (let s = first; s <= last; s++) {
            const v = valueAt(chart, chart.dimension(dim)!, s);
            if (!Number.isNaN(v)) stored.push(`${formatFixed7(v)} ${s}`);
          }
          assertEquals(
            avg.map((l) => l.split(" ").slice(1).join(" ")),
            stored,
            `${dim}: every slot once`,
          );
          assertEquals(stored.length, last - first + 1, `${dim}: no gap`);
          // The first cycles read nothing yet (the newest three slots wait),
          // so 60 cycles export at least 55 slots.
          assert(stamps.length >= 55, `${dim}: ${stamps.length} slots`);
          // as collected: the newest collection at each tick, once (a
          // dimension collected twice between two ticks sends its last
          // value, as netdata does).
          assertEquals(new Set(raw(dim)).size, ticksWithNew);
        }
        await sink.close();
      },
    );
  },
});
