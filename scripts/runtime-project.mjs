// The directory the main job's engine runs in on the current runtime (scripts/main.sh with
// PSM_RUNTIME=current; README, "Runtimes"): `.runtime/current/`, this project laid out as a user's
// project on that runtime is, so that the program and the providers load the current runtime's
// `@pulumi/pulumi` and this package as an installed dependency:
//   - Pulumi.yaml, tsconfig.json and a package.json;
//   - stacks/: the program and its files copied, the stack configs (Pulumi.<stack>.yaml) linked to
//     this project's, so both runtimes read and write one config;
//   - node_modules/: every package of the consumer project linked (scripts/install-current-runtime.sh)
//     and this package copied (package.json and dist/provider, as `npm install` places it).
// Only what changed is written again: files whose content differs, the package's copy when dist/
// was rebuilt (its build record, dist/.build-inputs.sha256, differs) and the links when the
// consumer project changed. The project's name and stacks are this project's, so the two runtimes
// take turns on the same stack and state.
//
//   node scripts/runtime-project.mjs <the consumer project's node_modules>   (prints the directory)
import {
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const consumerModules = process.argv[2];
if (!consumerModules || !existsSync(join(consumerModules, "@pulumi", "pulumi"))) {
  console.error(
    "usage: node scripts/runtime-project.mjs <node_modules of the consumer project printed by scripts/install-current-runtime.sh>",
  );
  process.exit(2);
}
const project = join(root, ".runtime", "current");

/** Copy `from` to `to` (its mode too) unless `to` already holds the same bytes. */
function copyIfChanged(from, to) {
  if (existsSync(to) && lstatSync(to).isFile() && readFileSync(to).equals(readFileSync(from)))
    return;
  rmSync(to, { force: true });
  cpSync(from, to);
}
/** Make `path` a link to `target` unless it already is one. */
function linkTo(path, target) {
  if (existsSync(path) || isLink(path)) {
    if (isLink(path) && readlinkSync(path) === target) return;
    rmSync(path, { recursive: true, force: true });
  }
  symlinkSync(target, path);
}
function isLink(path) {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

mkdirSync(join(project, "stacks"), { recursive: true });
for (const file of ["Pulumi.yaml", "tsconfig.json"])
  copyIfChanged(join(root, file), join(project, file));
const manifest =
  JSON.stringify({ name: "agent-environment-current-runtime", private: true }) + "\n";
if (!existsSync(join(project, "package.json")))
  writeFileSync(join(project, "package.json"), manifest);
const stacks = readdirSync(join(root, "stacks"));
for (const name of stacks) {
  const path = join(project, "stacks", name);
  if (/^Pulumi\..+\.yaml$/.test(name)) linkTo(path, join(root, "stacks", name));
  else copyIfChanged(join(root, "stacks", name), path);
}
for (const name of readdirSync(join(project, "stacks")))
  if (!stacks.includes(name)) rmSync(join(project, "stacks", name), { recursive: true });

const modules = join(project, "node_modules");
const consumerRecord = join(modules, ".consumer");
if (!existsSync(consumerRecord) || readFileSync(consumerRecord, "utf8") !== consumerModules) {
  rmSync(modules, { recursive: true, force: true });
  mkdirSync(modules);
  for (const entry of readdirSync(consumerModules))
    if (!entry.startsWith("."))
      symlinkSync(join(consumerModules, entry), join(modules, entry), "dir");
  writeFileSync(consumerRecord, consumerModules);
}
const self = join(modules, "pulumi-superserve-mesa");
const buildRecord = join(root, "dist", ".build-inputs.sha256");
const copiedRecord = join(self, "dist", ".build-inputs.sha256");
if (
  !existsSync(buildRecord) ||
  !existsSync(copiedRecord) ||
  !readFileSync(buildRecord).equals(readFileSync(copiedRecord))
) {
  rmSync(self, { recursive: true, force: true });
  mkdirSync(join(self, "dist"), { recursive: true });
  cpSync(join(root, "package.json"), join(self, "package.json"));
  cpSync(join(root, "dist", "provider"), join(self, "dist", "provider"), { recursive: true });
  if (existsSync(buildRecord)) cpSync(buildRecord, copiedRecord);
}
console.log(project);
