import type { ControlHandler, DataHandler } from "../context";
import { execStream, execSync } from "../data/exec";
import { whileInUse } from "../../sandboxes/in-use";

/**
 * A data-plane exec handler served on the control plane (API key) for the sandbox in the path.
 * A paused (or stopped) sandbox is resumed first and stays active, as the spec documents; an
 * active one keeps its access token.
 */
function onSandboxInPath(handler: DataHandler): ControlHandler {
  return async (ctx) => {
    const { sandboxes, runtime } = ctx.services;
    const found = sandboxes.get(ctx.params.id);
    const sandbox =
      found.status === "active" && runtime.isRunning(found.id)
        ? found
        : await sandboxes.activate(found.id);
    return whileInUse(sandboxes, sandbox.id, () => handler({ ...ctx, sandbox }));
  };
}

/** `POST /sandboxes/{id}/exec`: as the data plane's `POST /exec`. */
export const execCommand = onSandboxInPath(execSync);

/** `POST /sandboxes/{id}/exec/stream`: as the data plane's `POST /exec/stream`. */
export const execCommandStream = onSandboxInPath(execStream);
