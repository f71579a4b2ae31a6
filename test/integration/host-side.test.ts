/**
 * The host side of the local backends, locked (issue #21 item 4), as a user runs them (the
 * `pulumi-superserve-mesa-local` command, built by `npm run build`) and as a hostile sandbox and
 * another user of the host try them: the data dirs are 0700 and the keys, databases and CA key
 * 0600 (also after reopening a data dir an older version left 0755/0644); a secret's real value is
 * in no file of the data dir, yet still swapped in at egress; `curl --path-as-is` escapes through
 * the egress layer never reach the local Mesa's `/_local` endpoints; and a non-root host user
 * reads no key, database or sandbox disk, nor runs a setuid file a sandbox made.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, lstatSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { Sandbox, Secret } from "@superserve/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { routeDataPlaneTo } from "../../provider/data-plane";
import { runLocalCommand as run } from "../helpers/local-command";
import { recordingServer } from "./superserve/egress-client";
import { uniqueName as unique } from "../helpers/names";

interface Running {
  pid: number;
  mesa: { url: string; org: string; apiKey: string };
  superserve: { url: string; apiKey: string };
}

/** Every path under `dir` (itself included), depth first. */
function walk(dir: string): string[] {
  const out = [dir];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...walk(path));
    else out.push(path);
  }
  return out;
}

/** `cmd` run as the host user `nobody`. */
function asNobody(...cmd: string[]) {
  const r = spawnSync("runuser", ["-u", "nobody", "--", ...cmd], { encoding: "utf8" });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

const mode = (path: string) => statSync(path).mode & 0o777;

let dataDir: string;
let upstream: Awaited<ReturnType<typeof recordingServer>>;
let backends: Running;
let conn: { apiKey: string; baseUrl: string };

function start(): Running {
  const freePorts = ["--mesa-port", "0", "--superserve-port", "0"];
  const upstreamFlag = `api.example.test=${upstream.url}`;
  const r = run("start", "--json", "--data-dir", dataDir, ...freePorts, "--upstream", upstreamFlag);
  expect(r.code, r.stderr).toBe(0);
  const status = JSON.parse(r.stdout) as Running;
  routeDataPlaneTo(status.superserve.url);
  conn = { apiKey: status.superserve.apiKey, baseUrl: status.superserve.url };
  return status;
}

/** The files that hold keys or databases, relative to the data dir, as they exist now. */
function privateFiles(): string[] {
  const named =
    /(^|\/)(endpoints\.json|admin-key|api-key|secrets\.key|ca-key\.pem|[^/]+\.sqlite(-wal|-shm|-journal)?)$/;
  return walk(dataDir)
    .map((p) => relative(dataDir, p))
    .filter((p) => named.test(p) && !p.startsWith("superserve/disks/"));
}

/** The data dirs of the command, both backends and the sandboxes' disks. */
const privateDirs = () => [
  dataDir,
  join(dataDir, "mesa"),
  join(dataDir, "superserve"),
  join(dataDir, "superserve", "disks"),
];

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "psm-host-side-"));
  chmodSync(dataDir, 0o755); // as `mkdir` leaves a directory the user made for it
  upstream = await recordingServer();
  backends = start();
});
afterAll(async () => {
  run("stop", "--all", "--data-dir", dataDir);
  rmSync(dataDir, { recursive: true, force: true });
  await upstream?.close();
});

describe("the host side of the local backends", () => {
  it("keeps the data dirs 0700 and every key, database (WAL and SHM included) and the CA key 0600", () => {
    for (const dir of privateDirs()) expect(mode(dir), `${dir} is 0700`).toBe(0o700);
    const files = privateFiles();
    for (const f of [
      "endpoints.json",
      "mesa/admin-key",
      "mesa/mesa.sqlite",
      "mesa/secrets.key",
      "superserve/api-key",
      "superserve/secrets.key",
      "superserve/superserve.sqlite",
      "superserve/superserve.sqlite-wal",
      "superserve/egress/ca/ca-key.pem",
    ])
      expect(files, `${f} exists`).toContain(f);
    for (const f of files) expect(mode(join(dataDir, f)), `${f} is 0600`).toBe(0o600);
  });

  it("keeps a secret's real value out of every host file of the data dir, and still swaps it in at egress", async () => {
    const real = `sk-live-${unique("v").replace(/-/g, "")}Qx7`;
    const secret = await Secret.create({
      ...conn,
      name: unique("key").replace(/-/g, "_"),
      value: real,
      hosts: ["api.example.test"],
      auth: { type: "bearer" },
    });
    const sb = await Sandbox.create({ ...conn, name: unique("sb"), secrets: { K: secret.name } });
    try {
      const call = await sb.commands.run(
        `curl -sS -o /dev/null -w '%{http_code}' -H "authorization: Bearer $K" https://api.example.test/v1/call`,
      );
      expect(call.stdout, call.stderr).toBe("200");
      expect(upstream.seen.at(-1)?.headers.authorization, "swapped at egress").toBe(
        `Bearer ${real}`,
      );
      // GNU grep: every byte of every file (binary ones too), skipping the holes of sparse disk images.
      const grep = spawnSync("grep", ["-rlF", "--", real, dataDir], { encoding: "utf8" });
      expect(grep.status, `grep failed: ${grep.stderr}`).not.toBe(2);
      expect(grep.stdout, "no file of the data dir holds the real value").toBe("");
    } finally {
      await sb.kill();
    }
  });

  it("refuses every path escape a sandbox sends through the egress layer; the local Mesa's /_local is never reached", async () => {
    const sb = await Sandbox.create({
      ...conn,
      name: unique("sb"),
      // What a sandbox that stole the key (issue #21) would hold.
      envVars: { STOLEN: backends.mesa.apiKey },
    });
    try {
      const paths = [
        "/../_local/faults",
        "/v1/../_local/faults",
        "/v1/%2e%2e/_local/faults",
        "/v1/%2E%2E/%5Flocal/faults",
        "/v1/..%2f_local%2ffaults",
        "/v1/..\\_local/faults",
        "/v1//_local/faults",
        "/_local/faults",
      ];
      for (const path of paths) {
        const r = await sb.commands.run(
          `curl -sS --path-as-is -o /tmp/body -w '%{http_code}' -X POST -H "authorization: Bearer $STOLEN" -H 'content-type: application/json' -d '{"count":5,"status":503}' 'https://api.mesa.dev${path}'; echo; cat /tmp/body`,
        );
        const [status, ...body] = r.stdout.split("\n");
        expect(status, `${path}: ${r.stdout}${r.stderr}`).toBe("403");
        expect(body.join("\n"), path).toContain("forwards only the vendor's API paths");
      }
      const plain = await sb.commands.run(
        `curl -sS --path-as-is -o /dev/null -w '%{http_code}' -X POST -H "authorization: Bearer $STOLEN" -d '{"count":5,"status":503}' 'http://api.mesa.dev/v1/../_local/faults'`,
      );
      expect(plain.stdout, "over plain HTTP too").toBe("403");
      const cleared = await fetch(`${new URL(backends.mesa.url).origin}/_local/faults`, {
        method: "DELETE",
        headers: { authorization: `Bearer ${backends.mesa.apiKey}` },
      });
      expect(await cleared.json(), "no fault was armed from the sandbox").toEqual({ cleared: 0 });
      const log = await sb.getNetworkLog({ limit: 200 });
      const blocked = log.events.filter((e) => e.kind === "request" && e.verdict === "blocked");
      expect(blocked.length, "each refusal is logged as blocked").toBe(paths.length + 1);
      const api = await sb.commands.run(
        `curl -sS -o /dev/null -w '%{http_code}' -H "authorization: Bearer $STOLEN" https://api.mesa.dev/v1/${backends.mesa.org}/repos`,
      );
      expect(api.stdout, "the API itself is forwarded").toBe("200");
    } finally {
      await sb.kill();
    }
  });

  it("lets no other host user read a key or a database, list a sandbox's disk, or run a setuid file a sandbox made", async () => {
    const sb = await Sandbox.create({ ...conn, name: unique("sb") });
    try {
      const made = await sb.commands.run(
        "cp /usr/bin/id /tmp/suid-id && chmod 4755 /tmp/suid-id && cp /usr/bin/id /root/plain-id",
      );
      expect(made.exitCode, made.stderr).toBe(0);
      for (const f of privateFiles())
        expect(asNobody("cat", join(dataDir, f)).code, `nobody reads ${f}`).not.toBe(0);
      for (const dir of privateDirs())
        expect(asNobody("ls", dir).code, `nobody lists ${dir}`).not.toBe(0);
      const disks = join(dataDir, "superserve", "disks");
      const copies = walk(disks).filter((p) => /\/(suid-id|plain-id)$/.test(p));
      for (const copy of copies) {
        const r = asNobody(copy, "-u");
        expect(r.code, `nobody runs ${copy}: ${r.out}`).not.toBe(0);
        expect(r.out, `${copy} never runs as root`).not.toMatch(/^0$/m);
      }
    } finally {
      await sb.kill();
    }
  });

  it("tightens a data dir an older version left 0755 with 0644 files when it opens it again", () => {
    const stopped = run("stop", "--data-dir", dataDir);
    expect(stopped.code, stopped.stderr).toBe(0);
    const before = privateFiles();
    for (const path of walk(dataDir).filter((p) => !p.includes("/superserve/disks/"))) {
      const st = lstatSync(path);
      if (st.isDirectory()) chmodSync(path, 0o755);
      else if (st.isFile()) chmodSync(path, (st.mode & 0o100) !== 0 ? 0o755 : 0o644);
    }
    expect(mode(join(dataDir, "mesa", "admin-key")), "loosened as an older version made it").toBe(
      0o644,
    );
    backends = start();
    for (const dir of privateDirs()) expect(mode(dir), `${dir} is 0700 again`).toBe(0o700);
    for (const f of new Set([...before, ...privateFiles()]))
      expect(mode(join(dataDir, f)), `${f} is 0600 again`).toBe(0o600);
  });
});
