import { spawn } from "node:child_process";

/** The outcome of one git invocation. */
interface GitResult {
  code: number;
  stdout: Buffer;
  stderr: string;
}

/** Thrown when git exits non-zero where success was required. */
class GitCommandError extends Error {
  override name = "GitCommandError";
  constructor(
    readonly args: string[],
    readonly result: GitResult,
  ) {
    super(`git ${args[0]} failed (exit ${result.code}): ${result.stderr.trim().slice(0, 500)}`);
  }
}

/**
 * Runs `git <args>` in `gitDir` (a bare repository) with a fixed, hermetic environment: no
 * user or system config, no prompts. `input` is written to stdin.
 */
export function runGit(
  gitDir: string,
  args: string[],
  opts: { input?: Buffer | string; env?: Record<string, string> } = {},
): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    const child = spawn("git", args, {
      env: {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        GIT_DIR: gitDir,
        GIT_CONFIG_NOSYSTEM: "1",
        GIT_CONFIG_GLOBAL: "/dev/null",
        GIT_TERMINAL_PROMPT: "0",
        LC_ALL: "C",
        ...opts.env,
      },
      stdio: ["pipe", "pipe", "pipe"],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    child.on("error", reject);
    child.on("close", (code) =>
      resolve({
        code: code ?? 1,
        stdout: Buffer.concat(out),
        stderr: Buffer.concat(err).toString("utf8"),
      }),
    );
    child.stdin.on("error", () => undefined);
    child.stdin.end(opts.input ?? "");
  });
}

/** Runs git and returns stdout, throwing {@link GitCommandError} on a non-zero exit. */
export async function git(
  gitDir: string,
  args: string[],
  opts: { input?: Buffer | string; env?: Record<string, string> } = {},
): Promise<Buffer> {
  const result = await runGit(gitDir, args, opts);
  if (result.code !== 0) throw new GitCommandError(args, result);
  return result.stdout;
}
