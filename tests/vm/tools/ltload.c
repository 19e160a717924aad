// SPDX-License-Identifier: GPL-2.0
// ltload: load one kernel module with exactly one system call, for lifetrace's VM tests.
//
//   ltload finit FILE [PARAM...]   finit_module(open(FILE), "PARAM PARAM...", 0)
//   ltload init  FILE [PARAM...]   init_module(contents of FILE, size, "PARAM PARAM...")
//   ltload flood UID COUNT FILE    as UID (not root): COUNT calls cycling through init_module,
//                                  finit_module(FILE) and delete_module, each with strings that
//                                  try to forge log lines and rewrite a terminal; the kernel
//                                  refuses every one (EPERM). Prints how many were refused.
//
// busybox insmod tries finit_module and, when that fails for any reason, retries with
// init_module, so one failing insmod shows up as two load attempts (and an init that fails runs
// twice). The scenarios need one attempt per step, through a syscall they choose.
//
// Prints one line "ltload: SYSCALL(FILE, "PARAMS") = 0" or "= -1 ENAME (message)" and exits with
// 0 or the errno value. Built with gcc -static so it runs in a busybox initramfs.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static char* join_params(int argc, char** argv) {
  size_t len = 1;
  for (int i = 0; i < argc; i++) len += strlen(argv[i]) + 1;
  char* out = calloc(len, 1);
  if (!out) return NULL;
  for (int i = 0; i < argc; i++) {
    if (i) strcat(out, " ");
    strcat(out, argv[i]);
  }
  return out;
}

static void* read_file(const char* path, size_t* size) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return NULL;
  struct stat st;
  if (fstat(fd, &st) != 0) {
    close(fd);
    return NULL;
  }
  char* buf = malloc((size_t)st.st_size ? (size_t)st.st_size : 1);
  size_t got = 0;
  while (buf && got < (size_t)st.st_size) {
    ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
    if (n <= 0) {
      free(buf);
      buf = NULL;
      break;
    }
    got += (size_t)n;
  }
  close(fd);
  *size = got;
  return buf;
}

// What an unprivileged user controls in each call: parameters and a module
// name with newlines, an sd-daemon priority prefix, and terminal escapes.
static const char kHostile[] =
    "x=1\n<0>lifetrace: FORGED emergency entry\n<3>lifetrace: error: FORGED\r"
    "\x1b[2J\x1b]0;owned\x07\x1b[31mred";

static int flood(uid_t uid, long count, const char* file) {
  int fd = open(file, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    fprintf(stderr, "ltload: cannot open %s: %s\n", file, strerror(errno));
    return 1;
  }
  if (setgid(uid) != 0 || setuid(uid) != 0) {
    fprintf(stderr, "ltload: cannot become uid %u: %s\n", (unsigned)uid, strerror(errno));
    return 1;
  }
  static char image[4096] =
      "\x7f"
      "ELF";
  long calls[3] = {0, 0, 0}, eperm = 0, other = 0;
  for (long i = 0; i < count; i++) {
    long rc;
    switch (i % 3) {
      case 0: rc = syscall(SYS_init_module, image, sizeof(image), kHostile); break;
      case 1: rc = syscall(SYS_finit_module, fd, kHostile, 0); break;
      default: rc = syscall(SYS_delete_module, "dummy\n<0>lifetrace: FORGED\x1b[2J", 0); break;
    }
    calls[i % 3]++;
    if (rc != 0 && errno == EPERM)
      eperm++;
    else
      other++;
  }
  close(fd);
  printf(
      "ltload: flood uid %u: %ld calls (init_module %ld, finit_module %ld, delete_module %ld), "
      "%ld EPERM, %ld other\n",
      (unsigned)uid, count, calls[0], calls[1], calls[2], eperm, other);
  fflush(stdout);
  return other ? 1 : 0;
}

int main(int argc, char** argv) {
  if (argc == 5 && strcmp(argv[1], "flood") == 0)
    return flood((uid_t)strtoul(argv[2], NULL, 10), strtol(argv[3], NULL, 10), argv[4]);
  if (argc < 3 || (strcmp(argv[1], "finit") != 0 && strcmp(argv[1], "init") != 0)) {
    fprintf(stderr, "usage: ltload finit|init FILE [PARAM...] | ltload flood UID COUNT FILE\n");
    return 2;
  }
  const char *how = argv[1], *file = argv[2];
  char* params = join_params(argc - 3, argv + 3);
  if (!params) {
    perror("ltload: out of memory");
    return 1;
  }

  long rc;
  if (strcmp(how, "finit") == 0) {
    int fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      fprintf(stderr, "ltload: cannot open %s: %s\n", file, strerror(errno));
      return 1;
    }
    rc = syscall(SYS_finit_module, fd, params, 0);
    int saved = errno;
    close(fd);
    errno = saved;
  } else {
    size_t size = 0;
    void* image = read_file(file, &size);
    if (!image) {
      fprintf(stderr, "ltload: cannot read %s: %s\n", file, strerror(errno));
      return 1;
    }
    rc = syscall(SYS_init_module, image, (unsigned long)size, params);
  }
  int err = rc == 0 ? 0 : errno;
  if (err == 0)
    printf("ltload: %s_module(%s, \"%s\") = 0\n", how, file, params);
  else
    printf("ltload: %s_module(%s, \"%s\") = -1 %s (%s)\n", how, file, params,
           strerrorname_np(err) ? strerrorname_np(err) : "E?", strerror(err));
  fflush(stdout);
  return err > 255 ? 255 : err;
}
