/**
 * A PostgreSQL server of the tests' own (Debian's `postgresql` package, installed by
 * scripts/setup.sh): its data in a temp dir, reachable only through a Unix socket in that dir (no
 * TCP port to pick), with a database and a login role made as the README's "CI and teams" says.
 * PostgreSQL refuses to run as root, so when the tests run as root the server runs as the
 * package's `postgres` user.
 */
import { execFileSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface Postgres {
  /** A `PULUMI_BACKEND_URL` for the role and database made for Pulumi state. */
  url: string;
  /** Run SQL as the server's superuser in `database` (default: Pulumi's); psql's unaligned, tuples-only output. */
  sql(statement: string, database?: string): string;
  stop(): void;
}

/** The newest installed server's bin dir (`/usr/lib/postgresql/<major>/bin`). */
function serverBin(): string {
  const base = "/usr/lib/postgresql";
  const majors = existsSync(base)
    ? readdirSync(base)
        .filter((v) => existsSync(join(base, v, "bin", "pg_ctl")))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (majors.length === 0)
    throw new Error("PostgreSQL is not installed: run `bash scripts/setup.sh` (as root)");
  return join(base, majors[0], "bin");
}

/** The uid/gid the server runs as: ours, or the `postgres` user's when we are root. */
function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const [uid, gid] = execFileSync("id", ["-u", "postgres"], { encoding: "utf8" })
    .trim()
    .split("\n")
    .concat(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim())
    .map(Number);
  return { uid, gid };
}

/** Start a server; `stop()` ends it and removes its data. */
export function startPostgres(): Postgres {
  const bin = serverBin();
  const user = serverUser();
  const dir = mkdtempSync(join(tmpdir(), "psm-pg-"));
  const superPassword = `super-${process.pid}-${Date.now()}`;
  const pulumiPassword = `pulumi-${process.pid}-${Date.now()}`;
  writeFileSync(join(dir, "pwfile"), `${superPassword}\n`);
  if (user) {
    chownSync(dir, user.uid, user.gid);
    chownSync(join(dir, "pwfile"), user.uid, user.gid);
  }
  const asServer = { ...(user ?? {}), stdio: "pipe" as const, cwd: dir };
  execFileSync(
    join(bin, "initdb"),
    [
      "-D",
      join(dir, "data"),
      "-U",
      "postgres",
      "--auth=scram-sha-256",
      `--pwfile=${join(dir, "pwfile")}`,
    ],
    asServer,
  );
  execFileSync(
    join(bin, "pg_ctl"),
    [
      "start",
      "--wait",
      "-D",
      join(dir, "data"),
      "-l",
      join(dir, "server.log"),
      "-o",
      `-c listen_addresses='' -k ${dir} -c fsync=off`,
    ],
    asServer,
  );
  const sql = (statement: string, database = "pulumi_state") =>
    execFileSync(
      "psql",
      [
        "-X",
        "-q",
        "-A",
        "-t",
        "-v",
        "ON_ERROR_STOP=1",
        "-h",
        dir,
        "-U",
        "postgres",
        "-d",
        database,
        "-c",
        statement,
      ],
      {
        encoding: "utf8",
        env: { ...process.env, PGPASSWORD: superPassword },
      },
    );
  // As the README's "CI and teams" sets it up: a login role and a database it owns.
  sql(`CREATE ROLE pulumi LOGIN PASSWORD '${pulumiPassword}'`, "postgres");
  sql("CREATE DATABASE pulumi_state OWNER pulumi", "postgres");
  return {
    url: `postgres://pulumi:${pulumiPassword}@/pulumi_state?host=${encodeURIComponent(dir)}&sslmode=disable`,
    sql,
    stop() {
      try {
        execFileSync(
          join(bin, "pg_ctl"),
          ["stop", "--wait", "-m", "immediate", "-D", join(dir, "data")],
          asServer,
        );
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
