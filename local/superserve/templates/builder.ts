import { createHash } from "node:crypto";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { ALLOW_ALL } from "../egress";
import { shellQuote } from "../../shared/shell-quote";
import type { ImageSet } from "../images/image-cache";
import { fromLogLine, resolveFrom } from "../images/from-reference";
import { BASE_SANDBOX_ENV, SANDBOX_HOME } from "../runtime/sandbox-env";
import type { SandboxDeps } from "../sandboxes/sandbox-manager";
import { runStartCommands, StartFailure } from "../sandboxes/start-commands";
import type { BuildRecord, BuildSpec, TemplateRecord } from "../store/records";
import type { BuildLogs } from "./build-log";

/** How long a build waits for `ready_cmd` before failing with `ready_cmd_failed`. */
const BUILD_READY_DEADLINE_MS = 60_000;

/** Lines of output appended to a failed build's `error_message`. */
const ERROR_TAIL_LINES = 20;

/** Identical specs hash identically: keys sorted, nothing else included. */
export function buildSpecHash(spec: BuildSpec): string {
  const canonical = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(canonical)
      : v && typeof v === "object"
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
          )
        : v;
  return createHash("sha256")
    .update(JSON.stringify(canonical(spec)))
    .digest("hex");
}

class BuildFailure extends Error {}

/**
 * Runs template builds: a build sandbox on the image `from` resolves to (in its own network
 * namespace, egress allowed everywhere public, no secrets, with the template's limits), the steps
 * in order, start/ready commands checked, then its writable layer becomes the template's layer.
 */
export class TemplateBuilder {
  private readonly running = new Map<string, AbortController>();

  constructor(private readonly deps: SandboxDeps & { logs: BuildLogs; images: ImageSet }) {}

  /** Fails builds a previous run left unfinished. */
  recover(): void {
    const { store } = this.deps;
    for (const t of store.listTemplates()) {
      for (const b of store.listBuilds(t.id)) {
        if (b.status === "pending" || b.status === "building" || b.status === "snapshotting") {
          this.fail(
            b.id,
            "build_failed: interrupted because the local Superserve stopped; rebuild the template",
          );
        }
      }
    }
  }

  /** Records a new pending build of `template` and starts it; an in-flight build of the same spec is returned instead. */
  start(template: TemplateRecord): { build: BuildRecord; created: boolean } {
    const { store, clock, ids } = this.deps;
    const hash = buildSpecHash(template.build_spec);
    const inFlight = store
      .listBuilds(template.id)
      .find((b) => b.build_spec_hash === hash && this.running.has(b.id));
    if (inFlight) return { build: inFlight, created: false };
    const build: BuildRecord = {
      id: ids.id("bld"),
      template_id: template.id,
      status: "pending",
      build_spec: template.build_spec,
      build_spec_hash: hash,
      created_at: new Date(clock.now()).toISOString(),
      env: {},
    };
    store.transaction(() => {
      store.putBuild(build);
      store.putTemplate({
        ...store.getTemplate(template.id)!,
        latest_build_id: build.id,
        status: "building",
      });
    });
    const abort = new AbortController();
    this.running.set(build.id, abort);
    void this.run(build, abort.signal).finally(() => this.running.delete(build.id));
    return { build, created: true };
  }

  /** Cancels an in-flight build (a no-op for finished ones). */
  async cancel(buildId: string): Promise<void> {
    const abort = this.running.get(buildId);
    if (!abort) return;
    abort.abort();
    await this.deps.runtime.destroy(buildId);
  }

  private async run(build: BuildRecord, signal: AbortSignal): Promise<void> {
    const { store, runtime, logs, clock } = this.deps;
    const log = (text: string) =>
      logs.write(build.id, "system", text.endsWith("\n") ? text : `${text}\n`);
    const spec = build.build_spec;
    const env: Record<string, string> = {};
    try {
      const resolved = resolveFrom(spec.from);
      const image = this.deps.images.get(resolved.recipe.name)!.rootfs;
      store.putBuild({
        ...build,
        status: "building",
        image,
        started_at: new Date(clock.now()).toISOString(),
      });
      log(fromLogLine(spec.from, resolved));
      const t = store.getTemplate(build.template_id)!;
      await runtime.boot({
        id: build.id,
        image,
        layers: [],
        limits: { vcpu: t.vcpu, memoryMib: t.memory_mib, diskMib: t.disk_mib },
        egress: await this.deps.egress.attach(build.id, ALLOW_ALL),
      });
      let cwd = SANDBOX_HOME;
      let user: string | undefined;
      const steps = spec.steps ?? [];
      for (const [i, step] of steps.entries()) {
        if (signal.aborted) return;
        const n = i + 1;
        const baseEnv = { ...BASE_SANDBOX_ENV, ...env };
        const exec = async (command: string, as?: string) => {
          const r = await runtime.exec(
            build.id,
            { command, cwd, env: baseEnv, ...(as && { user: as }) },
            {
              onStdout: (c) => logs.write(build.id, "stdout", c.toString()),
              onStderr: (c) => logs.write(build.id, "stderr", c.toString()),
            },
            signal,
          );
          return r.exitCode;
        };
        if ("run" in step) {
          log(`step ${n}/${steps.length}: run ${step.run}`);
          const code = await exec(step.run, user);
          if (signal.aborted) return;
          if (code !== 0)
            throw new BuildFailure(
              `step_failed: step ${n} (run ${JSON.stringify(step.run)}) exited with code ${code}`,
            );
        } else if ("env" in step) {
          log(`step ${n}/${steps.length}: env ${step.env.key}`);
          env[step.env.key] = step.env.value;
        } else if ("workdir" in step) {
          log(`step ${n}/${steps.length}: workdir ${step.workdir}`);
          const dir = step.workdir;
          const saved = cwd;
          cwd = "/";
          const code = await exec(`mkdir -p -- ${shellQuote(dir)}`);
          cwd = code === 0 ? dir : saved;
          if (code !== 0)
            throw new BuildFailure(
              `step_failed: step ${n} (workdir ${dir}) could not create the directory`,
            );
        } else if ("user" in step) {
          const name = step.user.name;
          log(`step ${n}/${steps.length}: user ${name}${step.user.sudo ? " (sudo)" : ""}`);
          const q = shellQuote(name);
          const sudo = step.user.sudo
            ? ` && mkdir -p /etc/sudoers.d && echo ${q}' ALL=(ALL) NOPASSWD:ALL' > /etc/sudoers.d/${q}`
            : "";
          const code = await exec(
            `(id -u ${q} >/dev/null 2>&1 || useradd -m -s /bin/sh ${q})${sudo}`,
          );
          if (code !== 0)
            throw new BuildFailure(
              `step_failed: step ${n} (user ${name}) could not create the user`,
            );
          user = name;
        }
      }
      if (spec.start_cmd || spec.ready_cmd) {
        const startEnv = { ...BASE_SANDBOX_ENV, ...env };
        await runStartCommands(
          runtime,
          build.id,
          startEnv,
          spec,
          BUILD_READY_DEADLINE_MS,
          log,
        ).catch((err: unknown) => {
          if (err instanceof StartFailure) throw new BuildFailure(`${err.code}: ${err.message}`);
          throw err;
        });
      }
      if (signal.aborted) return;
      store.putBuild({ ...store.getBuild(build.id)!, status: "snapshotting" });
      log("snapshotting the build's writable layer");
      const size = await runtime.snapshot(build.id, join(this.deps.layersDir, build.id));
      const now = new Date(clock.now()).toISOString();
      store.transaction(() => {
        store.putBuild({ ...store.getBuild(build.id)!, status: "ready", env, finalized_at: now });
        const t = store.getTemplate(build.template_id);
        if (t && t.latest_build_id === build.id) {
          const { error_message: _e, ...rest } = t;
          store.putTemplate({
            ...rest,
            status: "ready",
            built_at: now,
            size_bytes: size,
            ready_build_id: build.id,
          });
        }
      });
      logs.finish(build.id, "ready", `build ready (${size} bytes)\n`);
    } catch (err) {
      if (signal.aborted) return;
      await runtime.destroy(build.id).catch(() => undefined);
      const reason =
        err instanceof BuildFailure ? err.message : `build_failed: ${(err as Error).message}`;
      const tail = logs.tail(build.id, ERROR_TAIL_LINES);
      this.fail(build.id, tail ? `${reason}\n${tail}` : reason);
    } finally {
      await this.deps.egress.detach(build.id);
      if (signal.aborted) this.markCancelled(build.id);
    }
  }

  private fail(buildId: string, message: string): void {
    const { store, clock, logs } = this.deps;
    store.transaction(() => {
      const b = store.getBuild(buildId)!;
      store.putBuild({
        ...b,
        status: "failed",
        error_message: message,
        finalized_at: new Date(clock.now()).toISOString(),
      });
      const t = store.getTemplate(b.template_id);
      if (t && t.latest_build_id === buildId)
        store.putTemplate({ ...t, status: "failed", error_message: message });
    });
    logs.finish(buildId, "failed", `build failed: ${message.split("\n")[0]}\n`);
  }

  private markCancelled(buildId: string): void {
    const { store, clock, logs } = this.deps;
    const b = store.getBuild(buildId);
    if (!b || b.status === "cancelled") return;
    store.transaction(() => {
      store.putBuild({
        ...b,
        status: "cancelled",
        finalized_at: new Date(clock.now()).toISOString(),
      });
      const t = store.getTemplate(b.template_id);
      if (t && t.latest_build_id === buildId)
        store.putTemplate({
          ...t,
          status: "failed",
          error_message: "build_failed: the build was cancelled",
        });
    });
    void rm(join(this.deps.layersDir, buildId), { recursive: true, force: true });
    logs.finish(buildId, "cancelled", "build cancelled\n");
  }
}
