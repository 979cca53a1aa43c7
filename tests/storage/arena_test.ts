import { assert, assertEquals } from "../helpers/assert.ts";
import {
  allocate,
  arenaBytes,
  byteOffset,
  CHUNK_BYTES,
  chunkBytes,
  chunkOf,
  release,
  UNIT_BYTES,
  unitsFor,
} from "../../lib/storage/arena.ts";

Deno.test("the storage arena: blocks in shared chunks", async (t) => {
  await t.step("sizes round up to whole 16-byte units", () => {
    assertEquals(unitsFor(1), 1);
    assertEquals(unitsFor(16), 1);
    assertEquals(unitsFor(17), 2);
    assertEquals(UNIT_BYTES, 16);
  });

  await t.step("blocks never overlap, and no block is address 0", () => {
    const taken: Array<[number, number, number]> = [];
    for (let i = 0; i < 2000; i++) {
      const bytes = 1 + ((i * 7919) % 700);
      const a = allocate(bytes);
      assert(a !== 0);
      taken.push([chunkOf(a), byteOffset(a), bytes]);
      // each block written whole: a block that overlaps another breaks it
      chunkBytes[chunkOf(a)].fill(
        i & 255,
        byteOffset(a),
        byteOffset(a) + bytes,
      );
    }
    for (const [i, [c, at, bytes]] of taken.entries()) {
      assert(at + bytes <= chunkBytes[c].length);
      for (let k = 0; k < bytes; k++) {
        assertEquals(chunkBytes[c][at + k], i & 255, `block ${i} byte ${k}`);
      }
    }
  });

  await t.step("a block given back serves the next of its size", () => {
    const a = allocate(100);
    const before = arenaBytes();
    release(a, 100);
    assertEquals(arenaBytes().free, before.free + unitsFor(100) * UNIT_BYTES);
    // 97..112 bytes are 7 units, as 100 is
    assertEquals(allocate(112), a);
    assertEquals(arenaBytes(), before);
  });

  await t.step("a chunk's tail too small for a block is kept free", () => {
    const { total, chunks } = arenaBytes();
    // carve blocks of 656 bytes (41 units) until one needs a new chunk
    let free = arenaBytes().free;
    while (arenaBytes().chunks === chunks) {
      free = arenaBytes().free;
      allocate(656);
    }
    const after = arenaBytes();
    assertEquals(after.total, total + CHUNK_BYTES);
    // the old chunk's tail (uncarved before, on a free list now) still
    // counts: free grew by the new chunk less the block carved from it
    assertEquals(after.free, free + CHUNK_BYTES - 656);
  });

  await t.step("a block larger than a chunk gets a chunk of its own", () => {
    const { total, chunks } = arenaBytes();
    const a = allocate(CHUNK_BYTES + 10);
    assertEquals(byteOffset(a), 0);
    assertEquals(chunkBytes[chunkOf(a)].length, CHUNK_BYTES + 16);
    assertEquals(arenaBytes().chunks, chunks + 1);
    assertEquals(arenaBytes().total, total + CHUNK_BYTES + 16);
    release(a, CHUNK_BYTES + 10);
    assertEquals(allocate(CHUNK_BYTES + 1), a);
  });

  await t.step(
    "a first block larger than a chunk is not address 0",
    async () => {
      // a module of its own, so an arena with nothing carved yet
      const fresh = await import("../../lib/storage/arena.ts?first-block");
      const a = fresh.allocate(CHUNK_BYTES + 1);
      assert(a !== 0);
      assertEquals(fresh.byteOffset(a), 0);
      // chunk 0 was carved first (its unit 0 never handed out)
      assertEquals(fresh.chunkOf(a), 1);
      // the next block: chunk 0's unit 1
      assertEquals(fresh.allocate(16), 1);
    },
  );
});
