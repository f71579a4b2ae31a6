import { spawn, type ChildProcess } from "node:child_process";
import { chmodSync, closeSync, openSync, readdirSync, readFileSync, statSync } from "node:fs";
import { readFile, rm, stat, writeFile } from "node:fs/promises";
import { constants as osConstants } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { shellQuote } from "../../shared/shell-quote";
import type { SandboxCgroups } from "./cgroups";
import { BWRAP_SECCOMP_ARGS, CONFINE_ARGV, confineDescriptors, SANDBOX_CAPS } from "./confinement";
import { diskUsage } from "./disk-usage";
import { idMappedImage, SANDBOX_ID_BASE, SandboxUserNamespace, shiftIds } from "./id-map";
import { missingKernelFeature } from "./kernel-features";
import { networkSetupLines, waitForBridge } from "./network";
import { bwrapFileSystemArgs, HOST_BIND_POINTS, rootMountLines } from "./rootfs";
import { SandboxDisks } from "./sandbox-disk";
import { SANDBOX_HOME, SANDBOX_PATH } from "./sandbox-env";
import { TrustLayers } from "./trust-layer";
import type {
  ExecOutput,
  ExecRequest,
  ExecResult,
  RunningCommand,
  SandboxBootSpec,
  SandboxRuntime,
} from "./types";

/** Options of {@link BwrapRuntime}. */
interface BwrapRuntimeOptions {
  /** Directory holding one disk directory per sandbox. */
  disksDir: string;
  /** Directory holding the sandboxes' shared trust layers (trust-layer.ts). */
  trustLayersDir: string;
  /** The cgroups of this instance. */
  cgroups: SandboxCgroups;
  /** Host directory mounted read-only at `TOOLS_MOUNT` (rootfs.ts) in every sandbox. */
  toolsDir?: string;
  /** Host directory with the tools' Node.js runtime, mounted read-only in every sandbox. */
  nodeRuntimeDir?: string;
  /** Host directory with `confine` and the seccomp filter (confinement.ts), run by every sandbox process. */
  confineDir: string;
  /** Milliseconds between SIGTERM and SIGKILL when a sandbox stops. */
  killGraceMs: number;
}

/** What a later instance needs to adopt a running sandbox (`<disk>/runtime.json`). */
interface RuntimeState {
  /** Pid (host view) of the sandbox's pid-namespace init, the target of nsenter. */
  nsPid: number;
  /** Its start time (`/proc/<pid>/stat` field 22): a reused pid never matches. */
  nsStart: string;
  /** Pids that make up the sandbox itself (its egress bridge included). */
  infra: number[];
  /** `/proc/sys/kernel/random/boot_id` when it booted. */
  bootId: string;
  /**
   * The host id its root maps to (id-map.ts). A sandbox an earlier version booted has none: it
   * runs unconfined, so it is never adopted (it is ended, and boots again confined on resume).
   */
  idBase?: number;
}

interface Running {
  /** The bwrap process when this instance booted the sandbox; unset for an adopted one. */
  launcher?: ChildProcess;
  state: RuntimeState;
  /** Pids that make up the sandbox itself; SIGTERM spares them so the sandbox outlives its commands' shutdown. */
  infra: Set<number>;
}

const sleep = (ms: number) => new Promise<void>((ok) => setTimeout(ok, ms));

function bootId(): string {
  return readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
}

/** Field 22 of /proc/<pid>/stat (start time in clock ticks since boot), or undefined when gone (or a zombie). */
function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return fields[0] === "Z" || fields[0] === "X" ? undefined : fields[19];
  } catch {
    return undefined;
  }
}

/**
 * Sandboxes as bubblewrap containers: user, pid, mount, uts, ipc and network namespaces,
 * hostname = id. The sandbox's ids map to an unprivileged host range (id-map.ts): its root is
 * nobody outside. Every process of it — its init and each command, which joins it with nsenter —
 * runs under `confine` (confinement.ts): Docker's default capabilities, no_new_privs, a seccomp
 * filter at least as strict as Docker's. /proc has runc's masked and read-only paths, /sys is
 * empty and read-only (rootfs.ts). The network is the sandbox's own, owned by the host's user
 * namespace: `lo` only, with `127.0.0.1:3128` bridged to its egress proxy when the spec has one
 * (network.ts). The root file system is one overlay assembled in a private mount namespace (so a
 * crash never leaves mounts behind): the sandbox's writable layer, on its own ext4 disk image of
 * `diskMib` (sandbox-disk.ts), over its trust layer (trust-layer.ts) over the template layers over
 * the image. Its cgroups bound memory, CPU and tasks (cgroups.ts).
 * Sandboxes do not die with this process: {@link detach} freezes them, {@link adopt} takes them back.
 */
export class BwrapRuntime implements SandboxRuntime {
  private readonly running = new Map<string, Running>();
  private readonly booting = new Map<string, Promise<void>>();

  private readonly trustLayers: TrustLayers;
  private readonly mappedImages = new Map<string, Promise<string>>();
  private readonly disks: SandboxDisks;
  private userns?: Promise<SandboxUserNamespace>;

  constructor(private readonly opts: BwrapRuntimeOptions) {
    this.trustLayers = new TrustLayers(opts.trustLayersDir, HOST_BIND_POINTS);
    this.disks = new SandboxDisks(opts.disksDir);
    // A sandbox's root is an unprivileged host user: a bound directory must let others in.
    for (const dir of [opts.toolsDir, opts.nodeRuntimeDir])
      if (dir && (statSync(dir).mode & 0o005) !== 0o005) chmodSync(dir, statSync(dir).mode | 0o005);
  }

  isRunning(id: string): boolean {
    const r = this.running.get(id);
    if (!r) return false;
    if (startTime(r.state.nsPid) === r.state.nsStart) return true;
    this.running.delete(id);
    return false;
  }

  async boot(spec: SandboxBootSpec): Promise<void> {
    if (this.isRunning(spec.id)) return;
    const pending = this.booting.get(spec.id);
    if (pending) return pending;
    const p = this.doBoot(spec).finally(() => this.booting.delete(spec.id));
    this.booting.set(spec.id, p);
    return p;
  }

  private async doBoot(spec: SandboxBootSpec): Promise<void> {
    const missing = missingKernelFeature();
    if (missing) throw new Error(`sandbox ${spec.id} cannot start: ${missing}`);
    const { cgroups } = this.opts;
    const disk = this.diskDir(spec.id);
    const sandboxDisk = this.disks.disk(spec.id);
    for (const layer of spec.layers) await shiftLegacyLayer(layer);
    const network = networkSetupLines(spec.egress);
    const [diskLines, image, trustLayer] = await Promise.all([
      sandboxDisk.mountLines(spec.limits.diskMib),
      this.mappedImage(spec.image),
      this.trustLayers.layerFor(spec),
      cgroups.create(spec.id, spec.limits),
    ]);
    const mounts = rootMountLines(spec, { ...sandboxDisk.paths, image }, trustLayer, this.opts);
    const bwrapArgs = [
      ...bwrapFileSystemArgs(),
      "--unshare-pid",
      "--unshare-ipc",
      "--unshare-uts",
      "--hostname",
      spec.id,
      "--new-session",
      "--clearenv",
      "--setenv",
      "HOME",
      SANDBOX_HOME,
      "--setenv",
      "PATH",
      SANDBOX_PATH,
      "--chdir",
      "/",
      "--cap-drop",
      "ALL",
      ...SANDBOX_CAPS.flatMap((c) => ["--cap-add", c]),
      ...BWRAP_SECCOMP_ARGS,
      "--info-fd",
      "3",
      ...CONFINE_ARGV,
      "/bin/sh",
      "-c",
      `trap '' TERM INT HUP; echo ready; exec sleep infinity >/dev/null 2>&1`,
    ];
    const userns = await this.userNamespace();
    // The launcher: a new network namespace (set up while still in the host's mount namespace),
    // then a private mount namespace for the root file system, then the sandbox's user namespace
    // and bwrap in it (whose namespaces that user namespace owns); one pid throughout.
    const inMountNs = [
      "set -e",
      ...diskLines,
      ...mounts,
      `exec ${confineDescriptors(this.opts.confineDir, true)}`,
      `exec nsenter --user=${shellQuote(userns.path)} -- bwrap ${bwrapArgs.map(shellQuote).join(" ")}`,
    ].join("\n");
    const script = [
      "set -e",
      ...cgroups.procsFiles(spec.id).map((f) => `echo $$ > ${shellQuote(f)}`),
      ...network,
      `exec unshare --mount --propagation private /bin/sh -c ${shellQuote(inMountNs)}`,
    ].join("\n");
    const logFile = join(disk, "launcher.log");
    const log = openSync(logFile, "w");
    const launcher = spawn("/usr/bin/unshare", ["--net", "/bin/sh", "-c", script], {
      stdio: ["ignore", "pipe", log, "pipe"],
      env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin" },
      detached: true,
    });
    closeSync(log);
    const exited = new Promise<void>((ok) => launcher.once("exit", () => ok()));
    const info = childPid(launcher.stdio[3] as Readable);
    info.catch(() => undefined);
    const ready = new Promise<boolean>((ok) => {
      launcher.stdout!.on("data", (c: Buffer) => c.toString().includes("ready") && ok(true));
      void exited.then(() => ok(false));
    });
    let failure: string | undefined;
    if (!(await ready))
      failure = (await readFile(logFile, "utf8").catch(() => "")).trim() || "bwrap exited";
    else if (spec.egress)
      failure = await waitForBridge(launcher.pid!, spec.egress).then(
        () => undefined,
        (error: Error) => error.message,
      );
    if (failure !== undefined) {
      await this.stop(spec.id); // the egress bridge may have started before the launcher failed
      throw new Error(`sandbox ${spec.id} failed to boot: ${failure}`);
    }
    const nsPid = await info;
    // The launcher's children are the sandbox's init and its egress bridge; the init's, its shell.
    const infra = [
      ...new Set([launcher.pid!, ...(await children(launcher.pid!)), ...(await children(nsPid))]),
    ];
    // The sandbox's own processes are never the OOM killer's choice: a command past the memory limit is.
    for (const pid of infra)
      await writeFile(`/proc/${pid}/oom_score_adj`, "-1000").catch(() => undefined);
    const state: RuntimeState = {
      nsPid,
      nsStart: startTime(nsPid) ?? "",
      infra,
      bootId: bootId(),
      idBase: SANDBOX_ID_BASE,
    };
    await writeFile(join(disk, "runtime.json"), JSON.stringify(state));
    this.running.set(spec.id, { launcher, state, infra: new Set(infra) });
    void exited.then(() => {
      if (this.running.get(spec.id)?.launcher === launcher) this.running.delete(spec.id);
    });
  }

  async exec(
    id: string,
    req: ExecRequest,
    out: ExecOutput,
    signal?: AbortSignal,
  ): Promise<ExecResult> {
    const cmd = this.start(id, req, out);
    const onAbort = () => cmd.kill("SIGKILL");
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      return await cmd.done;
    } finally {
      signal?.removeEventListener("abort", onAbort);
    }
  }

  start(id: string, req: ExecRequest, out: ExecOutput): RunningCommand {
    const loaderEnv = Object.entries(req.env).filter(([k]) => k.startsWith("LD_"));
    const env = Object.fromEntries(Object.entries(req.env).filter(([k]) => !k.startsWith("LD_")));
    const argv = [
      ...(req.user
        ? ["/usr/bin/setpriv", `--reuid=${req.user}`, `--regid=${req.user}`, "--init-groups"]
        : []),
      ...(req.timeoutSeconds !== undefined
        ? ["/usr/bin/timeout", "-k", "2", String(req.timeoutSeconds)]
        : []),
      "/usr/bin/env",
      `--chdir=${req.cwd}`,
      ...loaderEnv.map(([k, v]) => `${k}=${v}`),
      "/bin/sh",
      "-c",
      req.command,
    ];
    const started = Date.now();
    const child = this.spawnIn(id, argv, { env, stdin: req.stdin !== undefined });
    child.stdout!.on("data", (c: Buffer) => out.onStdout(c));
    child.stderr!.on("data", (c: Buffer) => out.onStderr(c));
    feedStdin(child, req.stdin);
    const done = exitCode(child).then((code) => {
      const timedOut =
        req.timeoutSeconds !== undefined &&
        (code === 124 || code === 137) &&
        Date.now() - started >= req.timeoutSeconds * 1000 - 50;
      return { exitCode: timedOut ? 124 : code, timedOut };
    });
    return { done, kill: (sig) => signalCommand(child, sig) };
  }

  async readFile(id: string, path: string): Promise<Buffer | undefined | "directory"> {
    const script = `if [ -d "$1" ]; then exit 3; fi; if [ ! -e "$1" ]; then exit 4; fi; exec cat -- "$1"`;
    const child = this.spawnIn(id, ["/bin/sh", "-c", script, "sh", path], {
      env: { PATH: SANDBOX_PATH },
    });
    const [data, err, code] = await Promise.all([
      readAll(child.stdout!),
      readAll(child.stderr!),
      exitCode(child),
    ]);
    if (code === 3) return "directory";
    if (code === 4) return undefined;
    if (code !== 0) throw new Error(`reading ${path} failed: ${err.toString().trim()}`);
    return data;
  }

  async writeFile(id: string, path: string, data: Buffer): Promise<void> {
    const script = `mkdir -p -- "$(dirname -- "$1")" && cat > "$1"`;
    const child = this.spawnIn(id, ["/bin/sh", "-c", script, "sh", path], {
      env: { PATH: SANDBOX_PATH },
      stdin: true,
    });
    feedStdin(child, data);
    const [err, code] = await Promise.all([readAll(child.stderr!), exitCode(child)]);
    if (code !== 0)
      throw new FileOpError(err.toString().trim() || `writing ${path} failed (exit ${code})`);
  }

  async tarDirectory(id: string, path: string): Promise<Readable> {
    const script = `cd -- "$(dirname -- "$1")" && exec tar -cf - -- "$(basename -- "$1")"`;
    const child = this.spawnIn(id, ["/bin/sh", "-c", script, "sh", path], {
      env: { PATH: SANDBOX_PATH },
    });
    child.stderr!.resume();
    return child.stdout!;
  }

  async freeze(id: string): Promise<void> {
    if (this.running.has(id)) await this.opts.cgroups.freeze(id);
  }

  async thaw(id: string): Promise<void> {
    await this.opts.cgroups.thaw(id);
  }

  isFrozen(id: string): Promise<boolean> {
    return this.opts.cgroups.isFrozen(id);
  }

  async stop(id: string): Promise<void> {
    const r = this.running.get(id);
    const freezer = this.opts.cgroups;
    await freezer.thaw(id);
    const workload = async () => (await freezer.pids(id)).filter((p) => !r?.infra.has(p));
    for (const pid of await workload()) signal(pid, "SIGTERM");
    const deadline = Date.now() + this.opts.killGraceMs;
    while ((await workload()).length > 0 && Date.now() < deadline) await sleep(25);
    for (let i = 0; i < 200; i++) {
      const pids = await freezer.pids(id);
      if (pids.length === 0) break;
      for (const pid of pids) signal(pid, "SIGKILL");
      await sleep(25);
    }
    for (let i = 0; r && i < 500 && startTime(r.state.nsPid) === r.state.nsStart; i++)
      await sleep(10);
    this.running.delete(id);
    await freezer.remove(id);
    await rm(join(this.diskDir(id), "runtime.json"), { force: true });
  }

  async destroy(id: string): Promise<void> {
    await this.stop(id);
    await removeDisk(this.diskDir(id));
  }

  async snapshot(id: string, layerDir: string): Promise<number> {
    await this.stop(id);
    await this.disks.disk(id).copyUpperTo(layerDir);
    await removeDisk(this.diskDir(id));
    return diskUsage(layerDir);
  }

  async close(): Promise<void> {
    await this.releaseUserNamespace();
    await Promise.all([...this.running.keys()].map((id) => this.stop(id)));
    await this.opts.cgroups.removeParent();
  }

  async detach(): Promise<void> {
    await this.releaseUserNamespace();
    for (const [id, r] of this.running) {
      await this.opts.cgroups.freeze(id);
      if (r.launcher) {
        for (const stream of r.launcher.stdio) stream?.destroy();
        r.launcher.unref();
      }
    }
    this.running.clear();
  }

  async adopt(known: Set<string>): Promise<string[]> {
    const adopted: string[] = [];
    const boot = bootId();
    for (const id of await this.opts.cgroups.existing()) {
      const state = await readFile(join(this.diskDir(id), "runtime.json"), "utf8")
        .then((t) => JSON.parse(t) as RuntimeState)
        .catch(() => undefined);
      const alive =
        state &&
        state.bootId === boot &&
        state.idBase === SANDBOX_ID_BASE &&
        startTime(state.nsPid) === state.nsStart;
      if (known.has(id) && alive && (await this.opts.cgroups.pids(id)).includes(state.nsPid)) {
        this.running.set(id, { state, infra: new Set(state.infra) });
        adopted.push(id);
      } else {
        if (state) this.running.set(id, { state, infra: new Set(state.infra) });
        await this.stop(id);
      }
    }
    return adopted;
  }

  private diskDir(id: string): string {
    return join(this.opts.disksDir, id);
  }

  /** The user namespace new sandboxes enter, made when there is none alive. */
  private userNamespace(): Promise<SandboxUserNamespace> {
    const pending = this.userns;
    const renew = () => {
      if (this.userns === pending) this.userns = SandboxUserNamespace.create();
      return this.userns!;
    };
    if (!pending) return renew();
    return pending.then((ns) => (ns.alive ? ns : renew()), renew);
  }

  private async releaseUserNamespace(): Promise<void> {
    (await this.userns?.catch(() => undefined))?.release();
    this.userns = undefined;
  }

  /** The image `rootfs` with the sandbox's ids (id-map.ts), made once per image and process. */
  private mappedImage(rootfs: string): Promise<string> {
    let mapped = this.mappedImages.get(rootfs);
    if (!mapped) {
      mapped = idMappedImage(rootfs);
      mapped.catch(() => this.mappedImages.delete(rootfs));
      this.mappedImages.set(rootfs, mapped);
    }
    return mapped;
  }

  private spawnIn(
    id: string,
    argv: string[],
    o: { env: Record<string, string>; stdin?: boolean },
  ): ChildProcess {
    const r = this.running.get(id);
    if (!r) throw new Error(`sandbox ${id} is not running`);
    const enter = this.opts.cgroups
      .procsFiles(id)
      .map((f) => `echo $$ > ${shellQuote(f)} && `)
      .join("");
    // nsenter enters the user namespace last (after the ones it owns and the network namespace
    // the host owns), then becomes the sandbox's root; confine does the rest.
    return spawn(
      "/bin/sh",
      [
        "-c",
        `${enter}exec ${confineDescriptors(this.opts.confineDir)} && exec "$@"`,
        "sh",
        "/usr/bin/nsenter",
        `--target=${r.state.nsPid}`,
        "--user",
        "--mount",
        "--uts",
        "--ipc",
        "--net",
        "--pid",
        "--root",
        "--",
        ...CONFINE_ARGV,
        ...argv,
      ],
      { env: o.env, stdio: [o.stdin ? "pipe" : "ignore", "pipe", "pipe"] },
    );
  }
}

/** Gives a template layer built by an earlier version (host ids) the sandbox's ids, once. */
async function shiftLegacyLayer(layer: string): Promise<void> {
  const st = await stat(layer).catch(() => undefined);
  if (st && st.uid < SANDBOX_ID_BASE) await shiftIds(layer);
}

/** A file operation the sandbox refused (e.g. writing over a directory). */
export class FileOpError extends Error {
  override name = "FileOpError";
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    /* already gone */
  }
}

/**
 * Signals a command started by {@link BwrapRuntime.start}: every process below its `nsenter`
 * (the command and what it started, inside the sandbox), so that `nsenter` stays to report how
 * the command ended. Before `nsenter` has forked, the signal goes to `nsenter` itself.
 */
function signalCommand(child: ChildProcess, sig: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const below = descendants(child.pid);
  for (const pid of below.length ? below : [child.pid]) signal(pid, sig);
}

/** Pids of every descendant of `pid`, from /proc. */
function descendants(pid: number): number[] {
  const found: number[] = [];
  const queue = [pid];
  while (queue.length) {
    const p = queue.shift()!;
    let tasks: string[];
    try {
      tasks = readdirSync(`/proc/${p}/task`);
    } catch {
      continue;
    }
    for (const t of tasks) {
      let text: string;
      try {
        text = readFileSync(`/proc/${p}/task/${t}/children`, "utf8");
      } catch {
        continue;
      }
      for (const c of text.split(" ").filter(Boolean).map(Number)) {
        found.push(c);
        queue.push(c);
      }
    }
  }
  return found;
}

function feedStdin(child: ChildProcess, input: Readable | Buffer | undefined): void {
  if (!child.stdin) return;
  child.stdin.on("error", () => undefined);
  if (input === undefined) child.stdin.end();
  else if (Buffer.isBuffer(input)) child.stdin.end(input);
  else input.pipe(child.stdin);
}

/**
 * The exit status of `child`. Resolves shortly after the process exits even when a background
 * process it started still holds its output pipes open (then those pipes are closed).
 */
function exitCode(child: ChildProcess): Promise<number> {
  return new Promise((ok) => {
    child.once("exit", (code, sig) => {
      const status = code ?? (sig ? 128 + (osConstants.signals[sig] ?? 9) : 1);
      const settle = setTimeout(() => {
        child.stdout?.destroy();
        child.stderr?.destroy();
        ok(status);
      }, 100);
      child.once("close", () => {
        clearTimeout(settle);
        ok(status);
      });
    });
  });
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** Pids of the children of `pid` (its main thread's), empty when it is gone. */
async function children(pid: number): Promise<number[]> {
  const text = await readFile(`/proc/${pid}/task/${pid}/children`, "utf8").catch(() => "");
  return text.split(" ").filter(Boolean).map(Number);
}

/** Reads the `child-pid` bwrap reports on its info fd (which stays open while it runs). */
function childPid(info: Readable): Promise<number> {
  return new Promise((ok, fail) => {
    let text = "";
    info.on("data", (c: Buffer) => {
      text += c.toString();
      const m = /"child-pid":\s*(\d+)/.exec(text);
      if (m) ok(Number(m[1]));
    });
    info.on("close", () => fail(new Error("bwrap did not report the sandbox's pid")));
  });
}

/**
 * Remove a sandbox's disk. Files a process in the sandbox made immutable (`chattr +i`, as the
 * `mesa` CLI does for read-only mounts) would make the removal fail with EPERM, so clear that
 * attribute first when the plain removal is refused.
 */
async function removeDisk(dir: string): Promise<void> {
  try {
    await rm(dir, { recursive: true, force: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EPERM") throw error;
    await new Promise<void>((resolve) =>
      spawn("chattr", ["-R", "-f", "-i", dir], { stdio: "ignore" }).on("close", () => resolve()),
    );
    await rm(dir, { recursive: true, force: true });
  }
}
