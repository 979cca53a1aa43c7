import { assert, assertEquals, assertThrows } from "../helpers/assert.ts";
import { ManualClock } from "../../lib/clock.ts";
import { HostWriter } from "../../lib/protocol/apply.ts";
import { ProtocolParser } from "../../lib/protocol/parser.ts";
import { Database } from "../../lib/storage/rrd.ts";
import { valueAt } from "../../lib/storage/query.ts";

function setup(limits?: { maxCharts: number; maxDimensionsPerChart: number }) {
  const clock = new ManualClock(1_000_000_000_300); // .3 s past a second
  const db = new Database({ hostname: "h" });
  const writer = new HostWriter(db.localhost, {
    clock,
    defaultUpdateEverySec: 1,
    historyEntries: 60,
    trustDurations: false,
    pluginName: "test.plugin",
    limits,
  });
  const parser = new ProtocolParser(writer);
  const lines = (text: string) =>
    text.trim().split("\n").forEach((l) => parser.parseLine(l.trim()));
  return { clock, db, writer, parser, lines };
}

Deno.test("applying protocol commands to storage", async (t) => {
  await t.step(
    "a chart defined, collected three times, is stored",
    async () => {
      const { clock, db, lines } = setup();
      lines(`
      CHART example.random '' 'A random number' 'number' random example.random line 1000 1
      DIMENSION r1 '' absolute 1 1
      DIMENSION r2 '' incremental 1 1
    `);
      for (const [a, b] of [[10, 100], [20, 150], [30, 250]]) {
        lines(`BEGIN example.random\nSET r1 = ${a}\nSET r2 = ${b}\nEND`);
        await clock.advance(1000);
      }
      const chart = db.localhost.chart("example.random")!;
      assertEquals(chart.plugin, "test.plugin");
      const r1 = chart.dimension("r1")!;
      const r2 = chart.dimension("r2")!;
      const last = chart.lastEntrySec();
      assertEquals(valueAt(chart, r1, last), 30);
      assert(valueAt(chart, r2, last) > 0);
      assertEquals(r1.lastCollectedValue, 30);
    },
  );

  await t.step(
    "host labels need OVERWRITE; chart labels need CLABEL_COMMIT",
    () => {
      const { db, lines } = setup();
      lines(`LABEL a = 1 x\nLABEL b = 2 "y z"`);
      assertEquals(db.localhost.labels.size, 0);
      lines("OVERWRITE labels");
      assertEquals([...db.localhost.labels], [
        ["a", { value: "x", source: 1 }],
        [
          "b",
          { value: "y z", source: 2 },
        ],
      ]);
      // As netdata's rrdlabels_migrate_to_these(): kept labels keep their
      // place, new ones are appended, missing ones go.
      lines(`LABEL c = 2 new\nLABEL a = 1 x2\nOVERWRITE labels`);
      assertEquals([...db.localhost.labels], [
        ["a", { value: "x2", source: 1 }],
        [
          "c",
          { value: "new", source: 2 },
        ],
      ]);
      lines(`CHART t.c '' '' ''\nCLABEL k v 1\nCLABEL_COMMIT`);
      assertEquals([...db.localhost.chart("t.c")!.labels], [["k", "v"]]);
    },
  );

  await t.step("semantic errors leave stored data as it was", async () => {
    const { clock, db, lines, parser } = setup();
    lines(`CHART t.c '' '' ''\nDIMENSION d\nBEGIN t.c\nSET d = 5\nEND`);
    await clock.advance(1000);
    lines(`BEGIN t.c\nSET d = 6\nEND`);
    const chart = db.localhost.chart("t.c")!;
    const before = {
      counter: chart.counter,
      last: chart.dimension("d")!.lastCollectedValue,
    };
    assertThrows(() => parser.parseLine("SET d = 7"), /outside BEGIN\/END/);
    assertThrows(() => parser.parseLine("BEGIN no.such"), /no such chart/);
    parser.parseLine("BEGIN t.c");
    assertThrows(() => parser.parseLine("SET zz = 1"), /no such dimension/);
    assertThrows(() => parser.parseLine("SET d = oops"), /not an integer/);
    assertEquals(chart.dimension("d")!.lastCollectedValue, before.last);
    assertEquals(chart.counter, before.counter);
    assertThrows(
      () => new ProtocolParser(setup().writer).parseLine("END"),
      /END without BEGIN/,
    );
    assertThrows(
      () => new ProtocolParser(setup().writer).parseLine("DIMENSION x"),
      /without CHART/,
    );
  });

  await t.step("limits on charts and dimensions", () => {
    const { lines, parser, db } = setup({
      maxCharts: 2,
      maxDimensionsPerChart: 2,
    });
    lines(`CHART a.a '' '' ''\nCHART a.b '' '' ''`);
    assertThrows(
      () => parser.parseLine("CHART a.c '' '' ''"),
      /already has 2 charts, the limit/,
    );
    assertEquals(db.localhost.charts.size, 2);
    lines(`CHART a.a '' '' ''\nDIMENSION x\nDIMENSION y`);
    assertThrows(
      () => parser.parseLine("DIMENSION z"),
      /already has 2 dimensions/,
    );
    parser.parseLine("DIMENSION x x incremental"); // redefining an existing one is fine
    assertEquals(
      db.localhost.chart("a.a")!.dimension("x")!.algorithm,
      "incremental",
    );
  });

  await t.step("variables by scope", () => {
    const { lines, db } = setup();
    lines(
      `VARIABLE HOST cores = 2\nCHART a.a '' '' ''\nVARIABLE CHART max = 10`,
    );
    assertEquals(db.localhost.variables.get("cores"), 2);
    assertEquals(db.localhost.variables.get("a.a.max"), 10);
  });
});

Deno.test("SET ids read in place: in order, out of order, similar and unknown ids", () => {
  const { db, parser, writer, lines } = setup();
  lines(`
    CHART t.c '' 'T' 'n' f t.c line 1 1
    DIMENSION a '' absolute 1 1
    DIMENSION ab '' absolute 1 1
    DIMENSION b '' absolute 1 1
  `);
  // One text holding several lines, parsed by range as the splitter does.
  const feed = (text: string) => {
    let start = 0;
    for (let nl = text.indexOf("\n"); nl >= 0; nl = text.indexOf("\n", start)) {
      parser.parseIn(text, start, nl);
      start = nl + 1;
    }
  };
  const chart = db.localhost.chart("t.c")!;
  const collected = () => chart.dimensions.map((d) => [d.id, d.collectedValue]);
  feed("BEGIN t.c\nSET a = 1\nSET ab = 2\nSET b = 3\nEND\n");
  // after END the values are consumed; read them at the next SETs instead
  feed("BEGIN t.c\nSET b = 30\nSET a = 10\nSET ab = 20\n");
  assertEquals(collected(), [["a", 10], ["ab", 20], ["b", 30]]);
  feed("END\nBEGIN t.c\nSET ab = 200\nSET a = 100\n");
  assertEquals(collected().slice(0, 2), [["a", 100], ["ab", 200]]);
  assertThrows(
    () => feed("SET abc = 1\n"),
    /SET "abc": chart "t\.c" has no such dimension/,
  );
  assertEquals(writer.valuesSet, 8);
});

Deno.test("a chart's SET lines take the time its BEGIN was read", async () => {
  const { clock, db, lines } = setup();
  lines(`
    CHART t.c '' 'T' 'n' f t.c line 1 1
    DIMENSION a '' absolute 1 1
    DIMENSION b '' absolute 1 1
  `);
  const chart = db.localhost.chart("t.c")!;
  lines("BEGIN t.c\nSET a = 1");
  // the clock moves between lines of one chart: both SETs keep BEGIN's time
  await clock.advance(7);
  lines("SET b = 2\nEND");
  assertEquals(
    chart.dimensions.map((d) => d.lastCollectedTimeMs),
    [1_000_000_000_300, 1_000_000_000_300],
  );
  await clock.advance(993);
  lines("BEGIN t.c\nSET b = 3\nEND");
  assertEquals(
    chart.dimensions.map((d) => d.lastCollectedTimeMs),
    [1_000_000_000_300, 1_000_000_001_300],
  );
});
