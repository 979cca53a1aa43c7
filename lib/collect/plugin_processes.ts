/**
 * Plugin processes skiff did not spawn itself: the ones a killed skiff left
 * running. While a plugin runs, skiff keeps a pid file for it in
 * `[directories] run`; at the next start each file left there names a
 * process that is stopped (SIGTERM, then SIGKILL after a grace) if it is
 * still that plugin.
 *
 * A pid file holds three lines: the plugin's pid, the pid of the skiff that
 * started it, and the plugin's path. "Still that plugin" means: the process
 * exists, is not a zombie, and its command line holds that path. A process
 * whose parent is still the skiff that wrote the file belongs to a running
 * skiff (two agents sharing a run directory) and is left alone.
 *
 * Deno 2.9 reads /proc only under --allow-all and lets `Deno.kill` signal
 * only under an unrestricted --allow-run, so, as the /proc collectors do,
 * skiff reads /proc/PID through `tail` and signals through `kill`
 * (`--allow-run=tail,kill`), and does both directly when Deno allows it.
 *
 * @module
 */

import { basename } from "../path.ts";
import { realClock, sleep } from "../clock.ts";
import type { Clock } from "../clock.ts";
import { KILL_COMMAND } from "../config/mod.ts";
import type { Logger } from "../log.ts";
import { chooseReader } from "./proc/reader.ts";
import type { FileReader } from "./proc/reader.ts";

/** How long a plugin has to exit after SIGTERM before it gets SIGKILL. */
export const PLUGIN_STOP_GRACE_MS = 500;

/**
 * How long to wait for a process to go after SIGKILL (one in uninterruptible
 * sleep may not): past it, skiff stops waiting and says so.
 */
export const AFTER_KILL_WAIT_MS = 200;

/** The pid file of plugin NAME in `runDir`. */
export function pidFilePath(runDir: string, pluginName: string): string {
  return `${runDir}/${pluginName}.plugin.pid`;
}

/** What a pid file records. */
export interface PidFile {
  /** The plugin's process. */
  pid: number;
  /** The skiff process that started the plugin. */
  ownerPid: number;
  /** The plugin's path, as skiff ran it. */
  path: string;
}

/** A pid file's text. */
export function formatPidFile(record: PidFile): string {
  return `${record.pid}\n${record.ownerPid}\n${record.path}\n`;
}

/** Parses a pid file's text; undefined when it is not one. */
export function parsePidFile(text: string): PidFile | undefined {
  const [pid, ownerPid, path] = text.split("\n");
  if (!/^[1-9]\d*$/.test(pid ?? "") || !/^[1-9]\d*$/.test(ownerPid ?? "")) {
    return undefined;
  }
  if (!path) return undefined;
  return { pid: Number(pid), ownerPid: Number(ownerPid), path };
}

/** A live process, as /proc shows it. */
export interface ProcessInfo {
  /** Its command line, /proc/PID/cmdline split at NULs. */
  argv: string[];
  /** Its parent's pid. */
  ppid: number;
}

/**
 * The parent pid of a /proc/PID/stat line, undefined for a zombie (it is
 * gone; only its parent's wait is missing) or a line that is not one.
 */
export function parseProcStat(text: string): { ppid: number } | undefined {
  // The command name, in parentheses, may itself hold spaces and ")".
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  const ppid = Number(fields[1]);
  if (fields[0] === "Z" || fields[0] === "X" || !Number.isInteger(ppid)) {
    return undefined;
  }
  return { ppid };
}

/** Inspecting and signalling processes by pid: the runtime-specific part. */
export interface ProcessTable {
  /** A live process's command line and parent; undefined when gone. */
  inspect(pid: number): Promise<ProcessInfo | undefined>;
  /** Sends `signal`; false when there is no such process. */
  signal(pid: number, signal: "SIGTERM" | "SIGKILL"): Promise<boolean>;
}

/** The system's processes, through /proc and signals (see the module doc). */
export class SystemProcesses implements ProcessTable {
  #reader: Promise<FileReader> | undefined;

  async inspect(pid: number): Promise<ProcessInfo | undefined> {
    this.#reader ??= chooseReader("", "/proc/self/stat");
    const reader = await this.#reader;
    const cmdline = `/proc/${pid}/cmdline`;
    const stat = `/proc/${pid}/stat`;
    const files = await reader.read([stat, cmdline]);
    const parsed = parseProcStat(files.get(stat) ?? "");
    if (!parsed) return undefined;
    const argv = (files.get(cmdline) ?? "").split("\0");
    if (argv.at(-1) === "") argv.pop();
    return { argv, ppid: parsed.ppid };
  }

  async signal(pid: number, signal: "SIGTERM" | "SIGKILL"): Promise<boolean> {
    const runAll = await Deno.permissions.query({ name: "run" });
    if (runAll.state === "granted") {
      try {
        Deno.kill(pid, signal);
        return true;
      } catch (err) {
        if (err instanceof Deno.errors.NotFound) return false;
        throw err;
      }
    }
    const { code } = await new Deno.Command(KILL_COMMAND, {
      args: ["-s", signal.slice("SIG".length), String(pid)],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).output();
    return code === 0;
  }
}

/** How a process ended when skiff stopped it. */
export type StopOutcome = "gone" | "SIGTERM" | "SIGKILL" | "still running";

/**
 * SIGTERM, then SIGKILL after `graceMs` while `alive()` holds, waiting at
 * most {@link AFTER_KILL_WAIT_MS} more. Polls `alive` every 20 ms.
 */
export async function terminate(
  pid: number,
  alive: () => Promise<boolean>,
  options: { processes: ProcessTable; graceMs: number; clock?: Clock },
): Promise<StopOutcome> {
  const { processes, graceMs } = options;
  const clock = options.clock ?? realClock;
  const goneWithin = async (ms: number) => {
    const end = clock.nowMs() + ms;
    for (;;) {
      if (!(await alive())) return true;
      if (clock.nowMs() >= end) return false;
      await sleep(clock, 20);
    }
  };
  if (!(await processes.signal(pid, "SIGTERM"))) return "gone";
  if (await goneWithin(graceMs)) return "SIGTERM";
  if (!(await processes.signal(pid, "SIGKILL"))) return "SIGTERM";
  return (await goneWithin(AFTER_KILL_WAIT_MS)) ? "SIGKILL" : "still running";
}

/**
 * Stops the plugin a pid file names if a killed skiff left it running (see
 * the module doc), and removes the file unless the process is still there.
 * Never throws: what it could not do is logged.
 */
export async function stopLeftoverPlugin(
  pidFile: string,
  options: {
    log: Logger;
    processes?: ProcessTable;
    graceMs?: number;
    clock?: Clock;
  },
): Promise<StopOutcome | undefined> {
  const { log } = options;
  const processes = options.processes ?? new SystemProcesses();
  let text: string;
  try {
    text = await Deno.readTextFile(pidFile);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) {
      log.warn(`cannot read pid file ${pidFile}: ${(err as Error).message}`);
    }
    return undefined;
  }
  const record = parsePidFile(text);
  const expected = basename(pidFile).slice(0, -".pid".length);
  if (!record || basename(record.path) !== expected) {
    log.warn(`${pidFile} is not a pid file of ${expected}; removing it`);
    await removeQuietly(pidFile, log);
    return undefined;
  }
  const { pid, path, ownerPid } = record;
  const isThePlugin = async () => {
    const info = await processes.inspect(pid);
    return info !== undefined && info.argv.includes(path) ? info : undefined;
  };
  let outcome: StopOutcome;
  try {
    const info = await isThePlugin();
    if (!info) {
      log.debug(`${pidFile}: pid ${pid} is no longer ${path}; removing it`);
      await removeQuietly(pidFile, log);
      return "gone";
    }
    if (info.ppid === ownerPid) {
      log.warn(
        `${path} (pid ${pid}) belongs to the skiff with pid ${ownerPid}, which still runs it: leaving it (do two agents share [directories] run?)`,
      );
      return undefined;
    }
    log.warn(
      `${path} (pid ${pid}) was left running by a skiff (pid ${ownerPid}) that did not stop it; stopping it`,
    );
    outcome = await terminate(pid, async () => !!(await isThePlugin()), {
      processes,
      graceMs: options.graceMs ?? PLUGIN_STOP_GRACE_MS,
      clock: options.clock,
    });
  } catch (err) {
    log.error(
      `cannot stop ${path} (pid ${pid}) named by ${pidFile}: ${
        (err as Error).message
      }`,
    );
    return undefined;
  }
  if (outcome === "still running") {
    log.error(
      `${path} (pid ${pid}) is still running ${AFTER_KILL_WAIT_MS} ms after SIGKILL; keeping ${pidFile}`,
    );
  } else {
    log.info(
      outcome === "gone"
        ? `${path} (pid ${pid}) was already gone`
        : `stopped ${path} (pid ${pid}) with ${outcome}`,
    );
    await removeQuietly(pidFile, log);
  }
  return outcome;
}

/** Removes a file; a missing one is fine, other failures are logged. */
export async function removeQuietly(path: string, log: Logger): Promise<void> {
  try {
    await Deno.remove(path);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) {
      log.warn(`cannot remove ${path}: ${(err as Error).message}`);
    }
  }
}

/**
 * {@link stopLeftoverPlugin} for every pid file in `runDir`, the plugins no
 * longer enabled included. A missing directory has none.
 */
export async function stopLeftoverPlugins(
  runDir: string,
  options: { log: Logger; processes?: ProcessTable; graceMs?: number },
): Promise<void> {
  const files: string[] = [];
  try {
    for await (const e of Deno.readDir(runDir)) {
      if (e.isFile && e.name.endsWith(".plugin.pid")) {
        files.push(`${runDir}/${e.name}`);
      }
    }
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) {
      options.log.warn(
        `cannot read [directories] run "${runDir}": ${(err as Error).message}`,
      );
    }
    return;
  }
  await Promise.all(files.map((f) => stopLeftoverPlugin(f, options)));
}
