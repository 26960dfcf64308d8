/* SPDX-License-Identifier: Apache-2.0 */
/*
 * attest_unix.c - the Unix attestor: who is on the other end of a local
 * socket, from the kernel's peer credentials (uid, gid, pid) and the
 * executable the peer runs (its path and the SHA-256 of its contents).
 */
#include "identity/identity_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#include "core/codec.h"

/*
 * The race, and what closes it. SO_PEERCRED gives the pid of the process
 * that connected; by the time /proc/<pid> is read that process may have
 * exited and its pid been given to another. The steps:
 *  1. credentials from SO_PEERCRED and, where the kernel has it (6.5+),
 *     a pidfd for the same process from SO_PEERPIDFD;
 *  2. open /proc/<pid> as a directory: a handle to that one process, whose
 *     files fail with ESRCH once it is gone, even if the pid is reused;
 *  3. with a pidfd: the process is still alive after step 2, so the
 *     directory is the peer's (pids are not reused while alive). Without
 *     one, the start time is compared before and after instead;
 *  4. readlink exe, open exe (the executed inode itself), hash it;
 *  5. readlink and stat exe again: an execve() in between changes them;
 *     start time, credentials and liveness again.
 * What remains is documented in docs/attestation.md: without SO_PEERPIDFD
 * a pid reused between connect() and step 2 goes unseen (the start time is
 * read after the reuse); a peer may hand its socket to another process;
 * the hash names the executable, not its libraries or environment.
 */

#ifndef SO_PEERPIDFD
#if defined(__x86_64__) || defined(__i386__) || defined(__aarch64__) || defined(__arm__) || \
	(defined(__riscv) && __riscv_xlen == 64)
#define SO_PEERPIDFD 77 /* asm-generic/socket.h, Linux 6.5 */
#endif
#endif

#define STAT_MAX 4096 /* bytes of /proc/<pid>/stat we read */

struct peer {
	struct ucred cred;
	int pidfd; /* -1 without SO_PEERPIDFD */
};

static tg_err errno_err(int e)
{
	if (e == EACCES || e == EPERM)
		return TG_E_PERM;
	if (e == ESRCH || e == ENOENT)
		return TG_E_DENIED;
	return TG_E_IO;
}

/* Describes the failed call (errno) in d and maps errno to a code. */
static tg_err sys_fail(struct tg_diag *d, const char *what)
{
	int e = errno;
	tg_diag_set(d, "cannot %s: %s", what, strerror(e));
	return errno_err(e);
}

static tg_err peer_cred(int fd, struct ucred *c, struct tg_diag *d)
{
	socklen_t len = sizeof(*c);
	int dom = 0;
	socklen_t dlen = sizeof(dom);

	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &dom, &dlen) != 0 || dom != AF_UNIX) {
		tg_diag_set(d, "not a Unix domain socket");
		return TG_E_INVAL;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, c, &len) != 0)
		return sys_fail(d, "read the peer's credentials");
	if (len != sizeof(*c)) {
		tg_diag_set(d, "cannot read the peer's credentials");
		return TG_E_IO;
	}
	if (c->pid <= 0) {
		tg_diag_set(d, "the kernel gives no pid for the peer (another pid namespace?)");
		return TG_E_DENIED;
	}
	return TG_OK;
}

/* The peer's pidfd, -1 when the kernel cannot give one. */
static tg_err peer_pidfd(int fd, int *pidfd, struct tg_diag *d)
{
	*pidfd = -1;
#ifdef SO_PEERPIDFD
	{
		int pfd = -1;
		socklen_t len = sizeof(pfd);
		if (getsockopt(fd, SOL_SOCKET, SO_PEERPIDFD, &pfd, &len) == 0 &&
		    len == sizeof(pfd) && pfd >= 0) {
			*pidfd = pfd;
			return TG_OK;
		}
		if (errno == ESRCH) {
			tg_diag_set(d, "the peer process has exited");
			return TG_E_DENIED;
		}
	}
#else
	(void)fd;
	(void)d;
#endif
	return TG_OK; /* ENOPROTOOPT: an older kernel, use the start time */
}

/* True while the process of pidfd exists (a zombie counts: its pid is not
 * free for reuse until it is reaped). */
static bool pidfd_alive(int pidfd)
{
#ifdef SYS_pidfd_send_signal
	if (syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) == 0)
		return true;
	return errno == EPERM; /* exists, we may just not signal it */
#else
	(void)pidfd;
	return true;
#endif
}

/* Field 22 of /proc/<pid>/stat (proc(5)): the start time in clock ticks
 * since boot, fixed for the life of a process and reset by no execve. */
static tg_err start_time(int dirfd, const char *path, uint64_t *out, struct tg_diag *d)
{
	char buf[STAT_MAX];
	size_t len = 0;
	ssize_t got;
	const char *p, *end;
	uint64_t v = 0;
	int fd, field;
	tg_err r;

	fd = dirfd >= 0 ? openat(dirfd, "stat", O_RDONLY | O_CLOEXEC)
			: open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return sys_fail(d, "read the peer's start time");
	while (len < sizeof(buf) && (got = read(fd, buf + len, sizeof(buf) - len)) != 0) {
		if (got < 0) {
			if (errno == EINTR)
				continue;
			r = sys_fail(d, "read the peer's start time");
			close(fd);
			return r;
		}
		len += (size_t)got;
	}
	close(fd);
	/* the command name in parentheses may hold anything, even ") 1 2":
	 * fields are counted from the last ')' */
	end = buf + len;
	for (p = end; p > buf && p[-1] != ')'; p--)
		;
	if (p == buf)
		goto bad;
	for (field = 2; field < 22; field++) {
		if (p == end || *p != ' ')
			goto bad;
		p++;
		if (field + 1 < 22)
			while (p < end && *p != ' ')
				p++;
	}
	if (p == end || *p < '0' || *p > '9')
		goto bad;
	for (; p < end && *p >= '0' && *p <= '9'; p++) {
		if (v > (UINT64_MAX - 9) / 10)
			goto bad;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (p == end || (*p != ' ' && *p != '\n'))
		goto bad;
	*out = v;
	return TG_OK;
bad:
	tg_diag_set(d, "cannot parse the peer's /proc stat line");
	return TG_E_IO;
}

/* readlink of <dirfd>/exe into out (PATH_MAX bytes). */
static tg_err exe_path(int dirfd, char *out, struct tg_diag *d)
{
	static const char deleted[] = " (deleted)";
	const size_t dl = sizeof(deleted) - 1;
	ssize_t n = readlinkat(dirfd, "exe", out, PATH_MAX);

	if (n < 0)
		return sys_fail(d, "read the peer's executable path");
	if (n == 0 || n >= PATH_MAX || out[0] != '/') {
		tg_diag_set(d, "the peer's executable path is empty, relative or too long");
		return TG_E_DENIED;
	}
	out[n] = '\0';
	/* The file the peer runs was removed or replaced since it started:
	 * the path names something else now, or nothing. */
	if ((size_t)n > dl && memcmp(out + n - dl, deleted, dl) == 0) {
		tg_diag_set(d, "the peer's executable was deleted or replaced since it started");
		return TG_E_DENIED;
	}
	return TG_OK;
}

static bool same_cred(const struct ucred *x, const struct ucred *y)
{
	return x->pid == y->pid && x->uid == y->uid && x->gid == y->gid;
}

tg_err tg_attest_unix(int fd, struct tg_arena *a, struct tg_attestation *out, struct tg_diag *d)
{
	struct tg_buf subj = TG_BUF_INIT(PATH_MAX + 128);
	struct peer p = {{0, 0, 0}, -1};
	struct ucred again;
	struct stat st_open, st_now;
	struct tg_attestation att;
	struct tg_selector *sel = NULL;
	char proc[64], path[PATH_MAX + 1], path2[PATH_MAX + 1], num[24], hex[65];
	uint8_t digest[32];
	uint64_t t0 = 0, t1 = 0;
	int dirfd = -1, exefd = -1;
	tg_err r = TG_E_INTERNAL;

	if (fd < 0 || !a || !out)
		return TG_E_INVAL;
	memset(&att, 0, sizeof(att));
	r = peer_cred(fd, &p.cred, d);
	if (r == TG_OK)
		r = peer_pidfd(fd, &p.pidfd, d);
	if (r != TG_OK)
		goto out;
	snprintf(proc, sizeof(proc), "/proc/%ld", (long)p.cred.pid);
	dirfd = open(proc, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		r = sys_fail(d, "open the peer's /proc directory");
		goto out;
	}
	r = start_time(dirfd, NULL, &t0, d);
	if (r != TG_OK)
		goto out;
	if (p.pidfd >= 0 && !pidfd_alive(p.pidfd)) {
		tg_diag_set(d, "the peer process has exited");
		r = TG_E_DENIED;
		goto out;
	}

	r = exe_path(dirfd, path, d);
	if (r != TG_OK)
		goto out;
	exefd = openat(dirfd, "exe", O_RDONLY | O_CLOEXEC);
	if (exefd < 0) {
		r = sys_fail(d, "open the peer's executable");
		goto out;
	}
	if (fstat(exefd, &st_open) != 0 || !S_ISREG(st_open.st_mode)) {
		tg_diag_set(d, "the peer's executable is not a regular file");
		r = TG_E_DENIED;
		goto out;
	}
	r = tg_hash_fd(TG_SHA256, exefd, digest, d);
	if (r != TG_OK)
		goto out;

	/* the same process, still running the same executable */
	r = exe_path(dirfd, path2, d);
	if (r != TG_OK)
		goto out;
	if (fstatat(dirfd, "exe", &st_now, 0) != 0) {
		r = sys_fail(d, "stat the peer's executable");
		goto out;
	}
	if (strcmp(path, path2) != 0 || st_now.st_dev != st_open.st_dev ||
	    st_now.st_ino != st_open.st_ino) {
		tg_diag_set(d, "the peer changed its executable while being attested");
		r = TG_E_DENIED;
		goto out;
	}
	r = peer_cred(fd, &again, d);
	if (r != TG_OK)
		goto out;
	snprintf(proc, sizeof(proc), "/proc/%ld/stat", (long)p.cred.pid);
	r = start_time(-1, proc, &t1, d);
	if (r != TG_OK)
		goto out;
	if (!same_cred(&p.cred, &again) || t0 != t1 ||
	    (p.pidfd >= 0 && !pidfd_alive(p.pidfd))) {
		tg_diag_set(d, "the peer process went away or its pid was reused");
		r = TG_E_DENIED;
		goto out;
	}

	sel = tg_arena_alloc_array(a, 4, sizeof(*sel));
	if (!sel) {
		r = TG_E_TOOBIG;
		goto out;
	}
	tg_hex_encode_to(hex, digest, sizeof(digest));
	snprintf(num, sizeof(num), "%lu", (unsigned long)p.cred.uid);
	r = tg_selector_make(a, "unix", "uid", num, strlen(num), &sel[0], d);
	snprintf(num, sizeof(num), "%lu", (unsigned long)p.cred.gid);
	if (r == TG_OK)
		r = tg_selector_make(a, "unix", "gid", num, strlen(num), &sel[1], d);
	if (r == TG_OK)
		r = tg_selector_make(a, "unix", "sha256", hex, 64, &sel[3], d);
	if (r != TG_OK)
		goto out;
	r = tg_selector_make(a, "unix", "path", path, strlen(path), &sel[2], d);
	if (r != TG_OK) {
		tg_diag_set(d, "the peer's executable path is not valid UTF-8 without control "
			       "characters, or too long for a selector");
		r = TG_E_ENCODING;
		goto out;
	}
	r = tg_buf_addf(&subj, "unix pid %ld uid %lu gid %lu exe %s", (long)p.cred.pid,
			(unsigned long)p.cred.uid, (unsigned long)p.cred.gid, path);
	if (r != TG_OK)
		goto out;
	att.subject = tg_arena_strndup(a, tg_buf_str(&subj), subj.len);
	if (!att.subject) {
		r = TG_E_TOOBIG;
		goto out;
	}
	att.selectors = sel;
	att.n = 4;
	*out = att;
out:
	if (exefd >= 0)
		close(exefd);
	if (dirfd >= 0)
		close(dirfd);
	if (p.pidfd >= 0)
		close(p.pidfd);
	tg_buf_release(&subj);
	if (r != TG_OK) {
		tg_diag_fill(d, r);
		tg_diag_prefix(d, "cannot attest the Unix peer");
	}
	return r;
}
