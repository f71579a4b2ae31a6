import type { Clock } from "../../shared/clock";
import type { IdGenerator } from "../ids";
import type { MetadataStore, WebhookDeliveryRecord, WebhookTargetRecord } from "../store";
import type { WebhookEvent } from "./events";
import { SIGNATURE_HEADER, signatureHeader } from "./signature";

/** Runs `fn` after `ms`; the seam through which tests drive retries without waiting. */
export interface DeliveryScheduler {
  after(ms: number, fn: () => void): { cancel(): void };
}

/** Real timers that do not keep the process alive. */
export const timerScheduler: DeliveryScheduler = {
  after(ms, fn) {
    const timer = setTimeout(fn, ms);
    timer.unref();
    return { cancel: () => clearTimeout(timer) };
  },
};

/** Attempts per delivery, the first included. */
export const MAX_DELIVERY_ATTEMPTS = 6;
/** Wait before retry n (n ≥ 1): 1 s, 2 s, 4 s, … at most 60 s. */
export const retryDelayMs = (attempt: number) => Math.min(60_000, 1000 * 2 ** (attempt - 1));
/** A receiver that has not answered after this long counts as a failed attempt. */
export const DELIVERY_TIMEOUT_MS = 10_000;

export interface WebhookDeliveryDeps {
  store: MetadataStore;
  ids: IdGenerator;
  clock: Clock;
  scheduler: DeliveryScheduler;
  /** `url` of the `repository` in every envelope. */
  repoUrl: (org: string, repo: string) => string;
}

/**
 * Webhook events: each emitted event is stored as one delivery per subscribed target (so it
 * survives a restart), POSTed at once with its signature, and retried with exponential backoff
 * until a 2xx or {@link MAX_DELIVERY_ATTEMPTS} attempts.
 */
export class WebhookDeliveries {
  private readonly timers = new Map<string, { cancel(): void }>();
  private readonly inFlight = new Set<Promise<void>>();
  private stopped = false;

  constructor(private readonly deps: WebhookDeliveryDeps) {}

  /** Resumes the deliveries a previous run left pending, each when it is due. */
  resume(): void {
    const now = this.deps.clock.now();
    for (const d of this.deps.store.pendingWebhookDeliveries()) {
      this.schedule(d.id, Math.max(0, Date.parse(d.nextAttemptAt ?? d.createdAt) - now));
    }
  }

  /** Records `event` for every target that subscribes to it, and starts delivering. */
  emit(event: WebhookEvent): void {
    const { store, ids, clock } = this.deps;
    const targets = store
      .listWebhookTargets(event.org.id, 0)
      .filter(
        (t) =>
          t.events.includes(event.type) &&
          (t.repoIds === null || t.repoIds.includes(event.repo.id)),
      );
    if (targets.length === 0) return;
    const at = new Date(clock.now()).toISOString();
    const body = JSON.stringify({
      id: ids.id("evt"),
      type: event.type,
      occurred_at: at,
      organization: { id: event.org.id, slug: event.org.slug, name: event.org.name },
      repository: {
        id: event.repo.id,
        name: event.repo.name,
        url: this.deps.repoUrl(event.org.slug, event.repo.name),
      },
      data: event.data,
    });
    for (const target of targets) {
      const delivery: WebhookDeliveryRecord = {
        id: ids.id("whd"),
        targetId: target.id,
        eventType: event.type,
        body,
        attempts: 0,
        status: "pending",
        nextAttemptAt: at,
        lastError: null,
        createdAt: at,
      };
      store.insertWebhookDelivery(delivery);
      this.track(this.attempt(delivery.id));
    }
  }

  /** Cancels the timers and waits for the attempts under way; pending deliveries resume on the next start. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers.values()) timer.cancel();
    this.timers.clear();
    await Promise.allSettled([...this.inFlight]);
  }

  private track(attempt: Promise<void>): void {
    this.inFlight.add(attempt);
    void attempt.finally(() => this.inFlight.delete(attempt));
  }

  private schedule(id: string, ms: number): void {
    if (this.stopped) return;
    this.timers.set(
      id,
      this.deps.scheduler.after(ms, () => {
        this.timers.delete(id);
        this.track(this.attempt(id));
      }),
    );
  }

  private async attempt(id: string): Promise<void> {
    const { store, clock } = this.deps;
    const delivery = store.webhookDeliveryById(id);
    if (this.stopped || !delivery || delivery.status !== "pending") return;
    const target = store.webhookTargetById(delivery.targetId);
    if (!target) return;
    const error = await this.post(target, delivery.body);
    const attempts = delivery.attempts + 1;
    if (error === undefined) {
      store.updateWebhookDelivery({
        ...delivery,
        attempts,
        status: "delivered",
        nextAttemptAt: null,
        lastError: null,
      });
      return;
    }
    if (attempts >= MAX_DELIVERY_ATTEMPTS) {
      store.updateWebhookDelivery({
        ...delivery,
        attempts,
        status: "failed",
        nextAttemptAt: null,
        lastError: error,
      });
      return;
    }
    const delay = retryDelayMs(attempts);
    store.updateWebhookDelivery({
      ...delivery,
      attempts,
      nextAttemptAt: new Date(clock.now() + delay).toISOString(),
      lastError: error,
    });
    this.schedule(id, delay);
  }

  /** One POST; undefined on a 2xx answer, else why it failed. */
  private async post(target: WebhookTargetRecord, body: string): Promise<string | undefined> {
    try {
      const res = await fetch(target.url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "user-agent": "mesa-webhooks (local)",
          [SIGNATURE_HEADER]: signatureHeader(target.secret, body, new Date(this.deps.clock.now())),
        },
        body,
        redirect: "manual",
        signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
      });
      await res.arrayBuffer().catch(() => undefined);
      return res.ok ? undefined : `receiver answered ${res.status}`;
    } catch (err) {
      return `receiver unreachable: ${(err as Error).message}`;
    }
  }
}
