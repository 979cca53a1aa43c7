/**
 * Graphite plaintext: `prefix.hostname.chart_id.dim_id VALUE TIMESTAMP\n`,
 * as netdata's backends module writes it.
 *
 * @module
 */
import type { Connector, MetricLine } from "./types.ts";

/** The graphite connector (`graphite`, `graphite:plaintext`). */
export const graphite: Connector = {
  name: "graphite",
  defaultPort: 2003,
  formatLine(m: MetricLine): string {
    return `${m.prefix}.${m.hostname}.${m.chartId}.${m.dimensionId} ${m.value} ${m.timestamp}\n`;
  },
};
