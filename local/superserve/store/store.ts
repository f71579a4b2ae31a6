import type { BuildRecord, SandboxRecord, SecretRecord, TemplateRecord } from "./records";

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

  /** Runs `fn` atomically. */
  transaction<T>(fn: () => T): T;
  close(): void;
}
