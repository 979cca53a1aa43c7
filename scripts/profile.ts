/**
 * Profiles a running skiff over the V8 inspector: what it allocates, or
 * where its CPU goes, by function.
 *
 *   deno run -A --inspect=127.0.0.1:9229 main.ts run --config skiff.conf &
 *   deno run -A scripts/profile.ts alloc|cpu [port 9229] [seconds 20]
 *
 * `alloc`: a sampling heap profile (every allocation counted, those a GC
 * already collected included), as KiB/s by function and its two callers.
 * `cpu`: a sampling CPU profile, as ms a minute and % of the time by
 * function ("(idle)": the isolate waiting). Function locations are those
 * of the transpiled code.
 *
 * @module
 */

const [mode = "alloc", port = "9229", secondsArg = "20"] = Deno.args;
const seconds = Number(secondsArg);
if (mode !== "alloc" && mode !== "cpu") {
  console.error("usage: profile.ts alloc|cpu [port] [seconds]");
  Deno.exit(2);
}

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface AllocNode {
  callFrame: CallFrame;
  selfSize: number;
  children: AllocNode[];
}
interface CpuNode {
  id: number;
  callFrame: CallFrame;
}
interface Reply {
  id?: number;
  // deno-lint-ignore no-explicit-any
  result?: any;
}

const targets = await (await fetch(`http://127.0.0.1:${port}/json/list`))
  .json() as { webSocketDebuggerUrl: string }[];
const ws = new WebSocket(targets[0].webSocketDebuggerUrl);
await new Promise((resolve) => ws.onopen = resolve);
let nextId = 0;
const pending = new Map<number, (r: Reply) => void>();
ws.onmessage = (e) => {
  const m = JSON.parse(e.data) as Reply;
  if (m.id !== undefined) pending.get(m.id)?.(m);
};
const call = (method: string, params = {}) =>
  new Promise<Reply>((resolve) => {
    pending.set(++nextId, resolve);
    ws.send(JSON.stringify({ id: nextId, method, params }));
  });
const where = (f: CallFrame) =>
  `${f.functionName || "(anonymous)"} ${f.url.split("/").slice(-2).join("/")}:${
    f.lineNumber + 1
  }`;
const top = (m: Map<string, number>, n: number) =>
  [...m].sort((a, b) => b[1] - a[1]).slice(0, n);

if (mode === "alloc") {
  await call("HeapProfiler.enable");
  await call("HeapProfiler.startSampling", {
    samplingInterval: 4096,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const head = (await call("HeapProfiler.stopSampling")).result.profile
    .head as AllocNode;
  const bySite = new Map<string, number>();
  let total = 0;
  const walk = (n: AllocNode, callers: string[]) => {
    const stack = [where(n.callFrame), ...callers].slice(0, 3);
    if (n.selfSize) {
      const k = stack.join(" <- ");
      bySite.set(k, (bySite.get(k) ?? 0) + n.selfSize);
      total += n.selfSize;
    }
    for (const c of n.children) walk(c, stack);
  };
  walk(head, []);
  console.log(`allocated ${(total / 1024 / seconds).toFixed(0)} KiB/s`);
  for (const [k, bytes] of top(bySite, 25)) {
    console.log(`${(bytes / 1024 / seconds).toFixed(1).padStart(8)}  ${k}`);
  }
} else {
  await call("Profiler.enable");
  await call("Profiler.setSamplingInterval", { interval: 500 });
  await call("Profiler.start");
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const profile = (await call("Profiler.stop")).result.profile as {
    nodes: CpuNode[];
    samples: number[];
    /** Microseconds from the previous sample to this one. */
    timeDeltas: number[];
  };
  const frames = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  // A sample stands for the time until the next one.
  const byFunction = new Map<string, number>();
  let totalUs = 0;
  profile.samples.forEach((s, i) => {
    const us = profile.timeDeltas[i + 1] ?? 0;
    const k = where(frames.get(s)!);
    byFunction.set(k, (byFunction.get(k) ?? 0) + us);
    totalUs += us;
  });
  console.log(`${profile.samples.length} samples; ms a minute, % of the time`);
  for (const [k, us] of top(byFunction, 30)) {
    console.log(
      `${(us / 1000 * 60 / seconds).toFixed(1).padStart(8)}  ${
        (100 * us / totalUs).toFixed(2).padStart(6)
      } %  ${k}`,
    );
  }
}
ws.close();
