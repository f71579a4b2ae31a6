// The stack locks of the diy state backends (file, PostgreSQL), judged stale or live.
//
// The Pulumi CLI (v3.248, pkg/backend/diy/lock.go) takes a stack's lock by writing the object
// `.pulumi/locks/<org>/<project>/<stack>/<random id>.json` = {pid, username, hostname, timestamp}
// of the CLI to the backend's storage and removes it when the run ends; a killed CLI leaves it, and
// every later run of the stack fails with "the stack is currently locked". On the file backend
// that object is a file; on the PostgreSQL backend (pkg/backend/diy/postgres) it is a row of the
// state table (`pulumi_state`, or the URL's `table` parameter): `key` the path above after the
// URL's path (`<database>/.pulumi/locks/…`), `data` {"data": <base64 of the JSON>}.
//
// A lock is stale when its owner is provably gone:
//   - it was taken on this host by a pid that is no longer a running `pulumi`; or
//   - it is older than STALE_LOCK_MINUTES and the caller says no other run of the stack can be in
//     progress (PSM_NO_CONCURRENT_RUNS=1, e.g. set by a CI job in a concurrency group per stack).
// A stale lock is cleared the supported way: on the file backend its file is removed (exactly
// that lock: `pulumi cancel` would remove a running CLI's lock too); elsewhere with `pulumi cancel`,
// which removes the stack's locks, run only when every one of them is stale.
import { execFileSync } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { hostname } from "node:os";
import { basename, join } from "node:path";
import { filesUnder } from "./files-under.mjs";
import { procFile, running } from "./engine-processes.mjs";

/** How old a lock must be before PSM_NO_CONCURRENT_RUNS=1 lets it count as stale. */
export const STALE_LOCK_MINUTES = 5;

/** Whether the lock's owner is provably gone, and why (or who holds it). */
function judge(lock, now = Date.now()) {
  const taken = Date.parse(lock.timestamp);
  const minutes = Number.isNaN(taken) ? undefined : (now - taken) / 60_000;
  const owner =
    `${lock.username}@${lock.hostname}, pulumi pid ${lock.pid}` +
    (Number.isNaN(taken) ? "" : `, since ${lock.timestamp}`);
  if (lock.hostname === hostname() && Number.isInteger(lock.pid)) {
    const argv0 = (procFile(lock.pid, "cmdline") ?? "").split("\0")[0];
    if (!(running(lock.pid) && basename(argv0) === "pulumi"))
      return { stale: true, owner, why: "that pulumi no longer runs on this host" };
    return { stale: false, owner: `${owner} (running on this host)` };
  }
  if (process.env.PSM_NO_CONCURRENT_RUNS === "1" && minutes !== undefined) {
    if (minutes >= STALE_LOCK_MINUTES)
      return {
        stale: true,
        owner,
        why: `taken ${Math.round(minutes)} min ago, and PSM_NO_CONCURRENT_RUNS=1 says no other run can be in progress`,
      };
    return {
      stale: false,
      owner: `${owner} (on another host; PSM_NO_CONCURRENT_RUNS=1 clears it once it is ${STALE_LOCK_MINUTES} min old)`,
    };
  }
  return { stale: false, owner: `${owner} (on another host)` };
}

/** The locks of a file backend: [{ key, lock, clear }]. */
function fileLocks(stateDir) {
  const dir = join(stateDir, ".pulumi", "locks");
  return filesUnder(dir)
    .filter((file) => file.endsWith(".json"))
    .flatMap((file) => {
      try {
        const lock = JSON.parse(readFileSync(file, "utf8"));
        const clear = () => {
          rmSync(file, { force: true });
          rmSync(`${file}.attrs`, { force: true }); // the file backend's metadata of the lock file
        };
        return [{ key: file.slice(stateDir.length + 1), lock, clear }];
      } catch {
        return []; // being written, or not a lock of ours to judge
      }
    });
}

/**
 * The locks of a PostgreSQL backend, read with `psql` (Debian's postgresql-client; the password,
 * if in the URL, goes to psql through PGPASSWORD, not its command line).
 */
function postgresLocks(url) {
  // Not `new URL`: a libpq URL may have an empty host (a Unix socket named by `?host=/dir`).
  const parts =
    /^(postgres(?:ql)?:\/\/)(?:([^:@/]*)(?::([^@/]*))?@)?([^/?]*)([^?]*)(?:\?(.*))?$/.exec(url);
  if (!parts) throw new Error("PULUMI_BACKEND_URL is not a postgres:// URL");
  const [, scheme, user, password, host, path, query] = parts;
  const params = new URLSearchParams(query ?? "");
  const table = params.get("table") ?? "pulumi_state";
  if (!/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/.test(table))
    throw new Error(`the backend URL's table parameter '${table}' is not a plain table name`);
  params.delete("table"); // Pulumi's, not libpq's
  const conninfo = `${scheme}${user ? `${user}@` : ""}${host}${path}${params.size > 0 ? `?${params}` : ""}`;
  const sql = `
    SELECT coalesce(json_agg(json_build_object('key', key, 'lock',
             convert_from(decode(data->>'data', 'base64'), 'UTF8')::json)), '[]')
      FROM ${table} WHERE position('.pulumi/locks/' in key) > 0`;
  let out;
  try {
    out = execFileSync(
      "psql",
      ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", conninfo, "-c", sql],
      {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
        env: { ...process.env, ...(password ? { PGPASSWORD: decodeURIComponent(password) } : {}) },
      },
    );
  } catch (error) {
    if (error.code === "ENOENT")
      throw new Error(
        "psql is not installed: it reads the stack locks of a PostgreSQL backend (scripts/setup.sh installs it)",
        { cause: error },
      );
    const stderr = String(error.stderr ?? "");
    if (/relation .* does not exist/.test(stderr)) return []; // no stack written yet
    throw new Error(`reading the stack locks from PostgreSQL failed: ${stderr.trim()}`, {
      cause: error,
    });
  }
  return JSON.parse(out.trim() || "[]");
}

/**
 * Clear the stale locks of the backend at `url` (on PostgreSQL, those of `project`'s `stack`).
 * Returns what it cleared (lines to print) and who holds a lock of the stack it could not prove
 * stale (`live`: the other runs, one description each).
 */
export function clearStaleLocks({ url, stack, project, pulumi = "pulumi" }) {
  const said = [];
  const ofStack = (key) => key.endsWith(`/${project}/${stack}/${basename(key)}`);
  let live = [];
  if (url.startsWith("file://")) {
    for (const { key, lock, clear } of fileLocks(url.slice("file://".length))) {
      const verdict = judge(lock);
      if (verdict.stale) {
        clear();
        said.push(`removed the stack lock ${key} of ${verdict.owner}: ${verdict.why}`);
      } else if (ofStack(key)) live.push(verdict);
    }
  } else if (/^postgres(ql)?:\/\//.test(url)) {
    const locks = postgresLocks(url).filter(({ key }) => ofStack(key));
    const verdicts = locks.map(({ lock }) => judge(lock));
    live = verdicts.filter((v) => !v.stale);
    if (verdicts.length > 0 && live.length === 0) {
      execFileSync(pulumi, ["cancel", "--yes", "--stack", stack], {
        stdio: ["ignore", "ignore", "inherit"],
      });
      for (const v of verdicts)
        said.push(`cleared the lock of stack ${stack} of ${v.owner} (pulumi cancel): ${v.why}`);
    }
  }
  return { said, live: live.map((v) => v.owner) };
}
