/**
 * The bad-input table: plausible mistakes across MesaRepo, SuperserveTemplate and MountedSandbox,
 * each through the real provider's `check` (the engine's preview step) against local Mesa and local
 * Superserve — so named templates and repos are really looked up. Every row must fail with the
 * program's field named, the fix spelled out, no secret value in the output, and nothing created.
 * (The same mistakes through the real engine, the AgentEnvironment's included: test/e2e/bad-inputs.)
 */
import { Sandbox, Template } from "@superserve/sdk";
import { teamTemplates } from "../../helpers/templates";
import type { Mesa } from "@mesadev/sdk" with { "resolution-mode": "import" };
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalSuperserve } from "../../../local/superserve";
import type { LogSink } from "../../../provider/engine-log";
import {
  UNKNOWN,
  type ProviderEnvironment,
  type ProviderMethods,
} from "../../../provider/lifecycle";
import { createProvider as mesaRepoProvider } from "../../../provider/mesa-repo/provider";
import { createProvider as sandboxProvider } from "../../../provider/mounted-sandbox/provider";
import { systemClock, type RetryClock } from "../../../provider/retry";
import { createProvider as templateProvider } from "../../../provider/superserve-template/provider";
import { failureOn } from "../../helpers/check-failures";
import { startLocalBackends, type LocalBackends } from "../../helpers/local-backends";
import { uniqueName } from "../../helpers/names";

/** Planted in every secret-bearing input: it must never come back in a failure or a log line. */
const CANARY = `canary-${randomUUID()}`;

let backends: LocalBackends;
let ss: LocalSuperserve;
let mesa: Mesa;
const fixtureRepo = uniqueName("fixture");
const fixtureTemplate = uniqueName("fixture");
const logs: string[] = [];
const sink: LogSink = { send: (_s, m) => void logs.push(m) };

beforeAll(async () => {
  backends = await startLocalBackends();
  ({ superserve: ss, mesaClient: mesa } = backends);
  await mesa.repos.create({ name: fixtureRepo });
  const template = await Template.create({
    apiKey: ss.apiKey,
    baseUrl: ss.url,
    name: fixtureTemplate,
    from: "debian:12",
    steps: [{ run: "true" }],
  });
  await template.waitUntilReady({ pollIntervalMs: 100 });
}, 300_000);
afterAll(async () => backends?.close());

function environment(clock: RetryClock = systemClock): ProviderEnvironment {
  return {
    env: backends.env(),
    cwd: "/nonexistent",
    clock,
    logSink: sink,
    suffix: () => "abc1234",
  };
}

const providers: Record<string, (env: ProviderEnvironment) => ProviderMethods> = {
  MesaRepo: (env) => mesaRepoProvider(undefined, env),
  SuperserveTemplate: (env) => templateProvider(undefined, env),
  MountedSandbox: (env) => sandboxProvider(undefined, env),
};

/** Inputs as each resource class sends them for a valid resource; a row overrides some. */
const valid: Record<string, (logical: string) => Record<string, unknown>> = {
  MesaRepo: () => ({}),
  SuperserveTemplate: () => ({ from: "ubuntu:24.04" }),
  MountedSandbox: () => ({
    template: fixtureTemplate,
    repos: [{ repo: fixtureRepo }],
    namedReferences: ["template", "repos[0].repo"],
  }),
};

const urnOf = (type: string, logical: string) =>
  `urn:pulumi:it::proj::pulumi-nodejs:dynamic/superserve-mesa:${type}::${logical}`;

async function check(type: string, news: Record<string, unknown>, env = environment()) {
  return providers[type](env).check(
    {},
    { pulumiUrn: urnOf(type, "bad"), ...valid[type]("bad"), ...news },
  );
}

type Row = [
  type: string,
  mistake: string,
  news: Record<string, unknown>,
  field: string,
  fix: RegExp,
];

const rows: Row[] = [
  [
    "MesaRepo",
    "a name with spaces",
    { name: "my repo" },
    "name",
    /use letters, digits, '\.', '_' and '-'/,
  ],
  [
    "MesaRepo",
    "a reserved name",
    { name: "repos" },
    "name",
    /reserved by the service; pick another name/,
  ],
  [
    "MesaRepo",
    "a bad name marked secret",
    { name: `${CANARY} !`, markedSecret: ["name"] },
    "name",
    /is not allowed: use letters/,
  ],
  [
    "MesaRepo",
    "an org with spaces",
    { org: "my org" },
    "org",
    /leave it unset to use your API key's org/,
  ],
  [
    "MesaRepo",
    "defaultBookmark with '..'",
    { defaultBookmark: "release..1" },
    "defaultBookmark",
    /contains '\.\.'.*e\.g\. "release-1"/,
  ],
  [
    "MesaRepo",
    "defaultBookmark ending in '/'",
    { defaultBookmark: "feature/" },
    "defaultBookmark",
    /empty '\/'-separated part/,
  ],
  [
    "MesaRepo",
    "defaultBookmark with a space",
    { defaultBookmark: "my branch" },
    "defaultBookmark",
    /characters other than letters/,
  ],
  [
    "MesaRepo",
    "defaultBookmark ending in .lock",
    { defaultBookmark: "main.lock" },
    "defaultBookmark",
    /ends with '\.lock'/,
  ],
  [
    "MesaRepo",
    "the reserved URN tag",
    { tags: { "pulumi-urn": "x" } },
    "tags",
    /Remove it from tags/,
  ],
  [
    "MesaRepo",
    "an upstream URL that is no URL, with a token",
    { upstream: { url: "not a url", auth: { kind: "token", token: CANARY } } },
    "upstream.url",
    /e\.g\. "https:\/\/github\.com\/acme\/app\.git"/,
  ],
  [
    "MesaRepo",
    "credentials in the upstream URL",
    { upstream: { url: `https://x-access-token:${CANARY}@github.com/acme/app.git` } },
    "upstream.url",
    /set upstream\.auth/,
  ],
  [
    "MesaRepo",
    "an upstream token missing",
    {
      upstream: {
        url: "https://github.com/acme/app.git",
        auth: { kind: "token", tokenUsername: CANARY },
      },
    },
    "upstream.auth",
    /kind: "token", token/,
  ],
  [
    "MesaRepo",
    "forceDestroy as a string",
    { forceDestroy: "yes" },
    "forceDestroy",
    /true or false/,
  ],
  [
    "MesaRepo",
    "a zero timeout",
    { timeoutSeconds: 0 },
    "timeoutSeconds",
    /positive whole number of seconds, e\.g\. 300/,
  ],
  ["SuperserveTemplate", "8 vCPUs", { vcpu: 8 }, "vcpu", /from 1 to 4 \(the service's limits\)/],
  ["SuperserveTemplate", "0 vCPUs", { vcpu: 0 }, "vcpu", /from 1 to 4/],
  ["SuperserveTemplate", "8 GiB of memory", { memoryMib: 8192 }, "memoryMib", /from 256 to 4096/],
  ["SuperserveTemplate", "128 MiB of memory", { memoryMib: 128 }, "memoryMib", /from 256 to 4096/],
  ["SuperserveTemplate", "a 16 GiB disk", { diskMib: 16384 }, "diskMib", /from 1024 to 8192/],
  ["SuperserveTemplate", "a 512 MiB disk", { diskMib: 512 }, "diskMib", /from 1024 to 8192/],
  ["SuperserveTemplate", "an uppercase name", { name: "Agent-Base" }, "name", /lowercase letters/],
  [
    "SuperserveTemplate",
    "a name ending in '-'",
    { name: "agent-" },
    "name",
    /ending with a letter or digit/,
  ],
  [
    "SuperserveTemplate",
    "an empty run step",
    { steps: [{ run: "" }] },
    "steps",
    /use exactly one of \{ run: "…" \}/,
  ],
  ["SuperserveTemplate", "no base image", { from: "" }, "from", /e\.g\. "ubuntu:24\.04"/],
  [
    "SuperserveTemplate",
    "a 5 s build timeout",
    { buildTimeoutSeconds: 5 },
    "buildTimeoutSeconds",
    /from 10 to 86400/,
  ],
  [
    "MountedSandbox",
    "a template that does not exist",
    { template: "no-such-template" },
    "template",
    new RegExp(
      `template 'no-such-template' not found in this team; existing: .*${fixtureTemplate}`,
    ),
  ],
  [
    "MountedSandbox",
    "a repo that does not exist",
    { repos: [{ repo: "no-such-repo" }] },
    "repos[0].repo",
    /repo 'no-such-repo' not found in Mesa org '.*'; existing: .*fixture-/,
  ],
  [
    "MountedSandbox",
    "a base bookmark with '..'",
    { repos: [{ repo: fixtureRepo, bookmark: "feature..x" }] },
    "repos[0].bookmark",
    /contains '\.\.'.*Leave it unset for the repo's default bookmark/,
  ],
  [
    "MountedSandbox",
    "a fork climbing out with '..'",
    { repos: [{ repo: fixtureRepo, fork: "agents/../main" }] },
    "repos[0].fork",
    /contains '\.\.'.*fork: true/,
  ],
  [
    "MountedSandbox",
    "a fork starting with '.'",
    { repos: [{ repo: fixtureRepo, fork: "agents/.x" }] },
    "repos[0].fork",
    /starts with '\.'/,
  ],
  [
    "MountedSandbox",
    "a reserved MESA_ variable",
    { envVars: { MESA_TOKEN: CANARY } },
    "envVars.MESA_TOKEN",
    /reserved.*Remove it/,
  ],
  [
    "MountedSandbox",
    "an environment variable name with a space",
    { envVars: { "BAD NAME": CANARY } },
    "envVars.BAD NAME",
    /letters, digits and _.*e\.g\. "AGENT_ROLE"/,
  ],
  [
    "MountedSandbox",
    "a reserved Superserve metadata key",
    { metadata: { "superserve.owner": "me" } },
    "metadata",
    /reserved by Superserve.*use another key/,
  ],
  [
    "MountedSandbox",
    "an idle timeout over 7 days",
    { timeoutSeconds: 700_000 },
    "timeoutSeconds",
    /from 0 to 604800/,
  ],
  [
    "MountedSandbox",
    "a token lifetime over 24 h",
    { tokenTtlSeconds: 100_000 },
    "tokenTtlSeconds",
    /from 1 to 86400 \(24 h\)/,
  ],
  ["MountedSandbox", "no repos", { repos: [] }, "repos", /at least one repo to mount/],
];

describe("bad inputs fail at check, naming the field and the fix", () => {
  it("has at least 30 rows across the three resources", () => {
    expect(rows.length).toBeGreaterThanOrEqual(30);
    expect(new Set(rows.map(([type]) => type))).toEqual(new Set(Object.keys(providers)));
  });

  it.each(rows)("%s: %s", async (type, _mistake, news, field, fix) => {
    const { failures } = await check(type, news);
    const printed = JSON.stringify(failures);
    expect(failures, `exactly one failure: ${printed}`).toHaveLength(1);
    const failure = failureOn(failures, field);
    expect(failure, `a failure naming ${field}: ${printed}`).toBeDefined();
    expect(failure!.reason).toMatch(fix);
    expect(printed, "no secret value in the failure").not.toContain(CANARY);
    expect(logs.join("\n"), "no secret value in a log line").not.toContain(CANARY);
  });

  it("created nothing", async () => {
    expect((await mesa.repos.list({ limit: 100 })).repos.map((r) => r.name)).toEqual([fixtureRepo]);
    const conn = { apiKey: ss.apiKey, baseUrl: ss.url };
    expect(
      teamTemplates(await Template.list(conn)).map((t) => t.name),
      "templates",
    ).toEqual([fixtureTemplate]);
    expect(await Sandbox.list(conn), "sandboxes").toEqual([]);
  });
});

describe("references check tolerates what is not known yet", () => {
  it("passes a template and a repo given as resources (not named), even before they exist", async () => {
    const { failures } = await check("MountedSandbox", {
      template: "tpl-made-later",
      repos: [{ repo: "repo-made-later" }],
      namedReferences: [],
    });
    expect(failures).toEqual([]);
  });

  it("passes names unknown during preview", async () => {
    const { failures } = await check("MountedSandbox", {
      template: UNKNOWN,
      repos: [{ repo: UNKNOWN, org: UNKNOWN }],
    });
    expect(failures).toEqual([]);
  });

  it("passes existing names", async () => {
    const { failures } = await check("MountedSandbox", {});
    expect(failures).toEqual([]);
  });

  it("warns and passes when the service does not answer within the lookup deadline", async () => {
    const res = await fetch(`${ss.url}/_local/faults`, {
      method: "POST",
      headers: { Authorization: `Bearer ${ss.apiKey}`, "Content-Type": "application/json" },
      body: JSON.stringify({ method: "GET", path: "/templates", count: 1, latencyMs: 60_000 }),
    });
    expect(res.status, "latency fault armed").toBe(201);
    // Time passes at once for the provider: its lookup deadline is reached while the request hangs.
    const instant: RetryClock = { ...systemClock, sleep: () => Promise.resolve() };
    logs.length = 0;
    const started = Date.now();
    const { failures } = await check(
      "MountedSandbox",
      { template: "no-such-template" },
      environment(instant),
    );
    expect(failures, "a slow service does not fail preview").toEqual([]);
    expect(Date.now() - started, "check did not wait for the hung request").toBeLessThan(10_000);
    expect(logs.join("\n")).toMatch(
      /could not verify at preview .* `pulumi up` fails if they do not/,
    );
    await fetch(`${ss.url}/_local/faults`, {
      method: "DELETE",
      headers: { Authorization: `Bearer ${ss.apiKey}` },
    });
  });
});
