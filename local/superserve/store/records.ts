/** A template's build spec as sent by the SDK (`build_spec`). */
export interface BuildSpec {
  from: string;
  steps?: BuildStep[];
  start_cmd?: string;
  ready_cmd?: string;
}

/** One build step, verbatim from the wire. */
export type BuildStep =
  | { run: string }
  | { env: { key: string; value: string } }
  | { workdir: string }
  | { user: { name: string; sudo?: boolean } };

type TemplateStatus = "pending" | "building" | "ready" | "failed";
type BuildStatus = "pending" | "building" | "snapshotting" | "ready" | "failed" | "cancelled";
type SandboxStatus = "active" | "paused" | "resuming" | "failed";

export interface TemplateRecord {
  id: string;
  name: string;
  vcpu: number;
  memory_mib: number;
  disk_mib: number;
  build_spec: BuildSpec;
  status: TemplateStatus;
  error_message?: string;
  built_at?: string;
  size_bytes?: number;
  latest_build_id?: string;
  /** The build whose layer new sandboxes start from. */
  ready_build_id?: string;
  created_at: string;
}

export interface BuildRecord {
  id: string;
  template_id: string;
  status: BuildStatus;
  build_spec: BuildSpec;
  build_spec_hash: string;
  error_message?: string;
  created_at: string;
  started_at?: string;
  finalized_at?: string;
  /** Environment accumulated by the build's `env` steps; every sandbox of the template gets it. */
  env: Record<string, string>;
  /**
   * Root file system of the image the build runs on (and its sandboxes boot from), set when
   * the build starts; absent on builds of a local Superserve before images.
   */
  image?: string;
}

export interface SandboxRecord {
  id: string;
  name: string;
  status: SandboxStatus;
  template_id: string;
  /** The template build whose layer this sandbox runs on. */
  build_id: string;
  vcpu_count: number;
  memory_mib: number;
  timeout_seconds?: number;
  auto_delete_seconds?: number;
  network: { allow_out: string[]; deny_out: string[] };
  metadata: Record<string, string>;
  env_vars: Record<string, string>;
  /** env key → secret name. */
  secrets: Record<string, string>;
  /** env key → the placeholder the sandbox sees for that secret (fixed at binding, kept across rotations). */
  secret_placeholders?: Record<string, string>;
  access_token: string;
  created_at: string;
  paused_at?: string;
}

export interface SecretRecord {
  id: string;
  name: string;
  value: string;
  auth_type: string;
  auth_config: Record<string, unknown>;
  provider_shortcut: string | null;
  hosts: string[];
  created_at: string;
  updated_at: string;
}

/** Verdict of a connection in the network log. */
export type NetworkVerdict = "allowed" | "blocked" | "failed";

/**
 * One row of a sandbox's network log, in the wire's field names: a `connection` (every
 * connection the sandbox opened through the egress layer) or a `request` (every request the
 * layer read, because it serves or rewrites the host). A request row with `secret_id` is also an
 * audit event of that secret.
 */
export interface NetworkEventRecord {
  /** Monotonic id (the store assigns it). */
  id: number;
  sandbox_id: string;
  kind: "connection" | "request";
  ts: string;
  host?: string;
  dst_ip?: string;
  dst_port?: number;
  verdict?: NetworkVerdict;
  match_rule?: string;
  bytes_sent?: number;
  bytes_recv?: number;
  method?: string;
  path?: string;
  /** Status the egress layer answered the sandbox. */
  status?: number;
  /** Status the upstream answered (absent when the layer answered itself). */
  upstream_status?: number;
  latency_ms?: number;
  secret_id?: string;
  error_code?: string;
}
