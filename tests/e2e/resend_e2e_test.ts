/**
 * A Graphite backend that crashes: real carbon-cache, SIGKILLed right after
 * skiff wrote a large batch, then started again. TCP took the batch, so
 * skiff counts it sent; what carbon had not read or written is gone. With
 * `resend window seconds`, the reconnect sends that window again and every
 * point is in the whisper files; without, the loss is there, unseen by TCP.
 */
import { assert, assertEquals } from "../helpers/assert.ts";
import { ManualClock, realClock } from "../../lib/clock.ts";
import { parseConfig } from "../../lib/config/mod.ts";
import { ExportInstance } from "../../lib/export/mod.ts";
import { Logger, memorySink } from "../../lib/log.ts";
import { Database } from "../../lib/storage/rrd.ts";
import { haveBinary, waitFor } from "../helpers/e2e.ts";
import { CARBON_BIN, startCarbon } from "../helpers/servers.ts";

const DIMS = 5000;
const CYCLES = 6;
/** The cycle after whose send carbon is killed. */
const CRASH_AT = 3;

Deno.test({
  name:
    "a backend crash mid-batch: with a resend window every point arrives; without, TCP hid the loss",
  ignore: !haveBinary(CARBON_BIN, "graphite-carbon python3-whisper"),
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const carbon = await startCarbon({ retention: "1s:10m" });
    // A minute ago, so every point is inside carbon's 10 minutes.
    const t0 = Math.floor(Date.now() / 1000) - 60;
    try {
      for (const windowSec of [0, 30]) {
        await t.step(
          `resend window seconds = ${windowSec}`,
          async () => {
            const prefix = `w${windowSec}`;
            const clock = new ManualClock(t0 * 1000);
            const db = new Database({ hostname: "crash" });
            const chart = db.localhost.addChart({
              id: "crash.values",
              updateEverySec: 1,
              history: 60,
            });
            const dims = Array.from(
              { length: DIMS },
              (_, i) => chart.addDimension(`d${i}`),
            );
            const { config, errors } = parseConfig(
              `[graphite:carbon]\nenabled = yes\ndestination = 127.0.0.1:${carbon.port}\n` +
                `data source = as collected\nprefix = ${prefix}\ntimeout ms = 2000\n` +
                `resend window seconds = ${windowSec}\n`,
              "crash.conf",
              { systemHostname: "crash" },
            );
            assertEquals(errors, []);
            const logs = memorySink();
            const instance = new ExportInstance(config.exporting[0], {
              clock,
              timeoutClock: realClock,
              log: new Logger("export", { sink: logs.sink }),
            });
            for (let k = 1; k <= CYCLES; k++) {
              await clock.advanceTo((t0 + k) * 1000);
              for (const d of dims) d.set(k, clock.nowMs());
              chart.done(clock.nowMs() * 1000);
              const r = await instance.cycle(db, clock.nowMs());
              assertEquals(r.failures, 0, logs.lines.join("\n"));
              if (k === CRASH_AT) {
                // TCP took the whole batch: counted sent. Carbon dies now.
                assertEquals(r.sentMetrics, DIMS);
                await carbon.kill();
                await carbon.restart();
                // The broken connection is seen before the next cycle.
                await waitFor(
                  "skiff sees the connection closed",
                  () =>
                    instance.sender.takeResponses().closed ||
                      !instance.sender.connected
                      ? true
                      : undefined,
                  5000,
                );
              }
            }
            const a = instance.accounting();
            assertEquals(
              [a.formatted, a.sent, a.lost, a.buffered],
              [CYCLES * DIMS, CYCLES * DIMS, 0, 0],
            );
            // Cycles 1 to 3 were sent again after the reconnect, counted apart.
            assertEquals(a.resent, windowSec > 0 ? CRASH_AT * DIMS : 0);

            const expected = Array.from(
              { length: CYCLES },
              (_, i) => t0 + i + 1,
            );
            const points = await waitFor(
              "carbon wrote the cycles after the crash",
              async () => {
                const m = await carbon.fetchAll(
                  `${prefix}.crash.crash.values`,
                  t0 - 5,
                ).catch(() => undefined);
                return m && m.size === DIMS &&
                    [...m.values()].every((ts) =>
                      ts.includes(t0 + CYCLES) && ts.includes(t0 + CRASH_AT + 1)
                    )
                  ? m
                  : undefined;
              },
              90_000,
            );
            const missing = [...points.values()].reduce(
              (n, ts) => n + expected.filter((x) => !ts.includes(x)).length,
              0,
            );
            if (windowSec > 0) {
              assertEquals(missing, 0, "every point of every metric arrived");
              assert(
                logs.lines.some((l) =>
                  l.includes(
                    `sending again the ${
                      CRASH_AT * DIMS
                    } metrics sent in the last ${windowSec} s`,
                  )
                ),
                logs.lines.join("\n"),
              );
            } else {
              // What carbon had not read or written when it died: all
              // counted sent. Bounded by the crash cycle's batch and the
              // ones before it that carbon still held in its cache.
              assert(
                missing > 0 && missing <= CRASH_AT * DIMS,
                `missing ${missing}`,
              );
              console.log(
                `without a resend window: ${missing} of ${
                  CYCLES * DIMS
                } points lost in the crash, all counted sent`,
              );
            }
            instance.close();
          },
        );
      }
    } finally {
      await carbon.stop();
    }
  },
});
