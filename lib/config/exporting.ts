/**
 * Exporting instances from config sections, as netdata 1.37 reads
 * exporting.conf (exporting/read_config.c): an instance `[TYPE:NAME]` takes
 * each key from its own section, else from `[exporting:global]`, else
 * netdata's default. The legacy `[backend]` is one more instance.
 *
 * @module
 */

import { parseDestinationList } from "./destination.ts";
import type { Destination, Services } from "./destination.ts";
import {
  BACKEND_KEYS,
  CONNECTOR_TYPES,
  EXPORTING_INSTANCE_KEYS,
  IMPLEMENTED_CONNECTORS,
} from "./schema.ts";
import type {
  BackendValues,
  ConnectorType,
  ExportingInstanceValues,
} from "./schema.ts";
import { resolveFields } from "./values.ts";
import type { ConfigMessage, LocatedEntry } from "./values.ts";

/** One exporting instance, every key resolved. */
export interface ExportingInstance extends ExportingInstanceValues {
  /** NAME of `[TYPE:NAME]`; `backend` for the legacy section. */
  name: string;
  /** The section as written. */
  section: string;
  /** The type as written, e.g. `graphite:plaintext`. */
  typeWord: string;
  type: ConnectorType;
  /** `:https`: TLS. */
  tls: boolean;
  destinations: Destination[];
  /** From the legacy `[backend]` section. */
  legacy: boolean;
  /** The PEM text of `tls ca file`, once read (loadConfigFile). */
  tlsCaCerts?: string[];
}

/** Default TCP port of each connector type (netdata's default_port). */
export const DEFAULT_PORTS: Record<ConnectorType, number> = {
  graphite: 2003,
  "graphite:http": 2003,
  json: 5448,
  "json:http": 5448,
  opentsdb: 4242,
  "opentsdb:http": 4242,
  prometheus_remote_write: 9201,
  kinesis: 0,
  pubsub: 0,
  mongodb: 0,
};

/** An instance section as found in a file. */
export interface InstanceSection {
  section: string;
  typeWord: keyof typeof CONNECTOR_TYPES;
  name: string;
  file: string;
  line: number;
}

/** What building the instances needs from the config reader. */
export interface ExportingContext {
  /** The typed value of a key in a section, if set. */
  value(section: string, key: string): unknown;
  /** The entry of a key in a section, if set (for its line). */
  entry(section: string, key: string): LocatedEntry | undefined;
  /** `[global] hostname`. */
  hostname: string;
  /** The config file, for messages not tied to a line. */
  file: string;
  /** Named ports, when /etc/services could be read. */
  services?: Services;
  errors: ConfigMessage[];
  warnings: ConfigMessage[];
}

function destinationsOf(
  ctx: ExportingContext,
  section: string,
  text: string,
  defaultPort: number,
  fallbackFile: string,
): Destination[] {
  try {
    return parseDestinationList(text, defaultPort, ctx.services);
  } catch (err) {
    const e = ctx.entry(section, "destination") ??
      ctx.entry("exporting:global", "destination");
    ctx.errors.push({
      file: e?.file ?? fallbackFile,
      line: e?.line,
      section,
      key: "destination",
      message: `Cannot parse "destination" in [${section}]: ${
        (err as Error).message
      }`,
    });
    return [];
  }
}

/** The `[TYPE:NAME]` instances, in the order their sections appear. */
export function exportingInstances(
  ctx: ExportingContext,
  sections: InstanceSection[],
): ExportingInstance[] {
  const out: ExportingInstance[] = [];
  const byName = new Map<string, InstanceSection>();
  let unnamed = 0;
  for (const s of sections) {
    // netdata names an instance without a name instance_N.
    const name = s.name === "" ? `instance_${++unnamed}` : s.name;
    const other = byName.get(name);
    if (other) {
      if (other.section !== s.section) {
        ctx.errors.push({
          file: s.file,
          line: s.line,
          section: s.section,
          message:
            `[${s.section}]: an exporting instance named "${name}" is already defined as [${other.section}] at ${other.file}:${other.line}; instance names must be unique`,
        });
      }
      continue;
    }
    byName.set(name, s);
    const values = resolveFields(EXPORTING_INSTANCE_KEYS, [
      (k) => ctx.value(s.section, k),
      (k) => ctx.value("exporting:global", k),
    ], {
      hostname: ctx.value("exporting:global", "hostname") ?? ctx.hostname,
    }) as unknown as ExportingInstanceValues;
    values.hostname ||= ctx.hostname;
    const type = CONNECTOR_TYPES[s.typeWord];
    const instance: ExportingInstance = {
      ...values,
      name,
      section: s.section,
      typeWord: s.typeWord,
      type,
      tls: s.typeWord.endsWith(":https"),
      destinations: destinationsOf(
        ctx,
        s.section,
        values.destination,
        DEFAULT_PORTS[type],
        s.file,
      ),
      legacy: false,
    };
    if (!IMPLEMENTED_CONNECTORS.has(type)) {
      const has = [...IMPLEMENTED_CONNECTORS].join(", ");
      // kinesis, pubsub, mongodb: cloud SDKs skiff does not carry.
      const what =
        `connector type "${s.typeWord}" (netdata's ${type} connector) is not supported by skiff`;
      (instance.enabled ? ctx.errors : ctx.warnings).push({
        file: s.file,
        line: s.line,
        section: s.section,
        message: `[${s.section}]: ${what} (skiff has ${has})${
          instance.enabled
            ? "; remove the section or set enabled = no"
            : "; the instance is disabled, so it is ignored"
        }`,
      });
      if (instance.enabled) continue;
    }
    checkEnabledDestinations(ctx, instance, s.file);
    out.push(instance);
  }
  return out;
}

function checkEnabledDestinations(
  ctx: ExportingContext,
  i: ExportingInstance,
  file: string,
): void {
  // A destination that did not parse has its own message already.
  if (!i.enabled || i.destination.trim() !== "") return;
  const e = ctx.entry(i.section, "destination");
  ctx.errors.push({
    file: e?.file ?? file,
    line: e?.line,
    section: i.section,
    key: "destination",
    message:
      `"destination" in [${i.section}] is empty but the instance is enabled: name at least one host:port or stdout`,
  });
}

/**
 * The legacy `[backend]` as an instance (netdata's pre-1.34 keys and
 * defaults: no labels, `timeout ms` = update every * 2000), and its
 * `host tags`.
 */
export function legacyBackend(
  ctx: ExportingContext,
): { instance: ExportingInstance; hostTags: string } {
  const v = resolveFields(BACKEND_KEYS, [(k) => ctx.value("backend", k)], {
    hostname: ctx.hostname,
  }) as unknown as BackendValues;
  v.hostname ||= ctx.hostname;
  let timeoutMs = v.updateEverySec * 2000;
  const timeoutEntry = ctx.entry("backend", "timeout ms");
  if (timeoutEntry && /^-?\d+$/.test(timeoutEntry.value)) {
    if (Number(timeoutEntry.value) < 1) {
      // As netdata: an invalid timeout falls back to the default, loudly.
      ctx.warnings.push({
        file: timeoutEntry.file,
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
  const instance: ExportingInstance = {
    enabled: v.enabled,
    destination: v.destination,
    dataSource: v.dataSource,
    updateEverySec: v.updateEverySec,
    bufferOnFailures: v.bufferOnFailures,
    timeoutMs,
    sendChartsMatching: v.sendChartsMatching,
    sendHostsMatching: v.sendHostsMatching,
    sendNames: v.sendNames,
    sendConfiguredLabels: false,
    sendAutomaticLabels: false,
    sendVariables: false,
    prefix: v.prefix,
    hostname: v.hostname,
    username: "",
    password: "",
    remoteWritePath: "/receive",
    maxBufferedBytes: v.maxBufferedBytes,
    resendWindowSec: v.resendWindowSec,
    tlsCaFile: "",
    name: "backend",
    section: "backend",
    typeWord: v.type,
    type: v.type,
    tls: false,
    destinations: destinationsOf(
      ctx,
      "backend",
      v.destination,
      DEFAULT_PORTS[v.type],
      ctx.file,
    ),
    legacy: true,
  };
  checkEnabledDestinations(ctx, instance, ctx.file);
  return { instance, hostTags: v.hostTags };
}
