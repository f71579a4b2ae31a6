/**
 * MountedSandbox `import` (what `pulumi import` calls through the plugin) against local Mesa and
 * local Superserve, in sandboxes the test sets up with the unmodified SDK: a mount of the vendors'
 * guide (a repo-scoped token signed with the Mesa SDK, `mesa mount -d` with `MESA_ORG` and
 * `MESA_API_KEY` only) is found with its bookmark and read-only flag; what a hostile sandbox
 * fakes — a daemon, directories and a `mesa stats` naming a repo Mesa does not have — is believed
 * only for the repo Mesa knows; a sandbox with nothing mounted leaves `repos` to the program.
 */
import type { Mesa } from "@mesadev/sdk" with { "resolution-mode": "import" };
import { Sandbox } from "@superserve/sdk";
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LogSink } from "../../../provider/engine-log";
import type { ProviderMethods } from "../../../provider/lifecycle";
import { MOUNT_POINT, PID_FILE } from "../../../provider/mounted-sandbox/mount-commands";
import { createProvider } from "../../../provider/mounted-sandbox/provider";
import { systemClock } from "../../../provider/retry";
import { startLocalBackends, type LocalBackends } from "../../helpers/local-backends";
import { seedRepo } from "../../helpers/mesa-repos";
import { uniqueName } from "../../helpers/names";

let backends: LocalBackends;
let mesa: Mesa;
let org: string;
const logs: string[] = [];
const sink: LogSink = { send: (_s, m) => void logs.push(m) };
const created: string[] = [];
const URN = "urn:pulumi:it::proj::superserve-mesa:index:MountedSandbox::imported";

beforeAll(async () => {
  backends = await startLocalBackends({ mesaCli: true });
  mesa = backends.mesaClient;
  org = backends.mesa.org;
}, 300_000);

afterAll(async () => {
  for (const id of created) await Sandbox.killById(id, backends.conn()).catch(() => undefined);
  await backends?.close();
}, 120_000);

function provider(): ProviderMethods {
  return createProvider(undefined, {
    env: backends.env(),
    cwd: "/nonexistent",
    clock: systemClock,
    logSink: sink,
    suffix: () => randomUUID().slice(0, 7),
  });
}

async function sandbox(): Promise<string> {
  const made = await Sandbox.create({
    ...backends.conn(),
    name: uniqueName("import"),
    fromTemplate: "superserve/base",
  });
  created.push(made.id);
  return made.id;
}

async function run(id: string, cmd: string, env?: Record<string, string>) {
  const result = await (
    await Sandbox.connect(id, backends.conn())
  ).commands.run(cmd, { env, timeoutMs: 60_000 });
  expect(result.exitCode, `${cmd}: ${result.stderr}`).toBe(0);
  return result;
}

describe("MountedSandbox import", () => {
  it("finds a read-only mount of the vendors' guide with its bookmark", async () => {
    const repo = await seedRepo(mesa, uniqueName("guide"), { "README.md": "hello\n" });
    const { token } = await mesa.tokens.create({
      scopes: ["read"],
      repos: [`${org}/${repo}`],
      ttl_seconds: 3600,
    });
    const id = await sandbox();
    await run(id, "mesa mount -d", { MESA_ORG: org, MESA_API_KEY: token });
    const imported = await provider().import(id, URN);
    expect(imported?.id).toBe(id);
    expect(imported?.props).toMatchObject({
      mounted: true,
      org,
      bookmarks: { [repo]: "main" },
      repos: [{ repo, fork: false, readOnly: true }],
      tokenExpiresAt: "",
    });
    expect(imported?.inputs.repos, "the program's repos, as mounted").toEqual([
      { repo, fork: false, readOnly: true },
    ]);
    expect(imported?.inputs.unreported).toEqual(expect.arrayContaining(["template", "envVars"]));
    expect(JSON.stringify(imported), "the token is read nowhere").not.toContain(token);
  });

  it("believes what a hostile sandbox fakes only for the repo Mesa knows", async () => {
    const repo = await seedRepo(mesa, uniqueName("real"), { "README.md": "real\n" });
    const id = await sandbox();
    const stats = JSON.stringify({
      org,
      state: "ok",
      repos: [
        { repo: `${org}/${repo}`, rev: "bookmark:main", readOnly: false },
        { repo: `${org}/ghost`, rev: "bookmark:main", readOnly: false },
        { repo: `${org}/x;reboot`, rev: "bookmark:main", readOnly: false },
      ],
    });
    await run(
      id,
      [
        `mkdir -p ${MOUNT_POINT}/${org}/${repo} ${MOUNT_POINT}/${org}/ghost $(dirname ${PID_FILE}) $HOME/.local/bin`,
        `setsid sleep 300 >/dev/null 2>&1 < /dev/null & echo $! > ${PID_FILE}`,
        `printf '%s\\n' '${stats}' > /tmp/fake-stats.json`,
        `printf '#!/bin/sh\\ncat /tmp/fake-stats.json\\n' > $HOME/.local/bin/mesa`,
        "chmod +x $HOME/.local/bin/mesa",
      ].join("\n"),
    );
    const imported = await provider().import(id, URN);
    expect(imported?.props).toMatchObject({
      mounted: true,
      mountPaths: { [repo]: `${MOUNT_POINT}/${org}/${repo}` },
      bookmarks: { [repo]: "main" },
      repos: [{ repo, fork: false, readOnly: false }],
    });
    expect(Object.keys(imported?.props.mountPaths as object), "ghost left out").toEqual([repo]);
    expect(logs.join("\n")).toContain(`mounts ${org}/ghost, which Mesa does not show`);
  });

  it("leaves repos to the program when nothing is mounted", async () => {
    const id = await sandbox();
    const imported = await provider().import(id, URN);
    expect(imported?.props).toMatchObject({ status: "active", mounted: false, mountPaths: {} });
    expect(imported?.props.repos).toBeUndefined();
    expect(imported?.inputs.unreported).toContain("repos");
  });

  it("finds nothing for an id that names no sandbox", async () => {
    expect(await provider().import("no-such-sandbox", URN)).toBeUndefined();
  });
});
