// ltfoot: the footprint benchmark's measuring tool inside the guest (static, busybox has no
// sub-second clock). Built by bench/footprint/run.sh with gcc -static.
//
//   ltfoot run --ready TEXT --status FILE --log FILE [--stamp] -- CMD [ARG...]
//       Starts CMD with stdout and stderr on one pipe, copies everything to FILE, and writes
//       "pid=P" then "ready_ms=T" to the status file when a line containing TEXT appears
//       (T: CLOCK_MONOTONIC from just before fork to that line), then "exit=N" at the end.
//       Keeps draining the pipe until CMD exits, so a tracer never blocks on its output.
//       --stamp: each line of the log starts with "[ms] ", the time it arrived since the start
//       (where a start's time goes, from lifetrace -v's messages).
//   ltfoot load FILE NAME COUNT [PARAMS]
//       COUNT times: finit_module(FILE, PARAMS) timed alone, then delete_module(NAME).
//       Prints "load_us=U unload_us=V" per round; stops at the first failure (exit 1).
//   ltfoot threads PID
//       Per thread "tid=T comm=C vol=V nonvol=N" (context switches, /proc/PID/task/*/status),
//       then "ctxsw_total=S threads=K".
//   ltfoot mem PID
//       "rss_kb= hwm_kb= anon_kb= file_kb= shmem_kb= threads=" (status), "pss_kb= uss_kb="
//       (smaps_rollup, Linux 4.14+) and the resident memory per
//       mapping name from /proc/PID/smaps, largest first: "map kb=K name=N".
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int usage(void) {
  fprintf(stderr,
          "usage: ltfoot run --ready TEXT --status FILE --log FILE -- CMD [ARG...]\n"
          "       ltfoot load FILE NAME COUNT [PARAMS]\n"
          "       ltfoot threads PID\n"
          "       ltfoot mem PID\n");
  return 2;
}

static void status_line(const char* path, const char* line) {
  FILE* f = fopen(path, "a");
  if (!f) {
    fprintf(stderr, "ltfoot: cannot open %s: %s\n", path, strerror(errno));
    return;
  }
  fprintf(f, "%s\n", line);
  fclose(f);
}

static int cmd_run(int argc, char** argv) {
  const char *ready = NULL, *status = NULL, *logp = NULL;
  int stamp = 0;
  int i = 0;
  for (; i < argc; ++i) {
    if (!strcmp(argv[i], "--") && i + 1 < argc) break;
    if (!strcmp(argv[i], "--stamp")) {
      stamp = 1;
      continue;
    }
    if (i + 1 >= argc) return usage();
    if (!strcmp(argv[i], "--ready"))
      ready = argv[++i];
    else if (!strcmp(argv[i], "--status"))
      status = argv[++i];
    else if (!strcmp(argv[i], "--log"))
      logp = argv[++i];
    else
      return usage();
  }
  if (!ready || !status || !logp || i >= argc) return usage();
  char** cmd = argv + i + 1;
  int logfd = open(logp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (logfd < 0) {
    fprintf(stderr, "ltfoot: cannot create %s: %s\n", logp, strerror(errno));
    return 1;
  }
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) return 1;
  const double t0 = now_ms();
  pid_t pid = fork();
  if (pid < 0) return 1;
  if (pid == 0) {
    dup2(p[1], 1);
    dup2(p[1], 2);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    execvp(cmd[0], cmd);
    fprintf(stderr, "ltfoot: cannot run %s: %s\n", cmd[0], strerror(errno));
    _exit(127);
  }
  close(p[1]);
  char line[128];
  snprintf(line, sizeof line, "pid=%d", (int)pid);
  status_line(status, line);
  // Scan for TEXT across reads: keep the tail of the previous chunk.
  const size_t rl = strlen(ready);
  char buf[65536 + 256];
  size_t carry = 0;
  int seen = 0;
  int at_line_start = 1;
  for (;;) {
    ssize_t n = read(p[0], buf + carry, 65536);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    const double t = now_ms();
    if (!stamp) {
      if (write(logfd, buf + carry, (size_t)n) < 0) { /* the log is best effort */
      }
    } else {
      char pre[32];
      for (size_t k = carry; k < carry + (size_t)n; ++k) {
        if (at_line_start) {
          const int pl = snprintf(pre, sizeof pre, "[%.1f] ", t - t0);
          if (write(logfd, pre, (size_t)pl) < 0) {
          }
        }
        if (write(logfd, buf + k, 1) < 0) {
        }
        at_line_start = buf[k] == '\n';
      }
    }
    size_t len = carry + (size_t)n;
    if (!seen && memmem(buf, len, ready, rl)) {
      seen = 1;
      snprintf(line, sizeof line, "ready_ms=%.1f", t - t0);
      status_line(status, line);
    }
    carry = rl < len ? rl : len;
    memmove(buf, buf + len - carry, carry);
  }
  int ws = 0;
  while (waitpid(pid, &ws, 0) < 0 && errno == EINTR) {
  }
  snprintf(line, sizeof line, "exit=%d",
           WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + (WIFSIGNALED(ws) ? WTERMSIG(ws) : 0));
  status_line(status, line);
  return 0;
}

static int cmd_load(int argc, char** argv) {
  if (argc < 3) return usage();
  const char* file = argv[0];
  const char* name = argv[1];
  const int count = atoi(argv[2]);
  const char* params = argc > 3 ? argv[3] : "";
  for (int r = 0; r < count; ++r) {
    int fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      fprintf(stderr, "ltfoot: cannot open %s: %s\n", file, strerror(errno));
      return 1;
    }
    double t = now_ms();
    long rc = syscall(SYS_finit_module, fd, params, 0);
    const double load = now_ms() - t;
    const int err = errno;
    close(fd);
    if (rc != 0) {
      fprintf(stderr, "ltfoot: finit_module(%s): %s\n", file, strerror(err));
      return 1;
    }
    t = now_ms();
    rc = syscall(SYS_delete_module, name, O_NONBLOCK);
    const double unload = now_ms() - t;
    if (rc != 0) {
      fprintf(stderr, "ltfoot: delete_module(%s): %s\n", name, strerror(errno));
      return 1;
    }
    printf("load_us=%.0f unload_us=%.0f\n", load * 1e3, unload * 1e3);
    fflush(stdout);
  }
  return 0;
}

// The value of "Key:" in a /proc status-like file, or -1.
static long field(const char* text, const char* key) {
  const char* p = strstr(text, key);
  if (!p) return -1;
  return strtol(p + strlen(key), NULL, 10);
}

static int slurp(const char* path, char* buf, size_t cap) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  size_t len = 0;
  ssize_t n;
  while (len + 1 < cap && (n = read(fd, buf + len, cap - 1 - len)) > 0) len += (size_t)n;
  close(fd);
  buf[len] = 0;
  return (int)len;
}

static int cmd_threads(const char* pid) {
  char path[512], text[8192];
  snprintf(path, sizeof path, "/proc/%s/task", pid);
  DIR* d = opendir(path);
  if (!d) {
    fprintf(stderr, "ltfoot: %s: %s\n", path, strerror(errno));
    return 1;
  }
  long total = 0;
  int threads = 0;
  struct dirent* e;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    snprintf(path, sizeof path, "/proc/%s/task/%s/status", pid, e->d_name);
    if (slurp(path, text, sizeof text) < 0) continue;
    char comm[64] = "?";
    sscanf(text, "Name:\t%63s", comm);
    const long vol = field(text, "\nvoluntary_ctxt_switches:");
    const long nonvol = field(text, "\nnonvoluntary_ctxt_switches:");
    printf("tid=%s comm=%s vol=%ld nonvol=%ld\n", e->d_name, comm, vol, nonvol);
    total += vol + nonvol;
    ++threads;
  }
  closedir(d);
  printf("ctxsw_total=%ld threads=%d\n", total, threads);
  return 0;
}

struct agg {
  char name[96];
  long kb;
};

static int cmd_mem(const char* pid) {
  char path[256];
  static char text[1 << 16];
  snprintf(path, sizeof path, "/proc/%s/status", pid);
  if (slurp(path, text, sizeof text) < 0) {
    fprintf(stderr, "ltfoot: %s: %s\n", path, strerror(errno));
    return 1;
  }
  printf("rss_kb=%ld hwm_kb=%ld anon_kb=%ld file_kb=%ld shmem_kb=%ld threads=%ld",
         field(text, "\nVmRSS:"), field(text, "\nVmHWM:"), field(text, "\nRssAnon:"),
         field(text, "\nRssFile:"), field(text, "\nRssShmem:"), field(text, "\nThreads:"));
  // PSS (shared pages divided among their mappers) and USS (pages no other process maps):
  // the resident set counts each shared library page whole, as if no one else used it.
  static char rollup[4096];
  snprintf(path, sizeof path, "/proc/%s/smaps_rollup", pid);
  rollup[0] = '\n';
  if (slurp(path, rollup + 1, sizeof rollup - 1) >= 0)
    printf(" pss_kb=%ld uss_kb=%ld", field(rollup, "\nPss:"),
           field(rollup, "\nPrivate_Clean:") + field(rollup, "\nPrivate_Dirty:"));
  printf("\n");
  snprintf(path, sizeof path, "/proc/%s/smaps", pid);
  FILE* f = fopen(path, "r");
  if (!f) return 0;
  static struct agg aggs[512];
  int na = 0, cur = -1;
  char line[512];
  while (fgets(line, sizeof line, f)) {
    unsigned long a, b;
    char perms[8];
    // Field lines ("Rss:   4 kB", "AnonHugePages: …") never parse as "start-end perms".
    if (sscanf(line, "%lx-%lx %7s", &a, &b, perms) == 3) {
      // "start-end perms offset dev inode [name]": the name is the 6th field.
      char* p = line;
      for (int k = 0; k < 5 && p; ++k) {
        p = strchr(p, ' ');
        while (p && *p == ' ') ++p;
      }
      char name[96] = "[anon]";
      if (p && *p && *p != '\n') {
        snprintf(name, sizeof name, "%s", p);
        name[strcspn(name, "\n")] = 0;
        // Shared libraries by file name only.
        char* slash = strrchr(name, '/');
        if (slash) memmove(name, slash + 1, strlen(slash));
      }
      cur = -1;
      for (int k = 0; k < na; ++k)
        if (!strcmp(aggs[k].name, name)) cur = k;
      if (cur < 0 && na < 512) {
        cur = na++;
        snprintf(aggs[cur].name, sizeof aggs[cur].name, "%s", name);
        aggs[cur].kb = 0;
      }
      continue;
    }
    long kb;
    if (cur >= 0 && sscanf(line, "Rss: %ld kB", &kb) == 1) aggs[cur].kb += kb;
  }
  fclose(f);
  for (int i = 0; i < na; ++i)  // selection sort, largest first; na is small
    for (int j = i + 1; j < na; ++j)
      if (aggs[j].kb > aggs[i].kb) {
        struct agg t = aggs[i];
        aggs[i] = aggs[j];
        aggs[j] = t;
      }
  for (int i = 0; i < na && i < 15; ++i)
    if (aggs[i].kb > 0) printf("map kb=%ld name=%s\n", aggs[i].kb, aggs[i].name);
  return 0;
}

int main(int argc, char** argv) {
  if (argc < 2) return usage();
  if (!strcmp(argv[1], "run")) return cmd_run(argc - 2, argv + 2);
  if (!strcmp(argv[1], "load")) return cmd_load(argc - 2, argv + 2);
  if (!strcmp(argv[1], "threads") && argc == 3) return cmd_threads(argv[2]);
  if (!strcmp(argv[1], "mem") && argc == 3) return cmd_mem(argv[2]);
  return usage();
}
