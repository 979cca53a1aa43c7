/**
 * The CPU cost of the /proc collection, skiff beside netdata 1.37's
 * proc.plugin, measured the same way: CPU time (user + system, from
 * /proc/.../stat) over the same window, collecting every second.
 *
 *   deno task bench:proc [seconds]
 *
 * skiff: this process runs the proc collector, as `skiff run` does (the
 * `tail` reader of the shipped permissions, then the direct reader), and
 * counts its own CPU time plus that of the `tail` children it waited for
 * (cutime + cstime). netdata: a real netdata 1.37 with only proc.plugin
 * enabled (the test harness's config), counting its `PLUGIN[proc]` thread.
 * Both are reported as % of one core.
 *
 * @module
 */
import { ProcCollector } from "../lib/collect/proc/mod.ts";
import { DirectReader, TailReader } from "../lib/collect/proc/reader.ts";
import type { FileReader } from "../lib/collect/proc/reader.ts";
import { Logger, memorySink } from "../lib/log.ts";
import { Database } from "../lib/storage/rrd.ts";
import { startNetdata } from "../tests/helpers/servers.ts";

const seconds = Number(Deno.args[0] ?? 20);
const TICKS_PER_SEC = 100; // USER_HZ on Linux

/** utime + stime (+ cutime + cstime) of a /proc stat file, in ticks. */
function cpuTicks(statPath: string, children: boolean): number {
  const text = Deno.readTextFileSync(statPath);
  // fields after the command name, which is in parentheses
  const f = text.slice(text.lastIndexOf(")") + 2).split(" ");
  const [utime, stime, cutime, cstime] = [11, 12, 13, 14].map((i) =>
    Number(f[i])
  );
  return utime + stime + (children ? cutime + cstime : 0);
}

const percent = (ticks: number) =>
  (ticks / TICKS_PER_SEC / seconds * 100).toFixed(2);

async function skiff(reader: FileReader): Promise<string> {
  const db = new Database({ hostname: "bench" });
  const proc = new ProcCollector({
    host: db.localhost,
    log: new Logger("proc", { sink: memorySink().sink }),
    updateEverySec: 1,
    history: 3600,
    modules: {},
    reader,
  });
  await proc.collect(Date.now()); // charts created before the window
  const start = cpuTicks("/proc/self/stat", true);
  const t0 = Date.now();
  for (let i = 1; i <= seconds; i++) {
    await new Promise((r) => setTimeout(r, t0 + i * 1000 - Date.now()));
    await proc.collect(Date.now());
  }
  const used = cpuTicks("/proc/self/stat", true) - start;
  return `skiff /proc collection (${reader.kind} reader, ${db.localhost.charts.size} charts): ${
    percent(used)
  } % of one core`;
}

async function netdata(): Promise<string> {
  const nd = await startNetdata();
  try {
    const pid = (await Deno.readTextFile(`${nd.dir}/run/pid`)).trim();
    let thread = "";
    for (let i = 0; i < 50 && !thread; i++) {
      for (const e of Deno.readDirSync(`/proc/${pid}/task`)) {
        const comm = Deno.readTextFileSync(`/proc/${pid}/task/${e.name}/comm`);
        if (comm.startsWith("PLUGIN[proc")) thread = e.name;
      }
      if (!thread) await new Promise((r) => setTimeout(r, 100));
    }
    if (!thread) throw new Error("no PLUGIN[proc] thread in netdata");
    const stat = `/proc/${pid}/task/${thread}/stat`;
    await new Promise((r) => setTimeout(r, 2000)); // its charts are created
    const start = cpuTicks(stat, false);
    await new Promise((r) => setTimeout(r, seconds * 1000));
    return `netdata 1.37 proc.plugin thread: ${
      percent(cpuTicks(stat, false) - start)
    } % of one core`;
  } finally {
    await nd.stop();
  }
}

console.log(`CPU over ${seconds} s, collecting every second:`);
console.log(await skiff(new TailReader()));
console.log(await skiff(new DirectReader()));
console.log(await netdata());
