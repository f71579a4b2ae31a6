import type {
  BuildRecord,
  NetworkEventRecord,
  NetworkVerdict,
  SandboxRecord,
  SecretRecord,
  TemplateRecord,
} from "./records";

/** A page query of a sandbox's network log, newest first. */
export interface NetworkLogQuery {
  limit: number;
  /** Rows strictly older: than a time, or than the row a cursor names (`ts`, `id`). */
  before?: { ts: string; id?: number };
  /** Rows at or newer than this time (ISO 8601). */
  since?: string;
  /** Only connection rows with this verdict. */
  verdict?: NetworkVerdict;
}

/** A page query of a secret's audit events, newest first. */
export interface SecretAuditQuery {
  limit: number;
  /** Events with an id strictly less than this. */
  before?: number;
  /** A status class (`2xx` … `5xx`) or `errors` (4xx and 5xx). */
  status?: "2xx" | "3xx" | "4xx" | "5xx" | "errors";
}

/** Metadata of the local Superserve. Bytes (layers, disks, logs) live in the data directory. */
export interface SuperserveStore {
  getTemplate(idOrName: string): TemplateRecord | undefined;
  listTemplates(namePrefix?: string): TemplateRecord[];
  putTemplate(t: TemplateRecord): void;
  deleteTemplate(id: string): void;

  getBuild(id: string): BuildRecord | undefined;
  /** Newest first. */
  listBuilds(templateId: string, limit?: number): BuildRecord[];
  putBuild(b: BuildRecord): void;

  getSandbox(id: string): SandboxRecord | undefined;
  listSandboxes(): SandboxRecord[];
  putSandbox(s: SandboxRecord): void;
  deleteSandbox(id: string): void;

  getSecret(name: string): SecretRecord | undefined;
  listSecrets(): SecretRecord[];
  putSecret(s: SecretRecord): void;
  deleteSecret(name: string): void;

  /** Appends a network-log row; answers its id. */
  addNetworkEvent(e: Omit<NetworkEventRecord, "id">): number;
  /** Changes fields of a row (a connection's byte counts when it closes). */
  updateNetworkEvent(
    id: number,
    patch: Partial<Omit<NetworkEventRecord, "id" | "sandbox_id">>,
  ): void;
  /** A page of `sandboxId`'s log, newest first (ts, then id). */
  listNetworkEvents(sandboxId: string, q: NetworkLogQuery): NetworkEventRecord[];
  /** A page of the request rows that used `secretId`, newest first (by id). */
  listSecretAudit(secretId: string, q: SecretAuditQuery): NetworkEventRecord[];

  /** Runs `fn` atomically. */
  transaction<T>(fn: () => T): T;
  close(): void;
}
