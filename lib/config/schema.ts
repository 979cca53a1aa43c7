/**
 * Every config key skiff knows: its section, type, default and meaning.
 * This table is the single source for validation, for the typed config,
 * for `skiff config` (the commented default file) and for the README's
 * config reference, so the three cannot drift apart.
 *
 * @module
 */

/** How a key's text is read. */
export type KeyKind = "bool" | "int" | "string" | "choice" | "list";

/** One key of one section. */
export interface KeySpec {
  key: string;
  kind: KeyKind;
  /** The default as it would be written in the file. */
  default: string;
  /** Shown instead of `default` when the default is computed at run time. */
  defaultNote?: string;
  doc: string;
  min?: number;
  max?: number;
  /**
   * For `choice`: accepted word -> canonical value (aliases map too); for
   * `list`: the words a list may hold.
   */
  choices?: Record<string, string>;
  /** The property of the typed config that holds the value. */
  field?: string;
}

/** The type a key's value has once parsed. */
type KeyValue<K> = K extends { kind: "bool" } ? boolean
  : K extends { kind: "int" } ? number
  : K extends { choices: infer C } ? C[keyof C]
  : string;

/**
 * The typed values of a section whose keys name their `field`: the schema
 * is the one place a key is written; its type is derived from it.
 */
export type KeyValues<S extends readonly KeySpec[]> = {
  -readonly [
    K in S[number] as K extends { field: infer F extends string } ? F
      : never
  ]: KeyValue<K>;
};

/** A section and its keys. */
export interface SectionSpec {
  name: string;
  doc: string;
  keys: KeySpec[];
  /** Sections whose keys are open-ended (`[plugins]` names plugins). */
  openKeys?: { kind: KeyKind; doc: string };
  /** Shown by `skiff config` after the keys. */
  note?: string;
}

/** Boolean words, as netdata's config accepts them. */
export const BOOLEAN_WORDS: Record<string, boolean> = {
  yes: true,
  no: false,
  true: true,
  false: false,
  on: true,
  off: false,
  "1": true,
  "0": false,
  // netdata writes these for "enable when the source exists".
  auto: true,
  "on demand": true,
};

/**
 * The data-source words of `data source`, as netdata 1.37's
 * exporting_parse_data_source() accepts them.
 */
export const DATA_SOURCES = {
  "as collected": "as collected",
  raw: "as collected",
  "as-collected": "as collected",
  as_collected: "as collected",
  ascollected: "as collected",
  average: "average",
  sum: "sum",
  volume: "sum",
} as const;

/**
 * Every connector type word netdata 1.37 accepts (exporting_select_type()),
 * to its canonical type. `:https` variants are the same type over TLS.
 */
export const CONNECTOR_TYPES = {
  graphite: "graphite",
  "graphite:plaintext": "graphite",
  "graphite:http": "graphite:http",
  "graphite:https": "graphite:http",
  json: "json",
  "json:plaintext": "json",
  "json:http": "json:http",
  "json:https": "json:http",
  opentsdb: "opentsdb",
  "opentsdb:telnet": "opentsdb",
  "opentsdb:http": "opentsdb:http",
  "opentsdb:https": "opentsdb:http",
  prometheus_remote_write: "prometheus_remote_write",
  "prometheus_remote_write:http": "prometheus_remote_write",
  "prometheus_remote_write:https": "prometheus_remote_write",
  kinesis: "kinesis",
  "kinesis:plaintext": "kinesis",
  pubsub: "pubsub",
  "pubsub:plaintext": "pubsub",
  mongodb: "mongodb",
  "mongodb:plaintext": "mongodb",
} as const;

/** A canonical connector type. */
export type ConnectorType =
  typeof CONNECTOR_TYPES[keyof typeof CONNECTOR_TYPES];

/** The connector types skiff has a connector for. */
export const IMPLEMENTED_CONNECTORS: ReadonlySet<ConnectorType> = new Set<
  ConnectorType
>([
  "graphite",
  "opentsdb",
  "json",
  "graphite:http",
  "opentsdb:http",
  "json:http",
  "prometheus_remote_write",
]);

/** The connector words of the legacy `[backend] type`. */
export const BACKEND_TYPES = {
  graphite: "graphite",
  "graphite:plaintext": "graphite",
  opentsdb: "opentsdb",
  "opentsdb:telnet": "opentsdb",
} as const;

/** The /proc files the proc plugin reads, keyed as netdata names them. */
export const PROC_MODULES = [
  "/proc/stat",
  "/proc/uptime",
  "/proc/loadavg",
  "/proc/meminfo",
  "/proc/vmstat",
  "/proc/net/dev",
  "/proc/diskstats",
  "/proc/sys/kernel/random/entropy_avail",
  "/proc/pressure",
  "/proc/softirqs",
  "/proc/interrupts",
  "/proc/net/softnet_stat",
  "/proc/net/stat/nf_conntrack",
  "ipc",
  "/proc/net/sockstat",
  "/proc/net/netstat",
  "/sys/block/zram",
] as const;

/** What a `[plugin:proc]` key collects, when not just its file. */
const PROC_MODULE_DOCS: Partial<Record<typeof PROC_MODULES[number], string>> = {
  ipc:
    "collect System V IPC semaphores, shared memory and message queues (/proc/sysvipc)",
  "/proc/net/netstat":
    "collect from /proc/net/netstat, /proc/net/snmp and /proc/net/snmp6",
};

/** The keys of a `[plugin:NAME]` section for an external plugin. */
export const PLUGIN_SECTION_KEYS: KeySpec[] = [
  {
    key: "update every",
    kind: "int",
    default: "",
    defaultNote: "[global] update every",
    min: 1,
    doc:
      "seconds between the plugin's collections; passed as its first argument",
  },
  {
    key: "command options",
    kind: "string",
    default: "",
    doc: "extra arguments passed to the plugin after the update every",
  },
];

/**
 * A section named by an API key (a UUID) lets netdata children stream with
 * that key, as a section of netdata's stream.conf does.
 */
export const API_KEY_SECTION =
  /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** A stream capability a config may turn off (bits in lib/stream/handshake.ts). */
export type CapabilityName =
  | "hlabels"
  | "claim"
  | "clabels"
  | "compression"
  | "functions"
  | "replication"
  | "binary";

const CAPABILITY_CHOICES: Record<CapabilityName, CapabilityName> = {
  hlabels: "hlabels",
  claim: "claim",
  clabels: "clabels",
  compression: "compression",
  functions: "functions",
  replication: "replication",
  binary: "binary",
};

/** The keys of an API key section. */
export const API_KEY_SECTION_KEYS: KeySpec[] = [
  {
    key: "enabled",
    kind: "bool",
    default: "no",
    doc: "accept children that stream with this key",
  },
  {
    key: "allow from",
    kind: "string",
    default: "*",
    doc:
      "netdata simple patterns of child IP addresses accepted (e.g. 10.* !10.0.0.1)",
  },
  {
    key: "default history",
    kind: "int",
    default: "",
    defaultNote: "[global] history",
    min: 5,
    doc: "entries kept per dimension of hosts received with this key",
  },
  {
    key: "enable compression",
    kind: "bool",
    default: "yes",
    doc:
      "let children compress their stream (LZ4, as netdata 1.37 frames it) when they offer to",
  },
  {
    key: "enable replication",
    kind: "bool",
    default: "yes",
    doc:
      "after each (re)connect, ask a child for what it collected while it was away, so its data has no hole; no: ask for nothing (the child still stamps its own collections), as 1.37",
  },
  {
    key: "seconds to replicate",
    kind: "int",
    default: "86400",
    min: 0,
    doc:
      "the most a child is asked to replay for a chart skiff has no data of; never more than the history kept",
  },
  {
    key: "seconds per replication step",
    kind: "int",
    default: "600",
    min: 1,
    doc: "the most one replay request asks for; a longer gap takes several",
  },
  {
    key: "disabled capabilities",
    kind: "list",
    default: "",
    choices: CAPABILITY_CHOICES,
    doc:
      "skiff: stream capabilities not granted to children with this key, from hlabels claim clabels compression functions replication binary",
  },
  {
    key: "max hosts",
    kind: "int",
    default: "100",
    min: 1,
    doc: "skiff: hosts that may stream with this key at once",
  },
  {
    key: "max charts per host",
    kind: "int",
    default: "10000",
    min: 1,
    doc: "skiff: charts one received host may define",
  },
  {
    key: "max dimensions per chart",
    kind: "int",
    default: "1000",
    min: 1,
    doc: "skiff: dimensions one received chart may define",
  },
];

/** Keys an instance and the legacy `[backend]` share, written once. */
const HOSTNAME_KEY = {
  key: "hostname",
  field: "hostname",
  kind: "string",
  default: "",
  defaultNote: "[global] hostname",
  doc: "name sent for this host; received hosts keep their own",
} as const satisfies KeySpec;
const RESEND_WINDOW_KEY = {
  key: "resend window seconds",
  field: "resendWindowSec",
  kind: "int",
  default: "0",
  min: 0,
  max: 3600,
  doc:
    "skiff: after a reconnect, send again what was sent this many seconds before (a crashed peer may not have read it; Graphite and OpenTSDB keep one value per series and time); 0: never, as netdata",
} as const satisfies KeySpec;
const UPDATE_EVERY_KEY = {
  key: "update every",
  field: "updateEverySec",
  kind: "int",
  default: "10",
  min: 1,
  max: 86400,
  doc: "seconds between sends",
} as const satisfies KeySpec;
const BUFFER_ON_FAILURES_KEY = {
  key: "buffer on failures",
  field: "bufferOnFailures",
  kind: "int",
  default: "10",
  min: 1,
  doc:
    "unsent batches kept while sends fail; one more drops the oldest, counted as lost",
} as const satisfies KeySpec;
const SEND_HOSTS_MATCHING_KEY = {
  key: "send hosts matching",
  field: "sendHostsMatching",
  kind: "string",
  default: "localhost *",
  doc: "netdata simple patterns of hostnames to send; localhost is this host",
} as const satisfies KeySpec;
const PREFIX_KEY = {
  key: "prefix",
  field: "prefix",
  kind: "string",
  default: "netdata",
  doc: "first element of every metric name",
} as const satisfies KeySpec;
const MAX_BUFFERED_BYTES_KEY = {
  key: "max buffered bytes",
  field: "maxBufferedBytes",
  kind: "int",
  default: "16777216",
  min: 4096,
  doc:
    "skiff: cap on unsent data; past it the oldest batches are dropped and counted as lost",
} as const satisfies KeySpec;
const SEND_CHARTS_MATCHING_KEY = {
  key: "send charts matching",
  field: "sendChartsMatching",
  kind: "string",
  default: "*",
  doc:
    "netdata simple patterns of chart ids or names to send (e.g. system.* !system.uptime)",
} as const satisfies KeySpec;
const SEND_NAMES_INSTEAD_OF_IDS_KEY = {
  key: "send names instead of ids",
  field: "sendNames",
  kind: "bool",
  default: "yes",
  doc:
    "chart and dimension names (system.net.received) instead of ids (system.net.InOctets)",
} as const satisfies KeySpec;
const DATA_SOURCE_KEY = {
  key: "data source",
  field: "dataSource",
  kind: "choice",
  default: "average",
  choices: DATA_SOURCES,
  doc:
    "average or sum (alias volume) of the stored points in the window; as collected (alias raw, as-collected, as_collected, ascollected): the last collected values",
} as const satisfies KeySpec;

/**
 * The keys of an exporting instance `[TYPE:NAME]`, with netdata 1.37's
 * defaults (exporting/read_config.c). Each may also be set in
 * `[exporting:global]` as a default for every instance.
 */
export const EXPORTING_INSTANCE_KEYS = [
  {
    key: "enabled",
    field: "enabled",
    kind: "bool",
    default: "no",
    doc: "send this instance's metrics",
  },
  {
    key: "destination",
    field: "destination",
    kind: "list",
    default: "localhost",
    doc:
      "space- or comma-separated list tried in order: host, [tcp:]host:port, [ipv6]:port, or stdout",
  },
  DATA_SOURCE_KEY,

  UPDATE_EVERY_KEY,

  BUFFER_ON_FAILURES_KEY,

  {
    key: "timeout ms",
    field: "timeoutMs",
    kind: "int",
    default: "10000",
    min: 1,
    doc: "per destination: connect and each write",
  },
  SEND_CHARTS_MATCHING_KEY,

  SEND_HOSTS_MATCHING_KEY,

  SEND_NAMES_INSTEAD_OF_IDS_KEY,

  {
    key: "send configured labels",
    field: "sendConfiguredLabels",
    kind: "bool",
    default: "yes",
    doc:
      "host labels set by a user ([host labels], a child's netdata.conf) as tags",
  },
  {
    key: "send automatic labels",
    field: "sendAutomaticLabels",
    kind: "bool",
    default: "no",
    doc: "host labels found automatically (_os_name, ...) as tags",
  },
  {
    key: "send variables",
    field: "sendVariables",
    kind: "bool",
    default: "yes",
    doc: "host and chart variables too (prometheus_remote_write only)",
  },
  PREFIX_KEY,
  HOSTNAME_KEY,
  {
    key: "username",
    field: "username",
    kind: "string",
    default: "",
    doc: "HTTP connectors: basic authentication user",
  },
  {
    key: "password",
    field: "password",
    kind: "string",
    default: "",
    doc: "HTTP connectors: basic authentication password",
  },
  {
    key: "remote write URL path",
    field: "remoteWritePath",
    kind: "string",
    default: "/receive",
    doc: "prometheus_remote_write: the path requests go to",
  },
  MAX_BUFFERED_BYTES_KEY,
  RESEND_WINDOW_KEY,
  {
    key: "tls ca file",
    field: "tlsCaFile",
    kind: "string",
    default: "",
    doc:
      "skiff: :https connectors trust the certificates of this PEM file instead of the system's",
  },
] as const satisfies readonly KeySpec[];

/**
 * netdata's `[prometheus:exporter]` (exporting.conf): what
 * `/api/v1/allmetrics?format=prometheus` sends, as netdata 1.37's
 * read_config.c reads it: each key from this section, else from
 * `[exporting:global]`, else its default.
 */
export const PROMETHEUS_EXPORTER_KEYS = [
  {
    ...UPDATE_EVERY_KEY,
    doc:
      "seconds a scraper's first scrape averages over (later scrapes: since its previous one)",
  },
  {
    ...DATA_SOURCE_KEY,
    doc:
      "average or sum of the stored points since the scraper's previous scrape, or as collected (the last collected values); a scrape's source parameter changes only names and units, as in netdata",
  },
  {
    ...SEND_NAMES_INSTEAD_OF_IDS_KEY,
    doc:
      "chart and dimension labels by name instead of id (a scrape's names parameter overrides it)",
  },
  {
    key: "send configured labels",
    field: "sendConfiguredLabels",
    kind: "bool",
    default: "yes",
    doc: "host labels set by a user as labels of netdata_info",
  },
  {
    key: "send automatic labels",
    field: "sendAutomaticLabels",
    kind: "bool",
    default: "no",
    doc:
      "host labels found automatically (_os_name, ...) as labels of netdata_info",
  },
  {
    ...SEND_CHARTS_MATCHING_KEY,
    doc:
      "netdata simple patterns of charts to send (names or ids, as send names instead of ids says), unless a scrape gives a filter parameter",
  },
  { ...PREFIX_KEY, doc: "first element of every metric name but netdata_info" },
  {
    key: "send hosts matching",
    kind: "string",
    default: "localhost *",
    doc:
      "read and not used, as in netdata 1.37: prometheus_all_hosts sends every host",
  },
] as const satisfies readonly KeySpec[];

/** The typed keys of `[prometheus:exporter]`. */
export type PrometheusExporterValues = KeyValues<
  typeof PROMETHEUS_EXPORTER_KEYS
>;

/** The typed keys of an exporting instance. */
export type ExportingInstanceValues = KeyValues<typeof EXPORTING_INSTANCE_KEYS>;

/**
 * The legacy `[backend]` section (netdata before 1.34; 1.37 ignores it):
 * one more exporting instance, with its own defaults.
 */
export const BACKEND_KEYS = [
  {
    key: "enabled",
    field: "enabled",
    kind: "bool",
    default: "no",
    doc: "send metrics to the destinations",
  },
  DATA_SOURCE_KEY,

  {
    key: "type",
    field: "type",
    kind: "choice",
    default: "graphite",
    choices: BACKEND_TYPES,
    doc:
      "graphite (alias graphite:plaintext, port 2003) or opentsdb (alias opentsdb:telnet, port 4242)",
  },
  {
    key: "destination",
    field: "destination",
    kind: "list",
    default: "localhost",
    doc:
      "space- or comma-separated list tried in order: host, host:port, [ipv6]:port, or stdout",
  },
  PREFIX_KEY,
  HOSTNAME_KEY,
  UPDATE_EVERY_KEY,

  BUFFER_ON_FAILURES_KEY,

  {
    key: "timeout ms",
    field: "timeoutMs",
    kind: "int",
    default: "",
    defaultNote: "update every * 2000",
    doc:
      "per destination: connect and each write; below 1 falls back to the default",
  },
  SEND_NAMES_INSTEAD_OF_IDS_KEY,

  SEND_CHARTS_MATCHING_KEY,

  SEND_HOSTS_MATCHING_KEY,

  {
    key: "host tags",
    field: "hostTags",
    kind: "string",
    default: "",
    doc:
      "tags of this host appended to every metric (graphite: ;TAGS, opentsdb: space TAGS), as netdata's [backend]",
  },
  MAX_BUFFERED_BYTES_KEY,
  RESEND_WINDOW_KEY,
] as const satisfies readonly KeySpec[];

/** The typed keys of the legacy `[backend]`. */
export type BackendValues = KeyValues<typeof BACKEND_KEYS>;

/**
 * `[TYPE:NAME]`: an exporting instance, as netdata 1.37 splits the section
 * name at its last colon. Undefined when TYPE is not a connector type.
 */
export function instanceSection(
  section: string,
): { typeWord: keyof typeof CONNECTOR_TYPES; name: string } | undefined {
  const colon = section.lastIndexOf(":");
  if (colon <= 0) return undefined;
  const typeWord = section.slice(0, colon);
  if (!Object.hasOwn(CONNECTOR_TYPES, typeWord)) return undefined;
  return {
    typeWord: typeWord as keyof typeof CONNECTOR_TYPES,
    name: section.slice(colon + 1),
  };
}

/** All fixed sections, in the order `skiff config` prints them. */
export const SECTIONS: SectionSpec[] = [
  {
    name: "global",
    doc: "The local host and its database.",
    keys: [
      {
        key: "hostname",
        kind: "string",
        default: "",
        defaultNote: "the system's host name",
        doc: "name of the local host",
      },
      {
        key: "update every",
        kind: "int",
        default: "1",
        min: 1,
        max: 3600,
        doc: "seconds between collections of the local collectors",
      },
      {
        key: "history",
        kind: "int",
        default: "3600",
        min: 5,
        max: 86400 * 7,
        doc: "entries kept per dimension (round robin); 3600 at 1 s is 1 hour",
      },
      {
        key: "log level",
        kind: "choice",
        default: "info",
        choices: { debug: "debug", info: "info", warn: "warn", error: "error" },
        doc: "least severe log lines written to stderr (--log-level overrides)",
      },
    ],
  },
  {
    name: "host labels",
    doc:
      "Labels of this host (netdata's [host labels]): NAME = VALUE, sent as tags by exporting instances with send configured labels.",
    keys: [],
    openKeys: { kind: "string", doc: "NAME = VALUE" },
  },
  {
    name: "health",
    doc:
      "Only what skiff uses of netdata's [health]: two labels every netdata host carries.",
    keys: [
      {
        key: "is ephemeral",
        kind: "bool",
        default: "no",
        doc: "the host label _is_ephemeral (true/false)",
      },
      {
        key: "has unstable connection",
        kind: "bool",
        default: "no",
        doc: "the host label _has_unstable_connection (true/false)",
      },
    ],
  },
  {
    name: "prometheus:exporter",
    doc:
      "What /api/v1/allmetrics?format=prometheus sends (netdata's section of exporting.conf, read from beside the config file, or here).",
    keys: [...PROMETHEUS_EXPORTER_KEYS],
  },
  {
    name: "exporting:global",
    doc:
      "The exporting engine (netdata 1.37's exporting.conf, read from beside the config file, or here).\nEvery key is a default for every instance [TYPE:NAME] below.",
    keys: [...EXPORTING_INSTANCE_KEYS],
    note:
      `An exporting instance is a section [TYPE:NAME] with the keys of [exporting:global].
TYPE: ${
        Object.keys(CONNECTOR_TYPES).filter((t) =>
          IMPLEMENTED_CONNECTORS.has(
            CONNECTOR_TYPES[t as keyof typeof CONNECTOR_TYPES],
          )
        ).join(", ")
      }.
e.g. [graphite:my_graphite]
    enabled = yes
    destination = graphite.example:2003`,
  },
  {
    name: "backend",
    doc:
      "Legacy netdata [backend] (before netdata 1.34): one more exporting instance, with these defaults.",
    keys: [...BACKEND_KEYS],
  },
  {
    name: "directories",
    doc: "Where skiff finds things.",
    keys: [
      {
        key: "plugins",
        kind: "list",
        default:
          '"/usr/lib/netdata/plugins.d" "/usr/libexec/netdata/plugins.d"',
        doc:
          "space-separated directories searched for *.plugin executables (quotes optional)",
      },
      {
        key: "config",
        kind: "string",
        default: "/etc/netdata",
        doc:
          "passed to plugins as NETDATA_USER_CONFIG_DIR (and NETDATA_CONFIG_DIR)",
      },
      {
        key: "stock config",
        kind: "string",
        default: "/usr/lib/netdata/conf.d",
        doc: "passed to plugins as NETDATA_STOCK_CONFIG_DIR",
      },
      {
        key: "cache",
        kind: "string",
        default: "/var/cache/netdata",
        doc: "passed to plugins as NETDATA_CACHE_DIR",
      },
      {
        key: "lib",
        kind: "string",
        default: "/var/lib/netdata",
        doc: "passed to plugins as NETDATA_LIB_DIR",
      },
      {
        key: "log",
        kind: "string",
        default: "/var/log/netdata",
        doc: "passed to plugins as NETDATA_LOG_DIR",
      },
      {
        key: "run",
        kind: "string",
        default: "/run/skiff",
        doc:
          "skiff: a pid file per running plugin, so that the next start stops the plugins a killed skiff left running; created if missing",
      },
    ],
  },
  {
    name: "plugins",
    doc: "Which collectors run.",
    keys: [
      {
        key: "proc",
        kind: "bool",
        default: "yes",
        doc: "the /proc collectors (see [plugin:proc])",
      },
      {
        key: "netdata monitoring",
        kind: "bool",
        default: "yes",
        doc: "skiff's own health charts (CPU, memory, collector durations)",
      },
      {
        key: "enable running new plugins",
        kind: "bool",
        default: "no",
        doc:
          "run every *.plugin found in the plugins directories unless disabled by name",
      },
      {
        key: "check for new plugins every",
        kind: "int",
        default: "60",
        min: 1,
        doc: "seconds between scans of the plugins directories",
      },
      {
        key: "stderr lines per second",
        kind: "int",
        default: "20",
        min: 0,
        doc:
          "skiff: most lines of one plugin's standard error logged per second; one line counts the rest",
      },
    ],
    openKeys: {
      kind: "bool",
      doc: "NAME = yes/no runs or skips NAME.plugin",
    },
  },
  {
    name: "plugin:proc",
    doc: "The /proc collectors, keyed by the file each reads (as netdata).",
    keys: [
      {
        key: "update every",
        kind: "int",
        default: "",
        defaultNote: "[global] update every",
        min: 1,
        doc: "seconds between /proc collections",
      },
      ...PROC_MODULES.map((m): KeySpec => ({
        key: m,
        kind: "bool",
        default: "yes",
        doc: PROC_MODULE_DOCS[m] ?? `collect from ${m}`,
      })),
    ],
  },
  {
    name: "db",
    doc:
      "Only what skiff uses of netdata's [db] (received hosts are kept in memory).",
    keys: [
      {
        key: "cleanup orphan hosts after secs",
        kind: "int",
        default: "3600",
        min: 0,
        doc:
          "a received host whose child is gone this long is freed with its data (netdata 1.37's key and default); it is made again if the child comes back; 0: never (skiff)",
      },
    ],
  },
  {
    name: "web",
    doc:
      "The listening port: netdata children stream to it, and it answers netdata's web API (/api/v1/...), /status and the status page (/).",
    keys: [
      {
        key: "mode",
        kind: "choice",
        default: "none",
        choices: { none: "none", "static-threaded": "static-threaded" },
        doc: "none: do not listen; static-threaded: listen on bind to",
      },
      {
        key: "bind to",
        kind: "list",
        default: "localhost:19999",
        doc:
          "space-separated host:port addresses to listen on; an address without a port takes default port",
      },
      {
        key: "default port",
        kind: "int",
        default: "19999",
        min: 1,
        max: 65535,
        doc:
          "the port of a bind to address that names none (netdata's [web] default port)",
      },
      {
        key: "stream idle timeout seconds",
        kind: "int",
        default: "600",
        min: 1,
        doc:
          "a streaming child that sends nothing for this long is disconnected",
      },
      {
        key: "stream max line length",
        kind: "int",
        default: "16384",
        min: 256,
        doc: "a streaming child that sends a longer line is disconnected",
      },
      {
        key: "stream config",
        kind: "string",
        default: "",
        doc:
          "a netdata stream.conf whose API key sections are used too (skiff's own win); its other keys are ignored",
      },
      {
        key: "mark hosts orphan after seconds",
        kind: "int",
        default: "60",
        min: 0,
        doc:
          "a received host whose child is gone this long is marked orphan; its data stays queryable",
      },
      {
        key: "timeout for first request",
        kind: "int",
        default: "10",
        min: 1,
        max: 3600,
        doc:
          "seconds a new connection has for its whole request (the stream handshake), however slowly it sends; netdata's default is 60",
      },
      {
        key: "max unauthenticated connections",
        kind: "int",
        default: "256",
        min: 1,
        doc:
          "skiff: connections still in their request (not yet an accepted child) at once; more are closed at once",
      },
      {
        key: "allow connections from",
        kind: "string",
        default: "localhost *",
        doc:
          "netdata simple patterns of peer addresses that may connect at all; others are closed at once (skiff matches addresses, and `localhost` for loopback ones: no DNS)",
      },
      {
        key: "allow streaming from",
        kind: "string",
        default: "*",
        doc:
          "netdata simple patterns of peer addresses that may stream in; others are answered 403, as netdata answers them",
      },
      {
        key: "allow dashboard from",
        kind: "string",
        default: "localhost *",
        doc:
          "netdata simple patterns of peer addresses that may use the web API (/api/v1/...) and the status page (/, /status); others are answered 403",
      },
      {
        key: "allow metrics from",
        kind: "string",
        default: "",
        defaultNote: "allow dashboard from",
        doc:
          "skiff: the same for /api/v1/allmetrics (what Prometheus scrapes), so scrapers can be let in without the dashboard; netdata 1.37 uses allow dashboard from",
      },
      {
        key: "max unauthenticated connections per address",
        kind: "int",
        default: "16",
        min: 1,
        doc:
          "skiff: the same from one source address (IPv6: one /64); more are closed at once",
      },
    ],
  },
  {
    name: "stream",
    doc: "Streaming this host to a parent (netdata's stream.conf [stream]).",
    keys: [
      {
        key: "enabled",
        kind: "bool",
        default: "no",
        doc: "stream the local host to destination",
      },
      {
        key: "destination",
        kind: "list",
        default: "",
        doc: "parents tried in order: host:port or [ipv6]:port",
      },
      {
        key: "api key",
        kind: "string",
        default: "",
        doc: "the key the parent accepts (a UUID)",
      },
      {
        key: "timeout seconds",
        kind: "int",
        default: "60",
        min: 1,
        doc: "connect and write timeout",
      },
      {
        key: "reconnect delay seconds",
        kind: "int",
        default: "5",
        min: 1,
        doc: "first wait before reconnecting; doubles up to 60",
      },
      {
        key: "enable compression",
        kind: "bool",
        default: "yes",
        doc:
          "compress the stream (LZ4, as netdata 1.37 frames it) when the parent grants it",
      },
      {
        key: "disabled capabilities",
        kind: "list",
        default: "",
        choices: CAPABILITY_CHOICES,
        doc:
          "skiff: stream capabilities not offered to the parent, from hlabels claim clabels compression functions replication binary",
      },
      {
        key: "forward received hosts",
        kind: "bool",
        default: "no",
        doc:
          "also stream every host received from children to the parent (as a netdata proxy), one connection each",
      },
    ],
  },
];

/** The spec of a fixed section, or undefined. */
export function sectionSpec(name: string): SectionSpec | undefined {
  return SECTIONS.find((s) => s.name === name);
}
