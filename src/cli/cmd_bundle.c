/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_bundle.c - `tollgate bundle export` (the trust domain's bundle as a
 * SPIFFE bundle, PEM roots or a JWKS) and `tollgate bundle import` (a
 * federated trust domain's bundle, SPIFFE JSON or PEM, into the CA).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/limits.h"
#include "identity/identity.h"

const char tg_cli_bundle_export_usage[] =
	"usage: tollgate bundle export --dir D [--format spiffe|pem|jwks]\n"
	"                              [--trust-domain TD]\n"
	"\n"
	"Prints the trust bundle of the CA's trust domain, or of the federated trust\n"
	"domain TD imported earlier:\n"
	"\n"
	"  spiffe  SPIFFE bundle (a JWK set): X.509 authorities with \"use\":\"x509-svid\"\n"
	"          and an x5c of the root, JWT authorities with \"use\":\"jwt-svid\" and\n"
	"          their kid (SPIFFE Trust Domain and Bundle 4); the default\n"
	"  pem     the X.509 authorities (root certificates) as PEM, e.g. for openssl\n"
	"  jwks    the JWT authorities as a plain JWK set, e.g. for a JOSE library\n"
	"\n"
	"  -d, --dir D            the CA directory\n"
	"  -f, --format FORMAT    spiffe (default), pem or jwks\n"
	"  -t, --trust-domain TD  a federated trust domain instead of the CA's own\n"
	"  -h, --help             show this help\n";

const char tg_cli_bundle_import_usage[] =
	"usage: tollgate bundle import --dir D --trust-domain TD FILE|-\n"
	"\n"
	"Trusts the federated trust domain TD: stores its bundle, read from FILE or\n"
	"standard input, in the CA, replacing an older one for TD. From then on\n"
	"`svid verify --dir D` accepts SVIDs of TD that chain to it, and `bundle\n"
	"export --trust-domain TD` prints it. FILE is a SPIFFE bundle (JSON, as\n"
	"`bundle export` prints) or PEM root certificates (X.509 authorities only).\n"
	"The CA's own trust domain cannot be imported, nor a bundle whose\n"
	"spiffe_sequence is lower than the stored one's (a rollback; PEM has\n"
	"none, which counts as 0). Prints what was stored:\n"
	"\n"
	"  TD: N X.509 authorities, M JWT authorities\n"
	"\n"
	"  -d, --dir D            the CA directory\n"
	"  -t, --trust-domain TD  the federated trust domain the bundle belongs to\n"
	"  -h, --help             show this help\n";

enum format { FMT_SPIFFE, FMT_PEM, FMT_JWKS };

int tg_cli_bundle_export(const struct tg_cli_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
		{"dir", required_argument, NULL, 'd'},
		{"format", required_argument, NULL, 'f'},
		{"trust-domain", required_argument, NULL, 't'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct tg_buf out = TG_BUF_INIT(TG_LIMIT_JSON_VERIFY_DOC);
	const char *dir = NULL, *td_arg = NULL;
	char td[TG_SPIFFE_TD_MAX + 1];
	enum format fmt = FMT_SPIFFE;
	const struct tg_bundle *sel;
	struct tg_bundle_set set = {NULL, 0};
	struct tg_bundle own;
	struct tg_ca *ca = NULL;
	struct tg_diag d;
	int c, code = TG_EXIT_INTERNAL;
	tg_err r;

	memset(&own, 0, sizeof(own));
	tg_diag_init(&d);
	optind = 1;
	while ((c = getopt_long(argc, argv, ":d:f:t:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			dir = optarg;
			break;
		case 'f':
			if (strcmp(optarg, "spiffe") == 0) {
				fmt = FMT_SPIFFE;
			} else if (strcmp(optarg, "pem") == 0) {
				fmt = FMT_PEM;
			} else if (strcmp(optarg, "jwks") == 0) {
				fmt = FMT_JWKS;
			} else {
				code = tg_cli_usage_error(cmd, "unknown format '%s' (spiffe, pem, jwks)",
							  optarg);
				goto out;
			}
			break;
		case 't':
			td_arg = optarg;
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
	if (td_arg && tg_spiffe_td_parse(td_arg, strlen(td_arg), td, &d) != TG_OK) {
		code = tg_cli_usage_error(cmd, "invalid trust domain '%s': %s", td_arg,
					  d.msg[0] ? d.msg : "not a SPIFFE trust domain name");
		goto out;
	}
	r = tg_cli_ca_open(dir, &ca);
	if (r != TG_OK) {
		code = tg_cli_exit_code(r);
		goto out;
	}
	if (!td_arg || strcmp(td, tg_ca_trust_domain(ca)) == 0) {
		r = tg_ca_bundle(ca, &own);
		sel = &own;
	} else {
		r = tg_ca_bundles(ca, &set);
		sel = r == TG_OK ? tg_bundle_set_find(&set, td) : NULL;
		if (r == TG_OK && !sel) {
			tg_cli_error("no bundle of trust domain '%s' in '%s' (import it with "
				     "'tollgate bundle import')",
				     td, dir);
			code = TG_EXIT_USAGE;
			goto out;
		}
	}
	if (r != TG_OK) {
		code = tg_cli_fail(r, NULL, "cannot read the bundle");
		goto out;
	}
	switch (fmt) {
	case FMT_SPIFFE:
		r = tg_bundle_to_spiffe(sel, &out);
		break;
	case FMT_PEM:
		r = tg_bundle_to_pem(sel, &out);
		break;
	case FMT_JWKS:
		r = tg_bundle_to_jwks(sel, &out);
		break;
	}
	if (r == TG_OK && (out.len == 0 || out.data[out.len - 1] != '\n') && fmt != FMT_PEM)
		r = tg_buf_addc(&out, '\n');
	if (r != TG_OK) {
		code = tg_cli_fail(r, NULL, "cannot export the bundle");
		goto out;
	}
	code = tg_cli_write(out.data, out.len) == TG_OK ? TG_EXIT_OK : TG_EXIT_INTERNAL;
out:
	tg_bundle_release(&own);
	tg_bundle_set_release(&set);
	tg_ca_close(ca);
	tg_buf_release(&out);
	return code;
}

/* True when the text starts, after white space, with '{'. */
static bool looks_like_json(const struct tg_buf *b)
{
	size_t i;
	for (i = 0; i < b->len; i++) {
		uint8_t ch = b->data[i];
		if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r')
			continue;
		return ch == '{';
	}
	return false;
}

int tg_cli_bundle_import(const struct tg_cli_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
		{"dir", required_argument, NULL, 'd'},
		{"trust-domain", required_argument, NULL, 't'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct tg_buf text = TG_BUF_INIT(0);
	const char *dir = NULL, *td_arg = NULL, *path;
	char td[TG_SPIFFE_TD_MAX + 1];
	struct tg_bundle b;
	struct tg_ca *ca = NULL;
	struct tg_diag d;
	int c, code = TG_EXIT_INTERNAL;
	tg_err r;

	memset(&b, 0, sizeof(b));
	tg_diag_init(&d);
	optind = 1;
	while ((c = getopt_long(argc, argv, ":d:t:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			dir = optarg;
			break;
		case 't':
			td_arg = optarg;
			break;
		case 'h':
			code = tg_cli_help(cmd);
			goto out;
		default:
			code = tg_cli_bad_option(cmd, c, argv);
			goto out;
		}
	}
	if (!dir || !dir[0]) {
		code = tg_cli_usage_error(cmd, "missing --dir D");
		goto out;
	}
	if (!td_arg) {
		code = tg_cli_usage_error(cmd, "missing --trust-domain TD");
		goto out;
	}
	if (optind >= argc) {
		code = tg_cli_usage_error(cmd, "missing FILE ('-' reads standard input)");
		goto out;
	}
	if (argc - optind > 1) {
		code = tg_cli_usage_error(cmd, "too many arguments: one FILE");
		goto out;
	}
	path = argv[optind];
	if (tg_spiffe_td_parse(td_arg, strlen(td_arg), td, &d) != TG_OK) {
		code = tg_cli_usage_error(cmd, "invalid trust domain '%s': %s", td_arg,
					  d.msg[0] ? d.msg : "not a SPIFFE trust domain name");
		goto out;
	}
	r = tg_cli_read_file(path, TG_LIMIT_PEM_FILE, false, &text, &d);
	if (r != TG_OK) {
		tg_cli_error("%s", d.msg);
		code = tg_cli_exit_code(r);
		goto out;
	}
	tg_diag_init(&d);
	if (looks_like_json(&text)) {
		r = tg_bundle_parse(td, tg_buf_str(&text), text.len, &b, &d);
	} else {
		memcpy(b.td, td, strlen(td) + 1);
		r = tg_x509_list_from_pem(tg_buf_str(&text), text.len, &b.x509, &d);
	}
	if (r == TG_OK && b.x509.count == 0 && b.jwt.count == 0) {
		tg_diag_set(&d, "it holds no X.509 or JWT authority");
		r = TG_E_PARSE;
	}
	if (r != TG_OK) {
		char what[600];
		snprintf(what, sizeof(what), "cannot read bundle '%s'", tg_cli_name(path));
		code = tg_cli_fail(r, &d, what);
		if (code != TG_EXIT_INTERNAL)
			code = TG_EXIT_USAGE; /* the file's fault */
		goto out;
	}
	r = tg_cli_ca_open(dir, &ca);
	if (r != TG_OK) {
		code = tg_cli_exit_code(r);
		goto out;
	}
	if (strcmp(td, tg_ca_trust_domain(ca)) == 0) {
		tg_cli_error("cannot import a bundle of '%s': it is the CA's own trust domain", td);
		code = TG_EXIT_USAGE;
		goto out;
	}
	tg_diag_init(&d);
	r = tg_ca_import_bundle(ca, &b, &d);
	if (r != TG_OK) {
		code = tg_cli_fail(r, &d, "cannot import the bundle");
		/* an older sequence than the stored one (a rollback) is refused:
		 * fetch the current bundle */
		if (code == TG_EXIT_FAIL || r == TG_E_CONFLICT)
			code = TG_EXIT_USAGE;
		goto out;
	}
	printf("%s: %zu X.509 authorities, %zu JWT authorities\n", td, b.x509.count, b.jwt.count);
	code = TG_EXIT_OK;
out:
	tg_bundle_release(&b);
	tg_ca_close(ca);
	tg_buf_release(&text);
	return code;
}
