import { execFile } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { promisify } from "node:util";
import { publishDir } from "../../shared/atomic-write";

const run = promisify(execFile);

/** Where the Node.js runtime of the local tools appears, read-only, inside every sandbox. */
export const NODE_RUNTIME_MOUNT = "/opt/superserve-local/runtime";

/**
 * A copy of the Node.js running this process that runs in any sandbox whatever its image: the
 * binary and the shared libraries it links (its loader included) in one directory, the binary
 * patched (patchelf) to load them from {@link NODE_RUNTIME_MOUNT}/lib. Cached in `cacheDir`, keyed by
 * the binary's version, size and mtime. Answers the directory to mount at {@link NODE_RUNTIME_MOUNT}.
 */
export async function prepareSandboxNode(cacheDir: string): Promise<string> {
  const source = process.execPath;
  const st = statSync(source);
  const dir = join(cacheDir, `node-${process.version}-${st.size}-${Math.round(st.mtimeMs)}`);
  if (existsSync(join(dir, ".ready"))) return dir;
  if (!existsSync("/usr/bin/patchelf"))
    throw new Error(
      "patchelf is missing: run `bash scripts/setup.sh` (or `apt-get install -y patchelf`)",
    );
  const work = `${dir}.tmp-${process.pid}`;
  rmSync(work, { recursive: true, force: true });
  mkdirSync(join(work, "lib"), { recursive: true });
  const { stdout } = await run("/usr/bin/ldd", [source]);
  let loader = "";
  for (const line of stdout.split("\n")) {
    const lib = /=>\s*(\/\S+)/.exec(line)?.[1] ?? /^\s*(\/\S+)\s+\(/.exec(line)?.[1];
    if (!lib) continue;
    if (/\/ld-linux[^/]*\.so/.test(lib)) loader = basename(lib);
    copyFileSync(lib, join(work, "lib", basename(lib)));
  }
  if (!loader) throw new Error(`cannot find the dynamic loader of ${source} in \`ldd\`'s output`);
  copyFileSync(source, join(work, "node"));
  await run("/usr/bin/patchelf", [
    "--set-interpreter",
    `${NODE_RUNTIME_MOUNT}/lib/${loader}`,
    "--force-rpath",
    "--set-rpath",
    `${NODE_RUNTIME_MOUNT}/lib`,
    join(work, "node"),
  ]);
  writeFileSync(join(work, ".ready"), "");
  await publishDir(work, dir);
  return dir;
}
