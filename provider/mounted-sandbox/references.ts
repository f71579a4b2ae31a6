/**
 * MountedSandbox `check`, against the services: the template and the repos the program names by a
 * literal string must exist, so a typo fails at `pulumi preview` instead of after the sandbox was
 * created. References given as resources (or computed values) are not looked up: the engine
 * creates those first, and during preview they may not exist yet. The lifecycle bounds these
 * lookups and turns a slow or failing service into a warning.
 */
import { UNKNOWN, type CheckFailure, type OperationContext } from "../lifecycle";
import { statusOf } from "../retry";
import { superserve } from "./sandboxes";
import type { MountedSandboxInputs } from "./state";
import { mesaFor } from "./workspace";

/** Existing names listed in a "not found" failure; the rest are elided. */
const LISTED_NAMES = 10;

function existing(names: string[]): string {
  const sorted = [...new Set(names)].sort();
  if (sorted.length === 0) return "none";
  return sorted.length > LISTED_NAMES
    ? `${sorted.slice(0, LISTED_NAMES).join(", ")}, …`
    : sorted.join(", ");
}

/** The program's references given by name (see `namedReferences` in `resource.ts`) that do not exist. */
export async function verifyReferences(
  inputs: MountedSandboxInputs,
  ctx: OperationContext,
): Promise<CheckFailure[]> {
  const named = new Set(inputs.namedReferences ?? []);
  const lookups: Promise<CheckFailure | undefined>[] = [];
  if (named.has("template") && inputs.template !== UNKNOWN)
    lookups.push(templateFailure(inputs.template, ctx));
  inputs.repos.forEach((entry, i) => {
    const at = `repos[${i}].repo`;
    if (named.has(at) && entry.repo !== UNKNOWN && entry.org !== UNKNOWN)
      lookups.push(repoFailure(at, entry.repo, entry.org, ctx));
  });
  return (await Promise.all(lookups)).filter((f): f is CheckFailure => f !== undefined);
}

async function templateFailure(
  template: string,
  ctx: OperationContext,
): Promise<CheckFailure | undefined> {
  const ss = await superserve(ctx);
  const found = await ctx.retry(`read template ${template}`, async () => {
    try {
      await ss.sdk.Template.connect(template, ss.conn);
      return true;
    } catch (err) {
      if (statusOf(err) === 404 || (err as Error)?.name === "NotFoundError") return false;
      throw err;
    }
  });
  if (found) return undefined;
  const templates = await ctx.retry("list templates", () => ss.sdk.Template.list(ss.conn));
  return {
    property: "template",
    reason: `template '${template}' not found in this team; existing: ${existing(templates.map((t) => t.name))}. Name one of them, or pass a SuperserveTemplate resource.`,
  };
}

async function repoFailure(
  at: string,
  repo: string,
  org: string | undefined,
  ctx: OperationContext,
): Promise<CheckFailure | undefined> {
  const mesa = await mesaFor(ctx, org);
  const found = await ctx.retry(`read Mesa repo ${mesa.org}/${repo}`, async () => {
    try {
      await mesa.mesa.repos.get({ org: mesa.org, repo });
      return true;
    } catch (err) {
      if (statusOf(err) === 404) return false;
      throw err;
    }
  });
  if (found) return undefined;
  const page = await ctx.retry(`list the repos of Mesa org ${mesa.org}`, () =>
    mesa.mesa.repos.list({ limit: 100 }),
  );
  return {
    property: at,
    reason: `repo '${repo}' not found in Mesa org '${mesa.org}'; existing: ${existing(page.repos.map((r) => r.name))}. Name one of them, or pass a MesaRepo resource.`,
  };
}
