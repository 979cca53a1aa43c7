/**
 * Applies protocol commands to one host in storage. Shared by the plugins.d
 * runner and the stream receiver. Every check happens before anything is
 * changed, so a rejected line leaves stored data as it was.
 *
 * @module
 */

import type { Clock } from "../clock.ts";
import type { Chart, Host, HostLabel } from "../storage/mod.ts";
import { ProtocolError } from "./parser.ts";
import type {
  ChartCommand,
  DimensionCommand,
  ProtocolHandler,
} from "./parser.ts";

/** Bounds on what one source may create. */
export interface WriterLimits {
  maxCharts: number;
  maxDimensionsPerChart: number;
}

/** How a {@link HostWriter} behaves. */
export interface HostWriterOptions {
  clock: Clock;
  /** Used when CHART gives no update every. */
  defaultUpdateEverySec: number;
  historyEntries: number;
  /** netdata trusts the BEGIN microseconds of streams, not of plugins. */
  trustDurations: boolean;
  /** The plugin name recorded on charts that do not name one. */
  pluginName: string;
  limits?: WriterLimits;
  /** Called when the source sends DISABLE. */
  onDisable?: () => void;
  /** Called for keywords the writer does not handle. */
  onOther?: (keyword: string, words: string[], count: number) => void;
}

/** Applies commands to a host. */
export class HostWriter implements ProtocolHandler {
  readonly host: Host;
  readonly #o: HostWriterOptions;
  #chart: Chart | undefined;
  /** The dimension a SET most likely names next (its index). */
  #next = 0;
  #collecting = false;
  /**
   * When the chart's BEGIN came (ms): the collection time of its SET
   * lines. netdata reads the clock at each SET; a chart's lines come in one
   * write, and one reading a chart spares a boxed timestamp a value.
   */
  #beginMs = 0;
  #pendingHostLabels = new Map<string, HostLabel>();
  #pendingChartLabels = new Map<string, string>();
  /** Charts completed (END) since creation. */
  completions = 0;
  /** Values set (SET) since creation. */
  valuesSet = 0;

  constructor(host: Host, options: HostWriterOptions) {
    this.host = host;
    this.#o = options;
  }

  /** The chart of the last CHART or BEGIN line, until END or FLUSH. */
  get currentChart(): Chart | undefined {
    return this.#chart;
  }

  chart(c: ChartCommand): void {
    const limits = this.#o.limits;
    if (
      limits && !this.host.chart(c.id) &&
      this.host.charts.size >= limits.maxCharts
    ) {
      throw new ProtocolError(
        `CHART "${c.id}": host "${this.host.hostname}" already has ${this.host.charts.size} charts, the limit`,
      );
    }
    const chart = this.host.addChart({
      id: c.id,
      name: chartName(c.id, c.name),
      title: c.title,
      units: c.units,
      family: c.family,
      context: c.context,
      chartType: c.chartType,
      priority: c.priority,
      updateEverySec: c.updateEverySec || this.#o.defaultUpdateEverySec,
      history: this.#o.historyEntries,
      plugin: c.plugin || this.#o.pluginName,
      module: c.module,
    });
    chart.obsolete = c.options.obsolete;
    chart.detail = c.options.detail;
    chart.hidden = c.options.hidden;
    chart.storeFirst = c.options.storeFirst;
    this.#chart = chart;
    this.#collecting = false;
    this.#pendingChartLabels.clear();
  }

  dimension(d: DimensionCommand): void {
    const chart = this.#require("DIMENSION", "CHART");
    const limits = this.#o.limits;
    if (
      limits && !chart.dimension(d.id) &&
      chart.dimensions.length >= limits.maxDimensionsPerChart
    ) {
      throw new ProtocolError(
        `DIMENSION "${d.id}": chart "${chart.id}" already has ${chart.dimensions.length} dimensions, the limit`,
      );
    }
    const dim = chart.addDimension(d.id, d);
    dim.hidden = d.options.hidden;
    dim.dontDetectResets = d.options.noReset;
    dim.obsolete = d.options.obsolete;
  }

  begin(chartId: string, microseconds: number): void {
    const chart = this.host.chart(chartId);
    if (!chart) {
      throw new ProtocolError(
        `BEGIN "${chartId}": no such chart (send CHART first)`,
      );
    }
    this.#next = 0;
    this.#chart = chart;
    this.#collecting = true;
    this.#beginMs = this.#o.clock.nowMs();
    if (chart.counterDone) {
      chart.next(this.#beginMs * 1000, microseconds, this.#o.trustDurations);
    }
  }

  set(dimensionId: string, value: number): void {
    const chart = this.#chart;
    if (!chart || !this.#collecting) {
      throw new ProtocolError(`SET "${dimensionId}" outside BEGIN/END`);
    }
    const dim = chart.dimension(dimensionId);
    if (!dim) {
      throw new ProtocolError(
        `SET "${dimensionId}": chart "${chart.id}" has no such dimension`,
      );
    }
    dim.set(value, this.#beginMs);
    this.valuesSet++;
    // Plugins set a chart's dimensions in the same order every time.
    this.#next = chart.dimensions.indexOf(dim) + 1;
  }

  /**
   * SET with the id in `text[start..end)`: the dimension after the last
   * one set is tried first, compared in place; otherwise as {@link set}.
   */
  setIn(text: string, start: number, end: number, value: number): void {
    const chart = this.#chart;
    if (chart && this.#collecting) {
      const dim = chart.dimensions[this.#next];
      if (
        dim !== undefined && dim.id.length === end - start &&
        text.startsWith(dim.id, start)
      ) {
        dim.set(value, this.#beginMs);
        this.valuesSet++;
        this.#next++;
        return;
      }
    }
    this.set(text.slice(start, end), value);
  }

  end(): void {
    const chart = this.#chart;
    if (!chart || !this.#collecting) {
      throw new ProtocolError("END without BEGIN");
    }
    chart.done(this.#o.clock.nowMs() * 1000, false);
    this.#chart = undefined;
    this.#collecting = false;
    this.completions++;
  }

  flush(): void {
    this.#chart = undefined;
    this.#collecting = false;
  }

  disable(): void {
    this.#o.onDisable?.();
  }

  variable(scope: "host" | "chart", name: string, value: number): void {
    if (scope === "chart" && this.#chart) {
      // Chart variables live with the host, keyed by chart.
      this.host.variables.set(`${this.#chart.id}.${name}`, value);
    } else {
      this.host.variables.set(name, value);
    }
  }

  label(name: string, source: number, value: string): void {
    this.#pendingHostLabels.set(name, { value, source });
  }

  overwrite(what: string): void {
    if (what !== "labels") return;
    // As netdata's rrdlabels_migrate_to_these(): labels kept keep their
    // place, new ones are appended, missing ones go.
    const labels = this.host.labels;
    for (const k of labels.keys()) {
      if (!this.#pendingHostLabels.has(k)) labels.delete(k);
    }
    for (const [k, l] of this.#pendingHostLabels) labels.set(k, l);
    this.#pendingHostLabels.clear();
  }

  clabel(name: string, value: string, _source: number): void {
    this.#require("CLABEL", "CHART");
    this.#pendingChartLabels.set(name, value);
  }

  clabelCommit(): void {
    const chart = this.#require("CLABEL_COMMIT", "CHART");
    chart.labels.clear();
    for (const [k, v] of this.#pendingChartLabels) chart.labels.set(k, v);
    this.#pendingChartLabels.clear();
  }

  other(keyword: string, words: string[], count: number): void {
    if (this.#o.onOther) return this.#o.onOther(keyword, words, count);
    throw new ProtocolError(`unknown keyword "${keyword}"`);
  }

  #require(keyword: string, after: string): Chart {
    if (!this.#chart) throw new ProtocolError(`${keyword} without ${after}`);
    return this.#chart;
  }
}

/**
 * A chart's full name as netdata 1.37's pluginsd_chart() makes it: the
 * name given without its `type.`, prefixed by the type; none when it
 * equals the id or is NULL.
 */
export function chartName(id: string, name: string): string | undefined {
  if (!name) return undefined;
  const type = id.slice(0, id.indexOf("."));
  if (name.startsWith(`${type}.`)) name = name.slice(type.length + 1);
  const lower = name.toLowerCase();
  if (
    name === id.slice(type.length + 1) || lower === "null" ||
    lower === "(null)"
  ) return undefined;
  return `${type}.${name}`;
}
