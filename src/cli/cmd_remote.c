/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_remote.c - the --server paths of `tollgate attest` and `tollgate
 * sign`: the same results as the local commands, obtained from tollgated
 * over HTTPS (src/server/client.c), so a pipeline needs only this binary.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/arena.h"
#include "core/codec.h"
#include "core/fs.h"
#include "core/json.h"
#include "core/limits.h"
#include "server/server.h"

/* The server's refusal of a credential is a verdict (exit 1); its 400s
 * for a malformed request are input errors (exit 2). */
static int remote_fail(tg_err r, const struct tg_diag *d, const char *what)
{
	tg_cli_error("%s: %s", what, d->msg[0] ? d->msg : tg_strerror(r));
	if (r == TG_E_DENIED)
		return TG_EXIT_FAIL;
	return r == TG_E_INVAL ? TG_EXIT_USAGE : tg_cli_exit_code(r);
}

static int client_of(const char *server, const char *ca_file, struct tg_client *c)
{
	struct tg_diag d;
	tg_diag_init(&d);
	memset(c, 0, sizeof(*c));
	if (tg_client_url(server, c, &d) != TG_OK) {
		tg_cli_error("%s", d.msg);
		return TG_EXIT_USAGE;
	}
	c->ca_file = ca_file;
	return TG_EXIT_OK;
}

/* A one-line token from path ('-': standard input) without its line end. */
static int read_token(const char *path, struct tg_buf *out)
{
	struct tg_diag d;
	tg_diag_init(&d);
	if (tg_cli_read_file(path, TG_LIMIT_JWS + 2, true, out, &d) != TG_OK) {
		tg_cli_error("%s", d.msg);
		return TG_EXIT_USAGE;
	}
	while (out->len && (out->data[out->len - 1] == '\n' || out->data[out->len - 1] == '\r'))
		out->len--;
	if (out->len == 0) {
		tg_cli_error("the token in '%s' is empty", path);
		return TG_EXIT_USAGE;
	}
	return TG_EXIT_OK;
}

static tg_err write_in(const char *dir, const char *name, const struct tg_buf *b, mode_t mode,
		       struct tg_diag *d)
{
	char p[4096];
	if ((size_t)snprintf(p, sizeof(p), "%s/%s", dir, name) >= sizeof(p))
		return TG_E_TOOBIG;
	return tg_fs_write_atomic(p, b->data, b->len, mode, TG_FS_SYNC, d);
}

int tg_cli_attest_remote(const char *server, const char *ca_file, const char *oidc_path,
			 const char *join, const char *spiffe_id, const char *x509_out,
			 const char *const *aud, size_t naud)
{
	struct tg_client c;
	struct tg_client_attest_out o;
	struct tg_buf tok = TG_BUF_INIT(TG_LIMIT_JWS + 2);
	struct tg_diag d;
	int code;
	tg_err r;

	tg_diag_init(&d);
	tg_buf_init(&o.spiffe_id, 4096);
	tg_buf_init(&o.key_pem, 65536);
	tg_buf_init(&o.chain_pem, TG_LIMIT_PEM_FILE);
	tg_buf_init(&o.bundle_pem, TG_LIMIT_PEM_FILE);
	tg_buf_init(&o.jwts, 1 << 20);
	code = client_of(server, ca_file, &c);
	if (code != TG_EXIT_OK)
		goto out;
	if (oidc_path || tg_cli_is_stdin(join))
		code = read_token(oidc_path ? oidc_path : "-", &tok);
	else if (tg_buf_adds(&tok, join) != TG_OK)
		code = TG_EXIT_USAGE;
	if (code != TG_EXIT_OK)
		goto out;
	r = tg_client_attest(&c, oidc_path ? "oidc" : "join", (const char *)tok.data, tok.len,
			     spiffe_id, aud, naud, x509_out != NULL, &o, &d);
	if (r != TG_OK) {
		code = remote_fail(r, &d, "attestation failed");
		goto out;
	}
	if (x509_out) {
		/* the key first: whoever sees the new certificate finds its key */
		r = tg_fs_mkdir_p(x509_out, 0700, &d);
		if (r == TG_OK)
			r = write_in(x509_out, "svid.key", &o.key_pem, 0600, &d);
		if (r == TG_OK)
			r = write_in(x509_out, "svid.pem", &o.chain_pem, 0644, &d);
		if (r == TG_OK)
			r = write_in(x509_out, "bundle.pem", &o.bundle_pem, 0644, &d);
		if (r != TG_OK) {
			code = tg_cli_fail(r, &d, "cannot write the X509-SVID");
			goto out;
		}
		if (naud == 0)
			printf("%.*s\n", (int)o.spiffe_id.len, (const char *)o.spiffe_id.data);
	}
	if (naud)
		code = tg_cli_write(o.jwts.data, o.jwts.len) == TG_OK ? TG_EXIT_OK : TG_EXIT_INTERNAL;
	else if (!x509_out)
		printf("%.*s\n", (int)o.spiffe_id.len, (const char *)o.spiffe_id.data);
out:
	tg_buf_release_wipe(&tok);
	tg_buf_release(&o.spiffe_id);
	tg_buf_release_wipe(&o.key_pem);
	tg_buf_release(&o.chain_pem);
	tg_buf_release(&o.bundle_pem);
	tg_buf_release_wipe(&o.jwts);
	return code;
}

int tg_cli_sign_remote(const char *server, const char *ca_file, const char *artifact,
		       const char *bundle, const char *oidc_path, const char *svid,
		       const char *svid_key, bool store, const uint8_t *statement, size_t st_len,
		       const uint8_t *prov_sha256)
{
	struct tg_client_sign_in in;
	const char *base = strrchr(artifact, '/');
	struct tg_client c;
	struct tg_buf data = TG_BUF_INIT(TG_LIMIT_JSON_DOC), tok = TG_BUF_INIT(TG_LIMIT_JWS + 2),
		      out = TG_BUF_INIT(64 * 1024 * 1024);
	struct tg_diag d;
	int code;
	tg_err r;

	tg_diag_init(&d);
	code = client_of(server, ca_file, &c);
	if (code != TG_EXIT_OK)
		goto out;
	c.cert_file = svid;
	c.key_file = svid_key;
	if (oidc_path && (code = read_token(oidc_path, &tok)) != TG_EXIT_OK)
		goto out;
	if (oidc_path && tg_buf_addc(&tok, '\0') != TG_OK) {
		code = TG_EXIT_INTERNAL;
		goto out;
	}
	memset(&in, 0, sizeof(in));
	if (statement) {
		in.payload = statement;
		in.payload_len = st_len;
	} else if (prov_sha256) {
		in.provenance_name = base ? base + 1 : artifact;
		in.provenance_sha256 = prov_sha256;
	} else {
		r = tg_cli_read_file(artifact, TG_LIMIT_JSON_DOC, false, &data, &d);
		if (r != TG_OK) {
			code = tg_cli_fail(r, &d, "cannot read the artifact");
			goto out;
		}
		in.artifact = data.data ? data.data : (const uint8_t *)"";
		in.artifact_len = data.len;
	}
	r = tg_client_sign(&c, oidc_path ? (const char *)tok.data : NULL, &in, &out, &d);
	if (r != TG_OK) {
		code = remote_fail(r, &d, "signing failed");
		goto out;
	}
	if (tg_cli_is_stdin(bundle))
		r = tg_cli_write(out.data, out.len);
	else
		r = tg_fs_write_atomic(bundle, out.data, out.len, 0644, TG_FS_SYNC, &d);
	if (r != TG_OK) {
		code = tg_cli_fail(r, &d, "cannot write the bundle");
		goto out;
	}
	if (!tg_cli_is_stdin(bundle))
		fprintf(stderr, "signed %s via %s into %s\n", artifact, server, bundle);
	if (store) {
		struct tg_buf resp = TG_BUF_INIT(64 * 1024);
		int status = 0;
		r = tg_client_request(&c, "POST", "/v1/attestations", "application/json", out.data,
				      out.len, &status, &resp, &d);
		if (r == TG_OK && status != 201 && status != 200) {
			tg_diag_set(&d, "the server answered %d: %.*s", status,
				    (int)(resp.len > 512 ? 512 : resp.len), (const char *)resp.data);
			r = TG_E_DENIED;
		}
		tg_buf_release(&resp);
		if (r != TG_OK) {
			code = remote_fail(r, &d, "cannot store the bundle on the server");
			goto out;
		}
		fprintf(stderr, "stored the bundle on %s\n", server);
	}
	code = TG_EXIT_OK;
out:
	tg_buf_release(&data);
	tg_buf_release_wipe(&tok);
	tg_buf_release(&out);
	return code;
}

int tg_cli_gate_check_remote(const char *server, const char *ca_file, const uint8_t digest[32],
			     const char *shown, bool json)
{
	struct tg_client c;
	struct tg_buf req = TG_BUF_INIT(256), resp = TG_BUF_INIT(16 * 1024 * 1024);
	struct tg_arena a;
	const struct tg_json *doc = NULL, *allow, *deny, *rej, *li;
	struct tg_diag d;
	char hex[65];
	int code, status = 0;
	size_t i;
	tg_err r;

	tg_diag_init(&d);
	tg_arena_init(&a, 64 * 1024 * 1024);
	code = client_of(server, ca_file, &c);
	if (code != TG_EXIT_OK)
		goto out;
	tg_hex_encode_to(hex, digest, 32);
	r = tg_buf_addf(&req, "{\"digest\":\"sha256:%s\"}", hex);
	if (r == TG_OK)
		r = tg_client_request(&c, "POST", "/v1/verify", "application/json", req.data, req.len,
				      &status, &resp, &d);
	if (r == TG_OK && status != 200) {
		tg_diag_set(&d, "the server answered %d: %.*s", status,
			    (int)(resp.len > 512 ? 512 : resp.len), (const char *)resp.data);
		r = TG_E_IO;
	}
	if (r == TG_OK)
		r = tg_json_parse(&a, resp.data, resp.len, NULL, &doc, NULL, &d);
	allow = doc ? tg_json_get(doc, "allow") : NULL;
	deny = doc ? tg_json_get(doc, "deny") : NULL;
	if (r == TG_OK && (!allow || allow->type != TG_JSON_BOOL || !deny ||
			   deny->type != TG_JSON_ARRAY)) {
		tg_diag_set(&d, "the server's decision has no allow and deny");
		r = TG_E_PARSE;
	}
	if (r != TG_OK) {
		tg_cli_error("gate check via %s: %s", server, d.msg[0] ? d.msg : tg_strerror(r));
		code = TG_EXIT_USAGE;
		goto out;
	}
	if (json) {
		if (tg_cli_write(resp.data, resp.len) != TG_OK)
			code = TG_EXIT_INTERNAL;
	} else {
		printf("%s: %s\n", allow->u.b ? "allowed" : "denied", shown);
		for (i = 0; i < deny->u.a.len; i++)
			if (deny->u.a.items[i]->type == TG_JSON_STRING)
				printf("  - %s\n", deny->u.a.items[i]->u.s.p);
		rej = tg_json_get(doc, "rejected");
		for (i = 0; rej && rej->type == TG_JSON_ARRAY && i < rej->u.a.len; i++) {
			const struct tg_json *rs = tg_json_get(rej->u.a.items[i], "reason");
			if (rs && rs->type == TG_JSON_STRING)
				printf("  rejected: %s\n", rs->u.s.p);
		}
		li = tg_json_get(doc, "decision_log_index");
		if (li && li->type == TG_JSON_NUMBER)
			printf("  decision logged at index %s\n", li->u.s.p);
	}
	if (code == TG_EXIT_OK || code == TG_EXIT_FAIL)
		code = allow->u.b ? TG_EXIT_OK : TG_EXIT_FAIL;
out:
	tg_buf_release(&req);
	tg_buf_release(&resp);
	tg_arena_release(&a);
	return code;
}
