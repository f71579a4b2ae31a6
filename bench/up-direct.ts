/**
 * The plain-SDK baseline of `npm run bench:up`: what a user would write instead of the Pulumi
 * program — one Mesa repo, one Superserve template, and N sandboxes in parallel, each with its own
 * scoped token, its own bookmark forked from the default one, and the repo mounted by
 * `mesa mount -d`, ready when the mount serves the repo's directory.
 *
 * Kept honest and reasonably fast: every independent call runs concurrently (`Promise.all`), the
 * mount and its readiness check are one command (one data-plane round trip), and the template is
 * awaited with the SDK's own `waitUntilReady()`: with its default 2 s poll, as a user (and the seed
 * guide) would, or with a tuned poll (`templatePollMs`, e.g. 250 ms as the provider's first polls),
 * which makes the script the critical path's limit.
 */
import type { Mesa } from "@mesadev/sdk" with { "resolution-mode": "import" };
import type * as SuperserveSdk from "@superserve/sdk";
import { mountPath } from "../provider/mounted-sandbox/mount-commands";
import { shellQuote } from "../provider/shell-quote";

// eslint-disable-next-line @typescript-eslint/no-unsafe-assignment -- typescript-eslint types an import type with attributes (ESM-only package from CommonJS) as an error
type MesaSdk = typeof import("@mesadev/sdk", { with: { "resolution-mode": "import" } });

/** Where the two services are (the same values the providers read from the environment). */
export interface DirectTargets {
  mesa: { url: string; org: string; apiKey: string };
  superserve: { url: string; apiKey: string };
}

/** What to build. */
export interface DirectSpec {
  /** Prefix of every name (repo, template, sandboxes, bookmarks). */
  name: string;
  /** Number of sandboxes. */
  count: number;
  /** Template base image and steps (the same as the Pulumi program's). */
  template: { from: string; steps: Array<{ run: string }> };
  /** Metadata put on every sandbox (the bench tags its runs with it, for clean-up). */
  metadata: Record<string, string>;
  /** Poll interval of the template's build, ms; unset: the SDK's default (2 s). */
  templatePollMs?: number;
}

/** What was built, with the time of each phase (ms, from the start of the work). */
export interface DirectResult {
  repo: string;
  template: string;
  sandboxIds: string[];
  bookmarks: string[];
  /** Repo created and template ready (they run concurrently). */
  foundationMs: number;
  /** Everything done. */
  totalMs: number;
  /** Per sandbox: create call → mount served. */
  sandboxMs: number[];
}

/** The loaded SDKs (loaded by the caller, so their loading time can be measured apart). */
export interface Sdks {
  mesa: MesaSdk;
  superserve: typeof SuperserveSdk;
}

const MOUNT_TIMEOUT_SECONDS = 120;

/** Build the environment with the SDKs directly. Throws on the first failure (nothing is rolled back). */
export async function buildDirectly(
  sdks: Sdks,
  targets: DirectTargets,
  spec: DirectSpec,
): Promise<DirectResult> {
  const started = performance.now();
  const mesa: Mesa = new sdks.mesa.Mesa({
    apiKey: targets.mesa.apiKey,
    apiUrl: targets.mesa.url,
    org: targets.mesa.org,
  });
  const conn = { apiKey: targets.superserve.apiKey, baseUrl: targets.superserve.url };
  const { Sandbox, Template } = sdks.superserve;
  const repoName = `${spec.name}-repo`;
  const templateName = `${spec.name}-template`;

  const [base, template] = await Promise.all([
    (async () => {
      const repo = await mesa.repos.create({ name: repoName, default_bookmark: "main" });
      return mesa.bookmarks.get({ repo: repo.name, bookmark: repo.default_bookmark });
    })(),
    (async () => {
      const t = await Template.create({
        ...conn,
        name: templateName,
        from: spec.template.from,
        steps: spec.template.steps,
      });
      await t.waitUntilReady({ pollIntervalMs: spec.templatePollMs });
      return t;
    })(),
  ]);
  const foundationMs = performance.now() - started;

  const repoDir = mountPath(targets.mesa.org, repoName);
  const mountAndWait =
    `mesa mount -d -y && end=$(( $(date +%s) + ${MOUNT_TIMEOUT_SECONDS} )); ` +
    `until [ -d ${shellQuote(repoDir)} ]; do [ "$(date +%s)" -lt "$end" ] || { echo "mount not served" >&2; exit 124; }; sleep 0.2; done`;

  const one = async (i: number): Promise<{ id: string; bookmark: string; ms: number }> => {
    const t0 = performance.now();
    const bookmark = `agents/${spec.name}-sandbox-${i}`;
    const [token, , sandbox] = await Promise.all([
      mesa.tokens.create({
        scopes: ["read", "write"],
        repos: [`${targets.mesa.org}/${repoName}`],
        ttl_seconds: 3600,
      }),
      mesa.bookmarks.create({ repo: repoName, name: bookmark, change_id: base.change_id }),
      Sandbox.create({
        ...conn,
        name: `${spec.name}-sandbox-${i}`,
        fromTemplate: template,
        metadata: spec.metadata,
      }),
    ]);
    const result = await sandbox.commands.run(mountAndWait, {
      env: {
        MESA_ORG: targets.mesa.org,
        MESA_API_KEY: token.token,
        MESA_REPO_REVS: `${targets.mesa.org}/${repoName}=bookmark:${bookmark}`,
      },
      timeoutMs: (MOUNT_TIMEOUT_SECONDS + 30) * 1000,
    });
    if (result.exitCode !== 0) {
      throw new Error(
        `sandbox ${sandbox.id}: mount failed with exit code ${result.exitCode}: ${result.stderr.trim().split("\n").slice(-5).join(" | ")}`,
      );
    }
    return { id: sandbox.id, bookmark, ms: performance.now() - t0 };
  };
  const sandboxes = await Promise.all(Array.from({ length: spec.count }, (_, i) => one(i)));
  return {
    repo: repoName,
    template: template.name,
    sandboxIds: sandboxes.map((s) => s.id),
    bookmarks: sandboxes.map((s) => s.bookmark),
    foundationMs,
    totalMs: performance.now() - started,
    sandboxMs: sandboxes.map((s) => s.ms),
  };
}

/** Remove what {@link buildDirectly} made: sandboxes tagged with `metadata`, the template, the repo. */
export async function removeDirectly(
  sdks: Sdks,
  targets: DirectTargets,
  spec: Pick<DirectSpec, "name" | "metadata">,
): Promise<void> {
  const conn = { apiKey: targets.superserve.apiKey, baseUrl: targets.superserve.url };
  const { Sandbox, Template } = sdks.superserve;
  const tagged = await Sandbox.list({ ...conn, metadata: spec.metadata });
  await Promise.all(tagged.map((s) => Sandbox.killById(s.id, conn).catch(() => undefined)));
  await Template.deleteById(`${spec.name}-template`, conn).catch(() => undefined);
  const mesa: Mesa = new sdks.mesa.Mesa({
    apiKey: targets.mesa.apiKey,
    apiUrl: targets.mesa.url,
    org: targets.mesa.org,
  });
  await mesa.repos.delete({ repo: `${spec.name}-repo` }).catch(() => undefined);
}
