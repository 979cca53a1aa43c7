/**
 * An in-process skiff agent for end-to-end tests: its config from text,
 * the real clock, every log line kept (at debug level).
 */
import { assertEquals } from "./assert.ts";
import { realClock } from "../../lib/clock.ts";
import { parseConfig } from "../../lib/config/mod.ts";
import { Agent } from "../../lib/agent.ts";
import { Logger, memorySink } from "../../lib/log.ts";

/** An agent for config `text` (no errors allowed), not started. */
export function testAgent(
  text: string,
  hostname: string,
): { agent: Agent; logs: { lines: string[] } } {
  const { config, errors } = parseConfig(text, `${hostname}.conf`, {
    systemHostname: hostname,
  });
  assertEquals(errors, []);
  const logs = memorySink();
  const agent = new Agent(config, {
    clock: realClock,
    log: new Logger("skiff", { sink: logs.sink, level: "debug" }),
  });
  return { agent, logs };
}
