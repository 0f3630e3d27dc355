/* A failing disk for the SQLite store: see fault_vfs.h. */
#include "fault_vfs.h"

#include <sqlite3.h>
#include <stddef.h>
#include <stdatomic.h>

static sqlite3_vfs fault_vfs;
static sqlite3_vfs *base_vfs;
static atomic_int io_failing;
static atomic_ullong io_injected;
static int installed;

typedef struct fault_file {
  sqlite3_file base;
  sqlite3_file *real; /* follows this struct */
} fault_file;

static sqlite3_io_methods fault_methods;

static int refuse(int code) {
  atomic_fetch_add(&io_injected, 1);
  return code;
}

#define REAL(f) (((fault_file *)(f))->real)
static int f_close(sqlite3_file *f) { return REAL(f)->pMethods->xClose(REAL(f)); }
static int f_read(sqlite3_file *f, void *b, int n, sqlite3_int64 o) { return REAL(f)->pMethods->xRead(REAL(f), b, n, o); }
static int f_write(sqlite3_file *f, const void *b, int n, sqlite3_int64 o) {
  return atomic_load(&io_failing) ? refuse(SQLITE_IOERR_WRITE) : REAL(f)->pMethods->xWrite(REAL(f), b, n, o);
}
static int f_truncate(sqlite3_file *f, sqlite3_int64 n) { return REAL(f)->pMethods->xTruncate(REAL(f), n); }
static int f_sync(sqlite3_file *f, int flags) {
  return atomic_load(&io_failing) ? refuse(SQLITE_IOERR_FSYNC) : REAL(f)->pMethods->xSync(REAL(f), flags);
}
static int f_size(sqlite3_file *f, sqlite3_int64 *n) { return REAL(f)->pMethods->xFileSize(REAL(f), n); }
static int f_lock(sqlite3_file *f, int l) { return REAL(f)->pMethods->xLock(REAL(f), l); }
static int f_unlock(sqlite3_file *f, int l) { return REAL(f)->pMethods->xUnlock(REAL(f), l); }
static int f_check(sqlite3_file *f, int *r) { return REAL(f)->pMethods->xCheckReservedLock(REAL(f), r); }
static int f_control(sqlite3_file *f, int op, void *a) { return REAL(f)->pMethods->xFileControl(REAL(f), op, a); }
static int f_sector(sqlite3_file *f) { return REAL(f)->pMethods->xSectorSize(REAL(f)); }
static int f_caps(sqlite3_file *f) { return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f)); }
static int f_shm_map(sqlite3_file *f, int i, int sz, int ext, void volatile **p) {
  return REAL(f)->pMethods->xShmMap(REAL(f), i, sz, ext, p);
}
static int f_shm_lock(sqlite3_file *f, int o, int n, int fl) { return REAL(f)->pMethods->xShmLock(REAL(f), o, n, fl); }
static void f_shm_barrier(sqlite3_file *f) { REAL(f)->pMethods->xShmBarrier(REAL(f)); }
static int f_shm_unmap(sqlite3_file *f, int d) { return REAL(f)->pMethods->xShmUnmap(REAL(f), d); }

static int v_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *file, int flags, int *out) {
  (void)vfs;
  fault_file *ff = (fault_file *)file;
  ff->real = (sqlite3_file *)(ff + 1);
  const int rc = base_vfs->xOpen(base_vfs, name, ff->real, flags, out);
  file->pMethods = rc == SQLITE_OK ? &fault_methods : NULL;
  return rc;
}

void kf_fault_vfs_install(void) {
  if (installed) return;
  installed = 1;
  base_vfs = sqlite3_vfs_find(NULL);
  fault_vfs = *base_vfs;
  fault_vfs.zName = "keyfold-fault";
  fault_vfs.szOsFile = (int)sizeof(fault_file) + base_vfs->szOsFile;
  fault_vfs.xOpen = v_open;
  fault_methods = (sqlite3_io_methods){
      .iVersion = 2, .xClose = f_close, .xRead = f_read, .xWrite = f_write, .xTruncate = f_truncate,
      .xSync = f_sync, .xFileSize = f_size, .xLock = f_lock, .xUnlock = f_unlock,
      .xCheckReservedLock = f_check, .xFileControl = f_control, .xSectorSize = f_sector,
      .xDeviceCharacteristics = f_caps, .xShmMap = f_shm_map, .xShmLock = f_shm_lock,
      .xShmBarrier = f_shm_barrier, .xShmUnmap = f_shm_unmap};
  sqlite3_vfs_register(&fault_vfs, 1);
}

void kf_fault_io_set(int failing) { atomic_store(&io_failing, failing != 0); }

unsigned long long kf_fault_io_injected(void) { return atomic_load(&io_injected); }
