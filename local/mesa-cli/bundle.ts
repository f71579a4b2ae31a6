import { existsSync } from "node:fs";
import { chmod } from "node:fs/promises";
import { join } from "node:path";

/**
 * The first lines of the bundle: a shell/JavaScript polyglot that runs the bundle on the Node.js
 * the local Superserve provides in every sandbox (read-only at /opt/superserve-local/runtime,
 * whatever the image has), else on the `node` on PATH. For Node.js both lines are comments.
 */
const LAUNCHER = [
  "#!/bin/sh",
  `':' //; exec "$(if [ -x /opt/superserve-local/runtime/node ]; then echo /opt/superserve-local/runtime/node; else echo node; fi)" "$0" "$@"`,
].join("\n");

/**
 * Bundles the in-sandbox `mesa` command into ONE executable file, `<outDir>/mesa`, that runs on
 * Node 20 (node builtins, global fetch and the bundled undici for proxies; no node_modules at run
 * time), and returns its path. Works
 * from the TypeScript sources and from the compiled `dist/` alike.
 * Needs `esbuild` (a dependency of this package).
 */
export async function buildMesaCli(outDir: string): Promise<string> {
  const { build } = await import("esbuild");
  const entry = [join(__dirname, "main.ts"), join(__dirname, "main.js")].find((path) =>
    existsSync(path),
  );
  if (entry === undefined)
    throw new Error(`cannot find the mesa CLI entry (main.ts or main.js) in ${__dirname}`);
  const outfile = join(outDir, "mesa");
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    banner: { js: LAUNCHER },
    logLevel: "silent",
    legalComments: "none",
  });
  await chmod(outfile, 0o755);
  return outfile;
}
