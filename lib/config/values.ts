/**
 * Reading one value by its schema, and the messages config reading gives.
 *
 * @module
 */

import type { IniEntry } from "./ini.ts";
import { BOOLEAN_WORDS } from "./schema.ts";
import type { KeySpec } from "./schema.ts";

/** One message about the config, with where it points. */
export interface ConfigMessage {
  file: string;
  line?: number;
  section?: string;
  key?: string;
  message: string;
}

/** A `key = value` line and the file it is in. */
export interface LocatedEntry extends IniEntry {
  file: string;
}

/** A value that does not fit its key's kind. */
export class ValueError extends Error {}

/** A bad value, naming file:line, section, key, the value and what is allowed. */
export function cannotParse(
  file: string,
  e: IniEntry,
  why: string,
): ConfigMessage {
  return {
    file,
    line: e.line,
    section: e.section,
    key: e.key,
    message:
      `Cannot parse "${e.key}" in [${e.section}]: ${why}, got "${e.value}"`,
  };
}

/** Reads `raw` as `spec` says; throws {@link ValueError} saying what is allowed. */
export function parseValue(
  spec: KeySpec,
  raw: string,
): string | number | boolean {
  switch (spec.kind) {
    case "bool": {
      const b = BOOLEAN_WORDS[raw.toLowerCase()];
      if (b === undefined) {
        throw new ValueError(
          "expected yes/no, true/false, on/off or 1/0",
        );
      }
      return b;
    }
    case "int": {
      if (!/^-?\d+$/.test(raw)) {
        throw new ValueError(
          spec.min !== undefined && spec.min > 0
            ? "expected a positive integer"
            : "expected an integer",
        );
      }
      const n = Number(raw);
      if (spec.min !== undefined && n < spec.min) {
        throw new ValueError(`expected an integer >= ${spec.min}`);
      }
      if (spec.max !== undefined && n > spec.max) {
        throw new ValueError(`expected an integer <= ${spec.max}`);
      }
      return n;
    }
    case "choice": {
      const c = spec.choices![raw.toLowerCase()];
      if (c === undefined) {
        throw new ValueError(
          `expected one of ${
            Object.keys(spec.choices!).map((k) => `"${k}"`).join(", ")
          }`,
        );
      }
      return c;
    }
    case "list": {
      if (spec.choices) {
        for (const word of raw.split(/\s+/)) {
          if (word !== "" && spec.choices[word.toLowerCase()] === undefined) {
            throw new ValueError(
              `"${word}" is not one of ${
                Object.keys(spec.choices).map((k) => `"${k}"`).join(", ")
              }`,
            );
          }
        }
      }
      return raw;
    }
    default:
      return raw;
  }
}

/** A key's default, parsed; undefined when it is computed at run time. */
export function defaultValue(
  spec: KeySpec,
): string | number | boolean | undefined {
  if (spec.default === "" && spec.kind !== "string" && spec.kind !== "list") {
    return undefined;
  }
  if (spec.defaultNote !== undefined) return undefined;
  return parseValue(spec, spec.default);
}

/**
 * The typed values of a section's keys that name a `field`: for each key,
 * the first of `lookups` that has it, else its default (`fallback` for
 * defaults computed at run time).
 */
export function resolveFields(
  specs: readonly KeySpec[],
  lookups: ((key: string) => unknown)[],
  fallback: Record<string, unknown> = {},
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const spec of specs) {
    if (!spec.field) continue;
    let v: unknown;
    for (const look of lookups) {
      v = look(spec.key);
      if (v !== undefined) break;
    }
    out[spec.field] = v ?? defaultValue(spec) ?? fallback[spec.field];
  }
  return out;
}

/** A value as it is written in a config file. */
export function valueText(v: unknown): string {
  if (typeof v === "boolean") return v ? "yes" : "no";
  return String(v);
}
