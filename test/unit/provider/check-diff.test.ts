import { describe, expect, it } from "vitest";
import { silentLog } from "../../../provider/engine-log";
import {
  UNKNOWN,
  type ProviderEnvironment,
  type ProviderMethods,
} from "../../../provider/lifecycle";
import { createProvider as mesaRepoProvider } from "../../../provider/mesa-repo/provider";
import { createProvider as templateProvider } from "../../../provider/superserve-template/provider";
import { hashSuffix } from "../../../provider/naming";
import { systemClock } from "../../../provider/retry";
import { failureOn } from "../../helpers/check-failures";

const URN = "urn:pulumi:dev::proj::pulumi-nodejs:dynamic/superserve-mesa:MesaRepo::workspace";

function environment(
  env: Record<string, string> = {
    MESA_API_KEY: "mesa_k",
    MESA_ORG: "acme",
    SUPERSERVE_API_KEY: "ss_k",
  },
): ProviderEnvironment {
  let n = 0;
  return {
    env,
    cwd: "/nonexistent",
    clock: systemClock,
    logSink: { send: () => silentLog.info("") },
    suffix: () => `s${++n}`,
    answers: async () => false,
  };
}

async function check(
  provider: ProviderMethods,
  news: Record<string, unknown>,
  olds: Record<string, unknown> = {},
) {
  return provider.check(olds, { pulumiUrn: URN, ...news });
}

describe("MesaRepo check", () => {
  const provider = mesaRepoProvider(undefined, environment());

  it("autonames once and keeps the name across previews", async () => {
    // A provider of its own, so its suffix counter starts at 1 whatever ran before.
    const autonaming = mesaRepoProvider(undefined, environment());
    const first = await check(autonaming, {});
    expect(first.failures).toEqual([]);
    expect(first.inputs).toMatchObject({ name: "workspace-s1", autonamed: true, tags: {} });
    const again = await check(autonaming, {}, first.inputs);
    expect(again.inputs!.name, "a later preview must reuse the generated name").toBe(
      "workspace-s1",
    );
  });

  it("takes the adopted repo's name when name is unset", async () => {
    const r = await check(provider, { adopt: { name: "legacy" } });
    expect(r.inputs).toMatchObject({ name: "legacy", autonamed: false });
  });

  it.each([
    ["name", { name: "bad name!" }, 'Mesa repo name "bad name!" is not allowed'],
    ["name", { name: "repos" }, "reserved"],
    ["name", { name: "x".repeat(101) }, "the limit is 100"],
    ["org", { org: "not an org" }, "org must be an org slug"],
    [
      "defaultBookmark",
      { defaultBookmark: "-x" },
      'defaultBookmark "-x" is not a valid bookmark name',
    ],
    ["tags", { tags: ["a"] }, "tags must be a map of strings"],
    ["tags", { tags: { "pulumi-urn": "x" } }, "is reserved"],
    ["tags", { tags: { a: 1 } }, 'Tag "a" must be a string value'],
    [
      "upstream.url",
      { upstream: { url: "ftp://x" } },
      "upstream.url must be an http(s) git remote URL",
    ],
    [
      "upstream.auth",
      { upstream: { url: "https://x/y.git", auth: { kind: "token" } } },
      "upstream.auth must be",
    ],
    ["timeoutSeconds", { timeoutSeconds: 0 }, "timeoutSeconds must be a positive whole number"],
    ["adopt", { adopt: { id: "x" } }, "adopt must be { name:"],
  ])("rejects a bad %s with a message naming the fix", async (field, news, reason) => {
    const r = await check(provider, news);
    expect(r.failures, JSON.stringify(r.failures)).toHaveLength(1);
    expect(failureOn(r.failures, field)?.reason).toContain(reason);
  });

  it("tolerates unknown values during preview", async () => {
    const r = await check(provider, {
      name: UNKNOWN,
      org: UNKNOWN,
      defaultBookmark: UNKNOWN,
      tags: { a: UNKNOWN },
      upstream: { url: UNKNOWN, auth: UNKNOWN },
      timeoutSeconds: UNKNOWN,
    });
    expect(r.failures).toEqual([]);
    expect(r.inputs!.name, "an unknown name stays unknown").toBe(UNKNOWN);
  });

  it("fails at preview with one message when no credentials exist", async () => {
    const bare = mesaRepoProvider(undefined, environment({}));
    const { failures } = await check(bare, {});
    expect(failures).toHaveLength(1);
    expect(failures?.[0]?.reason).toMatch(
      /^No Mesa credentials\. Looked for .*MESA_API_KEY \(environment\) and the local backends' endpoints file \/nonexistent\/\.local-data\/endpoints\.json \(PSM_LOCAL_DIR unset\): no such file\. .*start the local backends with `npx pulumi-superserve-mesa-local start`/,
    );
  });
});

describe("MesaRepo diff", () => {
  const provider = mesaRepoProvider(undefined, environment());
  const olds = {
    pulumiUrn: URN,
    autonamed: false,
    name: "ws",
    org: "acme",
    defaultBookmark: "main",
    headChangeId: "z".repeat(32),
    tags: { team: "a" },
    upstream: { url: "https://x/y.git" },
  };
  const inputs = {
    pulumiUrn: URN,
    autonamed: false,
    name: "ws",
    tags: { team: "a" },
    upstream: { url: "https://x/y.git" },
  };

  it.each([
    ["nothing", {}, false, []],
    ["name", { name: "ws2" }, true, []],
    ["org", { org: "other" }, true, ["org"]],
    ["org, set to the current one", { org: "acme" }, false, []],
    ["defaultBookmark", { defaultBookmark: "trunk" }, true, []],
    ["tags", { tags: { team: "b" } }, true, []],
    ["upstream url", { upstream: { url: "https://x/z.git" } }, true, []],
    [
      "upstream auth",
      { upstream: { url: "https://x/y.git", auth: { kind: "token", token: "t" } } },
      true,
      [],
    ],
    ["upstream removed", { upstream: undefined }, true, []],
    ["timeoutSeconds only", { timeoutSeconds: 20 }, false, []],
    ["adopt added to an existing resource", { adopt: { name: "other" } }, true, ["adopt"]],
    ["unknown org", { org: UNKNOWN }, true, ["org"]],
  ])("change of %s", async (_what, change, changes, replaces) => {
    const d = await provider.diff("r_1", olds, { ...inputs, ...change });
    expect(d.changes).toBe(changes);
    expect(d.replaces).toEqual(replaces);
  });
});

describe("SuperserveTemplate check and diff", () => {
  const provider = templateProvider(undefined, environment());
  const base = { from: "ubuntu:24.04" };

  it("autonames and defaults steps", async () => {
    // A provider of its own, so its suffix counter starts at 1 whatever ran before.
    const r = await check(templateProvider(undefined, environment()), base);
    expect(r.failures).toEqual([]);
    expect(r.inputs).toMatchObject({ name: "workspace-s1", autonamed: true, steps: [] });
  });

  it("names deterministically from the URN and the replacing inputs", async () => {
    const real = templateProvider(undefined, { ...environment(), suffix: hashSuffix });
    const first = await check(real, base);
    const retried = await check(real, base, {});
    expect(retried.inputs!.name, "an interrupted create finds its object under the same name").toBe(
      first.inputs!.name,
    );
    const replacement = await check(real, { ...base, from: "debian:12" }, {});
    expect(
      replacement.inputs!.name,
      "a replacement (the engine checks again without olds) gets a new name",
    ).not.toBe(first.inputs!.name);
    const unknown = await check(real, { ...base, from: UNKNOWN });
    expect(unknown.inputs!.name).toBe(UNKNOWN);
  });

  it.each([
    ["from", {}, "from is required"],
    ["name", { name: "Upper" }, 'Template name "Upper" is not allowed'],
    ["steps", { steps: [{ run: "" }] }, "steps[0]: use exactly one of"],
    ["steps", { steps: [{ run: "a", workdir: "/x" }] }, "steps[0]: use exactly one of"],
    ["steps", { steps: [{ env: { key: "1A", value: "v" } }] }, "steps[0]"],
    ["steps", { steps: [{ workdir: "relative" }] }, "steps[0]"],
    ["steps", { steps: [{ user: { name: "" } }] }, "steps[0]"],
    ["steps", { steps: "apt-get" }, "steps must be a list"],
    ["vcpu", { vcpu: 0 }, "vcpu must be a whole number from 1 to 4"],
    ["memoryMib", { memoryMib: 1.5 }, "memoryMib must be a whole number"],
    ["diskMib", { diskMib: 10 }, "diskMib must be a whole number"],
    ["startCmd", { startCmd: " " }, "startCmd must be a non-empty shell command"],
    ["readyCmd", { readyCmd: 3 }, "readyCmd must be a non-empty shell command"],
    [
      "buildTimeoutSeconds",
      { buildTimeoutSeconds: 1 },
      "buildTimeoutSeconds must be a whole number from 10",
    ],
    ["verboseBuildLogs", { verboseBuildLogs: "yes" }, "verboseBuildLogs must be true or false"],
  ])("rejects a bad %s", async (property, news, reason) => {
    const r = await check(provider, {
      ...base,
      ...news,
      ...(property === "from" ? { from: undefined } : {}),
    });
    expect(r.failures).toEqual([
      expect.objectContaining({ property, reason: expect.stringContaining(reason) }),
    ]);
  });

  it("accepts every step kind and unknowns", async () => {
    const r = await check(provider, {
      ...base,
      steps: [
        { run: "true" },
        { env: { key: "A", value: "1" } },
        { workdir: "/app" },
        { user: { name: "u", sudo: true } },
        UNKNOWN,
      ],
      vcpu: UNKNOWN,
    });
    expect(r.failures).toEqual([]);
  });

  const olds = {
    pulumiUrn: URN,
    name: "t-1",
    autonamed: true,
    from: "ubuntu:24.04",
    steps: [{ run: "true" }],
    vcpu: 2,
    memoryMib: 2048,
    diskMib: 8192,
    startCmd: "srv",
    readyCmd: "ok",
    status: "ready",
    buildId: "b1",
    buildSpecHash: "h",
  };
  it.each([
    ["nothing", {}, false, []],
    ["name", { name: "t-2" }, true, ["name"]],
    ["from", { from: "debian:12" }, true, ["from"]],
    ["steps", { steps: [{ run: "false" }] }, true, ["steps"]],
    ["vcpu", { vcpu: 4 }, true, ["vcpu"]],
    ["vcpu unset (service default)", { vcpu: undefined }, false, []],
    ["memoryMib", { memoryMib: 4096 }, true, ["memoryMib"]],
    ["diskMib", { diskMib: 1024 }, true, ["diskMib"]],
    ["startCmd", { startCmd: "other" }, true, ["startCmd"]],
    ["readyCmd", { readyCmd: undefined }, true, ["readyCmd"]],
    ["buildTimeoutSeconds", { buildTimeoutSeconds: 60 }, false, []],
    ["verboseBuildLogs", { verboseBuildLogs: true }, false, []],
  ])("change of %s", async (_what, change, changes, replaces) => {
    const { status: _s, buildId: _b, buildSpecHash: _h, ...inputs } = olds;
    const d = await provider.diff("t_1", olds, { ...inputs, ...change });
    expect(d.changes).toBe(changes);
    expect(d.replaces).toEqual(replaces);
    expect(d.deleteBeforeReplace, "replacement is create-before-delete").toBe(false);
  });
});

describe("MesaRepo check fills the org", () => {
  it("with the API key's org when unset, so previews of dependents keep it known", async () => {
    const provider = mesaRepoProvider(undefined, environment());
    const { inputs } = await provider.check({}, { name: "r", pulumiUrn: URN });
    expect(inputs.org, "the configured org (MESA_ORG) of the API key").toBe("acme");
  });

  it("keeping the org it resolved before, and an explicit org as given", async () => {
    const provider = mesaRepoProvider(undefined, environment());
    expect(
      (await provider.check({ org: "earlier" }, { name: "r", pulumiUrn: URN })).inputs.org,
    ).toBe("earlier");
    expect(
      (await provider.check({ org: "earlier" }, { name: "r", org: "given", pulumiUrn: URN })).inputs
        .org,
    ).toBe("given");
  });
});
