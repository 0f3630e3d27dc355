/* iofault: an LD_PRELOAD shim that makes file writes and syncs fail on demand.
 *
 * Tests use it to show that keyfoldd answers a full disk or a failing fsync
 * with 503s, loses nothing it acknowledged, and recovers once the fault is
 * gone. The control file named by $IOFAULT_CONTROL says what to break, and is
 * re-checked on every intercepted call so a test can flip faults while the
 * process runs. Format and caveats: docs/fault-injection.md.
 *
 * This file alone may use GNU extensions: dlsym(RTLD_NEXT) and the *64
 * variants need _GNU_SOURCE. It links nothing of keyfold.
 */
#define _GNU_SOURCE
/* Meson builds with -D_FILE_OFFSET_BITS=64, under which glibc's headers
 * rename pwrite to pwrite64 and so on; we must define both as distinct
 * symbols, because callers built either way bind to one or the other. */
#undef _FILE_OFFSET_BITS

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

/* The next definition of each function (normally libc's). The shim's own
 * I/O (stat/open/read/readlink of the control file and /proc) uses functions
 * it does not intercept, or these pointers, so it never recurses. */
static struct {
  ssize_t (*write)(int, const void *, size_t);
  ssize_t (*pwrite)(int, const void *, size_t, off_t);
  ssize_t (*pwrite64)(int, const void *, size_t, off64_t);
  ssize_t (*writev)(int, const struct iovec *, int);
  ssize_t (*pwritev)(int, const struct iovec *, int, off_t);
  ssize_t (*pwritev64)(int, const struct iovec *, int, off64_t);
  int (*fsync)(int);
  int (*fdatasync)(int);
  int (*ftruncate)(int, off_t);
  int (*ftruncate64)(int, off64_t);
  int (*fallocate)(int, int, off_t, off_t);
  int (*fallocate64)(int, int, off64_t, off64_t);
  int (*posix_fallocate)(int, off_t, off_t);
  int (*posix_fallocate64)(int, off64_t, off64_t);
} real;

/* ISO C has no conversion from void * to a function pointer; POSIX
 * guarantees the representations match, so copy the bits. */
_Static_assert(sizeof(void *) == sizeof(real.write), "dlsym result size");
#define RESOLVE(name)                                                   \
  do {                                                                  \
    void *p_ = dlsym(RTLD_NEXT, #name);                                 \
    memcpy(&real.name, &p_, sizeof p_);                                 \
  } while (0)

static pthread_once_t resolve_once = PTHREAD_ONCE_INIT;

static void resolve(void) {
  RESOLVE(write); RESOLVE(pwrite); RESOLVE(pwrite64); RESOLVE(writev);
  RESOLVE(pwritev); RESOLVE(pwritev64); RESOLVE(fsync); RESOLVE(fdatasync);
  RESOLVE(ftruncate); RESOLVE(ftruncate64); RESOLVE(fallocate);
  RESOLVE(fallocate64); RESOLVE(posix_fallocate); RESOLVE(posix_fallocate64);
  /* Without these there is nothing sensible to forward to. */
  if (!real.write || !real.pwrite || !real.writev || !real.fsync ||
      !real.fdatasync || !real.ftruncate) {
    static const char msg[] = "iofault: cannot resolve libc symbols\n";
    if (real.write) (void)!real.write(2, msg, sizeof msg - 1);
    abort();
  }
}

enum { CLS_WRITE, CLS_FSYNC, NCLS };

/* Parsed control file plus counters. One mutex guards it all: the counters
 * must be exact across threads (after=/count=), and contention only matters
 * in tests. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
  int loaded;                   /* st below identifies the parsed file */
  struct stat st;
  char prefix[PATH_MAX];        /* "" = no file is affected */
  int err[NCLS];                /* errno to inject per class, 0 = ok */
  unsigned long after, count;   /* from the file; count 0 = unlimited */
  unsigned long seen, failed;   /* matching calls so far, faults injected */
  int verbose;
} cfg;

static int errno_of(const char *v) {
  if (!strcmp(v, "ENOSPC")) return ENOSPC;
  if (!strcmp(v, "EIO")) return EIO;
  if (!strcmp(v, "EDQUOT")) return EDQUOT;
  return 0; /* "ok", and anything unknown: never invent a fault */
}

static void parse_line(char *line) {
  char *eq = strchr(line, '=');
  if (line[0] == '#' || !eq) return;
  *eq = '\0';
  const char *k = line, *v = eq + 1;
  if (!strcmp(k, "path_prefix")) {
    /* /proc/self/fd shows canonical paths, so canonicalise the prefix too
     * (when it exists yet), keeping a trailing '/' that limits it to a dir. */
    char canon[sizeof cfg.prefix];
    size_t n = strlen(v), m;
    if (n && realpath(v, canon)) {
      m = strlen(canon);
      if (v[n - 1] == '/' && m > 1 && m + 1 < sizeof canon)
        memcpy(canon + m, "/", 2);
      memcpy(cfg.prefix, canon, sizeof canon);
    } else {
      snprintf(cfg.prefix, sizeof cfg.prefix, "%s", v);
    }
  } else if (!strcmp(k, "write")) cfg.err[CLS_WRITE] = errno_of(v);
  else if (!strcmp(k, "fsync")) cfg.err[CLS_FSYNC] = errno_of(v);
  else if (!strcmp(k, "after")) cfg.after = strtoul(v, NULL, 10);
  else if (!strcmp(k, "count")) cfg.count = strtoul(v, NULL, 10);
  else if (!strcmp(k, "verbose")) cfg.verbose = atoi(v);
}

static int same_file(const struct stat *a, const struct stat *b) {
  return a->st_dev == b->st_dev && a->st_ino == b->st_ino &&
         a->st_size == b->st_size &&
         a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
         a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
         a->st_ctim.tv_sec == b->st_ctim.tv_sec &&
         a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

/* Re-read the control file if it changed (a stat per call; the parse only on
 * change). Any change resets the counters, so writing a new file re-arms
 * after=/count=. Missing file = no faults. Caller holds the lock. */
static void reload(void) {
  const char *path = getenv("IOFAULT_CONTROL");
  struct stat st;
  if (!path || !*path || stat(path, &st) != 0) {
    if (cfg.loaded) memset(&cfg, 0, sizeof cfg);
    return;
  }
  if (cfg.loaded && same_file(&st, &cfg.st)) return;
  memset(&cfg, 0, sizeof cfg);
  cfg.loaded = 1;
  cfg.st = st;
  char buf[4096];
  size_t len = 0;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  for (ssize_t r; len < sizeof buf - 1 &&
                  (r = read(fd, buf + len, sizeof buf - 1 - len)) > 0;)
    len += (size_t)r;
  close(fd);
  buf[len] = '\0';
  for (char *save = NULL, *l = strtok_r(buf, "\r\n", &save); l;
       l = strtok_r(NULL, "\r\n", &save))
    parse_line(l);
}

/* Decide whether this call on fd fails; returns the errno to inject or 0.
 * The fd's path comes from /proc/self/fd on each call rather than from a
 * table kept by wrapping open/dup/close: nothing to get out of sync. */
static int inject(int fd, int cls, const char *fn) {
  pthread_once(&resolve_once, resolve);
  int err = 0;
  pthread_mutex_lock(&lock);
  reload();
  if (cfg.prefix[0] && cfg.err[cls]) {
    char link[64], path[PATH_MAX];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, path, sizeof path - 1);
    if (n > 0) {
      path[n] = '\0';
      if (!strncmp(path, cfg.prefix, strlen(cfg.prefix)) &&
          ++cfg.seen > cfg.after && (!cfg.count || cfg.failed < cfg.count)) {
        cfg.failed++;
        err = cfg.err[cls];
        if (cfg.verbose) {
          char msg[PATH_MAX + 128];
          snprintf(msg, sizeof msg, "iofault: %s(%d, %s) -> %s\n", fn, fd,
                   path, strerror(err));
          (void)!real.write(2, msg, strlen(msg));
        }
      }
    }
  }
  pthread_mutex_unlock(&lock);
  return err;
}

/* A fault returns -1 with errno set before the real call: nothing written. */
#define FAIL_IF(fd, cls, fn)                                            \
  do {                                                                  \
    int e_ = inject((fd), (cls), (fn));                                 \
    if (e_) { errno = e_; return -1; }                                  \
  } while (0)

/* Optional symbols (not in every libc) forward as ENOSYS when absent. */
#define NEED(name)                                                      \
  do { if (!real.name) { errno = ENOSYS; return -1; } } while (0)

ssize_t write(int fd, const void *buf, size_t n) {
  FAIL_IF(fd, CLS_WRITE, "write");
  return real.write(fd, buf, n);
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off) {
  FAIL_IF(fd, CLS_WRITE, "pwrite");
  return real.pwrite(fd, buf, n, off);
}

ssize_t pwrite64(int fd, const void *buf, size_t n, off64_t off) {
  FAIL_IF(fd, CLS_WRITE, "pwrite64");
  NEED(pwrite64);
  return real.pwrite64(fd, buf, n, off);
}

ssize_t writev(int fd, const struct iovec *iov, int cnt) {
  FAIL_IF(fd, CLS_WRITE, "writev");
  return real.writev(fd, iov, cnt);
}

ssize_t pwritev(int fd, const struct iovec *iov, int cnt, off_t off) {
  FAIL_IF(fd, CLS_WRITE, "pwritev");
  NEED(pwritev);
  return real.pwritev(fd, iov, cnt, off);
}

ssize_t pwritev64(int fd, const struct iovec *iov, int cnt, off64_t off) {
  FAIL_IF(fd, CLS_WRITE, "pwritev64");
  NEED(pwritev64);
  return real.pwritev64(fd, iov, cnt, off);
}

int fsync(int fd) {
  FAIL_IF(fd, CLS_FSYNC, "fsync");
  return real.fsync(fd);
}

int fdatasync(int fd) {
  FAIL_IF(fd, CLS_FSYNC, "fdatasync");
  return real.fdatasync(fd);
}

/* A full disk still lets a file shrink (SQLite truncates its WAL), so
 * ftruncate is a write only when it would grow the file. */
static int grows(int fd, off64_t len) {
  struct stat st;
  pthread_once(&resolve_once, resolve); /* real.ftruncate* may be called next */
  return fstat(fd, &st) != 0 || len > st.st_size;
}

int ftruncate(int fd, off_t len) {
  if (grows(fd, len)) FAIL_IF(fd, CLS_WRITE, "ftruncate");
  return real.ftruncate(fd, len);
}

int ftruncate64(int fd, off64_t len) {
  if (grows(fd, len)) FAIL_IF(fd, CLS_WRITE, "ftruncate64");
  NEED(ftruncate64);
  return real.ftruncate64(fd, len);
}

int fallocate(int fd, int mode, off_t off, off_t len) {
  FAIL_IF(fd, CLS_WRITE, "fallocate");
  NEED(fallocate);
  return real.fallocate(fd, mode, off, len);
}

int fallocate64(int fd, int mode, off64_t off, off64_t len) {
  FAIL_IF(fd, CLS_WRITE, "fallocate64");
  NEED(fallocate64);
  return real.fallocate64(fd, mode, off, len);
}

/* posix_fallocate reports errors as its return value, not via errno. */
int posix_fallocate(int fd, off_t off, off_t len) {
  int e = inject(fd, CLS_WRITE, "posix_fallocate");
  if (e) return e;
  return real.posix_fallocate ? real.posix_fallocate(fd, off, len) : ENOSYS;
}

int posix_fallocate64(int fd, off64_t off, off64_t len) {
  int e = inject(fd, CLS_WRITE, "posix_fallocate64");
  if (e) return e;
  return real.posix_fallocate64 ? real.posix_fallocate64(fd, off, len) : ENOSYS;
}
