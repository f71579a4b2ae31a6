/**
 * The break-out suite: from inside real `superserve/base` sandboxes, as their root (the default,
 * as an agent runs), every way out that a container's defaults close — each checked by its effect
 * (the read, write, call or fork fails), never by reading a flag. A static probe (breakout-probe.c,
 * compiled on the host) makes the system calls a shell cannot.
 */
import { Sandbox } from "@superserve/sdk";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import * as net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually } from "../../helpers/eventually";
import { startServer, uniqueName } from "./harness";

/** Docker's default capability set (`CapEff` of a default container). */
const DOCKER_CAPS = 0xa80425fbn;
/** The pids limit the README documents for every sandbox. */
const PIDS_MAX = 1024;
/** The disk of `superserve/base` (the service's default shape). */
const DISK_MIB = 4096;
const PROBE = "/root/probe";

let h: Awaited<ReturnType<typeof startServer>>;
let probeDir: string;
let hostCanary: net.Server;
let canaryPort: number;

beforeAll(async () => {
  probeDir = mkdtempSync(join(tmpdir(), "breakout-probe-"));
  execFileSync("gcc", [
    "-O2",
    "-static",
    "-o",
    join(probeDir, "probe"),
    join(__dirname, "breakout-probe.c"),
  ]);
  hostCanary = net.createServer((s) => s.end("host\n"));
  await new Promise<void>((ok) => hostCanary.listen(0, "127.0.0.1", ok));
  canaryPort = (hostCanary.address() as net.AddressInfo).port;
  h = await startServer();
});
afterAll(async () => {
  await h?.cleanup();
  hostCanary?.close();
  rmSync(probeDir, { recursive: true, force: true });
});

async function sandbox(): Promise<Sandbox> {
  const sb = await Sandbox.create({
    ...h.conn,
    name: uniqueName("breakout"),
    fromTemplate: "superserve/base",
  });
  await sb.files.write(PROBE, readFileSync(join(probeDir, "probe")));
  expect((await sb.commands.run(`chmod 755 ${PROBE}`)).exitCode).toBe(0);
  return sb;
}

/** Runs `command` as the sandbox's root and answers its stdout, failing on a non-zero exit. */
async function sh(sb: Sandbox, command: string): Promise<string> {
  const r = await sb.commands.run(command, { timeoutMs: 60_000 });
  expect(r.exitCode, `\`${command}\` failed: ${r.stderr}`).toBe(0);
  return r.stdout;
}

/** The probe's verdict on each attempt: `ok` or the errno's name. */
async function probe(sb: Sandbox, ...attempts: string[]): Promise<Record<string, string>> {
  const out = await sh(sb, `${PROBE} ${attempts.join(" ")}`);
  return Object.fromEntries(
    out
      .trim()
      .split("\n")
      .map((l) => l.split("=") as [string, string]),
  );
}

/** The host pid of the sandbox's init (what the runtime enters commands through). */
function initPid(sb: Sandbox): number {
  const state = JSON.parse(readFileSync(join(h.dataDir, "disks", sb.id, "runtime.json"), "utf8"));
  return state.nsPid as number;
}

/** `pids.current` of the sandbox's cgroup, read on the host (cgroup v1 or v2). */
function pidsCurrent(sb: Sandbox): number {
  for (const root of ["/sys/fs/cgroup/pids/superserve-local", "/sys/fs/cgroup/superserve-local"]) {
    if (!existsSync(root)) continue;
    for (const instance of readdirSync(root)) {
      const file = join(root, instance, sb.id, "pids.current");
      if (existsSync(file)) return Number(readFileSync(file, "utf8"));
    }
  }
  throw new Error(`no pids cgroup for sandbox ${sb.id}`);
}

describe("a sandbox's root is nobody outside", () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await sandbox();
  });
  afterAll(async () => sb?.kill());

  it("runs in a user namespace whose root is an unprivileged host id", async () => {
    const [inside, outside, count] = (await sh(sb, "cat /proc/self/uid_map")).trim().split(/\s+/);
    expect(inside, "root inside").toBe("0");
    expect(Number(outside), "the host id of the sandbox's root").toBeGreaterThanOrEqual(65536);
    expect(Number(count), "a range, not the identity map of every id").toBeLessThan(4294967295);
    expect((await sh(sb, "id -u")).trim(), "the sandbox still runs as its own root").toBe("0");
  });

  it("makes a setuid-root file setuid to an unprivileged id on the host, and keeps its files off the host's file system", async () => {
    await sh(sb, "cp /bin/sh /root/suid && chown 0:0 /root/suid && chmod 4755 /root/suid");
    const onHost = statSync(`/proc/${initPid(sb)}/root/root/suid`);
    expect(onHost.mode & 0o4000, "the bit is kept (it means root inside)").toBe(0o4000);
    expect(onHost.uid, "its owner on the host is the mapped id, not root").toBeGreaterThanOrEqual(
      65536,
    );
    const find = spawnSync("find", [join(h.dataDir, "disks", sb.id), "-perm", "-4000"], {
      encoding: "utf8",
    });
    expect(find.stdout, "no setuid file of the sandbox on the host's file system").toBe("");
  });

  it("cannot write the host's kernel settings in /proc/sys", async () => {
    for (const file of ["/proc/sys/kernel/core_pattern", "/proc/sys/vm/swappiness"]) {
      const r = await sb.commands.run(`cat ${file} > /tmp/v && cat /tmp/v > ${file}`);
      expect(r.exitCode, `writing ${file} (its own value) must fail`).not.toBe(0);
    }
    expect(readFileSync("/proc/sys/kernel/core_pattern", "utf8")).not.toContain("probe");
  });

  it("sees runc's masked paths empty or absent", async () => {
    for (const file of ["/proc/keys", "/proc/timer_list", "/proc/kcore", "/proc/sched_debug"]) {
      const size = await sh(sb, `[ -e ${file} ] && cat ${file} | wc -c || echo 0`);
      expect(Number(size.trim()), `${file} shows nothing of the host`).toBe(0);
    }
    expect(await sh(sb, "ls -A /sys | wc -l"), "/sys is empty").toBe("0\n");
    const r = await sb.commands.run("touch /sys/x");
    expect(r.exitCode, "/sys is read-only").not.toBe(0);
  });
});

describe("nothing beyond a container's defaults", () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await sandbox();
  });
  afterAll(async () => sb?.kill());

  it("holds at most Docker's default capabilities, with no_new_privs and a seccomp filter", async () => {
    const status = await sh(sb, "cat /proc/self/status");
    const field = (name: string) => new RegExp(`^${name}:\\s*(\\S+)`, "m").exec(status)?.[1];
    for (const set of ["CapEff", "CapPrm", "CapBnd"]) {
      const caps = BigInt(`0x${field(set)}`);
      expect((caps & ~DOCKER_CAPS).toString(16), `${set} beyond Docker's default set`).toBe("0");
    }
    expect(field("NoNewPrivs")).toBe("1");
    expect(field("Seccomp"), "seccomp filter mode").toBe("2");
    // The sandbox's pid 1 (bubblewrap's reaper, which a process of the sandbox may ptrace) too.
    const init = await sh(sb, "cat /proc/1/status");
    expect(init).toMatch(/^Seccomp:\s+2$/m);
    expect(init).toMatch(/^NoNewPrivs:\s+1$/m);
    const initCaps = BigInt(`0x${/^CapPrm:\s*(\S+)/m.exec(init)?.[1]}`);
    expect((initCaps & ~DOCKER_CAPS).toString(16), "pid 1's capabilities").toBe("0");
  });

  it("writes files through the data plane as the sandbox's root, not the host's", async () => {
    await sb.files.write("/root/written", new TextEncoder().encode("x"));
    expect((await sh(sb, "stat -c %u /root/written")).trim(), "root's inside").toBe("0");
    const onHost = statSync(`/proc/${initPid(sb)}/root/root/written`);
    expect(onHost.uid, "and the mapped id's outside").toBeGreaterThanOrEqual(65536);
  });

  it("cannot unconfine later commands by planting files where they start", async () => {
    // Everything that confines a command is opened on the host and run from its descriptor; a
    // file the sandbox plants (here at a path an earlier version used) is never what runs.
    await sh(
      sb,
      "mkdir -p /opt/superserve-local/confine && printf '#!/bin/sh\\nshift 3\\nexec \"$@\"\\n' > /opt/superserve-local/confine/confine && chmod 755 /opt/superserve-local/confine/confine",
    );
    const status = await sh(sb, "grep -E '^(CapEff|Seccomp):' /proc/self/status");
    expect(status).toMatch(/^Seccomp:\s+2$/m);
    expect(status).toMatch(/^CapEff:\s+00000000a80425fb$/m);
    const fds = await sh(sb, "ls -l /proc/$$/fd");
    expect(fds, "no descriptor of the host's confinement reaches a command").not.toMatch(
      /confine|filter\.bpf/,
    );
  });

  it("cannot open host files by handle through the read-only host binds", async () => {
    const binds = (await sh(sb, "ls -d /opt/superserve-local/*")).trim().split("\n");
    expect(binds.length, "the sandbox has host binds to try").toBeGreaterThan(0);
    const results = await probe(
      sb,
      ...binds.flatMap((b) => [`by_handle:${b}`, `name_to_handle:${b}`]),
    );
    for (const [attempt, result] of Object.entries(results))
      expect(result, `${attempt} must be refused`).toBe("EPERM");
  });

  it("is refused bpf, keyrings, perf events, mounts and new namespaces", async () => {
    const results = await probe(
      sb,
      "bpf",
      "keyctl",
      "add_key",
      "perf_event_open",
      "mount",
      "unshare_user",
      "unshare_mount",
      "setns",
    );
    for (const [attempt, result] of Object.entries(results))
      expect(result, `${attempt} must be refused with EPERM`).toBe("EPERM");
  });

  it("cannot reach the host's loopback", async () => {
    const results = await probe(sb, `connect:${canaryPort}`);
    expect(
      results[`connect:${canaryPort}`],
      "the host canary is not on the sandbox's loopback",
    ).toBe("ECONNREFUSED");
  });
});

describe("limits a sandbox cannot pass", () => {
  it("caps a fork bomb at the pids limit while another sandbox and the host keep forking", async () => {
    const [bomb, other] = await Promise.all([sandbox(), sandbox()]);
    try {
      const started = bomb.commands.run(
        "i=0; while [ $i -lt 4000 ]; do (sleep 600 &) 2>/dev/null; i=$((i+1)); done; echo done",
        { timeoutMs: 120_000 },
      );
      await eventually(
        "the fork bomb to reach the pids limit",
        () => pidsCurrent(bomb) >= PIDS_MAX - 20,
        60_000,
      );
      expect(pidsCurrent(bomb), "pids.current stays within the limit").toBeLessThanOrEqual(
        PIDS_MAX,
      );
      expect((await sh(other, "echo alive")).trim(), "another sandbox still execs").toBe("alive");
      expect(spawnSync("/bin/true").status, "the host still forks").toBe(0);
      await started;
      expect(pidsCurrent(bomb)).toBeLessThanOrEqual(PIDS_MAX);
    } finally {
      await Promise.all([bomb.kill(), other.kill()]);
    }
  });

  it("limits the whole disk to diskMib, across many files", async () => {
    const sb = await sandbox();
    try {
      const r = await sb.commands.run(
        `cd /root && i=0; while [ $i -lt ${DISK_MIB / 128 + 8} ]; do fallocate -l 128M f$i || exit 17; i=$((i+1)); done`,
        { timeoutMs: 120_000 },
      );
      expect(r.exitCode, "allocating more than diskMib in 128 MiB files must fail").toBe(17);
      expect(r.stderr).toMatch(/No space left on device|Disk quota exceeded/);
      const write = await sb.commands.run("head -c 8M /dev/zero > /root/more");
      expect(write.stderr, "a write past the disk fails too").toMatch(/No space left on device/);
      const used = Number((await sh(sb, "du -sm /root | cut -f1")).trim());
      expect(used, "what was written stays within diskMib").toBeLessThanOrEqual(DISK_MIB);
    } finally {
      await sb.kill();
    }
  });
});

describe("sandboxes cannot see each other", () => {
  it("neither processes nor files of another sandbox are visible", async () => {
    const [a, b] = await Promise.all([sandbox(), sandbox()]);
    try {
      await sh(a, "echo secret > /root/a-only && (sleep 300 &) && echo started");
      const procs = await sh(b, "cat /proc/[0-9]*/cmdline 2>/dev/null | tr '\\0' ' '");
      expect(procs, "b sees no process of a").not.toContain("sleep 300");
      const r = await b.commands.run("cat /root/a-only");
      expect(r.exitCode, "b does not have a's file").not.toBe(0);
    } finally {
      await Promise.all([a.kill(), b.kill()]);
    }
  });
});
