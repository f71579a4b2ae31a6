import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { Postgres } from "./postgres";

/**
 * The stack locks in a state backend, as the Pulumi CLI writes them (`.pulumi/locks/…`): the
 * files under a file backend's directory, or the keys of the PostgreSQL backend's rows.
 */
export function stateLocks(backend: { postgres?: Postgres; stateDir: string }): string[] {
  if (backend.postgres)
    return backend.postgres
      .sql("SELECT key FROM pulumi_state WHERE key LIKE '%/.pulumi/locks/%'")
      .split("\n")
      .filter(Boolean);
  const under = (dir: string): string[] =>
    existsSync(dir)
      ? readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
          e.isDirectory() ? under(join(dir, e.name)) : [join(dir, e.name)],
        )
      : [];
  return under(join(backend.stateDir, ".pulumi", "locks")).filter((f) => f.endsWith(".json"));
}
