import fc from "fast-check";
import { assert, assertEquals } from "../helpers/assert.ts";
import {
  PAGE_SHIFT,
  PAGE_SLOTS,
  pageStart,
  slabPages,
  SlotRing,
} from "../../lib/storage/ring.ts";
import {
  packStorageNumber,
  SN_DEFAULT_FLAGS,
  SN_EMPTY_SLOT,
} from "../../lib/storage/storage_number.ts";

Deno.test("the slot ring: pages on first write, compressed when full", async (t) => {
  const sn = (v: number) => packStorageNumber(v, SN_DEFAULT_FLAGS);
  await t.step("nothing allocated until a value is written", () => {
    const r = new SlotRing(3600);
    assertEquals(r.bytes, 0);
    r.set(5, SN_EMPTY_SLOT);
    assertEquals(r.bytes, 0);
    assertEquals(r.get(5), SN_EMPTY_SLOT);
    r.set(5, sn(1));
    assertEquals(r.bytes, PAGE_SLOTS * 4);
    assertEquals(r.pageCounts(), {
      raw: 1,
      compressed: 0,
      compressedSlots: 0,
      rate: 0,
      none: 28,
    });
  });

  await t.step("the page table grows with the pages compressed", () => {
    const r = new SlotRing(3600); // 29 pages
    // a constant: 7 bytes a page; a block is the page and its u16 length
    for (let s = 0; s <= PAGE_SLOTS; s++) r.set(s, sn(5));
    // page 0 compressed: a table of 1 entry (4 bytes)
    assertEquals(r.compressedBytes, 4 + 2 + 7);
    assertEquals(r.bytes, 16 + 16 + PAGE_SLOTS * 4);
    for (let s = 0; s <= 5 * PAGE_SLOTS; s++) r.set(s, sn(5));
    // pages 0-4 compressed: 8 entries (1, 2, 4, 8 as they came)
    assertEquals(r.compressedBytes, 8 * 4 + 5 * (2 + 7));
    assertEquals(r.bytes, 32 + 5 * 16 + PAGE_SLOTS * 4);
    for (let s = 0; s < 3600; s++) r.set(s, sn(5));
    r.set(0, sn(5));
    // every page but page 0 (raw): 29 entries at most
    assertEquals(r.compressedBytes, 29 * 4 + 28 * (2 + 7));
    for (let s = 0; s < 3600; s++) assertEquals(r.get(s), sn(5));
  });

  await t.step("laps, replays into compressed pages, and clear", () => {
    const entries = 300; // 3 pages, the last one of 44 slots
    const r = new SlotRing(entries);
    const want = new Array<number>(entries).fill(SN_EMPTY_SLOT);
    // two and a half laps of a sawtooth
    for (let i = 0; i < entries * 2.5; i++) {
      const slot = i % entries;
      want[slot] = sn(i % 17);
      r.set(slot, want[slot]);
    }
    for (let s = 0; s < entries; s++) assertEquals(r.get(s), want[s], `${s}`);
    // the write pointer is in page 1: pages 0 and 2 compressed
    assertEquals(r.pageCounts(), {
      raw: 1,
      compressed: 2,
      compressedSlots: 128 + 44,
      rate: 0,
      none: 0,
    });
    // a replay rewrites a slot of a compressed page; its neighbours stay
    r.set(3, sn(999));
    want[3] = sn(999);
    for (let s = 0; s < entries; s++) assertEquals(r.get(s), want[s], `${s}`);
    const free = slabPages().free;
    r.clear();
    assertEquals(r.bytes, 0);
    assertEquals(r.get(3), SN_EMPTY_SLOT);
    // its raw page back in the slabs, for the next ring that needs one
    assertEquals(slabPages().free, free + 1);
  });

  await t.step(
    "a compressed page rewritten larger, then smaller: the pages after it move",
    () => {
      const entries = 3 * PAGE_SLOTS;
      const r = new SlotRing(entries);
      const want = new Array<number>(entries);
      const write = (slot: number, v: number) => {
        want[slot] = sn(v);
        r.set(slot, want[slot]);
      };
      // pages 0 and 1 linear (a few bytes each), page 2 noise (its every
      // byte matters when it moves), then page 0 again
      for (let s = 0; s < entries; s++) {
        write(s, s < 2 * PAGE_SLOTS ? s : (s * 7919) % 1000);
      }
      write(0, 0);
      assertEquals(r.pageCounts().compressed, 2);
      const small = r.compressedBytes;
      // page 0 rewritten with noise (many bytes), page 1 written: 0 compressed
      for (let s = 0; s < PAGE_SLOTS; s++) write(s, (s * 7919) % 1000);
      write(PAGE_SLOTS, 5);
      assert(r.compressedBytes > small + 100, `${r.compressedBytes}`);
      for (let s = 0; s < entries; s++) assertEquals(r.get(s), want[s], `${s}`);
      // page 1 back to linear, page 0 to constant: smaller again
      for (let s = PAGE_SLOTS; s < 2 * PAGE_SLOTS; s++) write(s, s);
      for (let s = 0; s < PAGE_SLOTS; s++) write(s, 1);
      write(2 * PAGE_SLOTS, 2 * PAGE_SLOTS);
      for (let s = 0; s < entries; s++) assertEquals(r.get(s), want[s], `${s}`);
      assert(r.compressedBytes <= small + 8, `${r.compressedBytes}`);
    },
  );

  await t.step("any writes, in any order, read back as a plain array", () => {
    fc.assert(
      fc.property(
        // short rings (u16 offsets) and long ones (u32)
        fc.oneof(
          fc.integer({ min: 1, max: 700 }),
          fc.integer({ min: 12_000, max: 20_000 }),
        ),
        fc.array(
          fc.tuple(
            fc.nat({ max: 10_000 }),
            fc.oneof(fc.constant(-1), fc.integer({ min: -5000, max: 5000 })),
          ),
          { maxLength: 3000, size: "max" },
        ),
        (entries, writes) => {
          const r = new SlotRing(entries);
          const want = new Array<number>(entries).fill(SN_EMPTY_SLOT);
          // a second ring, cleared now and then, shares the raw-page slabs
          // and the read cache with the first
          const other = new SlotRing(entries);
          const read = (ring: SlotRing, s: number) =>
            ring.page(s >> PAGE_SHIFT)?.[pageStart + (s & (PAGE_SLOTS - 1))] ??
              SN_EMPTY_SLOT;
          // mostly sequential, as collection writes; `at` jumps as replays do
          let slot = 0;
          for (const [jump, v] of writes) {
            slot = jump % 7 === 0 ? jump % entries : (slot + 1) % entries;
            // reads between writes: the page read before a write is not
            // what is read after it
            if (jump % 3 === 0 && read(r, slot) !== want[slot]) return false;
            want[slot] = v < 0 ? SN_EMPTY_SLOT : sn(v);
            r.set(slot, want[slot]);
            if (jump % 3 === 0 && read(r, slot) !== want[slot]) return false;
            other.set((slot + 1) % entries, sn(jump));
            if (jump % 11 === 0) other.clear();
          }
          for (let s = 0; s < entries; s++) {
            if (r.get(s) !== want[s] || read(r, s) !== want[s]) return false;
          }
          const c = r.pageCounts();
          return c.raw + c.compressed + c.none ===
              Math.ceil(entries / PAGE_SLOTS) &&
            // the compressed buffer may hold room to grow
            r.bytes >= r.compressedBytes + c.raw * PAGE_SLOTS * 4 &&
            (c.compressed > 0) === (r.compressedBytes > 0);
        },
      ),
      { numRuns: 300 },
    );
  });

  await t.step("two rings read alternately (the shared decode cache)", () => {
    const a = new SlotRing(256);
    const b = new SlotRing(256);
    for (let s = 0; s < 256; s++) {
      a.set(s, sn(s));
      b.set(s, sn(1000 + s));
    }
    for (let s = 0; s < 256; s++) {
      assertEquals([a.get(s), b.get(s)], [sn(s), sn(1000 + s)]);
    }
  });
});
