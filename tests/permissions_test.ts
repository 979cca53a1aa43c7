/**
 * Least privilege: the flags `skiff permissions` prints for a config are
 * exactly enough for the bundled agent to collect and export, and without
 * any one of them it exits 1 naming the missing flag, before doing anything.
 */
import {
  assert,
  assertEquals,
  assertMatch,
  assertStringIncludes,
} from "./helpers/assert.ts";
import { dirname, join } from "node:path";
import { parseConfig } from "../lib/config/mod.ts";
import { denoFlags, permissionNeeds } from "../lib/config/permissions.ts";
import { bundle } from "../scripts/bundle.ts";
import { binaryName, compileArgs } from "../scripts/compile.ts";
import { FIXTURE_PLUGINS, MAIN_TS, start, waitFor } from "./helpers/e2e.ts";
import { TcpSink } from "./helpers/sinks.ts";

function config(text: string) {
  const r = parseConfig(text, "p.conf", { systemHostname: "h" });
  assertEquals(r.errors, []);
  return r.config;
}

Deno.test("permissions", async (t) => {
  await t.step("flags name exactly what the config uses", () => {
    const c = config(`[backend]
enabled = yes
destination = tsdb.example:4242, [::1]:2004 stdout
[directories]
plugins = /opt/p1 "/opt/p 2"
[web]
mode = static-threaded
bind to = 127.0.0.1:19999
[stream]
enabled = yes
destination = parent.example:19999
api key = 11111111-2222-3333-4444-555555555555
`);
    const flags = denoFlags(
      permissionNeeds(c, {
        configPath: "/etc/skiff.conf",
        pluginPaths: ["/opt/p1/a.plugin"],
      }),
    );
    assertEquals(flags, [
      "--no-prompt",
      "--allow-read=/etc/skiff.conf,/etc/exporting.conf,/opt/p1,/opt/p 2,/run/skiff",
      "--allow-write=/run/skiff",
      "--allow-run=tail,kill,/opt/p1/a.plugin",
      "--allow-net=tsdb.example:4242,[::1]:2004,127.0.0.1:19999,parent.example:19999",
      "--allow-sys=hostname",
    ]);
  });

  await t.step("no proc, no backend: no tail, no network", () => {
    const c = config(
      `[plugins]\nproc = no\n[backend]\nenabled = no\n[directories]\nplugins = /p\n`,
    );
    assertEquals(denoFlags(permissionNeeds(c, { pluginPaths: [] })), [
      "--no-prompt",
      "--allow-read=/p",
      "--allow-sys=hostname",
    ]);
  });

  await t.step("compile bakes the flags in, one binary per target", () => {
    const args = compileArgs("aarch64-unknown-linux-gnu", [
      "--no-prompt",
      "--allow-run=tail",
    ]);
    assertEquals(args, [
      "compile",
      "--no-prompt",
      "--allow-run=tail",
      "--target",
      "aarch64-unknown-linux-gnu",
      "--output",
      "dist/skiff-aarch64-linux",
      "main.ts",
    ]);
    assertEquals(binaryName("x86_64-unknown-linux-gnu"), "skiff-x86_64-linux");
  });

  await t.step(
    "compile without its runtime download says so in one line, with DENORT_BIN",
    async () => {
      const out = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          new URL("../scripts/compile.ts", import.meta.url).pathname,
          "--config",
          "skiff.conf",
          "--target",
          "x86_64-unknown-linux-gnu",
        ],
        cwd: new URL("..", import.meta.url).pathname,
        stdout: "piped",
        stderr: "piped",
      }).output();
      const stderr = new TextDecoder().decode(out.stderr);
      if (out.code === 0) {
        // A machine that reaches dl.deno.land builds the binary.
        assert(Deno.statSync("dist/skiff-x86_64-linux").isFile);
        return;
      }
      const lines = stderr.trim().split("\n");
      assertEquals(lines.length, 1, stderr);
      assertMatch(
        lines[0],
        /^compile for x86_64-unknown-linux-gnu failed: deno compile downloads Deno's runtime \(denort\) from dl\.deno\.land and could not: error sending request for url \(https:\/\/dl\.deno\.land\/.*\. Set DENORT_BIN to a local denort/,
      );
    },
  );
});

Deno.test({
  name: "the bundle runs with exactly the printed flags, and not with one less",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const dir = await Deno.makeTempDir({ prefix: "skiff-perm-" });
    const sink = TcpSink.start();
    try {
      const js = await bundle(`${dir}/skiff.js`);
      const conf = `${dir}/skiff.conf`;
      await Deno.writeTextFile(
        conf,
        `[global]
    hostname = least
[backend]
    enabled = yes
    destination = 127.0.0.1:${sink.port}
    data source = as collected
    update every = 1
[directories]
    plugins = ${FIXTURE_PLUGINS}
    run = run
[plugins]
    e2e = yes
`,
      );
      const printed = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", MAIN_TS, "permissions", "--config", conf],
        stdout: "piped",
        stderr: "piped",
      }).output();
      assertEquals(printed.code, 0, new TextDecoder().decode(printed.stderr));
      const flags = new TextDecoder().decode(printed.stdout).trim().split(" ");
      assertEquals(flags, [
        "--no-prompt",
        `--allow-read=${conf},${
          join(dirname(conf), "exporting.conf")
        },${FIXTURE_PLUGINS},${dir}/run`,
        `--allow-write=${dir}/run`,
        `--allow-run=tail,kill,${FIXTURE_PLUGINS}/e2e.plugin`,
        `--allow-net=127.0.0.1:${sink.port}`,
        "--allow-sys=hostname",
      ]);

      await t.step(
        "with the printed flags: collects /proc and the plugin, exports",
        async () => {
          const p = start(Deno.execPath(), [
            "run",
            ...flags,
            js,
            "run",
            "--config",
            conf,
          ]);
          try {
            await waitFor("proc and plugin lines at the sink", () => {
              const lines = sink.lines();
              return lines.some((l) =>
                  l.startsWith("netdata.least.system.cpu.")
                ) &&
                  lines.some((l) =>
                    l.startsWith("netdata.least.e2e.values.const 42 ")
                  )
                ? true
                : undefined;
            }, 20000).catch((e) => {
              throw new Error(`${e.message}\n${p.output()}`);
            });
          } finally {
            await p.stop();
          }
          assertEquals((await p.child.status).code, 0);
          assert(!p.output().includes("NotCapable"), p.output());
        },
      );

      await t.step(
        "without any one flag: exit 1 naming it, nothing sent",
        async () => {
          const before = sink.receivedBytes;
          const split = flags.slice(1).flatMap((f) => {
            const [name, list] = f.split("=");
            return list.split(",").map((v) => ({
              flag: f,
              one: `${name}=${v}`,
            }));
          });
          for (const { flag, one } of split) {
            const rest = flags.map((f) => {
              if (f !== flag) return f;
              const [name, list] = f.split("=");
              const kept = list.split(",").filter((v) =>
                `${name}=${v}` !== one
              );
              return kept.length ? `${name}=${kept.join(",")}` : "";
            }).filter((f) => f !== "");
            const out = await new Deno.Command(Deno.execPath(), {
              args: ["run", ...rest, js, "run", "--config", conf],
              stdout: "piped",
              stderr: "piped",
            }).output();
            const err = new TextDecoder().decode(out.stderr);
            assertEquals(out.code, 1, `without ${one}: ${err}`);
            if (one.startsWith("--allow-read=") && one.endsWith("skiff.conf")) {
              assertStringIncludes(err, "Cannot read config file");
            } else {
              assertStringIncludes(err, `  ${one}    (`);
            }
          }
          assertEquals(sink.receivedBytes, before, "nothing was exported");
        },
      );
    } finally {
      await sink.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "deno.json's permission set is what the shipped skiff.conf needs, and runs it",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const root = new URL("../", import.meta.url).pathname;
    const denoJson = JSON.parse(await Deno.readTextFile(`${root}deno.json`));
    const printed = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        MAIN_TS,
        "permissions",
        "--config",
        "skiff.conf",
        "--format",
        "deno.json",
      ],
      cwd: root,
      stdout: "piped",
      stderr: "null",
    }).output();
    assertEquals(
      denoJson.permissions,
      JSON.parse(new TextDecoder().decode(printed.stdout)),
    );
    const p = start(Deno.execPath(), [
      "run",
      "-P=skiff",
      "main.ts",
      "run",
      "--config",
      "skiff.conf",
    ], { cwd: root });
    try {
      await waitFor(
        "the first /proc collection",
        () => /proc: first collection done/.test(p.output()) || undefined,
      );
    } finally {
      await p.stop();
    }
    assertEquals((await p.child.status).code, 0, p.output());
  },
});
