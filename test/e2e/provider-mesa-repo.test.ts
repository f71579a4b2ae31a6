import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect } from "vitest";
import type { Mesa } from "@mesadev/sdk" with { "resolution-mode": "import" };
import { startLocalMesa, type LocalMesa } from "../../local/mesa";
import { eventually } from "../helpers/eventually";
import { createTempProject, type TempProject } from "../helpers/pulumi";
import { credentialVariables } from "../helpers/credentials";
import { dependentSteps } from "../helpers/steps";

let mesa: LocalMesa;
let client: Mesa;
let project: TempProject;
const suffix = randomUUID().slice(0, 6);
/** Requests delayed by a latency fault wait here until the test releases them (local Mesa's injectable sleep). */
const held: (() => void)[] = [];
const releaseHeld = () => held.splice(0).forEach((release) => release());

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

/** The repo the stack holds now, read from its outputs: each test starts from the stack, not from another test's variables. */
async function stackRepo(): Promise<{ name: string; repoId: string }> {
  const outputs = await project.stack.outputs();
  if (outputs.name === undefined)
    throw new Error(
      "the stack holds no MesaRepo: this test continues the stack of the tests before it in this file",
    );
  return { name: outputs.name.value, repoId: outputs.repoId.value };
}

async function reposTaggedWith(urnPart: string) {
  const page = await client.repos.list({ limit: 100 });
  return page.repos.filter((r) => (r.tags?.["pulumi-urn"] ?? "").includes(urnPart));
}

beforeAll(async () => {
  mesa = await startLocalMesa({
    port: 0,
    sleep: () => new Promise<void>((release) => held.push(release)),
  });
  const { Mesa: MesaClient } = await import("@mesadev/sdk");
  client = new MesaClient({ apiKey: mesa.apiKey, apiUrl: mesa.url, org: mesa.org });
  project = await createTempProject({
    name: `mesa-${suffix}`,
    program: program(`{ tags: { team: "agents" } }`),
    env: credentialVariables({ mesa }),
  });
});

afterAll(async () => {
  releaseHeld();
  await project?.dispose();
  await mesa?.stop();
});

describe("MesaRepo through the real engine", () => {
  const step = dependentSteps();
  step(
    "shows a readable type in preview, creates on up, and a second up changes nothing",
    async () => {
      const preview = await project.stack.preview({ color: "never" });
      expect(preview.stdout).toContain("pulumi-nodejs:dynamic/superserve-mesa:MesaRepo");
      const up = await project.stack.up({ color: "never" });
      const name = up.outputs.name.value;
      expect(name).toMatch(/^workspace-[0-9a-f]{7}$/);
      expect(up.outputs.org.value).toBe(mesa.org);
      expect((await repoNamed(name))?.tags).toMatchObject({
        team: "agents",
        "pulumi-urn": expect.stringContaining("::workspace"),
      });
      const again = await project.stack.up({ color: "never" });
      expect(again.summary.resourceChanges, "no-op up").toEqual({ same: 2 });
    },
  );

  step("updates tags in place, keeping the repo", async () => {
    const before = await stackRepo();
    project.writeProgram(program(`{ tags: { team: "platform" } }`));
    const up = await project.stack.up({ color: "never" });
    expect(up.summary.resourceChanges).toMatchObject({ update: 1 });
    expect(up.outputs.repoId.value).toBe(before.repoId);
    expect((await repoNamed(before.name))?.tags).toMatchObject({ team: "platform" });
  });

  step(
    "refresh shows out-of-band edits, and the next up restores the program's values",
    async () => {
      const { name } = await stackRepo();
      await client.repos.update({ repo: name, tags: { team: "hacked" } });
      const refresh = await project.stack.refresh({ color: "never" });
      expect(refresh.summary.resourceChanges).toMatchObject({ update: 1 });
      const up = await project.stack.up({ color: "never" });
      expect(up.summary.resourceChanges).toMatchObject({ update: 1 });
      expect((await repoNamed(name))?.tags).toMatchObject({ team: "platform" });
    },
  );

  step("refresh drops a repo deleted out of band, and up creates it again", async () => {
    await client.repos.delete({ repo: (await stackRepo()).name });
    const refresh = await project.stack.refresh({ color: "never" });
    expect(refresh.summary.resourceChanges).toMatchObject({ delete: 1 });
    const up = await project.stack.up({ color: "never" });
    expect(up.summary.resourceChanges).toMatchObject({ create: 1 });
    expect((await repoNamed(up.outputs.name.value))?.tags).toMatchObject({ team: "platform" });
  });

  step("adopts an existing repo", async () => {
    const replaced = (await stackRepo()).name;
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
    expect(await repoNamed(replaced), "the replaced repo was deleted").toBeUndefined();
  });

  step("an up killed mid-create converges on the next up without orphans", async () => {
    project.writeProgram(
      program(`{ tags: { team: "platform" } }`).replace('"workspace"', '"interrupted"'),
    );
    // A latency fault on the create; its wait (the injected sleep) lasts until the test releases it.
    const armed = await fetch(`${mesa.origin}/_local/faults`, {
      method: "POST",
      headers: { Authorization: `Bearer ${mesa.apiKey}`, "Content-Type": "application/json" },
      body: JSON.stringify({ method: "POST", path: "/repos$", count: 1, latencyMs: 1 }),
    });
    const answer = await armed.text();
    expect(armed.status, `the fault is armed: ${answer}`).toBe(201);
    expect(JSON.parse(answer), "the answer names the armed fault").toMatchObject({
      id: expect.any(String),
    });
    const child = project.spawnPulumi(["up", "--yes", "--skip-preview", "--non-interactive"]);
    let output = "";
    child.stdout!.on("data", (d) => (output += d));
    await eventually(
      "the engine to be creating the repo, its request held at Mesa",
      () => held.length > 0 && output.includes("interrupted creating"),
      60_000,
      250,
    ).catch((error: Error) => {
      throw new Error(`${error.message}; engine output so far:\n${output}`);
    });
    // Released in the same tick as the kill: Mesa goes on with the create while the engine dies
    // before it hears the answer (local Mesa drops a request whose client is already gone).
    releaseHeld();
    await project.killPulumi(child);
    const afterKill = await project.stack.exportStack();
    const recorded = (afterKill.deployment.resources ?? []).filter((r: { urn: string }) =>
      r.urn.endsWith("::interrupted"),
    );
    expect(recorded, "the killed up recorded no repo for the resource").toEqual([]);
    const orphan = await eventually(
      "the interrupted create's repo at Mesa",
      async () => (await reposTaggedWith("::interrupted"))[0]?.name,
      10_000,
    );
    const up = await project.stack.up({ color: "never" });
    const name = up.outputs.name.value;
    expect(name, "the next up adopted the repo of the interrupted create").toBe(orphan);
    expect(up.stdout).toContain("created by an earlier interrupted run");
    const tagged = await reposTaggedWith("::interrupted");
    expect(
      tagged.map((r) => r.name),
      "exactly one repo for the resource",
    ).toEqual([name]);
  });

  step("keeps API keys out of the state and the serialized provider small", async () => {
    const exported = JSON.stringify(await project.stack.exportStack());
    expect(exported).not.toContain(mesa.apiKey);
    const providers = [...exported.matchAll(/"__provider":"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]);
    expect(providers.length).toBeGreaterThan(0);
    for (const p of providers)
      expect(p.length, "the serialized provider is a small trampoline").toBeLessThan(4000);
    expect(project.stateFilesContaining(mesa.apiKey), "state files with the API key").toEqual([]);
  });

  step("destroy deletes the repos", async () => {
    await project.stack.destroy({ color: "never" });
    expect(await reposTaggedWith("::interrupted")).toEqual([]);
    expect(await reposTaggedWith("::workspace")).toEqual([]);
  });
});
