/**
 * MountedSandbox `create` and `adopt`. A create retried after an interrupted run finds the sandbox
 * it made by its URN and spec tags and adopts it; the Mesa side (repos, forks, token) is prepared
 * while the sandbox starts, then the repos are mounted (see `mount.ts`) and their workspaces read
 * from Mesa (see `workspace-progress.ts`).
 */
import type { Sandbox, SandboxInfo } from "@superserve/sdk";
import { PartialCreateError, type OperationContext } from "../lifecycle";
import { mount, mountOutputs, prepareMesa } from "./mount";
import {
  listTagged,
  normalizeNetwork,
  sandboxMetadata,
  specDigest,
  superserve,
  SPEC_METADATA_KEY,
} from "./sandboxes";
import type { MountedSandboxInputs, MountedSandboxOutputs, RepoWorkspace } from "./state";
import type { PreparedRepo } from "./workspace";
import { preparedTargets, sandboxWorkspaces } from "./workspace-progress";

function outputsOf(
  inputs: MountedSandboxInputs,
  sandbox: { id: string; status: string },
  org: string,
  repos: PreparedRepo[],
  mounted: boolean,
  tokenExpiresAt: string,
  workspace: Record<string, RepoWorkspace>,
): MountedSandboxOutputs {
  return {
    ...inputs,
    sandboxId: sandbox.id,
    status: sandbox.status,
    mounted,
    tokenExpiresAt,
    ...mountOutputs(org, repos),
    workspace,
  };
}

/** A sandbox `create` or `adopt` got; `fresh` when this operation created it (no daemon can run in it). */
interface ObtainedSandbox {
  sandbox: Sandbox;
  fresh: boolean;
}

/**
 * Obtain the sandbox while preparing Mesa (repos, forks, token), then mount. Once the sandbox
 * exists, any failure — of the Mesa preparation too — is a partial create carrying its id, so the
 * engine records it and the next `pulumi up` finishes the mount instead of leaking the sandbox.
 */
async function finishCreate(
  obtain: () => Promise<ObtainedSandbox>,
  inputs: MountedSandboxInputs,
  ctx: OperationContext,
): Promise<{ id: string; outs: MountedSandboxOutputs }> {
  const [obtained, prepared] = await Promise.allSettled([
    obtain(),
    prepareMesa(ctx, inputs.repos[0].org, inputs.repos, inputs.tokenTtlSeconds),
  ]);
  if (obtained.status === "rejected") throw obtained.reason;
  const { sandbox, fresh } = obtained.value;
  try {
    if (prepared.status === "rejected") throw prepared.reason;
    const prep = prepared.value;
    await mount(sandbox, prep, inputs, fresh, ctx);
    const workspace = await sandboxWorkspaces(ctx, prep.org, preparedTargets(prep.repos));
    ctx.log.info(
      `sandbox ${sandbox.id} mounted ${prep.repos.map((r) => `${r.repo}@${r.bookmark}`).join(", ")}`,
    );
    return {
      id: sandbox.id,
      outs: outputsOf(
        inputs,
        { id: sandbox.id, status: "active" },
        prep.org,
        prep.repos,
        true,
        prep.expiresAt,
        workspace,
      ),
    };
  } catch (err) {
    const prep = prepared.status === "fulfilled" ? prepared.value : undefined;
    const outs = outputsOf(
      inputs,
      { id: sandbox.id, status: "active" },
      prep?.org ?? inputs.repos[0].org ?? "",
      prep?.repos ?? [],
      false,
      "",
      {},
    );
    throw new PartialCreateError(
      sandbox.id,
      outs as unknown as Record<string, unknown>,
      `sandbox ${sandbox.id} was created but not mounted: ${err instanceof Error ? err.message : String(err)}. Run \`pulumi up\` again to retry the mount.`,
    );
  }
}

/** Create the sandbox (or adopt the one an earlier, interrupted create of this URN left behind) and mount the repos. */
export async function createSandbox(
  inputs: MountedSandboxInputs,
  ctx: OperationContext,
): Promise<{ id: string; outs: MountedSandboxOutputs }> {
  return finishCreate(
    async () => {
      const ss = await superserve(ctx);
      let adopted = false;
      const sandbox = await ctx.retry(`create sandbox ${inputs.name}`, async () => {
        const spec = specDigest(inputs);
        const earlier = (await listTagged(ss, ctx)).find(
          (s) =>
            s.metadata[SPEC_METADATA_KEY] === spec &&
            (s.status === "active" || s.status === "paused" || s.status === "resuming"),
        );
        if (earlier) {
          adopted = true;
          return ss.sdk.Sandbox.connect(earlier.id, ss.conn);
        }
        adopted = false;
        return ss.sdk.Sandbox.create({
          ...ss.conn,
          name: inputs.name,
          fromTemplate: inputs.template,
          metadata: sandboxMetadata(inputs, ctx.urn),
          envVars: inputs.envVars,
          secrets: inputs.secrets,
          network: normalizeNetwork(inputs.network),
          timeoutSeconds: inputs.timeoutSeconds,
          autoDeleteSeconds: inputs.autoDeleteSeconds,
        });
      });
      ctx.log.info(
        adopted
          ? `adopted sandbox ${sandbox.id} from an earlier interrupted run`
          : `created sandbox ${sandbox.id}`,
      );
      return { sandbox, fresh: !adopted };
    },
    inputs,
    ctx,
  );
}

/** Take over the existing sandbox named by `inputs.adopt` (id or name), tag it, and mount the repos into it. */
export async function adoptSandbox(
  inputs: MountedSandboxInputs,
  ctx: OperationContext,
): Promise<{ id: string; outs: MountedSandboxOutputs }> {
  return finishCreate(
    async () => {
      const ss = await superserve(ctx);
      const wanted = inputs.adopt!.name;
      const all: SandboxInfo[] = await ctx.retry("list sandboxes", () =>
        ss.sdk.Sandbox.list(ss.conn),
      );
      const live =
        all.find((s) => s.id === wanted) ??
        all.find((s) => s.name === wanted && s.status !== "failed");
      if (!live)
        throw new Error(
          `adopt: no sandbox with id or name "${wanted}". Check it with Sandbox.list, or remove adopt to create a new sandbox.`,
        );
      await ctx.retry(`tag sandbox ${live.id}`, () =>
        ss.sdk.Sandbox.updateById(
          live.id,
          { metadata: { ...live.metadata, ...sandboxMetadata(inputs, ctx.urn) } },
          ss.conn,
        ),
      );
      const sandbox = await ctx.retry(`connect to sandbox ${live.id}`, () =>
        ss.sdk.Sandbox.connect(live.id, ss.conn),
      );
      ctx.log.info(`adopted existing sandbox ${live.id}`);
      return { sandbox, fresh: false };
    },
    inputs,
    ctx,
  );
}
