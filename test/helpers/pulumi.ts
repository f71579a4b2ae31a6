/**
 * End-to-end harness: real Pulumi projects in temp directories, driven through the real engine
 * (the CLI provided by scripts/install-pulumi.sh, with the Node.js language host) via the
 * Automation API, with a file state backend in the same temp directory.
 *
 * A project's `node_modules` links to this repository's, where `pulumi-superserve-mesa` resolves
 * to the repository itself (scripts/link-self.mjs), so programs import the package by name exactly
 * as a user's program does. Run `npm run build` first: dynamic providers load the compiled `dist/`.
 *
 * On the current runtime (the environment printed by scripts/install-current-runtime.sh, set by
 * scripts/test.sh for its second end-to-end pass) the engine, the programs and the providers run
 * on that Node.js, CLI and `@pulumi/pulumi` instead: see {@link currentRuntime}.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from "node:child_process";
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { promisify } from "node:util";
import { LocalWorkspace, PulumiCommand, type Stack } from "@pulumi/pulumi/automation";
import { transformSync } from "esbuild";

export const repoRoot = resolve(__dirname, "..", "..");

/** The current runtime the engine runs on, when the tests are run on it (undefined: the minimum). */
export interface CurrentRuntime {
  /** Directory of its `node`, put first on the engine's PATH. */
  nodeBin: string;
  /** A consumer project's node_modules holding its `@pulumi/pulumi` and this package's dependencies. */
  nodeModules: string;
  /** Its `pulumi` binary. */
  pulumi: string;
}

/** The runtime scripts/install-current-runtime.sh describes in the environment, if any. */
export function currentRuntime(): CurrentRuntime | undefined {
  const { PSM_RUNTIME_NODE_BIN, PSM_RUNTIME_NODE_MODULES, PSM_RUNTIME_PULUMI } = process.env;
  if (!PSM_RUNTIME_NODE_BIN && !PSM_RUNTIME_NODE_MODULES && !PSM_RUNTIME_PULUMI) return undefined;
  if (!PSM_RUNTIME_NODE_BIN || !PSM_RUNTIME_NODE_MODULES || !PSM_RUNTIME_PULUMI) {
    throw new Error(
      "set all three of PSM_RUNTIME_NODE_BIN, PSM_RUNTIME_NODE_MODULES and PSM_RUNTIME_PULUMI " +
        "(the output of `bash scripts/install-current-runtime.sh`), or none",
    );
  }
  return {
    nodeBin: PSM_RUNTIME_NODE_BIN,
    nodeModules: PSM_RUNTIME_NODE_MODULES,
    pulumi: PSM_RUNTIME_PULUMI,
  };
}

/**
 * The current runtime, installed or found in the cache: the PSM_RUNTIME_* variables
 * scripts/install-current-runtime.sh prints (the CLI's first build takes minutes).
 */
export function installCurrentRuntime(): Record<string, string> {
  return Object.fromEntries(
    execFileSync("bash", [join(repoRoot, "scripts", "install-current-runtime.sh")], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    })
      .trim()
      .split("\n")
      .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
  );
}

/** The `@pulumi/pulumi` version the engine's programs and providers load. */
export function sdkVersion(): string {
  const runtime = currentRuntime();
  const manifest = runtime
    ? join(runtime.nodeModules, "@pulumi", "pulumi", "package.json")
    : join(repoRoot, "node_modules", "@pulumi", "pulumi", "package.json");
  return (JSON.parse(readFileSync(manifest, "utf8")) as { version: string }).version;
}

/**
 * A project's node_modules on the current runtime: every package of the consumer project linked,
 * and this package copied in (package.json and the package's `files`: dist/provider, the provider
 * plugin…, as `npm install` would place it), so that it — the dynamic providers and the plugin
 * alike — resolves `@pulumi/pulumi` to the consumer's copy, the one the program loads.
 */
function consumerNodeModules(dir: string, runtime: CurrentRuntime): void {
  const modules = join(dir, "node_modules");
  mkdirSync(modules);
  for (const entry of readdirSync(runtime.nodeModules)) {
    if (entry.startsWith(".")) continue;
    symlinkSync(join(runtime.nodeModules, entry), join(modules, entry), "dir");
  }
  const self = join(modules, "pulumi-superserve-mesa");
  mkdirSync(self);
  const manifest = join(repoRoot, "package.json");
  cpSync(manifest, join(self, "package.json"));
  const { files } = JSON.parse(readFileSync(manifest, "utf8")) as { files: string[] };
  for (const file of files)
    cpSync(join(repoRoot, file), join(self, file), { recursive: true, dereference: true });
}

let pulumiBinary: string | undefined;

/**
 * Absolute path of the `pulumi` binary: the current runtime's, or the pinned one, installing it on
 * first use (cached afterwards).
 */
export function pulumiPath(): string {
  const runtime = currentRuntime();
  // The minimum's install also locates the language hosts, which both runtimes use.
  if (!pulumiBinary) {
    const out = execFileSync("bash", [join(repoRoot, "scripts", "install-pulumi.sh")], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
    const lines = out.trim().split("\n");
    pulumiBinary = lines.pop()!;
    for (const line of lines) {
      const host = /^pulumi-language-\w+: (.+)$/.exec(line);
      if (host) languageHostDirs.push(dirname(host[1]));
    }
  }
  return runtime ? runtime.pulumi : pulumiBinary;
}

/**
 * The directory of the provider plugin `pulumi-resource-superserve-mesa` for a project in `dir`:
 * this repository's (it runs `dist/plugin`: build first), or on the current runtime the copy
 * installed in the project's node_modules, which loads that runtime's `@pulumi/pulumi`.
 */
function pluginDir(dir: string, runtime: CurrentRuntime | undefined): string {
  return runtime
    ? join(dir, "node_modules", "pulumi-superserve-mesa", "plugin", "bin")
    : join(repoRoot, "plugin", "bin");
}

/** Directories of the language hosts scripts/install-pulumi.sh builds besides Node.js's (YAML, Python). */
const languageHostDirs: string[] = [];

let pythonVenv: Promise<string> | undefined;

/** A setting of scripts/runtimes.sh (e.g. CURRENT_PYTHON_PULUMI). */
function runtimeSetting(name: string): string {
  const text = readFileSync(join(repoRoot, "scripts", "runtimes.sh"), "utf8");
  const value = new RegExp(`^${name}=(.+)$`, "m").exec(text)?.[1];
  if (!value) throw new Error(`scripts/runtimes.sh sets no ${name}`);
  return value;
}

/**
 * The venv with the generated Python SDK and `pulumi` — at the minimum's version, or on the current
 * runtime the newest the package index serves (scripts/runtimes.sh) — from
 * scripts/python-sdk-venv.sh (cached; its first install takes minutes, so it runs without blocking
 * the test worker).
 */
function pythonSdkVenv(): Promise<string> {
  pythonVenv ??= promisify(execFile)("bash", [join(repoRoot, "scripts", "python-sdk-venv.sh")], {
    encoding: "utf8",
    env: {
      ...process.env,
      PULUMI_VERSION: currentRuntime() ? runtimeSetting("CURRENT_PYTHON_PULUMI") : sdkVersion(),
    },
  }).then(({ stdout }) => stdout.trim());
  return pythonVenv;
}

export interface TempProjectOptions {
  /**
   * TypeScript source of the program's `index.ts`; with `runtime: "yaml"`, the Pulumi YAML
   * program (the `Pulumi.yaml` lines after `name` and `runtime`); with `runtime: "python"`, the
   * program's `__main__.py` (run with the generated Python SDK's venv first on PATH).
   */
  program: string;
  /** Project name (default `e2e`). */
  name?: string;
  /** Stack name (default `test`). */
  stackName?: string;
  /** Stack config, set before the first operation. */
  config?: Record<string, { value: string; secret?: boolean }>;
  /** Extra environment for the engine, the program and the providers. */
  env?: Record<string, string>;
  /**
   * How the engine runs the program: "ts-node" (the default: `typescript: true`, compiled by
   * the language host at every run) or "compiled" (`index.ts` compiled to `index.js` here, as a
   * build step would, and run as plain JavaScript: `typescript: false`, `main: index.js`).
   */
  runtime?: "ts-node" | "compiled" | "yaml" | "python";
  /**
   * Whether the provider plugin's directory (`plugin/bin`) is on the engine's PATH (default true);
   * false for a project that finds the plugin where `pulumi plugin install` put it.
   */
  pluginOnPath?: boolean;
}

export interface TempProject {
  dir: string;
  stack: Stack;
  /** The environment every `pulumi` run of this project gets. */
  env: Record<string, string>;
  /** Set a variable of that environment for the runs that follow; `undefined` removes it. */
  setEnv(name: string, value: string | undefined): void;
  /** Replace the program (`index.ts`, and its `index.js` when compiled). */
  writeProgram(source: string): void;
  /** Run the CLI directly in the project, in a process group of its own (see killPulumi). */
  spawnPulumi(args: string[]): ChildProcess;
  /** `pulumi <args>` in the project; resolves with stdout, rejects with stderr on failure. */
  runPulumi(args: string[]): Promise<string>;
  /**
   * Kill a run started by spawnPulumi mid-operation, as a dying machine or CI runner would: the CLI and
   * every process it started (language host, program, dynamic providers). Then remove the lock the
   * killed CLI left in the state backend, as a user would.
   */
  killPulumi(child: ChildProcess): Promise<void>;
  /** Processes still running for this project's engine runs (found by their state backend). */
  engineProcesses(): number[];
  /** Files of the state backend that contain `pattern` (secret scans). */
  stateFilesContaining(pattern: string | RegExp): string[];
  /** The state backend directory. */
  stateDir: string;
  dispose(): Promise<void>;
}

/** Create a real Pulumi project + stack in a temp dir; dispose() destroys leftovers and removes it. */
export async function createTempProject(opts: TempProjectOptions): Promise<TempProject> {
  const dir = mkdtempSync(join(tmpdir(), "psm-e2e-"));
  const stateDir = join(dir, ".state");
  mkdirSync(stateDir);
  const name = opts.name ?? "e2e";
  const compiled = opts.runtime === "compiled";
  const yaml = opts.runtime === "yaml";
  const python = opts.runtime === "python";
  const writeProject = (program: string) =>
    writeFileSync(
      join(dir, "Pulumi.yaml"),
      yaml
        ? `name: ${name}\nruntime: yaml\n${program}`
        : python
          ? `name: ${name}\nruntime: python\n`
          : `name: ${name}\nruntime:\n  name: nodejs\n  options:\n    typescript: ${!compiled}\n` +
            (compiled ? "main: index.js\n" : ""),
    );
  writeProject(opts.program);
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name, private: true }) + "\n");
  writeFileSync(
    join(dir, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        strict: true,
        target: "ES2022",
        module: "NodeNext",
        moduleResolution: "NodeNext",
        esModuleInterop: true,
        skipLibCheck: true,
      },
      files: ["index.ts"],
    }) + "\n",
  );
  const writeProgram = (source: string) => {
    if (yaml) return writeProject(source);
    if (python) return writeFileSync(join(dir, "__main__.py"), source);
    writeFileSync(join(dir, "index.ts"), source);
    if (compiled) writeFileSync(join(dir, "index.js"), compileProgram(source));
  };
  writeProgram(opts.program);
  const runtime = currentRuntime();
  if (runtime) consumerNodeModules(dir, runtime);
  else symlinkSync(join(repoRoot, "node_modules"), join(dir, "node_modules"), "dir");

  const binary = pulumiPath();
  const env: Record<string, string> = {
    PULUMI_BACKEND_URL: `file://${stateDir}`,
    PULUMI_CONFIG_PASSPHRASE: "e2e-passphrase",
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    PULUMI_HOME: join(dir, ".pulumi-home"),
    // The provider plugin and the language hosts, found on PATH as a user's would be; on the
    // current runtime its Node.js first.
    PATH: [
      ...(python ? [join(await pythonSdkVenv(), "bin")] : []),
      ...(opts.pluginOnPath === false ? [] : [pluginDir(dir, runtime)]),
      ...languageHostDirs,
      dirname(binary),
      ...(runtime ? [runtime.nodeBin] : []),
      process.env.PATH ?? "",
    ].join(":"),
    ...opts.env,
  };
  const pulumiCommand = await PulumiCommand.get({ root: dirname(dirname(binary)) });
  const spawnPulumi = (args: string[]) =>
    spawn(binary, args, {
      cwd: dir,
      env: { ...process.env, ...env, PULUMI_STACK: opts.stackName ?? "test" },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
  const stack = await LocalWorkspace.createOrSelectStack(
    { stackName: opts.stackName ?? "test", workDir: dir },
    { envVars: env, pulumiCommand },
  );
  for (const [key, { value, secret }] of Object.entries(opts.config ?? {})) {
    await stack.setConfig(key, { value, secret: secret ?? false });
  }

  const workspace = stack.workspace as LocalWorkspace;
  return {
    dir,
    stack,
    env,
    setEnv(name, value) {
      for (const vars of [env, workspace.envVars]) {
        if (value === undefined) delete vars[name];
        else vars[name] = value;
      }
    },
    stateDir,
    writeProgram,
    spawnPulumi,
    async runPulumi(args) {
      const child = spawnPulumi(args);
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      const code = await new Promise<number | null>((resolve) => child.once("close", resolve));
      if (code !== 0) throw new Error(`pulumi ${args.join(" ")} exited with ${code}: ${stderr}`);
      return stdout;
    },
    async killPulumi(child) {
      const exited = new Promise((resolve) => child.once("close", resolve));
      process.kill(-child.pid!, "SIGKILL");
      await exited;
      // The CLI starts its plugins (language host, providers) in process groups of their own.
      for (const pid of engineProcesses(stateDir)) process.kill(pid, "SIGKILL");
      rmSync(join(stateDir, ".pulumi", "locks"), { recursive: true, force: true });
    },
    engineProcesses: () => engineProcesses(stateDir),
    stateFilesContaining: (pattern) =>
      filesUnder(stateDir).filter((file) => {
        const text = readFileSync(file, "utf8");
        return typeof pattern === "string" ? text.includes(pattern) : pattern.test(text);
      }),
    async dispose() {
      try {
        await stack.destroy({ color: "never" });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/** A program's TypeScript as the CommonJS a build step emits (types stripped, no type check). */
function compileProgram(source: string): string {
  return transformSync(source, { loader: "ts", format: "cjs", platform: "node", target: "node20" })
    .code;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** Ids of the processes (other than this one) whose environment names this state backend. */
function engineProcesses(stateDir: string): number[] {
  return processesWithEnv(`PULUMI_BACKEND_URL=file://${stateDir}`, { exact: true });
}

/**
 * Ids of the running processes (other than this one) with an environment entry that starts with
 * `prefix` (or equals it, with `exact`), e.g. `PSM_ENGINE_RUN=<root>#` for scripts/main.sh's runs.
 */
export function processesWithEnv(prefix: string, { exact = false } = {}): number[] {
  return readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry) && Number(entry) !== process.pid)
    .filter((pid) => {
      try {
        const entries = readFileSync(`/proc/${pid}/environ`, "utf8").split("\0");
        return entries.some((entry) => (exact ? entry === prefix : entry.startsWith(prefix)));
      } catch {
        return false;
      }
    })
    .map(Number);
}
