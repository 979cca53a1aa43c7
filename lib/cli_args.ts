/**
 * Command-line options, long form only, as skiff's commands take them:
 * `--name value`, `--name=value`, and `--flag` for a boolean. No positional
 * arguments. (`node:util`'s parseArgs did this before; skiff's run path
 * imports no `node:` module: README, Performance.)
 *
 * @module
 */

/** What an option takes: a value, or nothing (a flag). */
export interface OptionSpec {
  type: "string" | "boolean";
}

/** Options by name (without the dashes). */
export type OptionSpecs = Record<string, OptionSpec>;

/** Parsed options: a string, or `true` for a flag given; absent if not given. */
export type OptionValues = Record<string, string | boolean | undefined>;

/**
 * Parses `args` against `specs`. Throws an Error naming the argument for an
 * unknown option, a value missing or given to a flag, a repeated option, or
 * an argument that is not an option.
 */
export function parseOptions(args: string[], specs: OptionSpecs): OptionValues {
  const values: OptionValues = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (!arg.startsWith("--") || arg === "--") {
      throw new Error(`unexpected argument "${arg}": options start with --`);
    }
    const eq = arg.indexOf("=");
    const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    const spec = Object.hasOwn(specs, name) ? specs[name] : undefined;
    if (spec === undefined) {
      const known = Object.keys(specs).map((k) => `--${k}`).join(", ");
      throw new Error(`unknown option "--${name}" (known: ${known})`);
    }
    if (values[name] !== undefined) {
      throw new Error(`option "--${name}" is given twice`);
    }
    if (spec.type === "boolean") {
      if (eq !== -1) throw new Error(`option "--${name}" takes no value`);
      values[name] = true;
      continue;
    }
    if (eq !== -1) {
      values[name] = arg.slice(eq + 1);
      continue;
    }
    const value = args[i + 1];
    if (value === undefined) {
      throw new Error(`option "--${name}" needs a value`);
    }
    if (value.startsWith("-")) {
      throw new Error(
        `option "--${name}" needs a value, got "${value}" (write --${name}=${value} if that is the value)`,
      );
    }
    values[name] = value;
    i++;
  }
  return values;
}
