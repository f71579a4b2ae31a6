/*
 * seccomp-bpf: compiles the local Superserve's seccomp policy (seccomp-policy.ts) with libseccomp
 * and writes the BPF program to stdout, for `confine` to load. The policy comes on stdin, one rule
 * a line:
 *   ERRNO SYSCALL                      refuse SYSCALL with ERRNO
 *   ERRNO SYSCALL ARG MASK [VALUE]     refuse it when (argument ARG & MASK) == VALUE (default MASK)
 * Everything else is allowed. The filter covers x86_64 with its x86 and x32 ABIs (libseccomp's
 * architecture checks refuse every other one). A syscall this libseccomp does not know is skipped
 * with a note on stderr (it cannot be called on this kernel either).
 */
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(void) {
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
  if (!ctx) return 1;
  if (seccomp_arch_native() == SCMP_ARCH_X86_64) {
    seccomp_arch_add(ctx, SCMP_ARCH_X86);
    seccomp_arch_add(ctx, SCMP_ARCH_X32);
  }
  char line[1024];
  int lineno = 0;
  while (fgets(line, sizeof line, stdin)) {
    lineno++;
    char *words[16];
    int n = 0;
    for (char *w = strtok(line, " \t\n"); w && n < 16; w = strtok(NULL, " \t\n")) words[n++] = w;
    if (n == 0) continue;
    if (n < 2) {
      fprintf(stderr, "seccomp-bpf: line %d: expected ERRNO SYSCALL [ARG MASK [VALUE]]\n", lineno);
      return 1;
    }
    int err = atoi(words[0]);
    int nr = seccomp_syscall_resolve_name(words[1]);
    if (nr == __NR_SCMP_ERROR) {
      fprintf(stderr, "seccomp-bpf: %s is unknown to libseccomp here, skipped\n", words[1]);
      continue;
    }
    int rc;
    if (n == 2) {
      rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(err), nr, 0);
    } else if (n == 4 || n == 5) {
      unsigned int arg = atoi(words[2]);
      scmp_datum_t mask = strtoull(words[3], NULL, 0);
      scmp_datum_t value = n == 5 ? strtoull(words[4], NULL, 0) : mask;
      rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(err), nr, 1,
                            SCMP_CMP(arg, SCMP_CMP_MASKED_EQ, mask, value));
    } else {
      fprintf(stderr, "seccomp-bpf: line %d: expected ERRNO SYSCALL [ARG MASK [VALUE]]\n", lineno);
      return 1;
    }
    if (rc != 0) {
      fprintf(stderr, "seccomp-bpf: line %d (%s): %s\n", lineno, words[1], strerror(-rc));
      return 1;
    }
  }
  int rc = seccomp_export_bpf(ctx, STDOUT_FILENO);
  if (rc != 0) {
    fprintf(stderr, "seccomp-bpf: export: %s\n", strerror(-rc));
    return 1;
  }
  seccomp_release(ctx);
  return 0;
}
