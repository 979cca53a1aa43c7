/**
 * Leveled, structured log lines on stderr:
 * `2026-11-25T10:00:00.000Z info  export: sent 120 metrics`.
 *
 * @module
 */

/** Log levels, least to most severe. */
export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
/** One of {@link LOG_LEVELS}. */
export type LogLevel = typeof LOG_LEVELS[number];

/** Where formatted lines go; tests pass an array-backed sink. */
export type LogSink = (line: string, level: LogLevel) => void;

const encoder = new TextEncoder();

/** Writes each line to stderr. */
export const stderrSink: LogSink = (line) => {
  Deno.stderr.writeSync(encoder.encode(line + "\n"));
};

/** A logger bound to one component name. */
export class Logger {
  readonly component: string;
  #minRank: number;
  #sink: LogSink;
  #now: () => number;

  constructor(
    component: string,
    options: { level?: LogLevel; sink?: LogSink; now?: () => number } = {},
  ) {
    this.component = component;
    this.#minRank = LOG_LEVELS.indexOf(options.level ?? "info");
    this.#sink = options.sink ?? stderrSink;
    this.#now = options.now ?? Date.now;
  }

  /** A logger for a sub-component sharing this one's level and sink. */
  child(component: string): Logger {
    return new Logger(component, {
      level: LOG_LEVELS[this.#minRank],
      sink: this.#sink,
      now: this.#now,
    });
  }

  /** True when lines of `level` are written (to skip costly formatting). */
  enabled(level: LogLevel): boolean {
    return LOG_LEVELS.indexOf(level) >= this.#minRank;
  }

  log(level: LogLevel, message: string): void {
    if (!this.enabled(level)) return;
    const time = new Date(this.#now()).toISOString();
    this.#sink(
      `${time} ${level.padEnd(5)} ${this.component}: ${message}`,
      level,
    );
  }

  debug(message: string): void {
    this.log("debug", message);
  }
  info(message: string): void {
    this.log("info", message);
  }
  warn(message: string): void {
    this.log("warn", message);
  }
  error(message: string): void {
    this.log("error", message);
  }
}

/** A sink that keeps lines in memory, for tests. */
export function memorySink(): { sink: LogSink; lines: string[] } {
  const lines: string[] = [];
  return { sink: (line) => lines.push(line), lines };
}
