/**
 * POSIX path functions, as `node:path` has them for the cases skiff meets
 * (config and plugin paths on Linux). skiff's run path imports no `node:`
 * module: that starts Deno's Node compatibility layer, 1–3 MiB of resident
 * memory (README, Performance). tests/path_test.ts checks them against
 * `node:path` on generated paths.
 *
 * @module
 */

/** True when `path` starts at the root. */
export function isAbsolute(path: string): boolean {
  return path.startsWith("/");
}

/**
 * `path` without empty and `.` segments, and with each `..` taking the
 * segment before it away (at the root, it stays there; in a relative path
 * with nothing before it, it is kept). `""` gives `"."`; a trailing slash is
 * kept.
 */
export function normalize(path: string): string {
  if (path === "") return ".";
  const absolute = isAbsolute(path);
  const out: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (out.length > 0 && out[out.length - 1] !== "..") out.pop();
      else if (!absolute) out.push("..");
      continue;
    }
    out.push(part);
  }
  let text = out.join("/");
  if (absolute) text = "/" + text;
  else if (text === "") text = ".";
  if (path.endsWith("/") && !text.endsWith("/")) text += "/";
  return text;
}

/** The non-empty `parts` joined by `/`, normalized; none gives `"."`. */
export function join(...parts: string[]): string {
  const joined = parts.filter((p) => p !== "").join("/");
  return joined === "" ? "." : normalize(joined);
}

/**
 * `path` up to the slash before its last segment (trailing slashes ignored),
 * as node's does it: `"."` for a lone relative segment, `"/"` for one under
 * the root, and only the last of a run of slashes before the segment dropped
 * (`"a//b"` gives `"a/"`, `"//a"` gives `"//"`).
 */
export function dirname(path: string): string {
  if (path === "") return ".";
  let seenSegment = false;
  for (let i = path.length - 1; i >= 1; i--) {
    if (path[i] !== "/") seenSegment = true;
    else if (seenSegment) {
      return i === 1 && path[0] === "/" ? "//" : path.slice(0, i);
    }
  }
  return isAbsolute(path) ? "/" : ".";
}

/** The last segment of `path`, trailing slashes ignored. */
export function basename(path: string): string {
  let end = path.length;
  while (end > 0 && path[end - 1] === "/") end--;
  if (end === 0) return "";
  return path.slice(path.lastIndexOf("/", end - 1) + 1, end);
}
