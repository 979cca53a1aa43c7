/**
 * `/api/v1/data` on hand-made charts: the window arithmetic of netdata
 * 1.37 (worked examples from query.c), the texts, grouping and options.
 */
import { assertEquals } from "../helpers/assert.ts";
import { webTestHost } from "../helpers/web_host.ts";
import { dataAnswer, queryWindow } from "../../lib/web/data.ts";
import { printfFixed, printNetdataDouble } from "../../lib/web/numbers.ts";

/** T0 is aligned to 10 s; values collected exactly on slot times are stored as they are. */
const T0 = 1_700_000_000;

/**
 * A host with chart `t.c` (update every `ue`) storing `values` at T0+ue,
 * T0+2ue, ... (NaN: a gap), dimensions `a` (the values) and `b` (their
 * negatives) and a hidden `h`.
 */
function hostWith(values: number[], ue = 1) {
  const { db, collect, chart } = webTestHost({ updateEverySec: ue });
  collect(T0, values[0]); // the first collection primes, stores nothing
  values.forEach((v, i) => {
    const t = T0 + (i + 1) * ue;
    if (Number.isNaN(v)) {
      chart.next(t * 1e6);
      chart.done(t * 1e6, false); // a gap
    } else collect(t, v);
  });
  return { host: db.localhost, chart, last: T0 + values.length * ue };
}

function get(
  host: ReturnType<typeof hostWith>["host"],
  query: string,
  nowSec: number,
) {
  const a = dataAnswer(host, new URLSearchParams(query), nowSec * 1000);
  return { status: a.status, body: a.body as string, type: a.contentType };
}

Deno.test("numbers as netdata prints them", () => {
  // C rounds an exact tie to even; toFixed would give 0.0039063 and 3.
  assertEquals(printfFixed(2 ** -8, 7), "0.0039062");
  assertEquals(printfFixed(2.5, 0), "2");
  assertEquals(printfFixed(3.5, 0), "4");
  assertEquals(printfFixed(-0, 7), "-0.0000000");
  assertEquals(printfFixed(-0, 0), "-0");
  assertEquals(printfFixed(1 / 3, 7), "0.3333333");
  assertEquals(printfFixed(NaN, 7), "nan");
  assertEquals(printNetdataDouble(0.89), "0.89");
  assertEquals(printNetdataDouble(90.54726), "90.54726");
  assertEquals(printNetdataDouble(-0), "0");
  assertEquals(printNetdataDouble(-0.00000001), "-0");
  assertEquals(printNetdataDouble(0.99999999), "1");
  assertEquals(printNetdataDouble(1795635925), "1795635925");
  assertEquals(printNetdataDouble(Infinity), "null");
});

Deno.test("the query window, netdata 1.37's worked examples", () => {
  const T = 1795635925;
  // system.load every 5 s, one slot stored, no parameters: 120 rows.
  const w1 = queryWindow({
    after: -600,
    before: 0,
    points: 0,
    updateEverySec: 5,
    firstSec: T - 5,
    lastSec: T,
    nowSec: T + 2,
  });
  assertEquals([w1.viewEverySec, w1.times.length], [5, 120]);
  assertEquals([w1.times[0], w1.times[119]], [T - 595, T]);
  // after=-5&points=5: one row, at the last slot.
  const w2 = queryWindow({
    after: -5,
    before: 0,
    points: 5,
    updateEverySec: 5,
    firstSec: T - 5,
    lastSec: T,
    nowSec: T + 2,
  });
  assertEquals(w2.times, [T]);
  // every second, after=-4&points=2: groups of 2 ending at an even second.
  const even = 1795635926;
  const w3 = (last: number) =>
    queryWindow({
      after: -4,
      before: 0,
      points: 2,
      updateEverySec: 1,
      firstSec: last - 100,
      lastSec: last,
      nowSec: last + 2,
    });
  assertEquals(w3(even).times, [even - 2, even]);
  assertEquals(w3(even + 1).times, [even - 2, even]);
  // points=7 over 600 slots: groups of 86 (600 % 7 = 5 > 3 rounds up).
  const w4 = queryWindow({
    after: -600,
    before: 0,
    points: 7,
    updateEverySec: 1,
    firstSec: even - 1000,
    lastSec: even,
    nowSec: even + 2,
  });
  assertEquals(w4.viewEverySec, 86);
  assertEquals(w4.times[6], even - (even % 86));
  // The query runs in the second the last slot was stored: now - 1 wins.
  const w5 = queryWindow({
    after: -4,
    before: 0,
    points: 0,
    updateEverySec: 1,
    firstSec: even - 100,
    lastSec: even,
    nowSec: even,
  });
  assertEquals(w5.times, [even - 4, even - 3, even - 2, even - 1]);
});

Deno.test("/api/v1/data texts, groups and options", async (t) => {
  const { host, last } = hostWith([1, 2, NaN, -5, 3, 0.5]);
  const now = last + 5;
  const abs = `after=${T0 + 1}&before=${last}`;
  // Relative to the last slot, as a dashboard asks (natural points).
  const rel = "after=-6";

  await t.step("json: newest first, gaps null, hidden left out", () => {
    const r = get(host, `chart=t.c&${abs}`, now);
    assertEquals(r.type, "application/json; charset=utf-8");
    assertEquals(
      r.body,
      '{\n "labels": ["time","a","bee"],\n    "data":\n [\n' +
        ` [ ${T0 + 6},0.5,-0.5],\n [ ${T0 + 5},3,-3],\n [ ${T0 + 4},-5,5],\n` +
        ` [ ${T0 + 3},null,null],\n [ ${T0 + 2},2,-2],\n [ ${
          T0 + 1
        },1,-1]\n]\n}`,
    );
  });

  await t.step(
    "groups: average and sum skip gaps; min and max by absolute value, sign kept",
    () => {
      const rows = (group: string) =>
        get(host, `chart=t.c&${rel}&points=3&group=${group}`, now).body
          .split("\n").filter((l) => l.startsWith(" [ "));
      // Rows end at T0+2, T0+4, T0+6: {1,2}, {gap,-5}, {3,0.5}.
      assertEquals(rows("average"), [
        ` [ ${T0 + 6},1.75,-1.75],`,
        ` [ ${T0 + 4},-5,5],`,
        ` [ ${T0 + 2},1.5,-1.5]`,
      ]);
      assertEquals(rows("sum")[0], ` [ ${T0 + 6},3.5,-3.5],`);
      assertEquals(rows("max"), [
        ` [ ${T0 + 6},3,-3],`,
        ` [ ${T0 + 4},-5,5],`,
        ` [ ${T0 + 2},2,-2]`,
      ]);
      assertEquals(rows("min")[0], ` [ ${T0 + 6},0.5,-0.5],`);
    },
  );

  await t.step("csv: CRLF lines, local dates or seconds", () => {
    const r = get(
      host,
      `chart=t.c&${rel}&points=2&format=csv&options=seconds|flip|abs`,
      now,
    );
    assertEquals(r.type, "text/plain; charset=utf-8");
    // Groups of 3 end on a multiple of 3 at or before the last slot (T0 +
    // 4): {-, -, 1} and {2, gap, -5}; flip: oldest first; abs: no sign.
    assertEquals(
      r.body,
      `time,a,bee\r\n${T0 + 1},1,1\r\n${T0 + 4},1.5,1.5\r\n`,
    );
  });

  await t.step("dimensions, null2zero, nonzero", () => {
    const r = get(
      host,
      `chart=t.c&${abs}&dimensions=bee,h&options=null2zero`,
      now,
    );
    assertEquals(r.body.split("\n")[1], ' "labels": ["time","bee","h"],');
    assertEquals(r.body.split("\n")[7], ` [ ${T0 + 3},0,0],`);
  });

  await t.step("errors, as netdata words them", () => {
    assertEquals(
      get(host, "chart=nope", now),
      {
        status: 404,
        body: "No metrics where matched to query.",
        type: "text/plain; charset=utf-8",
      },
    );
    assertEquals(get(host, "", now).body, "No chart or context is given.");
    assertEquals(get(host, "chart=t.c&group=median", now).status, 400);
    assertEquals(get(host, "chart=t.c&format=html", now).status, 400);
    // Nothing stored near the window: netdata's retention filter.
    assertEquals(
      get(host, `chart=t.c&after=${T0 - 5000}&before=${T0 - 4000}`, now)
        .status,
      404,
    );
  });
});
