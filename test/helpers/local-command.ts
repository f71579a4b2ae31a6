/**
 * The local backends as a user runs them: the `pulumi-superserve-mesa-local` command
 * (`local/dist/cli.js`, built by `npm run build`) with a data directory of its own, binding free
 * ports at every start (port 0) that the test reads back from what `start --json` prints, in an
 * environment without credentials.
 */
import type { Mesa } from "@mesadev/sdk" with { "resolution-mode": "import" };
import { execFile, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { routeDataPlaneTo } from "../../provider/data-plane";
import type { LocalEndpoints } from "../../provider/local-endpoints";
import { withoutCredentials } from "./credentials";
import { repoRoot } from "./pulumi";

/** The variables that choose the local backends' data directory and ports. */
const LOCAL_VARIABLES = ["PSM_LOCAL_DIR", "PSM_MESA_PORT", "PSM_SUPERSERVE_PORT"];

/** The local backends' command as `npm run build` leaves it. */
const CLI = join(repoRoot, "local", "dist", "cli.js");

/** This process's environment without credentials or local-backend settings: what a user's shell would have. */
const cleanEnv = () => withoutCredentials(process.env, LOCAL_VARIABLES);

/**
 * Runs the local backends' command once with `args`, as a user does, and waits for it (for tests
 * of the command itself; {@link localCommand} runs backends for a whole test file).
 *
 * @example
 * const r = runLocalCommand("status", "--json", "--data-dir", dir);
 */
export function runLocalCommand(...args: string[]): {
  code: number | null;
  stdout: string;
  stderr: string;
} {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    encoding: "utf8",
    env: cleanEnv(),
    timeout: 90_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Local backends run by their command, from {@link localCommand}. */
export interface LocalCommand {
  /** Their data directory (`--data-dir`; `PSM_LOCAL_DIR` for the providers that look for them). */
  dir: string;
  /** What the last `start` printed: the endpoints (new ports at every start), keys and org. */
  readonly endpoints: LocalEndpoints;
  /** A Mesa SDK client for the running local Mesa (admin key, local org). */
  readonly mesaClient: Mesa;
  /** The Superserve SDK's connection options. */
  conn(): { apiKey: string; baseUrl: string };
  /** This process's environment without credentials or local-backend settings: what a user's shell would have. */
  cleanEnv(): NodeJS.ProcessEnv;
  /** `start` on port 0; then the data plane of this process is routed to the new Superserve. */
  start(): Promise<void>;
  /** `stop` (sandboxes frozen for the next start), or `stop --all` (sandboxes ended). */
  stop(opts?: { all?: boolean }): Promise<void>;
  /** `stop --all` and remove the data directory. */
  close(): Promise<void>;
}

/**
 * The command of the local backends for one test file, not started yet.
 *
 * @example
 * const local = localCommand("psm-repair-");
 * await local.start();
 * const sandboxes = await Sandbox.list(local.conn());
 */
export function localCommand(prefix: string): LocalCommand {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const run = async (...args: string[]) =>
    (
      await promisify(execFile)(process.execPath, [CLI, ...args, "--data-dir", dir], {
        env: cleanEnv(),
        timeout: 180_000,
      })
    ).stdout;
  let endpoints: LocalEndpoints | undefined;
  let mesaClient: Mesa | undefined;
  const started = () => {
    if (!endpoints) throw new Error(`the local backends in ${dir} were not started by this test`);
    return endpoints;
  };
  return {
    dir,
    get endpoints() {
      return started();
    },
    get mesaClient() {
      started();
      return mesaClient!;
    },
    conn: () => ({ apiKey: started().superserve.apiKey, baseUrl: started().superserve.url }),
    cleanEnv,
    async start() {
      const printed = JSON.parse(
        await run("start", "--mesa-port", "0", "--superserve-port", "0", "--json"),
      ) as LocalEndpoints & { running: boolean };
      if (!printed.running) throw new Error(`the local backends in ${dir} did not start`);
      endpoints = printed;
      // This process reads the sandboxes' state back with the SDK, as a user's scripts do.
      routeDataPlaneTo(printed.superserve.url);
      const { Mesa: MesaClient } = await import("@mesadev/sdk");
      mesaClient = new MesaClient({
        apiKey: printed.mesa.apiKey,
        apiUrl: printed.mesa.url,
        org: printed.mesa.org,
      });
    },
    async stop({ all = false } = {}) {
      await run("stop", ...(all ? ["--all"] : []));
    },
    async close() {
      try {
        await run("stop", "--all");
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
