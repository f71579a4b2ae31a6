import { lstat, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { SANDBOX_CA_FILE, SYSTEM_CA_BUNDLE } from "./sandbox-env";
import type { SandboxBootSpec } from "./types";

/**
 * Where Debian's `update-ca-certificates` takes the machine's own CAs from: with the local CA
 * here, a bundle the sandbox regenerates (a `ca-certificates` install or upgrade) keeps it.
 */
const LOCAL_CA_SOURCE = "/usr/local/share/ca-certificates/superserve-local-ca.crt";

/**
 * Writes the sandbox's trust layer at `dir` (rebuilt at each boot; the top read-only layer of its
 * root file system, under the sandbox's own writable layer): with `spec.egress`, the system bundle
 * the layers below have (none in an image without `ca-certificates`) followed by the local CA,
 * the CA alone at {@link SANDBOX_CA_FILE}, and the CA where `update-ca-certificates` finds it.
 * Without egress, an empty {@link SANDBOX_CA_FILE} (so that NODE_EXTRA_CA_CERTS loads quietly).
 *
 * A layer rather than a bind mount over the bundle: `update-ca-certificates` replaces the bundle
 * by renaming onto it, which a mount point refuses (EBUSY) and would fail the package install.
 */
export async function writeTrustLayer(dir: string, spec: SandboxBootSpec): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  const put = async (path: string, text: string) => {
    await mkdir(join(dir, dirname(path)), { recursive: true });
    await writeFile(join(dir, path), text, { mode: 0o644 });
  };
  if (!spec.egress) return put(SANDBOX_CA_FILE, "");
  const ca = await localCaCertificate(spec.egress.caCertFile);
  const base = await lowerBundle([...spec.layers, spec.image]);
  await put(SYSTEM_CA_BUNDLE, `${base}${ca}`);
  await put(SANDBOX_CA_FILE, ca);
  await put(LOCAL_CA_SOURCE, ca);
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
