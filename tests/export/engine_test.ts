import { until } from "../helpers/e2e.ts";
import { assert, assertEquals, assertMatch } from "../helpers/assert.ts";
import { ManualClock, realClock } from "../../lib/clock.ts";
import { parseConfig } from "../../lib/config/mod.ts";
import { ExportInstance } from "../../lib/export/mod.ts";
import type { CycleReport } from "../../lib/export/mod.ts";
import { Logger, memorySink } from "../../lib/log.ts";
import { Database } from "../../lib/storage/rrd.ts";
import { refusedPort, TcpSink } from "../helpers/sinks.ts";

/** A database with one chart of `dims` dimensions, collected on demand. */
function fixture(
  options: { dims?: number; backend: string; history?: number },
) {
  const clock = new ManualClock(1_700_000_000_000);
  const db = new Database({ hostname: "local" });
  const chart = db.localhost.addChart({
    id: "test.values",
    updateEverySec: 1,
    history: options.history ?? 60,
  });
  const dims = Array.from(
    { length: options.dims ?? 3 },
    (_, i) => chart.addDimension(`d${i}`),
  );
  let k = 0;
  const collect = () => {
    k++;
    for (let i = 0; i < dims.length; i++) {
      dims[i].set(k * 1000 + i, clock.nowMs());
    }
    chart.done(clock.nowMs() * 1000);
  };
  const { config, errors } = parseConfig(
    `[backend]\nenabled = yes\n${options.backend}\n`,
    "test.conf",
    {
      systemHostname: "local",
    },
  );
  assertEquals(errors, []);
  const logs = memorySink();
  const exporter = new ExportInstance(config.exporting.at(-1)!, {
    clock,
    timeoutClock: realClock,
    log: new Logger("export", { sink: logs.sink, level: "debug" }),
    chartsHost: db.localhost,
  });
  const cycle = async (): Promise<CycleReport> => {
    await clock.advance(1000);
    collect();
    const r = await exporter.cycle(db, clock.nowMs());
    const a = exporter.accounting();
    assertEquals(
      a.formatted,
      a.sent + a.lost + a.buffered,
      `invariant after cycle: ${JSON.stringify(a)}`,
    );
    assertEquals(r.bufferedMetrics, a.buffered);
    return r;
  };
  return { clock, db, exporter, cycle, logs, config };
}

const selfValue = (db: Database, chart: string, dim: string) =>
  db.localhost.chart(chart)!.dimension(dim)!.lastCollectedValue;

Deno.test("exporter against real sockets", async (t) => {
  await t.step(
    "connection refused: failure counted, everything kept",
    async () => {
      const f = fixture({
        backend:
          `destination = 127.0.0.1:${refusedPort()}\ndata source = as collected\ntimeout ms = 500`,
      });
      const r = await f.cycle();
      assertEquals([r.failures, r.writes, r.reconnects, r.sentMetrics], [
        1,
        0,
        1,
        0,
      ]);
      assertEquals(r.bufferedMetrics, r.formattedMetrics);
      assertEquals(selfValue(f.db, "netdata.backend_ops", "failure"), 1);
      assertEquals(
        selfValue(f.db, "netdata.backend_metrics", "buffered"),
        r.formattedMetrics,
      );
      assert(
        f.logs.lines.some((l) => l.includes("cannot connect: 127.0.0.1:")),
      );
    },
  );

  await t.step(
    "first destination dead, second alive: failover in the same cycle",
    async () => {
      const sink = TcpSink.start();
      try {
        const f = fixture({
          backend:
            `destination = 127.0.0.1:${refusedPort()} 127.0.0.1:${sink.port}\ndata source = as collected\ntimeout ms = 500`,
        });
        const r = await f.cycle();
        assertEquals([r.failures, r.writes, r.reconnects], [0, 1, 2]);
        assertEquals(r.sentMetrics, r.formattedMetrics);
        await until(
          "the sink received it",
          () => sink.lines().length === r.formattedMetrics,
        );
        assertEquals(
          sink.lines()[0],
          `netdata.local.test.values.d0 1000 ${f.clock.nowMs() / 1000}`,
        );
        const r2 = await f.cycle();
        assertEquals(r2.reconnects, 0, "stays connected");
      } finally {
        await sink.close();
      }
    },
  );

  await t.step(
    "destination back after 3 failed cycles: everything arrives exactly once, in order",
    async () => {
      const port = refusedPort();
      const f = fixture({
        backend:
          `destination = 127.0.0.1:${port}\ndata source = as collected\ntimeout ms = 500`,
      });
      let formatted = 0;
      for (let i = 0; i < 3; i++) {
        const r = await f.cycle();
        assertEquals(r.failures, 1);
        formatted += r.formattedMetrics;
      }
      const sink = TcpSink.start({ kind: "read" }, "127.0.0.1", port);
      try {
        const r = await f.cycle();
        formatted += r.formattedMetrics;
        assertEquals(r.writes, 1);
        assertEquals(r.sentMetrics, formatted);
        assertEquals(f.exporter.accounting().lost, 0);
        await until(
          "the sink received it",
          () => sink.lines().length === formatted,
        );
        const lines = sink.lines();
        assertEquals(new Set(lines).size, lines.length, "no line twice");
        // In order: every series' timestamps rise, batch after batch.
        const last = new Map<string, number>();
        for (const l of lines) {
          const [name, , ts] = l.split(" ");
          assert((last.get(name) ?? 0) < Number(ts), `${name} out of order`);
          last.set(name, Number(ts));
        }
        assertEquals(
          selfValue(f.db, "netdata.backend_metrics", "sent"),
          formatted,
        );
      } finally {
        await sink.close();
      }
    },
  );

  await t.step(
    "outage longer than buffer on failures: the loss is counted exactly",
    async () => {
      const f = fixture({
        backend:
          `destination = 127.0.0.1:${refusedPort()}\ndata source = as collected\nbuffer on failures = 2\ntimeout ms = 500`,
      });
      const reports: CycleReport[] = [];
      for (let i = 0; i < 4; i++) reports.push(await f.cycle());
      // As netdata 1.37: the last 2 batches are kept; each one more drops
      // the oldest (cycle 3 drops cycle 1's, cycle 4 cycle 2's).
      assertEquals(reports.map((r) => r.discards), [0, 0, 1, 1]);
      assertEquals(reports[2].lostMetrics, reports[0].formattedMetrics);
      assertEquals(reports[3].lostMetrics, reports[1].formattedMetrics);
      assertEquals(
        f.exporter.accounting().lost,
        reports[0].formattedMetrics + reports[1].formattedMetrics,
      );
      assertEquals(
        reports[3].bufferedMetrics,
        reports[2].formattedMetrics + reports[3].formattedMetrics,
      );
      assert(
        f.logs.lines.some((l) =>
          /dropped the oldest 1 unsent batches, \d+ metrics .* more than "buffer on failures" \(2 batches\)/
            .test(l)
        ),
      );
      // The lost count was charted when it happened.
      const lost = f.db.localhost.chart("netdata.backend_metrics")!.dimension(
        "lost",
      )!;
      assertEquals(lost.lastCollectedValue, reports[1].formattedMetrics);
    },
  );

  await t.step(
    "accept and never read: the write stalls, costs at most the timeout, data kept",
    async () => {
      const sink = TcpSink.start({ kind: "never-read" });
      try {
        // ~14 MB in one batch: more than loopback socket buffers take.
        const f = fixture({
          dims: 300_000,
          history: 5,
          backend:
            `destination = 127.0.0.1:${sink.port}\ndata source = as collected\ntimeout ms = 400`,
        });
        const t0 = performance.now();
        const r = await f.cycle();
        const elapsed = performance.now() - t0;
        assertEquals(r.failures, 1);
        assert(elapsed < 400 + 2500, `cycle took ${elapsed} ms`);
        assert(r.sentBytes < r.formattedBytes, "not everything was taken");
        assert(r.bufferedMetrics > 0);
        assert(
          f.logs.lines.some((l) =>
            /write to 127\.0\.0\.1:\d+ timed out after 400 ms/.test(l)
          ),
        );

        // The peer starts reading: the rest goes on a new connection, from a line start, once.
        sink.mode = { kind: "read" };
        const before = f.exporter.accounting();
        const r2 = await f.cycle();
        assertEquals(r2.writes, 1);
        assertEquals(r2.reconnects, 1);
        await until(
          "the sink received it",
          () => sink.lines().length === before.buffered + r2.formattedMetrics,
        );
        const lines = sink.lines();
        assertMatch(lines[0], /^netdata\.local\.test\.values\.d\d+ \d+ \d+$/);
        assertEquals(new Set(lines).size, lines.length);
      } finally {
        await sink.close();
      }
    },
  );

  await t.step(
    "peer closes in the middle of a batch: resumes on a new connection, no line twice",
    async () => {
      const sink = TcpSink.start({ kind: "close-after", bytes: 1_000_000 });
      try {
        const f = fixture({
          dims: 300_000,
          history: 5,
          backend:
            `destination = 127.0.0.1:${sink.port}\ndata source = as collected\ntimeout ms = 2000`,
        });
        const r = await f.cycle();
        assertEquals(r.failures, 1);
        assert(r.sentBytes >= 1_000_000);
        const r2 = await f.cycle();
        assertEquals(r2.writes, 1);
        await until(
          "the sink received it",
          () =>
            sink.text().slice(1_000_000).split("\n").length - 1 ===
              r.bufferedMetrics + r2.formattedMetrics,
        );
        // The first connection took exactly 1,000,000 bytes, cut mid-line.
        const text = sink.text();
        const first = text.slice(0, 1_000_000).split("\n").slice(0, -1);
        const second = text.slice(1_000_000).split("\n").slice(0, -1);
        assertMatch(
          second[0],
          /^netdata\.local\.test\.values\.d\d+ \d+ \d+$/,
          "starts at a line boundary",
        );
        const whole = [...first, ...second];
        assertEquals(
          new Set(whole).size,
          whole.length,
          "no complete line arrived twice",
        );
      } finally {
        await sink.close();
      }
    },
  );

  await t.step(
    "slow reader within the timeout: everything arrives",
    async () => {
      const sink = TcpSink.start({
        kind: "slow",
        bytesPerRead: 64 * 1024,
        pauseMs: 2,
      });
      try {
        const f = fixture({
          dims: 50_000,
          history: 5,
          backend:
            `destination = 127.0.0.1:${sink.port}\ndata source = as collected\ntimeout ms = 3000`,
        });
        const r = await f.cycle();
        assertEquals([r.failures, r.writes], [0, 1]);
        assertEquals(r.sentMetrics, r.formattedMetrics);
        await until(
          "the sink received it",
          () => sink.lines().length === r.formattedMetrics,
        );
      } finally {
        await sink.close();
      }
    },
  );

  await t.step("IPv6 loopback [::1]", async () => {
    let sink: TcpSink;
    try {
      sink = TcpSink.start({ kind: "read" }, "::1");
    } catch (err) {
      throw new Error(
        `this machine has no IPv6 loopback: ${(err as Error).message}`,
      );
    }
    try {
      const f = fixture({
        backend:
          `destination = [::1]:${sink.port}\ndata source = as collected\ntimeout ms = 500`,
      });
      const r = await f.cycle();
      assertEquals(r.writes, 1);
      await until(
        "the sink received it",
        () => sink.lines().length === r.formattedMetrics,
      );
    } finally {
      await sink.close();
    }
  });

  await t.step(
    "what the backend answers is read, counted and logged with a sample",
    async () => {
      const sink = TcpSink.start({ kind: "reply", text: "OK\x01bye\n" });
      try {
        const f = fixture({
          backend:
            `destination = 127.0.0.1:${sink.port}\ndata source = as collected\ntimeout ms = 500`,
        });
        await f.cycle();
        await until("the sink received it", () => sink.connections === 1);
        await new Promise((r) => setTimeout(r, 50)); // the reply crosses loopback
        const r2 = await f.cycle();
        assertEquals(r2.receivedBytes, 7);
        assert(r2.reads >= 1);
        assert(
          f.logs.lines.some((l) =>
            l.includes(
              "[backend] received 7 bytes from graphite destination; ignoring them. Sample: 'OK bye '",
            )
          ),
        );
        assertEquals(selfValue(f.db, "netdata.backend_bytes", "received"), 7);
      } finally {
        await sink.close();
      }
    },
  );

  await t.step(
    "opentsdb lines and the self-monitoring charts are exported too",
    async () => {
      const sink = TcpSink.start();
      try {
        const f = fixture({
          backend:
            `type = opentsdb\ndestination = 127.0.0.1:${sink.port}\ndata source = as collected\nprefix = edge`,
        });
        await f.cycle();
        const r2 = await f.cycle();
        await until(
          "the sink received it",
          () =>
            sink.lines().some((l) =>
              l.startsWith("put edge.netdata.backend_metrics.sent ")
            ),
        );
        assert(
          sink.lines().every((l) =>
            /^put edge\.\S+ \d+ -?\d+ host=local$/.test(l)
          ),
          sink.lines()[0],
        );
        assert(r2.formattedMetrics > 3);
      } finally {
        await sink.close();
      }
    },
  );

  await t.step(
    "average: the self charts, completed after formatting, are exported the next cycle",
    async () => {
      const sink = TcpSink.start();
      try {
        const f = fixture({
          backend:
            `destination = 127.0.0.1:${sink.port}\ndata source = average\nupdate every = 1`,
        });
        for (let i = 0; i < 10; i++) await f.cycle();
        const writes = () =>
          sink.lines().filter((l) =>
            l.startsWith("netdata.local.netdata.backend_ops.write ")
          );
        // Cycle k runs at T0+k and reads slots up to T0+k-3. The test
        // chart's first completion (k=1) stores nothing, so cycles 1-4 send
        // nothing (no write: 0 at slots T0+2..T0+4); cycle 5 on write once
        // each. Cycles up to 10 read slots T0+2..T0+7 of the ops chart.
        const t0 = 1_700_000_000;
        await until("the sink received it", () => writes().length === 6);
        assertEquals(
          writes().map((l) => l.split(" ").slice(1).join(" ")),
          [0, 0, 0, 1, 1, 1].map((v, i) => `${v}.0000000 ${t0 + 2 + i}`),
        );
      } finally {
        await sink.close();
      }
    },
  );
});
