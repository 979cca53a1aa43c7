/**
 * skiff's web API against real netdata 1.37 on the same data: a netdata
 * child streams into skiff, and the same requests are asked of the child
 * (its own host) and of skiff (`/host/CHILD/...`). Then a real Prometheus
 * 2.42 scrapes skiff's allmetrics and finds the series.
 */
import { assert, assertEquals } from "../helpers/assert.ts";
import { haveBinary, waitFor } from "../helpers/e2e.ts";
import {
  NETDATA_BIN,
  PROMETHEUS_BIN,
  startNetdata,
  startPrometheus,
} from "../helpers/servers.ts";
import type { Netdata } from "../helpers/servers.ts";
import { testAgent } from "../helpers/agent.ts";

const KEY = "11111111-2222-3333-4444-555555555555";
const CHILD = "nd-web-child";

/** GET `path` as text, with its status. */
async function get(
  base: string,
  path: string,
): Promise<{ status: number; body: string; type: string }> {
  const r = await fetch(base + path);
  return {
    status: r.status,
    body: await r.text(),
    type: r.headers.get("content-type") ?? "",
  };
}

/** GET `path` as JSON. */
async function getJson<T = Record<string, unknown>>(
  base: string,
  path: string,
): Promise<T> {
  return JSON.parse((await get(base, path)).body) as T;
}

/**
 * `got` is `want`, or the same text with numbers equal within storage
 * precision: a rate the parent computed from the child's collected values
 * can differ from the child's in the last stored digit (as a netdata
 * parent's does). True when byte-identical.
 */
function sameText(got: string, want: string, what: string): boolean {
  if (got === want) return true;
  const numbers = /-?\d+(\.\d+)?/g;
  assertEquals(got.replace(numbers, "#"), want.replace(numbers, "#"), what);
  const [xs, ys] = [got.match(numbers)!, want.match(numbers)!];
  xs.forEach((x, i) => {
    const [u, v] = [Number(x), Number(ys[i])];
    // Times (large integers) and words with digits stay exact.
    const exact = !x.includes(".") && !ys[i].includes(".") &&
      Math.abs(v) > 1e6;
    assert(
      exact ? u === v : Math.abs(u - v) <= 1e-6 * Math.max(1, Math.abs(v)),
      `${what}\n${got}\n${want}`,
    );
  });
  return false;
}

/** The charts (id -> text) of an allmetrics shell answer. */
function shellBlocks(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const block of text.split("\n# chart: ").slice(1)) {
    m.set(block.slice(0, block.indexOf(" ")), block);
  }
  return m;
}

type AllJson = Record<
  string,
  { last_updated: number; dimensions: Record<string, unknown> }
>;

Deno.test({
  name: "skiff's web API answers as netdata 1.37 does, on the same data",
  ignore: !haveBinary(NETDATA_BIN, "netdata") ||
    !haveBinary(PROMETHEUS_BIN, "prometheus"),
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const { agent: skiff, logs } = testAgent(
      `[global]\nhostname = skiff-web\n[plugins]\nproc = no\nnetdata monitoring = no\n` +
        `[web]\nmode = static-threaded\nbind to = 127.0.0.1:0\n[${KEY}]\nenabled = yes\n`,
      "skiff-web",
    );
    await skiff.start();
    const port = skiff.receiver!.addresses[0].port;
    const base = `http://127.0.0.1:${port}`;
    let child: Netdata | undefined;
    const dump = () => logs.lines.join("\n");
    try {
      child = await startNetdata({
        hostname: CHILD,
        files: {
          "stream.conf":
            `[stream]\n    enabled = yes\n    destination = 127.0.0.1:${port}\n    api key = ${KEY}\n`,
        },
      });
      const nd = `http://127.0.0.1:${child.port}`;
      const sk = `${base}/host/${CHILD}`;
      // 45 s of the child's data in skiff.
      const host = await waitFor("the child's charts", () => {
        const h = skiff.db.hostByName(CHILD);
        const load = h?.chart("system.load"); // every 5 s
        return load && load.counter >= 9 ? h : undefined;
      }, 70000).catch((e) => {
        throw new Error(`${e.message}\n${dump()}`);
      });

      await t.step("/api/v1/chart: every key and value", async () => {
        for (const id of ["system.cpu", "system.ram", "system.load"]) {
          const a = await getJson(nd, `/api/v1/chart?chart=${id}`);
          const b = await getJson(sk, `/api/v1/chart?chart=${id}`);
          // skiff has what was streamed since the child connected.
          for (const k of ["first_entry", "last_entry", "duration"]) {
            delete a[k];
            delete b[k];
          }
          assertEquals(b, a, id);
        }
        const missing = await get(sk, "/api/v1/chart?chart=nope");
        assertEquals(missing.status, 404);
        assertEquals(missing.body, "Chart is not found: nope");
      });

      await t.step(
        "/api/v1/charts and /api/v1/info: the same keys; every chart both list, the same",
        async () => {
          type Charts = { charts: Record<string, Record<string, unknown>> };
          const a = await getJson<Charts>(nd, "/api/v1/charts");
          const b = await getJson<Charts>(sk, "/api/v1/charts");
          assertEquals(Object.keys(b), Object.keys(a));
          let same = 0;
          for (const [id, ca] of Object.entries(a.charts)) {
            const cb = b.charts[id];
            if (!cb) continue;
            for (const k of ["first_entry", "last_entry", "duration"]) {
              delete ca[k];
              delete cb[k];
            }
            // A collector's red/green thresholds stay on its own host
            // (netdata does not stream them): a parent has none.
            for (const k of ["green", "red"]) {
              assertEquals(cb[k], null, `${id} ${k}`);
              delete ca[k];
              delete cb[k];
            }
            assertEquals(cb, ca, id);
            same++;
          }
          // Charts the child made after skiff's first look are the only
          // ones missing (a handful at most).
          const total = Object.keys(a.charts).length;
          assert(same >= total - 5, `${same} of ${total} charts`);
          const ia = await getJson(nd, "/api/v1/info");
          const ib = await getJson(sk, "/api/v1/info");
          assertEquals(Object.keys(ib), Object.keys(ia));
          // What the child told of its system, as the child says it.
          for (
            const k of [
              "os_name",
              "kernel_name",
              "kernel_version",
              "architecture",
              "cores_total",
              "ram_total",
              "container",
              "virtualization",
            ]
          ) {
            assertEquals(ib[k], ia[k], k);
          }
          assertEquals(ib.host_labels, ia.host_labels);
          assertEquals(ib.uid, ia.uid);
        },
      );

      await t.step(
        "/api/v1/data: byte-identical answers over a past window",
        async () => {
          const queries = (from: number, to: number) => [
            `after=${from}&before=${to}`,
            `after=${from}&before=${to}&points=5&group=max`,
            `after=${from}&before=${to}&points=3&group=min`,
            `after=${from}&before=${to}&points=4&group=sum`,
            `after=${from}&before=${to}&points=2&group=average&options=flip`,
            `after=${from}&before=${to}&format=csv`,
            `after=${from}&before=${to}&format=csv&options=seconds`,
            `after=${from}&before=${to}&dimensions=user|system`,
          ];
          let compared = 0;
          let identical = 0;
          for (const chart of ["system.cpu", "system.ram", "system.load"]) {
            // A past window skiff has whole (since the child connected).
            const c = host.chart(chart)!;
            const ue = c.updateEverySec;
            // The rows' groups align back up to half the window.
            const from = c.firstEntrySec() + ue +
              Math.floor((c.lastEntrySec() - c.firstEntrySec()) / 2);
            const to = c.lastEntrySec() - ue;
            assert(to - from >= 10, `${chart}: ${from}..${to}`);
            for (const q of queries(from, to)) {
              const path = `/api/v1/data?chart=${chart}&${q}`;
              const a = await get(nd, path);
              const b = await get(sk, path);
              assertEquals(b.status, a.status, path);
              assertEquals(b.type, a.type, path);
              compared++;
              if (sameText(b.body, a.body, path)) identical++;
            }
          }
          assertEquals(compared, 24);
          console.log(
            `/api/v1/data: ${identical} of ${compared} answers byte-identical, the rest within storage precision`,
          );
          const missing = await get(sk, "/api/v1/data?chart=nope");
          assertEquals(
            [missing.status, missing.body],
            [404, "No metrics where matched to query."],
          );
        },
      );

      await t.step(
        "/api/v1/allmetrics json and shell: the same values for every chart both have at the same moment",
        async () => {
          // Values are the latest; a chart is compared where both sides
          // stood at the same slot through the json, shell, json fetches.
          let compared = 0;
          for (let round = 0; round < 10 && compared < 50; round++) {
            const aj1 = await getJson<AllJson>(
              nd,
              "/api/v1/allmetrics?format=json",
            );
            const bj1 = await getJson<AllJson>(
              sk,
              "/api/v1/allmetrics?format=json",
            );
            const as = shellBlocks(
              (await get(nd, "/api/v1/allmetrics?format=shell")).body,
            );
            const bs = shellBlocks(
              (await get(sk, "/api/v1/allmetrics?format=shell")).body,
            );
            const aj2 = await getJson<AllJson>(
              nd,
              "/api/v1/allmetrics?format=json",
            );
            const bj2 = await getJson<AllJson>(
              sk,
              "/api/v1/allmetrics?format=json",
            );
            compared = 0;
            for (const id of Object.keys(aj1)) {
              const t1 = aj1[id].last_updated;
              if (
                !bj1[id] || bj1[id].last_updated !== t1 ||
                aj2[id]?.last_updated !== t1 || bj2[id]?.last_updated !== t1
              ) continue;
              sameText(JSON.stringify(bj1[id]), JSON.stringify(aj1[id]), id);
              sameText(bs.get(id) ?? "", as.get(id) ?? "", id);
              compared++;
            }
          }
          // ~170 charts: at least 50 stood still through six fetches.
          assert(compared >= 50, `only ${compared} charts compared`);
        },
      );

      await t.step(
        "/api/v1/allmetrics prometheus: the same lines, help and types included, for a first scrape in the same second",
        async () => {
          // Each attempt is a first scrape (a new server=), averaging the
          // 10 s before `now`; both must have scraped in the same second.
          let compared = 0;
          let nearlyEqual = 0;
          for (let attempt = 0; attempt < 10 && compared === 0; attempt++) {
            const path =
              `/api/v1/allmetrics?format=prometheus&help=yes&types=yes&server=test${attempt}`;
            const a = (await get(nd, path)).body.split("\n");
            const b = (await get(sk, path)).body.split("\n");
            if (a[0] !== b[0]) continue; // the header names the time range
            // A received host's charts come in the order the child sent
            // them: compared chart by chart.
            const blocks = (lines: string[]) => {
              const m = new Map<string, string>();
              for (const block of lines.join("\n").split("\n\n")) {
                const key = block.includes("netdata_info{")
                  ? "netdata_info"
                  : /chart "([^"]+)"/.exec(block)?.[1] ?? block;
                m.set(key, block);
              }
              return m;
            };
            const [ba, bb] = [blocks(a), blocks(b)];
            assertEquals([...bb.keys()].sort(), [...ba.keys()].sort());
            for (const [k, v] of ba) {
              // netdata_info's time is the moment of the scrape.
              const info = /^(netdata_info\{.*\} 1) \d+$/m;
              const want = v.replace(info, "$1").split("\n");
              const got = bb.get(k)!.replace(info, "$1").split("\n");
              assertEquals(got.length, want.length, k);
              for (let i = 0; i < want.length; i++) {
                if (!sameText(got[i], want[i], k)) nearlyEqual++;
              }
              compared += want.filter((l) => /^netdata_/.test(l)).length;
            }
          }
          console.log(
            `prometheus: ${compared} metric lines compared, ${nearlyEqual} equal within storage precision, the rest byte-identical`,
          );
          // ~170 charts, ~600 dimensions.
          assert(compared >= 300, `${compared} metric lines compared`);
        },
      );

      await t.step(
        "a real Prometheus 2.42 scrapes skiff and finds the series",
        async () => {
          const prom = await startPrometheus(
            `global:\n  scrape_interval: 2s\n  scrape_timeout: 1s\n` +
              `scrape_configs:\n  - job_name: skiff\n    metrics_path: /api/v1/allmetrics\n` +
              `    honor_labels: true\n    params:\n      format: [prometheus_all_hosts]\n` +
              `    static_configs:\n      - targets: ["127.0.0.1:${port}"]\n`,
          );
          try {
            const series = await waitFor(
              "the child's CPU series in Prometheus",
              async () => {
                const r = await prom.query(
                  `netdata_system_cpu_percentage_average{instance="${CHILD}"}`,
                );
                return r.length > 0 ? r : undefined;
              },
              30000,
            ).catch((e) => {
              throw new Error(`${e.message}\n${prom.output()}`);
            });
            const dims = series.map((x) => x.metric.dimension).sort();
            assertEquals(dims, [
              "guest",
              "guest_nice",
              "idle", // hidden in netdata's charts, sent as netdata sends it
              "iowait",
              "irq",
              "nice",
              "softirq",
              "steal",
              "system",
              "user",
            ]);
            // Each slot's shares add up to 100 %; the average of each
            // keeps that within storage-number rounding (7 digits).
            const total = series.reduce((a, x) => a + Number(x.value[1]), 0);
            assert(Math.abs(total - 100) < 0.01, `total ${total}`);
            for (const x of series) {
              assertEquals(x.metric.chart, "system.cpu");
              assertEquals(x.metric.family, "cpu");
              assertEquals(x.metric.job, "skiff");
              const v = Number(x.value[1]);
              assert(v >= 0 && v <= 100, `${x.metric.dimension}: ${v}`);
            }
            const up = await prom.query(`up{job="skiff"}`);
            assertEquals(up.map((x) => x.value[1]), ["1"]);
            const info = await prom.query("netdata_info");
            assertEquals(
              info.map((x) => x.metric.instance).sort(),
              [CHILD, "skiff-web"],
            );
          } finally {
            await prom.stop();
          }
        },
      );
    } finally {
      await child?.stop();
      await skiff.stop();
    }
  },
});
