import { until } from "../helpers/e2e.ts";
import { assert, assertEquals, assertMatch } from "../helpers/assert.ts";
import { ManualClock } from "../../lib/clock.ts";
import { parseConfig } from "../../lib/config/mod.ts";
import type { Config } from "../../lib/config/mod.ts";
import {
  discoverPlugins,
  PluginRunner,
  splitCommandOptions,
} from "../../lib/collect/plugins_d.ts";
import type { PluginEntry } from "../../lib/collect/plugins_d.ts";
import { Logger, memorySink } from "../../lib/log.ts";
import { Database } from "../../lib/storage/rrd.ts";

/** A temp plugins directory with `*.plugin` shell scripts. */
async function pluginsDir(scripts: Record<string, string>): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "skiff-plugins-" });
  for (const [name, body] of Object.entries(scripts)) {
    const path = `${dir}/${name}.plugin`;
    await Deno.writeTextFile(path, `#!/bin/sh\n${body}\n`);
    await Deno.chmod(path, 0o755);
  }
  return dir;
}

function config(text: string): Config {
  const { config, errors } = parseConfig(text, "plugins.conf", {
    systemHostname: "h",
  });
  assertEquals(errors, []);
  return config;
}

function runner(plugin: PluginEntry, cfg: Config) {
  const clock = new ManualClock(Math.floor(Date.now() / 1000) * 1000);
  const db = new Database({ hostname: "h" });
  const logs = memorySink();
  const r = new PluginRunner(plugin, {
    config: cfg,
    host: db.localhost,
    clock,
    log: new Logger("agent", { sink: logs.sink, level: "debug" }),
  });
  return { r, clock, db, logs };
}

const GOOD_CHART = `echo "CHART t.values '' 'test' 'n' t t.values line 1 1"
echo "DIMENSION v '' absolute 1 1"`;

Deno.test("plugins.d runner with real child processes", async (t) => {
  await t.step(
    "discovery: per-name switches, new-plugin default, missing directories",
    async () => {
      const dir = await pluginsDir({ a: "exit 0", b: "exit 0", c: "exit 0" });
      await Deno.writeTextFile(`${dir}/notaplugin.sh`, "");
      const cfg = config(
        `[directories]\nplugins = "${dir}" /nonexistent/skiff\n[plugins]\na = yes\nb = no\nenable running new plugins = yes\n`,
      );
      const { plugins, problems } = await discoverPlugins(cfg);
      assertEquals(
        plugins.map((p) => [p.name, p.enabled]).sort(),
        [["a", true], ["b", false], ["c", true]],
      );
      assertEquals(problems.length, 1);
      assertMatch(problems[0], /\/nonexistent\/skiff/);
      await Deno.remove(dir, { recursive: true });
    },
  );

  await t.step("arguments and environment as netdata passes them", async () => {
    const dir = await pluginsDir({});
    const out = `${dir}/seen.txt`;
    await Deno.writeTextFile(
      `${dir}/args.plugin`,
      `#!/bin/sh\necho "$@|$NETDATA_UPDATE_EVERY|$NETDATA_HOSTNAME|$NETDATA_USER_CONFIG_DIR|$NETDATA_PLUGINS_DIR" > ${out}\necho DISABLE\n`,
    );
    await Deno.chmod(`${dir}/args.plugin`, 0o755);
    const cfg = config(
      `[global]\nhostname = edge-7\n[directories]\nplugins = ${dir}\nconfig = /etc/skiff\n[plugin:args]\nupdate every = 3\ncommand options = --x "a b" y\n`,
    );
    const { plugins } = await discoverPlugins(cfg);
    const { r } = runner(plugins[0], cfg);
    await r.run(new AbortController().signal);
    assertEquals(
      (await Deno.readTextFile(out)).trim(),
      `3 --x a b y|3|edge-7|/etc/skiff|${dir}`,
    );
    assertEquals(splitCommandOptions(`--x "a b" 'c d' e`), [
      "--x",
      "a b",
      "c d",
      "e",
    ]);
    await Deno.remove(dir, { recursive: true });
  });

  await t.step(
    "bad lines are logged with plugin and line number; stored data is untouched",
    async () => {
      const dir = await pluginsDir({
        bad: `${GOOD_CHART}
echo "BEGIN t.values"
echo "SET v = 7"
echo "END"
echo "SET v = 99"
echo "BEGIN nosuch.chart"
echo "FROBNICATE all the things"
echo "DIMENSION w '' sideways 1 1"
echo DISABLE`,
      });
      const cfg = config(
        `[directories]\nplugins = ${dir}\n[plugins]\nbad = yes\n`,
      );
      const { plugins } = await discoverPlugins(cfg);
      const { r, db, logs } = runner(plugins[0], cfg);
      await r.run(new AbortController().signal);
      const errors = logs.lines.filter((l) => l.includes(" error "));
      assert(errors.length >= 3, logs.lines.join("\n"));
      for (const e of errors) assertMatch(e, /plugin bad: line \d+: /);
      assert(errors.some((e) => e.includes("line 6:")), errors.join("\n"));
      assert(
        errors.some((e) => e.includes("line 7:") && e.includes("nosuch.chart")),
        errors.join("\n"),
      );
      assert(
        errors.some((e) => e.includes("line 9:") && e.includes("sideways")),
        errors.join("\n"),
      );
      const chart = db.localhost.chart("t.values")!;
      assertEquals(
        chart.dimensions.map((d) => d.id),
        ["v"],
        "the bad DIMENSION made nothing",
      );
      assertEquals(
        chart.dimension("v")!.lastCollectedValue,
        7,
        "the stray SET changed nothing",
      );
      assertEquals(r.state.badLines, errors.length);
      await Deno.remove(dir, { recursive: true });
    },
  );

  await t.step(
    "DISABLE: the plugin is stopped and never restarted",
    async () => {
      const dir = await pluginsDir({ off: "echo DISABLE\nsleep 30" });
      const cfg = config(
        `[directories]\nplugins = ${dir}\n[plugins]\noff = yes\n`,
      );
      const { plugins } = await discoverPlugins(cfg);
      const { r, clock } = runner(plugins[0], cfg);
      const t0 = performance.now();
      await r.run(new AbortController().signal);
      assert(performance.now() - t0 < 5000, "its sleep was cut short");
      assertEquals([r.state.runs, r.state.disabled], [1, true]);
      assertEquals(clock.pendingSleepers, 0, "nothing scheduled to restart it");
      await Deno.remove(dir, { recursive: true });
    },
  );

  await t.step(
    "exit after collecting: restarted after 10 x update every; never collecting: disabled",
    async () => {
      const dir = await pluginsDir({
        flaky:
          `${GOOD_CHART}\necho "BEGIN t.values"\necho "SET v = 1"\necho "END"\nexit 3`,
        broken: "exit 3",
      });
      const cfg = config(
        `[directories]\nplugins = ${dir}\n[plugins]\nflaky = yes\nbroken = yes\n`,
      );
      const { plugins } = await discoverPlugins(cfg);
      const flaky = plugins.find((p) => p.name === "flaky")!;
      const { r, clock, db, logs } = runner(flaky, cfg);
      const abort = new AbortController();
      const running = r.run(abort.signal);
      await until(
        "first run ends and waits",
        () => r.state.runs === 1 && clock.pendingSleepers === 1,
      );
      assertEquals(r.state.lastExitCode, 3);
      assert(
        logs.lines.some((l) =>
          l.includes("exited with code 3; restarting in 10s")
        ),
        logs.lines.join("\n"),
      );
      await clock.advance(9_000);
      assertEquals(r.state.runs, 1, "not before the backoff");
      await clock.advance(1_000);
      await until(
        "second run",
        () => r.state.runs === 2 && clock.pendingSleepers === 1,
      );
      assertEquals(
        db.localhost.chart("t.values")!.dimension("v")!.lastCollectedValue,
        1,
      );
      assertEquals(r.state.completions, 2, "one completion per run");
      abort.abort();
      await running;

      const b = runner(plugins.find((p) => p.name === "broken")!, cfg);
      await b.r.run(new AbortController().signal);
      assertEquals([b.r.state.runs, b.r.state.disabled], [1, true]);
      assert(
        b.logs.lines.some((l) =>
          l.includes("never collected any data; disabling it")
        ),
      );
      await Deno.remove(dir, { recursive: true });
    },
  );
});
