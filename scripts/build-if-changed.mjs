// Build the package (`npm run build`) only when something it may be built from changed since the
// last successful build, so a `npm run up` with nothing changed spends no time in tsc.
//
// "Changed" is decided by content, not timestamps (a checkout, a copy or an editor can leave a
// changed file with an old mtime): a SHA-256 over every file of the project except what is never a
// build input (dependencies, outputs, state, local data, logs). Anything else counts, so a file
// added anywhere — a new package, a new tsconfig — rebuilds rather than risks a stale dist/. The
// digest is taken before the build and recorded in dist/ only after it succeeded: a failed or
// interrupted build, or a removed dist/, builds again next time.
//
//   node scripts/build-if-changed.mjs      (in the project's root; `prepare` and scripts/setup.sh run it)
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  existsSync,
  lstatSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";

const root = process.cwd();
const stampFile = join(root, "dist", ".build-inputs.sha256");
/** Directory names that are never build inputs, at any depth. */
const SKIP_ANYWHERE = new Set(["node_modules", "dist", ".git"]);
/** Top-level entries that are never build inputs: state and data of runs, test reports. */
const SKIP_AT_ROOT = new Set([".pulumi-state", ".local-data", ".runtime", "test-results"]);

function digestOfSources() {
  const hash = createHash("sha256");
  const walk = (dir, rel) => {
    for (const name of readdirSync(dir).sort()) {
      if (
        SKIP_ANYWHERE.has(name) ||
        (rel === "" && SKIP_AT_ROOT.has(name)) ||
        name.endsWith(".log")
      )
        continue;
      const path = join(dir, name);
      const relPath = rel === "" ? name : `${rel}/${name}`;
      const stat = lstatSync(path);
      if (stat.isDirectory()) walk(path, relPath);
      else if (stat.isSymbolicLink()) hash.update(`link\0${relPath}\0${readlinkSync(path)}\0`);
      else if (stat.isFile())
        hash
          .update(`file\0${relPath}\0${stat.mode & 0o111 ? "x" : "-"}\0`)
          .update(readFileSync(path))
          .update("\0");
    }
  };
  walk(root, "");
  return hash.digest("hex");
}

const digest = digestOfSources();
const recorded = existsSync(stampFile) ? readFileSync(stampFile, "utf8").trim() : undefined;
/** Every workspace's dist/ must be there too (the root's holds the record): a removed one builds again. */
const workspaces = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).workspaces ?? [];
const outputsPresent = workspaces.every((ws) => existsSync(join(root, ws, "dist")));
if (recorded === digest && outputsPresent) {
  console.error("build: dist/ is up to date with the sources; not rebuilding");
  process.exit(0);
}
console.error(
  recorded
    ? "build: sources changed since the last build; building"
    : "build: no record of a build of these sources; building",
);
rmSync(stampFile, { force: true });
const build = spawnSync("npm", ["run", "--silent", "build"], {
  cwd: root,
  stdio: ["ignore", 2, 2],
});
if (build.status !== 0) {
  console.error(`build: npm run build failed (${build.signal ?? `exit ${build.status}`})`);
  process.exit(build.status || 1);
}
writeFileSync(`${stampFile}.tmp`, `${digest}\n`);
renameSync(`${stampFile}.tmp`, stampFile);
