import { assert, assertEquals, assertMatch } from "../helpers/assert.ts";
import {
  formatPidFile,
  parsePidFile,
  parseProcStat,
  pidFilePath,
  stopLeftoverPlugin,
  stopLeftoverPlugins,
  SystemProcesses,
} from "../../lib/collect/plugin_processes.ts";
import type {
  ProcessInfo,
  ProcessTable,
} from "../../lib/collect/plugin_processes.ts";
import { Logger, memorySink } from "../../lib/log.ts";

/**
 * A process table in memory: `exitsOn` says which signal ends a process
 * (SIGKILL always does); every signal sent is recorded.
 */
class FakeProcesses implements ProcessTable {
  readonly sent: [number, string][] = [];
  readonly processes = new Map<
    number,
    ProcessInfo & { exitsOn: "SIGTERM" | "SIGKILL" }
  >();

  inspect(pid: number): Promise<ProcessInfo | undefined> {
    const p = this.processes.get(pid);
    return Promise.resolve(p && { argv: p.argv, ppid: p.ppid });
  }

  signal(pid: number, signal: "SIGTERM" | "SIGKILL"): Promise<boolean> {
    this.sent.push([pid, signal]);
    const p = this.processes.get(pid);
    if (!p) return Promise.resolve(false);
    if (signal === "SIGKILL" || p.exitsOn === signal) {
      this.processes.delete(pid);
    }
    return Promise.resolve(true);
  }
}

const PATH = "/opt/plugins.d/left.plugin";

async function setup(text: string) {
  const dir = await Deno.makeTempDir({ prefix: "skiff-run-" });
  const file = pidFilePath(dir, "left");
  await Deno.writeTextFile(file, text);
  const logs = memorySink();
  const log = new Logger("plugin left", { sink: logs.sink, level: "debug" });
  const exists = async () => {
    try {
      await Deno.stat(file);
      return true;
    } catch {
      return false;
    }
  };
  return { dir, file, logs, log, exists };
}

/**
 * A pid file naming pid 50 (of the skiff with pid 9) and, unless `process`
 * is null, a pid 50 running the plugin (with `process`'s differences).
 */
async function leftover(
  process: Partial<ProcessInfo & { exitsOn: "SIGTERM" | "SIGKILL" }> | null =
    {},
) {
  const s = await setup(formatPidFile({ pid: 50, ownerPid: 9, path: PATH }));
  const processes = new FakeProcesses();
  if (process) {
    processes.processes.set(50, {
      argv: ["/bin/sh", PATH, "1"],
      ppid: 1,
      exitsOn: "SIGTERM",
      ...process,
    });
  }
  return { ...s, processes };
}

Deno.test("plugin pid files and /proc/PID/stat", async (t) => {
  await t.step("a pid file: plugin pid, skiff pid, path", () => {
    const text = formatPidFile({ pid: 4242, ownerPid: 17, path: PATH });
    assertEquals(text, `4242\n17\n${PATH}\n`);
    assertEquals(parsePidFile(text), { pid: 4242, ownerPid: 17, path: PATH });
    assertEquals(
      pidFilePath("/run/skiff", "apps"),
      "/run/skiff/apps.plugin.pid",
    );
  });

  await t.step("not pid files", () => {
    for (
      const text of ["", "4242\n", "abc\n17\n/p\n", "0\n17\n/p\n", "1\n2\n"]
    ) {
      assertEquals(parsePidFile(text), undefined, JSON.stringify(text));
    }
  });

  await t.step("stat: the parent pid; a zombie is gone", () => {
    assertEquals(
      parseProcStat("4242 (sh) S 1 4242 4242 0 -1 4194560 300 0 0 0"),
      { ppid: 1 },
    );
    assertEquals(
      parseProcStat("4242 (a) b) (c) S 77 4242 4242 0 -1"),
      { ppid: 77 },
      "a command name with spaces and parentheses",
    );
    assertEquals(parseProcStat("4242 (sh) Z 1 4242 4242 0"), undefined);
    assertEquals(parseProcStat(""), undefined);
  });

  await t.step("the system table sees this process", async () => {
    const self = await new SystemProcesses().inspect(Deno.pid);
    assert(self && self.ppid > 0 && self.argv.length > 0, String(self));
    assertEquals(await new SystemProcesses().inspect(2 ** 22 + 1), undefined);
  });
});

Deno.test("stopping a plugin a killed skiff left", async (t) => {
  await t.step(
    "ignores SIGTERM: SIGKILL after the grace; the file is removed",
    async () => {
      const s = await leftover({ exitsOn: "SIGKILL" });
      const processes = s.processes;
      const t0 = performance.now();
      const outcome = await stopLeftoverPlugin(s.file, {
        log: s.log,
        processes,
        graceMs: 100,
      });
      const ms = performance.now() - t0;
      assertEquals(outcome, "SIGKILL");
      assertEquals(processes.sent, [[50, "SIGTERM"], [50, "SIGKILL"]]);
      assert(ms >= 90 && ms < 600, `${ms} ms`);
      assertEquals(await s.exists(), false);
      assertMatch(
        s.logs.lines.join("\n"),
        /warn {2}plugin left: \/opt\/plugins.d\/left.plugin \(pid 50\) was left running by a skiff \(pid 9\) that did not stop it; stopping it\n.*info {2}plugin left: stopped \/opt\/plugins.d\/left.plugin \(pid 50\) with SIGKILL/,
      );
      await Deno.remove(s.dir, { recursive: true });
    },
  );

  await t.step("exits on SIGTERM: no SIGKILL", async () => {
    const s = await leftover({ argv: [PATH, "1"] });
    const processes = s.processes;
    assertEquals(
      await stopLeftoverPlugin(s.file, { log: s.log, processes }),
      "SIGTERM",
    );
    assertEquals(processes.sent, [[50, "SIGTERM"]]);
    assertEquals(await s.exists(), false);
    await Deno.remove(s.dir, { recursive: true });
  });

  await t.step(
    "the pid is gone or another program now: no signal, file removed",
    async () => {
      for (const argv of [undefined, ["/usr/sbin/sshd", "-D"]]) {
        const s = await leftover(argv ? { argv } : null);
        const processes = s.processes;
        assertEquals(
          await stopLeftoverPlugin(s.file, { log: s.log, processes }),
          "gone",
        );
        assertEquals(processes.sent, []);
        assertEquals(await s.exists(), false);
        await Deno.remove(s.dir, { recursive: true });
      }
    },
  );

  await t.step(
    "its skiff still runs it (a shared run directory): left alone, file kept",
    async () => {
      const s = await leftover({ ppid: 9 });
      const processes = s.processes;
      assertEquals(
        await stopLeftoverPlugin(s.file, { log: s.log, processes }),
        undefined,
      );
      assertEquals(processes.sent, []);
      assertEquals(await s.exists(), true);
      assertMatch(s.logs.lines.join("\n"), /do two agents share/);
      await Deno.remove(s.dir, { recursive: true });
    },
  );

  await t.step(
    "not a pid file, or one naming another plugin: removed, nothing signalled",
    async () => {
      for (
        const text of [
          "garbage\n",
          formatPidFile({ pid: 50, ownerPid: 9, path: "/usr/sbin/sshd" }),
        ]
      ) {
        const s = await setup(text);
        const processes = new FakeProcesses();
        processes.processes.set(50, {
          argv: ["/usr/sbin/sshd"],
          ppid: 1,
          exitsOn: "SIGTERM",
        });
        await stopLeftoverPlugin(s.file, { log: s.log, processes });
        assertEquals(processes.sent, []);
        assertEquals(await s.exists(), false);
        await Deno.remove(s.dir, { recursive: true });
      }
    },
  );

  await t.step("no pid file: nothing", async () => {
    const logs = memorySink();
    assertEquals(
      await stopLeftoverPlugin("/nonexistent/left.plugin.pid", {
        log: new Logger("t", { sink: logs.sink }),
        processes: new FakeProcesses(),
      }),
      undefined,
    );
    assertEquals(logs.lines, []);
  });

  await t.step(
    "the whole run directory: every pid file, other files untouched",
    async () => {
      const s = await leftover();
      const processes = s.processes;
      const other = "/opt/plugins.d/other.plugin";
      await Deno.writeTextFile(
        pidFilePath(s.dir, "other"),
        formatPidFile({ pid: 60, ownerPid: 9, path: other }),
      );
      await Deno.writeTextFile(`${s.dir}/notes.txt`, "60\n9\n");
      processes.processes.set(60, {
        argv: [other],
        ppid: 1,
        exitsOn: "SIGTERM",
      });
      await stopLeftoverPlugins(s.dir, { log: s.log, processes });
      assertEquals(
        processes.sent.sort(),
        [[50, "SIGTERM"], [60, "SIGTERM"]],
      );
      assertEquals(
        [...Deno.readDirSync(s.dir)].map((e) => e.name),
        ["notes.txt"],
      );
      await stopLeftoverPlugins(`${s.dir}/missing`, { log: s.log, processes });
      await Deno.remove(s.dir, { recursive: true });
    },
  );
});
