/**
 * `deno task install [-- --root DIR]`: puts a `skiff` command in DIR/bin
 * (default ~/.local/bin), a small shell script that runs the minified bundle
 * of this checkout (`deno task bundle`, written to DIR/lib/skiff/skiff.js)
 * with the Deno that ran the install (so it works where Deno came from npx
 * too) and the permissions any skiff config may need, by kind;
 * `skiff permissions --config FILE` prints the least ones for a given
 * config, for `deno run`.
 *
 * The bundle, not main.ts: V8 keeps every module's source, and Deno's
 * TypeScript modules come with the original source again inside an inline
 * source map; the bundle idles some 5 MiB lighter (README, Performance).
 * The install then runs it once (`skiff version`) so that Deno's code cache
 * for it is written: a first start that writes it keeps some 8 MiB more for
 * its life (measured: 63.6–68.4 MiB idle against 54.2–55.5 after).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import { bundle } from "./bundle.ts";

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
 * The shim's text: `deno run` of the bundle, with {@link INSTALL_FLAGS}, and
 * `--no-config`: the bundle needs no deno.json, and one in the directory
 * skiff is started from is not its own.
 */
export function shim(deno: string, bundlePath: string): string {
  const q = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;
  return [
    "#!/bin/sh",
    "# skiff, installed by deno task install",
    `exec ${q(deno)} run --no-config ${INSTALL_FLAGS.join(" ")} ${
      q(bundlePath)
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
  const lib = join(root, "lib", "skiff");
  const js = await bundle(join(lib, "skiff.js"));
  const path = join(bin, "skiff");
  await Deno.writeTextFile(path, shim(Deno.execPath(), js));
  await Deno.chmod(path, 0o755);
  console.log(`installed ${path} (runs ${js} with ${Deno.execPath()})`);
  // Its first run writes Deno's code cache for it (see above).
  const first = await new Deno.Command(path, {
    args: ["version"],
    stdout: "null",
    stderr: "inherit",
  }).output();
  console.log(
    first.success
      ? `wrote Deno's code cache for ${js}`
      : `skiff version failed (above): its first start writes the code cache`,
  );
  const onPath = (Deno.env.get("PATH") ?? "").split(":").includes(bin);
  if (!onPath) console.log(`add it to PATH: export PATH="${bin}:$PATH"`);
}
