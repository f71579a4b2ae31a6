import { createHash, timingSafeEqual } from "node:crypto";
import { mkdirSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { join } from "node:path";
import { FaultInjector, listenHttp, openDataDir, readJsonBody, RequestBodyError, RouteTable, sendJson, splitUrl } from "../shared";
import { loadOrCreateApiKey } from "./api-key";
import { BuildLogs } from "./builds/build-log";
import { TemplateBuilder } from "./builds/builder";
import { systemClock, type Clock } from "./clock";
import type { Handler, Plane, RequestContext, Services } from "./context";
import { authenticateSandbox, sandboxIdFromHost } from "./data/authenticate";
import { ExecConnect } from "./data/exec-connect";
import { ApiError, envelopeFor, errors } from "./errors";
import { randomIds, type IdGenerator } from "./ids";
import { OPERATIONS } from "./operations";
import { registerBuiltInTemplates } from "./builtin-templates";
import { defaultImageCacheDir, ensureImages } from "./images/image-cache";
import { IMAGE_RECIPES } from "./images/recipes";
import { BwrapRuntime } from "./runtime/bwrap-runtime";
import { sandboxCgroups } from "./runtime/cgroups";
import { prepareSandboxNode } from "./runtime/sandbox-node";
import { SandboxManager } from "./sandboxes";
import { SqliteStore } from "./store/sqlite-store";

/** Options of {@link startLocalSuperserve}. */
export interface LocalSuperserveOptions {
  /** State directory; a temp dir removed on stop when unset. */
  dataDir?: string;
  /** Port to listen on; 0 (default) picks a free one. */
  port?: number;
  /** Interface to listen on. @default "127.0.0.1" */
  host?: string;
  /** Host directory mounted read-only at /opt/superserve-local/bin in every sandbox and put first on PATH. */
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
}

/** A running local Superserve. */
export interface LocalSuperserve {
  /** Control-plane base URL, no trailing slash; pass as the SDK's `baseUrl`. */
  url: string;
  /** The API key (`X-API-Key`). */
  apiKey: string;
  /** The data directory in use. */
  dataDir: string;
  /**
   * Stops serving. By default ends every sandbox's processes (disks stay, sandboxes come back
   * paused); with `keepSandboxes` (live restore, needs a `dataDir`) freezes them with their
   * processes for the next start on the same data dir to take back.
   */
  stop(opts?: { keepSandboxes?: boolean }): Promise<void>;
}

const MAX_JSON_BYTES = 1024 * 1024;

interface Route {
  plane: Plane;
  handler: Handler;
}

/** Starts the local Superserve (control plane and data plane on one port). Needs root. */
export async function startLocalSuperserve(opts: LocalSuperserveOptions = {}): Promise<LocalSuperserve> {
  if (process.getuid?.() !== 0) throw new Error("the local Superserve needs root (namespaces, overlayfs, cgroups); run it as root");
  const dir = await openDataDir("superserve", opts.dataDir);
  if (/[,:]/.test(dir.path)) throw new Error(`dataDir ${dir.path} must not contain ',' or ':' (overlayfs option syntax)`);
  const clock = opts.clock ?? systemClock;
  const ids = opts.ids ?? randomIds;
  const apiKey = loadOrCreateApiKey(dir.path);
  const layersDir = join(dir.path, "layers");
  const logsDir = join(dir.path, "build-logs");
  for (const d of [layersDir, logsDir]) mkdirSync(d, { recursive: true });

  const imageCache = opts.imageCache ?? defaultImageCacheDir();
  const images = await ensureImages(IMAGE_RECIPES, { cacheDir: imageCache, log: (line) => console.error(`local Superserve: ${line}`) });
  const instance = createHash("sha256").update(dir.path).digest("hex").slice(0, 12);
  const runtime = new BwrapRuntime({
    disksDir: join(dir.path, "disks"),
    cgroups: sandboxCgroups(instance),
    ...(opts.sandboxTools && { toolsDir: opts.sandboxTools }),
    nodeRuntimeDir: await prepareSandboxNode(join(imageCache, "node-runtime")),
    killGraceMs: opts.killGraceMs ?? 10_000,
  });
  const store = new SqliteStore(join(dir.path, "superserve.sqlite"));
  const adopted = await runtime.adopt(new Set(store.listSandboxes().map((s) => s.id)));
  const logs = new BuildLogs(logsDir, clock);
  registerBuiltInTemplates({ store, ids, clock, layersDir, images });
  const sandboxes = new SandboxManager({ store, runtime, clock, ids, layersDir });
  const builder = new TemplateBuilder({ store, runtime, clock, ids, logs, layersDir, images });
  builder.recover();
  await sandboxes.recover(adopted);
  const services: Services = { store, sandboxes, builder, logs, runtime, clock, ids, layersDir };

  const routes = new RouteTable<Route>();
  for (const [method, path, plane, handler] of OPERATIONS) routes.add(method, path, { plane, handler });
  const keyMatches = (given: string | undefined) => {
    if (!given) return false;
    const a = Buffer.from(given);
    const b = Buffer.from(apiKey);
    return a.length === b.length && timingSafeEqual(a, b);
  };
  const faults = new FaultInjector({
    envelope: envelopeFor,
    isAdmin: (req) => keyMatches(req.headers.authorization?.replace(/^Bearer\s+/i, "")) || keyMatches(header(req, "x-api-key")),
  });

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const { rawPath, query } = splitUrl(req.url);
    if (await faults.intercept(req, res, rawPath)) return;
    try {
      const match = routes.match(req.method ?? "GET", rawPath);
      if (!match) {
        req.resume();
        const allowed = routes.allowedMethods(rawPath);
        throw allowed.length
          ? new ApiError(405, "method_not_allowed", `${req.method} is not supported on ${rawPath}; use ${allowed.join(" or ")}`)
          : errors.notFound("route", `${req.method} ${rawPath}`);
      }
      const ctx: RequestContext = {
        req,
        res,
        params: match.params,
        query,
        services,
        json: async () => {
          try {
            return await readJsonBody(req, MAX_JSON_BYTES);
          } catch (err) {
            if (err instanceof RequestBodyError) throw err.status === 413 ? errors.tooLarge(err.message) : errors.badRequest(err.message);
            throw err;
          }
        },
        sandbox: undefined as never,
      };
      if (match.route.plane === "control") {
        if (!keyMatches(header(req, "x-api-key"))) throw errors.missingApiKey();
      } else {
        ctx.sandbox = authenticateDataPlane(req, services);
      }
      if (match.route.plane === "data") sandboxes.begin(ctx.sandbox.id);
      try {
        const reply = await match.route.handler(ctx);
        if (reply) {
          if (reply.body === undefined) {
            res.writeHead(reply.status);
            res.end();
          } else sendJson(res, reply.status, reply.body);
        }
      } finally {
        if (match.route.plane === "data") sandboxes.end(ctx.sandbox.id);
      }
    } catch (err) {
      const apiErr = err instanceof ApiError ? err : errors.internal((err as Error).message);
      if (res.headersSent) {
        res.destroy();
        return;
      }
      req.resume();
      sendJson(res, apiErr.status, apiErr.body(), apiErr.headers);
    }
  };

  const execConnect = new ExecConnect(services);
  const listener = await listenHttp(handle, {
    host: opts.host ?? "127.0.0.1",
    port: opts.port ?? 0,
    onUpgrade: (req, socket, head) => execConnect.upgrade(req, socket, head),
  });
  let stopped = false;
  return {
    url: listener.origin,
    apiKey,
    dataDir: dir.path,
    stop: async (stopOpts = {}) => {
      if (stopped) return;
      if (stopOpts.keepSandboxes && !opts.dataDir) throw new Error("stop({ keepSandboxes: true }) needs a dataDir: a temp data dir is removed on stop");
      stopped = true;
      execConnect.closeAll();
      await listener.close();
      await sandboxes.shutdown({ keepSandboxes: stopOpts.keepSandboxes ?? false });
      store.close();
      await dir.close();
    },
  };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Sandbox id + access token headers → the sandbox; 404 unknown, 401 stale token, 503 paused. */
function authenticateDataPlane(req: IncomingMessage, services: Services) {
  const id = header(req, "x-superserve-sandbox-id") ?? sandboxIdFromHost(header(req, "x-superserve-original-host"));
  if (!id) throw errors.badRequest("missing X-Superserve-Sandbox-Id: send the sandbox id with every data-plane request");
  return authenticateSandbox(services, id, header(req, "x-access-token") ?? "");
}
