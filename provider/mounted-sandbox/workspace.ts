/**
 * The Mesa side of a mounted sandbox: Mesa access in the repos' org, the bookmark each repo is
 * mounted on (forking one from the base bookmark when asked), the files the mount must serve
 * before it counts as ready, and deleting the forks. Runs inside the provider process with
 * `@mesadev/sdk`.
 */
import type { Mesa } from "@mesadev/sdk" with { "resolution-mode": "import" };
import { mesaClient } from "../clients";
import type { OperationContext } from "../lifecycle";
import { logicalNameOf } from "../naming";
import { statusOf } from "../retry";
import { mountPath, type MountedRepo, type ReadyProbe } from "./mount-commands";
import type { SandboxRepo } from "./state";

/** Mesa access for one operation, in the repos' org. */
export async function mesaFor(
  ctx: OperationContext,
  org: string | undefined,
): Promise<{ mesa: Mesa; org: string; apiUrl?: string }> {
  const settings = await ctx.mesa();
  const resolved = await ctx.mesaOrg(org);
  return { mesa: await mesaClient(settings, resolved), org: resolved, apiUrl: settings.apiUrl };
}

/** Prefix of the bookmarks forked for sandboxes (`agents/<resource name>`). */
const FORK_PREFIX = "agents/";

/** The fork bookmark of a repo entry, or undefined when the entry does not fork. */
export function forkBookmarkName(
  entry: Pick<SandboxRepo, "fork">,
  urn: string,
): string | undefined {
  if (entry.fork === false) return undefined;
  return typeof entry.fork === "string" ? entry.fork : `${FORK_PREFIX}${logicalNameOf(urn)}`;
}

/** Run a Mesa call with the caller's retries. */
export type Retry = <T>(operation: string, fn: () => Promise<T>) => Promise<T>;

/** One repo, ready to mount. */
export interface PreparedRepo extends MountedRepo {
  /** Change id at the bookmark's tip. */
  changeId: string;
  /** The bookmark it forks from (itself when it does not fork). */
  baseBookmark: string;
  /** The change the bookmark was forked at, when this preparation forked it (or mounts the base itself); unset for a fork that existed already. */
  baseChangeId?: string;
  probe: ReadyProbe;
}

/**
 * Resolve the bookmark of every repo: the base bookmark (default: the repo's default), or the
 * fork, created at the base bookmark's tip unless it exists already (a retried create, or a
 * replacement continuing the same workspace). Repos are prepared concurrently; the result keeps
 * their order.
 */
export async function prepareRepos(
  mesa: Mesa,
  org: string,
  repos: readonly SandboxRepo[],
  urn: string,
  retry: Retry,
): Promise<PreparedRepo[]> {
  return Promise.all(repos.map((entry) => prepareRepo(mesa, org, entry, urn, retry)));
}

async function prepareRepo(
  mesa: Mesa,
  org: string,
  entry: SandboxRepo,
  urn: string,
  retry: Retry,
): Promise<PreparedRepo> {
  const fork = forkBookmarkName(entry, urn);
  const [repoInfo, existingFork] = await Promise.all([
    retry(`read Mesa repo ${org}/${entry.repo}`, () => mesa.repos.get({ org, repo: entry.repo })),
    fork ? getBookmark(mesa, org, entry.repo, fork, retry) : undefined,
  ]);
  const base = entry.bookmark ?? repoInfo.default_bookmark;
  let changeId: string;
  if (fork && existingFork) {
    changeId = existingFork.change_id;
  } else {
    const baseBookmark = await getBookmark(mesa, org, entry.repo, base, retry);
    if (!baseBookmark) {
      throw new Error(
        `repos: bookmark "${base}" does not exist in Mesa repo ${org}/${entry.repo}; set bookmark to an existing one, or leave it unset for the repo's default bookmark.`,
      );
    }
    changeId = baseBookmark.change_id;
  }
  const [, first] = await Promise.all([
    fork && !existingFork
      ? createBookmark(mesa, org, entry.repo, fork, changeId, retry)
      : undefined,
    firstEntry(mesa, org, entry.repo, changeId, retry),
  ]);
  const probe: ReadyProbe = { path: mountPath(org, entry.repo), entry: first };
  return {
    org,
    repo: entry.repo,
    bookmark: fork ?? base,
    readOnly: entry.readOnly,
    changeId,
    baseBookmark: base,
    ...(fork && existingFork ? {} : { baseChangeId: changeId }),
    probe,
  };
}

/** A bookmark, or undefined when it does not exist. */
export async function getBookmark(
  mesa: Mesa,
  org: string,
  repo: string,
  bookmark: string,
  retry: Retry,
): Promise<{ change_id: string } | undefined> {
  try {
    return await retry(`read bookmark ${bookmark} of ${org}/${repo}`, () =>
      mesa.bookmarks.get({ org, repo, bookmark }),
    );
  } catch (err) {
    if (statusOf(err) === 404) return undefined;
    throw err;
  }
}

async function createBookmark(
  mesa: Mesa,
  org: string,
  repo: string,
  name: string,
  changeId: string,
  retry: Retry,
): Promise<void> {
  try {
    await retry(`fork bookmark ${name} of ${org}/${repo}`, () =>
      mesa.bookmarks.create({ org, repo, name, change_id: changeId }),
    );
  } catch (err) {
    if (statusOf(err) !== 409) throw err;
  }
}

async function firstEntry(
  mesa: Mesa,
  org: string,
  repo: string,
  changeId: string,
  retry: Retry,
): Promise<string | undefined> {
  const content = await retry(`list ${org}/${repo}`, () =>
    mesa.content.get({ org, repo, change_id: changeId, depth: 1 }),
  );
  if (content.type !== "dir") return undefined;
  const names = content.entries
    .map((e) => e.name)
    .filter((n) => n !== ".mesaignore")
    .sort();
  return names[0];
}

/** Delete the forked bookmarks (deleteWorkspaceOnDestroy); already-deleted ones are fine. */
export async function deleteForks(
  mesa: Mesa,
  org: string,
  bookmarks: ReadonlyArray<{ repo: string; bookmark: string }>,
  retry: Retry,
): Promise<void> {
  for (const { repo, bookmark } of bookmarks) {
    try {
      await retry(`delete bookmark ${bookmark} of ${org}/${repo}`, () =>
        mesa.bookmarks.delete({ org, repo, bookmark }),
      );
    } catch (err) {
      if (statusOf(err) !== 404) throw err;
    }
  }
}
