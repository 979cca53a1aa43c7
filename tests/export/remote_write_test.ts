/**
 * Prometheus remote write requests, decoded (snappy, then the protobuf
 * WriteRequest through @bufbuild/protobuf's BinaryReader) and compared
 * with the names and labels netdata 1.37's remote_write.c builds. Debian's
 * netdata 1.37 is built without remote write
 * (--disable-exporting-prometheus-remote-write), so these expectations are
 * read from its source, rule by rule.
 */
import { assertEquals } from "../helpers/assert.ts";
import { parseConfig } from "../../lib/config/mod.ts";
import { BatchWriter } from "../../lib/export/buffer.ts";
import {
  decodeWriteRequest,
  heterogeneous,
  prometheusLabel,
  prometheusUnits,
  remoteWrite,
} from "../../lib/export/connectors/remote_write.ts";
import type { DecodedSeries } from "../../lib/export/connectors/remote_write.ts";
import type { MetricFormat } from "../../lib/export/connectors/types.ts";
import { Chart } from "../../lib/storage/rrd.ts";
import { edgeHost } from "../helpers/format.ts";

type Series = DecodedSeries;
const decode = decodeWriteRequest;

function request(conf: string, charts: Chart[], variables = new Map()) {
  const { config, errors } = parseConfig(conf, "t.conf", {
    systemHostname: "edge-1",
  });
  assertEquals(errors, []);
  const c = remoteWrite(config.exporting[0]);
  const out = new BatchWriter();
  const host = edgeHost({
    labels: [["site", 'north "pole"']],
    variables,
    nowMs: 1_700_000_000_500,
  });
  c.startHost!(host);
  for (const chart of charts) {
    for (const d of chart.dimensions) {
      const m: MetricFormat = {
        prefix: "netdata",
        host,
        chart: "",
        dimension: "",
        value: "",
        numericValue: 12.5,
        timestamp: 1_700_000_000,
        timestampMs: 1_700_000_000_250,
        chartInfo: chart,
        dimensionInfo: d,
      };
      c.metric(m, out);
    }
  }
  c.variables!(host, out);
  c.endBatch!(out);
  const b = out.take(true);
  return { series: decode(b.bytes), metrics: b.metrics };
}

const cpu = () => {
  const chart = new Chart({
    id: "system.cpu",
    family: "cpu",
    context: "system.cpu",
    units: "percentage",
    updateEverySec: 1,
    history: 5,
  });
  chart.addDimension("user");
  chart.addDimension("guest_nice", { name: "guest nice" });
  return chart;
};

Deno.test("remote write, as netdata 1.37 builds it", async (t) => {
  await t.step("units, names and labels helpers", () => {
    assertEquals(prometheusUnits("percentage"), "_percentage");
    assertEquals(prometheusUnits("%"), "_percent");
    assertEquals(prometheusUnits("kilobits/s"), "_kilobits_persec");
    assertEquals(prometheusUnits("KiB/s"), "_KiB_persec");
    assertEquals(prometheusUnits(""), "_");
    assertEquals(prometheusLabel('a "b" \\ c\nd'), 'a \\"b\\" \\\\ c\\\nd');
  });

  await t.step(
    "average: netdata_<context>_<units>_average{chart,family,dimension,instance}; host info with its labels",
    () => {
      const { series, metrics } = request(
        "[prometheus_remote_write:r]\nenabled = yes\ndestination = x\n",
        [cpu()],
      );
      assertEquals(metrics, 2);
      assertEquals(series, [
        {
          labels: {
            __name__: "netdata_info",
            instance: "edge-1",
            application: "skiff",
            version: "0.1.0",
            site: 'north \\"pole\\"',
          },
          samples: [[1, 1_700_000_000_500]],
        },
        {
          labels: {
            __name__: "netdata_system_cpu_percentage_average",
            chart: "system.cpu",
            family: "cpu",
            dimension: "user",
            instance: "edge-1",
          },
          samples: [[12.5, 1_700_000_000_250]],
        },
        {
          labels: {
            __name__: "netdata_system_cpu_percentage_average",
            chart: "system.cpu",
            family: "cpu",
            dimension: "guest nice",
            instance: "edge-1",
          },
          samples: [[12.5, 1_700_000_000_250]],
        },
      ]);
    },
  );

  await t.step(
    "as collected: _total for incremental dimensions; a heterogeneous chart names each dimension",
    () => {
      const net = new Chart({
        id: "net.eth0",
        family: "eth0",
        context: "net.net",
        units: "kilobits/s",
        updateEverySec: 1,
        history: 5,
      });
      net.addDimension("received", {
        algorithm: "incremental",
        multiplier: 8,
        divisor: 1000,
      });
      net.addDimension("sent", {
        algorithm: "incremental",
        multiplier: 8,
        divisor: 1000,
      });
      const mixed = new Chart({
        id: "mem.x",
        family: "x",
        context: "mem.x",
        updateEverySec: 1,
        history: 5,
      });
      mixed.addDimension("a");
      mixed.addDimension("b", { divisor: 1024 });
      assertEquals([heterogeneous(net), heterogeneous(mixed)], [false, true]);
      const { series } = request(
        "[prometheus_remote_write:r]\nenabled = yes\ndestination = x\ndata source = as collected\nsend names instead of ids = no\n",
        [net, mixed],
      );
      assertEquals(series.slice(1).map((s) => s.labels), [
        {
          __name__: "netdata_net_net_total",
          chart: "net.eth0",
          family: "eth0",
          dimension: "received",
          instance: "edge-1",
        },
        {
          __name__: "netdata_net_net_total",
          chart: "net.eth0",
          family: "eth0",
          dimension: "sent",
          instance: "edge-1",
        },
        {
          __name__: "netdata_mem_x_a",
          chart: "mem.x",
          family: "x",
          instance: "edge-1",
        },
        {
          __name__: "netdata_mem_x_b",
          chart: "mem.x",
          family: "x",
          instance: "edge-1",
        },
      ]);
    },
  );

  await t.step(
    "sum: _sum, no units; variables as netdata_<name>{instance}, one metric for them all",
    () => {
      const { series, metrics } = request(
        "[prometheus_remote_write:r]\nenabled = yes\ndestination = x\ndata source = sum\n",
        [cpu()],
        new Map([["system.cpu.max", 100], ["ram total", 25]]),
      );
      assertEquals(metrics, 3);
      assertEquals(series.map((s) => s.labels.__name__), [
        "netdata_info",
        "netdata_system_cpu_sum",
        "netdata_system_cpu_sum",
        "netdata_system_cpu_max",
        "netdata_ram_total",
      ]);
      assertEquals(series[4].samples, [[25, 1_700_000_000_500]]);
      assertEquals(series[4].labels, {
        __name__: "netdata_ram_total",
        instance: "edge-1",
      });
    },
  );
});
