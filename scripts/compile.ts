/**
 * `deno task compile [-- --config FILE] [--target T]`: self-contained skiff
 * binaries in dist/, with the least permissions FILE needs baked in (those
 * `skiff permissions --config FILE` prints; default: /etc/skiff/skiff.conf
 * with the built-in defaults).
 *
 * `deno compile` downloads Deno's runtime (denort) for each target. Where
 * that download is not reachable, set DENORT_BIN to a local denort binary
 * (Deno itself reads it) to build for the host's own target.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { loadConfigFile, parseConfig } from "../lib/config/mod.ts";
import { denoFlags } from "../lib/config/permissions.ts";
import { agentPermissionNeeds } from "../lib/agent.ts";

/** The Linux targets users need. */
export const TARGETS = [
  "x86_64-unknown-linux-gnu",
  "aarch64-unknown-linux-gnu",
] as const;

/** The name of the binary for a target. */
export function binaryName(target: string): string {
  return `skiff-${target.split("-")[0]}-linux`;
}

/** The baked-in flags for a config path (read if it exists, else defaults). */
export async function bakedFlags(configPath: string): Promise<string[]> {
  const env = { systemHostname: "skiff" };
  let result;
  try {
    await Deno.stat(configPath);
    result = await loadConfigFile(configPath, env);
  } catch {
    result = parseConfig("", configPath, env);
  }
  if (result.errors.length > 0) {
    throw new Error(
      `${configPath}: ${result.errors.map((e) => e.message).join("; ")}`,
    );
  }
  return denoFlags(
    (await agentPermissionNeeds(result.config, configPath)).needs,
  );
}

/** The `deno compile` arguments for one target. */
export function compileArgs(
  target: string,
  flags: string[],
  outDir = "dist",
): string[] {
  return [
    "compile",
    ...flags,
    "--target",
    target,
    "--output",
    `${outDir}/${binaryName(target)}`,
    "main.ts",
  ];
}

if (import.meta.main) {
  const { values } = parseArgs({
    // `deno task compile -- ...` passes the `--` through
    args: Deno.args[0] === "--" ? Deno.args.slice(1) : Deno.args,
    options: {
      config: { type: "string", default: "/etc/skiff/skiff.conf" },
      target: { type: "string", multiple: true },
    },
  });
  const targets = values.target?.length ? values.target : [...TARGETS];
  const flags = await bakedFlags(values.config!);
  console.log(
    `baked-in permissions (for ${values.config}): ${flags.join(" ")}`,
  );
  if (Deno.env.get("DENORT_BIN")) {
    console.log(`using DENORT_BIN=${Deno.env.get("DENORT_BIN")}`);
  }
  let failed = 0;
  for (const target of targets) {
    const args = compileArgs(target, flags);
    console.log(`$ deno ${args.join(" ")}`);
    const { code } = await new Deno.Command(Deno.execPath(), { args }).spawn()
      .status;
    if (code !== 0) {
      failed++;
      console.error(
        `compile for ${target} failed (exit ${code}); see Deno's message above`,
      );
    }
  }
  Deno.exit(failed === 0 ? 0 : 1);
}
