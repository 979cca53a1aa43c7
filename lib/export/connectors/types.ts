/**
 * The connector contract, as netdata 1.37's exporting engine has it: a
 * connector is a table of small callbacks (start batch, start host, metric,
 * end batch) plus its framing. The engine owns iteration, windows,
 * filtering, buffering and accounting; transports own sockets; a connector
 * only turns one metric (and a host's labels) into bytes.
 *
 * @module
 */

import type { ConnectorType } from "../../config/mod.ts";
import type { Chart, Dimension } from "../../storage/mod.ts";
import type { BatchWriter } from "../buffer.ts";
import type { HttpRequestSpec } from "../http.ts";

/** The host being formatted, as the connector sees it. */
export interface HostFormat {
  /** The name sent for the host (`hostname` of the instance for this host). */
  hostname: string;
  /** netdata's host tags; "" for none. */
  tags: string;
  /** Whether the instance sends labels at all (a label filter is on). */
  labelsConfigured: boolean;
  /** The host labels the instance sends, in the host's order. */
  labels: [name: string, value: string][];
  /** Set by `startHost`: what each metric of this host carries. */
  suffix: string;
  /** The agent that collects the host and its version ("" if unknown). */
  program: string;
  programVersion: string;
  /** The host's custom variables (VARIABLE), by name. */
  variables: ReadonlyMap<string, number>;
  /** When the batch is formatted (ms). */
  nowMs: number;
}

/** One metric, names already chosen and sanitized. */
export interface MetricFormat {
  prefix: string;
  host: HostFormat;
  chart: string;
  dimension: string;
  /** The value as text (`%lld` or `%0.7f`). */
  value: string;
  /** The value as a number. */
  numericValue: number;
  /** Unix seconds. */
  timestamp: number;
  /** Milliseconds: the collection's for `as collected`. */
  timestampMs: number;
  /** The chart and dimension, for connectors that send more than names. */
  chartInfo: Chart;
  dimensionInfo: Dimension;
}

/** A wire format: netdata's callback table. */
export interface Connector {
  readonly type: ConnectorType;
  readonly defaultPort: number;
  /**
   * `lines`: each metric is its own unit (a line) and a cut write resumes
   * at a unit; `message`: the batch is one unit (an HTTP request).
   */
  readonly framing: "lines" | "message";
  /** Connectors that POST each batch: the request (the status decides). */
  readonly http?: HttpRequestSpec;
  startBatch?(out: BatchWriter): void;
  /** Computes `host.suffix` (labels, tags) once per host per batch. */
  startHost?(host: HostFormat): void;
  /** Writes one metric. */
  metric(m: MetricFormat, out: BatchWriter): void;
  /** A host's variables, after its charts (`send variables`). */
  variables?(host: HostFormat, out: BatchWriter): void;
  endBatch?(out: BatchWriter): void;
}
