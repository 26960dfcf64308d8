/* SPDX-License-Identifier: Apache-2.0 */
/*
 * util.c - helpers shared by the commands of `tollgate`: the one mapping
 * from error codes to exit codes, git-style messages, whole-file reads
 * (regular files and pipes), PEM key files and checked writes to stdout.
 */
#include "cli/cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/limits.h"
#include "crypto/crypto.h"

#define READ_CHUNK (64 * TG_KIB) /* pipe reads; regular files are read in one go */

int tg_cli_exit_code(tg_err e)
{
	switch (e) {
	case TG_E_OK:
		return TG_EXIT_OK;
	case TG_E_VERIFY:
	case TG_E_EXPIRED:
	case TG_E_NOTYET:
	case TG_E_CLAIM:
	case TG_E_ALG:
	case TG_E_DENIED:
		return TG_EXIT_FAIL;
	case TG_E_INTERNAL:
	case TG_E_CRYPTO:
	case TG_E_TIMEOUT:
	case TG_E_AGAIN:
	case TG_E_CONFLICT:
	case TG_E_STATE:
		return TG_EXIT_INTERNAL;
	case TG_E_INVAL:
	case TG_E_TOOBIG:
	case TG_E_PARSE:
	case TG_E_IO:
	case TG_E_NOTFOUND:
	case TG_E_EXISTS:
	case TG_E_UNSUPPORTED:
	case TG_E_DEPTH:
	case TG_E_DUPKEY:
	case TG_E_RANGE:
	case TG_E_PERM:
	case TG_E_TYPE:
	case TG_E_ENCODING:
	case TG_E_KEY:
	case TG_E_USAGE:
		return TG_EXIT_USAGE;
	}
	return TG_EXIT_INTERNAL;
}

void tg_cli_error(const char *fmt, ...)
{
	va_list ap;
	fputs("tollgate: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int tg_cli_usage_error(const struct tg_cli_cmd *cmd, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "tollgate %s: ", cmd->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nrun 'tollgate %s --help' for usage\n", cmd->name);
	return TG_EXIT_USAGE;
}

int tg_cli_help(const struct tg_cli_cmd *cmd)
{
	fputs(cmd->usage, stdout);
	return fflush(stdout) == 0 ? TG_EXIT_OK : TG_EXIT_INTERNAL;
}

int tg_cli_bad_option(const struct tg_cli_cmd *cmd, int c, char **argv)
{
	/* getopt leaves the offending word at optind - 1, and optopt set for
	 * a short option (0 for a long one). */
	const char *word = optind > 0 ? argv[optind - 1] : "?";
	if (c == ':') {
		if (optopt && strncmp(word, "--", 2) != 0)
			return tg_cli_usage_error(cmd, "option '-%c' needs a value", optopt);
		return tg_cli_usage_error(cmd, "option '%s' needs a value", word);
	}
	if (optopt)
		return tg_cli_usage_error(cmd, "unknown option '-%c'", optopt);
	return tg_cli_usage_error(cmd, "unknown option '%s'", word);
}

bool tg_cli_is_stdin(const char *path)
{
	return path[0] == '-' && path[1] == '\0';
}

const char *tg_cli_name(const char *path)
{
	return tg_cli_is_stdin(path) ? "-" : path;
}

static tg_err errno_code(int e)
{
	switch (e) {
	case ENOENT:
	case ENOTDIR:
		return TG_E_NOTFOUND;
	case EACCES:
	case EPERM:
		return TG_E_PERM;
	default:
		return TG_E_IO;
	}
}

/* Makes room for n more bytes. For secrets, a move to a larger
 * allocation is done by hand so that the old copy is wiped, not just
 * handed back to malloc by realloc. */
static uint8_t *room(struct tg_buf *b, size_t n, bool wipe)
{
	struct tg_buf bigger;
	size_t want;
	if (!wipe || (b->data && b->len + n + 1 <= b->cap))
		return tg_buf_reserve(b, n);
	if (n > b->max || b->len > b->max - n)
		return NULL;
	want = b->len + n;
	if (b->cap <= b->max / 2 && 2 * b->cap > want)
		want = 2 * b->cap; /* double, as tg_buf does */
	tg_buf_init(&bigger, b->max);
	if (!tg_buf_reserve(&bigger, want))
		return NULL;
	if (b->len)
		memcpy(bigger.data, b->data, b->len);
	bigger.len = b->len;
	bigger.data[bigger.len] = '\0';
	tg_buf_release_wipe(b);
	*b = bigger;
	return b->data + b->len;
}

tg_err tg_cli_read_file(const char *path, size_t max, bool wipe, struct tg_buf *out,
			struct tg_diag *d)
{
	bool is_stdin = tg_cli_is_stdin(path);
	const char *what = is_stdin ? "standard input" : path;
	const char *q = is_stdin ? "" : "'";
	size_t chunk = READ_CHUNK;
	struct stat st;
	int fd = -1;
	tg_err r = TG_E_INTERNAL;

	out->max = max;
	if (is_stdin) {
		fd = STDIN_FILENO;
	} else {
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
		if (fd < 0) {
			int e = errno;
			tg_diag_set(d, "cannot open '%s': %s", path, strerror(e));
			r = errno_code(e);
			goto out;
		}
	}
	if (fstat(fd, &st) != 0) {
		int e = errno;
		tg_diag_set(d, "cannot read %s%s%s: %s", q, what, q, strerror(e));
		r = errno_code(e);
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		tg_diag_set(d, "cannot read %s%s%s: %s", q, what, q, strerror(EISDIR));
		r = TG_E_IO;
		goto out;
	}
	if (S_ISREG(st.st_mode)) {
		if ((uintmax_t)st.st_size > max) {
			tg_diag_set(d, "cannot read %s%s%s: larger than the limit of %zu bytes", q,
				    what, q, max);
			r = TG_E_TOOBIG;
			goto out;
		}
		/* One read gets it all; the extra byte sees EOF without a regrow. */
		chunk = (size_t)st.st_size + 1;
	}
	for (;;) {
		size_t avail = out->data ? out->cap - 1 - out->len : 0;
		uint8_t *p, probe;
		ssize_t got;

		if (avail == 0) {
			avail = chunk < max - out->len ? chunk : max - out->len;
			chunk = READ_CHUNK;
			if (avail == 0) {
				/* At the cap: one more byte means the input is too big. */
				p = &probe;
				avail = 1;
			} else if (!(p = room(out, avail, wipe))) {
				r = TG_E_TOOBIG;
				goto out;
			}
		} else {
			p = out->data + out->len;
		}
		got = read(fd, p, avail);
		if (got < 0) {
			int e = errno;
			if (e == EINTR)
				continue;
			tg_diag_set(d, "cannot read %s%s%s: %s", q, what, q, strerror(e));
			r = TG_E_IO;
			goto out;
		}
		if (got == 0)
			break;
		if (p == &probe) {
			tg_diag_set(d, "cannot read %s%s%s: larger than the limit of %zu bytes", q,
				    what, q, max);
			r = TG_E_TOOBIG;
			goto out;
		}
		tg_buf_commit(out, (size_t)got);
	}
	r = TG_OK;
out:
	if (r != TG_OK) {
		if (wipe)
			tg_buf_release_wipe(out);
		else
			tg_buf_release(out);
	}
	if (fd >= 0 && !is_stdin)
		close(fd);
	return r;
}

tg_err tg_cli_load_key(const char *path, struct tg_key **out)
{
	/* A private key file is a secret: every copy of its bytes is wiped. */
	struct tg_buf pem = TG_BUF_INIT(0);
	struct tg_diag d;
	tg_err r;

	tg_diag_init(&d);
	r = tg_cli_read_file(path, TG_LIMIT_SMALL_FILE, true, &pem, &d);
	if (r != TG_OK) {
		tg_cli_error("%s", d.msg);
		goto out;
	}
	r = tg_key_from_pem(tg_buf_str(&pem), pem.len, out, &d);
	if (r != TG_OK) {
		if (d.line)
			tg_cli_error("cannot load key '%s': %s at %u:%u", tg_cli_name(path),
				     d.msg[0] ? d.msg : tg_strerror(r), d.line, d.col);
		else
			tg_cli_error("cannot load key '%s': %s", tg_cli_name(path),
				     d.msg[0] ? d.msg : tg_strerror(r));
		if (r == TG_E_CRYPTO)
			r = TG_E_KEY; /* OpenSSL refused the bytes: still the input's fault */
	}
out:
	tg_buf_release_wipe(&pem);
	return r;
}

tg_err tg_cli_write(const void *p, size_t n)
{
	if ((n && fwrite(p, 1, n, stdout) != n) || fflush(stdout) != 0) {
		tg_cli_error("cannot write to standard output: %s", strerror(errno));
		return TG_E_IO;
	}
	return TG_OK;
}

tg_err tg_cli_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out)
{
	char *end = NULL;
	long long v;
	if (!((s[0] >= '0' && s[0] <= '9') || (s[0] == '-' && s[1] >= '0' && s[1] <= '9')))
		return TG_E_INVAL;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return TG_E_INVAL;
	*out = (int64_t)v;
	return TG_OK;
}
