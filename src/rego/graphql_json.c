/* SPDX-License-Identifier: Apache-2.0 */
/*
 * graphql_json.c - the GraphQL AST as OPA's graphql.* built-ins return it
 * (gqlparser's Go structs through encoding/json, then OPA's pruning of
 * Position, nulls and empty collections), and the reverse: AST objects
 * given to graphql.parse / is_valid / schema_is_valid, read the way Go's
 * json.Unmarshal fills those structs.
 */
#include "rego/graphql.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/mem.h"

/*
 * gqlparser's structs, member by member: where each sits in ours and what
 * it holds. The writer walks these tables to build the JSON (whose objects
 * come out sorted by key whatever the order), the reader to fill the
 * structs, in table order, which decides the first mismatch it reports.
 */
struct jx;
struct rx;
typedef const struct tg_json *(*conv_fn)(struct jx *x, const void *item);
typedef void *(*rd_fn)(struct rx *r, const struct tg_json *v);

enum fkind {
	F_STR,    /* struct tg_gql_s */
	F_CSTR,   /* const char * ("" when absent) */
	F_BOOL,   /* bool */
	F_KIND,   /* int64_t, ast.ValueKind */
	F_LIST,   /* struct tg_gql_list of what conv / rd convert */
	F_PTR,    /* a pointer to what conv / rd convert, left out when NULL */
	F_SELSET, /* struct tg_gql_list of struct tg_gql_sel */
};

struct field {
	const char *key; /* the Go name; NULL ends a table */
	enum fkind kind;
	size_t off;
	conv_fn conv; /* F_LIST, F_PTR */
	rd_fn rd;
};

struct desc {
	const char *gotype; /* "ast.<struct>" */
	size_t size;
	bool fold; /* Go's default decoder (case-insensitive keys), not a custom one */
	const struct field *f;
};

static const struct tg_json *c_str(struct jx *x, const void *item);
static void *r_str(struct rx *r, const struct tg_json *v);
#define DECLARE(name)                                                                              \
	static const struct tg_json *c_##name(struct jx *x, const void *item);                     \
	static void *r_##name(struct rx *r, const struct tg_json *v)
DECLARE(type);
DECLARE(value);
DECLARE(child);
DECLARE(arg);
DECLARE(dir);
DECLARE(vardef);
DECLARE(sel);
DECLARE(op);
DECLARE(frag);
DECLARE(fdef);
DECLARE(def);
DECLARE(dirdef);
DECLARE(optype);
DECLARE(schemadef);
#undef DECLARE
static void *r_evdef(struct rx *r, const struct tg_json *v);
static void *r_argdef(struct rx *r, const struct tg_json *v);

/* F: a member of struct tg_gql_<st>; S: one whose items convert by c_<sub>, r_<sub> */
#define F(st, key, kind, m)                                                                        \
	{                                                                                          \
		key, kind, offsetof(struct tg_gql_##st, m), NULL, NULL                             \
	}
#define S(st, key, kind, m, sub)                                                                   \
	{                                                                                          \
		key, kind, offsetof(struct tg_gql_##st, m), c_##sub, r_##sub                       \
	}
#define END                                                                                        \
	{                                                                                          \
		NULL, F_STR, 0, NULL, NULL                                                         \
	}
#define DESC(name, go, st, fold)                                                                   \
	{                                                                                          \
		go, sizeof(struct tg_gql_##st), fold, f_##name                                     \
	}

static const struct field f_type[] = {
        F(type, "NamedType", F_STR, named),
        F(type, "NonNull", F_BOOL, nonnull),
        S(type, "Elem", F_PTR, elem, type),
        END,
};
static const struct desc d_type = DESC(type, "ast.Type", type, true);

static const struct field f_child[] = {
        F(child, "Name", F_STR, name),
        S(child, "Value", F_PTR, value, value),
        END,
};
static const struct desc d_child = DESC(child, "ast.ChildValue", child, true);

static const struct field f_value[] = {
        F(value, "Raw", F_STR, raw),
        S(value, "Children", F_LIST, children, child),
        F(value, "Kind", F_KIND, kind),
        END,
};
static const struct desc d_value = DESC(value, "ast.Value", value, true);

static const struct field f_arg[] = {
        F(arg, "Name", F_STR, name),
        S(arg, "Value", F_PTR, value, value),
        END,
};
static const struct desc d_arg = DESC(arg, "ast.Argument", arg, true);

static const struct field f_dir[] = {
        F(dir, "Name", F_STR, name),
        S(dir, "Arguments", F_LIST, args, arg),
        F(dir, "Location", F_CSTR, location),
        END,
};
static const struct desc d_dir = DESC(dir, "ast.Directive", dir, true);

static const struct field f_vardef[] = {
        F(vardef, "Variable", F_STR, variable),
        S(vardef, "Type", F_PTR, type, type),
        S(vardef, "DefaultValue", F_PTR, defval, value),
        S(vardef, "Directives", F_LIST, dirs, dir),
        F(vardef, "Used", F_BOOL, used),
        END,
};
static const struct desc d_vardef = DESC(vardef, "ast.VariableDefinition", vardef, true);

/* A selection is one of three Go types, by its kind (see r_sel). */
static const struct field f_field[] = {
        F(sel, "Alias", F_STR, alias),
        F(sel, "Name", F_STR, name),
        S(sel, "Arguments", F_LIST, args, arg),
        S(sel, "Directives", F_LIST, dirs, dir),
        F(sel, "SelectionSet", F_SELSET, selset),
        END,
};
static const struct field f_spread[] = {
        F(sel, "Name", F_STR, name),
        S(sel, "Directives", F_LIST, dirs, dir),
        END,
};
static const struct field f_inline[] = {
        F(sel, "TypeCondition", F_STR, type_cond),
        S(sel, "Directives", F_LIST, dirs, dir),
        F(sel, "SelectionSet", F_SELSET, selset),
        END,
};
static const struct {
	enum tg_gql_selkind kind;
	struct desc d;
} sel_types[] = {
        {TG_GQL_FIELD, DESC(field, "ast.Field", sel, false)},
        {TG_GQL_SPREAD, DESC(spread, "ast.FragmentSpread", sel, true)},
        {TG_GQL_INLINE, DESC(inline, "ast.InlineFragment", sel, false)},
};

static const struct field f_op[] = {
        F(op, "Operation", F_STR, operation),
        F(op, "Name", F_STR, name),
        S(op, "VariableDefinitions", F_LIST, vardefs, vardef),
        S(op, "Directives", F_LIST, dirs, dir),
        F(op, "SelectionSet", F_SELSET, selset),
        END,
};
static const struct desc d_op = DESC(op, "ast.OperationDefinition", op, false);

static const struct field f_frag[] = {
        F(frag, "Name", F_STR, name),
        S(frag, "VariableDefinition", F_LIST, vardefs, vardef),
        F(frag, "TypeCondition", F_STR, type_cond),
        S(frag, "Directives", F_LIST, dirs, dir),
        F(frag, "SelectionSet", F_SELSET, selset),
        END,
};
static const struct desc d_frag = DESC(frag, "ast.FragmentDefinition", frag, false);

static const struct field f_qdoc[] = {
        S(qdoc, "Operations", F_LIST, ops, op),
        S(qdoc, "Fragments", F_LIST, frags, frag),
        END,
};
static const struct desc d_qdoc = DESC(qdoc, "ast.QueryDocument", qdoc, true);

/* FieldDefinition; the JSON of ArgumentDefinition and EnumValueDefinition
 * too (their unused members stay empty, and are pruned). */
static const struct field f_fdef[] = {
        F(fdef, "Description", F_STR, desc),
        F(fdef, "Name", F_STR, name),
        S(fdef, "Arguments", F_LIST, args, fdef),
        S(fdef, "DefaultValue", F_PTR, defval, value),
        S(fdef, "Type", F_PTR, type, type),
        S(fdef, "Directives", F_LIST, dirs, dir),
        END,
};
static const struct desc d_fdef = DESC(fdef, "ast.FieldDefinition", fdef, true);

/* EnumValueDefinition, when read: only description, name, directives. */
static const struct field f_evdef[] = {
        F(fdef, "Description", F_STR, desc),
        F(fdef, "Name", F_STR, name),
        S(fdef, "Directives", F_LIST, dirs, dir),
        END,
};
static const struct desc d_evdef = DESC(evdef, "ast.EnumValueDefinition", fdef, true);

/* ArgumentDefinition, when read: no nested arguments. */
static const struct field f_argdef[] = {
        F(fdef, "Description", F_STR, desc),           F(fdef, "Name", F_STR, name),
        S(fdef, "DefaultValue", F_PTR, defval, value), S(fdef, "Type", F_PTR, type, type),
        S(fdef, "Directives", F_LIST, dirs, dir),      END,
};
static const struct desc d_argdef = DESC(argdef, "ast.ArgumentDefinition", fdef, true);

static const struct field f_def[] = {
        F(def, "Kind", F_STR, kind),
        F(def, "Description", F_STR, desc),
        F(def, "Name", F_STR, name),
        S(def, "Directives", F_LIST, dirs, dir),
        S(def, "Interfaces", F_LIST, ifaces, str),
        S(def, "Fields", F_LIST, fields, fdef),
        S(def, "Types", F_LIST, types, str),
        {"EnumValues", F_LIST, offsetof(struct tg_gql_def, evals), c_fdef, r_evdef},
        F(def, "BuiltIn", F_BOOL, builtin),
        END,
};
static const struct desc d_def = DESC(def, "ast.Definition", def, true);

static const struct field f_dirdef[] = {
        F(dirdef, "Description", F_STR, desc),
        F(dirdef, "Name", F_STR, name),
        {"Arguments", F_LIST, offsetof(struct tg_gql_dirdef, args), c_fdef, r_argdef},
        S(dirdef, "Locations", F_LIST, locs, str),
        F(dirdef, "IsRepeatable", F_BOOL, repeatable),
        END,
};
static const struct desc d_dirdef = DESC(dirdef, "ast.DirectiveDefinition", dirdef, true);

static const struct field f_optype[] = {
        F(optype, "Operation", F_STR, operation),
        F(optype, "Type", F_STR, type),
        END,
};
static const struct desc d_optype = DESC(optype, "ast.OperationTypeDefinition", optype, true);

static const struct field f_schemadef[] = {
        F(schemadef, "Description", F_STR, desc),
        S(schemadef, "Directives", F_LIST, dirs, dir),
        S(schemadef, "OperationTypes", F_LIST, optypes, optype),
        END,
};
static const struct desc d_schemadef = DESC(schemadef, "ast.SchemaDefinition", schemadef, true);

static const struct field f_sdoc[] = {
        S(sdoc, "Schema", F_LIST, schema, schemadef),
        S(sdoc, "SchemaExtension", F_LIST, schema_ext, schemadef),
        S(sdoc, "Directives", F_LIST, directives, dirdef),
        S(sdoc, "Definitions", F_LIST, defs, def),
        S(sdoc, "Extensions", F_LIST, exts, def),
        END,
};
static const struct desc d_sdoc = DESC(sdoc, "ast.SchemaDocument", sdoc, true);

#undef F
#undef S
#undef END
#undef DESC

/* The selection table for a kind; NULL for none. */
static const struct desc *sel_desc(enum tg_gql_selkind kind)
{
	for (size_t i = 0; i < TG_ARRAY_LEN(sel_types); i++)
		if (sel_types[i].kind == kind)
			return &sel_types[i].d;
	return NULL;
}

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

static void put_fields(struct jx *x, struct ob *o, const void *item, const struct desc *d)
{
	for (const struct field *f = d->f; f->key; f++) {
		const char *p = (const char *)item + f->off;
		const struct tg_json *v = NULL;
		const void *q;
		switch (f->kind) {
		case F_STR:
			v = jstr(x, *(const struct tg_gql_s *)p);
			break;
		case F_CSTR:
			memcpy(&q, p, sizeof(q));
			v = jcstr(x, q ? q : "");
			break;
		case F_BOOL:
			v = tg_json_bool(*(const bool *)p);
			break;
		case F_KIND:
			if (!x->e)
				x->e = tg_json_new_int(x->a, *(const int64_t *)p, &v);
			break;
		case F_LIST:
			v = jlist(x, (const struct tg_gql_list *)p, f->conv);
			break;
		case F_PTR:
			memcpy(&q, p, sizeof(q));
			if (!q)
				continue;
			v = f->conv(x, q);
			break;
		case F_SELSET:
			v = jlist(x, (const struct tg_gql_list *)p, c_sel);
			break;
		}
		put(x, o, f->key, v);
	}
}

static const struct tg_json *conv_obj(struct jx *x, const void *item, const struct desc *d)
{
	struct ob o = {.n = 0};
	put_fields(x, &o, item, d);
	return done(x, &o);
}

static const struct tg_json *c_str(struct jx *x, const void *item)
{
	return jstr(x, *(const struct tg_gql_s *)item);
}

static const struct tg_json *c_sel(struct jx *x, const void *item)
{
	const struct tg_gql_sel *s = item;
	const struct desc *d = sel_desc(s->kind);
	return d ? conv_obj(x, s, d) : NULL;
}

/* A whole document: an empty one is {}, not pruned. */
static tg_err doc_json(struct tg_gql_ctx *g, struct tg_arena *a, const void *doc,
                       const struct desc *d, const struct tg_json **out)
{
	struct jx x = {g, a, TG_OK};
	struct ob o = {.n = 0};
	const struct tg_json *v;
	put_fields(&x, &o, doc, d);
	if (x.e)
		return x.e;
	if (o.n == 0) {
		*out = &tg_json_empty_object_v;
		return TG_OK;
	}
	v = done(&x, &o);
	if (x.e)
		return x.e;
	*out = v;
	return TG_OK;
}

tg_err tg_gql_qdoc_json(struct tg_gql_ctx *g, struct tg_arena *a, const struct tg_gql_qdoc *d,
                        const struct tg_json **out)
{
	return doc_json(g, a, d, &d_qdoc, out);
}

tg_err tg_gql_sdoc_json(struct tg_gql_ctx *g, struct tg_arena *a, const struct tg_gql_sdoc *d,
                        const struct tg_json **out)
{
	return doc_json(g, a, d, &d_sdoc, out);
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

/* ast.ValueKind: an integer literal that fits int64. */
static void rd_kind(struct rx *r, const struct tg_json *o, const char *st, const char *k,
                    int64_t *out)
{
	const struct tg_json *v = member(o, k, true);
	int64_t n;
	if (!v || v->type == TG_JSON_NULL)
		return;
	if (v->type != TG_JSON_NUMBER || !(v->flags & TG_JSON_F_INTLIT) ||
	    tg_json_num_i64(v, &n) != TG_OK)
		mismatch(r, v, st, k, "ast.ValueKind");
	else
		*out = n;
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

static void rd_selset(struct rx *r, const struct tg_json *o, const char *k,
                      struct tg_gql_list *out);

/* The members of one object into obj. Each read goes on past a mismatch
 * (which only the first sets), as Unmarshal does. */
static void rd_fields(struct rx *r, const struct tg_json *v, const struct desc *d, void *obj)
{
	const char *st = d->gotype + 4; /* without "ast." */
	for (const struct field *f = d->f; f->key; f++) {
		char *p = (char *)obj + f->off;
		const struct tg_json *e;
		struct tg_gql_s loc = {"", 0};
		const char *cs;
		void *q;
		switch (f->kind) {
		case F_STR:
			rd_str(r, v, st, f->key, d->fold, (struct tg_gql_s *)p);
			break;
		case F_CSTR:
			rd_str(r, v, st, f->key, d->fold, &loc);
			cs = tg_arena_strndup(&r->g->a, loc.p, loc.n);
			if (!cs)
				cs = "";
			memcpy(p, &cs, sizeof(cs));
			break;
		case F_BOOL:
			rd_bool(r, v, st, f->key, (bool *)p);
			break;
		case F_KIND:
			rd_kind(r, v, st, f->key, (int64_t *)p);
			break;
		case F_LIST:
			rd_list(r, v, st, f->key, d->fold, (struct tg_gql_list *)p, f->rd);
			break;
		case F_PTR:
			e = member(v, f->key, true);
			if (e && e->type != TG_JSON_NULL) {
				q = f->rd(r, e);
				memcpy(p, &q, sizeof(q));
			}
			break;
		case F_SELSET:
			rd_selset(r, v, f->key, (struct tg_gql_list *)p);
			break;
		}
	}
}

static void *rd_obj(struct rx *r, const struct tg_json *v, const struct desc *d)
{
	void *o;
	if (!enter_obj(r, v, d->gotype))
		return NULL;
	o = tg_gql_new(r->g, d->size);
	if (!o)
		return NULL;
	rd_fields(r, v, d, o);
	r->depth--;
	return r->bad ? NULL : o;
}

/* The conv_fn and rd_fn of each table, for the lists and pointers that
 * hold its struct. */
#define CONVERTERS(name)                                                                           \
	static const struct tg_json *c_##name(struct jx *x, const void *item)                      \
	{                                                                                          \
		return conv_obj(x, item, &d_##name);                                               \
	}                                                                                          \
	static void *r_##name(struct rx *r, const struct tg_json *v)                               \
	{                                                                                          \
		return rd_obj(r, v, &d_##name);                                                    \
	}
CONVERTERS(type)
CONVERTERS(value)
CONVERTERS(child)
CONVERTERS(arg)
CONVERTERS(dir)
CONVERTERS(vardef)
CONVERTERS(op)
CONVERTERS(frag)
CONVERTERS(fdef)
CONVERTERS(def)
CONVERTERS(dirdef)
CONVERTERS(optype)
CONVERTERS(schemadef)
#undef CONVERTERS

static void *r_evdef(struct rx *r, const struct tg_json *v)
{
	return rd_obj(r, v, &d_evdef);
}

static void *r_argdef(struct rx *r, const struct tg_json *v)
{
	return rd_obj(r, v, &d_argdef);
}

/* One element of a SelectionSet: gqlparser's UnmarshalSelectionSet tries
 * Field, then FragmentSpread, then InlineFragment, and drops what none
 * accepts. Field takes any object, so selections come back as fields. */
static void *r_sel(struct rx *r, const struct tg_json *v)
{
	struct tg_gql_sel *s;
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
	for (size_t i = 0; i < TG_ARRAY_LEN(sel_types); i++) {
		struct rx t = *r;
		if (i > 0) {
			if (r->g->err.msg[0])
				return NULL;
			memset(s, 0, sizeof(*s));
		}
		t.bad = false;
		t.depth++;
		s->kind = sel_types[i].kind;
		rd_fields(&t, v, &sel_types[i].d, s);
		if (!t.bad)
			return s;
	}
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

/* A whole document: unlike its members, allocated before its type is
 * checked, and a mismatch becomes g's error. */
static void *rd_doc(struct tg_gql_ctx *g, const struct tg_json *v, const struct desc *d)
{
	struct rx r = {g, 0, false, ""};
	void *o = tg_gql_new(g, d->size);
	if (!o || !enter_obj(&r, v, d->gotype)) {
		(void)rx_done(&r);
		return NULL;
	}
	rd_fields(&r, v, d, o);
	return rx_done(&r) ? o : NULL;
}

bool tg_gql_qdoc_from_json(struct tg_gql_ctx *g, const struct tg_json *v, struct tg_gql_qdoc **out)
{
	struct tg_gql_qdoc *d = rd_doc(g, v, &d_qdoc);
	if (!d)
		return false;
	*out = d;
	return true;
}

bool tg_gql_sdoc_from_json(struct tg_gql_ctx *g, const struct tg_json *v, struct tg_gql_sdoc **out)
{
	struct tg_gql_sdoc *d = rd_doc(g, v, &d_sdoc);
	if (!d)
		return false;
	*out = d;
	return true;
}
