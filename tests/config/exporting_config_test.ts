import { assert, assertEquals, assertMatch } from "../helpers/assert.ts";
import {
  effectiveConfigText,
  formatConfigMessage,
  loadConfigFile,
  parseConfig,
} from "../../lib/config/mod.ts";
import type { ConfigResult } from "../../lib/config/mod.ts";
import {
  destinationAddress,
  parseServices,
} from "../../lib/config/destination.ts";
import { denoFlags, permissionNeeds } from "../../lib/config/permissions.ts";

const env = { systemHostname: "edge-1" };

/** The config and an exporting.conf beside it, parsed together. */
function withExportingConf(conf: string, exporting: string): ConfigResult {
  return parseConfig(conf, "/etc/skiff/skiff.conf", {
    ...env,
    exportingConf: { text: exporting, file: "/etc/skiff/exporting.conf" },
  });
}

const messages = (r: ConfigResult) => ({
  errors: r.errors.map(formatConfigMessage),
  warnings: r.warnings.map(formatConfigMessage),
});

// netdata 1.37.1's exporting/README.md, "Configuration": every connector.
const NETDATA_DOCS_EXAMPLE = `[exporting:global]
    enabled = yes
    send configured labels = no
    send automatic labels = no
    update every = 10

[prometheus:exporter]
    send names instead of ids = yes
    send configured labels = yes
    end automatic labels = no
    send charts matching = *
    send hosts matching = localhost *
    prefix = netdata

[graphite:my_graphite_instance]
    enabled = yes
    destination = localhost:2003
    data source = average
    prefix = Netdata
    hostname = my-name
    update every = 10
    buffer on failures = 10
    timeout ms = 20000
    send charts matching = *
    send hosts matching = localhost *
    send names instead of ids = yes
    send configured labels = yes
    send automatic labels = yes

[prometheus_remote_write:my_prometheus_remote_write_instance]
    enabled = yes
    destination = localhost
    remote write URL path = /receive

[kinesis:my_kinesis_instance]
    enabled = yes
    destination = us-east-1
    stream name = netdata
    aws_access_key_id = my_access_key_id
    aws_secret_access_key = my_aws_secret_access_key

[pubsub:my_pubsub_instance]
    enabled = yes
    destination = pubsub.googleapis.com
    credentials file = /etc/netdata/pubsub_credentials.json
    project id = my_project
    topic id = my_topic

[mongodb:my_mongodb_instance]
    enabled = yes
    destination = localhost
    database = my_database
    collection = my_collection

[json:my_json_instance]
    enabled = yes
    destination = localhost:5448

[opentsdb:my_opentsdb_plaintext_instance]
    enabled = yes
    destination = localhost:4242

[opentsdb:http:my_opentsdb_http_instance]
    enabled = yes
    destination = localhost:4242
    username = my_username
    password = my_password

[opentsdb:https:my_opentsdb_https_instance]
    enabled = yes
    destination = localhost:8082
`;

Deno.test("exporting.conf, as netdata 1.37 reads it", async (t) => {
  await t.step(
    "a Graphite and an OpenTSDB instance, keys inherited from [exporting:global]",
    () => {
      const r = withExportingConf(
        "[global]\nhostname = edge-1\n",
        `[exporting:global]
    enabled = yes
    update every = 5
    prefix = fleet
    send names instead of ids = no
[graphite:carbon]
    destination = carbon.example graphite2:2004
[opentsdb:tsdb]
    destination = tsdb.example
    data source = as-collected
    update every = 20
    enabled = no
`,
      );
      assertEquals(messages(r), { errors: [], warnings: [] });
      const [g, o, legacy] = r.config.exporting;
      assertEquals([g.name, g.type, g.section], [
        "carbon",
        "graphite",
        "graphite:carbon",
      ]);
      assertEquals(g.destinations.map(destinationAddress), [
        "carbon.example:2003",
        "graphite2:2004",
      ]);
      assertEquals(
        [g.enabled, g.updateEverySec, g.prefix, g.sendNames, g.dataSource],
        [true, 5, "fleet", false, "average"],
      );
      assertEquals(
        [g.timeoutMs, g.bufferOnFailures, g.hostname, g.sendHostsMatching],
        [10000, 10, "edge-1", "localhost *"],
      );
      assertEquals([g.sendConfiguredLabels, g.sendAutomaticLabels], [
        true,
        false,
      ]);
      assertEquals(
        [o.type, o.enabled, o.updateEverySec, o.dataSource],
        ["opentsdb", false, 20, "as collected"],
      );
      assertEquals(o.destinations.map(destinationAddress), [
        "tsdb.example:4242",
      ]);
      assertEquals([legacy.legacy, legacy.enabled], [true, false]);
    },
  );

  await t.step("every data source alias of netdata 1.37", () => {
    const sources = [
      ["raw", "as collected"],
      ["as collected", "as collected"],
      ["as-collected", "as collected"],
      ["as_collected", "as collected"],
      ["ascollected", "as collected"],
      ["average", "average"],
      ["sum", "sum"],
      ["volume", "sum"],
    ];
    for (const [word, canonical] of sources) {
      const r = parseConfig(
        `[graphite:g]\ndata source = ${word}\n`,
        "s.conf",
        env,
      );
      assertEquals(r.errors, []);
      assertEquals(r.config.exporting[0].dataSource, canonical, word);
    }
  });

  await t.step(
    "the same sections inside skiff's config; skiff's config wins over exporting.conf",
    () => {
      const r = withExportingConf(
        "[graphite:g]\nenabled = yes\ndestination = mine:2003\n[exporting:global]\nupdate every = 3\n",
        "[exporting:global]\nupdate every = 7\nprefix = p\n[graphite:g]\ndestination = theirs\n",
      );
      assertEquals(r.errors, []);
      const g = r.config.exporting[0];
      assertEquals(
        [g.destinations[0].text, g.updateEverySec, g.prefix],
        ["mine:2003", 3, "p"],
      );
    },
  );

  await t.step(
    "netdata's exporting docs example: every connector skiff lacks is an error naming its section, nothing is dropped silently",
    () => {
      const r = withExportingConf("", NETDATA_DOCS_EXAMPLE);
      const { errors, warnings } = messages(r);
      const lacking = (line: number, section: string) =>
        `/etc/skiff/exporting.conf:${line}: [${section}]: `;
      assertEquals(errors.map((e) => e.slice(0, e.indexOf("]: ") + 3)), [
        lacking(35, "kinesis:my_kinesis_instance"),
        lacking(42, "pubsub:my_pubsub_instance"),
        lacking(49, "mongodb:my_mongodb_instance"),
      ]);
      assertMatch(
        errors[0],
        /connector type "kinesis" \(netdata's kinesis connector\) is not supported by skiff \(skiff has graphite, opentsdb, json, graphite:http, opentsdb:http, json:http, prometheus_remote_write\); remove the section or set enabled = no$/,
      );
      // [prometheus:exporter] is read; the docs' own typo is said.
      assertEquals(warnings, [
        '/etc/skiff/exporting.conf:10: Unknown key "end automatic labels" in [prometheus:exporter] (did you mean "send automatic labels"?); ignored',
      ]);
      const p = r.config.prometheusExporter;
      assertEquals(
        [
          p.sendNames,
          p.sendConfiguredLabels,
          p.sendAutomaticLabels, // from [exporting:global]
          p.updateEverySec, // from [exporting:global]
          p.sendChartsMatching,
          p.prefix,
          p.dataSource, // the default
        ],
        [true, true, false, 10, "*", "netdata", "average"],
      );
      // The two instances skiff has are read as netdata would.
      const names = r.config.exporting.map((i) => i.name);
      assertEquals(names, [
        "my_graphite_instance",
        "my_prometheus_remote_write_instance",
        "my_json_instance",
        "my_opentsdb_plaintext_instance",
        "my_opentsdb_http_instance",
        "my_opentsdb_https_instance",
        "backend",
      ]);
      const https = r.config.exporting[5];
      assertEquals([https.type, https.tls, https.username], [
        "opentsdb:http",
        true,
        "",
      ]);
      assertEquals(r.config.exporting[4].password, "my_password");
      const g = r.config.exporting[0];
      assertEquals(
        [
          g.prefix,
          g.hostname,
          g.timeoutMs,
          g.sendConfiguredLabels,
          g.sendAutomaticLabels,
        ],
        ["Netdata", "my-name", 20000, true, true],
      );
      // [exporting:global] says no labels; the instance's own yes wins.
      assertEquals(r.config.exporting[3].sendConfiguredLabels, false);
    },
  );

  await t.step(
    "a disabled instance of a connector skiff lacks is a warning, not an error",
    () => {
      const r = parseConfig(
        "[kinesis:k]\nenabled = no\ndestination = us-east-1\nstream name = s\n",
        "s.conf",
        env,
      );
      assertEquals(r.errors, []);
      assertEquals(messages(r).warnings, [
        's.conf:1: [kinesis:k]: connector type "kinesis" (netdata\'s kinesis connector) is not supported by skiff (skiff has graphite, opentsdb, json, graphite:http, opentsdb:http, json:http, prometheus_remote_write); the instance is disabled, so it is ignored',
      ]);
    },
  );

  await t.step(
    "a nameless instance is instance_N; a name used twice is an error naming both places",
    () => {
      const r = withExportingConf(
        "[opentsdb:dup]\nenabled = yes\ndestination = b\n",
        "[graphite:]\nenabled = yes\ndestination = a\n[graphite:dup]\nenabled = yes\ndestination = c\n",
      );
      assertEquals(r.config.exporting.map((i) => i.name), [
        "instance_1",
        "dup",
        "backend",
      ]);
      assertEquals(messages(r).errors, [
        '/etc/skiff/skiff.conf:1: [opentsdb:dup]: an exporting instance named "dup" is already defined as [graphite:dup] at /etc/skiff/exporting.conf:4; instance names must be unique',
      ]);
    },
  );

  await t.step(
    "exporting.conf holds only exporting sections; others are named and ignored",
    () => {
      const r = withExportingConf(
        "",
        "[global]\nhostname = hijack\n[graphte:x]\nenabled = yes\n",
      );
      assertEquals(r.config.global.hostname, "edge-1");
      assertEquals(messages(r).warnings, [
        "/etc/skiff/exporting.conf:1: [global] is not an exporting section (expected [exporting:global] or [TYPE:NAME]); its keys are ignored",
        '/etc/skiff/exporting.conf:3: [graphte:x] is not an exporting section ("graphte" is not a connector type; did you mean "graphite"?); its keys are ignored',
      ]);
    },
  );

  await t.step("typos and bad values in an instance name file:line", () => {
    const r = withExportingConf(
      "",
      "[graphite:g]\nenabled = yes\nupdate evry = 5\ntimeout ms = soon\ndestination = h:99999\n",
    );
    const { errors, warnings } = messages(r);
    assertEquals(errors, [
      '/etc/skiff/exporting.conf:4: Cannot parse "timeout ms" in [graphite:g]: expected a positive integer, got "soon"',
      'skiff.conf: Cannot parse "destination" in [graphite:g]: "h:99999": port must be a number from 1 to 65535, got "99999"'
        .replace("skiff.conf", "/etc/skiff/exporting.conf:5"),
    ]);
    assertEquals(warnings, [
      '/etc/skiff/exporting.conf:3: Unknown key "update evry" in [graphite:g] (did you mean "update every"?); ignored',
    ]);
  });

  await t.step(
    "named ports come from /etc/services; without it, an error naming the flag",
    () => {
      const services = parseServices(
        "# comment\ncarbon\t2003/tcp\tgraphite # alias\ncarbon\t2003/udp\nopentsdb 4242/tcp\n",
      );
      assertEquals([...services], [["carbon", 2003], ["graphite", 2003], [
        "opentsdb",
        4242,
      ]]);
      const text =
        "[graphite:g]\nenabled = yes\ndestination = tcp:10.0.0.1:graphite\n";
      const r = parseConfig(text, "s.conf", { ...env, services });
      assertEquals(r.errors, []);
      assertEquals(r.config.exporting[0].destinations[0], {
        kind: "tcp",
        hostname: "10.0.0.1",
        port: 2003,
        text: "tcp:10.0.0.1:graphite",
        service: "graphite",
      });
      assertEquals(
        denoFlags(permissionNeeds(r.config, { pluginPaths: [] })).filter((
          f,
        ) => f.startsWith("--allow-read") || f.startsWith("--allow-net")),
        [
          "--allow-read=/usr/lib/netdata/plugins.d,/usr/libexec/netdata/plugins.d,/etc/services",
          "--allow-net=10.0.0.1:2003",
        ],
      );
      assertEquals(
        messages(parseConfig(text, "s.conf", env)).errors,
        [
          's.conf:3: Cannot parse "destination" in [graphite:g]: "tcp:10.0.0.1:graphite": "graphite" is a service name, but /etc/services could not be read (--allow-read=/etc/services)',
        ],
      );
      assertEquals(
        messages(
          parseConfig(text.replace("graphite\n", "nosuch\n"), "s.conf", {
            ...env,
            services,
          }),
        ).errors,
        [
          's.conf:3: Cannot parse "destination" in [graphite:g]: "tcp:10.0.0.1:nosuch": "nosuch" is not a port number, nor a tcp service in /etc/services',
        ],
      );
    },
  );

  await t.step(
    "legacy [backend] with netdata's extra keys is one more instance",
    () => {
      const r = parseConfig(
        `[backend]
    enabled = yes
    destination = g:2003
    host tags = env=prod
    send names instead of ids = no
    send charts matching = system.* !system.uptime
    send hosts matching = localhost
`,
        "s.conf",
        env,
      );
      assertEquals(messages(r), { errors: [], warnings: [] });
      const b = r.config.exporting.at(-1)!;
      assertEquals(
        [
          b.name,
          b.legacy,
          b.sendNames,
          b.sendChartsMatching,
          b.sendHostsMatching,
          b.sendConfiguredLabels,
          b.timeoutMs,
        ],
        [
          "backend",
          true,
          false,
          "system.* !system.uptime",
          "localhost",
          false,
          20000,
        ],
      );
      assertEquals(r.config.hostTags, "env=prod");
    },
  );

  await t.step(
    "[host labels] then [health]'s two labels, configured, in netdata's order",
    () => {
      const r = parseConfig(
        "[host labels]\nsite = north\nrack = 7 b\n[health]\nis ephemeral = yes\n",
        "s.conf",
        env,
      );
      assertEquals(r.errors, []);
      assertEquals(r.config.hostLabels, [
        ["site", "north", 2],
        ["rack", "7 b", 2],
        ["_is_ephemeral", "true", 2],
        ["_has_unstable_connection", "false", 2],
      ]);
    },
  );

  await t.step(
    "skiff check prints every instance with every key resolved",
    () => {
      const r = withExportingConf(
        "",
        "[exporting:global]\nupdate every = 5\n[graphite:g]\nenabled = yes\ndestination = a:1\n",
      );
      const text = effectiveConfigText(r.config);
      assert(
        text.includes(
          "[graphite:g]\n    enabled = yes\n    destination = a:1\n    data source = average\n    update every = 5\n",
        ),
        text,
      );
    },
  );

  await t.step(
    "loadConfigFile reads exporting.conf beside the config, if there is one",
    async () => {
      const dir = await Deno.makeTempDir({ prefix: "skiff-exporting-" });
      try {
        await Deno.writeTextFile(`${dir}/skiff.conf`, "[global]\n");
        let r = await loadConfigFile(`${dir}/skiff.conf`, env);
        assertEquals([r.errors, r.config.exporting.length], [[], 1]);
        await Deno.writeTextFile(
          `${dir}/exporting.conf`,
          "[graphite:g]\nenabled = yes\ndestination = 127.0.0.1\n",
        );
        r = await loadConfigFile(`${dir}/skiff.conf`, env);
        assertEquals(r.errors, []);
        assertEquals(r.config.exporting[0].destinations[0].text, "127.0.0.1");
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    },
  );
});
