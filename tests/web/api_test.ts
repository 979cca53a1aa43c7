/**
 * The web API: routing and HTTP over skiff's real listener, who may ask,
 * `/status` with real exporting instances (one failing, one delivering),
 * and allmetrics' exact texts and per-scraper windows on a hand-made host
 * and a manual clock.
 */
import {
  assert,
  assertEquals,
  assertMatch,
  assertStringIncludes,
} from "../helpers/assert.ts";
import { ManualClock } from "../../lib/clock.ts";
import { parseConfig } from "../../lib/config/mod.ts";
import { Logger, memorySink } from "../../lib/log.ts";
import type { Database } from "../../lib/storage/rrd.ts";
import { WebApi } from "../../lib/web/mod.ts";
import { testAgent } from "../helpers/agent.ts";
import { waitFor } from "../helpers/e2e.ts";
import { webTestHost } from "../helpers/web_host.ts";
import { refusedPort, TcpSink } from "../helpers/sinks.ts";

/** A raw HTTP exchange: the whole answer as text. */
async function raw(port: number, request: string): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(new TextEncoder().encode(request));
  let out = "";
  const buf = new Uint8Array(65536);
  for (;;) {
    const n = await conn.read(buf);
    if (n === null) break;
    out += new TextDecoder().decode(buf.subarray(0, n));
  }
  conn.close();
  return out;
}

async function listening(extra: string) {
  const { agent, logs } = testAgent(
    `[global]\nhostname = web-test\n[plugins]\nproc = no\n` +
      `[web]\nmode = static-threaded\nbind to = 127.0.0.1:0\n${extra}`,
    "web-test",
  );
  await agent.start();
  const port = agent.receiver!.addresses[0].port;
  return { agent, logs, port, base: `http://127.0.0.1:${port}` };
}

Deno.test({
  name: "the web API over the listener",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const sink = TcpSink.start();
    const down = refusedPort();
    const { agent, port, base } = await listening(
      `[graphite:up]\nenabled = yes\ndestination = 127.0.0.1:${sink.port}\nupdate every = 1\n` +
        `[graphite:down]\nenabled = yes\ndestination = 127.0.0.1:${down}\nupdate every = 1\n`,
    );
    try {
      await t.step("routing and HTTP", async () => {
        const info = await fetch(`${base}/api/v1/info`);
        assertEquals(info.status, 200);
        assertEquals(info.headers.get("access-control-allow-origin"), "*");
        assertEquals((await info.json()).mirrored_hosts, ["web-test"]);
        const head = await raw(port, "HEAD /api/v1/info HTTP/1.1\r\n\r\n");
        assertMatch(head, /^HTTP\/1\.1 200 OK\r\n/);
        assert(head.endsWith("\r\n\r\n"), "no body after HEAD's headers");
        assertMatch(
          await raw(port, "POST /api/v1/info HTTP/1.1\r\n\r\n"),
          /^HTTP\/1\.1 405 /,
        );
        assertMatch(
          await raw(port, "OPTIONS /api/v1/data HTTP/1.1\r\n\r\n"),
          /^HTTP\/1\.1 200 /,
        );
        assertMatch(
          await raw(port, "GET nonsense\r\n\r\n"),
          /^HTTP\/1\.1 400 [^]*not an HTTP\/1\.x request line/,
        );
        const nohost = await fetch(`${base}/host/nope/api/v1/info`);
        assertEquals(
          [nohost.status, await nohost.text()],
          [404, "This netdata does not maintain a database for host: nope"],
        );
        const byName = await fetch(
          `${base}/host/web-test/api/v1/chart?chart=netdata.server_cpu`,
        );
        assertEquals(byName.status, 200);
        assertEquals(byName.headers.get("cache-control"), "public");
        await byName.body?.cancel();
        const page = await fetch(`${base}/`);
        assertStringIncludes(await page.text(), '<script src="uplot.min.js">');
        const js = await fetch(`${base}/uplot.min.js`);
        assertStringIncludes(await js.text(), "uPlot");
        // page.ts is loaded on the first request: every file it has is
        // served, under the paths the router sends to it
        const { PAGE_ASSETS } = await import("../../lib/web/page.ts");
        for (const [path, asset] of Object.entries(PAGE_ASSETS)) {
          const r = await fetch(`${base}${path}`);
          assertEquals(
            [r.status, r.headers.get("content-type"), await r.text()],
            [200, asset.type, asset.body],
          );
        }
        const index = await fetch(`${base}/index.html`);
        assertStringIncludes(await index.text(), "uplot.min.js");
        for (const path of ["/nothing", "/uplot.nothing.js"]) {
          const r = await fetch(`${base}${path}`);
          await r.body?.cancel();
          assertEquals(r.status, 404, path);
        }
      });

      await t.step(
        "/status: where each instance sends, how, and exact accounting",
        async () => {
          type Status = {
            exporting: {
              name: string;
              state: string;
              connected_to: string | null;
              failing_since: string | null;
              last_error: string | null;
              metrics: Record<string, number>;
            }[];
            hosts: { hostname: string; state: string; charts: number }[];
            collectors: { name: string; last_duration_us: number | null }[];
          };
          const s = await waitFor("both instances' state", async () => {
            const j = await (await fetch(`${base}/status`)).json() as Status;
            const [up, dn] = j.exporting;
            return up.metrics.sent > 0 && dn.state === "failing" &&
                dn.metrics.buffered > 0
              ? j
              : undefined;
          }, 10000);
          const [up, dn] = s.exporting;
          assertEquals([up.name, up.state], ["up", "connected"]);
          assertEquals(up.connected_to, `127.0.0.1:${sink.port}`);
          assertEquals(up.last_error, null);
          assertEquals([dn.name, dn.connected_to], ["down", null]);
          assertMatch(dn.failing_since!, /^\d{4}-\d\d-\d\dT/);
          assertMatch(dn.last_error!, /no destination reachable/);
          for (const i of s.exporting) {
            const m = i.metrics;
            assertEquals(m.formatted, m.sent + m.lost + m.buffered, i.name);
          }
          assertEquals(dn.metrics.sent, 0);
          assertEquals(s.hosts.map((h) => [h.hostname, h.state]), [
            ["web-test", "local"],
          ]);
          const self = s.collectors.find((c) =>
            c.name === "netdata monitoring"
          );
          assert(self && self.last_duration_us !== null);
        },
      );
    } finally {
      await agent.stop();
      await sink.close();
    }
  },
});

Deno.test({
  name: "allow dashboard from and allow metrics from",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const { agent, base } = await listening(
      "allow dashboard from = 10.*\nallow metrics from = localhost\n",
    );
    try {
      for (
        const path of [
          "/",
          "/status",
          "/api/v1/info",
          "/host/web-test/api/v1/charts",
        ]
      ) {
        const r = await fetch(base + path);
        assertEquals(
          [r.status, await r.text()],
          [403, "You are not allowed to access this resource."],
          path,
        );
      }
      const m = await fetch(`${base}/api/v1/allmetrics?format=prometheus`);
      assertEquals(m.status, 200);
      assertMatch(await m.text(), /^netdata_info\{instance="web-test"/);
      assertEquals(agent.web!.stats.denied, 4);
    } finally {
      await agent.stop();
    }
  },
});

const T0 = 1_700_000_000;

/** A host with `t.c` (requests/s): a = 0..n at T0..T0+n, b = -a, hidden h = 7. */
function madeHost(n: number) {
  const { db, collect } = webTestHost({
    hostname: "made",
    family: "fam",
    units: "requests/s",
  });
  db.localhost.labels.set("site", { value: 'north "pole"', source: 2 });
  db.localhost.labels.set("_os_name", { value: "linux", source: 1 });
  for (let i = 0; i <= n; i++) collect(T0 + i, i);
  return { db, collect };
}

function madeApi(db: Database, clock: ManualClock, extra = "") {
  const { config } = parseConfig(
    `[web]\nmode = static-threaded\n${extra}`,
    "made.conf",
    { systemHostname: "made" },
  );
  return new WebApi({
    db,
    config,
    clock,
    log: new Logger("web", { sink: memorySink().sink }),
    prometheus: config.prometheusExporter,
    status: {
      db,
      version: "0",
      startedMs: 0,
      instances: () => [],
      children: () => [],
      collectors: () => [],
    },
  });
}

async function body(api: WebApi, path: string, peer = "127.0.0.1") {
  const bytes = await api.answer(`GET ${path} HTTP/1.1\r\nHost: x`, peer);
  const text = new TextDecoder().decode(bytes);
  return text.slice(text.indexOf("\r\n\r\n") + 4);
}

Deno.test("allmetrics: exact texts and each scraper's own window", async (t) => {
  const { db, collect } = madeHost(6);
  const clock = new ManualClock((T0 + 8) * 1000);
  const api = madeApi(db, clock);

  await t.step(
    "prometheus: a first scrape averages update every (10 s) back",
    async () => {
      // Window: (T0+8-10-2 .. T0+8-2-1] clamped to the oldest slot: a =
      // 1..5, average 3 at T0+5; hidden dimensions are sent too.
      assertEquals(
        await body(api, "/api/v1/allmetrics?format=prometheus"),
        `netdata_info{instance="made",application="netdata",version="",site="north \\"pole\\""} 1 ${
          (T0 + 8) * 1000
        }\n` +
          `netdata_t_c_requests_persec_average{chart="t.c",family="fam",dimension="a"} 3.0000000 ${
            (T0 + 5) * 1000
          }\n` +
          `netdata_t_c_requests_persec_average{chart="t.c",family="fam",dimension="bee"} -3.0000000 ${
            (T0 + 5) * 1000
          }\n` +
          `netdata_t_c_requests_persec_average{chart="t.c",family="fam",dimension="h"} 7.0000000 ${
            (T0 + 5) * 1000
          }\n`,
      );
    },
  );

  await t.step("the same scraper next: only what came since", async () => {
    collect(T0 + 7, 7);
    collect(T0 + 8, 8);
    collect(T0 + 9, 9);
    await clock.advanceTo((T0 + 10) * 1000);
    // after = T0+8 (the last scrape): slots T0+6..T0+7, average 6.5.
    const text = await body(
      api,
      "/api/v1/allmetrics?format=prometheus&help=yes&types=yes&timestamps=no",
    );
    assertEquals(
      text.split("\n").slice(0, 7),
      [
        `# COMMENT netdata "made" to prometheus "localhost", source "average", last seen 2 seconds ago, time range ${
          T0 + 8
        } to ${T0 + 10}`,
        "",
        `netdata_info{instance="made",application="netdata",version="",site="north \\"pole\\""} 1`,
        "",
        `# COMMENT homogeneous chart "t.c", context "t.c", family "fam", units "requests/s"`,
        `# COMMENT netdata_t_c_requests_persec_average: dimension "a", value is requests/s, gauge, dt ${
          T0 + 8
        } to ${T0 + 7} inclusive`,
        "# TYPE netdata_t_c_requests_persec_average gauge",
      ],
    );
    assertStringIncludes(
      text,
      '\nnetdata_t_c_requests_persec_average{chart="t.c",family="fam",dimension="a"} 6.5000000\n',
    );
    // Another scraper (server=) starts its own window: 10 s back, a =
    // 1..7. As netdata, source=sum in a scrape names the metric _sum (no
    // units) while [prometheus:exporter] data source (average) does the
    // math.
    assertStringIncludes(
      await body(
        api,
        "/api/v1/allmetrics?format=prometheus&server=other&source=sum&names=no",
      ),
      `netdata_t_c_sum{chart="t.c",family="fam",dimension="b"} -4.0000000 ${
        (T0 + 7) * 1000
      }\n`,
    );
  });

  await t.step(
    "as collected: the last collected values, counters _total",
    async () => {
      const text = await body(
        api,
        "/api/v1/allmetrics?format=prometheus_all_hosts&source=raw&server=raw&timestamps=no",
      );
      assertStringIncludes(
        text,
        'netdata_t_c{chart="t.c",family="fam",dimension="bee",instance="made"} -9\n',
      );
    },
  );

  await t.step("shell and json", async () => {
    assertEquals(
      await body(api, "/api/v1/allmetrics?format=shell"),
      "\n# chart: t.c (name: t.c)\n" +
        'NETDATA_T_C_A="9"      # requests/s\n' +
        'NETDATA_T_C_BEE="-9"      # requests/s\n' +
        'NETDATA_T_C_H="7"      # requests/s\n' +
        'NETDATA_T_C_VISIBLETOTAL="0"      # requests/s\n' +
        "\n# NETDATA ALARMS RUNNING\n",
    );
    assertEquals(
      await body(api, "/api/v1/allmetrics?format=json&filter=t.*"),
      `{\n\t"t.c": {\n\t\t"name":"t.c",\n\t\t"family":"fam",\n\t\t"context":"t.c",\n\t\t"units":"requests/s",\n\t\t"last_updated": ${
        T0 + 9
      },\n\t\t"dimensions": {` +
        '\n\t\t\t"a": {\n\t\t\t\t"name": "a",\n\t\t\t\t"value": 9.0000000\n\t\t\t}' +
        ',\n\t\t\t"b": {\n\t\t\t\t"name": "bee",\n\t\t\t\t"value": -9.0000000\n\t\t\t}' +
        ',\n\t\t\t"h": {\n\t\t\t\t"name": "h",\n\t\t\t\t"value": 7.0000000\n\t\t\t}' +
        "\n\t\t}\n\t}\n}",
    );
    assertEquals(
      await body(api, "/api/v1/allmetrics?format=xml"),
      "Which format? 'shell', 'prometheus', 'prometheus_all_hosts' and 'json' are currently supported.",
    );
  });

  await t.step(
    "[prometheus:exporter] is the default a scrape overrides",
    async () => {
      const other = madeApi(
        db,
        clock,
        "[prometheus:exporter]\nprefix = edge\nsend charts matching = !t.* *\nsend automatic labels = yes\n",
      );
      const text = await body(other, "/api/v1/allmetrics?format=prometheus");
      assertEquals(
        text,
        `netdata_info{instance="made",application="netdata",version="",site="north \\"pole\\"",_os_name="linux"} 1 ${
          (T0 + 10) * 1000
        }\n`,
      );
      assertStringIncludes(
        await body(
          other,
          "/api/v1/allmetrics?format=prometheus&filter=t.c&server=f",
        ),
        'edge_t_c_requests_persec_average{chart="t.c"',
      );
    },
  );
});
