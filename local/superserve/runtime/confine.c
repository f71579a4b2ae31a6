/*
 * confine: the last step before every process of a local Superserve sandbox runs (its init, and
 * each command that joins it with nsenter). Usage: confine CAPMASK FILTER_FD -- COMMAND [ARG...]
 * It is run from a descriptor the host opened (/proc/self/fd/N), never from a path inside the
 * sandbox, which the sandbox's root could replace.
 * 1. no_new_privs: no execve ever gains a privilege (setuid bits and file capabilities stop
 *    raising it), and the seccomp filter may be loaded without CAP_SYS_ADMIN;
 * 2. the capability bounding set reduced to CAPMASK (hex, bit n = capability n) and the ambient
 *    set cleared: after the execve below, root holds at most CAPMASK, every other user nothing;
 * 3. the seccomp filter read from descriptor FILTER_FD (struct sock_filter, as libseccomp exports
 *    it) loaded;
 * 4. every descriptor above stderr closed (the host's included), COMMAND executed (searched in PATH).
 * Statically linked, so it runs in any image. Any failure ends it with status 127 before COMMAND
 * runs: a sandbox process never runs less confined than asked.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static int fail(const char *what) {
  fprintf(stderr, "confine: %s: %s\n", what, strerror(errno));
  return 127;
}

int main(int argc, char **argv) {
  if (argc < 5 || strcmp(argv[3], "--") != 0) {
    fprintf(stderr, "usage: confine CAPMASK FILTER_FD -- COMMAND [ARG...]\n");
    return 127;
  }
  unsigned long long keep = strtoull(argv[1], NULL, 16);
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return fail("no_new_privs");
  for (int cap = 0; cap < 64; cap++) {
    if (keep & (1ULL << cap)) continue;
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL)
      return fail("dropping a capability from the bounding set");
  }
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0)
    return fail("clearing the ambient capabilities");
  int fd = atoi(argv[2]);
  struct stat st;
  if (fd < 3 || fstat(fd, &st) != 0) return fail("the filter's descriptor");
  if (st.st_size <= 0 || st.st_size % sizeof(struct sock_filter) != 0 ||
      st.st_size / sizeof(struct sock_filter) > BPF_MAXINSNS) {
    errno = EINVAL;
    return fail("the filter's size");
  }
  struct sock_filter *insns = malloc(st.st_size);
  if (!insns) return fail("malloc");
  for (off_t done = 0; done < st.st_size;) {
    ssize_t n = pread(fd, (char *)insns + done, st.st_size - done, done);
    if (n <= 0) return fail("reading the filter");
    done += n;
  }
  struct sock_fprog prog = {.len = st.st_size / sizeof(struct sock_filter), .filter = insns};
  if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) != 0)
    return fail("loading the seccomp filter");
  if (syscall(SYS_close_range, 3, ~0U, 0) != 0) return fail("closing descriptors");
  execvp(argv[4], argv + 4);
  return fail(argv[4]);
}
