import fc from "fast-check";
import * as nodePath from "node:path";
import { assertEquals } from "./helpers/assert.ts";
import { basename, dirname, isAbsolute, join, normalize } from "../lib/path.ts";

// lib/path.ts stands in for node:path on skiff's run path: it must agree with
// it (POSIX) on every path made of these pieces.
const segment = fc.constantFrom(
  "",
  ".",
  "..",
  "etc",
  "netdata",
  "netdata.conf",
  "a b",
  "plugins.d",
  "x.pid",
);
const path = fc.tuple(fc.boolean(), fc.array(segment, { maxLength: 6 }))
  .map(([root, parts]) => (root ? "/" : "") + parts.join("/"));

Deno.test("path: the same answers as node:path (POSIX)", async (t) => {
  await t.step("generated paths", () => {
    fc.assert(
      fc.property(path, path, (a, b) => {
        assertEquals(
          normalize(a),
          nodePath.posix.normalize(a),
          `normalize ${a}`,
        );
        assertEquals(join(a, b), nodePath.posix.join(a, b), `join ${a} ${b}`);
        assertEquals(dirname(a), nodePath.posix.dirname(a), `dirname ${a}`);
        assertEquals(basename(a), nodePath.posix.basename(a), `basename ${a}`);
        assertEquals(isAbsolute(a), nodePath.posix.isAbsolute(a));
      }),
      { numRuns: 3000 },
    );
  });

  await t.step("hand-picked cases, with their answers", () => {
    assertEquals(
      join("/etc/netdata", "netdata.conf"),
      "/etc/netdata/netdata.conf",
    );
    assertEquals(join("conf", "../plugins.d/"), "plugins.d/");
    assertEquals(join(), ".");
    assertEquals(normalize("/../a//b/./c/.."), "/a/b");
    assertEquals(normalize("../../a"), "../../a");
    assertEquals(dirname("/etc/netdata/"), "/etc");
    assertEquals(dirname("/netdata.conf"), "/");
    assertEquals(dirname("netdata.conf"), ".");
    assertEquals(basename("/run/x.pid"), "x.pid");
    assertEquals(basename("/"), "");
  });
});
