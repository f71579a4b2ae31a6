import { it } from "vitest";

/**
 * Steps of one end-to-end story that build on each other (an `up`, then the runs that need what it
 * made). A step whose predecessor failed does not run its body: it fails at once with a message
 * naming the step that broke, so one failure reads as one cause instead of a cascade.
 *
 * @example
 * const step = dependentSteps();
 * step("first up creates the stack", async () => { ... });
 * step("a second up changes nothing", async () => { ... }); // fails "after: first up ..." if it broke
 */
export function dependentSteps(): (
  name: string,
  body: () => Promise<void> | void,
  timeoutMs?: number,
) => void {
  let broken: string | undefined;
  return (name, body, timeoutMs) => {
    it(
      name,
      async () => {
        if (broken !== undefined)
          throw new Error(`not run: it depends on the earlier step "${broken}", which failed`);
        try {
          await body();
        } catch (error) {
          broken = name;
          throw error;
        }
      },
      timeoutMs,
    );
  };
}
