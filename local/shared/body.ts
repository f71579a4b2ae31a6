import type { IncomingMessage } from "node:http";

/** Why a request body could not be read; each backend maps this to its own error envelope. */
export class RequestBodyError extends Error {
  constructor(
    /** 413 when the body exceeds the limit, 400 when it is not valid JSON. */
    readonly status: 400 | 413,
    /** `too_large` or `invalid_json`. */
    readonly reason: "too_large" | "invalid_json",
    message: string,
  ) {
    super(message);
    this.name = "RequestBodyError";
  }
}

/**
 * Reads the whole request body, refusing more than `limitBytes`.
 *
 * A declared `Content-Length` over the limit fails before any byte is read; a streamed body
 * fails as soon as it crosses the limit. Throws {@link RequestBodyError} with status 413.
 */
export async function readBody(req: IncomingMessage, limitBytes: number): Promise<Buffer> {
  const tooLarge = () =>
    new RequestBodyError(
      413,
      "too_large",
      `request body is larger than the ${limitBytes}-byte limit; send a smaller body`,
    );
  const declared = Number(req.headers["content-length"] ?? "0");
  if (declared > limitBytes) {
    req.resume();
    throw tooLarge();
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > limitBytes) {
      req.resume();
      throw tooLarge();
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

/**
 * Reads and parses a JSON body (an empty body is `undefined`), refusing more than `limitBytes`.
 * Throws {@link RequestBodyError}: 413 when too large, 400 when the bytes are not JSON.
 */
export async function readJsonBody(req: IncomingMessage, limitBytes: number): Promise<unknown> {
  const raw = await readBody(req, limitBytes);
  if (raw.length === 0) return undefined;
  try {
    return JSON.parse(raw.toString("utf8")) as unknown;
  } catch (err) {
    throw new RequestBodyError(
      400,
      "invalid_json",
      `request body is not valid JSON (${(err as Error).message}); send a JSON object`,
    );
  }
}
