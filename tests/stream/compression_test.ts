import { assert, assertEquals, assertThrows } from "../helpers/assert.ts";
import {
  CompressionError,
  frameHeader,
  MAX_MESSAGE_BYTES,
  parseFrameHeader,
  StreamCompressor,
  StreamDecompressor,
} from "../../lib/stream/compression.ts";
import { capturedStream, concatBytes } from "../helpers/stream_receiver.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** A real 1.37 child's stream (the capture), repeated to about 1 MB. */
const STREAM = capturedStream(1_000_000);
const concat = concatBytes;

Deno.test("compression: netdata 1.37's 4-byte header, both ways", () => {
  // 300 = 0b10_0101100: low 7 bits 44, high bits 2, each with 0x80 set.
  assertEquals([...frameHeader(300)], [0xfa, 44 | 0x80, 2 | 0x80, 0x0a]);
  assertEquals(parseFrameHeader(frameHeader(300)), 300);
  assertEquals(parseFrameHeader(frameHeader(16383)), 16383);
  assertEquals(parseFrameHeader(enc.encode("SET ")), -1);
});

Deno.test("compression: a real child's stream survives any split of the wire, and is several times smaller", () => {
  const c = new StreamCompressor();
  const text = enc.encode(STREAM);
  // Fed as a sender commits it: pieces of a few KB each.
  const frames: Uint8Array[] = [];
  for (let off = 0; off < text.length; off += 5000) {
    frames.push(...c.compress(text.subarray(off, off + 5000)));
  }
  const wire = concat(frames);
  assertEquals(c.textBytes, text.length);
  assertEquals(c.wireBytes, wire.length);
  // The dictionary reaches across messages: lines repeat every second.
  assert(
    wire.length * 4 < text.length,
    `${wire.length} wire bytes for ${text.length}`,
  );
  for (const piece of [1, 3, 4, 5, 1000, 65536]) {
    const d = new StreamDecompressor();
    const out: Uint8Array[] = [];
    for (let off = 0; off < wire.length; off += piece) {
      out.push(...d.push(wire.subarray(off, off + piece)));
    }
    assertEquals(dec.decode(concat(out)), STREAM, `split every ${piece}`);
    assertEquals(d.blocks, c.blocks);
    assertEquals(d.textBytes, text.length);
  }
});

Deno.test("compression: each block holds whole lines of at most 16384 bytes", () => {
  const c = new StreamCompressor();
  const text = enc.encode(STREAM.slice(0, STREAM.indexOf("\n", 100_000) + 1));
  const d = new StreamDecompressor();
  for (const frame of c.compress(text)) {
    const [block] = d.push(frame);
    assert(block.length <= MAX_MESSAGE_BYTES);
    assertEquals(block[block.length - 1], 0x0a);
  }
});

Deno.test("compression: plain text between blocks is taken as text, as a 1.37 parent does", () => {
  const c = new StreamCompressor();
  const d = new StreamDecompressor();
  const wire = concat([
    ...c.compress(enc.encode('BEGIN "a.b" 0\n')),
    enc.encode("END\n"),
    ...c.compress(enc.encode('SET "x" = 1\n')),
  ]);
  assertEquals(
    dec.decode(concat(d.push(wire))),
    'BEGIN "a.b" 0\nEND\nSET "x" = 1\n',
  );
});

Deno.test("compression: a block that decodes past a message's size is an error", () => {
  // One literal, then a match at offset 1 of 15 + 255 * 100 + 4 (LZ4's
  // minimum match) bytes: 25520 in all.
  const block = Uint8Array.of(
    0x1f,
    0x41,
    0x01,
    0x00,
    ...new Array(100).fill(0xff),
    0x00,
    0x00,
  );
  const d = new StreamDecompressor();
  const big = assertThrows(
    () => d.push(concat([frameHeader(block.length), block])),
    /decodes to 25520 bytes, over the 16384/,
  );
  assert(big instanceof CompressionError);
  assertThrows(
    () => new StreamDecompressor().push(frameHeader(0)),
    /a compressed block of 0 bytes/,
  );
});
