/**
 * JSON lines over TCP (`json`, `json:plaintext`), as netdata 1.37's
 * exporting/json/json.c writes them: one object a line, netdata's field
 * names and order, and its spacing (the stored-value form has a space
 * after `"chart_context":`, `"units":` and `"timestamp":`, the collected
 * form none).
 *
 * @module
 */
import type { Connector, HostFormat, MetricFormat } from "./types.ts";
import type { BatchWriter } from "../buffer.ts";

/**
 * A label value as netdata's sanitize_json_string(): a byte below 0x1F,
 * and (char being signed) every byte of a non-ASCII character, becomes
 * `_`; `\` and `"` are escaped.
 */
export function sanitizeJsonString(value: string): string {
  let out = "";
  for (const ch of value) {
    const c = ch.codePointAt(0)!;
    if (c < 0x1f) out += "_";
    else if (c >= 0x80) out += "_".repeat(new TextEncoder().encode(ch).length);
    else if (ch === "\\" || ch === '"') out += "\\" + ch;
    else out += ch;
  }
  return out;
}

/**
 * A string netdata writes unescaped (ids, names, units): skiff escapes `"`,
 * `\` and control characters so no name can break the object; for every
 * name netdata itself accepts the bytes are the same.
 */
function raw(value: string): string {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c) {
      return JSON.stringify(value).slice(1, -1);
    }
  }
  return value;
}

/** The part every metric of a host carries: host tags and labels. */
function hostPart(h: HostFormat): string {
  let s = "";
  if (h.tags) {
    const c = h.tags[0];
    s += c === "{" || c === "[" || c === '"'
      ? `"host_tags":${h.tags},`
      : `"host_tags":"${h.tags}",`;
  }
  if (h.labelsConfigured) {
    s += `"labels":{${
      h.labels.map(([k, v]) => `"${k}":"${sanitizeJsonString(v)}"`).join(",")
    }},`;
  }
  return s;
}

/** One metric as netdata's JSON object (no separator, no newline). */
export function jsonObject(m: MetricFormat, asCollected: boolean): string {
  const c = m.chartInfo;
  const d = m.dimensionInfo;
  const head = `{"prefix":"${raw(m.prefix)}","hostname":"${
    raw(m.host.hostname)
  }",${m.host.suffix}"chart_id":"${raw(c.id)}","chart_name":"${
    raw(c.name)
  }","chart_family":"${raw(c.family)}",`;
  return asCollected
    ? `${head}"chart_context":"${raw(c.context)}","chart_type":"${
      raw(c.type)
    }","units":"${raw(c.units)}","id":"${raw(d.id)}","name":"${
      raw(d.name)
    }","value":${m.value},"timestamp":${m.timestamp}}`
    : `${head}"chart_context": "${raw(c.context)}","chart_type":"${
      raw(c.type)
    }","units": "${raw(c.units)}","id":"${raw(d.id)}","name":"${
      raw(d.name)
    }","value":${m.value},"timestamp": ${m.timestamp}}`;
}

/** The json connector (`json`, `json:plaintext`) for an instance. */
export function jsonLines(asCollected: boolean): Connector {
  return {
    type: "json",
    defaultPort: 5448,
    framing: "lines",
    startHost(h: HostFormat): void {
      h.suffix = hostPart(h);
    },
    metric(m: MetricFormat, out: BatchWriter): void {
      out.writeMetric(jsonObject(m, asCollected) + "\n");
    },
  };
}

/**
 * A batch as a JSON array, as netdata 1.37's open_batch_json_http() and
 * close_batch_json_http() frame it for json:http and opentsdb:http: `[\n`,
 * objects joined by `,\n`, `\n]\n`.
 */
export const jsonArrayFraming = {
  startBatch(out: BatchWriter): void {
    out.write("[\n");
  },
  /** One object: a metric. */
  item(out: BatchWriter, object: string): void {
    if (out.length > 2) out.write(",\n");
    out.write(object);
    out.countMetric();
  },
  endBatch(out: BatchWriter): void {
    out.write("\n]\n");
  },
};

/**
 * `json:http` (`json:https`): a batch is one POST of a JSON array, as
 * netdata 1.37's open_batch_json_http() / close_batch_json_http() frame it
 * (`[\n`, objects joined by `,\n`, `\n]\n`), to `/api/put` (netdata's
 * path for it).
 */
export function jsonHttp(asCollected: boolean): Connector {
  return {
    type: "json:http",
    defaultPort: 5448,
    framing: "message",
    http: { path: "/api/put", headers: ["Content-Type: application/json"] },
    startBatch: jsonArrayFraming.startBatch,
    startHost(h: HostFormat): void {
      h.suffix = hostPart(h);
    },
    metric(m: MetricFormat, out: BatchWriter): void {
      jsonArrayFraming.item(out, jsonObject(m, asCollected));
    },
    endBatch: jsonArrayFraming.endBatch,
  };
}
