/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_verify.c - `tollgate verify`: checks a Sigstore bundle for an
 * artifact (or its sha256 digest) against a trusted root and an expected
 * signer (certificate identity and issuer, or a managed public key).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "core/arena.h"
#include "core/codec.h"
#include "core/json.h"
#include "core/limits.h"
#include "crypto/crypto.h"
#include "server/server.h"
#include "sign/sign.h"

const char tg_cli_verify_usage[] =
	"usage: tollgate verify ARTIFACT|sha256:HEX --bundle B --trusted-root T\n"
	"                       (--identity ID | --identity-regex RE) --issuer ISS\n"
	"       tollgate verify ARTIFACT|sha256:HEX --bundle B --trusted-root T --key PUB\n"
	"       tollgate verify ARTIFACT|sha256:HEX --server URL --ca-file PEM\n"
	"                       [--bundle B] [--trusted-root T] (--identity ID |\n"
	"                       --identity-regex RE) --issuer ISS\n"
	"\n"
	"Verifies a Sigstore bundle (v0.1-v0.3) offline, as the Sigstore client\n"
	"specification requires: verified times from the transparency log or RFC\n"
	"3161 timestamps, the signing certificate's chain at those times, SCTs,\n"
	"the signer's identity (certificate SAN) and OIDC issuer, the log entries\n"
	"bound to the bundle, and the signature over the artifact or the DSSE\n"
	"envelope (whose in-toto subjects must contain the artifact's digest).\n"
	"\n"
	"ARTIFACT is a file, or sha256:<64 hex digits> when that is not a file.\n"
	"Exit 0 with one line of what was verified, or 1 with the precise reason.\n"
	"\n"
	"  --bundle B          the bundle (JSON)\n"
	"  --trusted-root T    the trust root (Sigstore trusted_root.json)\n"
	"  --identity ID       the exact certificate identity (URI or email SAN)\n"
	"  --identity-regex RE the identity as an anchored POSIX extended regex\n"
	"  --issuer ISS        the exact OIDC issuer recorded by the CA\n"
	"  --key PUB           a PEM public key, for bundles signed with a managed key\n"
	"  --server URL        tollgated (https://HOST:PORT): without --bundle, every\n"
	"                      bundle it stores for the artifact's digest is verified\n"
	"                      (exit 0 when at least one passes; one line per bundle\n"
	"                      that does); without --trusted-root, its trust root\n"
	"                      (GET /v1/trust-root) is used. Give --trusted-root to\n"
	"                      verify against a root pinned independently\n"
	"  --ca-file PEM       the roots that authenticate the server (its trust\n"
	"                      domain's CA; the server must be spiffe://TD/tollgated)\n";

static bool is_digest_arg(const char *s, uint8_t out[32])
{
	struct stat st;
	if (strncmp(s, "sha256:", 7) != 0 || strlen(s) != 7 + 64 || stat(s, &st) == 0)
		return false;
	return tg_hex_decode_to(out, 32, s + 7, 64) == TG_OK;
}

/* GET path from the server into out; a clear error unless 200. */
static tg_err server_get(const char *server, const char *ca_file, const char *path,
			 struct tg_buf *out, struct tg_diag *d)
{
	struct tg_client c;
	int status = 0;
	tg_err r;
	memset(&c, 0, sizeof(c));
	r = tg_client_url(server, &c, d);
	if (r != TG_OK)
		return TG_E_USAGE;
	c.ca_file = ca_file;
	r = tg_client_request(&c, "GET", path, NULL, NULL, 0, &status, out, d);
	if (r != TG_OK && r != TG_E_USAGE)
		r = TG_E_AGAIN; /* not reached or not authenticated: no verdict */
	if (r == TG_OK && status != 200) {
		tg_diag_set(d, "GET %s: the server answered %d: %.*s", path, status,
			    (int)(out->len > 200 ? 200 : out->len), out->data ? (const char *)out->data : "");
		r = status >= 500 ? TG_E_AGAIN : TG_E_NOTFOUND;
	} else if (r != TG_OK) {
		tg_diag_prefix(d, "%s", server);
	}
	return r;
}

/* Parses and verifies one bundle; res and d say what or why. */
static tg_err verify_one(const char *json, size_t n, const struct tg_sign_artifact *art,
			 const struct tg_sign_trustroot *tr, const struct tg_sign_policy *pol,
			 struct tg_sign_result *res, struct tg_diag *d)
{
	struct tg_sign_bundle b;
	tg_err r;
	memset(&b, 0, sizeof(b));
	r = tg_sign_bundle_parse(json, n, &b, d);
	if (r != TG_OK)
		tg_diag_prefix(d, "cannot read the bundle");
	else
		r = tg_sign_verify(&b, art, tr, pol, res, d);
	tg_sign_bundle_release(&b);
	return r == TG_OK ? TG_OK : TG_E_VERIFY;
}

static void print_verified(const char *what, bool keyed, const struct tg_sign_result *res)
{
	char when[TG_TIME_STR_MAX] = "";
	if (tg_time_format(res->signed_at, when, sizeof(when)) != TG_OK)
		when[0] = '\0';
	if (keyed)
		printf("verified: %s signed with the given key, logged at index %lld of %s%s%s\n",
		       what, (long long)res->log_index, res->log_url, when[0] ? " at " : "", when);
	else
		printf("verified: %s signed by %s (issuer %s) at %s, log index %lld (%s)%s%s\n", what,
		       res->san, res->issuer, when, (long long)res->log_index, res->log_url,
		       res->predicate_type[0] ? ", predicate " : "", res->predicate_type);
}

/*
 * verify --server without --bundle: every stored bundle for the digest;
 * exit 0 when at least one verifies (a line for each that does), else 1
 * with the count and the first bundle's reason.
 */
static int verify_stored(const char *server, const char *ca_file, const char *what,
			 const struct tg_sign_artifact *art, const struct tg_sign_trustroot *tr,
			 const struct tg_sign_policy *pol)
{
	struct tg_buf list = TG_BUF_INIT(4 * TG_MIB), one = TG_BUF_INIT(TG_SIGN_MAX_DOC);
	struct tg_arena a;
	const struct tg_json *doc = NULL, *bs;
	struct tg_diag d, first;
	char path[96], hex[65];
	size_t i, ok = 0;
	int code;
	tg_err r;

	tg_arena_init(&a, 64 * TG_MIB);
	tg_diag_init(&d);
	tg_diag_init(&first);
	tg_hex_encode_to(hex, art->digest, 32);
	hex[64] = '\0';
	(void)snprintf(path, sizeof(path), "/v1/attestations/sha256:%s", hex);
	r = server_get(server, ca_file, path, &list, &d);
	if (r == TG_OK && (tg_json_parse(&a, list.data, list.len, NULL, &doc, NULL, &d) != TG_OK ||
			   !(bs = tg_json_get(doc, "bundles")) || bs->type != TG_JSON_ARRAY)) {
		tg_diag_set(&d, "GET %s: the answer has no \"bundles\" array", path);
		r = TG_E_PARSE;
	}
	if (r != TG_OK) {
		tg_cli_error("%s", d.msg[0] ? d.msg : tg_strerror(r));
		code = r == TG_E_USAGE ? TG_EXIT_USAGE : r == TG_E_AGAIN ? TG_EXIT_INTERNAL : TG_EXIT_FAIL;
		goto out;
	}
	for (i = 0; i < bs->u.a.len; i++) {
		struct tg_sign_result res;
		tg_buf_reset(&one);
		tg_diag_init(&d);
		r = tg_json_canon(&one, bs->u.a.items[i]);
		if (r == TG_OK)
			r = verify_one((const char *)one.data, one.len, art, tr, pol, &res, &d);
		if (r == TG_OK) {
			print_verified(what, pol->key != NULL, &res);
			ok++;
		} else if (!first.msg[0]) {
			first = d;
		}
	}
	if (ok > 0) {
		code = TG_EXIT_OK;
	} else if (bs->u.a.len == 0) {
		tg_cli_error("verification failed: %s stores no bundle for sha256:%s", server, hex);
		code = TG_EXIT_FAIL;
	} else {
		tg_cli_error("verification failed: none of the %zu bundles %s stores for sha256:%s "
			     "verifies; the first: %s",
			     bs->u.a.len, server, hex, first.msg[0] ? first.msg : "unknown reason");
		code = TG_EXIT_FAIL;
	}
out:
	tg_arena_release(&a);
	tg_buf_release(&list);
	tg_buf_release(&one);
	return code;
}

int tg_cli_verify(const struct tg_cli_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {{"bundle", required_argument, NULL, 'b'},
					     {"trusted-root", required_argument, NULL, 't'},
					     {"identity", required_argument, NULL, 'I'},
					     {"identity-regex", required_argument, NULL, 'R'},
					     {"issuer", required_argument, NULL, 'i'},
					     {"key", required_argument, NULL, 'k'},
					     {"server", required_argument, NULL, 's'},
					     {"ca-file", required_argument, NULL, 'C'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	const char *bundle = NULL, *root = NULL, *keyf = NULL, *server = NULL, *ca_file = NULL;
	struct tg_sign_policy pol;
	struct tg_sign_artifact art;
	struct tg_sign_trustroot tr;
	struct tg_sign_bundle b;
	struct tg_sign_result res;
	struct tg_buf bb = TG_BUF_INIT(TG_SIGN_MAX_DOC), data = TG_BUF_INIT(TG_LIMIT_JSON_DOC);
	struct tg_key *key = NULL;
	struct tg_diag d;
	int c, code = TG_EXIT_OK;
	tg_err r;

	memset(&pol, 0, sizeof(pol));
	memset(&art, 0, sizeof(art));
	memset(&tr, 0, sizeof(tr));
	memset(&b, 0, sizeof(b));
	tg_diag_init(&d);
	optind = 1;
	while ((c = getopt_long(argc, argv, ":b:t:I:R:i:k:s:C:h", opts, NULL)) != -1) {
		switch (c) {
		case 'b':
			bundle = optarg;
			break;
		case 't':
			root = optarg;
			break;
		case 'I':
			pol.identity = optarg;
			break;
		case 'R':
			pol.identity_regex = optarg;
			break;
		case 'i':
			pol.issuer = optarg;
			break;
		case 'k':
			keyf = optarg;
			break;
		case 's':
			server = optarg;
			break;
		case 'C':
			ca_file = optarg;
			break;
		case 'h':
			return tg_cli_help(cmd);
		default:
			return tg_cli_bad_option(cmd, c, argv);
		}
	}
	if (!server != !ca_file)
		return tg_cli_usage_error(cmd, "--server and --ca-file go together");
	if (ca_file) {
		struct tg_x509_list l = {NULL, 0};
		r = tg_cli_read_file(ca_file, TG_LIMIT_PEM_FILE, false, &bb, &d);
		if (r == TG_OK)
			r = tg_x509_list_from_pem((const char *)bb.data, bb.len, &l, &d);
		if (r == TG_OK && l.count == 0)
			r = TG_E_PARSE;
		tg_x509_list_release(&l);
		tg_buf_release(&bb);
		if (r != TG_OK)
			return tg_cli_usage_error(cmd, "--ca-file '%s' holds no PEM certificate",
						  ca_file);
	}
	if (optind + 1 != argc || (!server && (!bundle || !root)))
		return tg_cli_usage_error(cmd, "--bundle, --trusted-root (or --server) and one "
					       "ARTIFACT are required");
	if (keyf ? (pol.identity || pol.identity_regex || pol.issuer)
		 : (!(pol.identity || pol.identity_regex) || !pol.issuer ||
		    (pol.identity && pol.identity_regex)))
		return tg_cli_usage_error(
			cmd, "give --identity or --identity-regex with --issuer, or --key alone");
	pol.now = tg_time_now();

	if (root) {
		r = tg_sign_trustroot_load(root, &tr, &d);
	} else {
		/* the deployment's root, from the server its CA authenticates */
		struct tg_buf t = TG_BUF_INIT(TG_LIMIT_JSON_VERIFY_DOC);
		r = server_get(server, ca_file, "/v1/trust-root", &t, &d);
		if (r == TG_OK)
			r = tg_sign_trustroot_parse((const char *)t.data, t.len, &tr, &d);
		tg_buf_release(&t);
		if (r == TG_E_USAGE || r == TG_E_AGAIN) {
			tg_cli_error("%s", d.msg);
			code = r == TG_E_USAGE ? TG_EXIT_USAGE : TG_EXIT_INTERNAL;
			goto out;
		}
	}
	if (r != TG_OK) {
		tg_cli_error("%s", d.msg);
		code = TG_EXIT_FAIL;
		goto out;
	}
	if (keyf) {
		r = tg_cli_load_key(keyf, &key);
		if (r != TG_OK) {
			code = tg_cli_exit_code(r);
			goto out;
		}
		pol.key = key;
	}
	if (bundle) {
		r = tg_cli_read_file(bundle, TG_SIGN_MAX_DOC, false, &bb, &d);
		if (r != TG_OK) {
			tg_cli_error("%s", d.msg);
			code = tg_cli_exit_code(r);
			goto out;
		}
		r = tg_sign_bundle_parse((const char *)bb.data, bb.len, &b, &d);
		if (r != TG_OK) {
			tg_cli_error("verification failed: cannot read bundle '%s': %s",
				     tg_cli_name(bundle), d.msg);
			code = TG_EXIT_FAIL;
			goto out;
		}
	}
	if (is_digest_arg(argv[optind], art.digest)) {
		art.alg = TG_SHA256;
	} else {
		r = tg_cli_read_file(argv[optind], TG_LIMIT_JSON_DOC, false, &data, &d);
		if (r != TG_OK) {
			tg_cli_error("%s", d.msg);
			code = tg_cli_exit_code(r);
			goto out;
		}
		art.data = data.data ? data.data : (const uint8_t *)"";
		art.len = data.len;
	}
	if (!bundle) {
		/* the stored bundles are found by the artifact's digest */
		if (!art.alg && tg_hash(TG_SHA256, art.data, art.len, art.digest) != TG_OK) {
			code = TG_EXIT_INTERNAL;
			goto out;
		}
		code = verify_stored(server, ca_file, argv[optind], &art, &tr, &pol);
		goto out;
	}
	r = tg_sign_verify(&b, &art, &tr, &pol, &res, &d);
	if (r != TG_OK) {
		tg_cli_error("verification failed: %s", d.msg[0] ? d.msg : tg_strerror(r));
		code = TG_EXIT_FAIL;
		goto out;
	}
	print_verified(argv[optind], keyf != NULL, &res);
out:
	tg_key_free(key);
	tg_sign_bundle_release(&b);
	tg_sign_trustroot_release(&tr);
	tg_buf_release(&bb);
	tg_buf_release(&data);
	return code;
}
