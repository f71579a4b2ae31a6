/**
 * What the scripts that act on a deployed stack share: the stack's outputs (from
 * `pulumi stack output --json` on stdin) and SDK clients built the way the providers build them
 * (credentials from the environment, else the local backends; the Superserve data plane routed to
 * the local backend when it is the one in use).
 */
import type { Mesa } from "@mesadev/sdk" with { "resolution-mode": "import" };
import { mesaClient, superserveConnection, superserveSdk } from "../provider/clients";
import { resolveMesaSettings, resolveSuperserveSettings } from "../provider/config";
import { routeDataPlane } from "../provider/data-plane";

/** The outputs of stacks/index.ts. */
export interface StackOutputs {
  repo: { org: string; name: string };
  sandboxes: {
    name: string;
    sandboxId: string;
    bookmark: string;
    mountPath: string;
    workspace?: { baseChangeId: string };
  }[];
  /** Sandbox name → its agent. */
  agents?: Record<string, { task: string; status: string }>;
  /** The agents' SandboxCommand ids, in sandbox order. */
  agentCommandIds?: string[];
}

export async function readStackOutputs(): Promise<StackOutputs> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString("utf8")) as StackOutputs;
}

export interface StackServices {
  mesa: Mesa;
  /** The Mesa REST base the providers use (undefined: the service's default). */
  mesaApiUrl?: string;
  superserve: {
    connection: { apiKey: string; baseUrl?: string };
    sdk: typeof import("@superserve/sdk");
  };
}

export async function stackServices(org: string): Promise<StackServices> {
  const inputs = { env: process.env, cwd: process.cwd() };
  const superserve = await resolveSuperserveSettings(inputs);
  routeDataPlane(superserve);
  const mesa = await resolveMesaSettings(inputs);
  return {
    mesa: await mesaClient(mesa, org),
    mesaApiUrl: mesa.apiUrl,
    superserve: { connection: superserveConnection(superserve), sdk: superserveSdk() },
  };
}

/** Run a script's main, turning a failure into one line on stderr and exit code 1. */
export function runScript(what: string, main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    console.error(`${what} failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}
