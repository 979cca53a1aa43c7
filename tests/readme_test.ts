import { assert, assertEquals } from "./helpers/assert.ts";
import { defaultConfigText } from "../lib/config/mod.ts";

const README = await Deno.readTextFile(
  new URL("../README.md", import.meta.url),
);
const DENO_JSON = JSON.parse(
  await Deno.readTextFile(new URL("../deno.json", import.meta.url)),
);

/** The fenced block right after a `<!-- marker -->` line. */
function blockAfter(marker: string): string {
  const at = README.indexOf(`<!-- ${marker} -->`);
  assert(at >= 0, `README has no <!-- ${marker} -->`);
  const open = README.indexOf("```", at);
  const start = README.indexOf("\n", open) + 1;
  return README.slice(start, README.indexOf("\n```", start));
}

Deno.test("README", async (t) => {
  await t.step("its config reference is exactly `skiff config`", () => {
    assertEquals(blockAfter("config-reference"), defaultConfigText().trimEnd());
  });

  await t.step(
    "its two commands use tasks that exist, with the pinned Deno",
    () => {
      const commands = [
        ...README.matchAll(/^npx -y deno@([\d.]+) task (\S+)$/gm),
      ];
      assertEquals(commands.map((m) => m[2]), ["start", "test"]);
      for (const m of commands) {
        assertEquals(m[1], "2.9.6");
        assert(DENO_JSON.tasks[m[2]], `deno.json has task ${m[2]}`);
      }
      assertEquals(blockAfter("test-command"), "npx -y deno@2.9.6 task test");
    },
  );
});
