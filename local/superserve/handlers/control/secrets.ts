import type { ControlContext, ControlHandler } from "../context";
import { errors } from "../../errors";
import { auditEventJson, secretJson } from "../serialize";
import type { SecretRecord } from "../../store/records";
import { asObject, optString, reqString, stringList } from "../validate";
import { pageLimit } from "./sandboxes";

const AUDIT_STATUSES = ["2xx", "3xx", "4xx", "5xx", "errors"] as const;

function find(ctx: ControlContext): SecretRecord {
  const s = ctx.services.store.getSecret(ctx.params.name);
  if (!s) throw errors.notFound("secret", ctx.params.name);
  return s;
}

export const createSecret: ControlHandler = async (ctx) => {
  const { store, clock, ids } = ctx.services;
  const body = asObject(ctx.body, "request body");
  const name = reqString(body, "name");
  if (!/^[A-Za-z0-9_./-]{1,128}$/.test(name))
    throw errors.invalid("name", "use letters, digits, `_`, `.`, `-`, `/`");
  const value = reqString(body, "value");
  if (store.getSecret(name))
    throw errors.conflict(
      "secret_exists",
      `secret ${name} already exists; rotate it or pick another name`,
    );
  const auth = body.auth === undefined ? {} : asObject(body.auth, "auth");
  const now = new Date(clock.now()).toISOString();
  const s: SecretRecord = {
    id: ids.id("sec"),
    name,
    value,
    auth_type: "per_host" in auth ? "per_host" : (optString(auth, "type") ?? "bearer"),
    auth_config: auth,
    provider_shortcut: optString(body, "provider") ?? null,
    hosts: stringList(body, "hosts") ?? [],
    created_at: now,
    updated_at: now,
  };
  store.putSecret(s);
  return { status: 201, body: secretJson(s) };
};

export const getSecret: ControlHandler = async (ctx) => ({
  status: 200,
  body: secretJson(find(ctx)),
});

export const listSecrets: ControlHandler = async (ctx) => ({
  status: 200,
  body: ctx.services.store.listSecrets().map(secretJson),
});

export const rotateSecret: ControlHandler = async (ctx) => {
  const body = asObject(ctx.body, "request body");
  const s = {
    ...find(ctx),
    value: reqString(body, "value"),
    updated_at: new Date(ctx.services.clock.now()).toISOString(),
  };
  ctx.services.store.putSecret(s);
  return { status: 200, body: secretJson(s) };
};

export const deleteSecret: ControlHandler = async (ctx) => {
  ctx.services.store.deleteSecret(find(ctx).name);
  return { status: 204 };
};

export const secretAudit: ControlHandler = async (ctx) => {
  const secret = find(ctx);
  const { store } = ctx.services;
  const limit = pageLimit(ctx.query);
  const before = ctx.query.get("before");
  if (before !== null && !/^\d+$/.test(before))
    throw errors.invalid("before", "must be an event id (an integer) from an earlier page");
  const status = ctx.query.get("status");
  if (status !== null && !(AUDIT_STATUSES as readonly string[]).includes(status))
    throw errors.invalid("status", `must be one of ${AUDIT_STATUSES.join(", ")}`);
  const events = store.listSecretAudit(secret.id, {
    limit,
    ...(before !== null && { before: Number(before) }),
    ...(status !== null && { status: status as (typeof AUDIT_STATUSES)[number] }),
  });
  return {
    status: 200,
    body: events.map((e) => auditEventJson(e, store.getSandbox(e.sandbox_id)?.name)),
  };
};

export const secretSandboxes: ControlHandler = async (ctx) => {
  const s = find(ctx);
  const bindings = ctx.services.store.listSandboxes().flatMap((b) =>
    Object.entries(b.secrets)
      .filter(([, n]) => n === s.name)
      .map(([env_key]) => ({ sandbox_id: b.id, sandbox_name: b.name, env_key, status: "active" })),
  );
  return { status: 200, body: bindings };
};

export const listProviders: ControlHandler = async () => ({ status: 200, body: [] });
