/**
 * `/api/v1/allmetrics`: every chart's latest values as netdata 1.37 serves
 * them, `format=shell|json|prometheus|prometheus_all_hosts`, byte for byte
 * (web/api/exporters/allmetrics.c, shell/allmetrics_shell.c,
 * exporting/prometheus/prometheus.c).
 *
 * shell and json print each dimension's last stored value. prometheus
 * averages (or sums) the stored points since the same scraper's previous
 * scrape: netdata keeps the last access per `server` (the `server=`
 * parameter, else the client's address, loopback as `localhost`), and a
 * first scrape reads `[prometheus:exporter] update every` seconds back. The
 * windows are the exporting engine's (lib/export/window.ts), so a series
 * scraped here matches the same series exported.
 *
 * @module
 */

import type { PrometheusExporterValues } from "../config/mod.ts";
import { DATA_SOURCES } from "../config/mod.ts";
import { exportWindow } from "../export/window.ts";
import { compileSimplePattern } from "../simple_pattern.ts";
import { aggregate, type AggregateResult } from "../storage/mod.ts";
import type { Chart, Database, Dimension, Host } from "../storage/mod.ts";
import type { HttpAnswer } from "./http.ts";
import { textAnswer } from "./http.ts";
import { viewable } from "./charts.ts";
import { printfFixed } from "./numbers.ts";

/** Each scraper's last access (s), by server and host GUID. */
export type AllmetricsState = Map<string, number>;

/** What an allmetrics request is answered from. */
export interface AllmetricsContext {
  db: Database;
  host: Host;
  config: PrometheusExporterValues;
  state: AllmetricsState;
  /** The client's address. */
  peer: string;
}

type Source = "average" | "sum" | "as collected";

/** netdata's RRDLABEL_SRC_AUTO and RRDLABEL_SRC_CONFIG bits. */
const LABEL_AUTO = 1;
const LABEL_CONFIG = 2;

const FORMATS = new Set([
  "shell",
  "json",
  "prometheus",
  "prometheus_all_hosts",
]);

function sourceOf(v: string): Source | undefined {
  const s = (DATA_SOURCES as Record<string, string>)[v];
  return s === "average" || s === "sum" || s === "as collected" ? s : undefined;
}

/** The request's parameters, over the config's. */
interface Params {
  format: string;
  filter: string | undefined;
  server: string;
  prefix: string;
  source: Source;
  help: boolean;
  types: boolean;
  names: boolean;
  timestamps: boolean;
  variables: boolean;
  oldunits: boolean;
  hideunits: boolean;
}

function params(
  q: URLSearchParams,
  ctx: AllmetricsContext,
): Params | undefined {
  const c = ctx.config;
  const peer = ctx.peer.replace(/^::ffff:/, "");
  const p: Params = {
    format: "shell",
    filter: undefined,
    server: peer === "127.0.0.1" || peer === "::1" ? "localhost" : peer,
    prefix: c.prefix,
    source: (c.dataSource as Source) ?? "average",
    help: false,
    types: false,
    names: c.sendNames,
    timestamps: true,
    variables: false,
    oldunits: false,
    hideunits: false,
  };
  const flag = (v: string) => v === "yes" || v === "1" || v === "true";
  for (const [name, value] of q) {
    if (name === "" || value === "") continue;
    switch (name) {
      case "format":
        if (!FORMATS.has(value)) return undefined;
        p.format = value;
        break;
      case "filter":
        p.filter = value;
        break;
      case "server":
        p.server = value;
        break;
      case "prefix":
        p.prefix = value;
        break;
      case "data":
      case "source":
      case "data source":
      case "data-source":
      case "data_source":
      case "datasource":
        p.source = sourceOf(value) ?? p.source;
        break;
      case "help":
      case "types":
      case "names":
      case "timestamps":
      case "variables":
      case "oldunits":
      case "hideunits":
        p[name] = flag(value);
        break;
    }
  }
  return p;
}

/** `/api/v1/allmetrics` at `nowMs`. */
export function allmetricsAnswer(
  ctx: AllmetricsContext,
  q: URLSearchParams,
  nowMs: number,
): HttpAnswer {
  const p = params(q, ctx);
  if (!p) {
    return textAnswer(
      400,
      "Which format? 'shell', 'prometheus', 'prometheus_all_hosts' and 'json' are currently supported.",
    );
  }
  switch (p.format) {
    case "json":
      return {
        status: 200,
        contentType: "application/json; charset=utf-8",
        body: allmetricsJson(ctx.host, p.filter),
      };
    case "prometheus":
    case "prometheus_all_hosts":
      return {
        status: 200,
        contentType: "text/plain; version=0.0.4",
        body: prometheus(ctx, p, nowMs, p.format === "prometheus"),
      };
    default:
      return textAnswer(200, allmetricsShell(ctx.host, p.filter));
  }
}

/**
 * The first `maxBytes` UTF-8 bytes of `s`, each ASCII letter or digit kept
 * and every other byte `_` (netdata's name sanitizers).
 */
function alnumBytes(s: string, maxBytes: number): string {
  let out = "";
  for (const ch of new TextEncoder().encode(s).subarray(0, maxBytes)) {
    const c = String.fromCharCode(ch);
    out += /[A-Za-z0-9]/.test(c) ? c : "_";
  }
  return out;
}

/** allmetrics_shell.c's name: A-Z, 0-9 and `_`, upper case, 100 bytes at most. */
function shellName(s: string): string {
  return alnumBytes(s, 100).toUpperCase();
}

function exported(d: Dimension): boolean {
  return d.collectionsCounter > 0 && !d.obsolete;
}

/** format=shell: NETDATA_CHART_DIM="value" lines. */
export function allmetricsShell(host: Host, filter?: string): string {
  const match = filter !== undefined ? compileSimplePattern(filter) : undefined;
  let s = "";
  for (const c of host.charts.values()) {
    if (match && !match(c.name)) continue;
    const cn = shellName(c.name || c.id);
    s += `\n# chart: ${c.id} (name: ${c.name})\n`;
    if (!viewable(c)) continue;
    let total = 0;
    for (const d of c.dimensions) {
      if (!exported(d)) continue;
      const dn = shellName(d.name || d.id);
      let n = d.lastStoredValue;
      if (!Number.isFinite(n)) {
        s += `NETDATA_${cn}_${dn}=""      # ${c.units}\n`;
        continue;
      }
      if (d.multiplier < 0 || d.divisor < 0) n = -n;
      n = cRound(n);
      if (!d.hidden) total += n;
      s += `NETDATA_${cn}_${dn}="${printfFixed(n, 0)}"      # ${c.units}\n`;
    }
    s += `NETDATA_${cn}_VISIBLETOTAL="${
      printfFixed(cRound(total), 0)
    }"      # ${c.units}\n`;
  }
  return s + "\n# NETDATA ALARMS RUNNING\n";
}

/** C's round(): half away from zero, the sign of zero kept. */
function cRound(x: number): number {
  const r = Math.sign(x) * Math.round(Math.abs(x));
  return r === 0 ? (x < 0 || Object.is(x, -0) ? -0 : 0) : r;
}

/** format=json. */
export function allmetricsJson(host: Host, filter?: string): string {
  const match = filter !== undefined ? compileSimplePattern(filter) : undefined;
  let s = "{";
  let cc = 0;
  for (const c of host.charts.values()) {
    if (match && !(match(c.id) || match(c.name))) continue;
    if (!viewable(c)) continue;
    s += `${cc++ ? "," : ""}\n\t"${c.id}": {\n\t\t"name":"${c.name}",\n` +
      `\t\t"family":"${c.family}",\n\t\t"context":"${c.context}",\n` +
      `\t\t"units":"${c.units}",\n\t\t"last_updated": ${c.lastEntrySec()},\n` +
      '\t\t"dimensions": {';
    let dc = 0;
    for (const d of c.dimensions) {
      if (!exported(d)) continue;
      const v = d.lastStoredValue;
      s +=
        `${
          dc++ ? "," : ""
        }\n\t\t\t"${d.id}": {\n\t\t\t\t"name": "${d.name}",\n` +
        `\t\t\t\t"value": ${Number.isNaN(v) ? "null" : printfFixed(v, 7)}` +
        "\n\t\t\t}";
    }
    s += "\n\t\t}\n\t}";
  }
  return s + "\n}";
}

/** prometheus.c's name_copy: every byte not ASCII alphanumeric becomes `_`. */
function promName(s: string): string {
  return alnumBytes(s, 256);
}

/** prometheus.c's label_copy: `"`, `\` and newline escaped. */
function promLabel(s: string): string {
  return s.replace(/["\\\n]/g, "\\$&");
}

const OLD_UNITS: Record<string, string> = {
  "KiB/s": "kilobytes/s",
  "MiB/s": "MB/s",
  "GiB/s": "GB/s",
  KiB: "KB",
  MiB: "MB",
  GiB: "GB",
  inodes: "Inodes",
  percentage: "percent",
  "faults/s": "page faults/s",
  "KiB/operation": "kilobytes per operation",
  "milliseconds/operation": "ms per operation",
};

/** prometheus.c's units_copy. */
function promUnits(u: string, old: boolean): string {
  if (old) u = OLD_UNITS[u] ?? u;
  if (u === "%") return "_percent";
  let r = "_" + promName(u);
  if (u.length >= 3 && u.endsWith("/s")) r = r.slice(0, -2) + "_persec";
  return r;
}

/** netdata's chart filter for allmetrics (prometheus.c can_send_rrdset). */
function chartSender(
  ctx: AllmetricsContext,
  filter: string | undefined,
): (c: Chart) => boolean {
  const match = compileSimplePattern(filter ?? ctx.config.sendChartsMatching);
  const byName = ctx.config.sendNames;
  return (c) =>
    match(byName ? c.name : c.id) && !c.obsolete && c.dimensions.length > 0;
}

function prometheus(
  ctx: AllmetricsContext,
  p: Params,
  nowMs: number,
  single: boolean,
): string {
  const now = Math.floor(nowMs / 1000);
  const key = `${p.server || "default"}\0${ctx.host.machineGuid}`;
  let after = ctx.state.get(key) ?? 0;
  ctx.state.set(key, now);
  const firstSeen = after === 0;
  if (firstSeen) after = now - ctx.config.updateEverySec;
  if (after > now) after = now - ctx.config.updateEverySec;
  let s = "";
  if (p.help) {
    s += `# COMMENT netdata "${ctx.host.hostname}" to ${
      firstSeen ? "FIRST SEEN " : ""
    }prometheus "${p.server}", source "${p.source}", last seen ${
      firstSeen ? 0 : now - after
    } ${
      firstSeen ? "never" : "seconds ago"
    }, time range ${after} to ${now}\n\n`;
  }
  const hosts = single ? [ctx.host] : [...ctx.db.hosts()];
  const send = chartSender(ctx, p.filter);
  for (const h of hosts) {
    s += promHost(ctx, p, h, !single, after, now, nowMs, send);
  }
  return s;
}

function promHost(
  ctx: AllmetricsContext,
  p: Params,
  h: Host,
  allHosts: boolean,
  after: number,
  before: number,
  nowMs: number,
  send: (c: Chart) => boolean,
): string {
  const cfg = ctx.config;
  const hn = promLabel(h.hostname);
  const labels: string[] = [];
  for (const [k, l] of h.labels) {
    const ok = (cfg.sendConfiguredLabels && (l.source & LABEL_CONFIG) !== 0) ||
      (cfg.sendAutomaticLabels && (l.source & LABEL_AUTO) !== 0);
    if (!ok) continue;
    const name = promName(k);
    const value = promLabel(l.value);
    if (name !== "" && value !== "") labels.push(`${name}="${value}"`);
  }
  let s = `netdata_info{instance="${hn}",application="${
    h.program || "netdata"
  }",version="${h.programVersion}"${
    labels.length ? "," + labels.join(",") : ""
  }} 1${p.timestamps ? ` ${Math.floor(nowMs)}` : ""}\n`;
  const lbl = allHosts ? `,instance="${hn}"` : "";
  const agg: AggregateResult = { value: NaN, count: 0 };
  for (const c of h.charts.values()) {
    if (!send(c)) continue;
    const chart = promLabel(p.names && c.name ? c.name : c.id);
    const family = promLabel(c.family);
    const context = promName(c.context);
    const units = p.source === "average" && !p.hideunits
      ? promUnits(c.units, p.oldunits)
      : "";
    const asCollected = p.source === "as collected";
    const homogeneous = !asCollected || isHomogeneous(c);
    if (p.help) {
      s += `\n# COMMENT ${
        homogeneous ? "homogeneous" : "heterogeneous"
      } chart "${
        p.names && c.name ? c.name : c.id
      }", context "${c.context}", family "${c.family}", units "${c.units}"\n`;
    }
    for (const d of c.dimensions) {
      if (!exported(d)) continue;
      const dimName = p.names && d.name ? d.name : d.id;
      if (asCollected) {
        s += asCollectedLine(p, c, d, dimName, {
          chart,
          family,
          context,
          lbl,
          homogeneous,
          after,
        });
        continue;
      }
      const w = exportWindow(
        after,
        before,
        c.updateEverySec,
        c.firstEntrySec(),
        c.lastEntrySec(),
      );
      if (!w) continue;
      aggregate(
        c,
        d,
        w.from,
        w.to,
        cfg.dataSource === "sum" ? "sum" : "average",
        agg,
      );
      if (!Number.isFinite(agg.value)) continue;
      const suffix = p.source === "average" ? "_average" : "_sum";
      const m = `${p.prefix}_${context}${units}${suffix}`;
      if (p.help) {
        s +=
          `# COMMENT ${m}: dimension "${dimName}", value is ${c.units}, gauge, dt ${after} to ${w.to} inclusive\n`;
      }
      if (p.types) s += `# TYPE ${m} gauge\n`;
      s += `${m}{chart="${chart}",family="${family}",dimension="${
        promLabel(dimName)
      }"${lbl}} ${printfFixed(agg.value, 7)}${
        p.timestamps ? ` ${w.to * 1000}` : ""
      }\n`;
    }
  }
  return s;
}

/** prometheus.c's homogeneity check, quirk included (a negative first multiplier). */
function isHomogeneous(c: Chart): boolean {
  const dims = c.dimensions;
  if (dims.length === 0) return true;
  const alg = dims[0].algorithm;
  const mul = dims[0].multiplier;
  const div = Math.abs(dims[0].divisor);
  for (let i = 1; i < dims.length; i++) {
    const d = dims[i];
    if (
      d.algorithm !== alg || Math.abs(d.multiplier) !== mul ||
      Math.abs(d.divisor) !== div
    ) return false;
  }
  return true;
}

function asCollectedLine(
  p: Params,
  c: Chart,
  d: Dimension,
  dimName: string,
  o: {
    chart: string;
    family: string;
    context: string;
    lbl: string;
    homogeneous: boolean;
    after: number;
  },
): string {
  if (Math.floor(d.lastCollectedTimeMs / 1000) < o.after) return "";
  const fromPrometheus = c.module === "prometheus";
  const counter = d.algorithm === "incremental" ||
    d.algorithm === "percentage-of-incremental-row";
  const type = counter ? "counter" : "gauge";
  const rel = counter ? "delta gives" : "gives";
  const sfx = counter && !fromPrometheus ? "_total" : "";
  let n: string;
  let labels: string;
  if (o.homogeneous) {
    n = `${p.prefix}_${o.context}`;
    labels = `{chart="${o.chart}",family="${o.family}",dimension="${
      promLabel(dimName)
    }"${o.lbl}}`;
  } else {
    n = `${p.prefix}_${o.context}_${promName(dimName)}`;
    labels = `{chart="${o.chart}",family="${o.family}"${o.lbl}}`;
  }
  let s = "";
  if (p.help) {
    s += `# COMMENT ${n}${sfx}: chart "${
      p.names && c.name ? c.name : c.id
    }", context "${c.context}", family "${c.family}", dimension "${dimName}", value * ${
      fromPrometheus ? "1 / 1" : `${d.multiplier} / ${d.divisor}`
    } ${rel} ${c.units} (${type})\n`;
  }
  // netdata's TYPE line leaves out the _total its metric line has.
  if (p.types) s += `# TYPE ${n} ${type}\n`;
  const value = fromPrometheus
    ? printfFixed(d.lastCollectedValue * d.multiplier / d.divisor, 7)
    : BigInt(Math.trunc(d.lastCollectedValue)).toString();
  return s +
    `${n}${sfx}${labels} ${value}${
      p.timestamps ? ` ${Math.floor(d.lastCollectedTimeMs)}` : ""
    }\n`;
}
