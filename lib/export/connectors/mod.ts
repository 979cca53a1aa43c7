/**
 * The table of connectors: adding a backend is one file and one line here.
 *
 * @module
 */
import { graphite } from "./graphite.ts";
import { opentsdb } from "./opentsdb.ts";
import type { Connector } from "./types.ts";

export type { Connector, MetricLine } from "./types.ts";

/** Every connector, by canonical `[backend] type`. */
export const CONNECTORS: Record<string, Connector> = {
  graphite,
  opentsdb,
};
