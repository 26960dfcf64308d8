/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_jointoken.c - `tollgate jointoken create`: a one-time join token for
 * a host or job that has no CI OIDC token; `tollgate attest --join-token`
 * consumes it. Only the token's SHA-256 is stored.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "identity/identity.h"

#define JOIN_TTL_DEFAULT 600 /* seconds: ten minutes to use it */

const char tg_cli_jointoken_create_usage[] =
	"usage: tollgate jointoken create --dir D [--ttl DUR] [--label L]\n"
	"\n"
	"Creates a join token that `tollgate attest --join-token` accepts once, within\n"
	"DUR, and prints it (base64url of 32 random bytes). The CA keeps only its\n"
	"SHA-256. Attesting with it yields the selectors\n"
	"\n"
	"  join:token:<the first 32 hex digits of the token's SHA-256>\n"
	"  join:label:L            (with --label)\n"
	"\n"
	"which standard error names, so that an entry can be created for this one\n"
	"token, or for every token with label L. The token is a secret: hand it\n"
	"over as you would a password.\n"
	"\n"
	"  -d, --dir D      the CA directory\n"
	"  -t, --ttl DUR    how long the token may be used (default 10m, at most 1d)\n"
	"  -l, --label L    a label for the token and its selector\n"
	"  -h, --help       show this help\n";

int tg_cli_jointoken_create(const struct tg_cli_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
		{"dir", required_argument, NULL, 'd'},
		{"ttl", required_argument, NULL, 't'},
		{"label", required_argument, NULL, 'l'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct tg_buf tok = TG_BUF_INIT(4096);
	const char *dir = NULL, *label = NULL;
	char tid[TG_JOIN_ID_LEN + 1];
	int64_t ttl = JOIN_TTL_DEFAULT;
	struct tg_ca *ca = NULL;
	struct tg_diag d;
	int c, code = TG_EXIT_INTERNAL;
	tg_err r;

	tg_diag_init(&d);
	optind = 1;
	while ((c = getopt_long(argc, argv, ":d:t:l:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			dir = optarg;
			break;
		case 't':
			code = tg_cli_parse_ttl(cmd, "--ttl", optarg, TG_JOIN_TOKEN_TTL_MAX, &ttl);
			if (code != TG_EXIT_OK)
				goto out;
			break;
		case 'l':
			label = optarg;
			break;
		case 'h':
			code = tg_cli_help(cmd);
			goto out;
		default:
			code = tg_cli_bad_option(cmd, c, argv);
			goto out;
		}
	}
	if (optind < argc) {
		code = tg_cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
		goto out;
	}
	if (!dir || !dir[0]) {
		code = tg_cli_usage_error(cmd, "missing --dir D");
		goto out;
	}
	if (label && (!label[0] || strlen(label) > 255)) {
		code = tg_cli_usage_error(cmd, "--label must have 1 to 255 bytes");
		goto out;
	}
	r = tg_cli_ca_open(dir, &ca);
	if (r != TG_OK) {
		code = tg_cli_exit_code(r);
		goto out;
	}
	r = tg_join_token_create(ca, ttl, label, tg_time_now(), &tok, &d);
	if (r != TG_OK) {
		code = tg_cli_fail(r, &d, "cannot create the join token");
		if (code == TG_EXIT_FAIL)
			code = TG_EXIT_USAGE;
		goto out;
	}
	while (tok.len > 0 && tok.data[tok.len - 1] == '\n')
		tg_buf_truncate(&tok, tok.len - 1);
	if (tg_join_token_id(tg_buf_str(&tok), tok.len, tid) == TG_OK)
		fprintf(stderr, "tollgate: the token attests as join:token:%s%s%s\n", tid,
			label ? " join:label:" : "", label ? label : "");
	r = tg_buf_addc(&tok, '\n');
	code = r == TG_OK && tg_cli_write(tok.data, tok.len) == TG_OK ? TG_EXIT_OK
								      : TG_EXIT_INTERNAL;
out:
	tg_ca_close(ca);
	tg_buf_release_wipe(&tok);
	return code;
}
