/**
 * `/api/v1/info`, `/api/v1/charts` and `/api/v1/chart`, laid out as netdata
 * 1.37 writes them (web_api_v1.c, charts2json.c, rrdset2json.c): the same
 * keys in the same order, tabs and newlines included, strings written raw
 * as netdata writes them. What skiff does not have (alarms, functions,
 * ACLK) is empty or false, as in a netdata with health and cloud off.
 *
 * @module
 */

import { SKIFF_VERSION } from "../collect/mod.ts";
import type { Config } from "../config/mod.ts";
import type { Chart, Database, Host } from "../storage/mod.ts";
import { type HttpAnswer, jsonAnswer, textAnswer } from "./http.ts";

/** netdata's available_for_viewers(). */
export function viewable(c: Chart): boolean {
  return !c.hidden && !c.obsolete && c.dimensions.length > 0;
}

/** netdata's first entry of a ram chart: one update every before the oldest slot. */
export function netdataFirstEntry(c: Chart): number {
  return c.counter === 0 ? 0 : c.firstEntrySec() - c.updateEverySec;
}

function jsonEscapeQuotes(s: string): string {
  return s.replace(/[\\"]/g, "\\$&");
}

/** The chart's labels as netdata lists them: where it was collected first. */
function chartLabels(c: Chart): Map<string, string> {
  const m = new Map<string, string>([
    ["_collect_plugin", c.plugin],
    ["_collect_module", c.module],
  ]);
  for (const [k, v] of c.labels) m.set(k, v);
  return m;
}

/** netdata's rrdset2json(): one chart, indented for the charts list. */
export function chartJson(c: Chart): string {
  const last = c.lastEntrySec();
  const first = netdataFirstEntry(c);
  const dims = c.dimensions.filter((d) => !d.hidden && !d.obsolete);
  const labels = [...chartLabels(c)].map(([k, v]) => `\t\t\t\t"${k}":"${v}"`);
  return "\t\t{\n" +
    `\t\t\t"id": "${c.id}",\n` +
    `\t\t\t"name": "${c.name}",\n` +
    `\t\t\t"type": "${c.type}",\n` +
    `\t\t\t"family": "${c.family}",\n` +
    `\t\t\t"context": "${c.context}",\n` +
    `\t\t\t"title": "${c.title} (${c.name})",\n` +
    `\t\t\t"priority": ${c.priority},\n` +
    `\t\t\t"plugin": "${c.plugin}",\n` +
    `\t\t\t"module": "${c.module}",\n` +
    `\t\t\t"units": "${c.units}",\n` +
    `\t\t\t"data_url": "/api/v1/data?chart=${c.name}",\n` +
    `\t\t\t"chart_type": "${c.chartType}",\n` +
    `\t\t\t"duration": ${last - first + c.updateEverySec},\n` +
    `\t\t\t"first_entry": ${first},\n` +
    `\t\t\t"last_entry": ${last},\n` +
    `\t\t\t"update_every": ${c.updateEverySec},\n` +
    '\t\t\t"dimensions": {\n' +
    dims.map((d) =>
      `\t\t\t\t"${jsonEscapeQuotes(d.id)}": { "name": "${
        jsonEscapeQuotes(d.name)
      }" }`
    ).join(",\n") +
    "\n\t\t\t},\n" +
    '\t\t\t"chart_variables": {\n\t\t\t},\n' +
    // green and red: thresholds a collector sets on its own host only
    // (they are not streamed); skiff's collectors set none.
    '\t\t\t"green": null,\n\t\t\t"red": null,\n' +
    '\t\t\t"alarms": {\n\n\t\t\t},\n' +
    '\t\t\t"chart_labels": {\n' + labels.join(",\n") + "\n\t\t\t},\n" +
    '\t\t\t"functions": {\n\t\t\t}\n' +
    "\t\t}";
}

/** The update every a host collects at: the local config's, or its charts' most common. */
function hostUpdateEvery(db: Database, host: Host, config: Config): number {
  if (host === db.localhost) return config.global.updateEverySec;
  const n = new Map<number, number>();
  for (const c of host.charts.values()) {
    n.set(c.updateEverySec, (n.get(c.updateEverySec) ?? 0) + 1);
  }
  let best = 1;
  let most = 0;
  for (const [ue, k] of n) if (k > most) [best, most] = [ue, k];
  return best;
}

/** `/api/v1/charts`. */
export function chartsAnswer(
  db: Database,
  host: Host,
  config: Config,
): HttpAnswer {
  const charts = [...host.charts.values()].filter(viewable);
  let dims = 0;
  let bytes = 0;
  for (const c of charts) {
    for (const d of c.dimensions) {
      if (d.hidden || d.obsolete) continue;
      dims++;
      bytes += d.ring.bytes;
    }
  }
  const hosts = [...db.hosts()];
  const body = "{\n" +
    `\t"hostname": "${host.hostname}",\n` +
    `\t"version": "${versionOf(host)}",\n` +
    '\t"release_channel": "stable",\n' +
    `\t"os": "${host.os || "linux"}",\n` +
    `\t"timezone": "${host.timezone || timezone()}",\n` +
    `\t"update_every": ${hostUpdateEvery(db, host, config)},\n` +
    `\t"history": ${config.global.historyEntries},\n` +
    '\t"memory_mode": "ram",\n' +
    '\t"custom_info": "",\n' +
    '\t"charts": {' +
    charts.map((c, i) => `${i ? "," : ""}\n\t\t"${c.id}": ${chartJson(c)}`)
      .join("") +
    "\n\t},\n" +
    `\t"charts_count": ${charts.length},\n` +
    `\t"dimensions_count": ${dims},\n` +
    '\t"alarms_count": 0,\n' +
    `\t"rrd_memory_bytes": ${bytes},\n` +
    `\t"hosts_count": ${hosts.length},\n` +
    '\t"hosts": [' +
    hosts.map((h, i) =>
      `${i ? "," : ""}\n\t\t{\n\t\t\t"hostname": "${h.hostname}"\n\t\t}`
    ).join("") +
    "\n\t]\n}\n";
  return jsonAnswer(body, true);
}

/** `/api/v1/chart?chart=ID` (or name). */
export function chartAnswer(host: Host, q: URLSearchParams): HttpAnswer {
  const id = q.get("chart") ?? "";
  if (id === "") return textAnswer(400, "No chart id is given at the request.");
  const chart = host.chartByIdOrName(id);
  if (!chart) return textAnswer(404, `Chart is not found: ${htmlEscape(id)}`);
  return jsonAnswer(chartJson(chart), true);
}

function htmlEscape(s: string): string {
  return s.replace(/[&<>"/']/g, (c) =>
    ({
      "&": "&amp;",
      "<": "&lt;",
      ">": "&gt;",
      '"': "&quot;",
      "/": "&#x2F;",
      "'": "&#x27;",
    })[c]!);
}

function versionOf(host: Host): string {
  return host.isLocal
    ? `skiff-${SKIFF_VERSION}`
    : host.programVersion || "unknown";
}

function timezone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone ?? "UTC";
}

/**
 * `/api/v1/info` keys -> the stream request's NETDATA_* keys a child sends
 * them as; `always` keys are printed even when unknown.
 */
const SYSTEM_INFO: [key: string, param: string, always: boolean][] = [
  ["os_name", "NETDATA_SYSTEM_OS_NAME", true],
  ["os_id", "NETDATA_SYSTEM_OS_ID", true],
  ["os_id_like", "NETDATA_SYSTEM_OS_ID_LIKE", true],
  ["os_version", "NETDATA_SYSTEM_OS_VERSION", true],
  ["os_version_id", "NETDATA_SYSTEM_OS_VERSION_ID", true],
  ["os_detection", "NETDATA_SYSTEM_OS_DETECTION", true],
  ["cores_total", "NETDATA_SYSTEM_CPU_LOGICAL_CPU_COUNT", true],
  ["total_disk_space", "NETDATA_SYSTEM_TOTAL_DISK_SIZE", true],
  ["cpu_freq", "NETDATA_SYSTEM_CPU_FREQ", true],
  ["ram_total", "NETDATA_SYSTEM_TOTAL_RAM", true],
  ["container_os_name", "NETDATA_CONTAINER_OS_NAME", false],
  ["container_os_id", "NETDATA_CONTAINER_OS_ID", false],
  ["container_os_id_like", "NETDATA_CONTAINER_OS_ID_LIKE", false],
  ["container_os_version", "NETDATA_CONTAINER_OS_VERSION", false],
  ["container_os_version_id", "NETDATA_CONTAINER_OS_VERSION_ID", false],
  ["container_os_detection", "NETDATA_CONTAINER_OS_DETECTION", false],
  ["is_k8s_node", "NETDATA_HOST_IS_K8S_NODE", false],
  ["kernel_name", "NETDATA_SYSTEM_KERNEL_NAME", true],
  ["kernel_version", "NETDATA_SYSTEM_KERNEL_VERSION", true],
  ["architecture", "NETDATA_SYSTEM_ARCHITECTURE", true],
  ["virtualization", "NETDATA_SYSTEM_VIRTUALIZATION", true],
  ["virt_detection", "NETDATA_SYSTEM_VIRT_DETECTION", true],
  ["container", "NETDATA_SYSTEM_CONTAINER", true],
  ["container_detection", "NETDATA_SYSTEM_CONTAINER_DETECTION", true],
  ["cloud_provider_type", "NETDATA_INSTANCE_CLOUD_TYPE", false],
  ["cloud_instance_type", "NETDATA_INSTANCE_CLOUD_INSTANCE_TYPE", false],
  ["cloud_instance_region", "NETDATA_INSTANCE_CLOUD_INSTANCE_REGION", false],
];

/** What skiff knows of its own system without more permissions. */
function localInfo(): Map<string, string> {
  return new Map([
    [
      "NETDATA_SYSTEM_CPU_LOGICAL_CPU_COUNT",
      String(navigator.hardwareConcurrency),
    ],
    [
      "NETDATA_SYSTEM_KERNEL_NAME",
      Deno.build.os === "linux" ? "Linux" : Deno.build.os,
    ],
    ["NETDATA_SYSTEM_ARCHITECTURE", Deno.build.arch],
  ]);
}

/** Requests served, by kind (netdata's analytics counters). */
export interface Usage {
  prometheus: number;
  shell: number;
  json: number;
  dashboard: number;
}

/** `/api/v1/info`. */
export function infoAnswer(
  db: Database,
  host: Host,
  config: Config,
  used: Usage,
): HttpAnswer {
  const info = host.isLocal ? localInfo() : host.info;
  const hosts = [...db.hosts()];
  const connectors = [
    ...new Set(config.exporting.filter((i) => i.enabled).map((i) => i.type)),
  ];
  const viewableCharts = [...host.charts.values()].filter(viewable);
  let metrics = 0;
  for (const c of viewableCharts) {
    for (const d of c.dimensions) if (!d.hidden && !d.obsolete) metrics++;
  }
  const lines: string[] = [];
  for (const [key, p, always] of SYSTEM_INFO) {
    const v = info.get(p);
    if (v === undefined && !always) continue;
    lines.push(`\t"${key}": "${v ?? "unknown"}",\n`);
  }
  const labels = [...host.labels].map(([k, l]) => `\t\t"${k}":"${l.value}"`);
  const collectors: string[] = [];
  const seen = new Set<string>();
  for (const c of host.charts.values()) {
    if (!viewable(c)) continue;
    const k = `${c.plugin}\0${c.module}`;
    if (seen.has(k)) continue;
    seen.add(k);
    collectors.push(
      `\n\t\t{\n\t\t\t"plugin": "${c.plugin}",\n\t\t\t"module": "${c.module}"\n\t\t}`,
    );
  }
  const body = "{\n" +
    `\t"version": "${versionOf(host)}",\n` +
    `\t"uid": "${host.machineGuid}",\n` +
    '\t"mirrored_hosts": [\n' +
    hosts.map((h) => `\t\t"${h.hostname}"`).join(",\n") + "\n\t],\n" +
    '\t"mirrored_hosts_status": [\n' +
    hosts.map((h) =>
      `\t\t{ "guid": "${h.machineGuid}", "hostname": "${h.hostname}", "reachable": ${
        h.isLocal || h.connected
      }, "hops": ${h.isLocal ? 0 : 1}, "claim_id": null, "node_id": null }`
    ).join(",\n") + "\n\t],\n" +
    '\t"alarms": {\n\t\t"normal": 0,\n\t\t"warning": 0,\n\t\t"critical": 0\n\t},\n' +
    lines.join("") +
    '\t"host_labels": {\n' + labels.join(",\n") + "\n\t},\n" +
    '\t"functions": {\n\n\t},\n' +
    '\t"collectors": [' + collectors.join(",") + "\n\t],\n" +
    '\t"cloud-enabled": false,\n\t"cloud-available": false,\n\t"agent-claimed": false,\n\t"aclk-available": false,\n' +
    '\t"memory-mode": "ram",\n' +
    '\t"multidb-disk-quota": null,\n' +
    '\t"page-cache-size": null,\n' +
    `\t"stream-enabled": ${config.stream.enabled},\n` +
    `\t"stream-compression": ${
      config.stream.enabled ? config.stream.enableCompression : null
    },\n` +
    `\t"hosts-available": ${hosts.length},\n` +
    '\t"https-enabled": false,\n' +
    '\t"buildinfo": "skiff",\n' +
    '\t"release-channel": "stable",\n' +
    '\t"web-enabled": true,\n' +
    '\t"notification-methods": null,\n' +
    `\t"exporting-enabled": ${connectors.length > 0},\n` +
    `\t"exporting-connectors": ${
      connectors.length > 0 ? `"${connectors.join("|")}"` : null
    },\n` +
    `\t"allmetrics-prometheus-used": ${used.prometheus},\n` +
    `\t"allmetrics-shell-used": ${used.shell},\n` +
    `\t"allmetrics-json-used": ${used.json},\n` +
    `\t"dashboard-used": ${used.dashboard},\n` +
    `\t"charts-count": ${viewableCharts.length},\n` +
    `\t"metrics-count": ${metrics}\n` +
    "}";
  return jsonAnswer(body);
}
