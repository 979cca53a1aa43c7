/**
 * What an instance sends, line by line, on hand-built data: names or ids,
 * host labels by source, host tags, chart and host filters, the local
 * host's name, netdata 1.37's formats.
 */
import { assertEquals } from "../helpers/assert.ts";
import { ManualClock } from "../../lib/clock.ts";
import { parseConfig } from "../../lib/config/mod.ts";
import { ExportInstance } from "../../lib/export/mod.ts";
import type { Link } from "../../lib/export/mod.ts";
import { Logger } from "../../lib/log.ts";
import { HostWriter } from "../../lib/protocol/apply.ts";
import { ProtocolParser } from "../../lib/protocol/parser.ts";
import { Database } from "../../lib/storage/rrd.ts";

const T0 = 1_700_000_000;

/** A link that keeps what is written (formatting only: no network here). */
function captureLink(): Link & { text(): string } {
  const chunks: string[] = [];
  const decoder = new TextDecoder();
  return {
    write(p: Uint8Array) {
      chunks.push(decoder.decode(p));
      return Promise.resolve(p.length);
    },
    read: () => new Promise<number | null>(() => {}),
    close() {},
    text: () => chunks.join(""),
  };
}

/** A local host and a child "edge-7" as a netdata 1.37 child streams it. */
function database(clock: ManualClock) {
  const db = new Database({ hostname: "local" });
  db.localhost.labels.set("site", { value: "north pole", source: 2 });
  db.localhost.labels.set("_os_name", { value: "Debian GNU/Linux", source: 1 });
  const child = db.addHost({ hostname: "edge-7", machineGuid: "g-7" });
  child.tags = "env=prod";
  const parser = new ProtocolParser(
    new HostWriter(child, {
      clock,
      defaultUpdateEverySec: 1,
      historyEntries: 60,
      trustDurations: true,
      pluginName: "stream",
    }),
  );
  const lines = (text: string) =>
    text.split("\n").forEach((l) => parser.parseLine(l.trim()));
  lines(`LABEL "_aclk_available" = 9 "false"
    LABEL "rack" = 2 "r;1~a"
    LABEL "_is_ephemeral" = 2 "false"
    OVERWRITE labels
    CHART "net.eth0" "net.wan" "Bandwidth" "kilobits/s" "eth0" "net.net" "area" 7000 1 "" "proc.plugin" "/proc/net/dev"
    DIMENSION "received" "in bound" incremental 8 1000
    CHART "system.uptime" "" "Uptime" "seconds" "uptime" "system.uptime" "line" 1000 1 "" "proc.plugin" "/proc/uptime"
    DIMENSION "uptime" "" absolute 1 1000`);
  const local = db.localhost.addChart({
    id: "system.load",
    updateEverySec: 1,
    history: 60,
  });
  const load1 = local.addDimension("load1", { name: "one minute" });
  return { db, lines, load1, local };
}

async function linesOf(
  conf: string,
  options: { localLabels?: boolean } = {},
): Promise<string[]> {
  const clock = new ManualClock(T0 * 1000);
  const { db, lines, load1, local } = database(clock);
  if (options.localLabels === false) db.localhost.labels.clear();
  const { config, errors } = parseConfig(conf, "t.conf", {
    systemHostname: "local",
  });
  assertEquals(errors, []);
  for (let k = 1; k <= 3; k++) {
    await clock.advanceTo((T0 + k) * 1000);
    lines(
      `BEGIN net.eth0 ${k === 1 ? 0 : 1_000_000}\nSET received = ${
        k * 1000
      }\nEND\nBEGIN system.uptime\nSET uptime = ${k * 1000}\nEND`,
    );
    load1.set(k * 100, clock.nowMs());
    local.done(clock.nowMs() * 1000);
  }
  // An instance started at T0+5 and cycling at T0+6 reads the one slot
  // T0+3 (two back from each end, the newest left for later).
  await clock.advanceTo((T0 + 5) * 1000);
  const link = captureLink();
  const instance = new ExportInstance(config.exporting[0], {
    clock,
    log: new Logger("export", { sink: () => {} }),
    dial: () => Promise.resolve(link),
  });
  await instance.cycle(db, (T0 + 6) * 1000);
  return link.text().split("\n").filter((l) => l !== "");
}

/**
 * An instance of `conf` over the database above, and `collect(k)`: the
 * child's net.eth0 `received` = k at T0+k, then the instance's cycle.
 */
function childExport(conf: string) {
  const clock = new ManualClock(T0 * 1000);
  const { db, lines } = database(clock);
  const { config } = parseConfig(conf, "t.conf", { systemHostname: "local" });
  const link = captureLink();
  const instance = new ExportInstance(config.exporting[0], {
    clock,
    log: new Logger("export", { sink: () => {} }),
    dial: () => Promise.resolve(link),
  });
  const collect = async (k: number) => {
    await clock.advanceTo((T0 + k) * 1000);
    lines(`BEGIN net.eth0 0\nSET received = ${k}\nEND`);
    await instance.cycle(db, (T0 + k) * 1000);
  };
  return { lines, link, collect };
}

Deno.test("an instance's lines: names, labels, tags, filters", async (t) => {
  await t.step(
    "graphite: names, configured labels (sanitized), host tags first",
    async () => {
      assertEquals(
        await linesOf(
          "[graphite:g]\nenabled = yes\ndestination = x\nhostname = my-edge\n",
        ),
        [
          "netdata.my-edge.system.load.one_minute;site=north_pole 300.0000000 1700000003",
          "netdata.edge-7.net.wan.in_bound;env=prod;rack=r_1_a;_is_ephemeral=false 8.0000000 1700000003",
          "netdata.edge-7.system.uptime.uptime;env=prod;rack=r_1_a;_is_ephemeral=false 3.0000000 1700000003",
        ],
      );
    },
  );
  await t.step(
    "opentsdb: ids, automatic labels too, values sanitized for tags",
    async () => {
      assertEquals(
        await linesOf(
          "[opentsdb:o]\nenabled = yes\ndestination = x\nsend names instead of ids = no\nsend automatic labels = yes\nsend configured labels = no\n",
        ),
        [
          "put netdata.system.load.load1 1700000003 300.0000000 host=local _os_name=Debian_GNU/Linux",
          "put netdata.net.eth0.received 1700000003 8.0000000 host=edge-7 env=prod _aclk_available=false",
          "put netdata.system.uptime.uptime 1700000003 3.0000000 host=edge-7 env=prod _aclk_available=false",
        ],
      );
    },
  );
  await t.step(
    "labels on but none passes: netdata's trailing space on opentsdb",
    async () => {
      const got = await linesOf(
        "[opentsdb:o]\nenabled = yes\ndestination = x\nsend hosts matching = localhost\nsend charts matching = system.load\n",
      );
      assertEquals(got, [
        "put netdata.system.load.one_minute 1700000003 300.0000000 host=local site=north_pole",
      ]);
      // A host whose labels all fail the filter: netdata's trailing space.
      assertEquals(
        await linesOf(
          "[opentsdb:o]\nenabled = yes\ndestination = x\nsend hosts matching = localhost\n",
          { localLabels: false },
        ),
        [
          "put netdata.system.load.one_minute 1700000003 300.0000000 host=local ",
        ],
      );
    },
  );
  await t.step(
    "filters: charts by id or name, negation first; hosts, localhost by that word",
    async () => {
      // As netdata's rrdset_is_exportable(): the id OR the name matching
      // sends the chart, so "!net.wan *" still sends net.eth0 (its id
      // matches *): excluding a chart takes both.
      const exclude = (charts: string) =>
        linesOf(
          `[graphite:g]\nenabled = yes\ndestination = x\nsend configured labels = no\nsend charts matching = ${charts}\nsend hosts matching = !localhost *\n`,
        );
      assertEquals(await exclude("!net.wan *"), [
        "netdata.edge-7.net.wan.in_bound;env=prod 8.0000000 1700000003",
        "netdata.edge-7.system.uptime.uptime;env=prod 3.0000000 1700000003",
      ]);
      assertEquals(await exclude("!net.wan !net.eth0 *"), [
        "netdata.edge-7.system.uptime.uptime;env=prod 3.0000000 1700000003",
      ]);
      assertEquals(
        await linesOf(
          "[graphite:g]\nenabled = yes\ndestination = x\nsend configured labels = no\nsend charts matching = net.eth0\n",
        ),
        ["netdata.edge-7.net.wan.in_bound;env=prod 8.0000000 1700000003"],
      );
    },
  );
  await t.step(
    "as collected: raw values at their collection time",
    async () => {
      assertEquals(
        await linesOf(
          "[graphite:g]\nenabled = yes\ndestination = x\ndata source = raw\nsend configured labels = no\nsend hosts matching = edge-7\n",
        ),
        [
          "netdata.edge-7.net.wan.in_bound;env=prod 3000 1700000003",
          "netdata.edge-7.system.uptime.uptime;env=prod 3000 1700000003",
        ],
      );
    },
  );
  await t.step(
    "a dimension renamed to a name sanitizing leaves as it is, and back",
    async () => {
      const { lines, link, collect } = childExport(
        "[graphite:g]\nenabled = yes\ndestination = x\ndata source = as collected\nsend configured labels = no\nsend automatic labels = no\nsend hosts matching = edge-7\nsend charts matching = net.*\n",
      );
      const named = (name: string) =>
        lines(
          `CHART "net.eth0" "net.wan" "Bandwidth" "kilobits/s" "eth0" "net.net" "area" 7000 1 "" "proc.plugin" "/proc/net/dev"
          DIMENSION "received" "${name}" incremental 8 1000`,
        );
      // "in bound" is sent sanitized (kept), "inbound" as it is (nothing
      // kept), then "in bound" again
      named("in bound");
      await collect(1);
      named("inbound");
      await collect(2);
      named("in bound");
      await collect(3);
      named("in.bound");
      await collect(4);
      const sent = link.text().split("\n").filter((l) =>
        l.includes(".net.wan.")
      )
        .map((l) => l.split(" ")[0]);
      assertEquals(sent, [
        "netdata.edge-7.net.wan.in_bound;env=prod",
        "netdata.edge-7.net.wan.inbound;env=prod",
        "netdata.edge-7.net.wan.in_bound;env=prod",
        "netdata.edge-7.net.wan.in.bound;env=prod",
      ]);
    },
  );
  await t.step(
    "a chart its child renames is filtered, and named, by its new name",
    async () => {
      const { lines, link, collect } = childExport(
        "[graphite:g]\nenabled = yes\ndestination = x\ndata source = as collected\nsend configured labels = no\nsend hosts matching = edge-7\nsend charts matching = net.wan system.*\n",
      );
      await collect(1);
      lines(
        `CHART "net.eth0" "net.lan" "Bandwidth" "kilobits/s" "eth0" "net.net" "area" 7000 1 "" "proc.plugin" "/proc/net/dev"`,
      );
      await collect(2);
      const sent = link.text().split("\n").filter((l) =>
        l.startsWith("netdata.edge-7.net.")
      );
      // Sent as net.wan, matched by that name; renamed net.lan, neither its
      // id (net.eth0) nor its new name matches: decided again, not sent.
      assertEquals(sent, [
        "netdata.edge-7.net.wan.in_bound;env=prod 1 1700000001",
      ]);
    },
  );
});
