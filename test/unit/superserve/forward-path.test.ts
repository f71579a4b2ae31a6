import { describe, expect, it } from "vitest";
import { refusedPath } from "../../../local/superserve/egress/forward-path";

describe("the paths the egress layer forwards to a local backend", () => {
  it("forwards the vendor API's paths in normal form, queries and encoded bookmark names included", () => {
    for (const path of [
      "/v1",
      "/v1/local/repos",
      "/v1/local/my-repo/content?path=../x&ref=main",
      "/v1/local/my-repo/bookmarks/feature%2Fx",
      "/v1/local/my-repo/bookmarks/",
    ])
      expect(refusedPath(path, "/v1"), path).toBeUndefined();
    expect(refusedPath("/anything/at/all", ""), "a test upstream's whole host").toBeUndefined();
  });

  it("refuses every spelling of a path escape, the local admin endpoints and paths outside the API", () => {
    const refused: Record<string, RegExp> = {
      "/v1/../_local/faults": /`\.` or `\.\.`/,
      "/../_local/faults": /`\.` or `\.\.`/,
      "/v1/%2e%2e/_local/faults": /`\.` or `\.\.`/,
      "/v1/%2E%2E/%5flocal/faults": /`\.` or `\.\.`/,
      "/v1/.%2e/x": /`\.` or `\.\.`/,
      "/v1/./local/repos": /`\.` or `\.\.`/,
      "/v1/..%2f_local%2ffaults": /`\.` or `\.\.`/,
      "/v1/x%2f..%2f..%2fy": /`\.` or `\.\.`/,
      "/v1/..%5c_local": /`\.` or `\.\.`/,
      "/v1\\..\\_local/faults": /backslash/,
      "/v1//_local/faults": /empty segment/,
      "//_local/faults": /empty segment/,
      "/_local/faults": /own endpoints/,
      "/v1/%5Flocal/faults": /own endpoints/,
      "/v1/x%2f_local": /own endpoints/,
      "/whoami": /only the API under \/v1\//,
      "/v1x/local": /only the API under \/v1\//,
      "/v1/%zz": /malformed/,
      "/v1/a%00b": /control character/,
      "http://api.mesa.dev/v1": /not an absolute path/,
      "*": /not an absolute path/,
      "/v1/a b": /space/,
      "/v1/{x}": /normal form/,
    };
    for (const [path, reason] of Object.entries(refused))
      expect(refusedPath(path, "/v1"), path).toMatch(reason);
    expect(refusedPath("/../etc/passwd", ""), "a test upstream too").toMatch(/`\.\.`/);
  });
});
