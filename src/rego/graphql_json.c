/* SPDX-License-Identifier: Apache-2.0 */
/*
 * graphql_json.c - the GraphQL AST as OPA's graphql.* built-ins return it
 * (gqlparser's Go structs through encoding/json, then OPA's pruning of
 * Position, nulls and empty collections), and the reverse: AST objects
 * given to graphql.parse / is_valid / schema_is_valid, read the way Go's
 * json.Unmarshal fills those structs.
 */
#include "rego/graphql.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* ---- AST -> JSON ---- */

struct ob {
	struct tg_json_member m[12];
	size_t n;
};

struct jx {
	struct tg_gql_ctx *g;
	struct tg_arena *a;
	tg_err e;
};

static const struct tg_json *jstr(struct jx *x, struct tg_gql_s s)
{
	const struct tg_json *v = NULL;
	if (x->e)
		return NULL;
	x->e = tg_json_new_string(x->a, s.n ? s.p : "", s.n, &v);
	return x->e ? NULL : v;
}

static const struct tg_json *jcstr(struct jx *x, const char *s)
{
	struct tg_gql_s t = {s, strlen(s)};
	return jstr(x, t);
}

static void put(struct jx *x, struct ob *o, const char *k, const struct tg_json *v)
{
	if (!v || x->e)
		return;
	o->m[o->n].key = jcstr(x, k);
	o->m[o->n].val = v;
	if (!x->e)
		o->n++;
}

static const struct tg_json *done(struct jx *x, struct ob *o)
{
	const struct tg_json *v = NULL;
	if (x->e || o->n == 0)
		return NULL; /* empty objects are pruned */
	x->e = tg_json_new_object(x->a, o->m, o->n, TG_JSON_DUP_LAST, &v);
	return x->e ? NULL : v;
}

typedef const struct tg_json *(*conv_fn)(struct jx *x, const void *item);

static const struct tg_json *jlist(struct jx *x, const struct tg_gql_list *l, conv_fn f)
{
	const struct tg_json **items;
	const struct tg_json *v = NULL;
	size_t k = 0;
	if (x->e || l->n == 0)
		return NULL;
	items = tg_arena_alloc_array(x->a, l->n, sizeof(*items));
	if (!items) {
		x->e = TG_E_TOOBIG;
		return NULL;
	}
	for (size_t i = 0; i < l->n; i++) {
		const struct tg_json *it = l->v[i] ? f(x, l->v[i]) : NULL;
		if (x->e)
			return NULL;
		if (it)
			items[k++] = it;
	}
	if (k == 0)
		return NULL;
	x->e = tg_json_new_array(x->a, items, k, &v);
	return x->e ? NULL : v;
}

static const struct tg_json *c_str(struct jx *x, const void *item)
{
	return jstr(x, *(const struct tg_gql_s *)item);
}

static const struct tg_json *c_type(struct jx *x, const void *item)
{
	const struct tg_gql_type *t = item;
	struct ob o = {.n = 0};
	put(x, &o, "NamedType", jstr(x, t->named));
	if (t->elem)
		put(x, &o, "Elem", c_type(x, t->elem));
	put(x, &o, "NonNull", tg_json_bool(t->nonnull));
	return done(x, &o);
}

static const struct tg_json *c_value(struct jx *x, const void *item);

static const struct tg_json *c_child(struct jx *x, const void *item)
{
	const struct tg_gql_child *c = item;
	struct ob o = {.n = 0};
	put(x, &o, "Name", jstr(x, c->name));
	if (c->value)
		put(x, &o, "Value", c_value(x, c->value));
	return done(x, &o);
}

static const struct tg_json *c_value(struct jx *x, const void *item)
{
	const struct tg_gql_value *v = item;
	struct ob o = {.n = 0};
	const struct tg_json *k = NULL;
	put(x, &o, "Raw", jstr(x, v->raw));
	put(x, &o, "Children", jlist(x, &v->children, c_child));
	if (!x->e)
		x->e = tg_json_new_int(x->a, v->kind, &k);
	put(x, &o, "Kind", k);
	return done(x, &o);
}

static const struct tg_json *c_arg(struct jx *x, const void *item)
{
	const struct tg_gql_arg *a = item;
	struct ob o = {.n = 0};
	put(x, &o, "Name", jstr(x, a->name));
	if (a->value)
		put(x, &o, "Value", c_value(x, a->value));
	return done(x, &o);
}

static const struct tg_json *c_dir(struct jx *x, const void *item)
{
	const struct tg_gql_dir *d = item;
	struct ob o = {.n = 0};
	put(x, &o, "Name", jstr(x, d->name));
	put(x, &o, "Arguments", jlist(x, &d->args, c_arg));
	put(x, &o, "Location", jcstr(x, d->location ? d->location : ""));
	return done(x, &o);
}

static const struct tg_json *c_vardef(struct jx *x, const void *item)
{
	const struct tg_gql_vardef *d = item;
	struct ob o = {.n = 0};
	put(x, &o, "Variable", jstr(x, d->variable));
	if (d->type)
		put(x, &o, "Type", c_type(x, d->type));
	if (d->defval)
		put(x, &o, "DefaultValue", c_value(x, d->defval));
	put(x, &o, "Directives", jlist(x, &d->dirs, c_dir));
	put(x, &o, "Used", tg_json_bool(d->used));
	return done(x, &o);
}

static const struct tg_json *c_sel(struct jx *x, const void *item)
{
	const struct tg_gql_sel *s = item;
	struct ob o = {.n = 0};
	switch (s->kind) {
	case TG_GQL_FIELD:
		put(x, &o, "Alias", jstr(x, s->alias));
		put(x, &o, "Name", jstr(x, s->name));
		put(x, &o, "Arguments", jlist(x, &s->args, c_arg));
		put(x, &o, "Directives", jlist(x, &s->dirs, c_dir));
		put(x, &o, "SelectionSet", jlist(x, &s->selset, c_sel));
		break;
	case TG_GQL_SPREAD:
		put(x, &o, "Name", jstr(x, s->name));
		put(x, &o, "Directives", jlist(x, &s->dirs, c_dir));
		break;
	case TG_GQL_INLINE:
		put(x, &o, "TypeCondition", jstr(x, s->type_cond));
		put(x, &o, "Directives", jlist(x, &s->dirs, c_dir));
		put(x, &o, "SelectionSet", jlist(x, &s->selset, c_sel));
		break;
	}
	return done(x, &o);
}

static const struct tg_json *c_op(struct jx *x, const void *item)
{
	const struct tg_gql_op *op = item;
	struct ob o = {.n = 0};
	put(x, &o, "Operation", jstr(x, op->operation));
	put(x, &o, "Name", jstr(x, op->name));
	put(x, &o, "VariableDefinitions", jlist(x, &op->vardefs, c_vardef));
	put(x, &o, "Directives", jlist(x, &op->dirs, c_dir));
	put(x, &o, "SelectionSet", jlist(x, &op->selset, c_sel));
	return done(x, &o);
}

static const struct tg_json *c_frag(struct jx *x, const void *item)
{
	const struct tg_gql_frag *f = item;
	struct ob o = {.n = 0};
	put(x, &o, "Name", jstr(x, f->name));
	put(x, &o, "VariableDefinition", jlist(x, &f->vardefs, c_vardef));
	put(x, &o, "TypeCondition", jstr(x, f->type_cond));
	put(x, &o, "Directives", jlist(x, &f->dirs, c_dir));
	put(x, &o, "SelectionSet", jlist(x, &f->selset, c_sel));
	return done(x, &o);
}

static tg_err finish(struct jx *x, struct ob *o, const struct tg_json **out)
{
	const struct tg_json *v;
	if (x->e)
		return x->e;
	if (o->n == 0) {
		*out = &tg_json_empty_object_v;
		return TG_OK;
	}
	v = done(x, o);
	if (x->e)
		return x->e;
	*out = v;
	return TG_OK;
}

tg_err tg_gql_qdoc_json(struct tg_gql_ctx *g, struct tg_arena *a, const struct tg_gql_qdoc *d,
                        const struct tg_json **out)
{
	struct jx x = {g, a, TG_OK};
	struct ob o = {.n = 0};
	put(&x, &o, "Operations", jlist(&x, &d->ops, c_op));
	put(&x, &o, "Fragments", jlist(&x, &d->frags, c_frag));
	return finish(&x, &o, out);
}

/* FieldDefinition, ArgumentDefinition, EnumValueDefinition */
static const struct tg_json *c_fdef(struct jx *x, const void *item)
{
	const struct tg_gql_fdef *f = item;
	struct ob o = {.n = 0};
	put(x, &o, "Description", jstr(x, f->desc));
	put(x, &o, "Name", jstr(x, f->name));
	put(x, &o, "Arguments", jlist(x, &f->args, c_fdef));
	if (f->defval)
		put(x, &o, "DefaultValue", c_value(x, f->defval));
	if (f->type)
		put(x, &o, "Type", c_type(x, f->type));
	put(x, &o, "Directives", jlist(x, &f->dirs, c_dir));
	return done(x, &o);
}

static const struct tg_json *c_def(struct jx *x, const void *item)
{
	const struct tg_gql_def *d = item;
	struct ob o = {.n = 0};
	put(x, &o, "Kind", jstr(x, d->kind));
	put(x, &o, "Description", jstr(x, d->desc));
	put(x, &o, "Name", jstr(x, d->name));
	put(x, &o, "Directives", jlist(x, &d->dirs, c_dir));
	put(x, &o, "Interfaces", jlist(x, &d->ifaces, c_str));
	put(x, &o, "Fields", jlist(x, &d->fields, c_fdef));
	put(x, &o, "Types", jlist(x, &d->types, c_str));
	put(x, &o, "EnumValues", jlist(x, &d->evals, c_fdef));
	put(x, &o, "BuiltIn", tg_json_bool(d->builtin));
	return done(x, &o);
}

static const struct tg_json *c_dirdef(struct jx *x, const void *item)
{
	const struct tg_gql_dirdef *d = item;
	struct ob o = {.n = 0};
	put(x, &o, "Description", jstr(x, d->desc));
	put(x, &o, "Name", jstr(x, d->name));
	put(x, &o, "Arguments", jlist(x, &d->args, c_fdef));
	put(x, &o, "Locations", jlist(x, &d->locs, c_str));
	put(x, &o, "IsRepeatable", tg_json_bool(d->repeatable));
	return done(x, &o);
}

static const struct tg_json *c_optype(struct jx *x, const void *item)
{
	const struct tg_gql_optype *t = item;
	struct ob o = {.n = 0};
	put(x, &o, "Operation", jstr(x, t->operation));
	put(x, &o, "Type", jstr(x, t->type));
	return done(x, &o);
}

static const struct tg_json *c_schemadef(struct jx *x, const void *item)
{
	const struct tg_gql_schemadef *s = item;
	struct ob o = {.n = 0};
	put(x, &o, "Description", jstr(x, s->desc));
	put(x, &o, "Directives", jlist(x, &s->dirs, c_dir));
	put(x, &o, "OperationTypes", jlist(x, &s->optypes, c_optype));
	return done(x, &o);
}

tg_err tg_gql_sdoc_json(struct tg_gql_ctx *g, struct tg_arena *a, const struct tg_gql_sdoc *d,
                        const struct tg_json **out)
{
	struct jx x = {g, a, TG_OK};
	struct ob o = {.n = 0};
	put(&x, &o, "Schema", jlist(&x, &d->schema, c_schemadef));
	put(&x, &o, "SchemaExtension", jlist(&x, &d->schema_ext, c_schemadef));
	put(&x, &o, "Directives", jlist(&x, &d->directives, c_dirdef));
	put(&x, &o, "Definitions", jlist(&x, &d->defs, c_def));
	put(&x, &o, "Extensions", jlist(&x, &d->exts, c_def));
	return finish(&x, &o, out);
}

/* ---- JSON -> AST (Go's json.Unmarshal into gqlparser's structs) ---- */

struct rx {
	struct tg_gql_ctx *g;
	unsigned depth;
	bool bad; /* a type mismatch: Unmarshal fails */
	char msg[256];
};

static const char *go_kind(const struct tg_json *v)
{
	switch (v->type) {
	case TG_JSON_BOOL:
		return "bool";
	case TG_JSON_NUMBER:
		return "number";
	case TG_JSON_STRING:
		return "string";
	case TG_JSON_ARRAY:
	case TG_JSON_SET:
		return "array";
	case TG_JSON_OBJECT:
		return "object";
	default:
		return "null";
	}
}

static void mismatch(struct rx *r, const struct tg_json *v, const char *st, const char *field,
                     const char *gotype)
{
	if (r->bad)
		return;
	r->bad = true;
	if (field)
		snprintf(r->msg, sizeof(r->msg),
		         "json: cannot unmarshal %s into Go struct field %s.%s of type %s",
		         go_kind(v), st, field, gotype);
	else
		snprintf(r->msg, sizeof(r->msg),
		         "json: cannot unmarshal %s into Go value of type %s", go_kind(v), gotype);
}

/* A member of an object: exact name, or (Go's default decoding) any
 * case-insensitive match. */
static const struct tg_json *member(const struct tg_json *o, const char *k, bool fold)
{
	const struct tg_json *v = tg_json_get(o, k);
	if (v || !fold)
		return v;
	for (size_t i = 0; i < o->u.o.len; i++) {
		const struct tg_json *key = o->u.o.items[i].key;
		if (key->type == TG_JSON_STRING && key->u.s.len == strlen(k) &&
		    strncasecmp(key->u.s.p, k, key->u.s.len) == 0)
			return o->u.o.items[i].val;
	}
	return NULL;
}

static void rd_str(struct rx *r, const struct tg_json *o, const char *st, const char *k, bool fold,
                   struct tg_gql_s *out)
{
	const struct tg_json *v = member(o, k, fold);
	if (!v || v->type == TG_JSON_NULL)
		return;
	if (v->type != TG_JSON_STRING) {
		mismatch(r, v, st, fold ? k : NULL, "string");
		return;
	}
	out->p = v->u.s.p;
	out->n = v->u.s.len;
}

static void rd_bool(struct rx *r, const struct tg_json *o, const char *st, const char *k, bool *out)
{
	const struct tg_json *v = member(o, k, true);
	if (!v || v->type == TG_JSON_NULL)
		return;
	if (v->type != TG_JSON_BOOL) {
		mismatch(r, v, st, k, "bool");
		return;
	}
	*out = v->u.b;
}

static bool enter_obj(struct rx *r, const struct tg_json *v, const char *gotype)
{
	if (r->bad || r->g->err.msg[0])
		return false;
	if (v->type != TG_JSON_OBJECT) {
		mismatch(r, v, NULL, NULL, gotype);
		return false;
	}
	if (r->depth >= TG_GQL_MAX_OBJ_DEPTH) {
		tg_gql_toobig(r->g, "graphql AST object nesting exceeds the depth limit");
		return false;
	}
	r->depth++;
	return true;
}

typedef void *(*rd_fn)(struct rx *r, const struct tg_json *v);

/* A slice of pointers: null is an empty list; null elements are dropped. */
static void rd_list(struct rx *r, const struct tg_json *o, const char *st, const char *k, bool fold,
                    struct tg_gql_list *out, rd_fn f)
{
	const struct tg_json *v = member(o, k, fold);
	if (!v || v->type == TG_JSON_NULL)
		return;
	if (v->type != TG_JSON_ARRAY) {
		mismatch(r, v, st, fold ? k : NULL, "list");
		return;
	}
	for (size_t i = 0; i < v->u.a.len && !r->bad; i++) {
		void *it;
		if (v->u.a.items[i]->type == TG_JSON_NULL)
			continue;
		it = f(r, v->u.a.items[i]);
		if (!it)
			return;
		if (!tg_gql_push(r->g, out, it))
			return;
	}
}

static void *r_str(struct rx *r, const struct tg_json *v)
{
	struct tg_gql_s *s;
	if (v->type != TG_JSON_STRING) {
		mismatch(r, v, NULL, NULL, "string");
		return NULL;
	}
	s = tg_gql_new(r->g, sizeof(*s));
	if (s) {
		s->p = v->u.s.p;
		s->n = v->u.s.len;
	}
	return s;
}

static void *r_type(struct rx *r, const struct tg_json *v)
{
	struct tg_gql_type *t;
	const struct tg_json *e;
	if (!enter_obj(r, v, "ast.Type"))
		return NULL;
	t = tg_gql_new(r->g, sizeof(*t));
	if (!t)
		return NULL;
	rd_str(r, v, "Type", "NamedType", true, &t->named);
	rd_bool(r, v, "Type", "NonNull", &t->nonnull);
	e = member(v, "Elem", true);
	if (e && e->type != TG_JSON_NULL)
		t->elem = r_type(r, e);
	r->depth--;
	return r->bad ? NULL : t;
}

static void *r_value(struct rx *r, const struct tg_json *v);

static void *r_child(struct rx *r, const struct tg_json *v)
{
	struct tg_gql_child *c;
	const struct tg_json *e;
	if (!enter_obj(r, v, "ast.ChildValue"))
		return NULL;
	c = tg_gql_new(r->g, sizeof(*c));
	if (!c)
		return NULL;
	rd_str(r, v, "ChildValue", "Name", true, &c->name);
	e = member(v, "Value", true);
	if (e && e->type != TG_JSON_NULL)
		c->value = r_value(r, e);
	r->depth--;
	return r->bad ? NULL : c;
}

static void *r_value(struct rx *r, const struct tg_json *v)
{
	struct tg_gql_value *x;
	const struct tg_json *k;
	if (!enter_obj(r, v, "ast.Value"))
		return NULL;
	x = tg_gql_new(r->g, sizeof(*x));
	if (!x)
		return NULL;
	rd_str(r, v, "Value", "Raw", true, &x->raw);
	rd_list(r, v, "Value", "Children", true, &x->children, r_child);
	k = member(v, "Kind", true);
	if (k && k->type != TG_JSON_NULL) {
		int64_t n;
		if (k->type != TG_JSON_NUMBER || !(k->flags & TG_JSON_F_INTLIT) ||
		    tg_json_num_i64(k, &n) != TG_OK)
			mismatch(r, k, "Value", "Kind", "ast.ValueKind");
		else
			x->kind = n;
	}
	r->depth--;
	return r->bad ? NULL : x;
}

static void *r_arg(struct rx *r, const struct tg_json *v)
{
	struct tg_gql_arg *a;
	const struct tg_json *e;
	if (!enter_obj(r, v, "ast.Argument"))
		return NULL;
	a = tg_gql_new(r->g, sizeof(*a));
	if (!a)
		return NULL;
	rd_str(r, v, "Argument", "Name", true, &a->name);
	e = member(v, "Value", true);
	if (e && e->type != TG_JSON_NULL)
		a->value = r_value(r, e);
	r->depth--;
	return r->bad ? NULL : a;
}

static void *r_dir(struct rx *r, const struct tg_json *v)
{
	struct tg_gql_dir *d;
	struct tg_gql_s loc = {"", 0};
	if (!enter_obj(r, v, "ast.Directive"))
		return NULL;
	d = tg_gql_new(r->g, sizeof(*d));
	if (!d)
		return NULL;
	rd_str(r, v, "Directive", "Name", true, &d->name);
	rd_list(r, v, "Directive", "Arguments", true, &d->args, r_arg);
	rd_str(r, v, "Directive", "Location", true, &loc);
	d->location = tg_arena_strndup(&r->g->a, loc.p, loc.n);
	if (!d->location)
		d->location = "";
	r->depth--;
	return r->bad ? NULL : d;
}

static void *r_vardef(struct rx *r, const struct tg_json *v)
{
	struct tg_gql_vardef *d;
	const struct tg_json *e;
	if (!enter_obj(r, v, "ast.VariableDefinition"))
		return NULL;
	d = tg_gql_new(r->g, sizeof(*d));
	if (!d)
		return NULL;
	rd_str(r, v, "VariableDefinition", "Variable", true, &d->variable);
	e = member(v, "Type", true);
	if (e && e->type != TG_JSON_NULL)
		d->type = r_type(r, e);
	e = member(v, "DefaultValue", true);
	if (e && e->type != TG_JSON_NULL)
		d->defval = r_value(r, e);
	rd_list(r, v, "VariableDefinition", "Directives", true, &d->dirs, r_dir);
	rd_bool(r, v, "VariableDefinition", "Used", &d->used);
	r->depth--;
	return r->bad ? NULL : d;
}

static void rd_selset(struct rx *r, const struct tg_json *o, const char *k,
                      struct tg_gql_list *out);

/* One element of a SelectionSet: gqlparser's UnmarshalSelectionSet tries
 * Field, then FragmentSpread, then InlineFragment, and drops what none
 * accepts. Field takes any object, so selections come back as fields. */
static void *r_sel(struct rx *r, const struct tg_json *v)
{
	struct tg_gql_sel *s;
	struct rx t;
	if (v->type == TG_JSON_NULL) {
		s = tg_gql_new(r->g, sizeof(*s)); /* Field.UnmarshalJSON("null"): an empty field */
		if (s)
			s->kind = TG_GQL_FIELD;
		return s;
	}
	if (v->type != TG_JSON_OBJECT)
		return NULL;
	if (r->depth >= TG_GQL_MAX_OBJ_DEPTH) {
		tg_gql_toobig(r->g, "graphql AST object nesting exceeds the depth limit");
		return NULL;
	}
	s = tg_gql_new(r->g, sizeof(*s));
	if (!s)
		return NULL;
	/* Field (custom decoder: exact keys) */
	t = *r;
	t.bad = false;
	t.depth++;
	s->kind = TG_GQL_FIELD;
	rd_str(&t, v, "Field", "Alias", false, &s->alias);
	rd_str(&t, v, "Field", "Name", false, &s->name);
	rd_list(&t, v, "Field", "Arguments", false, &s->args, r_arg);
	rd_list(&t, v, "Field", "Directives", false, &s->dirs, r_dir);
	rd_selset(&t, v, "SelectionSet", &s->selset);
	if (!t.bad)
		return s;
	if (r->g->err.msg[0])
		return NULL;
	/* FragmentSpread (default decoder) */
	memset(s, 0, sizeof(*s));
	t = *r;
	t.bad = false;
	t.depth++;
	s->kind = TG_GQL_SPREAD;
	rd_str(&t, v, "FragmentSpread", "Name", true, &s->name);
	rd_list(&t, v, "FragmentSpread", "Directives", true, &s->dirs, r_dir);
	if (!t.bad)
		return s;
	if (r->g->err.msg[0])
		return NULL;
	/* InlineFragment (custom decoder) */
	memset(s, 0, sizeof(*s));
	t = *r;
	t.bad = false;
	t.depth++;
	s->kind = TG_GQL_INLINE;
	rd_str(&t, v, "InlineFragment", "TypeCondition", false, &s->type_cond);
	rd_list(&t, v, "InlineFragment", "Directives", false, &s->dirs, r_dir);
	rd_selset(&t, v, "SelectionSet", &s->selset);
	if (!t.bad)
		return s;
	return NULL;
}

static void rd_selset(struct rx *r, const struct tg_json *o, const char *k, struct tg_gql_list *out)
{
	const struct tg_json *v = member(o, k, false);
	if (!v || v->type == TG_JSON_NULL)
		return;
	if (v->type != TG_JSON_ARRAY) {
		mismatch(r, v, NULL, NULL, "[]json.RawMessage");
		return;
	}
	for (size_t i = 0; i < v->u.a.len && !r->bad && !r->g->err.msg[0]; i++) {
		void *it = r_sel(r, v->u.a.items[i]);
		if (it && !tg_gql_push(r->g, out, it))
			return;
	}
}

static void *r_op(struct rx *r, const struct tg_json *v)
{
	struct tg_gql_op *o;
	if (!enter_obj(r, v, "ast.OperationDefinition"))
		return NULL;
	o = tg_gql_new(r->g, sizeof(*o));
	if (!o)
		return NULL;
	rd_str(r, v, "OperationDefinition", "Operation", false, &o->operation);
	rd_str(r, v, "OperationDefinition", "Name", false, &o->name);
	rd_list(r, v, "OperationDefinition", "VariableDefinitions", false, &o->vardefs, r_vardef);
	rd_list(r, v, "OperationDefinition", "Directives", false, &o->dirs, r_dir);
	rd_selset(r, v, "SelectionSet", &o->selset);
	r->depth--;
	return r->bad ? NULL : o;
}

static void *r_frag(struct rx *r, const struct tg_json *v)
{
	struct tg_gql_frag *f;
	if (!enter_obj(r, v, "ast.FragmentDefinition"))
		return NULL;
	f = tg_gql_new(r->g, sizeof(*f));
	if (!f)
		return NULL;
	rd_str(r, v, "FragmentDefinition", "Name", false, &f->name);
	rd_list(r, v, "FragmentDefinition", "VariableDefinition", false, &f->vardefs, r_vardef);
	rd_str(r, v, "FragmentDefinition", "TypeCondition", false, &f->type_cond);
	rd_list(r, v, "FragmentDefinition", "Directives", false, &f->dirs, r_dir);
	rd_selset(r, v, "SelectionSet", &f->selset);
	r->depth--;
	return r->bad ? NULL : f;
}

static bool rx_done(struct rx *r)
{
	if (r->g->err.msg[0])
		return false;
	if (r->bad) {
		struct tg_gql_pos z = {0, 0, false};
		tg_gql_fail(r->g, z, "%s", r->msg);
		return false;
	}
	return true;
}

bool tg_gql_qdoc_from_json(struct tg_gql_ctx *g, const struct tg_json *v, struct tg_gql_qdoc **out)
{
	struct rx r = {g, 0, false, ""};
	struct tg_gql_qdoc *d = tg_gql_new(g, sizeof(*d));
	if (!d || !enter_obj(&r, v, "ast.QueryDocument"))
		return rx_done(&r) && false;
	rd_list(&r, v, "QueryDocument", "Operations", true, &d->ops, r_op);
	rd_list(&r, v, "QueryDocument", "Fragments", true, &d->frags, r_frag);
	if (!rx_done(&r))
		return false;
	*out = d;
	return true;
}

static void *r_fdef(struct rx *r, const struct tg_json *v)
{
	struct tg_gql_fdef *f;
	const struct tg_json *e;
	if (!enter_obj(r, v, "ast.FieldDefinition"))
		return NULL;
	f = tg_gql_new(r->g, sizeof(*f));
	if (!f)
		return NULL;
	rd_str(r, v, "FieldDefinition", "Description", true, &f->desc);
	rd_str(r, v, "FieldDefinition", "Name", true, &f->name);
	rd_list(r, v, "FieldDefinition", "Arguments", true, &f->args, r_fdef);
	e = member(v, "DefaultValue", true);
	if (e && e->type != TG_JSON_NULL)
		f->defval = r_value(r, e);
	e = member(v, "Type", true);
	if (e && e->type != TG_JSON_NULL)
		f->type = r_type(r, e);
	rd_list(r, v, "FieldDefinition", "Directives", true, &f->dirs, r_dir);
	r->depth--;
	return r->bad ? NULL : f;
}

/* EnumValueDefinition: only description, name, directives. */
static void *r_evdef(struct rx *r, const struct tg_json *v)
{
	struct tg_gql_fdef *f;
	if (!enter_obj(r, v, "ast.EnumValueDefinition"))
		return NULL;
	f = tg_gql_new(r->g, sizeof(*f));
	if (!f)
		return NULL;
	rd_str(r, v, "EnumValueDefinition", "Description", true, &f->desc);
	rd_str(r, v, "EnumValueDefinition", "Name", true, &f->name);
	rd_list(r, v, "EnumValueDefinition", "Directives", true, &f->dirs, r_dir);
	r->depth--;
	return r->bad ? NULL : f;
}

/* ArgumentDefinition: no nested arguments. */
static void *r_argdef(struct rx *r, const struct tg_json *v)
{
	struct tg_gql_fdef *f;
	const struct tg_json *e;
	if (!enter_obj(r, v, "ast.ArgumentDefinition"))
		return NULL;
	f = tg_gql_new(r->g, sizeof(*f));
	if (!f)
		return NULL;
	rd_str(r, v, "ArgumentDefinition", "Description", true, &f->desc);
	rd_str(r, v, "ArgumentDefinition", "Name", true, &f->name);
	e = member(v, "DefaultValue", true);
	if (e && e->type != TG_JSON_NULL)
		f->defval = r_value(r, e);
	e = member(v, "Type", true);
	if (e && e->type != TG_JSON_NULL)
		f->type = r_type(r, e);
	rd_list(r, v, "ArgumentDefinition", "Directives", true, &f->dirs, r_dir);
	r->depth--;
	return r->bad ? NULL : f;
}

static void *r_def(struct rx *r, const struct tg_json *v)
{
	struct tg_gql_def *d;
	if (!enter_obj(r, v, "ast.Definition"))
		return NULL;
	d = tg_gql_new(r->g, sizeof(*d));
	if (!d)
		return NULL;
	rd_str(r, v, "Definition", "Kind", true, &d->kind);
	rd_str(r, v, "Definition", "Description", true, &d->desc);
	rd_str(r, v, "Definition", "Name", true, &d->name);
	rd_list(r, v, "Definition", "Directives", true, &d->dirs, r_dir);
	rd_list(r, v, "Definition", "Interfaces", true, &d->ifaces, r_str);
	rd_list(r, v, "Definition", "Fields", true, &d->fields, r_fdef);
	rd_list(r, v, "Definition", "Types", true, &d->types, r_str);
	rd_list(r, v, "Definition", "EnumValues", true, &d->evals, r_evdef);
	rd_bool(r, v, "Definition", "BuiltIn", &d->builtin);
	r->depth--;
	return r->bad ? NULL : d;
}

static void *r_dirdef(struct rx *r, const struct tg_json *v)
{
	struct tg_gql_dirdef *d;
	if (!enter_obj(r, v, "ast.DirectiveDefinition"))
		return NULL;
	d = tg_gql_new(r->g, sizeof(*d));
	if (!d)
		return NULL;
	rd_str(r, v, "DirectiveDefinition", "Description", true, &d->desc);
	rd_str(r, v, "DirectiveDefinition", "Name", true, &d->name);
	rd_list(r, v, "DirectiveDefinition", "Arguments", true, &d->args, r_argdef);
	rd_list(r, v, "DirectiveDefinition", "Locations", true, &d->locs, r_str);
	rd_bool(r, v, "DirectiveDefinition", "IsRepeatable", &d->repeatable);
	r->depth--;
	return r->bad ? NULL : d;
}

static void *r_optype(struct rx *r, const struct tg_json *v)
{
	struct tg_gql_optype *t;
	if (!enter_obj(r, v, "ast.OperationTypeDefinition"))
		return NULL;
	t = tg_gql_new(r->g, sizeof(*t));
	if (!t)
		return NULL;
	rd_str(r, v, "OperationTypeDefinition", "Operation", true, &t->operation);
	rd_str(r, v, "OperationTypeDefinition", "Type", true, &t->type);
	r->depth--;
	return r->bad ? NULL : t;
}

static void *r_schemadef(struct rx *r, const struct tg_json *v)
{
	struct tg_gql_schemadef *s;
	if (!enter_obj(r, v, "ast.SchemaDefinition"))
		return NULL;
	s = tg_gql_new(r->g, sizeof(*s));
	if (!s)
		return NULL;
	rd_str(r, v, "SchemaDefinition", "Description", true, &s->desc);
	rd_list(r, v, "SchemaDefinition", "Directives", true, &s->dirs, r_dir);
	rd_list(r, v, "SchemaDefinition", "OperationTypes", true, &s->optypes, r_optype);
	r->depth--;
	return r->bad ? NULL : s;
}

bool tg_gql_sdoc_from_json(struct tg_gql_ctx *g, const struct tg_json *v, struct tg_gql_sdoc **out)
{
	struct rx r = {g, 0, false, ""};
	struct tg_gql_sdoc *d = tg_gql_new(g, sizeof(*d));
	if (!d || !enter_obj(&r, v, "ast.SchemaDocument"))
		return rx_done(&r) && false;
	rd_list(&r, v, "SchemaDocument", "Schema", true, &d->schema, r_schemadef);
	rd_list(&r, v, "SchemaDocument", "SchemaExtension", true, &d->schema_ext, r_schemadef);
	rd_list(&r, v, "SchemaDocument", "Directives", true, &d->directives, r_dirdef);
	rd_list(&r, v, "SchemaDocument", "Definitions", true, &d->defs, r_def);
	rd_list(&r, v, "SchemaDocument", "Extensions", true, &d->exts, r_def);
	if (!rx_done(&r))
		return false;
	*out = d;
	return true;
}
