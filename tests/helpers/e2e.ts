/**
 * Helpers for end-to-end tests against real servers on loopback: find the
 * server binary (skip with a clear message when it is missing, fail when
 * SKIFF_REQUIRE_E2E=1 as in CI), free ports, temp dirs, processes that are
 * always stopped, and polling for readiness.
 *
 * @module
 */

/** True when CI demands that no end-to-end test is skipped. */
export const REQUIRE_E2E = Deno.env.get("SKIFF_REQUIRE_E2E") === "1";

/**
 * Whether `path` is an executable. When it is not: under SKIFF_REQUIRE_E2E=1
 * the test fails (returns true so it runs and reports the missing binary);
 * otherwise it prints why it is skipped and returns false.
 */
export function haveBinary(path: string, pkg: string): boolean {
  try {
    const info = Deno.statSync(path);
    if (info.isFile && ((info.mode ?? 0o111) & 0o111) !== 0) return true;
  } catch {
    // missing
  }
  if (REQUIRE_E2E) return true;
  console.warn(
    `skipping end-to-end test: ${path} not found (apt-get install ${pkg})`,
  );
  return false;
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = l.addr.port;
  l.close();
  return port;
}

/** A process started by a test; `stop()` always ends it. */
export interface Proc {
  child: Deno.ChildProcess;
  /** What it wrote to stdout and stderr so far. */
  output(): string;
  stop(signal?: Deno.Signal): Promise<void>;
}

/** Starts a process with output captured. */
export function start(
  cmd: string,
  args: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Proc {
  const child = new Deno.Command(cmd, {
    args,
    cwd: options.cwd,
    env: options.env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let out = "";
  const pump = async (s: ReadableStream<Uint8Array>) => {
    try {
      for await (const t of s.pipeThrough(new TextDecoderStream())) out += t;
    } catch {
      // closed
    }
  };
  const pumps = Promise.all([pump(child.stdout), pump(child.stderr)]);
  let stopped = false;
  return {
    child,
    output: () => out,
    async stop(signal: Deno.Signal = "SIGTERM") {
      if (stopped) return;
      stopped = true;
      try {
        child.kill(signal);
      } catch {
        // already gone
      }
      const timer = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch {
          // gone
        }
      }, 5000);
      await child.status;
      clearTimeout(timer);
      await pumps;
    },
  };
}

/** Polls `probe` until it returns a value, up to `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 15000,
): Promise<T> {
  const end = performance.now() + timeoutMs;
  let lastError: unknown;
  while (performance.now() < end) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(
    `timed out waiting for ${what}${
      lastError ? `: ${(lastError as Error).message}` : ""
    }`,
  );
}

/** GET `url`; the body when the status is 200, else undefined. */
export async function httpOk(url: string): Promise<string | undefined> {
  try {
    const r = await fetch(url);
    const body = await r.text();
    return r.ok ? body : undefined;
  } catch {
    return undefined;
  }
}

/** The path of main.ts, for running skiff as a process. */
export const MAIN_TS = new URL("../../main.ts", import.meta.url).pathname;
/** The directory of the test plugins. */
export const FIXTURE_PLUGINS =
  new URL("../fixtures/plugins.d", import.meta.url).pathname;

/**
 * Polls `cond` until true, up to `ms`: for conditions that depend on real
 * sockets or child processes, which need real time to happen.
 */
export async function until(
  what: string,
  cond: () => boolean,
  ms = 10000,
): Promise<void> {
  const end = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
