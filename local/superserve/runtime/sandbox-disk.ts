import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { chown, mkdir, open, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { shellQuote } from "../../shared/shell-quote";
import { SANDBOX_ID_BASE, shiftIds } from "./id-map";

const run = promisify(execFile);

/**
 * The sandboxes' disks, one directory each under `disksDir`, and the blank images they start
 * from: one ext4 file system per size (`<disksDir>/.blank/<MiB>.ext4`) holding an empty `upper/`
 * (owned by the sandbox's root, as the root directory of its file system is) and `work/`, made
 * once with mkfs.ext4 and copied sparsely (a few MB written, not `diskMib`) for each new disk.
 */
export class SandboxDisks {
  private readonly blanks = new Map<number, Promise<string>>();

  constructor(private readonly disksDir: string) {}

  /** The disk of sandbox `id`. */
  disk(id: string): SandboxDisk {
    return new SandboxDisk(join(this.disksDir, id), this);
  }

  /** The blank image of `diskMib`, made when missing (its root directory owned by the sandbox's root). */
  blank(diskMib: number): Promise<string> {
    let made = this.blanks.get(diskMib);
    if (!made) {
      made = makeBlank(join(this.disksDir, ".blank"), diskMib);
      made.catch(() => this.blanks.delete(diskMib));
      this.blanks.set(diskMib, made);
    }
    return made;
  }
}

async function makeBlank(dir: string, diskMib: number): Promise<string> {
  const image = join(dir, `${diskMib}.ext4`);
  if (existsSync(image)) return image;
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const staging = `${image}.${process.pid}.tmp`;
  const tree = `${staging}.d`;
  await rm(tree, { recursive: true, force: true });
  await mkdir(join(tree, "upper"), { recursive: true });
  await mkdir(join(tree, "work"));
  await chown(join(tree, "upper"), SANDBOX_ID_BASE, SANDBOX_ID_BASE);
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
    "-d",
    tree,
    staging,
  ]).catch((error: Error & { stderr?: string }) => {
    throw new Error(
      `mkfs.ext4 could not make a sandbox disk: ${String(error.stderr ?? error.message).trim()}; run \`bash scripts/setup.sh\` (e2fsprogs)`,
    );
  });
  await rm(tree, { recursive: true, force: true });
  await rename(staging, image);
  return image;
}

/**
 * A sandbox's disk: one sparse ext4 image of `diskMib` (`<disk>/disk.ext4`), holding the
 * sandbox's writable layer (`upper/`) and overlayfs's work directory. Everything the sandbox
 * writes lands there, so `diskMib` bounds its total writes (ENOSPC past it), not each file; the
 * host sees one file, never the sandbox's files (no setuid binary or device node of a sandbox is
 * ever on the host's file system). Mounted only inside the launcher's private mount namespace
 * (loop device released when the sandbox's last process ends).
 */
export class SandboxDisk {
  constructor(
    readonly dir: string,
    private readonly blanks: SandboxDisks,
  ) {}

  private get image(): string {
    return join(this.dir, "disk.ext4");
  }

  private get fs(): string {
    return join(this.dir, "fs");
  }

  /** Where the writable layer and the work directory are once {@link mountLines} ran. */
  get paths(): { upper: string; work: string } {
    return { upper: join(this.fs, "upper"), work: join(this.fs, "work") };
  }

  /**
   * Shell lines for the launcher's private mount namespace: the image copied from the blank one
   * on first boot, and loop-mounted (nosuid, nodev). A disk of an earlier version (a plain
   * `upper/` directory with host ids) is first moved into an image, ids shifted.
   */
  async mountLines(diskMib: number): Promise<string[]> {
    await mkdir(this.fs, { recursive: true });
    const blank = await this.blanks.blank(diskMib);
    const legacyUpper = join(this.dir, "upper");
    if (!existsSync(this.image) && existsSync(legacyUpper)) await this.migrate(blank, legacyUpper);
    return [
      `[ -e ${shellQuote(this.image)} ] || cp --sparse=always ${shellQuote(blank)} ${shellQuote(this.image)}`,
      `mount -o loop,nosuid,nodev,noinit_itable,discard ${shellQuote(this.image)} ${shellQuote(this.fs)}`,
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

  private async migrate(blank: string, legacyUpper: string): Promise<void> {
    const staging = `${this.image}.tmp`;
    await run("/bin/cp", ["--sparse=always", blank, staging]);
    await shiftIds(legacyUpper);
    await this.inPrivateMount(
      staging,
      "rw",
      `cp -a ${shellQuote(`${legacyUpper}/.`)} ${shellQuote(this.paths.upper)}`,
    );
    await rename(staging, this.image);
    for (const d of ["upper", "work"])
      await rm(join(this.dir, d), { recursive: true, force: true });
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
}
