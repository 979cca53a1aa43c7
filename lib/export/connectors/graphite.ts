/**
 * Graphite plaintext, as netdata 1.37's exporting/graphite/graphite.c
 * writes it: `prefix.hostname.chart.dimension[;TAGS][;label=value...]
 * VALUE TIMESTAMP\n`.
 *
 * @module
 */
import { sanitizeGraphiteLabelValue } from "../format.ts";
import type { Connector, HostFormat, MetricFormat } from "./types.ts";
import type { BatchWriter } from "../buffer.ts";

/** The graphite connector (`graphite`, `graphite:plaintext`). */
export const graphite: Connector = {
  type: "graphite",
  defaultPort: 2003,
  framing: "lines",
  startHost(h: HostFormat): void {
    // format_host_labels_graphite_plaintext(): ";name=value" each.
    let s = h.tags ? `;${h.tags}` : "";
    for (const [name, value] of h.labels) {
      s += `;${name}=${sanitizeGraphiteLabelValue(value)}`;
    }
    h.suffix = s;
  },
  metric(m: MetricFormat, out: BatchWriter): void {
    out.writeMetric(
      `${m.prefix}.${m.host.hostname}.${m.chart}.${m.dimension}${m.host.suffix} ${m.value} ${m.timestamp}\n`,
    );
  },
};

/**
 * `graphite:http` (`graphite:https`): the plaintext lines of a batch in one
 * POST, as netdata 1.37's graphite_http_prepare_header() sends them.
 */
export const graphiteHttp: Connector = {
  ...graphite,
  type: "graphite:http",
  framing: "message",
  http: { path: "/api/put", headers: ["Content-Type: application/graphite"] },
  metric(m: MetricFormat, out: BatchWriter): void {
    out.write(
      `${m.prefix}.${m.host.hostname}.${m.chart}.${m.dimension}${m.host.suffix} ${m.value} ${m.timestamp}\n`,
    );
    out.countMetric();
  },
};
