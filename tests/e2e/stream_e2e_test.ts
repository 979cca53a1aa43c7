/**
 * Streaming end to end with real netdata 1.37 agents on loopback:
 * (a) an unchanged netdata child streams into skiff, which stores it, agrees
 *     with the child's own /api/v1/data, and exports it under its hostname;
 * (b) skiff streams its own host to a real netdata parent, which lists it.
 */
import { assert, assertEquals } from "../helpers/assert.ts";
import { valueAt } from "../../lib/storage/query.ts";
import { freePort, haveBinary, waitFor } from "../helpers/e2e.ts";
import { NETDATA_BIN, startNetdata } from "../helpers/servers.ts";
import { TcpSink } from "../helpers/sinks.ts";
import { testAgent } from "../helpers/agent.ts";

const KEY = "11111111-2222-3333-4444-555555555555";

const agent = testAgent;

Deno.test({
  name: "a real netdata 1.37 child streams into skiff",
  ignore: !haveBinary(NETDATA_BIN, "netdata"),
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const port = freePort();
    const sink = TcpSink.start();
    const { agent: skiff, logs } = agent(
      `[global]\nhostname = skiff-parent\n[plugins]\nproc = no\nnetdata monitoring = no\n` +
        `[backend]\nenabled = yes\ndestination = 127.0.0.1:${sink.port}\ndata source = average\nupdate every = 2\n` +
        `[web]\nmode = static-threaded\nbind to = 127.0.0.1:${port}\n[${KEY}]\nenabled = yes\n`,
      "skiff-parent",
    );
    await skiff.start();
    const child = await startNetdata({
      hostname: "nd-child-e2e",
      files: {
        "stream.conf":
          `[stream]\n    enabled = yes\n    destination = 127.0.0.1:${port}\n    api key = ${KEY}\n`,
      },
    });
    const dump = () => `${logs.lines.join("\n")}`;
    try {
      await t.step(
        "within 30 s skiff stores the child's host and charts",
        async () => {
          const host = await waitFor(
            "the child's host with system.cpu and system.ram",
            () => {
              const h = skiff.db.hostByName("nd-child-e2e");
              return h?.chart("system.cpu") &&
                  h.chart("system.ram")?.lastEntrySec()
                ? h
                : undefined;
            },
            30000,
          ).catch((e) => {
            throw new Error(`${e.message}\n${dump()}`);
          });
          assert(host.connected);
          assert(host.charts.size >= 20, `${host.charts.size} charts`);
          assertEquals(
            host.chart("system.cpu")!.dimension("idle")!.hidden,
            true,
          );
          assert(!logs.lines.some((l) => /^\S+ error /.test(l)), dump());
        },
      );

      await t.step(
        "stored values agree with the child's own /api/v1/data, slot by slot",
        async () => {
          const host = skiff.db.hostByName("nd-child-e2e")!;
          // Let a few more slots arrive, then compare the last 5 whole slots.
          const ram = host.chart("system.ram")!;
          const start = ram.lastEntrySec();
          await waitFor(
            "5 more slots",
            () => ram.lastEntrySec() >= start + 5 ? true : undefined,
            15000,
          );
          const before = ram.lastEntrySec() - 1;
          let compared = 0;
          // A 1.37 parent (and skiff) places the child's collections on its
          // own clock: the first at its arrival, the next ones by the BEGIN
          // durations. So skiff's slot t holds the child's value at t - d,
          // d being how late the first BEGIN arrived (ms on an idle machine,
          // more under load), interpolated from the same collected numbers.
          // Uptime grows linearly, so skiff's value at t must lie between the
          // child's at t-1 and t (1e-4 relative slack for the 4-byte storage
          // numbers and the API's 7 digits): the slots are the same ones.
          // RAM moves either way between collections, so there 1% (scale
          // and unit errors are factors of 8 or more) is the honest bound.
          for (const chartId of ["system.ram", "system.uptime"]) {
            const chart = host.chart(chartId)!;
            const data = await child.api<
              { labels: string[]; data: (number | null)[][] }
            >(
              `/api/v1/data?chart=${chartId}&after=${
                before - 6
              }&before=${before}&points=7&group=average&format=json&options=seconds,abs`,
            );
            const byTime = new Map(data.data.map((row) => [row[0]!, row]));
            for (const row of data.data) {
              const t = row[0]!;
              const previous = byTime.get(t - 1);
              if (!previous) continue;
              for (const d of chart.dimensions) {
                const col = data.labels.indexOf(d.name);
                const [a, b] = [previous[col], row[col]];
                const ours = Math.abs(valueAt(chart, d, t));
                if (a == null || b == null || Number.isNaN(ours)) continue;
                const slack = chartId === "system.uptime"
                  ? Math.max(1e-4 * Math.abs(b), 0.01)
                  : 0.01 * Math.abs(b);
                assert(
                  ours >= Math.min(a, b) - slack &&
                    ours <= Math.max(a, b) + slack,
                  `${chartId} ${d.name} at ${t}: skiff ${ours}, netdata ${a} at ${
                    t - 1
                  } and ${b} at ${t}`,
                );
                compared++;
              }
            }
          }
          assert(compared >= 15, `compared ${compared} values`);
        },
      );

      await t.step(
        "the exporter sends the child's metrics under its hostname",
        async () => {
          await waitFor(
            "exported lines of nd-child-e2e",
            () =>
              sink.lines().some((l) =>
                  l.startsWith("netdata.nd-child-e2e.system.cpu.user ")
                )
                ? true
                : undefined,
            15000,
          );
        },
      );
    } finally {
      await child.stop();
      await skiff.stop();
      await sink.close();
    }
  },
});

Deno.test({
  name: "skiff streams to a real netdata 1.37 parent",
  ignore: !haveBinary(NETDATA_BIN, "netdata"),
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const parent = await startNetdata({
      hostname: "nd-parent-e2e",
      files: { "stream.conf": `[${KEY}]\n    enabled = yes\n` },
    });
    const { agent: skiff, logs } = agent(
      `[global]\nhostname = skiff-child\n[stream]\nenabled = yes\ndestination = 127.0.0.1:${parent.port}\napi key = ${KEY}\n` +
        `reconnect delay seconds = 1\n`,
      "skiff-child",
    );
    await skiff.start();
    try {
      const info = await waitFor("the parent lists skiff-child", async () => {
        const i = await parent.api<{ mirrored_hosts: string[] }>(
          "/api/v1/info",
        );
        return i.mirrored_hosts.includes("skiff-child") ? i : undefined;
      }, 30000).catch((e) => {
        throw new Error(`${e.message}\n${logs.lines.join("\n")}`);
      });
      assert(info.mirrored_hosts.includes("nd-parent-e2e"));
      const charts = await waitFor(
        "skiff-child's charts at the parent",
        async () => {
          const c = await parent.api<
            { charts: Record<string, { dimensions: Record<string, unknown> }> }
          >(
            "/host/skiff-child/api/v1/charts",
          );
          return c.charts["system.cpu"] && c.charts["system.ram"]
            ? c.charts
            : undefined;
        },
        30000,
      );
      assertEquals(Object.keys(charts["system.ram"].dimensions).sort(), [
        "buffers",
        "cached",
        "free",
        "used",
      ]);
      const data = await waitFor("values at the parent", async () => {
        const d = await parent.api<{ data: (number | null)[][] }>(
          "/host/skiff-child/api/v1/data?chart=system.ram&after=-5&points=5&format=json",
        );
        return d.data.some((row) =>
            row.slice(1).some((v) => v !== null && v > 0)
          )
          ? d
          : undefined;
      }, 30000);
      assert(data.data.length > 0);
    } finally {
      await skiff.stop();
      await parent.stop();
    }
  },
});
