import { describe, expect, it } from "vitest";
import { ConfigError, parseRepoRevs, readMountConfig } from "../../../local/mesa-cli/config";
import { canWrite, readTokenClaims } from "../../../local/mesa-cli/token";

const base = { HOME: "/home/user", MESA_ORG: "acme", MESA_API_KEY: "mesa_secret" };

describe("mesa mount configuration from the environment", () => {
  it("applies the real CLI's defaults", () => {
    const config = readMountConfig(base, false);
    expect(config.mountPoint).toBe("/home/user/.local/share/mesa/mnt");
    expect(config.apiUrl).toBe("https://api.mesa.dev/v1");
    expect(config.pidFile).toBe("/home/user/.local/state/mesa/run/mesa.pid");
    expect(config.logFile).toBeUndefined();
    expect(readMountConfig(base, true).logFile).toBe("/home/user/.local/state/mesa/run/daemon.log");
  });

  it("reads the overrides, expanding ~", () => {
    const config = readMountConfig(
      {
        ...base,
        MESA_MOUNT_POINT: "~/mnt",
        MESA_RUNTIME_DIR: "/tmp/rt",
        MESA_DAEMON_LOG_FILE: "~/mesa.log",
        MESA_API_URL: "http://127.0.0.1:7000/v1",
        MESA_REPO_REVS: "acme/a=bookmark:feat/x, acme/b=change-id:kkkk",
        MESA_READ_ONLY_REPOS: "acme/b",
      },
      true,
    );
    expect(config).toMatchObject({
      mountPoint: "/home/user/mnt",
      pidFile: "/tmp/rt/mesa.pid",
      logFile: "/home/user/mesa.log",
      apiUrl: "http://127.0.0.1:7000/v1",
    });
    expect(config.repoRevs.get("acme/a")).toEqual({ kind: "bookmark", name: "feat/x" });
    expect(config.repoRevs.get("acme/b")).toEqual({ kind: "change-id", id: "kkkk" });
    expect([...config.readOnlyRepos]).toEqual(["acme/b"]);
  });

  it("names the variable to fix when something is missing or malformed", () => {
    expect(() => readMountConfig({ HOME: "/h", MESA_API_KEY: "k" }, false)).toThrow(
      /MESA_ORG is not set/,
    );
    expect(() => readMountConfig({ HOME: "/h", MESA_ORG: "o" }, false)).toThrow(
      /MESA_API_KEY is not set/,
    );
    expect(() => readMountConfig({ ...base, MESA_API_URL: "ftp://x" }, false)).toThrow(
      /MESA_API_URL/,
    );
    expect(() => parseRepoRevs("acme/a=tag:v1")).toThrow(ConfigError);
    expect(() => parseRepoRevs("acme/a=tag:v1")).toThrow(/MESA_REPO_REVS entry 'acme\/a=tag:v1'/);
  });
});

describe("access token claims", () => {
  it("reads scopes, repos and expiry from the SDK's HS256 token and ignores API keys", () => {
    const token =
      "eyJhbGciOiJIUzI1NiIsInR5cCI6Im1lc2EtYXQrand0Iiwia2lkIjoia2V5XzEyMy52MSJ9.eyJpc3MiOiJrZXlfMTIzIiwiYXVkIjoibWVzYS1hcGkiLCJzY29wZXMiOlsicmVhZCIsIndyaXRlIl0sInJlcG9zIjpbImFjbWUvcjEiXSwiaWF0IjoxNzAwMDAwMDAwLCJleHAiOjE3MDAwMDM2MDAsImp0aSI6IjAwMDAwMDAwLTAwMDAtNDAwMC04MDAwLTAwMDAwMDAwMDAwMCJ9.EGJTUF5QQDZ5PhtTK0_88rR_Xy-s26EjpbnHan5Mehc";
    expect(readTokenClaims(token)).toEqual({
      scopes: ["read", "write"],
      repos: ["acme/r1"],
      expiresAtMs: 1700003600000,
    });
    expect(readTokenClaims("mesa_testkey")).toBeUndefined();
    expect(canWrite(["read"])).toBe(false);
    expect(canWrite(["read", "write"])).toBe(true);
  });
});
