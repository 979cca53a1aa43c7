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
    writeLine(m, out);
    out.endMetric();
  },
};

/**
 * `prefix.hostname.chart.dimension[;tags] VALUE TIMESTAMP\n`, piece by
 * piece: no string is built per metric.
 */
function writeLine(m: MetricFormat, out: BatchWriter): void {
  out.write(m.prefix);
  out.write(".");
  out.write(m.host.hostname);
  out.write(".");
  out.write(m.chart);
  out.write(".");
  out.write(m.dimension);
  out.write(m.host.suffix);
  out.write(" ");
  out.write(m.value);
  out.write(" ");
  out.writeUint(m.timestamp);
  out.write("\n");
}

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
    writeLine(m, out);
    out.countMetric();
  },
};
