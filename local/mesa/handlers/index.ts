import type { Handlers } from "../operations";
import { createApiKey, listApiKeys, revokeApiKey, updateApiKey } from "./api-keys";
import {
  createBookmark,
  deleteBookmark,
  getBookmark,
  listBookmarks,
  moveBookmark,
} from "./bookmarks";
import { createChange, getChange, listChanges, updateChange } from "./changes";
import { getContent } from "./content";
import { getDiff } from "./diff";
import { mergeBookmark } from "./merge";
import { getOrg, whoami } from "./org";
import { createRepo, deleteRepo, getRepo, listRepos, updateRepo } from "./repos";
import { bulkUpdateRepoTags } from "./repo-tags";
import { getRepoUpstreamSync, listRepoUpstreamSyncs, syncUpstream } from "./syncs";
import {
  createWebhookTarget,
  deleteWebhookTarget,
  getWebhookTarget,
  listWebhookTargets,
  updateWebhookTarget,
} from "./webhook-targets";

/** The handler of every operation in the table (a missing one fails to compile). */
export const handlers: Handlers = {
  whoami,
  getOrg,
  listApiKeys,
  createApiKey,
  revokeApiKey,
  updateApiKey,
  bulkUpdateRepoTags,
  listRepos,
  createRepo,
  getRepo,
  updateRepo,
  deleteRepo,
  syncUpstream,
  listRepoUpstreamSyncs,
  getRepoUpstreamSync,
  getContent,
  listBookmarks,
  createBookmark,
  getBookmark,
  deleteBookmark,
  moveBookmark,
  mergeBookmark,
  listChanges,
  createChange,
  getChange,
  updateChange,
  getDiff,
  listWebhookTargets,
  createWebhookTarget,
  getWebhookTarget,
  updateWebhookTarget,
  deleteWebhookTarget,
};
