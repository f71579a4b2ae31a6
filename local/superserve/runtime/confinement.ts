import { execFile, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { publishDir } from "../../shared/atomic-write";
import { shellQuote } from "../../shared/shell-quote";
import { seccompPolicyText } from "./seccomp-policy";

const run = promisify(execFile);

/**
 * The capabilities a sandbox's root keeps: Docker's default set, effective only in the sandbox's
 * own user namespace (so CAP_NET_RAW, say, does not reach the network namespace the host owns).
 */
export const SANDBOX_CAPS = [
  "CAP_CHOWN",
  "CAP_DAC_OVERRIDE",
  "CAP_FSETID",
  "CAP_FOWNER",
  "CAP_MKNOD",
  "CAP_NET_RAW",
  "CAP_SETGID",
  "CAP_SETUID",
  "CAP_SETFCAP",
  "CAP_SETPCAP",
  "CAP_NET_BIND_SERVICE",
  "CAP_SYS_CHROOT",
  "CAP_KILL",
  "CAP_AUDIT_WRITE",
] as const;

const CAP_NUMBERS: Record<(typeof SANDBOX_CAPS)[number], number> = {
  CAP_CHOWN: 0,
  CAP_DAC_OVERRIDE: 1,
  CAP_FOWNER: 3,
  CAP_FSETID: 4,
  CAP_KILL: 5,
  CAP_SETGID: 6,
  CAP_SETUID: 7,
  CAP_SETPCAP: 8,
  CAP_NET_BIND_SERVICE: 10,
  CAP_NET_RAW: 13,
  CAP_SYS_CHROOT: 18,
  CAP_MKNOD: 27,
  CAP_AUDIT_WRITE: 29,
  CAP_SETFCAP: 31,
};

/** {@link SANDBOX_CAPS} as a hex mask (bit n = capability n): `a80425fb`, Docker's `CapEff`. */
export const SANDBOX_CAP_MASK = SANDBOX_CAPS.reduce(
  (m, c) => m | (1n << BigInt(CAP_NUMBERS[c])),
  0n,
)
  .toString(16)
  .padStart(8, "0");

/** Descriptors the host opens on `confine` and the filter for each process it confines. */
const CONFINE_FD = 7;
const FILTER_FD = 8;
/**
 * The filter once more, for bubblewrap at boot (`--seccomp`, which reads and closes it): it loads
 * it into the sandbox's pid 1, its reaper, which never runs `confine` (and holds no capability).
 */
const BWRAP_FILTER_FD = 9;

/** bubblewrap's arguments that put the filter on its own processes in the sandbox (its pid 1). */
export const BWRAP_SECCOMP_ARGS = ["--seccomp", String(BWRAP_FILTER_FD)];

/**
 * The shell redirection (for `exec`) that opens `confine` and the filter of `confineDir` on the
 * descriptors {@link CONFINE_ARGV} names, before the process enters the sandbox: it runs them
 * through those descriptors, never by a path inside the sandbox (which its root could replace).
 */
export function confineDescriptors(confineDir: string, forBwrap = false): string {
  const filter = shellQuote(join(confineDir, "filter.bpf"));
  const descriptors = `${CONFINE_FD}<${shellQuote(join(confineDir, "confine"))} ${FILTER_FD}<${filter}`;
  return forBwrap ? `${descriptors} ${BWRAP_FILTER_FD}<${filter}` : descriptors;
}

/**
 * The argv prefix that confines what follows (see confine.c): no_new_privs, the bounding set
 * reduced to {@link SANDBOX_CAPS}, the seccomp filter of seccomp-policy.ts. Needs the descriptors
 * of {@link confineDescriptors}.
 */
export const CONFINE_ARGV = [
  `/proc/self/fd/${CONFINE_FD}`,
  SANDBOX_CAP_MASK,
  String(FILTER_FD),
  "--",
];

/** The C sources beside this module (in the sources, or beside `dist/` in the package). */
function cSource(name: string): string {
  const found = [
    join(__dirname, name),
    join(__dirname, "..", "..", "..", "superserve", "runtime", name),
  ].find((p) => existsSync(p));
  if (!found)
    throw new Error(`cannot find ${name} beside ${__dirname}: reinstall the local backends`);
  return found;
}

/**
 * The directory of `confine` (static, so it runs in any image) and `filter.bpf` (the policy
 * compiled by libseccomp), which {@link confineDescriptors} opens. Built once with the
 * host's C compiler and cached in `cacheDir`, keyed by the sources and the policy.
 */
export async function prepareConfinement(cacheDir: string): Promise<string> {
  const confineC = cSource("confine.c");
  const compilerC = cSource("seccomp-bpf.c");
  const policy = seccompPolicyText();
  const key = createHash("sha256")
    .update(readFileSync(confineC))
    .update(readFileSync(compilerC))
    .update(policy)
    .digest("hex")
    .slice(0, 16);
  const dir = join(cacheDir, `confine-${key}`);
  if (existsSync(join(dir, ".ready"))) return dir;
  const work = `${dir}.tmp-${process.pid}`;
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  try {
    await compile(["-O2", "-static", "-o", join(work, "confine"), confineC]);
    await compile(["-O2", "-o", join(work, "seccomp-bpf"), compilerC, "-lseccomp"]);
    writeFileSync(join(work, "filter.bpf"), await runWithInput(join(work, "seccomp-bpf"), policy));
    rmSync(join(work, "seccomp-bpf"));
    writeFileSync(join(work, ".ready"), "");
    await publishDir(work, dir);
  } catch (error) {
    rmSync(work, { recursive: true, force: true });
    throw error;
  }
  return dir;
}

async function compile(args: string[]): Promise<void> {
  if (!existsSync("/usr/bin/gcc"))
    throw new Error(
      "gcc is missing: the sandbox confinement (confine.c, seccomp-bpf.c) is compiled on first use; run `bash scripts/setup.sh` (or `apt-get install -y gcc libc6-dev libseccomp-dev`)",
    );
  await run("/usr/bin/gcc", ["-Wall", ...args]).catch((error: Error & { stderr?: string }) => {
    throw new Error(
      `compiling the sandbox confinement failed (${String(error.stderr ?? error.message).trim()}); run \`bash scripts/setup.sh\` (it installs libc6-dev and libseccomp-dev)`,
    );
  });
}

function runWithInput(file: string, input: string): Promise<Buffer> {
  return new Promise((ok, fail) => {
    const child = spawn(file, [], { stdio: ["pipe", "pipe", "pipe"] });
    const out: Buffer[] = [];
    let err = "";
    child.stdout.on("data", (c: Buffer) => out.push(c));
    child.stderr.on("data", (c: Buffer) => (err += c.toString()));
    child.on("error", fail);
    child.on("close", (code) =>
      code === 0
        ? ok(Buffer.concat(out))
        : fail(new Error(`compiling the seccomp policy failed: ${err.trim()}`)),
    );
    child.stdin.end(input);
  });
}
