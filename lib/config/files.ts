/**
 * The names of the files a config brings along, for the parser and for the
 * permissions it needs (a module of its own, so that lib/config/mod.ts can
 * re-export the permissions module without an import cycle).
 *
 * @module
 */

/** The name of netdata's exporting config, read from beside the config file. */
export const EXPORTING_CONF = "exporting.conf";
