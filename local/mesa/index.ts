import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { systemClock, type Clock } from "../shared/clock";
import { openDataDir } from "../shared/data-dir";
import { FaultInjector } from "../shared/faults";
import { KeyedLock } from "../shared/keyed-lock";
import { listenHttp } from "../shared/http-server";
import { Authenticator, hashApiKey } from "./auth";
import { ensureLocalOrg } from "./bootstrap";
import { mesaErrors } from "./errors";
import { randomIds, type IdGenerator } from "./ids";
import { RepoStorage } from "./repo-storage";
import { API_PREFIX, createMesaHandler } from "./server";
import { SqliteMetadataStore } from "./sqlite-store";
import { timerScheduler, WebhookDeliveries, type DeliveryScheduler } from "./webhooks/delivery";

export { VIRTUAL_ROOT_CHANGE_ID, type IdGenerator } from "./ids";
export { MAX_DELIVERY_ATTEMPTS, retryDelayMs, type DeliveryScheduler } from "./webhooks/delivery";

/** Options of {@link startLocalMesa}. */
export interface LocalMesaOptions {
  /** Where state is kept; a temp dir removed on stop when unset. */
  dataDir?: string;
  /** TCP port; 0 (default) picks a free one. */
  port?: number;
  /** Interface to bind. @default "127.0.0.1" */
  host?: string;
  /** Clock used for timestamps and token expiry. @default the system clock */
  clock?: Clock;
  /** Id generators (change ids, key ids, raw keys). @default random */
  ids?: IdGenerator;
  /** Largest accepted JSON body in bytes. @default 32 MiB */
  maxBodyBytes?: number;
  /** Waits used by latency faults. @default a timer */
  sleep?: (ms: number) => Promise<void>;
  /** Schedules webhook retries (inject one to drive retries without waiting). @default real timers */
  webhookScheduler?: DeliveryScheduler;
}

/** A running local Mesa backend. */
export interface LocalMesa {
  /** API base including `/v1`, e.g. `http://127.0.0.1:PORT/v1`; pass as `new Mesa({ apiUrl })`. */
  url: string;
  /** `http://host:port`; the fault admin endpoint is `${origin}/_local/faults`. */
  origin: string;
  /** The organization created on first start (`local`). */
  org: string;
  /** The admin API key (scopes read, write, admin). */
  apiKey: string;
  /** Absolute data directory. */
  dataDir: string;
  /** Stops the server and closes the store; removes a temp data dir. */
  stop(): Promise<void>;
}

/**
 * Starts the local Mesa REST API (`/v1`) over git storage in this process.
 *
 * @example
 * const mesa = await startLocalMesa({ port: 0 });
 * const client = new Mesa({ apiKey: mesa.apiKey, apiUrl: mesa.url, org: mesa.org });
 */
export async function startLocalMesa(opts: LocalMesaOptions = {}): Promise<LocalMesa> {
  const clock = opts.clock ?? systemClock;
  const ids = opts.ids ?? randomIds();
  const dir = await openDataDir("mesa", opts.dataDir);
  const reposDir = join(dir.path, "repos");
  await mkdir(reposDir, { recursive: true });
  const store = new SqliteMetadataStore(join(dir.path, "mesa.sqlite"));
  try {
    const { org, apiKey } = await ensureLocalOrg(dir.path, { store, ids, clock });
    const adminHash = hashApiKey(apiKey);
    const jose = await import("jose");
    // The origin is known once listening; envelopes are only built after that.
    let origin = "";
    const webhooks = new WebhookDeliveries({
      store,
      ids,
      clock,
      scheduler: opts.webhookScheduler ?? timerScheduler,
      repoUrl: (orgSlug, repo) => `${origin}${API_PREFIX}/${orgSlug}/${repo}`,
    });
    const services = {
      store,
      storage: new RepoStorage(reposDir, store),
      ids,
      clock,
      repoLocks: new KeyedLock(),
      webhooks,
    };
    const auth = new Authenticator({ store, jose, clock });
    const faults = new FaultInjector({
      envelope: (status, message) => mesaErrors.forStatus(status, message).body(ids.uuid()),
      isAdmin: (req) => {
        const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? "");
        return m !== null && hashApiKey(m[1]) === adminHash;
      },
      newId: () => ids.id("fault"),
      ...(opts.sleep && { sleep: opts.sleep }),
    });
    const handler = createMesaHandler({
      services,
      auth,
      faults,
      maxBodyBytes: opts.maxBodyBytes ?? 32 * 1024 * 1024,
    });
    const listener = await listenHttp(handler, {
      host: opts.host ?? "127.0.0.1",
      port: opts.port ?? 0,
    });
    origin = listener.origin;
    webhooks.resume();
    return {
      url: listener.origin + API_PREFIX,
      origin: listener.origin,
      org: org.slug,
      apiKey,
      dataDir: dir.path,
      stop: async () => {
        await listener.close();
        await webhooks.stop();
        store.close();
        await dir.close();
      },
    };
  } catch (err) {
    store.close();
    await dir.close();
    throw err;
  }
}
