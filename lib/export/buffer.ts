/**
 * The exporter's send buffer: batches of formatted lines kept until a peer
 * takes them, with exact accounting. Every metric is one line ending in
 * `\n`, so metrics sent = newlines written; a partly written line is
 * resent whole on the next connection, never counted twice.
 *
 * @module
 */

const NEWLINE = 10;

/** Appends text lines into one growing byte array, counting lines. */
export class BatchWriter {
  #bytes: Uint8Array;
  #length = 0;
  #lines = 0;
  readonly #encoder = new TextEncoder();

  constructor(initialCapacity = 64 * 1024) {
    this.#bytes = new Uint8Array(initialCapacity);
  }

  /** Appends one line (its `\n` included). */
  writeLine(line: string): void {
    // UTF-16 length * 3 bounds the UTF-8 length.
    const need = this.#length + line.length * 3;
    if (need > this.#bytes.length) {
      const grown = new Uint8Array(Math.max(need, this.#bytes.length * 2));
      grown.set(this.#bytes.subarray(0, this.#length));
      this.#bytes = grown;
    }
    const { written } = this.#encoder.encodeInto(
      line,
      this.#bytes.subarray(this.#length),
    );
    this.#length += written;
    this.#lines++;
  }

  get length(): number {
    return this.#length;
  }
  get lines(): number {
    return this.#lines;
  }

  /** Takes the batch's bytes (a copy sized to fit) and resets the writer. */
  take(): { bytes: Uint8Array; lines: number } {
    const out = {
      bytes: this.#bytes.slice(0, this.#length),
      lines: this.#lines,
    };
    this.#length = 0;
    this.#lines = 0;
    return out;
  }
}

interface Batch {
  bytes: Uint8Array;
  /** Lines (metrics) in the batch not yet fully written. */
  linesLeft: number;
}

/** What leaving the buffer cost. */
export interface Dropped {
  metrics: number;
  bytes: number;
}

/** Batches waiting to be sent, oldest first. */
export class SendBuffer {
  #batches: Batch[] = [];
  /** Bytes of the first batch already written to the peer. */
  #offset = 0;
  #bytes = 0;
  #metrics = 0;

  /** Metrics (lines) not yet fully written. */
  get metrics(): number {
    return this.#metrics;
  }
  /** Bytes not yet written. */
  get bytes(): number {
    return this.#bytes;
  }
  get empty(): boolean {
    return this.#bytes === 0;
  }

  /** Adds a batch of complete lines. */
  append(bytes: Uint8Array, lines: number): void {
    if (bytes.length === 0) return;
    this.#batches.push({ bytes, linesLeft: lines });
    this.#bytes += bytes.length;
    this.#metrics += lines;
  }

  /** The next unsent bytes, at most `max` of them (a view, no copy). */
  peek(max: number): Uint8Array {
    const b = this.#batches[0];
    if (!b) return new Uint8Array(0);
    return b.bytes.subarray(
      this.#offset,
      Math.min(b.bytes.length, this.#offset + max),
    );
  }

  /**
   * Records that the first `n` bytes of {@link peek} were written. Returns
   * the metrics whose last byte (their `\n`) was among them.
   */
  consume(n: number): number {
    let completed = 0;
    while (n > 0) {
      const b = this.#batches[0];
      const end = Math.min(b.bytes.length, this.#offset + n);
      let lines = 0;
      for (let i = this.#offset; i < end; i++) {
        if (b.bytes[i] === NEWLINE) lines++;
      }
      b.linesLeft -= lines;
      completed += lines;
      n -= end - this.#offset;
      this.#bytes -= end - this.#offset;
      this.#offset = end;
      if (end === b.bytes.length) {
        this.#batches.shift();
        this.#offset = 0;
      }
    }
    this.#metrics -= completed;
    return completed;
  }

  /**
   * After a broken connection: moves back to the start of a partly written
   * line, so the next connection sends it whole. Returns bytes rewound.
   */
  rewindToLineStart(): number {
    const b = this.#batches[0];
    if (!b || this.#offset === 0) return 0;
    let i = this.#offset;
    while (i > 0 && b.bytes[i - 1] !== NEWLINE) i--;
    const rewound = this.#offset - i;
    this.#offset = i;
    this.#bytes += rewound;
    return rewound;
  }

  /** Drops everything unsent. */
  dropAll(): Dropped {
    const dropped = { metrics: this.#metrics, bytes: this.#bytes };
    this.#batches = [];
    this.#offset = 0;
    this.#bytes = 0;
    this.#metrics = 0;
    return dropped;
  }

  /**
   * Drops whole batches, oldest first, until at most `maxBytes` remain; the
   * newest batch is kept even if alone it is larger.
   */
  dropOldestOver(maxBytes: number): Dropped {
    const dropped = { metrics: 0, bytes: 0 };
    while (this.#bytes > maxBytes && this.#batches.length > 1) {
      const b = this.#batches.shift()!;
      const bytes = b.bytes.length - this.#offset;
      const lines = b.linesLeft;
      this.#offset = 0;
      dropped.bytes += bytes;
      dropped.metrics += lines;
      this.#bytes -= bytes;
      this.#metrics -= lines;
    }
    return dropped;
  }
}
