/**
 * The local backends in this process, as every test that needs both starts them: local Mesa and
 * local Superserve on port 0 with data directories of their own, Superserve's sandboxes reaching
 * that Mesa (and, when asked, carrying the bundled `mesa` CLI), the SDK's data-plane calls routed
 * to the local Superserve, and what a client needs to reach them.
 */
import type { Mesa } from "@mesadev/sdk" with { "resolution-mode": "import" };
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startLocalMesa, type LocalMesa, type LocalMesaOptions } from "../../local/mesa";
import { buildMesaCli } from "../../local/mesa-cli/bundle";
import {
  startLocalSuperserve,
  type LocalSuperserve,
  type LocalSuperserveOptions,
} from "../../local/superserve";
import { routeDataPlaneTo } from "../../provider/data-plane";
import { credentialVariables } from "./credentials";

/** Options of {@link startLocalBackends}. */
export interface LocalBackendsOptions {
  /** Bundle the `mesa` CLI onto the sandboxes' PATH (for sandboxes that mount). @default false */
  mesaCli?: boolean;
  /** Local Mesa options (port and data directory are the helper's). */
  mesa?: Omit<LocalMesaOptions, "port" | "dataDir">;
  /** Local Superserve options (port, data directory, tools and Mesa URL are the helper's). */
  superserve?: Omit<LocalSuperserveOptions, "port" | "dataDir" | "sandboxTools" | "mesaUrl">;
}

/** Running local backends, from {@link startLocalBackends}. */
export interface LocalBackends {
  /** The running local Mesa (a new one after a {@link LocalBackends.restart} with `mesa`). */
  readonly mesa: LocalMesa;
  /** The running local Superserve (a new one after a {@link LocalBackends.restart}). */
  readonly superserve: LocalSuperserve;
  /** A Mesa SDK client with the admin key, in the local org, for the running local Mesa. */
  readonly mesaClient: Mesa;
  /** The Superserve SDK's connection options (`{ apiKey, baseUrl }`). */
  conn(): { apiKey: string; baseUrl: string };
  /** The credential and endpoint variables for a provider process or the engine. */
  env(): Record<string, string>;
  /**
   * Stop the local Superserve (and local Mesa too, with `mesa`) and start them again on the same
   * data directories, as a restart of the backends does; `keepSandboxes` freezes the sandboxes'
   * processes for the new instance to take back (live restore), otherwise they end (the
   * sandboxes come back paused). The ports are new: read them from the running instances.
   */
  restart(opts?: { mesa?: boolean; keepSandboxes?: boolean }): Promise<void>;
  /** Stop both and remove their data directories. */
  close(): Promise<void>;
}

/**
 * Start local Mesa and local Superserve (needs root) for one test file.
 *
 * @example
 * const backends = await startLocalBackends({ mesaCli: true });
 * const sandbox = await Sandbox.create({ ...backends.conn(), name, fromTemplate });
 * afterAll(() => backends.close());
 */
export async function startLocalBackends(opts: LocalBackendsOptions = {}): Promise<LocalBackends> {
  const root = mkdtempSync(join(tmpdir(), "psm-backends-"));
  const tools = join(root, "tools");
  const { Mesa: MesaClient } = await import("@mesadev/sdk");
  const startMesa = () => startLocalMesa({ ...opts.mesa, port: 0, dataDir: join(root, "mesa") });
  const startSuperserve = async (mesaUrl: string) => {
    const started = await startLocalSuperserve({
      ...opts.superserve,
      port: 0,
      dataDir: join(root, "superserve"),
      mesaUrl,
      ...(opts.mesaCli && { sandboxTools: tools }),
    });
    routeDataPlaneTo(started.url);
    return started;
  };
  let mesa: LocalMesa | undefined;
  try {
    if (opts.mesaCli) await buildMesaCli(tools);
    mesa = await startMesa();
    let running = { mesa, superserve: await startSuperserve(mesa.url) };
    const clientOf = (m: LocalMesa) =>
      new MesaClient({ apiKey: m.apiKey, apiUrl: m.url, org: m.org });
    let mesaClient = clientOf(mesa);
    return {
      get mesa() {
        return running.mesa;
      },
      get superserve() {
        return running.superserve;
      },
      get mesaClient() {
        return mesaClient;
      },
      conn: () => ({ apiKey: running.superserve.apiKey, baseUrl: running.superserve.url }),
      env: () => credentialVariables(running),
      async restart({ mesa: withMesa = false, keepSandboxes = false } = {}) {
        await running.superserve.stop({ keepSandboxes });
        let nextMesa = running.mesa;
        if (withMesa) {
          await running.mesa.stop();
          nextMesa = await startMesa();
          mesaClient = clientOf(nextMesa);
        }
        running = { mesa: nextMesa, superserve: await startSuperserve(nextMesa.url) };
      },
      async close() {
        const stopped = await Promise.allSettled([running.superserve.stop(), running.mesa.stop()]);
        rmSync(root, { recursive: true, force: true });
        for (const result of stopped) if (result.status === "rejected") throw result.reason;
      },
    };
  } catch (error) {
    await mesa?.stop();
    rmSync(root, { recursive: true, force: true });
    throw error;
  }
}
