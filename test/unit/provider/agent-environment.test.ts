/**
 * AgentEnvironment's shape under Pulumi's runtime mocks (no engine, no services): children named
 * and parented after it, the repo protected by default, one forked sandbox per count, the mesa
 * installer added for the real service only, the transform hook, and the agent: one background
 * command per sandbox in its mount, with its own task, and the `agents` output; built with the
 * provider plugin's children, its agents are the plugin's SandboxCommands.
 */
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { PLUGIN_CHILDREN } from "../../../plugin/resources";
import { AgentEnvironment } from "../../../provider/agent-environment";

interface Registered {
  type: string;
  name: string;
  inputs: Record<string, any>;
}

let registered: Registered[] = [];

beforeEach(() => {
  registered = [];
});

// One mock monitor for the whole file: a component registers its outputs after its test has
// finished, and a monitor replaced in between would reject that as an unknown resource.
beforeAll(async () => {
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        const opts = args as unknown as { custom?: boolean };
        registered.push({ type: args.type, name: args.name, inputs: args.inputs });
        const state: Record<string, unknown> = { ...args.inputs };
        if (args.type.endsWith(":MesaRepo"))
          Object.assign(state, { name: args.inputs.name ?? `${args.name}-x`, org: "acme" });
        if (args.type.endsWith(":SuperserveTemplate"))
          Object.assign(state, { name: `${args.name}-x` });
        if (args.type.endsWith(":MountedSandbox")) {
          Object.assign(state, {
            name: `${args.name}-x`,
            sandboxId: `id-${args.name}`,
            bookmarks: { "agent-workspace": `agents/${args.name}` },
            mountPaths: {
              "agent-workspace": "/home/user/.local/share/mesa/mnt/acme/agent-workspace",
            },
            mountPath: "/home/user/.local/share/mesa/mnt/acme/agent-workspace",
            tokenExpiresAt: "2025-01-01T01:00:00Z",
          });
        }
        if (args.type.endsWith(":SandboxCommand"))
          Object.assign(state, {
            status: "running",
            startedAt: "2025-01-01T00:00:00Z",
            logTail: `log of ${args.name}`,
          });
        return { id: opts.custom === false ? "" : `${args.name}-id`, state };
      },
      call: () => ({}),
    },
    "proj",
    "dev",
    false,
  );
});

/** The value of an output (resolved by the mocks). */
function value<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply((v) => resolve(v)));
}

/** Whether the engine is asked to protect the resource (the SDK keeps the option on the object). */
function protectionOf(resource: pulumi.Resource): boolean {
  return (resource as unknown as { __protect?: boolean }).__protect === true;
}

const readmeArgs = {
  repo: { name: "agent-workspace" },
  template: {
    from: "ubuntu:24.04",
    steps: [{ run: "apt-get update && apt-get install -y ripgrep" }],
  },
  sandboxes: { count: 3 },
};

describe("AgentEnvironment", () => {
  it("builds the README's environment: a repo, a template and 3 sandboxes named after it", async () => {
    const env = new AgentEnvironment("agents", { ...readmeArgs, installMesaCli: false });
    const mounts = await value(env.mountPaths);
    expect(registered.map((r) => `${r.type.split(":").pop()}/${r.name}`).sort()).toEqual(
      [
        "AgentEnvironment/agents",
        "MesaRepo/agents-repo",
        "SuperserveTemplate/agents-template",
        "MountedSandbox/agents-sandbox-0",
        "MountedSandbox/agents-sandbox-1",
        "MountedSandbox/agents-sandbox-2",
      ].sort(),
    );
    expect(mounts).toEqual({
      "agents-sandbox-0-x": "/home/user/.local/share/mesa/mnt/acme/agent-workspace",
      "agents-sandbox-1-x": "/home/user/.local/share/mesa/mnt/acme/agent-workspace",
      "agents-sandbox-2-x": "/home/user/.local/share/mesa/mnt/acme/agent-workspace",
    });
    const sandboxes = await value(env.sandboxes);
    expect(sandboxes[1]).toEqual({
      name: "agents-sandbox-1-x",
      sandboxId: "id-agents-sandbox-1",
      bookmark: "agents/agents-sandbox-1",
      mountPath: "/home/user/.local/share/mesa/mnt/acme/agent-workspace",
    });
    const urns = await Promise.all(env.sandboxResources.map((s) => value(s.urn)));
    for (const urn of urns)
      expect(urn, "sandboxes are parented to the environment").toContain("AgentEnvironment$");
  });

  it("mounts the repo into each sandbox, forked (the provider's default) from the given base bookmark", async () => {
    const env = new AgentEnvironment("agents", {
      ...readmeArgs,
      sandboxes: { count: 1, bookmark: "trunk", tokenTtlSeconds: 7200 },
      installMesaCli: false,
    });
    await value(env.mountPaths);
    const sandbox = registered.find((r) => r.name === "agents-sandbox-0")!;
    expect(sandbox.inputs.repos).toEqual([
      { repo: "agent-workspace", org: "acme", bookmark: "trunk" },
    ]);
    expect(sandbox.inputs.template).toBe("agents-template-x");
    expect(sandbox.inputs.tokenTtlSeconds).toBe(7200);
  });

  it("protects the repo by default, and not when protectRepo is false", async () => {
    const protectedEnv = new AgentEnvironment("p", { ...readmeArgs, installMesaCli: false });
    const open = new AgentEnvironment("o", {
      ...readmeArgs,
      protectRepo: false,
      installMesaCli: false,
    });
    expect(protectionOf(protectedEnv.repo)).toBe(true);
    expect(protectionOf(open.repo)).toBe(false);
  });

  it("adds the official mesa installer as the template's last step only when asked (the real service)", async () => {
    const environments = [
      new AgentEnvironment("real", { ...readmeArgs, installMesaCli: true }),
      new AgentEnvironment("local", { ...readmeArgs, installMesaCli: false }),
    ];
    await Promise.all(environments.map((env) => value(env.template.name)));
    const real = registered.find((r) => r.name === "real-template")!;
    const local = registered.find((r) => r.name === "local-template")!;
    expect(real.inputs.steps.at(-1).run).toContain("https://mesa.dev/install.sh");
    expect(real.inputs.steps.at(-1).run).toContain("sh -s -- --yes");
    expect(local.inputs.steps).toEqual([{ run: "apt-get update && apt-get install -y ripgrep" }]);
  });

  it("applies transforms to the children's args and options", async () => {
    const env = new AgentEnvironment("t", {
      ...readmeArgs,
      sandboxes: { count: 2 },
      installMesaCli: false,
      transform: {
        template: { vcpu: 4 },
        repo: (args, opts) => {
          args.tags = { team: "agents" };
          opts.protect = false;
        },
        sandbox: (args, _opts, name) => {
          args.metadata = { agent: name };
        },
      },
    });
    await value(env.mountPaths);
    expect(registered.find((r) => r.name === "t-template")!.inputs.vcpu).toBe(4);
    expect(registered.find((r) => r.name === "t-sandbox-1")!.inputs.metadata).toEqual({
      agent: "t-sandbox-1",
    });
    expect(registered.find((r) => r.name === "t-repo")!.inputs.tags).toEqual({ team: "agents" });
    expect(protectionOf(env.repo), "the transform's options win over the default protection").toBe(
      false,
    );
  });

  it("refuses a count that is not a whole number", () => {
    expect(() => new AgentEnvironment("bad", { ...readmeArgs, sandboxes: { count: 1.5 } })).toThrow(
      /sandboxes.count must be a whole number/,
    );
  });

  it("runs the agent in the background in every sandbox's mount, each with its own task; the count follows the tasks", async () => {
    const tasks = ["the parser", "the CLI's 'help'", "the docs"];
    const env = new AgentEnvironment("crew", {
      repo: { name: "agent-workspace" },
      template: { from: "debian:12" },
      installMesaCli: false,
      agent: { command: 'claude "$AGENT_TASK"', tasks, environment: { MODEL: "m" } },
    });
    const agents = await value(env.agents);
    const commands = registered.filter((r) => r.type.endsWith(":SandboxCommand"));
    expect(commands.map((c) => c.name)).toEqual(["crew-agent-0", "crew-agent-1", "crew-agent-2"]);
    expect(env.sandboxResources).toHaveLength(3);
    commands.forEach((command, i) => {
      expect(command.inputs).toMatchObject({
        sandbox: `id-crew-sandbox-${i}`,
        cwd: "/home/user/.local/share/mesa/mnt/acme/agent-workspace",
        background: true,
        environment: { value: { MODEL: "m" } }, // sent to the engine as a secret
      });
      expect(command.inputs.create).toBe(
        `export AGENT_TASK='${tasks[i].replace(/'/g, "'\\''")}' AGENT_INDEX=${i}\nclaude "$AGENT_TASK"`,
      );
    });
    expect(agents).toEqual(
      Object.fromEntries(
        tasks.map((task, i) => [
          `crew-sandbox-${i}-x`,
          {
            task,
            status: "running",
            startedAt: "2025-01-01T00:00:00Z",
            logTail: `log of crew-agent-${i}`,
            tokenExpiresAt: "2025-01-01T01:00:00Z",
          },
        ]),
      ),
    );
  });

  it("refuses a count that differs from the number of tasks, naming both", () => {
    expect(
      () =>
        new AgentEnvironment("mismatch", {
          ...readmeArgs,
          agent: { command: "agent", tasks: ["one", "two"] },
        }),
    ).toThrow(/sandboxes.count is 3 but agent.tasks lists 2 tasks/);
  });

  it("built by the plugin's construct, runs its agents as the plugin's SandboxCommands in the mounts", async () => {
    const env = new AgentEnvironment(
      "plugged",
      {
        template: { from: "debian:12" },
        installMesaCli: false,
        agent: { command: "agent", tasks: ["one", "two"] },
      },
      undefined,
      PLUGIN_CHILDREN,
    );
    const agents = await value(env.agents);
    const commands = registered.filter((r) => r.type.endsWith(":SandboxCommand"));
    expect(commands.map((c) => [c.type, c.name])).toEqual([
      ["superserve-mesa:index:SandboxCommand", "plugged-agent-0"],
      ["superserve-mesa:index:SandboxCommand", "plugged-agent-1"],
    ]);
    commands.forEach((command, i) =>
      expect(command.inputs).toMatchObject({
        sandbox: `id-plugged-sandbox-${i}`,
        cwd: "/home/user/.local/share/mesa/mnt/acme/agent-workspace",
        background: true,
      }),
    );
    expect(Object.values(agents).map((a) => [a.task, a.status])).toEqual([
      ["one", "running"],
      ["two", "running"],
    ]);
  });

  it("runs no agent without one", async () => {
    const env = new AgentEnvironment("idle", { ...readmeArgs, installMesaCli: false });
    expect(await value(env.agents)).toEqual({});
    expect(registered.some((r) => r.type.endsWith(":SandboxCommand"))).toBe(false);
  });
});
