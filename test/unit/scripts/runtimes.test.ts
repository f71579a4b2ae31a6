/**
 * The two tested runtimes (scripts/runtimes.sh) and what the package promises: the peer range of
 * `@pulumi/pulumi` spans exactly the minimum and the current SDK, the lockfile pins the minimum,
 * and `engines` admits the minimum Node.js.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(__dirname, "..", "..", "..");
const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
  engines: { node: string };
  peerDependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
const runtimes = Object.fromEntries(
  readFileSync(join(root, "scripts", "runtimes.sh"), "utf8")
    .split("\n")
    .filter((line) => /^[A-Z_]+=/.test(line))
    .map((line) => line.split("=") as [string, string]),
);

function nextMinor(version: string): string {
  const [major, minor] = version.split(".").map(Number);
  return `${major}.${minor + 1}.0`;
}

describe("the tested runtimes and the package's promises", () => {
  it("names both runtimes", () => {
    expect(Object.keys(runtimes).sort()).toEqual([
      "CURRENT_NODE",
      "CURRENT_PULUMI",
      "CURRENT_PYTHON_PULUMI",
      "MIN_NODE",
      "MIN_PULUMI",
    ]);
  });

  it("peers on exactly the @pulumi/pulumi versions from the minimum to the current", () => {
    expect(manifest.peerDependencies["@pulumi/pulumi"]).toBe(
      `>=${runtimes.MIN_PULUMI} <${nextMinor(runtimes.CURRENT_PULUMI)}`,
    );
  });

  it("develops and runs the whole suite on the minimum SDK, and admits the minimum Node.js", () => {
    expect(manifest.devDependencies["@pulumi/pulumi"]).toBe(runtimes.MIN_PULUMI);
    expect(manifest.engines.node).toBe(`>=${runtimes.MIN_NODE}`);
  });

  it("tests a current Node.js and SDK newer than the minimum", () => {
    expect(Number(runtimes.CURRENT_NODE.split(".")[0])).toBeGreaterThan(
      Number(runtimes.MIN_NODE.split(".")[0]),
    );
    const [, currentMinor] = runtimes.CURRENT_PULUMI.split(".").map(Number);
    const [, minimumMinor] = runtimes.MIN_PULUMI.split(".").map(Number);
    expect(currentMinor).toBeGreaterThan(minimumMinor);
  });
});

describe("which @pulumi/pulumi reads a dynamic resource by id (the resources' `get`)", () => {
  it("is 3.268.0 and later: the current runtime's SDK, not the minimum's", async () => {
    const { READ_BY_ID_SINCE, versionAtLeast } = await import("../../../provider/dynamic");
    expect(READ_BY_ID_SINCE).toBe("3.268.0");
    expect(versionAtLeast(runtimes.CURRENT_PULUMI, READ_BY_ID_SINCE)).toBe(true);
    expect(versionAtLeast(runtimes.MIN_PULUMI, READ_BY_ID_SINCE)).toBe(false);
    expect(versionAtLeast("3.268.0", READ_BY_ID_SINCE)).toBe(true);
    expect(versionAtLeast("3.267.9", READ_BY_ID_SINCE)).toBe(false);
    expect(versionAtLeast("4.0.0", READ_BY_ID_SINCE)).toBe(true);
  });
});
