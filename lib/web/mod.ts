/**
 * skiff's web API on its listener: netdata 1.37's read API (info, charts,
 * chart, data, allmetrics) for every host, `/status` and the status page.
 *
 * @module
 */
export { WebApi } from "./api.ts";
export type { WebOptions, WebStats } from "./api.ts";
export { statusDocument } from "./status.ts";
export type { StatusSources } from "./status.ts";
export { formatAnswer, parseRequestHead } from "./http.ts";
export type { HttpAnswer, HttpRequest } from "./http.ts";
export { queryWindow } from "./data.ts";
export { printfFixed, printNetdataDouble } from "./numbers.ts";
