/**
 * A process's resident memory, from `/proc/PID/status` (Linux), for the
 * benchmarks that measure skiff or Deno from outside.
 *
 * @module
 */

/** Resident memory of `pid` in MiB: all of it, anonymous, file-backed. */
export async function residentMiB(
  pid: number,
): Promise<{ total: number; anon: number; file: number }> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  const kib = (key: string) => {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status);
    if (!m) throw new Error(`/proc/${pid}/status has no ${key}`);
    return Number(m[1]) / 1024;
  };
  return { total: kib("VmRSS"), anon: kib("RssAnon"), file: kib("RssFile") };
}
