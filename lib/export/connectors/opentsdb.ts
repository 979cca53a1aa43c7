/**
 * OpenTSDB telnet: `put prefix.chart_id.dim_id TIMESTAMP VALUE host=HOST\n`,
 * as netdata's backends module writes it.
 *
 * @module
 */
import type { Connector, MetricLine } from "./types.ts";

/** The opentsdb connector (`opentsdb`, `opentsdb:telnet`). */
export const opentsdb: Connector = {
  name: "opentsdb",
  defaultPort: 4242,
  formatLine(m: MetricLine): string {
    return `put ${m.prefix}.${m.chartId}.${m.dimensionId} ${m.timestamp} ${m.value} host=${m.hostname}\n`;
  },
};
