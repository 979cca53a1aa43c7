/**
 * Bytes -> lines, for plugin stdout and stream sockets. Lines end at `\n`
 * (a trailing `\r` is dropped); a line longer than the limit is reported
 * once and skipped up to its end, so one bad line costs bounded memory.
 *
 * @module
 */

/** Receives complete lines and over-long line reports. */
export interface LineSink {
  line(text: string): void;
  /**
   * A complete line as `text[start..end)`, given instead of `line` when the
   * sink has it (no string is cut for the line).
   */
  lineIn?(text: string, start: number, end: number): void;
  /** A line over the limit was dropped; `length` is what was seen of it. */
  oversize(length: number): void;
}

/** Splits a byte stream into lines across chunk boundaries. */
export class LineSplitter {
  readonly maxLineLength: number;
  #decoder = new TextDecoder("utf-8", { fatal: false });
  #partial = "";
  #skipping = false;
  #skipped = 0;

  constructor(maxLineLength = 16 * 1024) {
    this.maxLineLength = maxLineLength;
  }

  /** Feeds a chunk; calls `sink.line` for every line it completes. */
  push(chunk: Uint8Array, sink: LineSink): void {
    this.pushText(this.#decoder.decode(chunk, { stream: true }), sink);
  }

  /** Feeds already-decoded text. */
  pushText(text: string, sink: LineSink): void {
    let start = 0;
    for (;;) {
      const nl = text.indexOf("\n", start);
      if (nl < 0) break;
      if (this.#skipping) {
        sink.oversize(this.#skipped + nl - start);
        this.#skipping = false;
        this.#skipped = 0;
      } else if (
        this.#partial === "" && sink.lineIn && nl - start <= this.maxLineLength
      ) {
        const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
        sink.lineIn(text, start, end);
      } else {
        let line = this.#partial === ""
          ? text.slice(start, nl)
          : this.#partial + text.slice(start, nl);
        this.#partial = "";
        if (line.length > this.maxLineLength) {
          sink.oversize(line.length);
        } else {
          if (line.charCodeAt(line.length - 1) === 13) line = line.slice(0, -1);
          sink.line(line);
        }
      }
      start = nl + 1;
    }
    if (start < text.length) {
      if (this.#skipping) {
        this.#skipped += text.length - start;
      } else {
        this.#partial += text.slice(start);
        if (this.#partial.length > this.maxLineLength) {
          this.#skipping = true;
          this.#skipped = this.#partial.length;
          this.#partial = "";
        }
      }
    }
  }

  /** Bytes of an unfinished line held back. */
  get pendingLength(): number {
    return this.#skipping ? this.#skipped : this.#partial.length;
  }
}
