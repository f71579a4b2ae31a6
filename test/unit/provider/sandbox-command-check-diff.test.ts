/**
 * SandboxCommand `check` (validation naming the field and the fix, defaults; environment values
 * never in a message) and `diff` (what replaces, what is in place, and what a refresh found that
 * `up` acts on: lost or unread background commands, never a command's progress), through the
 * provider methods the engine calls; the parsing of the status its sandbox reports; and the
 * refusal of `pulumi import`.
 */
import { describe, expect, it } from "vitest";
import { silentLog } from "../../../provider/engine-log";
import { UNKNOWN, type ProviderEnvironment } from "../../../provider/lifecycle";
import { parseStatus } from "../../../provider/sandbox-command/commands";
import { lastLines, OutputTail } from "../../../provider/sandbox-command/output-tail";
import { createProvider } from "../../../provider/sandbox-command/provider";
import { failureOn } from "../../helpers/check-failures";

const URN = "urn:pulumi:dev::proj::pulumi-nodejs:dynamic/superserve-mesa:SandboxCommand::agent-0";

const environment: ProviderEnvironment = {
  env: { SUPERSERVE_API_KEY: "ss_unit" },
  cwd: "/nonexistent",
  clock: { now: () => 0, sleep: async () => undefined, random: () => 0.5 },
  logSink: { send: () => silentLog.info("") },
  suffix: () => "abc1234",
};
const provider = createProvider(undefined, environment);

function inputs(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { pulumiUrn: URN, sandbox: "sb-1", create: "make", ...extra };
}

async function check(news: Record<string, unknown>) {
  const result = await provider.check({}, news);
  return { inputs: result.inputs as Record<string, unknown>, failures: result.failures ?? [] };
}

describe("SandboxCommand check", () => {
  it("fills every default", async () => {
    const { inputs: checked, failures } = await check(inputs());
    expect(failures).toEqual([]);
    expect(checked).toMatchObject({
      sandboxId: "sb-1",
      background: false,
      cwd: "/home/user",
      timeoutSeconds: 300,
      logLines: 50,
    });
    expect(checked, "the program's sandbox is kept as sandboxId").not.toHaveProperty("sandbox");
  });

  it("accepts values unknown during preview", async () => {
    const { failures } = await check(
      inputs({ sandbox: UNKNOWN, create: UNKNOWN, cwd: UNKNOWN, environment: { A: UNKNOWN } }),
    );
    expect(failures).toEqual([]);
  });

  it.each([
    { field: "sandbox", value: { sandbox: "" }, message: /sandbox must be a MountedSandbox/ },
    { field: "create", value: { create: " " }, message: /create must be a shell command/ },
    { field: "delete", value: { delete: 3 }, message: /delete must be a shell command or unset/ },
    { field: "cwd", value: { cwd: "work" }, message: /cwd must be an absolute path/ },
    { field: "background", value: { background: "yes" }, message: /background must be true/ },
    {
      field: "update",
      value: { update: "make again", background: true },
      message: /update is for foreground commands/,
    },
    { field: "triggers", value: { triggers: "v1" }, message: /triggers must be a list/ },
    {
      field: "timeoutSeconds",
      value: { timeoutSeconds: 0 },
      message: /timeoutSeconds must be a whole number from 1 to 86400/,
    },
    { field: "logLines", value: { logLines: 2.5 }, message: /logLines must be a whole number/ },
    {
      field: "environment.1X",
      value: { environment: { "1X": "v" } },
      message: /not a valid environment variable name/,
    },
    { field: "environment", value: { environment: ["x"] }, message: /environment must be a map/ },
  ])("names $field and the fix", async ({ field, value, message }) => {
    const { failures } = await check(inputs(value));
    const failure = failureOn(failures, field);
    expect(failure, `a failure on ${field} in ${JSON.stringify(failures)}`).toBeDefined();
    expect(failure!.reason).toMatch(message);
  });

  it("never prints an environment value", async () => {
    const { failures } = await check(inputs({ environment: { TOKEN: 12345678 } }));
    expect(failures.map((f) => f.reason).join(" ")).toMatch(/environment\.TOKEN must be a string/);
    expect(JSON.stringify(failures)).not.toMatch(/12345678/);
  });
});

describe("SandboxCommand diff", () => {
  const base = {
    ...inputs(),
    background: true,
    cwd: "/home/user",
    timeoutSeconds: 300,
    logLines: 50,
    environment: { AGENT_TASK: "a" },
    triggers: [1],
  };
  const state = { ...base, status: "running", startedAt: "2025-01-01T00:00:00Z", logTail: "" };
  const diff = (olds: Record<string, unknown>, news: Record<string, unknown>) =>
    provider.diff("id", { ...state, ...olds }, { ...base, ...news });

  it("plans nothing for a command running, finished or failed", async () => {
    for (const outcome of [
      { status: "running" },
      { status: "exited", exitCode: 0 },
      { status: "exited", exitCode: 1, logTail: "boom" },
    ])
      expect(await diff(outcome, {}), JSON.stringify(outcome)).toMatchObject({
        changes: false,
        replaces: [],
      });
  });

  it("replaces (runs again) on a new create, environment, triggers, cwd, sandbox or mode", async () => {
    for (const [field, value] of [
      ["create", "make all"],
      ["environment", { AGENT_TASK: "b" }],
      ["triggers", [2]],
      ["cwd", "/tmp"],
      ["sandboxId", "sb-2"],
      ["background", false],
    ] as const)
      expect(await diff({}, { [field]: value }), field).toMatchObject({
        changes: true,
        replaces: [field],
      });
  });

  it("runs a foreground command's update instead of replacing it", async () => {
    const fg = { background: false, status: "exited", exitCode: 0 };
    expect(await diff(fg, { background: false, create: "make all", update: "make" })).toMatchObject(
      { changes: true, replaces: [] },
    );
  });

  it("updates in place for logLines, timeoutSeconds and delete", async () => {
    for (const [field, value] of [
      ["logLines", 10],
      ["timeoutSeconds", 60],
      ["delete", "make clean"],
    ] as const)
      expect(await diff({}, { [field]: value }), field).toMatchObject({
        changes: true,
        replaces: [],
      });
  });

  it("plans an update for a background command found lost or unread in a paused sandbox", async () => {
    expect(await diff({ status: "lost" }, {})).toMatchObject({ changes: true, replaces: [] });
    expect(await diff({ status: "paused" }, {})).toMatchObject({ changes: true, replaces: [] });
  });
});

describe("the status a sandbox reports", () => {
  it("parses a running, an exited and a lost command", () => {
    expect(
      parseStatus("status running\npid 12\nstarted 2025-01-01T00:00:00Z\n--- log ---\na\nb\n"),
    ).toEqual({ status: "running", pid: 12, startedAt: "2025-01-01T00:00:00Z", logTail: "a\nb" });
    expect(
      parseStatus(
        "status exited\nexit 3\nfinished 2025-01-01T00:01:00Z\npid 12\nstarted 2025-01-01T00:00:00Z\n--- log ---\nfailed\n",
      ),
    ).toEqual({
      status: "exited",
      exitCode: 3,
      pid: 12,
      startedAt: "2025-01-01T00:00:00Z",
      finishedAt: "2025-01-01T00:01:00Z",
      logTail: "failed",
    });
    expect(parseStatus("status lost\n")).toEqual({ status: "lost", logTail: "" });
  });

  it("keeps the tail of a long output, and says it was cut", () => {
    const tail = new OutputTail(10);
    tail.push("0123456789");
    expect(tail.truncated).toBe(false);
    tail.push("abcde");
    expect(tail.text()).toBe("56789abcde");
    expect(tail.truncated).toBe(true);
    expect(lastLines("a\nb\nc\n", 2)).toBe("b\nc");
    expect(lastLines("a\nb", 0)).toBe("");
  });
});

describe("a SandboxCommand import", () => {
  it("fails saying why and what to do instead, never suggesting adopt", async () => {
    const attempt = provider.import("sb-1/agent", URN);
    await expect(attempt).rejects.toThrow(/SandboxCommand cannot be imported.*Declare it/);
    await expect(attempt).rejects.not.toThrow(/adopt/);
  });
});
