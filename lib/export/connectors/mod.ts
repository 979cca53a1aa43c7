/**
 * The table of connectors: adding one is a file and a line here.
 *
 * @module
 */
import type { ExportingInstance } from "../../config/mod.ts";
import type { ConnectorType } from "../../config/mod.ts";
import { graphite, graphiteHttp } from "./graphite.ts";
import { jsonHttp, jsonLines } from "./json.ts";
import { opentsdb, opentsdbHttp } from "./opentsdb.ts";
import type { Connector } from "./types.ts";

export type { Connector, HostFormat, MetricFormat } from "./types.ts";

/** Makes an instance's connector (a connector may depend on its config). */
export type ConnectorFactory = (config: ExportingInstance) => Connector;

/** Every connector skiff has, by canonical type. */
const CONNECTORS: Partial<Record<ConnectorType, ConnectorFactory>> = {
  graphite: () => graphite,
  opentsdb: () => opentsdb,
  json: (c) => jsonLines(c.dataSource === "as collected"),
  "json:http": (c) => jsonHttp(c.dataSource === "as collected"),
  "opentsdb:http": () => opentsdbHttp,
  "graphite:http": () => graphiteHttp,
};

/**
 * Loads the connectors `types` need beyond the built-in ones. Remote
 * write's protobuf library reads the environment (BUF_BIGINT_DISABLE) as
 * it loads, so it is loaded only for a config that uses it, which is then
 * given that one variable (see permissions).
 */
export async function loadConnectors(
  types: Iterable<ConnectorType>,
): Promise<void> {
  for (const t of types) {
    if (t === "prometheus_remote_write" && !CONNECTORS[t]) {
      CONNECTORS[t] = (await import("./remote_write.ts")).remoteWrite;
    }
  }
}

/** The connector of an instance; undefined when skiff has none (or it is not loaded). */
export function connectorFor(config: ExportingInstance): Connector | undefined {
  return CONNECTORS[config.type]?.(config);
}
