/**
 * The least Deno permissions a config needs, as flags to print and as
 * descriptors to check at start: nothing is touched before every one is
 * known to be granted, and skiff never prompts.
 *
 * @module
 */

import { dirname, join } from "../path.ts";
import type { Config } from "./mod.ts";
import { hostPort, parseBindAddress, SERVICES_FILE } from "./destination.ts";
import { EXPORTING_CONF } from "./files.ts";
import { destinationAddress } from "./destination.ts";
import type { Destination } from "./destination.ts";

/**
 * The command skiff reads /proc and /sys through: Deno 2.9 allows reading
 * them only under --allow-all, while --allow-run=tail is narrow.
 */
export const TAIL_COMMAND = "tail";

/**
 * The command skiff signals a plugin left by a killed skiff with: Deno 2.9's
 * Deno.kill needs --allow-run for every command, --allow-run=kill is narrow.
 */
export const KILL_COMMAND = "kill";

/** The variable @bufbuild/protobuf reads as it loads (remote write only). */
export const REMOTE_WRITE_ENV = "BUF_BIGINT_DISABLE";

/** What a config needs, by kind; each list sorted and without repeats. */
export interface NeededPermissions {
  read: string[];
  run: string[];
  net: string[];
  sys: string[];
}

/** One permission skiff needs, with why, for the start-up message. */
export interface PermissionNeed {
  descriptor: Deno.PermissionDescriptor;
  /** The flag that grants it, e.g. `--allow-net=graphite.example:2003`. */
  flag: string;
  why: string;
}

function tcp(destinations: Destination[]): { host: string; why: string }[] {
  const out: { host: string; why: string }[] = [];
  for (const d of destinations) {
    if (d.kind === "tcp") {
      out.push({ host: destinationAddress(d), why: d.text });
    }
  }
  return out;
}

/**
 * Every permission `config` (read from `configPath`) needs, given the paths
 * of the plugins that will run (found by scanning the plugins directories).
 */
export function permissionNeeds(
  config: Config,
  options: { configPath?: string; pluginPaths: string[] },
): PermissionNeed[] {
  const needs: PermissionNeed[] = [];
  const add = (
    descriptor: Deno.PermissionDescriptor,
    flag: string,
    why: string,
  ) => {
    if (!needs.some((n) => n.flag === flag)) {
      needs.push({ descriptor, flag, why });
    }
  };
  if (options.configPath !== undefined) {
    add(
      { name: "read", path: options.configPath },
      `--allow-read=${options.configPath}`,
      "the config file",
    );
    // Read when it exists; Deno needs the permission to find out.
    const exporting = join(dirname(options.configPath), EXPORTING_CONF);
    add(
      { name: "read", path: exporting },
      `--allow-read=${exporting}`,
      "netdata's exporting.conf beside the config file (read if it exists)",
    );
  }
  if (config.web.mode !== "none" && config.web.streamConfig !== "") {
    const path = config.web.streamConfig;
    add(
      { name: "read", path },
      `--allow-read=${path}`,
      "[web] stream config, read for API keys",
    );
  }
  for (const dir of config.directories.plugins) {
    add(
      { name: "read", path: dir },
      `--allow-read=${dir}`,
      "[directories] plugins, scanned for *.plugin",
    );
  }
  if (config.plugins.proc) {
    // Deno 2.9 reads /proc and /sys only under --allow-all; skiff reads them through tail.
    add(
      { name: "run", command: TAIL_COMMAND },
      `--allow-run=${TAIL_COMMAND}`,
      "[plugins] proc reads /proc and /sys through tail",
    );
  }
  if (options.pluginPaths.length > 0) {
    const run = config.directories.run;
    add(
      { name: "read", path: run },
      `--allow-read=${run}`,
      "[directories] run: pid files of plugins a killed skiff left running",
    );
    add(
      { name: "write", path: run },
      `--allow-write=${run}`,
      "[directories] run: a pid file per running plugin",
    );
    add(
      { name: "run", command: TAIL_COMMAND },
      `--allow-run=${TAIL_COMMAND}`,
      "reads /proc/PID of a plugin a killed skiff left running, through tail",
    );
    add(
      { name: "run", command: KILL_COMMAND },
      `--allow-run=${KILL_COMMAND}`,
      "stops a plugin a killed skiff left running (Deno.kill needs --allow-run for every command)",
    );
  }
  for (const path of options.pluginPaths) {
    add(
      { name: "run", command: path },
      `--allow-run=${path}`,
      "an enabled plugin",
    );
  }
  for (const instance of config.exporting) {
    if (!instance.enabled) continue;
    if (instance.type === "prometheus_remote_write") {
      add(
        { name: "env", variable: REMOTE_WRITE_ENV },
        `--allow-env=${REMOTE_WRITE_ENV}`,
        `[${instance.section}]: the protobuf library of remote write reads it when it loads`,
      );
    }
    if (instance.tlsCaFile !== "") {
      add(
        { name: "read", path: instance.tlsCaFile },
        `--allow-read=${instance.tlsCaFile}`,
        `[${instance.section}] tls ca file`,
      );
    }
    if (instance.destinations.some((d) => d.kind === "tcp" && d.service)) {
      add(
        { name: "read", path: SERVICES_FILE },
        `--allow-read=${SERVICES_FILE}`,
        `[${instance.section}] destination names a port by service`,
      );
    }
    for (const { host, why } of tcp(instance.destinations)) {
      add(
        { name: "net", host },
        `--allow-net=${host}`,
        `[${instance.section}] destination ${why}`,
      );
    }
  }
  if (config.web.mode !== "none") {
    for (const bind of config.web.bindTo) {
      let host: string;
      try {
        const { hostname, port } = parseBindAddress(
          bind,
          config.web.defaultPort,
        );
        host = hostPort(hostname, port);
      } catch {
        continue; // a config error already names it
      }
      add(
        { name: "net", host },
        `--allow-net=${host}`,
        "[web] bind to (streams in, the web API)",
      );
    }
  }
  if (config.stream.enabled) {
    for (const { host, why } of tcp(config.stream.destinations)) {
      add(
        { name: "net", host },
        `--allow-net=${host}`,
        `[stream] destination ${why}`,
      );
    }
  }
  add(
    { name: "sys", kind: "hostname" },
    "--allow-sys=hostname",
    "the system's host name",
  );
  return needs;
}

/** The needs folded into one flag per kind: `--allow-read=a,b`. */
export function denoFlags(needs: PermissionNeed[]): string[] {
  const byKind = new Map<string, string[]>();
  for (const n of needs) {
    const [kind, value] = n.flag.slice("--allow-".length).split(/=(.*)/s);
    const list = byKind.get(kind) ?? [];
    if (!list.includes(value)) list.push(value);
    byKind.set(kind, list);
  }
  const flags = ["--no-prompt"];
  for (const kind of ["read", "write", "run", "net", "env", "sys"]) {
    const list = byKind.get(kind);
    if (list) flags.push(`--allow-${kind}=${list.join(",")}`);
  }
  return flags;
}

/** The needs as a deno.json permission set (`deno run -P=NAME`). */
export function permissionSet(
  needs: PermissionNeed[],
): Record<string, string[]> {
  const set: Record<string, string[]> = {};
  for (const flag of denoFlags(needs).slice(1)) {
    const [kind, list] = flag.slice("--allow-".length).split(/=(.*)/s);
    set[kind] = list.split(",");
  }
  return set;
}

/** The needs not granted right now (queried without prompting). */
export async function missingPermissions(
  needs: PermissionNeed[],
): Promise<PermissionNeed[]> {
  const missing: PermissionNeed[] = [];
  for (const n of needs) {
    const status = await Deno.permissions.query(n.descriptor);
    if (status.state !== "granted") missing.push(n);
  }
  return missing;
}

/** One message naming every missing permission and the flag for it. */
export function missingPermissionsMessage(missing: PermissionNeed[]): string {
  const lines = missing.map((n) => `  ${n.flag}    (${n.why})`);
  return `skiff needs ${missing.length} permission(s) it was not given:\n${
    lines.join("\n")
  }\n` +
    `"skiff permissions --config FILE" prints every flag this config needs.`;
}
