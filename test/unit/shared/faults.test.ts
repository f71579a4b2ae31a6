import { describe, expect, it } from "vitest";
import { FaultInjector, FaultSpecError, parseFaultSpec } from "../../../local/shared/faults";

const injector = () =>
  new FaultInjector({ envelope: (s, m) => ({ s, m }), isAdmin: () => true, newId: () => "f1" });

describe("parseFaultSpec", () => {
  it("accepts the documented shape and upper-cases the method", () => {
    expect(
      parseFaultSpec({ method: "get", path: "^/v1/", count: 2, status: 429, retryAfterSeconds: 3 }),
    ).toEqual({
      method: "GET",
      path: "^/v1/",
      count: 2,
      status: 429,
      retryAfterSeconds: 3,
    });
  });

  it.each([
    [{ status: 500 }, /count/],
    [{ count: 1, status: 404 }, /status/],
    [{ count: 1 }, /at least one/],
    [{ count: 1, path: "(" }, /path/],
    [{ count: 1, drop: true, status: 500 }, /exclude/],
    [{ count: 1, status: 500, colour: 1 }, /colour/],
  ])("rejects %j naming the field", (body, message) => {
    expect(() => parseFaultSpec(body)).toThrow(FaultSpecError);
    expect(() => parseFaultSpec(body)).toThrow(message);
  });
});

describe("FaultInjector.take", () => {
  it("applies a fault to exactly `count` matching requests, oldest first", () => {
    const f = injector();
    f.add({ method: "GET", path: "/repos$", count: 2, status: 503 });
    expect(f.take("POST", "/v1/acme/repos")).toBeUndefined();
    expect(f.take("GET", "/v1/acme/x")).toBeUndefined();
    expect(f.take("GET", "/v1/acme/repos")?.status).toBe(503);
    expect(f.take("get", "/v1/acme/repos")?.status).toBe(503);
    expect(f.take("GET", "/v1/acme/repos")).toBeUndefined();
  });

  it("clear removes every armed fault", () => {
    const f = injector();
    f.add({ count: 5, status: 500 });
    expect(f.clear()).toBe(1);
    expect(f.take("GET", "/")).toBeUndefined();
  });
});
