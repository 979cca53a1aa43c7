import {
  assert,
  assertEquals,
  assertMatch,
  assertStringIncludes,
} from "./helpers/assert.ts";

import { dirname, join } from "node:path";
const MAIN = new URL("../main.ts", import.meta.url).pathname;

async function skiff(args: string[], options: { stdinText?: string } = {}) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    stdout: "piped",
    stderr: "piped",
    stdin: options.stdinText === undefined ? "null" : "piped",
  }).output();
  const dec = new TextDecoder();
  return {
    code: out.code,
    stdout: dec.decode(out.stdout),
    stderr: dec.decode(out.stderr),
  };
}

async function tempConfig(text: string): Promise<string> {
  const path = await Deno.makeTempFile({ suffix: ".conf" });
  await Deno.writeTextFile(path, text);
  return path;
}

Deno.test("CLI", async (t) => {
  await t.step("version and help exit 0", async () => {
    const v = await skiff(["version"]);
    assertEquals(v.code, 0);
    assertMatch(v.stdout, /^skiff \d+\.\d+\.\d+/);
    for (const cmd of ["run", "check", "config", "version"]) {
      const h = await skiff([cmd, "--help"]);
      assertEquals(h.code, 0, cmd);
      assertStringIncludes(h.stdout, `skiff ${cmd}`);
    }
  });

  await t.step(
    "unknown commands and flags exit 2 with a clear message",
    async () => {
      const a = await skiff(["frobnicate"]);
      assertEquals(a.code, 2);
      assertStringIncludes(a.stderr, 'unknown command "frobnicate"');
      const b = await skiff(["run", "--nope"]);
      assertEquals(b.code, 2);
      assertStringIncludes(b.stderr, "--nope");
      const c = await skiff(["check"]);
      assertEquals(c.code, 2);
      assertStringIncludes(c.stderr, "check needs --config FILE");
      const d = await skiff(["run", "--log-level", "loud"]);
      assertEquals(d.code, 2);
      assertEquals((await skiff([])).code, 2);
    },
  );

  await t.step(
    "check: a typo'd key, a bad number, an unknown data source -> three messages, exit 1",
    async () => {
      const path = await tempConfig(
        "[backend]\nenabled = yes\nupate every = 5\ntimeout ms = ten\ndata source = median\n",
      );
      const r = await skiff(["check", "--config", path]);
      assertEquals(r.code, 1);
      const lines = r.stderr.trim().split("\n");
      assertEquals(lines.length, 4);
      assertStringIncludes(
        lines[0],
        `warning: ${path}:3: Unknown key "upate every" in [backend] (did you mean "update every"?)`,
      );
      assertStringIncludes(
        r.stderr,
        `error: ${path}:4: Cannot parse "timeout ms" in [backend]: expected an integer, got "ten"`,
      );
      assertStringIncludes(
        r.stderr,
        `error: ${path}:5: Cannot parse "data source" in [backend]: expected one of`,
      );
      assertStringIncludes(lines[3], "2 error(s), 1 warning(s)");
    },
  );

  await t.step(
    "check: a good file prints the effective config with defaults, exit 0",
    async () => {
      const path = await tempConfig(
        "[backend]\nenabled = yes\ndestination = [::1]:2003\n",
      );
      const r = await skiff(["check", "--config", path]);
      assertEquals(r.code, 0, r.stderr);
      assertStringIncludes(r.stdout, "    timeout ms = 20000");
      assertStringIncludes(r.stdout, "    data source = average");
      assertStringIncludes(r.stdout, "    destination = [::1]:2003");
    },
  );

  await t.step("check: a missing file is an error naming it", async () => {
    const r = await skiff(["check", "--config", "/nonexistent/skiff.conf"]);
    assertEquals(r.code, 1);
    assertStringIncludes(
      r.stderr,
      "/nonexistent/skiff.conf: Cannot read config file",
    );
  });

  await t.step("config prints every key, commented", async () => {
    const r = await skiff(["config"]);
    assertEquals(r.code, 0);
    for (
      const key of [
        "# enabled = no",
        "# data source = average",
        "# buffer on failures = 10",
        "# timeout ms = (update every * 2000)",
      ]
    ) {
      assertStringIncludes(r.stdout, key);
    }
  });

  await t.step("run with a bad config does not start, exit 1", async () => {
    const path = await tempConfig("[backend]\nupdate every = 0\n");
    const r = await skiff(["run", "--config", path]);
    assertEquals(r.code, 1);
    assertStringIncludes(r.stderr, "not starting");
  });

  await t.step(
    "run: SIGTERM and SIGINT stop the agent with exit 0 within 2 seconds",
    async () => {
      for (const signal of ["SIGTERM", "SIGINT"] as const) {
        const path = await tempConfig(
          "[backend]\nenabled = yes\ndestination = stdout\nupdate every = 1\n[plugins]\nproc = no\n",
        );
        const child = new Deno.Command(Deno.execPath(), {
          args: ["run", "-A", MAIN, "run", "--config", path],
          stdout: "piped",
          stderr: "piped",
        }).spawn();
        // Wait for the agent to say it started before signalling it.
        const reader = child.stderr.pipeThrough(new TextDecoderStream())
          .getReader();
        let seen = "";
        while (!seen.includes("started:")) {
          const { value, done } = await reader.read();
          if (done) break;
          seen += value;
        }
        const t0 = performance.now();
        child.kill(signal);
        const status = await child.status;
        const elapsed = performance.now() - t0;
        reader.releaseLock();
        await child.stderr.cancel().catch(() => {});
        await child.stdout.cancel();
        assertEquals(status.code, 0, `${signal}: exit code`);
        assert(elapsed < 2000, `${signal}: stopped in ${elapsed} ms`);
      }
    },
  );

  await t.step(
    "a listen address in use: a clear error, exit 1, nothing started",
    async () => {
      const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
      try {
        const path = await tempConfig(
          `[web]\nmode = static-threaded\nbind to = 127.0.0.1:${taken.addr.port}\n` +
            `[backend]\nenabled = yes\ndestination = stdout\nupdate every = 1\n`,
        );
        const r = await skiff(["run", "--config", path]);
        assertEquals(r.code, 1);
        assertStringIncludes(
          r.stderr,
          `cannot listen on [web] bind to "127.0.0.1:${taken.addr.port}": the address is already in use; not starting`,
        );
        assertEquals(r.stdout, "", "no metric was exported");
      } finally {
        taken.close();
      }
    },
  );

  await t.step(
    "check warns about an enabled plugin that no plugins directory holds",
    async () => {
      const dir = await Deno.makeTempDir({ prefix: "skiff-cli-plugins-" });
      try {
        const path = await tempConfig(
          `[directories]\nplugins = ${dir}\n[plugins]\nproc = no\nnosuch = yes\ncups = no\n`,
        );
        const r = await skiff(["check", "--config", path]);
        assertEquals(r.code, 0, r.stderr);
        assertStringIncludes(
          r.stderr,
          `warning: ${path}: [plugins] nosuch = yes, but there is no nosuch.plugin in the plugins directories (${dir})`,
        );
        assert(!r.stderr.includes("cups"), r.stderr);
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    },
  );

  await t.step("permissions prints the least flags for a config", async () => {
    const path = await tempConfig(
      `[backend]\nenabled = yes\ndestination = tsdb.example:4242\n[plugins]\nproc = no\n[directories]\nplugins = /nonexistent\n`,
    );
    const r = await skiff(["permissions", "--config", path]);
    assertEquals(r.code, 0, r.stderr);
    assertEquals(
      r.stdout.trim(),
      `--no-prompt --allow-read=${path},${
        join(dirname(path), "exporting.conf")
      },/nonexistent --allow-net=tsdb.example:4242 --allow-sys=hostname`,
    );
    assertEquals((await skiff(["permissions"])).code, 2);
  });

  await t.step(
    "tap prints what each instance would send, N cycles each, and connects to nothing",
    async () => {
      // Port 9 (discard) on loopback: nothing listens; a connect would fail
      // loudly. Self-monitoring charts are the data.
      const path = await tempConfig(
        `[global]\nhostname = tapbox\n[plugins]\nproc = no\n` +
          `[exporting:global]\nenabled = yes\nupdate every = 1\n` +
          `[graphite:g]\nenabled = yes\ndestination = 127.0.0.1:9\n` +
          `[prometheus_remote_write:rw]\nenabled = yes\ndestination = 127.0.0.1:9\nremote write URL path = /w\n`,
      );
      const r = await skiff(["tap", "--config", path, "--cycles", "2"]);
      assertEquals(r.code, 0, r.stderr);
      const headers = r.stderr.split("\n").filter((l) => l.startsWith("# "));
      assertEquals(
        headers.map((l) => l.replace(/: \d+ metrics, \d+ bytes$/, "")),
        [
          "# [graphite:g] cycle 1",
          "# [prometheus_remote_write:rw] cycle 1",
          "# [graphite:g] cycle 2",
          "# [prometheus_remote_write:rw] cycle 2",
        ],
      );
      assert(!r.stderr.includes("connect"), r.stderr);
      const metricsOf = (section: string) =>
        headers.filter((l) => l.startsWith(`# [${section}]`))
          .reduce((n, l) => n + Number(/: (\d+) metrics/.exec(l)![1]), 0);
      const lines = r.stdout.split("\n").filter((l) => l !== "");
      const graphite = lines.filter((l) => l.startsWith("netdata.tapbox."));
      const samples = lines.filter((l) => /^[a-zA-Z_:][\w:]*\{/.test(l));
      assertEquals(graphite.length + samples.length, lines.length);
      assertEquals(graphite.length, metricsOf("graphite:g"));
      // and one netdata_info series per host per request, not a metric
      assertEquals(
        samples.length,
        metricsOf("prometheus_remote_write:rw") + 2,
      );
      assertEquals(
        samples.filter((l) => l.startsWith("netdata_info{")).length,
        2,
      );
      for (const l of graphite) {
        assertMatch(l, /^netdata\.tapbox\.\S+ -?\d+\.\d{7} \d{10}$/);
      }
      for (const l of samples) {
        assertMatch(l, /^[a-zA-Z_:][\w:]*\{(\w+="[^"]*",?)*\} \S+ \d{13}$/);
      }

      const one = await skiff(["tap", "--config", path, "--instance", "rw"]);
      assertEquals(one.code, 0, one.stderr);
      assertMatch(
        one.stderr,
        /^# \[prometheus_remote_write:rw\] cycle 1: \d+ metrics/m,
      );
      assert(!one.stderr.includes("[graphite:g]"), one.stderr);
      const none = await skiff(["tap", "--config", path, "--instance", "x"]);
      assertEquals(none.code, 1);
      assertStringIncludes(
        none.stderr,
        `no enabled exporting instance "x" in ${path} (enabled: graphite:g, prometheus_remote_write:rw)`,
      );
      assertEquals(
        (await skiff(["tap", "--config", path, "--cycles", "0"])).code,
        2,
      );
    },
  );
});

Deno.test({
  name: "a skiff command, and Ctrl-C on deno task start",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const repo = new URL("..", import.meta.url).pathname;
    await t.step(
      "deno task install puts a skiff command that runs from anywhere",
      async () => {
        const root = await Deno.makeTempDir({ prefix: "skiff-install-" });
        try {
          // As users run it: the task, with its own permission flags.
          const inst = await new Deno.Command(Deno.execPath(), {
            args: ["task", "install", "--root", root],
            cwd: repo,
            stdout: "piped",
            stderr: "piped",
          }).output();
          assertEquals(inst.code, 0, new TextDecoder().decode(inst.stderr));
          // The bundle, run once so its first start finds the code cache
          // written (scripts/install.ts).
          const js = `${root}/lib/skiff/skiff.js`;
          assertStringIncludes(
            new TextDecoder().decode(inst.stdout),
            `wrote Deno's code cache for ${js}`,
          );
          assertStringIncludes(
            await Deno.readTextFile(`${root}/bin/skiff`),
            ` '${js}' "$@"`,
          );
          // started where a deno.json that is not its own lies (here one
          // Deno cannot parse): the shim runs the bundle with --no-config
          await Deno.writeTextFile(`${root}/deno.json`, "{ not json");
          const run = await new Deno.Command(`${root}/bin/skiff`, {
            args: ["check", "--config", `${repo}skiff.conf`],
            cwd: root,
            stdout: "piped",
            stderr: "piped",
          }).output();
          const err = new TextDecoder().decode(run.stderr);
          assertEquals(run.code, 0, err);
          assertStringIncludes(err, `${repo}skiff.conf: OK`);
          const version = await new Deno.Command(`${root}/bin/skiff`, {
            args: ["version"],
            cwd: root,
            stdout: "piped",
          }).output();
          assertMatch(
            new TextDecoder().decode(version.stdout),
            /^skiff \d+\.\d+\.\d+\n$/,
          );
        } finally {
          await Deno.remove(root, { recursive: true });
        }
      },
    );

    await t.step(
      "Ctrl-C (SIGINT to the process group) on deno task start: a last cycle, exit 0",
      async () => {
        // setsid puts the task in its own group, as a terminal would.
        const child = new Deno.Command("setsid", {
          args: [Deno.execPath(), "task", "start"],
          cwd: repo,
          stdout: "piped",
          stderr: "piped",
        }).spawn();
        const reader = child.stderr.pipeThrough(new TextDecoderStream())
          .getReader();
        let err = "";
        while (!err.includes("proc: first collection done")) {
          const { value, done } = await reader.read();
          if (done) break;
          err += value;
        }
        Deno.kill(-child.pid, "SIGINT");
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          err += value;
        }
        await child.stdout.cancel();
        const status = await child.status;
        assertEquals(status.code, 0, err);
        assertStringIncludes(err, "SIGINT received: stopping");
        assertMatch(err, /\[graphite:console\] stopped: \d+ metrics sent/);
      },
    );
  },
});
