/**
 * End to end, as users run it: skiff as a process with the least Deno
 * permissions, its /proc collectors and a plugins.d test plugin emitting
 * known values, exporting to a real VictoriaMetrics (Graphite and OpenTSDB
 * listeners) and a real carbon-cache on loopback.
 */
import { assert, assertEquals } from "../helpers/assert.ts";
import {
  FIXTURE_PLUGINS,
  haveBinary,
  MAIN_TS,
  start,
  waitFor,
} from "../helpers/e2e.ts";
import {
  CARBON_BIN,
  startCarbon,
  startVictoria,
  VICTORIA_BIN,
} from "../helpers/servers.ts";

const EXPORT_EVERY = 2;

/** Writes a config and starts skiff with the flags `deno task start` uses. */
async function runSkiff(dir: string, name: string, backend: string) {
  const conf = `${dir}/${name}.conf`;
  await Deno.writeTextFile(
    conf,
    `[global]
    hostname = ${name}
    update every = 1
[backend]
    enabled = yes
    update every = ${EXPORT_EVERY}
    ${backend.replaceAll("\n", "\n    ")}
[directories]
    plugins = "${FIXTURE_PLUGINS}"
    run = ${name}-run
[plugins]
    proc = yes
    e2e = yes
`,
  );
  return start(Deno.execPath(), [
    "run",
    "--no-prompt",
    `--allow-read=${conf},${dir}/exporting.conf,${FIXTURE_PLUGINS},${dir}/${name}-run`,
    `--allow-write=${dir}/${name}-run`,
    `--allow-run=tail,kill,${FIXTURE_PLUGINS}/e2e.plugin`,
    "--allow-sys=hostname",
    "--allow-net=127.0.0.1",
    MAIN_TS,
    "run",
    "--config",
    conf,
  ]);
}

Deno.test({
  name: "skiff process with a plugin, exporting to real servers",
  ignore: !haveBinary(VICTORIA_BIN, "victoria-metrics") ||
    !haveBinary(CARBON_BIN, "graphite-carbon python3-whisper"),
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const dir = await Deno.makeTempDir({ prefix: "skiff-e2e-" });
    const vm = await startVictoria();
    const carbon = await startCarbon();
    const started = Math.floor(Date.now() / 1000);
    const agents = [
      await runSkiff(
        dir,
        "graphite-avg",
        `type = graphite\ndestination = 127.0.0.1:${vm.graphitePort}\ndata source = average`,
      ),
      await runSkiff(
        dir,
        "tsdb-collected",
        `type = opentsdb\ndestination = 127.0.0.1:${vm.opentsdbPort}\ndata source = as collected`,
      ),
      await runSkiff(
        dir,
        "carbon-sum",
        `type = graphite\ndestination = 127.0.0.1:${carbon.port}\ndata source = sum`,
      ),
    ];
    const logs = () => agents.map((a) => a.output()).join("\n---\n");
    try {
      await t.step(
        "graphite average: plugin values at aligned window ends",
        async () => {
          const got = await waitFor(
            "4 averaged points of e2e.values",
            async () => {
              const s = await vm.series(
                `netdata[.]graphite-avg[.]e2e[.]values[.].*`,
              );
              return s.length === 3 && s.every((x) => x.values.length >= 4)
                ? s
                : undefined;
            },
            30000,
          ).catch((e) => {
            throw new Error(`${e.message}\n${logs()}`);
          });
          for (const s of got) {
            const id = s.metric.__name__.split(".").pop();
            for (const ts of s.timestamps) {
              assertEquals(
                ts % (EXPORT_EVERY * 1000),
                0,
                "window ends are aligned",
              );
              assert(ts / 1000 >= started, "no point before skiff started");
            }
            if (id === "const") assertEquals(new Set(s.values), new Set([42]));
            if (id === "scaled") {
              assertEquals(new Set(s.values), new Set([12.345]));
            }
            if (id === "count") {
              // a counter plugin-side: each average is larger than the last
              for (let i = 1; i < s.values.length; i++) {
                assert(s.values[i] > s.values[i - 1]);
              }
            }
          }
        },
      );

      await t.step(
        "graphite average: /proc charts and self charts arrive too",
        async () => {
          const names = await waitFor("proc and self series", async () => {
            const s = await vm.series(
              `netdata[.]graphite-avg[.](system|netdata)[.].*`,
            );
            const n = new Set(s.map((x) => x.metric.__name__));
            return n.has("netdata.graphite-avg.system.cpu.user") &&
                n.has("netdata.graphite-avg.netdata.backend_metrics.sent")
              ? n
              : undefined;
          }, 30000);
          assert(
            names.has("netdata.graphite-avg.system.ram.used"),
            [...names].join(" "),
          );
        },
      );

      await t.step(
        "opentsdb as collected: raw numbers, host tag, collection times",
        async () => {
          const got = await waitFor("tsdb-collected series", async () => {
            const s = await vm.series(
              `netdata[.]e2e[.]values[.](scaled|count)`,
            );
            return s.length === 2 && s.every((x) => x.values.length >= 4)
              ? s
              : undefined;
          }, 30000);
          for (const s of got) {
            assertEquals(s.metric.host, "tsdb-collected");
            if (s.metric.__name__.endsWith("scaled")) {
              assertEquals(new Set(s.values), new Set([12345]));
            } else {
              const steps = s.values.slice(1).map((v, i) => v - s.values[i]);
              for (const d of steps) {
                assert(
                  d >= 1 && d <= 3,
                  `count advances by about 2 per cycle: ${steps}`,
                );
              }
            }
          }
        },
      );

      await t.step(
        "carbon sum: whisper holds 42 per stored slot, each slot once",
        async () => {
          const points = await waitFor("carbon whisper points", async () => {
            try {
              const m = await carbon.fetch(
                "netdata.carbon-sum.e2e.values.const",
                started - 5,
              );
              return m.size >= 4 ? m : undefined;
            } catch {
              return undefined;
            }
          }, 30000);
          const values = [...points.values()];
          const shown = JSON.stringify([...points]);
          // The plugin collects on its own schedule, so a slot stored just
          // after a tick goes out with the next window: a window sums 1 to 3
          // slots of 42, never a fraction, and no slot is lost or repeated:
          // after the first window, the windows sum to 2 slots each, give or
          // take the one slot that may straddle the last tick.
          for (const v of values) assert([42, 84, 126].includes(v), shown);
          const later = values.slice(1);
          const total = later.reduce((a, b) => a + b, 0);
          assert(Math.abs(total - 84 * later.length) <= 42, shown);
          for (const ts of points.keys()) assertEquals(ts % EXPORT_EVERY, 0);
        },
      );

      await t.step(
        "SIGTERM: each agent exits 0 promptly, after a last cycle",
        async () => {
          for (const a of agents) {
            const t0 = performance.now();
            await a.stop("SIGTERM");
            const status = await a.child.status;
            assertEquals(status.code, 0, a.output());
            assert(performance.now() - t0 < 2000, "stopped within 2 s");
            assert(
              /stopped: \d+ metrics sent, 0 lost/.test(a.output()),
              a.output(),
            );
          }
        },
      );
    } finally {
      for (const a of agents) await a.stop("SIGKILL");
      await vm.stop();
      await carbon.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
