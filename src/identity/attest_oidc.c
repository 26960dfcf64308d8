/* SPDX-License-Identifier: Apache-2.0 */
/*
 * attest_oidc.c - the OIDC attestor for CI jobs and Kubernetes workloads:
 * verifies a token against its issuer's JWKS, maps its claims to selectors
 * by issuer profile (GitHub Actions, GitLab CI, Kubernetes, generic) and
 * records it in the replay cache so that it attests once.
 */
#include "identity/identity_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/codec.h"
#include "core/limits.h"
#include "core/mem.h"

/*
 * Claim values become selectors byte for byte. Profiles pick the claims
 * that identify a job (documented in docs/attestation.md); numeric ids
 * arrive as strings from GitHub and GitLab and as numbers elsewhere, so
 * both forms are accepted and written as canonical decimal. A value with
 * a control character or a line break rejects the whole token: a
 * selector is one line of an audit log and of an entry listing.
 */

#define OIDC_SELECTORS_MAX 128        /* selectors one token may map to */
#define OIDC_FLATTEN_DEPTH 4          /* generic profile: nesting levels flattened with '.' */
#define OIDC_SKEW_MAX 60              /* seconds of clock skew a configuration may allow */
#define OIDC_MAX_AGE_DEFAULT 3600     /* seconds since iat when the config says 0 */
#define OIDC_MAX_AGE_MAX (24 * 3600)  /* no CI token is meant to live a day */
#define OIDC_ISSUER_MAX 1024          /* bytes of a configured issuer */
#define OIDC_JTI_MAX 256              /* bytes of a jti kept in the replay cache */
#define OIDC_SUBJECT_MAX (8 * TG_KIB) /* bytes of the audit description */
/* Replay rows are purged this long after they expire, so that a caller
 * whose clock runs behind the purging one still finds them. */
#define REPLAY_PURGE_MARGIN TG_LIMIT_JWT_SKEW_MAX

struct sels {
	struct tg_arena *a;
	struct tg_selector *v;
	size_t n;
};

static tg_err sel_add(struct sels *s, const char *type, const char *key, const char *claim,
		      const char *val, size_t vn, struct tg_diag *d)
{
	tg_err r;

	if (s->n == OIDC_SELECTORS_MAX) {
		tg_diag_set(d, "the token maps to more than %d selectors", OIDC_SELECTORS_MAX);
		return TG_E_TOOBIG;
	}
	if (tg_selector_value_scan(val, vn) != vn) {
		tg_diag_set(d, "claim '%s' holds a control character, a line break or "
			       "invalid UTF-8",
			    claim);
		return TG_E_CLAIM;
	}
	r = tg_selector_make(s->a, type, key, val, vn, &s->v[s->n], NULL);
	if (r == TG_E_TOOBIG) {
		tg_diag_set(d, "claim '%s' is too long for a selector (%d bytes at most)", claim,
			    TG_SELECTOR_MAX);
		return TG_E_CLAIM;
	}
	if (r != TG_OK) {
		tg_diag_set(d, "claim '%s' does not make a valid selector", claim);
		return TG_E_CLAIM;
	}
	s->n++;
	return TG_OK;
}

/* The value of the selector type:key, or NULL. */
static const char *sel_find(const struct sels *s, const char *key)
{
	size_t i;
	for (i = 0; i < s->n; i++)
		if (strcmp(s->v[i].key, key) == 0)
			return s->v[i].value;
	return NULL;
}

/* ---- claim readers ---- */

static bool absent(const struct tg_json *v)
{
	return !v || v->type == TG_JSON_NULL;
}

/* A non-empty string; an absent, null or empty one is *s = NULL (an
 * error when required). */
static tg_err get_str(const struct tg_json *o, const char *member, const char *disp,
		      bool required, const char **s, size_t *n, struct tg_diag *d)
{
	const struct tg_json *v = tg_json_get(o, member);

	*s = NULL;
	*n = 0;
	if (absent(v) || (v->type == TG_JSON_STRING && v->u.s.len == 0)) {
		if (!required)
			return TG_OK;
		tg_diag_set(d, "the token has no '%s' claim (or it is empty)", disp);
		return TG_E_CLAIM;
	}
	if (v->type != TG_JSON_STRING) {
		tg_diag_set(d, "claim '%s' is a JSON %s, not a string", disp,
			    tg_json_type_name((enum tg_json_type)v->type));
		return TG_E_CLAIM;
	}
	*s = v->u.s.p;
	*n = v->u.s.len;
	return TG_OK;
}

/* Canonical decimal of a non-negative integer, or false. */
static bool decimal_of(const struct tg_json *v, char out[24])
{
	int64_t x;
	size_t i;

	if (v->type == TG_JSON_NUMBER) {
		if (tg_json_num_i64(v, &x) != TG_OK || x < 0)
			return false;
		snprintf(out, 24, "%" PRId64, x);
		return true;
	}
	if (v->type != TG_JSON_STRING || v->u.s.len == 0 || v->u.s.len > 19)
		return false;
	/* "007" is not an id GitHub or GitLab ever sends: reject, don't repair */
	if (v->u.s.p[0] == '0' && v->u.s.len > 1)
		return false;
	for (i = 0; i < v->u.s.len; i++) {
		if (v->u.s.p[i] < '0' || v->u.s.p[i] > '9')
			return false;
		out[i] = v->u.s.p[i];
	}
	out[i] = '\0';
	return true;
}

/* A numeric id sent as a string ("123") or a number (123). */
static tg_err get_id(const struct tg_json *o, const char *member, const char *disp,
		     bool required, char out[24], bool *present, struct tg_diag *d)
{
	const struct tg_json *v = tg_json_get(o, member);

	*present = false;
	if (absent(v) || (v->type == TG_JSON_STRING && v->u.s.len == 0)) {
		if (!required)
			return TG_OK;
		tg_diag_set(d, "the token has no '%s' claim", disp);
		return TG_E_CLAIM;
	}
	if (!decimal_of(v, out)) {
		tg_diag_set(d, "claim '%s' is not a non-negative decimal id", disp);
		return TG_E_CLAIM;
	}
	*present = true;
	return TG_OK;
}

/* A boolean sent as true/false or "true"/"false"; *out NULL when absent. */
static tg_err get_bool(const struct tg_json *o, const char *member, const char **out,
		       struct tg_diag *d)
{
	const struct tg_json *v = tg_json_get(o, member);

	*out = NULL;
	if (absent(v))
		return TG_OK;
	if (v->type == TG_JSON_BOOL)
		*out = v->u.b ? "true" : "false";
	else if (tg_json_str_eq(v, "true"))
		*out = "true";
	else if (tg_json_str_eq(v, "false"))
		*out = "false";
	else {
		tg_diag_set(d, "claim '%s' is not a boolean", member);
		return TG_E_CLAIM;
	}
	return TG_OK;
}

/* The whole seconds of a NumericDate (RFC 7519 2), rounded down. */
static tg_err num_date(const struct tg_json *v, const char *disp, int64_t *sec,
		       struct tg_diag *d)
{
	double x;
	int64_t t;

	if (v && v->type == TG_JSON_NUMBER) {
		if (tg_json_num_i64(v, sec) == TG_OK)
			return TG_OK;
		if (tg_json_num_double(v, &x) == TG_OK && x > -9.0e18 && x < 9.0e18) {
			t = (int64_t)x;
			if ((double)t > x)
				t--;
			*sec = t;
			return TG_OK;
		}
	}
	tg_diag_set(d, "claim '%s' is not a NumericDate", disp);
	return TG_E_CLAIM;
}

/* ---- profiles ---- */

enum claim_kind { CLAIM_STR, CLAIM_ID, CLAIM_BOOL };

struct claim_map {
	const char *claim; /* the claim, and the selector key */
	enum claim_kind kind;
	bool required;
};

/* GitHub Actions OIDC token claims: ids are strings today. sub is not
 * mapped: its format is changing to carry immutable ids, and every fact
 * it holds is also a claim of its own. */
static const struct claim_map github_claims[] = {
	{"repository_id", CLAIM_ID, true},
	{"repository_owner_id", CLAIM_ID, true},
	{"repository", CLAIM_STR, true},
	{"repository_owner", CLAIM_STR, false},
	{"repository_visibility", CLAIM_STR, false},
	{"ref", CLAIM_STR, false},
	{"ref_type", CLAIM_STR, false},
	{"ref_protected", CLAIM_BOOL, false},
	{"job_workflow_ref", CLAIM_STR, false},
	{"workflow_ref", CLAIM_STR, false},
	{"environment", CLAIM_STR, false},
	{"event_name", CLAIM_STR, false},
	{"runner_environment", CLAIM_STR, false},
	{"sha", CLAIM_STR, false},
	{"actor", CLAIM_STR, false},
	{"actor_id", CLAIM_ID, false},
};

/* GitLab CI id_tokens claims. */
static const struct claim_map gitlab_claims[] = {
	{"project_id", CLAIM_ID, true},
	{"project_path", CLAIM_STR, true},
	{"namespace_id", CLAIM_ID, false},
	{"namespace_path", CLAIM_STR, false},
	{"ref", CLAIM_STR, false},
	{"ref_type", CLAIM_STR, false},
	{"ref_path", CLAIM_STR, false},
	{"ref_protected", CLAIM_BOOL, false},
	{"pipeline_source", CLAIM_STR, false},
	{"environment", CLAIM_STR, false},
	{"environment_protected", CLAIM_BOOL, false},
	{"deployment_tier", CLAIM_STR, false},
	{"runner_environment", CLAIM_STR, false},
	{"sha", CLAIM_STR, false},
	{"ci_config_ref_uri", CLAIM_STR, false},
};

static tg_err map_table(const struct tg_json *c, const char *type, const struct claim_map *m,
			size_t nm, struct sels *s, struct tg_diag *d)
{
	const char *str;
	char id[24];
	size_t i, n;
	bool present;
	tg_err r = TG_OK;

	for (i = 0; i < nm && r == TG_OK; i++) {
		switch (m[i].kind) {
		case CLAIM_STR:
			r = get_str(c, m[i].claim, m[i].claim, m[i].required, &str, &n, d);
			if (r == TG_OK && str)
				r = sel_add(s, type, m[i].claim, m[i].claim, str, n, d);
			break;
		case CLAIM_ID:
			r = get_id(c, m[i].claim, m[i].claim, m[i].required, id, &present, d);
			if (r == TG_OK && present)
				r = sel_add(s, type, m[i].claim, m[i].claim, id, strlen(id), d);
			break;
		case CLAIM_BOOL:
			r = get_bool(c, m[i].claim, &str, d);
			if (r == TG_OK && str)
				r = sel_add(s, type, m[i].claim, m[i].claim, str, strlen(str), d);
			break;
		}
	}
	return r;
}

/* type:iss:<issuer>: the same project id or namespace name on two
 * issuers (gitlab.com and a self-hosted GitLab, two clusters) are two
 * different things, and an entry can tell them apart only by this. */
static tg_err map_iss(const struct tg_json *c, const char *type, struct sels *s,
		      struct tg_diag *d)
{
	const char *iss;
	size_t n;
	tg_err r = get_str(c, "iss", "iss", true, &iss, &n, d);
	if (r == TG_OK)
		r = sel_add(s, type, "iss", "iss", iss, n, d);
	return r;
}

static tg_err map_github(const struct tg_json *c, struct sels *s, struct tg_buf *subj,
			 struct tg_diag *d)
{
	char run[24], attempt[24];
	bool has_run, has_attempt;
	const char *v;
	tg_err r;

	r = map_table(c, "github", github_claims, TG_ARRAY_LEN(github_claims), s, d);
	if (r == TG_OK)
		r = map_iss(c, "github", s, d);
	if (r == TG_OK)
		r = get_id(c, "run_id", "run_id", false, run, &has_run, d);
	if (r == TG_OK)
		r = get_id(c, "run_attempt", "run_attempt", false, attempt, &has_attempt, d);
	if (r != TG_OK)
		return r;
	r = tg_buf_addf(subj, "github repo %s (id %s)", sel_find(s, "repository"),
			sel_find(s, "repository_id"));
	if (r == TG_OK && (v = sel_find(s, "ref")))
		r = tg_buf_addf(subj, " ref %s", v);
	if (r == TG_OK && (v = sel_find(s, "environment")))
		r = tg_buf_addf(subj, " environment %s", v);
	if (r == TG_OK && (v = sel_find(s, "job_workflow_ref")))
		r = tg_buf_addf(subj, " workflow %s", v);
	if (r == TG_OK && has_run)
		r = tg_buf_addf(subj, " run %s", run);
	if (r == TG_OK && has_run && has_attempt)
		r = tg_buf_addf(subj, "/%s", attempt);
	return r;
}

static tg_err map_gitlab(const struct tg_json *c, struct sels *s, struct tg_buf *subj,
			 struct tg_diag *d)
{
	char pipeline[24], job[24];
	bool has_pipeline, has_job;
	const char *v;
	tg_err r;

	r = map_table(c, "gitlab", gitlab_claims, TG_ARRAY_LEN(gitlab_claims), s, d);
	if (r == TG_OK)
		r = map_iss(c, "gitlab", s, d);
	if (r == TG_OK)
		r = get_id(c, "pipeline_id", "pipeline_id", false, pipeline, &has_pipeline, d);
	if (r == TG_OK)
		r = get_id(c, "job_id", "job_id", false, job, &has_job, d);
	if (r != TG_OK)
		return r;
	r = tg_buf_addf(subj, "gitlab project %s (id %s)", sel_find(s, "project_path"),
			sel_find(s, "project_id"));
	if (r == TG_OK && (v = sel_find(s, "ref")))
		r = tg_buf_addf(subj, " ref %s", v);
	if (r == TG_OK && (v = sel_find(s, "environment")))
		r = tg_buf_addf(subj, " environment %s", v);
	if (r == TG_OK && has_pipeline)
		r = tg_buf_addf(subj, " pipeline %s", pipeline);
	if (r == TG_OK && has_job)
		r = tg_buf_addf(subj, " job %s", job);
	return r;
}

/* kubernetes.io.<obj>: {name, uid}, both required when obj is there. */
static tg_err map_k8s_ref(const struct tg_json *k, const char *obj, bool required,
			  const char *name_key, const char *uid_key, struct sels *s,
			  struct tg_diag *d)
{
	const struct tg_json *o = tg_json_get(k, obj);
	char dn[64], du[64];
	const char *v;
	size_t n;
	tg_err r;

	if (absent(o) && !required)
		return TG_OK;
	if (absent(o) || o->type != TG_JSON_OBJECT) {
		tg_diag_set(d, "claim 'kubernetes.io.%s' is missing or not an object", obj);
		return TG_E_CLAIM;
	}
	snprintf(dn, sizeof(dn), "kubernetes.io.%s.name", obj);
	snprintf(du, sizeof(du), "kubernetes.io.%s.uid", obj);
	r = get_str(o, "name", dn, true, &v, &n, d);
	if (r == TG_OK)
		r = sel_add(s, "k8s", name_key, dn, v, n, d);
	if (r == TG_OK)
		r = get_str(o, "uid", du, true, &v, &n, d);
	if (r == TG_OK)
		r = sel_add(s, "k8s", uid_key, du, v, n, d);
	return r;
}

/* Kubernetes projected service account tokens (the "kubernetes.io"
 * private claims of the API server's TokenRequest). */
static tg_err map_k8s(const struct tg_json *c, struct tg_time now, struct sels *s,
		      struct tg_buf *subj, unsigned *flags, struct tg_diag *d)
{
	static const char sub_prefix[] = "system:serviceaccount:";
	const struct tg_json *k = tg_json_get(c, "kubernetes.io"), *wa;
	const char *ns, *sa, *sub, *pod;
	size_t nsn, san, subn;
	int64_t warnafter = 0;
	char when[TG_TIME_STR_MAX];
	tg_err r;

	if (absent(k) || k->type != TG_JSON_OBJECT) {
		tg_diag_set(d, "the token has no 'kubernetes.io' claim object "
			       "(not a projected service account token)");
		return TG_E_CLAIM;
	}
	r = get_str(k, "namespace", "kubernetes.io.namespace", true, &ns, &nsn, d);
	if (r == TG_OK)
		r = sel_add(s, "k8s", "ns", "kubernetes.io.namespace", ns, nsn, d);
	if (r == TG_OK)
		r = map_k8s_ref(k, "serviceaccount", true, "sa", "sa-uid", s, d);
	if (r == TG_OK)
		r = map_k8s_ref(k, "pod", false, "pod-name", "pod-uid", s, d);
	if (r == TG_OK)
		r = map_k8s_ref(k, "node", false, "node-name", "node-uid", s, d);
	if (r == TG_OK)
		r = map_iss(c, "k8s", s, d);
	if (r != TG_OK)
		return r;
	sa = sel_find(s, "sa");
	san = strlen(sa);
	/* sub is system:serviceaccount:<ns>:<name>; one that says otherwise
	 * contradicts the private claims: reject rather than pick one. */
	r = get_str(c, "sub", "sub", false, &sub, &subn, d);
	if (r != TG_OK)
		return r;
	if (sub && (subn != sizeof(sub_prefix) - 1 + nsn + 1 + san ||
		    memcmp(sub, sub_prefix, sizeof(sub_prefix) - 1) != 0 ||
		    memcmp(sub + sizeof(sub_prefix) - 1, ns, nsn) != 0 ||
		    sub[sizeof(sub_prefix) - 1 + nsn] != ':' ||
		    memcmp(sub + sizeof(sub_prefix) + nsn, sa, san) != 0)) {
		tg_diag_set(d, "claim 'sub' does not name the service account of 'kubernetes.io'");
		return TG_E_CLAIM;
	}
	wa = tg_json_get(k, "warnafter");
	if (!absent(wa)) {
		r = num_date(wa, "kubernetes.io.warnafter", &warnafter, d);
		if (r != TG_OK)
			return r;
	}
	r = tg_buf_addf(subj, "k8s sa %s/%s", sel_find(s, "ns"), sa);
	if (r == TG_OK && (pod = sel_find(s, "pod-name")))
		r = tg_buf_addf(subj, " pod %s", pod);
	if (r == TG_OK && !absent(wa) && now.sec >= warnafter) {
		*flags |= TG_ATTEST_F_PAST_WARNAFTER;
		if (tg_time_format((struct tg_time){warnafter, 0}, when, sizeof(when)) != TG_OK)
			snprintf(when, sizeof(when), "%" PRId64, warnafter);
		r = tg_buf_addf(subj,
				" (stale: past warnafter %s; the pod should read a fresh token)",
				when);
	}
	return r;
}

/* Registered claims that differ in every token: as selectors they could
 * only match one token, never a workload. */
static bool generic_skipped(const char *name)
{
	return !strcmp(name, "exp") || !strcmp(name, "nbf") || !strcmp(name, "iat") ||
	       !strcmp(name, "jti");
}

static bool generic_name_ok(const char *p, size_t n)
{
	size_t i;
	if (n == 0)
		return false;
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)p[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '_' || ch == '-' || ch == '.' || ch == '/'))
			return false;
	}
	return true;
}

/* A scalar as a selector value: strings as they are (empty ones skipped),
 * integers in canonical decimal, other numbers as their literal, booleans
 * as true/false; null skipped. */
static tg_err generic_scalar(struct sels *s, const char *key, const struct tg_json *v,
			     struct tg_diag *d)
{
	char dec[24];
	int64_t x;

	switch (v->type) {
	case TG_JSON_STRING:
		if (v->u.s.len == 0)
			return TG_OK;
		return sel_add(s, "oidc", key, key, v->u.s.p, v->u.s.len, d);
	case TG_JSON_NUMBER:
		if (tg_json_num_i64(v, &x) == TG_OK) {
			snprintf(dec, sizeof(dec), "%" PRId64, x);
			return sel_add(s, "oidc", key, key, dec, strlen(dec), d);
		}
		return sel_add(s, "oidc", key, key, v->u.s.p, v->u.s.len, d);
	case TG_JSON_BOOL:
		return sel_add(s, "oidc", key, key, v->u.b ? "true" : "false", v->u.b ? 4 : 5, d);
	default:
		return TG_OK;
	}
}

/* One claim at path key: scalars, arrays of scalars (one selector per
 * element), objects flattened with '.' down to OIDC_FLATTEN_DEPTH. */
static tg_err generic_value(struct sels *s, struct tg_buf *key, const struct tg_json *v,
			    unsigned depth, struct tg_diag *d)
{
	const struct tg_json_member *m;
	size_t i, klen;
	tg_err r = TG_OK;

	switch (v->type) {
	case TG_JSON_ARRAY:
		for (i = 0; i < v->u.a.len && r == TG_OK; i++) {
			const struct tg_json *it = v->u.a.items[i];
			if (it->type != TG_JSON_ARRAY && it->type != TG_JSON_OBJECT)
				r = generic_scalar(s, tg_buf_str(key), it, d);
		}
		return r;
	case TG_JSON_OBJECT:
		if (depth >= OIDC_FLATTEN_DEPTH)
			return TG_OK;
		klen = key->len;
		for (i = 0; i < v->u.o.len && r == TG_OK; i++) {
			m = &v->u.o.items[i];
			if (!generic_name_ok(m->key->u.s.p, m->key->u.s.len))
				continue;
			if (tg_buf_addc(key, '.') != TG_OK ||
			    tg_buf_add(key, m->key->u.s.p, m->key->u.s.len) != TG_OK) {
				tg_buf_truncate(key, klen);
				continue; /* a path too long for any selector */
			}
			r = generic_value(s, key, m->val, depth + 1, d);
			tg_buf_truncate(key, klen);
		}
		return r;
	default:
		return generic_scalar(s, tg_buf_str(key), v, d);
	}
}

static tg_err map_generic(const struct tg_json *c, struct sels *s, struct tg_buf *subj,
			  struct tg_diag *d)
{
	struct tg_buf key = TG_BUF_INIT(TG_SELECTOR_MAX);
	const struct tg_json_member *m;
	const char *iss, *sub;
	size_t i, n, subn;
	tg_err r;

	r = get_str(c, "iss", "iss", true, &iss, &n, d);
	for (i = 0; r == TG_OK && i < c->u.o.len; i++) {
		m = &c->u.o.items[i];
		if (!generic_name_ok(m->key->u.s.p, m->key->u.s.len) ||
		    generic_skipped(m->key->u.s.p))
			continue;
		tg_buf_reset(&key);
		if (tg_buf_add(&key, m->key->u.s.p, m->key->u.s.len) != TG_OK)
			continue;
		r = generic_value(s, &key, m->val, 1, d);
	}
	tg_buf_release(&key);
	if (r != TG_OK)
		return r;
	r = get_str(c, "sub", "sub", false, &sub, &subn, d);
	if (r == TG_OK)
		r = tg_buf_addf(subj, "oidc %s", sel_find(s, "iss"));
	if (r == TG_OK && sub && sel_find(s, "sub"))
		r = tg_buf_addf(subj, " sub %s", sel_find(s, "sub"));
	return r;
}

static int sel_qsort_cmp(const void *x, const void *y)
{
	return tg_selector_cmp(x, y);
}

tg_err tg_oidc_claims_selectors(enum tg_oidc_profile profile, const struct tg_json *claims,
				struct tg_time now, struct tg_arena *a,
				struct tg_attestation *out, struct tg_diag *d)
{
	struct tg_buf subj = TG_BUF_INIT(OIDC_SUBJECT_MAX);
	struct sels s = {a, NULL, 0};
	struct tg_attestation att;
	const struct tg_json *exp;
	size_t i, j;
	tg_err r = TG_E_INTERNAL;

	if (!claims || !a || !out)
		return TG_E_INVAL;
	memset(&att, 0, sizeof(att));
	if (claims->type != TG_JSON_OBJECT) {
		tg_diag_set(d, "the claims are not a JSON object");
		r = TG_E_CLAIM;
		goto out;
	}
	s.v = tg_arena_alloc_array(a, OIDC_SELECTORS_MAX, sizeof(*s.v));
	if (!s.v) {
		r = TG_E_TOOBIG;
		goto out;
	}
	switch (profile) {
	case TG_OIDC_GITHUB:
		r = map_github(claims, &s, &subj, d);
		break;
	case TG_OIDC_GITLAB:
		r = map_gitlab(claims, &s, &subj, d);
		break;
	case TG_OIDC_KUBERNETES:
		r = map_k8s(claims, now, &s, &subj, &att.flags, d);
		break;
	case TG_OIDC_GENERIC:
		r = map_generic(claims, &s, &subj, d);
		break;
	default:
		tg_diag_set(d, "unknown OIDC profile %d", (int)profile);
		r = TG_E_INVAL;
		break;
	}
	if (r != TG_OK)
		goto out;
	if (s.n == 0) {
		tg_diag_set(d, "the token maps to no selector");
		r = TG_E_CLAIM;
		goto out;
	}
	exp = tg_json_get(claims, "exp");
	if (!absent(exp)) {
		r = num_date(exp, "exp", &att.expires.sec, d);
		if (r != TG_OK)
			goto out;
	}
	/* a set: sorted, each selector once (an array claim may repeat one) */
	qsort(s.v, s.n, sizeof(*s.v), sel_qsort_cmp);
	for (i = j = 0; i < s.n; i++)
		if (j == 0 || tg_selector_cmp(&s.v[j - 1], &s.v[i]) != 0)
			s.v[j++] = s.v[i];
	att.selectors = s.v;
	att.n = j;
	att.subject = tg_arena_strndup(a, tg_buf_str(&subj), subj.len);
	if (!att.subject) {
		r = TG_E_TOOBIG;
		goto out;
	}
	*out = att;
	r = TG_OK;
out:
	tg_buf_release(&subj);
	return r;
}

/* ---- verification and the replay cache ---- */

static tg_err check_config(const struct tg_oidc_config *cfg, struct tg_diag *d)
{
	size_t i, n;

	if (!cfg->issuer || !*cfg->issuer || !cfg->audience || !*cfg->audience) {
		tg_diag_set(d, "the OIDC configuration needs an issuer and an audience");
		return TG_E_INVAL;
	}
	n = strlen(cfg->issuer);
	/* '|' separates the issuer from the jti in replay keys; RFC 3986 does
	 * not allow it in a URL, so no real issuer has one. */
	if (n > OIDC_ISSUER_MAX || memchr(cfg->issuer, '|', n) ||
	    tg_selector_value_scan(cfg->issuer, n) != n) {
		tg_diag_set(d, "the configured issuer is not a plausible URL");
		return TG_E_INVAL;
	}
	if (cfg->skew < 0 || cfg->skew > OIDC_SKEW_MAX) {
		tg_diag_set(d, "clock skew of %" PRId64 "s is outside 0..%ds", cfg->skew,
			    OIDC_SKEW_MAX);
		return TG_E_INVAL;
	}
	if (cfg->max_age < 0 || cfg->max_age > OIDC_MAX_AGE_MAX) {
		tg_diag_set(d, "maximum token age of %" PRId64 "s is outside 0..%ds", cfg->max_age,
			    OIDC_MAX_AGE_MAX);
		return TG_E_INVAL;
	}
	if (!cfg->jwks || cfg->jwks->count == 0) {
		tg_diag_set(d, "the issuer's JWKS holds no key");
		return TG_E_KEY;
	}
	/* An OIDC provider signs with its private key; a symmetric key in its
	 * JWKS is a published secret, and would let anyone mint tokens. */
	for (i = 0; i < cfg->jwks->count; i++) {
		if (tg_key_type(cfg->jwks->keys[i]) == TG_KEY_HMAC) {
			tg_diag_set(d, "the issuer's JWKS holds a symmetric key (index %zu)", i);
			return TG_E_KEY;
		}
	}
	return TG_OK;
}

static void rollback(struct tg_ca *ca)
{
	if (tg_ca_db_exec(ca, "ROLLBACK", NULL) != TG_OK) {
		/* nothing more to do: SQLite rolls back when the handle closes */
	}
}

/* Inserts key until expires, atomically: a key already there (and not
 * yet expired, since expired ones are purged first in the same
 * transaction) is a replay. */
static tg_err replay_record(struct tg_ca *ca, const char *key, size_t kn, int64_t expires,
			    int64_t now, struct tg_diag *d)
{
	sqlite3_stmt *del = NULL, *ins = NULL;
	bool in_tx = false;
	int rc;
	tg_err r;

	r = tg_ca_db_exec(ca, "BEGIN IMMEDIATE", d);
	if (r != TG_OK)
		goto out;
	in_tx = true;
	r = tg_ca_db_prepare(ca, "DELETE FROM replay WHERE expires < ?1", &del, d);
	if (r != TG_OK)
		goto out;
	if (sqlite3_bind_int64(del, 1, now - REPLAY_PURGE_MARGIN) != SQLITE_OK ||
	    sqlite3_step(del) != SQLITE_DONE) {
		tg_diag_set(d, "cannot purge the replay cache: %s",
			    sqlite3_errmsg(sqlite3_db_handle(del)));
		r = TG_E_IO;
		goto out;
	}
	r = tg_ca_db_prepare(ca, "INSERT INTO replay (key, expires) VALUES (?1, ?2)", &ins, d);
	if (r != TG_OK)
		goto out;
	if (sqlite3_bind_text(ins, 1, key, (int)kn, SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_bind_int64(ins, 2, expires) != SQLITE_OK) {
		tg_diag_set(d, "cannot bind the replay key");
		r = TG_E_IO;
		goto out;
	}
	rc = sqlite3_step(ins);
	if ((rc & 0xff) == SQLITE_CONSTRAINT) {
		tg_diag_set(d, "token replayed: it was already presented");
		r = TG_E_DENIED;
		goto out;
	}
	if (rc != SQLITE_DONE) {
		tg_diag_set(d, "cannot record the token in the replay cache: %s",
			    sqlite3_errmsg(sqlite3_db_handle(ins)));
		r = TG_E_IO;
		goto out;
	}
	sqlite3_finalize(del);
	sqlite3_finalize(ins);
	del = ins = NULL;
	r = tg_ca_db_exec(ca, "COMMIT", d);
	if (r == TG_OK)
		in_tx = false;
out:
	sqlite3_finalize(del);
	sqlite3_finalize(ins);
	if (in_tx)
		rollback(ca);
	return r;
}

tg_err tg_attest_oidc(struct tg_ca *ca, const char *token, size_t n,
		      const struct tg_oidc_config *cfg, struct tg_arena *a,
		      struct tg_attestation *out, struct tg_diag *d)
{
	struct tg_buf key = TG_BUF_INIT(OIDC_ISSUER_MAX + OIDC_JTI_MAX + 8);
	struct tg_jwt_check chk;
	struct tg_attestation att;
	const struct tg_json *claims = NULL, *jti;
	uint8_t digest[32];
	int64_t exp, expires;
	tg_err r = TG_E_INTERNAL;

	if (!ca || !token || !cfg || !a || !out)
		return TG_E_INVAL;
	r = check_config(cfg, d);
	if (r != TG_OK)
		goto out;
	memset(&chk, 0, sizeof(chk));
	chk.now = cfg->now;
	chk.skew = cfg->skew;
	chk.iss = cfg->issuer;
	chk.aud = cfg->audience;
	chk.max_age = cfg->max_age ? cfg->max_age : OIDC_MAX_AGE_DEFAULT;
	chk.require_iat = true;
	/* The key decides the algorithm: tg_jws_verify tries only keys whose
	 * type (and pinned alg) fit the header's alg, never "none". */
	r = tg_jwt_verify(token, n, (const struct tg_key *const *)cfg->jwks->keys,
			  cfg->jwks->count, &chk, a, &claims, NULL, d);
	if (r != TG_OK)
		goto out;
	r = tg_oidc_claims_selectors(cfg->profile, claims, cfg->now, a, &att, d);
	if (r != TG_OK)
		goto out;

	/* RFC 7519 4.1.7: a jti is unique per issuer; without one the token
	 * itself is the key. */
	jti = tg_json_get(claims, "jti");
	if (jti && jti->type == TG_JSON_STRING && jti->u.s.len > 0) {
		if (jti->u.s.len > OIDC_JTI_MAX ||
		    tg_selector_value_scan(jti->u.s.p, jti->u.s.len) != jti->u.s.len) {
			tg_diag_set(d, "claim 'jti' is longer than %d bytes or holds a control "
				       "character",
				    OIDC_JTI_MAX);
			r = TG_E_CLAIM;
			goto out;
		}
		r = tg_buf_addf(&key, "%s|", cfg->issuer);
		if (r == TG_OK)
			r = tg_buf_add(&key, jti->u.s.p, jti->u.s.len);
	} else if (jti) {
		tg_diag_set(d, "claim 'jti' is not a non-empty string");
		r = TG_E_CLAIM;
		goto out;
	} else {
		r = tg_hash(TG_SHA256, token, n, digest);
		if (r == TG_OK)
			r = tg_buf_adds(&key, "sha256:");
		if (r == TG_OK)
			r = tg_hex_encode(&key, digest, sizeof(digest));
	}
	if (r != TG_OK)
		goto out;
	/* The row outlives every instant at which the token still verifies:
	 * now < exp + skew, exp rounded up. */
	r = num_date(tg_json_get(claims, "exp"), "exp", &exp, d);
	if (r != TG_OK)
		goto out;
	expires = exp > INT64_MAX - OIDC_SKEW_MAX - 1 ? INT64_MAX : exp + 1 + cfg->skew;
	r = replay_record(ca, (const char *)key.data, key.len, expires, cfg->now.sec, d);
	if (r != TG_OK)
		goto out;
	*out = att;
out:
	if (r != TG_OK) {
		tg_diag_fill(d, r);
		tg_diag_prefix(d, "oidc token rejected");
	}
	tg_buf_release(&key);
	return r;
}
