/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_digest.c - `tollgate digest`: SHA-2 digests of files, one line each,
 * "sha256:<hex>  FILE", in the layout of sha256sum with the algorithm named.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/codec.h"
#include "core/limits.h"
#include "crypto/crypto.h"

const char tg_cli_digest_usage[] =
	"usage: tollgate digest [--alg sha256|sha384|sha512] FILE...\n"
	"\n"
	"Prints one line per FILE ('-' is standard input):\n"
	"\n"
	"  sha256:<lower-case hex>  FILE\n"
	"\n"
	"with two spaces before the name, as sha256sum does. A name holding a\n"
	"backslash or a newline is escaped ('\\\\', '\\n') and its line starts with a\n"
	"backslash, again as sha256sum does.\n"
	"\n"
	"  -a, --alg ALG  sha256 (default), sha384 or sha512\n"
	"  -h, --help     show this help\n"
	"\n"
	"A file that cannot be read is reported on stderr and skipped; the others\n"
	"are still digested, and the exit code is then 2.\n";

/* Appends name, escaped as coreutils does. */
static tg_err add_name(struct tg_buf *line, const char *name)
{
	const char *p;
	tg_err r = TG_OK;
	for (p = name; *p && r == TG_OK; p++) {
		if (*p == '\\')
			r = tg_buf_adds(line, "\\\\");
		else if (*p == '\n')
			r = tg_buf_adds(line, "\\n");
		else
			r = tg_buf_addc(line, (uint8_t)*p);
	}
	return r;
}

static tg_err digest_one(enum tg_hash_alg alg, const char *path, struct tg_buf *line)
{
	uint8_t md[TG_HASH_MAX];
	struct tg_diag d;
	tg_err r;

	tg_diag_init(&d);
	if (tg_cli_is_stdin(path)) {
		r = tg_hash_fd(alg, STDIN_FILENO, md, &d);
		if (r != TG_OK)
			tg_diag_prefix(&d, "cannot read standard input");
	} else {
		r = tg_hash_file(alg, path, md, &d);
	}
	if (r != TG_OK) {
		tg_cli_error("%s", d.msg[0] ? d.msg : tg_strerror(r));
		return r;
	}
	tg_buf_reset(line);
	if (strpbrk(path, "\\\n"))
		r = tg_buf_addc(line, '\\');
	if (r == TG_OK)
		r = tg_buf_addf(line, "%s:", tg_hash_name(alg));
	if (r == TG_OK)
		r = tg_hex_encode(line, md, tg_hash_len(alg));
	if (r == TG_OK)
		r = tg_buf_adds(line, "  ");
	if (r == TG_OK)
		r = add_name(line, path);
	if (r == TG_OK)
		r = tg_buf_addc(line, '\n');
	if (r != TG_OK) {
		tg_cli_error("cannot format the digest of '%s': %s", path, tg_strerror(r));
		return r;
	}
	return tg_cli_write(line->data, line->len);
}

int tg_cli_digest(const struct tg_cli_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
		{"alg", required_argument, NULL, 'a'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	/* an argument is at most 128 KiB (MAX_ARG_STRLEN), twice that escaped */
	struct tg_buf line = TG_BUF_INIT(4 * TG_LIMIT_LINE + 2 * TG_HASH_MAX + 16);
	enum tg_hash_alg alg = TG_SHA256;
	int c, i, code = TG_EXIT_OK;

	while ((c = getopt_long(argc, argv, ":a:h", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			if (strcmp(optarg, "sha256") != 0 && strcmp(optarg, "sha384") != 0 &&
			    strcmp(optarg, "sha512") != 0) {
				code = tg_cli_usage_error(
					cmd, "unknown algorithm '%s' (sha256, sha384, sha512)",
					optarg);
				goto out;
			}
			if (tg_hash_from_name(optarg, &alg) != TG_OK) {
				code = TG_EXIT_INTERNAL;
				goto out;
			}
			break;
		case 'h':
			code = tg_cli_help(cmd);
			goto out;
		default:
			code = tg_cli_bad_option(cmd, c, argv);
			goto out;
		}
	}
	if (optind >= argc) {
		code = tg_cli_usage_error(cmd, "no FILE given ('-' reads standard input)");
		goto out;
	}
	for (i = optind; i < argc; i++) {
		tg_err r = digest_one(alg, argv[i], &line);
		int e = tg_cli_exit_code(r);
		if (r != TG_OK && ferror(stdout)) {
			code = TG_EXIT_INTERNAL; /* stdout is gone: nothing more to say */
			break;
		}
		if (e > code)
			code = e;
	}
out:
	tg_buf_release(&line);
	return code;
}
