/**
 * MountedSandbox workspaces, the mapping from Mesa's answers to the `workspace` output: which
 * repos are read with which base (create, remount, refresh, state without a recorded base), the
 * counts since the base over several pages, the fork point of a fork that existed already, and
 * that a changed workspace plans no change. Mesa here is a small in-memory history (the
 * integration tests drive the real SDK against local Mesa).
 */
import type { Mesa } from "@mesadev/sdk" with { "resolution-mode": "import" };
import { describe, expect, it } from "vitest";
import { silentLog } from "../../../provider/engine-log";
import type { ProviderEnvironment } from "../../../provider/lifecycle";
import { createProvider } from "../../../provider/mounted-sandbox/provider";
import type { MountedSandboxOutputs, RepoWorkspace } from "../../../provider/mounted-sandbox/state";
import type { PreparedRepo } from "../../../provider/mounted-sandbox/workspace";
import {
  forkPoint,
  preparedTargets,
  readWorkspaces,
  recordedTargets,
} from "../../../provider/mounted-sandbox/workspace-progress";

const ROOT = "z".repeat(32);
const noRetry = <T>(_op: string, fn: () => Promise<T>) => fn();

/** Linear histories: bookmark → change ids from the oldest; each change touches `files[id]` paths. */
function fakeMesa(
  history: Record<string, string[]>,
  files: Record<string, string[]> = {},
  calls: string[] = [],
): Mesa {
  const chain = (bookmark: string) => {
    const ids = history[bookmark];
    if (!ids) throw Object.assign(new Error("NOT_FOUND: Bookmark not found"), { status: 404 });
    return ids;
  };
  const parentsOf = (id: string) => {
    for (const ids of Object.values(history)) {
      const at = ids.indexOf(id);
      if (at >= 0) return ids.slice(0, at + 1);
    }
    return [];
  };
  return {
    repos: { get: async () => ({ default_bookmark: "main" }) },
    bookmarks: {
      get: async ({ bookmark }: { bookmark: string }) => {
        const ids = chain(bookmark);
        return { name: bookmark, change_id: ids[ids.length - 1] ?? ROOT };
      },
    },
    changes: {
      list: async ({
        bookmark,
        cursor,
        limit,
      }: {
        bookmark: string;
        cursor?: string;
        limit: number;
      }) => {
        calls.push(`list ${bookmark} ${cursor ?? 0}`);
        const newestFirst = [...chain(bookmark)].reverse();
        const from = Number(cursor ?? 0);
        const page = newestFirst.slice(from, from + limit);
        const more = from + limit < newestFirst.length;
        return {
          changes: page.map((id) => ({ id })),
          has_more: more,
          next_cursor: more ? String(from + limit) : null,
        };
      },
    },
    diffs: {
      get: async ({
        base_change_id,
        head_change_id,
      }: {
        base_change_id: string;
        head_change_id: string;
      }) => {
        const before = new Set(parentsOf(base_change_id));
        const touched = new Set(
          parentsOf(head_change_id)
            .filter((id) => !before.has(id))
            .flatMap((id) => files[id] ?? []),
        );
        return { stats: { entries: touched.size, conflicted_entries: 0 } };
      },
    },
  } as unknown as Mesa;
}

const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

describe("MountedSandbox workspace targets", () => {
  const prepared = (over: Partial<PreparedRepo> = {}): PreparedRepo => ({
    org: "acme",
    repo: "work",
    bookmark: "agents/agent-1",
    readOnly: false,
    changeId: "m2",
    baseBookmark: "main",
    baseChangeId: "m2",
    probe: { path: "/mnt/acme/work" },
    ...over,
  });
  const recorded: Record<string, RepoWorkspace> = {
    work: {
      bookmark: "agents/agent-1",
      baseBookmark: "main",
      baseChangeId: "m1",
      headChangeId: "f9",
      changes: 9,
      filesChanged: 4,
    },
  };

  it("create: the base is the change the fork was made at; an existing fork's is looked up", () => {
    expect(preparedTargets([prepared()])).toEqual([
      { repo: "work", bookmark: "agents/agent-1", baseBookmark: "main", baseChangeId: "m2" },
    ]);
    expect(
      preparedTargets([prepared({ baseChangeId: undefined })])[0].baseChangeId,
    ).toBeUndefined();
  });

  it("remount: the recorded base of the same bookmark wins over the preparation's", () => {
    expect(preparedTargets([prepared({ baseChangeId: undefined })], recorded)[0].baseChangeId).toBe(
      "m1",
    );
    expect(
      preparedTargets([prepared({ bookmark: "other" })], recorded)[0].baseChangeId,
      "a base recorded for another bookmark does not apply",
    ).toBe("m2");
  });

  it("refresh: the recorded bases; a state without them looks up the fork point from its base bookmark", () => {
    const state = {
      repos: [
        { repo: "work", fork: true, readOnly: false },
        { repo: "docs", bookmark: "release", fork: true, readOnly: false },
        { repo: "ro", fork: false, readOnly: true },
        { repo: "unmounted", fork: true, readOnly: false },
      ],
      bookmarks: { work: "agents/agent-1", docs: "agents/agent-1", ro: "main" },
      workspace: recorded,
    } as unknown as MountedSandboxOutputs;
    expect(recordedTargets(state)).toEqual([
      { repo: "work", bookmark: "agents/agent-1", baseBookmark: "main", baseChangeId: "m1" },
      { repo: "docs", bookmark: "agents/agent-1", baseBookmark: "release" },
      { repo: "ro", bookmark: "main", baseBookmark: "main" },
    ]);
  });
});

describe("MountedSandbox workspace counts", () => {
  it("counts the changes and files since the base, over pages, without counting the base bookmark's new changes", async () => {
    const fork = [...ids("m", 3), ...ids("f", 250)];
    const mesa = fakeMesa(
      { main: [...ids("m", 3), "m-new"], "agents/a": fork },
      { f0: ["x.txt"], f1: ["x.txt", "y.txt"], f249: ["z.txt"], "m-new": ["main.txt"] },
    );
    const warnings: string[] = [];
    const work = await readWorkspaces(
      mesa,
      "acme",
      [{ repo: "work", bookmark: "agents/a", baseBookmark: "main", baseChangeId: "m2" }],
      noRetry,
      (w) => void warnings.push(w),
    );
    expect(work).toEqual({
      work: {
        bookmark: "agents/a",
        baseBookmark: "main",
        baseChangeId: "m2",
        headChangeId: "f249",
        changes: 250,
        filesChanged: 3,
      },
    });
    expect(warnings).toEqual([]);
  });

  it("asks nothing more when the head is the base", async () => {
    const calls: string[] = [];
    const mesa = fakeMesa({ main: ["m0"], "agents/a": ["m0"] }, {}, calls);
    const work = await readWorkspaces(
      mesa,
      "acme",
      [{ repo: "work", bookmark: "agents/a", baseBookmark: "main", baseChangeId: "m0" }],
      noRetry,
      () => undefined,
    );
    expect(work.work).toMatchObject({ changes: 0, filesChanged: 0, headChangeId: "m0" });
    expect(calls, "no listing").toEqual([]);
  });

  it("leaves out a repo whose bookmark was deleted, with a warning", async () => {
    const warnings: string[] = [];
    const work = await readWorkspaces(
      fakeMesa({ main: ["m0"] }),
      "acme",
      [{ repo: "work", bookmark: "agents/gone", baseChangeId: "m0" }],
      noRetry,
      (w) => void warnings.push(w),
    );
    expect(work).toEqual({});
    expect(warnings.join("\n")).toMatch(/agents\/gone of acme\/work no longer exists/);
  });

  it("counts every change of a fork of an empty repo (the root is never listed)", async () => {
    const work = await readWorkspaces(
      fakeMesa({ main: [], "agents/a": ["f0", "f1"] }, { f0: ["a"], f1: ["b"] }),
      "acme",
      [{ repo: "work", bookmark: "agents/a", baseBookmark: "main", baseChangeId: ROOT }],
      noRetry,
      () => undefined,
    );
    expect(work.work).toMatchObject({ changes: 2, filesChanged: 2 });
  });
});

describe("MountedSandbox fork point", () => {
  it("is the newest change the fork shares with its base bookmark, after both moved on by pages", async () => {
    const mesa = fakeMesa({
      main: [...ids("m", 120), ...ids("n", 130)],
      "agents/a": [...ids("m", 120), ...ids("f", 150)],
    });
    expect(await forkPoint(mesa, "acme", "work", "agents/a", "main", noRetry)).toBe("m119");
  });

  it("is the root when the two share no change", async () => {
    const mesa = fakeMesa({ main: ["m0"], "agents/a": ["f0"] });
    expect(await forkPoint(mesa, "acme", "work", "agents/a", "main", noRetry)).toBe(ROOT);
  });

  it("is the head itself for a bookmark mounted without a fork", async () => {
    const mesa = fakeMesa({ main: ["m0", "m1"] });
    expect(await forkPoint(mesa, "acme", "work", "main", "main", noRetry)).toBe("m1");
  });
});

describe("MountedSandbox diff of an agent's progress", () => {
  const environment: ProviderEnvironment = {
    env: { MESA_API_KEY: "mesa_unit", MESA_ORG: "acme", SUPERSERVE_API_KEY: "ss_unit" },
    cwd: "/nonexistent",
    clock: {
      now: () => Date.parse("2025-06-01T10:00:00Z"),
      sleep: async () => undefined,
      random: () => 0.5,
    },
    logSink: { send: () => silentLog.info("") },
    suffix: () => "abc1234",
  };

  it("plans no change when only the workspace moved on", async () => {
    const provider = createProvider(undefined, environment);
    const inputs = {
      pulumiUrn:
        "urn:pulumi:dev::proj::pulumi-nodejs:dynamic/superserve-mesa:MountedSandbox::agent-1",
      name: "agent-1-abc1234",
      template: "agent-tpl",
      repos: [{ repo: "work", fork: true, readOnly: false }],
      tokenTtlSeconds: 3600,
      mesaCli: "auto",
      deleteWorkspaceOnDestroy: false,
      mountTimeoutSeconds: 180,
    };
    const olds = {
      ...inputs,
      sandboxId: "sb-1",
      status: "active",
      mounted: true,
      org: "acme",
      mountPaths: { work: "/mnt/acme/work" },
      bookmarks: { work: "agents/agent-1" },
      tokenExpiresAt: "2025-06-01T11:00:00Z",
      workspace: {
        work: {
          bookmark: "agents/agent-1",
          baseBookmark: "main",
          baseChangeId: "m1",
          headChangeId: "f7",
          changes: 7,
          filesChanged: 3,
        },
      },
    };
    expect(await provider.diff("sb-1", olds, inputs)).toMatchObject({
      changes: false,
      replaces: [],
    });
  });
});
