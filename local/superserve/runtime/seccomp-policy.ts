/**
 * What a sandbox process may not ask the kernel: the system calls Docker's default seccomp profile
 * (moby `profiles/seccomp/default.json`) refuses to a container without extra capabilities, as a
 * deny list (everything else is allowed). Compiled to BPF by libseccomp (seccomp-bpf.c) and loaded
 * by `confine` (confine.c) into every sandbox process, its init and each command alike.
 */

const EPERM = 1;
const ENOSYS = 38;

/** One rule: refuse `syscall` with `errno`, always or when `(arg & mask) === value`. */
export interface SeccompRule {
  syscall: string;
  errno: number;
  when?: { arg: number; mask: bigint; value: bigint };
}

/** System calls refused outright with EPERM, grouped by what they would reach. */
const REFUSED: Record<string, string[]> = {
  "host files by handle (the 'shocker' escape)": ["open_by_handle_at", "name_to_handle_at"],
  "kernel programs and tracing": ["bpf", "perf_event_open", "lookup_dcookie", "kcmp"],
  "kernel keyrings (shared by every process of a uid)": ["keyctl", "add_key", "request_key"],
  "kernel code": [
    "kexec_load",
    "kexec_file_load",
    "init_module",
    "finit_module",
    "delete_module",
    "create_module",
    "get_kernel_syms",
    "query_module",
  ],
  "mounts and namespaces": [
    "mount",
    "umount",
    "umount2",
    "pivot_root",
    "fsopen",
    "fsconfig",
    "fsmount",
    "fspick",
    "open_tree",
    "move_mount",
    "mount_setattr",
    "unshare",
    "setns",
  ],
  "the machine's clock, swap, power and accounting": [
    "settimeofday",
    "stime",
    "clock_settime",
    "clock_settime64",
    "clock_adjtime",
    "clock_adjtime64",
    "adjtimex",
    "swapon",
    "swapoff",
    "reboot",
    "acct",
  ],
  "hardware and old interfaces": [
    "iopl",
    "ioperm",
    "vm86",
    "vm86old",
    "uselib",
    "ustat",
    "sysfs",
    "_sysctl",
    "nfsservctl",
    "quotactl",
    "quotactl_fd",
    "syslog",
  ],
  "memory of other processes and of the NUMA policy": [
    "userfaultfd",
    "move_pages",
    "mbind",
    "set_mempolicy",
    "get_mempolicy",
    "set_mempolicy_home_node",
  ],
  "io_uring (Docker refuses it since 25.0)": [
    "io_uring_setup",
    "io_uring_enter",
    "io_uring_register",
  ],
  "the host and domain name (the sandbox's own, set at boot)": ["sethostname", "setdomainname"],
};

/** `clone` flags that create namespaces: refused, as Docker does without CAP_SYS_ADMIN. */
const NAMESPACE_FLAGS: Record<string, bigint> = {
  CLONE_NEWNS: 0x00020000n,
  CLONE_NEWCGROUP: 0x02000000n,
  CLONE_NEWUTS: 0x04000000n,
  CLONE_NEWIPC: 0x08000000n,
  CLONE_NEWUSER: 0x10000000n,
  CLONE_NEWPID: 0x20000000n,
  CLONE_NEWNET: 0x40000000n,
};

/**
 * `personality` flags that weaken a program's own defences (address randomisation, executable
 * data, page zero): refused. The query `personality(0xffffffff)` stays allowed, every other value
 * with bit 31 set is refused (one masked comparison a rule, as libseccomp takes them).
 */
const PERSONALITY_FLAGS: Record<string, bigint> = {
  ADDR_NO_RANDOMIZE: 0x0040000n,
  MMAP_PAGE_ZERO: 0x0100000n,
  ADDR_COMPAT_LAYOUT: 0x0200000n,
  READ_IMPLIES_EXEC: 0x0400000n,
  ADDR_LIMIT_32BIT: 0x0800000n,
  ADDR_LIMIT_3GB: 0x8000000n,
};
const BIT31 = 0x80000000n;

/** The whole policy, in the order it is compiled. */
export function seccompRules(): SeccompRule[] {
  const rules: SeccompRule[] = Object.values(REFUSED)
    .flat()
    .map((syscall) => ({ syscall, errno: EPERM }));
  for (const flag of Object.values(NAMESPACE_FLAGS))
    rules.push({ syscall: "clone", errno: EPERM, when: { arg: 0, mask: flag, value: flag } });
  // clone3 passes its flags in memory, out of a filter's reach: ENOSYS makes libc fall back to clone.
  rules.push({ syscall: "clone3", errno: ENOSYS });
  for (const flag of Object.values(PERSONALITY_FLAGS))
    rules.push({
      syscall: "personality",
      errno: EPERM,
      when: { arg: 0, mask: flag | BIT31, value: flag },
    });
  for (let bit = 0n; bit < 31n; bit++)
    rules.push({
      syscall: "personality",
      errno: EPERM,
      when: { arg: 0, mask: BIT31 | (1n << bit), value: BIT31 },
    });
  return rules;
}

/** The policy as `seccomp-bpf` reads it on stdin: `ERRNO SYSCALL [ARG MASK VALUE]` a line. */
export function seccompPolicyText(rules: SeccompRule[] = seccompRules()): string {
  return rules
    .map((r) =>
      [
        r.errno,
        r.syscall,
        ...(r.when
          ? [r.when.arg, `0x${r.when.mask.toString(16)}`, `0x${r.when.value.toString(16)}`]
          : []),
      ].join(" "),
    )
    .join("\n")
    .concat("\n");
}
