import { assertEquals } from "../helpers/assert.ts";
import {
  fixChartId,
  formatCollected,
  formatFixed7,
  sanitizeGraphiteLabelValue,
  sanitizeHostname,
  sanitizeName,
  sanitizeOpentsdbLabelValue,
} from "../../lib/export/format.ts";
import { BatchWriter } from "../../lib/export/buffer.ts";
import { Chart } from "../../lib/storage/rrd.ts";
import { graphite } from "../../lib/export/connectors/graphite.ts";
import { opentsdb } from "../../lib/export/connectors/opentsdb.ts";
import {
  continueWindow,
  exportWindow,
  instanceDue,
  latePieces,
} from "../../lib/export/window.ts";

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
  await t.step("huge values keep printf's digits, no exponent", () => {
    assertEquals(formatFixed7(1e21), "1000000000000000000000.0000000");
    // printf prints the double's exact value: 2^70 here.
    assertEquals(formatFixed7(-(2 ** 70)), "-1180591620717411303424.0000000");
    assertEquals(formatFixed7(9.99e20), "999000000000000000000.0000000");
  });
  await t.step("label values and chart ids as netdata sanitizes them", () => {
    assertEquals(sanitizeGraphiteLabelValue("a b;c~d=e"), "a_b_c_d=e");
    assertEquals(sanitizeOpentsdbLabelValue("a b;c=d/é.-"), "a_b_c_d/é.-");
    assertEquals(
      fixChartId("exporting_My Graphite,x"),
      "exporting_my_graphite.x",
    );
  });
  await t.step("graphite and opentsdb lines, with tags and labels", () => {
    const host = {
      hostname: "h1",
      tags: "",
      labelsConfigured: true,
      labels: [["_is_ephemeral", "false"], ["site", "north pole"]] as [
        string,
        string,
      ][],
      suffix: "",
      program: "",
      programVersion: "",
      variables: new Map<string, number>(),
      nowMs: 0,
    };
    const cpu = new Chart({
      id: "system.cpu",
      updateEverySec: 1,
      history: 5,
      family: "cpu",
      units: "percentage",
    });
    const m = {
      prefix: "netdata",
      host,
      chart: "system.cpu",
      dimension: "user",
      value: "12.5000000",
      numericValue: 12.5,
      timestamp: 1700000000,
      timestampMs: 1700000000000,
      chartInfo: cpu,
      dimensionInfo: cpu.addDimension("user"),
    };
    const line = (c: typeof graphite) => {
      c.startHost!(host);
      const w = new BatchWriter();
      c.metric(m, w);
      return new TextDecoder().decode(w.take().bytes);
    };
    assertEquals(
      line(graphite),
      "netdata.h1.system.cpu.user;_is_ephemeral=false;site=north_pole 12.5000000 1700000000\n",
    );
    assertEquals(
      line(opentsdb),
      "put netdata.system.cpu.user 1700000000 12.5000000 host=h1 _is_ephemeral=false site=north_pole\n",
    );
    host.labels = [];
    host.tags = "env=prod";
    assertEquals(
      line(graphite),
      "netdata.h1.system.cpu.user;env=prod 12.5000000 1700000000\n",
    );
    // netdata starts the labels with a space whenever labels are on.
    assertEquals(
      line(opentsdb),
      "put netdata.system.cpu.user 1700000000 12.5000000 host=h1 env=prod \n",
    );
    host.tags = "";
    host.labelsConfigured = false;
    assertEquals(
      line(opentsdb),
      "put netdata.system.cpu.user 1700000000 12.5000000 host=h1\n",
    );
    assertEquals(graphite.defaultPort, 2003);
    assertEquals(opentsdb.defaultPort, 4242);
  });
});

Deno.test("window maths, netdata 1.37's (DESIGN §3.2)", async (t) => {
  await t.step("an instance is due when now % ue >= ue - local ue", () => {
    const due = (ue: number, local: number) =>
      Array.from({ length: 12 }, (_, i) => 100 + i).filter((s) =>
        instanceDue(s, ue, local)
      );
    assertEquals(due(5, 1), [104, 109]);
    assertEquals(due(10, 1), [109]);
    assertEquals(due(1, 1), Array.from({ length: 12 }, (_, i) => 100 + i));
    assertEquals(due(4, 2), [102, 103, 106, 107, 110, 111]);
  });
  await t.step(
    "two slots back, aligned, the newest left for next time: T is [T-4, T] at ue 5 / chart 1",
    () => {
      // before = 114: 112 aligned, minus one slot = 111; after 109 - 2 = 107.
      assertEquals(exportWindow(109, 114, 1, 1, 1e9), { from: 107, to: 111 });
      assertEquals(exportWindow(114, 119, 1, 1, 1e9), { from: 112, to: 116 });
      // chart update every 5: 109-10=99 -> 95; 114-10=104 -> 100 - 5 = 95
      assertEquals(exportWindow(109, 114, 5, 1, 1e9), { from: 95, to: 95 });
    },
  );
  await t.step("after > before becomes after = before", () => {
    // after 110-20 = 90; before 111-20 = 91 -> 90, minus a slot = 80.
    assertEquals(exportWindow(110, 111, 10, 1, 1e9), { from: 80, to: 80 });
  });
  await t.step("clamped to the first and last entry", () => {
    assertEquals(exportWindow(100, 120, 1, 104, 110), { from: 104, to: 110 });
  });
  await t.step("nothing stored in range: undefined", () => {
    assertEquals(exportWindow(100, 110, 1, 120, 130), undefined);
    assertEquals(exportWindow(100, 110, 1, 0, 0), undefined);
    assertEquals(exportWindow(100, 110, 1, 50, 90), undefined);
  });
  await t.step(
    "consecutive windows cover each slot exactly once, whatever the chart's update every",
    () => {
      for (const ue of [1, 2, 3, 5, 10]) {
        for (const step of [1, 5, 7, 10]) {
          const seen = new Map<number, number>();
          let through: number | undefined;
          for (let after = 1000; after < 1200; after += step) {
            const w = exportWindow(after, after + step, ue, 1, 1e9);
            const r = w && continueWindow(w, through, ue, 1);
            if (!r) continue;
            through = r.to;
            for (let s = r.from; s <= r.to; s += ue) {
              seen.set(s, (seen.get(s) ?? 0) + 1);
            }
          }
          assertEquals(
            [...seen.values()].every((n) => n === 1),
            true,
            `ue ${ue} step ${step}`,
          );
          const slots = [...seen.keys()];
          assertEquals(
            slots.length,
            (slots.at(-1)! - slots[0]) / ue + 1,
            `no hole, ue ${ue} step ${step}`,
          );
        }
      }
    },
  );
  await t.step(
    "skiff's guard: a timestamp is never exported twice, and a late slot is not skipped",
    () => {
      const w = { from: 107, to: 111 };
      assertEquals(continueWindow(w, undefined, 1, 1), w);
      assertEquals(continueWindow(w, 111, 1, 1), undefined); // a shutdown cycle right after a tick
      assertEquals(continueWindow(w, 106, 1, 1), w);
      assertEquals(continueWindow(w, 104, 1, 1), { from: 105, to: 111 }); // slots 105-106 came late
      assertEquals(continueWindow(w, 104, 1, 106), { from: 106, to: 111 });
    },
  );
  await t.step(
    "late slots (a replay after a disconnect) go out one cycle at a time, oldest first",
    () => {
      // a cycle of 5 s on 1 s slots: 30 late slots are 6 points, not one
      assertEquals(latePieces({ from: 82, to: 111 }, 5, 1), [
        { from: 82, to: 86 },
        { from: 87, to: 91 },
        { from: 92, to: 96 },
        { from: 97, to: 101 },
        { from: 102, to: 106 },
        { from: 107, to: 111 },
      ]);
      // a remainder is its own, shorter piece; an on-time range stays whole
      assertEquals(latePieces({ from: 104, to: 111 }, 5, 1), [
        { from: 104, to: 106 },
        { from: 107, to: 111 },
      ]);
      assertEquals(latePieces({ from: 107, to: 111 }, 5, 1), [
        { from: 107, to: 111 },
      ]);
      // a 2 s chart under a 3 s cycle: pieces of two slots (4 s)
      assertEquals(latePieces({ from: 100, to: 110 }, 3, 2), [
        { from: 100, to: 102 },
        { from: 104, to: 106 },
        { from: 108, to: 110 },
      ]);
    },
  );
});
