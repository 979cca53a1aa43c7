/**
 * The one source of time in skiff. Everything that waits goes through a
 * {@link Clock}, so tests drive loops with a {@link ManualClock} instead of
 * sleeping.
 *
 * @module
 */

/** A source of wall-clock time and of timed waits. */
export interface Clock {
  /** Milliseconds since the Unix epoch (may be fractional). */
  nowMs(): number;
  /**
   * Resolves once `nowMs() >= deadlineMs`, or rejects with the signal's
   * reason when `signal` aborts first.
   */
  sleepUntil(deadlineMs: number, signal?: AbortSignal): Promise<void>;
}

/** The real clock: `Date.now()` and timers. */
export const realClock: Clock = {
  nowMs(): number {
    return Date.now();
  },
  sleepUntil(deadlineMs: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const timer = setTimeout(() => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      }, Math.max(0, deadlineMs - Date.now()));
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal!.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  },
};

/** Sleeps `ms` milliseconds on `clock`. */
export function sleep(
  clock: Clock,
  ms: number,
  signal?: AbortSignal,
): Promise<void> {
  return clock.sleepUntil(clock.nowMs() + ms, signal);
}

/**
 * The next multiple of `stepMs` strictly after `nowMs`, plus `offsetMs`:
 * the tick times of a heartbeat, as netdata's heartbeat aligns its threads.
 */
export function nextAlignedTick(
  nowMs: number,
  stepMs: number,
  offsetMs = 0,
): number {
  const base = nowMs - offsetMs;
  return base - (base % stepMs) + stepMs + offsetMs;
}

/**
 * Ticks on multiples of `stepMs` (plus `offsetMs`) until `signal` aborts.
 * Yields the tick time it woke for; a tick missed because the consumer was
 * slow is skipped, never queued, so a slow cycle cannot cause a burst.
 */
export async function* heartbeat(
  clock: Clock,
  stepMs: number,
  options: { signal?: AbortSignal; offsetMs?: number } = {},
): AsyncGenerator<number> {
  const { signal, offsetMs = 0 } = options;
  while (!signal?.aborted) {
    const tick = nextAlignedTick(clock.nowMs(), stepMs, offsetMs);
    try {
      await clock.sleepUntil(tick, signal);
    } catch {
      return;
    }
    yield tick;
  }
}

interface Sleeper {
  deadlineMs: number;
  resolve: () => void;
  reject: (reason: unknown) => void;
}

/** A clock that moves only when a test says so. */
export class ManualClock implements Clock {
  #nowMs: number;
  #sleepers: Sleeper[] = [];

  constructor(startMs = 1_700_000_000_000) {
    this.#nowMs = startMs;
  }

  nowMs(): number {
    return this.#nowMs;
  }

  /** How many waits are pending: lets a test know a loop is parked. */
  get pendingSleepers(): number {
    return this.#sleepers.length;
  }

  sleepUntil(deadlineMs: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (deadlineMs <= this.#nowMs) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        this.#sleepers = this.#sleepers.filter((s) => s !== sleeper);
        reject(signal!.reason);
      };
      // Woken: the listener goes, as realClock's does, or a long-lived
      // signal would keep one per sleep.
      const wake = () => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      };
      const sleeper: Sleeper = { deadlineMs, resolve: wake, reject };
      this.#sleepers.push(sleeper);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /**
   * Moves time to `targetMs`, waking sleepers in deadline order; after each
   * wake-up it lets pending promise jobs run so the woken code can schedule
   * its next wait before time moves on.
   */
  async advanceTo(targetMs: number): Promise<void> {
    for (;;) {
      this.#sleepers.sort((a, b) => a.deadlineMs - b.deadlineMs);
      const next = this.#sleepers[0];
      if (!next || next.deadlineMs > targetMs) break;
      this.#sleepers.shift();
      this.#nowMs = Math.max(this.#nowMs, next.deadlineMs);
      next.resolve();
      await flushMicrotasks();
    }
    this.#nowMs = Math.max(this.#nowMs, targetMs);
    await flushMicrotasks();
  }

  /** Moves time forward by `ms`. */
  advance(ms: number): Promise<void> {
    return this.advanceTo(this.#nowMs + ms);
  }
}

/** Lets queued promise reactions run (a macrotask boundary). */
export function flushMicrotasks(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** A timeout, as an error. */
export class TimeoutError extends Error {}

/** Races `p` against `timeoutMs` on `clock`; on timeout calls `onTimeout`. */
export async function withTimeout<T>(
  p: Promise<T>,
  timeoutMs: number,
  clock: Clock,
  what: string,
): Promise<T> {
  p.catch(() => {}); // a loser's rejection is not an unhandled one
  const ac = new AbortController();
  const timer = clock.sleepUntil(clock.nowMs() + timeoutMs, ac.signal).then(
    () => {
      throw new TimeoutError(`${what} timed out after ${timeoutMs} ms`);
    },
    () => undefined as never,
  );
  try {
    return await Promise.race([p, timer]);
  } finally {
    ac.abort();
  }
}
