/* SPDX-License-Identifier: Apache-2.0 */
/*
 * oidc.c - the signer identity from a verified CI OIDC token, mapped as
 * Fulcio maps it: the certificate SAN and the 1.3.6.1.4.1.57264.1.x
 * extensions for GitHub Actions and GitLab CI tokens, email or URI otherwise;
 * or from a verified X.509-SVID.
 */
#include "sign/sign.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/mem.h"
#include "sign/sign_internal.h"

/* A string (or number, as ids sometimes are) claim; NULL when absent. */
static const char *claim_a(const struct tg_json *c, const char *key, struct tg_arena *a)
{
	const struct tg_json *v = tg_json_get(c, key);
	if (!v)
		return NULL;
	if (v->type == TG_JSON_STRING && !memchr(v->u.s.p, '\0', v->u.s.len))
		return v->u.s.p;
	if (v->type == TG_JSON_NUMBER && (v->flags & TG_JSON_F_INTLIT))
		return tg_arena_strndup(a, v->u.s.p, v->u.s.len);
	return NULL;
}
#define claim(c, key) claim_a((c), (key), a)

/* Formats into a fixed identity field; a value that does not fit marks the
 * identity overlong (rejected: a truncated SAN could name someone else). */
TG_PRINTF(4, 5) static void fld(struct tg_sign_identity *id, char *dst, size_t cap, const char *fmt, ...)
{
	va_list ap;
	int n;
	va_start(ap, fmt);
	n = vsnprintf(dst, cap, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= cap)
		id->overlong = true;
}

static void add_ext(struct tg_sign_identity *id, const char *oid, const char *value)
{
	if (!value || !*value)
		return;
	if (id->next >= TG_ARRAY_LEN(id->ext)) {
		id->overlong = true;
		return;
	}
	fld(id, id->ext[id->next].oid, sizeof(id->ext[id->next].oid), "%s", oid);
	fld(id, id->ext[id->next].value, sizeof(id->ext[id->next].value), "%s", value);
	id->next++;
}

#define OID(n) "1.3.6.1.4.1.57264.1." #n

/* GitHub Actions: https://token.actions.githubusercontent.com */
static tg_err map_github(const struct tg_json *c, struct tg_arena *a, struct tg_sign_identity *id,
			 struct tg_diag *d)
{
	char buf[1024];
	const char *server = claim(c, "server_url");
	const char *jwr = claim(c, "job_workflow_ref");
	const char *repo = claim(c, "repository");
	const char *owner = claim(c, "repository_owner");
	const char *run_id = claim(c, "run_id");
	const char *attempt = claim(c, "run_attempt");
	const char *wfr = claim(c, "workflow_ref");

	if (!server)
		server = "https://github.com";
	if (!jwr || !repo) {
		tg_diag_set(d, "a GitHub Actions token needs job_workflow_ref and repository");
		return TG_E_CLAIM;
	}
	fld(id, id->san, sizeof(id->san), "%s/%s", server, jwr);
	add_ext(id, OID(9), id->san);
	add_ext(id, OID(10), claim(c, "job_workflow_sha"));
	add_ext(id, OID(11), claim(c, "runner_environment"));
	fld(id, buf, sizeof(buf), "%s/%s", server, repo);
	add_ext(id, OID(12), buf);
	fld(id, id->repo_uri, sizeof(id->repo_uri), "%s", buf);
	add_ext(id, OID(13), claim(c, "sha"));
	add_ext(id, OID(14), claim(c, "ref"));
	add_ext(id, OID(15), claim(c, "repository_id"));
	if (owner) {
		fld(id, buf, sizeof(buf), "%s/%s", server, owner);
		add_ext(id, OID(16), buf);
	}
	add_ext(id, OID(17), claim(c, "repository_owner_id"));
	if (wfr) {
		fld(id, buf, sizeof(buf), "%s/%s", server, wfr);
		add_ext(id, OID(18), buf);
	}
	add_ext(id, OID(19), claim(c, "workflow_sha"));
	add_ext(id, OID(20), claim(c, "event_name"));
	if (run_id && attempt) {
		fld(id, buf, sizeof(buf), "%s/%s/actions/runs/%s/attempts/%s", server, repo, run_id,
			 attempt);
		add_ext(id, OID(21), buf);
		fld(id, id->run_uri, sizeof(id->run_uri), "%s", buf);
	}
	add_ext(id, OID(22), claim(c, "repository_visibility"));
	fld(id, id->repo_digest, sizeof(id->repo_digest), "%s",
		 claim(c, "sha") ? claim(c, "sha") : "");
	fld(id, id->ref, sizeof(id->ref), "%s",
		 claim(c, "ref") ? claim(c, "ref") : "");
	fld(id, id->builder_id, sizeof(id->builder_id), "%s", id->san);
	fld(id, id->trigger, sizeof(id->trigger), "%s",
		 claim(c, "event_name") ? claim(c, "event_name") : "");
	return TG_OK;
}

/* GitLab CI id_tokens: the issuer is the GitLab instance URL. */
static tg_err map_gitlab(const struct tg_json *c, struct tg_arena *a, const char *iss,
			 struct tg_sign_identity *id, struct tg_diag *d)
{
	char buf[1024];
	const char *cfg = claim(c, "ci_config_ref_uri");
	const char *proj = claim(c, "project_path");
	const char *ns = claim(c, "namespace_path");
	const char *job = claim(c, "job_id");
	const char *ref = claim(c, "ref");
	const char *ref_type = claim(c, "ref_type");

	if (!cfg || !proj) {
		tg_diag_set(d, "a GitLab CI token needs ci_config_ref_uri and project_path");
		return TG_E_CLAIM;
	}
	fld(id, id->san, sizeof(id->san), "https://%s", cfg);
	add_ext(id, OID(9), id->san);
	add_ext(id, OID(10), claim(c, "ci_config_sha"));
	add_ext(id, OID(11), claim(c, "runner_environment"));
	fld(id, buf, sizeof(buf), "%s/%s", iss, proj);
	add_ext(id, OID(12), buf);
	fld(id, id->repo_uri, sizeof(id->repo_uri), "%s", buf);
	add_ext(id, OID(13), claim(c, "sha"));
	if (ref) {
		fld(id, buf, sizeof(buf), "refs/%s/%s",
			 ref_type && !strcmp(ref_type, "tag") ? "tags" : "heads", ref);
		add_ext(id, OID(14), buf);
		fld(id, id->ref, sizeof(id->ref), "%s", buf);
	}
	add_ext(id, OID(15), claim(c, "project_id"));
	if (ns) {
		fld(id, buf, sizeof(buf), "%s/%s", iss, ns);
		add_ext(id, OID(16), buf);
	}
	add_ext(id, OID(17), claim(c, "namespace_id"));
	add_ext(id, OID(18), id->san);
	add_ext(id, OID(19), claim(c, "ci_config_sha"));
	add_ext(id, OID(20), claim(c, "pipeline_source"));
	if (job) {
		fld(id, buf, sizeof(buf), "%s/%s/-/jobs/%s", iss, proj, job);
		add_ext(id, OID(21), buf);
		fld(id, id->run_uri, sizeof(id->run_uri), "%s", buf);
	}
	add_ext(id, OID(22), claim(c, "project_visibility"));
	fld(id, id->repo_digest, sizeof(id->repo_digest), "%s",
		 claim(c, "sha") ? claim(c, "sha") : "");
	fld(id, id->builder_id, sizeof(id->builder_id), "%s", id->san);
	fld(id, id->trigger, sizeof(id->trigger), "%s",
		 claim(c, "pipeline_source") ? claim(c, "pipeline_source")
							      : "");
	return TG_OK;
}

/* Any other issuer: a verified email, or a URI subject. */
static tg_err map_generic(const struct tg_json *c, struct tg_arena *a, struct tg_sign_identity *id,
			  struct tg_diag *d)
{
	const char *email = claim(c, "email");
	const char *sub = claim(c, "sub");
	bool verified = false;
	if (email && tg_json_get_bool(c, "email_verified", &verified) == TG_OK && verified) {
		fld(id, id->san, sizeof(id->san), "%s", email);
		id->san_is_email = true;
		return TG_OK;
	}
	if (sub && strstr(sub, "://")) {
		fld(id, id->san, sizeof(id->san), "%s", sub);
		return TG_OK;
	}
	tg_diag_set(d, "the token has neither a verified email nor a URI subject");
	return TG_E_CLAIM;
}

tg_err tg_sign_identity_from_oidc(const char *token, size_t n, const struct tg_jwks *jwks,
				  const char *issuer, const char *audience, struct tg_time now,
				  struct tg_sign_identity *out, struct tg_diag *d)
{
	struct tg_arena a;
	struct tg_jwt_check chk;
	struct tg_jws jws;
	const struct tg_json *claims = NULL;
	struct tg_sign_identity id;
	tg_err r;

	memset(&id, 0, sizeof(id));
	memset(&chk, 0, sizeof(chk));
	chk.now = now;
	chk.skew = 60;
	chk.iss = issuer;
	chk.aud = audience;
	chk.max_age = 3600;
	tg_arena_init(&a, 16 * 1024 * 1024);
	r = tg_jwt_verify(token, n, (const struct tg_key *const *)jwks->keys, jwks->count, &chk, &a,
			  &claims, &jws, d);
	if (r != TG_OK) {
		tg_diag_prefix(d, "the OIDC token is not acceptable");
		goto out;
	}
	fld(&id, id.issuer, sizeof(id.issuer), "%s", issuer);
	if (strcmp(issuer, "https://token.actions.githubusercontent.com") == 0)
		r = map_github(claims, &a, &id, d);
	else if (tg_json_get(claims, "ci_config_ref_uri") && tg_json_get(claims, "project_path"))
		r = map_gitlab(claims, &a, issuer, &id, d);
	else
		r = map_generic(claims, &a, &id, d);
	if (r != TG_OK)
		goto out;
	if (id.overlong) {
		tg_diag_set(d, "a claim of the OIDC token is too long for a certificate identity");
		r = TG_E_CLAIM;
		goto out;
	}
	*out = id;
out:
	tg_arena_release(&a);
	return r;
}

tg_err tg_sign_identity_from_svid(const struct tg_x509 *const *chain, size_t n,
				  const struct tg_key *key, const struct tg_x509 *const *roots,
				  size_t n_roots, struct tg_time now, struct tg_sign_identity *out,
				  struct tg_diag *d)
{
	struct tg_arena a;
	const struct tg_san *sans = NULL;
	struct tg_key *pub = NULL;
	struct tg_sign_identity id;
	size_t count = 0;
	bool critical = false;
	const char *td_end;
	tg_err r;

	if (n == 0) {
		tg_diag_set(d, "no SVID certificate");
		return TG_E_INVAL;
	}
	memset(&id, 0, sizeof(id));
	tg_arena_init(&a, 1024 * 1024);
	r = tg_x509_verify(chain[0], chain + 1, n - 1, roots, n_roots, now,
			   TG_X509_VERIFY_NO_PURPOSE, NULL, d);
	if (r != TG_OK) {
		tg_diag_prefix(d, "the SVID does not chain to the trust bundle");
		goto out;
	}
	r = tg_x509_sans(chain[0], &a, &sans, &count, &critical);
	if (r != TG_OK || count != 1 || sans[0].type != TG_SAN_URI ||
	    strncmp(sans[0].value, "spiffe://", 9) != 0) {
		tg_diag_set(d, "an X.509-SVID has exactly one URI SAN, a spiffe:// ID");
		r = TG_E_VERIFY;
		goto out;
	}
	r = tg_x509_public_key(chain[0], &pub);
	if (r != TG_OK)
		goto out;
	if (!tg_key_equal_public(pub, key)) {
		tg_diag_set(d, "the SVID key is not the key of the SVID certificate");
		r = TG_E_VERIFY;
		goto out;
	}
	fld(&id, id.san, sizeof(id.san), "%s", sans[0].value);
	td_end = strchr(sans[0].value + 9, '/');
	fld(&id, id.issuer, sizeof(id.issuer), "%.*s",
	    (int)(td_end ? (size_t)(td_end - sans[0].value) : strlen(sans[0].value)),
	    sans[0].value);
	fld(&id, id.builder_id, sizeof(id.builder_id), "%s", id.san);
	if (id.overlong) {
		tg_diag_set(d, "the SPIFFE ID is too long");
		r = TG_E_VERIFY;
		goto out;
	}
	*out = id;
out:
	tg_key_free(pub);
	tg_arena_release(&a);
	return r;
}
