/**
 * `deno task release`: the release artifacts in dist/ and their SHA-256
 * sums in dist/SHA256SUMS: the bundle (always) and the compiled binaries
 * for every target `deno compile` could build here (it needs Deno's runtime
 * download or DENORT_BIN; targets it cannot build are reported, not faked).
 *
 * @module
 */
import { bundle } from "./bundle.ts";
import { bakedFlags, binaryName, compileArgs, TARGETS } from "./compile.ts";

/** Hex SHA-256 of a file. */
export async function sha256(path: string): Promise<string> {
  const digest = await crypto.subtle.digest(
    "SHA-256",
    await Deno.readFile(path),
  );
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0"))
    .join("");
}

if (import.meta.main) {
  const artifacts = [await bundle("dist/skiff.js")];
  const flags = await bakedFlags(Deno.args[0] ?? "/etc/skiff/skiff.conf");
  const missing: string[] = [];
  for (const target of TARGETS) {
    const out = await new Deno.Command(Deno.execPath(), {
      args: compileArgs(target, flags),
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (out.success) {
      artifacts.push(`dist/${binaryName(target)}`);
    } else {
      // Deno's message is the line starting "error:" (a backtrace may follow)
      const lines = new TextDecoder().decode(out.stderr).trim().split("\n");
      const at = lines.findIndex((l) => l.startsWith("error:"));
      // its cause chain says why (e.g. the runtime download failed)
      const chain = lines.slice(at + 1).map((l) =>
        l.trim().replace(/^\d+: /, "")
      );
      const cause = chain.find((l) => /request|dns|denort|download/i.test(l)) ??
        chain.find((l) => l !== "");
      const why = [lines[at] ?? lines[0], cause].filter(Boolean).join(" — ");
      missing.push(`${target}: ${why}`);
    }
  }
  const lines = [];
  for (const path of artifacts) {
    lines.push(`${await sha256(path)}  ${path.slice("dist/".length)}`);
  }
  await Deno.writeTextFile("dist/SHA256SUMS", lines.join("\n") + "\n");
  console.log(lines.join("\n"));
  for (const m of missing) console.error(`not built: ${m}`);
  Deno.exit(missing.length === 0 ? 0 : 1);
}
