/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_sign.c - keyless signing: `tollgate signer init`, `tollgate sign`
 * and `tollgate trust-root export`.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/codec.h"
#include "core/fs.h"
#include "core/limits.h"
#include "core/mem.h"
#include "sign/sign.h"

const char tg_cli_signer_init_usage[] =
	"usage: tollgate signer init --dir D --name NAME\n"
	"\n"
	"Creates, for local and offline use, a keyless signing service in D: a\n"
	"code-signing CA (a root, whose key is discarded once it has certified\n"
	"the intermediate), an RFC 3161 timestamp authority (likewise) and a\n"
	"transparency log whose checkpoints name the origin NAME. D must not\n"
	"exist or be empty. Keys are written mode 0600.\n"
	"\n"
	"  --dir D      the signer directory to create\n"
	"  --name NAME  the log origin and CA name (a host name like\n"
	"               sign.example.com; the trust root calls it https://NAME)\n";

const char tg_cli_sign_usage[] =
	"usage: tollgate sign ARTIFACT --signer-dir D --bundle OUT\n"
	"                     [--in-toto STATEMENT | --provenance]\n"
	"                     (--oidc-token FILE --jwks FILE --issuer URL --audience AUD |\n"
	"                      --svid CERT --svid-key KEY --svid-bundle PEM)\n"
	"       tollgate sign ARTIFACT --server URL --ca-file PEM --bundle OUT\n"
	"                     (--oidc-token FILE | --svid CERT --svid-key KEY)\n"
	"\n"
	"Signs ARTIFACT keylessly: a fresh ECDSA P-256 key signs, a 10-minute\n"
	"code-signing certificate binds that key to the verified identity (the\n"
	"Fulcio profile and extensions), the timestamp authority stamps the\n"
	"signature, the log records it (hashedrekord 0.0.2), and OUT receives a\n"
	"Sigstore bundle v0.3 that `tollgate verify` and Sigstore clients check\n"
	"with the trusted root from `tollgate trust-root export`.\n"
	"\n"
	"Without --in-toto or --provenance the bundle holds a message signature\n"
	"over ARTIFACT. --in-toto signs the given in-toto Statement (JSON) in a\n"
	"DSSE envelope; its subjects must include ARTIFACT's SHA-256.\n"
	"--provenance builds and signs a SLSA provenance v1 statement for\n"
	"ARTIFACT from the verified identity.\n"
	"\n"
	"Identity, one of:\n"
	"  --oidc-token FILE  a CI OIDC token (GitHub Actions, GitLab CI, any\n"
	"                     issuer), verified against --jwks for --issuer and\n"
	"                     --audience; for GitHub the SAN is\n"
	"                     https://github.com/<job_workflow_ref>\n"
	"  --svid CERT --svid-key KEY --svid-bundle PEM\n"
	"                     an X.509-SVID (leaf first), its key, and the trust\n"
	"                     domain's X.509 authorities; the SAN is the SPIFFE ID\n"
	"\n"
	"  --signer-dir D     the signer made by `tollgate signer init`\n"
	"  --bundle OUT       where to write the bundle (\"-\": standard output)\n"
	"  --server URL       sign with tollgated at URL (https://HOST:PORT) instead of\n"
	"                     --signer-dir: the fresh key stays here, the server gets a\n"
	"                     CSR (proof of possession), the signature's timestamp\n"
	"                     request and the log entry; the identity is the OIDC token\n"
	"                     (checked by the server) or the X.509-SVID presented over\n"
	"                     mTLS. With --in-toto, ARTIFACT may be sha256:HEX;\n"
	"                     --provenance uses the identity the server certified.\n"
	"                     The bundle is then stored on the server (POST\n"
	"                     /v1/attestations), where the gate finds it\n"
	"  --no-store         with --server: do not store the bundle on the server\n"
	"  --ca-file PEM      the roots to trust for the server's certificate\n";

const char tg_cli_trust_root_export_usage[] =
	"usage: tollgate trust-root export --signer-dir D\n"
	"\n"
	"Prints the Sigstore trusted_root.json of the signer in D: its CA chain,\n"
	"its log (Ed25519, logId the C2SP key hash) and its timestamp authority;\n"
	"no CT log. Give it to `tollgate verify --trusted-root`, sigstore-js,\n"
	"cosign or sigstore-python.\n";

static int fail(tg_err r, const struct tg_diag *d, const char *what)
{
	tg_cli_error("%s: %s", what, d && d->msg[0] ? d->msg : tg_strerror(r));
	return tg_cli_exit_code(r);
}

int tg_cli_signer_init(const struct tg_cli_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {{"dir", required_argument, NULL, 'd'},
					     {"name", required_argument, NULL, 'n'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	const char *dir = NULL, *name = NULL;
	struct tg_diag d;
	int c;
	tg_err r;

	tg_diag_init(&d);
	optind = 1;
	while ((c = getopt_long(argc, argv, ":d:n:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			dir = optarg;
			break;
		case 'n':
			name = optarg;
			break;
		case 'h':
			return tg_cli_help(cmd);
		default:
			return tg_cli_bad_option(cmd, c, argv);
		}
	}
	if (!dir || !name || optind != argc)
		return tg_cli_usage_error(cmd, "--dir and --name are required, and nothing else");
	r = tg_signer_init(dir, name, tg_time_now(), &d);
	if (r != TG_OK)
		return fail(r, &d, "cannot create the signer");
	printf("created signer %s in %s\n", name, dir);
	return TG_EXIT_OK;
}

int tg_cli_trust_root_export(const struct tg_cli_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {{"signer-dir", required_argument, NULL, 'd'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	const char *dir = NULL;
	struct tg_signer *s = NULL;
	struct tg_buf out = TG_BUF_INIT(TG_SIGN_MAX_DOC);
	struct tg_diag d;
	int c, code = TG_EXIT_OK;
	tg_err r;

	tg_diag_init(&d);
	optind = 1;
	while ((c = getopt_long(argc, argv, ":d:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			dir = optarg;
			break;
		case 'h':
			return tg_cli_help(cmd);
		default:
			return tg_cli_bad_option(cmd, c, argv);
		}
	}
	if (!dir || optind != argc)
		return tg_cli_usage_error(cmd, "--signer-dir is required, and nothing else");
	r = tg_signer_open(dir, &s, &d);
	if (r != TG_OK) {
		code = fail(r, &d, "cannot open the signer");
		goto out;
	}
	r = tg_signer_trust_root(s, &out);
	if (r == TG_OK)
		r = tg_cli_write(out.data, out.len);
	if (r != TG_OK)
		code = fail(r, NULL, "cannot export the trusted root");
out:
	tg_signer_close(s);
	tg_buf_release(&out);
	return code;
}

struct sign_opts {
	const char *signer_dir, *bundle, *in_toto, *token, *jwks, *issuer, *audience;
	const char *svid, *svid_key, *svid_bundle, *server, *ca_file;
	bool provenance, no_store;
};

/* The identity from the OIDC token, or from the SVID. */
static int load_identity(const struct sign_opts *o, struct tg_sign_identity *id)
{
	struct tg_diag d;
	int code = TG_EXIT_OK;
	tg_err r;

	tg_diag_init(&d);
	if (o->token) {
		struct tg_arena a;
		struct tg_jwks jwks = {NULL, 0};
		struct tg_buf tok = TG_BUF_INIT(TG_LIMIT_JWS);
		size_t n;

		tg_arena_init(&a, 16 * 1024 * 1024);
		r = tg_cli_load_jwks(o->jwks, &a, &jwks);
		if (r != TG_OK) {
			code = tg_cli_exit_code(r);
			goto oidc_out;
		}
		r = tg_cli_read_file(o->token, TG_LIMIT_JWS, true, &tok, &d);
		if (r != TG_OK) {
			code = fail(r, &d, "cannot read the OIDC token");
			goto oidc_out;
		}
		n = tok.len;
		while (n > 0 && (tok.data[n - 1] == '\n' || tok.data[n - 1] == '\r' ||
				 tok.data[n - 1] == ' '))
			n--;
		r = tg_sign_identity_from_oidc((const char *)tok.data, n, &jwks, o->issuer,
					       o->audience, tg_time_now(), id, &d);
		if (r != TG_OK) {
			tg_cli_error("signing refused: %s", d.msg[0] ? d.msg : tg_strerror(r));
			code = TG_EXIT_FAIL;
		}
oidc_out:
		tg_buf_release_wipe(&tok);
		tg_jwks_release(&jwks);
		tg_arena_release(&a);
		return code;
	}
	{
		struct tg_buf cb = TG_BUF_INIT(TG_LIMIT_JSON_DOC), bb = TG_BUF_INIT(TG_LIMIT_JSON_DOC);
		struct tg_x509_list chain = {NULL, 0}, roots = {NULL, 0};
		struct tg_key *key = NULL;

		r = tg_cli_read_file(o->svid, TG_LIMIT_JSON_DOC, false, &cb, &d);
		if (r == TG_OK)
			r = tg_x509_list_from_pem((const char *)cb.data, cb.len, &chain, &d);
		if (r == TG_OK && chain.count == 0) {
			tg_diag_set(&d, "no certificate in '%s'", o->svid);
			r = TG_E_PARSE;
		}
		if (r != TG_OK) {
			code = fail(r, &d, "cannot load the SVID");
			goto svid_out;
		}
		r = tg_cli_read_file(o->svid_bundle, TG_LIMIT_JSON_DOC, false, &bb, &d);
		if (r == TG_OK)
			r = tg_x509_list_from_pem((const char *)bb.data, bb.len, &roots, &d);
		if (r == TG_OK && roots.count == 0) {
			tg_diag_set(&d, "no certificate in '%s'", o->svid_bundle);
			r = TG_E_PARSE;
		}
		if (r != TG_OK) {
			code = fail(r, &d, "cannot load the SVID trust bundle");
			goto svid_out;
		}
		r = tg_cli_load_key(o->svid_key, &key);
		if (r != TG_OK) {
			code = tg_cli_exit_code(r);
			goto svid_out;
		}
		r = tg_sign_identity_from_svid((const struct tg_x509 *const *)chain.certs, chain.count,
					       key, (const struct tg_x509 *const *)roots.certs,
					       roots.count, tg_time_now(), id, &d);
		if (r != TG_OK) {
			tg_cli_error("signing refused: %s", d.msg[0] ? d.msg : tg_strerror(r));
			code = TG_EXIT_FAIL;
		}
svid_out:
		tg_key_free(key);
		tg_x509_list_release(&chain);
		tg_x509_list_release(&roots);
		tg_buf_release(&cb);
		tg_buf_release(&bb);
		return code;
	}
}

/* The statement to sign for --in-toto (checked to name the artifact) or
 * --provenance (built); out gets the canonical JSON. */
static int statement(const struct sign_opts *o, const char *artifact, const uint8_t digest[32],
		     const struct tg_sign_identity *id, struct tg_buf *out)
{
	struct tg_arena a;
	struct tg_diag d;
	int code = TG_EXIT_OK;
	tg_err r;

	tg_diag_init(&d);
	tg_arena_init(&a, 64 * 1024 * 1024);
	if (o->provenance) {
		const struct tg_json *pred = NULL;
		const char *base = strrchr(artifact, '/');
		r = tg_slsa_provenance(id, &a, &pred);
		if (r == TG_OK)
			r = tg_intoto_statement(base ? base + 1 : artifact, digest,
						"https://slsa.dev/provenance/v1", pred, out);
		if (r != TG_OK)
			code = fail(r, NULL, "cannot build the provenance");
	} else {
		struct tg_buf text = TG_BUF_INIT(TG_SIGN_MAX_DOC);
		const struct tg_json *st = NULL, *subj;
		char hex[65];
		size_t i;
		bool named = false;

		tg_hex_encode_to(hex, digest, 32);
		r = tg_cli_read_file(o->in_toto, TG_SIGN_MAX_DOC, false, &text, &d);
		if (r == TG_OK)
			r = tg_json_parse(&a, text.data, text.len, NULL, &st, NULL, &d);
		if (r != TG_OK) {
			code = fail(r, &d, "cannot read the in-toto statement");
			goto st_out;
		}
		if (!tg_json_str_eq(tg_json_get(st, "_type"), "https://in-toto.io/Statement/v1") ||
		    !tg_json_get(st, "predicateType")) {
			tg_cli_error("'%s' is not an in-toto Statement v1 (_type, predicateType)",
				     o->in_toto);
			code = TG_EXIT_USAGE;
			goto st_out;
		}
		subj = tg_json_get(st, "subject");
		for (i = 0; subj && subj->type == TG_JSON_ARRAY && i < subj->u.a.len; i++)
			if (tg_json_str_eq(tg_json_get(tg_json_get(subj->u.a.items[i], "digest"),
						       "sha256"),
					   hex))
				named = true;
		if (!named) {
			tg_cli_error("the statement's subjects do not include %s (sha256:%s)", artifact,
				     hex);
			code = TG_EXIT_USAGE;
			goto st_out;
		}
		r = tg_buf_add(out, text.data, text.len);
		if (r != TG_OK)
			code = fail(r, NULL, "cannot copy the statement");
st_out:
		tg_buf_release(&text);
	}
	tg_arena_release(&a);
	return code;
}

/* --server with --in-toto (the statement checked here as on the local
 * path; ARTIFACT may be sha256:HEX, the digest its subjects must name) or
 * --provenance (built by the client from the identity the server
 * certified, see cmd_remote.c). */
static int sign_server_dsse(const struct sign_opts *o, const char *artifact)
{
	struct tg_buf data = TG_BUF_INIT(TG_LIMIT_JSON_DOC), st = TG_BUF_INIT(TG_SIGN_MAX_DOC);
	struct tg_diag d;
	uint8_t digest[32];
	int code = TG_EXIT_OK;
	tg_err r;

	tg_diag_init(&d);
	if (o->in_toto && strncmp(artifact, "sha256:", 7) == 0) {
		if (strlen(artifact + 7) != 64 || tg_hex_decode_to(digest, 32, artifact + 7, 64) != TG_OK) {
			tg_cli_error("'%s' is not sha256: and 64 hex digits", artifact);
			code = TG_EXIT_USAGE;
			goto out;
		}
	} else {
		r = tg_cli_read_file(artifact, TG_LIMIT_JSON_DOC, false, &data, &d);
		if (r == TG_OK)
			r = tg_hash(TG_SHA256, data.data ? data.data : (const uint8_t *)"", data.len,
				    digest);
		if (r != TG_OK) {
			code = fail(r, &d, "cannot read the artifact");
			goto out;
		}
	}
	if (o->in_toto)
		code = statement(o, artifact, digest, NULL, &st);
	if (code == TG_EXIT_OK)
		code = tg_cli_sign_remote(o->server, o->ca_file, artifact, o->bundle, o->token, o->svid,
					  o->svid_key, !o->no_store, o->in_toto ? st.data : NULL,
					  st.len, o->provenance ? digest : NULL);
out:
	tg_buf_release(&data);
	tg_buf_release(&st);
	return code;
}

int tg_cli_sign(const struct tg_cli_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {{"signer-dir", required_argument, NULL, 'd'},
					     {"bundle", required_argument, NULL, 'b'},
					     {"in-toto", required_argument, NULL, 't'},
					     {"provenance", no_argument, NULL, 'p'},
					     {"oidc-token", required_argument, NULL, 'o'},
					     {"jwks", required_argument, NULL, 'j'},
					     {"issuer", required_argument, NULL, 'i'},
					     {"audience", required_argument, NULL, 'a'},
					     {"svid", required_argument, NULL, 's'},
					     {"svid-key", required_argument, NULL, 'k'},
					     {"svid-bundle", required_argument, NULL, 'B'},
					     {"server", required_argument, NULL, 'S'},
					     {"ca-file", required_argument, NULL, 'C'},
					     {"no-store", no_argument, NULL, 'N'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	struct sign_opts o;
	struct tg_sign_identity *id = NULL;
	struct tg_signer *s = NULL;
	struct tg_buf data = TG_BUF_INIT(TG_LIMIT_JSON_DOC), st = TG_BUF_INIT(TG_SIGN_MAX_DOC),
		      out = TG_BUF_INIT(TG_SIGN_MAX_DOC);
	struct tg_sign_input in;
	struct tg_diag d;
	uint8_t digest[32];
	int c, code = TG_EXIT_OK;
	tg_err r;

	memset(&o, 0, sizeof(o));
	memset(&in, 0, sizeof(in));
	tg_diag_init(&d);
	optind = 1;
	while ((c = getopt_long(argc, argv, ":d:b:t:po:j:i:a:s:k:B:S:C:Nh", opts, NULL)) != -1) {
		switch (c) {
		case 'd': o.signer_dir = optarg; break;
		case 'b': o.bundle = optarg; break;
		case 't': o.in_toto = optarg; break;
		case 'p': o.provenance = true; break;
		case 'o': o.token = optarg; break;
		case 'j': o.jwks = optarg; break;
		case 'i': o.issuer = optarg; break;
		case 'a': o.audience = optarg; break;
		case 's': o.svid = optarg; break;
		case 'k': o.svid_key = optarg; break;
		case 'B': o.svid_bundle = optarg; break;
		case 'S': o.server = optarg; break;
		case 'C': o.ca_file = optarg; break;
		case 'N': o.no_store = true; break;
		case 'h': return tg_cli_help(cmd);
		default: return tg_cli_bad_option(cmd, c, argv);
		}
	}
	if (o.server) {
		if (o.signer_dir || !o.ca_file || !o.bundle || optind + 1 != argc)
			return tg_cli_usage_error(cmd, "--server needs --ca-file, --bundle and one "
						       "ARTIFACT (and no --signer-dir)");
		if (o.in_toto && o.provenance)
			return tg_cli_usage_error(cmd, "give --in-toto or --provenance, not both");
		if (o.token ? (o.jwks || o.issuer || o.audience || o.svid || o.svid_key)
			    : (!o.svid || !o.svid_key))
			return tg_cli_usage_error(cmd, "with --server give --oidc-token (the server "
						       "checks it) or --svid with --svid-key");
		if (o.in_toto || o.provenance)
			return sign_server_dsse(&o, argv[optind]);
		return tg_cli_sign_remote(o.server, o.ca_file, argv[optind], o.bundle, o.token,
					  o.svid, o.svid_key, !o.no_store, NULL, 0, NULL);
	}
	if (o.no_store)
		return tg_cli_usage_error(cmd, "--no-store goes with --server");
	if (o.ca_file)
		return tg_cli_usage_error(cmd, "--ca-file goes with --server");
	if (!o.signer_dir || !o.bundle || optind + 1 != argc)
		return tg_cli_usage_error(cmd, "--signer-dir, --bundle and one ARTIFACT are required");
	if (o.in_toto && o.provenance)
		return tg_cli_usage_error(cmd, "give --in-toto or --provenance, not both");
	if (o.token ? (!o.jwks || !o.issuer || !o.audience || o.svid || o.svid_key || o.svid_bundle)
		    : (!o.svid || !o.svid_key || !o.svid_bundle || o.jwks || o.issuer || o.audience))
		return tg_cli_usage_error(cmd, "give --oidc-token with --jwks, --issuer and --audience, "
					       "or --svid with --svid-key and --svid-bundle");

	r = tg_cli_read_file(argv[optind], TG_LIMIT_JSON_DOC, false, &data, &d);
	if (r == TG_OK)
		r = tg_hash(TG_SHA256, data.data ? data.data : (const uint8_t *)"", data.len, digest);
	if (r != TG_OK) {
		code = fail(r, &d, "cannot read the artifact");
		goto out;
	}
	id = tg_xcalloc(1, sizeof(*id));
	code = load_identity(&o, id);
	if (code != TG_EXIT_OK)
		goto out;
	if (o.in_toto || o.provenance) {
		code = statement(&o, argv[optind], digest, id, &st);
		if (code != TG_EXIT_OK)
			goto out;
		in.payload_type = "application/vnd.in-toto+json";
		in.payload = st.data;
		in.payload_len = st.len;
	} else {
		in.artifact = data.data ? data.data : (const uint8_t *)"";
		in.artifact_len = data.len;
	}
	r = tg_signer_open(o.signer_dir, &s, &d);
	if (r != TG_OK) {
		code = fail(r, &d, "cannot open the signer");
		goto out;
	}
	r = tg_signer_sign(s, id, &in, tg_time_now(), &out, &d);
	if (r != TG_OK) {
		code = fail(r, &d, "signing failed");
		goto out;
	}
	if (tg_cli_is_stdin(o.bundle))
		r = tg_cli_write(out.data, out.len);
	else
		r = tg_fs_write_atomic(o.bundle, out.data, out.len, 0644, TG_FS_SYNC, &d);
	if (r != TG_OK) {
		code = fail(r, &d, "cannot write the bundle");
		goto out;
	}
	if (!tg_cli_is_stdin(o.bundle))
		fprintf(stderr, "signed %s as %s (issuer %s) into %s\n", argv[optind], id->san,
			id->issuer, o.bundle);
out:
	tg_signer_close(s);
	free(id);
	tg_buf_release(&data);
	tg_buf_release(&st);
	tg_buf_release(&out);
	return code;
}
