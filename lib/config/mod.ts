/**
 * INI text -> typed, validated {@link Config}. Bad values are errors naming
 * file:line, section, key, the value and what is allowed; unknown sections and
 * keys are warnings with file:line.
 *
 * @module
 */

import { dirname, isAbsolute, join } from "node:path";
import { parseIni } from "./ini.ts";
import type { IniEntry } from "./ini.ts";
import {
  API_KEY_SECTION,
  API_KEY_SECTION_KEYS,
  BOOLEAN_WORDS,
  PLUGIN_SECTION_KEYS,
  PROC_MODULES,
  SECTIONS,
  sectionSpec,
} from "./schema.ts";
import type { KeySpec } from "./schema.ts";
import { parseDestinationList } from "./destination.ts";
import type { Destination } from "./destination.ts";
import type { LogLevel } from "../log.ts";

export type { Destination } from "./destination.ts";

/** `[backend] data source`, canonical. */
export type DataSource = "as collected" | "average" | "sum";
/** `[backend] type`, canonical. */
export type BackendType = "graphite" | "opentsdb";

/** Default TCP port of each backend type. */
export const DEFAULT_PORTS: Record<BackendType, number> = {
  graphite: 2003,
  opentsdb: 4242,
};

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
  backend: {
    enabled: boolean;
    dataSource: DataSource;
    type: BackendType;
    destinations: Destination[];
    prefix: string;
    hostname: string;
    updateEverySec: number;
    bufferOnFailures: number;
    timeoutMs: number;
    maxBufferedBytes: number;
  };
  directories: {
    plugins: string[];
    config: string;
    stockConfig: string;
    cache: string;
    lib: string;
    log: string;
  };
  plugins: {
    proc: boolean;
    selfMonitoring: boolean;
    enableRunningNewPlugins: boolean;
    checkForNewPluginsEverySec: number;
    /** `NAME = yes/no` lines of [plugins], by plugin name. */
    byName: Record<string, boolean>;
  };
  proc: { updateEverySec: number; modules: Record<string, boolean> };
  /** `[plugin:NAME]` sections of external plugins, by name. */
  pluginSections: Record<string, PluginSection>;
  web: {
    mode: "none" | "static-threaded";
    bindTo: string[];
    streamIdleTimeoutSec: number;
    streamMaxLineLength: number;
    orphanAfterSec: number;
    /** A netdata stream.conf to take API keys from; "" for none. */
    streamConfig: string;
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
}

/** One message about the config, with where it points. */
export interface ConfigMessage {
  file: string;
  line?: number;
  section?: string;
  key?: string;
  message: string;
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
}

/** Formats a message as `file:line: [section] key: text`. */
export function formatConfigMessage(m: ConfigMessage): string {
  const where = m.line === undefined ? m.file : `${m.file}:${m.line}`;
  return `${where}: ${m.message}`;
}

class ValueError extends Error {}

/** The INI reader's syntax errors as config messages. */
function syntaxErrors(
  doc: { errors: { line: number; message: string }[] },
  file: string,
): ConfigMessage[] {
  return doc.errors.map((e) => ({ file, line: e.line, message: e.message }));
}

/** A bad value, naming file:line, section, key, the value and what is allowed. */
function cannotParse(file: string, e: IniEntry, why: string): ConfigMessage {
  return {
    file,
    line: e.line,
    section: e.section,
    key: e.key,
    message:
      `Cannot parse "${e.key}" in [${e.section}]: ${why}, got "${e.value}"`,
  };
}

function parseValue(spec: KeySpec, raw: string): string | number | boolean {
  switch (spec.kind) {
    case "bool": {
      const b = BOOLEAN_WORDS[raw.toLowerCase()];
      if (b === undefined) {
        throw new ValueError(
          "expected yes/no, true/false, on/off or 1/0",
        );
      }
      return b;
    }
    case "int": {
      if (!/^-?\d+$/.test(raw)) {
        throw new ValueError(
          spec.min !== undefined && spec.min > 0
            ? "expected a positive integer"
            : "expected an integer",
        );
      }
      const n = Number(raw);
      if (spec.min !== undefined && n < spec.min) {
        throw new ValueError(`expected an integer >= ${spec.min}`);
      }
      if (spec.max !== undefined && n > spec.max) {
        throw new ValueError(`expected an integer <= ${spec.max}`);
      }
      return n;
    }
    case "choice": {
      const c = spec.choices![raw.toLowerCase()];
      if (c === undefined) {
        throw new ValueError(
          `expected one of ${
            Object.keys(spec.choices!).map((k) => `"${k}"`).join(", ")
          }`,
        );
      }
      return c;
    }
    default:
      return raw;
  }
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
  const doc = parseIni(text);
  // Relative paths are taken from the config file's directory.
  const fromConfigDir = (p: string) =>
    p !== "" && env.baseDir && !isAbsolute(p) ? join(env.baseDir, p) : p;
  const warnings: ConfigMessage[] = [];
  const errors: ConfigMessage[] = syntaxErrors(doc, file);

  // Last value of each section/key wins, as in netdata.
  const values = new Map<string, Map<string, IniEntry>>();
  for (const e of doc.entries) {
    let sec = values.get(e.section);
    if (!sec) values.set(e.section, sec = new Map());
    sec.set(e.key, e);
  }
  const typed = new Map<string, unknown>();
  const at = (section: string, key: string) => `${section}\0${key}`;

  const check = (section: string, spec: KeySpec, entry: IniEntry) => {
    try {
      typed.set(at(section, spec.key), parseValue(spec, entry.value));
    } catch (err) {
      if (!(err instanceof ValueError)) throw err;
      errors.push(cannotParse(file, entry, err.message));
    }
  };

  for (const s of doc.sections) {
    const known = sectionSpec(s.name) || s.name.startsWith("plugin:") ||
      API_KEY_SECTION.test(s.name);
    if (!known) {
      warnings.push({
        file,
        line: s.line,
        section: s.name,
        message: `Unknown section [${s.name}]${
          suggestion(s.name, SECTIONS.map((x) => x.name))
        }; its keys are ignored`,
      });
    }
  }

  for (const [section, entries] of values) {
    const spec = sectionSpec(section);
    const keySpecs = spec?.keys ??
      (section.startsWith("plugin:")
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
      } else {
        warnings.push({
          file,
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

  const backendUpdateEvery = get("backend", "update every", 10);
  const backendType = get<"graphite" | "opentsdb">(
    "backend",
    "type",
    "graphite",
  );
  let timeoutMs = backendUpdateEvery * 2000;
  const timeoutEntry = entryOf("backend", "timeout ms");
  if (timeoutEntry && /^-?\d+$/.test(timeoutEntry.value)) {
    if (Number(timeoutEntry.value) < 1) {
      // As netdata: an invalid timeout falls back to the default, loudly.
      warnings.push({
        file,
        line: timeoutEntry.line,
        section: "backend",
        key: "timeout ms",
        message:
          `"timeout ms" in [backend] is ${timeoutEntry.value}, below 1: using ${timeoutMs} (update every * 2000)`,
      });
    } else {
      timeoutMs = Number(timeoutEntry.value);
    }
  }

  const destinationsOf = (
    section: string,
    key: string,
    text: string,
    defaultPort: number,
  ): Destination[] => {
    try {
      return parseDestinationList(text, defaultPort);
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
  const backendEnabled = get("backend", "enabled", false);
  const backendDestinations = destinationsOf(
    "backend",
    "destination",
    get("backend", "destination", "localhost"),
    DEFAULT_PORTS[backendType],
  );
  if (backendEnabled && backendDestinations.length === 0) {
    errors.push({
      file,
      line: entryOf("backend", "destination")?.line,
      section: "backend",
      key: "destination",
      message:
        `"destination" in [backend] is empty but the backend is enabled: name at least one host:port or stdout`,
    });
  }

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
    backend: {
      enabled: backendEnabled,
      dataSource: get<DataSource>("backend", "data source", "average"),
      type: backendType,
      destinations: backendDestinations,
      prefix: get("backend", "prefix", "netdata"),
      hostname: get("backend", "hostname", "") || hostname,
      updateEverySec: backendUpdateEvery,
      bufferOnFailures: get("backend", "buffer on failures", 10),
      timeoutMs,
      maxBufferedBytes: get("backend", "max buffered bytes", 16 * 1024 * 1024),
    },
    directories: {
      plugins: splitQuotedList(
        get("directories", "plugins", '"/usr/libexec/netdata/plugins.d"'),
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
      byName,
    },
    proc: {
      updateEverySec: get("plugin:proc", "update every", globalUpdateEvery),
      modules,
    },
    pluginSections,
    web: {
      mode: get<"none" | "static-threaded">("web", "mode", "none"),
      bindTo: get("web", "bind to", "localhost:19999").split(/[\s,]+/)
        .filter((s) => s !== ""),
      streamIdleTimeoutSec: get("web", "stream idle timeout seconds", 600),
      streamMaxLineLength: get("web", "stream max line length", 16384),
      orphanAfterSec: get("web", "mark hosts orphan after seconds", 60),
      streamConfig: fromConfigDir(get("web", "stream config", "")),
    },
    streamKeys,
    stream: {
      enabled: streamEnabled,
      destinations: streamDestinations,
      apiKey: get("stream", "api key", ""),
      timeoutSec: get("stream", "timeout seconds", 60),
      reconnectDelaySec: get("stream", "reconnect delay seconds", 5),
      forwardReceivedHosts: get("stream", "forward received hosts", false),
    },
  };
  return { config, warnings, errors };
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
  const result = parseConfig(text, path, { baseDir: dirname(path), ...env });
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
    "[backend]",
    `    enabled = ${yn(c.backend.enabled)}`,
    `    data source = ${c.backend.dataSource}`,
    `    type = ${c.backend.type}`,
    `    destination = ${dest(c.backend.destinations)}`,
    `    prefix = ${c.backend.prefix}`,
    `    hostname = ${c.backend.hostname}`,
    `    update every = ${c.backend.updateEverySec}`,
    `    buffer on failures = ${c.backend.bufferOnFailures}`,
    `    timeout ms = ${c.backend.timeoutMs}`,
    `    max buffered bytes = ${c.backend.maxBufferedBytes}`,
    "",
    "[directories]",
    `    plugins = ${c.directories.plugins.map((p) => `"${p}"`).join(" ")}`,
    `    config = ${c.directories.config}`,
    `    stock config = ${c.directories.stockConfig}`,
    `    cache = ${c.directories.cache}`,
    `    lib = ${c.directories.lib}`,
    `    log = ${c.directories.log}`,
    "",
    "[plugins]",
    `    proc = ${yn(c.plugins.proc)}`,
    `    netdata monitoring = ${yn(c.plugins.selfMonitoring)}`,
    `    enable running new plugins = ${yn(c.plugins.enableRunningNewPlugins)}`,
    `    check for new plugins every = ${c.plugins.checkForNewPluginsEverySec}`,
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
