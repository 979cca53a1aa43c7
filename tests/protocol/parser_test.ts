import { assert, assertEquals, assertThrows } from "../helpers/assert.ts";
import { splitWords } from "../../lib/protocol/words.ts";
import { LineSplitter } from "../../lib/protocol/lines.ts";
import {
  parseCollectedNumber,
  ProtocolError,
  ProtocolParser,
} from "../../lib/protocol/parser.ts";
import type { ProtocolHandler } from "../../lib/protocol/parser.ts";

function words(line: string): string[] {
  const w: string[] = [];
  const n = splitWords(line, w);
  return w.slice(0, n);
}

/** Records every call as [name, ...args]. */
function recorder(): { handler: ProtocolHandler; calls: unknown[][] } {
  const calls: unknown[][] = [];
  const rec = (name: string) => (...args: unknown[]) =>
    void calls.push([name, ...args]);
  const handler: ProtocolHandler = {
    chart: rec("chart"),
    dimension: rec("dimension"),
    begin: rec("begin"),
    set: rec("set"),
    end: rec("end"),
    flush: rec("flush"),
    disable: rec("disable"),
    variable: rec("variable"),
    label: rec("label"),
    overwrite: rec("overwrite"),
    clabel: rec("clabel"),
    clabelCommit: rec("clabelCommit"),
    other: (k, w, n) => void calls.push(["other", k, w.slice(0, n)]),
  };
  return { handler, calls };
}

Deno.test("word splitting (netdata's quoted_strings_splitter)", async (t) => {
  await t.step("spaces, tabs and = separate words", () => {
    assertEquals(words('SET "user" = 123'), ["SET", "user", "123"]);
    assertEquals(words("SET\tx=5"), ["SET", "x", "5"]);
  });
  await t.step("quotes keep spaces; both quote kinds", () => {
    assertEquals(words(`CHART a.b '' "Total CPU utilization" 'per cent'`), [
      "CHART",
      "a.b",
      "",
      "Total CPU utilization",
      "per cent",
    ]);
  });
  await t.step("a closing quote ends the word even when text follows", () => {
    assertEquals(words('"abc"def'), ["abc", "def"]);
  });
  await t.step("a quote inside an unquoted word is kept", () => {
    assertEquals(words('ab"c d'), ['ab"c', "d"]);
  });
  await t.step("a backslash protects the next character, and stays", () => {
    assertEquals(words('"a\\"b" c'), ['a\\"b', "c"]);
  });
  await t.step("an unterminated quote runs to the end of the line", () => {
    assertEquals(words('LABEL "x y'), ["LABEL", "x y"]);
  });
  await t.step("at most 20 words", () => {
    const many = Array.from({ length: 30 }, (_, i) => `w${i}`).join(" ");
    assertEquals(words(many).length, 20);
  });
  await t.step("empty and blank lines give no words", () => {
    assertEquals(words(""), []);
    assertEquals(words("   \t "), []);
  });
});

Deno.test("strtoll(s, NULL, 0) numbers", () => {
  assertEquals(parseCollectedNumber("123"), 123);
  assertEquals(parseCollectedNumber("-42"), -42);
  assertEquals(parseCollectedNumber("0x1F"), 31);
  assertEquals(parseCollectedNumber("010"), 8);
  assertEquals(parseCollectedNumber("12.9"), 12);
  assert(Number.isNaN(parseCollectedNumber("abc")));
  assertEquals(parseCollectedNumber("0"), 0);
});

Deno.test("protocol commands", async (t) => {
  await t.step("CHART with every field, as a 1.37 child sends it", () => {
    const { handler, calls } = recorder();
    new ProtocolParser(handler).parseLine(
      'CHART "system.cpu" "" "Total CPU utilization" "percentage" "cpu" "system.cpu" "stacked" 100 1 "   " "proc.plugin" "/proc/stat"',
    );
    const c = calls[0][1] as Record<string, unknown>;
    assertEquals(calls[0][0], "chart");
    assertEquals(c.id, "system.cpu");
    assertEquals(c.name, "system.cpu");
    assertEquals(c.title, "Total CPU utilization");
    assertEquals(c.units, "percentage");
    assertEquals(c.chartType, "stacked");
    assertEquals(c.priority, 100);
    assertEquals(c.updateEverySec, 1);
    assertEquals(c.plugin, "proc.plugin");
    assertEquals(c.module, "/proc/stat");
  });
  await t.step("CHART defaults and options", () => {
    const { handler, calls } = recorder();
    new ProtocolParser(handler).parseLine(
      "CHART test.x myname 'T' u f c line 5 2 'obsolete store_first'",
    );
    const c = calls[0][1] as {
      name: string;
      options: Record<string, boolean>;
      updateEverySec: number;
    };
    assertEquals(c.name, "test.myname");
    assertEquals(c.updateEverySec, 2);
    assertEquals(c.options.obsolete, true);
    assertEquals(c.options.storeFirst, true);
    assertEquals(c.options.hidden, false);
  });
  await t.step(
    "DIMENSION: algorithm, multiplier, divisor, options; 0 becomes 1",
    () => {
      const { handler, calls } = recorder();
      const p = new ProtocolParser(handler);
      p.parseLine(
        'DIMENSION "received" "in" "incremental" 8 1000 "hidden noreset"',
      );
      p.parseLine("DIMENSION x");
      p.parseLine("DIMENSION y y absolute 0 0");
      const d0 = calls[0][1] as Record<string, unknown>;
      assertEquals(d0.algorithm, "incremental");
      assertEquals(d0.multiplier, 8);
      assertEquals(d0.divisor, 1000);
      assertEquals(d0.options, {
        obsolete: false,
        hidden: true,
        noReset: true,
      });
      const d1 = calls[1][1] as Record<string, unknown>;
      assertEquals([d1.name, d1.algorithm, d1.multiplier, d1.divisor], [
        "x",
        "absolute",
        1,
        1,
      ]);
      const d2 = calls[2][1] as Record<string, unknown>;
      assertEquals([d2.multiplier, d2.divisor], [1, 1]);
    },
  );
  await t.step("BEGIN with and without microseconds, SET, END", () => {
    const { handler, calls } = recorder();
    const p = new ProtocolParser(handler);
    p.parseLine('BEGIN "system.cpu" 1000123');
    p.parseLine('SET "user" = 42');
    p.parseLine("SET idle = -3");
    p.parseLine("END");
    p.parseLine("BEGIN x.y");
    assertEquals(calls, [
      ["begin", "system.cpu", 1000123],
      ["set", "user", 42],
      ["set", "idle", -3],
      ["end"],
      ["begin", "x.y", 0],
    ]);
  });
  await t.step("SET without a value sets nothing, as netdata", () => {
    const { handler, calls } = recorder();
    new ProtocolParser(handler).parseLine("SET user =");
    assertEquals(calls, []);
  });
  await t.step(
    "VARIABLE scopes, LABEL (value with spaces), OVERWRITE, CLABEL, FLUSH, DISABLE, others",
    () => {
      const { handler, calls } = recorder();
      const p = new ProtocolParser(handler);
      p.parseLine("VARIABLE HOST active_processors = 2.0000000");
      p.parseLine("VARIABLE CHART pidmax = 32768.0000000");
      p.parseLine("VARIABLE x = 1.5");
      p.parseLine('LABEL "_os_name" = 1 "Debian GNU/Linux"');
      p.parseLine("LABEL k = 2 two words");
      p.parseLine("OVERWRITE labels");
      p.parseLine('CLABEL "_collect_plugin" "proc.plugin" 536870913');
      p.parseLine("CLABEL_COMMIT");
      p.parseLine("FLUSH");
      p.parseLine("DISABLE");
      p.parseLine("CLAIMED_ID abc NULL");
      assertEquals(calls, [
        ["variable", "host", "active_processors", 2],
        ["variable", "chart", "pidmax", 32768],
        ["variable", "chart", "x", 1.5],
        ["label", "_os_name", 1, "Debian GNU/Linux"],
        ["label", "k", 2, "two words"],
        ["overwrite", "labels"],
        ["clabel", "_collect_plugin", "proc.plugin", 536870913],
        ["clabelCommit"],
        ["flush"],
        ["disable"],
        ["other", "CLAIMED_ID", ["CLAIMED_ID", "abc", "NULL"]],
      ]);
    },
  );
  await t.step(
    "malformed lines throw a ProtocolError with the reason, and call nothing",
    () => {
      const { handler, calls } = recorder();
      const p = new ProtocolParser(handler);
      const bad: [string, RegExp][] = [
        ["SET", /without a dimension/],
        ['SET "x" = abc', /not an integer/],
        ["BEGIN", /without a chart id/],
        ["BEGIN x.y soon", /microseconds/],
        ["CHART nodot", /type\.id/],
        ["CHART", /without a type\.id/],
        ["CHART a.b n t u f c line 10 every", /update every/],
        ["DIMENSION", /without an id/],
        ["DIMENSION d d bogus", /unknown algorithm "bogus"/],
        ["DIMENSION d d absolute x", /multiplier "x"/],
        ["VARIABLE", /without a name/],
        ["VARIABLE v = nope", /not a number/],
        ["LABEL a", /LABEL needs/],
        ["CLABEL a b", /CLABEL needs/],
      ];
      for (const [line, re] of bad) {
        const err = assertThrows(() => p.parseLine(line), re);
        assert(err instanceof ProtocolError, line);
      }
      assertEquals(calls, []);
      assertEquals(p.lineNumber, bad.length);
    },
  );
});

Deno.test("line splitting", async (t) => {
  const collect = (max = 100) => {
    const lines: string[] = [];
    const oversize: number[] = [];
    return {
      s: new LineSplitter(max),
      lines,
      oversize,
      sink: {
        line: (l: string) => lines.push(l),
        oversize: (n: number) => oversize.push(n),
      },
    };
  };
  const enc = (s: string) => new TextEncoder().encode(s);
  await t.step("lines across chunks, CRLF, and a held partial line", () => {
    const c = collect();
    c.s.push(enc("BEGIN a.b\r\nSET x "), c.sink);
    c.s.push(enc("= 1\nEN"), c.sink);
    assertEquals(c.lines, ["BEGIN a.b", "SET x = 1"]);
    assertEquals(c.s.pendingLength, 2);
    c.s.push(enc("D\n"), c.sink);
    assertEquals(c.lines.at(-1), "END");
  });
  await t.step("a multi-byte character split across chunks", () => {
    const c = collect();
    const bytes = enc('LABEL k = 1 "é"\n');
    const cut = bytes.indexOf(0xc3) + 1;
    c.s.push(bytes.subarray(0, cut), c.sink);
    c.s.push(bytes.subarray(cut), c.sink);
    assertEquals(c.lines, ['LABEL k = 1 "é"']);
  });
  await t.step(
    "an over-long line is reported once and skipped; the next line is fine",
    () => {
      const c = collect(10);
      c.s.push(enc("x".repeat(25)), c.sink);
      c.s.push(enc("y".repeat(25) + "\nEND\n"), c.sink);
      assertEquals(c.oversize, [50]);
      assertEquals(c.lines, ["END"]);
    },
  );
});

Deno.test("SET's fast path reads every line as the word splitter does", async () => {
  const fc = (await import("fast-check")).default;
  /** What a parser does with `line`: its calls, or its error. */
  const outcome = (line: string) => {
    const { handler, calls } = recorder();
    try {
      new ProtocolParser(handler).parseLine(line);
    } catch (err) {
      return [(err as Error).message];
    }
    return calls;
  };
  const piece = fc.constantFrom(
    "x",
    "user",
    "d17",
    "a.b-c_d",
    '"q u"',
    "'s'",
    "e\\ f",
    "=",
    " ",
    "\t",
    "0",
    "07",
    "0x1F",
    "-5",
    "123456789012",
    "12abc",
    "-",
    "",
  );
  fc.assert(
    fc.property(fc.array(piece, { maxLength: 6 }), (pieces) => {
      const line = "SET " + pieces.join(" ");
      // A leading space skips the fast path; the words are the same.
      assertEquals(outcome(line), outcome(" " + line), line);
    }),
    { numRuns: 2000 },
  );
  assertEquals(outcome("SET user = 42"), [["set", "user", 42]]);
  assertEquals(outcome("SET\tx=-7 extra"), [["set", "x", -7]]);
});
