/**
 * The agents' part of the proof (see prove-environment.ts): each sandbox's agent is read in its
 * sandbox (its SandboxCommand's status) until it ends, within {@link AGENT_WAIT_SECONDS}; an agent
 * that failed or was lost fails the proof with its log tail, and one that exited 0 must have left
 * its work on its own bookmark in Mesa (files changed since its fork). An agent still running then
 * is reported, not failed (a real agent may work for hours).
 */
import type { OperationContext } from "../provider/lifecycle";
import { runStep } from "../provider/mounted-sandbox/exec";
import { parseStatus, statusCommand } from "../provider/sandbox-command/commands";
import type { StackOutputs, StackServices } from "./stack-services";

/** How long the proof waits for the agents to end. */
const AGENT_WAIT_SECONDS = 120;
/** How long an agent's last edits may take to reach Mesa after it ended. */
const SYNC_SECONDS = 20;
const LOG_LINES = 10;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function proveAgents(
  outputs: StackOutputs,
  services: StackServices,
  retries: Pick<OperationContext, "retry">,
): Promise<void> {
  const ids = outputs.agentCommandIds ?? [];
  if (ids.length === 0) {
    console.log("proof: the stack declares no agents");
    return;
  }
  const lines = await Promise.all(
    ids.map((id, i) => proveAgent(outputs, services, retries, id, i)),
  );
  for (const line of lines) console.log(line);
}

async function proveAgent(
  outputs: StackOutputs,
  { mesa, superserve }: StackServices,
  retries: Pick<OperationContext, "retry">,
  commandId: string,
  index: number,
): Promise<string> {
  const sandbox = outputs.sandboxes[index];
  const task = outputs.agents?.[sandbox.name]?.task ?? "";
  const box = await superserve.sdk.Sandbox.connect(sandbox.sandboxId, superserve.connection);
  const started = Date.now();
  const read = async () =>
    parseStatus(
      await runStep(
        box,
        statusCommand(commandId, LOG_LINES),
        { step: `read agent ${index}'s status`, hints: { default: "" }, timeoutMs: 30_000 },
        retries,
      ),
    );
  let report = await read();
  while (report.status === "running" && Date.now() - started < AGENT_WAIT_SECONDS * 1000) {
    await sleep(500);
    report = await read();
  }
  const what = `agent ${index} in sandbox ${sandbox.name} (task "${task}")`;
  if (report.status === "running")
    return `proof: ${what} still runs after ${AGENT_WAIT_SECONDS} s (not waited for); its log ends:\n${report.logTail}`;
  if (report.status !== "exited" || report.exitCode !== 0)
    throw new Error(
      `${what} ${report.status === "lost" ? "was lost: its sandbox no longer runs it" : `exited with code ${report.exitCode}`}; its log ends:\n${report.logTail}`,
    );
  const repo = outputs.repo.name;
  const base = sandbox.workspace?.baseChangeId;
  if (!base) throw new Error(`the stack outputs record no fork base for ${sandbox.name}`);
  for (const deadline = Date.now() + SYNC_SECONDS * 1000; ; await sleep(250)) {
    const head = (await mesa.bookmarks.get({ repo, bookmark: sandbox.bookmark })).change_id;
    const files =
      head === base
        ? 0
        : (await mesa.diffs.get({ repo, base_change_id: base, head_change_id: head })).stats
            .entries;
    if (files > 0)
      return `proof: ${what} exited 0 (${report.startedAt} → ${report.finishedAt}); its work is on its own bookmark ${sandbox.bookmark} in Mesa: ${files} file(s) changed since its fork (head change ${head})`;
    if (Date.now() > deadline)
      throw new Error(
        `${what} exited 0 but its bookmark ${sandbox.bookmark} holds no change since its fork after ${SYNC_SECONDS} s`,
      );
  }
}
