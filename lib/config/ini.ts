/**
 * netdata.conf-style INI reader that keeps line numbers.
 *
 * Why not npm `ini`: it returns a plain object and drops line numbers, and
 * every config message skiff prints names `file:line`. This reader does only
 * what netdata.conf needs: `[section]`, `key with spaces = value` (split at
 * the first `=`, so values may contain `=`), and whole-line `#` or `;`
 * comments (a `#` inside a value is kept, as netdata keeps it).
 *
 * @module
 */

/** One `key = value` line. */
export interface IniEntry {
  section: string;
  key: string;
  value: string;
  line: number;
}

/** A section header and the line it is on. */
export interface IniSection {
  name: string;
  line: number;
}

/** A line that is neither comment, section nor `key = value`. */
export interface IniSyntaxError {
  line: number;
  message: string;
}

/** What {@link parseIni} finds in a text. */
export interface IniDocument {
  sections: IniSection[];
  entries: IniEntry[];
  errors: IniSyntaxError[];
}

/** Splits INI text into sections and entries, keeping line numbers. */
export function parseIni(text: string): IniDocument {
  const sections: IniSection[] = [];
  const entries: IniEntry[] = [];
  const errors: IniSyntaxError[] = [];
  let section = "";
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = i + 1;
    const trimmed = lines[i].trim();
    if (trimmed === "" || trimmed[0] === "#" || trimmed[0] === ";") continue;
    if (trimmed[0] === "[") {
      if (trimmed[trimmed.length - 1] !== "]") {
        errors.push({
          line,
          message: `section header without closing "]": ${trimmed}`,
        });
        continue;
      }
      section = trimmed.slice(1, -1).trim();
      if (section === "") {
        errors.push({ line, message: "empty section name" });
        continue;
      }
      sections.push({ name: section, line });
      continue;
    }
    const eq = trimmed.indexOf("=");
    if (eq <= 0) {
      errors.push({
        line,
        message: eq === 0
          ? `a value without a key: ${trimmed}`
          : `expected "key = value", got: ${trimmed}`,
      });
      continue;
    }
    if (section === "") {
      errors.push({
        line,
        message: `key "${
          trimmed.slice(0, eq).trim()
        }" comes before any [section]`,
      });
      continue;
    }
    entries.push({
      section,
      key: trimmed.slice(0, eq).trim(),
      value: trimmed.slice(eq + 1).trim(),
      line,
    });
  }
  return { sections, entries, errors };
}
