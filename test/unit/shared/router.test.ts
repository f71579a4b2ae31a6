import { describe, expect, it } from "vitest";
import { RouteTable } from "../../../local/shared/router";

describe("RouteTable", () => {
  const table = new RouteTable<string>()
    .add("GET", "/v1/{org}/repos", "repos.list")
    .add("GET", "/v1/{org}/{repo}", "repos.get")
    .add("GET", "/v1/{org}/{repo}/bookmarks/{bookmark}", "bookmarks.get")
    .add("POST", "/v1/{org}/{repo}/bookmarks/merge", "bookmarks.merge");

  it("lets a static segment win over a parameter", () => {
    expect(table.match("GET", "/v1/acme/repos")?.route).toBe("repos.list");
    expect(table.match("GET", "/v1/acme/r1")?.route).toBe("repos.get");
    expect(table.match("POST", "/v1/acme/r1/bookmarks/merge")?.route).toBe("bookmarks.merge");
  });

  it("decodes %2F inside one segment instead of splitting on it", () => {
    const m = table.match("GET", "/v1/acme/r1/bookmarks/feat%2Fx");
    expect(m?.route).toBe("bookmarks.get");
    expect(m?.params).toEqual({ org: "acme", repo: "r1", bookmark: "feat/x" });
  });

  it("decodes exactly once and lists the methods of a matched path", () => {
    expect(table.match("GET", "/v1/a%20b/r%252F")?.params).toEqual({ org: "a b", repo: "r%2F" });
    expect(table.match("DELETE", "/v1/acme/r1")).toBeUndefined();
    expect(table.allowedMethods("/v1/acme/r1")).toEqual(["GET"]);
  });
});
