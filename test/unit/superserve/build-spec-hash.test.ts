import { describe, expect, it } from "vitest";
import { buildSpecHash } from "../../../local/superserve/templates/builder";
import { ManualClock } from "../../../local/superserve";

describe("buildSpecHash", () => {
  it("is equal for identical specs regardless of key order and differs otherwise", () => {
    const a = buildSpecHash({ from: "debian:12", steps: [{ run: "x" }], start_cmd: "s" });
    const b = buildSpecHash({ start_cmd: "s", steps: [{ run: "x" }], from: "debian:12" });
    expect(a, "key order must not matter").toBe(b);
    expect(
      buildSpecHash({ from: "debian:12", steps: [{ run: "y" }] }),
      "a different step changes the hash",
    ).not.toBe(a);
  });
});

describe("ManualClock", () => {
  it("fires due timers in order only when advanced", () => {
    const clock = new ManualClock(0);
    const fired: string[] = [];
    clock.setTimer(200, () => fired.push("b"));
    clock.setTimer(100, () => fired.push("a"));
    clock.setTimer(300, () => fired.push("never")).cancel();
    clock.advance(150);
    expect(fired).toEqual(["a"]);
    clock.advance(1000);
    expect(fired, "cancelled timers never fire").toEqual(["a", "b"]);
    expect(clock.now()).toBe(1150);
  });
});
