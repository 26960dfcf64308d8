/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fs.c - durable file operations on POSIX: temporary file, fsync, rename,
 * fsync of the directory; whole-file reads with caps.
 */
#include "core/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/mem.h"

tg_err tg_fs_read_fd(int fd, struct tg_buf *out)
{
	for (;;) {
		uint8_t *p = tg_buf_reserve(out, 64 * 1024);
		ssize_t got;
		size_t room = 64 * 1024;
		if (!p) {
			/* Less than a chunk of room left under the cap: read into
			 * what remains, and fail only if more data follows. */
			room = out->max - out->len;
			p = tg_buf_reserve(out, room);
			if (!p)
				return TG_E_TOOBIG;
			if (room == 0) {
				uint8_t probe;
				ssize_t k;
				do
					k = read(fd, &probe, 1);
				while (k < 0 && errno == EINTR);
				if (k < 0)
					return TG_E_IO;
				return k == 0 ? TG_OK : TG_E_TOOBIG;
			}
		}
		got = read(fd, p, room);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return TG_E_IO;
		if (got == 0)
			return TG_OK;
		tg_buf_commit(out, (size_t)got);
	}
}

tg_err tg_fs_read(const char *path, struct tg_buf *out, struct tg_diag *d)
{
	size_t orig = out->len;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	tg_err r;
	if (fd < 0) {
		tg_diag_set(d, "cannot open '%s': %s", path, strerror(errno));
		return errno == ENOENT ? TG_E_NOTFOUND : TG_E_IO;
	}
	r = tg_fs_read_fd(fd, out);
	if (r == TG_E_TOOBIG)
		tg_diag_set(d, "'%s' is larger than %zu bytes", path, out->max);
	else if (r != TG_OK)
		tg_diag_set(d, "cannot read '%s': %s", path, strerror(errno));
	if (r != TG_OK)
		tg_buf_truncate(out, orig);
	close(fd);
	return r;
}

/* Splits path into its directory (in dir, NUL-terminated). */
static void dir_of(const char *path, char *dir, size_t cap)
{
	const char *slash = strrchr(path, '/');
	size_t n;
	if (!slash) {
		snprintf(dir, cap, ".");
		return;
	}
	n = slash == path ? 1 : (size_t)(slash - path);
	if (n >= cap)
		n = cap - 1;
	memcpy(dir, path, n);
	dir[n] = '\0';
}

tg_err tg_fs_sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc;
	if (fd < 0)
		return TG_E_IO;
	rc = fsync(fd);
	close(fd);
	return rc == 0 ? TG_OK : TG_E_IO;
}

tg_err tg_fs_write_all(int fd, const void *buf, size_t n)
{
	const uint8_t *p = buf;
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return TG_E_IO;
		p += w;
		n -= (size_t)w;
	}
	return TG_OK;
}

tg_err tg_fs_read_exact(int fd, void *buf, size_t n)
{
	uint8_t *p = buf;
	while (n > 0) {
		ssize_t r = read(fd, p, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return TG_E_IO;
		p += r;
		n -= (size_t)r;
	}
	return TG_OK;
}

/* Creates and fills a uniquely named temporary file next to path. */
static tg_err stage(const char *path, const void *p, size_t n, mode_t mode, bool sync,
		    char *tmp, size_t tmpcap, struct tg_diag *d)
{
	static const char hexd[] = "0123456789abcdef";
	uint8_t rnd[6];
	int fd = -1, len, attempt, urnd;
	size_t i;
	char suffix[13];

	for (attempt = 0; attempt < 16 && fd < 0; attempt++) {
		urnd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
		if (urnd < 0 || read(urnd, rnd, sizeof(rnd)) != (ssize_t)sizeof(rnd)) {
			if (urnd >= 0)
				close(urnd);
			tg_diag_set(d, "cannot read /dev/urandom");
			return TG_E_IO;
		}
		close(urnd);
		for (i = 0; i < sizeof(rnd); i++) {
			suffix[2 * i] = hexd[rnd[i] >> 4];
			suffix[2 * i + 1] = hexd[rnd[i] & 15];
		}
		suffix[12] = '\0';
		len = snprintf(tmp, tmpcap, "%s.tmp-%s", path, suffix);
		if (len < 0 || (size_t)len >= tmpcap) {
			tg_diag_set(d, "path too long: '%s'", path);
			return TG_E_INVAL;
		}
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
		if (fd < 0 && errno != EEXIST) {
			tg_diag_set(d, "cannot create '%s': %s", tmp, strerror(errno));
			return TG_E_IO;
		}
	}
	if (fd < 0) {
		tg_diag_set(d, "cannot create a temporary file next to '%s'", path);
		return TG_E_IO;
	}
	if (fchmod(fd, mode) != 0 || tg_fs_write_all(fd, p, n) != TG_OK || (sync && fsync(fd) != 0)) {
		tg_diag_set(d, "cannot write '%s': %s", tmp, strerror(errno));
		close(fd);
		(void)unlink(tmp);
		return TG_E_IO;
	}
	if (close(fd) != 0) {
		tg_diag_set(d, "cannot write '%s': %s", tmp, strerror(errno));
		(void)unlink(tmp);
		return TG_E_IO;
	}
	return TG_OK;
}

tg_err tg_fs_write_atomic(const char *path, const void *p, size_t n, mode_t mode,
			  unsigned flags, struct tg_diag *d)
{
	char tmp[PATH_MAX], dir[PATH_MAX];
	tg_err r;

	dir_of(path, dir, sizeof(dir));
	r = stage(path, p, n, mode, flags & TG_FS_SYNC, tmp, sizeof(tmp), d);
	if (r != TG_OK)
		return r;
	if (flags & TG_FS_EXCL) {
		if (link(tmp, path) != 0) {
			r = errno == EEXIST ? TG_E_EXISTS : TG_E_IO;
			tg_diag_set(d, "cannot create '%s': %s", path, strerror(errno));
			(void)unlink(tmp);
			return r;
		}
		(void)unlink(tmp);
	} else if (rename(tmp, path) != 0) {
		tg_diag_set(d, "cannot rename to '%s': %s", path, strerror(errno));
		(void)unlink(tmp);
		return TG_E_IO;
	}
	if ((flags & TG_FS_SYNC) && tg_fs_sync_dir(dir) != TG_OK) {
		tg_diag_set(d, "cannot sync directory '%s': %s", dir, strerror(errno));
		return TG_E_IO;
	}
	return TG_OK;
}

tg_err tg_fs_stage(const char *path, const void *p, size_t n, mode_t mode, struct tg_buf *tmp,
		   struct tg_diag *d)
{
	char t[PATH_MAX];
	tg_err r = stage(path, p, n, mode, false, t, sizeof(t), d);
	if (r == TG_OK) {
		tg_buf_reset(tmp);
		r = tg_buf_adds(tmp, t);
		if (r != TG_OK)
			(void)unlink(t);
	}
	return r;
}

tg_err tg_fs_publish(const char *tmp, const char *path, bool sync_dir, struct tg_diag *d)
{
	char dir[PATH_MAX];
	if (rename(tmp, path) != 0) {
		tg_diag_set(d, "cannot rename to '%s': %s", path, strerror(errno));
		(void)unlink(tmp);
		return TG_E_IO;
	}
	dir_of(path, dir, sizeof(dir));
	if (sync_dir && tg_fs_sync_dir(dir) != TG_OK) {
		tg_diag_set(d, "cannot sync directory '%s': %s", dir, strerror(errno));
		return TG_E_IO;
	}
	return TG_OK;
}

tg_err tg_fs_syncfs(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int rc;
	if (fd < 0)
		return TG_E_IO;
	rc = syncfs(fd);
	close(fd);
	return rc == 0 ? TG_OK : TG_E_IO;
}

tg_err tg_fs_mkdir_p(const char *dir, mode_t mode, struct tg_diag *d)
{
	char path[PATH_MAX];
	size_t n = strlen(dir), i;
	struct stat st;

	if (n == 0 || n >= sizeof(path)) {
		tg_diag_set(d, "bad directory path");
		return TG_E_INVAL;
	}
	memcpy(path, dir, n + 1);
	while (n > 1 && path[n - 1] == '/')
		path[--n] = '\0';
	if (stat(path, &st) == 0)
		return S_ISDIR(st.st_mode) ? TG_OK : TG_E_EXISTS;
	for (i = 1; i <= n; i++) {
		if (path[i] != '/' && path[i] != '\0')
			continue;
		path[i] = '\0';
		if (mkdir(path, mode) == 0) {
			char parent[PATH_MAX];
			dir_of(path, parent, sizeof(parent));
			if (tg_fs_sync_dir(parent) != TG_OK) {
				tg_diag_set(d, "cannot sync '%s': %s", parent, strerror(errno));
				return TG_E_IO;
			}
		} else if (errno != EEXIST) {
			tg_diag_set(d, "cannot create directory '%s': %s", path, strerror(errno));
			return TG_E_IO;
		}
		if (i < n)
			path[i] = '/';
	}
	return TG_OK;
}

bool tg_fs_exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}
