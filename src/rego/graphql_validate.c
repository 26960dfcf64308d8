/* SPDX-License-Identifier: Apache-2.0 */
/*
 * graphql_validate.c - gqlparser v2.5.1's validation: the schema document
 * checks of ValidateSchemaDocument (over the GraphQL prelude merged with
 * the caller's schema) and the query rules of validator/rules, run by a
 * walker that fires the same events in the same order, so that the first
 * error (the one OPA reports) is the same.
 */
#include "rego/graphql.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A bounded message builder (messages are truncated, never fail). */
struct mb {
	char s[2048];
	size_t n;
};

static void mb_init(struct mb *m)
{
	m->n = 0;
	m->s[0] = '\0';
}

static void mb_add(struct mb *m, const char *p, size_t n)
{
	if (n > sizeof(m->s) - 1 - m->n)
		n = sizeof(m->s) - 1 - m->n;
	if (n)
		memcpy(m->s + m->n, p, n);
	m->n += n;
	m->s[m->n] = '\0';
}

static void mb_adds(struct mb *m, const char *s)
{
	mb_add(m, s, strlen(s));
}

static void mb_addc(struct mb *m, char c)
{
	mb_add(m, &c, 1);
}

static void mb_addf(struct mb *m, const char *fmt, ...) TG_PRINTF(2, 3);
static void mb_addf(struct mb *m, const char *fmt, ...)
{
	char t[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(t, sizeof(t), fmt, ap);
	va_end(ap);
	mb_adds(m, t);
}

/* ---- a string-keyed hash map in the call's arena ---- */

struct gmap {
	struct tg_gql_s *k;
	void **v;
	size_t cap, n;
};

static uint64_t hash_s(struct tg_gql_s s)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < s.n; i++)
		h = (h ^ (unsigned char)s.p[i]) * 1099511628211ull;
	return h;
}

static void **gmap_slot(struct gmap *m, struct tg_gql_s key, bool *found)
{
	size_t i = (size_t)hash_s(key) & (m->cap - 1);
	*found = false;
	while (m->k[i].p) {
		if (tg_gql_seq(m->k[i], key)) {
			*found = true;
			return &m->v[i];
		}
		i = (i + 1) & (m->cap - 1);
	}
	return &m->v[i];
}

static void *gmap_get(const struct gmap *m, struct tg_gql_s key)
{
	bool f;
	if (!m->cap)
		return NULL;
	void **s = gmap_slot((struct gmap *)m, key, &f);
	return f ? *s : NULL;
}

/* Empties the map and keeps its table. */
static void gmap_clear(struct gmap *m)
{
	if (m->cap)
		memset(m->k, 0, m->cap * sizeof(*m->k));
	m->n = 0;
}

static bool gmap_put(struct tg_gql_ctx *g, struct gmap *m, struct tg_gql_s key, void *val)
{
	bool f;
	void **s;
	if ((m->n + 1) * 2 > m->cap) {
		struct gmap nm;
		nm.cap = m->cap ? m->cap * 2 : 16;
		nm.n = 0;
		nm.k = tg_arena_alloc_array(&g->a, nm.cap, sizeof(*nm.k));
		nm.v = tg_arena_alloc_array(&g->a, nm.cap, sizeof(*nm.v));
		if (!nm.k || !nm.v) {
			tg_gql_toobig(g, "graphql document needs more than the memory limit");
			return false;
		}
		memset(nm.k, 0, nm.cap * sizeof(*nm.k));
		for (size_t i = 0; i < m->cap; i++)
			if (m->k[i].p) {
				void **t = gmap_slot(&nm, m->k[i], &f);
				size_t idx = (size_t)(t - nm.v);
				nm.k[idx] = m->k[i];
				*t = m->v[i];
				nm.n++;
			}
		*m = nm;
	}
	s = gmap_slot(m, key, &f);
	if (!f) {
		size_t idx = (size_t)(s - m->v);
		m->k[idx] = key;
		if (!m->k[idx].p)
			m->k[idx].p = "";
		m->n++;
	}
	*s = val;
	return true;
}

/* ---- schema (validator/schema.go) ---- */

struct tg_gql_schema {
	struct tg_gql_def *query, *mutation, *subscription;
	struct gmap types;             /* name -> struct tg_gql_def */
	struct gmap directives;        /* name -> struct tg_gql_dirdef */
	struct gmap possible;          /* name -> struct tg_gql_list of struct tg_gql_def */
	struct tg_gql_list type_names; /* struct tg_gql_s, sorted */
};

static const char prelude_text[] =
        "\"The `Int` scalar type represents non-fractional signed whole numeric values. Int can "
        "represent values between -(2^31) and 2^31 - 1.\"\n"
        "scalar Int\n"
        "\"The `Float` scalar type represents signed double-precision fractional values as "
        "specified by [IEEE 754](http://en.wikipedia.org/wiki/IEEE_floating_point).\"\n"
        "scalar Float\n"
        "\"The `String`scalar type represents textual data, represented as UTF-8 character "
        "sequences. The String type is most often used by GraphQL to represent free-form "
        "human-readable text.\"\n"
        "scalar String\n"
        "\"The `Boolean` scalar type represents `true` or `false`.\"\n"
        "scalar Boolean\n"
        "\"\"\"The `ID` scalar type represents a unique identifier, often used to refetch an "
        "object or as key for a cache. The ID type appears in a JSON response as a String; "
        "however, it is not intended to be human-readable. When expected as an input type, any "
        "string (such as \"4\") or integer (such as 4) input value will be accepted as an "
        "ID.\"\"\"\n"
        "scalar ID\n"
        "directive @include(if: Boolean!) on FIELD | FRAGMENT_SPREAD | INLINE_FRAGMENT\n"
        "directive @skip(if: Boolean!) on FIELD | FRAGMENT_SPREAD | INLINE_FRAGMENT\n"
        "directive @deprecated(reason: String = \"No longer supported\") on FIELD_DEFINITION | "
        "ARGUMENT_DEFINITION | INPUT_FIELD_DEFINITION | ENUM_VALUE\n"
        "directive @specifiedBy(url: String!) on SCALAR\n"
        "type __Schema {\n description: String\n types: [__Type!]!\n queryType: __Type!\n "
        "mutationType: __Type\n subscriptionType: __Type\n directives: [__Directive!]!\n}\n"
        "type __Type {\n kind: __TypeKind!\n name: String\n description: String\n "
        "fields(includeDeprecated: Boolean = false): [__Field!]\n interfaces: [__Type!]\n "
        "possibleTypes: [__Type!]\n enumValues(includeDeprecated: Boolean = false): "
        "[__EnumValue!]\n inputFields: [__InputValue!]\n ofType: __Type\n specifiedByURL: "
        "String\n}\n"
        "type __Field {\n name: String!\n description: String\n args: [__InputValue!]!\n type: "
        "__Type!\n isDeprecated: Boolean!\n deprecationReason: String\n}\n"
        "type __InputValue {\n name: String!\n description: String\n type: __Type!\n defaultValue: "
        "String\n}\n"
        "type __EnumValue {\n name: String!\n description: String\n isDeprecated: Boolean!\n "
        "deprecationReason: String\n}\n"
        "enum __TypeKind {\n SCALAR\n OBJECT\n INTERFACE\n UNION\n ENUM\n INPUT_OBJECT\n LIST\n "
        "NON_NULL\n}\n"
        "type __Directive {\n name: String!\n description: String\n locations: "
        "[__DirectiveLocation!]!\n args: [__InputValue!]!\n isRepeatable: Boolean!\n}\n"
        "enum __DirectiveLocation {\n QUERY\n MUTATION\n SUBSCRIPTION\n FIELD\n "
        "FRAGMENT_DEFINITION\n FRAGMENT_SPREAD\n INLINE_FRAGMENT\n VARIABLE_DEFINITION\n SCHEMA\n "
        "SCALAR\n OBJECT\n FIELD_DEFINITION\n ARGUMENT_DEFINITION\n INTERFACE\n UNION\n ENUM\n "
        "ENUM_VALUE\n INPUT_OBJECT\n INPUT_FIELD_DEFINITION\n}\n";

static struct tg_gql_s S(const char *s) {
	struct tg_gql_s r = {s, strlen(s)};
	return r;
}

/* Type.Name(), Type.String() */
static struct tg_gql_s
type_name(const struct tg_gql_type *t)
{
	struct tg_gql_s z = {"", 0};
	for (unsigned i = 0; t && i < 10000; i++) {
		if (t->named.n)
			return t->named;
		t = t->elem;
	}
	return z;
}

static void type_str_b(struct mb *b, const struct tg_gql_type *t, unsigned depth)
{
	if (!t || depth > TG_GQL_MAX_DEPTH * 2)
		return;
	if (t->named.n) {
		mb_add(b, t->named.p, t->named.n);
	} else {
		mb_addc(b, '[');
		type_str_b(b, t->elem, depth + 1);
		mb_addc(b, ']');
	}
	if (t->nonnull)
		mb_addc(b, '!');
}

/* A rendering kept in the arena, for messages. */
static const char *type_str(struct tg_gql_ctx *g, const struct tg_gql_type *t)
{
	struct mb b;
	char *s;
	mb_init(&b);
	type_str_b(&b, t, 0);
	s = tg_arena_strndup(&g->a, b.s, b.n);
	return s ? s : "";
}

static bool type_compatible(const struct tg_gql_type *t, const struct tg_gql_type *o,
                            unsigned depth)
{
	if (!t || !o || depth > TG_GQL_MAX_DEPTH * 2)
		return false;
	if (!tg_gql_seq(t->named, o->named))
		return false;
	if (t->elem && !o->elem)
		return false;
	if (t->elem && !type_compatible(t->elem, o->elem, depth + 1))
		return false;
	if (o->nonnull)
		return t->nonnull;
	return true;
}

static bool kind_is(const struct tg_gql_def *d, const char *k)
{
	return d && tg_gql_eq(d->kind, k);
}

static bool is_leaf(const struct tg_gql_def *d)
{
	return kind_is(d, "ENUM") || kind_is(d, "SCALAR");
}

static bool is_abstract(const struct tg_gql_def *d)
{
	return kind_is(d, "INTERFACE") || kind_is(d, "UNION");
}

static bool is_composite(const struct tg_gql_def *d)
{
	return kind_is(d, "OBJECT") || kind_is(d, "INTERFACE") || kind_is(d, "UNION");
}

static bool is_input(const struct tg_gql_def *d)
{
	return kind_is(d, "SCALAR") || kind_is(d, "ENUM") || kind_is(d, "INPUT_OBJECT");
}

static struct tg_gql_fdef *fdef_for(const struct tg_gql_list *l, struct tg_gql_s name)
{
	for (size_t i = 0; i < l->n; i++) {
		struct tg_gql_fdef *f = l->v[i];
		if (tg_gql_seq(f->name, name))
			return f;
	}
	return NULL;
}

static struct tg_gql_def *stype(const struct tg_gql_schema *s, struct tg_gql_s name)
{
	return gmap_get(&s->types, name);
}

static const char *cs(struct tg_gql_ctx *g, struct tg_gql_s s)
{
	char *r = tg_arena_strndup(&g->a, s.p ? s.p : "", s.n);
	return r ? r : "";
}

#define SFAIL(pos, ...)                                                                            \
	do {                                                                                       \
		tg_gql_fail(g, (pos), __VA_ARGS__);                                                \
		return false;                                                                      \
	} while (0)

static bool add_possible(struct tg_gql_ctx *g, struct tg_gql_schema *s, struct tg_gql_s name,
                         struct tg_gql_def *d)
{
	struct tg_gql_list *l = gmap_get(&s->possible, name);
	if (!l) {
		l = tg_gql_new(g, sizeof(*l));
		if (!l || !gmap_put(g, &s->possible, name, l))
			return false;
	}
	return tg_gql_push(g, l, d);
}

static bool validate_name(struct tg_gql_ctx *g, struct tg_gql_pos pos, struct tg_gql_s name)
{
	if (name.n >= 2 && name.p[0] == '_' && name.p[1] == '_')
		SFAIL(pos,
		      "Name \"%s\" must not begin with \"__\", which is reserved by GraphQL "
		      "introspection.",
		      cs(g, name));
	return true;
}

static bool validate_typeref(struct tg_gql_ctx *g, struct tg_gql_schema *s,
                             const struct tg_gql_type *t)
{
	struct tg_gql_pos z = {0, 0, false};
	if (!stype(s, type_name(t)))
		SFAIL(t ? t->pos : z, "Undefined type %s.", cs(g, type_name(t)));
	return true;
}

static bool validate_dirs(struct tg_gql_ctx *g, struct tg_gql_schema *s,
                          const struct tg_gql_list *dirs, const char *loc,
                          const struct tg_gql_dirdef *cur)
{
	for (size_t i = 0; i < dirs->n; i++) {
		struct tg_gql_dir *d = dirs->v[i];
		struct tg_gql_dirdef *dd;
		bool ok = false;
		if (!validate_name(g, d->pos, d->name))
			return false;
		if (cur && tg_gql_seq(d->name, cur->name))
			SFAIL(d->pos, "Directive %s cannot refer to itself.", cs(g, cur->name));
		dd = gmap_get(&s->directives, d->name);
		if (!dd)
			SFAIL(d->pos, "Undefined directive %s.", cs(g, d->name));
		for (size_t k = 0; k < dd->locs.n; k++)
			if (tg_gql_eq(*(struct tg_gql_s *)dd->locs.v[k], loc))
				ok = true;
		if (!ok)
			SFAIL(d->pos, "Directive %s is not applicable on %s.", cs(g, d->name), loc);
		d->def = dd;
	}
	return true;
}

static bool validate_args(struct tg_gql_ctx *g, struct tg_gql_schema *s,
                          const struct tg_gql_list *args, const struct tg_gql_dirdef *cur)
{
	for (size_t i = 0; i < args->n; i++) {
		struct tg_gql_fdef *a = args->v[i];
		struct tg_gql_def *d;
		if (!validate_name(g, a->pos, a->name) || !validate_typeref(g, s, a->type))
			return false;
		d = stype(s, type_name(a->type));
		if (!is_input(d))
			SFAIL(a->pos,
			      "cannot use %s as argument %s because %s is not a valid input type",
			      type_str(g, a->type), cs(g, a->name), cs(g, d->kind));
		if (!validate_dirs(g, s, &a->dirs, "ARGUMENT_DEFINITION", cur))
			return false;
	}
	return true;
}

static bool is_covariant(struct tg_gql_schema *s, const struct tg_gql_type *req,
                         const struct tg_gql_type *act, unsigned depth)
{
	if (!req || !act || depth > TG_GQL_MAX_DEPTH * 2)
		return false;
	if (req->nonnull && !act->nonnull)
		return false;
	if (req->named.n) {
		struct tg_gql_list *pt;
		if (tg_gql_seq(req->named, act->named))
			return true;
		pt = gmap_get(&s->possible, req->named);
		for (size_t i = 0; pt && i < pt->n; i++)
			if (pt->v[i] &&
			    tg_gql_seq(((struct tg_gql_def *)pt->v[i])->name, act->named))
				return true;
		return false;
	}
	if (req->elem && !act->elem)
		return false;
	return is_covariant(s, req->elem, act->elem, depth + 1);
}

static bool has_str(const struct tg_gql_list *l, struct tg_gql_s v)
{
	for (size_t i = 0; i < l->n; i++)
		if (tg_gql_seq(*(struct tg_gql_s *)l->v[i], v))
			return true;
	return false;
}

static bool validate_implements(struct tg_gql_ctx *g, struct tg_gql_schema *s,
                                struct tg_gql_def *def, struct tg_gql_s iname)
{
	char q[300];
	struct tg_gql_def *intf = stype(s, iname);
	if (!intf)
		SFAIL(def->pos, "Undefined type %s.", tg_gql_quote(iname, q, sizeof(q)));
	if (!tg_gql_eq(intf->kind, "INTERFACE"))
		SFAIL(def->pos, "%s is a non interface type %s.", tg_gql_quote(iname, q, sizeof(q)),
		      cs(g, intf->kind));
	for (size_t i = 0; i < intf->fields.n; i++) {
		struct tg_gql_fdef *rf = intf->fields.v[i];
		struct tg_gql_fdef *ff = fdef_for(&def->fields, rf->name);
		if (!ff)
			SFAIL(def->pos, "For %s to implement %s it must have a field called %s.",
			      cs(g, def->name), cs(g, intf->name), cs(g, rf->name));
		if (!is_covariant(s, rf->type, ff->type, 0))
			SFAIL(ff->pos, "For %s to implement %s the field %s must have type %s.",
			      cs(g, def->name), cs(g, intf->name), cs(g, rf->name),
			      type_str(g, rf->type));
		for (size_t k = 0; k < rf->args.n; k++) {
			struct tg_gql_fdef *ra = rf->args.v[k];
			struct tg_gql_fdef *fa = fdef_for(&ff->args, ra->name);
			if (!fa)
				SFAIL(ff->pos,
				      "For %s to implement %s the field %s must have the same "
				      "arguments but it is missing %s.",
				      cs(g, def->name), cs(g, intf->name), cs(g, rf->name),
				      cs(g, ra->name));
			if (!type_compatible(ra->type, fa->type, 0))
				SFAIL(fa->pos,
				      "For %s to implement %s the field %s must have the same "
				      "arguments but %s has the wrong type.",
				      cs(g, def->name), cs(g, intf->name), cs(g, rf->name),
				      cs(g, ra->name));
		}
		for (size_t k = 0; k < ff->args.n; k++) {
			struct tg_gql_fdef *fa = ff->args.v[k];
			if (!fdef_for(&rf->args, fa->name) && fa->type && fa->type->nonnull &&
			    !fa->defval)
				SFAIL(fa->pos,
				      "For %s to implement %s any additional arguments on %s must "
				      "be optional or have a default value but %s is required.",
				      cs(g, def->name), cs(g, intf->name), cs(g, ff->name),
				      cs(g, fa->name));
		}
	}
	for (size_t i = 0; i < intf->ifaces.n; i++) {
		struct tg_gql_s t = *(struct tg_gql_s *)intf->ifaces.v[i];
		if (!has_str(&def->ifaces, t)) {
			if (tg_gql_seq(t, def->name))
				SFAIL(def->pos,
				      "Type %s cannot implement %s because it would create a "
				      "circular reference.",
				      cs(g, def->name), cs(g, iname));
			SFAIL(def->pos,
			      "Type %s must implement %s because it is implemented by %s.",
			      cs(g, def->name), cs(g, t), cs(g, iname));
		}
	}
	return true;
}

static bool kind_in(const struct tg_gql_def *d, const char *const *ks)
{
	for (size_t i = 0; ks[i]; i++)
		if (kind_is(d, ks[i]))
			return true;
	return false;
}

static bool validate_def(struct tg_gql_ctx *g, struct tg_gql_schema *s, struct tg_gql_def *def)
{
	static const char *const out_kinds[] = {"SCALAR", "OBJECT", "INTERFACE",
	                                        "UNION",  "ENUM",   NULL};
	static const char *const in_kinds[] = {"SCALAR", "ENUM", "INPUT_OBJECT", NULL};
	char q[300];
	for (size_t i = 0; i < def->fields.n; i++) {
		struct tg_gql_fdef *f = def->fields.v[i];
		if (!validate_name(g, f->pos, f->name) || !validate_typeref(g, s, f->type) ||
		    !validate_args(g, s, &f->args, NULL) ||
		    !validate_dirs(g, s, &f->dirs,
		                   tg_gql_eq(def->kind, "INPUT_OBJECT") ? "INPUT_FIELD_DEFINITION"
		                                                        : "FIELD_DEFINITION",
		                   NULL))
			return false;
	}
	for (size_t i = 0; i < def->types.n; i++) {
		struct tg_gql_s t = *(struct tg_gql_s *)def->types.v[i];
		struct tg_gql_def *td = stype(s, t);
		if (!td)
			SFAIL(def->pos, "Undefined type %s.", tg_gql_quote(t, q, sizeof(q)));
		if (!kind_is(td, "OBJECT"))
			SFAIL(def->pos, "%s type %s must be %s.", cs(g, def->kind),
			      tg_gql_quote(t, q, sizeof(q)), "OBJECT");
	}
	for (size_t i = 0; i < def->ifaces.n; i++)
		if (!validate_implements(g, s, def, *(struct tg_gql_s *)def->ifaces.v[i]))
			return false;
	if (kind_is(def, "OBJECT") || kind_is(def, "INTERFACE")) {
		if (def->fields.n == 0)
			SFAIL(def->pos, "%s %s: must define one or more fields.", cs(g, def->kind),
			      cs(g, def->name));
		for (size_t i = 0; i < def->fields.n; i++) {
			struct tg_gql_fdef *f = def->fields.v[i];
			struct tg_gql_def *t = stype(s, type_name(f->type));
			if (t && !kind_in(t, out_kinds))
				SFAIL(f->pos, "%s %s: field must be one of %s.", cs(g, def->kind),
				      cs(g, def->name), "SCALAR, OBJECT, INTERFACE, UNION, ENUM");
		}
	} else if (kind_is(def, "ENUM")) {
		if (def->evals.n == 0)
			SFAIL(def->pos, "%s %s: must define one or more unique enum values.",
			      cs(g, def->kind), cs(g, def->name));
		for (size_t i = 0; i < def->evals.n; i++) {
			struct tg_gql_fdef *v = def->evals.v[i];
			if (tg_gql_eq(v->name, "true") || tg_gql_eq(v->name, "false") ||
			    tg_gql_eq(v->name, "null"))
				SFAIL(def->pos, "%s %s: non-enum value %s.", cs(g, def->kind),
				      cs(g, def->name), cs(g, v->name));
		}
	} else if (kind_is(def, "INPUT_OBJECT")) {
		if (def->fields.n == 0)
			SFAIL(def->pos, "%s %s: must define one or more input fields.",
			      cs(g, def->kind), cs(g, def->name));
		for (size_t i = 0; i < def->fields.n; i++) {
			struct tg_gql_fdef *f = def->fields.v[i];
			struct tg_gql_def *t = stype(s, type_name(f->type));
			if (t && !kind_in(t, in_kinds))
				SFAIL(f->pos, "%s %s: field must be one of %s.", cs(g, t->kind),
				      cs(g, f->name), "SCALAR, ENUM, INPUT_OBJECT");
		}
	}
	for (size_t i = 0; i < def->fields.n; i++) {
		struct tg_gql_fdef *f1 = def->fields.v[i];
		g->work += def->fields.n;
		if (g->work > TG_GQL_MAX_WORK) {
			tg_gql_toobig(g, "graphql validation needs more steps than the limit");
			return false;
		}
		for (size_t k = i + 1; k < def->fields.n; k++) {
			struct tg_gql_fdef *f2 = def->fields.v[k];
			if (tg_gql_seq(f1->name, f2->name))
				SFAIL(f2->pos, "Field %s.%s can only be defined once.",
				      cs(g, def->name), cs(g, f2->name));
		}
	}
	if (!def->builtin && !validate_name(g, def->pos, def->name))
		return false;
	return validate_dirs(g, s, &def->dirs, cs(g, def->kind), NULL);
}

static int cmp_s(const void *a, const void *b)
{
	const struct tg_gql_s *x = *(const struct tg_gql_s *const *)a,
	                      *y = *(const struct tg_gql_s *const *)b;
	size_t n = x->n < y->n ? x->n : y->n;
	int c = n ? memcmp(x->p, y->p, n) : 0;
	if (c)
		return c;
	return x->n < y->n ? -1 : x->n > y->n;
}

static void set_root(struct tg_gql_schema *s, struct tg_gql_s op, struct tg_gql_def *d)
{
	if (tg_gql_eq(op, "query"))
		s->query = d;
	else if (tg_gql_eq(op, "mutation"))
		s->mutation = d;
	else if (tg_gql_eq(op, "subscription"))
		s->subscription = d;
}

static bool merge_append(struct tg_gql_ctx *g, struct tg_gql_list *dst,
                         const struct tg_gql_list *src)
{
	for (size_t i = 0; i < src->n; i++)
		if (!tg_gql_push(g, dst, src->v[i]))
			return false;
	return true;
}

static struct tg_gql_type *named_type(struct tg_gql_ctx *g, const char *n, bool nonnull)
{
	struct tg_gql_type *t = tg_gql_new(g, sizeof(*t));
	if (t) {
		t->named = S(n);
		t->nonnull = nonnull;
	}
	return t;
}

bool tg_gql_schema_load(struct tg_gql_ctx *g, const struct tg_gql_sdoc *user,
                        struct tg_gql_schema **out)
{
	struct tg_gql_sdoc *pre = NULL, doc;
	struct tg_gql_schema *s;
	struct tg_gql_list defs = {0}, names = {0};
	struct tg_gql_pos z = {0, 0, false};
	if (!tg_gql_parse_schema(g, prelude_text, sizeof(prelude_text) - 1, true, &pre))
		return false;
	memset(&doc, 0, sizeof(doc));
	if (!merge_append(g, &doc.schema, &pre->schema) ||
	    !merge_append(g, &doc.schema, &user->schema) ||
	    !merge_append(g, &doc.schema_ext, &pre->schema_ext) ||
	    !merge_append(g, &doc.schema_ext, &user->schema_ext) ||
	    !merge_append(g, &doc.directives, &pre->directives) ||
	    !merge_append(g, &doc.directives, &user->directives) ||
	    !merge_append(g, &doc.defs, &pre->defs) || !merge_append(g, &doc.defs, &user->defs) ||
	    !merge_append(g, &doc.exts, &pre->exts) || !merge_append(g, &doc.exts, &user->exts))
		return false;
	s = tg_gql_new(g, sizeof(*s));
	if (!s)
		return false;
	for (size_t i = 0; i < doc.defs.n; i++) {
		struct tg_gql_def *d = doc.defs.v[i];
		if (stype(s, d->name))
			SFAIL(d->pos, "Cannot redeclare type %s.", cs(g, d->name));
		if (!gmap_put(g, &s->types, d->name, d) || !tg_gql_push(g, &defs, d) ||
		    !tg_gql_push(g, &names, &d->name))
			return false;
	}
	for (size_t i = 0; i < doc.exts.n; i++) {
		struct tg_gql_def *e = doc.exts.v[i], *d = stype(s, e->name);
		if (!d) {
			d = tg_gql_new(g, sizeof(*d));
			if (!d)
				return false;
			d->kind = e->kind;
			d->name = e->name;
			d->pos = e->pos;
			if (!gmap_put(g, &s->types, e->name, d) || !tg_gql_push(g, &defs, d) ||
			    !tg_gql_push(g, &names, &d->name))
				return false;
		}
		if (!tg_gql_seq(d->kind, e->kind))
			SFAIL(e->pos,
			      "Cannot extend type %s because the base type is a %s, not %s.",
			      cs(g, e->name), cs(g, d->kind), cs(g, e->kind));
		if (!merge_append(g, &d->dirs, &e->dirs) ||
		    !merge_append(g, &d->ifaces, &e->ifaces) ||
		    !merge_append(g, &d->fields, &e->fields) ||
		    !merge_append(g, &d->types, &e->types) ||
		    !merge_append(g, &d->evals, &e->evals))
			return false;
	}
	for (size_t i = 0; i < defs.n; i++) {
		struct tg_gql_def *d = defs.v[i];
		if (kind_is(d, "UNION")) {
			for (size_t k = 0; k < d->types.n; k++) {
				struct tg_gql_s t = *(struct tg_gql_s *)d->types.v[k];
				if (!add_possible(g, s, d->name, stype(s, t)))
					return false;
			}
		} else if (kind_is(d, "INPUT_OBJECT") || kind_is(d, "OBJECT") ||
		           kind_is(d, "INTERFACE")) {
			for (size_t k = 0; k < d->ifaces.n; k++)
				if (!add_possible(g, s, *(struct tg_gql_s *)d->ifaces.v[k], d))
					return false;
			if (!kind_is(d, "INTERFACE") && !add_possible(g, s, d->name, d))
				return false;
		}
	}
	for (size_t i = 0; i < doc.directives.n; i++) {
		struct tg_gql_dirdef *d = doc.directives.v[i];
		if (gmap_get(&s->directives, d->name) && !tg_gql_eq(d->name, "include") &&
		    !tg_gql_eq(d->name, "skip") && !tg_gql_eq(d->name, "deprecated") &&
		    !tg_gql_eq(d->name, "specifiedBy"))
			SFAIL(d->pos, "Cannot redeclare directive %s.", cs(g, d->name));
		if (!gmap_put(g, &s->directives, d->name, d))
			return false;
	}
	if (doc.schema.n > 1)
		SFAIL(((struct tg_gql_schemadef *)doc.schema.v[1])->pos,
		      "Cannot have multiple schema entry points, consider schema extensions "
		      "instead.");
	for (size_t w = 0; w < 2; w++) {
		const struct tg_gql_list *l = w == 0 ? &doc.schema : &doc.schema_ext;
		for (size_t i = 0; i < l->n; i++) {
			struct tg_gql_schemadef *sd = l->v[i];
			for (size_t k = 0; k < sd->optypes.n; k++) {
				struct tg_gql_optype *o = sd->optypes.v[k];
				struct tg_gql_def *d = stype(s, o->type);
				if (!d)
					SFAIL(o->pos,
					      "Schema root %s refers to a type %s that does not "
					      "exist.",
					      cs(g, o->operation), cs(g, o->type));
				set_root(s, o->operation, d);
			}
		}
	}
	/* validateTypeDefinitions: in sorted name order */
	{
		struct tg_gql_s **sorted =
		        tg_arena_alloc_array(&g->a, names.n ? names.n : 1, sizeof(*sorted));
		size_t k = 0;
		if (!sorted) {
			tg_gql_toobig(g, "graphql document needs more than the memory limit");
			return false;
		}
		for (size_t i = 0; i < names.n; i++)
			sorted[k++] = names.v[i];
		qsort(sorted, k, sizeof(*sorted), cmp_s);
		for (size_t i = 0; i < k; i++) {
			if (i > 0 && tg_gql_seq(*sorted[i], *sorted[i - 1]))
				continue;
			if (!validate_def(g, s, stype(s, *sorted[i])))
				return false;
		}
	}
	/* validateDirectiveDefinitions: sorted too */
	{
		struct tg_gql_dirdef **sorted;
		size_t k = 0;
		sorted = tg_arena_alloc_array(&g->a, s->directives.n ? s->directives.n : 1,
		                              sizeof(*sorted));
		if (!sorted) {
			tg_gql_toobig(g, "graphql document needs more than the memory limit");
			return false;
		}
		for (size_t i = 0; i < s->directives.cap; i++)
			if (s->directives.k[i].p)
				sorted[k++] = s->directives.v[i];
		for (size_t i = 1; i < k; i++) /* insertion sort by name */
			for (size_t j = i; j > 0; j--) {
				const struct tg_gql_s *a = &sorted[j - 1]->name,
				                      *b = &sorted[j]->name;
				if (cmp_s(&a, &b) <= 0)
					break;
				struct tg_gql_dirdef *t = sorted[j];
				sorted[j] = sorted[j - 1];
				sorted[j - 1] = t;
			}
		for (size_t i = 0; i < k; i++)
			if (!validate_name(g, sorted[i]->pos, sorted[i]->name) ||
			    !validate_args(g, s, &sorted[i]->args, sorted[i]))
				return false;
	}
	if (doc.schema.n == 0) {
		if (!s->query)
			s->query = stype(s, S("Query"));
		if (!s->mutation)
			s->mutation = stype(s, S("Mutation"));
		if (!s->subscription)
			s->subscription = stype(s, S("Subscription"));
	}
	if (s->query) {
		struct tg_gql_fdef *f1 = tg_gql_new(g, sizeof(*f1)),
		                   *f2 = tg_gql_new(g, sizeof(*f2));
		struct tg_gql_fdef *a = tg_gql_new(g, sizeof(*a));
		if (!f1 || !f2 || !a)
			return false;
		f1->name = S("__schema");
		f1->type = named_type(g, "__Schema", true);
		f2->name = S("__type");
		f2->type = named_type(g, "__Type", false);
		a->name = S("name");
		a->type = named_type(g, "String", true);
		if (!f1->type || !f2->type || !a->type || !tg_gql_push(g, &f2->args, a) ||
		    !tg_gql_push(g, &s->query->fields, f1) ||
		    !tg_gql_push(g, &s->query->fields, f2))
			return false;
	}
	(void)z;
	*out = s;
	return true;
}

/* ---- query validation (validator/walk.go and validator/rules) ---- */

struct walker {
	struct tg_gql_ctx *g;
	struct tg_gql_schema *s;
	struct tg_gql_qdoc *doc;
	struct tg_gql_op *cur_op;
	struct gmap validated_spreads; /* per operation / fragment */
	unsigned depth;
	bool stop;
	tg_gql_err_fn all; /* collect every error (tests) instead of stopping */
	void *all_ctx;
	struct gmap dir_seen;   /* KnownDirectives: misplaced directive reported once */
	struct gmap frag_index; /* fragment name -> the first fragment so named */
	/* rule state */
	struct gmap frag_cycles_visited;
	bool in_fragment_definition;
	struct gmap fragment_name_used;
	struct gmap seen_fragments;
	struct gmap seen_operations;
	struct gmap compared_pairs; /* "a\0b" -> (void *)1 exclusive / (void *)2 not */
	struct gmap compared_frags;
};

static struct tg_gql_frag *frag_for(struct walker *w, struct tg_gql_s name);

static bool charge(struct walker *w, uint64_t n)
{
	w->g->work += n;
	if (w->g->work > TG_GQL_MAX_WORK) {
		tg_gql_toobig(w->g, "graphql validation needs more steps than the limit");
		w->stop = true;
		return false;
	}
	return true;
}

static void add_err(struct walker *w, const char *rule, struct tg_gql_pos pos, const char *fmt, ...)
        TG_PRINTF(4, 5);
static void add_err(struct walker *w, const char *rule, struct tg_gql_pos pos, const char *fmt, ...)
{
	va_list ap;
	char msg[768];
	if (w->stop)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (w->all) {
		w->all(w->all_ctx, rule, msg, pos);
		return;
	}
	tg_gql_fail(w->g, pos, "%s", msg);
	w->stop = true;
}

static bool walk_enter(struct walker *w)
{
	if (w->depth >= TG_GQL_MAX_WALK) {
		tg_gql_toobig(w->g, "graphql validation nesting exceeds the depth limit");
		w->stop = true;
		return false;
	}
	w->depth++;
	return true;
}

/* A fragment's first visit at this recursion depth: false when it was
 * seen before, or when the depth or memory limit stops the walk. */
static bool first_visit(struct walker *w, struct gmap *seen, struct tg_gql_s name, unsigned depth)
{
	if (depth > TG_GQL_MAX_WALK) {
		tg_gql_toobig(w->g, "graphql validation nesting exceeds the depth limit");
		w->stop = true;
		return false;
	}
	if (gmap_get(seen, name))
		return false;
	return gmap_put(w->g, seen, name, (void *)1);
}

/* ---- messages ---- */

static size_t rune_len(struct tg_gql_s s)
{
	size_t n = 0;
	for (size_t i = 0; i < s.n; i++)
		if (((unsigned char)s.p[i] & 0xC0) != 0x80)
			n++;
	return n;
}

/* Levenshtein distance over bytes of the ASCII-lowered strings (names
 * are ASCII; agnivade/levenshtein counts runes). */
static size_t lexical_distance(struct walker *w, struct tg_gql_s a, struct tg_gql_s b)
{
	size_t *row, i, j;
	if (tg_gql_seq(a, b))
		return 0;
	if (a.n == b.n) {
		bool same = true;
		for (i = 0; i < a.n && same; i++) {
			char x = a.p[i], y = b.p[i];
			if (x >= 'A' && x <= 'Z')
				x = (char)(x + 32);
			if (y >= 'A' && y <= 'Z')
				y = (char)(y + 32);
			same = x == y;
		}
		if (same)
			return 1;
	}
	if (!charge(w, (uint64_t)(a.n + 1) * (b.n + 1) / 64 + 1))
		return SIZE_MAX;
	row = tg_arena_alloc_array(&w->g->a, b.n + 1, sizeof(size_t));
	if (!row)
		return SIZE_MAX;
	for (j = 0; j <= b.n; j++)
		row[j] = j;
	for (i = 1; i <= a.n; i++) {
		size_t prev = row[0];
		row[0] = i;
		for (j = 1; j <= b.n; j++) {
			char x = a.p[i - 1], y = b.p[j - 1];
			size_t cur = row[j], best;
			if (x >= 'A' && x <= 'Z')
				x = (char)(x + 32);
			if (y >= 'A' && y <= 'Z')
				y = (char)(y + 32);
			best = prev + (x == y ? 0 : 1);
			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			prev = cur;
		}
	}
	return row[b.n];
}

/* SuggestionList: options within the distance threshold, by distance. */
static size_t suggestion_list(struct walker *w, struct tg_gql_s input, struct tg_gql_s *opts,
                              size_t n, struct tg_gql_s *out)
{
	size_t k = 0, *dist;
	size_t threshold = (size_t)((double)input.n * 0.4) + 1;
	(void)rune_len;
	dist = tg_arena_alloc_array(&w->g->a, n ? n : 1, sizeof(size_t));
	if (!dist)
		return 0;
	for (size_t i = 0; i < n; i++) {
		size_t d = lexical_distance(w, input, opts[i]);
		if (d <= threshold) {
			size_t j = k++;
			while (j > 0 && dist[j - 1] > d) {
				dist[j] = dist[j - 1];
				out[j] = out[j - 1];
				j--;
			}
			dist[j] = d;
			out[j] = opts[i];
		}
	}
	return k;
}

/* OrList / QuotedOrList into buf */
static void or_list(struct mb *b, const struct tg_gql_s *items, size_t n, bool quoted)
{
	if (n > 5)
		n = 5;
	for (size_t i = 0; i < n; i++) {
		if (i) {
			if (n == 2)
				mb_adds(b, " or ");
			else if (i == n - 1)
				mb_adds(b, ", or ");
			else
				mb_adds(b, ", ");
		}
		if (quoted)
			mb_addc(b, '"');
		mb_add(b, items[i].p, items[i].n);
		if (quoted)
			mb_addc(b, '"');
	}
}

/* " <prefix> a, b, or c?" when there are suggestions, else "". */
static const char *suggest(struct walker *w, const char *prefix, struct tg_gql_s typed,
                           struct tg_gql_s *opts, size_t n, bool quoted)
{
	struct tg_gql_s *sug;
	size_t k;
	struct mb b;
	char *r;
	if (n == 0)
		return "";
	sug = tg_arena_alloc_array(&w->g->a, n, sizeof(*sug));
	if (!sug)
		return "";
	k = suggestion_list(w, typed, opts, n, sug);
	if (k == 0)
		return "";
	mb_init(&b);
	mb_addf(&b, " %s ", prefix);
	or_list(&b, sug, k, quoted);
	mb_addc(&b, '?');
	r = tg_arena_strndup(&w->g->a, b.s, b.n);
	return r ? r : "";
}

static struct tg_gql_s *names_of(struct walker *w, const struct tg_gql_list *fdefs)
{
	struct tg_gql_s *o = tg_arena_alloc_array(&w->g->a, fdefs->n ? fdefs->n : 1, sizeof(*o));
	if (!o)
		return NULL;
	for (size_t i = 0; i < fdefs->n; i++)
		o[i] = ((struct tg_gql_fdef *)fdefs->v[i])->name;
	return o;
}

/* Value.String() */
static void value_str_b(struct walker *w, struct mb *b, const struct tg_gql_value *v,
                        unsigned depth)
{
	if (!v) {
		mb_adds(b, "<nil>");
		return;
	}
	if (depth > TG_GQL_MAX_DEPTH * 2)
		return;
	switch (v->kind) {
	case TG_GQL_VARIABLE:
		mb_addc(b, '$');
		mb_add(b, v->raw.p, v->raw.n);
		break;
	case TG_GQL_STRING:
	case TG_GQL_BLOCK: {
		char q[4096];
		mb_adds(b, tg_gql_quote(v->raw, q, sizeof(q)));
		break;
	}
	case TG_GQL_LIST:
	case TG_GQL_OBJECT:
		mb_addc(b, v->kind == TG_GQL_LIST ? '[' : '{');
		for (size_t i = 0; i < v->children.n; i++) {
			struct tg_gql_child *c = v->children.v[i];
			if (i)
				mb_addc(b, ',');
			if (v->kind == TG_GQL_OBJECT) {
				mb_add(b, c->name.p, c->name.n);
				mb_addc(b, ':');
			}
			value_str_b(w, b, c->value, depth + 1);
		}
		mb_addc(b, v->kind == TG_GQL_LIST ? ']' : '}');
		break;
	default:
		mb_add(b, v->raw.p, v->raw.n);
		break;
	}
}

static const char *value_str(struct walker *w, const struct tg_gql_value *v)
{
	struct mb b;
	char *s;
	mb_init(&b);
	value_str_b(w, &b, v, 0);
	s = tg_arena_strndup(&w->g->a, b.s, b.n);
	return s ? s : "";
}

#define C(s) cs(w->g, (s))

/* ---- the rules, by event, in gqlparser's registration order ---- */

static const char *op_loc_name(struct tg_gql_s op)
{
	if (tg_gql_eq(op, "query") || op.n == 0)
		return "query";
	return NULL;
}

static struct tg_gql_def *root_for(struct walker *w, struct tg_gql_s op, bool *known)
{
	*known = true;
	if (tg_gql_eq(op, "query") || op.n == 0)
		return w->s->query;
	if (tg_gql_eq(op, "mutation"))
		return w->s->mutation;
	if (tg_gql_eq(op, "subscription"))
		return w->s->subscription;
	*known = false;
	return NULL;
}

/* OverlappingFieldsCanBeMerged */

struct fentry {
	struct tg_gql_s name;
	struct tg_gql_list fields;
};

struct fmap {
	struct tg_gql_list seq; /* struct fentry */
	struct gmap idx;        /* name -> struct fentry */
};

struct conflict {
	const char *message;
	struct tg_gql_s response;
	struct tg_gql_list sub; /* struct conflict */
	struct tg_gql_pos pos;
};

static void fmap_walk(struct walker *w, struct fmap *m, struct tg_gql_list *spreads,
                      const struct tg_gql_list *set, unsigned depth)
{
	if (depth > TG_GQL_MAX_WALK) {
		tg_gql_toobig(w->g, "graphql validation nesting exceeds the depth limit");
		w->stop = true;
		return;
	}
	for (size_t i = 0; i < set->n && !w->g->err.msg[0]; i++) {
		struct tg_gql_sel *s = set->v[i];
		if (!charge(w, 1))
			return;
		if (s->kind == TG_GQL_FIELD) {
			struct tg_gql_s rn = s->alias.n ? s->alias : s->name;
			struct fentry *e = gmap_get(&m->idx, rn);
			if (!e) {
				e = tg_gql_new(w->g, sizeof(*e));
				if (!e || !gmap_put(w->g, &m->idx, rn, e) ||
				    !tg_gql_push(w->g, &m->seq, e))
					return;
				e->name = rn;
			}
			if (!tg_gql_push(w->g, &e->fields, s))
				return;
		} else if (s->kind == TG_GQL_INLINE) {
			fmap_walk(w, m, spreads, &s->selset, depth + 1);
		} else if (!tg_gql_push(w->g, spreads, s)) {
			return;
		}
	}
}

/* The response names and fragment spreads of a selection set, computed
 * once per set (slot is the owner's cache: sets never change). */
struct ovc {
	struct fmap *m;
	struct tg_gql_list spreads;
};

static struct fmap *fields_and_frags(struct walker *w, const struct tg_gql_list *set,
                                     struct tg_gql_list *spreads, void **slot)
{
	struct ovc *c = *slot;
	if (!c) {
		c = tg_gql_new(w->g, sizeof(*c));
		if (!c)
			return NULL;
		c->m = tg_gql_new(w->g, sizeof(*c->m));
		if (!c->m)
			return NULL;
		fmap_walk(w, c->m, &c->spreads, set, 0);
		if (w->g->err.msg[0])
			return NULL;
		*slot = c;
	}
	*spreads = c->spreads;
	return c->m;
}

static bool fmap_equal(const struct fmap *a, const struct fmap *b)
{
	if (a->seq.n != b->seq.n)
		return false;
	for (size_t i = 0; i < a->seq.n; i++) {
		const struct fentry *x = a->seq.v[i], *y = b->seq.v[i];
		if (!tg_gql_seq(x->name, y->name) || x->fields.n != y->fields.n)
			return false;
		for (size_t k = 0; k < x->fields.n; k++)
			if (x->fields.v[k] != y->fields.v[k])
				return false;
	}
	return true;
}

static bool ov_failed(struct walker *w)
{
	return w->g->err.msg[0] != 0;
}

static struct conflict *find_conflict(struct walker *w, bool parent_excl, struct tg_gql_sel *a,
                                      struct tg_gql_sel *b, unsigned depth);

static void collect_between(struct walker *w, struct tg_gql_list *out, bool excl, struct fmap *ma,
                            struct fmap *mb, unsigned depth)
{
	for (size_t i = 0; i < ma->seq.n && !ov_failed(w); i++) {
		struct fentry *ea = ma->seq.v[i];
		struct fentry *eb = gmap_get(&mb->idx, ea->name);
		if (!eb)
			continue;
		for (size_t x = 0; x < ea->fields.n; x++)
			for (size_t y = 0; y < eb->fields.n; y++) {
				struct conflict *c;
				if (!charge(w, 1))
					return;
				c = find_conflict(w, excl, ea->fields.v[x], eb->fields.v[y], depth);
				if (c && !tg_gql_push(w->g, out, c))
					return;
			}
	}
}

static void pair_key(struct walker *w, struct tg_gql_s a, struct tg_gql_s b, struct tg_gql_s *k)
{
	char *p = tg_arena_alloc_bytes(&w->g->a, a.n + b.n + 1);
	k->p = NULL;
	k->n = 0;
	if (!p)
		return;
	if (a.n)
		memcpy(p, a.p, a.n);
	p[a.n] = '\0';
	if (b.n)
		memcpy(p + a.n + 1, b.p, b.n);
	k->p = p;
	k->n = a.n + b.n + 1;
}

static void collect_fields_and_fragment(struct walker *w, struct tg_gql_list *out, bool excl,
                                        struct fmap *fm, struct tg_gql_sel *spread, unsigned depth)
{
	struct tg_gql_list spreads = {0};
	struct fmap *mb;
	if (!first_visit(w, &w->compared_frags, spread->name, depth))
		return;
	if (!spread->frag)
		return;
	mb = fields_and_frags(w, &spread->frag->selset, &spreads, &spread->frag->ov);
	if (!mb || fmap_equal(fm, mb))
		return;
	collect_between(w, out, excl, fm, mb, depth);
	for (size_t i = 0; i < spreads.n && !ov_failed(w); i++) {
		struct tg_gql_sel *s = spreads.v[i];
		if (tg_gql_seq(s->name, spread->name))
			continue;
		collect_fields_and_fragment(w, out, excl, fm, s, depth + 1);
	}
}

static void check_fragments(struct walker *w, struct tg_gql_list *out, bool excl,
                            struct tg_gql_sel *a, struct tg_gql_sel *b, unsigned depth)
{
	struct tg_gql_s key;
	void *have;
	struct tg_gql_list sa = {0}, sb = {0};
	struct fmap *ma, *mb;
	if (depth > TG_GQL_MAX_WALK) {
		tg_gql_toobig(w->g, "graphql validation nesting exceeds the depth limit");
		w->stop = true;
		return;
	}
	if (tg_gql_seq(a->name, b->name) || !charge(w, 1))
		return;
	pair_key(w, a->name, b->name, &key);
	if (!key.p)
		return;
	have = gmap_get(&w->compared_pairs, key);
	if (have && (excl || have == (void *)2))
		return;
	{
		struct tg_gql_s rkey;
		void *val = excl ? (void *)1 : (void *)2;
		pair_key(w, b->name, a->name, &rkey);
		if (!rkey.p || !gmap_put(w->g, &w->compared_pairs, key, val) ||
		    !gmap_put(w->g, &w->compared_pairs, rkey, val))
			return;
	}
	if (!a->frag || !b->frag)
		return;
	ma = fields_and_frags(w, &a->frag->selset, &sa, &a->frag->ov);
	mb = fields_and_frags(w, &b->frag->selset, &sb, &b->frag->ov);
	if (!ma || !mb)
		return;
	collect_between(w, out, excl, ma, mb, depth);
	for (size_t i = 0; i < sb.n && !ov_failed(w); i++)
		check_fragments(w, out, excl, a, sb.v[i], depth + 1);
	for (size_t i = 0; i < sa.n && !ov_failed(w); i++)
		check_fragments(w, out, excl, sa.v[i], b, depth + 1);
}

static struct tg_gql_list *conflicts_between_subsets(struct walker *w, bool excl,
                                                     const struct tg_gql_list *a, void **aslot,
                                                     const struct tg_gql_list *b, void **bslot,
                                                     unsigned depth)
{
	struct tg_gql_list *out = tg_gql_new(w->g, sizeof(*out));
	struct tg_gql_list sa = {0}, sb = {0};
	struct fmap *ma, *mb;
	if (!out)
		return NULL;
	ma = fields_and_frags(w, a, &sa, aslot);
	mb = fields_and_frags(w, b, &sb, bslot);
	if (!ma || !mb)
		return NULL;
	collect_between(w, out, excl, ma, mb, depth);
	for (size_t i = 0; i < sb.n && !ov_failed(w); i++) {
		gmap_clear(&w->compared_frags);
		collect_fields_and_fragment(w, out, excl, ma, sb.v[i], depth + 1);
	}
	for (size_t i = 0; i < sa.n && !ov_failed(w); i++) {
		gmap_clear(&w->compared_frags);
		collect_fields_and_fragment(w, out, excl, mb, sa.v[i], depth + 1);
	}
	for (size_t i = 0; i < sa.n && !ov_failed(w); i++)
		for (size_t k = 0; k < sb.n && !ov_failed(w); k++)
			check_fragments(w, out, excl, sa.v[i], sb.v[k], depth + 1);
	return out->n ? out : NULL;
}

static bool same_arguments(const struct tg_gql_list *a, const struct tg_gql_list *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++) {
		struct tg_gql_arg *x = a->v[i];
		bool matched = false;
		for (size_t k = 0; k < b->n && !matched; k++) {
			struct tg_gql_arg *y = b->v[k];
			if (tg_gql_seq(x->name, y->name) && x->value && y->value &&
			    x->value->kind == y->value->kind &&
			    tg_gql_seq(x->value->raw, y->value->raw))
				matched = true;
		}
		if (!matched)
			return false;
	}
	return true;
}

static bool types_conflict(struct walker *w, const struct tg_gql_type *t1,
                           const struct tg_gql_type *t2, unsigned depth)
{
	struct tg_gql_def *d1, *d2;
	if (!t1 || !t2 || depth > TG_GQL_MAX_DEPTH * 2)
		return false;
	if (t1->elem) {
		if (t2->elem)
			return types_conflict(w, t1->elem, t2->elem, depth + 1);
		return true;
	}
	if (t2->elem)
		return true;
	if (t1->nonnull != t2->nonnull)
		return true;
	d1 = stype(w->s, t1->named);
	d2 = stype(w->s, t2->named);
	if (!d1 || !d2)
		return false;
	if (is_leaf(d1) && is_leaf(d2))
		return !tg_gql_seq(d1->name, d2->name);
	return false;
}

static struct conflict *find_conflict(struct walker *w, bool parent_excl, struct tg_gql_sel *a,
                                      struct tg_gql_sel *b, unsigned depth)
{
	bool excl = parent_excl;
	struct tg_gql_s rn;
	struct conflict *c;
	struct tg_gql_list *sub;
	const char *msg;
	char buf[600];
	if (!a->objdef || !b->objdef)
		return NULL;
	if (depth > TG_GQL_MAX_WALK) {
		tg_gql_toobig(w->g, "graphql validation nesting exceeds the depth limit");
		w->stop = true;
		return NULL;
	}
	if (!excl)
		excl = !tg_gql_seq(a->objdef->name, b->objdef->name) &&
		       kind_is(a->objdef, "OBJECT") && kind_is(b->objdef, "OBJECT") && a->fdef &&
		       b->fdef;
	rn = a->alias.n ? a->alias : a->name;
	msg = NULL;
	sub = NULL;
	if (!excl && !tg_gql_seq(a->name, b->name)) {
		snprintf(buf, sizeof(buf), "\"%s\" and \"%s\" are different fields", C(a->name),
		         C(b->name));
		msg = cs(w->g, S(buf));
	} else if (!excl && !same_arguments(&a->args, &b->args)) {
		msg = "they have differing arguments";
	} else if (a->fdef && b->fdef && types_conflict(w, a->fdef->type, b->fdef->type, 0)) {
		snprintf(buf, sizeof(buf), "they return conflicting types \"%s\" and \"%s\"",
		         type_str(w->g, a->fdef->type), type_str(w->g, b->fdef->type));
		msg = cs(w->g, S(buf));
	} else {
		/* two leaves have nothing below them to compare */
		if (a->selset.n == 0 && b->selset.n == 0)
			return NULL;
		sub = conflicts_between_subsets(w, excl, &a->selset, &a->ov, &b->selset, &b->ov,
		                                depth + 1);
		if (!sub)
			return NULL;
	}
	c = tg_gql_new(w->g, sizeof(*c)); /* only for a conflict: pairs are many */
	if (!c)
		return NULL;
	c->response = rn;
	c->pos = b->pos;
	c->message = msg;
	if (sub)
		c->sub = *sub;
	return c;
}

static void conflict_str(struct mb *b, const struct conflict *c, unsigned depth)
{
	if (depth > TG_GQL_MAX_WALK)
		return;
	if (c->sub.n == 0) {
		mb_adds(b, c->message ? c->message : "");
		return;
	}
	for (size_t i = 0; i < c->sub.n; i++) {
		const struct conflict *s = c->sub.v[i];
		mb_adds(b, "subfields \"");
		mb_add(b, s->response.p, s->response.n);
		mb_adds(b, "\" conflict because ");
		conflict_str(b, s, depth + 1);
		if (i != c->sub.n - 1)
			mb_adds(b, " and ");
	}
}

static void overlapping(struct walker *w, const struct tg_gql_list *set, void **slot)
{
	struct tg_gql_list spreads = {0}, out = {0};
	struct fmap *fm;
	if (set->n == 0 || w->stop)
		return;
	fm = fields_and_frags(w, set, &spreads, slot);
	if (!fm)
		return;
	/* collectConflictsWithin */
	for (size_t i = 0; i < fm->seq.n && !ov_failed(w); i++) {
		struct fentry *e = fm->seq.v[i];
		for (size_t x = 0; x < e->fields.n; x++)
			for (size_t y = x + 1; y < e->fields.n; y++) {
				struct conflict *c;
				if (!charge(w, 1))
					return;
				c = find_conflict(w, false, e->fields.v[x], e->fields.v[y], 0);
				if (c && !tg_gql_push(w->g, &out, c))
					return;
			}
	}
	gmap_clear(&w->compared_frags);
	for (size_t i = 0; i < spreads.n && !ov_failed(w); i++) {
		collect_fields_and_fragment(w, &out, false, fm, spreads.v[i], 0);
		for (size_t k = i + 1; k < spreads.n && !ov_failed(w); k++)
			check_fragments(w, &out, false, spreads.v[i], spreads.v[k], 0);
	}
	if (ov_failed(w)) {
		w->stop = true;
		return;
	}
	for (size_t i = 0; i < out.n && !w->stop; i++) {
		const struct conflict *c = out.v[i];
		struct mb b;
		mb_init(&b);
		conflict_str(&b, c, 0);
		add_err(w, "OverlappingFieldsCanBeMerged", c->pos,
		        "Fields \"%s\" conflict because %.*s. Use different aliases on the fields "
		        "to fetch both if this was intentional.",
		        C(c->response), (int)b.n, b.s);
	}
}

/* OnOperation */
static void top_fields(struct walker *w, const struct tg_gql_list *set, struct tg_gql_list *out,
                       struct gmap *inrec, unsigned depth)
{
	if (depth > TG_GQL_MAX_WALK) {
		tg_gql_toobig(w->g, "graphql validation nesting exceeds the depth limit");
		w->stop = true;
		return;
	}
	for (size_t i = 0; i < set->n && !w->stop; i++) {
		struct tg_gql_sel *s = set->v[i];
		bool dummy = true;
		if (!charge(w, 1))
			return;
		if (s->kind == TG_GQL_FIELD) {
			if (!tg_gql_push(w->g, out, s))
				return;
		} else if (s->kind == TG_GQL_INLINE) {
			top_fields(w, &s->selset, out, inrec, depth + 1);
		} else {
			if (!s->frag)
				return;
			if (!gmap_get(inrec, s->frag->name)) {
				if (!gmap_put(w->g, inrec, s->frag->name, &dummy))
					return;
				top_fields(w, &s->frag->selset, out, inrec, depth + 1);
			}
		}
	}
}

static void on_operation(struct walker *w, struct tg_gql_op *op)
{
	bool known, dummy = true;
	struct tg_gql_def *root = root_for(w, op->operation, &known);
	/* KnownRootType */
	if (!known)
		add_err(w, "KnownRootType", op->pos, "got unknown operation type \"%s\"",
		        C(op->operation));
	else if (!root)
		add_err(w, "KnownRootType", op->pos,
		        "Schema does not support operation type \"%s\"", C(op->operation));
	/* LoneAnonymousOperation */
	if (op->name.n == 0 && w->doc->ops.n > 1)
		add_err(w, "LoneAnonymousOperation", op->pos,
		        "This anonymous operation must be the only defined operation.");
	/* NoUnusedVariables */
	for (size_t i = 0; i < op->vardefs.n; i++) {
		struct tg_gql_vardef *v = op->vardefs.v[i];
		if (v->used)
			continue;
		if (op->name.n)
			add_err(w, "NoUnusedVariables", v->pos,
			        "Variable \"$%s\" is never used in operation \"%s\".",
			        C(v->variable), C(op->name));
		else
			add_err(w, "NoUnusedVariables", v->pos, "Variable \"$%s\" is never used.",
			        C(v->variable));
	}
	if (w->stop)
		return;
	/* OverlappingFieldsCanBeMerged */
	overlapping(w, &op->selset, &op->ov);
	if (w->stop)
		return;
	/* SingleFieldSubscriptions */
	if (w->s->subscription && tg_gql_eq(op->operation, "subscription")) {
		struct tg_gql_list fields = {0}, uniq = {0};
		struct gmap inrec = {0}, seen = {0};
		char name[400], q[300];
		if (op->name.n)
			snprintf(name, sizeof(name), "Subscription %s",
			         tg_gql_quote(op->name, q, sizeof(q)));
		else
			snprintf(name, sizeof(name), "Anonymous Subscription");
		top_fields(w, &op->selset, &fields, &inrec, 0);
		for (size_t i = 0; i < fields.n && !w->stop; i++) {
			struct tg_gql_sel *f = fields.v[i];
			if (!gmap_get(&seen, f->name) && !tg_gql_push(w->g, &uniq, f))
				return;
			if (!gmap_put(w->g, &seen, f->name, &dummy))
				return;
		}
		if (uniq.n > 1)
			add_err(w, "SingleFieldSubscriptions",
			        ((struct tg_gql_sel *)uniq.v[1])->pos,
			        "%s must select only one top level field.", name);
		for (size_t i = 0; i < uniq.n; i++) {
			struct tg_gql_sel *f = uniq.v[i];
			if (f->name.n >= 2 && f->name.p[0] == '_' && f->name.p[1] == '_')
				add_err(w, "SingleFieldSubscriptions", f->pos,
				        "%s must not select an introspection top level field.",
				        name);
		}
	}
	/* UniqueOperationNames */
	if (gmap_get(&w->seen_operations, op->name))
		add_err(w, "UniqueOperationNames", op->pos,
		        "There can be only one operation named \"%s\".", C(op->name));
	if (!gmap_put(w->g, &w->seen_operations, op->name, &dummy))
		return;
	/* UniqueVariableNames */
	{
		struct gmap seen = {0};
		for (size_t i = 0; i < op->vardefs.n && !w->stop; i++) {
			struct tg_gql_vardef *v = op->vardefs.v[i];
			intptr_t c = (intptr_t)gmap_get(&seen, v->variable);
			if (c == 1)
				add_err(w, "UniqueVariableNames", v->pos,
				        "There can be only one variable named \"$%s\".",
				        C(v->variable));
			if (!gmap_put(w->g, &seen, v->variable, (void *)(c + 1)))
				return;
		}
	}
	/* VariablesAreInputTypes */
	for (size_t i = 0; i < op->vardefs.n; i++) {
		struct tg_gql_vardef *v = op->vardefs.v[i];
		if (v->def && !is_input(v->def))
			add_err(w, "VariablesAreInputTypes", v->pos,
			        "Variable \"$%s\" cannot be non-input type \"%s\".", C(v->variable),
			        type_str(w->g, v->type));
	}
}

/* OnField */
/* The argument rules that fields and directives share: args as given,
 * defs as the field or directive defines them. */

/* KnownArgumentNames: owner is the field's type, NULL for a directive. */
static void known_args(struct walker *w, const struct tg_gql_list *defs,
                       const struct tg_gql_list *args, struct tg_gql_pos pos,
                       const struct tg_gql_s *owner, struct tg_gql_s name)
{
	for (size_t i = 0; i < args->n && !w->stop; i++) {
		struct tg_gql_arg *a = args->v[i];
		struct tg_gql_s *opts;
		const char *sg;
		if (fdef_for(defs, a->name))
			continue;
		opts = names_of(w, defs);
		sg = opts ? suggest(w, "Did you mean", a->name, opts, defs->n, true) : "";
		if (owner)
			add_err(w, "KnownArgumentNames", pos,
			        "Unknown argument \"%s\" on field \"%s.%s\".%s", C(a->name),
			        C(*owner), C(name), sg);
		else
			add_err(w, "KnownArgumentNames", pos,
			        "Unknown argument \"%s\" on directive \"@%s\".%s", C(a->name),
			        C(name), sg);
	}
}

/* ProvidedRequiredArguments: what ("Field", "Directive") and at ("", "@")
 * name the owner in the message. */
static void required_args(struct walker *w, const struct tg_gql_list *defs,
                          const struct tg_gql_list *args, struct tg_gql_pos pos, const char *what,
                          const char *at, struct tg_gql_s name)
{
	for (size_t i = 0; i < defs->n; i++) {
		struct tg_gql_fdef *ad = defs->v[i];
		bool found = false;
		if (!ad->type || !ad->type->nonnull || ad->defval)
			continue;
		for (size_t k = 0; k < args->n && !found; k++)
			found = tg_gql_seq(((struct tg_gql_arg *)args->v[k])->name, ad->name);
		if (!found)
			add_err(w, "ProvidedRequiredArguments", pos,
			        "%s \"%s%s\" argument \"%s\" of type \"%s\" is required, but it "
			        "was "
			        "not provided.",
			        what, at, C(name), C(ad->name), type_str(w->g, ad->type));
	}
}

/* UniqueArgumentNames */
static void unique_args(struct walker *w, const struct tg_gql_list *args)
{
	struct gmap known = {0};
	for (size_t i = 0; i < args->n && !w->stop; i++) {
		struct tg_gql_arg *a = args->v[i];
		intptr_t c = (intptr_t)gmap_get(&known, a->name);
		if (c == 1)
			add_err(w, "UniqueArgumentNames", a->pos,
			        "There can be only one argument named \"%s\".", C(a->name));
		if (!gmap_put(w->g, &known, a->name, (void *)(c + 1)))
			return;
	}
}

static void on_field(struct walker *w, struct tg_gql_sel *f)
{
	/* FieldsOnCorrectType */
	if (f->objdef && !f->fdef) {
		struct mb b;
		bool typed = false;
		mb_init(&b);
		mb_addf(&b, "Cannot query field \"%s\" on type \"%s\".", C(f->name),
		        C(f->objdef->name));
		if (is_abstract(f->objdef)) {
			struct tg_gql_list *pt = gmap_get(&w->s->possible, f->objdef->name);
			struct tg_gql_list objs = {0}, ifs = {0};
			struct gmap usage = {0};
			for (size_t i = 0; pt && i < pt->n; i++) {
				struct tg_gql_def *p = pt->v[i];
				if (!p || !fdef_for(&p->fields, f->name))
					continue;
				(void)tg_gql_push(w->g, &objs, &p->name);
				for (size_t k = 0; k < p->ifaces.n; k++) {
					struct tg_gql_s *in = p->ifaces.v[k];
					struct tg_gql_def *id = stype(w->s, *in);
					if (id && fdef_for(&id->fields, f->name)) {
						intptr_t c = (intptr_t)gmap_get(&usage, *in);
						if (c == 0)
							(void)tg_gql_push(w->g, &ifs, in);
						(void)gmap_put(w->g, &usage, *in, (void *)(c + 1));
					}
				}
			}
			if (ifs.n + objs.n) {
				struct tg_gql_s *all = tg_arena_alloc_array(
				        &w->g->a, ifs.n + objs.n, sizeof(*all));
				size_t n = 0;
				if (all) {
					for (size_t i = 0; i < ifs.n; i++)
						all[n++] = *(struct tg_gql_s *)ifs.v[i];
					for (size_t i = 0; i < objs.n; i++)
						all[n++] = *(struct tg_gql_s *)objs.v[i];
					/* stable: usage count descending, then name */
					for (size_t i = 1; i < n; i++)
						for (size_t j = i; j > 0; j--) {
							intptr_t ua = (intptr_t)gmap_get(
							        &usage, all[j - 1]);
							intptr_t ub =
							        (intptr_t)gmap_get(&usage, all[j]);
							const struct tg_gql_s *pa = &all[j - 1],
							                      *pb = &all[j];
							bool less = ub != ua ? ub > ua
							                     : cmp_s(&pb, &pa) < 0;
							struct tg_gql_s t;
							if (!less)
								break;
							t = all[j];
							all[j] = all[j - 1];
							all[j - 1] = t;
						}
					mb_adds(&b, " Did you mean to use an inline fragment on ");
					or_list(&b, all, n, true);
					mb_addc(&b, '?');
					typed = true;
				}
			}
		}
		if (!typed && (kind_is(f->objdef, "OBJECT") || kind_is(f->objdef, "INTERFACE"))) {
			struct tg_gql_s *opts = names_of(w, &f->objdef->fields);
			const char *sg = opts ? suggest(w, "Did you mean", f->name, opts,
			                                f->objdef->fields.n, true)
			                      : "";
			mb_adds(&b, sg);
		}
		add_err(w, "FieldsOnCorrectType", f->pos, "%.*s", (int)b.n, b.s);
	}
	/* KnownArgumentNames */
	if (f->fdef && f->objdef)
		known_args(w, &f->fdef->args, &f->args, f->pos, &f->objdef->name, f->name);
	if (w->stop)
		return;
	/* OverlappingFieldsCanBeMerged */
	if (w->cur_op)
		overlapping(w, &f->selset, &f->ov);
	if (w->stop)
		return;
	/* ProvidedRequiredArguments */
	if (f->fdef)
		required_args(w, &f->fdef->args, &f->args, f->pos, "Field", "", f->name);
	/* ScalarLeafs */
	if (f->fdef) {
		struct tg_gql_def *ft = stype(w->s, type_name(f->fdef->type));
		if (ft) {
			if (is_leaf(ft) && f->selset.n > 0)
				add_err(w, "ScalarLeafs", f->pos,
				        "Field \"%s\" must not have a selection since type \"%s\" "
				        "has no subfields.",
				        C(f->name), C(ft->name));
			if (!is_leaf(ft) && f->selset.n == 0)
				add_err(w, "ScalarLeafs", f->pos,
				        "Field \"%s\" of type \"%s\" must have a selection of "
				        "subfields. Did you mean \"%s { ... }\"?",
				        C(f->name), type_str(w->g, f->fdef->type), C(f->name));
		}
	}
	/* UniqueArgumentNames */
	unique_args(w, &f->args);
}

static const char *loc_of_kindless(void)
{
	return "";
}

/* PossibleFragmentSpreads */
static bool spread_possible(struct walker *w, struct tg_gql_def *parent, struct tg_gql_s frag_type)
{
	struct tg_gql_def *ft;
	struct tg_gql_list one = {0}, *parents, *fdefs;
	if (!parent)
		return true;
	if (kind_is(parent, "OBJECT")) {
		if (!tg_gql_push(w->g, &one, parent))
			return true;
		parents = &one;
	} else if (kind_is(parent, "INTERFACE") || kind_is(parent, "UNION")) {
		parents = gmap_get(&w->s->possible, parent->name);
	} else {
		return true;
	}
	ft = stype(w->s, frag_type);
	if (!ft || !is_composite(ft))
		return true;
	fdefs = gmap_get(&w->s->possible, ft->name);
	for (size_t i = 0; fdefs && i < fdefs->n; i++)
		for (size_t k = 0; parents && k < parents->n; k++)
			if (fdefs->v[i] && parents->v[k] &&
			    tg_gql_seq(((struct tg_gql_def *)parents->v[k])->name,
			               ((struct tg_gql_def *)fdefs->v[i])->name))
				return true;
	return false;
}

static void on_inline(struct walker *w, struct tg_gql_sel *s)
{
	struct tg_gql_def *ft = stype(w->s, s->type_cond);
	/* FragmentsOnCompositeTypes */
	if (ft && !is_composite(ft))
		add_err(w, "FragmentsOnCompositeTypes", s->pos,
		        "Fragment cannot condition on non composite type \"%s\".", C(s->type_cond));
	/* KnownTypeNames */
	if (s->type_cond.n && !ft)
		add_err(w, "KnownTypeNames", s->pos, "Unknown type \"%s\".", C(s->type_cond));
	if (w->stop)
		return;
	/* OverlappingFieldsCanBeMerged */
	overlapping(w, &s->selset, &s->ov);
	if (w->stop)
		return;
	/* PossibleFragmentSpreads */
	if (!spread_possible(w, s->objdef, s->type_cond))
		add_err(w, "PossibleFragmentSpreads", s->pos,
		        "Fragment cannot be spread here as objects of type \"%s\" can never be of "
		        "type \"%s\".",
		        C(s->objdef->name), C(s->type_cond));
}

static void on_spread(struct walker *w, struct tg_gql_sel *s)
{
	bool dummy = true;
	/* KnownFragmentNames */
	if (!s->frag)
		add_err(w, "KnownFragmentNames", s->pos, "Unknown fragment \"%s\".", C(s->name));
	/* NoUnusedFragments */
	if (!w->in_fragment_definition)
		(void)gmap_put(w->g, &w->fragment_name_used, s->name, &dummy);
	/* PossibleFragmentSpreads */
	if (s->frag && !spread_possible(w, s->objdef, s->frag->type_cond))
		add_err(w, "PossibleFragmentSpreads", s->pos,
		        "Fragment \"%s\" cannot be spread here as objects of type \"%s\" can never "
		        "be of type \"%s\".",
		        C(s->name), C(s->objdef->name), C(s->frag->type_cond));
}

/* NoFragmentCycles */
static void frag_spreads(struct walker *w, const struct tg_gql_list *set, struct tg_gql_list *out)
{
	struct tg_gql_list stack = {0};
	if (!tg_gql_push(w->g, &stack, (void *)set))
		return;
	while (stack.n && !w->stop) {
		const struct tg_gql_list *cur = stack.v[--stack.n];
		for (size_t i = 0; i < cur->n; i++) {
			struct tg_gql_sel *s = cur->v[i];
			if (!charge(w, 1))
				return;
			if (s->kind == TG_GQL_SPREAD) {
				if (!tg_gql_push(w->g, out, s))
					return;
			} else if (!tg_gql_push(w->g, &stack, &s->selset)) {
				return;
			}
		}
	}
}

struct cycle_state {
	struct tg_gql_list path; /* struct tg_gql_sel (spreads) */
	struct gmap index;       /* name -> index+1 */
};

static void cycles(struct walker *w, struct cycle_state *cs_, struct tg_gql_frag *f, unsigned depth)
{
	struct tg_gql_list spreads = {0};
	if (w->stop)
		return;
	if (!first_visit(w, &w->frag_cycles_visited, f->name, depth))
		return;
	frag_spreads(w, &f->selset, &spreads);
	if (spreads.n == 0)
		return;
	if (!gmap_put(w->g, &cs_->index, f->name, (void *)(uintptr_t)(cs_->path.n + 1)))
		return;
	for (size_t i = 0; i < spreads.n && !w->stop; i++) {
		struct tg_gql_sel *sp = spreads.v[i];
		uintptr_t ci = (uintptr_t)gmap_get(&cs_->index, sp->name);
		if (!tg_gql_push(w->g, &cs_->path, sp))
			return;
		if (!ci) {
			struct tg_gql_frag *sf = frag_for(w, sp->name);
			if (sf)
				cycles(w, cs_, sf, depth + 1);
		} else {
			struct mb b;
			mb_init(&b);
			for (size_t k = ci - 1; k + 1 < cs_->path.n; k++) {
				struct tg_gql_sel *p = cs_->path.v[k];
				mb_adds(&b, k == ci - 1 ? " via " : ", ");
				mb_addf(&b, "\"%s\"", C(p->name));
			}
			add_err(w, "NoFragmentCycles", sp->pos,
			        "Cannot spread fragment \"%s\" within itself%.*s.", C(sp->name),
			        (int)b.n, b.s);
		}
		cs_->path.n--;
	}
	(void)gmap_put(w->g, &cs_->index, f->name, NULL);
}

static void on_fragment(struct walker *w, struct tg_gql_frag *f)
{
	bool dummy = true;
	/* FragmentsOnCompositeTypes */
	if (f->def && f->type_cond.n && !is_composite(f->def))
		add_err(w, "FragmentsOnCompositeTypes", f->pos,
		        "Fragment \"%s\" cannot condition on non composite type \"%s\".",
		        C(f->name), C(f->type_cond));
	/* KnownTypeNames */
	if (!stype(w->s, f->type_cond)) {
		struct tg_gql_s *opts =
		        tg_arena_alloc_array(&w->g->a, w->s->type_names.n + 1, sizeof(*opts));
		size_t n = 0;
		for (size_t i = 0; opts && i < w->s->type_names.n; i++)
			opts[n++] = *(struct tg_gql_s *)w->s->type_names.v[i];
		add_err(w, "KnownTypeNames", f->pos, "Unknown type \"%s\".%s", C(f->type_cond),
		        opts ? suggest(w, "Did you mean", f->type_cond, opts, n, true) : "");
	}
	if (w->stop)
		return;
	/* NoFragmentCycles */
	{
		struct cycle_state st;
		memset(&st, 0, sizeof(st));
		cycles(w, &st, f, 0);
	}
	if (w->stop)
		return;
	/* NoUnusedFragments */
	w->in_fragment_definition = true;
	if (!gmap_get(&w->fragment_name_used, f->name))
		add_err(w, "NoUnusedFragments", f->pos, "Fragment \"%s\" is never used.",
		        C(f->name));
	if (w->stop)
		return;
	/* OverlappingFieldsCanBeMerged */
	overlapping(w, &f->selset, &f->ov);
	if (w->stop)
		return;
	/* UniqueFragmentNames */
	if (gmap_get(&w->seen_fragments, f->name))
		add_err(w, "UniqueFragmentNames", f->pos,
		        "There can be only one fragment named \"%s\".", C(f->name));
	(void)gmap_put(w->g, &w->seen_fragments, f->name, &dummy);
}

static void on_directive(struct walker *w, struct tg_gql_dir *d)
{
	/* KnownArgumentNames */
	if (d->def)
		known_args(w, &d->def->args, &d->args, d->pos, NULL, d->name);
	/* KnownDirectives */
	if (!d->def) {
		add_err(w, "KnownDirectives", d->pos, "Unknown directive \"@%s\".", C(d->name));
	} else {
		bool ok = false;
		for (size_t i = 0; i < d->def->locs.n && !ok; i++)
			ok = tg_gql_eq(*(struct tg_gql_s *)d->def->locs.v[i], d->location);
		if (!ok) {
			char key[300];
			struct tg_gql_s k;
			snprintf(key, sizeof(key), "%s:%u:%u", C(d->name), d->pos.line, d->pos.col);
			k = S(cs(w->g, S(key)));
			if (!gmap_get(&w->dir_seen, k)) {
				add_err(w, "KnownDirectives", d->pos,
				        "Directive \"@%s\" may not be used on %s.", C(d->name),
				        d->location);
				(void)gmap_put(w->g, &w->dir_seen, k, (void *)1);
			}
		}
	}
	/* ProvidedRequiredArguments */
	if (d->def)
		required_args(w, &d->def->args, &d->args, d->pos, "Directive", "@", d->def->name);
	/* UniqueArgumentNames */
	unique_args(w, &d->args);
}

static void on_dirlist(struct walker *w, const struct tg_gql_list *dirs)
{
	struct gmap seen = {0};
	bool dummy = true;
	for (size_t i = 0; i < dirs->n && !w->stop; i++) {
		struct tg_gql_dir *d = dirs->v[i];
		if (!tg_gql_eq(d->name, "repeatable") && gmap_get(&seen, d->name))
			add_err(w, "UniqueDirectivesPerLocation", d->pos,
			        "The directive \"@%s\" can only be used once at this location.",
			        C(d->name));
		if (!gmap_put(w->g, &seen, d->name, &dummy))
			return;
	}
}

/* strconv.ParseInt(raw, 10, bits) outcome: 0 ok, 1 syntax, 2 range */
static int parse_int(struct tg_gql_s raw, int bits)
{
	size_t i = 0;
	bool neg = false;
	unsigned __int128 v = 0, lim;
	if (raw.n == 0)
		return 1;
	if (raw.p[0] == '+' || raw.p[0] == '-') {
		neg = raw.p[0] == '-';
		i = 1;
	}
	if (i == raw.n)
		return 1;
	lim = (unsigned __int128)1 << (bits - 1);
	for (; i < raw.n; i++) {
		if (raw.p[i] < '0' || raw.p[i] > '9')
			return 1;
		if (v <= lim)
			v = v * 10 + (unsigned)(raw.p[i] - '0');
	}
	if (neg ? v > lim : v >= lim)
		return 2;
	return 0;
}

/* strconv.ParseFloat(raw, 64) fails (syntax or range)? */
static bool float_fails(struct tg_gql_s raw)
{
	char buf[128];
	char *end;
	double d;
	if (raw.n == 0 || raw.n >= sizeof(buf))
		return raw.n == 0;
	memcpy(buf, raw.p, raw.n);
	buf[raw.n] = '\0';
	for (size_t i = 0; i < raw.n; i++)
		if (!((buf[i] >= '0' && buf[i] <= '9') || buf[i] == '.' || buf[i] == 'e' ||
		      buf[i] == 'E' || buf[i] == '+' || buf[i] == '-'))
			return true;
	errno = 0;
	d = strtod(buf, &end);
	(void)d;
	return *end != '\0' || errno == ERANGE;
}

static bool parse_bool_fails(struct tg_gql_s r)
{
	static const char *const ok[] = {"1", "t", "T",     "TRUE",  "true",  "True", "0",
	                                 "f", "F", "FALSE", "false", "False", NULL};
	for (size_t i = 0; ok[i]; i++)
		if (tg_gql_eq(r, ok[i]))
			return false;
	return true;
}

/* Value.Value(nil) returns an error? */
static bool value_fails(const struct tg_gql_value *v, unsigned depth)
{
	if (!v || depth > TG_GQL_MAX_DEPTH * 2)
		return false;
	switch (v->kind) {
	case TG_GQL_INT:
		return parse_int(v->raw, 64) != 0;
	case TG_GQL_FLOAT:
		return float_fails(v->raw);
	case TG_GQL_BOOLEAN:
		return parse_bool_fails(v->raw);
	case TG_GQL_LIST:
	case TG_GQL_OBJECT:
		for (size_t i = 0; i < v->children.n; i++)
			if (value_fails(((struct tg_gql_child *)v->children.v[i])->value,
			                depth + 1))
				return true;
		return false;
	default:
		return false;
	}
}

static bool def_oneof(const struct tg_gql_def *d, const char *const *names)
{
	for (size_t i = 0; names[i]; i++)
		if (tg_gql_eq(d->name, names[i]))
			return true;
	return false;
}

static void unexpected_type(struct walker *w, const struct tg_gql_value *v, const char *suffix)
{
	const char *et = type_str(w->g, v->expected), *vs = value_str(w, v);
	if (!strcmp(et, "Int") || !strcmp(et, "Int!")) {
		if (parse_int(v->raw, 32) == 2)
			add_err(w, "ValuesOfCorrectType", v->pos,
			        "Int cannot represent non 32-bit signed integer value: %s%s", vs,
			        suffix);
		else
			add_err(w, "ValuesOfCorrectType", v->pos,
			        "Int cannot represent non-integer value: %s%s", vs, suffix);
	} else if (!strcmp(et, "String") || !strcmp(et, "String!") || !strcmp(et, "[String]")) {
		add_err(w, "ValuesOfCorrectType", v->pos,
		        "String cannot represent a non string value: %s%s", vs, suffix);
	} else if (!strcmp(et, "Boolean") || !strcmp(et, "Boolean!")) {
		add_err(w, "ValuesOfCorrectType", v->pos,
		        "Boolean cannot represent a non boolean value: %s%s", vs, suffix);
	} else if (!strcmp(et, "Float") || !strcmp(et, "Float!")) {
		add_err(w, "ValuesOfCorrectType", v->pos,
		        "Float cannot represent non numeric value: %s%s", vs, suffix);
	} else if (!strcmp(et, "ID") || !strcmp(et, "ID!")) {
		add_err(w, "ValuesOfCorrectType", v->pos,
		        "ID cannot represent a non-string and non-integer value: %s%s", vs, suffix);
	} else if (kind_is(v->def, "ENUM")) {
		add_err(w, "ValuesOfCorrectType", v->pos,
		        "Enum \"%s\" cannot represent non-enum value: %s.%s", et, vs, suffix);
	} else {
		add_err(w, "ValuesOfCorrectType", v->pos,
		        "Expected value of type \"%s\", found %s.%s", et, vs, suffix);
	}
}

static void values_of_correct_type(struct walker *w, struct tg_gql_value *v)
{
	static const char *const builtin_scalars[] = {"Int",     "Float", "String",
	                                              "Boolean", "ID",    NULL};
	static const char *const int_ok[] = {"Int", "Float", "ID", NULL};
	static const char *const float_ok[] = {"Float", NULL};
	static const char *const str_ok[] = {"String", "ID", NULL};
	static const char *const bool_ok[] = {"Boolean", NULL};
	struct tg_gql_s *enums = NULL;
	size_t nenum = 0;
	if (!v->def || !v->expected)
		return;
	if (v->kind == TG_GQL_NULL && v->expected->nonnull)
		add_err(w, "ValuesOfCorrectType", v->pos,
		        "Expected value of type \"%s\", found %s.", type_str(w->g, v->expected),
		        value_str(w, v));
	if (kind_is(v->def, "SCALAR") && !def_oneof(v->def, builtin_scalars))
		return;
	if (kind_is(v->def, "ENUM")) {
		enums = names_of(w, &v->def->evals);
		nenum = enums ? v->def->evals.n : 0;
	}
	if (value_fails(v, 0))
		unexpected_type(w, v, "");
	switch (v->kind) {
	case TG_GQL_NULL:
		return;
	case TG_GQL_LIST:
		if (!v->expected->elem)
			unexpected_type(w, v, "");
		return;
	case TG_GQL_INT:
		if (!def_oneof(v->def, int_ok))
			unexpected_type(w, v, "");
		return;
	case TG_GQL_FLOAT:
		if (!def_oneof(v->def, float_ok))
			unexpected_type(w, v, "");
		return;
	case TG_GQL_STRING:
	case TG_GQL_BLOCK:
		if (kind_is(v->def, "ENUM"))
			add_err(w, "ValuesOfCorrectType", v->pos,
			        "Enum \"%s\" cannot represent non-enum value: %s.%s",
			        type_str(w->g, v->expected), value_str(w, v),
			        suggest(w, "Did you mean the enum value", v->raw, enums, nenum,
			                true));
		else if (!def_oneof(v->def, str_ok))
			unexpected_type(w, v, "");
		return;
	case TG_GQL_ENUM:
		if (!kind_is(v->def, "ENUM")) {
			unexpected_type(w, v,
			                suggest(w, "Did you mean the enum value", v->raw, enums,
			                        nenum, false));
		} else if (!fdef_for(&v->def->evals, v->raw)) {
			add_err(w, "ValuesOfCorrectType", v->pos,
			        "Value \"%s\" does not exist in \"%s\" enum.%s", value_str(w, v),
			        type_str(w->g, v->expected),
			        suggest(w, "Did you mean the enum value", v->raw, enums, nenum,
			                true));
		}
		return;
	case TG_GQL_BOOLEAN:
		if (!def_oneof(v->def, bool_ok))
			unexpected_type(w, v, "");
		return;
	case TG_GQL_OBJECT:
		for (size_t i = 0; i < v->def->fields.n && !w->stop; i++) {
			struct tg_gql_fdef *f = v->def->fields.v[i];
			bool present = false;
			if (!f->type || !f->type->nonnull)
				continue;
			for (size_t k = 0; k < v->children.n && !present; k++)
				present = tg_gql_seq(
				        ((struct tg_gql_child *)v->children.v[k])->name, f->name);
			if (!present && !f->defval)
				add_err(w, "ValuesOfCorrectType", v->pos,
				        "Field \"%s.%s\" of required type \"%s\" was not provided.",
				        C(v->def->name), C(f->name), type_str(w->g, f->type));
		}
		for (size_t i = 0; i < v->children.n && !w->stop; i++) {
			struct tg_gql_child *c = v->children.v[i];
			if (!fdef_for(&v->def->fields, c->name)) {
				struct tg_gql_s *opts = names_of(w, &v->def->fields);
				add_err(w, "ValuesOfCorrectType", c->pos,
				        "Field \"%s\" is not defined by type \"%s\".%s", C(c->name),
				        C(v->def->name),
				        opts ? suggest(w, "Did you mean", c->name, opts,
				                       v->def->fields.n, true)
				             : "");
			}
		}
		return;
	default:
		return;
	}
}

static void on_value(struct walker *w, struct tg_gql_value *v)
{
	/* NoUndefinedVariables */
	if (w->cur_op && v->kind == TG_GQL_VARIABLE && !v->vardef) {
		if (w->cur_op->name.n)
			add_err(w, "NoUndefinedVariables", v->pos,
			        "Variable \"%s\" is not defined by operation \"%s\".",
			        value_str(w, v), C(w->cur_op->name));
		else
			add_err(w, "NoUndefinedVariables", v->pos,
			        "Variable \"%s\" is not defined.", value_str(w, v));
	}
	/* UniqueInputFieldNames */
	if (v->kind == TG_GQL_OBJECT) {
		struct gmap seen = {0};
		bool dummy = true;
		for (size_t i = 0; i < v->children.n && !w->stop; i++) {
			struct tg_gql_child *c = v->children.v[i];
			if (gmap_get(&seen, c->name))
				add_err(w, "UniqueInputFieldNames", c->pos,
				        "There can be only one input field named \"%s\".",
				        C(c->name));
			if (!gmap_put(w->g, &seen, c->name, &dummy))
				return;
		}
	}
	if (w->stop)
		return;
	/* ValuesOfCorrectType */
	values_of_correct_type(w, v);
	if (w->stop)
		return;
	/* VariablesInAllowedPosition */
	if (v->kind == TG_GQL_VARIABLE && v->expected && v->vardef && w->cur_op) {
		struct tg_gql_type tmp = *v->expected;
		if (v->vardef->defval && v->vardef->defval->kind != TG_GQL_NULL &&
		    v->expected->nonnull)
			tmp.nonnull = false;
		if (!type_compatible(v->vardef->type, &tmp, 0))
			add_err(w, "VariablesInAllowedPosition", v->pos,
			        "Variable \"%s\" of type \"%s\" used in position expecting type "
			        "\"%s\".",
			        value_str(w, v), type_str(w->g, v->vardef->type),
			        type_str(w->g, v->expected));
	}
}

static void on_variable(struct walker *w, struct tg_gql_vardef *v)
{
	/* KnownTypeNames */
	struct tg_gql_s tn = type_name(v->type);
	if (!stype(w->s, tn))
		add_err(w, "KnownTypeNames", v->pos, "Unknown type \"%s\".", C(tn));
}

/* ---- the walk ---- */

static struct tg_gql_vardef *vardef_for(const struct tg_gql_list *l, struct tg_gql_s name)
{
	for (size_t i = 0; i < l->n; i++) {
		struct tg_gql_vardef *v = l->v[i];
		if (tg_gql_seq(v->variable, name))
			return v;
	}
	return NULL;
}

static void walk_value(struct walker *w, struct tg_gql_value *v)
{
	if (w->stop || !v || !walk_enter(w))
		return;
	if (!charge(w, 1))
		return;
	if (v->kind == TG_GQL_VARIABLE && w->cur_op) {
		v->vardef = vardef_for(&w->cur_op->vardefs, v->raw);
		if (v->vardef)
			v->vardef->used = true;
	}
	if (v->kind == TG_GQL_OBJECT)
		for (size_t i = 0; i < v->children.n && !w->stop; i++) {
			struct tg_gql_child *c = v->children.v[i];
			if (!c->value)
				continue;
			if (v->def) {
				struct tg_gql_fdef *fd = fdef_for(&v->def->fields, c->name);
				if (fd) {
					c->value->expected = fd->type;
					c->value->def = stype(w->s, type_name(fd->type));
				}
			}
			walk_value(w, c->value);
		}
	if (v->kind == TG_GQL_LIST)
		for (size_t i = 0; i < v->children.n && !w->stop; i++) {
			struct tg_gql_child *c = v->children.v[i];
			if (!c->value)
				continue;
			if (v->expected && v->expected->elem) {
				c->value->expected = v->expected->elem;
				c->value->def = v->def;
			}
			walk_value(w, c->value);
		}
	if (!w->stop)
		on_value(w, v);
	w->depth--;
}

static void walk_argument(struct walker *w, struct tg_gql_fdef *ad, struct tg_gql_arg *a)
{
	if (!a->value)
		return;
	if (ad) {
		a->value->expected = ad->type;
		a->value->def = stype(w->s, type_name(ad->type));
	}
	walk_value(w, a->value);
}

static void walk_directives(struct walker *w, struct tg_gql_def *parent, struct tg_gql_list *dirs,
                            const char *loc)
{
	for (size_t i = 0; i < dirs->n && !w->stop; i++) {
		struct tg_gql_dir *d = dirs->v[i];
		d->def = gmap_get(&w->s->directives, d->name);
		d->parent_def = parent;
		d->location = loc;
		for (size_t k = 0; k < d->args.n && !w->stop; k++) {
			struct tg_gql_arg *a = d->args.v[k];
			walk_argument(w, d->def ? fdef_for(&d->def->args, a->name) : NULL, a);
		}
		if (!w->stop)
			on_directive(w, d);
	}
	if (!w->stop)
		on_dirlist(w, dirs);
}

/* FragmentDefinitionList.ForName: the first fragment of that name. */
static struct tg_gql_frag *frag_for(struct walker *w, struct tg_gql_s name)
{
	return gmap_get(&w->frag_index, name);
}

static void walk_selset(struct walker *w, struct tg_gql_def *parent, struct tg_gql_list *set);

/* the implicit __typename field (never written to) */
static struct tg_gql_type typename_type = {{"String", 6}, NULL, false, {0, 0, false}};
static struct tg_gql_fdef typename_def = {.name = {"__typename", 10}, .type = &typename_type};

static void walk_selection(struct walker *w, struct tg_gql_def *parent, struct tg_gql_sel *s)
{
	bool dummy = true;
	if (!charge(w, 1))
		return;
	switch (s->kind) {
	case TG_GQL_FIELD: {
		struct tg_gql_fdef *def = NULL;
		struct tg_gql_def *next = NULL;
		if (tg_gql_eq(s->name, "__typename")) {
			def = &typename_def;
		} else if (parent) {
			def = fdef_for(&parent->fields, s->name);
		}
		s->fdef = def;
		s->objdef = parent;
		if (def)
			next = stype(w->s, type_name(def->type));
		for (size_t i = 0; i < s->args.n && !w->stop; i++) {
			struct tg_gql_arg *a = s->args.v[i];
			walk_argument(w, def ? fdef_for(&def->args, a->name) : NULL, a);
		}
		walk_directives(w, next, &s->dirs, "FIELD");
		walk_selset(w, next, &s->selset);
		if (!w->stop)
			on_field(w, s);
		break;
	}
	case TG_GQL_INLINE: {
		struct tg_gql_def *next = parent;
		s->objdef = parent;
		if (s->type_cond.n)
			next = stype(w->s, s->type_cond);
		walk_directives(w, next, &s->dirs, "INLINE_FRAGMENT");
		walk_selset(w, next, &s->selset);
		if (!w->stop)
			on_inline(w, s);
		break;
	}
	case TG_GQL_SPREAD: {
		struct tg_gql_frag *def = frag_for(w, s->name);
		struct tg_gql_def *next = NULL;
		s->frag = def;
		s->objdef = parent;
		if (def)
			next = stype(w->s, def->type_cond);
		walk_directives(w, next, &s->dirs, "FRAGMENT_SPREAD");
		if (def && !gmap_get(&w->validated_spreads, def->name)) {
			if (!gmap_put(w->g, &w->validated_spreads, def->name, &dummy)) {
				w->stop = true;
				return;
			}
			walk_selset(w, next, &def->selset);
		}
		if (!w->stop)
			on_spread(w, s);
		break;
	}
	}
}

static void walk_selset(struct walker *w, struct tg_gql_def *parent, struct tg_gql_list *set)
{
	if (w->stop || !walk_enter(w))
		return;
	for (size_t i = 0; i < set->n && !w->stop; i++)
		walk_selection(w, parent, set->v[i]);
	w->depth--;
}

static void walk_operation(struct walker *w, struct tg_gql_op *op)
{
	bool known;
	struct tg_gql_def *root;
	const char *loc;
	w->cur_op = op;
	for (size_t i = 0; i < op->vardefs.n && !w->stop; i++) {
		struct tg_gql_vardef *v = op->vardefs.v[i];
		v->def = stype(w->s, type_name(v->type));
		on_variable(w, v);
		if (v->defval) {
			v->defval->expected = v->type;
			v->defval->def = stype(w->s, type_name(v->type));
		}
	}
	root = root_for(w, op->operation, &known);
	if (tg_gql_eq(op->operation, "mutation"))
		loc = "MUTATION";
	else if (tg_gql_eq(op->operation, "subscription"))
		loc = "SUBSCRIPTION";
	else if (op_loc_name(op->operation))
		loc = "QUERY";
	else
		loc = loc_of_kindless();
	for (size_t i = 0; i < op->vardefs.n && !w->stop; i++) {
		struct tg_gql_vardef *v = op->vardefs.v[i];
		if (v->defval)
			walk_value(w, v->defval);
		walk_directives(w, v->def, &v->dirs, "VARIABLE_DEFINITION");
	}
	walk_directives(w, root, &op->dirs, loc);
	walk_selset(w, root, &op->selset);
	if (!w->stop)
		on_operation(w, op);
	w->cur_op = NULL;
}

static void walk_fragment(struct walker *w, struct tg_gql_frag *f)
{
	struct tg_gql_def *def = stype(w->s, f->type_cond);
	f->def = def;
	walk_directives(w, def, &f->dirs, "FRAGMENT_DEFINITION");
	walk_selset(w, def, &f->selset);
	if (!w->stop)
		on_fragment(w, f);
}

bool tg_gql_validate_all(struct tg_gql_ctx *g, struct tg_gql_schema *s, struct tg_gql_qdoc *doc,
                         tg_gql_err_fn all, void *ctx)
{
	struct walker w;
	memset(&w, 0, sizeof(w));
	w.all = all;
	w.all_ctx = ctx;
	w.g = g;
	w.s = s;
	w.doc = doc;
	/* the sorted type names, for "Did you mean" on unknown fragment types */
	if (s->type_names.n == 0) {
		for (size_t i = 0; i < s->types.cap; i++)
			if (s->types.k && s->types.k[i].p &&
			    !tg_gql_push(g, &s->type_names, &s->types.k[i]))
				return false;
		if (s->type_names.n > 1)
			qsort(s->type_names.v, s->type_names.n, sizeof(void *), cmp_s);
	}
	for (size_t i = doc->frags.n; i-- > 0;) {
		struct tg_gql_frag *f = doc->frags.v[i];
		if (!gmap_put(g, &w.frag_index, f->name, f))
			return false;
	}
	for (size_t i = 0; i < doc->ops.n && !w.stop; i++) {
		gmap_clear(&w.validated_spreads);
		walk_operation(&w, doc->ops.v[i]);
	}
	for (size_t i = 0; i < doc->frags.n && !w.stop; i++) {
		gmap_clear(&w.validated_spreads);
		walk_fragment(&w, doc->frags.v[i]);
	}
	return !g->err.msg[0];
}

bool tg_gql_validate(struct tg_gql_ctx *g, struct tg_gql_schema *s, struct tg_gql_qdoc *doc)
{
	return tg_gql_validate_all(g, s, doc, NULL, NULL);
}
