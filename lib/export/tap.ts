/**
 * `skiff tap`: what an instance would send, as text. Line formats
 * (Graphite, OpenTSDB telnet) and HTTP bodies (JSON, OpenTSDB and Graphite
 * over HTTP) are their own bytes; a remote-write body is decoded into one
 * `name{label="value",...} value timestamp_ms` line per sample.
 *
 * @module
 */

import type { ConnectorType } from "../config/mod.ts";
import { decodeWriteRequest } from "./connectors/remote_write.ts";

/** The text of one batch of connector `type`, ending with a newline. */
export function tapText(type: ConnectorType, body: Uint8Array): string {
  if (!type.startsWith("prometheus_remote_write")) {
    const text = new TextDecoder().decode(body);
    return text.endsWith("\n") ? text : `${text}\n`;
  }
  let out = "";
  for (const s of decodeWriteRequest(body)) {
    const name = s.labels.__name__ ?? "";
    const labels = Object.entries(s.labels).filter(([k]) => k !== "__name__")
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(",");
    for (const [value, t] of s.samples) {
      out += `${name}{${labels}} ${value} ${t}\n`;
    }
  }
  return out;
}
