/**
 * Proof that a deployed agent environment works: in the first sandbox, write a file inside the
 * mounted repo (as an agent would), then read it back from Mesa through the REST API on that
 * sandbox's bookmark. Reads `pulumi stack output --json` on stdin.
 *
 *   pulumi stack output --json | npx tsx scripts/prove-environment.ts
 */
import { randomUUID } from "node:crypto";
import { readStackOutputs, runScript, stackServices } from "./stack-services";

const PROOF_FILE = ".agent-environment-proof";
const DEADLINE_MS = 15_000;

runScript("proof", async () => {
  const outputs = await readStackOutputs();
  const sandbox = outputs.sandboxes?.[0];
  if (!sandbox) throw new Error("the stack has no sandboxes to prove (set agent-environment:sandboxCount ≥ 1)");
  const { mesa, superserve } = await stackServices(outputs.repo.org);

  const marker = `written by an agent in ${sandbox.name} at ${new Date().toISOString()} (${randomUUID()})`;
  const box = await superserve.sdk.Sandbox.connect(sandbox.sandboxId, superserve.connection);
  const write = await box.commands.run(`printf '%s\\n' "$PROOF" > ${JSON.stringify(`${sandbox.mountPath}/${PROOF_FILE}`)}`, {
    env: { PROOF: marker },
    timeoutMs: 10_000,
  });
  if (write.exitCode !== 0) throw new Error(`writing in the mount failed (exit ${write.exitCode}): ${write.stderr}`);
  const written = Date.now();

  while (Date.now() - written < DEADLINE_MS) {
    const bookmark = await mesa.bookmarks.get({ repo: outputs.repo.name, bookmark: sandbox.bookmark });
    const content = await mesa.content
      .get({ repo: outputs.repo.name, path: PROOF_FILE, change_id: bookmark.change_id })
      .catch(() => undefined);
    if (content && "content" in content && Buffer.from(content.content, "base64").toString("utf8").trim() === marker) {
      console.log(
        `proof: wrote ${sandbox.mountPath}/${PROOF_FILE} in sandbox ${sandbox.name} (${sandbox.sandboxId}); ` +
          `read it back from Mesa ${outputs.repo.org}/${outputs.repo.name} on bookmark ${sandbox.bookmark} ` +
          `(change ${bookmark.change_id}) after ${Date.now() - written} ms`,
      );
      return;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`the file written in the mount did not reach Mesa within ${DEADLINE_MS / 1000} s`);
});
