/**
 * What the agent in a sandbox did, read from Mesa (never from the sandbox, so a paused sandbox
 * stays paused): per repo, the bookmark it works on, that bookmark's head change, and the changes
 * and files changed since the change it forked from. The fork base is recorded when the fork is
 * made; a fork that existed before the resource (a replacement continuing its predecessor's
 * bookmark, or state written before the base was recorded) gets the newest change its bookmark
 * shares with the base bookmark.
 */
import type { Mesa } from "@mesadev/sdk" with { "resolution-mode": "import" };
import type { OperationContext } from "../lifecycle";
import type { MountedSandboxOutputs, RepoWorkspace } from "./state";
import { getBookmark, mesaFor, type PreparedRepo, type Retry } from "./workspace";

/** Change id of the empty tree, before any change (`VIRTUAL_ROOT_CHANGE_ID` of `@mesadev/sdk`). */
const VIRTUAL_ROOT_CHANGE_ID = "z".repeat(32);

/** A repo whose workspace to read; `baseChangeId` unset: find the fork point. */
export interface WorkspaceTarget {
  repo: string;
  bookmark: string;
  /** Unset: the repo's default bookmark. */
  baseBookmark?: string;
  baseChangeId?: string;
}

/** The workspaces of a sandbox's repos, with the operation's Mesa access, retries and log. */
export async function sandboxWorkspaces(
  ctx: OperationContext,
  org: string | undefined,
  targets: readonly WorkspaceTarget[],
): Promise<Record<string, RepoWorkspace>> {
  if (targets.length === 0) return {};
  const mesa = await mesaFor(ctx, org);
  return readWorkspaces(
    mesa.mesa,
    mesa.org,
    targets,
    (operation, fn) => ctx.retry(operation, fn),
    (message) => ctx.log.warn(message),
  );
}

/**
 * The repos just prepared for a mount (create, remount): a base recorded earlier for the same
 * bookmark wins over the preparation's (which knows the base only of a fork it made itself).
 */
export function preparedTargets(
  repos: readonly PreparedRepo[],
  recorded: Record<string, RepoWorkspace> | undefined = undefined,
): WorkspaceTarget[] {
  return repos.map((r) => {
    const known = recorded?.[r.repo];
    return {
      repo: r.repo,
      bookmark: r.bookmark,
      baseBookmark: r.baseBookmark,
      baseChangeId: known?.bookmark === r.bookmark ? known.baseChangeId : r.baseChangeId,
    };
  });
}

/**
 * The repos of a recorded state (refresh, an update that does not remount), with their recorded
 * bases; a state written before workspaces were recorded gets its fork points looked up. A state
 * imported without `repos` (see `import.ts`) has the bookmarks found mounted.
 */
export function recordedTargets(state: MountedSandboxOutputs): WorkspaceTarget[] {
  const entries =
    state.repos ??
    Object.keys(state.bookmarks ?? {}).map((repo) => ({ repo, bookmark: undefined, fork: false }));
  return entries.flatMap((entry) => {
    const bookmark = state.bookmarks?.[entry.repo];
    if (!bookmark) return [];
    const known = state.workspace?.[entry.repo];
    if (known?.bookmark === bookmark)
      return [
        {
          repo: entry.repo,
          bookmark,
          baseBookmark: known.baseBookmark,
          baseChangeId: known.baseChangeId,
        },
      ];
    return [
      {
        repo: entry.repo,
        bookmark,
        baseBookmark: entry.fork === false ? bookmark : entry.bookmark,
      },
    ];
  });
}

/** Changes asked for per page (the API's maximum). */
const PAGE = 100;
/** Pages read from each bookmark when looking for a fork point (20 000 changes each at most). */
const FORK_POINT_PAGES = 200;

/**
 * The workspace of each repo, keyed by repo name. A repo whose bookmark no longer exists is left
 * out (`warn` says so): its sandbox has no workspace to show until `pulumi up` forks it again.
 */
export async function readWorkspaces(
  mesa: Mesa,
  org: string,
  targets: readonly WorkspaceTarget[],
  retry: Retry,
  warn: (message: string) => void,
): Promise<Record<string, RepoWorkspace>> {
  const read = await Promise.all(
    targets.map((t) => readWorkspace(mesa, org, t, retry, warn).then((w) => [t, w] as const)),
  );
  const workspaces: Record<string, RepoWorkspace> = {};
  for (const [target, workspace] of read) {
    if (workspace) workspaces[target.repo] = workspace;
    else
      warn(
        `bookmark ${target.bookmark} of ${org}/${target.repo} no longer exists in Mesa; \`pulumi up\` does not recreate it until the sandbox is replaced`,
      );
  }
  return workspaces;
}

async function readWorkspace(
  mesa: Mesa,
  org: string,
  target: WorkspaceTarget,
  retry: Retry,
  warn: (message: string) => void,
): Promise<RepoWorkspace | undefined> {
  const { repo, bookmark } = target;
  const [head, baseBookmark] = await Promise.all([
    getBookmark(mesa, org, repo, bookmark, retry).then((b) => b?.change_id),
    target.baseBookmark ??
      retry(`read Mesa repo ${org}/${repo}`, () => mesa.repos.get({ org, repo })).then(
        (r) => r.default_bookmark,
      ),
  ]);
  if (head === undefined) return undefined;
  let baseChangeId = target.baseChangeId;
  if (baseChangeId === undefined) {
    baseChangeId = await forkPoint(mesa, org, repo, bookmark, baseBookmark, retry);
    if (baseChangeId === undefined) {
      warn(
        `could not find where bookmark ${bookmark} of ${org}/${repo} forked from ${baseBookmark} within the newest ${FORK_POINT_PAGES * PAGE} changes of each; its workspace counts changes from ${head} on`,
      );
      baseChangeId = head;
    }
  }
  if (head === baseChangeId)
    return {
      bookmark,
      baseBookmark,
      baseChangeId,
      headChangeId: head,
      changes: 0,
      filesChanged: 0,
    };
  const [changes, filesChanged] = await Promise.all([
    changesSince(mesa, org, repo, bookmark, baseChangeId, retry),
    filesChangedBetween(mesa, org, repo, baseChangeId, head, retry),
  ]);
  return { bookmark, baseBookmark, baseChangeId, headChangeId: head, changes, filesChanged };
}

/** The change ids reachable from a bookmark, newest first, a page at a time. */
async function* changePages(
  mesa: Mesa,
  org: string,
  repo: string,
  bookmark: string,
  retry: Retry,
): AsyncGenerator<string[]> {
  let cursor: string | undefined;
  do {
    const page = await retry(`list the changes of ${bookmark} in ${org}/${repo}`, () =>
      mesa.changes.list({ org, repo, bookmark, limit: PAGE, ...(cursor ? { cursor } : {}) }),
    );
    yield page.changes.map((c) => c.id);
    cursor = page.has_more && page.next_cursor ? page.next_cursor : undefined;
  } while (cursor);
}

/** Changes listed on `bookmark` above `base` (all of them when `base` is the virtual root, which is never listed). */
async function changesSince(
  mesa: Mesa,
  org: string,
  repo: string,
  bookmark: string,
  base: string,
  retry: Retry,
): Promise<number> {
  let count = 0;
  for await (const ids of changePages(mesa, org, repo, bookmark, retry)) {
    const at = ids.indexOf(base);
    if (at >= 0) return count + at;
    count += ids.length;
  }
  return count;
}

async function filesChangedBetween(
  mesa: Mesa,
  org: string,
  repo: string,
  base: string,
  head: string,
  retry: Retry,
): Promise<number> {
  const diff = await retry(`diff ${base}..${head} in ${org}/${repo}`, () =>
    mesa.diffs.get({ org, repo, base_change_id: base, head_change_id: head }),
  );
  return diff.stats.entries + diff.stats.conflicted_entries;
}

/**
 * The newest change of `bookmark` that `base` also reaches: both listings are read a page at a
 * time, and the first of the bookmark's changes the base has listed is the fork point (any older
 * common change comes after it in both listings). With no common change but the root, the root;
 * undefined when none is found within {@link FORK_POINT_PAGES} pages of each.
 */
export async function forkPoint(
  mesa: Mesa,
  org: string,
  repo: string,
  bookmark: string,
  base: string,
  retry: Retry,
): Promise<string | undefined> {
  const forkPages = changePages(mesa, org, repo, bookmark, retry);
  const basePages = changePages(mesa, org, repo, base, retry);
  const forkOrder: string[] = [];
  const baseSeen = new Set<string>();
  let forkDone = false;
  let baseDone = false;
  for (let page = 0; page < FORK_POINT_PAGES && !(forkDone && baseDone); page++) {
    const [fork, other] = await Promise.all([
      forkDone ? undefined : forkPages.next(),
      baseDone ? undefined : basePages.next(),
    ]);
    if (!fork || fork.done) forkDone = true;
    else forkOrder.push(...fork.value);
    if (!other || other.done) baseDone = true;
    else for (const id of other.value) baseSeen.add(id);
    const common = forkOrder.find((id) => baseSeen.has(id));
    if (common) return common;
  }
  return forkDone && baseDone ? VIRTUAL_ROOT_CHANGE_ID : undefined;
}
