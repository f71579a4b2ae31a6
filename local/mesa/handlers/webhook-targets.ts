import { canAccessRepo, type Principal } from "../auth";
import { mesaErrors } from "../errors";
import type { Handler, OperationContext } from "../operations";
import type { WebhookTargetRecord } from "../store";
import { decodeCursor, encodeCursor, parseLimit, requireObject } from "../validate";
import { WEBHOOK_EVENTS } from "../webhooks/events";
import { validateLoopbackUrl } from "../webhooks/loopback";
import { newWebhookSecret } from "../webhooks/signature";

/** Target JSON; the secret only ever leaves in the create answer. */
const targetJson = (t: WebhookTargetRecord) => ({
  id: t.id,
  name: t.name,
  url: t.url,
  events: t.events,
  repo_ids: t.repoIds,
  created_at: t.createdAt,
  updated_at: t.updatedAt,
});

function parseEvents(raw: unknown): string[] {
  if (
    !Array.isArray(raw) ||
    raw.length === 0 ||
    !raw.every((e) => (WEBHOOK_EVENTS as readonly unknown[]).includes(e))
  ) {
    throw mesaErrors.badRequest(
      `\`events\` must be a non-empty array of ${WEBHOOK_EVENTS.join(", ")}`,
      { field: "events" },
    );
  }
  return [...new Set(raw as string[])];
}

function parseName(raw: unknown, allowNull: boolean): string | null {
  if ((raw === null && allowNull) || (typeof raw === "string" && raw.length <= 200)) return raw;
  throw mesaErrors.badRequest(
    `\`name\` must be a string of at most 200 characters${allowNull ? " or null to clear it" : ""}`,
    { field: "name" },
  );
}

/**
 * `repo_ids` (null = org-wide, only for unrestricted credentials): ids of repos of the org the
 * caller can reach.
 */
function parseRepoIds(ctx: OperationContext, raw: unknown): string[] | null {
  const restricted = isRestricted(ctx.principal);
  if (raw === null || raw === undefined) {
    if (restricted)
      throw mesaErrors.forbidden(
        "a repo-scoped credential can only manage targets limited to its repos; set `repo_ids`",
      );
    return null;
  }
  if (!Array.isArray(raw) || raw.length === 0 || !raw.every((id) => typeof id === "string")) {
    throw mesaErrors.badRequest(
      "`repo_ids` must be a non-empty array of repo ids (omit it for an org-wide target)",
      { field: "repo_ids" },
    );
  }
  for (const id of raw) {
    const repo = ctx.services.store.repoById(id);
    if (!repo || repo.orgId !== ctx.org.id || !canAccessRepo(ctx.principal, repo)) {
      throw mesaErrors.badRequest(`\`repo_ids\`: no repo with id ${id}`, { field: "repo_ids" });
    }
  }
  return [...new Set(raw)];
}

const isRestricted = (p: Principal) => p.key.repoIds !== null || p.tokenRepos !== null;

/** The org's target `id`, when the caller may manage it; 404 otherwise. */
function findTarget(ctx: OperationContext): WebhookTargetRecord {
  const target = ctx.services.store.webhookTargetById(ctx.params.webhookTargetId);
  const reachable =
    target !== undefined &&
    target.orgId === ctx.org.id &&
    (!isRestricted(ctx.principal) ||
      (target.repoIds ?? [undefined]).every((id) => {
        const repo = id === undefined ? undefined : ctx.services.store.repoById(id);
        return repo !== undefined && canAccessRepo(ctx.principal, repo);
      }));
  if (!reachable) throw mesaErrors.notFound(`Webhook target ${ctx.params.webhookTargetId}`);
  return target;
}

/** `GET /{org}/webhook-targets`: in creation order, without secrets. */
export const listWebhookTargets: Handler = async (ctx) => {
  const limit = parseLimit(ctx.query.get("limit"));
  const after = decodeCursor(ctx.query.get("cursor")) ?? 0;
  const visible = ctx.services.store.listWebhookTargets(ctx.org.id, after).filter((t) => {
    try {
      findTarget({ ...ctx, params: { webhookTargetId: t.id } });
      return true;
    } catch {
      return false;
    }
  });
  const page = visible.slice(0, limit);
  const hasMore = visible.length > limit;
  return {
    status: 200,
    body: {
      webhook_targets: page.map(targetJson),
      next_cursor: hasMore ? encodeCursor(page[page.length - 1].seq) : null,
      has_more: hasMore,
    },
  };
};

/** `POST /{org}/webhook-targets`: the answer carries the signing secret, once. */
export const createWebhookTarget: Handler = async (ctx) => {
  const b = requireObject(ctx.body);
  const url = validateLoopbackUrl(b.url);
  const name = b.name === undefined ? null : parseName(b.name, false);
  const events = b.events === undefined ? ["push"] : parseEvents(b.events);
  const repoIds = parseRepoIds(ctx, b.repo_ids);
  const at = new Date(ctx.services.clock.now()).toISOString();
  const target = ctx.services.store.insertWebhookTarget({
    id: ctx.services.ids.id("wht"),
    orgId: ctx.org.id,
    name,
    url,
    events,
    repoIds,
    secret: newWebhookSecret(),
    createdAt: at,
    updatedAt: at,
  });
  return { status: 201, body: { ...targetJson(target), secret: target.secret } };
};

/** `GET /{org}/webhook-targets/{webhookTargetId}`. */
export const getWebhookTarget: Handler = async (ctx) => ({
  status: 200,
  body: targetJson(findTarget(ctx)),
});

/** `PATCH /{org}/webhook-targets/{webhookTargetId}`: name (null clears), url, events, repo_ids (null = org-wide). */
export const updateWebhookTarget: Handler = async (ctx) => {
  const b = requireObject(ctx.body);
  const target = findTarget(ctx);
  const next: WebhookTargetRecord = {
    ...target,
    ...(b.name !== undefined && { name: parseName(b.name, true) }),
    ...(b.url !== undefined && { url: validateLoopbackUrl(b.url) }),
    ...(b.events !== undefined && { events: parseEvents(b.events) }),
    ...(b.repo_ids !== undefined && { repoIds: parseRepoIds(ctx, b.repo_ids) }),
    updatedAt: new Date(ctx.services.clock.now()).toISOString(),
  };
  ctx.services.store.updateWebhookTarget(next);
  return { status: 200, body: targetJson(next) };
};

/** `DELETE /{org}/webhook-targets/{webhookTargetId}`: also drops what was still to be delivered to it. */
export const deleteWebhookTarget: Handler = async (ctx) => {
  ctx.services.store.deleteWebhookTarget(findTarget(ctx).id);
  return { status: 200, body: { success: true } };
};
