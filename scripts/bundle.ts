/**
 * `deno task bundle`: one JavaScript file, dist/skiff.js, with every
 * dependency inside, that runs with `deno run` and the flags
 * `skiff permissions` prints. Works offline.
 *
 * Minified, and so without the TypeScript sources and inline source maps
 * that V8 holds for every module `deno run main.ts` loads (some 4.5 bytes
 * of heap a byte of TypeScript): the agent run from it is some 5 MiB
 * lighter (README, Performance). `deno task install` installs it.
 *
 * @module
 */

/** Bundles main.ts into `output`; throws with Deno's output on failure. */
export async function bundle(output = "dist/skiff.js"): Promise<string> {
  await Deno.mkdir(output.slice(0, output.lastIndexOf("/")) || ".", {
    recursive: true,
  });
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "bundle",
      "--platform",
      "deno",
      "--minify",
      "--quiet",
      "-o",
      output,
      new URL("../main.ts", import.meta.url).pathname,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(
      `deno bundle failed:\n${new TextDecoder().decode(out.stderr)}`,
    );
  }
  return output;
}

if (import.meta.main) {
  const path = await bundle(Deno.args[0]);
  const size = (await Deno.stat(path)).size;
  console.log(`${path}: ${(size / 1024).toFixed(1)} KiB`);
}
