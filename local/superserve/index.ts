/**
 * The local Superserve: control plane and data plane of Superserve over Linux-namespace
 * sandboxes on this machine, for the unmodified `@superserve/sdk`. See README.md.
 */
import { createHash } from "node:crypto";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { openDataDir } from "../shared/data-dir";
import { FaultInjector } from "../shared/faults";
import { listenHttp } from "../shared/http-server";
import { loadOrCreateApiKey } from "./store/api-key";
import { AccessTokenAuthenticator, ApiKeyAuthenticator } from "./auth";
import { BuildLogs } from "./templates/build-log";
import { TemplateBuilder } from "./templates/builder";
import { systemClock, type Clock } from "../shared/clock";
import type { Services } from "./handlers/context";
import { ExecConnect } from "./handlers/data/exec-connect";
import { EgressLayer } from "./egress";
import { envelopeFor } from "./errors";
import { randomIds, type IdGenerator } from "./store/ids";
import { registerBuiltInTemplates } from "./templates/builtin-templates";
import { defaultImageCacheDir, ensureImages } from "./images/image-cache";
import { IMAGE_RECIPES } from "./images/recipes";
import { BwrapRuntime } from "./runtime/bwrap-runtime";
import { sandboxCgroups } from "./runtime/cgroups";
import { prepareSandboxNode } from "./runtime/sandbox-node";
import { SandboxManager } from "./sandboxes/sandbox-manager";
import { boundSecrets } from "./sandboxes/secret-bindings";
import { createSuperserveHandler } from "./server";
import { SqliteStore } from "./store/sqlite-store";

export { ManualClock, systemClock, type Clock, type Timer } from "../shared/clock";
export { ApiError, errors } from "./errors";

/** Options of {@link startLocalSuperserve}. */
export interface LocalSuperserveOptions {
  /** State directory; a temp dir removed on stop when unset. */
  dataDir?: string;
  /** Port to listen on; 0 (default) picks a free one. */
  port?: number;
  /** Interface to listen on. @default "127.0.0.1" */
  host?: string;
  /** Host directory mounted read-only at /opt/superserve-local/bin in every sandbox, last on PATH. */
  sandboxTools?: string;
  /**
   * Where the sandbox images (and the tools' Node.js runtime) are cached, shared by every data dir.
   * @default `$PSM_IMAGE_CACHE`, else `~/.cache/pulumi-superserve-mesa/images`
   */
  imageCache?: string;
  /** Milliseconds between SIGTERM and SIGKILL when a sandbox is deleted or stopped. @default 10000 */
  killGraceMs?: number;
  /** Time source for idle auto-pause and auto-delete. @default the system clock */
  clock?: Clock;
  /** Id and token generator. @default random */
  ids?: IdGenerator;
  /**
   * Base URL of the local Mesa REST API (`LocalMesa.url`). Sandboxes reach it under the Mesa
   * CLI's default hosts (`https://api.mesa.dev/v1`, `vcs.mesa.dev`) through the egress layer.
   * Unset: those hosts answer 502 inside sandboxes.
   */
  mesaUrl?: string;
  /**
   * Test upstreams: host names a sandbox reaches on loopback servers of this machine, e.g.
   * `{ "api.example.test": "http://127.0.0.1:8080" }`. Inside a sandbox `https://api.example.test/…`
   * is served by that server (TLS with the local CA), under the sandbox's network rules and
   * with its secrets for that host swapped in. Only these (and `mesaUrl`) may target loopback.
   */
  upstreams?: Record<string, string>;
}

/** A running local Superserve. */
export interface LocalSuperserve {
  /** Control-plane base URL, no trailing slash; pass as the SDK's `baseUrl`. */
  url: string;
  /** The API key (`X-API-Key`). */
  apiKey: string;
  /** The data directory in use. */
  dataDir: string;
  /** The local CA certificate (PEM) that sandboxes trust for the hosts the egress layer serves. */
  caCertFile: string;
  /**
   * Stops serving. By default ends every sandbox's processes (disks stay, sandboxes come back
   * paused); with `keepSandboxes` (live restore, needs a `dataDir`) freezes them with their
   * processes for the next start on the same data dir to take back.
   */
  stop(opts?: { keepSandboxes?: boolean }): Promise<void>;
}

/** Starts the local Superserve (control plane and data plane on one port). Needs root. */
export async function startLocalSuperserve(
  opts: LocalSuperserveOptions = {},
): Promise<LocalSuperserve> {
  if (process.getuid?.() !== 0)
    throw new Error(
      "the local Superserve needs root (namespaces, overlayfs, cgroups); run it as root",
    );
  const dir = await openDataDir("superserve", opts.dataDir);
  if (/[,:]/.test(dir.path))
    throw new Error(`dataDir ${dir.path} must not contain ',' or ':' (overlayfs option syntax)`);
  const clock = opts.clock ?? systemClock;
  const ids = opts.ids ?? randomIds;
  const apiKey = loadOrCreateApiKey(dir.path);
  const layersDir = join(dir.path, "layers");
  const logsDir = join(dir.path, "build-logs");
  for (const d of [layersDir, logsDir]) mkdirSync(d, { recursive: true });

  const imageCache = opts.imageCache ?? defaultImageCacheDir();
  const images = await ensureImages(IMAGE_RECIPES, {
    cacheDir: imageCache,
    log: (line) => console.error(`local Superserve: ${line}`),
  });
  const instance = createHash("sha256").update(dir.path).digest("hex").slice(0, 12);
  const runtime = new BwrapRuntime({
    disksDir: join(dir.path, "disks"),
    trustLayersDir: join(dir.path, "trust-layers"),
    cgroups: sandboxCgroups(instance),
    ...(opts.sandboxTools && { toolsDir: opts.sandboxTools }),
    nodeRuntimeDir: await prepareSandboxNode(join(imageCache, "node-runtime")),
    killGraceMs: opts.killGraceMs ?? 10_000,
  });
  const store = new SqliteStore(join(dir.path, "superserve.sqlite"));
  const egress = await EgressLayer.open({
    stateDir: join(dir.path, "egress"),
    store,
    secrets: (id) => boundSecrets(store, id),
    clock,
    ...(opts.mesaUrl !== undefined && { mesaUrl: opts.mesaUrl }),
    ...(opts.upstreams && { upstreams: opts.upstreams }),
  });
  const adopted = await runtime.adopt(new Set(store.listSandboxes().map((s) => s.id)));
  const logs = new BuildLogs(logsDir, clock);
  registerBuiltInTemplates({ store, ids, clock, layersDir, images });
  const sandboxDeps = { store, runtime, clock, ids, layersDir, egress };
  const sandboxes = new SandboxManager(sandboxDeps);
  const builder = new TemplateBuilder({ ...sandboxDeps, logs, images });
  builder.recover();
  await sandboxes.recover(adopted);
  const services: Services = { store, sandboxes, builder, logs, runtime, clock, ids, layersDir };

  const apiKeys = new ApiKeyAuthenticator(apiKey);
  const execConnect = new ExecConnect(services);
  const { request, upgrade } = createSuperserveHandler({
    services,
    apiKeys,
    accessTokens: new AccessTokenAuthenticator({ store, runtime }),
    faults: new FaultInjector({ envelope: envelopeFor, isAdmin: (req) => apiKeys.isAdmin(req) }),
    execConnect,
  });
  const listener = await listenHttp(request, {
    host: opts.host ?? "127.0.0.1",
    port: opts.port ?? 0,
    onUpgrade: upgrade,
  });
  let stopped = false;
  return {
    url: listener.origin,
    apiKey,
    dataDir: dir.path,
    caCertFile: egress.caCertFile,
    stop: async (stopOpts = {}) => {
      if (stopped) return;
      if (stopOpts.keepSandboxes && !opts.dataDir)
        throw new Error(
          "stop({ keepSandboxes: true }) needs a dataDir: a temp data dir is removed on stop",
        );
      stopped = true;
      execConnect.closeAll();
      await listener.close();
      await sandboxes.shutdown({ keepSandboxes: stopOpts.keepSandboxes ?? false });
      await egress.close();
      store.close();
      await dir.close();
    },
  };
}
