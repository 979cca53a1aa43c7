/**
 * The table of connectors: adding one is a file and a line here.
 *
 * @module
 */
import type { ConnectorType } from "../../config/schema.ts";
import { graphite } from "./graphite.ts";
import { opentsdb } from "./opentsdb.ts";
import type { Connector } from "./types.ts";

export type { Connector, HostFormat, MetricFormat } from "./types.ts";

/** Every connector skiff has, by canonical type. */
export const CONNECTORS: Partial<Record<ConnectorType, Connector>> = {
  graphite,
  opentsdb,
};
