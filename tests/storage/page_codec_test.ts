import fc from "fast-check";
import { assert, assertEquals } from "../helpers/assert.ts";
import {
  decodePage,
  encodePage,
  MODE_BITS,
  MODE_DELTAS,
  PAGE_SLOTS,
} from "../../lib/storage/page_codec.ts";
import {
  packStorageNumber,
  SN_DEFAULT_FLAGS,
  SN_EMPTY_SLOT,
} from "../../lib/storage/storage_number.ts";

/** Decodes `bytes` (a page of `length` slots), placed at `at` in a larger buffer. */
function roundTrip(raw: Uint32Array, at = 0, outAt = 0): number[] {
  const page = encodePage(raw, raw.length);
  const bytes = new Uint8Array(at + page.length + 8).fill(0xa5);
  bytes.set(page, at);
  const out = new Uint32Array(outAt + PAGE_SLOTS + 4).fill(7);
  decodePage(bytes, out, raw.length, at, outAt);
  // the slots around the page's are not written
  assert(out.subarray(0, outAt).every((x) => x === 7));
  assertEquals(out[outAt + raw.length], 7);
  return [...out.subarray(outAt, outAt + raw.length)];
}

Deno.test("the page codec", async (t) => {
  await t.step("any page decodes to what was encoded", () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat({ max: 0xffffffff }), {
          minLength: 1,
          maxLength: PAGE_SLOTS,
          size: "max",
        }),
        fc.nat(40),
        fc.nat(3),
        (values, at, outAt) => {
          assertEquals(roundTrip(Uint32Array.from(values), at, outAt), values);
        },
      ),
      { numRuns: 500 },
    );
  });

  await t.step("bands of every width, and lines: both modes, exact", () => {
    const modes = new Set<number>();
    fc.assert(
      fc.property(
        fc.nat({ max: 0xffffffff }),
        fc.integer({ min: 0, max: 32 }),
        fc.integer({ min: -70000, max: 70000 }),
        fc.array(fc.nat({ max: 0xffffffff }), {
          minLength: PAGE_SLOTS,
          maxLength: PAGE_SLOTS,
        }),
        fc.integer({ min: 1, max: PAGE_SLOTS }),
        (base, width, step, noise, length) => {
          // a band `width` bits wide from `base`, or a line of `step`
          const band = width < 32 ? 2 ** width : 2 ** 32;
          const values = noise.slice(0, length).map((x, i) =>
            step % 3 === 0 ? (base + step * i) >>> 0 : (base + (x % band)) >>> 0
          );
          const page = encodePage(Uint32Array.from(values), length);
          modes.add(page[0]);
          assertEquals(roundTrip(Uint32Array.from(values)), values);
        },
      ),
      { numRuns: 2000 },
    );
    assertEquals([...modes].sort(), [MODE_DELTAS, MODE_BITS]);
  });

  await t.step("sizes of known pages", () => {
    const sn = (v: number) => packStorageNumber(v, SN_DEFAULT_FLAGS);
    // a constant: the mode, the storage number (~2^29: a 5-byte varint),
    // width 0
    const constant = new Uint32Array(PAGE_SLOTS).fill(sn(1000));
    assertEquals([...encodePage(constant, PAGE_SLOTS).slice(0, 1)], [
      MODE_BITS,
    ]);
    assertEquals(encodePage(constant, PAGE_SLOTS).length, 7);
    // 200..327 share one exponent: the storage numbers step by 10,000.
    // The mode, the first value (5 bytes: zigzag x2 needs 32+ bits), the
    // step (40,000 as a token: 3 bytes), a run of 126 (2 bytes).
    const linear = Uint32Array.from(
      { length: PAGE_SLOTS },
      (_, i) => sn(200 + i),
    );
    const lin = encodePage(linear, PAGE_SLOTS);
    assertEquals([lin[0], lin.length], [MODE_DELTAS, 11]);
    // gaps: SN_EMPTY_SLOT (2^26: 4 bytes as a varint)
    const empty = new Uint32Array(PAGE_SLOTS).fill(SN_EMPTY_SLOT);
    assertEquals(encodePage(empty, PAGE_SLOTS).length, 6);
    // a rate around 1000 (storage numbers 10,000 a unit: 994.0000 ..
    // 1005.9999 is a band of 120,000, 17 bits): 2 + 5 + 128 * 17 / 8
    let x = 1;
    const rate = Uint32Array.from({ length: PAGE_SLOTS }, (_, i) => {
      x = (x * 1103515245 + 12345) % 2 ** 31;
      // the band's both ends, then anywhere in it
      const units = i === 0 ? 0 : i === 1 ? 119999 : x % 120000;
      return sn(994 + units / 10000);
    });
    const r = encodePage(rate, PAGE_SLOTS);
    assertEquals([r[0], r[6], r.length], [MODE_BITS, 17, 2 + 5 + 272]);
  });
});
