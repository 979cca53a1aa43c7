/**
 * Replication as netdata 1.37 does it (streaming/replication.c and the
 * REPLAY handlers of collectors/plugins.d/pluginsd_parser.c), pure:
 *
 * - a parent, after each `CHART` ... `CHART_DEFINITION_END first last now`
 *   of a child, asks for what it lacks: `REPLAY_CHART "id" "true|false"
 *   after before`, in steps, from its last stored slot
 *   ({@link nextReplayRequest});
 * - the child answers from its storage: `RBEGIN "id"`, per slot
 *   `RBEGIN '' start end now` and one `RSET "dim" value "flags"` per
 *   dimension, then (when it starts streaming) its collection state
 *   `RDSTATE`/`RSSTATE`, and `REND ue first last start_streaming after
 *   before now` ({@link replayResponse});
 * - {@link ReplayReceiver} applies those lines to storage on the child's
 *   timestamps and asks for the next step until the child streams live.
 *
 * @module
 */

import { formatCollected, formatFixed7 } from "../export/format.ts";
import type { Chart } from "../storage/mod.ts";
import {
  SN_FLAG_RESET,
  storageNumberExists,
  unpackStorageNumber,
} from "../storage/mod.ts";
import { ProtocolError } from "../protocol/mod.ts";

/** What a parent asks a child to replay for one chart. */
export interface ReplayRequest {
  after: number;
  before: number;
  /** The child sends the rest up to now and then streams the chart live. */
  startStreaming: boolean;
}

/** The `REPLAY_CHART` line of a request. */
export function replayChartLine(chartId: string, r: ReplayRequest): string {
  return `REPLAY_CHART "${chartId}" "${
    r.startStreaming ? "true" : "false"
  }" ${r.after} ${r.before}\n`;
}

/**
 * netdata 1.37's replicate_chart_request(): the next request for a chart,
 * from what the parent stores (`localLast`, 0 for nothing), what the child
 * said it has (`childFirst`, `childLast`), the previous request of this
 * chart (0 0 for none) and the key's settings. An empty request (0 0,
 * start streaming) when there is nothing to ask for.
 */
export function nextReplayRequest(o: {
  enabled: boolean;
  secondsToReplicate: number;
  stepSec: number;
  localLast: number;
  nowSec: number;
  childFirst: number;
  childLast: number;
  prevAfter: number;
  prevBefore: number;
  dimensions: number;
}): ReplayRequest {
  const empty = { after: 0, before: 0, startStreaming: true };
  const localLast = Math.min(o.localLast, o.nowSec);
  let gapFrom: number;
  if (!o.prevAfter || !o.prevBefore) {
    gapFrom = localLast ? localLast : o.nowSec - o.secondsToReplicate;
  } else gapFrom = o.prevBefore;
  const gapTo = o.nowSec;
  if (
    !o.enabled || !o.childLast || o.dimensions === 0 || o.childFirst <= 0 ||
    o.childFirst > o.childLast || localLast > o.childLast
  ) return empty;
  let after = o.childFirst > gapFrom ? o.childFirst : gapFrom;
  let before = gapTo - after > o.stepSec ? after + o.stepSec : gapTo;
  if (before > o.childLast) before = o.childLast;
  if (after > before) after = before;
  const startStreaming = o.nowSec - after <= o.stepSec ||
    before === o.childLast;
  return { after, before, startStreaming };
}

/**
 * netdata 1.37's replicate_chart_response(), on skiff's storage: the lines
 * answering `REPLAY_CHART` for `chart`, and whether the chart now streams
 * live. Unlike 1.37, a slot where every dimension is empty is skipped, not
 * the end of the answer, so a hole in the child's own data does not hide
 * what it has after it.
 */
export function replayResponse(
  chart: Chart,
  req: ReplayRequest,
  nowSec: number,
): { text: string; streaming: boolean; slots: number } {
  const tolerance = 2;
  const ue = chart.updateEverySec;
  let first = chart.firstEntrySec();
  if (first > nowSec + tolerance) first = nowSec;
  let last = chart.lastEntrySec() || nowSec;
  if (last > nowSec + tolerance) last = nowSec;
  // 1.37 clamps `after` to the first slot, which then is never sent (a
  // request's `after` is exclusive); one slot before it, the first is sent
  // to a request that reaches back past it.
  let queryAfter = Math.max(req.after, first - ue);
  let queryBefore = Math.min(req.before, last);
  if (req.startStreaming) queryBefore = last;
  if (queryAfter > queryBefore) {
    [queryAfter, queryBefore] = [queryBefore, queryAfter];
  }
  let streaming = req.startStreaming || queryBefore === last || !req.after ||
    !req.before;
  let out = `RBEGIN "${chart.id}"\n`;
  let slots = 0;
  let after = req.after;
  let before = req.before;
  if (after !== 0 && before !== 0) {
    if (streaming && last > queryBefore) queryBefore = last;
    const dims = chart.dimensions;
    const stored = chart.counter > 0;
    let t = Math.floor(queryAfter / ue) * ue + ue;
    for (; stored && t <= queryBefore; t += ue) {
      if (t < first || t > last) continue;
      const slot = chart.slotOf(t);
      let any = false;
      for (const d of dims) any ||= storageNumberExists(d.ring.get(slot));
      if (!any) continue;
      out += `RBEGIN '' ${t - ue} ${t} ${nowSec}\n`;
      slots++;
      for (const d of dims) {
        const sn = d.ring.get(slot);
        out += storageNumberExists(sn)
          ? `RSET "${d.id}" ${formatFixed7(unpackStorageNumber(sn))} "${
            sn & SN_FLAG_RESET ? "R" : ""
          }"\n`
          : `RSET "${d.id}" NAN "E"\n`;
      }
    }
    before = queryBefore;
  } else {
    after = 0;
    before = 0;
    streaming = true;
  }
  if (streaming) out += collectionState(chart);
  out += `REND ${ue} ${first} ${last} ${
    streaming ? "true" : "false"
  } ${after} ${before} ${nowSec}\n`;
  return { text: out, streaming, slots };
}

/** RDSTATE per dimension and RSSTATE: where live collection continues from. */
function collectionState(chart: Chart): string {
  let out = "";
  for (const d of chart.dimensions) {
    out += `RDSTATE "${d.id}" ${d.lastCollectedTimeMs * 1000} ${
      formatCollected(d.lastCollectedValue)
    } ${formatFixed7(d.lastCalculatedValue)} ${
      formatFixed7(Number.isNaN(d.lastStoredValue) ? 0 : d.lastStoredValue)
    }\n`;
  }
  return out +
    `RSSTATE ${chart.lastCollectedUt} ${chart.lastUpdatedUt}\n`;
}

/** What the receiver of a replay needs from outside. */
export interface ReplayContext {
  /** Sends a line to the child. */
  send(line: string): void;
  /** The chart `id` of the host being received, or undefined. */
  chart(id: string): Chart | undefined;
  /** The chart of the last CHART line. */
  currentChart(): Chart | undefined;
  nowSec(): number;
  enabled: boolean;
  secondsToReplicate: number;
  stepSec: number;
  /** Entries a chart keeps: no use asking for more. */
  historyEntries: number;
}

/** Counters of one child's replication. */
export interface ReplayStats {
  requests: number;
  /** Slots stored from RBEGIN/RSET. */
  slots: number;
  /** RBEGIN lines whose timestamps were refused. */
  refused: number;
  /** Charts whose replication finished (the child streams them live). */
  finished: number;
}

/**
 * The parent's side of replication for one child's connection: handles
 * `CHART_DEFINITION_END`, `RBEGIN`, `RSET`, `RDSTATE`, `RSSTATE` and
 * `REND` (other keywords are not its business: it returns false).
 */
export class ReplayReceiver {
  readonly stats: ReplayStats = {
    requests: 0,
    slots: 0,
    refused: 0,
    finished: 0,
  };
  readonly #c: ReplayContext;
  /** Charts with a replication under way -> its last request. */
  readonly #inProgress = new Map<Chart, ReplayRequest>();
  #chart: Chart | undefined;
  /** The slot RSET writes to; -1 when the RBEGIN was refused or had none. */
  #slot = -1;
  #endSec = 0;

  constructor(context: ReplayContext) {
    this.#c = context;
  }

  /** Charts still replicating. */
  get pending(): number {
    return this.#inProgress.size;
  }

  /** Handles a line; false when `keyword` is not a replication keyword. */
  handle(keyword: string, words: string[], count: number): boolean {
    switch (keyword) {
      case "CHART_DEFINITION_END":
        this.#definitionEnd(words, count);
        return true;
      case "RBEGIN":
        this.#begin(words, count);
        return true;
      case "RSET":
        this.#set(words, count);
        return true;
      case "RDSTATE":
        this.#dimensionState(words, count);
        return true;
      case "RSSTATE":
        this.#chartState(words, count);
        return true;
      case "REND":
        this.#end(words, count);
        return true;
      default:
        return false;
    }
  }

  #request(chart: Chart, o: {
    childFirst: number;
    childLast: number;
    prevAfter: number;
    prevBefore: number;
  }): void {
    const c = this.#c;
    let req = nextReplayRequest({
      enabled: c.enabled,
      secondsToReplicate: Math.min(
        c.secondsToReplicate,
        c.historyEntries * chart.updateEverySec,
      ),
      stepSec: c.stepSec,
      localLast: chart.lastEntrySec(),
      nowSec: c.nowSec(),
      dimensions: chart.dimensions.length,
      ...o,
    });
    // A step that would not move past the last one (a child whose answers
    // do not advance) asks for the rest and live data instead of looping.
    const last = this.#inProgress.get(chart);
    if (last && !req.startStreaming && req.before <= last.before) {
      req = { ...req, startStreaming: true };
    }
    this.#inProgress.set(chart, req);
    this.stats.requests++;
    c.send(replayChartLine(chart.id, req));
  }

  #definitionEnd(words: string[], count: number): void {
    const chart = this.#c.currentChart();
    if (!chart) throw new ProtocolError("CHART_DEFINITION_END without CHART");
    if (this.#inProgress.has(chart)) return; // as 1.37: no duplicate request
    this.#request(chart, {
      childFirst: count > 1 ? toInt(words[1]) : 0,
      childLast: count > 2 ? toInt(words[2]) : 0,
      prevAfter: 0,
      prevBefore: 0,
    });
  }

  #begin(words: string[], count: number): void {
    const id = count > 1 ? words[1] : "";
    const chart = id === "" ? this.#chart : this.#c.chart(id);
    if (!chart) {
      throw new ProtocolError(
        id === "" ? "RBEGIN without a chart" : `RBEGIN "${id}": no such chart`,
      );
    }
    this.#chart = chart;
    this.#slot = -1;
    if (count < 4) return; // the RBEGIN "id" that opens an answer
    const start = toInt(words[2]);
    const end = toInt(words[3]);
    let wall = count > 4 ? toInt(words[4]) : 0;
    let tolerance = chart.updateEverySec + 1;
    if (wall <= 0) {
      wall = this.#c.nowSec();
      tolerance = chart.updateEverySec + 5;
    }
    if (
      start && end && start < wall + tolerance && end < wall + tolerance &&
      start < end && end - start === chart.updateEverySec
    ) {
      this.#slot = chart.replaySlot(end);
      this.#endSec = end;
    }
    if (this.#slot < 0) this.stats.refused++;
    else this.stats.slots++;
  }

  #set(words: string[], count: number): void {
    const chart = this.#chart;
    if (!chart) throw new ProtocolError("RSET without RBEGIN");
    if (this.#slot < 0) return; // its RBEGIN was refused: dropped, as 1.37
    const id = count > 1 ? words[1] : "";
    const d = chart.dimension(id);
    if (!d) {
      throw new ProtocolError(
        `RSET "${id}": chart "${chart.id}" has no such dimension`,
      );
    }
    const flags = count > 3 ? words[3] : "";
    let value = count > 2 && words[2] !== "" ? Number(words[2]) : NaN;
    if (flags.includes("E") || !Number.isFinite(value)) value = NaN;
    d.storeReplayed(this.#slot, this.#endSec, value, flags.includes("R"));
  }

  #dimensionState(words: string[], count: number): void {
    const chart = this.#chart;
    if (!chart) throw new ProtocolError("RDSTATE without RBEGIN");
    const id = count > 1 ? words[1] : "";
    const d = chart.dimension(id);
    if (!d) {
      throw new ProtocolError(
        `RDSTATE "${id}": chart "${chart.id}" has no such dimension`,
      );
    }
    const collectedMs = Math.floor(toInt(words[2]) / 1000);
    if (collectedMs > d.lastCollectedTimeMs) {
      d.lastCollectedTimeMs = collectedMs;
    }
    d.lastCollectedValue = count > 3 ? toInt(words[3]) : 0;
    d.lastCalculatedValue = count > 4 ? toNumber(words[4]) : 0;
    d.lastStoredValue = count > 5 ? toNumber(words[5]) : 0;
  }

  #chartState(words: string[], count: number): void {
    const chart = this.#chart;
    if (!chart) throw new ProtocolError("RSSTATE without RBEGIN");
    const collectedUt = count > 1 ? toInt(words[1]) : 0;
    const updatedSec = Math.floor((count > 2 ? toInt(words[2]) : 0) / 1e6);
    // The child's newest slot may be one with nothing in it (not replayed):
    // the ring advances to it empty, so live collection continues from it.
    if (chart.counter > 0 && updatedSec > chart.lastEntrySec()) {
      chart.replaySlot(updatedSec);
    }
    if (collectedUt > chart.lastCollectedUt) {
      chart.lastCollectedUt = collectedUt;
    }
    chart.counterDone++;
  }

  #end(words: string[], count: number): void {
    const chart = this.#chart;
    if (!chart) throw new ProtocolError("REND without RBEGIN");
    if (count < 7) throw new ProtocolError("REND with fewer than 6 values");
    this.#chart = undefined;
    this.#slot = -1;
    const startStreaming = words[4] === "true";
    if (startStreaming) {
      if (this.#inProgress.delete(chart)) this.stats.finished++;
      return;
    }
    this.#request(chart, {
      childFirst: toInt(words[2]),
      childLast: toInt(words[3]),
      prevAfter: toInt(words[5]),
      prevBefore: toInt(words[6]),
    });
  }
}

function toInt(word: string | undefined): number {
  const n = Number.parseInt(word ?? "", 10);
  return Number.isFinite(n) ? n : 0;
}

function toNumber(word: string | undefined): number {
  const n = Number(word);
  return Number.isFinite(n) ? n : 0;
}
