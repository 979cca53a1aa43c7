/**
 * The CPU time this process has used, as getrusage(RUSAGE_SELF) gives it:
 * user and system microseconds, what node's `process.cpuUsage()` returns.
 *
 * Deno 2.9 has it as `Deno.cpuUsage()` at run time (the op behind its
 * `node:process`, no permission needed) but not in its type declarations.
 * skiff takes it from there: importing any `node:` module starts Deno's Node
 * compatibility layer, which cost the compare job 1–3 MiB of resident memory
 * (README, Performance). A runtime without it gets `node:process`'s, loaded
 * only then.
 *
 * @module
 */

/** CPU time in microseconds. */
export interface CpuUsage {
  /** Time in user mode. */
  user: number;
  /** Time in the kernel on the process's behalf. */
  system: number;
}

/** A reading, a new object each call. */
type Source = () => CpuUsage;

const fromRuntime = (Deno as unknown as { cpuUsage?: Source }).cpuUsage;

const source: Source = typeof fromRuntime === "function"
  ? fromRuntime
  : (await import("node:process")).default.cpuUsage;

/**
 * The process's CPU time so far, or, given an earlier reading, the time used
 * since it.
 */
export function cpuUsage(since?: CpuUsage): CpuUsage {
  const now = source();
  if (since === undefined) return now;
  return { user: now.user - since.user, system: now.system - since.system };
}
