/**
 * Collectors: the loop that runs one every `update every` seconds
 * ({@link runCollector}), skiff's own charts ({@link SelfCollector}) and
 * netdata's plugins.d plugins ({@link PluginRunner}, found by
 * {@link discoverPlugins}).
 *
 * The `/proc` collector is lib/collect/proc/mod.ts, not re-exported here:
 * some 50 modules of parsers and charts, imported only when enabled.
 *
 * @module
 */
export { runCollector } from "./collector.ts";
export type { Collector, Durations } from "./collector.ts";
export { SelfCollector } from "./self.ts";
export { discoverPlugins, PluginRunner, SKIFF_VERSION } from "./plugins_d.ts";
export type { PluginEntry, PluginState } from "./plugins_d.ts";
