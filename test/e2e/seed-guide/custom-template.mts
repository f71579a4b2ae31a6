/**
 * The vendors' guide "Mesa" (https://docs.superserve.ai/storage/mesa.md), its custom template:
 * a template from `ubuntu:24.04` with an apt step and the Mesa installer step, whose sandboxes
 * start with `mesa` on the PATH and mount without an install. Then the guide's flow (./guide.mts)
 * on a sandbox from it, the install step left out. Swapped for the local backends as in
 * ./guide.mts; its own repo, so that it runs after ./guide.mts on the same backends.
 *
 * Run: tsx --import ./local-endpoints.mts custom-template.mts (see test/e2e/seed-guide.test.ts).
 */
import { Sandbox, Template } from "@superserve/sdk";
import { Mesa } from "@mesadev/sdk";
import { report } from "./report.mjs";

const org = process.env.MESA_ORG!;
const mesa = new Mesa({ apiKey: process.env.MESA_API_KEY, apiUrl: process.env.MESA_API_URL });

// --- Bake the Mesa CLI into a template ---

const template = await Template.create({
  name: "mesa-agent",
  from: "ubuntu:24.04",
  steps: [
    { run: "apt-get update && apt-get install -y curl ca-certificates" },
    { run: "curl -fsSL https://mesa.dev/install.sh | sh -s -- --yes" },
  ],
});
const built = await template.waitUntilReady();
report("Template.create", `template ${built.name} ${built.status} from ubuntu:24.04`);

// --- Outside the sandbox: set up Mesa resources ---

const repo = await mesa.repos.create({ name: "agent-workspace-prebaked" });
report("repos.create", `created ${org}/${repo.name}`);

const { token } = await mesa.tokens.create({
  scopes: ["read", "write"],
  repos: [`${org}/agent-workspace-prebaked`],
  ttl_seconds: 3600, // 1 hour
});
report("tokens.create", `signed a read/write token for ${org}/agent-workspace-prebaked`);

// --- Inside the sandbox: mount Mesa (no install: the template has it) ---

const sandbox = await Sandbox.create({ name: "mesa-agent-prebaked", fromTemplate: "mesa-agent" });
report("Sandbox.create", `sandbox ${sandbox.id} from mesa-agent`);

const which = await sandbox.commands.run("command -v mesa");
report("mesa on the PATH", which);

const mount = await sandbox.commands.run("mesa mount -d", {
  env: { MESA_ORG: org, MESA_API_KEY: token },
});
report("mesa mount -d", mount);

const agent = await sandbox.commands.run(
  `cd ~/.local/share/mesa/mnt/${org}/agent-workspace-prebaked && echo "written by the agent" > AGENT_NOTES.md && pwd`,
);
report("agent", agent);
