/*
 * The break-out suite's probe (breakout.test.ts): compiled statically on the host, copied into a
 * sandbox and run there as its root. Each argument names one attempt; each prints one line
 * `NAME=RESULT`, RESULT being `ok` when the kernel let it through, else the errno's name.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

static void report(const char *name, long rc) {
  printf("%s=%s\n", name, rc >= 0 ? "ok" : strerrorname_np(errno));
}

/* open_by_handle_at on inode 2 (the root directory of an ext4 file system) of the file system
 * behind `dir`: the "shocker" escape, which reads the host's files through any host bind. */
static long by_handle(const char *dir) {
  int mount_fd = open(dir, O_RDONLY | O_DIRECTORY);
  if (mount_fd < 0) return -1;
  struct {
    struct file_handle fh;
    unsigned int ino, gen;
  } h = {.fh = {.handle_bytes = 8, .handle_type = 1}, .ino = 2, .gen = 0};
  long fd = open_by_handle_at(mount_fd, &h.fh, O_RDONLY);
  if (fd >= 0) close(fd);
  return fd;
}

static long name_to_handle(const char *path) {
  struct {
    struct file_handle fh;
    unsigned char bytes[128];
  } h = {.fh = {.handle_bytes = 128}};
  int mount_id;
  return name_to_handle_at(AT_FDCWD, path, &h.fh, &mount_id, 0);
}

static long bpf_map(void) {
  union bpf_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.map_type = BPF_MAP_TYPE_ARRAY;
  attr.key_size = 4;
  attr.value_size = 4;
  attr.max_entries = 1;
  return syscall(SYS_bpf, BPF_MAP_CREATE, &attr, sizeof attr);
}

static long perf(void) {
  struct perf_event_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.size = sizeof attr;
  attr.type = PERF_TYPE_SOFTWARE;
  attr.config = PERF_COUNT_SW_CPU_CLOCK;
  return syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0);
}

static long host_loopback(const char *port) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(atoi(port))};
  inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  long rc = connect(s, (struct sockaddr *)&a, sizeof a);
  close(s);
  return rc;
}

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    errno = 0;
    if (!strncmp(a, "by_handle:", 10)) report(a, by_handle(a + 10));
    else if (!strncmp(a, "name_to_handle:", 15)) report(a, name_to_handle(a + 15));
    else if (!strcmp(a, "bpf")) report(a, bpf_map());
    else if (!strcmp(a, "keyctl")) report(a, syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -4, 0));
    else if (!strcmp(a, "add_key")) report(a, syscall(SYS_add_key, "user", "probe", "x", 1, -4));
    else if (!strcmp(a, "perf_event_open")) report(a, perf());
    else if (!strcmp(a, "mount")) report(a, mount("none", "/tmp", "tmpfs", 0, NULL));
    else if (!strcmp(a, "unshare_user")) report(a, unshare(CLONE_NEWUSER));
    else if (!strcmp(a, "unshare_mount")) report(a, unshare(CLONE_NEWNS));
    else if (!strcmp(a, "setns")) report(a, setns(open("/proc/1/ns/mnt", O_RDONLY), 0));
    else if (!strncmp(a, "connect:", 8)) report(a, host_loopback(a + 8));
    else printf("%s=unknown\n", a);
  }
  return 0;
}
