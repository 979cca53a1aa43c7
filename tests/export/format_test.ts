import { assertEquals } from "../helpers/assert.ts";
import {
  formatCollected,
  formatFixed7,
  sanitizeHostname,
  sanitizeName,
} from "../../lib/export/format.ts";
import { graphite } from "../../lib/export/connectors/graphite.ts";
import { opentsdb } from "../../lib/export/connectors/opentsdb.ts";
import { storedSlotRange } from "../../lib/export/window.ts";

Deno.test("formatting, byte-exact with netdata", async (t) => {
  await t.step("%0.7f, including C's round-half-even on exact ties", () => {
    assertEquals(formatFixed7(35), "35.0000000");
    assertEquals(formatFixed7(0.1), "0.1000000");
    assertEquals(formatFixed7(-2.5), "-2.5000000");
    assertEquals(formatFixed7(1 / 3), "0.3333333");
    assertEquals(formatFixed7(2 / 3), "0.6666667");
    assertEquals(formatFixed7(1 / 256), "0.0039062"); // exact tie 0.00390625: to even
    assertEquals(formatFixed7(3 / 256), "0.0117188"); // 0.01171875: to even (8)
    assertEquals(formatFixed7(-1 / 256), "-0.0039062");
    assertEquals(formatFixed7(-1e-9), "-0.0000000");
    assertEquals(formatFixed7(123456789.125), "123456789.1250000");
  });
  await t.step("%lld of collected values", () => {
    assertEquals(formatCollected(42), "42");
    assertEquals(formatCollected(-7), "-7");
    assertEquals(formatCollected(2 ** 60), "1152921504606846976");
  });
  await t.step("names: anything but letters, digits and dots becomes _", () => {
    assertEquals(sanitizeName("system.cpu"), "system.cpu");
    assertEquals(sanitizeName("disk_space./"), "disk_space._");
    assertEquals(sanitizeName("net.eth0 (wan)"), "net.eth0__wan_");
    assertEquals(sanitizeName("a\nb=c;d"), "a_b_c_d");
  });
  await t.step(
    "hostnames keep - and . as netdata sends them; separators become _",
    () => {
      assertEquals(sanitizeHostname("edge-1.example"), "edge-1.example");
      assertEquals(sanitizeHostname("my host"), "my_host");
      assertEquals(sanitizeHostname("a=b\nc"), "a_b_c");
    },
  );
  await t.step("graphite and opentsdb lines", () => {
    const m = {
      prefix: "netdata",
      hostname: "h1",
      chartId: "system.cpu",
      dimensionId: "user",
      value: "12.5000000",
      timestamp: 1700000000,
    };
    assertEquals(
      graphite.formatLine(m),
      "netdata.h1.system.cpu.user 12.5000000 1700000000\n",
    );
    assertEquals(
      opentsdb.formatLine(m),
      "put netdata.system.cpu.user 1700000000 12.5000000 host=h1\n",
    );
    assertEquals(graphite.defaultPort, 2003);
    assertEquals(opentsdb.defaultPort, 4242);
  });
});

Deno.test("window maths (DESIGN §3.2)", async (t) => {
  await t.step("after aligned up past itself, before down", () => {
    assertEquals(storedSlotRange(100, 110, 1, 0 + 1, 1e9), {
      from: 101,
      to: 110,
    });
    assertEquals(storedSlotRange(103, 117, 5, 1, 1e9), { from: 105, to: 115 });
    assertEquals(storedSlotRange(105, 115, 5, 1, 1e9), { from: 110, to: 115 });
  });
  await t.step("clamped to the first and last entry", () => {
    assertEquals(storedSlotRange(100, 110, 1, 104, 108), {
      from: 104,
      to: 108,
    });
  });
  await t.step("no slot in the window: undefined", () => {
    assertEquals(storedSlotRange(100, 104, 10, 1, 1e9), undefined);
    assertEquals(storedSlotRange(100, 110, 1, 120, 130), undefined);
    assertEquals(storedSlotRange(100, 110, 1, 0, 0), undefined);
  });
  await t.step("consecutive windows cover each slot exactly once", () => {
    for (const ue of [1, 2, 3, 5, 10]) {
      const seen = new Map<number, number>();
      for (let after = 1000; after < 1100; after += 7) {
        const r = storedSlotRange(after, after + 7, ue, 1, 1e9);
        if (!r) continue;
        for (let s = r.from; s <= r.to; s += ue) {
          seen.set(s, (seen.get(s) ?? 0) + 1);
        }
      }
      assertEquals([...seen.values()].every((n) => n === 1), true, `ue ${ue}`);
    }
  });
});
