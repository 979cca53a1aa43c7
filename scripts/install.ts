/**
 * `deno task install [-- --root DIR]`: puts a `skiff` command in DIR/bin
 * (default ~/.local/bin), a small shell script that runs this checkout's
 * main.ts with the Deno that ran the install (so it works where Deno came
 * from npx too) and the permissions any skiff config may need, by kind;
 * `skiff permissions --config FILE` prints the least ones for a given
 * config, for `deno run`. Then it fills Deno's cache for main.ts (`deno
 * cache`), so the agent's first start does not transpile and analyse every
 * module: a process that did keeps some 18 MiB more for its life (measured:
 * 75.8 MiB against 56.3-58.5 after 40 s, 10 dimensions, empty DENO_DIR).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The permission kinds an installed skiff may need (see `skiff permissions`). */
export const INSTALL_FLAGS = [
  "--no-prompt",
  "--allow-read",
  "--allow-write",
  "--allow-run",
  "--allow-net",
  "--allow-sys=hostname",
  "--allow-env=BUF_BIGINT_DISABLE",
];

/**
 * The shim's text. deno.json is named: run from elsewhere, Deno would not
 * find it, and its imports map the npm packages.
 */
export function shim(deno: string, mainTs: string, denoJson: string): string {
  const q = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;
  return [
    "#!/bin/sh",
    "# skiff, installed by deno task install",
    `exec ${q(deno)} run ${INSTALL_FLAGS.join(" ")} --config ${q(denoJson)} ${
      q(mainTs)
    } "$@"`,
    "",
  ].join("\n");
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: { root: { type: "string" } },
  });
  const root = values.root ??
    join(Deno.env.get("HOME") ?? "/usr/local", ".local");
  const bin = join(root, "bin");
  await Deno.mkdir(bin, { recursive: true });
  const path = join(bin, "skiff");
  const mainTs = fileURLToPath(new URL("../main.ts", import.meta.url));
  const denoJson = fileURLToPath(new URL("../deno.json", import.meta.url));
  await Deno.writeTextFile(path, shim(Deno.execPath(), mainTs, denoJson));
  await Deno.chmod(path, 0o755);
  console.log(`installed ${path} (runs ${mainTs} with ${Deno.execPath()})`);
  const cache = await new Deno.Command(Deno.execPath(), {
    args: ["cache", "--quiet", "--config", denoJson, mainTs],
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  console.log(
    cache.success
      ? `filled Deno's cache for ${mainTs}`
      : `deno cache failed (above): skiff works, its first start fills the cache`,
  );
  const onPath = (Deno.env.get("PATH") ?? "").split(":").includes(bin);
  if (!onPath) console.log(`add it to PATH: export PATH="${bin}:$PATH"`);
}
