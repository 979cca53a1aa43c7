/**
 * The round-robin database: hosts -> charts -> dimensions.
 *
 * Collection follows netdata 1.37's `rrdset_timed_next()` /
 * `rrdset_timed_done()` (database/rrdset.c) step by step: per-algorithm
 * values, counter overflow/reset detection, and interpolation onto slot
 * boundaries aligned to the chart's `update every`. Times are kept in
 * microseconds, as netdata keeps them, so the arithmetic is the same.
 *
 * @module
 */

import {
  packStorageNumber,
  SN_DEFAULT_FLAGS,
  SN_EMPTY_SLOT,
  SN_FLAG_RESET,
} from "./storage_number.ts";
import { SlotRing } from "./ring.ts";
import { NOT_REPLAYABLE, SlotTimes } from "./slot_times.ts";

const USEC_PER_SEC = 1_000_000;
const U64 = 2 ** 64;
const CAP_32 = 0xffffffff;
const CAP_64 = U64 - 1;
/** netdata: a counter rising more than 10% of its range is a reset. */
const MAX_INCREMENTAL_PERCENT_RATE = 10;
/** netdata's default `gap when lost iterations above` (1) plus 2. */
const GAP_WHEN_LOST_ITERATIONS_ABOVE = 3;

/** How a dimension's collected values become stored values. */
export type Algorithm =
  | "absolute"
  | "incremental"
  | "percentage-of-absolute-row"
  | "percentage-of-incremental-row";

/** The algorithm names netdata accepts. */
export const ALGORITHMS: readonly Algorithm[] = [
  "absolute",
  "incremental",
  "percentage-of-absolute-row",
  "percentage-of-incremental-row",
];

/** Chart display types. */
export type ChartType = "line" | "area" | "stacked";

/** A collected int64 as netdata compares it: cast to uint64. */
function asUint64(v: number): number {
  return v < 0 ? v + U64 : v;
}

/** A dimension's double fields: 7 slots in its chart's array, in this order. */
const FIELDS = 7;
const COLLECTED = 0;
const LAST_COLLECTED = 1;
const COLLECTED_MAX = 2;
const CALCULATED = 3;
const LAST_CALCULATED = 4;
const LAST_STORED = 5;
const LAST_COLLECTED_TIME = 6;

/**
 * The number fields of a chart's dimensions that hold doubles, 7 a
 * dimension in one Float64Array a chart. As object fields, V8 boxes every
 * double in a heap number of its own: 16 bytes, and the field's 8 pointing
 * at it (Deno's V8 is built without pointer compression); here 8.
 * Measured: 428 -> 322 heap bytes a dimension (10,000 in 100 charts),
 * 2,013 -> 1,985 bytes held a dimension in `bench:storage` (the array,
 * and its room to grow, counted there too).
 */
export class DimensionValues {
  /** Slots in use: 7 a dimension, in the order they were added. */
  #used = 0;
  f64 = new Float64Array(4 * FIELDS);

  /** A dimension's 7 slots (its first one's index), zeroed. */
  take(): number {
    const at = this.#used;
    if (at + FIELDS > this.f64.length) {
      const grown = new Float64Array(2 * this.f64.length);
      grown.set(this.f64);
      this.f64 = grown;
    }
    this.#used += FIELDS;
    return at;
  }
}

/** One series of a chart. */
export class Dimension {
  readonly id: string;
  name: string;
  algorithm: Algorithm;
  multiplier: number;
  divisor: number;
  hidden = false;
  /** netdata's `noreset` / `nooverflow`: do not flag resets. */
  dontDetectResets = false;
  obsolete = false;
  /** Stored points, one per slot, as packed storage numbers (paged, compressed when full). */
  readonly ring: SlotRing;
  /** Its chart's slot times (lib/storage/slot_times.ts): its ring's rate pages need them. */
  readonly times: SlotTimes | undefined;

  /**
   * Where its double fields are: its chart's array (the one in its
   * {@link DimensionValues}, given again when that grows), from `#at`.
   */
  #f64: Float64Array;
  readonly #at: number;
  collectionsCounter = 0;
  updated = false;

  get collectedValue(): number {
    return this.#f64[this.#at + COLLECTED];
  }
  set collectedValue(v: number) {
    this.#f64[this.#at + COLLECTED] = v;
  }
  get lastCollectedValue(): number {
    return this.#f64[this.#at + LAST_COLLECTED];
  }
  set lastCollectedValue(v: number) {
    this.#f64[this.#at + LAST_COLLECTED] = v;
  }
  get collectedValueMax(): number {
    return this.#f64[this.#at + COLLECTED_MAX];
  }
  set collectedValueMax(v: number) {
    this.#f64[this.#at + COLLECTED_MAX] = v;
  }
  get calculatedValue(): number {
    return this.#f64[this.#at + CALCULATED];
  }
  set calculatedValue(v: number) {
    this.#f64[this.#at + CALCULATED] = v;
  }
  get lastCalculatedValue(): number {
    return this.#f64[this.#at + LAST_CALCULATED];
  }
  set lastCalculatedValue(v: number) {
    this.#f64[this.#at + LAST_CALCULATED] = v;
  }
  /** NaN until a point is stored. */
  get lastStoredValue(): number {
    return this.#f64[this.#at + LAST_STORED];
  }
  set lastStoredValue(v: number) {
    this.#f64[this.#at + LAST_STORED] = v;
  }
  /** Wall time of the last `set()`, ms since the epoch; 0 = never. */
  get lastCollectedTimeMs(): number {
    return this.#f64[this.#at + LAST_COLLECTED_TIME];
  }
  set lastCollectedTimeMs(v: number) {
    this.#f64[this.#at + LAST_COLLECTED_TIME] = v;
  }

  constructor(
    id: string,
    options: {
      name?: string;
      algorithm?: Algorithm;
      multiplier?: number;
      divisor?: number;
      entries: number;
      /** The chart's slot times: an incremental dimension's pages may then be rate pages. */
      times?: SlotTimes;
      /**
       * Where its double fields go: its chart's, which gives its dimensions
       * the array again when it grows ({@link Dimension.rebind}); a new one
       * if none.
       */
      values?: DimensionValues;
    },
  ) {
    const values = options.values ?? new DimensionValues();
    this.#at = values.take();
    this.#f64 = values.f64;
    this.lastStoredValue = NaN;
    this.id = id;
    this.name = options.name || id;
    this.algorithm = options.algorithm ?? "absolute";
    this.multiplier = options.multiplier || 1;
    this.divisor = options.divisor || 1;
    this.ring = new SlotRing(options.entries);
    this.times = options.times;
    if (options.times) this.ring.rate = this;
  }

  /**
   * Stores a point a child replayed (netdata's RSET) in ring slot `slot`
   * (from {@link Chart.replaySlot}) for time `endSec`; NaN stores an empty
   * slot.
   */
  storeReplayed(
    slot: number,
    endSec: number,
    value: number,
    reset: boolean,
  ): void {
    if (Number.isNaN(value)) {
      this.ring.set(slot, SN_EMPTY_SLOT);
    } else {
      this.ring.set(
        slot,
        packStorageNumber(
          value,
          reset ? SN_DEFAULT_FLAGS | SN_FLAG_RESET : SN_DEFAULT_FLAGS,
        ),
      );
    }
    this.lastStoredValue = value;
    this.lastCollectedTimeMs = endSec * 1000;
    this.collectionsCounter++;
  }

  /** Gives `dims` their chart's values array `f64` after it grew. */
  static rebind(dims: Dimension[], f64: Float64Array): void {
    for (const d of dims) d.#f64 = f64;
  }

  /** Records a collected value at `timeMs` (netdata's rrddim_set). */
  set(value: number, timeMs: number): void {
    this.lastCollectedTimeMs = timeMs;
    this.collectedValue = value;
    this.updated = true;
    this.collectionsCounter++;
    const v = value >= 0 ? value : -value;
    if (v > this.collectedValueMax) this.collectedValueMax = v;
  }
}

/** What a chart is, apart from its data. */
export interface ChartDefinition {
  /** `type.id`, e.g. `system.cpu`. */
  id: string;
  name?: string;
  title?: string;
  units?: string;
  family?: string;
  context?: string;
  chartType?: ChartType;
  priority?: number;
  updateEverySec: number;
  /** Entries in each dimension's ring. */
  history: number;
  plugin?: string;
  module?: string;
  /** netdata's `detail` option: shown only when asked for. */
  detail?: boolean;
}

/** A chart: dimensions sharing one time base. */
export class Chart {
  readonly id: string;
  readonly type: string;
  name: string;
  title: string;
  units: string;
  family: string;
  context: string;
  chartType: ChartType;
  priority: number;
  readonly updateEverySec: number;
  readonly entries: number;
  plugin: string;
  module: string;
  obsolete = false;
  hidden = false;
  detail = false;
  /** netdata's `store_first` option. */
  storeFirst = false;
  readonly labels = new Map<string, string>();
  readonly dimensions: Dimension[] = [];
  readonly #byId = new Map<string, Dimension>();
  /** Its dimensions' double fields. */
  readonly #values = new DimensionValues();

  // State of netdata's RRDSET, in microseconds.
  /**
   * Called at each completion before the collected values are consumed:
   * the dimensions with `updated` set carry this collection's values and
   * `usecSinceLastUpdate` its duration (the stream sender hooks here).
   */
  onComplete: ((chart: Chart) => void) | undefined = undefined;
  lastCollectedUt = 0;
  lastUpdatedUt = 0;
  usecSinceLastUpdate = 0;
  /** Points stored since the last reset (gaps included). */
  counter = 0;
  counterDone = 0;
  /** Ring index the next point is written to. */
  currentEntry = 0;
  /** Each slot's collection times, for its incremental dimensions' rate pages. */
  readonly times: SlotTimes;

  constructor(def: ChartDefinition) {
    const dot = def.id.indexOf(".");
    if (dot <= 0 || dot === def.id.length - 1) {
      throw new Error(`chart id "${def.id}" is not of the form type.id`);
    }
    if (!(def.updateEverySec >= 1)) {
      throw new Error(`chart "${def.id}": update every must be >= 1`);
    }
    this.id = def.id;
    this.type = def.id.slice(0, dot);
    this.name = def.name || def.id;
    this.title = def.title ?? "";
    this.units = def.units ?? "";
    this.family = def.family || def.id.slice(dot + 1);
    this.context = def.context || def.id;
    this.chartType = def.chartType ?? "line";
    this.priority = def.priority ?? 1000;
    this.updateEverySec = def.updateEverySec;
    this.entries = Math.max(5, def.history);
    this.times = new SlotTimes(this.entries, this.updateEverySec);
    this.plugin = def.plugin ?? "";
    this.module = def.module ?? "";
    this.detail = def.detail ?? false;
  }

  /** The dimension `id`, or undefined. */
  dimension(id: string): Dimension | undefined {
    return this.#byId.get(id);
  }

  /** Adds a dimension, or returns the existing one updated. */
  addDimension(
    id: string,
    options: {
      name?: string;
      algorithm?: Algorithm;
      multiplier?: number;
      divisor?: number;
    } = {},
  ): Dimension {
    const existing = this.#byId.get(id);
    if (existing) {
      if (options.name) existing.name = options.name;
      if (options.algorithm) existing.algorithm = options.algorithm;
      if (options.multiplier) existing.multiplier = options.multiplier;
      if (options.divisor) existing.divisor = options.divisor;
      return existing;
    }
    const f64 = this.#values.f64;
    const d = new Dimension(id, {
      ...options,
      entries: this.entries,
      times: this.times,
      values: this.#values,
    });
    if (this.#values.f64 !== f64) {
      Dimension.rebind(this.dimensions, this.#values.f64);
    }
    // As rrddim_add: a store_first chart counts a new dimension as collected.
    if (this.storeFirst) d.collectionsCounter = 1;
    this.dimensions.push(d);
    this.#byId.set(id, d);
    return d;
  }

  /** Time (s) of the oldest stored slot; 0 when nothing is stored. */
  firstEntrySec(): number {
    if (this.counter === 0) return 0;
    const stored = Math.min(this.counter, this.entries);
    return this.lastEntrySec() - (stored - 1) * this.updateEverySec;
  }

  /** Time (s) of the newest stored slot; 0 when nothing is stored. */
  lastEntrySec(): number {
    return this.counter === 0
      ? 0
      : Math.floor(this.lastUpdatedUt / USEC_PER_SEC);
  }

  /** Ring index of the slot at aligned time `t` (must be within range). */
  slotOf(t: number): number {
    const back = (this.lastEntrySec() - t) / this.updateEverySec;
    let slot = this.currentEntry - 1 - back;
    slot %= this.entries;
    return slot < 0 ? slot + this.entries : slot;
  }

  /**
   * Makes the ring slot for a point a child replays at aligned time
   * `endSec` (netdata's RBEGIN with timestamps) and returns its index: a
   * slot after the newest advances the ring, leaving the slots between
   * empty (all of them when the jump is longer than the ring); a slot the
   * ring still holds is returned to be overwritten. -1 when `endSec` is
   * off this chart's grid or older than the ring. As RBEGIN, the chart's
   * last collected and last updated times move to `endSec`.
   */
  replaySlot(endSec: number): number {
    const ue = this.updateEverySec;
    if (!Number.isInteger(endSec) || endSec <= 0 || endSec % ue !== 0) {
      return -1;
    }
    const last = this.lastEntrySec();
    if (this.counter > 0 && endSec <= last) {
      return endSec < this.firstEntrySec() ? -1 : this.slotOf(endSec);
    }
    let steps = this.counter === 0 ? 1 : (endSec - last) / ue;
    if (steps > this.entries) {
      for (const d of this.dimensions) d.ring.clear();
      this.times.clear();
      this.counter += steps - this.entries;
      this.currentEntry = (this.currentEntry + steps - this.entries) %
        this.entries;
      steps = this.entries;
    }
    let slot = this.currentEntry;
    for (; steps > 0; steps--) {
      slot = this.currentEntry;
      for (const d of this.dimensions) d.ring.set(slot, SN_EMPTY_SLOT);
      // after the rings: a rate page never outlives the times it was checked against
      this.times.forget(slot);
      this.currentEntry = slot + 1 >= this.entries ? 0 : slot + 1;
      this.counter++;
    }
    this.lastUpdatedUt = endSec * USEC_PER_SEC;
    this.lastCollectedUt = endSec * USEC_PER_SEC;
    this.counterDone++;
    return slot;
  }

  #alignLastCollected(): void {
    const ue = this.updateEverySec;
    const sec = Math.floor(this.lastCollectedUt / USEC_PER_SEC);
    this.lastCollectedUt = (sec - (sec % ue)) * USEC_PER_SEC +
      (this.storeFirst ? 0 : 500_000);
  }

  #alignLastUpdated(): void {
    const ue = this.updateEverySec;
    const sec = Math.floor(this.lastUpdatedUt / USEC_PER_SEC);
    this.lastUpdatedUt = (sec - (sec % ue)) * USEC_PER_SEC;
  }

  #initLastUpdated(): void {
    this.lastUpdatedUt = this.lastCollectedUt;
    if (this.storeFirst) {
      this.lastUpdatedUt -= this.updateEverySec * USEC_PER_SEC;
    }
    this.#alignLastUpdated();
  }

  /** Forgets all stored data and collection state (netdata's rrdset_reset). */
  reset(): void {
    this.lastCollectedUt = 0;
    this.lastUpdatedUt = 0;
    this.currentEntry = 0;
    this.counter = 0;
    this.counterDone = 0;
    for (const d of this.dimensions) {
      d.lastCollectedTimeMs = 0;
      d.collectionsCounter = 0;
      d.ring.clear();
    }
    this.times.clear();
  }

  /**
   * Starts a collection: sets the time since the last one (netdata's
   * rrdset_timed_next). `durationUs` 0 means "measure it from `nowUt`";
   * with `trustDuration` a given duration is taken as is.
   */
  next(nowUt: number, durationUs = 0, trustDuration = false): void {
    if (trustDuration && this.lastCollectedUt !== 0 && durationUs) {
      this.usecSinceLastUpdate = durationUs;
      return;
    }
    const ueUt = this.updateEverySec * USEC_PER_SEC;
    if (this.lastCollectedUt === 0) {
      durationUs = ueUt;
    } else if (!durationUs) {
      durationUs = Math.abs(nowUt - this.lastCollectedUt);
    } else {
      const since = nowUt - this.lastCollectedUt;
      if (since < 0) {
        // The database is in the future: move it back to now.
        this.lastCollectedUt = nowUt - ueUt;
        this.#alignLastCollected();
        this.lastUpdatedUt = nowUt - ueUt;
        this.#alignLastUpdated();
        durationUs = ueUt;
      } else if (since > ueUt * 5) {
        durationUs = since;
      }
    }
    this.usecSinceLastUpdate = durationUs;
  }

  /**
   * Completes a collection at `nowUt` (netdata's rrdset_timed_done): turns
   * collected values into stored points on aligned slots. With
   * `pendingNext` it first calls `next(nowUt)`, as rrdset_done() does.
   * Returns the number of slots written.
   */
  done(nowUt: number, pendingNext = this.counterDone !== 0): number {
    if (pendingNext) this.next(nowUt);
    this.onComplete?.(this);
    let storeThisEntry = true;
    let firstEntry = false;
    const ue = this.updateEverySec;
    const ueUt = ue * USEC_PER_SEC;
    this.obsolete = false;

    if (this.usecSinceLastUpdate > this.entries * ueUt) {
      this.reset();
      this.usecSinceLastUpdate = ueUt;
      storeThisEntry = false;
      firstEntry = true;
    }

    let lastCollectUt: number;
    if (this.lastCollectedUt === 0) {
      this.lastCollectedUt = nowUt;
      this.#alignLastCollected();
      lastCollectUt = this.lastCollectedUt - ueUt;
      storeThisEntry = false;
      firstEntry = true;
    } else {
      lastCollectUt = this.lastCollectedUt;
      this.lastCollectedUt += this.usecSinceLastUpdate;
    }

    if (this.lastUpdatedUt === 0) {
      this.#initLastUpdated();
      storeThisEntry = false;
      firstEntry = true;
    }

    if (
      Math.abs(this.lastCollectedUt - this.lastUpdatedUt) > this.entries * ueUt
    ) {
      this.reset();
      this.#initLastUpdated();
      this.usecSinceLastUpdate = ueUt;
      storeThisEntry = false;
      firstEntry = true;
    }

    const nowCollectUt = this.lastCollectedUt;
    const lastStoredUt = this.lastUpdatedUt;
    const nextStoreUt = (Math.floor(this.lastUpdatedUt / USEC_PER_SEC) + ue) *
      USEC_PER_SEC;

    if (this.counterDone === 0) {
      if (this.storeFirst) {
        storeThisEntry = true;
        lastCollectUt = nextStoreUt - ueUt;
      } else {
        storeThisEntry = false;
      }
    }
    this.counterDone++;

    const dims = this.dimensions;
    let hasReset = false;
    let collectedTotal = 0;
    let lastCollectedTotal = 0;
    for (let i = 0; i < dims.length; i++) {
      const d = dims[i];
      if (!d.updated) continue;
      if (
        d.algorithm === "percentage-of-incremental-row" &&
        d.lastCollectedValue > d.collectedValue
      ) {
        if (!d.dontDetectResets) hasReset = true;
        d.lastCollectedValue = d.collectedValue;
      }
      lastCollectedTotal += d.lastCollectedValue;
      collectedTotal += d.collectedValue;
      d.obsolete = false;
    }

    for (let i = 0; i < dims.length; i++) {
      const d = dims[i];
      if (!d.updated) {
        d.calculatedValue = 0;
        continue;
      }
      switch (d.algorithm) {
        case "absolute":
          d.calculatedValue = d.collectedValue * d.multiplier / d.divisor;
          break;
        case "percentage-of-absolute-row":
          d.calculatedValue = collectedTotal
            ? 100 * d.collectedValue / collectedTotal
            : 0;
          break;
        case "incremental": {
          if (d.collectionsCounter <= 1) {
            d.calculatedValue = 0;
            break;
          }
          const last = asUint64(d.lastCollectedValue);
          const now = asUint64(d.collectedValue);
          if (last > now) {
            if (!d.dontDetectResets) hasReset = true;
            const cap = asUint64(d.collectedValueMax) > CAP_32
              ? CAP_64
              : CAP_32;
            const delta = cap - last + now;
            const maxAcceptable = Math.floor(cap / 100) *
              MAX_INCREMENTAL_PERCENT_RATE;
            // A small delta past the cap is an overflow; anything else a reset.
            if (delta < maxAcceptable) {
              d.calculatedValue += delta * d.multiplier / d.divisor;
            }
          } else {
            d.calculatedValue += (d.collectedValue - d.lastCollectedValue) *
              d.multiplier / d.divisor;
          }
          break;
        }
        case "percentage-of-incremental-row":
          if (d.collectionsCounter <= 1) {
            d.calculatedValue = 0;
            break;
          }
          d.calculatedValue = collectedTotal === lastCollectedTotal
            ? 0
            : 100 * (d.collectedValue - d.lastCollectedValue) /
              (collectedTotal - lastCollectedTotal);
          break;
      }
    }

    const stored = this.#interpolate(
      ueUt,
      lastStoredUt,
      nextStoreUt,
      lastCollectUt,
      nowCollectUt,
      storeThisEntry,
      hasReset,
    );

    for (let i = 0; i < dims.length; i++) {
      const d = dims[i];
      if (!d.updated) continue;
      d.lastCollectedValue = d.collectedValue;
      if (d.algorithm === "incremental") {
        if (!firstEntry) d.lastCalculatedValue += d.calculatedValue;
      } else {
        d.lastCalculatedValue = d.calculatedValue;
      }
      d.calculatedValue = 0;
      d.collectedValue = 0;
      d.updated = false;
    }
    return stored;
  }

  #interpolate(
    ueUt: number,
    lastStoredUt: number,
    nextStoreUt: number,
    lastCollectUt: number,
    nowCollectUt: number,
    storeThisEntry: boolean,
    hasReset: boolean,
  ): number {
    const ue = this.updateEverySec;
    const dims = this.dimensions;
    let iterations = Math.floor((nowCollectUt - lastStoredUt) / ueUt);
    if (nowCollectUt % ueUt === 0) iterations++;
    let flags = hasReset ? SN_DEFAULT_FLAGS | SN_FLAG_RESET : SN_DEFAULT_FLAGS;
    let slots = 0;

    // A rate page recomputes a slot from the collection's delta when the
    // collection made that one slot, a whole one (lib/storage/slot_times.ts).
    const oneSlot = nextStoreUt <= nowCollectUt &&
      nowCollectUt < nextStoreUt + ueUt && nextStoreUt - lastStoredUt >= ueUt;
    let incremental = false;

    for (
      ;
      nextStoreUt <= nowCollectUt;
      lastCollectUt = nextStoreUt, nextStoreUt += ueUt, iterations--
    ) {
      const entry = this.currentEntry;
      for (let i = 0; i < dims.length; i++) {
        const d = dims[i];
        let value: number;
        let carried = NaN;
        if (d.algorithm === "incremental") {
          incremental = true;
          carried = d.lastCalculatedValue;
          value = d.calculatedValue * (nextStoreUt - lastCollectUt) /
            (nowCollectUt - lastCollectUt);
          d.calculatedValue -= value;
          value += d.lastCalculatedValue;
          d.lastCalculatedValue = 0;
          value /= ue;
          if (nextStoreUt - lastStoredUt < ueUt) {
            // A short collection point: extrapolate to a full slot.
            value = value * ueUt / (nextStoreUt - lastStoredUt);
          }
        } else if (iterations === 1) {
          value = d.calculatedValue;
        } else {
          // A missed update: interpolate between the last and this value.
          value = (d.calculatedValue - d.lastCalculatedValue) *
              (nextStoreUt - lastCollectUt) / (nowCollectUt - lastCollectUt) +
            d.lastCalculatedValue;
        }

        if (
          storeThisEntry && d.updated && d.collectionsCounter > 1 &&
          iterations < GAP_WHEN_LOST_ITERATIONS_ABOVE
        ) {
          d.ring.set(entry, packStorageNumber(value, flags), carried);
          d.lastStoredValue = value;
        } else {
          d.ring.set(entry, SN_EMPTY_SLOT);
          if (storeThisEntry) d.lastStoredValue = NaN;
        }
      }
      // after the rings: a rate page never outlives the times it was checked against
      if (incremental || this.times.used) {
        this.times.set(
          entry,
          oneSlot ? nowCollectUt - nextStoreUt : NOT_REPLAYABLE,
          lastCollectUt - (nextStoreUt - ueUt),
        );
      }
      flags = SN_DEFAULT_FLAGS;
      this.counter++;
      this.currentEntry = this.currentEntry + 1 >= this.entries
        ? 0
        : this.currentEntry + 1;
      this.lastUpdatedUt = nextStoreUt;
      lastStoredUt = nextStoreUt;
      slots++;
    }
    return slots;
  }
}

/** Where a host's data comes from. */
export interface HostInfo {
  hostname: string;
  machineGuid?: string;
  os?: string;
  timezone?: string;
}

/** A host label and where it came from. */
export interface HostLabel {
  value: string;
  /** netdata's RRDLABEL_SRC_* bits: 1 automatic, 2 configured, 8 ACLK... */
  source: number;
}

/** A host: the local one, or one that streams to us. */
export class Host {
  hostname: string;
  machineGuid: string;
  os: string;
  timezone: string;
  readonly isLocal: boolean;
  /** In netdata's order: first added first, kept across updates. */
  readonly labels = new Map<string, HostLabel>();
  /** netdata's host tags (a child's `tags=`, `[backend] host tags`); "" for none. */
  tags = "";
  /** The agent that collects it and its version ("" when unknown). */
  program = "";
  programVersion = "";
  readonly variables = new Map<string, number>();
  /** What a streaming child said of itself (NETDATA_* system info, tags). */
  readonly info = new Map<string, string>();
  readonly charts = new Map<string, Chart>();
  /** Set while a child streams this host; cleared when it goes away. */
  connected = false;
  /** Wall time (ms) the child disconnected; 0 while connected. */
  disconnectedAtMs = 0;
  orphan = false;

  constructor(info: HostInfo, isLocal: boolean) {
    this.hostname = info.hostname;
    this.machineGuid = info.machineGuid ?? crypto.randomUUID();
    this.os = info.os ?? "";
    this.timezone = info.timezone ?? "";
    this.isLocal = isLocal;
  }

  /** Called at every completion of every chart of this host, current and future. */
  #onChartComplete: ((chart: Chart) => void) | undefined;

  /** Sets (or clears) the completion hook of every chart, now and later. */
  observeCompletions(fn: ((chart: Chart) => void) | undefined): void {
    this.#onChartComplete = fn;
    for (const c of this.charts.values()) c.onComplete = fn;
  }

  /** Finds a chart by `type.id`. */
  chart(id: string): Chart | undefined {
    return this.charts.get(id);
  }

  /**
   * The chart `idOrName` by id, else by name (netdata's rrdset_find, then
   * rrdset_find_byname; the last chart of that name).
   */
  chartByIdOrName(idOrName: string): Chart | undefined {
    let chart = this.charts.get(idOrName);
    if (!chart) {
      for (const c of this.charts.values()) if (c.name === idOrName) chart = c;
    }
    return chart;
  }

  /** Adds a chart or returns the existing one (definition updated). */
  addChart(def: ChartDefinition): Chart {
    const existing = this.charts.get(def.id);
    if (existing) {
      if (existing.updateEverySec === def.updateEverySec) {
        if (def.name) existing.name = def.name;
        if (def.title !== undefined) existing.title = def.title;
        if (def.units !== undefined) existing.units = def.units;
        if (def.family) existing.family = def.family;
        if (def.context) existing.context = def.context;
        if (def.chartType) existing.chartType = def.chartType;
        if (def.priority !== undefined) existing.priority = def.priority;
        if (def.detail !== undefined) existing.detail = def.detail;
        return existing;
      }
      // A new update every changes the slot grid: start the chart over,
      // keeping its dimensions' definitions.
      const chart = new Chart(def);
      for (const d of existing.dimensions) {
        const nd = chart.addDimension(d.id, d);
        nd.hidden = d.hidden;
        nd.dontDetectResets = d.dontDetectResets;
      }
      chart.onComplete = this.#onChartComplete;
      this.charts.set(def.id, chart);
      return chart;
    }
    const chart = new Chart(def);
    chart.onComplete = this.#onChartComplete;
    this.charts.set(def.id, chart);
    return chart;
  }

  /** Number of dimensions over all charts. */
  dimensionCount(): number {
    let n = 0;
    for (const c of this.charts.values()) n += c.dimensions.length;
    return n;
  }
}

/** All hosts. The exporter iterates them all. */
export class Database {
  readonly localhost: Host;
  readonly #hosts = new Map<string, Host>();

  constructor(local: HostInfo) {
    this.localhost = new Host(local, true);
    this.#hosts.set(this.localhost.machineGuid, this.localhost);
  }

  /** Every host, the local one first. */
  hosts(): IterableIterator<Host> {
    return this.#hosts.values();
  }

  /** Finds a host by machine GUID. */
  host(machineGuid: string): Host | undefined {
    return this.#hosts.get(machineGuid);
  }

  /** Finds a host by name. */
  hostByName(hostname: string): Host | undefined {
    for (const h of this.#hosts.values()) if (h.hostname === hostname) return h;
    return undefined;
  }

  /** Finds or creates a remote host keyed by its machine GUID. */
  addHost(info: HostInfo & { machineGuid: string }): Host {
    let h = this.#hosts.get(info.machineGuid);
    if (!h) {
      h = new Host(info, false);
      this.#hosts.set(info.machineGuid, h);
    } else {
      h.hostname = info.hostname;
      if (info.os) h.os = info.os;
      if (info.timezone) h.timezone = info.timezone;
    }
    return h;
  }

  /**
   * Forgets a received host and all its data (netdata's rrdhost_free of an
   * orphan); a later `addHost` with its GUID makes a new one. The local host
   * is never removed. Returns whether a host was removed.
   */
  removeHost(machineGuid: string): boolean {
    const h = this.#hosts.get(machineGuid);
    if (!h || h.isLocal) return false;
    h.observeCompletions(undefined);
    // its pages back to the slabs and the arena (shared by every ring:
    // a ring no longer referenced does not give them back)
    for (const c of h.charts.values()) {
      for (const d of c.dimensions) d.ring.clear();
      c.times.clear();
    }
    return this.#hosts.delete(machineGuid);
  }

  /** Number of hosts. */
  get size(): number {
    return this.#hosts.size;
  }
}
