/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rego_api.c - the engine's API: builders collect modules and data,
 * compiled policies and prepared queries are immutable and reference
 * counted, evaluation runs with its own arena and limits, and results and
 * errors come out in OPA's shapes (tollgate/rego.h and rego/rego.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/limits.h"
#include "core/mem.h"
#include "rego/rego_eval.h"
#include "rego/rego_ir.h"

/* Data documents live in an arena shared by the builder and every policy
 * compiled from it (data can be large: it is never copied). */
struct shared_arena {
	_Atomic long refs;
	struct tg_arena a;
};

static struct shared_arena *shared_new(size_t max)
{
	struct shared_arena *s = tg_xcalloc(1, sizeof(*s));
	s->refs = 1;
	tg_arena_init(&s->a, max);
	return s;
}

static void shared_unref(struct shared_arena *s)
{
	if (s && --s->refs == 0) {
		tg_arena_release(&s->a);
		free(s);
	}
}

struct tg_rego_builder {
	struct tg_arena arena; /* parsed modules */
	const struct tg_rego_module **mods;
	size_t nmods, capmods;
	struct shared_arena *data_arena;
	const struct tg_json *data;
	struct tg_rego_errors errs;
	struct tg_buf errjson;
};

/* A compiled policy keeps the data arena it was built with. */
struct policy_extra {
	struct shared_arena *data_arena;
};

/* ---- errors ---- */

void tg_rego_errors_init(struct tg_rego_errors *e)
{
	memset(e, 0, sizeof(*e));
}

void tg_rego_errors_release(struct tg_rego_errors *e)
{
	if (!e)
		return;
	free(e->v);
	memset(e, 0, sizeof(*e));
}

/* Messages quote input: bytes that are not UTF-8 become '?'. */
static tg_err add_jstr(struct tg_buf *b, const char *s, size_t n)
{
	char *c;
	size_t i;
	tg_err rc = tg_json_add_string(b, s, n);
	if (rc != TG_E_ENCODING)
		return rc;
	c = tg_xmalloc(n + 1);
	for (i = 0; i < n; i++)
		c[i] = (unsigned char)s[i] >= 0x80 ? '?' : s[i];
	rc = tg_json_add_string(b, c, n);
	free(c);
	return rc;
}

tg_err tg_rego_errors_json(const struct tg_rego_errors *e, struct tg_buf *out)
{
	size_t i;
	tg_err rc = TG_OK;
#define W(x)                                                                                       \
	do {                                                                                       \
		if ((rc = (x)) != TG_OK)                                                           \
			goto out;                                                                  \
	} while (0)
	W(tg_buf_adds(out, "{\n  \"errors\": [\n"));
	for (i = 0; i < e->n; i++) {
		const struct tg_rego_error *x = &e->v[i];
		const char *nl = strchr(x->msg, '\n');
		size_t mlen = nl ? (size_t)(nl - x->msg) : strlen(x->msg);
		W(tg_buf_adds(out, "    {\n      \"code\": "));
		W(add_jstr(out, x->code, strlen(x->code)));
		W(tg_buf_adds(out, ",\n      \"message\": "));
		W(add_jstr(out, x->msg, mlen));
		if (x->loc.row) {
			W(tg_buf_adds(out, ",\n      \"location\": {\n        \"file\": "));
			W(add_jstr(out, x->loc.file ? x->loc.file : "", x->loc.file ? strlen(x->loc.file) : 0));
			W(tg_buf_addf(out, ",\n        \"row\": %u,\n        \"col\": %u\n      }", x->loc.row,
				      x->loc.col));
		}
		W(tg_buf_adds(out, i + 1 < e->n ? "\n    },\n" : "\n    }\n"));
	}
	W(tg_buf_adds(out, "  ]\n}"));
#undef W
out:
	return rc;
}

tg_err tg_rego_errors_text(const struct tg_rego_errors *e, struct tg_buf *out)
{
	size_t i;
	tg_err rc = TG_OK;
	if (e->n > 1 && (rc = tg_buf_addf(out, "%zu errors occurred:\n", e->n)) != TG_OK)
		return rc;
	for (i = 0; i < e->n && rc == TG_OK; i++) {
		const struct tg_rego_error *x = &e->v[i];
		if (x->loc.row && x->loc.file && x->loc.file[0])
			rc = tg_buf_addf(out, "%s:%u: %s: %s\n", x->loc.file, x->loc.row, x->code, x->msg);
		else if (x->loc.row)
			rc = tg_buf_addf(out, "%u:%u: %s: %s\n", x->loc.row, x->loc.col, x->code, x->msg);
		else
			rc = tg_buf_addf(out, "%s: %s\n", x->code, x->msg);
	}
	if (rc == TG_OK && e->limit)
		rc = tg_buf_adds(out, "rego_compile_error: error limit reached\n");
	return rc;
}

/* ---- builder ---- */

int tg_rego_builder_new(struct tg_rego_builder **out)
{
	struct tg_rego_builder *b = tg_xcalloc(1, sizeof(*b));
	tg_arena_init(&b->arena, TG_LIMIT_REGO_POLICY);
	b->data_arena = shared_new(TG_LIMIT_REGO_DATA);
	tg_buf_init(&b->errjson, TG_LIMIT_REGO_POLICY);
	*out = b;
	return TG_OK;
}

void tg_rego_builder_free(struct tg_rego_builder *b)
{
	if (!b)
		return;
	tg_arena_release(&b->arena);
	free(b->mods);
	shared_unref(b->data_arena);
	tg_rego_errors_release(&b->errs);
	tg_buf_release(&b->errjson);
	free(b);
}

tg_err tg_rego_builder_add_ast(struct tg_rego_builder *b, const struct tg_rego_module *m)
{
	if (b->nmods == b->capmods) {
		b->capmods = b->capmods ? b->capmods * 2 : 8;
		b->mods = tg_xreallocarray(b->mods, b->capmods, sizeof(*b->mods));
	}
	b->mods[b->nmods++] = m;
	return TG_OK;
}

size_t tg_rego_builder_nmodules(const struct tg_rego_builder *b)
{
	return b->nmods;
}

const struct tg_rego_module *tg_rego_builder_module(const struct tg_rego_builder *b, size_t i)
{
	return i < b->nmods ? b->mods[i] : NULL;
}

tg_err tg_rego_builder_add_text(struct tg_rego_builder *b, const char *file, const char *text,
				size_t n, int version, struct tg_rego_errors *errs)
{
	struct tg_rego_module *m = NULL;
	struct tg_rego_error err;
	const char *f = tg_arena_strndup(&b->arena, file ? file : "", file ? strlen(file) : 0);
	tg_err rc;
	if (!f)
		return TG_E_TOOBIG;
	memset(&err, 0, sizeof(err));
	rc = tg_rego_parse_module(&b->arena, f, text, n, version, &m, &err);
	if (rc != TG_OK) {
		if (!err.code)
			err.code = "rego_parse_error";
		if (!err.loc.file)
			err.loc.file = f;
		tg_rego_errors_add(errs, err.code, &err.loc, "%s", err.msg[0] ? err.msg : tg_strerror(rc));
		return rc == TG_E_TOOBIG ? rc : TG_E_PARSE;
	}
	return tg_rego_builder_add_ast(b, m);
}

/* Merges b into a (objects recursively); conflict when a non-object value
 * would be replaced by a different one. */
static tg_err merge_data(struct tg_arena *ar, const struct tg_json *a, const struct tg_json *b,
			 const struct tg_json **out, unsigned depth)
{
	struct tg_json_member *m;
	size_t i = 0, j = 0, n = 0;
	tg_err rc;
	if (!a) {
		*out = b;
		return TG_OK;
	}
	if (a->type != TG_JSON_OBJECT || b->type != TG_JSON_OBJECT) {
		if (tg_json_eq(a, b)) {
			*out = a;
			return TG_OK;
		}
		return TG_E_CONFLICT;
	}
	if (depth > TG_LIMIT_JSON_DEPTH)
		return TG_E_DEPTH;
	m = tg_arena_alloc_array(ar, a->u.o.len + b->u.o.len + 1, sizeof(*m));
	if (!m)
		return TG_E_TOOBIG;
	while (i < a->u.o.len || j < b->u.o.len) {
		int c = i == a->u.o.len	  ? 1
			: j == b->u.o.len ? -1
					  : tg_json_cmp(a->u.o.items[i].key, b->u.o.items[j].key);
		if (c < 0)
			m[n++] = a->u.o.items[i++];
		else if (c > 0)
			m[n++] = b->u.o.items[j++];
		else {
			m[n].key = a->u.o.items[i].key;
			rc = merge_data(ar, a->u.o.items[i].val, b->u.o.items[j].val, &m[n].val, depth + 1);
			if (rc != TG_OK)
				return rc;
			n++;
			i++;
			j++;
		}
	}
	return tg_json_new_object(ar, m, n, TG_JSON_DUP_REJECT, out);
}

tg_err tg_rego_builder_add_value(struct tg_rego_builder *b, const struct tg_json *doc,
				 const char *name)
{
	const struct tg_json *c, *merged = NULL;
	tg_err rc;
	if (doc->type != TG_JSON_OBJECT) {
		tg_rego_errors_add(&b->errs, "rego_parse_error", NULL,
				   "data document %s must be an object", name ? name : "");
		return TG_E_TYPE;
	}
	c = tg_rego_json_copy(&b->data_arena->a, doc, 0);
	if (!c)
		return TG_E_TOOBIG;
	rc = merge_data(&b->data_arena->a, b->data, c, &merged, 0);
	if (rc == TG_E_CONFLICT)
		tg_rego_errors_add(&b->errs, "rego_parse_error", NULL,
				   "data document %s conflicts with documents loaded before", name ? name : "");
	if (rc != TG_OK)
		return rc;
	b->data = merged;
	return TG_OK;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

int tg_rego_builder_add_data(struct tg_rego_builder *b, const char *name, const char *text, size_t n)
{
	tg_rego_errors_release(&b->errs);
	return tg_rego_builder_add_data_at(b, name, text, n, NULL, 0, &b->errs);
}

/* Wraps doc in objects for the keys of path (data.a.b for a/b/x.json). */
static tg_err nest(struct tg_arena *a, const char *const *path, size_t npath, const struct tg_json *doc,
		   const struct tg_json **out)
{
	tg_err rc;
	while (npath-- > 0) {
		struct tg_json_member m;
		if ((rc = tg_json_new_string(a, path[npath], strlen(path[npath]), &m.key)) != TG_OK)
			return rc;
		m.val = doc;
		if ((rc = tg_json_new_object(a, &m, 1, TG_JSON_DUP_LAST, &doc)) != TG_OK)
			return rc;
	}
	*out = doc;
	return TG_OK;
}

/* Merges a parsed data document v (from name) into the builder's data. */
static tg_err add_parsed(struct tg_rego_builder *b, const char *name, const struct tg_json *v,
			 const char *const *path, size_t npath, struct tg_rego_errors *errs)
{
	const struct tg_json *merged = NULL;
	tg_err rc;
	if (v->type == TG_JSON_NULL)
		return TG_OK; /* an empty document */
	if (v->type != TG_JSON_OBJECT && npath == 0) {
		tg_rego_errors_add(errs, "rego_parse_error", NULL,
				   "%s: a data document must be an object", name ? name : "data");
		return TG_E_TYPE;
	}
	if (npath && (rc = nest(&b->data_arena->a, path, npath, v, &v)) != TG_OK)
		return rc;
	rc = merge_data(&b->data_arena->a, b->data, v, &merged, 0);
	if (rc == TG_E_CONFLICT)
		tg_rego_errors_add(errs, "rego_parse_error", NULL,
				   "%s: conflicts with data documents loaded before", name ? name : "data");
	if (rc != TG_OK)
		return rc;
	b->data = merged;
	return TG_OK;
}

static void parse_error(struct tg_rego_errors *errs, const char *name, const struct tg_diag *d,
			tg_err rc)
{
	struct tg_rego_loc loc = {name ? name : "", d->line, d->col};
	tg_rego_errors_add(errs, "rego_parse_error", d->line ? &loc : NULL, "%s: %s", name ? name : "data",
			   d->msg[0] ? d->msg : tg_strerror(rc));
}

tg_err tg_rego_builder_add_data_at(struct tg_rego_builder *b, const char *name, const char *text,
				   size_t n, const char *const *path, size_t npath,
				   struct tg_rego_errors *errs)
{
	const struct tg_json *v = NULL;
	struct tg_diag d;
	struct tg_json_parse_opts po = {TG_JSON_DUP_LAST, 0, false};
	tg_err rc;
	tg_diag_init(&d);
	if (name && (ends_with(name, ".yaml") || ends_with(name, ".yml")))
		rc = tg_rego_yaml_parse(&b->data_arena->a, text, n, &v, &d);
	else
		rc = tg_json_parse_data(&b->data_arena->a, text, n, &po, &v, &d);
	if (rc != TG_OK) {
		parse_error(errs, name, &d, rc);
		return rc;
	}
	return add_parsed(b, name, v, path, npath, errs);
}

tg_err tg_rego_builder_add_data_file(struct tg_rego_builder *b, const char *path,
				     const char *const *keys, size_t nkeys, struct tg_rego_errors *errs)
{
	const struct tg_json *v = NULL;
	struct tg_diag d;
	struct tg_json_parse_opts po = {TG_JSON_DUP_LAST, 0, false};
	tg_err rc;
	int fd;
	tg_diag_init(&d);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		tg_rego_errors_add(errs, "rego_parse_error", NULL, "cannot open '%s': %s", path,
				   strerror(errno));
		return TG_E_IO;
	}
	rc = tg_json_parse_fd(&b->data_arena->a, fd, TG_LIMIT_JSON_DOC, &po, &v, &d);
	close(fd);
	if (rc == TG_E_IO || (rc == TG_E_TOOBIG && !d.line)) {
		tg_rego_errors_add(errs, "rego_parse_error", NULL, "cannot read '%s': %s", path,
				   d.msg[0] ? d.msg : tg_strerror(rc));
		return rc;
	}
	if (rc != TG_OK) {
		parse_error(errs, path, &d, rc);
		return rc;
	}
	return add_parsed(b, path, v, keys, nkeys, errs);
}

int tg_rego_builder_add_module(struct tg_rego_builder *b, const char *file, const char *text, size_t n,
			       int version)
{
	tg_rego_errors_release(&b->errs);
	return tg_rego_builder_add_text(b, file, text, n, version, &b->errs);
}

tg_err tg_rego_builder_build(struct tg_rego_builder *b, unsigned caps, struct tg_rego_policy **out,
			     struct tg_rego_errors *errs)
{
	struct tg_rego_policy *p = tg_xcalloc(1, sizeof(*p) + sizeof(struct policy_extra));
	struct policy_extra *x = (struct policy_extra *)(void *)(p + 1);
	tg_err rc;
	p->refs = 1;
	p->caps = caps;
	tg_arena_init(&p->arena, TG_LIMIT_REGO_POLICY);
	x->data_arena = b->data_arena;
	b->data_arena->refs++;
	p->data = b->data ? b->data : &tg_json_empty_object_v;
	rc = tg_rego_compile_modules(p, b->mods, b->nmods, errs);
	if (rc != TG_OK) {
		/* error locations must outlive the policy: name the builder's copy */
		size_t i, j;
		for (i = 0; errs && i < errs->n; i++)
			for (j = 0; j < b->nmods; j++)
				if (errs->v[i].loc.file && b->mods[j]->file &&
				    strcmp(errs->v[i].loc.file, b->mods[j]->file) == 0) {
					errs->v[i].loc.file = b->mods[j]->file;
					break;
				}
		tg_rego_policy_free(p);
		return rc;
	}
	*out = p;
	return TG_OK;
}

int tg_rego_builder_compile(struct tg_rego_builder *b, unsigned caps, struct tg_rego_policy **out)
{
	tg_rego_errors_release(&b->errs);
	return tg_rego_builder_build(b, caps, out, &b->errs);
}

const char *tg_rego_builder_errors(const struct tg_rego_builder *b)
{
	struct tg_rego_builder *mb = (struct tg_rego_builder *)b;
	if (!b->errs.n)
		return NULL;
	tg_buf_reset(&mb->errjson);
	if (tg_rego_errors_json(&b->errs, &mb->errjson) != TG_OK)
		return NULL;
	return tg_buf_str(&mb->errjson);
}

/* ---- policies ---- */

struct tg_rego_policy *tg_rego_policy_ref(struct tg_rego_policy *p)
{
	if (p)
		p->refs++;
	return p;
}

void tg_rego_policy_free(struct tg_rego_policy *p)
{
	struct policy_extra *x;
	if (!p || --p->refs > 0)
		return;
	x = (struct policy_extra *)(void *)(p + 1);
	shared_unref(x->data_arena);
	tg_arena_release(&p->arena);
	free(p->names.slot);
	free(p);
}

tg_err tg_rego_policy_tests(const struct tg_rego_policy *p, struct tg_arena *a,
			    const struct tg_json **out)
{
	struct vl {
		const struct tg_json **v;
		size_t n, cap;
	} l = {0};
	uint32_t mi, ri;
	tg_err rc;
	for (mi = 0; mi < p->nmods; mi++) {
		const struct rg_module *m = p->mods[mi];
		for (ri = 0; ri < m->nrules; ri++) {
			const struct rg_rule *r = m->rules[ri];
			const struct rg_term *last = r->ref->u.c.items[r->ref->u.c.n - 1];
			struct tg_buf name = TG_BUF_INIT(4096);
			const struct tg_json *s = NULL;
			size_t k;
			if (r->kind == RG_RK_FUNC || r->ground != r->ref->u.c.n || last->kind != RG_VAL ||
			    last->u.v->type != TG_JSON_STRING || last->u.v->u.s.len < 5 ||
			    memcmp(last->u.v->u.s.p, "test_", 5) != 0)
				continue;
			tg_rego_term_print(&name, r->ref);
			rc = tg_json_new_string(a, tg_buf_str(&name), name.len, &s);
			tg_buf_release(&name);
			if (rc != TG_OK)
				return rc;
			for (k = 0; k < l.n; k++)
				if (tg_json_eq(l.v[k], s))
					break;
			if (k < l.n)
				continue;
			if (l.n == l.cap) {
				size_t ncap = l.cap ? l.cap * 2 : 16;
				const struct tg_json **nv = tg_arena_alloc_array(a, ncap, sizeof(*nv));
				if (!nv)
					return TG_E_TOOBIG;
				if (l.n)
					memcpy(nv, l.v, l.n * sizeof(*nv));
				l.v = nv;
				l.cap = ncap;
			}
			l.v[l.n++] = s;
		}
	}
	return tg_json_new_array(a, l.v, l.n, out);
}

/* ---- queries ---- */

tg_err tg_rego_query_prepare(struct tg_rego_policy *p, const char *text, size_t n, int version,
			     struct tg_rego_query **out, struct tg_rego_errors *errs)
{
	struct tg_rego_query *q = tg_xcalloc(1, sizeof(*q));
	struct tg_arena ast;
	struct tg_rego_body *body = NULL;
	struct tg_rego_error err;
	tg_err rc;
	tg_arena_init(&q->arena, TG_LIMIT_REGO_POLICY);
	tg_arena_init(&ast, TG_LIMIT_REGO_POLICY);
	q->policy = tg_rego_policy_ref(p);
	q->text = tg_arena_strndup(&q->arena, text, n);
	memset(&err, 0, sizeof(err));
	rc = tg_rego_parse_query(&ast, text, n, version, &body, &err);
	if (rc != TG_OK) {
		tg_rego_errors_add(errs, err.code ? err.code : "rego_parse_error", err.loc.row ? &err.loc : NULL,
				   "%s", err.msg[0] ? err.msg : tg_strerror(rc));
		rc = rc == TG_E_TOOBIG ? rc : TG_E_PARSE;
		goto out;
	}
	rc = tg_rego_compile_query(q, body, text, n, errs);
out:
	tg_arena_release(&ast);
	if (rc != TG_OK) {
		tg_rego_query_free(q);
		return rc;
	}
	*out = q;
	return TG_OK;
}

void tg_rego_query_free(struct tg_rego_query *q)
{
	if (!q)
		return;
	tg_rego_policy_free(q->policy);
	tg_arena_release(&q->arena);
	free(q);
}

/* ---- evaluation ---- */

/* Objects with non-string keys have no JSON form: keys become their JSON
 * text, as OPA prints them. */
static const struct tg_json *jsonable(struct tg_arena *a, const struct tg_json *v, unsigned depth,
				      bool *oom)
{
	size_t i;
	bool change = false;
	if (depth > 1024)
		return v;
	switch (v->type) {
	case TG_JSON_ARRAY:
	case TG_JSON_SET: {
		const struct tg_json **items = NULL, *out = NULL;
		for (i = 0; i < v->u.a.len; i++) {
			const struct tg_json *x = jsonable(a, v->u.a.items[i], depth + 1, oom);
			if (x != v->u.a.items[i] && !items) {
				items = tg_arena_alloc_array(a, v->u.a.len + 1, sizeof(*items));
				if (!items) {
					*oom = true;
					return v;
				}
				memcpy(items, v->u.a.items, i * sizeof(*items));
			}
			if (items)
				items[i] = x;
		}
		if (!items)
			return v;
		if ((v->type == TG_JSON_ARRAY ? tg_json_new_array(a, items, v->u.a.len, &out)
					      : tg_json_new_set(a, items, v->u.a.len, &out)) != TG_OK) {
			*oom = true;
			return v;
		}
		return out;
	}
	case TG_JSON_OBJECT: {
		struct tg_json_member *m;
		const struct tg_json *out = NULL;
		for (i = 0; i < v->u.o.len && !change; i++)
			if (v->u.o.items[i].key->type != TG_JSON_STRING ||
			    jsonable(a, v->u.o.items[i].val, depth + 1, oom) != v->u.o.items[i].val)
				change = true;
		if (!change)
			return v;
		m = tg_arena_alloc_array(a, v->u.o.len + 1, sizeof(*m));
		if (!m) {
			*oom = true;
			return v;
		}
		for (i = 0; i < v->u.o.len; i++) {
			const struct tg_json *k = v->u.o.items[i].key;
			if (k->type != TG_JSON_STRING) {
				struct tg_buf b = TG_BUF_INIT(1 << 20);
				const struct tg_json *jk = jsonable(a, k, depth + 1, oom), *s = NULL;
				if (tg_json_emit(&b, jk, 0) != TG_OK ||
				    tg_json_new_string(a, tg_buf_str(&b), b.len, &s) != TG_OK) {
					tg_buf_release(&b);
					*oom = true;
					return v;
				}
				tg_buf_release(&b);
				k = s;
			}
			m[i].key = k;
			m[i].val = jsonable(a, v->u.o.items[i].val, depth + 1, oom);
		}
		if (tg_json_new_object(a, m, v->u.o.len, TG_JSON_DUP_LAST, &out) != TG_OK) {
			*oom = true;
			return v;
		}
		return out;
	}
	default:
		return v;
	}
}

struct rows_sink {
	struct ev_row_sink base;
	const struct tg_rego_query *q;
	const struct tg_json **rows;
	size_t n, cap;
	const struct tg_json *k_expressions, *k_bindings, *k_value, *k_text, *k_location, *k_row, *k_col;
};

static const struct tg_json *kstr(struct tg_arena *a, const char *s)
{
	const struct tg_json *v = NULL;
	return tg_json_new_string(a, s, strlen(s), &v) == TG_OK ? v : NULL;
}

static tg_err row_sink(struct ev *e, struct ev_row_sink *s, const struct ev_frame *f)
{
	struct rows_sink *rs = (struct rows_sink *)(void *)s;
	const struct tg_rego_query *q = rs->q;
	struct tg_json_member *bm, rm[2], em[3], lm[2];
	const struct tg_json **exprs, *row = NULL, *loc = NULL, *x = NULL, *b = NULL, *arr = NULL;
	uint32_t i, nb = 0;
	bool oom = false;

	exprs = tg_arena_alloc_array(e->a, q->norig + 1, sizeof(*exprs));
	bm = tg_arena_alloc_array(e->a, q->nvars + 1, sizeof(*bm));
	if (!exprs || !bm)
		goto oom;
	for (i = 0; i < q->norig; i++) {
		const struct rg_expr *ex = q->orig[i];
		const struct tg_json *v = &tg_json_true_v, *text = NULL;
		if (ex->capture >= 0 && (uint32_t)ex->capture < f->n) {
			const struct tg_json *c = f->s[ex->capture].v;
			if (!c && f->s[ex->capture].t)
				c = tg_rego_ev_plug(e, f, f->s[ex->capture].t);
			if (c)
				v = c;
		}
		v = jsonable(e->a, v, 0, &oom);
		if (tg_json_new_string(e->a, ex->text ? ex->text : "", ex->text ? strlen(ex->text) : 0,
				       &text) != TG_OK)
			goto oom;
		lm[0].key = rs->k_row;
		lm[1].key = rs->k_col;
		lm[0].val = tg_rego_ev_int(e, ex->loc.row);
		lm[1].val = tg_rego_ev_int(e, ex->loc.col);
		if (!lm[0].val || !lm[1].val ||
		    tg_json_new_object(e->a, lm, 2, TG_JSON_DUP_LAST, &loc) != TG_OK)
			goto oom;
		em[0].key = rs->k_value;
		em[0].val = v;
		em[1].key = rs->k_text;
		em[1].val = text;
		em[2].key = rs->k_location;
		em[2].val = loc;
		if (tg_json_new_object(e->a, em, 3, TG_JSON_DUP_LAST, &x) != TG_OK)
			goto oom;
		exprs[i] = x;
	}
	for (i = 0; i < q->nvars; i++) {
		const struct tg_json *v;
		int32_t slot = q->vars[i].slot;
		if (slot < 0 || (uint32_t)slot >= f->n)
			continue;
		v = tg_rego_ev_plug(e, f, &(struct rg_term){.kind = RG_VAR, .slot = slot});
		if (!v)
			continue;
		bm[nb].key = kstr(e->a, q->vars[i].name);
		bm[nb].val = jsonable(e->a, v, 0, &oom);
		if (!bm[nb].key)
			goto oom;
		nb++;
	}
	if (tg_json_new_array(e->a, exprs, q->norig, &arr) != TG_OK)
		goto oom;
	rm[0].key = rs->k_expressions;
	rm[0].val = arr;
	if (nb) {
		if (tg_json_new_object(e->a, bm, nb, TG_JSON_DUP_LAST, &b) != TG_OK)
			goto oom;
		rm[1].key = rs->k_bindings;
		rm[1].val = b;
	}
	if (tg_json_new_object(e->a, rm, nb ? 2 : 1, TG_JSON_DUP_LAST, &row) != TG_OK || oom)
		goto oom;
	if (rs->n == rs->cap) {
		size_t ncap = rs->cap ? rs->cap * 2 : 8;
		const struct tg_json **nr = tg_arena_alloc_array(e->a, ncap, sizeof(*nr));
		if (!nr)
			goto oom;
		if (rs->n)
			memcpy(nr, rs->rows, rs->n * sizeof(*nr));
		rs->rows = nr;
		rs->cap = ncap;
	}
	rs->rows[rs->n++] = row;
	return TG_OK;
oom:
	e->oom = true;
	return tg_rego_ev_error(e, TG_E_TOOBIG, "eval_cancel_error", NULL,
				"evaluation exceeded its memory limit (%zu bytes)", e->a->max);
}

static int64_t wall_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static uint64_t mono_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

tg_err tg_rego_query_eval(const struct tg_rego_query *q, const struct tg_json *input,
			  const struct tg_rego_options *o, struct tg_arena *a,
			  const struct tg_json **result, struct tg_rego_errors *errs,
			  struct tg_rego_stats *stats)
{
	struct ev e;
	struct ev_ctx cx;
	struct rows_sink rs;
	struct { void *head; } bcache = {NULL};
	char probe;
	tg_err rc;
	size_t used0 = tg_arena_used(a);

	memset(&e, 0, sizeof(e));
	memset(&cx, 0, sizeof(cx));
	memset(&rs, 0, sizeof(rs));
	e.p = q->policy;
	e.o = o;
	e.a = a;
	e.errs = errs;
	e.steps_max = o && o->limits.steps ? o->limits.steps : TG_LIMIT_REGO_STEPS;
	e.steps_left = e.steps_max;
	e.depth_max = o && o->limits.depth ? o->limits.depth : TG_LIMIT_REGO_DEPTH;
	e.stack_base = (uintptr_t)&probe;
	e.stack_max = o && o->limits.stack ? o->limits.stack : TG_LIMIT_REGO_STACK;
	e.deadline_ns = o && o->limits.timeout_ms ? mono_now() + o->limits.timeout_ms * 1000000u : 0;
	e.now_ns = o && o->now_ns ? o->now_ns : wall_ns();
	e.bcache = &bcache;
	e.cx = &cx;
	cx.input = input;
	cx.data = q->policy->data;

	rs.base.fn = row_sink;
	rs.q = q;
	rs.k_expressions = kstr(a, "expressions");
	rs.k_bindings = kstr(a, "bindings");
	rs.k_value = kstr(a, "value");
	rs.k_text = kstr(a, "text");
	rs.k_location = kstr(a, "location");
	rs.k_row = kstr(a, "row");
	rs.k_col = kstr(a, "col");
	if (!rs.k_expressions || !rs.k_bindings || !rs.k_value || !rs.k_text || !rs.k_location ||
	    !rs.k_row || !rs.k_col) {
		rc = TG_E_TOOBIG;
		tg_rego_errors_add(errs, "eval_cancel_error", NULL, "evaluation exceeded its memory limit");
		goto out;
	}
	rc = tg_rego_ev_run(&e, q, &rs.base);
	if (rc == TG_OK)
		rc = tg_json_new_array(a, rs.rows, rs.n, result);
	if (rc != TG_OK && errs && errs->n == 0)
		tg_rego_errors_add(errs, "eval_internal_error", NULL, "%s", tg_strerror(rc));
out:
	if (stats) {
		stats->steps = e.steps_max - e.steps_left;
		stats->bytes = tg_arena_used(a) - used0;
	}
	free(e.trail);
	return rc;
}

/* ---- output ---- */

/* Appends v pretty-printed with every line after the first indented. */
static tg_err emit_indented(struct tg_buf *out, const struct tg_json *v, unsigned indent)
{
	struct tg_buf tmp = TG_BUF_INIT(TG_LIMIT_JSON_DOC);
	size_t i, start = 0;
	tg_err rc = tg_json_emit(&tmp, v, TG_JSON_EMIT_PRETTY);
	for (i = 0; rc == TG_OK && i < tmp.len; i++) {
		if (tmp.data[i] != '\n')
			continue;
		rc = tg_buf_add(out, tmp.data + start, i + 1 - start);
		if (rc == TG_OK)
			rc = tg_buf_addf(out, "%*s", (int)indent, "");
		start = i + 1;
	}
	if (rc == TG_OK)
		rc = tg_buf_add(out, tmp.data + start, tmp.len - start);
	tg_buf_release(&tmp);
	return rc;
}

tg_err tg_rego_result_json(const struct tg_json *rows, struct tg_buf *out)
{
	size_t i, j;
	tg_err rc = TG_OK;
#define W(x)                                                                                       \
	do {                                                                                       \
		if ((rc = (x)) != TG_OK)                                                           \
			return rc;                                                                 \
	} while (0)
	if (!rows || rows->u.a.len == 0)
		return tg_buf_adds(out, "{}");
	W(tg_buf_adds(out, "{\n  \"result\": [\n"));
	for (i = 0; i < rows->u.a.len; i++) {
		const struct tg_json *row = rows->u.a.items[i];
		const struct tg_json *exprs = tg_json_get(row, "expressions");
		const struct tg_json *b = tg_json_get(row, "bindings");
		W(tg_buf_adds(out, "    {\n      \"expressions\": [\n"));
		for (j = 0; exprs && j < exprs->u.a.len; j++) {
			const struct tg_json *x = exprs->u.a.items[j];
			const struct tg_json *loc = tg_json_get(x, "location");
			W(tg_buf_adds(out, "        {\n          \"value\": "));
			W(emit_indented(out, tg_json_get(x, "value"), 10));
			W(tg_buf_adds(out, ",\n          \"text\": "));
			W(tg_json_emit(out, tg_json_get(x, "text"), 0));
			W(tg_buf_adds(out, ",\n          \"location\": {\n            \"row\": "));
			W(tg_json_emit(out, tg_json_get(loc, "row"), 0));
			W(tg_buf_adds(out, ",\n            \"col\": "));
			W(tg_json_emit(out, tg_json_get(loc, "col"), 0));
			W(tg_buf_adds(out, "\n          }\n        }"));
			W(tg_buf_adds(out, j + 1 < exprs->u.a.len ? ",\n" : "\n"));
		}
		W(tg_buf_adds(out, "      ]"));
		if (b) {
			W(tg_buf_adds(out, ",\n      \"bindings\": "));
			W(emit_indented(out, b, 6));
		}
		W(tg_buf_adds(out, i + 1 < rows->u.a.len ? "\n    },\n" : "\n    }\n"));
	}
	W(tg_buf_adds(out, "  ]\n}"));
#undef W
	return rc;
}

/* ---- the public API over it ---- */

static char *buf_take(struct tg_buf *b, size_t *len)
{
	uint8_t *p = NULL;
	size_t n = 0;
	tg_buf_detach(b, &p, &n);
	if (len)
		*len = n;
	return (char *)p;
}

static char *errors_text(const struct tg_rego_errors *errs)
{
	struct tg_buf b = TG_BUF_INIT(TG_LIMIT_JSON_DOC);
	if (tg_rego_errors_json(errs, &b) != TG_OK) {
		tg_buf_release(&b);
		return NULL;
	}
	return buf_take(&b, NULL);
}

int tg_rego_query_new(struct tg_rego_policy *p, const char *query, size_t n, int version,
		      struct tg_rego_query **out, char **errors)
{
	struct tg_rego_errors errs;
	tg_err rc;
	tg_rego_errors_init(&errs);
	if (errors)
		*errors = NULL;
	rc = tg_rego_query_prepare(p, query, n, version, out, &errs);
	if (rc != TG_OK && errors)
		*errors = errors_text(&errs);
	tg_rego_errors_release(&errs);
	return rc;
}

static tg_err run_value(const struct tg_rego_query *q, const char *input, size_t n,
			const struct tg_rego_options *o, struct tg_arena *a, const struct tg_json **rows,
			struct tg_rego_errors *errs)
{
	const struct tg_json *in = NULL;
	tg_err rc;
	if (input) {
		struct tg_diag d;
		tg_diag_init(&d);
		rc = tg_json_parse(a, input, n, NULL, &in, NULL, &d);
		if (rc != TG_OK) {
			struct tg_rego_loc loc = {"input", d.line, d.col};
			tg_rego_errors_add(errs, "rego_parse_error", d.line ? &loc : NULL, "input: %s", d.msg);
			return rc;
		}
	}
	return tg_rego_query_eval(q, in, o, a, rows, errs, NULL);
}

int tg_rego_query_run(const struct tg_rego_query *q, const char *input, size_t n,
		      const struct tg_rego_options *o, char **out, size_t *outlen)
{
	struct tg_arena a;
	struct tg_rego_errors errs;
	const struct tg_json *rows = NULL;
	struct tg_buf b = TG_BUF_INIT(TG_LIMIT_JSON_DOC);
	tg_err rc;
	tg_arena_init(&a, o && o->limits.memory ? o->limits.memory : TG_LIMIT_REGO_MEMORY);
	tg_rego_errors_init(&errs);
	*out = NULL;
	rc = run_value(q, input, n, o, &a, &rows, &errs);
	if (rc == TG_OK) {
		rc = tg_rego_result_json(rows, &b);
		if (rc == TG_OK)
			*out = buf_take(&b, outlen);
	} else {
		*out = errors_text(&errs);
		if (outlen)
			*outlen = *out ? strlen(*out) : 0;
	}
	tg_buf_release(&b);
	tg_rego_errors_release(&errs);
	tg_arena_release(&a);
	return rc;
}

int tg_rego_query_decide(const struct tg_rego_query *q, const char *input, size_t n,
			 const struct tg_rego_options *o, bool *allowed, char **errors)
{
	struct tg_arena a;
	struct tg_rego_errors errs;
	const struct tg_json *rows = NULL;
	tg_err rc;
	tg_arena_init(&a, o && o->limits.memory ? o->limits.memory : TG_LIMIT_REGO_MEMORY);
	tg_rego_errors_init(&errs);
	*allowed = false;
	if (errors)
		*errors = NULL;
	rc = run_value(q, input, n, o, &a, &rows, &errs);
	if (rc == TG_OK && rows->u.a.len == 1) {
		const struct tg_json *ex = tg_json_get(rows->u.a.items[0], "expressions");
		const struct tg_json *v = ex && ex->u.a.len ? tg_json_get(ex->u.a.items[0], "value") : NULL;
		*allowed = v && v->type == TG_JSON_BOOL && v->u.b;
	} else if (rc != TG_OK && errors) {
		*errors = errors_text(&errs);
	}
	tg_rego_errors_release(&errs);
	tg_arena_release(&a);
	return rc;
}

void tg_rego_string_free(char *s)
{
	free(s);
}

const char *tg_rego_strerror(int code)
{
	return tg_strerror((tg_err)code);
}

/* ---- ground AST terms as values (input_term of test cases) ---- */

static tg_err term_value(struct tg_arena *a, const struct tg_rego_term *t, const struct tg_json **out,
			 unsigned depth)
{
	const struct tg_json **items;
	size_t i, n;
	tg_err rc;
	if (depth > TG_LIMIT_JSON_DEPTH)
		return TG_E_DEPTH;
	switch (t->kind) {
	case TG_RT_SCALAR:
		*out = t->u.value;
		return TG_OK;
	case TG_RT_REF:
		if (t->u.ref.n == 1)
			return term_value(a, t->u.ref.items[0], out, depth + 1);
		return TG_E_TYPE;
	case TG_RT_ARRAY:
	case TG_RT_SET:
		n = t->u.coll.n;
		items = tg_arena_alloc_array(a, n + 1, sizeof(*items));
		if (!items)
			return TG_E_TOOBIG;
		for (i = 0; i < n; i++)
			if ((rc = term_value(a, t->u.coll.items[i], &items[i], depth + 1)) != TG_OK)
				return rc;
		return t->kind == TG_RT_ARRAY ? tg_json_new_array(a, items, n, out)
					      : tg_json_new_set(a, items, n, out);
	case TG_RT_OBJECT: {
		struct tg_json_member *m;
		n = t->u.coll.n / 2;
		m = tg_arena_alloc_array(a, n + 1, sizeof(*m));
		if (!m)
			return TG_E_TOOBIG;
		for (i = 0; i < n; i++) {
			if ((rc = term_value(a, t->u.coll.items[2 * i], &m[i].key, depth + 1)) != TG_OK ||
			    (rc = term_value(a, t->u.coll.items[2 * i + 1], &m[i].val, depth + 1)) != TG_OK)
				return rc;
		}
		return tg_json_new_object(a, m, n, TG_JSON_DUP_LAST, out);
	}
	default:
		return TG_E_TYPE;
	}
}

tg_err tg_rego_term_value(struct tg_arena *a, const struct tg_rego_term *t, const struct tg_json **out)
{
	return term_value(a, t, out, 0);
}
