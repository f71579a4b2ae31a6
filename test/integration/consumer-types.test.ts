/**
 * A user's project type-checks against the package as published: the tarball `npm pack` makes
 * (its `files`, nothing else) unpacked into a new project's node_modules beside the package's
 * installed dependencies, with the strict `tsconfig.json` of Pulumi's TypeScript template (no
 * `skipLibCheck`), and `tsc --noEmit` over a program that uses the whole public API. The public
 * declarations must not lead the compiler into the vendors' SDKs, whose published `.d.ts` files do
 * not compile under that tsconfig. Needs `npm run build` first (the tarball holds `dist/`).
 */
import { execFileSync, spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, normalize } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "../helpers/pulumi";

const PACKAGE = "pulumi-superserve-mesa";
const SDKS = ["@mesadev/sdk", "@superserve/sdk"];

/** The `tsconfig.json` that `pulumi new typescript` writes. */
const PULUMI_TEMPLATE_TSCONFIG = {
  compilerOptions: {
    strict: true,
    outDir: "bin",
    target: "es2020",
    module: "commonjs",
    moduleResolution: "node",
    sourceMap: true,
    experimentalDecorators: true,
    pretty: true,
    noFallthroughCasesInSwitch: true,
    noImplicitReturns: true,
    forceConsistentCasingInFileNames: true,
  },
  files: ["index.ts"],
};

/** A program that touches every public export, so each one's declarations are checked. */
const PROGRAM = `import * as pulumi from "@pulumi/pulumi";
import {
  AgentEnvironment,
  MesaRepo,
  MountedSandbox,
  SuperserveTemplate,
  type AgentEnvironmentArgs,
  type AgentSandboxInfo,
  type MesaRepoArgs,
  type MountedSandboxArgs,
  type RepoWorkspace,
  type SuperserveTemplateArgs,
} from "${PACKAGE}";

const repoArgs: MesaRepoArgs = { name: "agent-workspace", tags: { team: "agents" } };
const repo = new MesaRepo("repo", repoArgs);
const templateArgs: SuperserveTemplateArgs = { from: "ubuntu:24.04", steps: [{ run: "true" }] };
const template = new SuperserveTemplate("template", templateArgs);
const sandboxArgs: MountedSandboxArgs = { template, repos: [{ repo, fork: true }] };
const sandbox = new MountedSandbox("sandbox", sandboxArgs);
const envArgs: AgentEnvironmentArgs = {
  repo: { name: "agents" },
  template: { from: "ubuntu:24.04" },
  sandboxes: { count: 2 },
};
const env = new AgentEnvironment("env", envArgs);
const firstSandbox: pulumi.Output<AgentSandboxInfo> = env.sandboxes.apply((all) => all[0]);
const workspaces: pulumi.Output<Record<string, RepoWorkspace>> = sandbox.workspace;
export const outputs = { mounts: env.mountPaths, firstSandbox, workspaces, repoId: repo.id };
`;

let project: string;
let installed: string;

/** Unpack `npm pack`'s tarball of this repository into `project/node_modules/<name>`. */
function installPackedPackage(): string {
  const packDir = join(project, "pack");
  mkdirSync(packDir);
  const [packed] = JSON.parse(
    execFileSync("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", packDir], {
      cwd: repoRoot,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    }),
  ) as { filename: string }[];
  const installed = join(project, "node_modules", PACKAGE);
  mkdirSync(installed, { recursive: true });
  execFileSync("tar", ["xzf", join(packDir, packed.filename), "-C", installed, "--strip=1"]);
  return installed;
}

/**
 * The package's dependencies as an install hoists them: every package installed in this
 * repository, linked at the top of the project's node_modules (but not this repository's own
 * packages, which the project gets only from the tarball).
 */
function linkInstalledDependencies(): void {
  const modules = join(repoRoot, "node_modules");
  const target = join(project, "node_modules");
  for (const entry of readdirSync(modules)) {
    if (entry.startsWith(PACKAGE) || entry.startsWith(".")) continue;
    if (!entry.startsWith("@")) {
      symlinkSync(join(modules, entry), join(target, entry));
      continue;
    }
    mkdirSync(join(target, entry), { recursive: true });
    for (const scoped of readdirSync(join(modules, entry)))
      symlinkSync(join(modules, entry, scoped), join(target, entry, scoped));
  }
}

/**
 * The `.d.ts` files a consumer's compiler can read from the package: those its `types` and the
 * `types` of its `exports` entries lead to.
 */
function publicDeclarations(installed: string): Map<string, string> {
  const manifest = JSON.parse(readFileSync(join(installed, "package.json"), "utf8")) as {
    types: string;
    exports?: Record<string, string | { types?: string }>;
  };
  const entries = [
    manifest.types,
    ...Object.values(manifest.exports ?? {}).flatMap((e) =>
      typeof e === "object" && e.types ? [e.types] : [],
    ),
  ];
  const seen = new Map<string, string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    const text = readFileSync(file, "utf8");
    seen.set(file, text);
    for (const [, spec] of text.matchAll(/(?:from|import\()\s*"(\.[^"]*)"/g)) {
      const base = normalize(join(dirname(file), spec));
      const next = [`${base}.d.ts`, join(base, "index.d.ts")].find((f) => existsSync(f));
      if (next) visit(next);
    }
  };
  for (const entry of entries) visit(join(installed, entry));
  return seen;
}

beforeAll(() => {
  project = mkdtempSync(join(tmpdir(), "psm-consumer-"));
  writeFileSync(
    join(project, "package.json"),
    JSON.stringify({ name: "consumer", private: true, main: "index.ts" }) + "\n",
  );
  writeFileSync(join(project, "tsconfig.json"), JSON.stringify(PULUMI_TEMPLATE_TSCONFIG, null, 4));
  writeFileSync(join(project, "index.ts"), PROGRAM);
  installed = installPackedPackage();
  linkInstalledDependencies();
});

afterAll(() => {
  if (project) rmSync(project, { recursive: true, force: true });
});

describe("a consumer's strict type check", () => {
  it("finds no vendor SDK module in the declarations the package's types and exports lead to", () => {
    const declarations = publicDeclarations(installed);
    expect(declarations.size, "index.d.ts and what it imports").toBeGreaterThan(5);
    const importsOfSdks = [...declarations]
      .filter(([, text]) => SDKS.some((sdk) => new RegExp(`from\\s+"${sdk}"`).test(text)))
      .map(([file]) => file.slice(installed.length + 1));
    expect(importsOfSdks, "public declarations importing an SDK's types").toEqual([]);
  });

  it("passes `tsc --noEmit` with the Pulumi template's tsconfig (strict, no skipLibCheck)", () => {
    const tsc = spawnSync(
      process.execPath,
      [join(repoRoot, "node_modules", "typescript", "bin", "tsc"), "--noEmit", "--pretty", "false"],
      { cwd: project, encoding: "utf8" },
    );
    const errors = `${tsc.stdout}${tsc.stderr}`.split("\n").filter((l) => /error TS\d+/.test(l));
    expect(errors, "tsc errors in the consumer project").toEqual([]);
    expect(tsc.status, tsc.stdout + tsc.stderr).toBe(0);
  });
});
