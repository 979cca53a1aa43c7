/**
 * The whole migration of a netdata parent: `skiff run --config-dir DIR` on
 * a netdata 1.37 config directory (Debian's netdata.conf, a stream.conf
 * with an API key), with the least flags `skiff permissions --config-dir`
 * prints, receives a real netdata 1.37 child.
 */
import { assertEquals, assertStringIncludes } from "../helpers/assert.ts";
import {
  freePort,
  haveBinary,
  MAIN_TS,
  start,
  waitFor,
} from "../helpers/e2e.ts";
import { NETDATA_BIN, startNetdata } from "../helpers/servers.ts";

const KEY = "0c7e3e1a-5a52-4f0e-9a8b-3f2d9c1e4b21";

Deno.test({
  name:
    "a netdata 1.37 parent's config directory, as is: a real child streams in",
  ignore: !haveBinary(NETDATA_BIN, "netdata"),
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const dir = await Deno.makeTempDir({ prefix: "skiff-netdata-dir-" });
    const port = freePort();
    // Debian's netdata.conf (its [global] keys, `bind socket to IP`), with
    // the port a parent would set, and netdata's stream.conf with a key.
    await Deno.writeTextFile(
      `${dir}/netdata.conf`,
      `[global]\n\trun as user = netdata\n\tweb files owner = root\n\tweb files group = root\n\tbind socket to IP = 127.0.0.1\n` +
        `[db]\n\tmode = dbengine\n[ml]\n\tenabled = yes\n` +
        `[web]\n\tbind to = 127.0.0.1:${port}\n`,
    );
    await Deno.writeTextFile(
      `${dir}/stream.conf`,
      `[stream]\n\tenabled = no\n\tdestination =\n\tapi key =\n[${KEY}]\n\tenabled = yes\n\tdefault memory mode = dbengine\n\tallow from = *\n`,
    );
    const skiffCmd = async (args: string[]) => {
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", MAIN_TS, ...args],
        stdout: "piped",
        stderr: "piped",
      }).output();
      return {
        code: out.code,
        stdout: new TextDecoder().decode(out.stdout),
        stderr: new TextDecoder().decode(out.stderr),
      };
    };
    let skiff: ReturnType<typeof start> | undefined;
    let child: Awaited<ReturnType<typeof startNetdata>> | undefined;
    try {
      await t.step(
        "skiff check: OK, netdata's unused settings said once",
        async () => {
          const r = await skiffCmd(["check", "--config-dir", dir]);
          assertEquals(r.code, 0, r.stderr);
          assertStringIncludes(
            r.stderr,
            `warning: ${dir}/netdata.conf: netdata settings skiff does not use (ignored): [ml], [global] run as user, [global] web files owner, [global] web files group, [db] mode`,
          );
          assertStringIncludes(
            r.stdout,
            `[web]\n    mode = static-threaded\n    bind to = 127.0.0.1:${port}`,
          );
        },
      );

      await t.step(
        "run with the least flags it prints: a real netdata child is received",
        async () => {
          const perms = await skiffCmd(["permissions", "--config-dir", dir]);
          assertEquals(perms.code, 0, perms.stderr);
          const flags = perms.stdout.trim().split(" ");
          skiff = start(Deno.execPath(), [
            "run",
            ...flags,
            MAIN_TS,
            "run",
            "--config-dir",
            dir,
          ]);
          const s = skiff;
          await waitFor(
            "skiff listening",
            () =>
              s.output().includes(
                  `receiving netdata streams on 127.0.0.1:${port}`,
                )
                ? true
                : undefined,
          );
          child = await startNetdata({
            hostname: "nd-dir-child",
            files: {
              "stream.conf":
                `[stream]\n    enabled = yes\n    destination = 127.0.0.1:${port}\n    api key = ${KEY}\n`,
            },
          });
          await waitFor(
            "the child accepted",
            () =>
              s.output().includes("STREAM nd-dir-child [receive from") &&
                s.output().includes("accepted")
                ? true
                : undefined,
            30000,
          ).catch((e) => {
            throw new Error(`${e.message}\n${s.output()}`);
          });
        },
      );
    } finally {
      await child?.stop();
      await skiff?.stop("SIGTERM");
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});
