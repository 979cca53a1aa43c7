/**
 * What loading a module or touching a runtime feature costs in resident
 * memory: each case is a few lines run alone by the same Deno, with this
 * project's import map, and its RSS read after a few seconds, beside an
 * empty script's. The figures behind what skiff loads only when used
 * (README, Performance).
 *
 *   deno run -A scripts/load_cost.ts [seconds 4]
 *
 * @module
 */

import { residentMiB } from "./proc_status.ts";

const seconds = Number(Deno.args[0] ?? "4");

/** Runtime features, each a block of its own (the last case joins them). */
const SUBPROCESS =
  '{ const c = new Deno.Command("sh", { args: ["-c", "while :; do echo xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx; sleep 0.01; done"], stdout: "piped" }).spawn(); const r = c.stdout.getReader({ mode: "byob" }); let b = new Uint8Array(65536); (async () => { for (;;) { const { value, done } = await r.read(b); if (done) break; b = new Uint8Array(value.buffer); } })(); }';
const HOT =
  "{ let s = 0; setInterval(() => { for (let i = 0; i < 1e6; i++) s += i % 7; }, 100); }";
const TCP =
  '{ const l = Deno.listen({ hostname: "127.0.0.1", port: 0 }); (async () => { const c = await l.accept(); const b = new Uint8Array(65536); while (await c.read(b)) {} })(); const c = await Deno.connect({ hostname: "127.0.0.1", port: (l.addr as Deno.NetAddr).port }); const line = new TextEncoder().encode("a.b.c 1 2\\n"); setInterval(() => c.write(line), 10); }';
const PROC_EVERY_SECOND =
  '{ const files = ["stat", "meminfo", "net/dev", "diskstats", "vmstat", "loadavg", "net/snmp", "net/netstat", "uptime", "pressure/cpu", "net/sockstat", "interrupts", "softirqs", "net/snmp6", "sys/kernel/random/entropy_avail"]; const b = new Uint8Array(65536); let n = 0; setInterval(async () => { for (const f of files) { try { const h = await Deno.open("/proc/" + f); while (await h.read(b) !== null) n++; h.close(); } catch { n--; } } if (n % 5 === 0) await Deno.stdout.write(new TextEncoder().encode("x\\n")); }, 1000); }';
const NODE_IMPORTS =
  'import process from "node:process"; import { join } from "node:path"; import { parseArgs } from "node:util"; process.cpuUsage(); join("a", "b"); void parseArgs;';

/** Case name -> the script's lines (it then idles on a timer). */
const CASES: Record<string, string> = {
  "empty script": "",
  'import "node:path"': 'import { join } from "node:path"; join("a", "b");',
  'import "node:process", cpuUsage()':
    'import process from "node:process"; process.cpuUsage();',
  '"node:process" + npm:lz4js (stream compression)':
    'import process from "node:process"; import { compressBlock } from "lz4js"; process.cpuUsage(); void compressBlock;',
  '"node:process" + uPlot as text (status page)':
    'import process from "node:process"; import U from "uplot/dist/uPlot.iife.min.js" with { type: "text" }; process.cpuUsage(); void U;',
  "String.prototype.localeCompare (ICU collation)":
    '["b", "a"].sort((a, b) => a.localeCompare(b));',
  "Intl.DateTimeFormat (ICU time zones)":
    "Intl.DateTimeFormat().resolvedOptions().timeZone;",
  "a subprocess's stdout read (BYOB, one buffer)": SUBPROCESS,
  "one hot function (V8's optimizing compiler)": HOT,
  "TCP: listen, connect, a line written every 10 ms": TCP,
  "Deno.readFile of /proc/meminfo every 10 ms":
    'setInterval(() => Deno.readFile("/proc/meminfo"), 10);',
  "what compare.sh's job uses of the above (skiff's run path imports no node: module): a subprocess's stdout, a hot function, TCP":
    [SUBPROCESS, HOT, TCP].join(" "),
  "what the shipped config's idle run uses: 15 /proc files read every second, a line to stdout every 5 s":
    PROC_EVERY_SECOND,
  "the same with node:process, node:path, node:util (skiff's run path before it dropped them)":
    [NODE_IMPORTS, PROC_EVERY_SECOND].join(" "),
};

const config = new URL("../deno.json", import.meta.url).pathname;
const dir = await Deno.makeTempDir({ prefix: "skiff-load-cost-" });

try {
  let base: number | undefined;
  console.log("MiB resident after", seconds, "s: total (anon + file), +empty");
  for (const [name, lines] of Object.entries(CASES)) {
    const file = `${dir}/case.ts`;
    await Deno.writeTextFile(file, `${lines}\nsetInterval(() => {}, 1000);\n`);
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--quiet", "--config", config, file],
      stdout: "null",
      stderr: "inherit",
    }).spawn();
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const { total, anon, file: fileBacked } = await residentMiB(child.pid);
    child.kill("SIGKILL");
    await child.status;
    base ??= total;
    console.log(
      `${total.toFixed(1).padStart(6)} (${anon.toFixed(1)} + ${
        fileBacked.toFixed(1)
      })  +${(total - base).toFixed(1).padStart(4)}  ${name}`,
    );
  }
} finally {
  await Deno.remove(dir, { recursive: true });
}
