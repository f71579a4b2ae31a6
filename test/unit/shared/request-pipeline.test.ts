import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FaultInjector } from "../../../local/shared/faults";
import { listenHttp, type HttpListener } from "../../../local/shared/http-server";
import { requestPipeline, type RoutedOperation } from "../../../local/shared/request-pipeline";

/** An error of the test emulator: its envelope is `{ problem: { status, message } }`. */
class TestError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

type Op = RoutedOperation & { id: string };

const OPERATIONS: Op[] = [
  { id: "list", method: "GET", path: "/things" },
  { id: "create", method: "POST", path: "/things", body: "json" },
  { id: "get", method: "GET", path: "/things/{id}" },
  { id: "fail", method: "DELETE", path: "/things/{id}" },
  { id: "stream", method: "GET", path: "/things/{id}/stream" },
];

describe("the shared request pipeline", () => {
  let server: HttpListener;
  const faults = new FaultInjector({
    envelope: (status, message) => ({ problem: { status, message } }),
    isAdmin: () => false,
  });

  beforeAll(async () => {
    const handler = requestPipeline<Op, string>({
      operations: OPERATIONS,
      faults,
      maxBodyBytes: 64,
      errors: {
        notFound: (method, path) => new TestError(404, `no route ${method} ${path}`),
        methodNotAllowed: (method, _path, allowed) =>
          new TestError(405, `${method}: use ${allowed.join("|")}`, { allow: allowed.join(", ") }),
        badBody: (err) => new TestError(err.status, `body: ${err.reason}`),
        toWire: (err) => {
          const e = err instanceof TestError ? err : new TestError(500, "internal");
          return {
            status: e.status,
            body: { problem: { message: e.message } },
            headers: e.headers,
          };
        },
      },
      authenticate: async (req) => {
        if (req.headers["x-key"] !== "k") throw new TestError(401, "no key");
        return "caller-1";
      },
      handle: async ({ operation, params, caller, body, res }) => {
        if (operation.id === "fail") throw new Error("boom");
        if (operation.id === "stream") {
          res.writeHead(200, { "content-type": "text/plain" });
          res.write("partial");
          throw new Error("broke mid-answer");
        }
        if (operation.id === "create") return { status: 201, body: { caller, body } };
        if (operation.id === "list") return { status: 204 };
        return { status: 200, raw: { contentType: "text/plain", data: Buffer.from(params.id) } };
      },
    });
    server = await listenHttp(handler, { host: "127.0.0.1", port: 0 });
  });
  afterAll(() => server.close());

  const call = async (method: string, path: string, init: RequestInit = {}) => {
    const res = await fetch(server.origin + path, {
      method,
      ...init,
      headers: { "x-key": "k", ...(init.headers as Record<string, string>) },
    });
    return { status: res.status, allow: res.headers.get("allow"), text: await res.text() };
  };

  it("routes, authenticates, parses the body and writes each kind of reply", async () => {
    expect(
      await call("POST", "/things", {
        body: '{"a":1}',
        headers: { "content-type": "application/json" },
      }),
    ).toMatchObject({ status: 201, text: '{"caller":"caller-1","body":{"a":1}}' });
    expect(await call("GET", "/things")).toMatchObject({ status: 204, text: "" });
    expect(await call("GET", "/things/a%2Fb")).toMatchObject({ status: 200, text: "a/b" });
  });

  it("answers an unknown path 404 and a known path's other method 405 with Allow, before auth", async () => {
    const headers = { "x-key": "wrong" };
    expect(await call("GET", "/nothing", { headers })).toMatchObject({
      status: 404,
      text: '{"problem":{"message":"no route GET /nothing"}}',
    });
    expect(await call("PUT", "/things/1", { headers })).toMatchObject({
      status: 405,
      allow: "GET, DELETE",
    });
  });

  it("authenticates before reading the body", async () => {
    const res = await call("POST", "/things", { body: "not json", headers: { "x-key": "no" } });
    expect(res).toMatchObject({ status: 401, text: '{"problem":{"message":"no key"}}' });
  });

  it("answers a body that is not JSON 400 and one over the limit 413, in the emulator's words", async () => {
    expect(await call("POST", "/things", { body: "{nope" })).toMatchObject({
      status: 400,
      text: '{"problem":{"message":"body: invalid_json"}}',
    });
    expect(
      await call("POST", "/things", { body: JSON.stringify({ a: "x".repeat(100) }) }),
    ).toMatchObject({
      status: 413,
      text: '{"problem":{"message":"body: too_large"}}',
    });
  });

  it("applies faults before routing, even on a path with no route", async () => {
    faults.add({ path: "^/nothing$", count: 1, status: 503 });
    const res = await call("GET", "/nothing");
    expect(res.status).toBe(503);
    expect(JSON.parse(res.text)).toMatchObject({ problem: { status: 503 } });
    expect((await call("GET", "/nothing")).status).toBe(404);
  });

  it("turns a handler's unknown error into the emulator's 500, and cuts an answer already started", async () => {
    expect(await call("DELETE", "/things/1")).toMatchObject({
      status: 500,
      text: '{"problem":{"message":"internal"}}',
    });
    await expect(call("GET", "/things/1/stream")).rejects.toThrow();
  });
});
