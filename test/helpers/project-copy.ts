/**
 * A fresh copy of this project as a newcomer's clone has it: the files as committed or about to be
 * (tracked and untracked, not ignored), with the already-installed node_modules hard-linked in
 * (`npm install` is not what the main job's test and bench measure). No dist/, state or local data.
 */
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { repoRoot } from "./pulumi";

/** Copy the project into `dir` (created). */
export function copyProject(dir: string): void {
  mkdirSync(dir, { recursive: true });
  const files = execFileSync(
    "git",
    ["ls-files", "-z", "--cached", "--others", "--exclude-standard"],
    {
      cwd: repoRoot,
    },
  )
    .toString()
    .split("\0")
    .filter(Boolean);
  for (const file of files) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    try {
      cpSync(join(repoRoot, file), join(dir, file));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error; // deleted, not yet committed
    }
  }
  execFileSync("cp", ["-al", join(repoRoot, "node_modules"), join(dir, "node_modules")]);
}
