/**
 * Drift demo: change the deployed environment behind Pulumi's back, the way people and agents do,
 * so that `npm run drift` has something to show. Reads `pulumi stack output --json` on stdin:
 *   - pauses the first sandbox (drift on its status),
 *   - kills the second sandbox, if there is one (it disappears: refresh drops it, up recreates it),
 *   - edits the repo's tags in Mesa (drift on MesaRepo.tags).
 *
 *   pulumi stack output --json | npx tsx scripts/drift-demo.ts
 */
import { resolveMesaSettings, resolveSuperserveSettings } from "../provider/config";
import { mesaClient, superserveConnection, superserveSdk } from "../provider/clients";
import { routeDataPlane } from "../provider/data-plane";

interface StackOutputs {
  repo: { org: string; name: string };
  sandboxes: { name: string; sandboxId: string }[];
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

async function main(): Promise<void> {
  const outputs = JSON.parse(await readStdin()) as StackOutputs;
  const inputs = { env: process.env, cwd: process.cwd() };
  const superserve = await resolveSuperserveSettings(inputs);
  routeDataPlane(superserve);
  const connection = superserveConnection(superserve);
  const { Sandbox } = superserveSdk();

  const [first, second] = outputs.sandboxes ?? [];
  if (first) {
    const box = await Sandbox.connect(first.sandboxId, connection);
    await box.pause();
    console.log(`paused sandbox ${first.name} (${first.sandboxId})`);
  }
  if (second) {
    await Sandbox.killById(second.sandboxId, connection);
    console.log(`killed sandbox ${second.name} (${second.sandboxId})`);
  }
  const mesa = await mesaClient(await resolveMesaSettings(inputs), outputs.repo.org);
  await mesa.repos.update({ repo: outputs.repo.name, tags: { "edited-by": "drift-demo" } });
  console.log(`added the tag edited-by=drift-demo to repo ${outputs.repo.org}/${outputs.repo.name}`);
}

main().catch((error: unknown) => {
  console.error(`drift demo failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
