/**
 * The pure parts of a mounted sandbox: token scopes and renewal, the mount's environment and
 * paths, redaction, and the shell commands (run with /bin/sh on the host, their in-sandbox paths
 * moved to a temp dir).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { shellQuote } from "../../../provider/shell-quote";
import {
  EXIT_INSTALL_FAILED,
  EXIT_MOUNT_FAILED,
  EXIT_NO_CLI,
  EXIT_START_FAILED,
  EXIT_TIMEOUT,
  MOUNT_POINT,
  RUNTIME_DIR,
  healthCommand,
  installCommand,
  mountAndWaitCommand,
  mountEnv,
  sandboxMesaApiUrl,
  mountPath,
  parseHealth,
  repoRevs,
  unmountCommand,
  waitCommand,
} from "../../../provider/mounted-sandbox/mount-commands";
import { runStep } from "../../../provider/mounted-sandbox/exec";
import {
  inspectCommand,
  parseInspection,
} from "../../../provider/mounted-sandbox/mount-inspection";
import { REDACTED, redact, redactorFor } from "../../../provider/redact";
import type { OperationContext } from "../../../provider/lifecycle";
import { classifyFailure, withRetry } from "../../../provider/retry";
import {
  tokenNeedsRenewal,
  tokenRequest,
  ttlProblem,
} from "../../../provider/mounted-sandbox/token";

describe("the mount's token", () => {
  it.each([
    {
      name: "one writable repo",
      repos: [{ fullName: "acme/a", readOnly: false }],
      scopes: ["read", "write"],
    },
    {
      name: "all read-only",
      repos: [
        { fullName: "acme/a", readOnly: true },
        { fullName: "acme/b", readOnly: true },
      ],
      scopes: ["read"],
    },
    {
      name: "mixed",
      repos: [
        { fullName: "acme/b", readOnly: true },
        { fullName: "acme/a", readOnly: false },
      ],
      scopes: ["read", "write"],
    },
  ])("is scoped to exactly the mounted repos ($name)", ({ repos, scopes }) => {
    const request = tokenRequest(repos, 900);
    expect(request.scopes).toEqual(scopes);
    expect(request.repos, "exactly the mounted repos, sorted").toEqual(
      [...new Set(repos.map((r) => r.fullName))].sort(),
    );
    expect(request.ttl_seconds).toBe(900);
  });

  const now = Date.parse("2025-01-01T12:00:00Z");
  it.each([
    { left: 3600, ttl: 3600, renew: false },
    { left: 361, ttl: 3600, renew: false },
    { left: 360, ttl: 3600, renew: true },
    { left: 10, ttl: 3600, renew: true },
    { left: -5, ttl: 3600, renew: true },
    { left: 7, ttl: 60, renew: false },
    { left: 6, ttl: 60, renew: true },
  ])("with $left s of a $ttl s lifetime left: renew=$renew", ({ left, ttl, renew }) => {
    expect(tokenNeedsRenewal(new Date(now + left * 1000).toISOString(), ttl, now)).toBe(renew);
  });

  it("renews a token whose expiry is unknown", () => {
    expect(tokenNeedsRenewal(undefined, 3600, now)).toBe(true);
    expect(tokenNeedsRenewal("", 3600, now)).toBe(true);
    expect(tokenNeedsRenewal("not a date", 3600, now)).toBe(true);
  });

  it.each([0, -1, 1.5, 86_401, "3600", null])(
    "refuses the lifetime %j, naming the field",
    (ttl) => {
      expect(ttlProblem(ttl)).toMatch(
        /^tokenTtlSeconds must be a whole number of seconds from 1 to 86400/,
      );
    },
  );

  it.each([1, 3600, 86_400])("accepts the lifetime %j", (ttl) => {
    expect(ttlProblem(ttl)).toBeUndefined();
  });
});

describe("the mount's environment", () => {
  const repos = [
    { org: "acme", repo: "work", bookmark: "agents/a-1", readOnly: false },
    { org: "acme", repo: "docs", bookmark: "main", readOnly: true },
  ];

  it("lists every repo's bookmark in MESA_REPO_REVS", () => {
    expect(repoRevs(repos)).toBe("acme/work=bookmark:agents/a-1,acme/docs=bookmark:main");
  });

  it("passes the token as MESA_API_KEY and the org, and names the read-only repos of a mixed mount", () => {
    const env = mountEnv({
      org: "acme",
      token: "eyJ.tok.en",
      repos,
      apiUrl: "https://mesa.example.test/v1/",
    });
    expect(env).toMatchObject({
      MESA_ORG: "acme",
      MESA_API_KEY: "eyJ.tok.en",
      MESA_REPO_REVS: "acme/work=bookmark:agents/a-1,acme/docs=bookmark:main",
      MESA_API_URL: "https://mesa.example.test/v1",
      MESA_MOUNT_POINT: MOUNT_POINT,
      MESA_RUNTIME_DIR: RUNTIME_DIR,
      MESA_READ_ONLY_REPOS: "acme/docs",
    });
  });

  it("leaves MESA_API_URL unset for the service default and MESA_READ_ONLY_REPOS unset when the token itself is read-only", () => {
    const env = mountEnv({
      org: "acme",
      token: "t",
      repos: [repos[1]],
      apiUrl: "https://api.mesa.dev/v1",
    });
    expect(env.MESA_API_URL).toBeUndefined();
    expect(env.MESA_READ_ONLY_REPOS).toBeUndefined();
  });

  it("gives sandboxes of a local Superserve no MESA_API_URL for the local Mesa: only the org and the token, as on the service", () => {
    const env = mountEnv({
      org: "local",
      token: "eyJ.tok.en",
      repos: [repos[0]],
      apiUrl: "http://127.0.0.1:7000/v1",
      superserveUrl: "http://127.0.0.1:7001",
    });
    expect(Object.keys(env).filter((k) => k.startsWith("MESA_API"))).toEqual(["MESA_API_KEY"]);
    expect(env).toMatchObject({ MESA_ORG: "local", MESA_API_KEY: "eyJ.tok.en" });
    expect(sandboxMesaApiUrl("http://localhost:7000/v1/", "http://localhost:7001")).toBeUndefined();
  });

  it("keeps MESA_API_URL as the override for a custom Mesa, and for a loopback Mesa behind a remote Superserve", () => {
    expect(sandboxMesaApiUrl("https://mesa.example.test/v1", "http://127.0.0.1:7001")).toBe(
      "https://mesa.example.test/v1",
    );
    expect(sandboxMesaApiUrl("http://127.0.0.1:7000/v1", undefined)).toBe(
      "http://127.0.0.1:7000/v1",
    );
    expect(sandboxMesaApiUrl("http://127.0.0.1:7000/v1", "https://api.superserve.ai")).toBe(
      "http://127.0.0.1:7000/v1",
    );
    expect(sandboxMesaApiUrl("https://api.mesa.dev/v1/", "http://127.0.0.1:7001")).toBeUndefined();
  });

  it("mounts repos where the seed flow expects them", () => {
    expect(mountPath("acme", "work")).toBe("/home/user/.local/share/mesa/mnt/acme/work");
  });
});

describe("redaction", () => {
  it("removes the token, any JWT and API keys from quoted output", () => {
    const text =
      "auth failed for abc.def.ghi with eyJhbGciOi.eyJpc3Mi.sig_-x and mesa_0123456789abcdef, ss_live_use_abcdefghij";
    const out = redact(text, ["abc.def.ghi"]);
    expect(out).not.toContain("abc.def.ghi");
    expect(out).not.toContain("eyJ");
    expect(out).not.toContain("mesa_0123");
    expect(out).not.toContain("ss_live");
    expect(out).toBe("auth failed for [secret] with [secret] and [secret], [secret]");
  });

  it("uses the same marker for a resource's secret inputs as for quoted output", () => {
    const redactor = redactorFor({ envVars: { TOKEN: "hunter22" }, name: "plain" }, ["envVars"]);
    expect(redactor("TOKEN=hunter22 name=plain")).toBe(`TOKEN=${REDACTED} name=plain`);
    expect(REDACTED).toBe("[secret]");
  });

  it("puts the exit code, the hint and the redacted output tail in a failed step's error", async () => {
    const sandbox = {
      commands: {
        run: async () => ({ stdout: "token=SECRET-TOKEN\n", stderr: "boom\n", exitCode: 3 }),
      },
    };
    const err = await runStep(
      sandbox,
      "x",
      {
        step: "start the mount",
        hints: { 3: "Check the log.", default: "?" },
        timeoutMs: 1,
        secrets: ["SECRET-TOKEN"],
      },
      once,
    ).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(
      /start the mount failed with exit code 3\. Check the log\./,
    );
    expect((err as Error).message).toContain("boom");
    expect((err as Error).message).not.toContain("SECRET-TOKEN");
    expect((err as Error).message).toContain(`token=${REDACTED}`);
  });

  it("redacts the token from SDK errors too, keeping the status for retry classification", async () => {
    const sandbox = {
      commands: {
        run: async () => {
          throw Object.assign(new Error("bad request with SECRET-TOKEN"), { statusCode: 503 });
        },
      },
    };
    const err = (await runStep(
      sandbox,
      "x",
      { step: "wait", hints: { default: "" }, timeoutMs: 1, secrets: ["SECRET-TOKEN"] },
      once,
    ).catch((e) => e)) as Error & { statusCode?: number };
    expect(err.message).not.toContain("SECRET-TOKEN");
    expect(err.statusCode).toBe(503);
    expect(classifyFailure(err), "a 503 stays transient").toMatchObject({
      transient: true,
      status: 503,
    });
  });

  it.each([
    { what: "a dropped connection", error: () => new Error("Network error: fetch failed") },
    { what: "a 429", error: () => Object.assign(new Error("rate limited"), { statusCode: 429 }) },
    {
      what: "a timeout",
      error: () =>
        Object.assign(new Error("Request timed out after 5000ms"), { name: "TimeoutError" }),
    },
  ])("retries the exec after $what, then returns the command's output", async ({ error }) => {
    let calls = 0;
    const sandbox = {
      commands: {
        run: async () =>
          ++calls === 1
            ? Promise.reject(error())
            : { stdout: "mounted\n", stderr: "", exitCode: 0 },
      },
    };
    const clock = { now: () => 0, sleep: async () => undefined, random: () => 0 };
    const retry: Pick<OperationContext, "retry"> = {
      retry: (operation, fn) =>
        withRetry(fn, {
          operation,
          clock,
          policy: { baseDelayMs: 1, maxDelayMs: 1, deadline: 1000 },
        }),
    };
    expect(
      await runStep(
        sandbox,
        "x",
        { step: "check the mount", hints: { default: "" }, timeoutMs: 1 },
        retry,
      ),
    ).toBe("mounted\n");
    expect(calls, "one retry").toBe(2);
  });

  it("never retries a command that ran and exited non-zero, nor a 400", async () => {
    for (const run of [
      async () => ({ stdout: "", stderr: "no", exitCode: 5 }),
      async () => Promise.reject(Object.assign(new Error("bad"), { statusCode: 400 })),
    ]) {
      let calls = 0;
      const sandbox = { commands: { run: () => (calls++, run()) } };
      const clock = { now: () => 0, sleep: async () => undefined, random: () => 0 };
      const retry: Pick<OperationContext, "retry"> = {
        retry: (operation, fn) =>
          withRetry(fn, {
            operation,
            clock,
            policy: { baseDelayMs: 1, maxDelayMs: 1, deadline: 1000 },
          }),
      };
      await expect(
        runStep(sandbox, "x", { step: "start", hints: { default: "" }, timeoutMs: 1 }, retry),
      ).rejects.toThrow(/start failed/);
      expect(calls, "no retry of a permanent failure").toBe(1);
    }
  });
});

/** Runs the call once, as the retries do when it succeeds or fails permanently. */
const once: Pick<OperationContext, "retry"> = { retry: (_operation, fn) => fn(1) };

/**
 * The shell scripts use absolute in-sandbox paths; to run them on the host they are rewritten to
 * a temp dir (the rewrite is a plain string replacement of the two root paths).
 */
describe("the shell commands", () => {
  let root: string;
  let bin: string;
  const local = (script: string) =>
    script.split(RUNTIME_DIR).join(join(root, "run")).split(MOUNT_POINT).join(join(root, "mnt"));
  const sh = (script: string, env: Record<string, string> = {}) =>
    spawnSync("sh", ["-c", local(script)], {
      encoding: "utf8",
      env: { PATH: `${bin}:/usr/bin:/bin`, HOME: root, ...env },
    });

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), "psm-mount-cmd-"));
    bin = join(root, "bin");
    mkdirSync(bin);
    mkdirSync(join(root, "run"));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it("import's inspection finds the running daemon's repos, bookmarks and read-only flags", () => {
    mkdirSync(join(root, "mnt", "acme", "work"), { recursive: true });
    mkdirSync(join(root, "mnt", "acme", "docs"), { recursive: true });
    const json = JSON.stringify({
      org: "acme",
      state: "ok",
      repos: [
        { repo: "acme/work", rev: "bookmark:main", readOnly: false },
        { repo: "acme/docs", rev: "bookmark:release/1", readOnly: true },
      ],
    });
    writeFileSync(join(bin, "mesa"), `#!/bin/sh\nprintf '%s\\n' '${json}'\n`, { mode: 0o755 });
    const daemon = spawnSync("sh", ["-c", "sleep 30 >/dev/null 2>&1 & echo $!"], {
      encoding: "utf8",
    });
    const pid = daemon.stdout.trim();
    writeFileSync(join(root, "run", "mesa.pid"), `${pid}\n`);
    try {
      const result = sh(inspectCommand());
      expect(result.status, result.stderr).toBe(0);
      expect(parseInspection(result.stdout)).toEqual({
        serving: true,
        org: "acme",
        repos: [
          { org: "acme", repo: "work", bookmark: "main", readOnly: false },
          { org: "acme", repo: "docs", bookmark: "release/1", readOnly: true },
        ],
      });
    } finally {
      spawnSync("kill", ["-9", pid]);
    }
  });

  it("import's inspection, without a daemon, lists the directories and runs no mesa command", () => {
    mkdirSync(join(root, "mnt", "acme", "work"), { recursive: true });
    writeFileSync(join(bin, "mesa"), '#!/bin/sh\necho called > "$HOME/mesa-called"\n', {
      mode: 0o755,
    });
    const result = sh(inspectCommand());
    expect(result.status, result.stderr).toBe(0);
    expect(parseInspection(result.stdout)).toEqual({
      serving: false,
      org: "acme",
      repos: [{ org: "acme", repo: "work" }],
    });
    expect(spawnSync("test", ["-e", join(root, "mesa-called")]).status, "mesa not run").not.toBe(0);
  });

  it("import's inspection reports a mount that failed closed as not serving", () => {
    mkdirSync(join(root, "mnt", "acme", "work"), { recursive: true });
    writeFileSync(join(root, "mnt", "MESA_MOUNT_FAILED"), "token expired\n");
    const daemon = spawnSync("sh", ["-c", "sleep 30 >/dev/null 2>&1 & echo $!"], {
      encoding: "utf8",
    });
    const pid = daemon.stdout.trim();
    writeFileSync(join(root, "run", "mesa.pid"), `${pid}\n`);
    try {
      expect(parseInspection(sh(inspectCommand()).stdout).serving).toBe(false);
    } finally {
      spawnSync("kill", ["-9", pid]);
    }
  });

  it("quotes anything for sh", () => {
    const value = `it's a "test" $HOME \`x\``;
    expect(execFileSync("sh", ["-c", `printf %s ${shellQuote(value)}`], { encoding: "utf8" })).toBe(
      value,
    );
  });

  it("'never' fails with its own exit code and a hint when mesa is absent", () => {
    const result = sh(installCommand("never"));
    expect(result.status).toBe(EXIT_NO_CLI);
    expect(result.stderr).toMatch(/mesaCli is 'never'/);
  });

  it("'auto' does not run the installer when mesa is present", () => {
    writeFileSync(join(bin, "mesa"), "#!/bin/sh\n", { mode: 0o755 });
    writeFileSync(join(bin, "curl"), "#!/bin/sh\necho curl-called >&2; exit 9\n", { mode: 0o755 });
    const result = sh(installCommand("auto"));
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout.trim()).toBe(join(bin, "mesa"));
  });

  it("'always' runs the official installer", () => {
    writeFileSync(join(bin, "mesa"), "#!/bin/sh\n", { mode: 0o755 });
    writeFileSync(
      join(bin, "curl"),
      `#!/bin/sh\necho "$@" > ${join(root, "curl-args")}\nexit 9\n`,
      { mode: 0o755 },
    );
    const result = sh(installCommand("always"));
    expect(result.status, "the installer's failure fails the step").not.toBe(0);
    expect(execFileSync("cat", [join(root, "curl-args")], { encoding: "utf8" })).toContain(
      "https://mesa.dev/install.sh",
    );
  });

  it("waits until the daemon runs and the repo's first entry is served", () => {
    const daemon = spawnSync("sh", ["-c", `sleep 30 >/dev/null 2>&1 & echo $!`], {
      encoding: "utf8",
    });
    const pid = daemon.stdout.trim();
    writeFileSync(join(root, "run", "mesa.pid"), `${pid}\n`);
    mkdirSync(join(root, "mnt", "acme", "work"), { recursive: true });
    writeFileSync(join(root, "mnt", "acme", "work", "README.md"), "hi");
    try {
      const ok = sh(
        waitCommand([{ path: mountPath("acme", "work"), entry: "README.md" }], 2, 0.05),
      );
      expect(ok.status, ok.stderr).toBe(0);
      const missing = sh(
        waitCommand([{ path: mountPath("acme", "work"), entry: "nope.txt" }], 1, 0.05),
      );
      expect(missing.status, "a deadline passes when the entry never appears").toBe(EXIT_TIMEOUT);
      expect(missing.stderr).toMatch(/did not serve the repos within 1 s/);
      expect(parseHealth(sh(healthCommand([mountPath("acme", "work")])).stdout)).toEqual({
        mounted: true,
      });
      const stop = sh(unmountCommand(5, 0.05));
      expect(stop.status, stop.stderr).toBe(0);
      expect(spawnSync("kill", ["-0", pid]).status, "the daemon is gone after unmount").not.toBe(0);
      expect(parseHealth(sh(healthCommand([mountPath("acme", "work")])).stdout)).toEqual({
        mounted: false,
        reason: "the mesa daemon is not running",
      });
    } finally {
      spawnSync("kill", ["-9", pid]);
    }
  });

  it("reports a mount that failed closed", () => {
    mkdirSync(join(root, "mnt"), { recursive: true });
    writeFileSync(join(root, "mnt", "MESA_MOUNT_FAILED"), "token expired\n");
    const daemon = spawnSync("sh", ["-c", `sleep 30 >/dev/null 2>&1 & echo $!`], {
      encoding: "utf8",
    });
    const pid = daemon.stdout.trim();
    writeFileSync(join(root, "run", "mesa.pid"), `${pid}\n`);
    try {
      const wait = sh(waitCommand([{ path: mountPath("acme", "work") }], 2, 0.05));
      expect(wait.status).toBe(EXIT_MOUNT_FAILED);
      expect(wait.stderr).toContain("token expired");
      expect(parseHealth(sh(healthCommand([mountPath("acme", "work")])).stdout).mounted).toBe(
        false,
      );
    } finally {
      spawnSync("kill", ["-9", pid]);
    }
  });

  /** A fake `mesa` whose `mount -d` starts a daemon (a sleep) and, unless `serve` is false, serves acme/work/README.md. */
  const fakeMesa = (opts: { serve: boolean; exitCode?: number }) => {
    const served = join(root, "mnt", "acme", "work");
    const start = opts.exitCode
      ? `echo "cannot mount" >&2; exit ${opts.exitCode}`
      : `sleep 30 >/dev/null 2>&1 & echo $! > ${join(root, "run", "mesa.pid")}${opts.serve ? `; mkdir -p ${served}; echo hi > ${served}/README.md` : ""}`;
    writeFileSync(
      join(bin, "mesa"),
      `#!/bin/sh\necho "$*" >> ${join(root, "mesa-calls")}\n[ "$1" = mount ] || exit 0\n${start}\n`,
      { mode: 0o755 },
    );
  };
  const killDaemon = () => {
    const pid = spawnSync("cat", [join(root, "run", "mesa.pid")], {
      encoding: "utf8",
    }).stdout.trim();
    if (pid) spawnSync("kill", ["-9", pid]);
  };
  const probe = [{ path: mountPath("acme", "work"), entry: "README.md" }];

  it("mount-and-wait installs nothing when mesa is present, starts the daemon and returns once the repo is served", () => {
    fakeMesa({ serve: true });
    writeFileSync(join(bin, "curl"), "#!/bin/sh\necho curl-called >&2; exit 9\n", { mode: 0o755 });
    try {
      const result = sh(mountAndWaitCommand("auto", probe, 5, "start-1", 0.05), {
        MESA_API_KEY: "SECRET-TOKEN",
      });
      expect(result.status, result.stderr).toBe(0);
      expect(result.stderr, "the installer is not run when mesa is present").not.toContain(
        "curl-called",
      );
      expect(execFileSync("cat", [join(root, "mesa-calls")], { encoding: "utf8" })).toBe(
        "mount -d -y\n",
      );
    } finally {
      killDaemon();
    }
  });

  it("mount-and-wait run twice with the same start id (a retry after a lost answer) starts one daemon", () => {
    fakeMesa({ serve: true });
    try {
      for (const run of [1, 2]) {
        const result = sh(mountAndWaitCommand("never", probe, 5, "start-1", 0.05));
        expect(result.status, `run ${run}: ${result.stderr}`).toBe(0);
      }
      expect(
        execFileSync("cat", [join(root, "mesa-calls")], { encoding: "utf8" }),
        "mesa mount -d ran once",
      ).toBe("mount -d -y\n");
      killDaemon();
      rmSync(join(root, "run", "mesa.pid"));
      const restarted = sh(mountAndWaitCommand("never", probe, 5, "start-1", 0.05));
      expect(restarted.status, restarted.stderr).toBe(0);
      expect(
        execFileSync("cat", [join(root, "mesa-calls")], { encoding: "utf8" }),
        "a dead daemon is started again",
      ).toBe("mount -d -y\nmount -d -y\n");
    } finally {
      killDaemon();
    }
  });

  it("mount-and-wait exits with the no-CLI code under 'never' without starting anything", () => {
    const result = sh(mountAndWaitCommand("never", probe, 1, "start-1", 0.05));
    expect(result.status).toBe(EXIT_NO_CLI);
    expect(result.stderr).toMatch(/mesaCli is 'never'/);
  });

  it("mount-and-wait runs the installer without the mount's environment and reports its failure with its own code", () => {
    writeFileSync(
      join(bin, "curl"),
      `#!/bin/sh\nprintf '%s\\n' 'echo "key=\${MESA_API_KEY:-unset} org=\${MESA_ORG:-unset}" > ${join(root, "installer-env")}; exit 7'\n`,
      { mode: 0o755 },
    );
    const result = sh(mountAndWaitCommand("auto", probe, 1, "start-1", 0.05), {
      MESA_API_KEY: "SECRET-TOKEN",
      MESA_ORG: "acme",
    });
    expect(result.status, result.stderr).toBe(EXIT_INSTALL_FAILED);
    expect(result.stderr).toContain("installer failed with exit code 7");
    expect(
      execFileSync("cat", [join(root, "installer-env")], { encoding: "utf8" }).trim(),
      "the installer never sees the token",
    ).toBe("key=unset org=unset");
  });

  it("mount-and-wait reports a daemon that did not start with its own code", () => {
    fakeMesa({ serve: true, exitCode: 2 });
    const result = sh(mountAndWaitCommand("never", probe, 1, "start-1", 0.05));
    expect(result.status, result.stderr).toBe(EXIT_START_FAILED);
    expect(result.stderr).toContain("mesa mount -d failed with exit code 2");
  });

  it("mount-and-wait times out when the repo is never served", () => {
    fakeMesa({ serve: false });
    try {
      const result = sh(mountAndWaitCommand("never", probe, 1, "start-1", 0.05));
      expect(result.status, result.stderr).toBe(EXIT_TIMEOUT);
      expect(result.stderr).toMatch(/did not serve the repos within 1 s/);
    } finally {
      killDaemon();
    }
  });

  it("unmount succeeds when no daemon runs", () => {
    expect(sh(unmountCommand(1)).status).toBe(0);
  });
});
