import { existsSync } from "node:fs";
import { mkdir, readFile, readdir, rmdir, writeFile } from "node:fs/promises";
import { join } from "node:path";

/** The shape a sandbox runs with (the template's, as on the service). */
export interface SandboxLimits {
  vcpu: number;
  memoryMib: number;
  diskMib: number;
}

const CGROUP_ROOT = "/sys/fs/cgroup";

/**
 * The most tasks (processes and threads) a sandbox may have at once: a fork bomb stops there,
 * and the host and the other sandboxes keep forking. Twice a busy build's need (a Node.js process
 * has about a dozen threads), well under the host's `kernel.pid_max` (32768 by default).
 */
export const SANDBOX_PIDS_MAX = 1024;
const CPU_PERIOD_US = 100_000;
const sleep = (ms: number) => new Promise<void>((ok) => setTimeout(ok, ms));

async function writeIfPresent(file: string, value: string): Promise<void> {
  if (existsSync(file)) await writeFile(file, value);
}

/**
 * One cgroup per sandbox, under a parent owned by one local Superserve instance (two instances
 * with different data directories never touch each other's sandboxes): the freezer (pause,
 * live restore), the memory limit (the kernel OOM-kills inside the group past it), the CPU
 * quota and the task limit ({@link SANDBOX_PIDS_MAX}). cgroup v2 when `/sys/fs/cgroup` is the
 * unified hierarchy, else the v1 controllers.
 */
export interface SandboxCgroups {
  /** `v1` or `v2`, for logs and docs. */
  readonly version: "v1" | "v2";
  /** Files a process writes its pid to, in order, to join every group of the sandbox. */
  procsFiles(id: string): string[];
  /** Creates the groups (idempotent) and applies `limits`. */
  create(id: string, limits: SandboxLimits): Promise<void>;
  /** Pids in the sandbox's groups; empty when they do not exist. */
  pids(id: string): Promise<number[]>;
  /** Freezes the sandbox's processes and waits until the kernel reports them frozen. */
  freeze(id: string): Promise<void>;
  /** Thaws them. */
  thaw(id: string): Promise<void>;
  /** True when the sandbox's group is frozen. */
  isFrozen(id: string): Promise<boolean>;
  /** Removes the groups once empty (idempotent). */
  remove(id: string): Promise<void>;
  /** Removes the instance's parent groups once empty (best effort). */
  removeParent(): Promise<void>;
  /** Ids of the sandbox groups under the parent (left by an earlier run). */
  existing(): Promise<string[]>;
}

/** The cgroups of the instance at `<hierarchy>/superserve-local/<instance>`, v1 or v2 as the host has them. */
export function sandboxCgroups(instance: string): SandboxCgroups {
  const sub = join("superserve-local", instance);
  if (existsSync(join(CGROUP_ROOT, "cgroup.controllers")))
    return new V2Cgroups(join(CGROUP_ROOT, sub));
  for (const required of ["freezer", "pids"])
    if (!existsSync(join(CGROUP_ROOT, required, "cgroup.procs")))
      throw new Error(
        `the local Superserve needs the cgroup ${required} controller: mount cgroup v2 on /sys/fs/cgroup or the v1 ${required} controller on /sys/fs/cgroup/${required}`,
      );
  const optional = ["memory", "cpu"].filter((c) =>
    existsSync(join(CGROUP_ROOT, c, "cgroup.procs")),
  );
  return new V1Cgroups(sub, ["freezer", "pids", ...optional]);
}

async function removeDir(dir: string): Promise<void> {
  for (let i = 0; i < 50 && existsSync(dir); i++) {
    try {
      await rmdir(dir);
      return;
    } catch {
      await sleep(20);
    }
  }
}

async function readPids(file: string): Promise<number[]> {
  try {
    return (await readFile(file, "utf8")).split("\n").filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

async function subdirs(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, { withFileTypes: true }))
      .filter((e) => e.isDirectory())
      .map((e) => e.name);
  } catch {
    return [];
  }
}

class V1Cgroups implements SandboxCgroups {
  readonly version = "v1";
  constructor(
    private readonly sub: string,
    private readonly controllers: string[],
  ) {}

  private dir(controller: string, id: string): string {
    return join(CGROUP_ROOT, controller, this.sub, id);
  }

  procsFiles(id: string): string[] {
    return this.controllers.map((c) => join(this.dir(c, id), "cgroup.procs"));
  }

  async create(id: string, limits: SandboxLimits): Promise<void> {
    for (const c of this.controllers) await mkdir(this.dir(c, id), { recursive: true });
    await writeFile(join(this.dir("pids", id), "pids.max"), String(SANDBOX_PIDS_MAX));
    if (this.controllers.includes("memory")) {
      const mem = this.dir("memory", id);
      const bytes = String(limits.memoryMib * 1024 * 1024);
      await writeFile(join(mem, "memory.limit_in_bytes"), bytes);
      await writeIfPresent(join(mem, "memory.memsw.limit_in_bytes"), bytes); // no swapping past the limit
    }
    if (this.controllers.includes("cpu")) {
      const cpu = this.dir("cpu", id);
      await writeFile(join(cpu, "cpu.cfs_period_us"), String(CPU_PERIOD_US));
      await writeFile(join(cpu, "cpu.cfs_quota_us"), String(limits.vcpu * CPU_PERIOD_US));
    }
  }

  pids(id: string): Promise<number[]> {
    return readPids(join(this.dir("freezer", id), "cgroup.procs"));
  }

  freeze(id: string): Promise<void> {
    return this.setState(id, "FROZEN");
  }

  thaw(id: string): Promise<void> {
    return this.setState(id, "THAWED");
  }

  async isFrozen(id: string): Promise<boolean> {
    try {
      return (
        (await readFile(join(this.dir("freezer", id), "freezer.state"), "utf8")).trim() === "FROZEN"
      );
    } catch {
      return false;
    }
  }

  async remove(id: string): Promise<void> {
    for (const c of this.controllers) await removeDir(this.dir(c, id));
  }

  async removeParent(): Promise<void> {
    for (const c of this.controllers)
      await rmdir(join(CGROUP_ROOT, c, this.sub)).catch(() => undefined);
  }

  async existing(): Promise<string[]> {
    return subdirs(join(CGROUP_ROOT, "freezer", this.sub));
  }

  private async setState(id: string, state: "FROZEN" | "THAWED"): Promise<void> {
    const file = join(this.dir("freezer", id), "freezer.state");
    if (!existsSync(file)) return;
    await writeFile(file, state);
    for (let i = 0; i < 500; i++) {
      if ((await readFile(file, "utf8")).trim() === state) return;
      await sleep(2);
    }
    throw new Error(`cgroup ${this.dir("freezer", id)} did not reach ${state} within 1 s`);
  }
}

class V2Cgroups implements SandboxCgroups {
  readonly version = "v2";
  constructor(private readonly parent: string) {}

  private dir(id: string): string {
    return join(this.parent, id);
  }

  procsFiles(id: string): string[] {
    return [join(this.dir(id), "cgroup.procs")];
  }

  async create(id: string, limits: SandboxLimits): Promise<void> {
    await mkdir(this.dir(id), { recursive: true });
    // Delegate the controllers down to the sandbox's group (ancestors hold no processes).
    const chain = [CGROUP_ROOT, join(CGROUP_ROOT, "superserve-local"), this.parent];
    for (const dir of chain) {
      const available = (await readFile(join(dir, "cgroup.controllers"), "utf8")).split(/\s+/);
      if (!available.includes("pids"))
        throw new Error(
          `the local Superserve needs the cgroup pids controller, which ${dir} does not offer: enable it (cgroup_enable=pids) or delegate it to this cgroup`,
        );
      const wanted = ["memory", "cpu", "pids"]
        .filter((c) => available.includes(c))
        .map((c) => `+${c}`);
      if (wanted.length)
        await writeFile(join(dir, "cgroup.subtree_control"), wanted.join(" ")).catch(
          () => undefined,
        );
    }
    await writeFile(join(this.dir(id), "pids.max"), String(SANDBOX_PIDS_MAX));
    await writeIfPresent(join(this.dir(id), "memory.max"), String(limits.memoryMib * 1024 * 1024));
    await writeIfPresent(join(this.dir(id), "memory.swap.max"), "0");
    await writeIfPresent(
      join(this.dir(id), "cpu.max"),
      `${limits.vcpu * CPU_PERIOD_US} ${CPU_PERIOD_US}`,
    );
  }

  pids(id: string): Promise<number[]> {
    return readPids(join(this.dir(id), "cgroup.procs"));
  }

  freeze(id: string): Promise<void> {
    return this.setFrozen(id, true);
  }

  thaw(id: string): Promise<void> {
    return this.setFrozen(id, false);
  }

  async isFrozen(id: string): Promise<boolean> {
    try {
      return /^frozen 1$/m.test(await readFile(join(this.dir(id), "cgroup.events"), "utf8"));
    } catch {
      return false;
    }
  }

  remove(id: string): Promise<void> {
    return removeDir(this.dir(id));
  }

  async removeParent(): Promise<void> {
    await rmdir(this.parent).catch(() => undefined);
  }

  existing(): Promise<string[]> {
    return subdirs(this.parent);
  }

  private async setFrozen(id: string, frozen: boolean): Promise<void> {
    const file = join(this.dir(id), "cgroup.freeze");
    if (!existsSync(file)) return;
    await writeFile(file, frozen ? "1" : "0");
    for (let i = 0; i < 500; i++) {
      if ((await this.isFrozen(id)) === frozen) return;
      await sleep(2);
    }
    throw new Error(`cgroup ${this.dir(id)} did not ${frozen ? "freeze" : "thaw"} within 1 s`);
  }
}
