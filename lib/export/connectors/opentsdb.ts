/**
 * OpenTSDB telnet, as netdata 1.37's exporting/opentsdb/opentsdb.c writes
 * it: `put prefix.chart.dimension TIMESTAMP VALUE host=HOST[ TAGS][ LABELS]\n`.
 *
 * @module
 */
import { sanitizeOpentsdbLabelValue } from "../format.ts";
import { jsonArrayFraming } from "./json.ts";
import type { Connector, HostFormat, MetricFormat } from "./types.ts";
import type { BatchWriter } from "../buffer.ts";

/** The opentsdb connector (`opentsdb`, `opentsdb:telnet`). */
export const opentsdb: Connector = {
  type: "opentsdb",
  defaultPort: 4242,
  framing: "lines",
  startHost(h: HostFormat): void {
    let s = h.tags ? ` ${h.tags}` : "";
    // format_host_labels_opentsdb_telnet() starts the labels with a space
    // whenever labels are configured, even when none passes the filter:
    // netdata's lines then end in "host=HOST \n", and so do skiff's.
    if (h.labelsConfigured) {
      s += " " +
        h.labels.map(([name, value]) =>
          `${name}=${sanitizeOpentsdbLabelValue(value)}`
        ).join(" ");
    }
    h.suffix = s;
  },
  metric(m: MetricFormat, out: BatchWriter): void {
    // Piece by piece: no string is built per metric.
    out.write("put ");
    out.write(m.prefix);
    out.write(".");
    out.write(m.chart);
    out.write(".");
    out.write(m.dimension);
    out.write(" ");
    out.writeUint(m.timestamp);
    out.write(" ");
    out.write(m.value);
    out.write(" host=");
    out.write(m.host.hostname);
    out.write(m.host.suffix);
    out.write("\n");
    out.endMetric();
  },
};

/**
 * `opentsdb:http` (`opentsdb:https`): a batch is one `POST /api/put` of a
 * JSON array, as netdata 1.37 writes it: `{"metric":"p.c.d","timestamp":T,
 * "value":V,"tags":{"host":"H[ TAGS]"[,"label":"value"...]}}`, joined by
 * `,\n` inside `[\n` ... `\n]\n`.
 */
export const opentsdbHttp: Connector = {
  type: "opentsdb:http",
  defaultPort: 4242,
  framing: "message",
  http: { path: "/api/put", headers: ["Content-Type: application/json"] },
  startBatch: jsonArrayFraming.startBatch,
  startHost(h: HostFormat): void {
    // format_host_labels_opentsdb_http(): ',"name":"value"' each.
    h.suffix = h.labelsConfigured
      ? h.labels.map(([name, value]) =>
        `,"${name}":"${sanitizeOpentsdbLabelValue(value)}"`
      ).join("")
      : "";
  },
  metric(m: MetricFormat, out: BatchWriter): void {
    const h = m.host;
    jsonArrayFraming.item(
      out,
      `{"metric":"${m.prefix}.${m.chart}.${m.dimension}","timestamp":${m.timestamp},"value":${m.value},"tags":{"host":"${h.hostname}${
        h.tags ? ` ${h.tags}` : ""
      }"${h.suffix}}}`,
    );
  },
  endBatch: jsonArrayFraming.endBatch,
};
