/**
 * skiff as a netdata proxy: a child streams into the middle agent, which
 * streams its own host and, with `forward received hosts`, the child's host
 * to the parent, each over its own connection.
 */
import { assert, assertEquals } from "../helpers/assert.ts";
import { realClock } from "../../lib/clock.ts";
import { parseConfig } from "../../lib/config/mod.ts";
import { Agent } from "../../lib/agent.ts";
import { Logger, memorySink } from "../../lib/log.ts";
import { until } from "../helpers/e2e.ts";

const KEY = "11111111-2222-3333-4444-555555555555";

function agent(text: string, name: string) {
  const { config, errors } = parseConfig(
    `[global]\nhostname = ${name}\n[plugins]\nproc = no\n[directories]\nplugins = /nonexistent\n${text}`,
    `${name}.conf`,
    { systemHostname: name },
  );
  assertEquals(errors, []);
  const logs = memorySink();
  return {
    agent: new Agent(config, {
      clock: realClock,
      log: new Logger(name, { sink: logs.sink, level: "debug" }),
    }),
    logs,
  };
}

Deno.test({
  name: "skiff forwards received hosts to its parent",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const receive =
      `[web]\nmode = static-threaded\nbind to = 127.0.0.1:0\n[${KEY}]\nenabled = yes\n`;
    const parent = agent(
      `${receive}[plugins]\nnetdata monitoring = no\n`,
      "top",
    );
    await parent.agent.start();
    const parentPort = parent.agent.receiver!.addresses[0].port;
    const middle = agent(
      `${receive}[stream]\nenabled = yes\ndestination = 127.0.0.1:${parentPort}\napi key = ${KEY}\nforward received hosts = yes\n` +
        `[web]\nmark hosts orphan after seconds = 0\n[db]\ncleanup orphan hosts after secs = 1\n`,
      "middle",
    );
    await middle.agent.start();
    const child = await Deno.connect({
      hostname: "127.0.0.1",
      port: middle.agent.receiver!.addresses[0].port,
    });
    try {
      const enc = new TextEncoder();
      await child.write(enc.encode(
        `STREAM key=${KEY}&hostname=leaf&machine_guid=00000000-0000-4000-8000-000000000001&update_every=1&ver=4 HTTP/1.1\r\n\r\n`,
      ));
      await child.read(new Uint8Array(100));
      await child.write(enc.encode(
        `LABEL "site" = 1 "north"\nOVERWRITE labels\n` +
          `CHART "leaf.values" "" "t" "n" "f" "leaf.values" "line" 1 1 "" "leaf.plugin" "m"\n` +
          `CLABEL "_collect_plugin" "leaf.plugin" 1\nCLABEL_COMMIT\nDIMENSION "v" "" "absolute" 1 1 ""\n` +
          `BEGIN "leaf.values" 0\nSET "v" = 1\nEND\n`,
      ));
      // the definitions go up when the forwarder connects; values as they come
      await until(
        "the parent has the leaf host",
        () =>
          parent.agent.db.hostByName("leaf")?.chart("leaf.values") !==
            undefined,
      );
      for (let i = 2; i <= 4; i++) {
        await child.write(
          enc.encode(`BEGIN "leaf.values" 1000000\nSET "v" = ${i}\nEND\n`),
        );
      }
      await until(
        "the leaf's values at the parent",
        () =>
          parent.agent.db.hostByName("leaf")!.chart("leaf.values")!.dimension(
            "v",
          )!.lastCollectedValue === 4,
      );
      const leaf = parent.agent.db.hostByName("leaf")!;
      assertEquals(leaf.machineGuid, "00000000-0000-4000-8000-000000000001");
      assertEquals(leaf.labels.get("site"), { value: "north", source: 1 });
      await until(
        "the middle's own host at the parent",
        () => parent.agent.db.hostByName("middle") !== undefined,
      );
      assertEquals(parent.agent.db.size, 3, "top, middle and leaf");
      assert(
        middle.logs.lines.some((l) => l.includes('streaming host "leaf"')),
        middle.logs.lines.join("\n"),
      );

      // The leaf goes away: the middle frees its host after 1 s, and the
      // stream it forwarded the host with stops (the parent sees it gone).
      child.close();
      await until(
        "the middle frees the leaf host (1 s after it left, 1 s ticks)",
        () => middle.agent.db.hostByName("leaf") === undefined,
        5000,
      );
      await until(
        "the forwarded stream of the leaf stops",
        () => parent.agent.db.hostByName("leaf")?.connected === false,
        5000,
      );
      assertEquals(middle.agent.db.size, 1);
    } finally {
      try {
        child.close();
      } catch {
        // closed by the test
      }
      await middle.agent.stop();
      await parent.agent.stop();
    }
  },
});
