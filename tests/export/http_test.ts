/**
 * The connectors that POST (json:http, opentsdb:http, graphite:http) on a
 * real HTTP server: netdata 1.37's bodies, Basic auth, keep-alive, and the
 * status deciding what counts as sent: 500 and 429 keep the data, 429's
 * Retry-After is honoured, 2xx counts it once.
 */
import { assert, assertEquals, assertMatch } from "../helpers/assert.ts";
import { ManualClock, realClock } from "../../lib/clock.ts";
import { parseConfig } from "../../lib/config/mod.ts";
import { ExportInstance } from "../../lib/export/mod.ts";
import { Logger, memorySink } from "../../lib/log.ts";
import { Database } from "../../lib/storage/rrd.ts";
import { makeCertificates } from "../helpers/tls.ts";

const T0 = 1_700_000_000;

interface Request {
  method: string;
  path: string;
  headers: Headers;
  body: string;
}

/** A real HTTP server answering with `statuses` in turn (then 204). */
function server(statuses: { status: number; headers?: HeadersInit }[]) {
  const requests: Request[] = [];
  const answered: number[] = [];
  const ac = new AbortController();
  const srv = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    signal: ac.signal,
    onListen: () => {},
  }, async (req) => {
    requests.push({
      method: req.method,
      path: new URL(req.url).pathname,
      headers: req.headers,
      body: await req.text(),
    });
    const s = statuses.shift() ?? { status: 204 };
    answered.push(s.status);
    return new Response(s.status === 204 ? null : `status ${s.status}\n`, s);
  });
  return {
    port: srv.addr.port,
    requests,
    answered,
    async close() {
      ac.abort();
      await srv.finished;
    },
  };
}

function setup(conf: string) {
  const clock = new ManualClock(T0 * 1000);
  const db = new Database({ hostname: "local" });
  db.localhost.labels.set("site", { value: "north pole", source: 2 });
  const chart = db.localhost.addChart({
    id: "system.load",
    name: "system.load",
    family: "load",
    units: "load",
    updateEverySec: 1,
    history: 60,
  });
  const load1 = chart.addDimension("load1", { name: "one" });
  const { config, errors } = parseConfig(conf, "t.conf", {
    systemHostname: "local",
  });
  assertEquals(errors, []);
  const logs = memorySink();
  const instance = new ExportInstance(config.exporting[0], {
    clock,
    timeoutClock: realClock,
    log: new Logger("export", { sink: logs.sink, level: "debug" }),
  });
  let k = 0;
  const cycle = async () => {
    k++;
    await clock.advanceTo((T0 + k) * 1000);
    load1.set(k * 10, clock.nowMs());
    chart.done(clock.nowMs() * 1000);
    const r = await instance.cycle(db, clock.nowMs());
    const a = instance.accounting();
    assertEquals(a.formatted, a.sent + a.lost + a.buffered, "invariant");
    return r;
  };
  return { instance, cycle, logs, clock };
}

Deno.test({
  name: "connectors that POST, on a real HTTP server",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    await t.step(
      "json:http and opentsdb:http bodies as netdata 1.37 writes them; Basic auth",
      async () => {
        for (
          const [type, contentType, body] of [
            [
              "json:http",
              "application/json",
              '[\n{"prefix":"netdata","hostname":"local","labels":{"site":"north pole"},"chart_id":"system.load","chart_name":"system.load","chart_family":"load","chart_context":"system.load","chart_type":"system","units":"load","id":"load1","name":"one","value":20,"timestamp":1700000002}\n]\n',
            ],
            [
              "opentsdb:http",
              "application/json",
              '[\n{"metric":"netdata.system.load.one","timestamp":1700000002,"value":20,"tags":{"host":"local","site":"north_pole"}}\n]\n',
            ],
            [
              "graphite:http",
              "application/graphite",
              "netdata.local.system.load.one;site=north_pole 20 1700000002\n",
            ],
          ]
        ) {
          const srv = server([]);
          try {
            const { cycle } = setup(
              `[${type}:h]\nenabled = yes\ndestination = 127.0.0.1:${srv.port}\ndata source = as collected\nusername = edge\npassword = s3cret:x\n`,
            );
            await cycle(); // the first collection
            const r = await cycle();
            assertEquals([r.writes, r.sentMetrics, r.failures], [1, 1, 0]);
            const req = srv.requests.at(-1)!;
            assertEquals([req.method, req.path], ["POST", "/api/put"]);
            assertEquals(req.headers.get("content-type"), contentType);
            assertEquals(
              req.headers.get("authorization"),
              `Basic ${btoa("edge:s3cret:x")}`,
            );
            assertEquals(req.body, body, type);
          } finally {
            await srv.close();
          }
        }
      },
    );

    await t.step(
      "500, then 429 with Retry-After: 2, then 204: nothing lost, nothing counted twice",
      async () => {
        const srv = server([
          { status: 500 },
          { status: 429, headers: { "retry-after": "2" } },
        ]);
        try {
          const { instance, cycle, logs } = setup(
            `[json:http:h]\nenabled = yes\ndestination = 127.0.0.1:${srv.port}\ndata source = as collected\n`,
          );
          const r1 = await cycle();
          assertEquals([r1.failures, r1.sentMetrics], [1, 0]);
          assertMatch(
            logs.lines.join("\n"),
            /\[json:http:h\] failed to send to 127\.0\.0\.1:\d+ after \d+ bytes \(HTTP\/1\.1 500 Internal Server Error: 'status 500 '\); 1 metrics kept/,
          );
          const r2 = await cycle(); // T0+2: 429, wait 2 s
          assertEquals([r2.failures, r2.sentMetrics], [1, 0]);
          assert(
            logs.lines.some((l) =>
              l.includes("sent again in 2 s (Retry-After)")
            ),
          );
          const r3 = await cycle(); // T0+3: still waiting, no request
          assertEquals([r3.failures, r3.writes, srv.requests.length], [
            0,
            0,
            2,
          ]);
          const r4 = await cycle(); // T0+4: the three batches go, 204 each
          assertEquals([r4.failures, r4.writes, r4.sentMetrics], [0, 1, 4]);
          assertEquals(srv.answered, [500, 429, 204, 204, 204, 204]);
          // The outage is logged when it starts and when it ends; the cycles
          // between at debug level, each with its batch summary.
          const at = (level: string) =>
            logs.lines.filter((l) => l.includes(` ${level} `));
          assertEquals(at("error").length, 1);
          assertMatch(
            at("error")[0],
            new RegExp(
              `error export: \\[json:http:h\\] failed to send to 127\\.0\\.0\\.1:${srv.port} after \\d+ bytes \\(HTTP/1\\.1 500 Internal Server Error: 'status 500 '\\); 1 metrics kept for the next cycle \\(logged again when it recovers; every cycle at debug level\\)$`,
            ),
          );
          assertMatch(
            at("info").join("\n"),
            new RegExp(
              `\\[json:http:h\\] recovered after 2 failed cycles \\(failing since 2023-11-14T22:13:21\\.000Z; last error: failed to send to 127\\.0\\.0\\.1:${srv.port} after \\d+ bytes \\(HTTP/1\\.1 429 Too Many Requests: 'status 429 '\\)\\): 4 metrics delivered to 127\\.0\\.0\\.1:${srv.port}, those buffered during the outage included; 0 lost meanwhile`,
            ),
          );
          assertEquals(
            at("debug").filter((l) => l.includes("] cycle: ")).length,
            4,
          );
          assertMatch(
            at("debug").filter((l) => l.includes("] cycle: ")).at(-1)!,
            /\[json:http:h\] cycle: 1 metrics formatted \(\d+ bytes\), 4 sent \(\d+ bytes\), 0 lost, 0 buffered \(0 bytes\)$/,
          );
          // Each collection arrived in exactly one accepted request.
          const accepted = srv.requests.slice(2).flatMap((q) =>
            JSON.parse(q.body) as { value: number; timestamp: number }[]
          );
          assertEquals(accepted.map((m) => [m.value, m.timestamp]), [
            [10, T0 + 1],
            [20, T0 + 2],
            [30, T0 + 3],
            [40, T0 + 4],
          ]);
          assertEquals(instance.accounting(), {
            formatted: 4,
            sent: 4,
            lost: 0,
            buffered: 0,
            resent: 0,
          });
        } finally {
          await srv.close();
        }
      },
    );

    await t.step(
      "https: trusted through tls ca file; an unknown CA fails with a clear message",
      async () => {
        const dir = await Deno.makeTempDir({ prefix: "skiff-tls-" });
        const ac = new AbortController();
        try {
          const certs = await makeCertificates(dir);
          const bodies: string[] = [];
          const srv = Deno.serve({
            hostname: "127.0.0.1",
            port: 0,
            signal: ac.signal,
            cert: await Deno.readTextFile(certs.certFile),
            key: await Deno.readTextFile(certs.keyFile),
            onListen: () => {},
          }, async (req) => {
            bodies.push(await req.text());
            return new Response(null, { status: 204 });
          });
          const conf = (ca: string) =>
            `[opentsdb:https:s]\nenabled = yes\ndestination = localhost:${srv.addr.port}\ndata source = as collected\n${ca}`;
          // Without the CA: the system's store does not know it.
          const bad = setup(conf(""));
          await bad.cycle();
          const r = await bad.cycle();
          assertEquals([r.failures, r.sentMetrics], [1, 0]);
          assertMatch(
            bad.logs.lines.join("\n"),
            /\[opentsdb:https:s\] cannot connect: localhost:\d+: TLS handshake failed: invalid peer certificate: UnknownIssuer/,
          );
          // With it, through loadConfigFile as skiff runs.
          await Deno.writeTextFile(
            `${dir}/skiff.conf`,
            conf("tls ca file = ca.pem\n"),
          );
          const { loadConfigFile } = await import("../../lib/config/mod.ts");
          const loaded = await loadConfigFile(`${dir}/skiff.conf`, {
            systemHostname: "local",
          });
          assertEquals(loaded.errors, []);
          const inst = loaded.config.exporting[0];
          assertEquals(inst.tls, true);
          assertEquals(inst.tlsCaFile, `${dir}/ca.pem`);
          const good = new ExportInstance(inst, {
            clock: new ManualClock((T0 + 5) * 1000),
            timeoutClock: realClock,
            log: new Logger("export", { sink: () => {} }),
          });
          const db = new Database({ hostname: "local" });
          const c = db.localhost.addChart({
            id: "x.y",
            updateEverySec: 1,
            history: 10,
          });
          c.addDimension("z").set(7, (T0 + 6) * 1000);
          c.done((T0 + 6) * 1_000_000);
          const ok = await good.cycle(db, (T0 + 6) * 1000);
          assertEquals([ok.failures, ok.sentMetrics], [0, 1]);
          assertEquals(
            bodies,
            [
              '[\n{"metric":"netdata.x.y.z","timestamp":1700000006,"value":7,"tags":{"host":"local"}}\n]\n',
            ],
          );
          good.close();
        } finally {
          ac.abort();
          await Deno.remove(dir, { recursive: true });
        }
      },
    );
  },
});
