/**
 * Prometheus remote write against real receivers: VictoriaMetrics
 * (`/api/v1/write`) and Prometheus 2.42 (`--web.enable-remote-write-receiver`),
 * exact values, timestamps and netdata 1.37's names and labels read back;
 * a request Prometheus rejects is a failure, not sent.
 */
import { assertEquals, assertMatch } from "../helpers/assert.ts";
import { ManualClock, realClock } from "../../lib/clock.ts";
import { parseConfig } from "../../lib/config/mod.ts";
import { ExportInstance, loadConnectors } from "../../lib/export/mod.ts";
import { Logger, memorySink } from "../../lib/log.ts";
import { Database } from "../../lib/storage/rrd.ts";
import { haveBinary, waitFor } from "../helpers/e2e.ts";
import {
  PROMETHEUS_BIN,
  startPrometheus,
  startVictoria,
  VICTORIA_BIN,
} from "../helpers/servers.ts";
import { makeCertificates } from "../helpers/tls.ts";

/** Two minutes ago, aligned: inside Prometheus' head block. */
const T0 = Math.floor(Date.now() / 60_000) * 60 - 120;

/**
 * A host with a chart of two dimensions (ramp: 10 per second, const: 42),
 * `system.load`-like, collected every second on a manual clock, exported by
 * one instance every 10 s.
 */
async function run(section: string, seconds: number, caCerts?: string[]) {
  await loadConnectors(["prometheus_remote_write"]);
  const clock = new ManualClock(T0 * 1000);
  const db = new Database({ hostname: "rw-host" });
  db.localhost.labels.set("site", { value: 'north "pole"', source: 2 });
  db.localhost.program = "skiff";
  db.localhost.programVersion = "0.1.0";
  const chart = db.localhost.addChart({
    id: "rw.values",
    family: "values",
    context: "rw.values",
    units: "requests/s",
    updateEverySec: 1,
    history: 300,
  });
  const ramp = chart.addDimension("ramp", { name: "Ramp one" });
  const konst = chart.addDimension("const");
  const { config, errors } = parseConfig(section, "rw.conf", {
    systemHostname: "rw-host",
  });
  assertEquals(errors, []);
  const logs = memorySink();
  // loadConfigFile reads `tls ca file`; here the test hands the PEM over.
  if (caCerts) config.exporting[0].tlsCaCerts = caCerts;
  const instance = new ExportInstance(config.exporting[0], {
    clock,
    timeoutClock: realClock,
    log: new Logger("export", { sink: logs.sink }),
  });
  const reports = [];
  for (let t = T0 + 1; t <= T0 + seconds; t++) {
    await clock.advanceTo(t * 1000);
    ramp.set((t - T0) * 10, clock.nowMs());
    konst.set(42, clock.nowMs());
    chart.done(clock.nowMs() * 1000);
    if ((t - T0) % 10 === 0) reports.push(await instance.cycle(db, t * 1000));
  }
  instance.close();
  return { instance, reports, logs };
}

Deno.test({
  name: "remote write to VictoriaMetrics and Prometheus 2.42",
  ignore: !haveBinary(VICTORIA_BIN, "victoria-metrics") ||
    !haveBinary(PROMETHEUS_BIN, "prometheus"),
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    await t.step(
      "VictoriaMetrics: netdata's names and labels, exact averages at the window ends",
      async () => {
        const vm = await startVictoria();
        try {
          const { reports, instance } = await run(
            `[prometheus_remote_write:vm]\nenabled = yes\ndestination = 127.0.0.1:${vm.httpPort}\n` +
              `remote write URL path = /api/v1/write\nupdate every = 10\n`,
            40,
          );
          for (const r of reports) assertEquals(r.failures, 0);
          const a = instance.accounting();
          assertEquals([a.lost, a.buffered], [0, 0]);
          const series = await waitFor(
            "the averages in VictoriaMetrics",
            async () => {
              const s = await vm.series(
                "netdata_rw_values_requests_persec_average",
              );
              return s.length === 2 && s.every((x) => x.values.length === 4)
                ? s
                : undefined;
            },
          );
          const byDim = new Map(series.map((s) => [s.metric.dimension, s]));
          assertEquals(Object.keys(byDim.get("Ramp one")!.metric).sort(), [
            "__name__",
            "chart",
            "dimension",
            "family",
            "instance",
          ]);
          assertEquals(byDim.get("Ramp one")!.metric.chart, "rw.values");
          assertEquals(byDim.get("Ramp one")!.metric.family, "values");
          assertEquals(byDim.get("Ramp one")!.metric.instance, "rw-host");
          // Cycle at b reads slots b-12..b-3 (the first from T0+2, the
          // first stored): ramp is 10 per slot of its time since T0.
          const avg = (from: number, to: number) => (from + to) / 2 * 10;
          assertEquals(byDim.get("Ramp one")!.timestamps, [
            (T0 + 7) * 1000,
            (T0 + 17) * 1000,
            (T0 + 27) * 1000,
            (T0 + 37) * 1000,
          ]);
          assertEquals(byDim.get("Ramp one")!.values, [
            avg(2, 7),
            avg(8, 17),
            avg(18, 27),
            avg(28, 37),
          ]);
          assertEquals(byDim.get("const")!.values, [42, 42, 42, 42]);
          // The host's info series carries its labels (escaped as 1.37 does).
          const [info] = await vm.series("netdata_info");
          assertEquals(info.metric, {
            __name__: "netdata_info",
            instance: "rw-host",
            application: "skiff",
            version: "0.1.0",
            site: 'north \\"pole\\"',
          });
        } finally {
          await vm.stop();
        }
      },
    );

    await t.step(
      "HTTPS: VictoriaMetrics with a certificate of the test's CA, trusted through tls ca file; without it, a clear failure",
      async () => {
        const dir = await Deno.makeTempDir({ prefix: "skiff-vmtls-" });
        const certs = await makeCertificates(dir);
        const vm = await startVictoria({ tls: certs });
        try {
          const section = (ca: string) =>
            `[prometheus_remote_write:https:vmtls]\nenabled = yes\ndestination = localhost:${vm.httpPort}\n` +
            `remote write URL path = /api/v1/write\nupdate every = 10\n${ca}`;
          const refused = await run(section(""), 10);
          assertEquals(
            [refused.reports[0].failures, refused.reports[0].sentMetrics],
            [1, 0],
          );
          assertMatch(
            refused.logs.lines.join("\n"),
            /\[prometheus_remote_write:https:vmtls\] cannot connect: localhost:\d+: TLS handshake failed: invalid peer certificate: UnknownIssuer/,
          );
          const trusted = await run(
            section(`tls ca file = ${certs.caFile}\n`),
            20,
            [await Deno.readTextFile(certs.caFile)],
          );
          for (const r of trusted.reports) assertEquals(r.failures, 0);
          const got = await waitFor("the averages over HTTPS", async () => {
            const s = await vm.series(
              "netdata_rw_values_requests_persec_average",
            );
            return s.length === 2 && s.every((x) => x.values.length === 2)
              ? s
              : undefined;
          });
          assertEquals(
            got.find((x) => x.metric.dimension === "const")!.values,
            [42, 42],
          );
        } finally {
          await vm.stop();
          await Deno.remove(dir, { recursive: true }).catch(() => {});
        }
      },
    );

    await t.step(
      "Prometheus 2.42: accepted and queryable; an out-of-order request is a failure, kept, not sent",
      async () => {
        const prom = await startPrometheus();
        try {
          const section =
            `[prometheus_remote_write:prom]\nenabled = yes\ndestination = 127.0.0.1:${prom.port}\n` +
            `remote write URL path = /api/v1/write\nupdate every = 10\ndata source = as collected\n`;
          const first = await run(section, 30);
          for (const r of first.reports) assertEquals(r.failures, 0);
          const res = await waitFor("the series in Prometheus", async () => {
            const r = await prom.query(
              'netdata_rw_values{dimension="Ramp one"}',
              T0 + 30,
            );
            return r.length > 0 ? r : undefined;
          }, 10000);
          assertEquals(res.length, 1, JSON.stringify(res));
          assertEquals(res[0].value, [T0 + 30, "300"]);
          assertEquals(res[0].metric.chart, "rw.values");
          // The same series again from its start: older than what
          // Prometheus holds, so it answers 400 ("out of order sample").
          const again = await run(section, 10);
          const r = again.reports[0];
          assertEquals([r.failures, r.sentMetrics], [1, 0]);
          assertEquals(again.instance.accounting().buffered, 2);
          assertMatch(
            again.logs.lines.join("\n"),
            /\[prometheus_remote_write:prom\] failed to send to 127\.0\.0\.1:\d+ after \d+ bytes \(HTTP\/1\.1 400 Bad Request: '.*out of (order|bounds)/,
          );
        } finally {
          await prom.stop();
        }
      },
    );
  },
});
