import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { lstat, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { publishDir } from "../../shared/atomic-write";
import { SANDBOX_CA_FILE, SYSTEM_CA_BUNDLE } from "./sandbox-env";
import type { SandboxBootSpec } from "./types";

/**
 * Where Debian's `update-ca-certificates` takes the machine's own CAs from: with the local CA
 * here, a bundle the sandbox regenerates (a `ca-certificates` install or upgrade) keeps it.
 */
const LOCAL_CA_SOURCE = "/usr/local/share/ca-certificates/superserve-local-ca.crt";

/**
 * The sandboxes' trust layers: the top read-only layer of a sandbox's root file system, under its
 * own writable layer. With `spec.egress`, it holds the system bundle the layers below have (none
 * in an image without `ca-certificates`) followed by the local CA, the CA alone at
 * {@link SANDBOX_CA_FILE}, and the CA where `update-ca-certificates` finds it; without egress, an
 * empty {@link SANDBOX_CA_FILE} (so that NODE_EXTRA_CA_CERTS loads quietly).
 *
 * A layer rather than a bind mount over the bundle: `update-ca-certificates` replaces the bundle
 * by renaming onto it, which a mount point refuses (EBUSY) and would fail the package install.
 * Sandboxes on the same image, template layers and CA share one layer, kept across restarts:
 * layers and images never change under a path and the CA is the data dir's for good, so a layer
 * once written stays right (and an adopted sandbox's mount keeps it). It is written whole under
 * another name, then published (`publishDir`: the first copy wins), so that a boot never sees
 * half of one.
 */
export class TrustLayers {
  private readonly written = new Map<string, Promise<string>>();

  /** @param dir the directory holding one trust layer per image, layers and CA */
  constructor(private readonly dir: string) {}

  /** The directory of the trust layer for `spec`, written when it does not exist yet. */
  layerFor(spec: SandboxBootSpec): Promise<string> {
    const key = JSON.stringify([spec.egress?.caCertFile ?? "", spec.layers, spec.image]);
    let layer = this.written.get(key);
    if (!layer) {
      layer = this.write(key, spec);
      layer.catch(() => this.written.delete(key));
      this.written.set(key, layer);
    }
    return layer;
  }

  private async write(key: string, spec: SandboxBootSpec): Promise<string> {
    const dir = join(this.dir, createHash("sha256").update(key).digest("hex").slice(0, 24));
    if (existsSync(dir)) return dir;
    const staging = `${dir}.${process.pid}.tmp`;
    await rm(staging, { recursive: true, force: true });
    const put = async (path: string, text: string) => {
      await mkdir(join(staging, dirname(path)), { recursive: true });
      await writeFile(join(staging, path), text, { mode: 0o644 });
    };
    if (!spec.egress) await put(SANDBOX_CA_FILE, "");
    else {
      const ca = await localCaCertificate(spec.egress.caCertFile);
      const base = await lowerBundle([...spec.layers, spec.image]);
      await put(SYSTEM_CA_BUNDLE, `${base}${ca}`);
      await put(SANDBOX_CA_FILE, ca);
      await put(LOCAL_CA_SOURCE, ca);
    }
    await publishDir(staging, dir);
    return dir;
  }
}

/** The PEM text of the egress layer's CA certificate, refusing anything that holds a private key. */
async function localCaCertificate(file: string): Promise<string> {
  const text = await readFile(file, "utf8").catch((error: NodeJS.ErrnoException) => {
    throw new Error(
      `egress.caCertFile ${file} cannot be read (${error.code}): pass the PEM certificate of the egress layer's CA`,
    );
  });
  if (!text.includes("-----BEGIN CERTIFICATE-----") || /PRIVATE KEY-----/.test(text))
    throw new Error(
      `egress.caCertFile ${file} must hold the CA certificate (PEM) and no private key: the key never enters a sandbox`,
    );
  return text.endsWith("\n") ? text : `${text}\n`;
}

/** The system bundle of the top-most layer that has one (an overlay whiteout or a non-file hides it), else "". */
async function lowerBundle(layers: string[]): Promise<string> {
  for (const layer of layers) {
    const path = join(layer, SYSTEM_CA_BUNDLE);
    const st = await lstat(path).catch(() => undefined);
    if (!st) continue;
    if (!st.isFile()) return "";
    const text = await readFile(path, "utf8");
    return text === "" || text.endsWith("\n") ? text : `${text}\n`;
  }
  return "";
}
