import { describe, expect, it } from "vitest";
import {
  classifyFailure,
  RetryDeadlineError,
  withRetry,
  type RetryClock,
} from "../../../provider/retry";

/** A clock that advances only when the code under test sleeps. */
function fakeClock(random = 0.5): RetryClock & { sleeps: number[] } {
  let now = 1_000_000;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    random: () => random,
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
    },
  };
}

const httpError = (status: number, headers: Record<string, string> = {}) =>
  Object.assign(new Error(`HTTP ${status}`), { status, headers: new Headers(headers) });

function failingThen<T>(errors: Error[], value: T) {
  let calls = 0;
  const op = async () => {
    const err = errors[calls++];
    if (err) throw err;
    return value;
  };
  return { op, calls: () => calls };
}

describe("retry policy", () => {
  const policy = (clock: RetryClock, seconds = 60) => ({
    baseDelayMs: 100,
    maxDelayMs: 5_000,
    deadline: clock.now() + seconds * 1000,
  });

  it("retries 5xx with exponential backoff and full jitter, then returns the result", async () => {
    const clock = fakeClock(0.5);
    const { op, calls } = failingThen([httpError(500), httpError(503), httpError(502)], "ok");
    await expect(withRetry(op, { operation: "op", policy: policy(clock), clock })).resolves.toBe(
      "ok",
    );
    expect(calls(), "three failures then a success = 4 attempts").toBe(4);
    expect(clock.sleeps, "waits are random() * base * 2^n").toEqual([50, 100, 200]);
  });

  it("honours Retry-After on 429 instead of the backoff", async () => {
    const clock = fakeClock();
    const { op } = failingThen([httpError(429, { "retry-after": "3" })], "ok");
    await withRetry(op, { operation: "op", policy: policy(clock), clock });
    expect(clock.sleeps).toEqual([3000]);
  });

  it("fails at once on a permanent 4xx", async () => {
    const clock = fakeClock();
    const { op, calls } = failingThen([httpError(404), httpError(500)], "ok");
    await expect(
      withRetry(op, { operation: "op", policy: policy(clock), clock }),
    ).rejects.toMatchObject({ status: 404 });
    expect(calls(), "a 404 must not be retried").toBe(1);
    expect(clock.sleeps).toEqual([]);
  });

  it("gives up at the deadline with the operation and the last error in the message", async () => {
    const clock = fakeClock(1);
    const op = async () => {
      throw httpError(503);
    };
    const err = await withRetry(op, {
      operation: "create Mesa repo acme/x",
      policy: policy(clock, 2),
      clock,
    }).catch((e) => e);
    expect(err).toBeInstanceOf(RetryDeadlineError);
    expect(err.message).toContain("create Mesa repo acme/x");
    expect(err.message).toContain("HTTP 503");
    expect(clock.now(), "no wait may cross the deadline").toBeLessThan(1_000_000 + 2000);
  });

  it("caps backoff steps at maxDelayMs", async () => {
    const clock = fakeClock(0.999);
    const errors = Array.from({ length: 8 }, () => httpError(500));
    const { op } = failingThen(errors, "ok");
    await withRetry(op, {
      operation: "op",
      policy: { baseDelayMs: 100, maxDelayMs: 1000, deadline: clock.now() + 600_000 },
      clock,
    });
    expect(Math.max(...clock.sleeps)).toBeLessThanOrEqual(1000);
  });

  it.each([
    ["Mesa 429", httpError(429), true],
    ["Mesa 500", httpError(500), true],
    ["Mesa 400", httpError(400), false],
    ["Mesa 409", httpError(409), false],
    ["Superserve ServerError 503", Object.assign(new Error("x"), { statusCode: 503 }), true],
    ["Superserve ValidationError", Object.assign(new Error("x"), { statusCode: 400 }), false],
    ["Superserve network error", new Error("Network error: fetch failed"), true],
    [
      "Superserve timeout",
      Object.assign(new Error("Request timed out after 30000ms"), { name: "TimeoutError" }),
      true,
    ],
    [
      "fetch failed with ECONNRESET cause",
      Object.assign(new TypeError("fetch failed"), {
        cause: Object.assign(new Error("reset"), { code: "ECONNRESET" }),
      }),
      true,
    ],
    [
      "Mesa org resolution wrapping a 503",
      Object.assign(new Error("Unable to resolve"), { cause: httpError(503) }),
      true,
    ],
    ["plain programming error", new TypeError("x is not a function"), false],
  ])("classifies %s", (_what, err, transient) => {
    expect(classifyFailure(err).transient).toBe(transient);
  });
});
