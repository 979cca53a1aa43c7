/**
 * A stop is bounded whatever peers do: here a parent that never accepts
 * (a stream connect in flight, 60 s timeout) and an exporting destination
 * that never accepts (10 s timeout), beside a live one.
 */
import { assert } from "./helpers/assert.ts";
import { realClock } from "../lib/clock.ts";
import { parseConfig } from "../lib/config/mod.ts";
import { Agent } from "../lib/agent.ts";
import { Logger, memorySink } from "../lib/log.ts";
import { until } from "./helpers/e2e.ts";
import { startBlackhole, TcpSink } from "./helpers/sinks.ts";

Deno.test({
  name:
    "agent stop: under 2 s with connects in flight to peers that never accept",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const hole = await startBlackhole();
    const sink = TcpSink.start();
    const { config, errors } = parseConfig(
      `[global]\nhostname = stopper\n[plugins]\nproc = no\n` +
        `[stream]\nenabled = yes\ndestination = 127.0.0.1:${hole.port}\napi key = 11111111-2222-3333-4444-555555555555\ntimeout seconds = 60\n` +
        `[exporting:global]\nenabled = yes\nupdate every = 1\ndata source = as collected\ntimeout ms = 10000\n` +
        `[graphite:hole]\ndestination = 127.0.0.1:${hole.port}\n` +
        `[graphite:live]\ndestination = 127.0.0.1:${sink.port}\n`,
      "stop.conf",
      { systemHostname: "stopper" },
    );
    if (errors.length) throw new Error(JSON.stringify(errors));
    const logs = memorySink();
    const agent = new Agent(config, {
      clock: realClock,
      log: new Logger("skiff", { sink: logs.sink, level: "debug" }),
    });
    try {
      await agent.start();
      // The engine's first tick: the blackholed instance starts connecting,
      // the live one delivers.
      await until(
        "the live sink has a batch",
        () => sink.lines().some((l) => l.startsWith("netdata.stopper.")),
      );
      assert(agent.exporter!.instance("hole")!.busy);
      const started = performance.now();
      await agent.stop();
      const ms = performance.now() - started;
      // 800 ms grace + 1000 ms last cycle at most, plus scheduling.
      assert(ms < 2000, `stop took ${ms} ms\n${logs.lines.join("\n")}`);
      assert(
        logs.lines.some((l) => /task\(s\) still ending after 800 ms/.test(l)),
        logs.lines.join("\n"),
      );
    } finally {
      await hole.close();
      await sink.close();
    }
  },
});
