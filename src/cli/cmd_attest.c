/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_attest.c - `tollgate attest`: proves a workload's identity locally
 * (a CI OIDC token checked against its issuer's keys, or a one-time join
 * token), matches the attested selectors to registration entries and
 * issues the SVID of the matching SPIFFE ID: X.509 files and/or a JWT.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/arena.h"
#include "core/fs.h"
#include "core/json.h"
#include "core/limits.h"
#include "core/mem.h"
#include "identity/identity.h"

#define ATTEST_SKEW_DEFAULT 30 /* seconds of clock skew allowed on exp, nbf, iat */
#define ATTEST_SKEW_MAX 60     /* tg_oidc_config allows no more */
#define JWT_AUD_MAX 16         /* audiences of one JWT-SVID */

const char tg_cli_attest_usage[] =
	"usage: tollgate attest --dir D --oidc-token FILE --jwks FILE --issuer URL\n"
	"                       --audience AUD [--profile PROFILE] [--skew SECONDS]\n"
	"                       [--spiffe-id ID] [--x509-out DIR] [--jwt-aud AUD]...\n"
	"       tollgate attest --dir D --join-token TOKEN|- [--spiffe-id ID]\n"
	"                       [--x509-out DIR] [--jwt-aud AUD]...\n"
	"       tollgate attest --server URL --ca-file PEM (--oidc-token FILE |\n"
	"                       --join-token TOKEN|-) [--spiffe-id ID] [--x509-out DIR]\n"
	"                       [--jwt-aud AUD]...\n"
	"\n"
	"Attests a workload locally and issues its SVID. With --oidc-token, the CI\n"
	"token in FILE ('-': standard input) must be signed by a key of the JWK set\n"
	"(the key decides the algorithm; 'none' and HMAC never verify), have iss URL\n"
	"and aud AUD, be unexpired and no older than an hour, and not have been\n"
	"presented before (replay cache). Its claims become selectors by PROFILE:\n"
	"\n"
	"  github      github:repository_id, github:repository, github:ref, ...\n"
	"  gitlab      gitlab:project_id, gitlab:project_path, gitlab:ref, ...\n"
	"  kubernetes  k8s:ns, k8s:sa, k8s:pod-name, k8s:pod-uid\n"
	"  generic     oidc:<claim>:<value> for every scalar claim (the default)\n"
	"\n"
	"With --join-token, a token from `tollgate jointoken create` is consumed\n"
	"(once). The registration entries all of whose selectors were attested name\n"
	"the SPIFFE IDs the workload may have. Then:\n"
	"\n"
	"  without --x509-out and --jwt-aud, the SPIFFE IDs are printed, one a line;\n"
	"  --x509-out DIR writes DIR/svid.pem (leaf, then intermediates), DIR/svid.key\n"
	"    (a fresh ECDSA P-256 key, PKCS#8, mode 0600) and DIR/bundle.pem (the\n"
	"    trust domain's roots); DIR is created (0700) if missing and files in it\n"
	"    are replaced atomically, the key first; the SPIFFE ID is printed unless\n"
	"  --jwt-aud AUD prints a JWT-SVID for audience AUD (repeat for several),\n"
	"    the only line on standard output.\n"
	"\n"
	"An SVID is issued for one SPIFFE ID per run: when entries with several IDs\n"
	"match, --spiffe-id must choose one (exit 2). When several entries match\n"
	"the chosen ID, the shortest TTL applies (an entry without one has the CA's\n"
	"defaults: X509-SVID 1h, JWT-SVID 5m).\n"
	"The token is consumed even when nothing is issued.\n"
	"\n"
	"  -d, --dir D              the CA directory\n"
	"  -o, --oidc-token FILE    the CI's OIDC token (compact JWT)\n"
	"  -j, --jwks FILE          the issuer's JWK set (or one JWK)\n"
	"  -i, --issuer URL         the required iss claim, exactly\n"
	"  -a, --audience AUD       the required aud\n"
	"  -p, --profile PROFILE    github, gitlab, kubernetes or generic\n"
	"  -k, --skew SECONDS       clock skew allowed (0..60, default 30)\n"
	"  -J, --join-token TOKEN   a join token ('-': read it from standard input)\n"
	"  -s, --spiffe-id ID       the SPIFFE ID to issue, among those matched\n"
	"  -x, --x509-out DIR       write an X509-SVID, its key and the bundle to DIR\n"
	"  -A, --jwt-aud AUD        print a JWT-SVID for this audience\n"
	"  -v, --verbose            print the attested selectors on standard error\n"
	"  -S, --server URL         attest with tollgated at URL (https://HOST:PORT)\n"
	"                           instead of a local CA: the server checks the token\n"
	"                           against its configured issuers (no --dir, --jwks,\n"
	"                           --issuer, --audience, --profile); the SVID key is\n"
	"                           made here and only a CSR is sent\n"
	"  -C, --ca-file PEM        the roots to trust for the server's certificate\n"
	"                           (tollgated --dev DIR writes DIR/ca.pem)\n"
	"  -h, --help               show this help\n"
	"\n"
	"A token that does not attest, or selectors no entry matches, exit 1 with\n"
	"the reason.\n";

struct attest_opts {
	const char *dir, *oidc_path, *jwks_path, *issuer, *audience, *join, *spiffe_id;
	const char *x509_out, *server, *ca_file;
	const char *aud[JWT_AUD_MAX];
	size_t naud;
	enum tg_oidc_profile profile;
	int64_t skew;
	bool verbose;
};

/* Reads a one-line token from path ('-': stdin) without its line end. */
static tg_err read_token(const char *path, struct tg_buf *out, size_t *n)
{
	struct tg_diag d;
	tg_err r;

	tg_diag_init(&d);
	r = tg_cli_read_file(path, TG_LIMIT_JWS + 2, true, out, &d);
	if (r != TG_OK) {
		tg_cli_error("%s", d.msg);
		return r;
	}
	*n = out->len;
	while (*n > 0 && (out->data[*n - 1] == '\n' || out->data[*n - 1] == '\r'))
		(*n)--;
	return TG_OK;
}

/* Loads a JWK set, or one JWK, as the issuer's keys. Prints its error. */
static tg_err load_jwks(const char *path, struct tg_arena *a, struct tg_jwks *out)
{
	struct tg_buf text = TG_BUF_INIT(0);
	const struct tg_json *doc = NULL;
	struct tg_key *k = NULL;
	struct tg_diag d;
	tg_err r;

	tg_diag_init(&d);
	r = tg_cli_read_file(path, TG_LIMIT_JWK, false, &text, &d);
	if (r != TG_OK) {
		tg_cli_error("%s", d.msg);
		goto out;
	}
	r = tg_json_parse(a, tg_buf_str(&text), text.len, NULL, &doc, NULL, &d);
	if (r == TG_OK && doc->type != TG_JSON_OBJECT) {
		tg_diag_set(&d, "a JSON %s, not an object", tg_json_type_name(doc->type));
		r = TG_E_TYPE;
	}
	if (r == TG_OK) {
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
	}
	if (r == TG_OK && out->count == 0) {
		tg_diag_set(&d, "it holds no usable key");
		r = TG_E_KEY;
	}
	if (r != TG_OK) {
		if (d.line)
			tg_cli_error("cannot load JWK set '%s': %s at %u:%u", tg_cli_name(path),
				     d.msg[0] ? d.msg : tg_strerror(r), d.line, d.col);
		else
			tg_cli_error("cannot load JWK set '%s': %s", tg_cli_name(path),
				     d.msg[0] ? d.msg : tg_strerror(r));
		if (tg_cli_exit_code(r) == TG_EXIT_FAIL)
			r = TG_E_KEY; /* the file's fault, not a verdict */
	}
out:
	tg_buf_release(&text);
	return r;
}

/* Appends "a, b, c" of the selectors. */
static tg_err add_selectors(struct tg_buf *out, const struct tg_selector *s, size_t n)
{
	size_t i;
	tg_err r = TG_OK;
	for (i = 0; r == TG_OK && i < n; i++) {
		if (i)
			r = tg_buf_adds(out, ", ");
		if (r == TG_OK)
			r = tg_selector_format(&s[i], out);
	}
	return r;
}

/* The attestation step: fills att or prints why not and returns the exit. */
static int run_attestation(const struct attest_opts *o, struct tg_ca *ca, struct tg_arena *a,
			   struct tg_attestation *att)
{
	struct tg_buf token = TG_BUF_INIT(0);
	struct tg_jwks jwks = {NULL, 0};
	struct tg_oidc_config cfg;
	struct tg_diag d;
	size_t n = 0;
	int code;
	tg_err r;

	tg_diag_init(&d);
	if (o->oidc_path) {
		r = read_token(o->oidc_path, &token, &n);
		if (r != TG_OK) {
			code = tg_cli_exit_code(r);
			goto out;
		}
		r = load_jwks(o->jwks_path, a, &jwks);
		if (r != TG_OK) {
			code = tg_cli_exit_code(r);
			goto out;
		}
		memset(&cfg, 0, sizeof(cfg));
		cfg.issuer = o->issuer;
		cfg.audience = o->audience;
		cfg.profile = o->profile;
		cfg.jwks = &jwks;
		cfg.now = tg_time_now();
		cfg.skew = o->skew;
		cfg.max_age = 0;
		r = tg_attest_oidc(ca, tg_buf_str(&token), n, &cfg, a, att, &d);
	} else if (tg_cli_is_stdin(o->join)) {
		r = read_token("-", &token, &n);
		if (r != TG_OK) {
			code = tg_cli_exit_code(r);
			goto out;
		}
		r = tg_attest_join(ca, tg_buf_str(&token), n, tg_time_now(), a, att, &d);
	} else {
		r = tg_attest_join(ca, o->join, strlen(o->join), tg_time_now(), a, att, &d);
	}
	if (r != TG_OK) {
		code = tg_cli_fail(r, &d, "attestation failed");
		/* A token that cannot be read is as invalid as a forged one; an
		 * unknown join token is a refusal too. */
		if (code == TG_EXIT_USAGE && r != TG_E_IO && r != TG_E_PERM)
			code = TG_EXIT_FAIL;
		goto out;
	}
	code = TG_EXIT_OK;
out:
	tg_jwks_release(&jwks);
	tg_buf_release_wipe(&token);
	return code;
}

/* Writes the X509-SVID, its key and the trust anchors to dir. */
static int write_x509(struct tg_ca *ca, const char *dir, const struct tg_spiffe_id *id,
		      int64_t ttl)
{
	struct tg_buf path = TG_BUF_INIT(8192), pem = TG_BUF_INIT(TG_LIMIT_PEM_FILE);
	struct tg_buf keypem = TG_BUF_INIT(64 * 1024);
	struct tg_x509_list chain = {NULL, 0};
	struct tg_bundle b;
	struct tg_key *key = NULL;
	struct tg_diag d;
	size_t i;
	int code = TG_EXIT_INTERNAL;
	tg_err r;

	memset(&b, 0, sizeof(b));
	tg_diag_init(&d);
	r = tg_fs_mkdir_p(dir, 0700, &d);
	if (r != TG_OK) {
		code = tg_cli_fail(r, &d, "cannot create the output directory");
		goto out;
	}
	r = tg_key_generate(TG_KEY_EC_P256, 0, &key);
	if (r != TG_OK) {
		code = tg_cli_fail(r, NULL, "cannot generate the SVID key");
		goto out;
	}
	r = tg_ca_issue_x509(ca, id, key, ttl, tg_time_now(), &chain, &d);
	if (r != TG_OK || chain.count == 0) {
		code = tg_cli_fail(r != TG_OK ? r : TG_E_INTERNAL, &d, "cannot issue the X509-SVID");
		if (code != TG_EXIT_OK)
			code = TG_EXIT_INTERNAL;
		goto out;
	}
	/* the key first: whoever sees the new certificate finds its key */
	r = tg_key_to_pem(key, true, &keypem);
	if (r == TG_OK)
		r = tg_buf_addf(&path, "%s/svid.key", dir);
	if (r == TG_OK)
		r = tg_fs_write_atomic(tg_buf_str(&path), keypem.data, keypem.len, 0600, TG_FS_SYNC,
				       &d);
	if (r != TG_OK) {
		code = tg_cli_fail(r, &d, "cannot write the SVID key");
		goto out;
	}
	for (i = 0; r == TG_OK && i < chain.count; i++)
		r = tg_x509_to_pem(chain.certs[i], &pem);
	if (r == TG_OK) {
		tg_buf_reset(&path);
		r = tg_buf_addf(&path, "%s/svid.pem", dir);
	}
	if (r == TG_OK)
		r = tg_fs_write_atomic(tg_buf_str(&path), pem.data, pem.len, 0644, TG_FS_SYNC, &d);
	if (r != TG_OK) {
		code = tg_cli_fail(r, &d, "cannot write the X509-SVID");
		goto out;
	}
	tg_buf_reset(&pem);
	r = tg_ca_bundle(ca, &b);
	if (r == TG_OK)
		r = tg_bundle_to_pem(&b, &pem);
	if (r == TG_OK) {
		tg_buf_reset(&path);
		r = tg_buf_addf(&path, "%s/bundle.pem", dir);
	}
	if (r == TG_OK)
		r = tg_fs_write_atomic(tg_buf_str(&path), pem.data, pem.len, 0644, TG_FS_SYNC, &d);
	if (r != TG_OK) {
		code = tg_cli_fail(r, &d, "cannot write the bundle");
		goto out;
	}
	code = TG_EXIT_OK;
out:
	tg_bundle_release(&b);
	tg_x509_list_release(&chain);
	tg_key_free(key);
	tg_buf_release_wipe(&keypem);
	tg_buf_release(&pem);
	tg_buf_release(&path);
	return code;
}

static int issue_jwt(struct tg_ca *ca, const struct attest_opts *o, const struct tg_spiffe_id *id,
		     int64_t ttl)
{
	struct tg_buf tok = TG_BUF_INIT(TG_LIMIT_JWS);
	struct tg_diag d;
	int code;
	tg_err r;

	tg_diag_init(&d);
	r = tg_ca_issue_jwt(ca, id, o->aud, o->naud, ttl, tg_time_now(), TG_SIG_NONE, &tok, &d);
	if (r == TG_OK)
		r = tg_buf_addc(&tok, '\n');
	if (r != TG_OK) {
		code = tg_cli_fail(r, &d, "cannot issue the JWT-SVID");
		return code == TG_EXIT_FAIL ? TG_EXIT_INTERNAL : code;
	}
	code = tg_cli_write(tok.data, tok.len) == TG_OK ? TG_EXIT_OK : TG_EXIT_INTERNAL;
	tg_buf_release(&tok);
	return code;
}

static int parse_args(const struct tg_cli_cmd *cmd, int argc, char **argv, struct attest_opts *o)
{
	static const struct option opts[] = {
		{"dir", required_argument, NULL, 'd'},
		{"oidc-token", required_argument, NULL, 'o'},
		{"jwks", required_argument, NULL, 'j'},
		{"issuer", required_argument, NULL, 'i'},
		{"audience", required_argument, NULL, 'a'},
		{"profile", required_argument, NULL, 'p'},
		{"skew", required_argument, NULL, 'k'},
		{"join-token", required_argument, NULL, 'J'},
		{"spiffe-id", required_argument, NULL, 's'},
		{"x509-out", required_argument, NULL, 'x'},
		{"jwt-aud", required_argument, NULL, 'A'},
		{"verbose", no_argument, NULL, 'v'},
		{"server", required_argument, NULL, 'S'},
		{"ca-file", required_argument, NULL, 'C'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, ":d:o:j:i:a:p:k:J:s:x:A:vS:C:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			o->dir = optarg;
			break;
		case 'o':
			o->oidc_path = optarg;
			break;
		case 'j':
			o->jwks_path = optarg;
			break;
		case 'i':
			o->issuer = optarg;
			break;
		case 'a':
			o->audience = optarg;
			break;
		case 'p':
			if (strcmp(optarg, "github") == 0)
				o->profile = TG_OIDC_GITHUB;
			else if (strcmp(optarg, "gitlab") == 0)
				o->profile = TG_OIDC_GITLAB;
			else if (strcmp(optarg, "kubernetes") == 0)
				o->profile = TG_OIDC_KUBERNETES;
			else if (strcmp(optarg, "generic") == 0)
				o->profile = TG_OIDC_GENERIC;
			else
				return tg_cli_usage_error(cmd, "unknown profile '%s' (github, gitlab, "
							       "kubernetes, generic)",
							  optarg);
			break;
		case 'k':
			if (tg_cli_parse_i64(optarg, 0, ATTEST_SKEW_MAX, &o->skew) != TG_OK)
				return tg_cli_usage_error(cmd, "--skew '%s' is not a number of "
							       "seconds in 0..%d",
							  optarg, ATTEST_SKEW_MAX);
			break;
		case 'J':
			o->join = optarg;
			break;
		case 's':
			o->spiffe_id = optarg;
			break;
		case 'x':
			o->x509_out = optarg;
			break;
		case 'A':
			if (o->naud == JWT_AUD_MAX)
				return tg_cli_usage_error(cmd, "at most %d --jwt-aud", JWT_AUD_MAX);
			if (!optarg[0])
				return tg_cli_usage_error(cmd, "--jwt-aud must not be empty");
			o->aud[o->naud++] = optarg;
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'S':
			o->server = optarg;
			break;
		case 'C':
			o->ca_file = optarg;
			break;
		case 'h':
			return tg_cli_help(cmd) == TG_EXIT_OK ? -2 : TG_EXIT_INTERNAL;
		default:
			return tg_cli_bad_option(cmd, c, argv);
		}
	}
	if (optind < argc)
		return tg_cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
	if (o->server) {
		if (!o->ca_file)
			return tg_cli_usage_error(cmd, "--server needs --ca-file PEM");
		if (o->dir || o->jwks_path || o->issuer || o->audience)
			return tg_cli_usage_error(cmd, "with --server, the server checks the token: "
						       "no --dir, --jwks, --issuer or --audience");
		if (!o->oidc_path == !o->join)
			return tg_cli_usage_error(cmd, "give --oidc-token FILE or --join-token TOKEN");
		if (o->x509_out && (!o->x509_out[0] || tg_cli_is_stdin(o->x509_out)))
			return tg_cli_usage_error(cmd, "--x509-out needs a directory");
		return -1;
	}
	if (o->ca_file)
		return tg_cli_usage_error(cmd, "--ca-file goes with --server");
	if (!o->dir || !o->dir[0])
		return tg_cli_usage_error(cmd, "missing --dir D");
	if (!o->oidc_path && !o->join)
		return tg_cli_usage_error(cmd, "missing --oidc-token FILE or --join-token TOKEN");
	if (o->oidc_path && o->join)
		return tg_cli_usage_error(cmd, "give --oidc-token or --join-token, not both");
	if (o->oidc_path) {
		if (!o->jwks_path)
			return tg_cli_usage_error(cmd, "--oidc-token needs --jwks FILE");
		if (!o->issuer || !o->issuer[0])
			return tg_cli_usage_error(cmd, "--oidc-token needs --issuer URL");
		if (!o->audience || !o->audience[0])
			return tg_cli_usage_error(cmd, "--oidc-token needs --audience AUD");
		if (tg_cli_is_stdin(o->oidc_path) && tg_cli_is_stdin(o->jwks_path))
			return tg_cli_usage_error(cmd, "the token and the JWK set cannot both be '-'");
	} else if (o->jwks_path || o->issuer || o->audience) {
		return tg_cli_usage_error(cmd, "--jwks, --issuer and --audience go with "
					       "--oidc-token, not --join-token");
	}
	if (o->x509_out && (!o->x509_out[0] || tg_cli_is_stdin(o->x509_out)))
		return tg_cli_usage_error(cmd, "--x509-out needs a directory");
	return -1;
}

int tg_cli_attest(const struct tg_cli_cmd *cmd, int argc, char **argv)
{
	struct tg_buf msg = TG_BUF_INIT(1 << 20), ids = TG_BUF_INIT(1 << 20);
	struct attest_opts o;
	struct tg_attestation att;
	struct tg_entry *m = NULL;
	const struct tg_spiffe_id *chosen = NULL;
	struct tg_spiffe_id want;
	struct tg_ca *ca = NULL;
	struct tg_arena a;
	struct tg_diag d;
	size_t nm = 0, i, j, distinct = 0;
	int64_t x509_ttl = 0, jwt_ttl = 0, x509_best = 0, jwt_best = 0;
	int code;
	tg_err r;

	memset(&o, 0, sizeof(o));
	memset(&att, 0, sizeof(att));
	o.skew = ATTEST_SKEW_DEFAULT;
	tg_arena_init(&a, TG_LIMIT_ARENA_DEFAULT);
	tg_diag_init(&d);
	code = parse_args(cmd, argc, argv, &o);
	if (code == -2) {
		code = TG_EXIT_OK;
		goto out;
	}
	if (code != -1)
		goto out;
	if (o.server) {
		code = tg_cli_attest_remote(o.server, o.ca_file, o.oidc_path, o.join, o.spiffe_id,
					    o.x509_out, o.aud, o.naud);
		goto out;
	}
	if (o.spiffe_id && tg_spiffe_id_parse(o.spiffe_id, strlen(o.spiffe_id), &want, &d) != TG_OK) {
		code = tg_cli_usage_error(cmd, "invalid SPIFFE ID '%s': %s", o.spiffe_id,
					  d.msg[0] ? d.msg : "malformed");
		goto out;
	}
	r = tg_cli_ca_open(o.dir, &ca);
	if (r != TG_OK) {
		code = tg_cli_exit_code(r);
		goto out;
	}
	code = run_attestation(&o, ca, &a, &att);
	if (code != TG_EXIT_OK)
		goto out;
	if (att.flags & TG_ATTEST_F_PAST_WARNAFTER)
		fprintf(stderr, "tollgate: warning: accepted a token past its warnafter: %s\n",
			att.subject ? att.subject : "(no subject)");
	if (o.verbose) {
		fprintf(stderr, "tollgate: attested %s\n", att.subject ? att.subject : "(no subject)");
		for (i = 0; i < att.n; i++) {
			tg_buf_reset(&msg);
			if (tg_selector_format(&att.selectors[i], &msg) == TG_OK)
				fprintf(stderr, "  %s\n", tg_buf_str(&msg));
		}
	}
	tg_diag_init(&d);
	r = tg_entry_match(ca, att.selectors, att.n, &a, &m, &nm, &d);
	if (r != TG_OK) {
		code = tg_cli_fail(r, &d, "cannot match registration entries");
		goto out;
	}
	/* an entry with a parent is its agent's to attest (`agent --server`) */
	for (i = 0, j = 0; i < nm; i++)
		if (!m[i].parent_id.uri[0])
			m[j++] = m[i];
	nm = j;
	if (nm == 0) {
		tg_buf_reset(&msg);
		if (add_selectors(&msg, att.selectors, att.n) != TG_OK)
			tg_buf_reset(&msg);
		tg_cli_error("attestation failed: no registration entry matches %s (selectors: %s)",
			     att.subject ? att.subject : "the workload", tg_buf_str(&msg));
		code = TG_EXIT_FAIL;
		goto out;
	}
	/* The distinct SPIFFE IDs, in entry order; the TTLs of the chosen one. */
	for (i = 0; i < nm; i++) {
		bool seen = false;
		if (o.spiffe_id && strcmp(m[i].spiffe_id.uri, want.uri) != 0)
			continue;
		for (j = 0; j < i && !seen; j++)
			seen = strcmp(m[j].spiffe_id.uri, m[i].spiffe_id.uri) == 0 &&
			       (!o.spiffe_id || strcmp(m[j].spiffe_id.uri, want.uri) == 0);
		if (!seen) {
			distinct++;
			if (!chosen)
				chosen = &m[i].spiffe_id;
			if (tg_buf_addf(&ids, "%s\n", m[i].spiffe_id.uri) != TG_OK) {
				code = TG_EXIT_INTERNAL;
				goto out;
			}
		}
		if (strcmp(m[i].spiffe_id.uri, chosen->uri) == 0) {
			/* the shortest lifetime wins; 0 (the CA's default) is
			 * compared as the built-in default and passed on as 0 */
			int64_t x = m[i].x509_ttl > 0 ? m[i].x509_ttl : TG_SVID_X509_TTL_DEFAULT;
			int64_t jt = m[i].jwt_ttl > 0 ? m[i].jwt_ttl : TG_SVID_JWT_TTL_DEFAULT;
			if (x509_best == 0 || x < x509_best) {
				x509_best = x;
				x509_ttl = m[i].x509_ttl;
			}
			if (jwt_best == 0 || jt < jwt_best) {
				jwt_best = jt;
				jwt_ttl = m[i].jwt_ttl;
			}
		}
	}
	if (distinct == 0) {
		tg_cli_error("attestation failed: %s is not entitled to '%s' (no matching entry "
			     "names it)",
			     att.subject ? att.subject : "the workload", want.uri);
		code = TG_EXIT_FAIL;
		goto out;
	}
	if (!o.x509_out && o.naud == 0) {
		code = tg_cli_write(ids.data, ids.len) == TG_OK ? TG_EXIT_OK : TG_EXIT_INTERNAL;
		goto out;
	}
	if (distinct > 1) {
		tg_buf_reset(&msg);
		for (i = 0; i < ids.len; i++)
			if (tg_buf_addc(&msg, ids.data[i] == '\n' ? ' ' : ids.data[i]) != TG_OK)
				break;
		code = tg_cli_usage_error(cmd, "entries for %zu SPIFFE IDs match (%.*s); choose one "
					       "with --spiffe-id",
					  distinct, (int)(msg.len ? msg.len - 1 : 0),
					  tg_buf_str(&msg));
		goto out;
	}
	if (o.x509_out) {
		code = write_x509(ca, o.x509_out, chosen, x509_ttl);
		if (code != TG_EXIT_OK)
			goto out;
		if (o.naud == 0)
			printf("%s\n", chosen->uri);
	}
	if (o.naud)
		code = issue_jwt(ca, &o, chosen, jwt_ttl);
out:
	tg_ca_close(ca);
	tg_arena_release(&a);
	tg_buf_release(&msg);
	tg_buf_release(&ids);
	return code;
}
