/**
 * The plugins.d / streaming text protocol: one line -> one typed call on a
 * {@link ProtocolHandler}. Pure: it knows nothing of storage or sockets.
 * Word positions, defaults and number parsing follow netdata 1.37's
 * collectors/plugins.d/pluginsd_parser.c.
 *
 * @module
 */

import { isSpace, MAX_WORDS, splitWords } from "./words.ts";
import { ALGORITHMS } from "../storage/mod.ts";
import type { Algorithm, ChartType } from "../storage/mod.ts";

/** A malformed line; `message` says why. */
export class ProtocolError extends Error {}

/** CHART, as parsed. */
export interface ChartCommand {
  /** `type.id` */
  id: string;
  name: string;
  title: string;
  units: string;
  family: string;
  context: string;
  chartType: ChartType;
  priority: number;
  /** 0 = the plugin's own update every. */
  updateEverySec: number;
  options: {
    obsolete: boolean;
    detail: boolean;
    hidden: boolean;
    storeFirst: boolean;
  };
  plugin: string;
  module: string;
}

/** DIMENSION, as parsed. */
export interface DimensionCommand {
  id: string;
  name: string;
  algorithm: Algorithm;
  multiplier: number;
  divisor: number;
  options: { obsolete: boolean; hidden: boolean; noReset: boolean };
}

/** What a protocol line can ask for. */
export interface ProtocolHandler {
  chart(c: ChartCommand): void;
  dimension(d: DimensionCommand): void;
  begin(chartId: string, microseconds: number): void;
  set(dimensionId: string, value: number): void;
  /** The same, the id being `text[start..end)` (no string cut for it). */
  setIn?(text: string, start: number, end: number, value: number): void;
  end(): void;
  flush(): void;
  disable(): void;
  variable(scope: "host" | "chart", name: string, value: number): void;
  label(name: string, source: number, value: string): void;
  overwrite(what: string): void;
  clabel(name: string, value: string, source: number): void;
  clabelCommit(): void;
  /** Any other keyword (CLAIMED_ID, FUNCTION, REPLAY_*...). */
  other(keyword: string, words: string[], count: number): void;
}

/**
 * Parses an integer as C's strtoll(s, NULL, 0): optional sign, then `0x`
 * hex, leading-0 octal or decimal, stopping at the first other character.
 * Returns NaN when no digit is found.
 */
export function parseCollectedNumber(s: string): number {
  let i = 0;
  while (i < s.length && (s[i] === " " || s[i] === "\t")) i++;
  let sign = 1;
  if (s[i] === "-" || s[i] === "+") {
    if (s[i] === "-") sign = -1;
    i++;
  }
  let base = 10;
  if (s[i] === "0" && (s[i + 1] === "x" || s[i + 1] === "X")) {
    base = 16;
    i += 2;
  } else if (
    s[i] === "0" && i + 1 < s.length && s[i + 1] >= "0" && s[i + 1] <= "7"
  ) {
    base = 8;
    i++;
  }
  let v = 0;
  let digits = 0;
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let d: number;
    if (c >= 48 && c <= 57) d = c - 48;
    else if (c >= 97 && c <= 102) d = c - 87;
    else if (c >= 65 && c <= 70) d = c - 55;
    else break;
    if (d >= base) break;
    v = v * base + d;
    digits++;
  }
  return digits === 0 ? NaN : sign * v;
}

function parseDouble(s: string): number {
  const v = Number.parseFloat(s);
  return v;
}

const CHART_TYPES: Record<string, ChartType> = {
  line: "line",
  area: "area",
  stacked: "stacked",
};

/** Parses lines and dispatches them to a handler. */
export class ProtocolParser {
  readonly #handler: ProtocolHandler;
  readonly #words: string[] = new Array(MAX_WORDS);
  /** Lines seen, including bad ones: the line number of the last line. */
  lineNumber = 0;

  constructor(handler: ProtocolHandler) {
    this.#handler = handler;
  }

  /**
   * `SET id = 123` with a plain id and a decimal value, as the word
   * splitter and parseCollectedNumber would read it; false (nothing done)
   * for anything else, which the general path then parses: quotes,
   * escapes, hex or octal values, a missing value, errors.
   */
  #fastSet(line: string, start: number, len: number): boolean {
    if (
      len - start < 5 || line.charCodeAt(start + 1) !== 69 ||
      line.charCodeAt(start + 2) !== 84
    ) {
      return false;
    }
    let i = start + 3;
    if (!isSpace(line.charCodeAt(i))) return false;
    while (i < len && isSpace(line.charCodeAt(i))) i++;
    const idStart = i;
    for (; i < len; i++) {
      const c = line.charCodeAt(i);
      if (isSpace(c)) break;
      if (c === 34 || c === 39 || c === 92) return false;
    }
    const idEnd = i;
    if (idEnd === idStart) return false;
    while (i < len && isSpace(line.charCodeAt(i))) i++;
    if (i >= len) return false;
    let sign = 1;
    if (line.charCodeAt(i) === 45) {
      sign = -1;
      i++;
    }
    const valueStart = i;
    let v = 0;
    for (; i < len; i++) {
      const c = line.charCodeAt(i);
      if (c < 48 || c > 57) break;
      v = v * 10 + (c - 48);
    }
    if (i === valueStart) return false;
    // a leading 0 is octal (or hex) to strtoll: the general path
    if (line.charCodeAt(valueStart) === 48 && i - valueStart > 1) return false;
    if (i < len && !isSpace(line.charCodeAt(i))) return false;
    const h = this.#handler;
    if (h.setIn) h.setIn(line, idStart, idEnd, sign * v);
    else h.set(line.slice(idStart, idEnd), sign * v);
    return true;
  }

  /**
   * Parses one line. Throws {@link ProtocolError} for a malformed line,
   * before the handler is called, so a bad line changes nothing.
   */
  parseLine(line: string): void {
    this.parseIn(line, 0, line.length);
  }

  /** Parses the line `text[start..end)`, as {@link parseLine}. */
  parseIn(text: string, start: number, end: number): void {
    this.lineNumber++;
    // The line of every value: parsed in place, no string made.
    if (text.charCodeAt(start) === 83 && this.#fastSet(text, start, end)) {
      return;
    }
    const line = start === 0 && end === text.length
      ? text
      : text.slice(start, end);
    const w = this.#words;
    const n = splitWords(line, w);
    if (n === 0) return;
    const h = this.#handler;
    const word = (i: number) => (i < n ? w[i] : "");
    switch (w[0]) {
      case "SET": {
        if (n < 2 || w[1] === "") {
          throw new ProtocolError("SET without a dimension id");
        }
        if (n < 3 || w[2] === "") return; // netdata: no value, nothing set
        const v = parseCollectedNumber(w[2]);
        if (Number.isNaN(v)) {
          throw new ProtocolError(
            `SET "${w[1]}": value "${w[2]}" is not an integer`,
          );
        }
        h.set(w[1], v);
        return;
      }
      case "BEGIN": {
        if (n < 2 || w[1] === "") {
          throw new ProtocolError("BEGIN without a chart id");
        }
        let usec = 0;
        if (n > 2 && w[2] !== "") {
          usec = parseCollectedNumber(w[2]);
          if (!(usec >= 0)) {
            throw new ProtocolError(
              `BEGIN "${w[1]}": microseconds "${w[2]}" is not a number`,
            );
          }
        }
        h.begin(w[1], usec);
        return;
      }
      case "END":
        h.end();
        return;
      case "CHART":
        h.chart(this.#chart(n));
        return;
      case "DIMENSION":
        h.dimension(this.#dimension(n));
        return;
      case "FLUSH":
        h.flush();
        return;
      case "DISABLE":
        h.disable();
        return;
      case "VARIABLE": {
        let scope: "host" | "chart" | undefined;
        let i = 1;
        const s = word(1);
        if (s === "GLOBAL" || s === "HOST") (scope = "host"), i = 2;
        else if (s === "LOCAL" || s === "CHART") (scope = "chart"), i = 2;
        const name = word(i);
        const valueText = word(i + 1);
        if (name === "") throw new ProtocolError("VARIABLE without a name");
        if (valueText === "") {
          throw new ProtocolError(`VARIABLE "${name}" without a value`);
        }
        const v = parseDouble(valueText);
        if (Number.isNaN(v)) {
          throw new ProtocolError(
            `VARIABLE "${name}": "${valueText}" is not a number`,
          );
        }
        h.variable(scope ?? "chart", name, v);
        return;
      }
      case "LABEL": {
        if (n < 4) {
          throw new ProtocolError("LABEL needs a name, a source and a value");
        }
        // Values with spaces may arrive unquoted: join the remaining words.
        const value = n > 4 ? w.slice(3, n).join(" ") : w[3];
        h.label(w[1], parseCollectedNumber(w[2]) || 0, value);
        return;
      }
      case "OVERWRITE":
        h.overwrite(word(1));
        return;
      case "CLABEL": {
        if (n < 4 || w[3] === "") {
          throw new ProtocolError("CLABEL needs a name, a value and a source");
        }
        h.clabel(w[1], w[2], parseCollectedNumber(w[3]) || 0);
        return;
      }
      case "CLABEL_COMMIT":
        h.clabelCommit();
        return;
      default:
        h.other(w[0], w, n);
    }
  }

  #chart(n: number): ChartCommand {
    const w = this.#words;
    const word = (i: number) => (i < n ? w[i] : "");
    const typeId = word(1);
    const dot = typeId.indexOf(".");
    if (dot <= 0 || dot === typeId.length - 1) {
      throw new ProtocolError(
        typeId === ""
          ? "CHART without a type.id"
          : `CHART "${typeId}" is not of the form type.id`,
      );
    }
    const type = typeId.slice(0, dot);
    let name = word(2);
    // Streamed names come as type.name: drop the type, as netdata does.
    if (name.startsWith(type + ".")) name = name.slice(type.length + 1);
    if (name === typeId.slice(dot + 1) || /^\(?null\)?$/i.test(name)) name = "";
    const priorityText = word(8);
    const priority = priorityText === ""
      ? 1000
      : parseCollectedNumber(priorityText);
    const ueText = word(9);
    const ue = ueText === "" ? 0 : parseCollectedNumber(ueText);
    if (Number.isNaN(priority)) {
      throw new ProtocolError(
        `CHART "${typeId}": priority "${priorityText}" is not an integer`,
      );
    }
    if (Number.isNaN(ue) || ue < 0) {
      throw new ProtocolError(
        `CHART "${typeId}": update every "${ueText}" is not a positive integer`,
      );
    }
    const options = word(10);
    return {
      id: typeId,
      name: name === "" ? typeId : `${type}.${name}`,
      title: word(3),
      units: n > 4 ? w[4] : "unknown",
      family: word(5),
      context: word(6),
      chartType: CHART_TYPES[word(7)] ?? "line",
      priority,
      updateEverySec: ue,
      options: {
        obsolete: options.includes("obsolete"),
        detail: options.includes("detail"),
        hidden: options.includes("hidden"),
        storeFirst: options.includes("store_first"),
      },
      plugin: word(11),
      module: word(12),
    };
  }

  #dimension(n: number): DimensionCommand {
    const w = this.#words;
    const word = (i: number) => (i < n ? w[i] : "");
    const id = word(1);
    if (id === "") throw new ProtocolError("DIMENSION without an id");
    const algorithmText = word(3) || "absolute";
    const algorithm = ALGORITHMS.find((a) => a === algorithmText);
    if (!algorithm) {
      throw new ProtocolError(
        `DIMENSION "${id}": unknown algorithm "${algorithmText}" (expected ${
          ALGORITHMS.join(", ")
        })`,
      );
    }
    const num = (text: string, what: string) => {
      if (text === "") return 1;
      const v = parseCollectedNumber(text);
      if (Number.isNaN(v)) {
        throw new ProtocolError(
          `DIMENSION "${id}": ${what} "${text}" is not an integer`,
        );
      }
      return v === 0 ? 1 : v;
    };
    const options = word(6);
    return {
      id,
      name: word(2) || id,
      algorithm,
      multiplier: num(word(4), "multiplier"),
      divisor: num(word(5), "divisor"),
      options: {
        obsolete: options.includes("obsolete"),
        hidden: options.includes("hidden"),
        noReset: options.includes("noreset") || options.includes("nooverflow"),
      },
    };
  }
}
