import {
  assert,
  assertEquals,
  assertMatch,
  assertThrows,
} from "../helpers/assert.ts";
import {
  defaultConfigText,
  formatConfigMessage,
  loadConfigFile,
  parseConfig,
} from "../../lib/config/mod.ts";
import type { Config } from "../../lib/config/mod.ts";
import { parseIni } from "../../lib/config/ini.ts";
import { denoFlags, permissionNeeds } from "../../lib/config/permissions.ts";
import {
  destinationAddress,
  parseDestination,
  parseDestinationList,
} from "../../lib/config/destination.ts";

const env = { systemHostname: "edge-1" };
const backendOf = (c: Config) => c.exporting.find((i) => i.legacy)!;
const parse = (text: string) => parseConfig(text, "skiff.conf", env);

Deno.test("INI reader", async (t) => {
  await t.step(
    "sections, keys with spaces, values with =, comments, line numbers",
    () => {
      const doc = parseIni(
        "# comment\n; also\n[backend]\n  data source = as collected\n\n[plugin:x]\ncommand options = --a=b c=d\n",
      );
      assertEquals(doc.errors, []);
      assertEquals(doc.sections.map((s) => [s.name, s.line]), [["backend", 3], [
        "plugin:x",
        6,
      ]]);
      assertEquals(doc.entries, [
        {
          section: "backend",
          key: "data source",
          value: "as collected",
          line: 4,
        },
        {
          section: "plugin:x",
          key: "command options",
          value: "--a=b c=d",
          line: 7,
        },
      ]);
    },
  );
  await t.step("a # inside a value is kept, as netdata keeps it", () => {
    assertEquals(parseIni("[a]\nk = x # y\n").entries[0].value, "x # y");
  });
  await t.step("syntax errors name the line", () => {
    const doc = parseIni("[ok]\njust words\n= value\n[broken\nk = v\n");
    assertEquals(doc.errors.map((e) => e.line), [2, 3, 4]);
    assertMatch(doc.errors[0].message, /expected "key = value"/);
    assertEquals(
      parseIni("k = v\n").errors[0].message,
      'key "k" comes before any [section]',
    );
  });
});

Deno.test("config", async (t) => {
  await t.step("defaults, as DESIGN §3 gives them", () => {
    const { config, errors, warnings } = parse("");
    assertEquals(errors, []);
    assertEquals(warnings, []);
    assertEquals(config.global, {
      hostname: "edge-1",
      updateEverySec: 1,
      historyEntries: 3600,
      logLevel: "info",
    });
    const b = backendOf(config);
    assertEquals(b.enabled, false);
    assertEquals(b.dataSource, "average");
    assertEquals(b.type, "graphite");
    assertEquals(b.destinations, [{
      kind: "tcp",
      hostname: "localhost",
      port: 2003,
      text: "localhost",
    }]);
    assertEquals(b.prefix, "netdata");
    assertEquals(b.hostname, "edge-1");
    assertEquals(b.updateEverySec, 10);
    assertEquals(b.bufferOnFailures, 10);
    assertEquals(b.timeoutMs, 20000);
    assertEquals(config.directories.plugins, [
      "/usr/lib/netdata/plugins.d",
      "/usr/libexec/netdata/plugins.d",
    ]);
    assertEquals(config.plugins.proc, true);
    assertEquals(config.web.mode, "none");
  });

  await t.step(
    "receiver limits in [web] and netdata's [db] cleanup orphan hosts after secs: defaults, values, bad values",
    () => {
      const d = parse("").config;
      assertEquals(
        [
          d.web.firstRequestTimeoutSec,
          d.web.maxUnauthenticatedConnections,
          d.web.maxUnauthenticatedConnectionsPerAddress,
          d.db.cleanupOrphanHostsAfterSec,
        ],
        [10, 256, 16, 3600],
      );
      const r = parse(
        "[web]\ntimeout for first request = 5\nmax unauthenticated connections = 40\n" +
          "max unauthenticated connections per address = 4\n[db]\ncleanup orphan hosts after secs = 0\n",
      );
      assertEquals([r.errors, r.warnings], [[], []]);
      assertEquals(
        [
          r.config.web.firstRequestTimeoutSec,
          r.config.web.maxUnauthenticatedConnections,
          r.config.web.maxUnauthenticatedConnectionsPerAddress,
          r.config.db.cleanupOrphanHostsAfterSec,
        ],
        [5, 40, 4, 0],
      );
      assertEquals(
        parse("[web]\ntimeout for first request = 0\n").errors.map(
          formatConfigMessage,
        ),
        [
          'skiff.conf:2: Cannot parse "timeout for first request" in [web]: expected an integer >= 1, got "0"',
        ],
      );
    },
  );

  await t.step(
    "a full file: aliases, booleans, timeouts derived from update every",
    () => {
      const { config, errors, warnings } = parse(`
[global]
    hostname = probe-7
[backend]
    enabled = on
    data source = volume
    type = opentsdb:telnet
    destination = tsdb1, [::1]:14242 tsdb2:4243
    prefix = edge
    update every = 3
[directories]
    plugins = "/opt/a plugins" /opt/b
[plugins]
    proc = 0
    charts.d = yes
    python.d = no
[plugin:charts.d]
    update every = 5
    command options = --one --two=2
`);
      assertEquals(errors, []);
      assertEquals(warnings, []);
      assertEquals(backendOf(config).enabled, true);
      assertEquals(backendOf(config).dataSource, "sum");
      assertEquals(backendOf(config).type, "opentsdb");
      assertEquals(backendOf(config).destinations.map(destinationAddress), [
        "tsdb1:4242",
        "[::1]:14242",
        "tsdb2:4243",
      ]);
      assertEquals(backendOf(config).hostname, "probe-7");
      assertEquals(backendOf(config).timeoutMs, 6000);
      assertEquals(config.directories.plugins, ["/opt/a plugins", "/opt/b"]);
      assertEquals(config.plugins.proc, false);
      assertEquals(config.plugins.byName, {
        "charts.d": true,
        "python.d": false,
      });
      assertEquals(config.pluginSections["charts.d"], {
        updateEverySec: 5,
        commandOptions: "--one --two=2",
      });
    },
  );

  await t.step("graphite:plaintext and as collected", () => {
    const { config, errors } = parse(
      "[backend]\ntype = graphite:plaintext\ndata source = as collected\n",
    );
    assertEquals(errors, []);
    assertEquals(backendOf(config).type, "graphite");
    assertEquals(backendOf(config).dataSource, "as collected");
  });

  await t.step(
    "a typo'd key, a bad number and an unknown data source: three precise messages",
    () => {
      const { errors, warnings } = parse(
        "[backend]\nenabled = yes\nupate every = 5\ntimeout ms = ten\ndata source = median\n",
      );
      assertEquals(warnings.length, 1);
      assertEquals(
        formatConfigMessage(warnings[0]),
        'skiff.conf:3: Unknown key "upate every" in [backend] (did you mean "update every"?); ignored',
      );
      assertEquals(errors.length, 2);
      const text = errors.map(formatConfigMessage).sort();
      assertEquals(text, [
        'skiff.conf:4: Cannot parse "timeout ms" in [backend]: expected an integer, got "ten"',
        'skiff.conf:5: Cannot parse "data source" in [backend]: expected one of "as collected", "raw", "as-collected", "as_collected", "ascollected", "average", "sum", "volume", got "median"',
      ]);
      assertEquals(
        errors.find((e) => e.key === "data source")!.section,
        "backend",
      );
    },
  );

  await t.step(
    "numbers out of range and bad booleans are errors with the allowed values",
    () => {
      const { errors } = parse(
        "[backend]\nupdate every = 0\nbuffer on failures = -1\nenabled = maybe\n[global]\nhistory = 1\n",
      );
      const msgs = errors.map(formatConfigMessage);
      assertEquals(msgs.length, 4);
      assert(
        msgs.some((m) =>
          m.startsWith(
            'skiff.conf:2: Cannot parse "update every" in [backend]: expected an integer >= 1, got "0"',
          )
        ),
      );
      assert(
        msgs.some((m) =>
          /:4: .*"enabled".*expected yes\/no, true\/false, on\/off or 1\/0, got "maybe"/
            .test(m)
        ),
      );
      assert(msgs.some((m) => /:6: .*"history".*>= 5/.test(m)));
    },
  );

  await t.step(
    "timeout ms below 1 falls back to the default with a warning",
    () => {
      const { config, errors, warnings } = parse(
        "[backend]\nupdate every = 4\ntimeout ms = 0\n",
      );
      assertEquals(errors, []);
      assertEquals(backendOf(config).timeoutMs, 8000);
      assertMatch(
        formatConfigMessage(warnings[0]),
        /skiff.conf:3: "timeout ms" in \[backend\] is 0, below 1: using 8000/,
      );
    },
  );

  await t.step(
    "unknown sections are warned about; plugin sections are known",
    () => {
      const { warnings, errors } = parse(
        "[bakend]\nenabled = yes\n[plugin:anything]\nupdate every = 2\n",
      );
      assertEquals(errors, []);
      assertEquals(warnings.map(formatConfigMessage), [
        'skiff.conf:1: Unknown section [bakend] (did you mean "backend"?); its keys are ignored',
      ]);
    },
  );

  await t.step(
    "an enabled backend needs a destination; bad destinations name the problem",
    () => {
      assertMatch(
        formatConfigMessage(
          parse("[backend]\nenabled = yes\ndestination =\n").errors[0],
        ),
        /is empty but the instance is enabled/,
      );
      const e = parse("[backend]\ndestination = host:99999\n").errors[0];
      assertEquals(
        formatConfigMessage(e),
        'skiff.conf:2: Cannot parse "destination" in [backend]: "host:99999": port must be a number from 1 to 65535, got "99999"',
      );
    },
  );

  await t.step(
    "a key or a section written twice in a file: read as netdata reads it, and a warning naming both places",
    () => {
      const r = parse(
        "[global]\nhistory = 100\n[plugins]\nproc = no\n[global]\nhistory = 200\nupdate every = 2\n",
      );
      assertEquals(r.errors, []);
      assertEquals(
        [r.config.global.historyEntries, r.config.global.updateEverySec],
        [200, 2],
      );
      assertEquals(r.warnings.map(formatConfigMessage), [
        "skiff.conf:5: [global] appears again (first at skiff.conf:1); its keys are merged, the last value of a key wins",
        'skiff.conf:6: "history" in [global] is set again (first at skiff.conf:2); the last value, "200", wins',
      ]);
    },
  );

  await t.step("the last value of a repeated key wins, as in netdata", () => {
    assertEquals(
      backendOf(parse("[backend]\nprefix = a\nprefix = b\n").config).prefix,
      "b",
    );
  });

  await t.step(
    "the default config text (skiff config) parses with no warning and gives the defaults",
    () => {
      const text = defaultConfigText();
      const r = parseConfig(
        text.replace(/^([ \t]*)# ([a-z/][^=\n]*= [^(\n].*)$/gm, "$1$2")
          // the template sections ([plugin:NAME], an API key) too
          .replace(/^# (\[[^\]]+\])$/gm, "$1"),
        "default.conf",
        env,
      );
      assertEquals(r.errors, []);
      assertEquals(r.warnings, []);
      assertEquals(backendOf(r.config), backendOf(parse("").config));
      assertEquals(
        r.config.streamKeys["11111111-2222-3333-4444-555555555555"],
        {
          enabled: false,
          allowFrom: "*",
          historyEntries: 3600,
          maxHosts: 100,
          maxChartsPerHost: 10000,
          maxDimensionsPerChart: 1000,
          enableCompression: true,
          enableReplication: true,
          secondsToReplicate: 86400,
          replicationStepSec: 600,
          disabledCapabilities: [],
        },
      );
    },
  );
});

Deno.test("stream capabilities a config turns off", () => {
  const ok = parse(
    `[stream]\ndisabled capabilities = compression  Replication\nenable compression = no\n` +
      `[11111111-2222-3333-4444-555555555555]\nenabled = yes\ndisabled capabilities = functions\n`,
  );
  assertEquals(ok.errors, []);
  assertEquals(ok.config.stream.disabledCapabilities, [
    "compression",
    "replication",
  ]);
  assertEquals(ok.config.stream.enableCompression, false);
  assertEquals(
    ok.config.streamKeys["11111111-2222-3333-4444-555555555555"]
      .disabledCapabilities,
    ["functions"],
  );
  const bad = parse(
    "[stream]\n\ndisabled capabilities = compression teleport\n",
  );
  assertEquals(bad.errors.length, 1);
  assertEquals([bad.errors[0].line, bad.errors[0].key], [
    3,
    "disabled capabilities",
  ]);
  assertMatch(bad.errors[0].message, /"teleport" is not one of "hlabels"/);
});

Deno.test("destinations", async (t) => {
  await t.step("host, host:port, [ipv6]:port, tcp: prefix, stdout", () => {
    assertEquals(parseDestination("h", 2003), {
      kind: "tcp",
      hostname: "h",
      port: 2003,
      text: "h",
    });
    assertEquals(destinationAddress(parseDestination("h:1", 2003)), "h:1");
    const v6 = parseDestination("[::1]:2004", 2003);
    assertEquals(v6.kind === "tcp" && v6.hostname, "::1");
    assertEquals(
      destinationAddress(parseDestination("[fe80::1]", 4242)),
      "[fe80::1]:4242",
    );
    assertEquals(
      destinationAddress(parseDestination("tcp:10.0.0.1:2003", 1)),
      "10.0.0.1:2003",
    );
    assertEquals(parseDestination("stdout", 2003).kind, "stdout");
    assertEquals(parseDestinationList(" a , b  c,", 1).length, 3);
  });
  await t.step("errors", () => {
    assertThrows(() => parseDestination("::1", 2003), /needs brackets/);
    assertThrows(() => parseDestination("[::1", 2003), /without closing/);
    assertThrows(() => parseDestination("udp:h:1", 2003), /udp/);
    assertThrows(() => parseDestination("h:", 2003), /port must be/);
    assertThrows(() => parseDestination("bad/host", 2003), /not a host name/);
  });
});

Deno.test("API keys from a netdata stream.conf", async (t) => {
  await t.step(
    "its key sections are read; netdata's other keys ignored; skiff's own sections win",
    async () => {
      const dir = await Deno.makeTempDir({ prefix: "skiff-streamconf-" });
      try {
        await Deno.writeTextFile(
          `${dir}/stream.conf`,
          `[stream]\n    enabled = no\n    destination =\n` +
            `[11111111-2222-3333-4444-555555555555]\n    enabled = yes\n    default memory mode = dbengine\n    allow from = 10.*\n` +
            `    enable replication = no\n    seconds to replicate = 3600\n    seconds per replication step = 60\n    enable compression = no\n` +
            `[22222222-2222-3333-4444-555555555555]\n    enabled = yes\n    default history = 7200\n` +
            `[API_KEY]\n    enabled = no\n`,
        );
        await Deno.writeTextFile(
          `${dir}/skiff.conf`,
          `[web]\nmode = static-threaded\nstream config = stream.conf\n[22222222-2222-3333-4444-555555555555]\nenabled = no\n`,
        );
        const r = await loadConfigFile(`${dir}/skiff.conf`, env);
        assertEquals(r.errors, []);
        assertEquals(r.config.web.streamConfig, `${dir}/stream.conf`);
        assertEquals(
          r.config.streamKeys["11111111-2222-3333-4444-555555555555"].allowFrom,
          "10.*",
        );
        assertEquals(
          r.config.streamKeys["11111111-2222-3333-4444-555555555555"].enabled,
          true,
        );
        const k1 = r.config.streamKeys["11111111-2222-3333-4444-555555555555"];
        assertEquals(
          [
            k1.enableReplication,
            k1.secondsToReplicate,
            k1.replicationStepSec,
            k1.enableCompression,
          ],
          [false, 3600, 60, false],
          "netdata's replication and compression keys",
        );
        assertEquals(
          r.config.streamKeys["22222222-2222-3333-4444-555555555555"].enabled,
          false,
          "skiff's own wins",
        );
        assertEquals(Object.keys(r.config.streamKeys).length, 2);

        await Deno.writeTextFile(
          `${dir}/stream.conf`,
          `[11111111-2222-3333-4444-555555555555]\nenabled = maybe\n`,
        );
        const bad = await loadConfigFile(`${dir}/skiff.conf`, env);
        assertEquals(bad.errors.length, 1);
        assertEquals([bad.errors[0].file, bad.errors[0].line], [
          `${dir}/stream.conf`,
          2,
        ]);
        await Deno.remove(`${dir}/stream.conf`);
        const missing = await loadConfigFile(`${dir}/skiff.conf`, env);
        assertMatch(
          missing.errors[0].message,
          /Cannot read "stream config" in \[web\]/,
        );
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    },
  );
});

Deno.test("[web] bind to, netdata's forms", async (t) => {
  await t.step(
    "parsed at load; what skiff cannot do is an error with file:line",
    () => {
      const r = parse(
        "[web]\nmode = static-threaded\nbind to = * [::1]:20000 unix:/run/netdata.sock\n",
      );
      assertEquals(r.errors.map(formatConfigMessage), [
        'skiff.conf:3: Cannot parse "bind to" in [web]: "unix:/run/netdata.sock": unix sockets are not supported; use host:port',
      ]);
      for (
        const [text, message] of [
          ["*^SSL=force", "TLS on the listener (^SSL=) is not supported"],
          ["*=dashboard|registry", "access lists"],
          ["::1", "an IPv6 address needs brackets"],
          ["host:99999", '"99999" is not a port'],
        ]
      ) {
        const e = parse(`[web]\nbind to = ${text}\n`).errors;
        assertEquals(e.length, 1, text);
        assertMatch(
          e[0].message,
          new RegExp(message.replace(/[()^|]/g, "\\$&")),
        );
      }
    },
  );
  await t.step(
    "an address without a port takes [web] default port, as netdata's does",
    () => {
      const { config, errors } = parse(
        "[web]\nmode = static-threaded\ndefault port = 20001\nbind to = localhost 127.0.0.1:20002\n",
      );
      assertEquals(errors, []);
      assertEquals(config.web.defaultPort, 20001);
      assertEquals(
        denoFlags(permissionNeeds(config, { pluginPaths: [] })).find((f) =>
          f.startsWith("--allow-net=")
        ),
        "--allow-net=localhost:20001,127.0.0.1:20002",
      );
      assertEquals(parse("[web]\nbind to = *\n").config.web.defaultPort, 19999);
      assertEquals(
        parse("[web]\ndefault port = 70000\n").errors.map(formatConfigMessage),
        [
          'skiff.conf:2: Cannot parse "default port" in [web]: expected an integer <= 65535, got "70000"',
        ],
      );
    },
  );
  await t.step(
    "skiff permissions prints --allow-net for each form, and Deno accepts them",
    async () => {
      const l = Deno.listen({ hostname: "0.0.0.0", port: 0 });
      const port = l.addr.port;
      l.close();
      const { config } = parse(
        `[web]\nmode = static-threaded\nbind to = *:${port} [::1]:${port} localhost\n`,
      );
      const flags = denoFlags(permissionNeeds(config, { pluginPaths: [] }));
      const net = flags.find((f) => f.startsWith("--allow-net="))!;
      assertEquals(
        net,
        `--allow-net=0.0.0.0:${port},[::1]:${port},localhost:19999`,
      );
      // Deno takes the flag, and the listeners open under it.
      const run = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--no-prompt",
          net,
          "data:application/typescript," +
          encodeURIComponent(
            `for (const [h, p] of [["0.0.0.0", ${port}], ["::1", ${port}]] as const) { Deno.listen({ hostname: h, port: p }).close(); }`,
          ),
        ],
        stdout: "piped",
        stderr: "piped",
      }).output();
      assertEquals(run.code, 0, new TextDecoder().decode(run.stderr));
    },
  );
});

Deno.test("listener and API keys agree, or skiff says so", async (t) => {
  const load = async (text: string) => {
    const dir = await Deno.makeTempDir({ prefix: "skiff-listener-" });
    try {
      await Deno.writeTextFile(`${dir}/skiff.conf`, text);
      return (await loadConfigFile(`${dir}/skiff.conf`, env)).warnings.map((
        w,
      ) => w.message);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  };
  await t.step("keys enabled, nothing listening", async () => {
    assertEquals(
      await load("[11111111-2222-3333-4444-555555555555]\nenabled = yes\n"),
      [
        "API keys are enabled but [web] mode = none: nothing listens for children (set mode = static-threaded)",
      ],
    );
  });
  await t.step("listening, no key enabled: the web API alone", async () => {
    assertEquals(
      await load("[web]\nmode = static-threaded\nbind to = 127.0.0.1:0\n"),
      [],
    );
  });
  await t.step("both, or neither: nothing to say", async () => {
    assertEquals(await load("[global]\n"), []);
    assertEquals(
      await load(
        "[web]\nmode = static-threaded\n[11111111-2222-3333-4444-555555555555]\nenabled = yes\n",
      ),
      [],
    );
  });
});
