/**
 * The table of connectors: adding one is a file and a line here.
 *
 * @module
 */
import type { ExportingInstance } from "../../config/exporting.ts";
import type { ConnectorType } from "../../config/schema.ts";
import { graphite, graphiteHttp } from "./graphite.ts";
import { jsonHttp, jsonLines } from "./json.ts";
import { opentsdb, opentsdbHttp } from "./opentsdb.ts";
import type { Connector } from "./types.ts";

export type { Connector, HostFormat, MetricFormat } from "./types.ts";

/** Makes an instance's connector (a connector may depend on its config). */
export type ConnectorFactory = (config: ExportingInstance) => Connector;

/** Every connector skiff has, by canonical type. */
export const CONNECTORS: Partial<Record<ConnectorType, ConnectorFactory>> = {
  graphite: () => graphite,
  opentsdb: () => opentsdb,
  json: (c) => jsonLines(c.dataSource === "as collected"),
  "json:http": (c) => jsonHttp(c.dataSource === "as collected"),
  "opentsdb:http": () => opentsdbHttp,
  "graphite:http": () => graphiteHttp,
};
