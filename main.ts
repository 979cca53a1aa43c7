/**
 * skiff: a metrics agent for small edge hosts.
 *
 *   skiff run [--config FILE] [--log-level L]
 *   skiff check --config FILE
 *   skiff config
 *   skiff permissions --config FILE
 *   skiff tap --config FILE [--instance NAME] [--cycles N]
 *   skiff version
 *
 * @module
 */

import { parseOptions } from "./lib/cli_args.ts";
import type { OptionSpecs, OptionValues } from "./lib/cli_args.ts";
import { realClock } from "./lib/clock.ts";
import { join } from "./lib/path.ts";
import {
  defaultConfigText,
  denoFlags,
  effectiveConfigText,
  formatConfigMessage,
  loadConfigFile,
  missingPermissions,
  missingPermissionsMessage,
  parseConfig,
  permissionSet,
} from "./lib/config/mod.ts";
import type { ConfigResult } from "./lib/config/mod.ts";
import { LOG_LEVELS, Logger } from "./lib/log.ts";
import type { LogLevel } from "./lib/log.ts";
import { Agent, agentPermissionNeeds } from "./lib/agent.ts";
import { discoverPlugins, SKIFF_VERSION } from "./lib/collect/mod.ts";

const USAGE = `skiff ${SKIFF_VERSION}: a metrics agent for small edge hosts

Usage:
  skiff run [--config FILE | --config-dir DIR] [--log-level LEVEL]
                                                  run the agent
  skiff check --config FILE                       validate a config, print it with defaults
  skiff config                                    print the default config, every key commented
  skiff permissions --config FILE                 print the least Deno flags FILE needs
  skiff tap --config FILE [--instance NAME] [--cycles N]
                                                  print what each instance would send, sending nothing
  skiff version                                   print the version

Run "skiff COMMAND --help" for a command's options.
`;

const COMMANDS: Record<
  string,
  { usage: string; options: OptionSpecs }
> = {
  run: {
    usage: `Usage: skiff run [--config FILE] [--log-level LEVEL]

Runs the agent until SIGINT or SIGTERM.
  --config FILE       the config file (netdata.conf style); without it, built-in defaults
  --config-dir DIR    a netdata config directory (e.g. /etc/netdata): its netdata.conf,
                      stream.conf and exporting.conf, read as netdata 1.37 reads them
  --log-level LEVEL   ${LOG_LEVELS.join(", ")} (overrides [global] log level)
`,
    options: {
      config: { type: "string" },
      "config-dir": { type: "string" },
      "log-level": { type: "string" },
      help: { type: "boolean" },
    },
  },
  check: {
    usage: `Usage: skiff check --config FILE | --config-dir DIR

Validates FILE. Prints every warning and error with file:line, then the
effective config with defaults filled in. Exits 1 on any error.
`,
    options: {
      config: { type: "string" },
      "config-dir": { type: "string" },
      help: { type: "boolean" },
    },
  },
  config: {
    usage: `Usage: skiff config

Prints a complete default config, every key commented with its meaning.
`,
    options: { help: { type: "boolean" } },
  },
  permissions: {
    usage:
      `Usage: skiff permissions --config FILE | --config-dir DIR [--format flags|deno.json]

Prints the least Deno permission flags the agent needs with FILE: the config
file and plugins directories to read, tail and the enabled plugins to run,
the destinations, listen addresses and parents to connect to. Why each is
needed goes to standard error. Use them with deno run:

  deno run $(skiff permissions --config FILE) main.ts run --config FILE

--format deno.json prints them as a permission set for deno.json's
"permissions" (then: deno run -P=skiff main.ts run --config FILE).
`,
    options: {
      config: { type: "string" },
      "config-dir": { type: "string" },
      format: { type: "string" },
      help: { type: "boolean" },
    },
  },
  tap: {
    usage:
      `Usage: skiff tap --config FILE | --config-dir DIR [--instance NAME] [--cycles N]

Runs the collectors and the exporting engine as "run" does, but sends
nothing: each exporting instance's batches are printed to standard output
exactly as they would go (Graphite and OpenTSDB lines, JSON bodies; a
remote-write body decoded into name{labels} value timestamp_ms lines), each
under a "# [instance] cycle N" line on standard error. Streaming and the
listener are off. Stops after N cycles with metrics of every instance
(default 1); cycles with nothing to send are not counted.
  --instance NAME     only this instance (its name or [section])
  --cycles N          cycles with metrics to print per instance (default 1)
  --log-level LEVEL   ${LOG_LEVELS.join(", ")} (default warn)
`,
    options: {
      config: { type: "string" },
      "config-dir": { type: "string" },
      instance: { type: "string" },
      cycles: { type: "string" },
      "log-level": { type: "string" },
      help: { type: "boolean" },
    },
  },
  version: {
    usage: "Usage: skiff version\n",
    options: { help: { type: "boolean" } },
  },
};

function systemHostname(): string {
  try {
    return Deno.hostname();
  } catch {
    // without --allow-sys=hostname; the permission check names the flag
    return "localhost";
  }
}

function usageError(message: string, usage: string): number {
  console.error(`skiff: ${message}\n\n${usage}`);
  return 2;
}

/** Set by --config-dir: the config is a netdata.conf in a netdata config directory. */
let netdataConfig = false;

async function loadOrDefaults(path: string | undefined): Promise<ConfigResult> {
  const env = {
    systemHostname: systemHostname(),
    ...(netdataConfig && { netdata: { apiKeyEnabled: false } }),
  };
  return path === undefined
    ? parseConfig("", "(defaults)", env)
    : await loadConfigFile(path, env);
}

function printMessages(result: ConfigResult): void {
  for (const w of result.warnings) {
    console.error(`warning: ${formatConfigMessage(w)}`);
  }
  for (const e of result.errors) {
    console.error(`error: ${formatConfigMessage(e)}`);
  }
}

/**
 * Whether this process has the permissions the agent needs with `config`
 * (without network ones for a tap, which connects to nothing), and its
 * plugins directories are readable; says what is missing on stderr.
 */
async function permittedToRun(
  config: ConfigResult["config"],
  path: string | undefined,
  tapOnly: boolean,
): Promise<boolean> {
  const { needs, pluginDirErrors } = await agentPermissionNeeds(config, path);
  const missing = await missingPermissions(
    tapOnly ? needs.filter((n) => !n.flag.startsWith("--allow-net")) : needs,
  );
  if (missing.length > 0) {
    console.error(missingPermissionsMessage(missing));
    return false;
  }
  for (const e of pluginDirErrors) console.error(`error: ${e}`);
  return pluginDirErrors.length === 0;
}

async function run(values: OptionValues): Promise<number> {
  const level = values["log-level"] as string | undefined;
  if (level !== undefined && !LOG_LEVELS.includes(level as LogLevel)) {
    return usageError(
      `--log-level must be one of ${LOG_LEVELS.join(", ")}, got "${level}"`,
      COMMANDS.run.usage,
    );
  }
  const result = await loadOrDefaults(values.config as string | undefined);
  printMessages(result);
  if (result.errors.length > 0) {
    console.error(
      `skiff: ${result.errors.length} error(s) in ${result.config.source}; not starting`,
    );
    return 1;
  }
  if (
    !await permittedToRun(
      result.config,
      values.config as string | undefined,
      false,
    )
  ) return 1;
  const log = new Logger("skiff", {
    level: (level as LogLevel) ?? result.config.global.logLevel,
  });
  const agent = new Agent(result.config, { clock: realClock, log });
  const stopped = Promise.withResolvers<string>();
  const onSignal = (name: string) => () => stopped.resolve(name);
  const handlers: [Deno.Signal, () => void][] = [
    ["SIGINT", onSignal("SIGINT")],
    ["SIGTERM", onSignal("SIGTERM")],
  ];
  for (const [sig, h] of handlers) Deno.addSignalListener(sig, h);
  try {
    await agent.start();
  } catch (err) {
    console.error(`skiff: ${(err as Error).message}; not starting`);
    await agent.stop();
    return 1;
  }
  const sig = await stopped.promise;
  log.info(`${sig} received: stopping`);
  await agent.stop();
  for (const [s, h] of handlers) Deno.removeSignalListener(s, h);
  log.info("stopped");
  return 0;
}

async function check(values: OptionValues): Promise<number> {
  if (values.config === undefined) {
    return usageError("check needs --config FILE", COMMANDS.check.usage);
  }
  const result = await loadOrDefaults(values.config as string);
  // What the plugins directories hold: enabled plugins that are not there.
  const { problems } = await discoverPlugins(result.config).catch(() => ({
    problems: [] as string[],
  }));
  for (const p of problems) {
    result.warnings.push({ file: values.config as string, message: p });
  }
  printMessages(result);
  if (result.errors.length > 0) {
    console.error(
      `${result.errors.length} error(s), ${result.warnings.length} warning(s) in ${values.config}`,
    );
    return 1;
  }
  console.log(effectiveConfigText(result.config));
  console.error(`${values.config}: OK (${result.warnings.length} warning(s))`);
  return 0;
}

async function permissions(values: OptionValues): Promise<number> {
  if (values.config === undefined) {
    return usageError(
      "permissions needs --config FILE",
      COMMANDS.permissions.usage,
    );
  }
  const format = (values.format as string | undefined) ?? "flags";
  if (format !== "flags" && format !== "deno.json") {
    return usageError(
      `--format must be flags or deno.json, got "${format}"`,
      COMMANDS.permissions.usage,
    );
  }
  const path = values.config as string;
  const result = await loadOrDefaults(path);
  printMessages(result);
  if (result.errors.length > 0) return 1;
  const { needs } = await agentPermissionNeeds(result.config, path);
  for (const n of needs) console.error(`${n.flag}    ${n.why}`);
  console.log(
    format === "flags"
      ? denoFlags(needs).join(" ")
      : JSON.stringify({ skiff: permissionSet(needs) }, null, 2),
  );
  return 0;
}

async function tap(values: OptionValues): Promise<number> {
  if (values.config === undefined) {
    return usageError("tap needs --config FILE", COMMANDS.tap.usage);
  }
  const level = (values["log-level"] as string | undefined) ?? "warn";
  if (!LOG_LEVELS.includes(level as LogLevel)) {
    return usageError(
      `--log-level must be one of ${LOG_LEVELS.join(", ")}, got "${level}"`,
      COMMANDS.tap.usage,
    );
  }
  const cyclesText = (values.cycles as string | undefined) ?? "1";
  const cycles = Number(cyclesText);
  if (!/^\d+$/.test(cyclesText) || cycles < 1) {
    return usageError(
      `--cycles must be a positive integer, got "${cyclesText}"`,
      COMMANDS.tap.usage,
    );
  }
  const result = await loadOrDefaults(values.config as string);
  printMessages(result);
  if (result.errors.length > 0) return 1;
  const config = result.config;
  const enabled = config.exporting.filter((i) => i.enabled);
  const wanted = values.instance as string | undefined;
  if (wanted !== undefined) {
    const match = enabled.filter((i) =>
      i.name === wanted || i.section === wanted ||
      `[${i.section}]` === wanted
    );
    if (match.length === 0) {
      console.error(
        `skiff: no enabled exporting instance "${wanted}" in ${config.source} (enabled: ${
          enabled.map((i) => i.section).join(", ") || "none"
        })`,
      );
      return 1;
    }
    for (const i of enabled) i.enabled = match.includes(i);
  } else if (enabled.length === 0) {
    console.error(`skiff: no enabled exporting instance in ${config.source}`);
    return 1;
  }
  // A tap sends nothing and listens nowhere.
  config.stream.enabled = false;
  config.web.mode = "none";
  if (!await permittedToRun(config, values.config as string, true)) return 1;
  // Loaded here: remote write's protobuf library reads the environment when
  // it loads, which "run" with least permissions must not need.
  const { tapText } = await import("./lib/export/tap.ts");
  const selected = config.exporting.filter((i) => i.enabled);
  const counts = new Map<string, number>();
  const finished = Promise.withResolvers<string>();
  let done = false;
  const out = new TextEncoder();
  const agent = new Agent(config, {
    clock: realClock,
    log: new Logger("skiff", { level: level as LogLevel }),
    tap: (instance, batch) => {
      if (done) return;
      const section = instance.config.section;
      const n = (counts.get(section) ?? 0) + 1;
      if (n > cycles) return;
      counts.set(section, n);
      console.error(
        `# [${section}] cycle ${n}: ${batch.metrics} metrics, ${batch.bytes.length} bytes`,
      );
      Deno.stdout.writeSync(
        out.encode(tapText(instance.config.type, batch.bytes)),
      );
      if (selected.every((i) => (counts.get(i.section) ?? 0) >= cycles)) {
        done = true;
        finished.resolve("done");
      }
    },
  });
  const onSignal = () => finished.resolve("signal");
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(sig, onSignal);
  }
  try {
    await agent.start();
    await finished.promise;
  } catch (err) {
    console.error(`skiff: ${(err as Error).message}`);
    return 1;
  } finally {
    done = true;
    await agent.stop();
    for (const sig of ["SIGINT", "SIGTERM"] as const) {
      Deno.removeSignalListener(sig, onSignal);
    }
  }
  return 0;
}

/** Runs the CLI with `args`; returns the exit code. */
export async function main(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  if (
    command === undefined || command === "--help" || command === "-h" ||
    command === "help"
  ) {
    console.log(USAGE);
    return command === undefined ? 2 : 0;
  }
  if (command === "--version") {
    console.log(`skiff ${SKIFF_VERSION}`);
    return 0;
  }
  const spec = COMMANDS[command];
  if (!spec) return usageError(`unknown command "${command}"`, USAGE);
  let values: OptionValues;
  try {
    values = parseOptions(rest, spec.options);
  } catch (err) {
    return usageError((err as Error).message, spec.usage);
  }
  if (values.help) {
    console.log(spec.usage);
    return 0;
  }
  if (values["config-dir"] !== undefined) {
    // A netdata config directory, read as netdata reads it: netdata.conf,
    // stream.conf and exporting.conf in it.
    if (values.config !== undefined) {
      return usageError(
        "--config and --config-dir go one at a time",
        spec.usage,
      );
    }
    values.config = join(values["config-dir"] as string, "netdata.conf");
    netdataConfig = true;
  }
  switch (command) {
    case "run":
      return await run(values);
    case "check":
      return await check(values);
    case "config":
      console.log(defaultConfigText());
      return 0;
    case "permissions":
      return await permissions(values);
    case "tap":
      return await tap(values);
    default:
      console.log(`skiff ${SKIFF_VERSION}`);
      return 0;
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
