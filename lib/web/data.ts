/**
 * `/api/v1/data`: netdata 1.37's query over one chart, for what skiff
 * stores (one ring of packed values per dimension): the time window
 * (relative or absolute `after`/`before`), `points` and the group size,
 * rows aligned to the group, `group=average|sum|min|max`, the options
 * skiff has, and the json and csv texts, byte for byte.
 *
 * Pure: {@link queryWindow} and {@link queryRows} compute, {@link formatJson}
 * and {@link formatCsv} print; {@link dataAnswer} puts them together.
 *
 * What netdata does (web/api/queries/query.c, rrd2json.c, json.c, csv.c):
 * rows are newest first, each row's time is the end of its group and it
 * aggregates the stored, non-empty slots in (t - V, t] (V = group size x
 * update every); empty slots are skipped, an empty row prints `null`. min
 * and max compare absolute values and keep the sign. Hidden dimensions are
 * not queried unless `dimensions` names them.
 *
 * @module
 */

import { compileSimplePattern } from "../simple_pattern.ts";
import type { Chart, Dimension, Host } from "../storage/mod.ts";
import { valueAt } from "../storage/mod.ts";
import type { HttpAnswer } from "./http.ts";
import { textAnswer } from "./http.ts";
import { printNetdataDouble } from "./numbers.ts";

/** API_RELATIVE_TIME_MAX: |t| up to three years is relative. */
export const RELATIVE_TIME_MAX_SEC = 3 * 365 * 86400;

/** The group methods skiff computes. */
export type GroupMethod = "average" | "sum" | "min" | "max";

const GROUPS: Record<string, GroupMethod> = {
  average: "average",
  mean: "average",
  sum: "sum",
  min: "min",
  max: "max",
};

/** netdata's other group methods: known, not computed by skiff. */
const OTHER_GROUPS = new Set([
  "median",
  "stddev",
  "cv",
  "rsd",
  "ses",
  "ema",
  "ewma",
  "des",
  "incremental_sum",
  "incremental-sum",
  "countif",
  "trimmed-mean",
  "percentile",
]);

/** Options skiff honours. */
export interface QueryOptions {
  flip: boolean;
  seconds: boolean;
  ms: boolean;
  null2zero: boolean;
  abs: boolean;
  nonzero: boolean;
  unaligned: boolean;
  matchIds: boolean;
  matchNames: boolean;
  naturalPoints: boolean;
  virtualPoints: boolean;
}

const OPTION_WORDS: Record<string, keyof QueryOptions> = {
  flip: "flip",
  reversed: "flip",
  reverse: "flip",
  seconds: "seconds",
  ms: "ms",
  milliseconds: "ms",
  null2zero: "null2zero",
  abs: "abs",
  absolute: "abs",
  absolute_sum: "abs",
  "absolute-sum": "abs",
  nonzero: "nonzero",
  unaligned: "unaligned",
  "match-ids": "matchIds",
  "match-names": "matchNames",
  "natural-points": "naturalPoints",
  "virtual-points": "virtualPoints",
};

/** netdata's other options, which change the answer's shape: refused. */
const OTHER_OPTIONS = new Set([
  "jsonwrap",
  "min2max",
  "objectrows",
  "google_json",
  "percentage",
  "percent",
]);

/** The rows of a query: their times (oldest first) and spacing. */
export interface QueryWindow {
  /** Seconds between rows (group size x query granularity). */
  viewEverySec: number;
  /**
   * The query granularity: the chart's update every (netdata's natural
   * points), or 1 s (virtual points: absolute after, before and points).
   */
  granularitySec: number;
  /** Row end times, oldest first. */
  times: number[];
}

/** netdata's rel2abs: relative times counted back from `nowSec`. */
function rel2abs(
  after: number,
  before: number,
  nowSec: number,
): [number, number] {
  if (Math.abs(before) <= RELATIVE_TIME_MAX_SEC) {
    before = nowSec - Math.abs(before);
  }
  if (Math.abs(after) <= RELATIVE_TIME_MAX_SEC) {
    after = after === 0 ? -600 : -Math.abs(after);
    after = before + after + 1;
  }
  if (after > before) [after, before] = [before, after];
  if (before > nowSec) {
    const d = before - nowSec;
    before -= d;
    after -= d;
  }
  const lo = nowSec - 10 * 365 * 86400;
  const hi = nowSec + 365 * 86400;
  return [
    Math.min(hi, Math.max(lo, after)),
    Math.min(hi, Math.max(lo, before)),
  ];
}

/** What a window is computed from. */
export interface WindowRequest {
  after: number;
  before: number;
  points: number;
  updateEverySec: number;
  /** netdata's first entry: one update every before the oldest slot. */
  firstSec: number;
  lastSec: number;
  /** Wall clock seconds. */
  nowSec: number;
  unaligned?: boolean;
  naturalPoints?: boolean;
  virtualPoints?: boolean;
}

/**
 * netdata 1.37's query_target_calculate_window() without `gtime`: the row
 * times of a query. Relative times count back from the chart's last entry
 * when `before` is 0, from the clock (less a second) otherwise.
 */
export function queryWindow(r: WindowRequest): QueryWindow {
  const ue = r.updateEverySec;
  const now = r.nowSec - 1;
  const auto = r.points === 0;
  let natural = auto || r.naturalPoints === true ||
    Math.abs(r.before) <= RELATIVE_TIME_MAX_SEC ||
    Math.abs(r.after) <= RELATIVE_TIME_MAX_SEC;
  if (r.virtualPoints) natural = false;
  let a = r.after === 0 ? r.firstSec : r.after;
  let b = r.before;
  let dbEnd = false;
  if (b === 0) {
    b = r.lastSec;
    dbEnd = true;
  }
  let points = r.points;
  [a, b] = rel2abs(a, b, now);
  const qg = natural ? ue : 1;
  b -= b % qg;
  a -= a % qg;
  if (auto) points = Math.max(1, Math.floor((b - a + 1) / qg));
  const dur = b - a;
  const avail = Math.max(1, Math.floor((dur + 1) / qg));
  points = Math.min(points, avail, 86400);
  let group = Math.max(1, Math.floor(avail / points));
  if (avail % points > Math.floor(points / 2)) group++;
  if (points * group * qg < dur) {
    points = Math.max(1, Math.ceil(avail / group));
  }
  const v = group * qg;
  if (!r.unaligned && b % v !== 0) {
    b = dbEnd ? b - (b % v) : b + v - (b % v);
  }
  const times: number[] = [];
  for (let k = 0; k < points; k++) times.push(b - (points - 1 - k) * v);
  return { viewEverySec: v, granularitySec: qg, times };
}

/** One dimension's value for the row ending at `t` (NaN: empty). */
function rowValue(
  chart: Chart,
  dim: Dimension,
  t: number,
  viewEverySec: number,
  method: GroupMethod,
): number {
  const ue = chart.updateEverySec;
  let from = t - viewEverySec + 1;
  if (from % ue !== 0) from += ue - (((from % ue) + ue) % ue);
  let acc = NaN;
  let sum = 0;
  let count = 0;
  for (let s = from; s <= t; s += ue) {
    let x = valueAt(chart, dim, s);
    if (Number.isNaN(x)) continue;
    if (s + ue > t && ue > 1) {
      // netdata interpolates a group's last slot against the one before
      // it, by a factor of exactly 1: the same value, to the last bit.
      const prev = valueAt(chart, dim, s - ue);
      if (!Number.isNaN(prev)) x = prev + (x - prev) * (1.0 - 0.0 / ue);
    }
    count++;
    sum += x;
    if (
      count === 1 ||
      (method === "min" && Math.abs(x) < Math.abs(acc)) ||
      (method === "max" && Math.abs(x) > Math.abs(acc))
    ) acc = x;
  }
  if (count === 0) return NaN;
  if (method === "average") return sum / count;
  if (method === "sum") return sum;
  return acc;
}

/** The answer's columns and rows (oldest first). */
export interface QueryResult {
  labels: string[];
  times: number[];
  /** rows[i][j]: dimension j at times[i]; NaN for empty. */
  rows: number[][];
}

/** The values of `dims` at the window's rows. */
export function queryRows(
  chart: Chart,
  dims: Dimension[],
  w: QueryWindow,
  method: GroupMethod,
): QueryResult {
  const natural = w.granularitySec === chart.updateEverySec;
  const columns = dims.map((d) =>
    natural
      ? w.times.map((t) => rowValue(chart, d, t, w.viewEverySec, method))
      : virtualRows(chart, d, w, method)
  );
  return {
    labels: dims.map((d) => d.name),
    times: w.times,
    rows: w.times.map((_, i) => columns.map((col) => col[i])),
  };
}

/** A point of netdata's query loop: a value over (start, end]. */
interface QueryPoint {
  start: number;
  end: number;
  value: number;
}

const EMPTY_POINT: QueryPoint = { start: 0, end: 0, value: NaN };

/** netdata's query_interpolate_point, on a copy. */
function interpolate(p: QueryPoint, prev: QueryPoint, now: number): QueryPoint {
  if (
    p.end - p.start > 1 && prev.end === p.start && !Number.isNaN(p.value) &&
    !Number.isNaN(prev.value)
  ) {
    return {
      start: p.start,
      end: now,
      value: prev.value +
        (p.value - prev.value) * (1.0 - (p.end - now) / (p.end - p.start)),
    };
  }
  return p;
}

/**
 * netdata 1.37's query loop (rrd2rrdr_do_dimension) over its ram engine's
 * cursor (rrddim_query_next_metric), as written: for virtual points (a 1 s
 * granularity over a chart that stores every few seconds) the cursor
 * labels each stored value with its own running time, not the slot's, and
 * values come out shifted and interpolated as netdata's do. One column.
 */
function virtualRows(
  chart: Chart,
  dim: Dimension,
  w: QueryWindow,
  method: GroupMethod,
): number[] {
  const ue = chart.updateEverySec;
  const v = w.viewEverySec;
  const qg = w.granularitySec;
  const points = w.times.length;
  const out: number[] = [];
  if (points === 0) return out;
  const last = chart.lastEntrySec();
  const stored = Math.min(chart.counter, chart.entries);
  const first = last - stored * ue;
  const oldestSlot = last - (stored - 1) * ue;
  const after = w.times[0] - v + qg;
  const before = w.times[points - 1];
  const s = Math.max(first, after);
  const e = Math.min(last, before);
  const slotTime = (t: number) =>
    t >= last
      ? last
      : t <= first
      ? oldestSlot
      : last - Math.floor((last - t) / ue) * ue;
  let slotTs = slotTime(s);
  const lastTs = slotTime(e);
  let next = s;
  const finished = () => next > e;
  const nextPoint = (): QueryPoint => {
    const t = next;
    next += ue;
    if (t < slotTs || t > lastTs) return { start: t - ue, end: t, value: NaN };
    const value = valueAt(chart, dim, slotTs);
    slotTs += ue;
    return { start: t - ue, end: t, value };
  };
  let group: number[] = [];
  const flush = (): number => {
    const g = group;
    group = [];
    if (g.length === 0) return NaN;
    let acc = g[0];
    let sum = 0;
    for (const x of g) {
      sum += x;
      if (method === "min" && Math.abs(x) < Math.abs(acc)) acc = x;
      if (method === "max" && Math.abs(x) > Math.abs(acc)) acc = x;
    }
    return method === "average" ? sum / g.length : method === "sum" ? sum : acc;
  };
  const add = (x: number) => {
    if (!Number.isNaN(x)) group.push(x);
  };
  let last2 = EMPTY_POINT;
  let last1 = EMPTY_POINT;
  let np = EMPTY_POINT;
  let nowStart = after - qg;
  let nowEnd = after + v - qg;
  while (out.length < points) {
    for (;;) {
      last2 = last1;
      last1 = np;
      if (finished()) {
        np = { start: last1.end, end: nowEnd, value: NaN };
        break;
      }
      np = nextPoint();
      if (np.end < nowEnd) {
        if (np.end >= nowStart) add(np.value);
        continue;
      }
      break;
    }
    let iterations = 0;
    for (; nowEnd <= np.end && out.length < points; nowEnd += v) {
      const cur = nowEnd > np.start
        ? interpolate(np, last1, nowEnd)
        : nowEnd <= last1.end
        ? interpolate(last1, last2, nowEnd)
        : EMPTY_POINT;
      add(cur.value);
      out.push(flush());
      iterations++;
    }
    if (iterations) nowEnd -= v;
    nowStart = nowEnd;
    nowEnd += v;
  }
  return out;
}

function cell(v: number, o: QueryOptions): string {
  if (Number.isNaN(v)) return o.null2zero ? "0" : "null";
  return printNetdataDouble(o.abs && v < 0 ? -v : v);
}

/** Rows in the order printed: newest first unless `flip`. */
function order(r: QueryResult, o: QueryOptions): number[] {
  const idx = r.times.map((_, i) => i);
  return o.flip ? idx : idx.reverse();
}

/** netdata's json format (not jsonwrap), with no trailing newline. */
export function formatJson(r: QueryResult, o: QueryOptions): string {
  const labels = r.labels.length === 0 ? ["no data"] : r.labels;
  let s = `{\n "labels": ["time"${
    labels.map((l) => `,"${l}"`).join("")
  }],\n    "data":\n [\n`;
  if (r.labels.length > 0) {
    s += order(r, o).map((i) => {
      const t = printNetdataDouble(r.times[i]) + (o.ms ? "000" : "");
      return ` [ ${t}${r.rows[i].map((v) => "," + cell(v, o)).join("")}]`;
    }).join(",\n");
  }
  return s + "\n]\n}";
}

/** `YYYY-MM-DD HH:MM:SS` in the process's time zone (netdata's localtime_r). */
function localDate(sec: number): string {
  const d = new Date(sec * 1000);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${
    p(d.getHours())
  }:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** netdata's csv format: CRLF after every line. */
export function formatCsv(r: QueryResult, o: QueryOptions): string {
  if (r.labels.length === 0) return "\r\n";
  let s = `time${r.labels.map((l) => "," + l).join("")}\r\n`;
  for (const i of order(r, o)) {
    const t = o.ms
      ? printNetdataDouble(r.times[i]) + "000"
      : o.seconds
      ? printNetdataDouble(r.times[i])
      : localDate(r.times[i]);
    s += t + r.rows[i].map((v) => "," + cell(v, o)).join("") + "\r\n";
  }
  return s;
}

/** netdata's str2l: an optional `-` and digits, up to the first other character. */
function int(text: string | null, fallback: number): number {
  if (text === null || text === "") return fallback;
  const m = /^-?\d+/.exec(text);
  return m ? Number(m[0]) : 0;
}

/** A query string value, absent when empty (netdata ignores empty values). */
function param(q: URLSearchParams, ...names: string[]): string | null {
  let v: string | null = null;
  for (const n of names) {
    for (const x of q.getAll(n)) if (x !== "") v = x;
  }
  return v;
}

function bad(message: string): HttpAnswer {
  return textAnswer(400, message);
}

/** `/api/v1/data` for `host` at `nowMs`. */
export function dataAnswer(
  host: Host,
  q: URLSearchParams,
  nowMs: number,
): HttpAnswer {
  const id = param(q, "chart");
  if (id === null || id === "*") return bad("No chart or context is given.");
  const chart = host.chartByIdOrName(id);
  const notFound = textAnswer(404, "No metrics where matched to query.");
  if (!chart || chart.counter === 0) return notFound;

  const groupWord = param(q, "group") ?? "average";
  if (OTHER_GROUPS.has(groupWord)) {
    return bad(
      `skiff computes group=average, sum, min and max; not "${groupWord}"`,
    );
  }
  const method = GROUPS[groupWord] ?? "average";
  const format = param(q, "format") ?? "json";
  if (format !== "json" && format !== "csv") {
    return bad(`skiff answers format=json and format=csv; not "${format}"`);
  }
  if (param(q, "gtime") !== null && int(param(q, "gtime"), 0) !== 0) {
    return bad("skiff does not support gtime");
  }
  const o: QueryOptions = {
    flip: false,
    seconds: false,
    ms: false,
    null2zero: false,
    abs: false,
    nonzero: false,
    unaligned: false,
    matchIds: false,
    matchNames: false,
    naturalPoints: false,
    virtualPoints: false,
  };
  for (const w of (param(q, "options") ?? "").split(/[ ,|]+/)) {
    if (OTHER_OPTIONS.has(w)) {
      return bad(`skiff does not support the option "${w}"`);
    }
    const k = OPTION_WORDS[w];
    if (k) o[k] = true;
  }

  const after = int(param(q, "after"), -600);
  const before = int(param(q, "before"), 0);
  const points = int(param(q, "points"), 0);
  const nowSec = Math.floor(nowMs / 1000);
  const ue = chart.updateEverySec;
  const lastSec = chart.lastEntrySec();
  const firstSec = chart.firstEntrySec() - ue;
  // netdata's retention filter: a chart with nothing near the window.
  const [a0, b0] = rel2abs(after, before, nowSec - 1);
  if (!(firstSec - 2 * ue <= b0 && lastSec + 2 * ue >= a0)) return notFound;

  let dims = chart.dimensions.filter((d) => !d.hidden);
  const dimsParam = q.getAll("dimension").concat(
    q.getAll("dim"),
    q.getAll("dimensions"),
    q.getAll("dims"),
  ).filter((x) => x !== "");
  if (dimsParam.length > 0) {
    const match = compileSimplePattern(
      dimsParam.map((x) => "|" + x).join(""),
      /[,|\t\r\n\f\v]+/,
    );
    dims = chart.dimensions.filter((d) =>
      o.matchNames && !o.matchIds
        ? match(d.name)
        : o.matchIds && !o.matchNames
        ? match(d.id)
        : match(d.id) || match(d.name)
    );
    if (dims.length === 0) return notFound;
  }

  const w = queryWindow({
    after,
    before,
    points,
    updateEverySec: ue,
    firstSec,
    lastSec,
    nowSec,
    unaligned: o.unaligned,
    naturalPoints: o.naturalPoints,
    virtualPoints: o.virtualPoints,
  });
  let result = queryRows(chart, dims, w, method);
  if (o.nonzero && dimsParam.length === 0) {
    const keep = dims.map((_, j) =>
      result.rows.some((row) => !Number.isNaN(row[j]) && row[j] !== 0)
    );
    if (keep.some((k) => k)) {
      result = {
        labels: result.labels.filter((_, j) => keep[j]),
        times: result.times,
        rows: result.rows.map((row) => row.filter((_, j) => keep[j])),
      };
    }
  }
  const relative = Math.abs(after) <= RELATIVE_TIME_MAX_SEC ||
    Math.abs(before) <= RELATIVE_TIME_MAX_SEC;
  return {
    status: 200,
    contentType: format === "json"
      ? "application/json; charset=utf-8"
      : "text/plain; charset=utf-8",
    body: format === "json" ? formatJson(result, o) : formatCsv(result, o),
    cacheable: !relative,
  };
}
