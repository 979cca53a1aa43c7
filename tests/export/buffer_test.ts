import { assertEquals } from "../helpers/assert.ts";
import { BatchWriter, SendBuffer } from "../../lib/export/buffer.ts";

function lines(ls: string[]) {
  const w = new BatchWriter(8);
  for (const l of ls) w.writeMetric(l + "\n");
  return w.take();
}

const text = (b: Uint8Array) => new TextDecoder().decode(b);

Deno.test("send buffer accounting", async (t) => {
  await t.step("batch writer grows and counts metrics, not bytes", () => {
    const w = new BatchWriter(4);
    w.writeMetric("abcdef\n");
    w.writeMetric("é\n");
    assertEquals(w.metrics, 2);
    const b = w.take();
    assertEquals(text(b.bytes), "abcdef\né\n");
    assertEquals([b.metrics, [...b.ends], b.metricsPerUnit], [2, [7, 10], 1]);
    assertEquals(w.length, 0);
  });

  await t.step(
    "a metric is sent when its unit is written whole; partial writes resume",
    () => {
      const b = new SendBuffer();
      b.append(lines(["aaa", "bbb", "ccc"]));
      assertEquals([b.metrics, b.bytes], [3, 12]);
      assertEquals(b.consume(6), 1); // "aaa\nbb"
      assertEquals(text(b.peek(100)), "b\nccc\n");
      assertEquals(b.consume(2), 1);
      assertEquals([b.metrics, b.bytes], [1, 4]);
    },
  );

  await t.step(
    "metrics are counted by units, so a newline inside a unit does not count",
    () => {
      const w = new BatchWriter();
      w.writeMetric('{"a":"x\ny"}\n');
      w.writeMetric("{}\n");
      const b = new SendBuffer();
      b.append(w.take());
      assertEquals(b.consume(9), 0); // past the inner newline, not the unit
      assertEquals(b.consume(3), 1); // the 12 bytes of the first unit
      assertEquals(b.consume(3), 1);
    },
  );

  await t.step("a message batch is one unit: all or nothing", () => {
    const w = new BatchWriter();
    w.write("[");
    for (const v of ["1", "2", "3"]) {
      w.write(v + ",");
      w.countMetric();
    }
    w.write("]");
    const b = new SendBuffer();
    b.append(w.take(true));
    assertEquals(b.metrics, 3);
    assertEquals(b.consume(7), 0);
    assertEquals(b.rewindToUnitStart(), 7);
    assertEquals(text(b.peek(100)), "[1,2,3,]");
    assertEquals(b.consume(8), 3);
    assertEquals(b.empty, true);
  });

  await t.step(
    "after a broken write the cut unit is resent whole, never counted twice",
    () => {
      const b = new SendBuffer();
      b.append(lines(["aaa", "bbb"]));
      assertEquals(b.consume(6), 1);
      assertEquals(b.rewindToUnitStart(), 2);
      assertEquals(text(b.peek(100)), "bbb\n");
      assertEquals([b.metrics, b.bytes], [1, 4]);
    },
  );

  await t.step("several batches are read in order across the boundary", () => {
    const b = new SendBuffer();
    for (const ls of [["1"], ["2", "3"]]) b.append(lines(ls));
    let out = "";
    let sent = 0;
    while (!b.empty) {
      const chunk = b.peek(3);
      out += text(chunk);
      sent += b.consume(chunk.length);
    }
    assertEquals([out, sent], ["1\n2\n3\n", 3]);
  });

  await t.step(
    "drop oldest over a batch count or a byte cap, and drop all, count what they drop",
    () => {
      const b = new SendBuffer();
      for (let i = 0; i < 4; i++) b.append(lines(["xxxxxxxxx"])); // 10 bytes
      assertEquals(b.dropOldest(3), { metrics: 1, bytes: 10, batches: 1 });
      assertEquals(b.dropOldest(10, 25), {
        metrics: 1,
        bytes: 10,
        batches: 1,
      });
      assertEquals([b.metrics, b.bytes, b.batches], [2, 20, 2]);
      assertEquals(b.dropAll(), { metrics: 2, bytes: 20, batches: 2 });
      assertEquals(b.empty, true);
    },
  );

  await t.step(
    "a drop spares the batch being written and counts only its unsent rest",
    () => {
      const b = new SendBuffer();
      for (let i = 0; i < 3; i++) b.append(lines(["aaaa", "bbbb"])); // 10 bytes each
      assertEquals(b.consume(5), 1); // first unit of the first batch
      b.writing = true;
      assertEquals(b.dropOldest(1), { metrics: 2, bytes: 10, batches: 1 });
      assertEquals([b.metrics, b.bytes, b.batches], [3, 15, 2]);
      b.writing = false;
      assertEquals(b.dropOldest(1), { metrics: 1, bytes: 5, batches: 1 });
      assertEquals([b.metrics, b.bytes, b.batches], [2, 10, 1]);
      assertEquals(text(b.peek(100)), "aaaa\nbbbb\n");
    },
  );
});
