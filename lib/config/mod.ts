/**
 * INI text -> typed, validated {@link Config}. Bad values are errors naming
 * file:line, section, key, the value and what is allowed; unknown sections and
 * keys are warnings with file:line.
 *
 * @module
 */

import { dirname, isAbsolute, join } from "../path.ts";
import { EXPORTING_CONF } from "./files.ts";
import { parseIni } from "./ini.ts";
import type { IniDocument } from "./ini.ts";
import {
  API_KEY_SECTION,
  API_KEY_SECTION_KEYS,
  BACKEND_KEYS,
  CONNECTOR_TYPES,
  EXPORTING_INSTANCE_KEYS,
  IMPLEMENTED_CONNECTORS,
  instanceSection,
  PLUGIN_SECTION_KEYS,
  PROC_MODULES,
  PROMETHEUS_EXPORTER_KEYS,
  type PrometheusExporterValues,
  SECTIONS,
  sectionSpec,
} from "./schema.ts";
import type { CapabilityName, KeySpec } from "./schema.ts";
import {
  parseBindAddress,
  parseDestinationList,
  parseServices,
  SERVICES_FILE,
} from "./destination.ts";
import type { Destination, Services } from "./destination.ts";
import { exportingInstances, legacyBackend } from "./exporting.ts";
import type { ExportingInstance, InstanceSection } from "./exporting.ts";
import {
  cannotParse,
  parseValue,
  resolveFields,
  ValueError,
  valueText,
} from "./values.ts";
import type { ConfigMessage, LocatedEntry } from "./values.ts";
import type { LogLevel } from "../log.ts";

export type { Destination } from "./destination.ts";
export { hostPort, parseBindAddress } from "./destination.ts";
export {
  denoFlags,
  KILL_COMMAND,
  missingPermissions,
  missingPermissionsMessage,
  permissionNeeds,
  permissionSet,
  TAIL_COMMAND,
} from "./permissions.ts";
export type { PermissionNeed } from "./permissions.ts";
export { DATA_SOURCES } from "./schema.ts";
export type {
  CapabilityName,
  ConnectorType,
  PrometheusExporterValues,
} from "./schema.ts";
export type { ExportingInstance } from "./exporting.ts";
export type { ConfigMessage } from "./values.ts";

/** `data source`, canonical. */
export type DataSource = "as collected" | "average" | "sum";

export { EXPORTING_CONF };

/** Label sources, netdata's RRDLABEL_SRC_* bits. */
export const LABEL_SOURCE_AUTO = 1;
export const LABEL_SOURCE_CONFIG = 2;

/** An external plugin's `[plugin:NAME]` section. */
export interface PluginSection {
  updateEverySec?: number;
  commandOptions: string;
}

/** The typed, validated configuration. */
export interface Config {
  /** The file it came from ("(defaults)" when none). */
  source: string;
  global: {
    hostname: string;
    updateEverySec: number;
    historyEntries: number;
    logLevel: LogLevel;
  };
  /**
   * This host's labels, in netdata's order: `[host labels]` first, then
   * those from `[health]`; each with its source (LABEL_SOURCE_*).
   */
  hostLabels: [name: string, value: string, source: number][];
  /** `[backend] host tags` of this host ("" for none). */
  hostTags: string;
  /**
   * Exporting instances: `[TYPE:NAME]` sections (from exporting.conf and
   * the config), then the legacy `[backend]`; disabled ones included.
   */
  exporting: ExportingInstance[];
  /** exporting.conf's `[prometheus:exporter]`: what allmetrics sends. */
  prometheusExporter: PrometheusExporterValues;
  directories: {
    plugins: string[];
    config: string;
    stockConfig: string;
    cache: string;
    lib: string;
    log: string;
    /** Where a pid file per running plugin is kept. */
    run: string;
  };
  plugins: {
    proc: boolean;
    selfMonitoring: boolean;
    enableRunningNewPlugins: boolean;
    checkForNewPluginsEverySec: number;
    /** Lines of one plugin's stderr logged per second at most. */
    stderrLinesPerSec: number;
    /** `NAME = yes/no` lines of [plugins], by plugin name. */
    byName: Record<string, boolean>;
  };
  proc: { updateEverySec: number; modules: Record<string, boolean> };
  /** `[plugin:NAME]` sections of external plugins, by name. */
  pluginSections: Record<string, PluginSection>;
  web: {
    mode: "none" | "static-threaded";
    /** Addresses as written; one without a port takes `defaultPort`. */
    bindTo: string[];
    defaultPort: number;
    streamIdleTimeoutSec: number;
    streamMaxLineLength: number;
    orphanAfterSec: number;
    /** A netdata stream.conf to take API keys from; "" for none. */
    streamConfig: string;
    /** The whole stream handshake must arrive within this (not per read). */
    firstRequestTimeoutSec: number;
    /** Connections not yet accepted as a child, at once; more are closed. */
    maxUnauthenticatedConnections: number;
    /** The same, from one source address (an IPv6 /64). */
    maxUnauthenticatedConnectionsPerAddress: number;
    /** Simple patterns of peers that may connect / stream (netdata's keys). */
    allowConnectionsFrom: string;
    allowStreamingFrom: string;
    /** Who may use the web API and the status page; allmetrics. */
    allowDashboardFrom: string;
    allowMetricsFrom: string;
  };
  db: {
    /** A received host gone this long is freed; 0: never. */
    cleanupOrphanHostsAfterSec: number;
  };
  /** Sections named by an API key: who may stream in, and their limits. */
  streamKeys: Record<string, StreamKey>;
  stream: {
    enabled: boolean;
    destinations: Destination[];
    apiKey: string;
    timeoutSec: number;
    reconnectDelaySec: number;
    forwardReceivedHosts: boolean;
    enableCompression: boolean;
    /** Capability names not offered (skiff's `disabled capabilities`). */
    disabledCapabilities: CapabilityName[];
  };
}

/** What an API key section allows. */
export interface StreamKey {
  enabled: boolean;
  allowFrom: string;
  historyEntries: number;
  maxHosts: number;
  maxChartsPerHost: number;
  maxDimensionsPerChart: number;
  /** Grant children compression when they offer it. */
  enableCompression: boolean;
  /** Ask children to replay what they collected while away. */
  enableReplication: boolean;
  secondsToReplicate: number;
  replicationStepSec: number;
  /** Capability names not granted (skiff's `disabled capabilities`). */
  disabledCapabilities: CapabilityName[];
}

/** The result of {@link parseConfig}. */
export interface ConfigResult {
  config: Config;
  warnings: ConfigMessage[];
  errors: ConfigMessage[];
}

/** What the config cannot know by itself. */
export interface ConfigEnvironment {
  systemHostname: string;
  /**
   * Relative paths in [directories] are taken from here: the config file's
   * directory, so a config and its plugins can move together.
   */
  baseDir?: string;
  /**
   * netdata's exporting.conf (its `[exporting:global]`, `[TYPE:NAME]` and
   * `[prometheus:exporter]` sections), read from beside the config file.
   */
  exportingConf?: { text: string; file: string };
  /** Named ports (`host:graphite`), from /etc/services. */
  services?: Services;
  /**
   * The file is a netdata.conf (`--config-dir`): netdata's sections and
   * keys skiff does not use are listed once, not one warning each; the
   * listener follows netdata's defaults (`bind to = *`, listening when an
   * API key is enabled).
   */
  netdata?: { apiKeyEnabled: boolean };
}

/** netdata's section for its Prometheus endpoint, in exporting.conf. */
const PROMETHEUS_EXPORTER = "prometheus:exporter";

/** Instance section examples, for "did you mean" hints. */
const INSTANCE_EXAMPLES = [
  "exporting:global",
  "graphite:NAME",
  "opentsdb:NAME",
];

/** Formats a message as `file:line: [section] key: text`. */
export function formatConfigMessage(m: ConfigMessage): string {
  const where = m.line === undefined ? m.file : `${m.file}:${m.line}`;
  return `${where}: ${m.message}`;
}

/** The INI reader's syntax errors as config messages. */
function syntaxErrors(
  doc: { errors: { line: number; message: string }[] },
  file: string,
): ConfigMessage[] {
  return doc.errors.map((e) => ({ file, line: e.line, message: e.message }));
}

/** Levenshtein distance, for "did you mean" hints on typo'd keys. */
function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j];
      row[j] = Math.min(
        row[j] + 1,
        row[j - 1] + 1,
        prev + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
      prev = tmp;
    }
  }
  return row[b.length];
}

function suggestion(word: string, candidates: string[]): string {
  let best = "";
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c);
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  return bestDistance <= Math.max(2, Math.floor(word.length / 4))
    ? ` (did you mean "${best}"?)`
    : "";
}

/** Why TYPE of `[TYPE:NAME]` is not one, with the nearest type. */
function notAConnector(type: string): string {
  const hint = suggestion(type, Object.keys(CONNECTOR_TYPES));
  return `"${type}" is not a connector type${
    hint.replace(/^ \((.*)\)$/, "; $1")
  }`;
}

/** Splits a list of words, honouring double or single quotes. */
export function splitQuotedList(text: string): string[] {
  const out: string[] = [];
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g;
  for (const m of text.matchAll(re)) out.push(m[1] ?? m[2] ?? m[3]);
  return out.filter((s) => s !== "");
}

/**
 * Parses and validates config text. Never throws for bad input: every
 * problem is in `errors` or `warnings`, and `config` holds defaults where a
 * value was bad.
 */
export function parseConfig(
  text: string,
  file: string,
  env: ConfigEnvironment,
): ConfigResult {
  // Relative paths are taken from the config file's directory.
  const fromConfigDir = (p: string) =>
    p !== "" && env.baseDir && !isAbsolute(p) ? join(env.baseDir, p) : p;
  const warnings: ConfigMessage[] = [];
  const errors: ConfigMessage[] = [];

  // exporting.conf first, then the config: the config's values win.
  const files: { doc: IniDocument; file: string; exportingOnly: boolean }[] =
    [];
  if (env.exportingConf) {
    files.push({
      doc: parseIni(env.exportingConf.text),
      file: env.exportingConf.file,
      exportingOnly: true,
    });
  }
  files.push({ doc: parseIni(text), file, exportingOnly: false });

  // netdata.conf's settings skiff has no use for, said once.
  const netdataIgnored: string[] = [];
  // Last value of each section/key wins, as in netdata.
  const values = new Map<string, Map<string, LocatedEntry>>();
  const instanceSections: InstanceSection[] = [];
  for (const f of files) {
    errors.push(...syntaxErrors(f.doc, f.file));
    const skipped = new Set<string>();
    // A section or key written twice in one file is read as netdata reads
    // it (keys merge, the last value wins), and said.
    const sectionAt = new Map<string, number>();
    for (const s of f.doc.sections) {
      const first = sectionAt.get(s.name);
      if (first === undefined) sectionAt.set(s.name, s.line);
      else {
        warnings.push({
          file: f.file,
          line: s.line,
          section: s.name,
          message:
            `[${s.name}] appears again (first at ${f.file}:${first}); its keys are merged, the last value of a key wins`,
        });
      }
    }
    for (const s of f.doc.sections) {
      const instance = instanceSection(s.name);
      if (instance) {
        instanceSections.push({
          ...instance,
          section: s.name,
          line: s.line,
          file: f.file,
        });
        continue;
      }
      const exporting = s.name === "exporting:global" ||
        s.name === PROMETHEUS_EXPORTER;
      if (f.exportingOnly && !exporting) {
        // netdata: "Section (...) does not specify a valid connector".
        skipped.add(s.name);
        warnings.push({
          file: f.file,
          line: s.line,
          section: s.name,
          message: `[${s.name}] is not an exporting section (${
            s.name.includes(":")
              ? notAConnector(s.name.slice(0, s.name.lastIndexOf(":")))
              : "expected [exporting:global] or [TYPE:NAME]"
          }); its keys are ignored`,
        });
        continue;
      }
      const known = exporting || sectionSpec(s.name) ||
        s.name.startsWith("plugin:") || API_KEY_SECTION.test(s.name);
      if (!known && env.netdata) {
        netdataIgnored.push(`[${s.name}]`);
      } else if (!known) {
        warnings.push({
          file: f.file,
          line: s.line,
          section: s.name,
          message: `Unknown section [${s.name}]${
            suggestion(s.name, [
              ...SECTIONS.map((x) => x.name),
              ...INSTANCE_EXAMPLES,
            ])
          }; its keys are ignored`,
        });
      }
    }
    for (const e of f.doc.entries) {
      if (skipped.has(e.section)) continue;
      let sec = values.get(e.section);
      if (!sec) values.set(e.section, sec = new Map());
      const before = sec.get(e.key);
      if (before && before.file === f.file) {
        warnings.push({
          file: f.file,
          line: e.line,
          section: e.section,
          key: e.key,
          message:
            `"${e.key}" in [${e.section}] is set again (first at ${f.file}:${before.line}); the last value, "${e.value}", wins`,
        });
      }
      sec.set(e.key, { ...e, file: f.file });
    }
  }
  const typed = new Map<string, unknown>();
  const at = (section: string, key: string) => `${section}\0${key}`;

  const check = (section: string, spec: KeySpec, entry: LocatedEntry) => {
    try {
      typed.set(at(section, spec.key), parseValue(spec, entry.value));
    } catch (err) {
      if (!(err instanceof ValueError)) throw err;
      errors.push(cannotParse(entry.file, entry, err.message));
    }
  };

  for (const [section, entries] of values) {
    const spec = sectionSpec(section);
    const instance = instanceSection(section);
    // A connector skiff lacks is reported once, for its section; its own
    // keys (kinesis' stream name...) are not reported one by one.
    const lacking = instance &&
      !IMPLEMENTED_CONNECTORS.has(CONNECTOR_TYPES[instance.typeWord]);
    const keySpecs = spec?.keys ??
      (instanceSection(section)
        ? EXPORTING_INSTANCE_KEYS
        : section.startsWith("plugin:")
        ? PLUGIN_SECTION_KEYS
        : API_KEY_SECTION.test(section)
        ? API_KEY_SECTION_KEYS
        : undefined);
    if (!keySpecs) continue;
    for (const [key, entry] of entries) {
      const ks = keySpecs.find((k) => k.key === key);
      if (ks) {
        check(section, ks, entry);
      } else if (spec?.openKeys) {
        check(section, {
          key,
          kind: spec.openKeys.kind,
          default: "",
          doc: "",
        }, entry);
      } else if (!lacking && env.netdata) {
        // `[global] bind socket to IP` is read as netdata's old bind to.
        if (section !== "global" || key !== "bind socket to IP") {
          netdataIgnored.push(`[${section}] ${key}`);
        }
      } else if (!lacking) {
        warnings.push({
          file: entry.file,
          line: entry.line,
          section,
          key,
          message: `Unknown key "${key}" in [${section}]${
            suggestion(key, keySpecs.map((k) => k.key))
          }; ignored`,
        });
      }
    }
  }

  const get = <T>(section: string, key: string, fallback: T): T => {
    const v = typed.get(at(section, key));
    if (v !== undefined) return v as T;
    const spec = sectionSpec(section)?.keys.find((k) => k.key === key);
    if (spec && spec.default !== "") return parseValue(spec, spec.default) as T;
    return fallback;
  };
  const entryOf = (section: string, key: string) =>
    values.get(section)?.get(key);

  const hostname = get("global", "hostname", "") || env.systemHostname;
  const globalUpdateEvery = get("global", "update every", 1);

  const exportingCtx = {
    value: (section: string, key: string) => typed.get(at(section, key)),
    entry: entryOf,
    hostname,
    file,
    services: env.services,
    errors,
    warnings,
  };
  const instances = exportingInstances(exportingCtx, instanceSections);
  const backend = legacyBackend(exportingCtx);
  if (
    backend.instance.enabled && instances.some((i) => i.name === "backend")
  ) {
    errors.push({
      file,
      line: entryOf("backend", "enabled")?.line,
      section: "backend",
      message:
        `[backend] is enabled and an exporting instance is also named "backend": rename the instance`,
    });
  }

  // netdata's bind to forms, checked here so a bad one is a config error.
  // netdata's listener: `bind to = *` by default, or the older
  // `[global] bind socket to IP` (Debian's netdata.conf sets it).
  const legacyBind = values.get("global")?.get("bind socket to IP")?.value;
  const netdataBind = env.netdata
    ? (legacyBind ?? "*").split(/[\s,]+/).map((b) =>
      // a bare IPv6 address, as netdata writes it, gets its brackets
      b.split(":").length > 2 && !b.startsWith("[") ? `[${b}]` : b
    ).join(" ")
    : undefined;
  const bindTo = ((typed.get(at("web", "bind to")) as string | undefined) ??
    netdataBind ?? get("web", "bind to", "localhost:19999"))
    .split(/[\s,]+/)
    .filter((s) => s !== "");
  const webDefaultPort = get("web", "default port", 19999);
  for (const b of bindTo) {
    try {
      parseBindAddress(b, webDefaultPort);
    } catch (err) {
      errors.push({
        file,
        line: entryOf("web", "bind to")?.line,
        section: "web",
        key: "bind to",
        message: `Cannot parse "bind to" in [web]: ${(err as Error).message}`,
      });
    }
  }

  const hostLabels: [string, string, number][] = [];
  for (const [key] of values.get("host labels") ?? []) {
    const v = typed.get(at("host labels", key));
    if (typeof v === "string") hostLabels.push([key, v, LABEL_SOURCE_CONFIG]);
  }
  // As netdata 1.37's health_add_host_labels(), after the configured ones.
  hostLabels.push(
    [
      "_is_ephemeral",
      String(get("health", "is ephemeral", false)),
      LABEL_SOURCE_CONFIG,
    ],
    [
      "_has_unstable_connection",
      String(get("health", "has unstable connection", false)),
      LABEL_SOURCE_CONFIG,
    ],
  );

  const destinationsOf = (
    section: string,
    key: string,
    text: string,
    defaultPort: number,
  ): Destination[] => {
    try {
      return parseDestinationList(text, defaultPort, env.services);
    } catch (err) {
      errors.push({
        file,
        line: entryOf(section, key)?.line,
        section,
        key,
        message: `Cannot parse "${key}" in [${section}]: ${
          (err as Error).message
        }`,
      });
      return [];
    }
  };

  const streamEnabled = get("stream", "enabled", false);
  const streamDestinations = destinationsOf(
    "stream",
    "destination",
    get("stream", "destination", ""),
    19999,
  );
  if (
    streamEnabled &&
    (streamDestinations.length === 0 || get("stream", "api key", "") === "")
  ) {
    errors.push({
      file,
      line: entryOf("stream", "enabled")?.line,
      section: "stream",
      key: "enabled",
      message:
        `[stream] is enabled but "destination" or "api key" is empty: set both`,
    });
  }

  const byName: Record<string, boolean> = {};
  const fixedPluginKeys = new Set(
    sectionSpec("plugins")!.keys.map((k) => k.key),
  );
  for (const [key] of values.get("plugins") ?? []) {
    if (fixedPluginKeys.has(key)) continue;
    const v = typed.get(at("plugins", key));
    if (typeof v === "boolean") byName[key] = v;
  }

  const pluginSections: Record<string, PluginSection> = {};
  for (const [section] of values) {
    if (!section.startsWith("plugin:") || section === "plugin:proc") continue;
    const name = section.slice("plugin:".length);
    const ue = typed.get(at(section, "update every"));
    pluginSections[name] = {
      updateEverySec: typeof ue === "number" ? ue : undefined,
      commandOptions: (typed.get(at(section, "command options")) as string) ??
        "",
    };
  }

  const streamKeys: Record<string, StreamKey> = {};
  for (const [section] of values) {
    if (!API_KEY_SECTION.test(section)) continue;
    streamKeys[section.toLowerCase()] = streamKeyOf(
      (key) => typed.get(at(section, key)),
      get("global", "history", 3600),
    );
  }

  const modules: Record<string, boolean> = {};
  for (const m of PROC_MODULES) modules[m] = get("plugin:proc", m, true);

  const config: Config = {
    source: file,
    global: {
      hostname,
      updateEverySec: globalUpdateEvery,
      historyEntries: get("global", "history", 3600),
      logLevel: get<LogLevel>("global", "log level", "info"),
    },
    hostLabels,
    hostTags: backend.hostTags,
    exporting: [...instances, backend.instance],
    prometheusExporter: resolveFields(PROMETHEUS_EXPORTER_KEYS, [
      (k) => typed.get(at(PROMETHEUS_EXPORTER, k)),
      (k) => typed.get(at("exporting:global", k)),
    ]) as unknown as PrometheusExporterValues,
    directories: {
      plugins: splitQuotedList(
        get(
          "directories",
          "plugins",
          '"/usr/lib/netdata/plugins.d" "/usr/libexec/netdata/plugins.d"',
        ),
      ).map(fromConfigDir),
      config: get("directories", "config", "/etc/netdata"),
      stockConfig: get(
        "directories",
        "stock config",
        "/usr/lib/netdata/conf.d",
      ),
      cache: get("directories", "cache", "/var/cache/netdata"),
      lib: get("directories", "lib", "/var/lib/netdata"),
      log: get("directories", "log", "/var/log/netdata"),
      run: fromConfigDir(get("directories", "run", "/run/skiff")),
    },
    plugins: {
      proc: get("plugins", "proc", true),
      selfMonitoring: get("plugins", "netdata monitoring", true),
      enableRunningNewPlugins: get(
        "plugins",
        "enable running new plugins",
        false,
      ),
      checkForNewPluginsEverySec: get(
        "plugins",
        "check for new plugins every",
        60,
      ),
      stderrLinesPerSec: get("plugins", "stderr lines per second", 20),
      byName,
    },
    proc: {
      updateEverySec: get("plugin:proc", "update every", globalUpdateEvery),
      modules,
    },
    pluginSections,
    web: {
      mode: entryOf("web", "mode") || !env.netdata
        ? get<"none" | "static-threaded">("web", "mode", "none")
        : env.netdata.apiKeyEnabled ||
            Object.values(streamKeys).some((k) => k.enabled)
        ? "static-threaded"
        : "none",
      bindTo,
      defaultPort: webDefaultPort,
      streamIdleTimeoutSec: get("web", "stream idle timeout seconds", 600),
      streamMaxLineLength: get("web", "stream max line length", 16384),
      orphanAfterSec: get("web", "mark hosts orphan after seconds", 60),
      streamConfig: fromConfigDir(get("web", "stream config", "")),
      firstRequestTimeoutSec: get("web", "timeout for first request", 10),
      maxUnauthenticatedConnections: get(
        "web",
        "max unauthenticated connections",
        256,
      ),
      maxUnauthenticatedConnectionsPerAddress: get(
        "web",
        "max unauthenticated connections per address",
        16,
      ),
      allowConnectionsFrom: get("web", "allow connections from", "localhost *"),
      allowStreamingFrom: get("web", "allow streaming from", "*"),
      allowDashboardFrom: get("web", "allow dashboard from", "localhost *"),
      allowMetricsFrom: get("web", "allow metrics from", "") ||
        get("web", "allow dashboard from", "localhost *"),
    },
    db: {
      cleanupOrphanHostsAfterSec: get(
        "db",
        "cleanup orphan hosts after secs",
        3600,
      ),
    },
    streamKeys,
    stream: {
      enabled: streamEnabled,
      destinations: streamDestinations,
      apiKey: get("stream", "api key", ""),
      timeoutSec: get("stream", "timeout seconds", 60),
      reconnectDelaySec: get("stream", "reconnect delay seconds", 5),
      forwardReceivedHosts: get("stream", "forward received hosts", false),
      enableCompression: get("stream", "enable compression", true),
      disabledCapabilities: words(get("stream", "disabled capabilities", "")),
    },
  };
  if (netdataIgnored.length > 0) {
    warnings.push({
      file,
      message: `netdata settings skiff does not use (ignored): ${
        netdataIgnored.join(", ")
      }`,
    });
  }
  return { config, warnings, errors };
}

/**
 * The listener and the API keys agree: keys enabled with nothing listening
 * are said. A listener with no key is the web API alone (children are
 * refused), which needs no warning.
 */
export function listenerWarnings(c: Config): ConfigMessage[] {
  const keys = Object.values(c.streamKeys).some((k) => k.enabled);
  if (keys && c.web.mode === "none") {
    return [{
      file: c.source,
      section: "web",
      message:
        `API keys are enabled but [web] mode = none: nothing listens for children (set mode = static-threaded)`,
    }];
  }
  return [];
}

/** The capability names of a `disabled capabilities` list (checked by the schema). */
function words(list: string): CapabilityName[] {
  return list.toLowerCase().split(/\s+/).filter((w) =>
    w !== ""
  ) as CapabilityName[];
}

/** An API key section from its typed values (undefined: the default). */
function streamKeyOf(
  value: (key: string) => unknown,
  defaultHistory: number,
): StreamKey {
  const val = <T>(key: string, fallback: T): T => {
    const v = value(key);
    if (v !== undefined) return v as T;
    const spec = API_KEY_SECTION_KEYS.find((k) => k.key === key)!;
    return spec.default === "" ? fallback : parseValue(spec, spec.default) as T;
  };
  return {
    enabled: val("enabled", false),
    allowFrom: val("allow from", "*"),
    historyEntries: val("default history", defaultHistory),
    maxHosts: val("max hosts", 100),
    maxChartsPerHost: val("max charts per host", 10000),
    maxDimensionsPerChart: val("max dimensions per chart", 1000),
    enableCompression: val("enable compression", true),
    enableReplication: val("enable replication", true),
    secondsToReplicate: val("seconds to replicate", 86400),
    replicationStepSec: val("seconds per replication step", 600),
    disabledCapabilities: words(val("disabled capabilities", "")),
  };
}

/**
 * The API key sections of a netdata stream.conf. Keys skiff does not use
 * (memory mode, health, proxy...) are ignored: the file is netdata's.
 */
export function apiKeysFromStreamConf(
  text: string,
  file: string,
  defaultHistory: number,
): { keys: Record<string, StreamKey>; errors: ConfigMessage[] } {
  const doc = parseIni(text);
  const errors: ConfigMessage[] = syntaxErrors(doc, file);
  const bySection = new Map<string, Map<string, unknown>>();
  for (const e of doc.entries) {
    if (!API_KEY_SECTION.test(e.section)) continue;
    const spec = API_KEY_SECTION_KEYS.find((k) => k.key === e.key);
    if (!spec) continue;
    let sec = bySection.get(e.section);
    if (!sec) bySection.set(e.section, sec = new Map());
    try {
      sec.set(e.key, parseValue(spec, e.value));
    } catch (err) {
      if (!(err instanceof ValueError)) throw err;
      errors.push(cannotParse(file, e, err.message));
    }
  }
  for (const s of doc.sections) {
    if (API_KEY_SECTION.test(s.name) && !bySection.has(s.name)) {
      bySection.set(s.name, new Map());
    }
  }
  const keys: Record<string, StreamKey> = {};
  for (const [section, vals] of bySection) {
    keys[section.toLowerCase()] = streamKeyOf(
      (k) => vals.get(k),
      defaultHistory,
    );
  }
  return { keys, errors };
}

/**
 * /etc/services, for destinations with a named port; undefined when skiff
 * may not read it (then such a destination is an error naming the flag).
 */
async function readServices(): Promise<Services | undefined> {
  const q = await Deno.permissions.query({ name: "read", path: SERVICES_FILE });
  if (q.state !== "granted") return undefined;
  try {
    return parseServices(await Deno.readTextFile(SERVICES_FILE));
  } catch {
    return undefined;
  }
}

/** `p` taken from `dir` when relative. */
function fromDir(dir: string, p: string): string {
  return isAbsolute(p) ? p : join(dir, p);
}

/** Reads and parses a config file; a missing or unreadable file is an error. */
export async function loadConfigFile(
  path: string,
  env: ConfigEnvironment,
): Promise<ConfigResult> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    const { config } = parseConfig("", path, env);
    return {
      config,
      warnings: [],
      errors: [{
        file: path,
        message: `Cannot read config file: ${(err as Error).message}`,
      }],
    };
  }
  const exportingPath = join(dirname(path), EXPORTING_CONF);
  let exportingConf: { text: string; file: string } | undefined;
  let exportingError: ConfigMessage | undefined;
  try {
    exportingConf = {
      text: await Deno.readTextFile(exportingPath),
      file: exportingPath,
    };
  } catch (err) {
    // Without read permission, the permission check at start names the flag.
    const unreadable = err instanceof Deno.errors.NotFound ||
      err instanceof Deno.errors.NotCapable ||
      err instanceof Deno.errors.PermissionDenied;
    if (!unreadable) {
      exportingError = {
        file: exportingPath,
        message: `Cannot read ${EXPORTING_CONF} beside the config: ${
          (err as Error).message
        }`,
      };
    }
  }
  // A netdata config directory: its stream.conf is netdata's own, read
  // first (its enabled keys decide whether skiff listens); absent is fine.
  let netdataStream: { text: string; file: string } | undefined;
  if (env.netdata) {
    const file = join(dirname(path), "stream.conf");
    try {
      netdataStream = { text: await Deno.readTextFile(file), file };
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) {
        return {
          config: parseConfig("", path, env).config,
          warnings: [],
          errors: [{
            file,
            message: `Cannot read netdata's stream.conf: ${
              (err as Error).message
            }`,
          }],
        };
      }
    }
  }
  const netdataKeys = netdataStream &&
    apiKeysFromStreamConf(netdataStream.text, netdataStream.file, 3600);
  const result = parseConfig(text, path, {
    baseDir: dirname(path),
    exportingConf,
    services: await readServices(),
    ...env,
    ...(env.netdata && {
      netdata: {
        apiKeyEnabled: Object.values(netdataKeys?.keys ?? {}).some((k) =>
          k.enabled
        ),
      },
    }),
  });
  if (netdataStream && result.config.web.streamConfig === "") {
    result.config.web.streamConfig = netdataStream.file;
  }
  if (exportingError) result.errors.push(exportingError);
  for (const i of result.config.exporting) {
    if (!i.enabled || i.tlsCaFile === "") continue;
    i.tlsCaFile = fromDir(dirname(path), i.tlsCaFile);
    try {
      i.tlsCaCerts = [await Deno.readTextFile(i.tlsCaFile)];
    } catch (err) {
      result.errors.push({
        file: path,
        section: i.section,
        key: "tls ca file",
        message:
          `Cannot read "tls ca file" in [${i.section}] (${i.tlsCaFile}): ${
            (err as Error).message
          }`,
      });
    }
  }
  const streamConf = result.config.web.streamConfig;
  if (streamConf !== "" && result.config.web.mode !== "none") {
    let confText: string | undefined;
    try {
      confText = await Deno.readTextFile(streamConf);
    } catch (err) {
      result.errors.push({
        file: path,
        section: "web",
        key: "stream config",
        message: `Cannot read "stream config" in [web] (${streamConf}): ${
          (err as Error).message
        }`,
      });
    }
    if (confText !== undefined) {
      const { keys, errors } = apiKeysFromStreamConf(
        confText,
        streamConf,
        result.config.global.historyEntries,
      );
      result.errors.push(...errors);
      for (const [k, v] of Object.entries(keys)) {
        result.config.streamKeys[k] ??= v;
      }
    }
  }
  result.warnings.push(...listenerWarnings(result.config));
  return result;
}

function commented(text: string): string {
  return text.split("\n").map((l) => `# ${l}`).join("\n");
}

/**
 * The complete default config, every key commented with its meaning: the
 * output of `skiff config`.
 */
export function defaultConfigText(): string {
  const out: string[] = [
    "# skiff configuration (netdata.conf style).",
    "# Every key is shown with its default, commented out. Uncomment to change.",
    "",
  ];
  for (const s of SECTIONS) {
    out.push(commented(s.doc), `[${s.name}]`);
    for (const k of s.keys) {
      const def = k.defaultNote ? `(${k.defaultNote})` : k.default;
      out.push(`    # ${k.doc}`, `    # ${k.key} = ${def}`);
    }
    if (s.openKeys) out.push(`    # ${s.openKeys.doc}`);
    out.push("");
    if (s.note) out.push(commented(s.note), "");
  }
  out.push(
    "# An external plugin NAME.plugin can have its own section:",
    "# [plugin:NAME]",
    ...PLUGIN_SECTION_KEYS.flatMap((k) => [
      `    # ${k.doc}`,
      `    # ${k.key} = ${k.defaultNote ? `(${k.defaultNote})` : k.default}`,
    ]),
    "",
    "# An API key (a UUID, e.g. from uuidgen) that netdata children stream with",
    "# (their stream.conf: [stream] api key) has its own section, as in netdata's stream.conf:",
    "# [11111111-2222-3333-4444-555555555555]",
    ...API_KEY_SECTION_KEYS.flatMap((k) => [
      `    # ${k.doc}`,
      `    # ${k.key} = ${k.defaultNote ? `(${k.defaultNote})` : k.default}`,
    ]),
    "",
  );
  return out.join("\n");
}

/** An exporting instance as INI text, every key resolved. */
function instanceText(i: ExportingInstance): string[] {
  const specs = i.legacy ? BACKEND_KEYS : EXPORTING_INSTANCE_KEYS;
  const lines = [
    `[${i.section}]`,
    ...(i.legacy || i.section.endsWith(`:${i.name}`)
      ? []
      : [`    # instance name: ${i.name}`]),
  ];
  for (const spec of specs) {
    if (spec.key === "destination") {
      lines.push(
        `    destination = ${i.destinations.map((d) => d.text).join(" ")}`,
      );
    } else if (spec.key === "host tags") {
      continue;
    } else {
      const v = (i as unknown as Record<string, unknown>)[spec.field];
      lines.push(`    ${spec.key} = ${valueText(v)}`);
    }
  }
  lines.push("");
  return lines;
}

/** The effective config as INI text, defaults filled in: `skiff check`. */
export function effectiveConfigText(c: Config): string {
  const dest = (ds: Destination[]) => ds.map((d) => d.text).join(" ");
  const yn = (b: boolean) => (b ? "yes" : "no");
  const lines = [
    `# effective configuration of ${c.source}`,
    "[global]",
    `    hostname = ${c.global.hostname}`,
    `    update every = ${c.global.updateEverySec}`,
    `    history = ${c.global.historyEntries}`,
    `    log level = ${c.global.logLevel}`,
    "",
    "[host labels]",
    ...c.hostLabels.filter(([k]) => !k.startsWith("_")).map(([k, v]) =>
      `    ${k} = ${v}`
    ),
    "",
    ...c.exporting.flatMap(instanceText),
    "[directories]",
    `    plugins = ${c.directories.plugins.map((p) => `"${p}"`).join(" ")}`,
    `    config = ${c.directories.config}`,
    `    stock config = ${c.directories.stockConfig}`,
    `    cache = ${c.directories.cache}`,
    `    lib = ${c.directories.lib}`,
    `    log = ${c.directories.log}`,
    `    run = ${c.directories.run}`,
    "",
    "[plugins]",
    `    proc = ${yn(c.plugins.proc)}`,
    `    netdata monitoring = ${yn(c.plugins.selfMonitoring)}`,
    `    enable running new plugins = ${yn(c.plugins.enableRunningNewPlugins)}`,
    `    check for new plugins every = ${c.plugins.checkForNewPluginsEverySec}`,
    `    stderr lines per second = ${c.plugins.stderrLinesPerSec}`,
    ...Object.entries(c.plugins.byName).map(([k, v]) => `    ${k} = ${yn(v)}`),
    "",
    "[plugin:proc]",
    `    update every = ${c.proc.updateEverySec}`,
    ...Object.entries(c.proc.modules).map(([k, v]) => `    ${k} = ${yn(v)}`),
    "",
  ];
  for (const [name, p] of Object.entries(c.pluginSections)) {
    lines.push(
      `[plugin:${name}]`,
      `    update every = ${p.updateEverySec ?? c.global.updateEverySec}`,
      `    command options = ${p.commandOptions}`,
      "",
    );
  }
  lines.push(
    "[web]",
    `    mode = ${c.web.mode}`,
    `    bind to = ${c.web.bindTo.join(" ")}`,
    `    stream idle timeout seconds = ${c.web.streamIdleTimeoutSec}`,
    `    stream max line length = ${c.web.streamMaxLineLength}`,
    `    stream config = ${c.web.streamConfig}`,
    `    mark hosts orphan after seconds = ${c.web.orphanAfterSec}`,
    `    timeout for first request = ${c.web.firstRequestTimeoutSec}`,
    `    max unauthenticated connections = ${c.web.maxUnauthenticatedConnections}`,
    `    max unauthenticated connections per address = ${c.web.maxUnauthenticatedConnectionsPerAddress}`,
    "",
    "[db]",
    `    cleanup orphan hosts after secs = ${c.db.cleanupOrphanHostsAfterSec}`,
    "",
    ...Object.entries(c.streamKeys).flatMap(([key, k]) => [
      `[${key}]`,
      `    enabled = ${yn(k.enabled)}`,
      `    allow from = ${k.allowFrom}`,
      `    default history = ${k.historyEntries}`,
      `    max hosts = ${k.maxHosts}`,
      `    max charts per host = ${k.maxChartsPerHost}`,
      `    max dimensions per chart = ${k.maxDimensionsPerChart}`,
      "",
    ]),
    "[stream]",
    `    enabled = ${yn(c.stream.enabled)}`,
    `    destination = ${dest(c.stream.destinations)}`,
    `    api key = ${c.stream.apiKey}`,
    `    timeout seconds = ${c.stream.timeoutSec}`,
    `    reconnect delay seconds = ${c.stream.reconnectDelaySec}`,
    `    forward received hosts = ${yn(c.stream.forwardReceivedHosts)}`,
    "",
  );
  return lines.join("\n");
}
