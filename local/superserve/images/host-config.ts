import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** One `deb` entry of the host's apt configuration. */
export interface AptEntry {
  uris: string[];
  suites: string[];
  components: string[];
  signedBy?: string;
}

/**
 * The host's Debian `deb` entries (`/etc/apt/sources.list` and `sources.list.d/*.list|*.sources`),
 * read at run time so that images come from the mirror this machine already uses.
 */
export function hostAptEntries(aptDir = "/etc/apt"): AptEntry[] {
  const entries: AptEntry[] = [];
  const listFiles = [join(aptDir, "sources.list")];
  const partsDir = join(aptDir, "sources.list.d");
  if (existsSync(partsDir))
    for (const f of readdirSync(partsDir).sort()) listFiles.push(join(partsDir, f));
  for (const file of listFiles) {
    if (!existsSync(file)) continue;
    const text = readFileSync(file, "utf8");
    if (file.endsWith(".sources")) entries.push(...parseDeb822(text));
    else if (file.endsWith(".list") || file.endsWith("sources.list"))
      entries.push(...parseOneLine(text));
  }
  return entries;
}

function parseDeb822(text: string): AptEntry[] {
  const out: AptEntry[] = [];
  for (const stanza of text.split(/\n\s*\n/)) {
    const fields = new Map<string, string>();
    let last = "";
    for (const line of stanza.split("\n")) {
      if (line.startsWith("#") || line.trim() === "") continue;
      if (/^\s/.test(line) && last) fields.set(last, `${fields.get(last)} ${line.trim()}`);
      else {
        const m = /^([A-Za-z-]+):\s*(.*)$/.exec(line);
        if (!m) continue;
        last = m[1].toLowerCase();
        fields.set(last, m[2].trim());
      }
    }
    const words = (k: string) => (fields.get(k) ?? "").split(/\s+/).filter(Boolean);
    if (!words("types").includes("deb") || fields.get("enabled")?.toLowerCase() === "no") continue;
    const signedBy = fields.get("signed-by");
    out.push({
      uris: words("uris"),
      suites: words("suites"),
      components: words("components"),
      ...(signedBy && !signedBy.includes("\n") && { signedBy }),
    });
  }
  return out.filter((e) => e.uris.length && e.suites.length);
}

function parseOneLine(text: string): AptEntry[] {
  const out: AptEntry[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.replace(/#.*$/, "").trim();
    const m = /^deb\s+(?:\[([^\]]*)\]\s+)?(\S+)\s+(\S+)\s*(.*)$/.exec(line);
    if (!m) continue;
    const signedBy = /signed-by=(\S+)/.exec(m[1] ?? "")?.[1];
    out.push({
      uris: [m[2]],
      suites: [m[3]],
      components: m[4].split(/\s+/).filter(Boolean),
      ...(signedBy && { signedBy }),
    });
  }
  return out;
}

/**
 * The host's Debian entries rewritten for `suite` (e.g. `bookworm`): an entry of the host's own
 * release `X`, `X-updates` or `X-security` becomes `suite`, `suite-updates`, `suite-security`.
 * Entries of other distributions or third-party repositories are left out. Answers a deb822
 * `sources.list` for the image.
 */
export function imageSources(suite: string, entries: AptEntry[], hostCodename: string): string {
  const stanzas: string[] = [];
  for (const e of entries) {
    const suites = e.suites
      .map((s) =>
        s === hostCodename
          ? suite
          : s.startsWith(`${hostCodename}-`)
            ? `${suite}${s.slice(hostCodename.length)}`
            : undefined,
      )
      .filter((s): s is string => s !== undefined);
    if (suites.length === 0) continue;
    stanzas.push(
      [
        "Types: deb",
        `URIs: ${e.uris.join(" ")}`,
        `Suites: ${suites.join(" ")}`,
        `Components: ${e.components.join(" ") || "main"}`,
        ...(e.signedBy ? [`Signed-By: ${e.signedBy}`] : []),
      ].join("\n"),
    );
  }
  if (stanzas.length === 0) {
    throw new Error(
      `no Debian ${hostCodename} entry in /etc/apt/sources.list or /etc/apt/sources.list.d: the sandbox images are built from the host's Debian mirror; add it there (see sources.list(5))`,
    );
  }
  return stanzas.join("\n\n") + "\n";
}

/** `VERSION_CODENAME` of the host (`/etc/os-release`). */
export function hostCodename(osRelease = "/etc/os-release"): string {
  const text = existsSync(osRelease) ? readFileSync(osRelease, "utf8") : "";
  const name = /^VERSION_CODENAME="?([a-z]+)"?$/m.exec(text)?.[1];
  if (!name || !/^ID="?debian"?$/m.test(text)) {
    throw new Error(
      "the sandbox images are built with the host's Debian apt configuration: run the local Superserve on Debian (12 or later)",
    );
  }
  return name;
}

/**
 * Options of the host's apt configuration that the image's apt needs as well: a mirror serving a
 * dated snapshot has expired `Release` files, which the host accepts with `Acquire::Check-Valid-Until`
 * / `Acquire::Check-Date` set to false.
 */
export function hostAptOptions(): string[] {
  let dump: string;
  try {
    dump = execFileSync("apt-config", ["dump"], { encoding: "utf8" });
  } catch {
    return [];
  }
  const options: string[] = [];
  for (const key of ["Acquire::Check-Valid-Until", "Acquire::Check-Date"]) {
    const m = new RegExp(`^${key} "(true|false)";$`, "m").exec(dump);
    if (m) options.push(`${key} "${m[1]}"`);
  }
  return options;
}

/** Where Debian keeps the machine's own certificate authorities (`update-ca-certificates` adds them). */
const LOCAL_CA_DIR = "/usr/local/share/ca-certificates";

/**
 * The machine's own certificate authorities (`/usr/local/share/ca-certificates/*.crt`), copied
 * into every image at build time so that package installs in build steps trust what the host
 * trusts (e.g. a TLS-inspecting egress proxy). Sorted paths; empty when there are none.
 */
export function hostLocalCaCerts(dir = LOCAL_CA_DIR): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".crt"))
    .sort()
    .map((f) => join(dir, f));
}
