/**
 * The host a connector formats in unit tests and benchmarks.
 *
 * @module
 */
import type { HostFormat } from "../../lib/export/connectors/types.ts";

/** Host "edge-1", collected by skiff 0.1.0, with `overrides` applied. */
export function edgeHost(overrides: Partial<HostFormat> = {}): HostFormat {
  return {
    hostname: "edge-1",
    tags: "",
    labelsConfigured: true,
    labels: [["_is_ephemeral", "false"]],
    suffix: "",
    program: "skiff",
    programVersion: "0.1.0",
    variables: new Map(),
    nowMs: 0,
    ...overrides,
  };
}
