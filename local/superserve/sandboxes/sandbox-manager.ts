import { join } from "node:path";
import type { Clock, Timer } from "../../shared/clock";
import { KeyedLock } from "../../shared/keyed-lock";
import type { EgressLayer } from "../egress";
import { errors } from "../errors";
import type { IdGenerator } from "../store/ids";
import { BASE_SANDBOX_ENV } from "../runtime/sandbox-env";
import type { SandboxRuntime } from "../runtime/types";
import { withPlaceholders } from "./secret-bindings";
import { runStartCommands, StartFailure } from "./start-commands";
import type { SandboxRecord } from "../store/records";
import type { SuperserveStore } from "../store/store";

/** Validated input of `POST /sandboxes`. */
interface CreateSandboxInput {
  name: string;
  templateIdOrName: string;
  metadata: Record<string, string>;
  envVars: Record<string, string>;
  secrets: Record<string, string>;
  network: { allow_out: string[]; deny_out: string[] };
  timeoutSeconds?: number;
  autoDeleteSeconds?: number;
}

/** Validated input of `PATCH /sandboxes/{id}`; `null` clears. */
interface UpdateSandboxInput {
  metadata?: Record<string, string>;
  network?: { allow_out?: string[]; deny_out?: string[] };
  timeoutSeconds?: number | null;
  autoDeleteSeconds?: number | null;
}

/** What running sandboxes needs; the template builder, which runs build sandboxes, needs it too. */
export interface SandboxDeps {
  store: SuperserveStore;
  runtime: SandboxRuntime;
  clock: Clock;
  ids: IdGenerator;
  /** Where template layers live. */
  layersDir: string;
  egress: EgressLayer;
}

/** Time `POST /sandboxes` may spend waiting for a template's ready_cmd (the SDK gives up at 30 s). */
const CREATE_READY_DEADLINE_MS = 20_000;

/**
 * The sandbox lifecycle: create, pause (freeze), resume (thaw, or boot again after a restart),
 * delete, idle auto-pause and auto-delete. One operation per sandbox at a time.
 */
export class SandboxManager {
  private readonly lock = new KeyedLock();
  private readonly timers = new Map<string, Timer>();
  private readonly lastActivity = new Map<string, number>();
  private readonly inFlight = new Map<string, number>();

  constructor(private readonly deps: SandboxDeps) {}

  /**
   * After a start: the sandboxes in `adopted` kept their processes across the restart (live
   * restore): the active ones are thawed, the paused ones stay frozen. Every other sandbox lost
   * its processes (a host reboot, `stop --all`) and is paused; resuming boots it again with its
   * files. The adopted ones get their egress back (the same socket path) before they thaw.
   * Arms the timers.
   */
  async recover(adopted: string[]): Promise<void> {
    const { store, clock, runtime, egress } = this.deps;
    const alive = new Set(adopted);
    for (const found of store.listSandboxes()) {
      const s = withPlaceholders(store, found);
      store.putSandbox(s);
      if (alive.has(s.id)) await egress.attach(s.id, s.network);
      if (alive.has(s.id) && s.status === "active") await runtime.thaw(s.id);
      else if (alive.has(s.id) && !(await runtime.isFrozen(s.id))) await runtime.freeze(s.id);
      else if (!alive.has(s.id) && s.status !== "paused")
        store.putSandbox({
          ...s,
          status: "paused",
          paused_at: new Date(clock.now()).toISOString(),
        });
      this.schedule(s.id);
    }
  }

  async create(input: CreateSandboxInput): Promise<SandboxRecord> {
    const { store, runtime, clock, ids } = this.deps;
    const template = store.getTemplate(input.templateIdOrName);
    if (!template) throw errors.notFound("template", input.templateIdOrName);
    if (template.status !== "ready" || !template.ready_build_id) {
      throw errors.conflict(
        "template_not_ready",
        `template ${template.name} is not ready (status ${template.status}); wait for its build (Template.waitUntilReady) and retry`,
      );
    }
    for (const [key, name] of Object.entries(input.secrets)) {
      if (!store.getSecret(name))
        throw errors.invalid(
          `secrets.${key}`,
          `secret ${JSON.stringify(name)} does not exist; create it first`,
        );
    }
    const id = ids.id("sbx");
    const record: SandboxRecord = withPlaceholders(store, {
      id,
      name: input.name,
      status: "active",
      template_id: template.id,
      build_id: template.ready_build_id,
      vcpu_count: template.vcpu,
      memory_mib: template.memory_mib,
      ...(input.timeoutSeconds !== undefined && { timeout_seconds: input.timeoutSeconds }),
      ...(input.autoDeleteSeconds !== undefined && {
        auto_delete_seconds: input.autoDeleteSeconds,
      }),
      network: input.network,
      metadata: input.metadata,
      env_vars: input.envVars,
      secrets: input.secrets,
      access_token: ids.accessToken(),
      created_at: new Date(clock.now()).toISOString(),
    });
    return this.lock.run(id, async () => {
      store.putSandbox(record);
      try {
        await this.bootAndStart(record, CREATE_READY_DEADLINE_MS);
      } catch (err) {
        await runtime.destroy(id);
        await this.deps.egress.detach(id);
        store.deleteSandbox(id);
        if (err instanceof StartFailure)
          throw errors.conflict(err.code, `sandbox did not start: ${err.message}`);
        throw err;
      }
      this.touch(id);
      return record;
    });
  }

  /** The sandbox or a 404. */
  get(id: string): SandboxRecord {
    const s = this.deps.store.getSandbox(id);
    if (!s) throw errors.notFound("sandbox", id);
    return s;
  }

  async pause(id: string): Promise<void> {
    await this.lock.run(id, async () => {
      const s = this.get(id);
      if (s.status === "paused") return;
      await this.deps.runtime.freeze(id);
      this.deps.store.putSandbox({
        ...s,
        status: "paused",
        paused_at: new Date(this.deps.clock.now()).toISOString(),
      });
      this.schedule(id);
    });
  }

  /** Resumes when paused (idempotent) and rotates the access token. */
  async activate(id: string): Promise<SandboxRecord> {
    return this.lock.run(id, async () => {
      const s = this.get(id);
      if (s.status === "paused" || !this.deps.runtime.isRunning(id)) {
        if (this.deps.runtime.isRunning(id)) await this.deps.runtime.thaw(id);
        else
          await this.bootAndStart(s, CREATE_READY_DEADLINE_MS).catch((err: unknown) => {
            if (!(err instanceof StartFailure)) throw err;
          });
      }
      const { paused_at: _paused, ...rest } = s;
      const next: SandboxRecord = {
        ...rest,
        status: "active",
        access_token: this.deps.ids.accessToken(),
      };
      this.deps.store.putSandbox(next);
      this.touch(id);
      return next;
    });
  }

  async update(id: string, patch: UpdateSandboxInput): Promise<void> {
    await this.lock.run(id, async () => {
      const s = { ...this.get(id) };
      if (patch.metadata) s.metadata = patch.metadata;
      if (patch.network) {
        if (s.status === "paused")
          throw errors.conflict(
            "sandbox_paused",
            "the network policy of a paused sandbox cannot change; resume it first",
          );
        s.network = {
          allow_out: patch.network.allow_out ?? s.network.allow_out,
          deny_out: patch.network.deny_out ?? s.network.deny_out,
        };
      }
      if (patch.timeoutSeconds !== undefined) {
        if (patch.timeoutSeconds === null) delete s.timeout_seconds;
        else s.timeout_seconds = patch.timeoutSeconds;
      }
      if (patch.autoDeleteSeconds !== undefined) {
        if (patch.autoDeleteSeconds === null) delete s.auto_delete_seconds;
        else s.auto_delete_seconds = patch.autoDeleteSeconds;
      }
      this.deps.store.putSandbox(s);
      if (patch.network) this.deps.egress.update(id, s.network);
      this.schedule(id);
    });
  }

  /** Ends every process (SIGTERM, grace, SIGKILL), frees the disk and forgets the sandbox. */
  async remove(id: string): Promise<void> {
    await this.lock.run(id, async () => {
      this.get(id);
      this.timers.get(id)?.cancel();
      this.timers.delete(id);
      await this.deps.runtime.destroy(id);
      await this.deps.egress.detach(id);
      this.deps.store.deleteSandbox(id);
    });
  }

  /**
   * The environment of a command: base, template `env` steps, `env_vars`, secrets, then `extra`.
   * A secret's variable holds its placeholder; the real value never enters the sandbox (the
   * egress layer swaps it in toward the secret's hosts).
   */
  commandEnv(s: SandboxRecord, extra: Record<string, string> = {}): Record<string, string> {
    const build = this.deps.store.getBuild(s.build_id);
    const secrets = Object.fromEntries(
      Object.keys(s.secrets).map((key) => [key, s.secret_placeholders?.[key] ?? ""]),
    );
    return {
      ...BASE_SANDBOX_ENV,
      HOSTNAME: s.id,
      USER: "root",
      ...build?.env,
      ...s.env_vars,
      ...secrets,
      ...extra,
    };
  }

  /** Marks the start of data-plane work (the idle timer does not fire meanwhile). */
  begin(id: string): void {
    this.inFlight.set(id, (this.inFlight.get(id) ?? 0) + 1);
    this.touch(id);
  }

  /** Marks the end of data-plane work. */
  end(id: string): void {
    this.inFlight.set(id, Math.max(0, (this.inFlight.get(id) ?? 1) - 1));
    this.touch(id);
  }

  /**
   * Stops the timers, then either lets go of the sandboxes frozen with their processes, for the
   * next start to adopt (`keepSandboxes`), or ends their processes (disks stay; they come back paused).
   */
  async shutdown(opts: { keepSandboxes: boolean }): Promise<void> {
    for (const t of this.timers.values()) t.cancel();
    this.timers.clear();
    if (opts.keepSandboxes) await this.deps.runtime.detach();
    else await this.deps.runtime.close();
  }

  private touch(id: string): void {
    this.lastActivity.set(id, this.deps.clock.now());
    this.schedule(id);
  }

  private async bootAndStart(s: SandboxRecord, deadlineMs: number): Promise<void> {
    const { runtime, store, layersDir } = this.deps;
    const template = store.getTemplate(s.template_id);
    const image = store.getBuild(s.build_id)?.image;
    if (!image || !template) {
      throw errors.conflict(
        "template_outdated",
        `template ${template?.name ?? s.template_id} was built before the local Superserve had images; rebuild it and create the sandbox again`,
      );
    }
    const limits = { vcpu: s.vcpu_count, memoryMib: s.memory_mib, diskMib: template.disk_mib };
    const egress = await this.deps.egress.attach(s.id, s.network);
    await runtime.boot({ id: s.id, image, layers: [join(layersDir, s.build_id)], limits, egress });
    if (template?.build_spec.start_cmd || template?.build_spec.ready_cmd) {
      await runStartCommands(runtime, s.id, this.commandEnv(s), template.build_spec, deadlineMs);
    }
  }

  /** Arms the one timer a sandbox needs: idle auto-pause when active, auto-delete when paused. */
  private schedule(id: string): void {
    const { clock, store } = this.deps;
    this.timers.get(id)?.cancel();
    this.timers.delete(id);
    const s = store.getSandbox(id);
    if (!s) return;
    if (s.status === "active" && s.timeout_seconds) {
      const idleSince = this.lastActivity.get(id) ?? clock.now();
      const wait = idleSince + s.timeout_seconds * 1000 - clock.now();
      this.timers.set(
        id,
        clock.setTimer(Math.max(0, wait), () => {
          if ((this.inFlight.get(id) ?? 0) > 0) return this.touch(id);
          void this.pause(id).catch(() => undefined);
        }),
      );
    } else if (s.status === "paused" && s.auto_delete_seconds !== undefined && s.paused_at) {
      const wait = Date.parse(s.paused_at) + s.auto_delete_seconds * 1000 - clock.now();
      this.timers.set(
        id,
        clock.setTimer(Math.max(0, wait), () => void this.remove(id).catch(() => undefined)),
      );
    }
  }
}
