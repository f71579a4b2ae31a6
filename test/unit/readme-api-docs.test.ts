import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { providerFiles, renderApiDocs, updatedReadme } from "../../scripts/api-docs";

const root = join(__dirname, "..", "..");

describe("the README's resource reference", () => {
  it("matches the TSDoc of the public args and outputs (run `npx tsx scripts/api-docs.ts` to update)", () => {
    const readme = readFileSync(join(root, "README.md"), "utf8");
    expect(updatedReadme(readme, renderApiDocs(providerFiles()))).toBe(readme);
  });

  it("documents every exported resource", () => {
    const docs = renderApiDocs(providerFiles());
    for (const name of [
      "MesaRepo",
      "SuperserveTemplate",
      "MountedSandbox",
      "SandboxCommand",
      "AgentEnvironment",
    ]) {
      expect(docs, `a section for ${name}`).toContain(`### \`${name}\``);
      expect(docs, `the args of ${name}`).toContain(`#### \`${name}Args\``);
    }
  });
});
