/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rego_annot.c - METADATA comment blocks: YAML (libyaml) to tg_json in
 * OPA's annotation schema, attached to the package and rules of a module.
 */

/*
 * A block starts at a comment whose text begins with METADATA and goes on
 * over comments in column 1 of the following rows; the rest of each line
 * (one leading space dropped) is YAML. The result is the object OPA's
 * rego.metadata.rule() shows: scope, title, description, entrypoint,
 * organizations, related_resources [{ref, description}], authors [{name,
 * email}], schemas [{path, schema | definition}], custom. A block belongs
 * to the first statement after it; scope defaults to rule (document for
 * an entrypoint) on rules and package on packages. Errors are
 * rego_parse_error at the METADATA line, with OPA's messages.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "core/limits.h"
#include "core/mem.h"
#include "rego/rego_lex.h"

/* Nodes one block may expand to (YAML aliases can multiply them). */
#define ANNOT_MAX_NODES 100000
#define ANNOT_MAX_DEPTH 64

struct block {
	size_t first; /* index of the METADATA comment */
	size_t n;     /* comments in the block, the METADATA line included */
};

struct annot {
	struct tg_arena *a;
	const char *text;
	const struct tg_rego_lexed *lx;
	struct tg_rego_module *m;
	struct tg_rego_error *err;
	const struct block *blk;
	yaml_document_t *doc;
	size_t work;
	tg_err r;
};

static void set_err(struct annot *an, struct tg_rego_loc loc, const char *fmt, ...) TG_PRINTF(3, 4);
static void set_err(struct annot *an, struct tg_rego_loc loc, const char *fmt, ...)
{
	va_list ap;
	if (an->r != TG_OK)
		return;
	an->r = TG_E_PARSE;
	if (!an->err)
		return;
	memset(an->err, 0, sizeof(*an->err));
	an->err->code = "rego_parse_error";
	an->err->loc = loc;
	va_start(ap, fmt);
	vsnprintf(an->err->msg, sizeof(an->err->msg), fmt, ap);
	va_end(ap);
}

static struct tg_rego_loc comment_loc(const struct annot *an, size_t i)
{
	struct tg_rego_loc l;
	l.file = an->m->file;
	l.row = an->lx->comments[i].row;
	l.col = an->lx->comments[i].col;
	return l;
}

static struct tg_rego_loc block_loc(const struct annot *an)
{
	return comment_loc(an, an->blk->first);
}

static void oom(struct annot *an)
{
	if (an->r == TG_OK)
		an->r = TG_E_TOOBIG;
}

/* ---- YAML scalars (the core schema, as gopkg.in/yaml.v3 resolves) ---- */

static bool eqs(const char *s, size_t n, const char *w)
{
	return strlen(w) == n && memcmp(s, w, n) == 0;
}

static bool all_digits(const char *s, size_t n, int base)
{
	size_t i;
	if (n == 0)
		return false;
	for (i = 0; i < n; i++) {
		char c = s[i];
		bool ok = (base == 2 && (c == '0' || c == '1')) ||
		          (base == 8 && c >= '0' && c <= '7') ||
		          (base == 10 && c >= '0' && c <= '9') ||
		          (base == 16 && ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
		                          (c >= 'A' && c <= 'F')));
		if (!ok)
			return false;
	}
	return true;
}

static bool is_float_lit(const char *s, size_t n)
{
	size_t i = 0;
	bool digits = false;
	if (i < n && (s[i] == '-' || s[i] == '+'))
		i++;
	while (i < n && s[i] >= '0' && s[i] <= '9') {
		i++;
		digits = true;
	}
	if (i < n && s[i] == '.') {
		i++;
		while (i < n && s[i] >= '0' && s[i] <= '9') {
			i++;
			digits = true;
		}
	}
	if (!digits)
		return false;
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '-' || s[i] == '+'))
			i++;
		if (i >= n || s[i] < '0' || s[i] > '9')
			return false;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
	}
	return i == n;
}

static const struct tg_json *num_from_text(struct annot *an, const char *s, size_t n, bool intlit,
                                           int base)
{
	const struct tg_json *v = NULL;
	char buf[64];
	if (intlit && base == 10) {
		size_t k = (n && s[0] == '+') ? 1 : 0;
		/* keep a decimal integer as written, without '+' and leading zeros */
		if (tg_json_numlit_valid(s + k, n - k) &&
		    tg_json_new_number(an->a, s + k, n - k, &v) == TG_OK)
			return v;
	}
	if (intlit) {
		unsigned long long u = 0;
		size_t i = 0;
		bool neg = false;
		if (n && (s[0] == '-' || s[0] == '+'))
			neg = s[i++] == '-';
		for (; i < n; i++) {
			int d = s[i] <= '9' ? s[i] - '0' : (s[i] | 0x20) - 'a' + 10;
			if (u > (~0ULL - (unsigned)d) / (unsigned)base)
				return NULL;
			u = u * (unsigned)base + (unsigned)d;
		}
		snprintf(buf, sizeof(buf), "%s%llu", neg && u ? "-" : "", u);
		if (tg_json_new_number(an->a, buf, strlen(buf), &v) == TG_OK)
			return v;
		return NULL;
	}
	{
		/* a float goes through a double, as Go's yaml does */
		char tmp[128];
		double d;
		struct tg_buf b = TG_BUF_INIT(64);
		if (n >= sizeof(tmp))
			return NULL;
		memcpy(tmp, s, n);
		tmp[n] = '\0';
		d = strtod(tmp, NULL);
		if (!isfinite(d) || tg_json_format_double(&b, d) != TG_OK ||
		    tg_json_new_number(an->a, (const char *)b.data, b.len, &v) != TG_OK)
			v = NULL;
		tg_buf_release(&b);
		return v;
	}
}

/* The value of a scalar node: quoted and block scalars are strings. */
static const struct tg_json *scalar_value(struct annot *an, yaml_node_t *node)
{
	const char *s = (const char *)node->data.scalar.value;
	size_t n = node->data.scalar.length;
	const struct tg_json *v = NULL;
	/* libyaml tags untagged scalars !!str, so an explicit !!str on a
	 * plain scalar cannot be told apart: plain scalars are resolved */
	bool plain = node->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
	if (plain) {
		if (n == 0 || eqs(s, n, "~") || eqs(s, n, "null") || eqs(s, n, "Null") ||
		    eqs(s, n, "NULL"))
			return &tg_json_null_v;
		if (eqs(s, n, "true") || eqs(s, n, "True") || eqs(s, n, "TRUE"))
			return &tg_json_true_v;
		if (eqs(s, n, "false") || eqs(s, n, "False") || eqs(s, n, "FALSE"))
			return &tg_json_false_v;
		{
			size_t k = (s[0] == '-' || s[0] == '+') ? 1 : 0;
			if (all_digits(s + k, n - k, 10) && (v = num_from_text(an, s, n, true, 10)))
				return v;
			if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'o' || s[1] == 'b')) {
				int base = s[1] == 'x' ? 16 : s[1] == 'o' ? 8 : 2;
				if (all_digits(s + 2, n - 2, base) &&
				    (v = num_from_text(an, s + 2, n - 2, true, base)))
					return v;
			}
			if (is_float_lit(s, n) && (v = num_from_text(an, s, n, false, 10)))
				return v;
		}
	}
	if (tg_json_new_string(an->a, s, n, &v) != TG_OK) {
		oom(an);
		return NULL;
	}
	return v;
}

/* Text of a scalar for string fields (any scalar; null is ""). */
static bool scalar_text(yaml_node_t *node, const char **s, size_t *n)
{
	if (!node || node->type != YAML_SCALAR_NODE)
		return false;
	*s = (const char *)node->data.scalar.value;
	*n = node->data.scalar.length;
	if (node->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	    (eqs(*s, *n, "~") || eqs(*s, *n, "null") || eqs(*s, *n, "Null") || eqs(*s, *n, "NULL")))
		*n = 0;
	return true;
}

static yaml_node_t *node_at(struct annot *an, int id)
{
	return yaml_document_get_node(an->doc, id);
}

static const char *node_tag_name(yaml_node_t *node)
{
	if (!node)
		return "!!null";
	switch (node->type) {
	case YAML_SEQUENCE_NODE:
		return "!!seq";
	case YAML_MAPPING_NODE:
		return "!!map";
	default:
		return "!!str";
	}
}

/* Any YAML node to JSON; map keys must be strings (path for messages). */
static const struct tg_json *to_json(struct annot *an, yaml_node_t *node, int depth,
                                     const char *path)
{
	if (an->r != TG_OK)
		return NULL;
	if (!node)
		return &tg_json_null_v;
	if (++an->work > ANNOT_MAX_NODES || depth > ANNOT_MAX_DEPTH) {
		set_err(an, block_loc(an), "yaml: document too large or too deeply nested");
		return NULL;
	}
	switch (node->type) {
	case YAML_SCALAR_NODE:
		return scalar_value(an, node);
	case YAML_SEQUENCE_NODE: {
		size_t n = (size_t)(node->data.sequence.items.top -
		                    node->data.sequence.items.start),
		       i;
		const struct tg_json **items =
		        tg_arena_alloc_array(an->a, n ? n : 1, sizeof(*items));
		const struct tg_json *v = NULL;
		char sub[256];
		if (!items) {
			oom(an);
			return NULL;
		}
		for (i = 0; i < n; i++) {
			snprintf(sub, sizeof(sub), "%s%s%zu", path, *path ? "/" : "", i);
			items[i] = to_json(an, node_at(an, node->data.sequence.items.start[i]),
			                   depth + 1, sub);
			if (!items[i])
				return NULL;
		}
		if (tg_json_new_array(an->a, items, n, &v) != TG_OK) {
			oom(an);
			return NULL;
		}
		return v;
	}
	case YAML_MAPPING_NODE: {
		size_t n = (size_t)(node->data.mapping.pairs.top - node->data.mapping.pairs.start),
		       i;
		struct tg_json_member *mem = tg_arena_alloc_array(an->a, n ? n : 1, sizeof(*mem));
		const struct tg_json *v = NULL;
		if (!mem) {
			oom(an);
			return NULL;
		}
		for (i = 0; i < n; i++) {
			yaml_node_pair_t *pr = &node->data.mapping.pairs.start[i];
			yaml_node_t *k = node_at(an, pr->key);
			const struct tg_json *kv =
			        k && k->type == YAML_SCALAR_NODE ? scalar_value(an, k) : NULL;
			char sub[256];
			if (an->r != TG_OK)
				return NULL;
			if (!kv || kv->type != TG_JSON_STRING) {
				set_err(an, block_loc(an), "invalid map key type(s): %s", path);
				return NULL;
			}
			snprintf(sub, sizeof(sub), "%s%s%s", path, *path ? "/" : "", kv->u.s.p);
			mem[i].key = kv;
			mem[i].val = to_json(an, node_at(an, pr->value), depth + 1, sub);
			if (!mem[i].val)
				return NULL;
		}
		/* a repeated key: yaml.v3 rejects it */
		if (tg_json_new_object(an->a, mem, n, TG_JSON_DUP_REJECT, &v) != TG_OK) {
			if (an->r == TG_OK)
				set_err(an, block_loc(an), "yaml: mapping key already defined");
			return NULL;
		}
		return v;
	}
	default:
		return &tg_json_null_v;
	}
}

/* ---- the annotation schema ---- */

struct fields {
	const char *keys[16];
	const struct tg_json *vals[16];
	size_t n;
};

static bool add_field(struct annot *an, struct fields *f, const char *key, const struct tg_json *v)
{
	(void)an;
	if (f->n == 16 || !v)
		return false;
	f->keys[f->n] = key;
	f->vals[f->n] = v;
	f->n++;
	return true;
}

static const struct tg_json *str_json(struct annot *an, const char *s, size_t n)
{
	const struct tg_json *v = NULL;
	if (tg_json_new_string(an->a, s, n, &v) != TG_OK) {
		oom(an);
		return NULL;
	}
	return v;
}

static void trim(const char **s, size_t *n)
{
	while (*n && (**s == ' ' || **s == '\t' || **s == '\n' || **s == '\r')) {
		(*s)++;
		(*n)--;
	}
	while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t' || (*s)[*n - 1] == '\n' ||
	              (*s)[*n - 1] == '\r'))
		(*n)--;
}

static const struct tg_json *map_get(struct annot *an, yaml_node_t *map, const char *key,
                                     yaml_node_t **node)
{
	yaml_node_pair_t *p;
	(void)an;
	*node = NULL;
	if (!map || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = node_at(an, p->key);
		if (k && k->type == YAML_SCALAR_NODE &&
		    eqs((const char *)k->data.scalar.value, k->data.scalar.length, key)) {
			*node = node_at(an, p->value);
			return &tg_json_null_v;
		}
	}
	return NULL;
}

/* A string member of a map (getSafeString): "" when absent or not a string. */
static void safe_string(struct annot *an, yaml_node_t *map, const char *key, const char **s,
                        size_t *n)
{
	yaml_node_t *v;
	*s = "";
	*n = 0;
	if (map_get(an, map, key, &v) && v && v->type == YAML_SCALAR_NODE) {
		const struct tg_json *j = scalar_value(an, v);
		if (j && j->type == TG_JSON_STRING) {
			*s = j->u.s.p;
			*n = j->u.s.len;
		}
	}
}

static void unmarshal_err(struct annot *an, yaml_node_t *node, const char *into)
{
	set_err(an, block_loc(an),
	        "yaml: unmarshal errors:\n  line %zu: cannot unmarshal %s into %s",
	        node ? node->start_mark.line + 1 : 0, node_tag_name(node), into);
}

/* related_resources: a URL string or {ref, description}. */
static const struct tg_json *related_resource(struct annot *an, yaml_node_t *node)
{
	struct tg_json_member mem[2];
	size_t nm = 0;
	const struct tg_json *v = NULL;
	const char *s, *d;
	size_t n, dn;
	if (node && node->type == YAML_SCALAR_NODE) {
		const struct tg_json *j = scalar_value(an, node);
		if (!j)
			return NULL;
		if (j->type == TG_JSON_STRING) {
			if (j->u.s.len == 0) {
				set_err(an, block_loc(an),
				        "invalid related-resource definition : ref URL may not be "
				        "empty string");
				return NULL;
			}
			s = j->u.s.p;
			n = j->u.s.len;
			d = "";
			dn = 0;
			goto build;
		}
	} else if (node && node->type == YAML_MAPPING_NODE) {
		safe_string(an, node, "ref", &s, &n);
		safe_string(an, node, "description", &d, &dn);
		trim(&s, &n);
		trim(&d, &dn);
		if (n == 0) {
			set_err(an, block_loc(an),
			        "invalid related-resource definition: 'ref' value required in "
			        "object");
			return NULL;
		}
		goto build;
	}
	set_err(an, block_loc(an),
	        "invalid related-resource definition: invalid value type, must be string or map");
	return NULL;
build:
	mem[nm].key = str_json(an, "ref", 3);
	mem[nm++].val = str_json(an, s, n);
	if (dn) {
		mem[nm].key = str_json(an, "description", 11);
		mem[nm++].val = str_json(an, d, dn);
	}
	if (an->r != TG_OK || tg_json_new_object(an->a, mem, nm, TG_JSON_DUP_REJECT, &v) != TG_OK) {
		oom(an);
		return NULL;
	}
	return v;
}

/* authors: "Name <email>" or {name, email}. */
static const struct tg_json *author(struct annot *an, yaml_node_t *node)
{
	struct tg_json_member mem[2];
	size_t nm = 0;
	const struct tg_json *v = NULL;
	const char *name = "", *email = "";
	size_t nn = 0, en = 0;
	char *joined = NULL;
	if (node && node->type == YAML_SCALAR_NODE) {
		const struct tg_json *j = scalar_value(an, node);
		const char *s, *end, *w, *last = NULL;
		size_t o = 0, lastn = 0;
		if (!j)
			return NULL;
		if (j->type != TG_JSON_STRING)
			goto badtype;
		s = j->u.s.p;
		end = s + j->u.s.len;
		joined = tg_arena_alloc_bytes(an->a, j->u.s.len + 1);
		if (!joined) {
			oom(an);
			return NULL;
		}
		/* words split on white space; a last word <x> is the email */
		for (w = s; w < end;) {
			const char *we;
			while (w < end && (*w == ' ' || *w == '\t' || *w == '\n' || *w == '\r'))
				w++;
			if (w >= end)
				break;
			we = w;
			while (we < end && *we != ' ' && *we != '\t' && *we != '\n' && *we != '\r')
				we++;
			if (last) {
				if (o)
					joined[o++] = ' ';
				memcpy(joined + o, last, lastn);
				o += lastn;
			}
			last = w;
			lastn = (size_t)(we - w);
			w = we;
		}
		if (!last) {
			set_err(an, block_loc(an),
			        "invalid author definition %.*s: author is an empty string",
			        (int)j->u.s.len, s);
			return NULL;
		}
		if (lastn >= 2 && last[0] == '<' && last[lastn - 1] == '>') {
			email = last + 1;
			en = lastn - 2;
		} else {
			if (o)
				joined[o++] = ' ';
			memcpy(joined + o, last, lastn);
			o += lastn;
		}
		name = joined;
		nn = o;
	} else if (node && node->type == YAML_MAPPING_NODE) {
		safe_string(an, node, "name", &name, &nn);
		safe_string(an, node, "email", &email, &en);
		trim(&name, &nn);
		trim(&email, &en);
		if (!nn && !en) {
			set_err(an, block_loc(an),
			        "invalid author definition: 'name' and/or 'email' values required "
			        "in object");
			return NULL;
		}
	} else {
		goto badtype;
	}
	if (nn) {
		mem[nm].key = str_json(an, "name", 4);
		mem[nm++].val = str_json(an, name, nn);
	}
	if (en) {
		mem[nm].key = str_json(an, "email", 5);
		mem[nm++].val = str_json(an, email, en);
	}
	if (an->r != TG_OK || tg_json_new_object(an->a, mem, nm, TG_JSON_DUP_REJECT, &v) != TG_OK) {
		oom(an);
		return NULL;
	}
	return v;
badtype:
	set_err(an, block_loc(an),
	        "invalid author definition: invalid value type, must be string or map");
	return NULL;
}

/* A ref written as text ("input.x", "schema.y") to OPA's path array. */
static const struct tg_json *ref_path(struct annot *an, const char *s, size_t n, bool schema)
{
	struct tg_rego_term *t = NULL;
	const struct tg_json **items;
	const struct tg_json *v = NULL;
	size_t i, cnt;
	if (tg_rego_parse_term(an->a, s, n, TG_REGO_V1, &t, NULL) != TG_OK)
		return NULL;
	if (schema && t->kind == TG_RT_VAR && strcmp(t->u.var.name, "schema") == 0) {
		items = tg_arena_alloc_array(an->a, 1, sizeof(*items));
		if (!items || !(items[0] = str_json(an, "schema", 6)) ||
		    tg_json_new_array(an->a, items, 1, &v) != TG_OK) {
			oom(an);
			return NULL;
		}
		return v;
	}
	if (t->kind != TG_RT_REF)
		return NULL;
	if (schema && (t->u.ref.items[0]->kind != TG_RT_VAR ||
	               strcmp(t->u.ref.items[0]->u.var.name, "schema") != 0))
		return NULL;
	cnt = t->u.ref.n;
	items = tg_arena_alloc_array(an->a, cnt, sizeof(*items));
	if (!items) {
		oom(an);
		return NULL;
	}
	for (i = 0; i < cnt; i++) {
		const struct tg_rego_term *it = t->u.ref.items[i];
		if (it->kind == TG_RT_SCALAR && it->u.value->type == TG_JSON_STRING) {
			items[i] = it->u.value;
		} else {
			struct tg_buf b = TG_BUF_INIT(4096);
			if (tg_rego_format_term(it, &b) != TG_OK) {
				tg_buf_release(&b);
				return NULL;
			}
			items[i] = str_json(an, (const char *)b.data, b.len);
			tg_buf_release(&b);
			if (!items[i])
				return NULL;
		}
	}
	if (tg_json_new_array(an->a, items, cnt, &v) != TG_OK) {
		oom(an);
		return NULL;
	}
	return v;
}

static const struct tg_json *schema_entry(struct annot *an, yaml_node_t *node)
{
	struct tg_json_member mem[2];
	const struct tg_json *v = NULL;
	yaml_node_pair_t *p;
	yaml_node_t *k, *val;
	const char *ks;
	size_t kn;
	if (!node || node->type != YAML_MAPPING_NODE) {
		unmarshal_err(an, node, "map[string]interface {}");
		return NULL;
	}
	/* one pair per entry; OPA takes an arbitrary one of several */
	p = node->data.mapping.pairs.start;
	if (p >= node->data.mapping.pairs.top) {
		set_err(an, block_loc(an), "invalid document reference");
		return NULL;
	}
	k = node_at(an, p->key);
	val = node_at(an, p->value);
	if (!scalar_text(k, &ks, &kn)) {
		set_err(an, block_loc(an), "invalid document reference");
		return NULL;
	}
	mem[0].key = str_json(an, "path", 4);
	mem[0].val = ref_path(an, ks, kn, false);
	if (an->r != TG_OK)
		return NULL;
	if (!mem[0].val) {
		set_err(an, block_loc(an), "invalid document reference");
		return NULL;
	}
	if (val && val->type == YAML_SCALAR_NODE) {
		const char *vs;
		size_t vn;
		scalar_text(val, &vs, &vn);
		mem[1].key = str_json(an, "schema", 6);
		mem[1].val = ref_path(an, vs, vn, true);
		if (an->r != TG_OK)
			return NULL;
		if (!mem[1].val) {
			set_err(an, block_loc(an), "invalid schema reference");
			return NULL;
		}
	} else if (val && val->type == YAML_MAPPING_NODE) {
		mem[1].key = str_json(an, "definition", 10);
		mem[1].val = to_json(an, val, 1, "");
		if (!mem[1].val) {
			if (an->r == TG_E_PARSE && an->err) {
				char tmp[sizeof(an->err->msg) - 32];
				memcpy(tmp, an->err->msg, sizeof(tmp) - 1);
				tmp[sizeof(tmp) - 1] = '\0';
				snprintf(an->err->msg, sizeof(an->err->msg),
				         "invalid schema definition: %s", tmp);
			}
			return NULL;
		}
	} else {
		set_err(an, block_loc(an), "invalid schema declaration for path \"%.*s\"", (int)kn,
		        ks);
		return NULL;
	}
	if (an->r != TG_OK || tg_json_new_object(an->a, mem, 2, TG_JSON_DUP_REJECT, &v) != TG_OK) {
		oom(an);
		return NULL;
	}
	return v;
}

/* A list field: each element through fn. */
static const struct tg_json *list_of(struct annot *an, yaml_node_t *node, const char *into,
                                     const struct tg_json *(*fn)(struct annot *, yaml_node_t *))
{
	size_t n, i;
	const struct tg_json **items;
	const struct tg_json *v = NULL;
	if (!node || (node->type == YAML_SCALAR_NODE && scalar_value(an, node) == &tg_json_null_v))
		return NULL;
	if (node->type != YAML_SEQUENCE_NODE) {
		unmarshal_err(an, node, into);
		return NULL;
	}
	n = (size_t)(node->data.sequence.items.top - node->data.sequence.items.start);
	if (n == 0)
		return NULL;
	items = tg_arena_alloc_array(an->a, n, sizeof(*items));
	if (!items) {
		oom(an);
		return NULL;
	}
	for (i = 0; i < n; i++) {
		if (++an->work > ANNOT_MAX_NODES) {
			set_err(an, block_loc(an), "yaml: document too large");
			return NULL;
		}
		items[i] = fn(an, node_at(an, node->data.sequence.items.start[i]));
		if (!items[i])
			return NULL;
	}
	if (tg_json_new_array(an->a, items, n, &v) != TG_OK) {
		oom(an);
		return NULL;
	}
	return v;
}

static const struct tg_json *org_entry(struct annot *an, yaml_node_t *node)
{
	const char *s;
	size_t n;
	if (!scalar_text(node, &s, &n)) {
		unmarshal_err(an, node, "string");
		return NULL;
	}
	return str_json(an, s, n);
}

/* A string field: any scalar's text; "" (absent) when null or empty. */
static bool string_field(struct annot *an, yaml_node_t *root, const char *key, const char **s,
                         size_t *n)
{
	yaml_node_t *node;
	*s = "";
	*n = 0;
	if (!map_get(an, root, key, &node) || !node)
		return false;
	if (!scalar_text(node, s, n)) {
		unmarshal_err(an, node, "string");
		return false;
	}
	return *n > 0;
}

/*
 * Parses one block into its annotation object (scope left out when the
 * block has none: *scope is then NULL).
 */
static const struct tg_json *parse_block(struct annot *an, struct fields *f, const char **scope,
                                         size_t *scope_len, bool *entrypoint)
{
	struct tg_buf y = TG_BUF_INIT(TG_LIMIT_REGO_SOURCE);
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root, *node;
	const struct tg_json *v = NULL;
	const char *s;
	size_t n, i;
	bool parser_ok = false, doc_ok = false, blank = true;

	*scope = NULL;
	*scope_len = 0;
	*entrypoint = false;
	for (i = 1; i < an->blk->n; i++) {
		const struct tg_rego_comment *c = &an->lx->comments[an->blk->first + i];
		const char *t = an->text + c->off;
		size_t tn = c->len, k;
		if (tn && t[0] == ' ') {
			t++;
			tn--;
		}
		for (k = 0; k < tn; k++)
			if (t[k] != ' ' && t[k] != '\t' && t[k] != '\r')
				blank = false;
		if (tg_buf_add(&y, t, tn) != TG_OK || tg_buf_addc(&y, '\n') != TG_OK) {
			oom(an);
			goto out;
		}
	}
	if (blank) {
		set_err(an, block_loc(an), "expected METADATA block, found whitespace");
		goto out;
	}
	if (!yaml_parser_initialize(&parser)) {
		oom(an);
		goto out;
	}
	parser_ok = true;
	yaml_parser_set_input_string(&parser, y.data, y.len);
	if (!yaml_parser_load(&parser, &doc)) {
		/* gopkg.in/yaml.v3 says "yaml: line N: problem" with N the
		 * context mark's 0-based line (else the problem's), plus one for
		 * scanner errors; OPA points at comment N of the block */
		size_t line = parser.context_mark.line ? parser.context_mark.line
		                                       : parser.problem_mark.line;
		struct tg_rego_loc loc = block_loc(an);
		const char *problem =
		        parser.problem ? parser.problem : "unknown problem parsing YAML content";
		if (line && parser.error == YAML_SCANNER_ERROR)
			line++;
		else if (!line && parser.error == YAML_SCANNER_ERROR)
			line = 1;
		if (line) {
			if (line < an->blk->n)
				loc = comment_loc(an, an->blk->first + line);
			else
				loc = comment_loc(an, an->blk->first + an->blk->n - 1);
			set_err(an, loc, "yaml: line %zu: %s", line, problem);
		} else {
			set_err(an, loc, "yaml: %s", problem);
		}
		goto out;
	}
	doc_ok = true;
	an->doc = &doc;
	root = yaml_document_get_root_node(&doc);
	if (root && root->type == YAML_SCALAR_NODE && scalar_value(an, root) == &tg_json_null_v)
		root = NULL;
	if (root && root->type != YAML_MAPPING_NODE) {
		unmarshal_err(an, root, "ast.rawAnnotation");
		goto out;
	}
	if (string_field(an, root, "scope", &s, &n)) {
		/* the YAML document is freed on return: keep a copy */
		*scope = tg_arena_strndup(an->a, s, n);
		*scope_len = n;
		if (!*scope)
			oom(an);
	}
	if (an->r != TG_OK)
		goto out;
	if (string_field(an, root, "title", &s, &n))
		add_field(an, f, "title", str_json(an, s, n));
	if (map_get(an, root, "entrypoint", &node) && node) {
		const struct tg_json *b =
		        node->type == YAML_SCALAR_NODE ? scalar_value(an, node) : NULL;
		if (!b || (b->type != TG_JSON_BOOL && b->type != TG_JSON_NULL)) {
			unmarshal_err(an, node, "bool");
			goto out;
		}
		if (b == &tg_json_true_v) {
			*entrypoint = true;
			add_field(an, f, "entrypoint", &tg_json_true_v);
		}
	}
	if (string_field(an, root, "description", &s, &n))
		add_field(an, f, "description", str_json(an, s, n));
	if (an->r != TG_OK)
		goto out;
	if (map_get(an, root, "organizations", &node) &&
	    (v = list_of(an, node, "[]string", org_entry)))
		add_field(an, f, "organizations", v);
	if (an->r != TG_OK)
		goto out;
	if (map_get(an, root, "related_resources", &node) &&
	    (v = list_of(an, node, "[]interface {}", related_resource)))
		add_field(an, f, "related_resources", v);
	if (an->r != TG_OK)
		goto out;
	if (map_get(an, root, "authors", &node) &&
	    (v = list_of(an, node, "[]interface {}", author)))
		add_field(an, f, "authors", v);
	if (an->r != TG_OK)
		goto out;
	if (map_get(an, root, "schemas", &node) &&
	    (v = list_of(an, node, "[]map[string]interface {}", schema_entry)))
		add_field(an, f, "schemas", v);
	if (an->r != TG_OK)
		goto out;
	if (map_get(an, root, "custom", &node) && node &&
	    !(node->type == YAML_SCALAR_NODE && scalar_value(an, node) == &tg_json_null_v)) {
		if (node->type != YAML_MAPPING_NODE) {
			unmarshal_err(an, node, "map[string]interface {}");
			goto out;
		}
		v = to_json(an, node, 0, "");
		if (!v)
			goto out;
		if (v->u.o.len)
			add_field(an, f, "custom", v);
	}
	v = &tg_json_empty_object_v;
out:
	an->doc = NULL;
	if (doc_ok)
		yaml_document_delete(&doc);
	if (parser_ok)
		yaml_parser_delete(&parser);
	tg_buf_release(&y);
	return an->r == TG_OK ? v : NULL;
}

static const struct tg_json *build_object(struct annot *an, struct fields *f, const char *scope,
                                          size_t scope_len)
{
	struct tg_json_member mem[17];
	const struct tg_json *v = NULL;
	size_t i, n = 0;
	if (scope_len) {
		mem[n].key = str_json(an, "scope", 5);
		mem[n++].val = str_json(an, scope, scope_len);
	}
	for (i = 0; i < f->n; i++) {
		mem[n].key = str_json(an, f->keys[i], strlen(f->keys[i]));
		mem[n++].val = f->vals[i];
	}
	if (an->r != TG_OK)
		return NULL;
	if (tg_json_new_object(an->a, mem, n, TG_JSON_DUP_LAST, &v) != TG_OK) {
		oom(an);
		return NULL;
	}
	return v;
}

static bool metadata_start(const char *s, size_t n)
{
	while (n &&
	       (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n' || *s == '\v' || *s == '\f')) {
		s++;
		n--;
	}
	return n >= 8 && memcmp(s, "METADATA", 8) == 0;
}

tg_err tg_rego_annotations_attach(struct tg_arena *a, struct tg_rego_module *m, const char *text,
                                  size_t n, const struct tg_rego_lexed *lx,
                                  const struct tg_rego_stmt_ref *stmts, size_t nstmts,
                                  struct tg_rego_error *err)
{
	struct annot an;
	size_t i, k;
	(void)n;
	memset(&an, 0, sizeof(an));
	an.a = a;
	an.text = text;
	an.lx = lx;
	an.m = m;
	an.err = err;
	an.r = TG_OK;
	for (i = 0; i < lx->ncomments && an.r == TG_OK; i++) {
		const struct tg_rego_comment *c = &lx->comments[i];
		struct block blk;
		struct fields f;
		const char *scope;
		size_t scope_len;
		bool entrypoint;
		const struct tg_json *obj;
		const struct tg_rego_stmt_ref *target = NULL;
		const char *have = NULL;
		char scopebuf[64];

		if (!metadata_start(text + c->off, c->len))
			continue;
		blk.first = i;
		blk.n = 1;
		while (i + blk.n < lx->ncomments &&
		       lx->comments[i + blk.n].row == lx->comments[i + blk.n - 1].row + 1 &&
		       lx->comments[i + blk.n].col == 1)
			blk.n++;
		an.blk = &blk;
		memset(&f, 0, sizeof(f));
		if (!parse_block(&an, &f, &scope, &scope_len, &entrypoint))
			break;
		/* the first statement after the block */
		for (k = 0; k < nstmts; k++)
			if (stmts[k].row > c->row) {
				target = &stmts[k];
				break;
			}
		if (target)
			have = target->kind == 0   ? "package"
			       : target->kind == 1 ? "import"
			                           : "rule";
		if (!scope) {
			if (target && target->kind == 2)
				scope = entrypoint ? "document" : "rule";
			else if (target && target->kind == 0)
				scope = "package";
			else if (target)
				scope = "import";
			else
				scope = "";
			scope_len = strlen(scope);
		}
		snprintf(scopebuf, sizeof(scopebuf), "%.*s", (int)(scope_len > 60 ? 60 : scope_len),
		         scope);
		if (strcmp(scopebuf, "rule") == 0 || strcmp(scopebuf, "document") == 0) {
			if (!target || target->kind != 2) {
				set_err(&an, block_loc(&an),
				        "annotation scope '%s' must be applied to rule%s%s%s",
				        scopebuf, have ? " (have " : "", have ? have : "",
				        have ? ")" : "");
				break;
			}
		} else if (strcmp(scopebuf, "package") == 0 ||
		           strcmp(scopebuf, "subpackages") == 0) {
			if (!target || target->kind != 0) {
				set_err(&an, block_loc(&an),
				        "annotation scope '%s' must be applied to package%s%s%s",
				        scopebuf, have ? " (have " : "", have ? have : "",
				        have ? ")" : "");
				break;
			}
		} else {
			set_err(&an, block_loc(&an),
			        "invalid annotation scope '%s'. Use one of 'rule', 'document', "
			        "'package', or 'subpackages'",
			        scopebuf);
			break;
		}
		if (entrypoint && strcmp(scopebuf, "document") != 0 &&
		    strcmp(scopebuf, "package") != 0) {
			set_err(&an, block_loc(&an),
			        "annotation entrypoint applied to non-document or package scope "
			        "'%s'",
			        scopebuf);
			break;
		}
		obj = build_object(&an, &f, scope, scope_len);
		if (!obj)
			break;
		if (target->kind == 0)
			m->package_annotations = obj;
		else
			target->rule->annotations = obj;
		i += blk.n - 1;
	}
	return an.r;
}
