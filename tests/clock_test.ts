import { assert, assertEquals, assertRejects } from "./helpers/assert.ts";
import {
  heartbeat,
  ManualClock,
  nextAlignedTick,
  sleep,
} from "../lib/clock.ts";
import { Logger, memorySink } from "../lib/log.ts";

Deno.test("clock", async (t) => {
  await t.step("aligned ticks are the next multiple strictly after now", () => {
    assertEquals(nextAlignedTick(10_000, 5_000), 15_000);
    assertEquals(nextAlignedTick(10_001, 5_000), 15_000);
    assertEquals(nextAlignedTick(14_999, 5_000), 15_000);
    assertEquals(nextAlignedTick(10_000, 5_000, 250), 10_250);
  });

  await t.step(
    "heartbeat ticks on the step and skips ticks a slow consumer missed",
    async () => {
      const clock = new ManualClock(1_000_500);
      const abort = new AbortController();
      const ticks: number[] = [];
      const loop = (async () => {
        for await (
          const tick of heartbeat(clock, 1000, { signal: abort.signal })
        ) {
          ticks.push(tick);
          // the first cycle takes 2.5 s: the ticks it overran are skipped
          if (ticks.length === 1) await clock.sleepUntil(clock.nowMs() + 2500);
        }
      })();
      await clock.advanceTo(1_001_000);
      assertEquals(ticks, [1_001_000]);
      await clock.advanceTo(1_006_000);
      assertEquals(ticks, [1_001_000, 1_004_000, 1_005_000, 1_006_000]);
      abort.abort();
      await loop;
      assertEquals(clock.pendingSleepers, 0, "no wait left behind");
    },
  );

  await t.step(
    "manual sleeps wake in deadline order and reject on abort",
    async () => {
      const clock = new ManualClock(0);
      const woke: string[] = [];
      const a = sleep(clock, 300).then(() => woke.push("a"));
      const b = sleep(clock, 100).then(() => woke.push("b"));
      const abort = new AbortController();
      const c = sleep(clock, 200, abort.signal);
      assertEquals(clock.pendingSleepers, 3);
      abort.abort();
      await assertRejects(() => c);
      await clock.advance(1000);
      await Promise.all([a, b]);
      assertEquals(woke, ["b", "a"]);
      assertEquals(clock.nowMs(), 1000);
    },
  );
});

Deno.test("log lines carry time, level and component; levels filter", () => {
  const logs = memorySink();
  const log = new Logger("agent", { sink: logs.sink, level: "info" });
  log.debug("hidden");
  log.child("export").warn("careful");
  assertEquals(logs.lines.length, 1);
  assert(
    /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z warn {2}export: careful$/.test(
      logs.lines[0],
    ),
    logs.lines[0],
  );
});
