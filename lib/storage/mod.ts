/**
 * The in-memory round-robin database.
 *
 * @module
 */
export * from "./rrd.ts";
export * from "./query.ts";
export * from "./storage_number.ts";
export { arenaBytes } from "./arena.ts";
export { PAGE_SLOTS, slabPages } from "./ring.ts";
