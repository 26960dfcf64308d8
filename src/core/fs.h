/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fs.h - durable file operations: whole-file reads with a cap, atomic
 * replacement (temporary file, fsync, rename, fsync of the directory),
 * and directory creation that survives a crash.
 */
#ifndef TG_CORE_FS_H
#define TG_CORE_FS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "core/buf.h"
#include "core/err.h"

/* Appends the whole file at path to out (at most out->max bytes in total:
 * TG_E_TOOBIG beyond). TG_E_NOTFOUND when it does not exist, TG_E_IO
 * otherwise; d says which file and why. */
tg_err tg_fs_read(const char *path, struct tg_buf *out, struct tg_diag *d) TG_MUST_CHECK;

/* Reads all of fd (a pipe or file) into out, up to out->max bytes. */
tg_err tg_fs_read_fd(int fd, struct tg_buf *out) TG_MUST_CHECK;

/* Writes exactly n bytes to fd, retrying short writes and EINTR; TG_E_IO
 * on an error or when fd accepts nothing. */
tg_err tg_fs_write_all(int fd, const void *p, size_t n) TG_MUST_CHECK;

/* Reads exactly n bytes from fd, retrying short reads and EINTR; TG_E_IO
 * on an error or at end of file before n bytes. */
tg_err tg_fs_read_exact(int fd, void *p, size_t n) TG_MUST_CHECK;

#define TG_FS_SYNC 0x01     /* fsync the file and its directory before returning */
#define TG_FS_EXCL 0x02     /* fail with TG_E_EXISTS when path exists */

/*
 * Writes n bytes to path so that readers see either the old content or the
 * new, never a mix: a temporary file in the same directory, written, then
 * (with TG_FS_SYNC) fsync'd, renamed over path, and the directory fsync'd.
 * mode applies to the new file. With TG_FS_EXCL the final step is link()
 * instead of rename(), so an existing path is never replaced.
 */
tg_err tg_fs_write_atomic(const char *path, const void *p, size_t n, mode_t mode,
			  unsigned flags, struct tg_diag *d) TG_MUST_CHECK;

/*
 * Two-phase replacement for writers that commit many files at once: stage
 * writes a temporary file next to path (no fsync) and returns its name in
 * tmp; after the caller made it durable (e.g. with tg_fs_syncfs) publish
 * renames it over path and, with sync_dir, fsyncs the directory.
 */
tg_err tg_fs_stage(const char *path, const void *p, size_t n, mode_t mode, struct tg_buf *tmp,
		   struct tg_diag *d) TG_MUST_CHECK;
tg_err tg_fs_publish(const char *tmp, const char *path, bool sync_dir,
		     struct tg_diag *d) TG_MUST_CHECK;

/* Flushes every dirty page and inode of the filesystem holding path to
 * stable storage (Linux syncfs: one journal commit for many files). */
tg_err tg_fs_syncfs(const char *path) TG_MUST_CHECK;

/* Creates dir and its missing parents with mode; each new directory's
 * parent is fsync'd so the creation is durable. Existing dirs are fine. */
tg_err tg_fs_mkdir_p(const char *dir, mode_t mode, struct tg_diag *d) TG_MUST_CHECK;

/* fsyncs a directory (to make renames and creations in it durable). */
tg_err tg_fs_sync_dir(const char *dir) TG_MUST_CHECK;

/* True when path exists (any type). */
bool tg_fs_exists(const char *path);

#endif
