/**
 * What a killed `pulumi` run leaves in the state backend, and scripts/clean-killed-runs.mjs (run by
 * every `npm run up`/`destroy` before its first engine run) on it, with the real CLI on a file
 * backend and on a PostgreSQL backend of the test's own: a killed run's lock is cleared and named;
 * a live run's lock stops the next run in one line that names it, and changes nothing; a lock
 * taken on another host is cleared only when the caller says no other run can be in progress and
 * it is older than the stated limit; SIGKILLs at random points on PostgreSQL leave, after the next
 * run, nothing pending, no lock, no orphan and no duplicate; a half-written file state (an empty `.attrs`, as a kill during
 * the checkpoint write leaves it) is repaired, and a damaged checkpoint refused with its fix.
 */
import { execFileSync, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually } from "../helpers/eventually";
import { startPostgres, type Postgres } from "../helpers/postgres";
import { stateLocks } from "../helpers/state-locks";
import { createTempProject, processesWithEnv, repoRoot, type TempProject } from "../helpers/pulumi";

/** A program that runs until `release` exists (bounded): its CLI holds the stack's lock meanwhile. */
const program = (release: string) => `
import * as fs from "fs";
export const released = new Promise<boolean>((resolve, reject) => {
  const deadline = Date.now() + 300_000;
  const timer = setInterval(() => {
    if (fs.existsSync(${JSON.stringify(release)})) { clearInterval(timer); resolve(true); }
    else if (Date.now() > deadline) { clearInterval(timer); reject(new Error("never released")); }
  }, 50);
});
`;

/** scripts/clean-killed-runs.mjs in the project (stack `test`), as scripts/main.sh runs it. */
function cleanKilledRuns(
  project: TempProject,
  args: string[],
  env: Record<string, string> = {},
): { code: number | null; stderr: string } {
  const run = spawnSync("node", [join(repoRoot, "scripts", "clean-killed-runs.mjs"), ...args], {
    cwd: project.dir,
    env: { ...process.env, ...project.env, STACK: "test", ...env },
    encoding: "utf8",
  });
  return { code: run.status, stderr: run.stderr };
}

describe.each(["file", "postgres"] as const)(
  "a killed run's stack lock on the %s backend",
  (backend) => {
    let project: TempProject;
    let postgres: Postgres | undefined;
    let release: string;
    let marker: string;
    const running = new Set<ChildProcess>();

    const clean = (args: string[] = [], env: Record<string, string> = {}) =>
      cleanKilledRuns(project, args, env);
    /** Same, expecting success; its messages. */
    const cleanOk = (args: string[] = [], env: Record<string, string> = {}) => {
      const out = clean(args, env);
      expect(out.code, out.stderr).toBe(0);
      return out.stderr;
    };

    const locks = () => stateLocks({ postgres, stateDir: project.stateDir });

    /** `pulumi up`, holding the lock until released; resolves when the lock is taken. */
    async function lockedUp(): Promise<{ child: ChildProcess; done: Promise<number | null> }> {
      rmSync(release, { force: true });
      const child = project.spawnPulumi(["up", "--yes", "--skip-preview", "--non-interactive"]);
      running.add(child);
      let output = "";
      child.stdout!.on("data", (d: Buffer) => (output += d.toString()));
      child.stderr!.on("data", (d: Buffer) => (output += d.toString()));
      const done = new Promise<number | null>((resolve) =>
        child.once("close", (code) => {
          running.delete(child);
          resolve(code);
        }),
      );
      let ended = false;
      void done.then(() => (ended = true));
      await eventually(
        "the up to take the stack's lock",
        () => {
          if (ended) throw new Error(`pulumi up ended: ${output}`);
          return locks().length > 0;
        },
        120_000,
        100,
      );
      return { child, done };
    }

    /** SIGKILL a run and everything it started (the language host is in a group of its own). */
    async function kill(child: ChildProcess, done: Promise<number | null>) {
      const sigkill = (pid: number) => {
        try {
          process.kill(pid, "SIGKILL");
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error; // gone already
        }
      };
      sigkill(-child.pid!);
      await done;
      await eventually(
        "every process of the killed run to be gone",
        () => {
          const left = processesWithEnv(marker, { exact: true });
          for (const pid of left) sigkill(pid);
          return left.length === 0;
        },
        10_000,
        50,
      );
    }

    let dir: string;

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), "psm-killed-"));
      release = join(dir, "release");
      marker = `PSM_TEST_KILLED_RUNS=${dir}`;
      postgres = backend === "postgres" ? startPostgres() : undefined;
      project = await createTempProject({
        program: program(release),
        env: {
          PSM_TEST_KILLED_RUNS: dir,
          ...(postgres ? { PULUMI_BACKEND_URL: postgres.url } : {}),
        },
      });
      writeFileSync(release, "");
      await project.runPulumi(["up", "--yes", "--skip-preview", "--non-interactive"]);
    }, 300_000);

    afterAll(async () => {
      writeFileSync(release, "");
      for (const child of running) process.kill(-child.pid!, "SIGKILL");
      try {
        cleanKilledRuns(project, []); // a failed test's killed run must not block the destroy
        await project?.dispose();
      } finally {
        postgres?.stop();
        rmSync(dir, { recursive: true, force: true });
      }
    }, 300_000);

    it("clears a killed run's lock (same host, pulumi no longer running) and says whose it was", async () => {
      const { child, done } = await lockedUp();
      const [key] = locks();
      expect(key).toMatch(/\.pulumi\/locks\/organization\/e2e\/test\/[^/]+\.json$/);
      await kill(child, done);
      expect(locks(), "the killed CLI left its lock").toHaveLength(1);
      await expect(
        project.runPulumi(["up", "--yes", "--skip-preview", "--non-interactive"]),
      ).rejects.toThrow(/the stack is currently locked/);

      const said = cleanOk(["--before"]);
      expect(said).toMatch(
        new RegExp(
          `${hostname()}, pulumi pid ${child.pid}.*that pulumi no longer runs on this host`,
        ),
      );
      if (postgres) expect(said).toMatch(/\(pulumi cancel\)/);
      expect(locks(), "no lock left").toEqual([]);
      writeFileSync(release, "");
      await project.runPulumi(["up", "--yes", "--skip-preview", "--non-interactive"]);
    }, 300_000);

    it("stops at a live run's lock in one line naming that run, and changes nothing", async () => {
      const { child, done } = await lockedUp();
      const before = locks();
      const refused = clean(["--before"]);
      expect(refused.code, refused.stderr).toBe(3);
      const lines = refused.stderr.trim().split("\n");
      expect(lines, "one line").toHaveLength(1);
      expect(lines[0]).toMatch(
        new RegExp(
          `stack test is locked by another pulumi run \\(.*@${hostname()}, pulumi pid ${child.pid}, since .* \\(running on this host\\)\\); nothing was changed\\..*pulumi cancel --yes --stack test`,
        ),
      );
      expect(locks(), "the live run's lock is kept").toEqual(before);
      expect(cleanOk(), "after a run (no --before), a live lock is only left alone").toBe("");
      writeFileSync(release, "");
      expect(await done, "the live run finishes").toBe(0);
      expect(locks()).toEqual([]);
    }, 300_000);

    if (backend === "postgres")
      it(`clears another host's lock only with PSM_NO_CONCURRENT_RUNS=1 and once it is older than the limit`, () => {
        const pg = postgres!;
        const key = "pulumi_state/.pulumi/locks/organization/e2e/test/from-a-lost-runner.json";
        const insert = (minutesAgo: number) => {
          const lock = {
            pid: 4242,
            username: "runner",
            hostname: "ci-runner-7",
            timestamp: new Date(Date.now() - minutesAgo * 60_000).toISOString(),
          };
          const data = JSON.stringify({
            data: Buffer.from(JSON.stringify(lock)).toString("base64"),
          });
          pg.sql(
            `INSERT INTO pulumi_state (key, data) VALUES ('${key}', '${data}') ON CONFLICT (key) DO UPDATE SET data = EXCLUDED.data`,
          );
        };
        insert(10);
        const unproven = clean(["--before"]);
        expect(unproven.code, unproven.stderr).toBe(3);
        expect(unproven.stderr).toMatch(
          /runner@ci-runner-7, pulumi pid 4242, since .* \(on another host\).*pulumi cancel --yes --stack test/,
        );
        expect(locks()).toEqual([key]);

        insert(1);
        const young = clean(["--before"], { PSM_NO_CONCURRENT_RUNS: "1" });
        expect(young.code, young.stderr).toBe(3);
        expect(young.stderr).toMatch(/clears it once it is 5 min old/);
        expect(locks()).toEqual([key]);

        insert(10);
        expect(cleanOk(["--before"], { PSM_NO_CONCURRENT_RUNS: "1" })).toMatch(
          /cleared the lock of stack test of runner@ci-runner-7, pulumi pid 4242.*\(pulumi cancel\): taken 10 min ago, and PSM_NO_CONCURRENT_RUNS=1 says no other run can be in progress/,
        );
        expect(locks()).toEqual([]);
      }, 120_000);

    if (backend === "postgres")
      it("recovers from SIGKILLs at random points: nothing pending, no lock, no orphan, no duplicate", async () => {
        // Each round adds 4 resources whose creates take 100-500 ms and, like this package's,
        // adopt what an interrupted create of the same resource made; the run is killed at a
        // random moment, then recovered as `npm run up` does.
        const made = join(dir, "made");
        mkdirSync(made);
        const markers = (count: number) => `
import * as pulumi from "@pulumi/pulumi";
const provider: pulumi.dynamic.ResourceProvider = {
  async create(inputs: { path: string }) {
    await new Promise((resolve) => setTimeout(resolve, 100 + Math.random() * 400));
    const fs = require("fs");
    if (!fs.existsSync(inputs.path)) fs.writeFileSync(inputs.path, "");
    return { id: inputs.path, outs: inputs };
  },
  async delete(id: string) {
    require("fs").rmSync(id, { force: true });
  },
};
class Marker extends pulumi.dynamic.Resource {
  constructor(name: string, path: string) {
    super(provider, name, { path }, {}, "test", "Marker");
  }
}
for (let i = 0; i < ${count}; i++) new Marker("m-" + i, ${JSON.stringify(made)} + "/m-" + i);
`;
        const pendingCreates = async () =>
          (
            JSON.parse(await project.runPulumi(["stack", "export"])) as {
              deployment: { pending_operations?: { type: string }[] };
            }
          ).deployment.pending_operations?.filter((op) => op.type === "creating") ?? [];
        let locksCleared = 0;
        for (let round = 1; round <= 5; round++) {
          project.writeProgram(markers(4 * round));
          const child = project.spawnPulumi(["up", "--yes", "--skip-preview", "--non-interactive"]);
          running.add(child);
          const done = new Promise<number | null>((resolve) =>
            child.once("close", (code) => {
              running.delete(child);
              resolve(code);
            }),
          );
          const killAfterMs = 500 + Math.random() * 3500; // the random point of the kill
          await Promise.race([done, new Promise((resolve) => setTimeout(resolve, killAfterMs))]);
          await kill(child, done);

          const cleaned = cleanKilledRuns(project, ["--before"]);
          expect(
            cleaned.code,
            `round ${round}, killed after ${killAfterMs} ms: ${cleaned.stderr}`,
          ).toBe(0);
          if (/cleared the lock of stack test/.test(cleaned.stderr)) locksCleared++;
          if ((await pendingCreates()).length > 0)
            await project.runPulumi([
              "refresh",
              "--clear-pending-creates",
              "--yes",
              "--skip-preview",
              "--non-interactive",
            ]);
          const up = spawnSync("pulumi", ["up", "--yes", "--skip-preview", "--non-interactive"], {
            cwd: project.dir,
            env: { ...process.env, ...project.env, PULUMI_STACK: "test" },
            encoding: "utf8",
          });
          expect(up.status, `round ${round}: the next up converges\n${up.stdout}${up.stderr}`).toBe(
            0,
          );

          expect(await pendingCreates(), `round ${round}: nothing pending`).toEqual([]);
          expect(locks(), `round ${round}: no lock`).toEqual([]);
          const state = JSON.parse(await project.runPulumi(["stack", "export"])) as {
            deployment: { resources: { type: string; id?: string }[] };
          };
          const ids = state.deployment.resources
            .filter((r) => r.type.endsWith("Marker"))
            .map((r) => r.id!)
            .sort();
          expect(ids, `round ${round}: one resource each`).toHaveLength(4 * round);
          expect(
            readdirSync(made)
              .map((f) => join(made, f))
              .sort(),
            `round ${round}: every object made is in the state (no orphan, no duplicate)`,
          ).toEqual(ids);
        }
        expect(locksCleared, "at least one kill landed mid-run (it left a lock)").toBeGreaterThan(
          0,
        );
      }, 600_000);
  },
);

describe("a half-written file state, as a run killed during the checkpoint write leaves it", () => {
  let project: TempProject;
  let checkpoint: string;

  const clean = () => cleanKilledRuns(project, ["--before"]);

  beforeAll(async () => {
    project = await createTempProject({ program: `export const answer = 42;\n` });
    await project.runPulumi(["up", "--yes", "--skip-preview", "--non-interactive"]);
    await project.runPulumi(["up", "--yes", "--skip-preview", "--non-interactive"]); // a .bak too
    checkpoint = join(project.stateDir, ".pulumi", "stacks", "e2e", "test.json");
    expect(existsSync(`${checkpoint}.attrs`), "the file backend writes metadata files").toBe(true);
  }, 300_000);

  afterAll(async () => {
    await project?.dispose();
  }, 300_000);

  it("an empty <stack>.json.attrs beside an intact checkpoint: removed, and the stack reads again", async () => {
    // The state the kill leaves: fileblob truncates `.attrs` before writing it, then renames the
    // new checkpoint into place; killed in between, the previous checkpoint is intact.
    writeFileSync(`${checkpoint}.attrs`, "");
    await expect(
      project.runPulumi(["stack", "ls"]),
      "the reproduced state breaks pulumi",
    ).rejects.toThrow(/EOF/);
    const out = clean();
    expect(out.code, out.stderr).toBe(0);
    expect(out.stderr).toMatch(
      /removed \.pulumi\/stacks\/e2e\/test\.json\.attrs: the metadata of \.pulumi\/stacks\/e2e\/test\.json, left empty or cut by a run killed while writing it/,
    );
    expect(await project.runPulumi(["stack", "ls"])).toMatch(/test/);
    expect(await project.runPulumi(["stack", "output", "answer"])).toMatch(/42/);
    await project.runPulumi(["up", "--yes", "--skip-preview", "--non-interactive"]);
  }, 300_000);

  it("a damaged checkpoint is refused with the command that restores the previous one", async () => {
    writeFileSync(checkpoint, "");
    const out = clean();
    expect(out.code).toBe(1);
    const fix = /Restore the previous checkpoint: (cp '[^']+' '[^']+' && rm -f '[^']+')/.exec(
      out.stderr,
    );
    expect(fix, out.stderr).not.toBeNull();
    execFileSync("bash", ["-c", fix![1]]);
    expect(clean().code).toBe(0);
    expect(await project.runPulumi(["stack", "output", "answer"])).toMatch(/42/);
  }, 300_000);
});
