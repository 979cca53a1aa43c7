/**
 * What each /proc module gets from the collector, and what it gives back.
 * One module per /proc source, as netdata's proc.plugin has one per file.
 *
 * @module
 */

import type { Algorithm, Chart, ChartDefinition } from "../../storage/mod.ts";

/** A dimension: id, multiplier, divisor, algorithm and optional name. */
export type DimSpec = [
  id: string,
  multiplier: number,
  divisor: number,
  algorithm: Algorithm,
  name?: string,
];

/** A chart as a module defines it; history and update every are filled in. */
export type ChartSpec = Omit<ChartDefinition, "history" | "updateEverySec"> & {
  updateEverySec?: number;
};

/** The collector's services to its modules. */
export interface ProcContext {
  readonly updateEverySec: number;
  /** The chart `def.id`, created with `dims` (plugin proc.plugin) if new. */
  chart(def: ChartSpec, dims: DimSpec[]): Chart;
  /**
   * netdata's "auto": the chart, as `chart` gives it, once `nonZero` has
   * been true at one collection; undefined until then.
   */
  chartOnceNonZero(
    nonZero: boolean,
    def: ChartSpec,
    dims: DimSpec[],
  ): Chart | undefined;
  /** Logs a warning the first time `key` is seen. */
  warnOnce(key: string, message: string): void;
  /** Reads files under the collector's root; missing ones are absent. */
  files(paths: string[]): Promise<Map<string, string>>;
}

/** One /proc source: its path and what to do with its text. */
export interface ProcModule {
  readonly path: string;
  /** Its `[plugin:proc]` key, when not `path` (netdata's "/proc/pressure"). */
  readonly key?: string;
  /**
   * Files it also reads at each collection, read with `path` in one go
   * (one `tail` for all): given to `collect` in `also`.
   */
  alsoRead?(): string[];
  collect(
    text: string,
    ms: number,
    ut: number,
    also: Map<string, string>,
  ): void | Promise<void>;
}
