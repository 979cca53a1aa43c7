/**
 * The exporting engine: instances, connectors, windows, buffers, transport.
 *
 * @module
 */
export { ExportEngine } from "./engine.ts";
export type { EngineOptions } from "./engine.ts";
export { ExportInstance } from "./instance.ts";
export type { Accounting, CycleReport, InstanceOptions } from "./instance.ts";
export type { Dialer, Link } from "./transport.ts";
export type { Batch } from "./buffer.ts";
export { loadConnectors } from "./connectors/mod.ts";
