/**
 * Reading /proc and /sys. Deno 2 refuses both to anything less than
 * `--allow-all` (it treats them as escape hatches; only /proc/pressure is
 * exempt), even with `--allow-read=/proc`. So that skiff never needs
 * `--allow-all`, files can instead be read by one `tail -v -n +1 -- FILES`
 * per collection, which needs only `--allow-run=tail`: read-only access,
 * narrower than --allow-all. Direct reads are used when Deno allows them.
 *
 * @module
 */

import { TAIL_COMMAND } from "../../config/mod.ts";

/** Reads several files at once; a missing or unreadable file is absent. */
export interface FileReader {
  readonly kind: "direct" | "tail";
  read(paths: string[]): Promise<Map<string, string>>;
}

/**
 * Reads with Deno.readTextFileSync, one file after another, under an
 * optional root (tests use fixtures). Synchronous on purpose: /proc/stat's
 * `procs_running` counts every thread of skiff that is running while it is
 * read. Concurrent async reads run on several of Deno's threads at once and
 * made skiff count 2 to 10 of itself; one synchronous read counts 1, the
 * reading thread, as netdata's proc.plugin counts itself. The files are
 * small (a few KiB in all), so the event loop is blocked for well under a
 * millisecond.
 */
export class DirectReader implements FileReader {
  readonly kind = "direct";
  readonly #root: string;
  constructor(root = "") {
    this.#root = root;
  }
  read(paths: string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const p of paths) {
      try {
        out.set(p, Deno.readTextFileSync(this.#root + p));
      } catch (err) {
        if (err instanceof Deno.errors.NotCapable) {
          return Promise.reject(err);
        }
        // missing or unreadable: absent
      }
    }
    return Promise.resolve(out);
  }
}

/**
 * Splits `tail -v -n +1` output into files. Each file starts with a
 * `==> PATH <==` line; a blank line separates files.
 */
export function parseTailOutput(
  text: string,
  paths: string[],
): Map<string, string> {
  const out = new Map<string, string>();
  const wanted = new Set(paths);
  const re = /^==> (.*) <==$/gm;
  const headers: { path: string; start: number; end: number }[] = [];
  for (const m of text.matchAll(re)) {
    if (!wanted.has(m[1])) continue;
    headers.push({
      path: m[1],
      start: m.index!,
      end: m.index! + m[0].length + 1,
    });
  }
  for (let i = 0; i < headers.length; i++) {
    const h = headers[i];
    let stop = i + 1 < headers.length ? headers[i + 1].start : text.length;
    // tail puts one blank line before every header but the first.
    if (i + 1 < headers.length && text[stop - 1] === "\n") stop--;
    out.set(h.path, text.slice(h.end, stop));
  }
  return out;
}

/**
 * Reads through one `tail` process per call. tail reads the files in the
 * order given while skiff waits, so /proc/stat, read first, counts tail
 * alone as running.
 */
export class TailReader implements FileReader {
  readonly kind = "tail";
  readonly #root: string;
  constructor(root = "") {
    this.#root = root;
  }
  async read(paths: string[]): Promise<Map<string, string>> {
    if (paths.length === 0) return new Map();
    const full = paths.map((p) => this.#root + p);
    const { stdout } = await new Deno.Command(TAIL_COMMAND, {
      args: ["-v", "-n", "+1", "--", ...full],
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    }).output();
    const byFull = parseTailOutput(new TextDecoder().decode(stdout), full);
    const out = new Map<string, string>();
    paths.forEach((p, i) => {
      const t = byFull.get(full[i]);
      if (t !== undefined) out.set(p, t);
    });
    return out;
  }
}

/**
 * Picks a reader: direct if Deno lets us read `probe`, else tail if we may
 * run it. Throws an Error naming both ways out when neither works.
 */
export async function chooseReader(
  root: string,
  probe: string,
): Promise<FileReader> {
  const direct = new DirectReader(root);
  try {
    await direct.read([probe]);
    return direct;
  } catch (err) {
    if (!(err instanceof Deno.errors.NotCapable)) throw err;
  }
  const run = await Deno.permissions.query({
    name: "run",
    command: TAIL_COMMAND,
  });
  if (run.state === "granted") return new TailReader(root);
  throw new Error(
    `Deno allows reading ${root}${probe} only with --allow-all; grant --allow-run=${TAIL_COMMAND} and skiff reads /proc through tail instead`,
  );
}
