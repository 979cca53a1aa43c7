import { assert, assertEquals } from "../helpers/assert.ts";
import fc from "fast-check";
import {
  packStorageNumber,
  SN_DEFAULT_FLAGS,
  SN_EMPTY_SLOT,
  SN_FLAG_RESET,
  unpackStorageNumber,
} from "../../lib/storage/storage_number.ts";

Deno.test("storage numbers", async (t) => {
  await t.step("NaN and infinities are the empty slot", () => {
    assertEquals(packStorageNumber(NaN), SN_EMPTY_SLOT);
    assertEquals(packStorageNumber(Infinity), SN_EMPTY_SLOT);
    assert(Number.isNaN(unpackStorageNumber(SN_EMPTY_SLOT)));
  });

  await t.step("zero keeps only the flags, and is not the empty slot", () => {
    assertEquals(packStorageNumber(0), SN_DEFAULT_FLAGS);
    assertEquals(unpackStorageNumber(packStorageNumber(0)), 0);
    assert(packStorageNumber(0) !== SN_EMPTY_SLOT);
  });

  await t.step("exact values netdata packs exactly", () => {
    for (
      const v of [1, 10, 42, 100, 1000, 12345, 0.5, 0.25, -7, -1234.5, 16777215]
    ) {
      assertEquals(unpackStorageNumber(packStorageNumber(v)), v, `value ${v}`);
    }
  });

  await t.step("known bit patterns (as netdata computes them)", () => {
    // 1 -> multiplied by 10 while below 0x0019999e, 7 times at most: 10^7
    assertEquals(packStorageNumber(1, 0), (7 << 27) + 10000000);
    // 20000000 -> divided once by 10 to 2000000, multiply flag + m=1
    assertEquals(
      packStorageNumber(20000000, 0),
      (1 << 30) + (1 << 27) + 2000000,
    );
    // negative sign bit
    assertEquals(packStorageNumber(-1, 0) >>> 31, 1);
  });

  await t.step("the reset flag is kept and does not change the value", () => {
    const sn = packStorageNumber(12.5, SN_DEFAULT_FLAGS | SN_FLAG_RESET);
    assert((sn & SN_FLAG_RESET) !== 0);
    assertEquals(unpackStorageNumber(sn), 12.5);
  });

  await t.step(
    "round trip: relative error < 1e-6, absolute resolution 1e-7 (property)",
    () => {
      fc.assert(
        fc.property(fc.double({ min: -1e12, max: 1e12, noNaN: true }), (v) => {
          const back = unpackStorageNumber(packStorageNumber(v));
          // 24-bit mantissa, at most 7 decimal digits after the point.
          return Math.abs(back - v) <=
            Math.max(Math.abs(v) * 1e-6, 0.5e-7 + 1e-15);
        }),
        { numRuns: 5000 },
      );
    },
  );

  await t.step("ties round to even, as lrint()", () => {
    // 0.0000025 * 10^7 ... choose a value whose scaled mantissa is x.5 exactly:
    // 1.5 scaled by 10^6 stays integral; use 2.5e-7 * 10^7 = 2.5 -> 2
    assertEquals(packStorageNumber(2.5e-7, 0) & 0xffffff, 2);
    assertEquals(packStorageNumber(3.5e-7, 0) & 0xffffff, 4);
  });
});
