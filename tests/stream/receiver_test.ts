/**
 * The streaming receiver against real sockets: the captured netdata 1.37.1
 * child replayed byte for byte, refusals, garbage, oversize lines, idle
 * children, limits, HTTP on the same port, and skiff streaming to skiff.
 */
import {
  assert,
  assertEquals,
  assertMatch,
  assertStringIncludes,
} from "../helpers/assert.ts";
import { ManualClock, realClock } from "../../lib/clock.ts";
import { parseConfig } from "../../lib/config/mod.ts";
import { ExportInstance } from "../../lib/export/mod.ts";
import { Logger, memorySink } from "../../lib/log.ts";
import { valueAt } from "../../lib/storage/query.ts";
import { Database } from "../../lib/storage/rrd.ts";
import { StreamReceiver } from "../../lib/stream/receiver.ts";
import { StreamSender } from "../../lib/stream/sender.ts";
import { guidFromName, NOT_PERMITTED } from "../../lib/stream/handshake.ts";
import { TcpSink } from "../helpers/sinks.ts";
import { until } from "../helpers/e2e.ts";
import {
  CAPTURED_BODY as BODY,
  CAPTURED_HEAD as HEAD,
  KEY,
  rawChild as child,
  startReceiver,
  streamHead as head,
  testGuid as guid,
} from "../helpers/stream_receiver.ts";

function setup(
  extra = "",
  clock = new ManualClock(Math.floor(Date.now() / 1000) * 1000),
) {
  const r = startReceiver(
    `[global]\nhostname = parent\n[web]\nmode = static-threaded\nbind to = 127.0.0.1:0\n` +
      `stream idle timeout seconds = 30\nstream max line length = 4096\nmark hosts orphan after seconds = 60\n` +
      `[${KEY}]\nenabled = yes\nmax charts per host = 100\n${extra}`,
    { clock },
  );
  return { ...r, clock, logs: { lines: r.lines } };
}

Deno.test({
  name: "stream receiver on real sockets",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    await t.step({
      name:
        "the captured netdata 1.37.1 child: version 4, its host, charts, labels and values stored",
      async fn() {
        const s = setup();
        try {
          const c = await child(s.port);
          await c.send(HEAD);
          assertEquals(
            await c.read(),
            "Hit me baby, push them over with the version=4",
          );
          await c.send(BODY);
          await until(
            "all lines applied",
            () => s.receiver.stats.linesReceived >= 399,
          );
          const host = s.db.hostByName("ndchild")!;
          assert(host, "host ndchild exists");
          assertEquals(
            host.machineGuid,
            "ee05f1ca-e878-11f1-9507-02fc00000001",
          );
          assertEquals([host.os, host.timezone, host.connected], [
            "linux",
            "Etc/UTC",
            true,
          ]);
          assertEquals(host.info.get("NETDATA_SYSTEM_KERNEL_NAME"), "Linux");
          assertEquals(host.labels.get("_os_name"), {
            value: "unknown",
            source: 1,
          });
          assertEquals(host.charts.size, 27);
          const cpu = host.chart("system.cpu")!;
          assertEquals(cpu.dimensions.length, 10);
          assertEquals(cpu.dimension("idle")!.hidden, true);
          assertEquals(cpu.dimension("user")!.lastCollectedValue > 0, true);
          assert(
            !s.logs.lines.some((l) => l.includes(" error ")),
            s.logs.lines.join("\n"),
          );

          // the child goes away: the host stays, marked orphan after the configured time
          c.close();
          await until("disconnect noticed", () => !host.connected);
          s.receiver.markOrphans(s.clock.nowMs() + 59_000, 60_000);
          assertEquals(host.orphan, false);
          s.receiver.markOrphans(s.clock.nowMs() + 60_000, 60_000);
          assertEquals(host.orphan, true);
          assertEquals(host.chart("system.cpu"), cpu, "history kept");

          // it comes back: the same host, no longer orphan
          const again = await child(s.port);
          await again.send(HEAD);
          assertMatch(await again.read(), /version=4$/);
          await until("reconnected", () => host.connected);
          assertEquals([s.db.size, host.orphan], [2, false]);
          again.close();
        } finally {
          await s.stop();
        }
      },
    });

    await t.step(
      "bad API key, disabled key, GUID twice: refused as netdata answers, logged with the peer",
      async () => {
        const s = setup(
          `[22222222-2222-3333-4444-555555555555]\nenabled = no\n`,
        );
        try {
          const unknown = await child(s.port);
          await unknown.send(
            head("intruder", guid(1), "99999999-2222-3333-4444-555555555555"),
          );
          const answer = await unknown.readToEnd();
          assertMatch(answer, /^HTTP\/1.1 401 Unauthorized/);
          assertStringIncludes(answer, NOT_PERMITTED);
          assert(
            s.logs.lines.some((l) =>
              /STREAM intruder \[receive from 127\.0\.0\.1:\d+\]: access denied: unknown API key 9999/
                .test(l)
            ),
            s.logs.lines.join("\n"),
          );
          const disabled = await child(s.port);
          await disabled.send(
            head("off", guid(2), "22222222-2222-3333-4444-555555555555"),
          );
          assertMatch(await disabled.readToEnd(), /401/);
          assert(s.logs.lines.some((l) => l.includes("is not enabled")));

          const first = await child(s.port);
          await first.send(head("twin", guid(3)));
          assertMatch(await first.read(), /version=4/);
          const second = await child(s.port);
          await second.send(head("twin", guid(3)));
          assertEquals(
            await second.readToEnd(),
            "This GUID is already streaming to this server",
          );
          first.close();
          assertEquals(s.receiver.stats.refused, 3);
          assertEquals(
            s.db.hostByName("intruder"),
            undefined,
            "nothing made for a refused child",
          );
        } finally {
          await s.stop();
        }
      },
    );

    await t.step(
      "garbage and an oversize line disconnect that child only; stored data stays",
      async () => {
        const s = setup();
        try {
          const good = await child(s.port);
          await good.send(head("good", guid(10)));
          await good.read();
          await good.send(
            `CHART "t.c" "" "t" "n" "f" "t.c" "line" 1 1 "" "p" "m"\nDIMENSION "v" "" "absolute" 1 1 ""\n`,
          );
          await good.send(`BEGIN "t.c" 0\nSET "v" = 7\nEND\n`);
          const host = () => s.db.hostByName("good");
          await until(
            "good stored",
            () =>
              host()?.chart("t.c")?.dimension("v")?.lastCollectedValue === 7,
          );

          const garbage = await child(s.port);
          await garbage.send(head("garbage", guid(11)));
          await garbage.read();
          await garbage.send(
            `CHART "g.c" "" "t" "n" "f" "g.c" "line" 1 1 "" "p" "m"\nDIMENSION "v" "" "absolute" 1 1 ""\n`,
          );
          await garbage.send(
            `BEGIN "g.c" 0\nSET "v" = 5\nEND\n\x00\x01binary junk here\n`,
          );
          assertEquals(await garbage.readToEnd(), "", "disconnected");
          assert(
            s.logs.lines.some((l) =>
              /STREAM garbage \[receive from 127\.0\.0\.1:\d+\]: line 6: unknown keyword/
                .test(l)
            ),
            s.logs.lines.join("\n"),
          );
          assertEquals(
            s.db.hostByName("garbage")!.chart("g.c")!.dimension("v")!
              .lastCollectedValue,
            5,
            "kept",
          );

          const big = await child(s.port);
          await big.send(head("big", guid(12)));
          await big.read();
          await big.send(`VARIABLE x = ${"9".repeat(5000)}\n`);
          assertEquals(await big.readToEnd(), "");
          assert(
            s.logs.lines.some((l) =>
              l.includes("STREAM big") && l.includes("over the 4096 limit")
            ),
          );

          // the good child is unharmed
          await good.send(`BEGIN "t.c" 1000000\nSET "v" = 8\nEND\n`);
          await until(
            "good still stored",
            () =>
              host()!.chart("t.c")!.dimension("v")!.lastCollectedValue === 8,
          );
          assertEquals(host()!.connected, true);
          good.close();
        } finally {
          await s.stop();
        }
      },
    );

    await t.step(
      "limits: charts per host and dimensions per chart",
      async () => {
        const s = setup(`max dimensions per chart = 2\n`);
        try {
          const c = await child(s.port);
          await c.send(head("wide", guid(20)));
          await c.read();
          await c.send(
            `CHART "w.c" "" "t" "n" "f" "w.c" "line" 1 1 "" "p" "m"\n` +
              `DIMENSION "a" "" "absolute" 1 1 ""\nDIMENSION "b" "" "absolute" 1 1 ""\nDIMENSION "c" "" "absolute" 1 1 ""\n`,
          );
          assertEquals(await c.readToEnd(), "");
          assertEquals(
            s.db.hostByName("wide")!.chart("w.c")!.dimensions.length,
            2,
          );
          assert(
            s.logs.lines.some((l) =>
              l.includes("STREAM wide") && l.includes("line 4:")
            ),
            s.logs.lines.join("\n"),
          );
        } finally {
          await s.stop();
        }
      },
    );

    await t.step(
      "a child that goes quiet is disconnected after the idle timeout (manual clock)",
      async () => {
        const s = setup();
        try {
          const c = await child(s.port);
          await c.send(head("quiet", guid(30)));
          await c.read();
          await until(
            "connected",
            () => s.db.hostByName("quiet")?.connected === true,
          );
          await s.clock.advance(29_000);
          assertEquals(s.db.hostByName("quiet")!.connected, true);
          await s.clock.advance(1_000);
          assertEquals(await c.readToEnd(), "");
          assert(
            s.logs.lines.some((l) => l.includes("nothing received for 30 s")),
          );
        } finally {
          await s.stop();
        }
      },
    );

    await t.step("HTTP on the same port gets an HTTP answer", async () => {
      const s = setup();
      try {
        const c = await child(s.port);
        await c.send("GET /api/v1/info HTTP/1.1\r\nHost: x\r\n\r\n");
        assertMatch(await c.readToEnd(), /^HTTP\/1.1 404 Not Found\r\n/);
      } finally {
        await s.stop();
      }
    });

    await t.step("a listen address in use is a clear error", () => {
      const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
      try {
        const { config } = parseConfig(
          `[web]\nmode = static-threaded\nbind to = 127.0.0.1:${taken.addr.port}\n`,
          "x.conf",
          { systemHostname: "x" },
        );
        const r = new StreamReceiver(new Database({ hostname: "x" }), config, {
          clock: realClock,
          log: new Logger("stream", { sink: () => {} }),
        });
        let message = "";
        try {
          r.listen();
        } catch (err) {
          message = (err as Error).message;
        }
        assertEquals(
          message,
          `cannot listen on [web] bind to "127.0.0.1:${taken.addr.port}": the address is already in use`,
        );
      } finally {
        taken.close();
      }
    });

    await t.step(
      "the sender fails over down its list and reconnects after backoff (manual clock)",
      async () => {
        const first = setup("", realClock as unknown as ManualClock);
        const second = setup("", realClock as unknown as ManualClock);
        const dead = Deno.listen({ hostname: "127.0.0.1", port: 0 });
        const deadPort = dead.addr.port;
        dead.close();
        const clock = new ManualClock(Math.floor(Date.now() / 1000) * 1000);
        const abort = new AbortController();
        try {
          const { config } = parseConfig(
            `[global]\nhostname = roamer\n[stream]\nenabled = yes\napi key = ${KEY}\nreconnect delay seconds = 2\n` +
              `destination = 127.0.0.1:${deadPort} 127.0.0.1:${first.port} 127.0.0.1:${second.port}\n`,
            "roamer.conf",
            { systemHostname: "roamer" },
          );
          const db = new Database({
            hostname: "roamer",
            machineGuid: guidFromName("skiff:roamer"),
          });
          const logs = memorySink();
          const sender = new StreamSender(db, config, {
            clock,
            log: new Logger("stream", { sink: logs.sink }),
          });
          const running = sender.run(abort.signal);
          await until(
            "connected to the first live parent",
            () => first.db.hostByName("roamer")?.connected === true,
          );
          assert(
            logs.lines.some((l) =>
              l.includes(`cannot stream to 127.0.0.1:${deadPort}`)
            ),
            logs.lines.join("\n"),
          );
          await first.stop();
          await until(
            "backoff wait",
            () =>
              clock.pendingSleepers >= 1 &&
              logs.lines.some((l) => l.includes("in 2 s")),
          );
          assertEquals(
            second.db.hostByName("roamer"),
            undefined,
            "not before the backoff",
          );
          await clock.advance(2000);
          // the parent sees the child before the child has read the answer
          await until(
            "connected to the next parent",
            () =>
              second.db.hostByName("roamer")?.connected === true &&
              sender.connections === 2,
          );
          abort.abort();
          await running;
        } finally {
          abort.abort();
          await second.stop();
        }
      },
    );

    await t.step(
      "skiff streams to skiff; the parent exports the child's host by its name",
      async () => {
        const parent = setup("", realClock as unknown as ManualClock);
        const sink = TcpSink.start();
        const abort = new AbortController();
        try {
          const { config } = parseConfig(
            `[global]\nhostname = edge-7\n[stream]\nenabled = yes\ndestination = 127.0.0.1:${parent.port}\napi key = ${KEY}\n`,
            "child.conf",
            { systemHostname: "edge-7" },
          );
          const childDb = new Database({
            hostname: "edge-7",
            machineGuid: guidFromName("skiff:edge-7"),
          });
          const chart = childDb.localhost.addChart({
            id: "app.requests",
            updateEverySec: 1,
            history: 60,
          });
          const ok = chart.addDimension("ok", { algorithm: "incremental" });
          chart.addDimension("failed", { algorithm: "incremental" }).hidden =
            true;
          const childLogs = memorySink();
          const sender = new StreamSender(childDb, config, {
            clock: realClock,
            log: new Logger("stream", { sink: childLogs.sink }),
          });
          const running = sender.run(abort.signal);
          await until("connected", () => sender.connections === 1);
          // Five collections in the last seconds: the parent may ask for
          // them (a replay) before or after they are made, and gets them
          // either way; none is in the future, which a replay never sends.
          let t0 = (Math.floor(Date.now() / 1000) - 5) * 1_000_000;
          for (let i = 1; i <= 5; i++) {
            ok.set(i * 100, t0 / 1000);
            chart.done(t0);
            t0 += 1_000_000;
          }
          const got = () =>
            parent.db.hostByName("edge-7")?.chart("app.requests");
          await until(
            "five collections received",
            () => got()?.dimension("ok")?.lastCollectedValue === 500,
          );
          const received = got()!;
          assertEquals(
            received.dimensions.map((d) => [d.id, d.algorithm, d.hidden]),
            [
              ["ok", "incremental", false],
              ["failed", "incremental", true],
            ],
          );
          assertEquals(
            parent.db.hostByName("edge-7")!.machineGuid,
            guidFromName("skiff:edge-7"),
          );
          // 100 per second, as the child computed it
          assertEquals(
            valueAt(
              received,
              received.dimension("ok")!,
              received.lastEntrySec(),
            ),
            100,
          );

          const { config: pc } = parseConfig(
            `[backend]\nenabled = yes\ndestination = 127.0.0.1:${sink.port}\ndata source = as collected\n`,
            "p.conf",
            { systemHostname: "parent" },
          );
          // an exporter that started 10 s ago, cycling a second from now
          let offsetMs = -10_000;
          const exporter = new ExportInstance(pc.exporting.at(-1)!, {
            clock: {
              nowMs: () => Date.now() + offsetMs,
              sleepUntil: realClock.sleepUntil,
            },
            log: new Logger("export", { sink: () => {} }),
          });
          offsetMs = 1000;
          await exporter.cycle(parent.db, Date.now() + offsetMs);
          await until(
            "exported",
            () =>
              sink.lines().some((l) =>
                l.startsWith("netdata.edge-7.app.requests.ok 500 ")
              ),
          );
          abort.abort();
          await running;
        } finally {
          abort.abort();
          await sink.close();
          await parent.stop();
        }
      },
    );
  },
});
