/**
 * A test setting: `PSM_CLOCK_OFFSET_SECONDS` moves the provider process's clock forward, so a test
 * can reach a token's renewal window through the real engine without waiting for it. It is read at
 * every call, so a test sets it for one run (the provider processes the engine starts inherit it).
 *
 * It can only make `up` act early, never late: the offset is forward only and at most a token's
 * longest lifetime; what it shifts is the time compared with absolute instants (a token's expiry),
 * while deadlines and retry delays, measured on the same clock, keep their lengths. Leave it unset
 * outside tests.
 */
import type { RetryClock } from "./retry";

/** The environment variable holding the offset, in seconds. */
export const CLOCK_OFFSET_VARIABLE = "PSM_CLOCK_OFFSET_SECONDS";
/** The largest offset accepted: the longest token lifetime Mesa signs (24 h). */
const MAX_OFFSET_SECONDS = 86_400;

/**
 * `clock`, moved forward by `env.PSM_CLOCK_OFFSET_SECONDS` (read at every `now()`).
 *
 * @example
 * // PSM_CLOCK_OFFSET_SECONDS=3300: a 1 h token signed now is due for renewal.
 * const clock = offsetClock(systemClock, process.env);
 */
export function offsetClock(clock: RetryClock, env: NodeJS.ProcessEnv): RetryClock {
  return {
    now: () => clock.now() + offsetMs(env),
    sleep: (ms) => clock.sleep(ms),
    random: () => clock.random(),
  };
}

function offsetMs(env: NodeJS.ProcessEnv): number {
  const raw = env[CLOCK_OFFSET_VARIABLE];
  if (raw === undefined || raw === "") return 0;
  const seconds = Number(raw);
  if (!Number.isFinite(seconds) || seconds < 0 || seconds > MAX_OFFSET_SECONDS)
    throw new Error(
      `${CLOCK_OFFSET_VARIABLE} must be a number of seconds from 0 to ${MAX_OFFSET_SECONDS} (a test setting that moves the providers' clock forward), got '${raw}'. Unset it outside tests.`,
    );
  return seconds * 1000;
}
