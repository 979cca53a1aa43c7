/**
 * Start-up and idle memory of the bundle, as users run it:
 * `deno run <the flags skiff permissions prints> dist/skiff.js run --config skiff.conf`.
 *
 *   deno task bench:startup
 *
 * Reports, over 5 runs, the time from process start to the first /proc
 * collection (skiff logs it from performance.now(), which counts from
 * process start) and the wall time the parent saw; then the resident memory
 * (VmRSS) of one agent idle for 10 s with the shipped config.
 *
 * @module
 */
import { bundle } from "./bundle.ts";
import { residentMiB } from "./proc_status.ts";

const dir = await Deno.makeTempDir({ prefix: "skiff-startup-" });
const js = await bundle(`${dir}/skiff.js`);
const flags = [
  "--no-prompt",
  "--allow-read=skiff.conf,exporting.conf,plugins.d",
  "--allow-run=tail",
  "--allow-sys=hostname",
];

interface Run {
  selfMs: number;
  wallMs: number;
  child: Deno.ChildProcess;
}

async function startAgent(): Promise<Run> {
  const t0 = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", ...flags, js, "run", "--config", "skiff.conf"],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`agent exited before collecting:\n${text}`);
    text += value;
    const m = /proc: first collection done (\d+) ms after process start/.exec(
      text,
    );
    if (m) {
      const wallMs = performance.now() - t0;
      // keep draining stderr so the agent never blocks on it
      (async () => {
        while (!(await reader.read()).done) { /* drain */ }
      })();
      return { selfMs: Number(m[1]), wallMs, child };
    }
  }
}

const median = (xs: number[]) =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const self: number[] = [];
const wall: number[] = [];
for (let i = 0; i < 5; i++) {
  const r = await startAgent();
  self.push(r.selfMs);
  wall.push(r.wallMs);
  r.child.kill("SIGTERM");
  await r.child.status;
}
console.log(
  `first collection after process start: median ${median(self)} ms (runs: ${
    self.join(", ")
  } ms)`,
);
console.log(
  `seen by the parent, spawn to that log line: median ${
    median(wall).toFixed(0)
  } ms`,
);

const idle = await startAgent();
await new Promise((r) => setTimeout(r, 10_000));
const rss = (await residentMiB(idle.child.pid)).total;
console.log(
  `resident memory after 10 s idle, shipped config: ${rss.toFixed(1)} MiB`,
);
idle.child.kill("SIGTERM");
await idle.child.status;
await Deno.remove(dir, { recursive: true });
