/* A failing disk for the SQLite store: a VFS over the default one whose
 * writes and fsyncs fail (SQLITE_IOERR_WRITE, SQLITE_IOERR_FSYNC) while
 * failing is set, so the store's commits fail as on a full or broken disk.
 * Used by tests/alloc_sweep.c (--strict) and the fuzz harness's store mode
 * (KF_FUZZ_STORE). The flag is global: the store's writer thread sees it.
 */
#ifndef KF_TESTS_FAULT_VFS_H
#define KF_TESTS_FAULT_VFS_H

/* Registers the VFS "keyfold-fault" as SQLite's default (call before the
 * store is opened; once is enough, later calls do nothing). */
void kf_fault_vfs_install(void);

/* Writes and fsyncs fail while failing is non-zero. */
void kf_fault_io_set(int failing);

/* How many writes and fsyncs have been refused so far. */
unsigned long long kf_fault_io_injected(void);

#endif
