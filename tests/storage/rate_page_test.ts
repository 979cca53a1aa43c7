import fc from "fast-check";
import { assert, assertEquals, assertThrows } from "../helpers/assert.ts";
import { type Chart, Database } from "../../lib/storage/rrd.ts";
import type { Dimension } from "../../lib/storage/rrd.ts";
import {
  decodePage,
  encodePage,
  encodeToScratch,
  MODE_RATE,
  PAGE_SLOTS,
  scratch,
} from "../../lib/storage/page_codec.ts";
import { SlotTimes } from "../../lib/storage/slot_times.ts";
import {
  packStorageNumber,
  SN_DEFAULT_FLAGS,
  SN_EMPTY_SLOT,
} from "../../lib/storage/storage_number.ts";

const T0 = 1_700_000_000;

/** A chart of `dims` (id, algorithm, multiplier, divisor); `rate: false` keeps its rings off rate pages. */
function chart(
  history: number,
  dims: [string, "incremental" | "absolute", number, number][],
  rate: boolean,
): { chart: Chart; dims: Dimension[] } {
  const db = new Database({ hostname: "h" });
  const c = db.localhost.addChart({
    id: "t.c",
    updateEverySec: 1,
    history,
  });
  const ds = dims.map(([id, algorithm, multiplier, divisor]) =>
    c.addDimension(id, { algorithm, multiplier, divisor })
  );
  if (!rate) { for (const d of ds) d.ring.rate = undefined; }
  return { chart: c, dims: ds };
}

/** Every slot of every dimension of `a` equals `b`'s; returns how many are not empty. */
function assertSameSlots(
  a: { chart: Chart; dims: Dimension[] },
  b: { chart: Chart; dims: Dimension[] },
): number {
  let stored = 0;
  for (let i = 0; i < a.dims.length; i++) {
    for (let s = 0; s < a.chart.entries; s++) {
      const x = a.dims[i].ring.get(s);
      const y = b.dims[i].ring.get(s);
      if (x !== y) {
        throw new Error(`dimension ${a.dims[i].id}, slot ${s}: ${x} != ${y}`);
      }
      if (x !== SN_EMPTY_SLOT) stored++;
    }
  }
  return stored;
}

/** Collects into both twins: `values[i]` for dimension i (undefined: not collected) at `tUs`. */
function collect(
  twins: { chart: Chart; dims: Dimension[] }[],
  tUs: number,
  values: (number | undefined)[],
): void {
  for (const t of twins) {
    values.forEach((v, i) => {
      if (v !== undefined) t.dims[i].set(v, tUs / 1000);
    });
    t.chart.done(tUs);
  }
}

Deno.test("rate pages", async (t) => {
  await t.step(
    "a steady counter, collected mid-second a few ms off: a 14-byte page that decodes to what was stored",
    () => {
      const dims: [string, "incremental", number, number][] = [
        ["in", "incremental", 1, 1],
        ["out", "incremental", -8, 1024],
      ];
      const a = chart(600, dims, true);
      const b = chart(600, dims, false);
      // 129 collections: page 0 (slots 0..127) is compressed by slot 128
      for (let i = 0; i <= PAGE_SLOTS + 1; i++) {
        const jitterUs = [1234, -2345, 3456, -987][i % 4];
        collect([a, b], (T0 + i) * 1e6 + 500_000 + jitterUs, [
          i * 1000,
          i * 5000,
        ]);
      }
      // the first collection stores nothing (no slot yet), the next 129
      // slots 0..128: page 0 is compressed
      assertEquals(assertSameSlots(a, b), 2 * (PAGE_SLOTS + 1));
      for (let i = PAGE_SLOTS + 2; i <= 2 * PAGE_SLOTS + 1; i++) {
        const jitterUs = [1234, -2345, 3456, -987][i % 4];
        collect([a, b], (T0 + i) * 1e6 + 500_000 + jitterUs, [
          i * 1000,
          i * 5000,
        ]);
      }
      assertSameSlots(a, b);
      for (const d of a.dims) {
        assertEquals(d.ring.pageCounts().compressed, 2);
        assertEquals(d.ring.pageCounts().rate, 2);
      }
      for (const d of b.dims) assertEquals(d.ring.pageCounts().rate, 0);
      // a page of `in`: mode, multiplier 1 (zigzag: 2), divisor 1 (2), the
      // carried float64, delta 1000 (2 varint bytes), width 0: 14 bytes;
      // of `out`: multiplier -8 (15), divisor 1024 (2 varint bytes), delta
      // 5000 (2): 15. Beside them a table of 2 entries and 2 lengths.
      assertEquals(a.dims[0].ring.compressedBytes, 8 + 2 * (2 + 14));
      assertEquals(a.dims[1].ring.compressedBytes, 8 + 2 * (2 + 15));
      // without rate pages, a slot's jitter costs bits
      assert(pageBytes(b.dims[0], 1) > 100);
    },
  );

  await t.step(
    "any collection history: every slot reads as it would without rate pages (property)",
    () => {
      const dims: [string, "incremental" | "absolute", number, number][] = [
        ["a", "incremental", 1, 1],
        ["b", "incremental", -8, 1024],
        ["c", "incremental", 3, 7],
        ["d", "absolute", 1, 1],
      ];
      const event = fc.record({
        // most collections a second apart; some late, early, or after a gap
        stepUs: fc.oneof(
          { weight: 300, arbitrary: fc.constant(1_000_000) },
          {
            weight: 1,
            arbitrary: fc.integer({ min: 200_000, max: 6_000_000 }),
          },
        ),
        jitterUs: fc.integer({ min: -5000, max: 5000 }),
        // per dimension: its rate goes on, changes, the counter starts
        // over, or it is not collected this time
        moves: fc.array(
          fc.oneof(
            { weight: 600, arbitrary: fc.constant("same") },
            { weight: 20, arbitrary: fc.constantFrom(0, 7, 1000, 123_457) },
            { weight: 1, arbitrary: fc.constantFrom("reset", "skip") },
          ),
          { minLength: 4, maxLength: 4 },
        ),
        // now and then a child replays a past point (RSET) into some dimensions
        replay: fc.oneof(
          { weight: 300, arbitrary: fc.constant(null) },
          {
            weight: 1,
            arbitrary: fc.record({
              back: fc.integer({ min: -3, max: 200 }),
              dims: fc.nat(15),
            }),
          },
        ),
      });
      let withRates = 0;
      fc.assert(
        fc.property(
          fc.constantFrom(150, 300),
          fc.integer({ min: 0, max: 999_999 }),
          fc.array(event, { minLength: 300, maxLength: 700 }),
          (history, offsetUs, events) => {
            const a = chart(history, dims, true);
            const b = chart(history, dims, false);
            const values = [0, 0, 0, 0];
            const rates = [1000, 7, 123_457, 3];
            let tUs = (T0 + 1) * 1e6 + offsetUs;
            events.forEach((e, n) => {
              tUs += e.stepUs;
              const collected = e.moves.map((m, i) => {
                if (m === "skip") return undefined;
                if (typeof m === "number") rates[i] = m;
                values[i] = m === "reset" ? 5 : values[i] + rates[i];
                return values[i];
              });
              collect([a, b], tUs + e.jitterUs, collected);
              if (e.replay) {
                const end = Math.floor(tUs / 1e6) - e.replay.back;
                for (const t of [a, b]) {
                  const slot = t.chart.replaySlot(end);
                  if (slot < 0) continue;
                  t.dims.forEach((d, i) => {
                    if (e.replay!.dims & (1 << i)) {
                      d.storeReplayed(slot, end, 42 + i, false);
                    }
                  });
                }
              }
              if (n % 50 === 49) assertSameSlots(a, b);
            });
            assertSameSlots(a, b);
            if (a.dims.some((d) => d.ring.pageCounts().rate > 0)) withRates++;
          },
        ),
        { numRuns: 150 },
      );
      // the property is about rate pages only if some were made
      assert(withRates > 10, `${withRates} runs made rate pages`);
    },
  );

  await t.step(
    "a child's replay that moves the ring onto a rate page of the last lap keeps that page's other slots",
    () => {
      const dims: [string, "incremental", number, number][] = [
        ["in", "incremental", 1, 1],
      ];
      const a = chart(2 * PAGE_SLOTS, dims, true);
      const b = chart(2 * PAGE_SLOTS, dims, false);
      // lap 1 (slots 0..255), then lap 2 up to slot 127: page 1 is a rate
      // page of lap 1
      let i = 0;
      for (; i <= 3 * PAGE_SLOTS; i++) {
        collect([a, b], (T0 + i) * 1e6 + 400_000 + (i % 5) * 1000, [
          i * 1000,
        ]);
        // lap 2's first slot: page 0 of lap 1 is decoded to be rewritten
        if (i > PAGE_SLOTS && a.chart.currentEntry === 1) {
          assertEquals(assertSameSlots(a, b), 2 * PAGE_SLOTS);
        }
      }
      assertEquals(a.chart.currentEntry, PAGE_SLOTS);
      assertEquals(a.dims[0].ring.pageCounts().compressed, 1);
      assertEquals(a.dims[0].ring.pageCounts().rate, 1);
      assert(a.dims[0].ring.compressedBytes < 32);
      // RBEGIN a second after the newest: slot 128 is emptied for it
      for (const t of [a, b]) {
        const end = t.chart.lastEntrySec() + 1;
        assertEquals(t.chart.replaySlot(end), PAGE_SLOTS);
        t.dims[0].storeReplayed(PAGE_SLOTS, end, 42, false);
      }
      // slots 129..255 still hold lap 1's values
      assertEquals(assertSameSlots(a, b), 2 * PAGE_SLOTS);
    },
  );

  await t.step(
    "a rate page made by a child's replay, between collections, keeps its times",
    () => {
      const dims: [string, "incremental", number, number][] = [
        ["steady", "incremental", 1, 1],
        ["flat", "incremental", 1, 1],
      ];
      const a = chart(2 * PAGE_SLOTS, dims, true);
      const b = chart(2 * PAGE_SLOTS, dims, false);
      const at = (i: number) => (T0 + i) * 1e6 + 400_000 + (i % 7) * 500;
      // lap 1, then lap 2's page 0: slots 0..127 written, slot 128 not yet
      let i = 0;
      for (; i <= 2 * PAGE_SLOTS + PAGE_SLOTS; i++) {
        collect([a, b], at(i), [i * 1000, 5]);
      }
      assertEquals(a.chart.currentEntry, PAGE_SLOTS);
      // a replayed point of lap 1's page 1 for `steady` alone: its ring
      // leaves page 0, a rate page made outside any collection
      for (const t of [a, b]) {
        const end = t.chart.lastEntrySec() -
          (PAGE_SLOTS - 1 + 2 * PAGE_SLOTS - 200);
        assertEquals(t.chart.replaySlot(end), 200);
        t.dims[0].storeReplayed(200, end, 42, false);
      }
      assertEquals(a.dims[0].ring.pageCounts().rate, 1);
      // the next collection starts page 1: `flat` leaves page 0 (a constant
      // page, no rate page): page 0's times must stay for `steady`'s
      collect([a, b], at(i), [i * 1000, 5]);
      assertEquals(a.dims[1].ring.pageCounts().rate, 0);
      assertEquals(assertSameSlots(a, b), 2 * 2 * PAGE_SLOTS);
    },
  );

  await t.step("a rate page is read only with its chart's slot times", () => {
    const times = new SlotTimes(PAGE_SLOTS, 1);
    const raw = new Uint32Array(PAGE_SLOTS);
    let carried = 0;
    // collections 500 ms after each second and 1 µs later each time; the
    // one before slot 0 at 499,999 µs
    let prev = 499_999;
    for (let s = 0; s < PAGE_SLOTS; s++) {
      const offset = 500_000 + s;
      times.set(s, offset, prev);
      // the values a steady 1000/s counter interpolates to (rrd.ts)
      const x = 1000 * (1_000_000 - prev) / (1_000_000 + offset - prev);
      raw[s] = packStorageNumber(x + carried, SN_DEFAULT_FLAGS);
      carried = 1000 - x;
      prev = offset;
    }
    assertEquals(times.prevOffset(0), 499_999);
    const n = encodeToScratch(raw, PAGE_SLOTS, 0, {
      times,
      page: 0,
      carried: 0,
      multiplier: 1,
      divisor: 1,
    });
    assertEquals(scratch[0], MODE_RATE);
    assertEquals(n, 14);
    const out = new Uint32Array(PAGE_SLOTS);
    decodePage(scratch, out, PAGE_SLOTS, 0, 0, times, 0);
    assertEquals([...out], [...raw]);
    assertThrows(
      () => decodePage(scratch, out, PAGE_SLOTS),
      /without its chart's slot times/,
    );
    // a slot off by one storage number: no rate page
    raw[77]++;
    encodeToScratch(raw, PAGE_SLOTS, 0, {
      times,
      page: 0,
      carried: 0,
      multiplier: 1,
      divisor: 1,
    });
    assert(scratch[0] !== MODE_RATE);
  });

  await t.step(
    "a chart without incremental dimensions keeps no slot times",
    () => {
      const a = chart(300, [["x", "absolute", 1, 1]], true);
      for (let i = 0; i < 200; i++) {
        collect([a], (T0 + i) * 1e6 + 500_000, [i]);
      }
      assertEquals(a.chart.times.used, false);
      assertEquals(a.chart.times.bytes, 0);
      const b = chart(300, [["x", "incremental", 1, 1]], true);
      collect([b], T0 * 1e6 + 500_000, [1]);
      collect([b], (T0 + 1) * 1e6 + 500_000, [2]);
      assertEquals(b.chart.times.used, true);
      // a raw page of offsets, the offset before page 0 and its kept flag
      assertEquals(b.chart.times.bytes, 4 * PAGE_SLOTS + 4 + 1);
      // a counter that does not move: its pages are 7 bytes of bits, no
      // rate pages, so the chart keeps no times for them
      for (let i = 2; i < 2 * PAGE_SLOTS + 10; i++) {
        collect([b], (T0 + i) * 1e6 + 500_000, [2]);
      }
      assertEquals(b.dims[0].ring.pageCounts(), {
        raw: 1,
        compressed: 2,
        compressedSlots: 2 * PAGE_SLOTS,
        rate: 0,
        none: 0,
      });
      // the raw page, and the offsets before pages 0 to 2 (the ring's 3)
      // and their flags
      assertEquals(b.chart.times.bytes, 4 * PAGE_SLOTS + 4 * 3 + 3);
      assertEquals(b.chart.times.compressedBytes, 4 * 3 + 3);
    },
  );
});

/** Encoded bytes of page `index` of `d`'s ring, as encoded without rates. */
function pageBytes(d: Dimension, index: number): number {
  const raw = new Uint32Array(PAGE_SLOTS);
  for (let s = 0; s < PAGE_SLOTS; s++) {
    raw[s] = d.ring.get(index * PAGE_SLOTS + s);
  }
  return encodePage(raw, PAGE_SLOTS).length;
}
