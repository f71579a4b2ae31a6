import { rm } from "node:fs/promises";
import { join } from "node:path";
import { mesaErrors } from "./errors";
import { GitRepo, type CommitInfo } from "./git-repo";
import { isChangeId, VIRTUAL_ROOT_CHANGE_ID } from "./ids";
import type { MetadataStore, RepoRecord } from "./store";

/** The empty tree's id (constant in git's SHA-1 object format). */
const EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";

const ROOT_SIGNATURE = { name: "root", email: "root@mesa.local", date: new Date(0).toISOString() };

/** A change resolved to its current commit. */
interface ResolvedChange {
  changeId: string;
  commit: CommitInfo;
}

/**
 * Git storage of every repo (`<dataDir>/repos/<repo id>.git`) plus the commit ↔ change-id mapping.
 *
 * The virtual root is stored as a real, deterministic empty root commit carrying change id `z×32`,
 * so a bookmark can point at it and every first change has it as parent.
 */
export class RepoStorage {
  constructor(
    private readonly root: string,
    private readonly store: MetadataStore,
  ) {}

  /** The git repository of `repo`. */
  gitFor(repo: Pick<RepoRecord, "id">): GitRepo {
    return new GitRepo(join(this.root, `${repo.id}.git`));
  }

  /** Creates the bare repository and its virtual root commit; returns the root commit id. */
  async create(repo: RepoRecord): Promise<string> {
    const git = this.gitFor(repo);
    await git.init();
    const oid = await git.writeCommit({
      tree: EMPTY_TREE,
      parents: [],
      author: ROOT_SIGNATURE,
      committer: ROOT_SIGNATURE,
      changeId: VIRTUAL_ROOT_CHANGE_ID,
      message: "",
    });
    this.store.recordChangeCommit(repo.id, VIRTUAL_ROOT_CHANGE_ID, oid, repo.createdAt);
    return oid;
  }

  /** Removes the repository's files. */
  async remove(repo: RepoRecord): Promise<void> {
    await rm(this.gitFor(repo).gitDir, { recursive: true, force: true });
  }

  /**
   * Resolves a change id to its current commit id without reading the commit; 400 for a malformed
   * id, 404 for an unknown one.
   */
  resolveOid(
    repo: RepoRecord,
    changeId: unknown,
    field: string,
  ): { changeId: string; commitOid: string } {
    if (typeof changeId !== "string" || !isChangeId(changeId)) {
      throw mesaErrors.badRequest(
        `\`${field}\` must be a change id of 32 letters k-z (got ${JSON.stringify(changeId)})`,
        { field },
      );
    }
    const rec = this.store.changeById(repo.id, changeId);
    if (!rec) throw mesaErrors.notFound(`Change ${changeId}`);
    return { changeId, commitOid: rec.commitOid };
  }

  /** Resolves a change id to its current commit; 400 for a malformed id, 404 for an unknown one. */
  async resolve(repo: RepoRecord, changeId: unknown, field: string): Promise<ResolvedChange> {
    const { commitOid, changeId: id } = this.resolveOid(repo, changeId, field);
    return { changeId: id, commit: await this.gitFor(repo).readCommit(commitOid) };
  }

  /** The change id of a commit (every commit this backend writes is mapped). */
  changeIdOf(repo: RepoRecord, commitOid: string): string {
    const rec = this.store.changeByCommit(repo.id, commitOid);
    if (!rec) throw mesaErrors.internal(`commit ${commitOid} has no change id`);
    return rec.changeId;
  }

  /** The change a bookmark points at; 404 naming the bookmark when it does not exist. */
  async bookmarkTip(
    repo: RepoRecord,
    bookmark: string,
  ): Promise<{ commitOid: string; changeId: string }> {
    const commitOid = await this.gitFor(repo).readRef(bookmark);
    if (!commitOid) throw mesaErrors.notFound(`Bookmark "${bookmark}"`);
    return { commitOid, changeId: this.changeIdOf(repo, commitOid) };
  }

  /** The change at the tip of the default bookmark (the virtual root when it is missing). */
  async headChangeId(repo: RepoRecord): Promise<string> {
    const oid = await this.gitFor(repo).readRef(repo.defaultBookmark);
    return oid ? this.changeIdOf(repo, oid) : VIRTUAL_ROOT_CHANGE_ID;
  }
}
