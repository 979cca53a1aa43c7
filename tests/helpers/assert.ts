/**
 * Assertions for the tests, on node:assert (JSR's @std/assert cannot be
 * fetched from the build machines). Thin names over node's functions.
 *
 * @module
 */
import nodeAssert from "node:assert/strict";

/** Asserts a value is truthy. */
export function assert(value: unknown, message?: string): asserts value {
  nodeAssert.ok(value, message);
}

/** Deep strict equality. */
export function assertEquals<T>(
  actual: T,
  expected: T,
  message?: string,
): void {
  nodeAssert.deepStrictEqual(actual, expected, message);
}

/** Numbers within `epsilon`. */
export function assertAlmostEquals(
  actual: number,
  expected: number,
  epsilon = 1e-7,
  message?: string,
): void {
  nodeAssert.ok(
    Math.abs(actual - expected) <= epsilon,
    message ?? `expected ${actual} to be within ${epsilon} of ${expected}`,
  );
}

/** The string contains `part`. */
export function assertStringIncludes(
  actual: string,
  part: string,
  message?: string,
): void {
  nodeAssert.ok(
    actual.includes(part),
    message ??
      `expected ${JSON.stringify(actual)} to include ${JSON.stringify(part)}`,
  );
}

/** The string matches `re`. */
export function assertMatch(
  actual: string,
  re: RegExp,
  message?: string,
): void {
  nodeAssert.match(actual, re, message);
}

/** `fn` throws; returns the error. */
export function assertThrows(fn: () => unknown, matcher?: RegExp): Error {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  nodeAssert.ok(caught instanceof Error, "expected a throw");
  if (matcher) nodeAssert.match((caught as Error).message, matcher);
  return caught as Error;
}

/** `fn` rejects; returns the error. */
export async function assertRejects(
  fn: () => Promise<unknown>,
  matcher?: RegExp,
): Promise<Error> {
  let caught: unknown;
  try {
    await fn();
  } catch (err) {
    caught = err;
  }
  nodeAssert.ok(caught instanceof Error, "expected a rejection");
  if (matcher) nodeAssert.match((caught as Error).message, matcher);
  return caught as Error;
}
