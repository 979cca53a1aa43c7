import { haveBinary, MAIN_TS, start, until, waitFor } from "../helpers/e2e.ts";
import { assert, assertEquals, assertMatch } from "../helpers/assert.ts";
import { ManualClock, realClock } from "../../lib/clock.ts";
import { Agent } from "../../lib/agent.ts";
import { parseConfig } from "../../lib/config/mod.ts";
import type { Config } from "../../lib/config/mod.ts";
import {
  discoverPlugins,
  PluginRunner,
  splitCommandOptions,
} from "../../lib/collect/plugins_d.ts";
import type { PluginEntry } from "../../lib/collect/plugins_d.ts";
import {
  formatPidFile,
  parsePidFile,
  parseProcStat,
  pidFilePath,
  PLUGIN_STOP_GRACE_MS,
} from "../../lib/collect/plugin_processes.ts";
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

function runner(
  plugin: PluginEntry,
  cfg: Config,
  options: { realTime?: boolean } = {},
) {
  const clock = new ManualClock(Math.floor(Date.now() / 1000) * 1000);
  const db = new Database({ hostname: "h" });
  const logs = memorySink();
  const r = new PluginRunner(plugin, {
    config: cfg,
    host: db.localhost,
    clock: options.realTime ? realClock : clock,
    log: new Logger("agent", { sink: logs.sink, level: "debug" }),
  });
  return { r, clock, db, logs };
}

/**
 * A temp plugins directory with NAME.plugin (a shell script), enabled, its
 * run directory inside; `more` is appended to [plugins].
 */
async function onePlugin(
  name: string,
  body: string,
  options: { more?: string; realTime?: boolean } = {},
) {
  const dir = await pluginsDir({ [name]: body });
  const cfg = config(
    `[directories]\nplugins = ${dir}\nrun = ${dir}/run\n[plugins]\n${name} = yes\n${
      options.more ?? ""
    }`,
  );
  const { plugins } = await discoverPlugins(cfg);
  return { dir, cfg, ...runner(plugins[0], cfg, options) };
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
        `[directories]\nplugins = "${dir}" /nonexistent/skiff\nrun = ${dir}/run\n[plugins]\na = yes\nb = no\nenable running new plugins = yes\n`,
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
      `[global]\nhostname = edge-7\n[directories]\nplugins = ${dir}\nrun = ${dir}/run\nconfig = /etc/skiff\n[plugin:args]\nupdate every = 3\ncommand options = --x "a b" y\n`,
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
      const { dir, r, db, logs } = await onePlugin(
        "bad",
        `${GOOD_CHART}
echo "BEGIN t.values"
echo "SET v = 7"
echo "END"
echo "SET v = 99"
echo "BEGIN nosuch.chart"
echo "FROBNICATE all the things"
echo "DIMENSION w '' sideways 1 1"
echo DISABLE`,
      );
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
      const { dir, r, clock } = await onePlugin(
        "off",
        "echo DISABLE\nsleep 30",
      );
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
        `[directories]\nplugins = ${dir}\nrun = ${dir}/run\n[plugins]\nflaky = yes\nbroken = yes\n`,
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

/** Whether `pid` is a live process (not gone, not a zombie). */
function alive(pid: number): boolean {
  try {
    return parseProcStat(Deno.readTextFileSync(`/proc/${pid}/stat`)) !==
      undefined;
  } catch {
    return false;
  }
}

/** The value the test chart last collected, or 0. */
function lastValue(db: Database): number {
  return db.localhost.chart("t.values")?.dimension("v")?.lastCollectedValue ??
    0;
}

/**
 * Ignores SIGTERM (its `sleep`s inherit that) and SIGPIPE (so that skiff
 * closing its stdout does not end it either); collects every 100 ms.
 * `before` runs first (e.g. starts a grandchild).
 */
function stubborn(before = ""): string {
  return `${before}
trap '' TERM PIPE
${GOOD_CHART}
i=0
while :; do
  i=$((i + 1))
  echo "BEGIN t.values"; echo "SET v = $i"; echo "END"
  sleep 0.1
done`;
}

/** Lines logged from a plugin's stderr (not the suppression notes). */
function stderrLines(lines: string[]): string[] {
  return lines.filter((l) => / info {2}plugin \w+: stderr: /.test(l)).map((l) =>
    l.slice(l.indexOf("stderr: ") + "stderr: ".length)
  );
}

/** The counts of the "N more lines not logged" notes. */
function suppressionNotes(lines: string[]): number[] {
  return lines.flatMap((l) => {
    const m = / warn {2}plugin \w+: stderr: (\d+) more lines not logged/.exec(
      l,
    );
    return m ? [Number(m[1])] : [];
  });
}

Deno.test({
  name: "plugins.d stopping: SIGTERM, SIGKILL after the grace, bounded",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    // Bound: run() settles between the grace (the plugin had its chance)
    // and the grace + 500 ms after the abort.
    const BOUND_MS = PLUGIN_STOP_GRACE_MS + 500;

    await t.step(
      `a plugin ignoring SIGTERM: killed, run() settles in [${PLUGIN_STOP_GRACE_MS}, ${BOUND_MS}) ms`,
      async () => {
        const { dir, r, db, logs } = await onePlugin("stubborn", stubborn());
        const abort = new AbortController();
        const running = r.run(abort.signal);
        await until("it collects", () => lastValue(db) >= 2);
        const pid = r.pid!;
        assertEquals(
          parsePidFile(
            await Deno.readTextFile(`${dir}/run/stubborn.plugin.pid`),
          ),
          { pid, ownerPid: Deno.pid, path: `${dir}/stubborn.plugin` },
        );
        const t0 = performance.now();
        abort.abort();
        await running;
        const ms = performance.now() - t0;
        assert(ms >= PLUGIN_STOP_GRACE_MS - 20, `SIGKILL came early: ${ms} ms`);
        assert(ms < BOUND_MS, `stop took ${ms} ms`);
        assert(!alive(pid), "the plugin is gone");
        assert(
          logs.lines.some((l) =>
            l.includes(
              `pid ${pid} still running ${PLUGIN_STOP_GRACE_MS} ms after SIGTERM; sending SIGKILL`,
            )
          ),
          logs.lines.join("\n"),
        );
        assertEquals(
          [...Deno.readDirSync(`${dir}/run`)],
          [],
          "its pid file is removed",
        );
        await Deno.remove(dir, { recursive: true });
      },
    );

    await t.step(
      `the same with a grandchild holding its stdout: settles < ${BOUND_MS} ms`,
      async () => {
        const dir = await pluginsDir({});
        await Deno.writeTextFile(
          `${dir}/held.plugin`,
          `#!/bin/sh\n${stubborn(`sleep 30 &\necho $! > ${dir}/grandchild`)}\n`,
        );
        await Deno.chmod(`${dir}/held.plugin`, 0o755);
        const cfg = config(
          `[directories]\nplugins = ${dir}\nrun = ${dir}/run\n[plugins]\nheld = yes\n`,
        );
        const { plugins } = await discoverPlugins(cfg);
        const { r, db } = runner(plugins[0], cfg);
        const abort = new AbortController();
        const running = r.run(abort.signal);
        await until("it collects", () => lastValue(db) >= 2);
        const grandchild = Number(await Deno.readTextFile(`${dir}/grandchild`));
        const t0 = performance.now();
        abort.abort();
        await running;
        const ms = performance.now() - t0;
        assert(ms < BOUND_MS, `stop took ${ms} ms`);
        assert(alive(grandchild), "the grandchild still holds the pipes");
        Deno.kill(grandchild, "SIGKILL");
        await Deno.remove(dir, { recursive: true });
      },
    );

    await t.step(
      "the whole agent (a plugin ignoring SIGTERM, /proc, no exporter) stops in < 2000 ms",
      async () => {
        const dir = await pluginsDir({ stubborn: stubborn() });
        const cfg = config(
          `[global]\nhostname = stubborn\n[directories]\nplugins = ${dir}\nrun = ${dir}/run\n[plugins]\nstubborn = yes\n`,
        );
        const logs = memorySink();
        const agent = new Agent(cfg, {
          clock: realClock,
          log: new Logger("skiff", { sink: logs.sink, level: "debug" }),
        });
        assertEquals(agent.exporter, undefined);
        await agent.start();
        await until("it collects", () => lastValue(agent.db) >= 2);
        const pid = agent.plugins[0].pid!;
        const t0 = performance.now();
        await agent.stop();
        const ms = performance.now() - t0;
        assert(ms < 2000, `stop took ${ms} ms\n${logs.lines.join("\n")}`);
        assert(!alive(pid), "the plugin is gone");
        assertEquals(
          [...Deno.readDirSync(`${dir}/run`)],
          [],
          "the runner ended (it removed its pid file) before stop() returned",
        );
        await Deno.remove(dir, { recursive: true });
      },
    );
  },
});

Deno.test({
  name: "plugins.d stdin: open while the plugin runs, as netdata gives it",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    await t.step(
      "a plugin that exits on EOF on stdin keeps running (1 s, one run)",
      async () => {
        const { dir, r, db, logs } = await onePlugin(
          "reader",
          `${GOOD_CHART}
i=0
while :; do
  i=$((i + 1))
  echo "BEGIN t.values"; echo "SET v = $i"; echo "END"
  sleep 0.1
done &
read x
echo "EOF on stdin" >&2
kill $!
exit 1`,
        );
        const abort = new AbortController();
        const running = r.run(abort.signal);
        await until("10 collections (about 1 s)", () => lastValue(db) >= 10);
        assertEquals(r.state.runs, 1);
        assert(r.pid !== undefined && alive(r.pid), "still running");
        assert(
          !logs.lines.some((l) => l.includes("EOF on stdin")),
          logs.lines.join("\n"),
        );
        abort.abort();
        await running;
        await Deno.remove(dir, { recursive: true });
      },
    );

    const APPS = "/usr/lib/netdata/plugins.d/apps.plugin";
    await t.step({
      name:
        "Debian's netdata 1.37 apps.plugin runs and collects (as root; 15 s at most)",
      ignore: !haveBinary(APPS, "netdata") || Deno.uid() !== 0,
      fn: async () => {
        const dir = await Deno.makeTempDir({ prefix: "skiff-apps-" });
        const cfg = config(
          `[directories]\nplugins = /usr/lib/netdata/plugins.d\nrun = ${dir}/run\nconfig = /etc/netdata\nstock config = /usr/lib/netdata/conf.d\ncache = ${dir}\nlib = ${dir}\nlog = ${dir}\n[plugins]\napps = yes\n`,
        );
        const { plugins } = await discoverPlugins(cfg);
        const apps = plugins.find((p) => p.name === "apps")!;
        const db = new Database({ hostname: "h" });
        const logs = memorySink();
        const r = new PluginRunner(apps, {
          config: cfg,
          host: db.localhost,
          clock: realClock,
          log: new Logger("agent", { sink: logs.sink, level: "debug" }),
        });
        const abort = new AbortController();
        const running = r.run(abort.signal);
        try {
          await until(
            "apps.cpu stores a point",
            () => (db.localhost.chart("apps.cpu")?.lastEntrySec() ?? 0) > 0,
            15000,
          ).catch((e) => {
            throw new Error(`${e.message}\n${logs.lines.join("\n")}`);
          });
          assertEquals(r.state.runs, 1, logs.lines.join("\n"));
          assert(
            !logs.lines.some((l) => l.includes("Received error on stdin")),
            logs.lines.join("\n"),
          );
        } finally {
          const t0 = performance.now();
          abort.abort();
          await running;
          const ms = performance.now() - t0;
          assert(ms < PLUGIN_STOP_GRACE_MS + 500, `stop took ${ms} ms`);
          await Deno.remove(dir, { recursive: true });
        }
      },
    });
  },
});

Deno.test({
  name: "plugins.d stderr: rate-limited, counted, escaped",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    await t.step(
      "100,000 lines in one second: exactly 20 logged and one note of 99,980",
      async () => {
        const { dir, r, clock, logs } = await onePlugin(
          "flood",
          "seq 1 100000 >&2\nexit 3",
        );
        const t0 = performance.now();
        await r.run(new AbortController().signal);
        const ms = performance.now() - t0;
        assertEquals(r.state.stderrLines, 100_000);
        assertEquals(
          stderrLines(logs.lines),
          Array.from({ length: 20 }, (_, i) => String(i + 1)),
        );
        assertEquals(suppressionNotes(logs.lines), [99_980]);
        assertEquals(clock.pendingSleepers, 0, "no note left scheduled");
        // The manual clock keeps all of them in one window; real time only
        // bounds how fast they are read.
        assert(ms < 5000, `reading 100,000 lines took ${ms} ms`);
        await Deno.remove(dir, { recursive: true });
      },
    );

    await t.step(
      "windows: a note when the second ends, then a new allowance",
      async () => {
        const { dir, r, clock, logs } = await onePlugin(
          "burst",
          `seq 1 30 >&2
while [ ! -e "$(dirname "$0")/go" ]; do sleep 0.02; done
seq 31 60 >&2
exit 3`,
          { more: "stderr lines per second = 20\n" },
        );
        const running = r.run(new AbortController().signal);
        await until("30 lines read", () => r.state.stderrLines === 30);
        assertEquals(stderrLines(logs.lines).length, 20);
        assertEquals(suppressionNotes(logs.lines), [], "not before it ends");
        assertEquals(clock.pendingSleepers, 1, "the note is scheduled");
        await clock.advance(1000);
        assertEquals(suppressionNotes(logs.lines), [10]);
        await Deno.writeTextFile(`${dir}/go`, "");
        await running;
        assertEquals(r.state.stderrLines, 60);
        assertEquals(
          stderrLines(logs.lines),
          [
            ...Array.from({ length: 20 }, (_, i) => String(i + 1)),
            ...Array.from({ length: 20 }, (_, i) => String(i + 31)),
          ],
        );
        assertEquals(suppressionNotes(logs.lines), [10, 10]);
        await Deno.remove(dir, { recursive: true });
      },
    );

    await t.step(
      "a sustained flood (yes, 2 s, real clock): at most 20 a second logged, every other line counted",
      async () => {
        const { dir, r, logs } = await onePlugin(
          "yes",
          "exec yes 'flood line' >&2",
          { realTime: true },
        );
        const abort = new AbortController();
        const t0 = performance.now();
        const running = r.run(abort.signal);
        await new Promise((resolve) => setTimeout(resolve, 2000));
        abort.abort();
        await running;
        const ms = performance.now() - t0;
        const windows = Math.floor(ms / 1000) + 1;
        const logged = stderrLines(logs.lines);
        const notes = suppressionNotes(logs.lines);
        const perSecond = Math.round(r.state.stderrLines / (ms / 1000));
        assert(
          perSecond >= 100_000,
          `the flood was ${perSecond} lines/s, less than 100,000`,
        );
        assert(logged.length <= 20 * windows, `${logged.length} logged`);
        assert(notes.length <= windows, `${notes.length} notes`);
        assertEquals(
          logged.length + notes.reduce((a, b) => a + b, 0),
          r.state.stderrLines,
          "every line is logged or counted in a note",
        );
        await Deno.remove(dir, { recursive: true });
      },
    );

    await t.step(
      "control characters in stderr and in bad protocol lines are escaped",
      async () => {
        const { dir, r, logs } = await onePlugin(
          "esc",
          String.raw`printf 'bell\007 esc\033[31m red\r back\\slash\n' >&2
printf 'BEGIN no\033[2Jchart\n'
exit 3`,
        );
        await r.run(new AbortController().signal);
        assertEquals(stderrLines(logs.lines), [
          String.raw`bell\x07 esc\x1b[31m red\x0d back\\slash`,
        ]);
        assert(
          logs.lines.some((l) =>
            l.includes(
              String.raw`line 1: BEGIN "no\x1b[2Jchart": no such chart`,
            )
          ),
          logs.lines.join("\n"),
        );
        for (const l of logs.lines) {
          // deno-lint-ignore no-control-regex -- looking for them is the point
          assert(!/[\x00-\x1f\x7f]/.test(l), `raw control character in ${l}`);
        }
        await Deno.remove(dir, { recursive: true });
      },
    );
  },
});

Deno.test({
  name: "plugins.d leftovers: a plugin a killed skiff left running is stopped",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    await t.step(
      `from its pid file, before the new one starts (grace ${PLUGIN_STOP_GRACE_MS} ms + 1000 ms at most)`,
      async () => {
        const dir = await pluginsDir({ left: stubborn() });
        const path = `${dir}/left.plugin`;
        // The killed skiff: a process that is gone.
        const killed = new Deno.Command("true").spawn();
        await killed.status;
        const leftover = new Deno.Command(path, {
          args: ["1"],
          stdin: "null",
          stdout: "null",
          stderr: "null",
        }).spawn();
        await Deno.mkdir(`${dir}/run`);
        await Deno.writeTextFile(
          pidFilePath(`${dir}/run`, "left"),
          formatPidFile({ pid: leftover.pid, ownerPid: killed.pid, path }),
        );
        // Deno.Command returns before the exec: wait for the plugin's trap.
        await until("the leftover ignores SIGTERM", () => {
          try {
            const status = Deno.readTextFileSync(
              `/proc/${leftover.pid}/status`,
            );
            const ignored = BigInt(`0x${/SigIgn:\s*(\w+)/.exec(status)![1]}`);
            return (ignored & (1n << 14n)) !== 0n; // SIGTERM is signal 15
          } catch {
            return false;
          }
        });
        const cfg = config(
          `[directories]\nplugins = ${dir}\nrun = ${dir}/run\n[plugins]\nleft = yes\n`,
        );
        const { plugins } = await discoverPlugins(cfg);
        const { r, db, logs } = runner(plugins[0], cfg);
        const abort = new AbortController();
        const t0 = performance.now();
        const running = r.run(abort.signal);
        await until("the new one starts", () => r.pid !== undefined);
        const ms = performance.now() - t0;
        assert(
          ms >= PLUGIN_STOP_GRACE_MS - 20 && ms < PLUGIN_STOP_GRACE_MS + 1000,
          `${ms} ms\n${logs.lines.join("\n")}`,
        );
        assertEquals((await leftover.status).signal, "SIGKILL");
        const stopped = logs.lines.findIndex((l) =>
          l.includes(`stopped ${path} (pid ${leftover.pid}) with SIGKILL`)
        );
        const started = logs.lines.findIndex((l) => l.includes("started "));
        assert(stopped >= 0 && stopped < started, logs.lines.join("\n"));
        assertMatch(
          logs.lines.join("\n"),
          new RegExp(
            `warn  plugin left: .*pid ${leftover.pid}\\) was left running by a skiff \\(pid ${killed.pid}\\)`,
          ),
        );
        await until("the new one collects", () => lastValue(db) >= 1);
        assertEquals(
          parsePidFile(
            await Deno.readTextFile(pidFilePath(`${dir}/run`, "left")),
          )
            ?.pid,
          r.pid,
        );
        abort.abort();
        await running;
        await Deno.remove(dir, { recursive: true });
      },
    );

    await t.step(
      "a real skiff (least flags) killed with SIGKILL, then started again: its plugin is stopped; SIGTERM then ends the new one in < 2000 ms",
      async () => {
        const dir = await pluginsDir({ left: stubborn() });
        const conf = `${dir}/skiff.conf`;
        await Deno.writeTextFile(
          conf,
          `[global]\nhostname = left\n[directories]\nplugins = ${dir}\nrun = run\n[plugins]\nproc = no\nleft = yes\n`,
        );
        const printed = await new Deno.Command(Deno.execPath(), {
          args: ["run", "-A", MAIN_TS, "permissions", "--config", conf],
          stdout: "piped",
          stderr: "piped",
        }).output();
        const flags = new TextDecoder().decode(printed.stdout).trim().split(
          " ",
        );
        // What a plugin adds (tail although proc = no); the whole list is
        // tests/permissions_test.ts's.
        for (
          const flag of [
            `--allow-read=${conf},${dir}/exporting.conf,${dir},${dir}/run`,
            `--allow-write=${dir}/run`,
            `--allow-run=tail,kill,${dir}/left.plugin`,
          ]
        ) assert(flags.includes(flag), `${flag} in ${flags.join(" ")}`);
        const skiff = () =>
          start(Deno.execPath(), [
            "run",
            ...flags,
            MAIN_TS,
            "run",
            "--config",
            conf,
          ]);
        const pidFile = pidFilePath(`${dir}/run`, "left");
        const pidIn = async () => {
          try {
            return parsePidFile(await Deno.readTextFile(pidFile));
          } catch {
            return undefined;
          }
        };
        const first = skiff();
        let leftover: number;
        try {
          leftover = (await waitFor("the first pid file", pidIn)).pid;
          await first.stop("SIGKILL");
        } finally {
          await first.stop("SIGKILL");
        }
        assert(alive(leftover), "the plugin outlived its skiff");
        const second = skiff();
        try {
          const stopped =
            `stopped ${dir}/left.plugin (pid ${leftover}) with SIGKILL`;
          await waitFor(
            "the leftover stopped",
            () => second.output().includes(stopped) || undefined,
          ).catch((e) => {
            throw new Error(`${e.message}\n${second.output()}`);
          });
          assert(!alive(leftover), "the leftover is gone");
          const now = await waitFor(
            "the new pid file",
            async () => {
              const p = await pidIn();
              return p && p.pid !== leftover ? p : undefined;
            },
          );
          assert(alive(now.pid));
          const t0 = performance.now();
          await second.stop("SIGTERM");
          const ms = performance.now() - t0;
          assertEquals((await second.child.status).code, 0, second.output());
          assert(ms < 2000, `SIGTERM to exit took ${ms} ms`);
          assert(!alive(now.pid), "its plugin is gone");
          assertEquals(await pidIn(), undefined, "its pid file is removed");
          assert(!second.output().includes("NotCapable"), second.output());
        } finally {
          await second.stop("SIGKILL");
        }
        await Deno.remove(dir, { recursive: true });
      },
    );
  },
});

Deno.test("plugins.d config keys", async (t) => {
  await t.step(
    "[directories] run: /run/skiff, relative to the config file's directory",
    () => {
      assertEquals(config("").directories.run, "/run/skiff");
      const r = parseConfig("[directories]\nrun = run\n", "/etc/s/skiff.conf", {
        systemHostname: "h",
        baseDir: "/etc/s",
      });
      assertEquals(r.config.directories.run, "/etc/s/run");
    },
  );
  await t.step("[plugins] stderr lines per second: 20, 0 allowed", () => {
    assertEquals(config("").plugins.stderrLinesPerSec, 20);
    assertEquals(
      config("[plugins]\nstderr lines per second = 0\n").plugins
        .stderrLinesPerSec,
      0,
    );
    const r = parseConfig(
      "[plugins]\nstderr lines per second = -1\n",
      "p.conf",
      { systemHostname: "h" },
    );
    assertEquals(r.errors.length, 1);
    assertEquals(r.config.plugins.byName, {}, "not taken for a plugin name");
  });
});
