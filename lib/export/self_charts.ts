/**
 * The exporting engine's own charts, with netdata 1.37's ids, dimensions,
 * units and priorities (exporting/send_internal_metrics.c).
 *
 * @module
 */

import type { Chart, Host } from "../storage/mod.ts";
import { fixChartId } from "./format.ts";

/** An instance's four charts. */
export interface InstanceCharts {
  metrics: Chart;
  bytes: Chart;
  ops: Chart;
  cpu: Chart;
}

const HISTORY = 3600;

/**
 * `netdata.exporting_<name>_{metrics,bytes,ops,thread_cpu}`; for the
 * legacy `[backend]`, the seed's `netdata.backend_*`.
 */
export function createInstanceCharts(
  host: Host,
  name: string,
  updateEverySec: number,
  legacy: boolean,
): InstanceCharts {
  const base = legacy ? "backend" : `exporting_${name}`;
  const family = legacy ? "backend" : `exporting_${name}`;
  const chart = (
    suffix: string,
    context: string,
    title: string,
    units: string,
    priority: number,
    chartType: "line" | "area" | "stacked",
  ) =>
    host.addChart({
      id: `netdata.${fixChartId(`${base}_${suffix}`)}`,
      title,
      units,
      family,
      context: legacy ? `netdata.backend_${suffix}` : context,
      priority,
      updateEverySec,
      history: HISTORY,
      chartType,
      plugin: "skiff",
      module: "exporting",
    });
  const metrics = chart(
    "metrics",
    "exporting_buffer",
    "Netdata Buffered Metrics",
    "metrics",
    130610,
    "line",
  );
  for (const d of ["buffered", "lost", "sent"]) metrics.addDimension(d);
  const bytes = chart(
    "bytes",
    "exporting_data_size",
    "Netdata Exporting Data Size",
    "KiB",
    130620,
    "area",
  );
  for (const d of ["buffered", "lost", "sent", "received"]) {
    bytes.addDimension(d, { divisor: 1024 });
  }
  const ops = chart(
    "ops",
    "exporting_operations",
    "Netdata Exporting Operations",
    "operations",
    130630,
    "line",
  );
  for (const d of ["write", "discard", "reconnect", "failure", "read"]) {
    ops.addDimension(d);
  }
  const cpu = chart(
    "thread_cpu",
    "exporting_instance",
    "Netdata Exporting Instance Thread CPU Usage",
    "milliseconds/s",
    130640,
    "stacked",
  );
  addCpuDimensions(cpu);
  return { metrics, bytes, ops, cpu };
}

/** `netdata.exporting_main_thread_cpu`: the engine's own formatting CPU. */
export function createMainCpuChart(host: Host, updateEverySec: number): Chart {
  const cpu = host.addChart({
    id: "netdata.exporting_main_thread_cpu",
    title: "Netdata Main Exporting Thread CPU Usage",
    units: "milliseconds/s",
    family: "exporting",
    context: "exporting_cpu_usage",
    priority: 130600,
    updateEverySec,
    history: HISTORY,
    chartType: "stacked",
    plugin: "skiff",
    module: "exporting",
  });
  addCpuDimensions(cpu);
  return cpu;
}

function addCpuDimensions(chart: Chart): void {
  for (const d of ["user", "system"]) {
    chart.addDimension(d, { algorithm: "incremental", divisor: 1000 });
  }
}

/** Sets a chart's dimensions (by id, in order) and completes it at `nowMs`. */
export function completeChart(
  chart: Chart,
  values: Record<string, number>,
  nowMs: number,
): void {
  for (const [id, v] of Object.entries(values)) {
    chart.dimension(id)!.set(v, nowMs);
  }
  chart.done(nowMs * 1000);
}
