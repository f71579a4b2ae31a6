/**
 * The main job, as a newcomer runs it: the README's `npm run up` in a fresh copy of the project,
 * its outputs and proof, a second run with no changes (no rebuild, no change on any agent's
 * bookmark), the drift demo, convergence, a second run started while one holds the stack (it
 * stops in one line naming that run), a run killed mid-create and the run after it, a run killed
 * mid-create and the destroy after it, and nothing left running or orphaned in the local
 * backends. The same story runs on the file state backend (with a restart of the local backends,
 * and the runtimes taking turns on the stack: an up, a preview and the destroy on the current
 * runtime, PSM_RUNTIME=current) and on a PostgreSQL backend of the test's own, as a team's CI
 * shares it.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { hostname, tmpdir } from "node:os";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { eventually } from "../helpers/eventually";
import { withoutCredentials } from "../helpers/credentials";
import { startPostgres, type Postgres } from "../helpers/postgres";
import { copyProject } from "../helpers/project-copy";
import { installCurrentRuntime, processesWithEnv, pulumiPath } from "../helpers/pulumi";
import { stateLocks } from "../helpers/state-locks";
import { dependentSteps } from "../helpers/steps";
import { teamTemplates } from "../helpers/templates";
import type { LocalEndpoints } from "../../provider/local-endpoints";

interface Run {
  code: number | null;
  output: string;
}

function mainJob(backend: "file" | "postgres") {
  describe(`the main job (npm run up on the local stack, ${backend} state backend)`, () => {
    let clone: string;
    let localDir: string;
    let env: NodeJS.ProcessEnv;
    let postgres: Postgres | undefined;
    const step = dependentSteps();
    /** The state backend scripts/main.sh uses in the clone. */
    const backendUrl = () => postgres?.url ?? `file://${join(clone, ".pulumi-state")}`;

    /**
     * `npm <args>` in the clone (with `extraEnv`, e.g. PSM_RUNTIME), in a process group of its
     * own; `run` resolves when it ends.
     */
    function spawnNpm(
      args: string[],
      timeoutMs = 900_000,
      extraEnv: NodeJS.ProcessEnv = {},
    ): { child: ChildProcess; run: Promise<Run> } {
      const child = spawn("npm", args, {
        cwd: clone,
        env: { ...env, ...extraEnv },
        stdio: ["ignore", "pipe", "pipe"],
        detached: true,
      });
      const run = new Promise<Run>((resolve) => {
        let output = "";
        child.stdout.on("data", (d: Buffer) => (output += d.toString()));
        child.stderr.on("data", (d: Buffer) => (output += d.toString()));
        const timer = setTimeout(() => child.kill("SIGTERM"), timeoutMs);
        child.on("close", (code) => {
          clearTimeout(timer);
          resolve({ code, output });
        });
      });
      return { child, run };
    }
    const npm = (args: string[], timeoutMs?: number, extraEnv?: NodeJS.ProcessEnv): Promise<Run> =>
      spawnNpm(args, timeoutMs, extraEnv).run;

    /** `pulumi <args> --stack local` in the clone, as scripts/main.sh runs it; its parsed JSON output. */
    function pulumiJson<T>(args: string[]): T {
      const out = execFileSync(pulumiPath(), [...args, "--stack", "local"], {
        cwd: clone,
        env: {
          ...env,
          PULUMI_BACKEND_URL: backendUrl(),
          PULUMI_CONFIG_PASSPHRASE: "local-stack",
        },
        encoding: "utf8",
      });
      return JSON.parse(out) as T;
    }

    const stackOutputs = () =>
      pulumiJson<{
        repo: { org: string; name: string };
        sandboxes: { name: string; sandboxId: string; bookmark: string; mountPath: string }[];
      }>(["stack", "output", "--json"]);

    interface StateResource {
      urn: string;
      type: string;
      id?: string;
      outputs?: { sandboxId?: string };
    }
    const stackState = () =>
      pulumiJson<{
        deployment: {
          resources?: StateResource[];
          pending_operations?: { type: string; resource: { urn: string } }[];
        };
      }>(["stack", "export"]).deployment;

    const endpoints = (): LocalEndpoints =>
      JSON.parse(readFileSync(join(localDir, "endpoints.json"), "utf8"));

    /** Every bookmark of the stack's repo → its head change id. */
    async function bookmarkHeads(): Promise<Record<string, string>> {
      const { mesa } = endpoints();
      const { repo } = stackOutputs();
      const res = await fetch(`${mesa.url}/${repo.org}/${repo.name}/bookmarks`, {
        headers: { Authorization: `Bearer ${mesa.apiKey}` },
      });
      const body = (await res.json()) as { bookmarks: { name: string; change_id: string }[] };
      return Object.fromEntries(body.bookmarks.map((b) => [b.name, b.change_id]));
    }

    async function liveSandboxes(): Promise<
      { id: string; status: string; metadata: Record<string, string> }[]
    > {
      const { superserve } = endpoints();
      return (await (
        await fetch(`${superserve.url}/sandboxes`, { headers: { "X-API-Key": superserve.apiKey } })
      ).json()) as {
        id: string;
        status: string;
        metadata: Record<string, string>;
      }[];
    }

    /** Processes of the clone's engine runs (scripts/main.sh marks them with PSM_ENGINE_RUN=<root>#<CLI pid>). */
    const engineRunProcesses = () => processesWithEnv(`PSM_ENGINE_RUN=${clone}#`);
    const commandOf = (pid: number) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ");
      } catch {
        return "(exited)";
      }
    };
    /** Running: not gone and not a zombie waiting to be reaped. */
    const alive = (pid: number) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
        return stat[stat.lastIndexOf(")") + 2] !== "Z";
      } catch {
        return false;
      }
    };
    /** The killed run's provider plugins: in process groups of their own, a runner's kill misses them. */
    const plugins = (pid: number) =>
      /dynamic-provider|pulumi-resource-pulumi-nodejs/.test(commandOf(pid));

    /** The stack's locks in the state backend. */
    const locks = () => stateLocks({ postgres, stateDir: join(clone, ".pulumi-state") });
    /** The creates a killed run left pending in the stack's state. */
    const pendingCreates = () =>
      (stackState().pending_operations ?? []).filter((op) => op.type === "creating");

    /** `npm run up` with `sandboxCount` sandboxes, killed once its first new sandbox exists. */
    async function upKilledMidCreate(sandboxCount: number): Promise<void> {
      const config = join(clone, "stacks", "Pulumi.local.yaml");
      writeFileSync(
        config,
        readFileSync(config, "utf8").replace(
          /sandboxCount: "\d+"/,
          `sandboxCount: "${sandboxCount}"`,
        ),
      );
      const existing = new Set((await liveSandboxes()).map((s) => s.id));
      const killed = spawnNpm(["run", "up"]);
      let ended = false;
      void killed.run.then(() => (ended = true));
      const outcome = await eventually(
        "a new sandbox in Superserve (or the end of npm run up)",
        async () =>
          ended ? "ended" : (await liveSandboxes()).some((s) => !existing.has(s.id)) && "created",
        600_000,
        100,
      );
      expect(outcome, ended ? (await killed.run).output.slice(-3000) : "").toBe("created");
      // The kill of a CI runner: npm's process group (npm, main.sh, the pulumi CLI), then every other
      // process of the run but the provider plugins (the language host and program: process groups
      // of their own), again until none is left. A SIGKILLed process can take a moment to go (one
      // in uninterruptible sleep on a loaded machine still shows its command line), so this polls
      // until each is gone instead of looking once.
      process.kill(-killed.child.pid!, "SIGKILL");
      await eventually(
        "every process of the killed run but its provider plugins to be gone",
        () => {
          const left = engineRunProcesses().filter((pid) => alive(pid) && !plugins(pid));
          for (const pid of left) {
            try {
              process.kill(pid, "SIGKILL");
            } catch (error) {
              if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error; // exited meanwhile
            }
          }
          return left.length === 0;
        },
        30_000,
        50,
      );
      await killed.run;
      const survivors = engineRunProcesses().filter(alive);
      expect(
        survivors.length,
        "the killed run's provider plugins outlive it (the case to clean up)",
      ).toBeGreaterThan(0);
      expect(survivors.every(plugins), survivors.map(commandOf).join("\n")).toBe(true);
    }

    beforeAll(async () => {
      const root = mkdtempSync(join(tmpdir(), "psm-main-job-"));
      clone = join(root, "project");
      localDir = join(root, "local-data");
      copyProject(clone);
      postgres = backend === "postgres" ? startPostgres() : undefined;
      // The local backends bind free ports themselves (port 0) at every start; the providers and
      // the test read them back from the endpoints file in PSM_LOCAL_DIR.
      env = {
        ...withoutCredentials(process.env, [
          "PULUMI_CONFIG_PASSPHRASE",
          ...(postgres ? [] : ["PULUMI_BACKEND_URL"]),
        ]),
        ...(postgres ? { PULUMI_BACKEND_URL: postgres.url } : {}),
        PSM_LOCAL_DIR: localDir,
        PSM_MESA_PORT: "0",
        PSM_SUPERSERVE_PORT: "0",
        STACK: "local",
      };
    });

    afterAll(async () => {
      try {
        if (!clone) return;
        await npm(["run", "local", "--", "stop", "--all"], 120_000);
        rmSync(dirname(clone), { recursive: true, force: true });
      } finally {
        postgres?.stop();
      }
    });

    step(
      "builds the environment, runs every agent to exit 0 and proves an edit in a sandbox's mount reaches Mesa",
      async () => {
        const run = await npm(["run", "up"]);
        expect(run.code, run.output.slice(-4000)).toBe(0);
        expect(run.output).toMatch(
          /proof: wrote .*agent-environment-proof in sandbox .* read it back from Mesa/,
        );
        for (const index of [0, 1])
          expect(
            run.output,
            `agent ${index} ran its task to exit 0, its work on its own bookmark`,
          ).toMatch(
            new RegExp(
              `proof: agent ${index} in sandbox \\S+ \\(task .*\\) exited 0 .*its work is on its own bookmark`,
            ),
          );
        const outputs = stackOutputs();
        expect(outputs.sandboxes).toHaveLength(2);
        for (const sandbox of outputs.sandboxes) {
          expect(sandbox.mountPath).toBe(
            `/home/user/.local/share/mesa/mnt/${outputs.repo.org}/${outputs.repo.name}`,
          );
          expect(sandbox.bookmark, "each sandbox works on its own bookmark").not.toBe("main");
        }
        expect(new Set(outputs.sandboxes.map((s) => s.bookmark)).size).toBe(2);
      },
    );

    step(
      "reports no changes when run again, rebuilds nothing and adds no change to any agent's bookmark",
      async () => {
        const before = await bookmarkHeads();
        expect(
          Object.keys(before).filter((name) => name.startsWith("proof/")),
          "the first run's proof removed its bookmark",
        ).toEqual([]);
        const run = await npm(["run", "up"]);
        expect(run.code, run.output.slice(-4000)).toBe(0);
        const summary = run.output.slice(run.output.lastIndexOf("Resources:"));
        expect(summary, run.output.slice(-4000)).toMatch(/\d+ unchanged/);
        expect(summary).not.toMatch(/created|updated|replaced|deleted/);
        expect(run.output, "the package is not rebuilt").toMatch(
          /dist\/ is up to date with the sources; not rebuilding/,
        );
        expect(run.output).toMatch(/proof: wrote .* read it back from Mesa/);
        expect(
          await bookmarkHeads(),
          "every bookmark where it was: the proof wrote on a bookmark of its own and removed it",
        ).toEqual(before);
      },
    );

    if (backend === "file")
      step(
        "converges after the local backends restart: sandboxes and their mounts live on, proof again",
        async () => {
          const stop = await npm(["run", "local", "--", "stop"], 120_000);
          expect(stop.code, stop.output).toBe(0);
          expect(stop.output).toMatch(/sandboxes frozen until the next start/);
          const run = await npm(["run", "up"]);
          expect(run.code, run.output.slice(-4000)).toBe(0);
          const summary = run.output.slice(run.output.lastIndexOf("Resources:"));
          expect(summary, "the restart changed nothing: the mounts survived it").toMatch(
            /\d+ unchanged/,
          );
          expect(summary).not.toMatch(/created|updated|replaced|deleted/);
          expect(run.output).toMatch(/proof: wrote .* read it back from Mesa/);
        },
      );

    if (backend === "file")
      step(
        "runs on the current runtime with PSM_RUNTIME=current: the engine on its CLI and Node.js, the same stack unchanged, proof again",
        async () => {
          const runtime = currentRuntimeFiles();
          const up = spawnNpm(["run", "up"], 900_000, { PSM_RUNTIME: "current" });
          let ended = false;
          void up.run.then(() => (ended = true));
          /** The executables of the run's engine processes (the CLI, the language host, the program, the providers). */
          const seen = new Set<string>();
          await eventually(
            "the CLI and a Node.js process of the run on the current runtime (or the run's end)",
            () => {
              for (const pid of engineRunProcesses()) {
                try {
                  seen.add(realpathSync(`/proc/${pid}/exe`));
                } catch {
                  // exited meanwhile
                }
              }
              return ended || (seen.has(runtime.pulumi) && seen.has(runtime.node));
            },
            600_000,
            50,
          );
          const run = await up.run;
          expect(run.code, run.output.slice(-4000)).toBe(0);
          expect(run.output).toContain(
            `runtime current: node ${runtime.nodeVersion}, @pulumi/pulumi ${runtime.sdkVersion}, pulumi CLI ${runtime.cliVersion}`,
          );
          expect([...seen], "the engine ran on the current runtime's CLI and Node.js").toEqual(
            expect.arrayContaining([runtime.pulumi, runtime.node]),
          );
          expect([...seen], "no engine process ran on the minimum's Node.js").not.toContain(
            realpathSync(process.execPath),
          );
          const summary = run.output.slice(run.output.lastIndexOf("Resources:"));
          expect(summary, "the stack the minimum made is unchanged on the current runtime").toMatch(
            /\d+ unchanged/,
          );
          expect(summary).not.toMatch(/created|updated|replaced|deleted/);
          expect(run.output).toMatch(/proof: wrote .* read it back from Mesa/);

          const preview = await npm(["run", "preview"], 600_000, { PSM_RUNTIME: "current" });
          expect(preview.code, preview.output.slice(-4000)).toBe(0);
          expect(preview.output).toContain(`runtime current: node ${runtime.nodeVersion}`);
          expect(preview.output.slice(preview.output.lastIndexOf("Resources:"))).not.toMatch(
            /to create|to update|to replace|to delete/,
          );
        },
      );

    step("shows out-of-band changes in the drift demo, and converges on the next up", async () => {
      const demo = await npm(["run", "drift:demo"]);
      expect(demo.code, demo.output.slice(-4000)).toBe(0);
      const preview = demo.output.slice(demo.output.indexOf("pulumi preview --refresh"));
      expect(preview, "the paused sandbox shows as drift on its status").toMatch(/status/);
      expect(preview, "the repo's edited tags show as drift").toMatch(/edited-by/);
      expect(preview, "the killed sandbox is recreated, and its agent runs again").toMatch(
        /\+ 2 to create/,
      );

      const converge = await npm(["run", "up"]);
      expect(converge.code, converge.output.slice(-4000)).toBe(0);
      const after = await npm(["run", "drift"]);
      expect(after.code, after.output.slice(-4000)).toBe(0);
      expect(after.output.slice(after.output.lastIndexOf("Resources:"))).not.toMatch(
        /to create|to update|to replace|to delete/,
      );
    });

    step(
      "stops a second run while one holds the stack: one line naming that run, nothing changed",
      async () => {
        const first = spawnNpm(["run", "up"]);
        let ended = false;
        void first.run.then(() => (ended = true));
        await eventually(
          "the first run to take the stack's lock",
          () => {
            if (ended) throw new Error("the first npm run up ended before it took the lock");
            return locks().length > 0;
          },
          300_000,
          100,
        );
        // The first run's CLI is held (SIGSTOP) while the second starts, so the second meets a live
        // run however fast the first would have finished.
        const cliPids = [
          ...new Set(
            engineRunProcesses().flatMap((pid) => {
              try {
                const marker = readFileSync(`/proc/${pid}/environ`, "utf8")
                  .split("\0")
                  .find((e) => e.startsWith(`PSM_ENGINE_RUN=${clone}#`));
                return marker ? [Number(marker.split("#").pop())] : [];
              } catch {
                return []; // exited meanwhile
              }
            }),
          ),
        ];
        expect(cliPids, "one pulumi CLI holds the stack").toHaveLength(1);
        let second: Run;
        process.kill(cliPids[0], "SIGSTOP");
        try {
          second = await npm(["run", "up"], 300_000);
        } finally {
          process.kill(cliPids[0], "SIGCONT");
        }
        const firstRun = await first.run;
        expect(firstRun.code, firstRun.output.slice(-4000)).toBe(0);
        expect(second.code, second.output.slice(-4000)).not.toBe(0);
        const refusal = second.output
          .split("\n")
          .filter((line) => /is locked by another/.test(line));
        expect(refusal, second.output.slice(-4000)).toHaveLength(1);
        expect(refusal[0]).toMatch(
          new RegExp(
            `^stack local is locked by another pulumi run \\(.*@${hostname()}, pulumi pid (${cliPids.join("|")}), since .* \\(running on this host\\)\\); nothing was changed\\. .*pulumi cancel --yes --stack local$`,
          ),
        );
        expect(second.output, "the second run stopped before any engine run").not.toMatch(
          /==> (starting the local backends|pulumi )/,
        );
      },
      900_000,
    );

    step(
      "leaves nothing to clean after an npm run up killed mid-create: the next run converges",
      async () => {
        // Two more sandboxes to create, and a kill of the run once the first of them exists.
        await upKilledMidCreate(4);
        const pendingBefore = pendingCreates();
        expect(pendingBefore.length, "the killed run left pending creates").toBeGreaterThan(0);
        expect(locks().length, "the killed CLI left its lock").toBeGreaterThan(0);

        const run = await npm(["run", "up"]);
        expect(run.code, run.output.slice(-4000)).toBe(0);
        expect(run.output).toMatch(
          backend === "postgres"
            ? /cleared the lock of stack local of .*, pulumi pid \d+.*\(pulumi cancel\): that pulumi no longer runs on this host/
            : /removed the stack lock .* of .*, pulumi pid \d+.*: that pulumi no longer runs on this host/,
        );
        expect(run.output).toMatch(new RegExp(`clearing ${pendingBefore.length} pending create`));
        expect(run.output).not.toMatch(/pending operations from previous deployment/);
        expect(run.output).toMatch(/proof: wrote .* read it back from Mesa/);
        const state = stackState();
        expect(state.pending_operations ?? [], "no pending operation left in the state").toEqual(
          [],
        );
        expect(engineRunProcesses().map(commandOf), "no process of any engine run left").toEqual(
          [],
        );
        expect(locks(), "no lock left").toEqual([]);

        const inState = (state.resources ?? []).filter((r) => r.type.endsWith("MountedSandbox"));
        expect(inState).toHaveLength(4);
        const live = await liveSandboxes();
        expect(
          live.map((s) => s.id).sort(),
          "every live sandbox is in the state: no orphan, no duplicate",
        ).toEqual(inState.map((r) => r.id).sort());
        expect(
          new Set(live.map((s) => s.metadata["pulumi-urn"])).size,
          "one sandbox per resource",
        ).toBe(4);
        const { superserve, mesa } = endpoints();
        const templates = (await (
          await fetch(`${superserve.url}/templates`, {
            headers: { "X-API-Key": superserve.apiKey },
          })
        ).json()) as { name: string }[];
        expect(teamTemplates(templates), "one template").toHaveLength(1);
        const repos = (await (
          await fetch(`${mesa.url}/${mesa.org}/repos`, {
            headers: { Authorization: `Bearer ${mesa.apiKey}` },
          })
        ).json()) as { repos: unknown[] };
        expect(repos.repos, "one repo").toHaveLength(1);
      },
      1_200_000,
    );

    // On the file backend the destroy runs on the current runtime (PSM_RUNTIME=current), after a
    // killed run of the minimum's: the two runtimes take turns on one stack.
    const destroyRuntime = backend === "file" ? "current" : "minimum";
    step(
      `destroys everything after a run killed mid-create, its sandboxes included, and leaves nothing running (destroy on the ${destroyRuntime} runtime)`,
      async () => {
        await upKilledMidCreate(6);
        const pending = pendingCreates();
        expect(pending.length, "the killed run left pending creates").toBeGreaterThan(0);

        const run = await npm(["run", "destroy"], 600_000, { PSM_RUNTIME: destroyRuntime });
        expect(run.output).toContain(`runtime ${destroyRuntime}: node`);
        // The engine's diagnostics (which resource failed, and why) come before the outputs it prints.
        const diagnostics = run.output.split("\n").filter((line) => /error|fail/i.test(line));
        expect(run.code, [...diagnostics.slice(0, 40), run.output.slice(-2000)].join("\n")).toBe(0);
        expect(run.output).toMatch(
          new RegExp(
            `clearing ${pending.length} pending create\\(s\\) of an interrupted run and adopting what they made, for the destroy`,
          ),
        );
        expect(run.output).not.toMatch(/still in use after/);

        const { mesa, superserve } = endpoints();
        const headers = { "X-API-Key": superserve.apiKey };
        const sandboxes = (await (
          await fetch(`${superserve.url}/sandboxes`, { headers })
        ).json()) as unknown[];
        const templates = (await (
          await fetch(`${superserve.url}/templates`, { headers })
        ).json()) as {
          name: string;
        }[];
        const repos = (await (
          await fetch(`${mesa.url}/${mesa.org}/repos`, {
            headers: { Authorization: `Bearer ${mesa.apiKey}` },
          })
        ).json()) as {
          repos: unknown[];
        };
        expect(sandboxes, "no sandbox left, the killed run's included").toEqual([]);
        expect(teamTemplates(templates), "no template left but the built-in ones").toEqual([]);
        expect(
          repos.repos,
          "the local stack's repo is not protected, so destroy deletes it",
        ).toEqual([]);
        expect(stackState().pending_operations ?? [], "nothing pending").toEqual([]);
        expect(engineRunProcesses().map(commandOf), "no process of any engine run left").toEqual(
          [],
        );
        expect(locks(), "no lock left").toEqual([]);

        const pid = endpoints().pid;
        const stop = await npm(["run", "local", "--", "stop", "--all"], 120_000);
        expect(stop.code, stop.output).toBe(0);
        expect(() => process.kill(pid, 0), "the local backends' process has exited").toThrow();
        const leftovers = execFileSync("ps", ["-eo", "args"], { encoding: "utf8" })
          .split("\n")
          .filter((line) => line.includes(localDir));
        expect(leftovers, "no process still uses the local data dir").toEqual([]);
      },
      1_200_000,
    );
  });
}

/**
 * The current runtime's files (scripts/install-current-runtime.sh, cached): its Node.js and CLI
 * binaries (real paths) and the versions they and its `@pulumi/pulumi` report.
 */
function currentRuntimeFiles() {
  const variables = installCurrentRuntime();
  const node = realpathSync(join(variables.PSM_RUNTIME_NODE_BIN, "node"));
  const pulumi = realpathSync(variables.PSM_RUNTIME_PULUMI);
  const sdk = join(variables.PSM_RUNTIME_NODE_MODULES, "@pulumi", "pulumi", "package.json");
  return {
    node,
    pulumi,
    nodeVersion: execFileSync(node, ["--version"], { encoding: "utf8" }).trim(),
    cliVersion: execFileSync(pulumi, ["version"], { encoding: "utf8" }).trim(),
    sdkVersion: (JSON.parse(readFileSync(sdk, "utf8")) as { version: string }).version,
  };
}

mainJob("file");
mainJob("postgres");
