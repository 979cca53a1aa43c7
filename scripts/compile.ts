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
    const out = await new Deno.Command(Deno.execPath(), {
      args,
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    if (!out.success) {
      failed++;
      console.error(compileFailure(target, out.code, stderr));
    } else if (stderr.trim()) {
      console.error(stderr.trim());
    }
  }
  Deno.exit(failed === 0 ? 0 : 1);
}

/**
 * One line saying why a compile failed: when Deno could not download its
 * runtime, what to do about it; else Deno's own error line.
 */
export function compileFailure(
  target: string,
  code: number,
  stderr: string,
): string {
  // deno colours its output when it may; the words are what count here.
  // deno-lint-ignore no-control-regex
  const plain = stderr.replace(/\x1b\[[0-9;]*m/g, "");
  const lines = plain.trim().split("\n").map((l) => l.trim());
  const error = lines.find((l) => l.startsWith("error:")) ?? lines[0] ?? "";
  const download = lines.find((l) =>
    /error sending request for url .*denort/i.test(l)
  );
  if (download) {
    return `compile for ${target} failed: deno compile downloads Deno's runtime (denort) from dl.deno.land and could not: ${
      download.replace(/^\d+: /, "")
    }. Set DENORT_BIN to a local denort of this Deno version (for the host's own target), or compile on a machine that reaches dl.deno.land.`;
  }
  return `compile for ${target} failed (exit ${code}): ${error}`;
}
