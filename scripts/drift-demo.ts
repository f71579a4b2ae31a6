/**
 * Drift demo: change the deployed environment behind Pulumi's back, the way people and agents do,
 * so that `npm run drift` has something to show. Reads `pulumi stack output --json` on stdin:
 *   - pauses the first sandbox (drift on its status),
 *   - kills the second sandbox, if there is one (it disappears: refresh drops it, up recreates it),
 *   - edits the repo's tags in Mesa (drift on MesaRepo.tags).
 *
 *   pulumi stack output --json | node dist/scripts/drift-demo.js   (built by `npm run build`)
 */
import { readStackOutputs, runScript, stackServices } from "./stack-services";

runScript("drift demo", async () => {
  const outputs = await readStackOutputs();
  const { mesa, superserve } = await stackServices(outputs.repo.org);
  const { Sandbox } = superserve.sdk;

  const [first, second] = outputs.sandboxes ?? [];
  if (first) {
    const box = await Sandbox.connect(first.sandboxId, superserve.connection);
    await box.pause();
    console.log(`paused sandbox ${first.name} (${first.sandboxId})`);
  }
  if (second) {
    await Sandbox.killById(second.sandboxId, superserve.connection);
    console.log(`killed sandbox ${second.name} (${second.sandboxId})`);
  }
  await mesa.repos.update({ repo: outputs.repo.name, tags: { "edited-by": "drift-demo" } });
  console.log(
    `added the tag edited-by=drift-demo to repo ${outputs.repo.org}/${outputs.repo.name}`,
  );
});
