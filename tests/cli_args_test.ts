import { assertEquals, assertThrows } from "./helpers/assert.ts";
import { parseOptions } from "../lib/cli_args.ts";

const SPECS = {
  config: { type: "string" },
  "log-level": { type: "string" },
  help: { type: "boolean" },
} as const;

Deno.test("cli args", async (t) => {
  await t.step("values, flags, and both forms of a value", () => {
    assertEquals(parseOptions([], SPECS), {});
    assertEquals(
      parseOptions(
        ["--config", "a.conf", "--help", "--log-level=debug"],
        SPECS,
      ),
      { config: "a.conf", help: true, "log-level": "debug" },
    );
    // after "=", anything is the value: an empty one, or one with a dash
    assertEquals(parseOptions(["--config="], SPECS), { config: "" });
    assertEquals(parseOptions(["--config=-x=y"], SPECS), { config: "-x=y" });
  });

  await t.step("each mistake named", () => {
    const fails = (args: string[], message: string) =>
      assertEquals(
        assertThrows(() => parseOptions(args, SPECS)).message,
        message,
      );
    fails(
      ["--confg", "a"],
      'unknown option "--confg" (known: --config, --log-level, --help)',
    );
    fails(["--config"], 'option "--config" needs a value');
    fails(
      ["--config", "--help"],
      'option "--config" needs a value, got "--help" (write --config=--help if that is the value)',
    );
    fails(["--help=yes"], 'option "--help" takes no value');
    fails(["--help", "--help"], 'option "--help" is given twice');
    fails(["a.conf"], 'unexpected argument "a.conf": options start with --');
    fails(["-c", "a.conf"], 'unexpected argument "-c": options start with --');
    fails(["--"], 'unexpected argument "--": options start with --');
    // a name the specs object has by inheritance is not an option
    fails(
      ["--toString"],
      'unknown option "--toString" (known: --config, --log-level, --help)',
    );
  });
});
