/**
 * The plugins.d runner: finds `*.plugin` executables, runs the enabled ones
 * with netdata's arguments and environment, feeds their stdout through the
 * shared protocol parser into the local host, and restarts them as netdata
 * does (after `update every` when they worked, 10x that when they did not,
 * never after DISABLE or after failing without ever collecting).
 *
 * A plugin gets an open stdin (as netdata gives it; never written to), a
 * pid file in `[directories] run` while it runs (see plugin_processes.ts),
 * and its stderr logged escaped and rate-limited. Stopping it closes stdin,
 * sends SIGTERM, then SIGKILL after {@link PLUGIN_STOP_GRACE_MS}.
 *
 * @module
 */

import { realClock, sleep } from "../clock.ts";
import type { Clock } from "../clock.ts";
import type { Config } from "../config/mod.ts";
import type { Logger } from "../log.ts";
import { escapeForLog } from "../log_escape.ts";
import {
  HostWriter,
  LineSplitter,
  ProtocolError,
  ProtocolParser,
} from "../protocol/mod.ts";
import type { Host } from "../storage/mod.ts";
import {
  AFTER_KILL_WAIT_MS,
  formatPidFile,
  parsePidFile,
  pidFilePath,
  PLUGIN_STOP_GRACE_MS,
  removeQuietly,
  stopLeftoverPlugin,
} from "./plugin_processes.ts";

/** A plugin found on disk and whether config enables it. */
export interface PluginEntry {
  name: string;
  path: string;
  directory: string;
  enabled: boolean;
}

/** skiff's version, as plugins see it in NETDATA_VERSION. */
export const SKIFF_VERSION = "0.1.0";

const SERIAL_FAILURES_THRESHOLD = 10;

/**
 * Lists `*.plugin` files in the directories, first directory winning for a
 * name, and decides which are enabled: `[plugins] NAME = yes/no`, else
 * `enable running new plugins`. Unreadable directories are reported.
 */
export async function discoverPlugins(
  config: Config,
): Promise<{ plugins: PluginEntry[]; problems: string[]; errors: string[] }> {
  const plugins: PluginEntry[] = [];
  // A directory that does not exist is a warning (netdata's default one is
  // often absent); one that exists but cannot be read is an error.
  const problems: string[] = [];
  const errors: string[] = [];
  const seen = new Set<string>();
  for (const dir of config.directories.plugins) {
    let entries: Deno.DirEntry[];
    try {
      entries = [];
      for await (const e of Deno.readDir(dir)) entries.push(e);
    } catch (err) {
      // One of the default directories missing is normal: each package
      // puts its plugins in one of them.
      if (
        err instanceof Deno.errors.NotFound && DEFAULT_PLUGIN_DIRS.includes(dir)
      ) continue;
      const message =
        `cannot read plugins directory "${dir}" ([directories] plugins): ${
          (err as Error).message
        }`;
      (err instanceof Deno.errors.NotFound ? problems : errors).push(message);
      continue;
    }
    // By code unit, not localeCompare: that would load ICU's collation,
    // some 5 MiB resident for the life of the process.
    entries.sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
    for (const e of entries) {
      if (!e.name.endsWith(".plugin") || e.isDirectory) continue;
      const name = e.name.slice(0, -".plugin".length);
      if (seen.has(name)) continue;
      seen.add(name);
      const explicit = config.plugins.byName[name];
      plugins.push({
        name,
        path: `${dir}/${e.name}`,
        directory: dir,
        enabled: explicit ?? config.plugins.enableRunningNewPlugins,
      });
    }
  }
  for (const [name, on] of Object.entries(config.plugins.byName)) {
    if (on && !seen.has(name)) {
      problems.push(
        `[plugins] ${name} = yes, but there is no ${name}.plugin in the plugins directories (${
          config.directories.plugins.join(", ")
        }); netdata's own internal collectors (cgroups, tc, statsd...) are not plugins skiff runs`,
      );
    }
  }
  return { plugins, problems, errors };
}

/**
 * Where netdata's packages put their plugins: Debian's, then netdata's own
 * installer's.
 */
export const DEFAULT_PLUGIN_DIRS = [
  "/usr/lib/netdata/plugins.d",
  "/usr/libexec/netdata/plugins.d",
];

/** Splits `command options` like a shell would for simple quoting. */
export function splitCommandOptions(text: string): string[] {
  const out: string[] = [];
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g;
  for (const m of text.matchAll(re)) out.push(m[1] ?? m[2] ?? m[3]);
  return out;
}

/** The environment netdata gives its plugins. */
export function pluginEnvironment(
  config: Config,
  plugin: PluginEntry,
  updateEverySec: number,
): Record<string, string> {
  const d = config.directories;
  return {
    NETDATA_UPDATE_EVERY: String(updateEverySec),
    NETDATA_VERSION: `v${SKIFF_VERSION}-skiff`,
    NETDATA_HOSTNAME: config.global.hostname,
    NETDATA_CONFIG_DIR: d.config,
    NETDATA_USER_CONFIG_DIR: d.config,
    NETDATA_STOCK_CONFIG_DIR: d.stockConfig,
    NETDATA_PLUGINS_DIR: plugin.directory,
    NETDATA_USER_PLUGINS_DIRS: d.plugins.join(" "),
    NETDATA_CACHE_DIR: d.cache,
    NETDATA_LIB_DIR: d.lib,
    NETDATA_LOG_DIR: d.log,
    NETDATA_HOST_PREFIX: "",
  };
}

/** What happened to a plugin, for tests and logs. */
export interface PluginState {
  runs: number;
  /** Charts completed (END) over all runs. */
  completions: number;
  /** Lines rejected. */
  badLines: number;
  /** Non-blank stderr lines read, logged or not. */
  stderrLines: number;
  disabled: boolean;
  lastExitCode?: number;
}

/** Bytes read from a plugin's stdout at a time. */
const READ_BYTES = 64 * 1024;

/** Runs one plugin until disabled or aborted. */
export class PluginRunner {
  readonly plugin: PluginEntry;
  readonly updateEverySec: number;
  readonly state: PluginState = {
    runs: 0,
    completions: 0,
    badLines: 0,
    stderrLines: 0,
    disabled: false,
  };
  readonly #config: Config;
  readonly #host: Host;
  readonly #clock: Clock;
  readonly #log: Logger;
  #child: Deno.ChildProcess | undefined;
  #pidFileWarned = false;

  constructor(
    plugin: PluginEntry,
    options: { config: Config; host: Host; clock: Clock; log: Logger },
  ) {
    this.plugin = plugin;
    this.#config = options.config;
    this.#host = options.host;
    this.#clock = options.clock;
    this.#log = options.log.child(`plugin ${plugin.name}`);
    this.updateEverySec =
      options.config.pluginSections[plugin.name]?.updateEverySec ??
        options.config.global.updateEverySec;
  }

  /**
   * Runs, restarting as netdata does, until disabled or `signal` aborts;
   * first stops this plugin if a killed skiff left it running. Settles
   * within {@link PLUGIN_STOP_GRACE_MS} + {@link AFTER_KILL_WAIT_MS} (and
   * the time to read the last lines) of `signal` aborting.
   */
  async run(signal: AbortSignal): Promise<void> {
    await stopLeftoverPlugin(
      pidFilePath(this.#config.directories.run, this.plugin.name),
      { log: this.#log },
    );
    let serialFailures = 0;
    while (!signal.aborted && !this.state.disabled) {
      const before = this.state.completions;
      const { code, killed } = await this.#runOnce(signal);
      if (signal.aborted || this.state.disabled) break;
      const collected = this.state.completions > before;
      serialFailures = collected ? 0 : serialFailures + 1;
      let waitSec: number;
      if (killed) {
        this.#log.info(`was killed; not restarting it`);
        break;
      } else if (code === 0) {
        if (this.state.completions > 0 && collected) {
          waitSec = this.updateEverySec;
        } else if (serialFailures <= SERIAL_FAILURES_THRESHOLD) {
          this.#log.info(
            `exited with 0 without useful output; restarting in ${
              this.updateEverySec * 10
            }s`,
          );
          waitSec = this.updateEverySec * 10;
        } else {
          this.#log.error(
            `exited ${serialFailures} times without useful output; disabling it`,
          );
          this.state.disabled = true;
          break;
        }
      } else if (this.state.completions === 0) {
        this.#log.error(
          `exited with code ${code} and never collected any data; disabling it`,
        );
        this.state.disabled = true;
        break;
      } else if (serialFailures <= SERIAL_FAILURES_THRESHOLD) {
        this.#log.error(
          `exited with code ${code}; restarting in ${
            this.updateEverySec * 10
          }s`,
        );
        waitSec = this.updateEverySec * 10;
      } else {
        this.#log.error(
          `exited with code ${code}, ${serialFailures} times in a row without data; disabling it`,
        );
        this.state.disabled = true;
        break;
      }
      try {
        await this.#clock.sleepUntil(
          this.#clock.nowMs() + waitSec * 1000,
          signal,
        );
      } catch {
        break;
      }
    }
  }

  async #runOnce(
    signal: AbortSignal,
  ): Promise<{ code: number; killed: boolean }> {
    const options = splitCommandOptions(
      this.#config.pluginSections[this.plugin.name]?.commandOptions ?? "",
    );
    let child: Deno.ChildProcess;
    try {
      child = new Deno.Command(this.plugin.path, {
        args: [String(this.updateEverySec), ...options],
        env: pluginEnvironment(this.#config, this.plugin, this.updateEverySec),
        // As netdata does: an open stdin that is never written to. Plugins
        // such as apps.plugin exit on its EOF ("Received error on stdin"),
        // so they also end when skiff dies.
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
    } catch (err) {
      this.#log.error(
        `cannot start ${this.plugin.path}: ${(err as Error).message}`,
      );
      return { code: 127, killed: false };
    }
    this.#child = child;
    this.state.runs++;
    this.#log.info(
      `started ${this.plugin.path} (pid ${child.pid}) every ${this.updateEverySec}s`,
    );
    const exited = child.status;
    const pidFile = this.#writePidFile(child.pid);
    // Read into one buffer, handed back and forth (a BYOB reader): the
    // default reader allocates 64 KiB a read, and those short-lived buffers,
    // interleaved with storage's long-lived ones, fragment malloc's heap.
    const stdout = child.stdout.getReader({ mode: "byob" });
    const stderrReader = child.stderr.getReader();
    // Stopping: stdin closed, SIGTERM, SIGKILL after the grace (as netdata
    // does, to its pid only), and the pipes no longer read: a grandchild it
    // left behind may hold them open. `stopDeadline` resolves when waiting
    // longer for the plugin is pointless.
    const stopDeadline = Promise.withResolvers<undefined>();
    const stopTimers = new AbortController();
    let stopping = false;
    const stop = () => {
      if (stopping) return;
      stopping = true;
      child.stdin.close().catch(() => {});
      signalChild(child, "SIGTERM");
      stdout.cancel().catch(() => {});
      stderrReader.cancel().catch(() => {});
      // Real time even when a test drives the schedule with a ManualClock.
      sleep(realClock, PLUGIN_STOP_GRACE_MS, stopTimers.signal).then(() => {
        this.#log.warn(
          `pid ${child.pid} still running ${PLUGIN_STOP_GRACE_MS} ms after SIGTERM; sending SIGKILL`,
        );
        signalChild(child, "SIGKILL");
        return sleep(realClock, AFTER_KILL_WAIT_MS, stopTimers.signal);
      }).then(() => stopDeadline.resolve(undefined), () => {});
    };
    signal.addEventListener("abort", stop, { once: true });
    if (signal.aborted) stop();

    const writer = new HostWriter(this.#host, {
      clock: this.#clock,
      defaultUpdateEverySec: this.updateEverySec,
      historyEntries: this.#config.global.historyEntries,
      trustDurations: false,
      pluginName: `${this.plugin.name}.plugin`,
      onDisable: () => {
        this.#log.info(`sent DISABLE; it will not be restarted`);
        this.state.disabled = true;
        stop();
      },
      onOther: () => {},
    });
    const parser = new ProtocolParser(writer);
    const splitter = new LineSplitter();
    const log = this.#log;
    const state = this.state;
    const report = (lineNumber: number, reason: string) => {
      state.badLines++;
      if (state.badLines <= 10 || state.badLines % 1000 === 0) {
        log.error(
          `line ${lineNumber}: ${
            escapeForLog(reason)
          } (${state.badLines} bad lines so far)`,
        );
      }
    };
    const sink = {
      line(text: string) {
        sink.lineIn(text, 0, text.length);
      },
      lineIn(text: string, start: number, end: number) {
        try {
          parser.parseIn(text, start, end);
        } catch (err) {
          if (!(err instanceof ProtocolError)) throw err;
          report(parser.lineNumber, err.message);
        }
      },
      oversize(length: number) {
        parser.lineNumber++;
        report(
          parser.lineNumber,
          `line of ${length} characters is over the ${splitter.maxLineLength} limit`,
        );
      },
    };
    const completionsBefore = writer.completions;
    const stderr = this.#pipeStderr(stderrReader);
    try {
      let buf = new Uint8Array(READ_BYTES);
      for (;;) {
        const { value, done } = await stdout.read(buf);
        if (done || value === undefined) break;
        splitter.push(value, sink);
        buf = new Uint8Array(value.buffer);
      }
    } catch (err) {
      this.#log.warn(`reading its output failed: ${(err as Error).message}`);
    }
    const status = await Promise.race([exited, stopDeadline.promise]);
    stopTimers.abort();
    signal.removeEventListener("abort", stop);
    child.stdin.close().catch(() => {});
    stderrReader.cancel().catch(() => {});
    await stderr;
    this.#child = undefined;
    this.state.completions += writer.completions - completionsBefore;
    if (status === undefined) {
      // Its pid file stays, for the next start to deal with.
      this.#log.error(
        `pid ${child.pid} did not exit ${AFTER_KILL_WAIT_MS} ms after SIGKILL; no longer waiting for it`,
      );
      return { code: -1, killed: true };
    }
    await this.#removePidFile(await pidFile, child.pid);
    this.state.lastExitCode = status.code;
    return {
      code: status.code,
      killed: status.signal === "SIGTERM" || status.signal === "SIGKILL",
    };
  }

  /**
   * Logs stderr lines, escaped, at most `[plugins] stderr lines per second`
   * a second; the rest are counted and reported in one line when their
   * second ends (or the plugin's stderr does).
   */
  async #pipeStderr(
    reader: ReadableStreamDefaultReader<Uint8Array>,
  ): Promise<void> {
    const splitter = new LineSplitter(4096);
    const log = this.#log;
    const clock = this.#clock;
    const state = this.state;
    const limiter = new LineRateLimiter(
      this.#config.plugins.stderrLinesPerSec,
    );
    const timers = new AbortController();
    let noteScheduled = false;
    const note = () => {
      const n = limiter.takeSuppressed();
      if (n > 0) {
        log.warn(
          `stderr: ${n} more lines not logged (at most ${limiter.perSecond} a second: [plugins] stderr lines per second)`,
        );
      }
    };
    const admit = (message: string) => {
      state.stderrLines++;
      const now = clock.nowMs();
      if (now >= limiter.windowEndMs) note();
      if (limiter.admit(now)) {
        log.info(message);
      } else if (!noteScheduled) {
        noteScheduled = true;
        clock.sleepUntil(limiter.windowEndMs, timers.signal).then(
          note,
          () => {},
        )
          .finally(() => noteScheduled = false);
      }
    };
    const sink = {
      line: (text: string) => {
        if (text.trim() !== "") admit(`stderr: ${escapeForLog(text)}`);
      },
      oversize: (length: number) =>
        admit(
          `stderr: a line of ${length} characters, over ${splitter.maxLineLength}, not shown`,
        ),
    };
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        splitter.push(value, sink);
      }
    } catch {
      // the plugin went away
    }
    timers.abort();
    note();
  }

  /** Writes the plugin's pid file; its path, or undefined when it cannot. */
  async #writePidFile(pid: number): Promise<string | undefined> {
    const dir = this.#config.directories.run;
    const path = pidFilePath(dir, this.plugin.name);
    try {
      await Deno.mkdir(dir, { recursive: true });
      await Deno.writeTextFile(
        path,
        formatPidFile({ pid, ownerPid: Deno.pid, path: this.plugin.path }),
      );
      return path;
    } catch (err) {
      if (!this.#pidFileWarned) {
        this.#pidFileWarned = true;
        this.#log.warn(
          `cannot write its pid file ${path} ([directories] run): ${
            (err as Error).message
          }; if skiff is killed, the next start will not find this plugin`,
        );
      }
      return undefined;
    }
  }

  /** Removes the pid file if it still names `pid` (not a newer run's). */
  async #removePidFile(path: string | undefined, pid: number): Promise<void> {
    if (path === undefined) return;
    try {
      if (parsePidFile(await Deno.readTextFile(path))?.pid !== pid) return;
    } catch {
      return;
    }
    await removeQuietly(path, this.#log);
  }

  /** The running child's pid, if any. */
  get pid(): number | undefined {
    return this.#child?.pid;
  }
}

/** Signals a child skiff spawned; one already gone is fine. */
function signalChild(child: Deno.ChildProcess, signal: Deno.Signal): void {
  try {
    child.kill(signal);
  } catch {
    // already gone
  }
}

/**
 * Which lines of a stream are logged: at most `perSecond` in each one-second
 * window (a window starts at the first line after the last one ended); the
 * others are counted until {@link takeSuppressed}.
 */
export class LineRateLimiter {
  /** Lines logged per window at most. */
  readonly perSecond: number;
  #windowEndMs = -Infinity;
  #admitted = 0;
  #suppressed = 0;

  constructor(perSecond: number) {
    this.perSecond = perSecond;
  }

  /** When the current window ends. */
  get windowEndMs(): number {
    return this.#windowEndMs;
  }

  /** Whether a line at `nowMs` is logged; counts it when not. */
  admit(nowMs: number): boolean {
    if (nowMs >= this.#windowEndMs) {
      this.#windowEndMs = nowMs + 1000;
      this.#admitted = 0;
    }
    if (this.#admitted < this.perSecond) {
      this.#admitted++;
      return true;
    }
    this.#suppressed++;
    return false;
  }

  /** Lines not admitted since the last call. */
  takeSuppressed(): number {
    const n = this.#suppressed;
    this.#suppressed = 0;
    return n;
  }
}
