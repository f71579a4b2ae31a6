import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Mesa } from "@mesadev/sdk" with { "resolution-mode": "import" };
import { startLocalMesa, type LocalMesa } from "../../local/mesa";
import { createTempProject, type TempProject } from "../helpers/pulumi";

let mesa: LocalMesa;
let client: Mesa;
let project: TempProject;
const suffix = randomUUID().slice(0, 6);

const program = (args: string) => `import { MesaRepo } from "pulumi-superserve-mesa";
const repo = new MesaRepo("workspace", ${args});
export const name = repo.name;
export const org = repo.org;
export const repoId = repo.id;
export const tags = repo.tags;
`;

async function repoNamed(name: string) {
  try {
    return await client.repos.get({ repo: name });
  } catch (err) {
    if ((err as { status?: number }).status === 404) return undefined;
    throw err;
  }
}

async function reposTaggedWith(urnPart: string) {
  const page = await client.repos.list({ limit: 100 });
  return page.repos.filter((r) => (r.tags?.["pulumi-urn"] ?? "").includes(urnPart));
}

beforeAll(async () => {
  mesa = await startLocalMesa({ port: 0 });
  const { Mesa: MesaClient } = await import("@mesadev/sdk");
  client = new MesaClient({ apiKey: mesa.apiKey, apiUrl: mesa.url, org: mesa.org });
  project = await createTempProject({
    name: `mesa-${suffix}`,
    program: program(`{ tags: { team: "agents" } }`),
    env: { MESA_API_KEY: mesa.apiKey, MESA_API_URL: mesa.url },
  });
});

afterAll(async () => {
  await project?.dispose();
  await mesa?.stop();
});

describe("MesaRepo through the real engine", () => {
  let firstName = "";
  let firstId = "";

  it("shows a readable type in preview, creates on up, and a second up changes nothing", async () => {
    const preview = await project.stack.preview({ color: "never" });
    expect(preview.stdout).toContain("pulumi-nodejs:dynamic/superserve-mesa:MesaRepo");
    const up = await project.stack.up({ color: "never" });
    firstName = up.outputs.name.value;
    firstId = up.outputs.repoId.value;
    expect(firstName).toMatch(/^workspace-[0-9a-f]{7}$/);
    expect(up.outputs.org.value).toBe(mesa.org);
    expect((await repoNamed(firstName))?.tags).toMatchObject({ team: "agents", "pulumi-urn": expect.stringContaining("::workspace") });
    const again = await project.stack.up({ color: "never" });
    expect(again.summary.resourceChanges, "no-op up").toEqual({ same: 2 });
  });

  it("updates tags in place, keeping the repo", async () => {
    project.writeProgram(program(`{ tags: { team: "platform" } }`));
    const up = await project.stack.up({ color: "never" });
    expect(up.summary.resourceChanges).toMatchObject({ update: 1 });
    expect(up.outputs.repoId.value).toBe(firstId);
    expect((await repoNamed(firstName))?.tags).toMatchObject({ team: "platform" });
  });

  it("refresh shows out-of-band edits, and the next up restores the program's values", async () => {
    await client.repos.update({ repo: firstName, tags: { team: "hacked" } });
    const refresh = await project.stack.refresh({ color: "never" });
    expect(refresh.summary.resourceChanges).toMatchObject({ update: 1 });
    const up = await project.stack.up({ color: "never" });
    expect(up.summary.resourceChanges).toMatchObject({ update: 1 });
    expect((await repoNamed(firstName))?.tags).toMatchObject({ team: "platform" });
  });

  it("refresh drops a repo deleted out of band, and up creates it again", async () => {
    await client.repos.delete({ repo: firstName });
    const refresh = await project.stack.refresh({ color: "never" });
    expect(refresh.summary.resourceChanges).toMatchObject({ delete: 1 });
    const up = await project.stack.up({ color: "never" });
    expect(up.summary.resourceChanges).toMatchObject({ create: 1 });
    firstName = up.outputs.name.value;
    expect((await repoNamed(firstName))?.tags).toMatchObject({ team: "platform" });
  });

  it("adopts an existing repo", async () => {
    const existing = `legacy-${suffix}`;
    await client.repos.create({ name: existing, tags: { origin: "manual" } });
    project.writeProgram(program(`{ adopt: { name: "${existing}" }, tags: { team: "platform" } }`));
    const up = await project.stack.up({ color: "never" });
    expect(up.outputs.name.value).toBe(existing);
    const live = await repoNamed(existing);
    expect(live?.tags, "brought to the program's tags and marked as managed").toEqual({
      team: "platform",
      "pulumi-urn": expect.stringContaining("::workspace"),
    });
    expect(await repoNamed(firstName), "the replaced repo was deleted").toBeUndefined();
  });

  it("an up killed mid-create converges on the next up without orphans", async () => {
    project.writeProgram(program(`{ tags: { team: "platform" } }`).replace('"workspace"', '"interrupted"'));
    await fetch(`${mesa.origin}/_local/faults`, {
      method: "POST",
      headers: { Authorization: `Bearer ${mesa.apiKey}`, "Content-Type": "application/json" },
      body: JSON.stringify({ method: "POST", path: "/repos$", count: 1, latencyMs: 4000 }),
    });
    const child = project.spawnPulumi(["up", "--yes", "--skip-preview", "--non-interactive"]);
    let output = "";
    child.stdout!.on("data", (d) => (output += d));
    await new Promise((r) => setTimeout(r, 500));
    for (let i = 0; i < 60 && !output.includes("interrupted creating"); i++) await new Promise((r) => setTimeout(r, 250));
    expect(output, "the engine reached the create").toContain("interrupted creating");
    await project.killPulumi(child);
    await new Promise((r) => setTimeout(r, 4500));
    const up = await project.stack.up({ color: "never" });
    const name = up.outputs.name.value;
    const tagged = await reposTaggedWith("::interrupted");
    expect(tagged.map((r) => r.name), "exactly one repo for the resource").toEqual([name]);
  });

  it("keeps API keys out of the state and the serialized provider small", async () => {
    const exported = JSON.stringify(await project.stack.exportStack());
    expect(exported).not.toContain(mesa.apiKey);
    const providers = [...exported.matchAll(/"__provider":"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]);
    expect(providers.length).toBeGreaterThan(0);
    for (const p of providers) expect(p.length, "the serialized provider is a small trampoline").toBeLessThan(4000);
    expect(project.stateFilesContaining(mesa.apiKey), "state files with the API key").toEqual([]);
  });

  it("destroy deletes the repos", async () => {
    await project.stack.destroy({ color: "never" });
    expect(await reposTaggedWith("::interrupted")).toEqual([]);
    expect(await reposTaggedWith("::workspace")).toEqual([]);
  });
});
