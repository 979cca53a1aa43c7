/**
 * The in-memory round-robin database.
 *
 * @module
 */
export * from "./rrd.ts";
export * from "./query.ts";
export * from "./storage_number.ts";
