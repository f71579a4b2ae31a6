/**
 * What `pulumi import` of a MountedSandbox finds mounted, as the sandbox prints it (hostile input):
 * validated, bounded, believed only where consistent. (The inspection command itself runs with the
 * other shell commands in `mounted-sandbox-commands.test.ts`.)
 */
import { describe, expect, it } from "vitest";
import { MAX_REPOS, parseInspection } from "../../../provider/mounted-sandbox/mount-inspection";

/** `mesa stats --format json` as the CLI prints it, for the given repos. */
function stats(repos: object[], extra: object = {}): string {
  return JSON.stringify({ pid: 1, org: "acme", state: "ok", repos, ...extra });
}

describe("what the inspection printed, as hostile input", () => {
  const listing = (lines: string[], statsText?: string) =>
    [...lines, ...(statsText === undefined ? [] : ["--- mesa stats ---", statsText])].join("\n");

  it("drops names that are no org, repo or bookmark name", () => {
    const found = parseInspection(
      listing(
        ["daemon running", "dir acme/work", "dir acme/../etc", "dir acme/$(reboot)", "dir x"],
        stats([
          { repo: "acme/work", rev: "bookmark:../../main", readOnly: "yes" },
          { repo: "acme/../etc", rev: "bookmark:main", readOnly: false },
        ]),
      ),
    );
    expect(found).toEqual({ serving: true, org: "acme", repos: [{ org: "acme", repo: "work" }] });
  });

  it("believes only repos that have a directory, in the org of the mount", () => {
    const found = parseInspection(
      listing(
        ["daemon running", "dir acme/work", "dir other/work"],
        stats([
          { repo: "acme/work", rev: "bookmark:main", readOnly: false },
          { repo: "acme/ghost", rev: "bookmark:main", readOnly: false },
        ]),
      ),
    );
    expect(found.repos).toEqual([{ org: "acme", repo: "work", bookmark: "main", readOnly: false }]);
  });

  it("leaves a revision that is a change id unknown", () => {
    const found = parseInspection(
      listing(
        ["daemon running", "dir acme/work"],
        stats([{ repo: "acme/work", rev: "change-id:abc", readOnly: false }]),
      ),
    );
    expect(found.repos).toEqual([{ org: "acme", repo: "work", readOnly: false }]);
  });

  it("falls back to the directories when mesa stats prints no JSON", () => {
    const found = parseInspection(listing(["daemon running", "dir acme/work"], "not json {"));
    expect(found).toEqual({ serving: true, org: "acme", repos: [{ org: "acme", repo: "work" }] });
  });

  it("knows no org when directories of several orgs are left and mesa stats is silent", () => {
    expect(parseInspection(listing(["daemon stopped", "dir acme/a", "dir other/b"]))).toEqual({
      serving: false,
      repos: [],
    });
  });

  it("counts a mount mesa stats reports failed as not serving", () => {
    const found = parseInspection(
      listing(["daemon running", "dir acme/work"], stats([], { state: "failed" })),
    );
    expect(found.serving).toBe(false);
  });

  it(`takes at most ${MAX_REPOS} repos and reads a bounded output`, () => {
    const dirs = Array.from({ length: MAX_REPOS + 10 }, (_, i) => `dir acme/r${i}`);
    expect(parseInspection(listing(["daemon running", ...dirs])).repos).toHaveLength(MAX_REPOS);
    const flood = `daemon stopped\n${"x".repeat(200_000)}\ndir acme/late`;
    expect(parseInspection(flood).repos, "lines past the bound are not read").toEqual([]);
  });
});
