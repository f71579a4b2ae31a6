import { Readable } from "node:stream";
import type { IncomingMessage } from "node:http";
import { describe, expect, it } from "vitest";
import { readJsonBody, RequestBodyError } from "../../../local/shared/body";

const request = (body: string, headers: Record<string, string> = {}) =>
  Object.assign(Readable.from([Buffer.from(body)]), { headers }) as unknown as IncomingMessage;

describe("readJsonBody", () => {
  it("parses JSON within the limit and treats an empty body as undefined", async () => {
    expect(await readJsonBody(request('{"a":1}'), 100)).toEqual({ a: 1 });
    expect(await readJsonBody(request(""), 100)).toBeUndefined();
  });

  it("answers 413 for a streamed body over the limit and for a declared oversize length", async () => {
    await expect(readJsonBody(request("x".repeat(101)), 100)).rejects.toMatchObject({
      status: 413,
    });
    await expect(
      readJsonBody(request("{}", { "content-length": "5000" }), 100),
    ).rejects.toMatchObject({
      status: 413,
      reason: "too_large",
    });
  });

  it("answers 400 for bytes that are not JSON", async () => {
    const err = await readJsonBody(request("{nope"), 100).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RequestBodyError);
    expect(err).toMatchObject({ status: 400, reason: "invalid_json" });
  });
});
