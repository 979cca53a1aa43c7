import process from "node:process";
import { assert, assertEquals } from "./helpers/assert.ts";
import { cpuUsage } from "../lib/cpu_usage.ts";

Deno.test("cpu usage: the runtime's getrusage, as node:process gives it", () => {
  // Deno 2.9 has it at run time: the run path then loads no node: module
  assertEquals(
    typeof (Deno as unknown as { cpuUsage?: unknown }).cpuUsage,
    "function",
  );
  const a = cpuUsage();
  let x = 0;
  for (let i = 0; i < 2e7; i++) x += i % 3;
  const node = process.cpuUsage();
  const b = cpuUsage();
  assert(x > 0);
  // the same clock, read in turn: node's reading lies between ours
  assert(
    a.user <= node.user && node.user <= b.user,
    `${a.user} ${node.user} ${b.user}`,
  );
  assert(a.system <= node.system && node.system <= b.system);
  // 2e7 loop turns take well over a millisecond of user time on any machine
  assert(b.user - a.user > 1000, `${b.user - a.user} µs`);
  const d = cpuUsage(b);
  const c = cpuUsage();
  // a reading since b: between 0 and what c says passed since b
  assert(d.user >= 0 && d.user <= c.user - b.user);
  assert(d.system >= 0 && d.system <= c.system - b.system);
});
