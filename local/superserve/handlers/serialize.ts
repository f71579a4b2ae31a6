import type {
  BuildRecord,
  NetworkEventRecord,
  SandboxRecord,
  SecretRecord,
  TemplateRecord,
} from "../store/records";

/** The team every local resource belongs to (a fixed UUID: the spec declares `team_id` a UUID). */
const LOCAL_TEAM_ID = "00000000-0000-4000-8000-000000000001";

/*
 * An unset field is left out (`undefined` is dropped by JSON.stringify), never `null`: the spec
 * omits a field that has no value.
 */

/** A sandbox as the SDK reads it (no token). */
export function sandboxJson(s: SandboxRecord): Record<string, unknown> {
  const autoDeleteAt =
    s.status === "paused" && s.paused_at && s.auto_delete_seconds !== undefined
      ? new Date(Date.parse(s.paused_at) + s.auto_delete_seconds * 1000).toISOString()
      : undefined;
  return {
    id: s.id,
    name: s.name,
    status: s.status,
    vcpu_count: s.vcpu_count,
    memory_mib: s.memory_mib,
    template_id: s.template_id,
    timeout_seconds: s.timeout_seconds,
    auto_delete_seconds: s.auto_delete_seconds,
    auto_delete_at: autoDeleteAt,
    network: s.network,
    metadata: s.metadata,
    secrets: Object.entries(s.secrets).map(([env_key, secret_name]) => ({
      env_key,
      secret_name,
      revoked: false,
    })),
    created_at: s.created_at,
  };
}

export function templateJson(t: TemplateRecord): Record<string, unknown> {
  return {
    id: t.id,
    team_id: LOCAL_TEAM_ID,
    name: t.name,
    status: t.status,
    vcpu: t.vcpu,
    memory_mib: t.memory_mib,
    disk_mib: t.disk_mib,
    size_bytes: t.size_bytes,
    error_message: t.error_message,
    built_at: t.built_at,
    latest_build_id: t.latest_build_id,
    created_at: t.created_at,
  };
}

export function buildJson(b: BuildRecord): Record<string, unknown> {
  return {
    id: b.id,
    template_id: b.template_id,
    status: b.status,
    build_spec_hash: b.build_spec_hash,
    error_message: b.error_message,
    started_at: b.started_at,
    finalized_at: b.finalized_at,
    created_at: b.created_at,
  };
}

export function secretJson(s: SecretRecord): Record<string, unknown> {
  return {
    id: s.id,
    name: s.name,
    auth_type: s.auth_type,
    auth_config: s.auth_config,
    provider_shortcut: s.provider_shortcut,
    hosts: s.hosts,
    created_at: s.created_at,
    updated_at: s.updated_at,
  };
}

/** A network-log row as `getNetworkLog` reads it (fields that do not apply to its kind left out). */
export function networkEventJson(e: NetworkEventRecord): Record<string, unknown> {
  const { sandbox_id: _sandbox, ...row } = e;
  return row;
}

/** A request row that used a secret, as `Secret.getAudit` reads it; `sandbox_name` null once the sandbox is gone. */
export function auditEventJson(
  e: NetworkEventRecord,
  sandboxName: string | undefined,
): Record<string, unknown> {
  return {
    id: e.id,
    ts: e.ts,
    sandbox_id: e.sandbox_id,
    sandbox_name: sandboxName ?? null,
    secret_id: e.secret_id,
    method: e.method,
    host: e.host ?? "",
    path: e.path,
    status: e.status,
    upstream_status: e.upstream_status,
    latency_ms: e.latency_ms,
    error_code: e.error_code,
  };
}
