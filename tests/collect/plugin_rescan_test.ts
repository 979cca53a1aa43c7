/**
 * `check for new plugins every`: the plugins directories are scanned again
 * on that period (a manual clock here); a new enabled plugin starts, a
 * running one is not started twice.
 */
import { assertEquals, assertStringIncludes } from "../helpers/assert.ts";
import { ManualClock } from "../../lib/clock.ts";
import { parseConfig } from "../../lib/config/mod.ts";
import { Agent } from "../../lib/agent.ts";
import { Logger, memorySink } from "../../lib/log.ts";
import { until } from "../helpers/e2e.ts";

Deno.test({
  name:
    "a plugin added later starts at the next scan of the plugins directories",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "skiff-rescan-" });
    // On a minute: the scans tick on multiples of their period.
    const clock = new ManualClock(1_699_999_980_000);
    const { config, errors } = parseConfig(
      `[plugins]\nproc = no\nnetdata monitoring = no\nenable running new plugins = yes\ncheck for new plugins every = 60\n` +
        `[directories]\nplugins = ${dir}\nrun = ${dir}/run\n`,
      "rescan.conf",
      { systemHostname: "rescan" },
    );
    assertEquals(errors, []);
    const logs = memorySink();
    const agent = new Agent(config, {
      clock,
      log: new Logger("skiff", { sink: logs.sink, level: "debug" }),
    });
    try {
      await agent.start();
      assertEquals(agent.plugins.length, 0);
      const path = `${dir}/late.plugin`;
      await Deno.writeTextFile(
        path,
        `#!/bin/sh\necho "CHART late.values '' '' '' '' '' line 1 1"\necho "DIMENSION a '' absolute 1 1"\nwhile true; do echo "BEGIN late.values"; echo "SET a = 7"; echo "END"; sleep 0.2; done\n`,
      );
      await Deno.chmod(path, 0o755);
      // Before the period: not seen yet.
      await clock.advance(59_000);
      assertEquals(agent.plugins.length, 0);
      // The scan at 60 s finds it and starts it.
      await clock.advance(1_000);
      await until("the plugin started", () => agent.plugins.length === 1);
      await until(
        "its chart stored",
        () => agent.db.localhost.chart("late.values") !== undefined,
      );
      assertStringIncludes(
        logs.lines.join("\n"),
        `found a new plugin, late (${path}); started`,
      );
      // The next scan does not start it twice.
      await clock.advance(60_000);
      const scans = () =>
        logs.lines.filter((l) => l.includes("scanned the plugins directories"));
      await until("a second scan ran", () => scans().length === 2);
      assertStringIncludes(scans()[1], "1 plugins, 1 running");
      assertEquals(agent.plugins.length, 1);
    } finally {
      await agent.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
