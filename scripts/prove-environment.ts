/**
 * Proof that a deployed agent environment works, leaving no trace in the agents' workspaces. First
 * the agents (see prove-agents.ts): each ended with exit code 0 and left its work on its own
 * bookmark. Then, in the first sandbox: the agent's mount passes the provider's health check; then the repo is mounted a
 * second time, on a bookmark of the proof's own forked from the agent's, a file is written in that
 * mount (as an agent would) and read back from Mesa through the REST API; finally the proof's
 * mount, its directory and its bookmark are removed. The agent's bookmark, mount and files are
 * never written, so a `npm run up` with nothing changed adds no change to any agent's bookmark.
 * Reads `pulumi stack output --json` on stdin.
 *
 *   pulumi stack output --json | node dist/scripts/prove-environment.js   (built by `npm run build`)
 */
import { randomUUID } from "node:crypto";
import { statusOf, systemClock, withRetry } from "../provider/retry";
import type { OperationContext } from "../provider/lifecycle";
import { runStep } from "../provider/mounted-sandbox/exec";
import { healthCommand, mountEnv, parseHealth } from "../provider/mounted-sandbox/mount-commands";
import { signToken } from "../provider/mounted-sandbox/token";
import { shellQuote } from "../provider/shell-quote";
import { proveAgents } from "./prove-agents";
import { readStackOutputs, runScript, stackServices } from "./stack-services";

const PROOF_FILE = ".agent-environment-proof";
/** The proof's own mount in the sandbox: mount point, runtime dir (PID file, log) and cache. */
const PROOF_DIR = "/tmp/agent-environment-proof";
const PID_FILE = `${PROOF_DIR}/run/mesa.pid`;
const LOG_TAIL = `tail -n 20 ${PROOF_DIR}/run/daemon.log >&2 2>/dev/null || true`;
const DEADLINE_MS = 15_000;
const MOUNT_SECONDS = 30;
const STOP_SECONDS = 20;
const TOKEN_TTL_SECONDS = 300;
/** How often the proof looks for its file in Mesa (the shell loops in the sandbox poll as often). */
const POLL_MS = 50;

/** Mount the repo at {@link PROOF_DIR} (with the environment of `mountEnv`) and write `$PROOF` into it. */
function mountAndWriteCommand(repoDir: string): string {
  return [
    'PATH="$HOME/.local/bin:$PATH"; export PATH',
    `rm -rf ${PROOF_DIR} && mkdir -p ${PROOF_DIR}/run || exit 1`,
    `mesa mount -d -y || { echo "mesa mount -d failed with exit code $?" >&2; ${LOG_TAIL}; exit 1; }`,
    `end=$(( $(date +%s) + ${MOUNT_SECONDS} ))`,
    `until [ -d ${shellQuote(repoDir)} ]; do`,
    `  [ "$(date +%s)" -lt "$end" ] || { echo "the proof's mount did not serve the repo within ${MOUNT_SECONDS} s" >&2; ${LOG_TAIL}; exit 1; }`,
    "  sleep 0.05",
    "done",
    `printf '%s\\n' "$PROOF" > ${shellQuote(`${repoDir}/${PROOF_FILE}`)}`,
  ].join("\n");
}

/** Stop the proof's daemon (SIGTERM: it flushes and exits) and remove {@link PROOF_DIR}. */
const STOP_AND_REMOVE = [
  `if [ -s ${PID_FILE} ]; then`,
  `  pid="$(cat ${PID_FILE})"; kill -TERM "$pid" 2>/dev/null`,
  `  end=$(( $(date +%s) + ${STOP_SECONDS} ))`,
  '  while kill -0 "$pid" 2>/dev/null; do',
  `    [ "$(date +%s)" -lt "$end" ] || { echo "the proof's mesa daemon (pid $pid) still runs ${STOP_SECONDS} s after SIGTERM" >&2; exit 1; }`,
  "    sleep 0.05",
  "  done",
  "fi",
  `rm -rf ${PROOF_DIR}`,
].join("\n");

runScript("proof", async () => {
  const outputs = await readStackOutputs();
  const sandbox = outputs.sandboxes?.[0];
  if (!sandbox)
    throw new Error("the stack has no sandboxes to prove (set agent-environment:sandboxCount ≥ 1)");
  const { org, name: repo } = outputs.repo;
  const services = await stackServices(org);
  const { mesa, mesaApiUrl, superserve } = services;
  const hints = { default: "Its output is above." };
  // The proof's sandbox calls get the provider's retries of transient failures, for a minute each.
  const retries: Pick<OperationContext, "retry"> = {
    retry: (operation, fn, classify) =>
      withRetry(fn, {
        operation,
        policy: { baseDelayMs: 250, maxDelayMs: 5_000, deadline: Date.now() + 60_000 },
        clock: systemClock,
        classify,
      }),
  };
  // The agents first: once they ended, nothing writes on their bookmarks any more.
  await proveAgents(outputs, services, retries);
  const box = await superserve.sdk.Sandbox.connect(sandbox.sandboxId, superserve.connection);

  const health = parseHealth(
    await runStep(
      box,
      healthCommand([sandbox.mountPath]),
      { step: "check the agent's mount", hints, timeoutMs: 10_000 },
      retries,
    ),
  );
  if (!health.mounted)
    throw new Error(
      `the agent's mount in sandbox ${sandbox.name} (${sandbox.mountPath}) is not serving: ${health.reason}`,
    );

  const bookmark = `proof/${sandbox.bookmark}`;
  const deleteBookmark = () =>
    mesa.bookmarks.delete({ repo, bookmark }).catch((error: unknown) => {
      if (statusOf(error) !== 404) throw error;
    });
  const base = await mesa.bookmarks.get({ repo, bookmark: sandbox.bookmark });
  await deleteBookmark(); // left by a proof that was killed
  await mesa.bookmarks.create({ repo, name: bookmark, change_id: base.change_id });
  try {
    const { token } = await signToken(mesa, [{ org, repo, readOnly: false }], TOKEN_TTL_SECONDS);
    const marker = `written by an agent in ${sandbox.name} at ${new Date().toISOString()} (${randomUUID()})`;
    const env = {
      ...mountEnv({
        org,
        token,
        repos: [{ org, repo, bookmark, readOnly: false }],
        apiUrl: mesaApiUrl,
        superserveUrl: superserve.connection.baseUrl,
      }),
      MESA_MOUNT_POINT: `${PROOF_DIR}/mnt`,
      MESA_RUNTIME_DIR: `${PROOF_DIR}/run`,
      MESA_DAEMON_LOG_FILE: `${PROOF_DIR}/run/daemon.log`,
      MESA_CACHE_PATH: `${PROOF_DIR}/cache`,
      PROOF: marker,
    };
    try {
      await runStep(
        box,
        mountAndWriteCommand(`${PROOF_DIR}/mnt/${org}/${repo}`),
        {
          step: `mount ${org}/${repo} on bookmark ${bookmark} and write ${PROOF_FILE} in it`,
          hints,
          env,
          secrets: [token],
          timeoutMs: (MOUNT_SECONDS + 30) * 1000,
        },
        retries,
      );
      const written = Date.now();
      while (Date.now() - written < DEADLINE_MS) {
        const tip = await mesa.bookmarks.get({ repo, bookmark });
        const content = await mesa.content
          .get({ repo, path: PROOF_FILE, change_id: tip.change_id })
          .catch(() => undefined);
        if (
          content &&
          "content" in content &&
          Buffer.from(content.content, "base64").toString("utf8").trim() === marker
        ) {
          console.log(
            `proof: wrote ${PROOF_FILE} in sandbox ${sandbox.name} (${sandbox.sandboxId}) in a mount of its own on bookmark ${bookmark} ` +
              `(forked from ${sandbox.bookmark}) and read it back from Mesa ${org}/${repo} (change ${tip.change_id}) after ${Date.now() - written} ms; ` +
              `the agent's mount at ${sandbox.mountPath} is healthy and was not written`,
          );
          return;
        }
        await new Promise((r) => setTimeout(r, POLL_MS));
      }
      throw new Error(
        `the file written in the proof's mount did not reach Mesa within ${DEADLINE_MS / 1000} s`,
      );
    } finally {
      await runStep(
        box,
        STOP_AND_REMOVE,
        {
          step: "stop the proof's mount and remove it",
          hints,
          timeoutMs: (STOP_SECONDS + 10) * 1000,
        },
        retries,
      );
    }
  } finally {
    await deleteBookmark();
  }
});
