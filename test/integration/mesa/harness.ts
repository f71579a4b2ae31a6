import type { Mesa, MesaApiError } from "@mesadev/sdk" with { "resolution-mode": "import" };
import { startLocalMesa, type LocalMesa, type LocalMesaOptions } from "../../../local/mesa";

export type { Mesa, MesaApiError };

/** A running local Mesa plus an SDK client authenticated with its admin key. */
export interface Harness {
  mesa: LocalMesa;
  client: Mesa;
  /** A client for another credential (API key or access token). */
  clientFor(apiKey: string): Mesa;
}

/** Starts a local Mesa on port 0 with a temp data dir (or `opts.dataDir`). */
export async function startHarness(opts: LocalMesaOptions = {}): Promise<Harness> {
  const { Mesa } = await import("@mesadev/sdk");
  const mesa = await startLocalMesa({ port: 0, ...opts });
  const clientFor = (apiKey: string) => new Mesa({ apiKey, apiUrl: mesa.url, org: mesa.org });
  return { mesa, client: clientFor(mesa.apiKey), clientFor };
}

export { uniqueName } from "../../helpers/names";

/** base64 of a UTF-8 string. */
export const b64 = (text: string) => Buffer.from(text, "utf8").toString("base64");

/** The author every test change uses. */
export const AUTHOR = { name: "Test", email: "test@example.com" };

/** Awaits `promise`, which must reject with a MesaApiError; returns it. */
export async function apiError(promise: Promise<unknown>): Promise<MesaApiError> {
  try {
    await promise;
  } catch (err) {
    if ((err as Error).name === "MesaApiError") return err as MesaApiError;
    throw err;
  }
  throw new Error("expected the call to fail with a MesaApiError, but it succeeded");
}

/** The base64 `content` of a content.get answer, failing when it is not a file. */
export function fileContent(answer: { type: string }): string {
  if (answer.type !== "file") throw new Error(`expected a file, got a ${answer.type}`);
  return (answer as unknown as { content: string }).content;
}
