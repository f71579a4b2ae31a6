// A file state backend's state as a killed run can leave it half-written.
//
// The backend (gocloud's fileblob) writes a file by writing its content to a temp file, then its
// metadata to `<file>.attrs` (truncate, then write), then renaming the temp file over `<file>`. A
// run killed between the truncate and the write leaves an empty (or cut) `<file>.attrs` beside
// the previous, intact `<file>`; from then on Pulumi fails every read of that stack with "failed
// to load checkpoint: EOF", and `pulumi stack ls` fails for every stack of the backend. The
// metadata is optional (a file without `.attrs` reads with defaults), so a damaged `.attrs` beside
// an intact file is removed: the previous checkpoint is then read as it was written, and the next
// `up --refresh` brings it up to date. A damaged checkpoint itself (its content is renamed into
// place whole, so no kill can cut it) is not repaired: the run stops with the command that
// restores the previous one.
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join, relative } from "node:path";
import { filesUnder } from "./files-under.mjs";

/** A JSON file that parses (metadata, checkpoints). */
function wholeJson(file) {
  try {
    JSON.parse(readFileSync(file, "utf8"));
    return true;
  } catch {
    return false;
  }
}

/**
 * Repair the half-written state of the file backend in `stateDir` (the directory that holds
 * `.pulumi/`). Returns the lines to print; throws, naming the fix, when a checkpoint is damaged.
 */
export function repairHalfWrittenState(stateDir) {
  const files = filesUnder(join(stateDir, ".pulumi"));
  const damagedCheckpoints = files.filter(
    (file) => /\/stacks\/.*\.json$/.test(file) && !wholeJson(file),
  );
  if (damagedCheckpoints.length > 0) {
    const fixes = damagedCheckpoints.map((file) =>
      wholeJson(`${file}.bak`)
        ? `cp '${file}.bak' '${file}' && rm -f '${file}.attrs'`
        : `restore ${file} from ${join(stateDir, ".pulumi", "backups")} (pulumi stack import --file <backup>)`,
    );
    throw new Error(
      `the stack checkpoint ${damagedCheckpoints.join(", ")} is damaged (empty or not JSON); ` +
        `nothing was changed. Restore the previous checkpoint: ${fixes.join("; ")}`,
    );
  }
  const repaired = [];
  for (const attrs of files.filter((file) => file.endsWith(".attrs"))) {
    const file = attrs.slice(0, -".attrs".length);
    if (!existsSync(file) || wholeJson(attrs)) continue;
    rmSync(attrs, { force: true });
    repaired.push(
      `removed ${relative(stateDir, attrs)}: the metadata of ${relative(stateDir, file)}, ` +
        `left empty or cut by a run killed while writing it (the file itself is intact)`,
    );
  }
  return repaired;
}
