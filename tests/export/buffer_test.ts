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
    "a metric written piece by piece: integers as digits, one unit at endMetric",
    () => {
      // capacity 2: every piece below makes it grow
      const w = new BatchWriter(2);
      for (const n of [0, 7, 10, 1764000000, 9007199254740991]) {
        w.write("m ");
        w.writeUint(n);
        w.write("\n");
        w.endMetric();
      }
      // not a non-negative integer: printed as String() would
      w.writeUint(1.5);
      w.writeUint(-3);
      w.write("\n");
      w.endMetric();
      const b = w.take();
      assertEquals(
        text(b.bytes),
        "m 0\nm 7\nm 10\nm 1764000000\nm 9007199254740991\n1.5-3\n",
      );
      assertEquals([b.metrics, [...b.ends]], [6, [4, 8, 13, 26, 45, 51]]);
    },
  );

  await t.step(
    "a metric is sent when its unit is written whole; partial writes resume",
    () => {
      const b = new SendBuffer();
      b.append(lines(["aaa", "bbb", "ccc"]));
      assertEquals([b.metrics, b.bytes], [3, 12]);
      assertEquals(b.consume(6).metrics, 1); // "aaa\nbb"
      assertEquals(text(b.peek(100)), "b\nccc\n");
      assertEquals(b.consume(2).metrics, 1);
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
      assertEquals(b.consume(9).metrics, 0); // past the inner newline, not the unit
      assertEquals(b.consume(3).metrics, 1); // the 12 bytes of the first unit
      assertEquals(b.consume(3).metrics, 1);
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
    assertEquals(b.consume(7).metrics, 0);
    assertEquals(b.rewindToUnitStart(), 7);
    assertEquals(text(b.peek(100)), "[1,2,3,]");
    assertEquals(b.consume(8).metrics, 3);
    assertEquals(b.empty, true);
  });

  await t.step(
    "after a broken write the cut unit is resent whole, never counted twice",
    () => {
      const b = new SendBuffer();
      b.append(lines(["aaa", "bbb"]));
      assertEquals(b.consume(6).metrics, 1);
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
      sent += b.consume(chunk.length).metrics;
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
      assertEquals(b.consume(5).metrics, 1); // first unit of the first batch
      b.writing = true;
      assertEquals(b.dropOldest(1), { metrics: 2, bytes: 10, batches: 1 });
      assertEquals([b.metrics, b.bytes, b.batches], [3, 15, 2]);
      b.writing = false;
      assertEquals(b.dropOldest(1), { metrics: 1, bytes: 5, batches: 1 });
      assertEquals([b.metrics, b.bytes, b.batches], [2, 10, 1]);
      assertEquals(text(b.peek(100)), "aaaa\nbbbb\n");
    },
  );

  await t.step(
    "resend window: after a reconnect, what was written in the window goes again first, counted apart",
    () => {
      const b = new SendBuffer();
      b.resendWindowMs = 10_000;
      b.append(lines(["old"]), 1_000); // outside the window at 12 s
      b.append(lines(["a1", "a2"]), 5_000);
      b.append(lines(["b1", "b2"]), 9_000);
      assertEquals(b.consume(4).metrics, 1); // "old\n"
      assertEquals(b.consume(6).metrics, 2); // "a1\na2\n"
      assertEquals(b.consume(3).metrics, 1); // "b1\n": the link breaks here
      b.rewindToUnitStart();
      b.append(lines(["c1"]), 11_000);
      assertEquals(b.requeueRecent(12_000), 3); // a1 a2, and b1
      assertEquals(b.metrics, 2, "b2 and c1 are still unsent");
      let out = "";
      let sent = 0;
      let resent = 0;
      while (!b.empty) {
        const chunk = b.peek(5);
        out += text(chunk);
        const done = b.consume(chunk.length);
        sent += done.metrics;
        resent += done.resent;
      }
      assertEquals(out, "a1\na2\nb1\nb2\nc1\n");
      assertEquals([sent, resent], [2, 3]);
      // Nothing is kept twice: a second reconnect right away sends the
      // window again, now all of it.
      assertEquals(b.requeueRecent(12_000), 5);
    },
  );

  await t.step("without a resend window nothing is kept", () => {
    const b = new SendBuffer();
    b.append(lines(["a"]), 1_000);
    assertEquals(b.consume(2).metrics, 1);
    assertEquals(b.requeueRecent(1_000), 0);
    assertEquals(b.empty, true);
  });
});
