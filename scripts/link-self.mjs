// Make this repository resolvable as `pulumi-superserve-mesa` from its own node_modules, so the
// programs in stacks/ and the serialized dynamic providers load the package exactly as a user's
// project does (by package name), instead of through paths that break when the clone moves.
import { existsSync, lstatSync, mkdirSync, readlinkSync, symlinkSync, unlinkSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const link = join(root, "node_modules", "pulumi-superserve-mesa");
mkdirSync(dirname(link), { recursive: true });
if (existsSync(link) || isDanglingLink(link)) {
  if (!lstatSync(link).isSymbolicLink()) process.exit(0); // a real install: leave it alone
  if (readlinkSync(link) === "..") process.exit(0);
  unlinkSync(link);
}
symlinkSync("..", link, "dir");

function isDanglingLink(path) {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}
