/**
 * The connector interface: a connector is data (name, default port) plus the
 * one function that turns a metric into a line. The engine owns iteration,
 * buffering and accounting; transports own sockets.
 *
 * @module
 */

/** One metric, already sanitized and formatted. */
export interface MetricLine {
  prefix: string;
  hostname: string;
  chartId: string;
  dimensionId: string;
  /** The value as text (`%lld` or `%0.7f`). */
  value: string;
  /** Unix seconds. */
  timestamp: number;
}

/** A backend wire format. */
export interface Connector {
  /** The canonical `[backend] type`. */
  readonly name: string;
  readonly defaultPort: number;
  /** The metric as one line, `\n` included. */
  formatLine(m: MetricLine): string;
}
