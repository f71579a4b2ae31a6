/**
 * MountedSandbox `check` (validation with messages naming the field, defaults) and `diff` (every
 * field's in-place/replace rule, token renewal, dead mounts, failed sandboxes, a sandbox imported
 * with the user's token), through the provider methods the engine calls.
 */
import { describe, expect, it } from "vitest";
import { silentLog } from "../../../provider/engine-log";
import { UNKNOWN, type ProviderEnvironment } from "../../../provider/lifecycle";
import { ALWAYS_UNREPORTED } from "../../../provider/mounted-sandbox/import";
import { createProvider } from "../../../provider/mounted-sandbox/provider";
import { failureOn } from "../../helpers/check-failures";

const NOW = Date.parse("2025-06-01T10:00:00Z");
const URN = "urn:pulumi:dev::proj::pulumi-nodejs:dynamic/superserve-mesa:MountedSandbox::agent-1";

const environment: ProviderEnvironment = {
  env: { MESA_API_KEY: "mesa_unit", MESA_ORG: "acme", SUPERSERVE_API_KEY: "ss_unit" },
  cwd: "/nonexistent",
  clock: { now: () => NOW, sleep: async () => undefined, random: () => 0.5 },
  logSink: { send: () => silentLog.info("") },
  suffix: () => "abc1234",
};
const provider = createProvider(undefined, environment);

function inputs(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { pulumiUrn: URN, template: "agent-tpl", repos: [{ repo: "work" }], ...extra };
}

async function check(news: Record<string, unknown>, olds: Record<string, unknown> = {}) {
  const result = await provider.check(olds, news);
  return { inputs: result.inputs as Record<string, unknown>, failures: result.failures ?? [] };
}

describe("MountedSandbox check", () => {
  it("fills every default", async () => {
    const { inputs: checked, failures } = await check(inputs());
    expect(failures).toEqual([]);
    expect(checked).toMatchObject({
      name: "agent-1-abc1234",
      autonamed: true,
      tokenTtlSeconds: 3600,
      mesaCli: "auto",
      deleteWorkspaceOnDestroy: false,
      mountTimeoutSeconds: 180,
      repos: [{ repo: "work", fork: true, readOnly: false }],
    });
  });

  it("keeps the autoname chosen earlier", async () => {
    const { inputs: checked } = await check(inputs(), { name: "agent-1-0000000", autonamed: true });
    expect(checked.name).toBe("agent-1-0000000");
  });

  it("does not fork read-only repos by default", async () => {
    const { inputs: checked } = await check(inputs({ repos: [{ repo: "docs", readOnly: true }] }));
    expect(checked.repos).toEqual([{ repo: "docs", readOnly: true, fork: false }]);
  });

  it.each([
    {
      field: "template",
      value: { template: "" },
      message: /template must be a SuperserveTemplate resource or a template name or id/,
    },
    { field: "repos", value: { repos: [] }, message: /repos must list at least one repo/ },
    {
      field: "repos[0].repo",
      value: { repos: [{ repo: 5 }] },
      message: /repos\[0\]\.repo must be the Mesa repo's name/,
    },
    {
      field: "repos[0].bookmark",
      value: { repos: [{ repo: "w", bookmark: "" }] },
      message: /repos\[0\]\.bookmark "" is not a valid bookmark name: it is empty/,
    },
    {
      field: "repos[0].fork",
      value: { repos: [{ repo: "w", fork: 3 }] },
      message: /fork must be true .* or a bookmark name/,
    },
    {
      field: "repos[0].fork",
      value: { repos: [{ repo: "w", fork: true, readOnly: true }] },
      message: /read-only, so a fork would never receive work/,
    },
    {
      field: "repos[0].readOnly",
      value: { repos: [{ repo: "w", readOnly: "yes" }] },
      message: /readOnly must be true or false/,
    },
    {
      field: "repos[1]",
      value: { repos: [{ repo: "w" }, { repo: "w" }] },
      message: /mounts repo "w" a second time/,
    },
    {
      field: "repos",
      value: {
        repos: [
          { repo: "a", org: "x" },
          { repo: "b", org: "y" },
        ],
      },
      message: /must be in one Mesa org/,
    },
    { field: "tokenTtlSeconds", value: { tokenTtlSeconds: 86_401 }, message: /from 1 to 86400/ },
    {
      field: "envVars.1BAD",
      value: { envVars: { "1BAD": "x" } },
      message: /not a valid environment variable name/,
    },
    {
      field: "envVars.MESA_API_KEY",
      value: { envVars: { MESA_API_KEY: "x" } },
      message: /reserved: the mount's MESA_\* settings/,
    },
    { field: "envVars", value: { envVars: ["x"] }, message: /envVars must be a map/ },
    { field: "secrets", value: { secrets: { KEY: 1 } }, message: /secrets must be a map/ },
    {
      field: "metadata",
      value: { metadata: { "pulumi-urn": "x" } },
      message: /"pulumi-urn" is reserved/,
    },
    {
      field: "network",
      value: { network: { allowOut: "a.com" } },
      message: /network must be \{ allowOut\?: string\[\]/,
    },
    { field: "network", value: { network: { allow: ["a.com"] } }, message: /network must be/ },
    {
      field: "timeoutSeconds",
      value: { timeoutSeconds: -1 },
      message: /timeoutSeconds must be a whole number of seconds, from 0 to 604800/,
    },
    {
      field: "autoDeleteSeconds",
      value: { autoDeleteSeconds: 1.5 },
      message: /autoDeleteSeconds must be a whole number/,
    },
    { field: "mesaCli", value: { mesaCli: "sometimes" }, message: /mesaCli must be "auto"/ },
    {
      field: "deleteWorkspaceOnDestroy",
      value: { deleteWorkspaceOnDestroy: "no" },
      message: /must be true or false/,
    },
    { field: "mountTimeoutSeconds", value: { mountTimeoutSeconds: 0 }, message: /at least 1/ },
    {
      field: "name",
      value: { name: "bad name!" },
      message: /Sandbox name "bad name!" is not allowed/,
    },
  ])("refuses a bad $field with a message naming it", async ({ field, value, message }) => {
    const { failures } = await check(inputs(value));
    const failure = failureOn(failures, field);
    expect(failure, `a failure on ${field}, got ${JSON.stringify(failures)}`).toBeDefined();
    expect(failure!.reason).toMatch(message);
  });

  it("tolerates values unknown during preview", async () => {
    const { failures } = await check(
      inputs({
        template: UNKNOWN,
        repos: [{ repo: UNKNOWN, org: UNKNOWN }],
        envVars: UNKNOWN,
        network: UNKNOWN,
        tokenTtlSeconds: UNKNOWN,
      }),
    );
    expect(failures).toEqual([]);
  });

  it("fails at preview with one message when no credentials are configured", async () => {
    const bare = createProvider(undefined, { ...environment, env: {}, answers: async () => false });
    const { failures } = await bare.check({}, inputs());
    expect(failures, "one failure for both services").toHaveLength(1);
    expect(failures?.[0]?.reason).toMatch(
      /^No Mesa or Superserve credentials\. Looked for `pulumi-superserve-mesa:mesaApiKey` and `pulumi-superserve-mesa:superserveApiKey` \(stack config\), MESA_API_KEY and SUPERSERVE_API_KEY \(environment\) and the local backends' endpoints file .*Set MESA_API_KEY and SUPERSERVE_API_KEY or run .*npx pulumi-superserve-mesa-local start/,
    );
  });
});

describe("MountedSandbox diff", () => {
  const expires = new Date(NOW + 3000 * 1000).toISOString();
  const base = async () =>
    (
      await check(
        inputs({ metadata: { team: "a" }, network: { allowOut: ["x.com"] }, timeoutSeconds: 300 }),
      )
    ).inputs;
  const state = async (extra: Record<string, unknown> = {}) => ({
    ...(await base()),
    sandboxId: "sb-1",
    status: "active",
    mounted: true,
    org: "acme",
    mountPaths: { work: "/home/user/.local/share/mesa/mnt/acme/work" },
    bookmarks: { work: "agents/agent-1" },
    tokenExpiresAt: expires,
    ...extra,
  });

  it("finds nothing to do when nothing changed", async () => {
    expect(await provider.diff("sb-1", await state(), await base())).toMatchObject({
      changes: false,
      replaces: [],
    });
  });

  it.each([
    { field: "template", value: "other-tpl", replace: true },
    { field: "repos", value: [{ repo: "work", fork: false, readOnly: false }], replace: true },
    { field: "envVars", value: { A: "1" }, replace: true },
    { field: "secrets", value: { KEY: "anthropic" }, replace: true },
    { field: "name", value: "renamed", replace: true },
    { field: "metadata", value: { team: "b" }, replace: false },
    { field: "network", value: { denyOut: ["y.com"] }, replace: false },
    { field: "timeoutSeconds", value: 600, replace: false },
    { field: "autoDeleteSeconds", value: 60, replace: false },
    { field: "tokenTtlSeconds", value: 600, replace: false },
    { field: "deleteWorkspaceOnDestroy", value: true, replace: false },
  ])("a change of $field is an update (replace=$replace)", async ({ field, value, replace }) => {
    const diff = await provider.diff("sb-1", await state(), { ...(await base()), [field]: value });
    expect(diff.changes, `${field} changed`).toBe(true);
    expect(diff.replaces ?? []).toEqual(replace ? [field] : []);
  });

  it.each(["mesaCli", "mountTimeoutSeconds"])(
    "a change of %s alone touches nothing",
    async (field) => {
      const diff = await provider.diff("sb-1", await state(), {
        ...(await base()),
        [field]: field === "mesaCli" ? "never" : 30,
      });
      expect(diff.changes).toBe(false);
    },
  );

  it("keeps the service's timeouts when they are unset", async () => {
    const news = { ...(await base()) };
    delete news.timeoutSeconds;
    expect(
      await provider.diff("sb-1", await state({ autoDeleteSeconds: 86_400 }), news),
    ).toMatchObject({ changes: false });
  });

  it("renews a token within the last 10% of its lifetime", async () => {
    const nearly = new Date(NOW + 300 * 1000).toISOString();
    expect(
      await provider.diff("sb-1", await state({ tokenExpiresAt: nearly }), await base()),
    ).toMatchObject({ changes: true, replaces: [] });
  });

  it("renews an expired token", async () => {
    const expired = new Date(NOW - 1000).toISOString();
    expect(
      await provider.diff("sb-1", await state({ tokenExpiresAt: expired }), await base()),
    ).toMatchObject({ changes: true, replaces: [] });
  });

  it("remounts a dead mount in place", async () => {
    expect(
      await provider.diff("sb-1", await state({ mounted: false }), await base()),
    ).toMatchObject({ changes: true, replaces: [] });
  });

  it("replaces a failed sandbox", async () => {
    expect(
      await provider.diff("sb-1", await state({ status: "failed" }), await base()),
    ).toMatchObject({ changes: true, replaces: ["status"] });
  });

  it("leaves a paused sandbox alone", async () => {
    expect(
      await provider.diff("sb-1", await state({ status: "paused" }), await base()),
    ).toMatchObject({ changes: false });
  });
});

describe("the diff of an imported sandbox", () => {
  const program = {
    pulumiUrn: URN,
    name: "box",
    template: "agent-tpl",
    repos: [{ repo: "work", fork: false }],
  };
  /** The state `pulumi import` recorded: no token lifetime, no token expiry of ours. */
  const imported = {
    pulumiUrn: URN,
    name: "box",
    repos: [{ repo: "work", fork: false, readOnly: false }],
    sandboxId: "sb-1",
    status: "active",
    mounted: true,
    org: "acme",
    mountPaths: { work: "/home/user/.local/share/mesa/mnt/acme/work" },
    bookmarks: { work: "main" },
    tokenExpiresAt: "",
    unreported: ALWAYS_UNREPORTED,
  };
  const checked = async (news = program) =>
    (await provider.check(imported, news)).inputs as Record<string, unknown>;

  it("plans no change while the mount on the user's token serves", async () => {
    const news = await checked();
    expect(news.unreported).toContain("tokenTtlSeconds");
    expect(await provider.diff("sb-1", imported, news)).toMatchObject({
      changes: false,
      replaces: [],
    });
  });

  it("still plans no change on the runs after the first, once the defaults are recorded", async () => {
    const second = (await provider.check(await checked(), program)).inputs as Record<
      string,
      unknown
    >;
    expect(second.unreported).toEqual(ALWAYS_UNREPORTED);
    expect(await provider.diff("sb-1", imported, second)).toMatchObject({ changes: false });
  });

  it("plans a remount once a refresh found that mount dead", async () => {
    expect(
      await provider.diff("sb-1", { ...imported, mounted: false }, await checked()),
    ).toMatchObject({ changes: true, replaces: [] });
  });

  it("plans a remount with a token of its own when the program changes the token's lifetime", async () => {
    const first = await checked();
    const news = (await provider.check(first, { ...program, tokenTtlSeconds: 600 }))
      .inputs as Record<string, unknown>;
    expect(news.unreported).not.toContain("tokenTtlSeconds");
    expect(await provider.diff("sb-1", imported, news)).toMatchObject({ changes: true });
  });

  it("renews the provider's own token once a remount signed one", async () => {
    const ours = {
      ...imported,
      tokenTtlSeconds: 3600,
      tokenExpiresAt: new Date(NOW + 60_000).toISOString(),
    };
    expect(await provider.diff("sb-1", ours, await checked())).toMatchObject({ changes: true });
    const fresh = { ...ours, tokenExpiresAt: new Date(NOW + 3_000_000).toISOString() };
    expect(await provider.diff("sb-1", fresh, await checked())).toMatchObject({ changes: false });
  });
});
