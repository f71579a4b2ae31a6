import type { Readable } from "node:stream";
import type { SandboxLimits } from "./cgroups";

/** A sandbox's way out of its own network namespace. */
export interface SandboxEgress {
  /**
   * Host path of the Unix socket on which the egress layer serves this sandbox's HTTP proxy
   * (CONNECT host:port, and absolute-form plain-HTTP requests). At most 100 bytes long.
   */
  socketPath: string;
  /** Host path of a PEM file holding the local CA certificate that sandboxes trust (never its key). */
  caCertFile: string;
}

/** What a sandbox boots from. */
export interface SandboxBootSpec {
  /** Sandbox id; also its hostname and the name of its disk directory. */
  id: string;
  /** The image's root file system: the bottom, read-only layer. */
  image: string;
  /**
   * Read-only layer directories stacked between the image and the sandbox's own writable
   * layer, top-most first (a template build's layer, or none).
   */
  layers: string[];
  /** CPU, memory and file-size limits (the template's shape). */
  limits: SandboxLimits;
  /**
   * The egress proxy bridged to `127.0.0.1:3128` inside the sandbox's network namespace, and
   * the CA its commands trust. Unset: the sandbox has only its own loopback, no way out.
   */
  egress?: SandboxEgress;
}

/** One command to run inside a running sandbox. */
export interface ExecRequest {
  /** Run under `/bin/sh -c`. */
  command: string;
  /** Absolute working directory inside the sandbox. */
  cwd: string;
  /** The complete environment of the command (nothing of the host's is added). */
  env: Record<string, string>;
  /** Seconds before the command's process group is killed (exit 124); unset = no limit. */
  timeoutSeconds?: number;
  /** Run as this user of the sandbox instead of root. */
  user?: string;
  /** Bytes written to the command's stdin; stdin is empty when unset. */
  stdin?: Readable | Buffer;
}

/** Callbacks receiving a command's output as it arrives. */
export interface ExecOutput {
  onStdout(chunk: Buffer): void;
  onStderr(chunk: Buffer): void;
}

/** How a command ended. */
export interface ExecResult {
  exitCode: number;
  /** True when `timeoutSeconds` elapsed and the command was killed (exitCode is then 124). */
  timedOut: boolean;
}

/** A running command that is not awaited (a template's `start_cmd`). */
interface DetachedProcess {
  readonly done: Promise<ExecResult>;
}

/** A command started with {@link SandboxRuntime.start}: its outcome, and a way to signal it. */
export interface RunningCommand extends DetachedProcess {
  /** Sends `sig` to the command's processes inside the sandbox (never to the sandbox itself). */
  kill(sig: NodeJS.Signals): void;
}

/**
 * The isolation layer under the local Superserve: boots, runs commands in, freezes and
 * destroys sandboxes. The HTTP planes never touch processes or mounts directly.
 */
export interface SandboxRuntime {
  /** Boots the sandbox's long-lived init; its disk is created when missing and reused when present. */
  boot(spec: SandboxBootSpec): Promise<void>;
  /** True while the sandbox's init is alive. */
  isRunning(id: string): boolean;
  /** Runs a command to completion, streaming its output; an abort kills it (SIGKILL). */
  exec(id: string, req: ExecRequest, out: ExecOutput, signal?: AbortSignal): Promise<ExecResult>;
  /**
   * Starts a command, streaming its output, and returns at once (the path under {@link exec}).
   * A `Readable` stdin stays open until it ends, so the caller can feed it live.
   */
  start(id: string, req: ExecRequest, out: ExecOutput): RunningCommand;
  /** Reads a regular file; `undefined` when it does not exist, `"directory"` when it is one. */
  readFile(id: string, path: string): Promise<Buffer | undefined | "directory">;
  /** Writes a file, creating parent directories. */
  writeFile(id: string, path: string, data: Buffer): Promise<void>;
  /** A tar stream of `path` (a directory) with entries prefixed by its base name. */
  tarDirectory(id: string, path: string): Promise<Readable>;
  /** Freezes every process of the sandbox (cgroup freezer FROZEN). */
  freeze(id: string): Promise<void>;
  /** Thaws the sandbox's processes. */
  thaw(id: string): Promise<void>;
  /**
   * Ends every process: SIGTERM, then SIGKILL after the grace period. The disk stays
   * (a stopped sandbox boots again with its files).
   */
  stop(id: string): Promise<void>;
  /** Stops the sandbox and removes its disk. */
  destroy(id: string): Promise<void>;
  /** Stops the sandbox and moves its writable layer to `layerDir` (a template build's result). */
  snapshot(id: string, layerDir: string): Promise<number>;
  /** Stops every running sandbox, keeping disks. */
  close(): Promise<void>;
  /**
   * Live restore, first half: freezes every running sandbox and lets go of it, so that its
   * processes outlive this process; {@link adopt} takes them back.
   */
  detach(): Promise<void>;
  /**
   * Live restore, second half: takes back the sandboxes in `known` that an earlier instance
   * detached (or left running when it died), frozen or not as they were; ends every other
   * leftover (build sandboxes, deleted sandboxes, processes of an earlier boot). Answers the
   * adopted ids.
   */
  adopt(known: Set<string>): Promise<string[]>;
  /** True when the sandbox's processes are frozen. */
  isFrozen(id: string): Promise<boolean>;
}
