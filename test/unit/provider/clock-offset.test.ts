import { describe, expect, it } from "vitest";
import { CLOCK_OFFSET_VARIABLE, offsetClock } from "../../../provider/clock-offset";
import type { RetryClock } from "../../../provider/retry";

const base: RetryClock = { now: () => 1_000_000, sleep: async () => undefined, random: () => 0.5 };

describe("the providers' clock offset (a test setting)", () => {
  it("moves now() forward by the variable's seconds, read at every call", () => {
    const env: NodeJS.ProcessEnv = {};
    const clock = offsetClock(base, env);
    expect(clock.now(), "unset: the clock itself").toBe(1_000_000);
    env[CLOCK_OFFSET_VARIABLE] = "30";
    expect(clock.now(), "set after the clock was made").toBe(1_030_000);
    env[CLOCK_OFFSET_VARIABLE] = "";
    expect(clock.now()).toBe(1_000_000);
    expect(clock.random()).toBe(0.5);
  });

  it("refuses a backward, huge or unreadable offset, naming the variable", () => {
    for (const raw of ["-1", "86401", "soon"]) {
      const clock = offsetClock(base, { [CLOCK_OFFSET_VARIABLE]: raw });
      expect(() => clock.now(), raw).toThrow(
        `${CLOCK_OFFSET_VARIABLE} must be a number of seconds from 0 to 86400 (a test setting that moves the providers' clock forward), got '${raw}'. Unset it outside tests.`,
      );
    }
  });
});
