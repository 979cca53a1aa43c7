import { assert, assertEquals } from "../helpers/assert.ts";
import { Chart } from "../../lib/storage/rrd.ts";
import {
  aggregate,
  aggregateSlots,
  slotWindow,
} from "../../lib/storage/query.ts";

function filled(
  values: number[],
  options: { ue?: number; history?: number; gapAt?: number } = {},
) {
  const ue = options.ue ?? 1;
  const chart = new Chart({
    id: "q.c",
    updateEverySec: ue,
    history: options.history ?? 100,
  });
  const d = chart.addDimension("d");
  // first collection stores nothing: prime with one
  let t = 1000 + 0.5 * ue;
  d.set(values[0], t * 1000);
  chart.done(t * 1e6);
  for (const v of values) {
    t += ue;
    if (options.gapAt !== undefined && v === options.gapAt) {
      chart.next(t * 1e6);
      chart.done(t * 1e6, false); // completed without setting: a gap
      continue;
    }
    d.set(v, t * 1000);
    chart.done(t * 1e6);
  }
  return { chart, d };
}

Deno.test("aggregate queries", async (t) => {
  const out = { value: NaN, count: 0 };
  await t.step("average, sum, min, max over an inclusive slot range", () => {
    const { chart, d } = filled([1, 2, 3, 4, 5]);
    const first = chart.firstEntrySec();
    assertEquals(aggregate(chart, d, first, first + 4, "sum", out).value, 15);
    assertEquals(
      aggregate(chart, d, first, first + 4, "average", out).value,
      3,
    );
    assertEquals(
      aggregate(chart, d, first + 1, first + 3, "min", out).value,
      2,
    );
    assertEquals(
      aggregate(chart, d, first + 1, first + 3, "max", out).value,
      4,
    );
    assertEquals(out.count, 3);
  });

  await t.step("gaps are skipped", () => {
    const { chart, d } = filled([1, 2, 99, 4], { gapAt: 99 });
    const first = chart.firstEntrySec();
    const r = aggregate(chart, d, first, chart.lastEntrySec(), "sum", out);
    assertEquals(r.value, 7);
    assertEquals(r.count, 3);
  });

  await t.step(
    "ranges are clamped to stored data; nothing stored gives NaN",
    () => {
      const { chart, d } = filled([5, 5, 5]);
      assertEquals(aggregate(chart, d, 0, 1e12, "sum", out).value, 15);
      assert(Number.isNaN(aggregate(chart, d, 0, 10, "sum", out).value));
      const empty = new Chart({ id: "e.e", updateEverySec: 1, history: 10 });
      assert(
        Number.isNaN(
          aggregate(empty, empty.addDimension("x"), 0, 1e12, "average", out)
            .value,
        ),
      );
    },
  );

  await t.step(
    "a window's slots, found once, serve every dimension of the chart",
    () => {
      const chart = new Chart({ id: "w.w", updateEverySec: 2, history: 5 });
      const a = chart.addDimension("a");
      const b = chart.addDimension("b");
      // slots at 1002..1012 (6 of them in a 5-slot ring: the first is gone)
      for (let t = 1002, i = 1; t <= 1012; t += 2, i++) {
        a.set(i, t * 1000);
        b.set(10 * i, t * 1000);
        chart.done(t * 1e6);
      }
      assertEquals([chart.firstEntrySec(), chart.lastEntrySec()], [1004, 1012]);
      const w = { slot: -1, slots: -1 };
      // 1003..1009 aligns inward to 1004..1008: 3 slots
      slotWindow(chart, 1003, 1009, w);
      assertEquals(w.slots, 3);
      assertEquals(w.slot, chart.slotOf(1004));
      assertEquals(aggregateSlots(chart, a, w, "sum", out), {
        value: 2 + 3 + 4,
        count: 3,
      });
      assertEquals(aggregateSlots(chart, b, w, "average", out), {
        value: 30,
        count: 3,
      });
      // clamped to what is stored, across the ring's wrap
      slotWindow(chart, 0, 1e12, w);
      assertEquals(w.slots, 5);
      assertEquals(aggregateSlots(chart, a, w, "max", out).value, 6);
      assertEquals(aggregateSlots(chart, b, w, "min", out).value, 20);
      // nothing stored in the window: no slots, NaN
      slotWindow(chart, 1013, 1100, w);
      assertEquals([w.slot, w.slots], [0, 0]);
      const r = aggregateSlots(chart, a, w, "sum", out);
      assert(Number.isNaN(r.value));
      assertEquals(r.count, 0);
    },
  );

  await t.step("3,600 slots are read through the ring wrap", () => {
    const values = Array.from({ length: 5000 }, (_, i) => i % 10);
    const { chart, d } = filled(values, { history: 3600 });
    const r = aggregate(
      chart,
      d,
      chart.firstEntrySec(),
      chart.lastEntrySec(),
      "sum",
      out,
    );
    assertEquals(r.count, 3600);
    // last 3600 of i % 10 over i = 1400..4999: 360 full cycles of 0..9 = 16200
    assertEquals(r.value, 16200);
  });
});

Deno.test("aggregate over pages, compressed or not, and the ring's wrap equals a slot-by-slot sum", async () => {
  const fc = (await import("fast-check")).default;
  const { valueAt } = await import("../../lib/storage/query.ts");
  fc.assert(
    fc.property(
      fc.array(
        fc.oneof(fc.integer({ min: -1000, max: 1000 }), fc.constant(NaN)),
        {
          minLength: 50,
          maxLength: 900,
          // without it fast-check keeps arrays near minLength: no lap
          size: "max",
        },
      ),
      fc.nat(),
      fc.nat(),
      (values, x, y) => {
        // history 300: pages of 128, 128 and 44 slots; up to 3 laps
        const { chart, d } = filled(
          values.map((v) => Number.isNaN(v) ? 9999 : v),
          { history: 300, gapAt: 9999 },
        );
        const first = chart.firstEntrySec();
        const last = chart.lastEntrySec();
        const span = last - first + 1;
        const a = first + (x % span);
        const b = a + (y % (last - a + 1));
        let sum = 0;
        let count = 0;
        for (let t = a; t <= b; t++) {
          const v = valueAt(chart, d, t);
          if (!Number.isNaN(v)) {
            sum += v;
            count++;
          }
        }
        const out = { value: NaN, count: 0 };
        aggregate(chart, d, a, b, "sum", out);
        assertEquals(out.count, count);
        if (count > 0) assertEquals(out.value, sum);
      },
    ),
    { numRuns: 200 },
  );
});
