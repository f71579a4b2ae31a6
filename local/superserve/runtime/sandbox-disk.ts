import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, open, rm } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { shellQuote } from "../../shared/shell-quote";
import { SANDBOX_ID_BASE, shiftIds } from "./id-map";

const run = promisify(execFile);

/**
 * A sandbox's disk: one sparse ext4 image of `diskMib` (`<disk>/disk.ext4`), holding the
 * sandbox's writable layer (`upper/`) and overlayfs's work directory. Everything the sandbox
 * writes lands there, so `diskMib` bounds its total writes (ENOSPC past it), not each file; the
 * host sees one file, never the sandbox's files (no setuid binary or device node of a sandbox is
 * ever on the host's file system). Mounted only inside the launcher's private mount namespace
 * (loop device released when the sandbox's last process ends).
 */
export class SandboxDisk {
  constructor(readonly dir: string) {}

  private get image(): string {
    return join(this.dir, "disk.ext4");
  }

  private get fs(): string {
    return join(this.dir, "fs");
  }

  /** Where the writable layer and the work directory are once {@link mountLines} ran. */
  get paths(): { disk: string; upper: string; work: string } {
    return { disk: this.dir, upper: join(this.fs, "upper"), work: join(this.fs, "work") };
  }

  /**
   * Creates the image (empty ext4, its root owned by the sandbox's root) unless it exists. A disk
   * of an earlier version (a plain `upper/` directory with host ids) is moved into it, ids shifted.
   */
  async create(diskMib: number): Promise<void> {
    for (const d of [this.fs, join(this.dir, "merged")]) await mkdir(d, { recursive: true });
    if (existsSync(this.image)) return;
    const legacyUpper = join(this.dir, "upper");
    const staging = `${this.image}.tmp`;
    const file = await open(staging, "w", 0o600);
    await file.truncate(diskMib * 1024 * 1024);
    await file.close();
    await run("/sbin/mkfs.ext4", [
      "-q",
      "-F",
      "-m",
      "0",
      "-E",
      `lazy_itable_init=1,lazy_journal_init=1,nodiscard,root_owner=${SANDBOX_ID_BASE}:${SANDBOX_ID_BASE}`,
      staging,
    ]).catch((error: Error & { stderr?: string }) => {
      throw new Error(
        `mkfs.ext4 could not make the sandbox's disk: ${String(error.stderr ?? error.message).trim()}; run \`bash scripts/setup.sh\` (e2fsprogs)`,
      );
    });
    if (existsSync(legacyUpper)) {
      await shiftIds(legacyUpper);
      await this.inPrivateMount(
        staging,
        "rw",
        `cp -a ${shellQuote(legacyUpper)} ${shellQuote(this.paths.upper)}`,
      );
      for (const d of ["upper", "work"])
        await rm(join(this.dir, d), { recursive: true, force: true });
    }
    await run("/bin/mv", [staging, this.image]);
  }

  /**
   * Shell lines for the launcher's private mount namespace: the image loop-mounted (nosuid,
   * nodev) and the writable layer and work directory made on first boot (the layer owned by
   * the sandbox's root, as the root directory of its file system).
   */
  mountLines(): string[] {
    const { upper, work } = this.paths;
    const owner = `${SANDBOX_ID_BASE}:${SANDBOX_ID_BASE}`;
    return [
      `mount -o loop,nosuid,nodev,noinit_itable,discard ${shellQuote(this.image)} ${shellQuote(this.fs)}`,
      `[ -d ${shellQuote(upper)} ] || { mkdir ${shellQuote(upper)} && chown ${owner} ${shellQuote(upper)}; }`,
      `mkdir -p ${shellQuote(work)}`,
    ];
  }

  /** Copies the writable layer out of the image to `layerDir` (a template build's layer). */
  async copyUpperTo(layerDir: string): Promise<void> {
    await this.inPrivateMount(
      this.image,
      "ro",
      `cp -a ${shellQuote(this.paths.upper)} ${shellQuote(layerDir)}`,
    );
  }

  /** Runs `command` with `image` mounted at `<disk>/fs` in a mount namespace of its own. */
  private async inPrivateMount(image: string, mode: "ro" | "rw", command: string): Promise<void> {
    const script = [
      "set -e",
      `mount -o loop,${mode},nosuid,nodev ${shellQuote(image)} ${shellQuote(this.fs)}`,
      command,
    ].join("\n");
    await run("/usr/bin/unshare", ["--mount", "--propagation", "private", "/bin/sh", "-c", script]);
  }

  /** Removes the image and everything else of the disk. */
  async remove(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}
