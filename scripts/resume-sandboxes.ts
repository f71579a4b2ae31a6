/**
 * After the local backends restart, every sandbox comes back paused and its processes — the
 * `mesa mount` daemon included — are gone (the real service keeps processes across a pause; the
 * local one cannot across its own restart). Resuming the stack's sandboxes lets the next
 * `pulumi up --refresh` see their dead mounts as drift and mount them again.
 * Reads `pulumi stack output --json` on stdin.
 */
import { readStackOutputs, runScript, stackServices } from "./stack-services";

runScript("resuming the sandboxes", async () => {
  const outputs = await readStackOutputs();
  const sandboxes = outputs.sandboxes ?? [];
  if (sandboxes.length === 0) return;
  const { superserve } = await stackServices(outputs.repo.org);
  const live = new Map((await superserve.sdk.Sandbox.list(superserve.connection)).map((s) => [s.id, s.status]));
  const paused = sandboxes.filter((s) => live.get(s.sandboxId) === "paused");
  await Promise.all(paused.map((s) => superserve.sdk.Sandbox.connect(s.sandboxId, superserve.connection)));
  console.log(`resumed ${paused.length} of ${sandboxes.length} sandboxes`);
});
