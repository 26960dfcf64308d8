/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_jwt.c - `tollgate jwt sign` (a claims object signed as a compact JWT
 * whose kid is the key's RFC 7638 thumbprint) and `tollgate jwt verify`
 * (signature against a JWK set, then exp/nbf/iat/iss/aud; claims printed).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/arena.h"
#include "core/json.h"
#include "core/limits.h"
#include "core/mem.h"
#include "core/time.h"
#include "crypto/crypto.h"

const char tg_cli_jwt_sign_usage[] =
	"usage: tollgate jwt sign --key FILE [--alg ALG] [--claims FILE|-]\n"
	"\n"
	"Signs a JSON object of claims (from FILE, or standard input when --claims\n"
	"is '-' or absent) as a compact JWT (RFC 7519) and prints it with a newline.\n"
	"The header is {\"alg\":ALG,\"kid\":KID,\"typ\":\"JWT\"}, where KID is the RFC 7638\n"
	"thumbprint of the key: the kid 'tollgate key public --format jwk' prints.\n"
	"The claims are taken as they are; add exp (seconds since the epoch) so that\n"
	"verifiers accept the token. Repeated keys in the claims are an error.\n"
	"\n"
	"  -k, --key FILE     the private key (PEM)\n"
	"  -a, --alg ALG      the JWS algorithm; by default the key decides: EdDSA,\n"
	"                     ES256, ES384 by curve, PS256 for RSA (RS256..PS512 too)\n"
	"  -c, --claims FILE  the claims object ('-': standard input, the default)\n"
	"  -h, --help         show this help\n";

const char tg_cli_jwt_verify_usage[] =
	"usage: tollgate jwt verify --jwks FILE [--iss ISS] [--aud AUD] [--skew SECONDS]\n"
	"                           TOKEN|-\n"
	"\n"
	"Verifies a compact JWT (given as the argument, or read from standard input\n"
	"with '-') against the keys of a JWK set ({\"keys\":[...]}) or of one JWK, and\n"
	"prints its claims as one line of JSON. The signature must verify with a key\n"
	"whose type fits the header alg ('none' never does; a header kid selects the\n"
	"key), and exp must be in the future; nbf, iat, iss and aud are checked too.\n"
	"\n"
	"  -j, --jwks FILE       the trusted public keys\n"
	"  -i, --iss ISS         require this issuer\n"
	"  -a, --aud AUD         require this audience (aud string or array member)\n"
	"  -s, --skew SECONDS    clock skew allowed on exp, nbf and iat (0..300, default 0)\n"
	"  -h, --help            show this help\n"
	"\n"
	"A token that does not verify exits 1 with the reason on stderr; an unreadable\n"
	"JWK set or a usage error exits 2.\n";

/* Reads and parses a JSON object (duplicates rejected). Prints its error. */
static tg_err read_object(const char *path, size_t max, const char *what, struct tg_arena *a,
			  const struct tg_json **out)
{
	struct tg_buf text = TG_BUF_INIT(0);
	const struct tg_json *v = NULL;
	struct tg_diag d;
	tg_err r;

	tg_diag_init(&d);
	r = tg_cli_read_file(path, max, false, &text, &d);
	if (r != TG_OK) {
		tg_cli_error("%s", d.msg);
		goto out;
	}
	r = tg_json_parse(a, tg_buf_str(&text), text.len, NULL, &v, NULL, &d);
	if (r != TG_OK) {
		if (d.line)
			fprintf(stderr, "%s:%u:%u: %s\n", tg_cli_name(path), d.line, d.col, d.msg);
		else
			tg_cli_error("cannot parse %s '%s': %s", what, tg_cli_name(path),
				     d.msg[0] ? d.msg : tg_strerror(r));
		goto out;
	}
	if (v->type != TG_JSON_OBJECT) {
		tg_cli_error("%s '%s' is a JSON %s, not an object", what, tg_cli_name(path),
			     tg_json_type_name(v->type));
		r = TG_E_TYPE;
		goto out;
	}
	*out = v;
out:
	tg_buf_release(&text);
	return r;
}

int tg_cli_jwt_sign(const struct tg_cli_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
		{"key", required_argument, NULL, 'k'},
		{"alg", required_argument, NULL, 'a'},
		{"claims", required_argument, NULL, 'c'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *key_path = NULL, *alg_name = NULL, *claims_path = "-";
	struct tg_buf jwt = TG_BUF_INIT(TG_LIMIT_JWS);
	struct tg_key *k = NULL, *signer = NULL;
	const struct tg_json *claims = NULL;
	enum tg_sig_alg alg = TG_SIG_NONE;
	struct tg_arena a;
	int c, code = TG_EXIT_INTERNAL;
	tg_err r;

	tg_arena_init(&a, TG_LIMIT_ARENA_DEFAULT);
	while ((c = getopt_long(argc, argv, ":k:a:c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
			key_path = optarg;
			break;
		case 'a':
			alg_name = optarg;
			break;
		case 'c':
			claims_path = optarg;
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
	if (!key_path) {
		code = tg_cli_usage_error(cmd, "missing --key FILE");
		goto out;
	}
	if (alg_name && tg_sig_alg_from_name(alg_name, strlen(alg_name), &alg) != TG_OK) {
		code = tg_cli_usage_error(cmd, "unknown algorithm '%s'", alg_name);
		goto out;
	}
	if (tg_cli_is_stdin(key_path) && tg_cli_is_stdin(claims_path)) {
		code = tg_cli_usage_error(cmd, "the key and the claims cannot both be '-'");
		goto out;
	}
	r = tg_cli_load_key(key_path, &k);
	if (r != TG_OK) {
		code = tg_cli_exit_code(r);
		goto out;
	}
	if (!tg_key_is_private(k)) {
		tg_cli_error("cannot sign with '%s': it holds a public key", tg_cli_name(key_path));
		code = TG_EXIT_USAGE;
		goto out;
	}
	if (alg == TG_SIG_NONE)
		alg = tg_key_default_alg(k);
	if (tg_key_check_alg(k, alg) != TG_OK) {
		code = tg_cli_usage_error(cmd, "algorithm '%s' does not fit the %s key '%s'",
					  tg_sig_alg_name(alg), tg_key_type_name(tg_key_type(k)),
					  tg_cli_name(key_path));
		goto out;
	}
	r = tg_cli_key_with_thumbprint(k, &signer);
	if (r != TG_OK) {
		tg_cli_error("cannot compute the thumbprint of '%s': %s", tg_cli_name(key_path),
			     tg_strerror(r));
		code = TG_EXIT_INTERNAL;
		goto out;
	}
	r = read_object(claims_path, TG_LIMIT_JWS, "claims", &a, &claims);
	if (r != TG_OK) {
		code = tg_cli_exit_code(r);
		goto out;
	}
	r = tg_jwt_sign(signer, alg, claims, &jwt);
	if (r == TG_OK)
		r = tg_buf_addc(&jwt, '\n');
	if (r == TG_E_TYPE || r == TG_E_CLAIM) {
		/* the claims are the input here, not something under verification */
		tg_cli_error("cannot sign the claims of '%s': a registered claim has the wrong "
			     "type (iss, sub, jti: strings; exp, nbf, iat: numbers; aud: a "
			     "string or an array of strings)",
			     tg_cli_name(claims_path));
		code = TG_EXIT_USAGE;
		goto out;
	}
	if (r != TG_OK) {
		tg_cli_error("cannot sign the claims of '%s': %s", tg_cli_name(claims_path),
			     tg_strerror(r));
		code = tg_cli_exit_code(r);
		goto out;
	}
	code = tg_cli_write(jwt.data, jwt.len) == TG_OK ? TG_EXIT_OK : TG_EXIT_INTERNAL;
out:
	tg_buf_release(&jwt);
	tg_key_free(signer);
	tg_key_free(k);
	tg_arena_release(&a);
	return code;
}

/* Loads a JWK set, or a single JWK, as candidate verification keys. */
tg_err tg_cli_load_jwks(const char *path, struct tg_arena *a, struct tg_jwks *out)
{
	const struct tg_json *doc = NULL;
	struct tg_key *k = NULL;
	struct tg_diag d;
	tg_err r;

	tg_diag_init(&d);
	r = read_object(path, TG_LIMIT_JWK, "JWK set", a, &doc);
	if (r != TG_OK)
		return r;
	if (tg_json_get(doc, "keys")) {
		r = tg_jwks_parse(doc, 0, true, out, &d);
	} else {
		r = tg_key_from_jwk(doc, 0, &k, &d);
		if (r == TG_OK) {
			out->keys = tg_xcalloc(1, sizeof(*out->keys));
			out->keys[0] = k;
			out->count = 1;
		}
	}
	if (r != TG_OK) {
		tg_cli_error("cannot load JWK set '%s': %s", tg_cli_name(path),
			     d.msg[0] ? d.msg : tg_strerror(r));
		/* a key the set may not hold is the file's fault, not a verdict */
		return tg_cli_exit_code(r) == TG_EXIT_FAIL ? TG_E_KEY : r;
	}
	if (out->count == 0) {
		tg_cli_error("cannot load JWK set '%s': it holds no usable key", tg_cli_name(path));
		return TG_E_KEY;
	}
	return TG_OK;
}

int tg_cli_jwt_verify(const struct tg_cli_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
		{"jwks", required_argument, NULL, 'j'},
		{"iss", required_argument, NULL, 'i'},
		{"aud", required_argument, NULL, 'a'},
		{"skew", required_argument, NULL, 's'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct tg_buf token = TG_BUF_INIT(0), out = TG_BUF_INIT(TG_LIMIT_JSON_VERIFY_DOC);
	struct tg_jwks jwks = {NULL, 0};
	struct tg_jwt_check chk;
	const struct tg_json *claims = NULL;
	const char *jwks_path = NULL, *tok;
	struct tg_arena a;
	struct tg_diag d;
	int64_t skew = 0;
	size_t n;
	int c, code = TG_EXIT_INTERNAL;
	tg_err r;

	memset(&chk, 0, sizeof(chk));
	tg_arena_init(&a, TG_LIMIT_ARENA_DEFAULT);
	tg_diag_init(&d);
	while ((c = getopt_long(argc, argv, ":j:i:a:s:h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			jwks_path = optarg;
			break;
		case 'i':
			chk.iss = optarg;
			break;
		case 'a':
			chk.aud = optarg;
			break;
		case 's':
			if (tg_cli_parse_i64(optarg, 0, TG_LIMIT_JWT_SKEW_MAX, &skew) != TG_OK) {
				code = tg_cli_usage_error(cmd, "--skew '%s' is not a number of "
							       "seconds in 0..%d",
							  optarg, TG_LIMIT_JWT_SKEW_MAX);
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
	if (!jwks_path) {
		code = tg_cli_usage_error(cmd, "missing --jwks FILE");
		goto out;
	}
	if (optind >= argc) {
		code = tg_cli_usage_error(cmd, "missing TOKEN ('-' reads standard input)");
		goto out;
	}
	if (argc - optind > 1) {
		code = tg_cli_usage_error(cmd, "too many arguments: one TOKEN");
		goto out;
	}
	tok = argv[optind];
	n = strlen(tok);
	if (tg_cli_is_stdin(tok) && tg_cli_is_stdin(jwks_path)) {
		code = tg_cli_usage_error(cmd, "the JWK set and the token cannot both be '-'");
		goto out;
	}
	r = tg_cli_load_jwks(jwks_path, &a, &jwks);
	if (r != TG_OK) {
		code = tg_cli_exit_code(r);
		goto out;
	}
	if (tg_cli_is_stdin(tok)) {
		r = tg_cli_read_file("-", TG_LIMIT_JWS + 2, false, &token, &d);
		if (r != TG_OK) {
			tg_cli_error("%s", d.msg);
			code = tg_cli_exit_code(r);
			goto out;
		}
		/* one line: the newline that ends it is not part of the token */
		n = token.len;
		if (n > 0 && token.data[n - 1] == '\n')
			n--;
		if (n > 0 && token.data[n - 1] == '\r')
			n--;
		tok = tg_buf_str(&token);
	}
	chk.now = tg_time_now();
	chk.skew = skew;
	r = tg_jwt_verify(tok, n, (const struct tg_key *const *)jwks.keys, jwks.count, &chk, &a,
			  &claims, NULL, &d);
	if (r != TG_OK) {
		tg_cli_error("token rejected: %s", d.msg[0] ? d.msg : tg_strerror(r));
		code = tg_cli_exit_code(r);
		/* A token that cannot be read is as invalid as a forged one. */
		if (code == TG_EXIT_USAGE)
			code = TG_EXIT_FAIL;
		goto out;
	}
	r = tg_json_emit(&out, claims, 0);
	if (r == TG_OK)
		r = tg_buf_addc(&out, '\n');
	if (r != TG_OK) {
		tg_cli_error("cannot print the claims: %s", tg_strerror(r));
		code = TG_EXIT_INTERNAL;
		goto out;
	}
	code = tg_cli_write(out.data, out.len) == TG_OK ? TG_EXIT_OK : TG_EXIT_INTERNAL;
out:
	tg_buf_release(&out);
	tg_buf_release(&token);
	tg_jwks_release(&jwks);
	tg_arena_release(&a);
	return code;
}
