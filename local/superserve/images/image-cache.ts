import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { createHash } from "node:crypto";
import {
  hostAptEntries,
  hostAptOptions,
  hostCodename,
  hostLocalCaCerts,
  imageSources,
} from "./host-config";
import { publishDir } from "../../shared/atomic-write";
import { diskUsage } from "../runtime/disk-usage";
import type { ImageRecipe } from "./recipes";

/** A built image in the cache. */
export interface ImageInfo {
  name: string;
  hash: string;
  /** The root file system (read-only lower layer of every sandbox on it). */
  rootfs: string;
  sizeBytes: number;
  buildSeconds: number;
  builtAt: string;
}

/**
 * Where images are cached: `$PSM_IMAGE_CACHE`, else `${XDG_CACHE_HOME:-~/.cache}/pulumi-superserve-mesa/images`
 * (next to the Pulumi CLI that `scripts/install-pulumi.sh` caches), shared by every data dir, test and run.
 */
export function defaultImageCacheDir(): string {
  if (process.env.PSM_IMAGE_CACHE) return process.env.PSM_IMAGE_CACHE;
  return join(
    process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"),
    "pulumi-superserve-mesa",
    "images",
  );
}

const sleep = (ms: number) => new Promise<void>((ok) => setTimeout(ok, ms));

/** The pid holding `lock`, or "stale" when its holder is gone (a lock without a pid for 10 s is stale too). */
function lockOwner(lock: string): number | "stale" {
  let pid: number;
  try {
    pid = Number(readFileSync(join(lock, "pid"), "utf8"));
  } catch {
    try {
      return Date.now() - statSync(lock).mtimeMs > 10_000 ? "stale" : 0;
    } catch {
      return "stale";
    }
  }
  try {
    process.kill(pid, 0); // throws when no such process
    return pid;
  } catch {
    return "stale";
  }
}

function readInfo(dir: string): ImageInfo | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, "image.json"), "utf8")) as ImageInfo;
  } catch {
    return undefined;
  }
}

/**
 * The cached image of `recipe`, built with mmdebstrap when missing (minutes, once per recipe).
 * Concurrent callers (parallel test files, the set-up script) wait for the one build in progress.
 */
export async function ensureImage(
  recipe: ImageRecipe,
  opts: { cacheDir?: string; log?: (line: string) => void } = {},
): Promise<ImageInfo> {
  const cacheDir = opts.cacheDir ?? defaultImageCacheDir();
  const log = opts.log ?? (() => undefined);
  const caCerts = hostLocalCaCerts();
  const hash = imageKey(recipe, caCerts);
  const dir = join(cacheDir, `${recipe.name}-${hash}`);
  const lock = `${dir}.lock`;
  mkdirSync(cacheDir, { recursive: true });
  for (let waited = false; ;) {
    const ready = readInfo(dir);
    if (ready) return ready;
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, "pid"), String(process.pid));
    } catch {
      const owner = lockOwner(lock);
      if (owner === "stale") rmSync(lock, { recursive: true, force: true });
      else {
        if (!waited) log(`image ${recipe.name}: waiting for the build in progress (pid ${owner})`);
        waited = true;
        await sleep(500);
      }
      continue;
    }
    try {
      if (readInfo(dir)) continue;
      return await build(recipe, { hash, dir, caCerts }, log);
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
  }
}

/** The cache key: the recipe and the certificate authorities copied in. */
function imageKey(recipe: ImageRecipe, caCerts: string[]): string {
  const h = createHash("sha256").update(JSON.stringify(recipe));
  for (const f of caCerts) h.update(f).update(readFileSync(f));
  return h.digest("hex").slice(0, 16);
}

async function build(
  recipe: ImageRecipe,
  target: { hash: string; dir: string; caCerts: string[] },
  log: (line: string) => void,
): Promise<ImageInfo> {
  const { hash, dir, caCerts } = target;
  if (process.getuid?.() !== 0)
    throw new Error(
      `building the sandbox image ${recipe.name} needs root (mmdebstrap); run as root`,
    );
  if (!existsSync("/usr/bin/mmdebstrap"))
    throw new Error(
      "mmdebstrap is missing: run `bash scripts/setup.sh` (or `apt-get install -y mmdebstrap`)",
    );
  const work = `${dir}.build-${process.pid}`;
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const sourcesFile = join(work, "image.sources");
  writeFileSync(sourcesFile, imageSources(recipe.suite, hostAptEntries(), hostCodename()));
  const started = Date.now();
  log(
    `image ${recipe.name}: building ${recipe.description} with mmdebstrap from this host's apt sources (once; a few minutes)`,
  );
  const args = [
    `--variant=${recipe.variant}`,
    "--mode=root",
    "--format=directory",
    ...(recipe.include.length ? [`--include=${recipe.include.join(",")}`] : []),
    ...hostAptOptions().map((o) => `--aptopt=${o}`),
    ...(caCerts.length
      ? [
          `--customize-hook=mkdir -p "$1/usr/local/share/ca-certificates"`,
          `--customize-hook=copy-in ${caCerts.join(" ")} /usr/local/share/ca-certificates`,
          `--customize-hook=if [ -x "$1/usr/sbin/update-ca-certificates" ]; then chroot "$1" update-ca-certificates; fi`,
        ]
      : []),
    ...recipe.customize.map((c) => `--customize-hook=${c}`),
    recipe.suite,
    join(work, "rootfs"),
    sourcesFile,
  ];
  const output: string[] = [];
  const code = await new Promise<number>((ok) => {
    const child = spawn("/usr/bin/mmdebstrap", args, { stdio: ["ignore", "pipe", "pipe"] });
    const collect = (c: Buffer) => {
      for (const line of c.toString().split("\n").filter(Boolean)) {
        output.push(line);
        if (/^I: /.test(line)) log(`image ${recipe.name}: ${line.slice(3)}`);
      }
    };
    child.stdout.on("data", collect);
    child.stderr.on("data", collect);
    child.on("error", (e) => {
      output.push(e.message);
      ok(127);
    });
    child.on("close", (c) => ok(c ?? 1));
  });
  if (code !== 0) {
    rmSync(work, { recursive: true, force: true });
    throw new Error(
      `building the sandbox image ${recipe.name} failed (mmdebstrap exit ${code}):\n${output.slice(-20).join("\n")}`,
    );
  }
  const info: ImageInfo = {
    name: recipe.name,
    hash,
    rootfs: join(dir, "rootfs"),
    sizeBytes: await diskUsage(join(work, "rootfs")),
    buildSeconds: Math.round((Date.now() - started) / 100) / 10,
    builtAt: new Date().toISOString(),
  };
  writeFileSync(join(work, "image.json"), JSON.stringify(info, null, 2) + "\n");
  rmSync(sourcesFile);
  await publishDir(work, dir); // under the build lock: never there yet
  log(
    `image ${recipe.name}: ready (${Math.round(info.sizeBytes / 1e6)} MB, built in ${info.buildSeconds} s)`,
  );
  return info;
}

/** The cached image of every recipe, by recipe name. */
export type ImageSet = ReadonlyMap<string, ImageInfo>;

/** Ensures every image in `recipes` (building the missing ones, one after the other). */
export async function ensureImages(
  recipes: ImageRecipe[],
  opts: { cacheDir?: string; log?: (line: string) => void } = {},
): Promise<ImageSet> {
  const set = new Map<string, ImageInfo>();
  for (const recipe of recipes) set.set(recipe.name, await ensureImage(recipe, opts));
  return set;
}
