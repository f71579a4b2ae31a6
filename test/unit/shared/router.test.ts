import { describe, expect, it } from "vitest";
import { RouteTable } from "../../../local/shared/router";

describe("RouteTable", () => {
  const table = new RouteTable<string>()
    .add("GET", "/v1/{org}/repos", "repos.list")
    .add("POST", "/v1/{org}/repos", "repos.create")
    .add("GET", "/v1/{org}/{repo}", "repos.get")
    .add("DELETE", "/v1/{org}/{repo}", "repos.delete")
    .add("GET", "/v1/{org}/{repo}/bookmarks/{bookmark}", "bookmarks.get")
    .add("POST", "/v1/{org}/{repo}/bookmarks/merge", "bookmarks.merge");

  const route = (method: string, path: string) => {
    const found = table.lookup(method, path);
    return found.kind === "route" ? found : undefined;
  };

  it("lets a static segment win over a parameter", () => {
    expect(route("GET", "/v1/acme/repos")?.route).toBe("repos.list");
    expect(route("GET", "/v1/acme/r1")?.route).toBe("repos.get");
    expect(route("POST", "/v1/acme/r1/bookmarks/merge")?.route).toBe("bookmarks.merge");
  });

  it("decodes %2F inside one segment instead of splitting on it", () => {
    const m = route("GET", "/v1/acme/r1/bookmarks/feat%2Fx");
    expect(m?.route).toBe("bookmarks.get");
    expect(m?.params).toEqual({ org: "acme", repo: "r1", bookmark: "feat/x" });
  });

  it("decodes exactly once", () => {
    expect(route("GET", "/v1/a%20b/r%252F")?.params).toEqual({ org: "a b", repo: "r%2F" });
  });

  it("answers a method the path lacks with the path's own methods, whatever other patterns have", () => {
    expect(table.lookup("PATCH", "/v1/acme/r1")).toEqual({
      kind: "method-not-allowed",
      allowed: ["GET", "DELETE"],
    });
    // `/v1/acme/repos` is `/{org}/repos`, never `/{org}/{repo}` (which has DELETE).
    expect(table.lookup("DELETE", "/v1/acme/repos")).toEqual({
      kind: "method-not-allowed",
      allowed: ["GET", "POST"],
    });
    expect(table.lookup("GET", "/v1/acme/r1/bookmarks")).toEqual({ kind: "not-found" });
  });

  it("refuses a method and pattern registered twice", () => {
    expect(() => new RouteTable<string>().add("GET", "/a", "x").add("GET", "/a", "y")).toThrow(
      "GET /a is registered twice",
    );
  });
});
