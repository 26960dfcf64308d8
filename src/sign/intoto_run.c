/* SPDX-License-Identifier: Apache-2.0 */
/*
 * intoto_run.c - what in-toto-run does around a step's command: record
 * artifacts (normalised paths, directories walked, default excludes,
 * SHA-256 digests) and run the command without a shell, capturing its
 * standard streams and return value as byproducts.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/codec.h"
#include "core/fs.h"
#include "core/utf8.h"
#include "sign/intoto.h"

/* ------------------------------------------------------------------ */
/* Paths                                                               */
/* ------------------------------------------------------------------ */

tg_err tg_intoto_normpath(struct tg_arena *a, const char *p, size_t n, const char **out)
{
	/* posixpath.normpath: drop "" and "." components, fold "..", keep
	 * leading ".." of relative paths, keep exactly two leading slashes */
	size_t *starts, *lens, nc = 0, i = 0, o = 0, lead = 0;
	char *res;

	if (n == 0) {
		*out = ".";
		return TG_OK;
	}
	if (p[0] == '/')
		lead = (n >= 2 && p[1] == '/' && !(n >= 3 && p[2] == '/')) ? 2 : 1;
	starts = tg_arena_alloc_array(a, n / 2 + 2, sizeof(size_t));
	lens = tg_arena_alloc_array(a, n / 2 + 2, sizeof(size_t));
	res = tg_arena_alloc_bytes(a, n + 3);
	if (!starts || !lens || !res)
		return TG_E_TOOBIG;
	while (i < n) {
		size_t s = i, l;
		while (i < n && p[i] != '/')
			i++;
		l = i - s;
		i++;
		if (l == 0 || (l == 1 && p[s] == '.'))
			continue;
		if (l == 2 && p[s] == '.' && p[s + 1] == '.') {
			bool last_dotdot = nc && lens[nc - 1] == 2 && p[starts[nc - 1]] == '.' &&
					   p[starts[nc - 1] + 1] == '.';
			if ((!lead && nc == 0) || last_dotdot) {
				/* kept */
			} else {
				if (nc)
					nc--;
				continue;
			}
		}
		starts[nc] = s;
		lens[nc] = l;
		nc++;
	}
	for (i = 0; i < lead; i++)
		res[o++] = '/';
	for (i = 0; i < nc; i++) {
		if (i)
			res[o++] = '/';
		memcpy(res + o, p + starts[i], lens[i]);
		o += lens[i];
	}
	if (o == 0)
		res[o++] = '.';
	res[o] = '\0';
	*out = res;
	return TG_OK;
}

/* in-toto's settings.ARTIFACT_EXCLUDE_PATTERNS, gitwildmatch style: a
 * pattern without '/' excludes every path with a component it matches. */
static const char *const exclude_patterns[] = {"*.link*", ".git", "*.pyc", "*~"};

static bool excluded(const char *path)
{
	const char *c = path;
	while (*c) {
		const char *e = strchr(c, '/');
		size_t l = e ? (size_t)(e - c) : strlen(c), i;
		for (i = 0; i < sizeof(exclude_patterns) / sizeof(exclude_patterns[0]); i++)
			if (l && tg_intoto_fnmatch(exclude_patterns[i], strlen(exclude_patterns[i]), c,
						   l))
				return true;
		if (!e)
			break;
		c = e + 1;
	}
	return false;
}

struct recorder {
	struct tg_arena *a;
	struct tg_buf members; /* struct tg_json_member[] */
	size_t count;
	struct tg_diag *d;
};

static tg_err add_file(struct recorder *rc, const char *path)
{
	uint8_t md[32];
	char hex[65];
	const struct tg_json *k, *v, *dig;
	struct tg_json_member m, hm;
	tg_err r;

	if (rc->count >= TG_LIMIT_INTOTO_ARTIFACTS) {
		tg_diag_set(rc->d, "more than %d artifacts", TG_LIMIT_INTOTO_ARTIFACTS);
		return TG_E_TOOBIG;
	}
	if (strlen(path) > TG_LIMIT_INTOTO_PATH) {
		tg_diag_set(rc->d, "artifact path longer than %d bytes", TG_LIMIT_INTOTO_PATH);
		return TG_E_TOOBIG;
	}
	if (!tg_utf8_valid((const uint8_t *)path, strlen(path), NULL)) {
		tg_diag_set(rc->d, "artifact path '%.80s' is not UTF-8", path);
		return TG_E_ENCODING;
	}
	r = tg_hash_file(TG_SHA256, path, md, rc->d);
	if (r != TG_OK)
		return r;
	tg_hex_encode_to(hex, md, sizeof(md));
	r = tg_json_new_string(rc->a, "sha256", 6, &hm.key);
	if (r == TG_OK)
		r = tg_json_new_string(rc->a, hex, 64, &hm.val);
	if (r == TG_OK)
		r = tg_json_new_object(rc->a, &hm, 1, TG_JSON_DUP_REJECT, &dig);
	if (r == TG_OK)
		r = tg_json_new_string(rc->a, path, strlen(path), &k);
	if (r != TG_OK)
		return r;
	v = dig;
	m.key = k;
	m.val = v;
	r = tg_buf_add(&rc->members, &m, sizeof(m));
	if (r == TG_OK)
		rc->count++;
	return r;
}

static tg_err join_norm(struct tg_arena *a, const char *dir, const char *name, const char **out)
{
	size_t dl = strlen(dir), nl = strlen(name);
	char *j;
	if (dl + nl + 2 > TG_LIMIT_INTOTO_PATH + 2)
		return TG_E_TOOBIG;
	j = tg_arena_alloc_bytes(a, dl + nl + 2);
	if (!j)
		return TG_E_TOOBIG;
	memcpy(j, dir, dl);
	j[dl] = '/';
	memcpy(j + dl + 1, name, nl + 1);
	return tg_intoto_normpath(a, j, dl + nl + 1, out);
}

/* os.walk(dir, followlinks=True) with the exclusions in-toto applies */
static tg_err walk(struct recorder *rc, const char *dir, unsigned depth)
{
	DIR *dp;
	struct dirent *e;
	tg_err r = TG_OK;

	if (depth > TG_LIMIT_INTOTO_WALK_DEPTH) {
		tg_diag_set(rc->d, "'%.80s' is nested more than %d directories deep (a symlink loop?)",
			    dir, TG_LIMIT_INTOTO_WALK_DEPTH);
		return TG_E_TOOBIG;
	}
	dp = opendir(dir);
	if (!dp) {
		tg_diag_set(rc->d, "cannot read directory '%.80s': %s", dir, strerror(errno));
		return TG_E_IO;
	}
	while (r == TG_OK && (e = readdir(dp)) != NULL) {
		const char *path;
		struct stat st;
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		r = join_norm(rc->a, dir, e->d_name, &path);
		if (r != TG_OK) {
			tg_diag_set(rc->d, "path under '%.80s' is too long", dir);
			break;
		}
		if (stat(path, &st) != 0 || excluded(path))
			continue; /* dangling symlinks are skipped, as in-toto does */
		if (S_ISDIR(st.st_mode))
			r = walk(rc, path, depth + 1);
		else if (S_ISREG(st.st_mode))
			r = add_file(rc, path);
	}
	closedir(dp);
	return r;
}

tg_err tg_intoto_record(struct tg_arena *a, const char *const *paths, size_t n,
			const struct tg_json **out, struct tg_diag *d)
{
	struct recorder rc;
	size_t i;
	tg_err r = TG_OK;

	rc.a = a;
	rc.d = d;
	rc.count = 0;
	tg_buf_init(&rc.members, (size_t)TG_LIMIT_INTOTO_ARTIFACTS * sizeof(struct tg_json_member));
	for (i = 0; i < n && r == TG_OK; i++) {
		const char *p;
		struct stat st;
		if (strlen(paths[i]) > TG_LIMIT_INTOTO_PATH) {
			tg_diag_set(d, "artifact path longer than %d bytes", TG_LIMIT_INTOTO_PATH);
			r = TG_E_TOOBIG;
			break;
		}
		r = tg_intoto_normpath(a, paths[i], strlen(paths[i]), &p);
		if (r != TG_OK || excluded(p) || stat(p, &st) != 0)
			continue; /* in-toto skips a path that does not exist */
		if (S_ISREG(st.st_mode))
			r = add_file(&rc, p);
		else if (S_ISDIR(st.st_mode))
			r = walk(&rc, p, 0);
	}
	if (r == TG_OK)
		/* a path recorded twice keeps the last digest, as a Python dict */
		r = tg_json_new_object(a, (const struct tg_json_member *)rc.members.data, rc.count,
				       TG_JSON_DUP_LAST, out);
	tg_buf_release(&rc.members);
	return tg_diag_fill(d, r);
}

/* ------------------------------------------------------------------ */
/* Running the command                                                 */
/* ------------------------------------------------------------------ */

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A JSON string of captured bytes; invalid UTF-8 bytes become U+FFFD. */
static tg_err stream_string(struct tg_arena *a, const struct tg_buf *b, const struct tg_json **out)
{
	struct tg_buf s = TG_BUF_INIT(3 * TG_LIMIT_INTOTO_STREAM + 16);
	size_t i = 0;
	tg_err r = TG_OK;
	while (i < b->len && r == TG_OK) {
		uint32_t cp;
		size_t l = tg_utf8_decode(b->data + i, b->len - i, &cp);
		if (l == 0) {
			r = tg_buf_add(&s, "\xef\xbf\xbd", 3);
			i++;
		} else {
			r = tg_buf_add(&s, b->data + i, l);
			i += l;
		}
	}
	if (r == TG_OK)
		r = tg_json_new_string(a, s.len ? (const char *)s.data : "", s.len, out);
	tg_buf_release(&s);
	return r;
}

/* Our own output is best effort: a failed write is not the step's failure. */
static void write_all(int fd, const uint8_t *p, size_t n)
{
	if (tg_fs_write_all(fd, p, n) != TG_OK)
		return;
}

tg_err tg_intoto_exec(struct tg_arena *a, char *const *argv, size_t argc, unsigned flags,
		      int64_t timeout_sec, const struct tg_json **byproducts, struct tg_diag *d)
{
	int outp[2] = {-1, -1}, errp[2] = {-1, -1}, exe[2] = {-1, -1};
	struct tg_buf ob = TG_BUF_INIT(TG_LIMIT_INTOTO_STREAM), eb = TG_BUF_INIT(TG_LIMIT_INTOTO_STREAM);
	bool capture = flags & TG_INTOTO_EXEC_CAPTURE;
	int64_t deadline = now_ms() + timeout_sec * 1000;
	const struct tg_json *rv = NULL, *so = NULL, *se = NULL;
	struct tg_json_member m[3];
	int status = 0, child_errno = 0, code;
	pid_t pid = -1;
	ssize_t got;
	tg_err r = TG_E_INTERNAL;

	if (argc == 0 || !argv[0]) {
		tg_diag_set(d, "no command to run");
		return TG_E_INVAL;
	}
	if ((capture && (pipe2(outp, O_CLOEXEC) != 0 || pipe2(errp, O_CLOEXEC) != 0)) ||
	    pipe2(exe, O_CLOEXEC) != 0) {
		tg_diag_set(d, "cannot create a pipe: %s", strerror(errno));
		r = TG_E_IO;
		goto out;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		tg_diag_set(d, "cannot fork: %s", strerror(errno));
		r = TG_E_IO;
		goto out;
	}
	if (pid == 0) {
		int e;
		if (capture) {
			if (dup2(outp[1], STDOUT_FILENO) < 0 || dup2(errp[1], STDERR_FILENO) < 0)
				_exit(127);
		} else {
			int nul = open("/dev/null", O_RDWR);
			if (nul < 0 || dup2(nul, STDOUT_FILENO) < 0 || dup2(nul, STDERR_FILENO) < 0)
				_exit(127);
		}
		signal(SIGPIPE, SIG_DFL);
		execvp(argv[0], argv);
		e = errno;
		write_all(exe[1], (const uint8_t *)&e, sizeof(e));
		_exit(127);
	}
	close(exe[1]);
	exe[1] = -1;
	if (capture) {
		close(outp[1]);
		close(errp[1]);
		outp[1] = errp[1] = -1;
	}
	do
		got = read(exe[0], &child_errno, sizeof(child_errno));
	while (got < 0 && errno == EINTR);
	if (got == (ssize_t)sizeof(child_errno)) {
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		pid = -1;
		tg_diag_set(d, "cannot run '%.80s': %s", argv[0], strerror(child_errno));
		r = TG_E_NOTFOUND;
		goto out;
	}
	while (capture && (outp[0] >= 0 || errp[0] >= 0)) {
		struct pollfd pf[2];
		int64_t left = deadline - now_ms();
		int i, pr;
		if (left <= 0) {
			r = TG_E_TIMEOUT;
			break;
		}
		pf[0].fd = outp[0];
		pf[1].fd = errp[0];
		pf[0].events = pf[1].events = POLLIN;
		pr = poll(pf, 2, left > 1000 ? 1000 : (int)left);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr < 0) {
			tg_diag_set(d, "poll: %s", strerror(errno));
			r = TG_E_IO;
			break;
		}
		for (i = 0; i < 2; i++) {
			uint8_t chunk[65536];
			struct tg_buf *b = i == 0 ? &ob : &eb;
			int *fd = i == 0 ? &outp[0] : &errp[0];
			ssize_t n;
			if (*fd < 0 || !(pf[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			n = read(*fd, chunk, sizeof(chunk));
			if (n < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (n <= 0) {
				close(*fd);
				*fd = -1;
				continue;
			}
			if (tg_buf_add(b, chunk, (size_t)n) != TG_OK) {
				tg_diag_set(d, "command wrote more than %zu bytes to %s",
					    (size_t)TG_LIMIT_INTOTO_STREAM, i ? "stderr" : "stdout");
				r = TG_E_TOOBIG;
				break;
			}
			if (flags & TG_INTOTO_EXEC_ECHO)
				write_all(i == 0 ? STDOUT_FILENO : STDERR_FILENO, chunk, (size_t)n);
		}
		if (r == TG_E_TOOBIG)
			break;
	}
	if (r == TG_E_TIMEOUT || r == TG_E_TOOBIG || r == TG_E_IO) {
		kill(pid, SIGKILL);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		pid = -1;
		if (r == TG_E_TIMEOUT)
			tg_diag_set(d, "command '%.80s' ran longer than %lld s and was killed", argv[0],
				    (long long)timeout_sec);
		goto out;
	}
	/* wait for the exit, still bounded by the deadline */
	for (;;) {
		pid_t w = waitpid(pid, &status, WNOHANG);
		if (w == pid)
			break;
		if (w < 0 && errno != EINTR) {
			tg_diag_set(d, "waitpid: %s", strerror(errno));
			r = TG_E_IO;
			goto out;
		}
		if (now_ms() >= deadline) {
			kill(pid, SIGKILL);
			while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
				;
			pid = -1;
			tg_diag_set(d, "command '%.80s' ran longer than %lld s and was killed", argv[0],
				    (long long)timeout_sec);
			r = TG_E_TIMEOUT;
			goto out;
		}
		usleep(10000);
	}
	pid = -1;
	code = WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? -WTERMSIG(status) : -1;
	r = tg_json_new_int(a, code, &rv);
	if (r == TG_OK)
		r = stream_string(a, &ob, &so);
	if (r == TG_OK)
		r = stream_string(a, &eb, &se);
	if (r == TG_OK)
		r = tg_json_new_string(a, "return-value", 12, &m[0].key);
	if (r == TG_OK)
		r = tg_json_new_string(a, "stdout", 6, &m[1].key);
	if (r == TG_OK)
		r = tg_json_new_string(a, "stderr", 6, &m[2].key);
	m[0].val = rv;
	m[1].val = so;
	m[2].val = se;
	if (r == TG_OK)
		r = tg_json_new_object(a, m, 3, TG_JSON_DUP_REJECT, byproducts);
out:
	if (pid > 0) {
		kill(pid, SIGKILL);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	if (outp[0] >= 0)
		close(outp[0]);
	if (outp[1] >= 0)
		close(outp[1]);
	if (errp[0] >= 0)
		close(errp[0]);
	if (errp[1] >= 0)
		close(errp[1]);
	if (exe[0] >= 0)
		close(exe[0]);
	if (exe[1] >= 0)
		close(exe[1]);
	tg_buf_release(&ob);
	tg_buf_release(&eb);
	return tg_diag_fill(d, r);
}
