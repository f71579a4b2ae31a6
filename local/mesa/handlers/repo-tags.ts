import { canAccessRepo } from "../auth";
import { mesaErrors } from "../errors";
import type { Handler } from "../operations";
import type { RepoRecord } from "../store";
import { requireObject, validateTags } from "../validate";
import { repoInfo, repoSnapshot } from "../webhooks/events";

/**
 * `PATCH /{org}/repos/tags`: sets (`action: "set"`, with `value`) or removes one tag on each of
 * `repo_ids`; idempotent. `updated` counts the repos whose tags changed.
 */
export const bulkUpdateRepoTags: Handler = async ({ org, principal, body, services }) => {
  const b = requireObject(body);
  if (!Array.isArray(b.repo_ids) || !b.repo_ids.every((id) => typeof id === "string")) {
    throw mesaErrors.badRequest("`repo_ids` must be an array of repo ids", { field: "repo_ids" });
  }
  if (b.action !== "set" && b.action !== "remove")
    throw mesaErrors.badRequest("`action` must be set or remove", { field: "action" });
  if (typeof b.key !== "string")
    throw mesaErrors.badRequest("`key` must be a tag key", { field: "key" });
  if (b.action === "set" && typeof b.value !== "string") {
    throw mesaErrors.badRequest("`value` is required with action set: the tag's string value", {
      field: "value",
    });
  }
  if (b.value !== undefined && typeof b.value !== "string")
    throw mesaErrors.badRequest("`value` must be a string", { field: "value" });
  const { key } = b;
  validateTags({ [key]: b.value ?? "" }, false);
  const repos = b.repo_ids.map((id) => {
    const repo = services.store.repoById(id);
    if (!repo || repo.orgId !== org.id || !canAccessRepo(principal, repo)) {
      throw mesaErrors.badRequest(`\`repo_ids\`: no repo with id ${id}`, { field: "repo_ids" });
    }
    return repo;
  });
  return services.repoLocks.run(`org:${org.id}`, async () => {
    let updated = 0;
    for (const repo of repos) {
      const current = services.store.repoById(repo.id) as RepoRecord;
      const tags = { ...current.tags };
      if (b.action === "set") tags[key] = b.value as string;
      else delete tags[key];
      if (JSON.stringify(tags) === JSON.stringify(current.tags)) continue;
      const next = { ...current, tags };
      services.store.updateRepo(next);
      updated++;
      const data = {
        repo: await repoInfo(next, services.storage),
        before: repoSnapshot(current),
        after: repoSnapshot(next),
      };
      services.webhooks.emit({ type: "repo.updated", org, repo: next, data });
    }
    return { status: 200, body: { updated } };
  });
};
