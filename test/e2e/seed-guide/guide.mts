/**
 * The vendors' guide "Mesa" (https://docs.superserve.ai/storage/mesa.md, also
 * https://docs.mesa.dev/content/integration-guides/superserve), its TypeScript script as written.
 * Swapped for the local backends: the credentials (`MESA_API_KEY`, `SUPERSERVE_API_KEY`), the
 * endpoints (Mesa's `apiUrl` from `MESA_API_URL`; Superserve's `SUPERSERVE_BASE_URL`, read by its
 * SDK, with the data plane routed by ./local-endpoints.mts) and the org (`MESA_ORG` for the
 * guide's `my-org`). Changed: `Sandbox.create` gets a `name`, which the guide omits but
 * `@superserve/sdk` 0.8.1's types and the service's spec require; the agent's step is an edit in
 * the mount instead of `claude …`. Added: a line printed after each step saying what it did.
 * Every difference from the guide's text is listed in the README ("The vendors' guide runs as
 * written").
 *
 * Run: tsx --import ./local-endpoints.mts guide.mts (see test/e2e/seed-guide.test.ts).
 */
import { Sandbox } from "@superserve/sdk";
import { Mesa } from "@mesadev/sdk";
import { report } from "./report.mjs";

const org = process.env.MESA_ORG!;
const mesa = new Mesa({ apiKey: process.env.MESA_API_KEY, apiUrl: process.env.MESA_API_URL });

// --- Outside the sandbox: set up Mesa resources ---

// Create a repo (or use an existing one)
const repo = await mesa.repos.create({ name: "agent-workspace" });
report("repos.create", `created ${org}/${repo.name}`);

// Sign a scoped, self-expiring access token for the sandbox. Signed locally
// from your API key with no network call — your API key never enters the sandbox.
const { token } = await mesa.tokens.create({
  scopes: ["read", "write"],
  repos: [`${org}/agent-workspace`],
  ttl_seconds: 3600, // 1 hour
});
report(
  "tokens.create",
  `signed a read/write token for ${org}/agent-workspace (${token.length} chars)`,
);

// --- Inside the sandbox: install and mount Mesa ---

const sandbox = await Sandbox.create({ name: "mesa-agent", fromTemplate: "superserve/base" });
report("Sandbox.create", `sandbox ${sandbox.id} from superserve/base`);

// Install the Mesa CLI (the installer apt-installs fuse3 as a dependency)
const install = await sandbox.commands.run(
  "curl -fsSL https://mesa.dev/install.sh | sh -s -- --yes",
);
report("install", install);

// Mount every repo the token can reach, in the background
const mount = await sandbox.commands.run("mesa mount -d", {
  env: { MESA_ORG: org, MESA_API_KEY: token },
});
report("mesa mount -d", mount);

// --- Run your agent in the mount path; edits persist back to Mesa ---

const agent = await sandbox.commands.run(
  `cd ~/.local/share/mesa/mnt/${org}/agent-workspace && echo "written by the agent" > AGENT_NOTES.md && pwd`,
);
report("agent", agent);
