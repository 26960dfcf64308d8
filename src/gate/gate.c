/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gate.c - the deployment gate: verifies every bundle of an artifact with
 * tg_sign_verify, turns what verified into facts, asks a Rego policy for
 * allow and deny, and writes the decision. Verification results are
 * cached by (artifact digest, evidence set) with a TTL.
 */
#include "gate/gate.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "core/codec.h"
#include "core/fs.h"
#include "core/limits.h"
#include "core/mem.h"
#include "gate/gate_internal.h"
#include "rego/rego.h"

#define CACHE_TTL_DEFAULT 300                /* seconds a verification result is reused */
#define CACHE_MAX_DEFAULT 4096               /* cached verification results */
#define EVAL_STEPS_DEFAULT 10000000ULL       /* steps of one policy evaluation */
#define EVAL_MEMORY_DEFAULT (64 * TG_MIB)    /* bytes one policy evaluation may allocate */
#define EVAL_TIMEOUT_MS_DEFAULT 2000         /* wall-clock of one policy evaluation */
#define FACTS_ARENA (4 * (size_t)TG_SIGN_MAX_DOC) /* facts of one evidence set (statements parsed here) */
#define INPUT_ARENA (16 * TG_MIB)            /* the input and decision documents */

/* ---- JSON building ---- */

const struct tg_json *tg_gate_jb_digest(struct tg_jb *b, const uint8_t sha256[32])
{
	char s[7 + 65];
	memcpy(s, "sha256:", 7);
	tg_hex_encode_to(s + 7, sha256, 32);
	return tg_jb_strn(b, s, 7 + 64);
}

static bool is_string(const struct tg_json *v)
{
	return v && v->type == TG_JSON_STRING;
}

static bool is_object(const struct tg_json *v)
{
	return v && v->type == TG_JSON_OBJECT;
}

static bool starts_with(const struct tg_json *s, const char *prefix)
{
	size_t n = strlen(prefix);
	return is_string(s) && s->u.s.len >= n && memcmp(s->u.s.p, prefix, n) == 0;
}

/* ---- facts ---- */

/* "git+https://github.com/o/r@refs/heads/main" -> repository
 * "https://github.com/o/r" and ref "refs/heads/main". The ref is split at
 * the last '@' after the host, so user@host URIs keep their user. */
static void split_source(struct tg_jb *b, const struct tg_json *uri, const struct tg_json **repo,
			 const struct tg_json **ref)
{
	const char *s = uri->u.s.p, *e = s + uri->u.s.len, *path, *at = NULL, *p;
	if (uri->u.s.len >= 4 && memcmp(s, "git+", 4) == 0)
		s += 4;
	path = memmem(s, (size_t)(e - s), "://", 3);
	path = path ? path + 3 : s;
	path = memchr(path, '/', (size_t)(e - path));
	if (path)
		for (p = path; p < e; p++)
			if (*p == '@')
				at = p;
	if (at) {
		*ref = tg_jb_strn(b, at + 1, (size_t)(e - at - 1));
		e = at;
	}
	if (e - s > 4 && memcmp(e - 4, ".git", 4) == 0)
		e -= 4;
	*repo = tg_jb_strn(b, s, (size_t)(e - s));
}

/* The same repository, ignoring "git+", an "@ref" and ".git". */
static bool same_repo(struct tg_jb *b, const struct tg_json *u1, const struct tg_json *u2)
{
	const struct tg_json *r1 = NULL, *r2 = NULL, *x = NULL;
	split_source(b, u1, &r1, &x);
	split_source(b, u2, &r2, &x);
	return r1 && r2 && tg_json_eq(r1, r2);
}

tg_err tg_gate_provenance_facts(const struct tg_json *pred, struct tg_arena *a,
				const struct tg_json **out)
{
	struct tg_jb b = {a, TG_OK};
	const struct tg_json *bd = tg_json_get(pred, "buildDefinition");
	const struct tg_json *rd = tg_json_get(pred, "runDetails");
	const struct tg_json *ext = tg_json_get(bd, "externalParameters");
	const struct tg_json *deps = tg_json_get(bd, "resolvedDependencies");
	const struct tg_json *wf = tg_json_get(ext, "workflow");
	const struct tg_json *hint, *hint_ref, *dep = NULL, *src = NULL;
	const struct tg_json *repo = NULL, *ref = NULL, *builder, *btype, *inv;
	size_t i;

	if (!is_object(pred))
		return TG_E_TYPE;
	/* where the build said its source is: GitHub and tollgate name the
	 * workflow's repository, GitLab the project's URL */
	hint = tg_json_get(wf, "repository");
	if (!is_string(hint))
		hint = tg_json_get(ext, "source");
	if (!is_string(hint))
		hint = tg_json_get(ext, "repository");
	if (!is_string(hint))
		hint = NULL;
	hint_ref = tg_json_get(wf, "ref");
	if (!is_string(hint_ref))
		hint_ref = tg_json_get(ext, "ref");
	if (!is_string(hint_ref))
		hint_ref = NULL;
	/* the dependency that is the source: a git+ URI, else the one that
	 * names the hinted repository */
	for (i = 0; deps && deps->type == TG_JSON_ARRAY && i < deps->u.a.len && !dep; i++) {
		const struct tg_json *u = tg_json_get(deps->u.a.items[i], "uri");
		if (starts_with(u, "git+"))
			dep = deps->u.a.items[i];
	}
	for (i = 0; hint && deps && deps->type == TG_JSON_ARRAY && i < deps->u.a.len && !dep; i++) {
		const struct tg_json *u = tg_json_get(deps->u.a.items[i], "uri");
		if (is_string(u) && same_repo(&b, u, hint))
			dep = deps->u.a.items[i];
	}
	if (dep) {
		const struct tg_json *u = tg_json_get(dep, "uri"), *dg = tg_json_get(dep, "digest");
		split_source(&b, u, &repo, &ref);
		if (!ref)
			ref = hint_ref;
		src = tg_jb_obj(&b, "uri", u, "repository", repo, "ref", ref, "digest",
				     is_object(dg) ? dg : NULL, NULL);
	} else if (hint) {
		const struct tg_json *x = NULL;
		split_source(&b, hint, &repo, &x);
		src = tg_jb_obj(&b, "uri", hint, "repository", repo, "ref", hint_ref, NULL);
	}
	builder = tg_json_get(tg_json_get(rd, "builder"), "id");
	btype = tg_json_get(bd, "buildType");
	inv = tg_json_get(tg_json_get(rd, "metadata"), "invocationId");
	*out = tg_jb_obj(&b, "builder_id", is_string(builder) ? builder : NULL, "build_type",
			      is_string(btype) ? btype : NULL, "invocation_id",
			      is_string(inv) ? inv : NULL, "source", src, NULL);
	return b.r;
}

tg_err tg_gate_facts(const struct tg_sign_bundle *bu, const struct tg_sign_result *res,
		     const uint8_t bundle_sha256[32], const char *name, struct tg_arena *a,
		     const struct tg_json **out)
{
	struct tg_jb b = {a, TG_OK};
	const struct tg_json *ptype = NULL, *prov = NULL, *log, *itime = NULL, *signed_at = NULL;
	char when[TG_TIME_STR_MAX];
	size_t i;

	if (bu->is_dsse) {
		const struct tg_json *st = NULL, *pt, *pred;
		tg_err r = tg_json_parse(a, bu->payload, bu->payload_len, NULL, &st, NULL, NULL);
		if (r != TG_OK)
			return r;
		pt = tg_json_get(st, "predicateType");
		pred = tg_json_get(st, "predicate");
		if (!is_string(pt))
			return TG_E_PARSE;
		ptype = pt;
		if (tg_json_str_eq(pt, TG_GATE_SLSA_V1) && is_object(pred)) {
			r = tg_gate_provenance_facts(pred, a, &prov);
			if (r != TG_OK)
				return r;
		}
	}
	for (i = 0; i < bu->ntlog; i++)
		if (bu->tlog[i].log_index == res->log_index && bu->tlog[i].integrated_time > 0) {
			itime = tg_jb_int(&b, bu->tlog[i].integrated_time);
			break;
		}
	log = tg_jb_obj(&b, "index", tg_jb_int(&b, res->log_index), "url",
			     res->log_url[0] ? tg_jb_str(&b, res->log_url) : NULL, "integrated_time",
			     itime, NULL);
	if (res->signed_at.sec && tg_time_format(res->signed_at, when, sizeof(when)) == TG_OK)
		signed_at = tg_jb_str(&b, when);
	*out = tg_jb_obj(
		&b, "kind", tg_jb_str(&b, bu->is_dsse ? "attestation" : "signature"), "bundle",
		tg_jb_obj(&b, "digest", tg_gate_jb_digest(&b, bundle_sha256), "name",
			       name && name[0] ? tg_jb_str(&b, name) : NULL, NULL),
		"signer",
		tg_jb_obj(&b, "identity", tg_jb_str(&b, res->san), "issuer",
			       tg_jb_str(&b, res->issuer), NULL),
		"log", log, "signed_at", signed_at, "signed_at_unix",
		signed_at ? tg_jb_int(&b, res->signed_at.sec) : NULL, "predicate_type", ptype,
		"provenance", prov, NULL);
	return b.r;
}

/* ---- policies ---- */

struct tg_gate_policy {
	unsigned refs; /* atomic */
	struct tg_rego_policy *rp;
	struct tg_rego_query *deny, *allow;
	char *name;
};

static void errs_to_diag(const struct tg_rego_errors *errs, tg_err r, struct tg_diag *d)
{
	if (errs->n == 0) {
		tg_diag_set(d, "%s", tg_strerror(r));
		return;
	}
	if (errs->v[0].loc.file && errs->v[0].loc.row)
		tg_diag_set(d, "%s:%u:%u: %s: %s", errs->v[0].loc.file, errs->v[0].loc.row,
			    errs->v[0].loc.col, errs->v[0].code, errs->v[0].msg);
	else
		tg_diag_set(d, "%s: %s", errs->v[0].code, errs->v[0].msg);
}

/* A package name as a Rego reference: letters, digits, '_' and dots. */
static bool package_ok(const char *s)
{
	size_t i, n = strlen(s);
	if (n == 0 || n > 200 || s[0] == '.' || s[n - 1] == '.')
		return false;
	for (i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || (c == '.' && s[i + 1] != '.')))
			return false;
	}
	return !(s[0] >= '0' && s[0] <= '9');
}

tg_err tg_gate_policy_new(struct tg_rego_policy *rp, const char *package, const char *name,
			  struct tg_gate_policy **out, struct tg_diag *d)
{
	struct tg_gate_policy *p;
	struct tg_rego_errors errs;
	char q[256];
	int k;
	tg_err r;

	if (!package)
		package = TG_GATE_PACKAGE;
	if (!package_ok(package)) {
		tg_diag_set(d, "'%s' is not a Rego package name", package);
		return TG_E_INVAL;
	}
	p = tg_xcalloc(1, sizeof(*p));
	p->refs = 1;
	p->rp = tg_rego_policy_ref(rp);
	p->name = tg_xstrdup(name ? name : "");
	tg_rego_errors_init(&errs);
	k = snprintf(q, sizeof(q), "data.%s.deny", package);
	r = tg_rego_query_prepare(p->rp, q, (size_t)k, TG_REGO_V1, &p->deny, &errs);
	if (r == TG_OK) {
		k = snprintf(q, sizeof(q), "data.%s.allow", package);
		r = tg_rego_query_prepare(p->rp, q, (size_t)k, TG_REGO_V1, &p->allow, &errs);
	}
	if (r != TG_OK) {
		errs_to_diag(&errs, r, d);
		tg_diag_prefix(d, "cannot prepare the gate queries");
		tg_rego_errors_release(&errs);
		tg_gate_policy_free(p);
		return r;
	}
	tg_rego_errors_release(&errs);
	*out = p;
	return TG_OK;
}

struct tg_gate_policy *tg_gate_policy_ref(struct tg_gate_policy *p)
{
	if (p)
		__atomic_add_fetch(&p->refs, 1, __ATOMIC_RELAXED);
	return p;
}

void tg_gate_policy_free(struct tg_gate_policy *p)
{
	if (!p || __atomic_sub_fetch(&p->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	tg_rego_query_free(p->deny);
	tg_rego_query_free(p->allow);
	tg_rego_policy_free(p->rp);
	free(p->name);
	free(p);
}

const char *tg_gate_policy_name(const struct tg_gate_policy *p)
{
	return p->name;
}

/* Compiles the builder and wraps the result. */
static tg_err build(struct tg_rego_builder *b, struct tg_rego_errors *errs, const char *package,
		    const char *name, struct tg_gate_policy **out, struct tg_diag *d)
{
	struct tg_rego_policy *rp = NULL;
	tg_err r = tg_rego_builder_build(b, 0, &rp, errs);
	if (r != TG_OK || errs->n) {
		if (r == TG_OK)
			r = TG_E_STATE;
		errs_to_diag(errs, r, d);
		tg_diag_prefix(d, "cannot compile the gate policy");
		return r;
	}
	r = tg_gate_policy_new(rp, package, name, out, d);
	tg_rego_policy_free(rp);
	return r;
}

tg_err tg_gate_policy_default(const char *config, size_t n, struct tg_gate_policy **out,
			      struct tg_diag *d)
{
	struct tg_rego_builder *b = NULL;
	struct tg_rego_errors errs;
	tg_err r;

	if (!config) {
		config = tg_gate_default_config;
		n = strlen(config);
	}
	tg_rego_errors_init(&errs);
	if (tg_rego_builder_new(&b) != TG_REGO_OK)
		return TG_E_INTERNAL;
	r = tg_rego_builder_add_text(b, "default.rego", tg_gate_default_rego,
				     strlen(tg_gate_default_rego), TG_REGO_V1, &errs);
	if (r == TG_OK)
		r = tg_rego_builder_add_data_at(b, "config.json", config, n, NULL, 0, &errs);
	if (r != TG_OK || errs.n) {
		errs_to_diag(&errs, r ? r : TG_E_PARSE, d);
		tg_diag_prefix(d, "cannot load the gate configuration");
		if (r == TG_OK)
			r = TG_E_PARSE;
	} else {
		r = build(b, &errs, TG_GATE_PACKAGE, "default", out, d);
	}
	tg_rego_errors_release(&errs);
	tg_rego_builder_free(b);
	return r;
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

static tg_err load_one(struct tg_rego_builder *b, const char *path, bool as_data,
		       struct tg_rego_errors *errs, struct tg_diag *d)
{
	struct tg_buf t = TG_BUF_INIT(TG_LIMIT_REGO_SOURCE);
	tg_err r = tg_fs_read(path, &t, d);
	if (r != TG_OK)
		goto out;
	if (!as_data && has_suffix(path, ".rego"))
		r = tg_rego_builder_add_text(b, path, tg_buf_str(&t), t.len, TG_REGO_V1, errs);
	else
		r = tg_rego_builder_add_data_at(b, path, tg_buf_str(&t), t.len, NULL, 0, errs);
	if (r != TG_OK || errs->n) {
		errs_to_diag(errs, r ? r : TG_E_PARSE, d);
		if (!strstr(d->msg, path))
			tg_diag_prefix(d, "%s", path);
		if (r == TG_OK)
			r = TG_E_PARSE;
	}
out:
	tg_buf_release(&t);
	return r;
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The *.rego (not *_test.rego) and *.json files of dir, in name order. */
static tg_err load_dir(struct tg_rego_builder *b, const char *dir, struct tg_rego_errors *errs,
		       struct tg_diag *d)
{
	DIR *dh = opendir(dir);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, i;
	tg_err r = TG_OK;
	if (!dh) {
		tg_diag_set(d, "cannot read '%s': %s", dir, strerror(errno));
		return TG_E_IO;
	}
	while ((de = readdir(dh)) && n < 10000) {
		if (de->d_name[0] == '.' || has_suffix(de->d_name, "_test.rego") ||
		    !(has_suffix(de->d_name, ".rego") || has_suffix(de->d_name, ".json")))
			continue;
		names = tg_xreallocarray(names, n + 1, sizeof(*names));
		names[n] = tg_xmalloc(strlen(dir) + strlen(de->d_name) + 2);
		memcpy(names[n], dir, strlen(dir));
		names[n][strlen(dir)] = '/';
		memcpy(names[n] + strlen(dir) + 1, de->d_name, strlen(de->d_name) + 1);
		n++;
	}
	closedir(dh);
	if (n > 1)
		qsort(names, n, sizeof(*names), str_cmp);
	for (i = 0; i < n && r == TG_OK; i++)
		r = load_one(b, names[i], false, errs, d);
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return r;
}

tg_err tg_gate_policy_load(const char *const *paths, size_t npaths, const char *const *data,
			   size_t ndata, const char *package, struct tg_gate_policy **out,
			   struct tg_diag *d)
{
	struct tg_rego_builder *b = NULL;
	struct tg_rego_errors errs;
	size_t i;
	tg_err r = TG_OK;

	tg_rego_errors_init(&errs);
	if (tg_rego_builder_new(&b) != TG_REGO_OK)
		return TG_E_INTERNAL;
	if (npaths == 0) {
		/* the built-in policy, with the built-in configuration unless
		 * data is given */
		r = tg_rego_builder_add_text(b, "default.rego", tg_gate_default_rego,
					     strlen(tg_gate_default_rego), TG_REGO_V1, &errs);
		if (r == TG_OK && ndata == 0)
			r = tg_rego_builder_add_data_at(b, "config.json", tg_gate_default_config,
							strlen(tg_gate_default_config), NULL, 0, &errs);
		if (r != TG_OK || errs.n) {
			errs_to_diag(&errs, r ? r : TG_E_PARSE, d);
			r = r ? r : TG_E_PARSE;
		}
	}
	for (i = 0; i < npaths && r == TG_OK; i++) {
		struct stat st;
		if (stat(paths[i], &st) != 0) {
			tg_diag_set(d, "cannot read '%s': %s", paths[i], strerror(errno));
			r = TG_E_NOTFOUND;
		} else if (S_ISDIR(st.st_mode)) {
			r = load_dir(b, paths[i], &errs, d);
		} else {
			r = load_one(b, paths[i], false, &errs, d);
		}
	}
	for (i = 0; i < ndata && r == TG_OK; i++)
		r = load_one(b, data[i], true, &errs, d);
	if (r == TG_OK)
		r = build(b, &errs, package, npaths ? paths[0] : "default", out, d);
	tg_rego_errors_release(&errs);
	tg_rego_builder_free(b);
	return r;
}

/* ---- the verifier and its cache ---- */

/* The outcome of verifying one evidence set for one artifact. */
struct vres {
	struct vres *chain;           /* hash bucket */
	struct vres *older, *newer;   /* insertion order, for expiry and eviction */
	uint8_t key[32];
	int64_t expires;              /* monotonic seconds */
	unsigned refs;                /* atomic: the cache's and each reader's */
	struct tg_arena a;
	const struct tg_json *facts;  /* array, by bundle digest */
	const struct tg_json *rejected;
	size_t nverified, nrejected;
};

struct tg_gate {
	struct tg_sign_trustroot root;
	struct tg_gate_options o;
	pthread_mutex_t mu;
	struct vres **buckets;
	size_t nbuckets, n;
	struct vres *oldest, *newest;
	struct tg_gate_stats stats;
};

static int64_t mono_sec(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec;
}

static void vres_unref(struct vres *v)
{
	if (!v || __atomic_sub_fetch(&v->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	tg_arena_release(&v->a);
	free(v);
}

tg_err tg_gate_new(struct tg_sign_trustroot *root, const struct tg_gate_options *o,
		   struct tg_gate **out)
{
	struct tg_gate *g = tg_xcalloc(1, sizeof(*g));
	if (o)
		g->o = *o;
	if (g->o.cache_ttl == 0)
		g->o.cache_ttl = CACHE_TTL_DEFAULT;
	if (g->o.cache_max == 0)
		g->o.cache_max = CACHE_MAX_DEFAULT;
	if (!g->o.limits.steps)
		g->o.limits.steps = EVAL_STEPS_DEFAULT;
	if (!g->o.limits.memory)
		g->o.limits.memory = EVAL_MEMORY_DEFAULT;
	if (!g->o.limits.timeout_ms)
		g->o.limits.timeout_ms = EVAL_TIMEOUT_MS_DEFAULT;
	for (g->nbuckets = 16; g->nbuckets < 2 * g->o.cache_max && g->nbuckets < ((size_t)1 << 24);)
		g->nbuckets *= 2;
	g->buckets = tg_xcalloc(g->nbuckets, sizeof(*g->buckets));
	if (pthread_mutex_init(&g->mu, NULL) != 0) {
		free(g->buckets);
		free(g);
		return TG_E_INTERNAL;
	}
	g->root = *root;
	memset(root, 0, sizeof(*root));
	*out = g;
	return TG_OK;
}

/* Unlinks v from the table and the age list; the caller drops the ref. */
static void cache_unlink(struct tg_gate *g, struct vres *v)
{
	struct vres **pp = &g->buckets[(v->key[0] | (size_t)v->key[1] << 8 | (size_t)v->key[2] << 16 |
					(size_t)v->key[3] << 24) &
				       (g->nbuckets - 1)];
	while (*pp && *pp != v)
		pp = &(*pp)->chain;
	if (*pp)
		*pp = v->chain;
	if (v->older)
		v->older->newer = v->newer;
	else
		g->oldest = v->newer;
	if (v->newer)
		v->newer->older = v->older;
	else
		g->newest = v->older;
	g->n--;
}

static size_t bucket_of(const struct tg_gate *g, const uint8_t key[32])
{
	return (key[0] | (size_t)key[1] << 8 | (size_t)key[2] << 16 | (size_t)key[3] << 24) &
	       (g->nbuckets - 1);
}

void tg_gate_free(struct tg_gate *g)
{
	if (!g)
		return;
	while (g->oldest) {
		struct vres *v = g->oldest;
		cache_unlink(g, v);
		vres_unref(v);
	}
	free(g->buckets);
	pthread_mutex_destroy(&g->mu);
	tg_sign_trustroot_release(&g->root);
	free(g);
}

void tg_gate_stats_get(struct tg_gate *g, struct tg_gate_stats *out)
{
	pthread_mutex_lock(&g->mu);
	*out = g->stats;
	out->entries = g->n;
	pthread_mutex_unlock(&g->mu);
}

/* A referenced cached result for key, or NULL. */
static struct vres *cache_get(struct tg_gate *g, const uint8_t key[32])
{
	struct vres *v;
	int64_t now = mono_sec();
	if (g->o.cache_ttl < 0)
		return NULL;
	pthread_mutex_lock(&g->mu);
	/* expired results go first: they are the oldest */
	while (g->oldest && g->oldest->expires <= now) {
		v = g->oldest;
		cache_unlink(g, v);
		vres_unref(v);
	}
	for (v = g->buckets[bucket_of(g, key)]; v; v = v->chain)
		if (memcmp(v->key, key, 32) == 0)
			break;
	if (v) {
		__atomic_add_fetch(&v->refs, 1, __ATOMIC_RELAXED);
		g->stats.hits++;
	} else {
		g->stats.misses++;
	}
	pthread_mutex_unlock(&g->mu);
	return v;
}

static void cache_put(struct tg_gate *g, struct vres *v)
{
	struct vres *old;
	size_t b;
	if (g->o.cache_ttl < 0)
		return;
	v->expires = mono_sec() + g->o.cache_ttl;
	b = bucket_of(g, v->key);
	pthread_mutex_lock(&g->mu);
	for (old = g->buckets[b]; old; old = old->chain)
		if (memcmp(old->key, v->key, 32) == 0)
			break;
	if (old) { /* another thread verified the same set meanwhile */
		cache_unlink(g, old);
		vres_unref(old);
	}
	while (g->n >= g->o.cache_max && g->oldest) {
		old = g->oldest;
		cache_unlink(g, old);
		vres_unref(old);
		g->stats.evictions++;
	}
	__atomic_add_fetch(&v->refs, 1, __ATOMIC_RELAXED);
	v->chain = g->buckets[b];
	g->buckets[b] = v;
	v->older = g->newest;
	v->newer = NULL;
	if (g->newest)
		g->newest->newer = v;
	else
		g->oldest = v;
	g->newest = v;
	g->n++;
	pthread_mutex_unlock(&g->mu);
}

struct piece {
	const struct tg_gate_evidence *ev;
	uint8_t sha[32];
};

static int piece_cmp(const void *a, const void *b)
{
	return memcmp(((const struct piece *)a)->sha, ((const struct piece *)b)->sha, 32);
}

/* Verifies one bundle; on success *fact, else *reason (both in v->a). */
static tg_err verify_one(struct tg_gate *g, const uint8_t digest[32], const struct piece *pc,
			 struct vres *v, const struct tg_json **fact, const char **reason)
{
	struct tg_sign_bundle b;
	struct tg_sign_artifact art;
	struct tg_sign_policy pol;
	struct tg_sign_result res;
	struct tg_diag d;
	tg_err r;

	memset(&b, 0, sizeof(b));
	memset(&art, 0, sizeof(art));
	memset(&pol, 0, sizeof(pol));
	tg_diag_init(&d);
	*fact = NULL;
	*reason = NULL;
	art.alg = TG_SHA256;
	memcpy(art.digest, digest, 32);
	pol.now = tg_time_now();
	if (pc->ev->len > TG_SIGN_MAX_DOC) {
		*reason = "the bundle is larger than 16 MiB";
		return TG_OK;
	}
	r = tg_sign_bundle_parse((const char *)pc->ev->data, pc->ev->len, &b, &d);
	if (r != TG_OK) {
		char msg[TG_DIAG_MSG_MAX + 32];
		snprintf(msg, sizeof(msg), "cannot read the bundle: %s", d.msg[0] ? d.msg : tg_strerror(r));
		*reason = tg_arena_strndup(&v->a, msg, strlen(msg));
		return *reason ? TG_OK : TG_E_TOOBIG;
	}
	r = tg_sign_verify(&b, &art, &g->root, &pol, &res, &d);
	if (r != TG_OK) {
		const char *m = d.msg[0] ? d.msg : tg_strerror(r);
		*reason = tg_arena_strndup(&v->a, m, strlen(m));
		r = *reason ? TG_OK : TG_E_TOOBIG;
	} else {
		/* the statement is parsed in a scratch arena; only the facts,
		 * re-read from their canonical text, stay in the cache entry */
		struct tg_arena tmp;
		struct tg_buf text = TG_BUF_INIT(TG_SIGN_MAX_DOC);
		const struct tg_json *f = NULL;
		tg_arena_init(&tmp, FACTS_ARENA);
		r = tg_gate_facts(&b, &res, pc->sha, pc->ev->name, &tmp, &f);
		if (r == TG_OK)
			r = tg_json_canon(&text, f);
		if (r == TG_OK)
			r = tg_json_parse(&v->a, text.data, text.len, NULL, fact, NULL, NULL);
		if (r == TG_E_PARSE || r == TG_E_TYPE) {
			*fact = NULL;
			*reason = "the attestation's in-toto statement has no predicateType string";
			r = TG_OK;
		} else if (r != TG_OK && r != TG_E_TOOBIG) {
			*fact = NULL;
			*reason = "the attestation's provenance cannot be read (a number out of range)";
			r = TG_OK;
		}
		tg_buf_release(&text);
		tg_arena_release(&tmp);
	}
	tg_sign_bundle_release(&b);
	return r;
}

/* The verification result for (digest, evidence): cached or computed. */
static tg_err verified(struct tg_gate *g, const uint8_t digest[32], const struct tg_gate_evidence *ev,
		       size_t nev, struct vres **out, bool *cached, struct tg_diag *d)
{
	struct piece pcs[TG_LIMIT_GATE_EVIDENCE];
	const struct tg_json *facts[TG_LIMIT_GATE_EVIDENCE], *rej[TG_LIMIT_GATE_EVIDENCE];
	struct tg_hash_ctx *h = NULL;
	struct vres *v;
	size_t i, n = 0, nf = 0, nr = 0;
	uint8_t key[32];
	tg_err r;

	if (nev > TG_LIMIT_GATE_EVIDENCE) {
		tg_diag_set(d, "%zu pieces of evidence for one artifact: at most %d are decided on", nev,
			    TG_LIMIT_GATE_EVIDENCE);
		return TG_E_TOOBIG;
	}
	for (i = 0; i < nev; i++) {
		pcs[n].ev = &ev[i];
		if (ev[i].has_sha256)
			memcpy(pcs[n].sha, ev[i].sha256, 32);
		else if ((r = tg_hash(TG_SHA256, ev[i].data, ev[i].len, pcs[n].sha)) != TG_OK)
			return r;
		n++;
	}
	if (n > 1)
		qsort(pcs, n, sizeof(pcs[0]), piece_cmp);
	/* the same bundle twice counts once */
	for (i = 1, nf = n ? 1 : 0; i < n; i++)
		if (memcmp(pcs[i].sha, pcs[nf - 1].sha, 32) != 0)
			pcs[nf++] = pcs[i];
	n = nf;
	nf = 0;
	/* key = SHA-256("tollgate gate v1" 0 digest (bundle-digest name 0)...)
	 * in bundle digest order: the names are labels in the facts, so a
	 * set given under other names is another entry */
	r = tg_hash_new(TG_SHA256, &h);
	if (r == TG_OK)
		r = tg_hash_update(h, "tollgate gate v1", 17);
	if (r == TG_OK)
		r = tg_hash_update(h, digest, 32);
	for (i = 0; i < n && r == TG_OK; i++) {
		const char *nm = pcs[i].ev->name ? pcs[i].ev->name : "";
		r = tg_hash_update(h, pcs[i].sha, 32);
		if (r == TG_OK)
			r = tg_hash_update(h, nm, strlen(nm) + 1);
	}
	if (r == TG_OK)
		r = tg_hash_final(h, key);
	tg_hash_free(h);
	if (r != TG_OK)
		return r;
	v = cache_get(g, key);
	if (v) {
		*out = v;
		*cached = true;
		return TG_OK;
	}
	*cached = false;
	v = tg_xcalloc(1, sizeof(*v));
	v->refs = 1;
	memcpy(v->key, key, 32);
	tg_arena_init(&v->a, FACTS_ARENA);
	for (i = 0; i < n; i++) {
		const struct tg_json *fact, *why;
		const char *reason;
		struct tg_jb b = {&v->a, TG_OK};
		r = verify_one(g, digest, &pcs[i], v, &fact, &reason);
		if (r != TG_OK)
			goto fail;
		if (fact) {
			facts[nf++] = fact;
			continue;
		}
		why = tg_jb_obj(&b, "bundle", tg_gate_jb_digest(&b, pcs[i].sha), "name",
				     pcs[i].ev->name && pcs[i].ev->name[0]
					     ? tg_jb_str(&b, pcs[i].ev->name)
					     : NULL,
				     "reason", tg_jb_str(&b, reason), NULL);
		if ((r = b.r) != TG_OK)
			goto fail;
		rej[nr++] = why;
	}
	{
		struct tg_jb b = {&v->a, TG_OK};
		v->facts = tg_jb_arr(&b, facts, nf);
		v->rejected = tg_jb_arr(&b, rej, nr);
		if ((r = b.r) != TG_OK)
			goto fail;
	}
	v->nverified = nf;
	v->nrejected = nr;
	cache_put(g, v);
	*out = v;
	return TG_OK;
fail:
	tg_diag_set(d, "cannot record the verification result: %s", tg_strerror(r));
	vres_unref(v);
	return r;
}

static const struct tg_json *context(struct tg_jb *b, const struct tg_gate_context *ctx,
				     struct tg_time now)
{
	char when[TG_TIME_STR_MAX] = "";
	const struct tg_gate_context none = {NULL, NULL, NULL, NULL};
	if (!ctx)
		ctx = &none;
	if (tg_time_format(now, when, sizeof(when)) != TG_OK && b->r == TG_OK)
		b->r = TG_E_RANGE;
	return tg_jb_obj(b, "time", tg_jb_str(b, when), "time_unix", tg_jb_int(b, now.sec),
			      "image", ctx->image ? tg_jb_str(b, ctx->image) : NULL, "namespace",
			      ctx->namespace_ ? tg_jb_str(b, ctx->namespace_) : NULL, "kind",
			      ctx->kind ? tg_jb_str(b, ctx->kind) : NULL, "name",
			      ctx->name ? tg_jb_str(b, ctx->name) : NULL, NULL);
}

static const struct tg_json *input_doc(struct tg_jb *b, const uint8_t digest[32],
				       const struct vres *v, const struct tg_gate_context *ctx,
				       struct tg_time now)
{
	return tg_jb_obj(b, "artifact", tg_jb_obj(b, "digest", tg_gate_jb_digest(b, digest), NULL),
			      "evidence", v->facts, "context", context(b, ctx, now), NULL);
}

tg_err tg_gate_input(struct tg_gate *g, const uint8_t digest[32], const struct tg_gate_evidence *ev,
		     size_t nev, const struct tg_gate_context *ctx, struct tg_time now,
		     struct tg_buf *out, struct tg_diag *d)
{
	struct vres *v = NULL;
	struct tg_arena a;
	struct tg_jb b = {&a, TG_OK};
	const struct tg_json *in;
	bool cached;
	tg_err r = verified(g, digest, ev, nev, &v, &cached, d);
	if (r != TG_OK)
		return r;
	tg_arena_init(&a, INPUT_ARENA);
	in = input_doc(&b, digest, v, ctx, now);
	r = b.r;
	if (r == TG_OK)
		r = tg_json_canon(out, in);
	tg_arena_release(&a);
	vres_unref(v);
	return r;
}

/* The first expression's value of the first result row, or NULL. */
static const struct tg_json *first_value(const struct tg_json *rows)
{
	const struct tg_json *ex;
	if (!rows || rows->type != TG_JSON_ARRAY || rows->u.a.len == 0)
		return NULL;
	ex = tg_json_get(rows->u.a.items[0], "expressions");
	if (!ex || ex->type != TG_JSON_ARRAY || ex->u.a.len == 0)
		return NULL;
	return tg_json_get(ex->u.a.items[0], "value");
}

static tg_err eval(const struct tg_rego_query *q, const struct tg_json *input,
		   const struct tg_rego_options *o, struct tg_arena *a, const struct tg_json **out,
		   const char *what, struct tg_diag *d)
{
	struct tg_rego_errors errs;
	const struct tg_json *rows = NULL;
	tg_err r;
	tg_rego_errors_init(&errs);
	r = tg_rego_query_eval(q, input, o, a, &rows, &errs, NULL);
	if (r != TG_OK) {
		errs_to_diag(&errs, r, d);
		tg_diag_prefix(d, "the policy's %s rule failed", what);
	}
	tg_rego_errors_release(&errs);
	if (r == TG_OK)
		*out = first_value(rows);
	return r;
}

void tg_gate_decision_release(struct tg_gate_decision *dec)
{
	size_t i;
	if (!dec)
		return;
	for (i = 0; i < dec->ndeny; i++)
		free(dec->deny[i]);
	free(dec->deny);
	free(dec->json);
	memset(dec, 0, sizeof(*dec));
}

/* What the decision says about each verified piece: enough to find it
 * again (bundle digest, log index) and to read who signed what. */
static const struct tg_json *used(struct tg_jb *b, const struct tg_json *facts)
{
	const struct tg_json **items;
	size_t i, n = facts->u.a.len;
	if (b->r != TG_OK)
		return NULL;
	items = tg_arena_alloc_array(b->a, n ? n : 1, sizeof(*items));
	if (!items) {
		b->r = TG_E_TOOBIG;
		return NULL;
	}
	for (i = 0; i < n; i++) {
		const struct tg_json *f = facts->u.a.items[i], *bd = tg_json_get(f, "bundle");
		const struct tg_json *sg = tg_json_get(f, "signer"), *lg = tg_json_get(f, "log");
		items[i] = tg_jb_obj(b, "bundle", tg_json_get(bd, "digest"), "name",
					  tg_json_get(bd, "name"), "kind", tg_json_get(f, "kind"),
					  "log_index", tg_json_get(lg, "index"), "identity",
					  tg_json_get(sg, "identity"), "issuer", tg_json_get(sg, "issuer"),
					  "predicate_type", tg_json_get(f, "predicate_type"), NULL);
	}
	return tg_jb_arr(b, items, n);
}

tg_err tg_gate_decide(struct tg_gate *g, const struct tg_gate_policy *p, const uint8_t digest[32],
		      const struct tg_gate_evidence *ev, size_t nev, const struct tg_gate_context *ctx,
		      struct tg_time now, struct tg_gate_decision *dec, struct tg_diag *d)
{
	struct vres *v = NULL;
	struct tg_arena a;
	struct tg_jb b = {&a, TG_OK};
	struct tg_rego_options o;
	struct tg_buf js = TG_BUF_INIT(INPUT_ARENA);
	const struct tg_json *in, *deny = NULL, *allow = NULL, *doc;
	const struct tg_json **reasons = NULL;
	struct tg_gate_decision res;
	size_t i, nreasons = 0;
	bool cached = false;
	tg_err r;

	memset(&res, 0, sizeof(res));
	r = verified(g, digest, ev, nev, &v, &cached, d);
	if (r != TG_OK)
		return r;
	tg_arena_init(&a, g->o.limits.memory + INPUT_ARENA);
	memset(&o, 0, sizeof(o));
	o.limits = g->o.limits;
	o.now_ns = now.sec * 1000000000LL + now.nsec;
	in = input_doc(&b, digest, v, ctx, now);
	if ((r = b.r) != TG_OK) {
		tg_diag_set(d, "cannot build the policy input: %s", tg_strerror(r));
		goto out;
	}
	r = eval(p->deny, in, &o, &a, &deny, "deny", d);
	if (r == TG_OK)
		r = eval(p->allow, in, &o, &a, &allow, "allow", d);
	if (r != TG_OK)
		goto out;
	/* deny: a set (or array) of reasons; anything else is a policy bug */
	if (deny && deny->type != TG_JSON_SET && deny->type != TG_JSON_ARRAY) {
		tg_diag_set(d, "the policy's deny is a %s, not a set of reasons",
			    tg_json_type_name(deny->type));
		r = TG_E_TYPE;
		goto out;
	}
	nreasons = deny ? deny->u.a.len : 0;
	reasons = tg_arena_alloc_array(&a, nreasons + 1, sizeof(*reasons));
	if (!reasons) {
		r = TG_E_TOOBIG;
		goto out;
	}
	for (i = 0; i < nreasons; i++) {
		const struct tg_json *it = deny->u.a.items[i];
		if (it->type != TG_JSON_STRING) {
			/* a structured reason is written as its JSON text */
			struct tg_buf t = TG_BUF_INIT(64 * TG_KIB);
			r = tg_json_canon(&t, it);
			if (r == TG_OK)
				reasons[i] = tg_jb_strn(&b, (const char *)t.data, t.len);
			tg_buf_release(&t);
			if (r != TG_OK)
				goto out;
		} else {
			reasons[i] = it;
		}
	}
	res.allow = allow && allow->type == TG_JSON_BOOL && allow->u.b && nreasons == 0;
	if (!res.allow && nreasons == 0)
		reasons[nreasons++] =
			tg_jb_str(&b, "the policy did not allow the artifact and gave no reason");
	{
		/* sorted and unique, whatever the policy returned */
		const struct tg_json *set = NULL;
		if (b.r == TG_OK)
			b.r = tg_json_new_set(&a, reasons, nreasons, &set);
		doc = tg_jb_obj(&b, "allow", tg_json_bool(res.allow), "artifact",
				     tg_gate_jb_digest(&b, digest), "deny",
				     set ? tg_jb_arr(&b, set->u.a.items, set->u.a.len) : NULL,
				     "evidence", used(&b, v->facts), "rejected", v->rejected, "policy",
				     tg_jb_str(&b, p->name), NULL);
		if ((r = b.r) != TG_OK)
			goto out;
		if (!res.allow) {
			res.ndeny = set->u.a.len;
			res.deny = tg_xcalloc(res.ndeny, sizeof(*res.deny));
			for (i = 0; i < res.ndeny; i++)
				res.deny[i] = tg_xstrndup(set->u.a.items[i]->u.s.p,
							  set->u.a.items[i]->u.s.len);
		}
	}
	r = tg_json_canon(&js, doc);
	if (r != TG_OK)
		goto out;
	res.nverified = v->nverified;
	res.nrejected = v->nrejected;
	res.cached = cached;
	tg_buf_detach(&js, (uint8_t **)&res.json, &res.json_len);
	*dec = res;
	memset(&res, 0, sizeof(res));
out:
	tg_gate_decision_release(&res);
	tg_buf_release(&js);
	tg_arena_release(&a);
	vres_unref(v);
	return r;
}
