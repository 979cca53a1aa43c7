/**
 * The exporter's send buffer: batches kept until a peer takes them, with
 * exact accounting. A batch is a sequence of units: for line connectors a
 * unit is one metric's line, so a write cut short resumes at the start of
 * the unit it cut (no metric is sent twice or cut); for message connectors
 * (one HTTP request) the whole batch is one unit of all its metrics. The
 * metric count of a batch comes from the formatter, never from scanning
 * bytes.
 *
 * @module
 */

/** Appends formatted metrics into one growing byte array, recording units. */
export class BatchWriter {
  #bytes: Uint8Array;
  #length = 0;
  #ends: Uint32Array;
  #units = 0;
  #metrics = 0;
  readonly #encoder = new TextEncoder();

  constructor(initialCapacity = 64 * 1024) {
    this.#bytes = new Uint8Array(initialCapacity);
    this.#ends = new Uint32Array(1024);
  }

  /** Appends text that belongs to no metric (a batch's framing). */
  write(text: string): void {
    // UTF-16 length * 3 bounds the UTF-8 length.
    const need = this.#length + text.length * 3;
    if (need > this.#bytes.length) {
      const grown = new Uint8Array(Math.max(need, this.#bytes.length * 2));
      grown.set(this.#bytes.subarray(0, this.#length));
      this.#bytes = grown;
    }
    const { written } = this.#encoder.encodeInto(
      text,
      this.#bytes.subarray(this.#length),
    );
    this.#length += written;
  }

  /** Appends one metric as its own unit (a line, `\n` included). */
  writeMetric(text: string): void {
    this.write(text);
    if (this.#units === this.#ends.length) {
      const grown = new Uint32Array(this.#ends.length * 2);
      grown.set(this.#ends);
      this.#ends = grown;
    }
    this.#ends[this.#units++] = this.#length;
    this.#metrics++;
  }

  /** Counts a metric written inside a message with {@link write}. */
  countMetric(): void {
    this.#metrics++;
  }

  get length(): number {
    return this.#length;
  }
  get metrics(): number {
    return this.#metrics;
  }

  /**
   * Takes the batch (copies sized to fit) and resets the writer. With
   * `asOneUnit` the batch is a single unit (a message), else one unit per
   * {@link writeMetric}.
   */
  take(asOneUnit = false): Batch {
    const bytes = this.#bytes.slice(0, this.#length);
    const batch: Batch = asOneUnit
      ? {
        bytes,
        ends: Uint32Array.of(bytes.length),
        metricsPerUnit: this.#metrics,
        metrics: this.#metrics,
      }
      : {
        bytes,
        ends: this.#ends.slice(0, this.#units),
        metricsPerUnit: 1,
        metrics: this.#metrics,
      };
    this.#length = 0;
    this.#units = 0;
    this.#metrics = 0;
    return batch;
  }
}

/** Formatted metrics ready to send. */
export interface Batch {
  bytes: Uint8Array;
  /** End offset of each unit, ascending; the last is `bytes.length`. */
  ends: Uint32Array;
  /** Metrics in each unit. */
  metricsPerUnit: number;
  metrics: number;
}

interface Queued {
  batch: Batch;
  /** Units of the batch fully written. */
  unitsDone: number;
}

/** What leaving the buffer cost. */
export interface Dropped {
  metrics: number;
  bytes: number;
  batches: number;
}

/** Batches waiting to be sent, oldest first. */
export class SendBuffer {
  #queue: Queued[] = [];
  /** Bytes of the first batch already written to the peer. */
  #offset = 0;
  #bytes = 0;
  #metrics = 0;
  /**
   * Set while a send is writing the first batch: drops then spare it, so
   * bytes in flight are never counted as both lost and sent.
   */
  writing = false;

  /** Metrics not yet fully written. */
  get metrics(): number {
    return this.#metrics;
  }
  /** Bytes not yet written. */
  get bytes(): number {
    return this.#bytes;
  }
  get batches(): number {
    return this.#queue.length;
  }
  get empty(): boolean {
    return this.#bytes === 0;
  }

  /** Adds a batch. */
  append(batch: Batch): void {
    if (batch.bytes.length === 0) return;
    this.#queue.push({ batch, unitsDone: 0 });
    this.#bytes += batch.bytes.length;
    this.#metrics += batch.metrics;
  }

  /** The next unsent bytes, at most `max` of them (a view, no copy). */
  peek(max: number): Uint8Array {
    const q = this.#queue[0];
    if (!q) return new Uint8Array(0);
    return q.batch.bytes.subarray(
      this.#offset,
      Math.min(q.batch.bytes.length, this.#offset + max),
    );
  }

  /**
   * Records that the first `n` bytes of {@link peek} were written. Returns
   * the metrics whose unit was completed by them.
   */
  consume(n: number): number {
    let completed = 0;
    while (n > 0) {
      const q = this.#queue[0];
      const { bytes, ends, metricsPerUnit } = q.batch;
      const end = Math.min(bytes.length, this.#offset + n);
      let units = q.unitsDone;
      while (units < ends.length && ends[units] <= end) units++;
      completed += (units - q.unitsDone) * metricsPerUnit;
      q.unitsDone = units;
      n -= end - this.#offset;
      this.#bytes -= end - this.#offset;
      this.#offset = end;
      if (end === bytes.length) {
        this.#queue.shift();
        this.#offset = 0;
      }
    }
    this.#metrics -= completed;
    return completed;
  }

  /**
   * After a broken connection: moves back to the start of the unit a write
   * cut, so the next connection sends it whole. Returns bytes rewound.
   */
  rewindToUnitStart(): number {
    const q = this.#queue[0];
    if (!q || this.#offset === 0) return 0;
    const start = q.unitsDone === 0 ? 0 : q.batch.ends[q.unitsDone - 1];
    const rewound = this.#offset - start;
    this.#offset = start;
    this.#bytes += rewound;
    return rewound;
  }

  /** Drops everything unsent (the batch being written too). */
  dropAll(): Dropped {
    const dropped = {
      metrics: this.#metrics,
      bytes: this.#bytes,
      batches: this.#queue.length,
    };
    this.#queue = [];
    this.#offset = 0;
    this.#bytes = 0;
    this.#metrics = 0;
    return dropped;
  }

  /**
   * Drops the oldest batches, sparing the newest and the one being
   * written, while more than `maxBatches` are queued or more than
   * `maxBytes` are unsent.
   */
  dropOldest(maxBatches: number, maxBytes = Infinity): Dropped {
    const dropped = { metrics: 0, bytes: 0, batches: 0 };
    const i = this.writing ? 1 : 0;
    while (
      (this.#queue.length > maxBatches || this.#bytes > maxBytes) &&
      i < this.#queue.length - 1
    ) {
      const [q] = this.#queue.splice(i, 1);
      const offset = i === 0 ? this.#offset : 0;
      if (i === 0) this.#offset = 0;
      const bytes = q.batch.bytes.length - offset;
      const metrics = (q.batch.ends.length - q.unitsDone) *
        q.batch.metricsPerUnit;
      dropped.bytes += bytes;
      dropped.metrics += metrics;
      dropped.batches++;
      this.#bytes -= bytes;
      this.#metrics -= metrics;
    }
    return dropped;
  }
}
