/**
 * Real servers for end-to-end tests, each on free loopback ports in its own
 * temp dir: VictoriaMetrics and Graphite's carbon-cache.
 *
 * @module
 */
import { freePort, httpOk, start, waitFor } from "./e2e.ts";
import type { Proc } from "./e2e.ts";

/**
 * How long a real server may take to start. They answer in 1-3 s here,
 * netdata in 2.4-2.7 s with a busy loop on each core (see startNetdata).
 * The deadline is only how long a failure takes to be reported.
 */
const START_MS = 60000;

/** One series from VictoriaMetrics' /api/v1/export. */
export interface VmSeries {
  metric: Record<string, string>;
  values: number[];
  timestamps: number[];
}

/** A running VictoriaMetrics. */
export interface Victoria {
  graphitePort: number;
  opentsdbPort: number;
  /** OpenTSDB's HTTP API (`POST /api/put`). */
  opentsdbHttpPort: number;
  httpPort: number;
  /** Flushes, then exports every series whose name matches `regex`. */
  series(regex: string): Promise<VmSeries[]>;
  stop(): Promise<void>;
}

export const VICTORIA_BIN = "/usr/bin/victoria-metrics";

/**
 * Starts VictoriaMetrics with Graphite and OpenTSDB listeners; with `tls`,
 * its HTTP API (remote write included) is HTTPS with that certificate.
 */
export async function startVictoria(
  options: { tls?: { certFile: string; keyFile: string; caFile: string } } = {},
): Promise<Victoria> {
  const dir = await Deno.makeTempDir({ prefix: "skiff-vm-" });
  const [httpPort, graphitePort, opentsdbPort, opentsdbHttpPort] = [
    freePort(),
    freePort(),
    freePort(),
    freePort(),
  ];
  const proc: Proc = start(VICTORIA_BIN, [
    `-storageDataPath=${dir}`,
    `-httpListenAddr=127.0.0.1:${httpPort}`,
    `-graphiteListenAddr=127.0.0.1:${graphitePort}`,
    `-opentsdbListenAddr=127.0.0.1:${opentsdbPort}`,
    `-opentsdbHTTPListenAddr=127.0.0.1:${opentsdbHttpPort}`,
    "-loggerLevel=ERROR",
    "-search.latencyOffset=0s",
    ...(options.tls
      ? [
        "-tls",
        `-tlsCertFile=${options.tls.certFile}`,
        `-tlsKeyFile=${options.tls.keyFile}`,
      ]
      : []),
  ]);
  const base = `${options.tls ? "https" : "http"}://127.0.0.1:${httpPort}`;
  // The test's own CA, for the test's requests to an HTTPS VictoriaMetrics.
  const client = options.tls
    ? Deno.createHttpClient({
      caCerts: [await Deno.readTextFile(options.tls.caFile)],
    })
    : undefined;
  const get = async (path: string) => {
    try {
      const r = await fetch(`${base}${path}`, { client });
      const body = await r.text();
      return r.ok ? body : undefined;
    } catch {
      return undefined;
    }
  };
  try {
    await waitFor("VictoriaMetrics /health", () => get("/health"), START_MS);
  } catch (err) {
    await proc.stop();
    throw new Error(`${(err as Error).message}\n${proc.output()}`);
  }
  return {
    graphitePort,
    opentsdbPort,
    opentsdbHttpPort,
    httpPort,
    async series(regex: string) {
      await get("/internal/force_flush");
      const r = await fetch(`${base}/api/v1/export`, {
        method: "POST",
        body: new URLSearchParams({ "match[]": `{__name__=~"${regex}"}` }),
        client,
      });
      const text = await r.text();
      if (!r.ok) throw new Error(`export failed: ${r.status} ${text}`);
      return text.trim() === ""
        ? []
        : text.trim().split("\n").map((l) => JSON.parse(l) as VmSeries);
    },
    async stop() {
      client?.close();
      await proc.stop();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

export const CARBON_BIN = "/usr/bin/carbon-cache";

/** A running carbon-cache. */
export interface Carbon {
  port: number;
  dataDir: string;
  /** `timestamp -> value` of a metric, via whisper-fetch; empty slots left out. */
  fetch(metric: string, fromSec: number): Promise<Map<number, number>>;
  /**
   * `metric -> timestamps with a value` of every whisper file under
   * `prefix` (dots), read by one python3 process.
   */
  fetchAll(prefix: string, fromSec: number): Promise<Map<string, number[]>>;
  /** SIGKILL: a crash; what it had not read or written is gone. */
  kill(): Promise<void>;
  /** Starts it again on the same port and data. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts carbon-cache with 1-second retention (an hour unless `retention`
 * says otherwise), writes unthrottled.
 */
export async function startCarbon(
  options: { retention?: string } = {},
): Promise<Carbon> {
  const dir = await Deno.makeTempDir({ prefix: "skiff-carbon-" });
  const port = freePort();
  for (const d of ["storage", "whisper", "lists", "conf", "log", "run"]) {
    await Deno.mkdir(`${dir}/${d}`);
  }
  await Deno.writeTextFile(
    `${dir}/conf/storage-schemas.conf`,
    `[default]\npattern = .*\nretentions = ${options.retention ?? "1s:1h"}\n`,
  );
  await Deno.writeTextFile(
    `${dir}/conf/carbon.conf`,
    `[cache]
STORAGE_DIR = ${dir}/storage
LOCAL_DATA_DIR = ${dir}/whisper
WHITELISTS_DIR = ${dir}/lists
CONF_DIR = ${dir}/conf
LOG_DIR = ${dir}/log
PID_DIR = ${dir}/run
USER =
ENABLE_LOGROTATION = False
LINE_RECEIVER_INTERFACE = 127.0.0.1
LINE_RECEIVER_PORT = ${port}
PICKLE_RECEIVER_PORT = 0
CACHE_QUERY_PORT = 0
ENABLE_UDP_LISTENER = False
MAX_CACHE_SIZE = inf
MAX_UPDATES_PER_SECOND = inf
MAX_CREATES_PER_MINUTE = inf
CACHE_WRITE_STRATEGY = sorted
`,
  );
  const launch = async () => {
    // A carbon killed before leaves its pid file, which would stop this one.
    await Deno.remove(`${dir}/run/carbon-cache-a.pid`).catch(() => {});
    const proc = start(CARBON_BIN, [
      `--config=${dir}/conf/carbon.conf`,
      "--nodaemon",
      "start",
    ]);
    try {
      await waitFor("carbon-cache line receiver", async () => {
        try {
          const c = await Deno.connect({ hostname: "127.0.0.1", port });
          c.close();
          return true;
        } catch {
          return undefined;
        }
      }, START_MS);
    } catch (err) {
      await proc.stop();
      throw new Error(`${(err as Error).message}\n${proc.output()}`);
    }
    return proc;
  };
  let proc = await launch();
  return {
    port,
    dataDir: `${dir}/whisper`,
    async fetch(metric: string, fromSec: number) {
      const file = `${dir}/whisper/${metric.replaceAll(".", "/")}.wsp`;
      const out = await new Deno.Command("whisper-fetch", {
        args: [`--from=${fromSec}`, file],
        stdout: "piped",
        stderr: "piped",
      })
        .output();
      if (out.code !== 0) throw new Error(new TextDecoder().decode(out.stderr));
      const m = new Map<number, number>();
      for (
        const line of new TextDecoder().decode(out.stdout).trim().split("\n")
      ) {
        const [ts, v] = line.split("\t");
        if (v !== undefined && v !== "None") m.set(Number(ts), Number(v));
      }
      return m;
    },
    async fetchAll(prefix: string, fromSec: number) {
      const root = `${dir}/whisper/${prefix.replaceAll(".", "/")}`;
      const script = `
import os, sys, whisper, json
root, start = sys.argv[1], int(sys.argv[2])
out = {}
for d, _, files in os.walk(root):
    for f in files:
        if not f.endswith(".wsp"): continue
        path = os.path.join(d, f)
        (t0, t1, step), values = whisper.fetch(path, start)
        name = os.path.relpath(path, root)[:-4].replace("/", ".")
        out[name] = [t0 + i * step for i, v in enumerate(values) if v is not None]
print(json.dumps(out))
`;
      const r = await new Deno.Command("/usr/bin/python3", {
        args: ["-c", script, root, String(fromSec)],
        stdout: "piped",
        stderr: "piped",
      }).output();
      if (r.code !== 0) throw new Error(new TextDecoder().decode(r.stderr));
      return new Map(
        Object.entries(
          JSON.parse(new TextDecoder().decode(r.stdout)) as Record<
            string,
            number[]
          >,
        ),
      );
    },
    async kill() {
      await proc.stop("SIGKILL");
    },
    async restart() {
      proc = await launch();
    },
    async stop() {
      await proc.stop();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

export const NETDATA_BIN = "/usr/sbin/netdata";
/** Where Debian's netdata package keeps its plugins. */
export const NETDATA_PLUGINS_DIR = "/usr/lib/netdata/plugins.d";

/** A running private netdata 1.37. */
export interface Netdata {
  port: number;
  dir: string;
  /** GET a path of its API, parsed as JSON. */
  api<T = unknown>(path: string): Promise<T>;
  stop(): Promise<void>;
}

/**
 * Starts a private netdata with only its proc plugin, in-memory database,
 * no health, ML or registry, its web server on a free loopback port. It
 * runs at nice 0, as the tests and skiff do: netdata's default (batch
 * scheduling at nice 19) starves it whenever the suite keeps the cores
 * busy (with a busy loop on each core it answered after 14 and 51 s; at
 * nice 0, 2.4 and 2.7 s), and a starved parent reads its child late.
 * `extra` is appended to netdata.conf; `files` are written under DIR/etc.
 */
export async function startNetdata(
  options: {
    hostname?: string;
    extra?: string;
    files?: Record<string, string>;
    /**
     * `ram` by default; `dbengine` where replication is tested: 1.37's ram
     * mode stores a replayed point one slot late (RBEGIN advances the ring
     * before RSET writes to it), which dbengine, storing by time, does not.
     */
    memoryMode?: "ram" | "dbengine";
  } = {},
): Promise<Netdata> {
  const dir = await Deno.makeTempDir({ prefix: "skiff-netdata-" });
  const port = freePort();
  for (const d of ["etc", "cache", "lib", "log", "run"]) {
    await Deno.mkdir(`${dir}/${d}`);
  }
  for (const [name, text] of Object.entries(options.files ?? {})) {
    await Deno.writeTextFile(`${dir}/etc/${name}`, text);
  }
  const off = [
    "apps",
    "charts.d",
    "python.d",
    "go.d",
    "cgroups",
    "tc",
    "idlejitter",
    "diskspace",
    "timex",
    "ebpf",
    "statsd",
    "fping",
    "ioping",
    "perf",
    "slabinfo",
    "nfacct",
    "cups",
    "freeipmi",
    "checks",
  ].map((p) => `    ${p} = no`).join("\n");
  await Deno.writeTextFile(
    `${dir}/netdata.conf`,
    `[global]
    run as user = root
    process scheduling policy = other
    process nice level = 0
    memory mode = ${options.memoryMode ?? "ram"}
    hostname = ${options.hostname ?? "netdata-e2e"}
    update every = 1
[directories]
    config = ${dir}/etc
    cache = ${dir}/cache
    lib = ${dir}/lib
    log = ${dir}/log
    run = ${dir}/run
[web]
    bind to = 127.0.0.1:${port}
[ml]
    enabled = no
[health]
    enabled = no
[registry]
    enabled = no
[statsd]
    enabled = no
[plugins]
    proc = yes
${off}
    enable running new plugins = no
${options.extra ?? ""}
`,
  );
  const proc = start(NETDATA_BIN, [
    "-c",
    `${dir}/netdata.conf`,
    "-D",
    "-P",
    `${dir}/run/pid`,
  ]);
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitFor(
      "netdata /api/v1/info",
      () => httpOk(`${base}/api/v1/info`),
      START_MS,
    );
  } catch (err) {
    await proc.stop();
    throw new Error(`${(err as Error).message}\n${proc.output()}`);
  }
  return {
    port,
    dir,
    async api<T>(path: string) {
      const r = await fetch(`${base}${path}`);
      const text = await r.text();
      if (!r.ok) {
        throw new Error(`netdata ${path}: ${r.status} ${text.slice(0, 200)}`);
      }
      return JSON.parse(text) as T;
    },
    async stop() {
      await proc.stop();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

export const PROMETHEUS_BIN = "/usr/bin/prometheus";

/** A running Prometheus 2.42. */
export interface Prometheus {
  port: number;
  base: string;
  /** GET /api/v1/query?query=... at `time` (s; now when absent): the result vector. */
  query(
    q: string,
    time?: number,
  ): Promise<{ metric: Record<string, string>; value: [number, string] }[]>;
  output(): string;
  stop(): Promise<void>;
}

/**
 * Starts Prometheus on a free loopback port in a temp dir with `config`
 * as its prometheus.yml, its remote-write receiver on.
 */
export async function startPrometheus(
  config = "global: {}\n",
): Promise<Prometheus> {
  const dir = await Deno.makeTempDir({ prefix: "skiff-prom-" });
  const port = freePort();
  await Deno.writeTextFile(`${dir}/prometheus.yml`, config);
  const proc = start(PROMETHEUS_BIN, [
    `--config.file=${dir}/prometheus.yml`,
    `--storage.tsdb.path=${dir}/data`,
    `--web.listen-address=127.0.0.1:${port}`,
    "--web.enable-remote-write-receiver",
  ]);
  const base = `http://127.0.0.1:${port}`;
  const stop = async () => {
    await proc.stop();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  try {
    await waitFor(
      "Prometheus ready",
      () => httpOk(`${base}/-/ready`),
      START_MS,
    );
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}\n${proc.output()}`);
  }
  return {
    port,
    base,
    async query(q, time) {
      const r = await fetch(
        `${base}/api/v1/query?query=${encodeURIComponent(q)}${
          time === undefined ? "" : `&time=${time}`
        }`,
      );
      const j = await r.json() as {
        status: string;
        error?: string;
        data: {
          result: { metric: Record<string, string>; value: [number, string] }[];
        };
      };
      if (j.status !== "success") throw new Error(`query ${q}: ${j.error}`);
      return j.data.result;
    },
    output: () => proc.output(),
    stop,
  };
}
