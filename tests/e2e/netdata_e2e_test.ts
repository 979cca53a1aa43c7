/**
 * skiff side by side with a real netdata 1.37 on the same machine:
 * - netdata streams its chart definitions to a listener in this test (as a
 *   child streams to a parent); skiff's /proc charts must have the same ids,
 *   dimensions, algorithms, multipliers, divisors, hidden flags and update
 *   every as netdata's;
 * - absolute values read at the same moment are on the same scale as those
 *   netdata's /api/v1/data returns;
 * - charts.d.plugin from Debian's netdata package runs under skiff and its
 *   charts land in skiff's storage.
 */
import { assert, assertEquals } from "../helpers/assert.ts";
import { ManualClock, realClock } from "../../lib/clock.ts";
import { parseConfig } from "../../lib/config/mod.ts";
import { ProcCollector } from "../../lib/collect/proc/mod.ts";
import { Agent } from "../../lib/agent.ts";
import { Logger, memorySink } from "../../lib/log.ts";
import { MAX_WORDS, splitWords } from "../../lib/protocol/words.ts";
import { Database } from "../../lib/storage/rrd.ts";
import { valueAt } from "../../lib/storage/query.ts";
import { haveBinary, waitFor } from "../helpers/e2e.ts";
import {
  NETDATA_BIN,
  NETDATA_PLUGINS_DIR,
  startNetdata,
} from "../helpers/servers.ts";

interface NetdataDimension {
  name: string;
  algorithm: string;
  multiplier: number;
  divisor: number;
  hidden: boolean;
}
interface NetdataChart {
  updateEvery: number;
  /** title, units, family, context, chart type, priority, detail, plugin, module */
  meta: string;
  dimensions: Map<string, NetdataDimension>;
}

/** The lines of a chart's definition in a 1.37 stream. */
const DEFINITION_LINES = new Set([
  "CHART",
  "CLABEL",
  "CLABEL_COMMIT",
  "DIMENSION",
]);

/**
 * Listens like a version-4 parent, lets netdata connect as a child, and
 * collects the CHART and DIMENSION lines it sends until `done` says enough.
 */
async function receiveDefinitions(
  listener: Deno.TcpListener,
  done: (charts: Map<string, NetdataChart>) => boolean,
): Promise<Map<string, NetdataChart>> {
  const conn = await listener.accept();
  const charts = new Map<string, NetdataChart>();
  try {
    const buf = new Uint8Array(65536);
    const decoder = new TextDecoder();
    let text = "";
    // the HTTP-like STREAM request ends with an empty line
    while (!text.includes("\r\n\r\n")) {
      const n = await conn.read(buf);
      if (n === null) {
        throw new Error("netdata closed before its request ended");
      }
      text += decoder.decode(buf.subarray(0, n));
    }
    assert(text.startsWith("STREAM key="), text.slice(0, 80));
    await conn.write(
      new TextEncoder().encode(
        "Hit me baby, push them over with the version=4",
      ),
    );
    text = "";
    const words: string[] = new Array(MAX_WORDS);
    // A read can end inside a chart's definition (CHART, CLABEL...,
    // DIMENSION...): reading stops only after a line of another kind.
    let current: NetdataChart | undefined;
    let inDefinition = false;
    while (inDefinition || !done(charts)) {
      const n = await conn.read(buf);
      if (n === null) break;
      text += decoder.decode(buf.subarray(0, n), { stream: true });
      const lines = text.split("\n");
      text = lines.pop()!;
      for (const line of lines) {
        const count = splitWords(line, words);
        if (count === 0) continue;
        inDefinition = DEFINITION_LINES.has(words[0]);
        if (words[0] === "CHART") {
          current = {
            updateEvery: Number(words[9]),
            meta: [
              ...words.slice(3, 9),
              (words[10] ?? "").split(" ").includes("detail"),
              words[11],
              words[12],
            ].join(" | "),
            dimensions: new Map(),
          };
          charts.set(words[1], current);
        } else if (words[0] === "DIMENSION" && current) {
          current.dimensions.set(words[1], {
            name: words[2] || words[1],
            algorithm: words[3],
            multiplier: Number(words[4]),
            divisor: Number(words[5]),
            hidden: (words[6] ?? "").split(" ").includes("hidden"),
          });
        }
      }
    }
  } finally {
    conn.close();
  }
  return charts;
}

/** skiff's /proc charts of this machine after three collections. */
async function skiffProcCharts() {
  const { config } = parseConfig("", "default.conf", {
    systemHostname: "skiff",
  });
  const db = new Database({ hostname: "skiff" });
  const clock = new ManualClock(Math.floor(Date.now() / 1000) * 1000);
  const logs = memorySink();
  const proc = new ProcCollector({
    host: db.localhost,
    log: new Logger("proc", { sink: logs.sink }),
    updateEverySec: 1,
    history: 60,
    modules: config.proc.modules,
  });
  for (let i = 0; i < 3; i++) {
    await proc.collect(clock.nowMs());
    await clock.advance(1000);
  }
  return { db, logs };
}

/**
 * skiff's /proc charts that appear once their counters are not zero (as
 * netdata's "auto"): one netdata made and skiff not is a matter of when each
 * read the file (the TCP memory of ipv4.sockstat_tcp_mem comes and goes).
 */
const SKIFF_AUTO =
  /^(net|net_packets|net_errors|net_drops|disk|disk_ops|disk_qops|disk_backlog|disk_busy|disk_util|disk_mops|disk_iotime|disk_await|disk_avgsz|disk_svctm|disk_ext\w*)\.|^system\.(swapio|message_queue_\w+)$|^ipv4\.sockstat_\w+$|^cpu\.cpu\d+_softirqs$/;

/** Charts with a dimension per interrupt or softirq, added once it counts. */
const PER_SOURCE =
  /^system\.(interrupts|softirqs)$|^cpu\.cpu\d+_(interrupts|softirqs)$/;

/** netdata 1.37 proc.plugin charts skiff does not make yet, and why. */
const NOT_YET: [RegExp, string][] = [
  [
    /^disk_latency\./,
    "the rest of /proc/diskstats",
  ],
  [/^ipv6\.sockstat6_/, "/proc/net/sockstat6"],
  [
    /^mem\.(hugepages|transparent_hugepages|swap|ksm|ksm_\w+|numa|numa_\w+|hwcorrupt|cma|directmaps|zswap)$|^system\.swap$/,
    "the rest of /proc/meminfo, ksm, numa",
  ],
  [
    /^cpu\.(core_throttling|package_throttling|cpufreq|cpuidle|cpu\d+_cpuidle)$|^cpuidle\./,
    "cpufreq, cpuidle, throttling",
  ],
  [/^(mdstat|btrfs|powersupply_\w+|md)\./, "mdstat, btrfs, power supply"],
  [/^mem\.edac_/, "EDAC"],
  [
    /^(sctp|nfsd|nfs|wireless|ipvs|ib_\w+)\./,
    "SCTP, NFS, wireless, IPVS, InfiniBand",
  ],
];

const API_KEY = "11111111-2222-3333-4444-555555555555";

Deno.test({
  name: "side by side with a real netdata 1.37",
  ignore: !haveBinary(NETDATA_BIN, "netdata"),
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const netdata = await startNetdata({
      files: {
        "stream.conf": `[stream]
    enabled = yes
    destination = 127.0.0.1:${listener.addr.port}
    api key = ${API_KEY}
    reconnect delay seconds = 1
`,
      },
    });
    try {
      const { db } = await skiffProcCharts();
      const ours = [...db.localhost.charts.values()];
      assert(ours.length >= 10, `skiff made ${ours.length} proc charts`);

      await t.step(
        "proc charts: ids, titles, units, families, contexts, types, priorities, detail flags, modules and dimensions equal netdata's",
        async () => {
          const wanted = new Set(ours.map((c) => c.id));
          // netdata defines every chart skiff has, but for auto ones whose
          // counters were zero when netdata read them: not waited for
          const theirs = await receiveDefinitions(listener, (charts) => {
            for (const id of wanted) {
              if (!charts.has(id) && !SKIFF_AUTO.test(id)) return false;
            }
            return true;
          });
          const problems: string[] = [];
          for (const chart of ours) {
            const nd = theirs.get(chart.id);
            if (!nd) {
              if (!SKIFF_AUTO.test(chart.id)) {
                problems.push(`${chart.id}: netdata has no such chart`);
              }
              continue;
            }
            if (nd.updateEvery !== chart.updateEverySec) {
              problems.push(
                `${chart.id}: update every ${chart.updateEverySec}, netdata ${nd.updateEvery}`,
              );
            }
            const meta = [
              chart.title,
              chart.units,
              chart.family,
              chart.context,
              chart.chartType,
              chart.priority,
              chart.detail,
              chart.plugin,
              chart.module,
            ].join(" | ");
            if (meta !== nd.meta) {
              problems.push(`${chart.id}: ${meta}, netdata ${nd.meta}`);
            }
            const ids = chart.dimensions.map((d) => d.id).sort();
            const ndIds = [...nd.dimensions.keys()].sort();
            // a dimension per interrupt or softirq once it counts: one that
            // began counting between the two reads is in one set only
            if (ids.join() !== ndIds.join() && !PER_SOURCE.test(chart.id)) {
              problems.push(`${chart.id}: dimensions ${ids}, netdata ${ndIds}`);
            }
            for (const d of chart.dimensions) {
              const n = nd.dimensions.get(d.id);
              if (!n) continue;
              const mine =
                `${d.name} ${d.algorithm} ${d.multiplier} ${d.divisor}${
                  d.hidden ? " hidden" : ""
                }`;
              const nds =
                `${n.name} ${n.algorithm} ${n.multiplier} ${n.divisor}${
                  n.hidden ? " hidden" : ""
                }`;
              if (mine !== nds) {
                problems.push(`${chart.id}.${d.id}: ${mine}, netdata ${nds}`);
              }
            }
          }
          assertEquals(problems, [], problems.join("\n"));
          // Every proc.plugin chart netdata makes here: skiff has it, makes
          // it once not zero (it may not be yet after three collections),
          // or NOT_YET says why not. A chart in none fails the step.
          const unexplained: string[] = [];
          const missing = new Map<string, number>();
          let procCharts = 0;
          for (const [id, nd] of theirs) {
            if (nd.meta.split(" | ").at(-2) !== "proc.plugin") continue;
            procCharts++;
            if (wanted.has(id) || SKIFF_AUTO.test(id)) continue;
            const why = NOT_YET.find(([re]) => re.test(id));
            if (why) missing.set(why[1], (missing.get(why[1]) ?? 0) + 1);
            else unexplained.push(id);
          }
          console.log(
            `netdata made ${procCharts} proc.plugin charts, skiff ${wanted.size}; not yet in skiff:`,
            Object.fromEntries(missing),
          );
          assertEquals(
            unexplained,
            [],
            "netdata proc.plugin charts skiff neither has nor lists",
          );
        },
      );

      await t.step(
        "absolute values are on netdata's scale (/api/v1/data)",
        async () => {
          // Read both as close together as possible. The bounds catch unit and
          // scale errors (factors of 8, 1000, 1024) while letting memory move
          // between the two reads on a machine running other tests in
          // parallel (each test process commits hundreds of MiB).
          const fresh = await skiffProcCharts();
          const cases: [string, string, number][] = [
            ["system.ram", "used", 256],
            ["system.ram", "free", 256],
            ["system.ram", "cached", 256],
            ["mem.available", "MemAvailable", 256],
            ["mem.committed", "Committed_AS", 256],
            ["system.uptime", "uptime", 5],
          ];
          for (const [chartId, dimId, slack] of cases) {
            const chart = fresh.db.localhost.chart(chartId)!;
            const name = chart.dimension(dimId)!.name;
            const nd = await waitFor(
              `netdata's ${chartId}.${dimId}`,
              async () => {
                const data = await netdata.api<
                  { labels: string[]; data: (number | null)[][] }
                >(
                  `/api/v1/data?chart=${chartId}&points=1&after=-2&format=json&options=abs`,
                );
                // /api/v1/data labels its columns by dimension name
                // (its first points after start can be 0: wait for a real one)
                return data.data[0]?.[data.labels.indexOf(name)] || undefined;
              },
            );
            const mine = Math.abs(
              valueAt(chart, chart.dimension(dimId)!, chart.lastEntrySec()),
            );
            const ok = Math.abs(mine - nd) <= slack ||
              (mine / nd > 0.5 && mine / nd < 2);
            assert(ok, `${chartId}.${dimId}: skiff ${mine}, netdata ${nd}`);
          }
        },
      );
    } finally {
      listener.close();
      await netdata.stop();
    }
  },
});

Deno.test({
  name: "charts.d.plugin from Debian's netdata runs under skiff",
  ignore: !haveBinary(`${NETDATA_PLUGINS_DIR}/charts.d.plugin`, "netdata"),
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "skiff-chartsd-" });
    // charts.d runs only the modules its config forces on; the example
    // module makes random numbers of a known chart shape.
    await Deno.writeTextFile(
      `${dir}/charts.d.conf`,
      "example=force\nap=no\napcupsd=no\nlibreswan=no\nnut=no\nopensips=no\nsensors=no\n",
    );
    await Deno.mkdir(`${dir}/charts.d`);
    await Deno.writeTextFile(
      `${dir}/charts.d/example.conf`,
      "example_update_every=1\nexample_magic_number=12345\n",
    );
    const { config, errors } = parseConfig(
      `[global]
    hostname = chartsd
[backend]
    enabled = no
[directories]
    plugins = "${NETDATA_PLUGINS_DIR}"
    config = ${dir}
    stock config = /usr/lib/netdata/conf.d
    log = ${dir}
    cache = ${dir}
    lib = ${dir}
    run = ${dir}/run
[plugins]
    proc = no
    netdata monitoring = no
    enable running new plugins = no
    charts.d = yes
[plugin:charts.d]
    update every = 1
`,
      "chartsd.conf",
      { systemHostname: "chartsd" },
    );
    assertEquals(errors, []);
    const logs = memorySink();
    const agent = new Agent(config, {
      clock: realClock,
      log: new Logger("agent", { sink: logs.sink, level: "debug" }),
    });
    await agent.start();
    try {
      assertEquals(agent.plugins.map((p) => p.plugin.name), ["charts.d"]);
      const chart = await waitFor("example.random with stored values", () => {
        const c = agent.db.localhost.chart("example.random");
        return c && c.lastEntrySec() > 0 && c.dimensions.length === 3
          ? c
          : undefined;
      }, 30000).catch((e) => {
        throw new Error(`${e.message}\n${logs.lines.join("\n")}`);
      });
      assertEquals(chart.dimensions.map((d) => d.id), [
        "random1",
        "random2",
        "random3",
      ]);
      assertEquals(chart.plugin, "charts.d.plugin");
      for (const d of chart.dimensions) {
        const v = valueAt(chart, d, chart.lastEntrySec());
        assert(Number.isFinite(v), `${d.id} stored a number`);
      }
    } finally {
      await agent.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
