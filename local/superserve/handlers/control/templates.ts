import { rm } from "node:fs/promises";
import { join } from "node:path";
import type { ControlContext, ControlHandler } from "../context";
import { errors } from "../../errors";
import { buildJson, templateJson } from "../serialize";
import type { BuildSpec, BuildStep, TemplateRecord } from "../../store/records";
import { isBuiltInName } from "../../templates/builtin-templates";
import { templateShape } from "../../templates/template-shape";
import { asObject, optString, reqString } from "../validate";

function findTemplate(ctx: ControlContext): TemplateRecord {
  const t = ctx.services.store.getTemplate(ctx.params.id);
  if (!t) throw errors.notFound("template", ctx.params.id);
  return t;
}

/** A template the team owns: the built-in ones are not found for deletes and rebuilds, as on the service. */
function findOwnTemplate(ctx: ControlContext): TemplateRecord {
  const t = findTemplate(ctx);
  if (isBuiltInName(t.name)) throw errors.notFound("template", ctx.params.id);
  return t;
}

function parseStep(raw: unknown, i: number): BuildStep {
  const field = `build_spec.steps[${i}]`;
  const s = asObject(raw, field);
  const keys = Object.keys(s);
  if (keys.length !== 1)
    throw errors.invalid(field, "must have exactly one of run, env, workdir, user");
  if (typeof s.run === "string" && s.run.trim()) return { run: s.run };
  if (s.env && typeof s.env === "object") {
    const e = s.env as Record<string, unknown>;
    if (
      typeof e.key !== "string" ||
      !/^[A-Za-z_][A-Za-z0-9_]*$/.test(e.key) ||
      typeof e.value !== "string"
    ) {
      throw errors.invalid(
        `${field}.env`,
        "needs a `key` matching [A-Za-z_][A-Za-z0-9_]* and a string `value`",
      );
    }
    return { env: { key: e.key, value: e.value } };
  }
  if (typeof s.workdir === "string" && s.workdir.startsWith("/")) return { workdir: s.workdir };
  if (s.user && typeof s.user === "object") {
    const u = s.user as Record<string, unknown>;
    if (typeof u.name !== "string" || !/^[a-z_][a-z0-9_-]*$/.test(u.name))
      throw errors.invalid(`${field}.user.name`, "must be a POSIX user name such as `app`");
    return { user: { name: u.name, ...(u.sudo === true && { sudo: true }) } };
  }
  throw errors.invalid(
    field,
    "must be {run: string}, {env: {key, value}}, {workdir: absolute path} or {user: {name, sudo?}}",
  );
}

function parseSpec(raw: unknown): BuildSpec {
  const o = asObject(raw, "build_spec");
  const from = typeof o.from === "string" ? o.from.trim() : "";
  if (!from)
    throw errors.invalid(
      "build_spec.from",
      "must be a non-empty image reference such as `ubuntu:24.04`",
    );
  if (/\s/.test(from))
    throw errors.invalid("build_spec.from", "must be an image reference such as `ubuntu:24.04`");
  const steps =
    o.steps === undefined ? undefined : Array.isArray(o.steps) ? o.steps.map(parseStep) : undefined;
  if (o.steps !== undefined && !steps)
    throw errors.invalid("build_spec.steps", "must be an array of steps");
  const start = optString(o, "start_cmd");
  const ready = optString(o, "ready_cmd");
  return {
    from,
    ...(steps && { steps }),
    ...(start && { start_cmd: start }),
    ...(ready && { ready_cmd: ready }),
  };
}

export const createTemplate: ControlHandler = async (ctx) => {
  const { store, builder, clock, ids } = ctx.services;
  const body = asObject(ctx.body, "request body");
  const name = reqString(body, "name");
  if (name.length > 128 || !/^[a-z0-9]([a-z0-9._/-]*[a-z0-9])?$/.test(name)) {
    throw errors.invalid(
      "name",
      "use lowercase letters, digits, `.`, `_`, `-` and `/`, starting and ending with a letter or digit (at most 128)",
    );
  }
  if (isBuiltInName(name))
    throw errors.badRequest("names starting with 'superserve/' are reserved");
  if (body.build_spec === undefined)
    throw errors.invalid("build_spec", "is required ({from, steps?, start_cmd?, ready_cmd?})");
  const spec = parseSpec(body.build_spec);
  if (store.getTemplate(name))
    throw errors.conflict(
      "template_exists",
      `a template named ${name} already exists; pick another name or delete it`,
    );
  const template: TemplateRecord = {
    id: ids.id("tpl"),
    name,
    ...templateShape(body),
    build_spec: spec,
    // As on the service: a template starts `building` (the 202's status enum has no `pending`).
    status: "building",
    created_at: new Date(clock.now()).toISOString(),
  };
  store.putTemplate(template);
  const { build } = builder.start(template);
  return {
    status: 202,
    body: { ...templateJson({ ...template, latest_build_id: build.id }), build_id: build.id },
  };
};

export const getTemplate: ControlHandler = async (ctx) => ({
  status: 200,
  body: templateJson(findTemplate(ctx)),
});

export const listTemplates: ControlHandler = async (ctx) => ({
  status: 200,
  body: ctx.services.store
    .listTemplates(ctx.query.get("name_prefix") ?? undefined)
    .map(templateJson),
});

export const deleteTemplate: ControlHandler = async (ctx) => {
  const { store, builder } = ctx.services;
  const t = findOwnTemplate(ctx);
  const users = store.listSandboxes().filter((s) => s.template_id === t.id);
  if (users.length > 0)
    throw errors.conflict(
      "template_in_use",
      `template ${t.name} is used by sandbox ${users[0].id}; delete its sandboxes first`,
    );
  const builds = store.listBuilds(t.id);
  for (const b of builds) await builder.cancel(b.id);
  store.deleteTemplate(t.id);
  for (const b of builds)
    await rm(join(ctx.services.layersDir, b.id), { recursive: true, force: true });
  return { status: 204 };
};

export const rebuildTemplate: ControlHandler = async (ctx) => {
  const { build, created } = ctx.services.builder.start(findOwnTemplate(ctx));
  return { status: created ? 201 : 200, body: buildJson(build) };
};

/** Builds listed when `limit` is not given, and the most a page holds (the spec's default and maximum). */
const DEFAULT_BUILDS_LIMIT = 20;
const MAX_BUILDS_LIMIT = 100;

export const listBuilds: ControlHandler = async (ctx) => {
  const t = findTemplate(ctx);
  const limitRaw = ctx.query.get("limit") ?? String(DEFAULT_BUILDS_LIMIT);
  const limit = Number(limitRaw);
  if (!/^\d+$/.test(limitRaw) || limit < 1 || limit > MAX_BUILDS_LIMIT)
    throw errors.noSuchPage("limit", `must be an integer from 1 to ${MAX_BUILDS_LIMIT}`);
  return { status: 200, body: ctx.services.store.listBuilds(t.id, limit).map(buildJson) };
};

function findBuild(ctx: ControlContext) {
  const t = findTemplate(ctx);
  const b = ctx.services.store.getBuild(ctx.params.bid);
  if (!b || b.template_id !== t.id) throw errors.notFound("build", ctx.params.bid);
  return b;
}

export const getBuild: ControlHandler = async (ctx) => ({
  status: 200,
  body: buildJson(findBuild(ctx)),
});

export const cancelBuild: ControlHandler = async (ctx) => {
  await ctx.services.builder.cancel(findBuild(ctx).id);
  return { status: 204 };
};

/** SSE: replays the log so far, follows it live, closes after the `finished` event. */
export const buildLogs: ControlHandler = async (ctx) => {
  const b = findBuild(ctx);
  const { logs } = ctx.services;
  const { res } = ctx;
  res.writeHead(200, {
    "content-type": "text/event-stream",
    "cache-control": "no-cache",
    connection: "keep-alive",
  });
  let done = false;
  const send = (e: { finished?: true }) => {
    if (done) return;
    res.write(`data: ${JSON.stringify(e)}\n\n`);
    if (e.finished) {
      done = true;
      res.end();
    }
  };
  const buffered: object[] = [];
  let replaying = true;
  const unfollow = logs.follow(b.id, (e) => (replaying ? buffered.push(e) : send(e)));
  const replayed = logs.read(b.id);
  replayed.forEach(send);
  replaying = false;
  const seen = new Set(replayed.map((r) => JSON.stringify(r)));
  buffered.filter((e) => !seen.has(JSON.stringify(e))).forEach(send);
  const keepalive = setInterval(() => !done && res.write(": keepalive\n\n"), 15_000);
  await new Promise<void>((ok) => {
    const finish = () => ok();
    res.once("close", finish);
    res.once("finish", finish);
  });
  clearInterval(keepalive);
  unfollow();
};
