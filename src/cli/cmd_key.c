/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_key.c - `tollgate key generate` (a private key into a new 0600 file)
 * and `tollgate key public` (its public half as SPKI PEM or as a JWK whose
 * kid is the RFC 7638 thumbprint), and the thumbprint kid other nouns share.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/arena.h"
#include "core/codec.h"
#include "core/json.h"
#include "core/limits.h"
#include "crypto/crypto.h"

#define KEY_TYPES "ed25519, ecdsa-p256, ecdsa-p384, rsa-2048, rsa-3072 or rsa-4096"

const char tg_cli_key_generate_usage[] =
	"usage: tollgate key generate --type TYPE --out FILE\n"
	"\n"
	"Generates a private key and writes it to FILE, which must not exist, as\n"
	"PKCS#8 PEM (\"PRIVATE KEY\") readable by its owner only (mode 0600). An\n"
	"existing FILE is never overwritten (exit 2). Nothing is printed on success.\n"
	"\n"
	"  -t, --type TYPE  " KEY_TYPES "\n"
	"  -o, --out FILE   the new key file\n"
	"  -h, --help       show this help\n";

const char tg_cli_key_public_usage[] =
	"usage: tollgate key public [--format pem|jwk] FILE|-\n"
	"\n"
	"Reads a PEM key (PKCS#8, SEC1 or PKCS#1 private key, or an SPKI or PKCS#1\n"
	"public key) from FILE or standard input and prints its public half:\n"
	"\n"
	"  pem  SubjectPublicKeyInfo PEM (\"PUBLIC KEY\"), as 'openssl pkey -pubout'\n"
	"  jwk  a JWK (RFC 7517) on one line: kty, crv, x, y (EC, OKP) or n, e (RSA)\n"
	"       and a kid that is the RFC 7638 SHA-256 thumbprint in base64url\n"
	"\n"
	"  -f, --format FORMAT  pem (default) or jwk\n"
	"  -h, --help           show this help\n";

int tg_cli_key_generate(const struct tg_cli_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
		{"type", required_argument, NULL, 't'},
		{"out", required_argument, NULL, 'o'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *type = NULL, *path = NULL;
	enum tg_key_type t = TG_KEY_NONE;
	struct tg_key *k = NULL;
	unsigned bits = 0;
	struct tg_diag d;
	int c, code = TG_EXIT_INTERNAL;
	tg_err r;

	tg_diag_init(&d);
	while ((c = getopt_long(argc, argv, ":t:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			type = optarg;
			break;
		case 'o':
			path = optarg;
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
	if (!type) {
		code = tg_cli_usage_error(cmd, "missing --type (" KEY_TYPES ")");
		goto out;
	}
	if (!path || !path[0]) {
		code = tg_cli_usage_error(cmd, "missing --out FILE");
		goto out;
	}
	if (tg_cli_is_stdin(path)) {
		code = tg_cli_usage_error(cmd, "a private key is written to a file, not to '-'");
		goto out;
	}
	if (tg_key_type_from_name(type, &t, &bits) != TG_OK) {
		code = tg_cli_usage_error(cmd, "unknown key type '%s' (" KEY_TYPES ")", type);
		goto out;
	}
	r = tg_key_generate(t, bits, &k);
	if (r != TG_OK) {
		tg_cli_error("cannot generate a %s key: %s", type, tg_strerror(r));
		code = TG_EXIT_INTERNAL;
		goto out;
	}
	r = tg_key_save_private(k, path, &d);
	if (r == TG_E_EXISTS) {
		tg_cli_error("%s; refusing to overwrite it", d.msg);
		code = tg_cli_exit_code(r);
		goto out;
	}
	if (r != TG_OK) {
		tg_cli_error("%s", d.msg[0] ? d.msg : tg_strerror(r));
		code = tg_cli_exit_code(r);
		goto out;
	}
	code = TG_EXIT_OK;
out:
	tg_key_free(k);
	return code;
}

tg_err tg_cli_key_with_thumbprint(struct tg_key *k, struct tg_key **out)
{
	struct tg_buf kid = TG_BUF_INIT(64);
	uint8_t tp[32];
	tg_err r;

	if (tg_key_kid(k)) {
		*out = tg_key_ref(k);
		return TG_OK;
	}
	r = tg_key_thumbprint(k, tp); /* RFC 7638 3 */
	if (r == TG_OK)
		r = tg_b64_encode(&kid, tp, sizeof(tp), TG_B64_URL);
	if (r == TG_OK)
		r = tg_key_with_kid(k, tg_buf_str(&kid), out);
	tg_buf_release(&kid);
	return r;
}

/* Appends the JWK of pub, with the thumbprint as kid, and a newline. */
static tg_err public_jwk(struct tg_key *pub, struct tg_buf *out)
{
	struct tg_key *with_kid = NULL;
	const struct tg_json *jwk = NULL;
	struct tg_arena a;
	tg_err r;

	tg_arena_init(&a, TG_LIMIT_JWK);
	r = tg_cli_key_with_thumbprint(pub, &with_kid);
	if (r != TG_OK)
		goto out;
	r = tg_key_to_jwk(with_kid, false, &a, &jwk);
	if (r != TG_OK)
		goto out;
	r = tg_json_emit(out, jwk, 0);
	if (r != TG_OK)
		goto out;
	r = tg_buf_addc(out, '\n');
out:
	tg_key_free(with_kid);
	tg_arena_release(&a);
	return r;
}

int tg_cli_key_public(const struct tg_cli_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
		{"format", required_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct tg_buf out = TG_BUF_INIT(TG_LIMIT_JWK);
	struct tg_key *k = NULL, *pub = NULL;
	bool jwk = false;
	const char *path;
	int c, code = TG_EXIT_INTERNAL;
	tg_err r;

	while ((c = getopt_long(argc, argv, ":f:h", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (strcmp(optarg, "jwk") == 0) {
				jwk = true;
			} else if (strcmp(optarg, "pem") == 0) {
				jwk = false;
			} else {
				code = tg_cli_usage_error(cmd, "unknown format '%s' (pem, jwk)",
							  optarg);
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
		code = tg_cli_usage_error(cmd, "missing FILE ('-' reads standard input)");
		goto out;
	}
	if (argc - optind > 1) {
		code = tg_cli_usage_error(cmd, "too many arguments: one FILE");
		goto out;
	}
	path = argv[optind];
	r = tg_cli_load_key(path, &k);
	if (r != TG_OK) {
		code = tg_cli_exit_code(r);
		goto out;
	}
	r = tg_key_public(k, &pub);
	if (r == TG_OK)
		r = jwk ? public_jwk(pub, &out) : tg_key_to_pem(pub, false, &out);
	if (r != TG_OK) {
		tg_cli_error("cannot export the public key of '%s': %s", tg_cli_name(path),
			     tg_strerror(r));
		code = TG_EXIT_INTERNAL;
		goto out;
	}
	code = tg_cli_write(out.data, out.len) == TG_OK ? TG_EXIT_OK : TG_EXIT_INTERNAL;
out:
	tg_key_free(pub);
	tg_key_free(k);
	tg_buf_release(&out);
	return code;
}
