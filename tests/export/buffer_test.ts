import { assertEquals } from "../helpers/assert.ts";
import { BatchWriter, SendBuffer } from "../../lib/export/buffer.ts";

function batch(lines: string[]) {
  const w = new BatchWriter(8);
  for (const l of lines) w.writeLine(l + "\n");
  return w.take();
}

Deno.test("send buffer accounting", async (t) => {
  await t.step("batch writer grows and counts lines", () => {
    const w = new BatchWriter(4);
    w.writeLine("abcdef\n");
    w.writeLine("é\n");
    assertEquals(w.lines, 2);
    const { bytes, lines } = w.take();
    assertEquals(new TextDecoder().decode(bytes), "abcdef\né\n");
    assertEquals(lines, 2);
    assertEquals(w.length, 0);
  });

  await t.step(
    "metrics are sent when their newline is written; partial writes resume",
    () => {
      const b = new SendBuffer();
      const { bytes, lines } = batch(["aaa", "bbb", "ccc"]);
      b.append(bytes, lines);
      assertEquals([b.metrics, b.bytes], [3, 12]);
      assertEquals(b.consume(6), 1); // "aaa\nbb"
      assertEquals(new TextDecoder().decode(b.peek(100)), "b\nccc\n");
      assertEquals(b.consume(2), 1);
      assertEquals([b.metrics, b.bytes], [1, 4]);
    },
  );

  await t.step(
    "after a broken write the partial line is resent whole, never counted twice",
    () => {
      const b = new SendBuffer();
      const x = batch(["aaa", "bbb"]);
      b.append(x.bytes, x.lines);
      assertEquals(b.consume(6), 1);
      assertEquals(b.rewindToLineStart(), 2);
      assertEquals(new TextDecoder().decode(b.peek(100)), "bbb\n");
      assertEquals([b.metrics, b.bytes], [1, 4]);
    },
  );

  await t.step("several batches are read in order across the boundary", () => {
    const b = new SendBuffer();
    for (const ls of [["1"], ["2", "3"]]) {
      const x = batch(ls);
      b.append(x.bytes, x.lines);
    }
    let text = "";
    let sent = 0;
    while (!b.empty) {
      const chunk = b.peek(3);
      text += new TextDecoder().decode(chunk);
      sent += b.consume(chunk.length);
    }
    assertEquals([text, sent], ["1\n2\n3\n", 3]);
  });

  await t.step(
    "drop all and drop oldest over a byte cap count what they drop",
    () => {
      const b = new SendBuffer();
      for (let i = 0; i < 4; i++) {
        const x = batch(["xxxxxxxxx"]); // 10 bytes
        b.append(x.bytes, x.lines);
      }
      assertEquals(b.dropOldestOver(25), { metrics: 2, bytes: 20 });
      assertEquals([b.metrics, b.bytes], [2, 20]);
      assertEquals(b.dropAll(), { metrics: 2, bytes: 20 });
      assertEquals(b.empty, true);
    },
  );
});
