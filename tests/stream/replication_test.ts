/**
 * Replication, pure (what to ask for, what to answer, how an answer lands
 * in storage), then skiff to skiff on real sockets with compression.
 */
import { assert, assertEquals } from "../helpers/assert.ts";
import { ManualClock } from "../../lib/clock.ts";
import { parseConfig } from "../../lib/config/mod.ts";
import { Logger, memorySink } from "../../lib/log.ts";
import { valueAt } from "../../lib/storage/query.ts";
import { Chart, Database } from "../../lib/storage/rrd.ts";
import { CAP, guidFromName } from "../../lib/stream/handshake.ts";
import {
  nextReplayRequest,
  replayChartLine,
  ReplayReceiver,
  replayResponse,
} from "../../lib/stream/replication.ts";
import { StreamSender } from "../../lib/stream/sender.ts";
import { splitWords } from "../../lib/protocol/words.ts";
import { until } from "../helpers/e2e.ts";
import { KEY, startReceiver } from "../helpers/stream_receiver.ts";

const base = {
  enabled: true,
  secondsToReplicate: 86400,
  stepSec: 600,
  prevAfter: 0,
  prevBefore: 0,
  dimensions: 2,
};

Deno.test("replication: what a parent asks for, as 1.37's replicate_chart_request", () => {
  // nothing stored here: all the child has (it has less than a day)
  assertEquals(
    nextReplayRequest({
      ...base,
      localLast: 0,
      nowSec: 1000,
      childFirst: 900,
      childLast: 1000,
    }),
    { after: 900, before: 1000, startStreaming: true },
  );
  // a gap of 850 s in steps of 600: first 150..750, not streaming yet ...
  const first = nextReplayRequest({
    ...base,
    localLast: 150,
    nowSec: 1000,
    childFirst: 100,
    childLast: 1000,
  });
  assertEquals(first, { after: 150, before: 750, startStreaming: false });
  // ... then from where that one ended to the child's last, and stream
  assertEquals(
    nextReplayRequest({
      ...base,
      localLast: 150,
      nowSec: 1000,
      childFirst: 100,
      childLast: 1000,
      prevAfter: first.after,
      prevBefore: first.before,
    }),
    { after: 750, before: 1000, startStreaming: true },
  );
  // never more than `seconds to replicate` back
  assertEquals(
    nextReplayRequest({
      ...base,
      secondsToReplicate: 60,
      localLast: 0,
      nowSec: 1000,
      childFirst: 100,
      childLast: 1000,
    }),
    { after: 940, before: 1000, startStreaming: true },
  );
  // empty requests: replication off, child with nothing, local newer
  const empty = { after: 0, before: 0, startStreaming: true };
  const o = {
    ...base,
    localLast: 0,
    nowSec: 1000,
    childFirst: 1,
    childLast: 9,
  };
  assertEquals(nextReplayRequest({ ...o, enabled: false }), empty);
  assertEquals(nextReplayRequest({ ...o, childLast: 0 }), empty);
  assertEquals(nextReplayRequest({ ...o, localLast: 10 }), empty);
  assertEquals(
    replayChartLine("a.b", { after: 5, before: 9, startStreaming: false }),
    'REPLAY_CHART "a.b" "false" 5 9\n',
  );
});

/** A 1 s chart with 2 dimensions and slots 101..105 stored (104 empty in `x`). */
function storedChart(): Chart {
  const c = new Chart({ id: "app.load", updateEverySec: 1, history: 10 });
  const x = c.addDimension("x", { algorithm: "absolute" });
  const y = c.addDimension("y", { algorithm: "incremental" });
  for (let t = 101; t <= 105; t++) {
    const slot = c.replaySlot(t);
    x.storeReplayed(slot, t, t === 104 ? NaN : t / 4, false);
    y.storeReplayed(slot, t, -t, t === 103);
  }
  x.lastCollectedValue = 26;
  y.lastCollectedValue = 123456789;
  y.lastCalculatedValue = 0.5;
  c.lastCollectedUt = 105_250_000;
  return c;
}

Deno.test("replication: what a child answers, from its storage", () => {
  const c = storedChart();
  assertEquals([c.firstEntrySec(), c.lastEntrySec()], [101, 105]);
  // a middle step: slots after 101 through 103, not streaming yet
  assertEquals(
    replayResponse(c, { after: 101, before: 103, startStreaming: false }, 106),
    {
      streaming: false,
      slots: 2,
      text: 'RBEGIN "app.load"\n' +
        "RBEGIN '' 101 102 106\n" +
        'RSET "x" 25.5000000 ""\nRSET "y" -102.0000000 ""\n' +
        "RBEGIN '' 102 103 106\n" +
        'RSET "x" 25.7500000 ""\nRSET "y" -103.0000000 "R"\n' +
        "REND 1 101 105 false 101 103 106\n",
    },
  );
  // the last step: the rest, a dimension's empty slot as NAN "E", then the
  // collection state live data continues from
  assertEquals(
    replayResponse(c, { after: 103, before: 106, startStreaming: true }, 106),
    {
      streaming: true,
      slots: 2,
      text: 'RBEGIN "app.load"\n' +
        "RBEGIN '' 103 104 106\n" +
        'RSET "x" NAN "E"\nRSET "y" -104.0000000 ""\n' +
        "RBEGIN '' 104 105 106\n" +
        'RSET "x" 26.2500000 ""\nRSET "y" -105.0000000 ""\n' +
        'RDSTATE "x" 105000000 26 0.0000000 26.2500000\n' +
        'RDSTATE "y" 105000000 123456789 0.5000000 -105.0000000\n' +
        "RSSTATE 105250000 105000000\n" +
        "REND 1 101 105 true 103 105 106\n",
    },
  );
  // an empty request: nothing replayed, streaming starts
  assertEquals(
    replayResponse(c, { after: 0, before: 0, startStreaming: true }, 106)
      .text.split("\n").filter((l) => l.startsWith("R")).map((l) =>
        l.split(" ")[0]
      ),
    ["RBEGIN", "RDSTATE", "RDSTATE", "RSSTATE", "REND"],
  );
});

Deno.test("replication: a parent applies an answer on the child's timestamps and asks for the next step", () => {
  const child = storedChart();
  const parent = new Chart({ id: "app.load", updateEverySec: 1, history: 10 });
  parent.addDimension("x", { algorithm: "absolute" });
  parent.addDimension("y", { algorithm: "incremental" });
  const sent: string[] = [];
  const r = new ReplayReceiver({
    send: (l) => sent.push(l),
    chart: (id) => id === "app.load" ? parent : undefined,
    currentChart: () => parent,
    nowSec: () => 106,
    enabled: true,
    secondsToReplicate: 86400,
    stepSec: 2,
    historyEntries: 10,
  });
  const words: string[] = [];
  const feed = (text: string) => {
    for (const line of text.split("\n")) {
      const n = splitWords(line, words);
      if (n > 0) assert(r.handle(words[0], words, n), line);
    }
  };
  feed("CHART_DEFINITION_END 101 105 106\n");
  // steps of 2 s from the child's first slot
  assertEquals(sent, ['REPLAY_CHART "app.load" "false" 101 103\n']);
  feed(
    replayResponse(
      child,
      { after: 101, before: 103, startStreaming: false },
      106,
    )
      .text,
  );
  assertEquals(sent[1], 'REPLAY_CHART "app.load" "true" 103 105\n');
  feed(
    replayResponse(
      child,
      { after: 103, before: 105, startStreaming: true },
      106,
    )
      .text,
  );
  assertEquals(sent.length, 2);
  assertEquals(r.pending, 0);
  assertEquals(r.stats, { requests: 2, slots: 4, refused: 0, finished: 1 });
  // 102..105 as the child has them (101 is the first slot's start: not asked)
  for (const d of ["x", "y"]) {
    for (let t = 102; t <= 105; t++) {
      const a = valueAt(child, child.dimension(d)!, t);
      const b = valueAt(parent, parent.dimension(d)!, t);
      assert(Object.is(a, b) || a === b, `${d}@${t}: ${a} vs ${b}`);
    }
  }
  assertEquals(parent.lastEntrySec(), 105);
  assertEquals(parent.lastCollectedUt, 105_250_000);
  assertEquals(parent.dimension("y")!.lastCollectedValue, 123456789);
  assertEquals(parent.dimension("y")!.lastCalculatedValue, 0.5);
  // a child whose answers do not advance is asked, the second time, for the
  // rest and live data, instead of the same step for ever
  const stuck = new Chart({ id: "app.stuck", updateEverySec: 1, history: 10 });
  stuck.addDimension("x");
  const asked: string[] = [];
  const r2 = new ReplayReceiver({
    send: (l) => asked.push(l),
    chart: () => stuck,
    currentChart: () => stuck,
    nowSec: () => 2000,
    enabled: true,
    secondsToReplicate: 86400,
    stepSec: 2,
    historyEntries: 10,
  });
  const feed2 = (line: string) => {
    const n = splitWords(line, words);
    r2.handle(words[0], words, n);
  };
  // history 10 s: the gap is 1990..2000, asked in steps of 2 s
  feed2("CHART_DEFINITION_END 1000 2000 2000");
  feed2('RBEGIN "app.stuck"');
  // the child says it answered up to 1990 only: no progress
  feed2("REND 1 1000 2000 false 1990 1990 2000");
  assertEquals(asked, [
    'REPLAY_CHART "app.stuck" "false" 1990 1992\n',
    'REPLAY_CHART "app.stuck" "true" 1990 1992\n',
  ]);
  // a slot stamped in the future (beyond the child's clock + ue + 1) is refused
  feed('RBEGIN "app.load"\nRBEGIN \'\' 200 201 106\nRSET "x" 1 ""\n');
  assertEquals(r.stats.refused, 1);
  assertEquals(parent.lastEntrySec(), 105);
});

/**
 * A skiff child `hostname` streaming to 127.0.0.1:`port` with `extra`
 * [stream] keys, on `clock`, running until `stop()`.
 */
function child(
  hostname: string,
  port: number,
  clock: ManualClock,
  extra = "",
) {
  const db = new Database({
    hostname,
    machineGuid: guidFromName(`skiff:${hostname}`),
  });
  const { config } = parseConfig(
    `[global]\nhostname = ${hostname}\n[stream]\nenabled = yes\napi key = ${KEY}\n` +
      `destination = 127.0.0.1:${port}\n${extra}`,
    `${hostname}.conf`,
    { systemHostname: hostname },
  );
  const sender = new StreamSender(db, config, {
    clock,
    log: new Logger("stream", { sink: memorySink().sink }),
  });
  const abort = new AbortController();
  const running = sender.run(abort.signal);
  return {
    db,
    sender,
    async stop() {
      abort.abort();
      await running;
    },
  };
}

Deno.test({
  name:
    "replication: skiff to skiff on real sockets, compressed; the parent gets the child's history",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const now = Math.floor(Date.now() / 1000);
    const clock = new ManualClock(now * 1000);
    const parent = startReceiver(
      `[global]\nhostname = parent\n[web]\nmode = static-threaded\nbind to = 127.0.0.1:0\n[${KEY}]\nenabled = yes\n`,
      { clock },
    );
    const edge = child("edge", parent.port, clock);
    const { db, sender } = edge;
    // 50 slots the child stored before it could connect (the sender holds
    // its first definition until the test's first await)
    const chart = db.localhost.addChart({
      id: "app.temp",
      updateEverySec: 1,
      history: 100,
    });
    const d = chart.addDimension("celsius");
    for (let t = now - 50; t < now; t++) {
      d.storeReplayed(chart.replaySlot(t), t, 20 + (t % 7) / 8, false);
    }
    try {
      await until("the parent has the child's 50 slots", () => {
        const c = parent.db.hostByName("edge")?.chart("app.temp");
        return c !== undefined && c.lastEntrySec() === now - 1 &&
          c.firstEntrySec() <= now - 49;
      });
      assertEquals(
        sender.capabilities & (CAP.COMPRESSION | CAP.REPLICATION),
        CAP.COMPRESSION | CAP.REPLICATION,
      );
      const c = parent.db.hostByName("edge")!.chart("app.temp")!;
      // the first slot's start is where the child's data begins: from it on
      for (let t = now - 49; t < now; t++) {
        assertEquals(
          valueAt(c, c.dimension("celsius")!, t),
          valueAt(chart, d, t),
          `@${t}`,
        );
      }
      assertEquals(sender.stats.replayedSlots, 49);
      assert(
        sender.stats.wireBytes < sender.stats.textBytes,
        JSON.stringify(sender.stats),
      );
    } finally {
      await edge.stop();
      await parent.stop();
    }
  },
});

Deno.test({
  name:
    "replication: a child with replication and compression turned off streams plain, live, on the parent's clock",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const clock = new ManualClock(Math.floor(Date.now() / 1000) * 1000);
    const parent = startReceiver(
      `[global]\nhostname = parent\n[web]\nmode = static-threaded\nbind to = 127.0.0.1:0\n[${KEY}]\nenabled = yes\n`,
      { clock },
    );
    const plain = child(
      "plain",
      parent.port,
      clock,
      "enable compression = no\ndisabled capabilities = replication\n",
    );
    const { sender } = plain;
    plain.db.localhost.addChart({ id: "app.x", updateEverySec: 1, history: 10 })
      .addDimension("y");
    try {
      await until("connected", () => sender.connections === 1);
      // 16320 granted to a full offer, less COMPRESSION (1024) and REPLICATION (4096)
      assertEquals(sender.capabilities, 11200);
      assert(
        parent.lines.some((l) => l.includes("with the version=11200")),
        parent.lines.join("\n"),
      );
      await until(
        "the chart defined at the parent",
        () => parent.db.hostByName("plain")?.chart("app.x") !== undefined,
      );
      assertEquals(sender.stats.wireBytes, sender.stats.textBytes);
      assertEquals(sender.stats.replayRequests, 0);
    } finally {
      await plain.stop();
      await parent.stop();
    }
  },
});

Deno.test({
  name:
    "replication: what a chart stores while its replay is pending is sent with the answer, not lost",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    // A parent played by the test, so the order is the test's: the chart is
    // defined empty, collected three times, and only then asked for.
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const now = Math.floor(Date.now() / 1000);
    const clock = new ManualClock(now * 1000);
    const late = child(
      "late",
      listener.addr.port,
      clock,
      "enable compression = no\n",
    );
    const chart = late.db.localhost.addChart({
      id: "app.x",
      updateEverySec: 1,
      history: 10,
    });
    const y = chart.addDimension("y");
    const conn = await listener.accept();
    let text = "";
    const buf = new Uint8Array(65536);
    const readUntil = async (what: string) => {
      while (!text.includes(what)) {
        const n = await conn.read(buf);
        if (n === null) throw new Error(`closed before "${what}": ${text}`);
        text += new TextDecoder().decode(buf.subarray(0, n));
      }
    };
    try {
      await readUntil("\r\n\r\n");
      await conn.write(
        new TextEncoder().encode(
          "Hit me baby, push them over with the version=15296",
        ),
      );
      await readUntil("CHART_DEFINITION_END");
      await readUntil("\n");
      assertEquals(
        text.slice(text.indexOf("CHART_DEFINITION_END")).split("\n")[0],
        `CHART_DEFINITION_END 0 0 ${now}`,
      );
      for (let i = 0; i < 4; i++) {
        y.set(10 * i, (now + i) * 1000);
        chart.done((now + i) * 1_000_000 + 500_000);
      }
      assertEquals([chart.firstEntrySec(), chart.lastEntrySec()], [
        now + 1,
        now + 3,
      ]);
      assert(!text.includes('BEGIN "app.x"'), "no live data before the replay");
      await clock.advance(4000); // the child's clock, at its collections
      await conn.write(
        new TextEncoder().encode('REPLAY_CHART "app.x" "true" 0 0\n'),
      );
      await readUntil("REND");
      await readUntil(`${now + 4}\n`);
      const answer = text.slice(text.indexOf('RBEGIN "app.x"'));
      assertEquals(
        answer.split("\n").filter((l) => l.startsWith("RBEGIN ''")),
        [
          `RBEGIN '' ${now} ${now + 1} ${now + 4}`,
          `RBEGIN '' ${now + 1} ${now + 2} ${now + 4}`,
          `RBEGIN '' ${now + 2} ${now + 3} ${now + 4}`,
        ],
      );
      // the live stream starts after the answer
      y.set(40, (now + 4) * 1000);
      chart.done((now + 4) * 1_000_000 + 500_000);
      await readUntil('BEGIN "app.x" 1000000\nSET "y" = 40\nEND\n');
    } finally {
      conn.close();
      listener.close();
      await late.stop();
    }
  },
});
