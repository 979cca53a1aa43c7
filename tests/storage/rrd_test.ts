import { assert, assertAlmostEquals, assertEquals } from "../helpers/assert.ts";
import { Chart, Database } from "../../lib/storage/rrd.ts";
import type { Algorithm } from "../../lib/storage/rrd.ts";
import { valueAt } from "../../lib/storage/query.ts";
import {
  packStorageNumber,
  SN_FLAG_RESET,
} from "../../lib/storage/storage_number.ts";
import { arenaBytes } from "../../lib/storage/arena.ts";
import { slabPages } from "../../lib/storage/ring.ts";

const S = 1_000_000; // microseconds per second

/** A 1-second chart with one dimension of the given algorithm. */
function chartWith(
  algorithm: Algorithm,
  options: { multiplier?: number; divisor?: number; ue?: number } = {},
) {
  const chart = new Chart({
    id: "test.chart",
    updateEverySec: options.ue ?? 1,
    history: 60,
  });
  const dim = chart.addDimension("d", {
    algorithm,
    multiplier: options.multiplier,
    divisor: options.divisor,
  });
  return { chart, dim };
}

/** Sets `value` and completes the chart at `tSec` (fractional seconds). */
function collect(
  chart: Chart,
  dim: { set(v: number, ms: number): void },
  value: number,
  tSec: number,
) {
  dim.set(value, tSec * 1000);
  chart.done(Math.round(tSec * S));
}

Deno.test("rrdset_done interpolation (netdata 1.37 rules)", async (t) => {
  await t.step(
    "absolute: the first collection stores nothing; later ones land on the slot before them",
    () => {
      const { chart, dim } = chartWith("absolute");
      collect(chart, dim, 10, 100.3);
      assertEquals(chart.counter, 0);
      collect(chart, dim, 20, 101.3);
      collect(chart, dim, 30, 102.3);
      assertEquals(chart.firstEntrySec(), 101);
      assertEquals(chart.lastEntrySec(), 102);
      assertEquals(valueAt(chart, dim, 101), 20);
      assertEquals(valueAt(chart, dim, 102), 30);
    },
  );

  await t.step(
    "incremental: rates split at slot boundaries (hand-computed)",
    () => {
      const { chart, dim } = chartWith("incremental");
      collect(chart, dim, 1000, 100.3); // first: last_collected aligned to 100.5
      collect(chart, dim, 1100, 101.3); // +100 over (100.5, 101.3]: 100 * 0.5/0.8 = 62.5 to slot 101
      collect(chart, dim, 1300, 102.3); // 37.5 carried + 200 * 0.7/1.0 = 177.5 to slot 102
      assertEquals(valueAt(chart, dim, 101), 62.5);
      assertEquals(valueAt(chart, dim, 102), 177.5);
    },
  );

  await t.step("incremental with multiplier and divisor", () => {
    const { chart, dim } = chartWith("incremental", {
      multiplier: 8,
      divisor: 1000,
    });
    collect(chart, dim, 0, 200.5);
    collect(chart, dim, 1000, 201.5); // 1000 bytes/s -> 8 kilobits/s
    collect(chart, dim, 2000, 202.5);
    assertAlmostEquals(valueAt(chart, dim, 202), 8, 1e-6);
  });

  await t.step("jittered collections still store on aligned seconds", () => {
    const { chart, dim } = chartWith("absolute");
    const times = [50.1, 51.05, 52.2, 52.95, 54.1, 55.0];
    times.forEach((t) => collect(chart, dim, 7, t));
    assertEquals(chart.lastEntrySec() % 1, 0);
    for (let s = chart.firstEntrySec(); s <= chart.lastEntrySec(); s++) {
      assertEquals(valueAt(chart, dim, s), 7, `slot ${s}`);
    }
    assert(chart.counter >= 4);
  });

  await t.step(
    "a missed collection is interpolated between values (absolute)",
    () => {
      const { chart, dim } = chartWith("absolute");
      collect(chart, dim, 0, 10.5);
      collect(chart, dim, 10, 11.5);
      collect(chart, dim, 30, 13.5); // skipped 12.5: slot 12 interpolated, slot 13 = 30
      assertEquals(valueAt(chart, dim, 11), 10);
      // iterations = 2: slot 12 = (30 - 10) * (12 - 11.5) / (13.5 - 11.5) + 10 = 15
      assertEquals(valueAt(chart, dim, 12), 15);
      assertEquals(valueAt(chart, dim, 13), 30);
    },
  );

  await t.step(
    "a long pause leaves gaps (gap when lost iterations above)",
    () => {
      const { chart, dim } = chartWith("absolute");
      collect(chart, dim, 5, 10.5);
      collect(chart, dim, 5, 11.5);
      collect(chart, dim, 5, 16.5); // 5 slots at once: iterations >= 3 -> gaps
      assertEquals(valueAt(chart, dim, 11), 5);
      assert(Number.isNaN(valueAt(chart, dim, 12)));
      assert(Number.isNaN(valueAt(chart, dim, 13)));
      // the last two iterations (2 and 1) are below 3 and stored
      assertEquals(valueAt(chart, dim, 15), 5);
      assertEquals(valueAt(chart, dim, 16), 5);
    },
  );

  await t.step("a dimension not set in a collection stores a gap", () => {
    const chart = new Chart({ id: "t.c", updateEverySec: 1, history: 10 });
    const a = chart.addDimension("a");
    const b = chart.addDimension("b");
    for (const t of [1.5, 2.5, 3.5]) {
      a.set(1, t * 1000);
      if (t !== 3.5) b.set(2, t * 1000);
      chart.done(t * S);
    }
    assertEquals(valueAt(chart, b, 2), 2);
    assert(Number.isNaN(valueAt(chart, b, 3)));
    assertEquals(valueAt(chart, a, 3), 1);
  });

  await t.step(
    "counter wrap of a 32-bit counter is an overflow, counted across the wrap",
    () => {
      const { chart, dim } = chartWith("incremental");
      const near = 0xffffffff - 50;
      collect(chart, dim, near - 100, 1.5);
      collect(chart, dim, near, 2.5); // +100 over (1.5, 2.5]: 50 to slot 2, 50 carried
      collect(chart, dim, 49, 3.5); // wrapped: delta = cap - near + 49 = 99: half to slot 3
      assertEquals(valueAt(chart, dim, 2), 50);
      assertEquals(valueAt(chart, dim, 3), 50 + 49.5);
      assert(
        (dim.ring.get(chart.slotOf(3)) & SN_FLAG_RESET) !== 0,
        "slot 3 carries the reset flag",
      );
    },
  );

  await t.step("a counter reset (big drop) adds nothing, no huge rate", () => {
    const { chart, dim } = chartWith("incremental");
    collect(chart, dim, 1_000_000, 1.5);
    collect(chart, dim, 1_000_100, 2.5); // 50 to slot 2, 50 carried
    collect(chart, dim, 10, 3.5); // reset: delta 0; slot 3 = the carried 50
    collect(chart, dim, 20, 4.5); // +10: 5 to slot 4
    assertEquals(valueAt(chart, dim, 3), 50);
    assertEquals(valueAt(chart, dim, 4), 5);
    assert((dim.ring.get(chart.slotOf(3)) & SN_FLAG_RESET) !== 0);
  });

  await t.step("noreset: a drop is not flagged", () => {
    const { chart, dim } = chartWith("incremental");
    dim.dontDetectResets = true;
    collect(chart, dim, 100, 1.5);
    collect(chart, dim, 200, 2.5);
    collect(chart, dim, 10, 3.5);
    assertEquals(dim.ring.get(chart.slotOf(3)) & SN_FLAG_RESET, 0);
  });

  await t.step("percentage-of-absolute-row", () => {
    const chart = new Chart({ id: "t.p", updateEverySec: 1, history: 10 });
    const a = chart.addDimension("a", {
      algorithm: "percentage-of-absolute-row",
    });
    const b = chart.addDimension("b", {
      algorithm: "percentage-of-absolute-row",
    });
    for (const t of [1.5, 2.5]) {
      a.set(1, t * 1000);
      b.set(3, t * 1000);
      chart.done(t * S);
    }
    assertEquals(valueAt(chart, a, 2), 25);
    assertEquals(valueAt(chart, b, 2), 75);
  });

  await t.step("percentage-of-incremental-row (cpu style)", () => {
    const chart = new Chart({ id: "t.cpu", updateEverySec: 1, history: 10 });
    const user = chart.addDimension("user", {
      algorithm: "percentage-of-incremental-row",
    });
    const idle = chart.addDimension("idle", {
      algorithm: "percentage-of-incremental-row",
    });
    const rows = [[100, 900], [130, 970], [190, 1010]];
    rows.forEach(([u, i], k) => {
      const t = 1.5 + k;
      user.set(u, t * 1000);
      idle.set(i, t * 1000);
      chart.done(t * S);
    });
    // second row: +30 user, +70 idle -> 30%, 70%; third: +60, +40 -> 60%, 40%
    assertEquals(valueAt(chart, user, 2), 30);
    assertEquals(valueAt(chart, idle, 2), 70);
    assertEquals(valueAt(chart, user, 3), 60);
    assertEquals(valueAt(chart, idle, 3), 40);
  });

  await t.step("slot boundaries with update every 5", () => {
    const { chart, dim } = chartWith("absolute", { ue: 5 });
    collect(chart, dim, 1, 100.2);
    collect(chart, dim, 2, 105.2);
    collect(chart, dim, 3, 110.2);
    assertEquals(chart.lastEntrySec(), 110);
    assertEquals(valueAt(chart, dim, 105), 2);
    assertEquals(valueAt(chart, dim, 110), 3);
    assert(Number.isNaN(valueAt(chart, dim, 107)));
  });

  await t.step("the ring wraps after history entries", () => {
    const chart = new Chart({ id: "t.r", updateEverySec: 1, history: 5 });
    const d = chart.addDimension("d");
    for (let i = 0; i < 12; i++) {
      d.set(i, (10.5 + i) * 1000);
      chart.done((10.5 + i) * S);
    }
    assertEquals(chart.lastEntrySec(), 21);
    assertEquals(chart.firstEntrySec(), 17);
    assertEquals(valueAt(chart, d, 21), 11);
    assertEquals(valueAt(chart, d, 17), 7);
    assert(Number.isNaN(valueAt(chart, d, 16)));
  });

  await t.step(
    "BEGIN microseconds move last collected time (trusted duration)",
    () => {
      const { chart, dim } = chartWith("absolute");
      collect(chart, dim, 1, 10.2);
      chart.next(11.9 * S, 1_000_000, true); // the plugin says 1 s passed, not 1.7
      dim.set(2, 11_900);
      chart.done(11.9 * S, false);
      // last collected = 10.5 + 1.0 = 11.5 -> slot 11 stored
      assertEquals(chart.lastCollectedUt, 11.5 * S);
      assertEquals(valueAt(chart, dim, 11), 2);
    },
  );
});

Deno.test("the database frees received hosts", async (t) => {
  await t.step(
    "removeHost forgets a received host; the same GUID makes a new one; localhost stays",
    () => {
      const db = new Database({ hostname: "parent" });
      const guid = "00000000-0000-4000-8000-000000000001";
      const h = db.addHost({ hostname: "child", machineGuid: guid });
      const c = h.addChart({ id: "t.c", updateEverySec: 1, history: 300 });
      const d = c.addDimension("d");
      // 2 pages compressed (a constant: 7 bytes, a 16-byte block each),
      // one raw
      for (let s = 0; s < 260; s++) d.ring.set(s, packStorageNumber(5));
      assertEquals(d.ring.pageCounts().compressed, 2);
      const arena = arenaBytes().free;
      const slabs = slabPages().free;
      assertEquals(db.size, 2);
      assertEquals(db.removeHost(guid), true);
      // its blocks (2 pages, the table) back in the arena, its raw page in
      // the slabs
      assertEquals(arenaBytes().free, arena + 16 + 16 + 16);
      assertEquals(slabPages().free, slabs + 1);
      assertEquals([db.size, db.host(guid), db.hostByName("child")], [
        1,
        undefined,
        undefined,
      ]);
      assertEquals(db.removeHost(guid), false, "already gone");
      assertEquals(db.removeHost(db.localhost.machineGuid), false);
      assertEquals(db.size, 1);
      const again = db.addHost({ hostname: "child", machineGuid: guid });
      assert(again !== h, "a new host");
      assertEquals(again.charts.size, 0, "without the old data");
    },
  );
});

Deno.test("a chart's dimensions keep their numbers in one array that grows", () => {
  const chart = new Chart({ id: "t.grow", updateEverySec: 1, history: 60 });
  const first = chart.addDimension("a", { algorithm: "incremental" });
  assertEquals(first.lastStoredValue, NaN);
  assertEquals(
    [first.collectedValue, first.calculatedValue, first.lastCollectedTimeMs],
    [0, 0, 0],
  );
  first.set(-(2 ** 60), 1_764_000_000_123.5);
  first.calculatedValue = 0.1;
  // 40 more dimensions: the array grows (it starts with room for 4), and
  // what was set stays, each dimension in its own slots
  const more = Array.from(
    { length: 40 },
    (_, i) => chart.addDimension(`d${i}`),
  );
  more.forEach((d, i) => d.set(i + 0.5, i));
  assertEquals(first.collectedValue, -(2 ** 60));
  assertEquals(first.collectedValueMax, 2 ** 60);
  assertEquals(first.lastCollectedTimeMs, 1_764_000_000_123.5);
  assertEquals(first.calculatedValue, 0.1);
  assertEquals(first.lastStoredValue, NaN);
  more.forEach((d, i) => {
    assertEquals([d.collectedValue, d.lastCollectedTimeMs], [i + 0.5, i]);
    assertEquals(d.lastStoredValue, NaN);
  });
  assertEquals(chart.dimension("a"), first);
});
