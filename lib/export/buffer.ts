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

  /** Makes room for `n` more bytes. */
  #reserve(n: number): void {
    const need = this.#length + n;
    if (need > this.#bytes.length) {
      const grown = new Uint8Array(Math.max(need, this.#bytes.length * 2));
      grown.set(this.#bytes.subarray(0, this.#length));
      this.#bytes = grown;
    }
  }

  /** Appends text that belongs to no metric (a batch's framing). */
  write(text: string): void {
    // UTF-16 length * 3 bounds the UTF-8 length.
    this.#reserve(text.length * 3);
    // ASCII (every Graphite or OpenTSDB line, nearly every name) is copied
    // byte by byte: no view made per metric, no garbage.
    const bytes = this.#bytes;
    let at = this.#length;
    const n = text.length;
    let i = 0;
    for (; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c >= 128) break;
      bytes[at++] = c;
    }
    if (i < n) {
      const { written } = this.#encoder.encodeInto(
        text.slice(i),
        bytes.subarray(at),
      );
      at += written;
    }
    this.#length = at;
  }

  /** Appends bytes that belong to no metric (a message's body). */
  writeBytes(bytes: Uint8Array): void {
    this.#reserve(bytes.length);
    this.#bytes.set(bytes, this.#length);
    this.#length += bytes.length;
  }

  /**
   * Appends a non-negative integer's decimal digits (a timestamp): no
   * string is made for it.
   */
  writeUint(n: number): void {
    if (!(n >= 0 && n <= Number.MAX_SAFE_INTEGER) || n !== Math.floor(n)) {
      this.write(String(n));
      return;
    }
    let digits = 1;
    for (let p = 10; p <= n; p *= 10) digits++;
    this.#reserve(digits);
    this.#length += digits;
    const bytes = this.#bytes;
    let at = this.#length;
    do {
      const q = Math.floor(n / 10);
      bytes[--at] = 48 + (n - q * 10);
      n = q;
    } while (n > 0);
  }

  /** Appends one metric as its own unit (a line, `\n` included). */
  writeMetric(text: string): void {
    this.write(text);
    this.endMetric();
  }

  /**
   * Ends a metric written piece by piece with {@link write} as its own unit
   * (the pieces ending with its `\n`).
   */
  endMetric(): void {
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
  /** Sent once already: queued again after a reconnect. */
  resend: boolean;
  /** When it was formatted (ms), for the resend window. */
  atMs: number;
}

/** What a write completed. */
export interface Consumed {
  /** Metrics sent for the first time. */
  metrics: number;
  /** Metrics of re-sent batches. */
  resent: number;
}

/** What leaving the buffer cost. */
export interface Dropped {
  metrics: number;
  bytes: number;
  batches: number;
}

/**
 * Batches waiting to be sent, oldest first. With a resend window, the
 * batches sent in the last `resendWindowMs` are kept too, to be queued
 * again after a reconnect: a peer that crashed may not have read what
 * TCP took (see {@link requeueRecent}).
 */
export class SendBuffer {
  #queue: Queued[] = [];
  /** Batches written whole (or their written part), newest last. */
  #recent: Queued[] = [];
  /** How long written batches are kept for a resend; 0: not kept. */
  resendWindowMs = 0;
  /** Bytes of the first batch already written to the peer. */
  #offset = 0;
  #bytes = 0;
  #metrics = 0;
  /**
   * Set while a send is writing the first batch: drops then spare it, so
   * bytes in flight are never counted as both lost and sent.
   */
  writing = false;

  /** Metrics not yet fully written (re-sends not included). */
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

  /** Adds a batch formatted at `atMs`. */
  append(batch: Batch, atMs = 0): void {
    if (this.#recent.length > 0) this.#pruneRecent(atMs);
    if (batch.bytes.length === 0) return;
    this.#queue.push({ batch, unitsDone: 0, resend: false, atMs });
    this.#bytes += batch.bytes.length;
    this.#metrics += batch.metrics;
  }

  /**
   * After a reconnect: queues again, before everything unsent, what was
   * written in the resend window before `nowMs` (the written part of a
   * batch cut by the broken connection included). Returns the metrics
   * queued again; they are counted apart, as re-sent.
   */
  requeueRecent(nowMs: number): number {
    if (this.resendWindowMs === 0) return 0;
    this.#pruneRecent(nowMs);
    const again: Queued[] = this.#recent.map((q) => ({
      batch: q.batch,
      unitsDone: 0,
      resend: true,
      atMs: q.atMs,
    }));
    const head = this.#queue[0];
    if (head && !head.resend && head.unitsDone > 0) {
      // The written part of the batch the broken connection cut.
      const end = head.batch.ends[head.unitsDone - 1];
      again.push({
        batch: {
          bytes: head.batch.bytes.subarray(0, end),
          ends: head.batch.ends.subarray(0, head.unitsDone),
          metricsPerUnit: head.batch.metricsPerUnit,
          metrics: head.unitsDone * head.batch.metricsPerUnit,
        },
        unitsDone: 0,
        resend: true,
        atMs: head.atMs,
      });
      // The rest of it goes on from where it was.
      head.batch = {
        bytes: head.batch.bytes.subarray(end),
        ends: head.batch.ends.subarray(head.unitsDone).map((e) => e - end),
        metricsPerUnit: head.batch.metricsPerUnit,
        metrics: head.batch.metrics -
          head.unitsDone * head.batch.metricsPerUnit,
      };
      head.unitsDone = 0;
      this.#offset = 0;
    } else if (head && this.#offset > 0) {
      // Only a re-sent batch was cut: it starts again.
      this.#bytes += this.#offset;
      this.#offset = 0;
      head.unitsDone = 0;
    }
    this.#recent = [];
    let metrics = 0;
    for (const q of again) {
      this.#bytes += q.batch.bytes.length;
      metrics += q.batch.metrics;
    }
    this.#queue.unshift(...again);
    return metrics;
  }

  #pruneRecent(nowMs: number): void {
    const from = nowMs - this.resendWindowMs;
    let i = 0;
    while (i < this.#recent.length && this.#recent[i].atMs < from) i++;
    if (i > 0) this.#recent.splice(0, i);
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
   * the metrics whose unit was completed by them, first-time and re-sent.
   */
  consume(n: number): Consumed {
    const done: Consumed = { metrics: 0, resent: 0 };
    while (n > 0) {
      const q = this.#queue[0];
      const { bytes, ends, metricsPerUnit } = q.batch;
      const end = Math.min(bytes.length, this.#offset + n);
      let units = q.unitsDone;
      while (units < ends.length && ends[units] <= end) units++;
      const completed = (units - q.unitsDone) * metricsPerUnit;
      if (q.resend) done.resent += completed;
      else done.metrics += completed;
      q.unitsDone = units;
      n -= end - this.#offset;
      this.#bytes -= end - this.#offset;
      this.#offset = end;
      if (end === bytes.length) {
        this.#queue.shift();
        this.#offset = 0;
        if (this.resendWindowMs > 0) this.#recent.push(q);
      }
    }
    this.#metrics -= done.metrics;
    return done;
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

  /**
   * Takes every queued batch whole, as formatted (`skiff tap`: a tap is the
   * destination); the buffer is left empty.
   */
  takeAll(): Batch[] {
    const batches = this.#queue.filter((q) => !q.resend).map((q) => q.batch);
    this.#queue = [];
    this.#offset = 0;
    this.#bytes = 0;
    this.#metrics = 0;
    return batches;
  }

  /** Drops everything unsent (the batch being written too). */
  dropAll(): Dropped {
    const dropped = {
      metrics: this.#metrics,
      bytes: this.#bytes,
      batches: this.#queue.filter((q) => !q.resend).length,
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
    let fresh = this.#queue.filter((q) => !q.resend).length;
    while (
      (fresh > maxBatches || this.#bytes > maxBytes) &&
      i < this.#queue.length - 1
    ) {
      const [q] = this.#queue.splice(i, 1);
      const offset = i === 0 ? this.#offset : 0;
      if (i === 0) this.#offset = 0;
      const bytes = q.batch.bytes.length - offset;
      this.#bytes -= bytes;
      // A re-send that gives way was delivered once: not lost.
      if (q.resend) continue;
      fresh--;
      const metrics = (q.batch.ends.length - q.unitsDone) *
        q.batch.metricsPerUnit;
      dropped.bytes += bytes;
      dropped.metrics += metrics;
      dropped.batches++;
      this.#metrics -= metrics;
    }
    return dropped;
  }
}
