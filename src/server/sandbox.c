/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sandbox.c - PR_SET_NO_NEW_PRIVS and a libseccomp allow-list per process
 * role of tollgated (docs/internals/daemon.md lists and explains them).
 * Anything not listed kills the process; the api worker may not open
 * files at all (openat fails with EACCES), the signer may not touch the
 * network.
 */
#include "server/server.h"

#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>

#include "core/mem.h"

#if defined(__SANITIZE_ADDRESS__)
#define TG_SANDBOX_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TG_SANDBOX_ASAN 1
#endif
#endif

/* Every process: memory, time, signals, I/O on descriptors it has. */
static const char *const common[] = {
	"read", "write", "readv", "writev", "close", "exit", "exit_group", "rt_sigreturn",
	"rt_sigaction", "rt_sigprocmask", "brk", "mmap", "munmap", "mremap", "madvise",
	"mprotect", "futex", "clock_gettime", "clock_nanosleep", "nanosleep", "gettimeofday",
	"getrandom", "getpid", "gettid", "tgkill", "fstat", "newfstatat", "lseek", "poll",
	"ppoll", "restart_syscall", "sigaltstack", "sched_yield", "fcntl", "getuid", "geteuid",
	"getgid", "getegid", "prlimit64", "rseq", "set_robust_list",
};

/* The api worker: accepted sockets and the signer's socketpair. */
static const char *const api[] = {
	"accept4", "accept", "setsockopt", "getsockopt", "getsockname", "getpeername",
	"shutdown", "sendto", "recvfrom", "sendmsg", "recvmsg",
};

/* The signer: the CA database (SQLite, WAL) and the log files. */
static const char *const signer[] = {
	"openat", "pread64", "pwrite64", "fsync", "fdatasync", "flock", "ftruncate",
	"rename", "renameat", "renameat2", "unlink", "unlinkat", "mkdir", "mkdirat",
	"getdents64", "statx", "fstatfs", "syncfs", "access", "faccessat", "faccessat2",
	"readlink", "getcwd", "umask", "fchmod", "fchown", "stat", "lstat", "sendto",
	"recvfrom", "fallocate", "recvmsg", /* the workers' sockets, from the parent */
};

/* The store: its database (SQLite, WAL: the -wal and -shm files, locks,
 * checkpoints) and reading the log's tiles; no rename, no directories, no
 * network. */
static const char *const store[] = {
	"openat", "pread64", "pwrite64", "fsync", "fdatasync", "ftruncate", "unlink", "unlinkat",
	"statx", "fstatfs", "access", "faccessat", "faccessat2", "readlink", "getcwd", "fchmod",
	"fchown", "stat", "lstat", "fallocate", "recvmsg", "sendto", "recvfrom",
};

/* The JWKS fetcher: DNS and outbound HTTPS, the CA files, and atomic
 * writes under <state_dir>/jwks. */
static const char *const fetcher[] = {
	"socket", "connect", "bind", "getsockopt", "setsockopt", "getsockname", "getpeername",
	"sendto", "recvfrom", "sendmsg", "recvmsg", "sendmmsg", "shutdown", "uname", "ioctl",
	"openat", "pread64", "fsync", "fdatasync", "rename", "renameat", "renameat2", "link",
	"linkat", "unlink", "unlinkat", "mkdir", "mkdirat", "statx", "stat", "lstat", "access",
	"faccessat", "faccessat2", "getdents64", "readlink", "fstatfs", "umask", "fchmod",
	"sysinfo", /* glibc's qsort asks for the physical memory size */
};

static tg_err allow(scmp_filter_ctx ctx, const char *const *names, size_t n, struct tg_diag *d)
{
	size_t i;
	for (i = 0; i < n; i++) {
		int nr = seccomp_syscall_resolve_name(names[i]);
		if (nr == __NR_SCMP_ERROR)
			continue; /* not on this architecture */
		if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0) != 0) {
			tg_diag_set(d, "seccomp: cannot allow '%s'", names[i]);
			return TG_E_INTERNAL;
		}
	}
	return TG_OK;
}

tg_err tg_server_sandbox(const char *role, struct tg_diag *d)
{
	scmp_filter_ctx ctx = NULL;
	tg_err r;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
		tg_diag_set(d, "cannot set PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
		return TG_E_PERM;
	}
#ifdef TG_SANDBOX_ASAN
	/* the sanitizers' runtime (leak checks at exit, reports) needs
	 * ptrace, clone and /proc: sanitizer builds run unfiltered */
	(void)role;
	(void)ctx;
	(void)r;
	(void)allow;
	(void)common;
	(void)api;
	(void)signer;
	(void)fetcher;
	(void)store;
	return TG_OK;
#else
	ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	if (!ctx) {
		tg_diag_set(d, "seccomp_init failed");
		return TG_E_INTERNAL;
	}
	r = allow(ctx, common, TG_ARRAY_LEN(common), d);
	if (r == TG_OK && strcmp(role, "api") == 0) {
		r = allow(ctx, api, TG_ARRAY_LEN(api), d);
		/* no files: a compromised worker cannot read a key from disk */
		if (r == TG_OK &&
		    (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(openat), 0) != 0 ||
		     seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(open), 0) != 0))
			r = TG_E_INTERNAL;
	} else if (r == TG_OK && strcmp(role, "signer") == 0) {
		r = allow(ctx, signer, TG_ARRAY_LEN(signer), d);
	} else if (r == TG_OK && strcmp(role, "fetcher") == 0) {
		r = allow(ctx, fetcher, TG_ARRAY_LEN(fetcher), d);
	} else if (r == TG_OK && strcmp(role, "store") == 0) {
		r = allow(ctx, store, TG_ARRAY_LEN(store), d);
	} else if (r == TG_OK) {
		tg_diag_set(d, "unknown sandbox role '%s'", role);
		r = TG_E_INVAL;
	}
	if (r == TG_OK && seccomp_load(ctx) != 0) {
		tg_diag_set(d, "cannot load the seccomp filter");
		r = TG_E_INTERNAL;
	}
	seccomp_release(ctx);
	return r;
#endif
}
