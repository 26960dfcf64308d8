/* SPDX-License-Identifier: Apache-2.0 */
/*
 * builtins_encoding.c - Rego built-ins that encode and decode: json.*
 * (Go encoding/json output), yaml.* (libyaml, read and written as OPA's
 * sigs.k8s.io/yaml over go-yaml v2 does), base64*, hex.* and urlquery.*.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "core/buf.h"
#include "core/limits.h"
#include "core/utf8.h"
#include "rego/rego_bia.h"
#include "rego/rego_builtin.h"
#include "rego/rego_num.h"

#define OUT_MAX (64 * TG_MIB)        /* bytes of one encoded result */
#define YAML_NODES_MAX 1000000       /* nodes of one YAML document, aliases expanded */

static tg_err want_str(struct tg_rego_bctx *c, const struct tg_json *v, size_t i)
{
	return v->type == TG_JSON_STRING ? TG_OK : tg_rego_bia_type(c, i, "string", v);
}

static tg_err buf_result(struct tg_rego_bctx *c, struct tg_buf *b, const struct tg_json **out)
{
	tg_err rc = tg_rego_bia_str(c->a, b->data ? b->data : (const uint8_t *)"", b->len, out);
	tg_buf_release(b);
	return rc == TG_OK ? rc : tg_rego_bia_err(c, rc);
}

/* ---- Go encoding/json ---- */

static tg_err go_json_str(struct tg_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;
	tg_err rc = tg_buf_addc(b, '"');
	for (i = 0; i < n && rc == TG_OK; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch == '"' || ch == '\\') {
			rc = tg_buf_addc(b, '\\');
			if (rc == TG_OK)
				rc = tg_buf_addc(b, ch);
		} else if (ch == '\n') {
			rc = tg_buf_adds(b, "\\n");
		} else if (ch == '\r') {
			rc = tg_buf_adds(b, "\\r");
		} else if (ch == '\t') {
			rc = tg_buf_adds(b, "\\t");
		} else if (ch < 0x20 || ch == '<' || ch == '>' || ch == '&') {
			char e[6] = {'\\', 'u', '0', '0', hex[ch >> 4], hex[ch & 15]};
			rc = tg_buf_add(b, e, 6);
		} else if (ch == 0xE2 && i + 2 < n && (unsigned char)s[i + 1] == 0x80 &&
			   ((unsigned char)s[i + 2] == 0xA8 || (unsigned char)s[i + 2] == 0xA9)) {
			rc = tg_buf_adds(b, (unsigned char)s[i + 2] == 0xA8 ? "\\u2028" : "\\u2029");
			i += 2;
		} else {
			rc = tg_buf_addc(b, ch);
		}
	}
	return rc == TG_OK ? tg_buf_addc(b, '"') : rc;
}

static tg_err go_json(struct tg_arena *a, struct tg_buf *b, const struct tg_json *v,
		      const char *prefix, const char *indent, unsigned depth);

/* An object's members as Go sees them: keys turned into strings (a
 * non-string key is written as its JSON text), sorted, the last of equal
 * keys kept. */
struct skey {
	const char *k;
	size_t n;
	const struct tg_json *v;
};

static int skey_cmp(const void *x, const void *y)
{
	const struct skey *a = x, *b = y;
	size_t n = a->n < b->n ? a->n : b->n;
	int r = memcmp(a->k, b->k, n);
	return r ? r : (a->n < b->n ? -1 : a->n > b->n ? 1 : 0);
}

static tg_err go_keys(struct tg_arena *a, const struct tg_json *o, struct skey **out, size_t *nout)
{
	struct skey *m = tg_arena_alloc_array(a, o->u.o.len + 1, sizeof(*m));
	size_t i, n = 0;
	if (!m)
		return TG_E_TOOBIG;
	for (i = 0; i < o->u.o.len; i++) {
		const struct tg_json *k = o->u.o.items[i].key;
		if (k->type == TG_JSON_STRING) {
			m[i].k = k->u.s.p;
			m[i].n = k->u.s.len;
		} else {
			struct tg_buf kb = TG_BUF_INIT(OUT_MAX);
			tg_err rc = go_json(a, &kb, k, NULL, NULL, 0);
			if (rc == TG_OK) {
				m[i].k = tg_arena_strndup(a, tg_buf_str(&kb), kb.len);
				m[i].n = kb.len;
				if (!m[i].k)
					rc = TG_E_TOOBIG;
			}
			tg_buf_release(&kb);
			if (rc != TG_OK)
				return rc;
		}
		m[i].v = o->u.o.items[i].val;
	}
	/* stable: insertion order of equal keys is the value order, last wins */
	for (i = 1; i < o->u.o.len; i++) {
		struct skey t = m[i];
		size_t j = i;
		while (j > 0 && skey_cmp(&m[j - 1], &t) > 0) {
			m[j] = m[j - 1];
			j--;
		}
		m[j] = t;
	}
	for (i = 0; i < o->u.o.len; i++) {
		if (n > 0 && skey_cmp(&m[n - 1], &m[i]) == 0)
			m[n - 1] = m[i];
		else
			m[n++] = m[i];
	}
	*out = m;
	*nout = n;
	return TG_OK;
}

static tg_err newline(struct tg_buf *b, const char *prefix, const char *indent, unsigned depth)
{
	tg_err rc = tg_buf_addc(b, '\n');
	unsigned i;
	if (rc == TG_OK)
		rc = tg_buf_adds(b, prefix);
	for (i = 0; i < depth && rc == TG_OK; i++)
		rc = tg_buf_adds(b, indent);
	return rc;
}

/* Go's json.Marshal (prefix NULL) or json.MarshalIndent. */
static tg_err go_json(struct tg_arena *a, struct tg_buf *b, const struct tg_json *v,
		      const char *prefix, const char *indent, unsigned depth)
{
	size_t i, n;
	tg_err rc = TG_OK;
	if (depth > TG_LIMIT_JSON_DEPTH)
		return TG_E_DEPTH;
	switch (v->type) {
	case TG_JSON_NULL:
		return tg_buf_adds(b, "null");
	case TG_JSON_BOOL:
		return tg_buf_adds(b, v->u.b ? "true" : "false");
	case TG_JSON_NUMBER:
		return tg_buf_add(b, v->u.s.p, v->u.s.len);
	case TG_JSON_STRING:
		return go_json_str(b, v->u.s.p, v->u.s.len);
	case TG_JSON_ARRAY:
	case TG_JSON_SET:
		n = v->u.a.len;
		if ((rc = tg_buf_addc(b, '[')) != TG_OK)
			return rc;
		for (i = 0; i < n && rc == TG_OK; i++) {
			if (i && (rc = tg_buf_addc(b, ',')) != TG_OK)
				break;
			if (prefix && (rc = newline(b, prefix, indent, depth + 1)) != TG_OK)
				break;
			rc = go_json(a, b, v->u.a.items[i], prefix, indent, depth + 1);
		}
		if (rc == TG_OK && prefix && n)
			rc = newline(b, prefix, indent, depth);
		return rc == TG_OK ? tg_buf_addc(b, ']') : rc;
	case TG_JSON_OBJECT: {
		struct skey *m;
		if ((rc = go_keys(a, v, &m, &n)) != TG_OK)
			return rc;
		if ((rc = tg_buf_addc(b, '{')) != TG_OK)
			return rc;
		for (i = 0; i < n && rc == TG_OK; i++) {
			if (i && (rc = tg_buf_addc(b, ',')) != TG_OK)
				break;
			if (prefix && (rc = newline(b, prefix, indent, depth + 1)) != TG_OK)
				break;
			if ((rc = go_json_str(b, m[i].k, m[i].n)) != TG_OK ||
			    (rc = tg_buf_adds(b, prefix ? ": " : ":")) != TG_OK)
				break;
			rc = go_json(a, b, m[i].v, prefix, indent, depth + 1);
		}
		if (rc == TG_OK && prefix && n)
			rc = newline(b, prefix, indent, depth);
		return rc == TG_OK ? tg_buf_addc(b, '}') : rc;
	}
	default:
		return TG_E_INTERNAL;
	}
}

static tg_err bi_json_marshal(struct tg_rego_bctx *c, const struct tg_json *const *args,
			      size_t nargs, const struct tg_json **out)
{
	struct tg_buf b = TG_BUF_INIT(OUT_MAX);
	tg_err rc = go_json(c->a, &b, args[0], NULL, NULL, 0);
	(void)nargs;
	if (rc != TG_OK) {
		tg_buf_release(&b);
		return tg_rego_bia_err(c, rc);
	}
	return buf_result(c, &b, out);
}

static tg_err bi_json_marshal_opts(struct tg_rego_bctx *c, const struct tg_json *const *args,
				   size_t nargs, const struct tg_json **out)
{
	const struct tg_json *o = args[1];
	const char *indent = "\t", *prefix = "";
	bool implicit = false, explicit_set = false, pretty = false;
	struct tg_buf b = TG_BUF_INIT(OUT_MAX);
	size_t i;
	tg_err rc;
	(void)nargs;
	if (o->type != TG_JSON_OBJECT)
		return tg_rego_bia_type(c, 2, "object", o);
	for (i = 0; i < o->u.o.len; i++) {
		const struct tg_json *k = o->u.o.items[i].key, *v = o->u.o.items[i].val;
		if (k->type != TG_JSON_STRING) {
			tg_diag_set(c->d, "operand 2 failed to stringify key at index %zu", i);
			return TG_E_TYPE;
		}
		if (tg_json_str_eq(k, "prefix") || tg_json_str_eq(k, "indent")) {
			if (v->type != TG_JSON_STRING || memchr(v->u.s.p, 0, v->u.s.len)) {
				tg_diag_set(c->d, "operand 2 key %s failed cast to string", k->u.s.p);
				return TG_E_TYPE;
			}
			if (k->u.s.p[0] == 'p')
				prefix = v->u.s.p;
			else
				indent = v->u.s.p;
			implicit = true;
		} else if (tg_json_str_eq(k, "pretty")) {
			explicit_set = true;
			if (v->type != TG_JSON_BOOL) {
				tg_diag_set(c->d, "operand 2 key pretty failed cast to bool");
				return TG_E_TYPE;
			}
			pretty = v->u.b;
		} else {
			tg_diag_set(c->d, "operand 2 object contained unknown key %.64s", k->u.s.p);
			return TG_E_TYPE;
		}
	}
	if (!explicit_set)
		pretty = implicit;
	if (pretty)
		rc = tg_buf_adds(&b, prefix);
	else
		rc = TG_OK;
	if (rc == TG_OK)
		rc = go_json(c->a, &b, args[0], pretty ? prefix : NULL, indent, 0);
	if (rc != TG_OK) {
		tg_buf_release(&b);
		return tg_rego_bia_err(c, rc);
	}
	return buf_result(c, &b, out);
}

static tg_err bi_json_unmarshal(struct tg_rego_bctx *c, const struct tg_json *const *args,
				size_t nargs, const struct tg_json **out)
{
	struct tg_json_parse_opts o = {TG_JSON_DUP_LAST, 0, false};
	struct tg_diag d;
	tg_err rc;
	(void)nargs;
	if ((rc = want_str(c, args[0], 1)) != TG_OK)
		return rc;
	if ((rc = tg_rego_bia_charge(c, args[0]->u.s.len / 16 + 1)) != TG_OK)
		return rc;
	tg_diag_init(&d);
	rc = tg_json_parse(c->a, args[0]->u.s.p, args[0]->u.s.len, &o, out, NULL, &d);
	if (rc != TG_OK)
		return tg_rego_bia_fail(c, "%s", d.msg[0] ? d.msg : tg_strerror(rc));
	return TG_OK;
}

static tg_err bi_json_is_valid(struct tg_rego_bctx *c, const struct tg_json *const *args,
			       size_t nargs, const struct tg_json **out)
{
	struct tg_json_parse_opts o = {TG_JSON_DUP_LAST, 0, false};
	const struct tg_json *v;
	tg_err rc;
	(void)nargs;
	if (args[0]->type != TG_JSON_STRING) {
		*out = &tg_json_false_v;
		return TG_OK;
	}
	if ((rc = tg_rego_bia_charge(c, args[0]->u.s.len / 16 + 1)) != TG_OK)
		return rc;
	rc = tg_json_parse(c->a, args[0]->u.s.p, args[0]->u.s.len, &o, &v, NULL, NULL);
	if (rc == TG_E_TOOBIG)
		return tg_rego_bia_err(c, rc);
	*out = tg_json_bool(rc == TG_OK);
	return TG_OK;
}

/* ---- Go strconv.FormatFloat(x, 'g', -1, 64) ---- */

static tg_err go_float_g(struct tg_buf *b, double x)
{
	char tmp[40], dig[24];
	int p, nd = 0, exp10 = 0, i;
	const char *e;
	if (x == 0)
		return tg_buf_adds(b, signbit(x) ? "-0" : "0");
	for (p = 1; p <= 17; p++) {
		snprintf(tmp, sizeof(tmp), "%.*e", p - 1, x);
		if (strtod(tmp, NULL) == x)
			break;
	}
	/* tmp is [-]d[.ddd]e[+-]xx */
	e = strchr(tmp, 'e');
	for (i = 0; tmp + i < e; i++)
		if (tmp[i] >= '0' && tmp[i] <= '9' && nd < (int)sizeof(dig))
			dig[nd++] = tmp[i];
	exp10 = (int)strtol(e + 1, NULL, 10);
	while (nd > 1 && dig[nd - 1] == '0')
		nd--;
	if (x < 0 && tg_buf_addc(b, '-') != TG_OK)
		return TG_E_TOOBIG;
	/* shortest 'g' uses %e when the exponent is < -4 or >= 6 */
	if (exp10 < -4 || exp10 >= 6) {
		if (tg_buf_addc(b, (uint8_t)dig[0]) != TG_OK)
			return TG_E_TOOBIG;
		if (nd > 1 && (tg_buf_addc(b, '.') != TG_OK || tg_buf_add(b, dig + 1, (size_t)nd - 1) != TG_OK))
			return TG_E_TOOBIG;
		return tg_buf_addf(b, "e%c%02d", exp10 < 0 ? '-' : '+', exp10 < 0 ? -exp10 : exp10);
	}
	if (exp10 < 0) {
		if (tg_buf_adds(b, "0.") != TG_OK)
			return TG_E_TOOBIG;
		for (i = 0; i < -exp10 - 1; i++)
			if (tg_buf_addc(b, '0') != TG_OK)
				return TG_E_TOOBIG;
		return tg_buf_add(b, dig, (size_t)nd);
	}
	for (i = 0; i <= exp10; i++)
		if (tg_buf_addc(b, (uint8_t)(i < nd ? dig[i] : '0')) != TG_OK)
			return TG_E_TOOBIG;
	if (nd > exp10 + 1) {
		if (tg_buf_addc(b, '.') != TG_OK)
			return TG_E_TOOBIG;
		return tg_buf_add(b, dig + exp10 + 1, (size_t)(nd - exp10 - 1));
	}
	return TG_OK;
}

/* ---- YAML: go-yaml v2's resolution of plain scalars ---- */

enum yres { Y_STR, Y_NULL, Y_BOOL, Y_INT, Y_FLOAT, Y_BAD };

static bool in_list(const char *s, size_t n, const char *const *l)
{
	for (; *l; l++)
		if (strlen(*l) == n && memcmp(*l, s, n) == 0)
			return true;
	return false;
}

/* Resolves a plain scalar; for Y_INT/Y_FLOAT writes the JSON number text
 * (decimal integer, or the float as encoding/json prints a float64), for
 * Y_BOOL the value. */
static enum yres yaml_resolve(const char *s, size_t n, struct tg_buf *num, bool *bv)
{
	static const char *const nulls[] = {"", "~", "null", "Null", "NULL", NULL};
	static const char *const trues[] = {"y", "Y", "yes", "Yes", "YES", "true", "True",
					    "TRUE", "on", "On", "ON", NULL};
	static const char *const falses[] = {"n", "N", "no", "No", "NO", "false", "False",
					     "FALSE", "off", "Off", "OFF", NULL};
	char clean[128];
	size_t i, m = 0;
	bool neg = false;
	int base = 10;
	if (in_list(s, n, nulls))
		return Y_NULL;
	if (in_list(s, n, trues)) {
		*bv = true;
		return Y_BOOL;
	}
	if (in_list(s, n, falses)) {
		*bv = false;
		return Y_BOOL;
	}
	if (n == 0 || n >= sizeof(clean))
		return Y_STR;
	if (!(isdigit((unsigned char)s[0]) || s[0] == '-' || s[0] == '+' || s[0] == '.'))
		return Y_STR;
	if ((n == 4 || n == 5) && (in_list(s, n, (const char *const[]){".inf", ".Inf", ".INF", "+.inf",
									   "+.Inf", "+.INF", "-.inf",
									   "-.Inf", "-.INF", ".nan",
									   ".NaN", ".NAN", NULL})))
		return Y_BAD; /* JSON has no infinities: sigs.k8s.io/yaml fails */
	for (i = 0; i < n; i++)
		if (s[i] != '_')
			clean[m++] = s[i];
	clean[m] = '\0';
	/* integers: decimal, 0x, 0b, leading-0 octal */
	{
		const char *p = clean;
		unsigned long long u = 0;
		bool ok = m > 0, any = false;
		if (*p == '-' || *p == '+') {
			neg = *p == '-';
			p++;
		}
		if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
			base = 16;
			p += 2;
		} else if (p[0] == '0' && p[1] == 'o') {
			base = 8;
			p += 2;
		} else if (p[0] == '0' && p[1] == 'b') {
			base = 2;
			p += 2;
		} else if (p[0] == '0' && p[1]) {
			base = 8;
			p++;
		}
		for (; *p && ok; p++) {
			int dv = isdigit((unsigned char)*p) ? *p - '0'
				 : (*p >= 'a' && *p <= 'f') ? *p - 'a' + 10
				 : (*p >= 'A' && *p <= 'F') ? *p - 'A' + 10
							     : 99;
			if (dv >= base || u > (~0ULL - (unsigned)dv) / (unsigned)base)
				ok = false;
			else
				u = u * (unsigned)base + (unsigned)dv;
			any = true;
		}
		if (ok && any && (!neg || u <= 9223372036854775808ULL)) {
			if (tg_buf_addf(num, "%s%llu", neg && u ? "-" : "", u) != TG_OK)
				return Y_BAD;
			return Y_INT;
		}
	}
	/* floats: [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? */
	{
		const char *p = clean;
		size_t d1 = 0, d2 = 0;
		char *end;
		double x;
		if (*p == '-' || *p == '+')
			p++;
		while (isdigit((unsigned char)*p)) {
			p++;
			d1++;
		}
		if (*p == '.') {
			p++;
			while (isdigit((unsigned char)*p)) {
				p++;
				d2++;
			}
		}
		if (d1 == 0 && d2 == 0)
			return Y_STR;
		if (*p == 'e' || *p == 'E') {
			p++;
			if (*p == '-' || *p == '+')
				p++;
			if (!isdigit((unsigned char)*p))
				return Y_STR;
			while (isdigit((unsigned char)*p))
				p++;
		}
		if (*p)
			return Y_STR;
		errno = 0;
		x = strtod(clean, &end);
		if (isinf(x))
			return Y_BAD;
		num->len = 0;
		if (tg_json_format_double(num, x == 0 ? 0.0 : x) != TG_OK)
			return Y_BAD;
		return Y_FLOAT;
	}
}

/* ---- YAML unmarshal (libyaml events into values) ---- */

struct ynode;
struct yanchor {
	char *name;
	const struct tg_json *v;
	struct yanchor *next;
};

struct yctx {
	struct tg_rego_bctx *c;
	yaml_parser_t p;
	yaml_event_t ev;
	bool have;
	struct yanchor *anchors;
	size_t nodes;
	char err[160];
};

static void yfree_anchors(struct yctx *y)
{
	while (y->anchors) {
		struct yanchor *n = y->anchors->next;
		free(y->anchors->name);
		free(y->anchors);
		y->anchors = n;
	}
}

static bool ynext(struct yctx *y)
{
	if (y->have)
		yaml_event_delete(&y->ev);
	y->have = false;
	if (!yaml_parser_parse(&y->p, &y->ev)) {
		size_t line = 0;
		if (y->p.problem_mark.line != 0) {
			line = y->p.problem_mark.line;
			if (y->p.error == YAML_SCANNER_ERROR)
				line++;
		} else if (y->p.context_mark.line != 0) {
			line = y->p.context_mark.line;
		}
		if (line)
			snprintf(y->err, sizeof(y->err), "yaml: line %zu: %s", line,
				 y->p.problem ? y->p.problem : "syntax error");
		else
			snprintf(y->err, sizeof(y->err), "yaml: %s",
				 y->p.problem ? y->p.problem : "syntax error");
		return false;
	}
	y->have = true;
	return true;
}

static tg_err yset_anchor(struct yctx *y, const yaml_char_t *name, const struct tg_json *v)
{
	struct yanchor *a;
	if (!name)
		return TG_OK;
	a = calloc(1, sizeof(*a));
	if (!a)
		return TG_E_INTERNAL;
	a->name = strdup((const char *)name);
	a->v = v;
	a->next = y->anchors;
	y->anchors = a;
	return a->name ? TG_OK : TG_E_INTERNAL;
}

static size_t count_nodes(const struct tg_json *v, size_t cap)
{
	size_t n = 1, i;
	if (v->type == TG_JSON_ARRAY || v->type == TG_JSON_SET) {
		for (i = 0; i < v->u.a.len && n <= cap; i++)
			n += count_nodes(v->u.a.items[i], cap);
	} else if (v->type == TG_JSON_OBJECT) {
		for (i = 0; i < v->u.o.len && n <= cap; i++)
			n += count_nodes(v->u.o.items[i].val, cap);
	}
	return n;
}

static tg_err yfail(struct yctx *y, const char *msg)
{
	if (!y->err[0])
		snprintf(y->err, sizeof(y->err), "%s", msg);
	return TG_E_PARSE;
}

static tg_err yscalar(struct yctx *y, const struct tg_json **out, bool as_key)
{
	const yaml_event_t *e = &y->ev;
	const char *s = (const char *)e->data.scalar.value;
	size_t n = e->data.scalar.length;
	const char *tag = (const char *)e->data.scalar.tag;
	struct tg_buf num = TG_BUF_INIT(512);
	enum yres r = Y_STR;
	bool bv = false;
	tg_err rc;

	if (tag && strcmp(tag, "tag:yaml.org,2002:str") == 0)
		r = Y_STR;
	else if (e->data.scalar.style == YAML_PLAIN_SCALAR_STYLE || (tag && strcmp(tag, "!") != 0))
		r = yaml_resolve(s, n, &num, &bv);
	switch (r) {
	case Y_NULL:
		*out = as_key ? NULL : &tg_json_null_v;
		rc = TG_OK;
		if (as_key)
			rc = tg_json_new_string(y->c->a, "null", 4, out);
		break;
	case Y_BOOL:
		if (as_key)
			rc = tg_json_new_string(y->c->a, bv ? "true" : "false", bv ? 4 : 5, out);
		else {
			*out = tg_json_bool(bv);
			rc = TG_OK;
		}
		break;
	case Y_INT:
	case Y_FLOAT:
		if (as_key) {
			/* keys become strings; a float key as Go's FormatFloat 'g' */
			if (r == Y_FLOAT) {
				double x = strtod(tg_buf_str(&num), NULL);
				num.len = 0;
				if (go_float_g(&num, x) != TG_OK) {
					rc = TG_E_TOOBIG;
					break;
				}
			}
			rc = tg_json_new_string(y->c->a, tg_buf_str(&num), num.len, out);
		} else {
			rc = tg_json_new_number(y->c->a, tg_buf_str(&num), num.len, out);
		}
		break;
	case Y_BAD:
		rc = yfail(y, "json: unsupported value: infinity or NaN");
		break;
	case Y_STR:
	default:
		rc = tg_rego_bia_str(y->c->a, s, n, out);
		break;
	}
	tg_buf_release(&num);
	if (rc == TG_OK)
		rc = yset_anchor(y, e->data.scalar.anchor, *out);
	return rc;
}

static tg_err ynode(struct yctx *y, const struct tg_json **out, unsigned depth, bool as_key);

static tg_err ymapping(struct yctx *y, const struct tg_json **out, unsigned depth)
{
	struct tg_rego_bia_members m;
	yaml_char_t *anchor = y->ev.data.mapping_start.anchor;
	char *aname = anchor ? strdup((const char *)anchor) : NULL;
	tg_err rc;
	tg_rego_bia_members_init(&m, y->c->a);
	for (;;) {
		const struct tg_json *k, *v;
		bool merge;
		if (!ynext(y)) {
			rc = TG_E_PARSE;
			goto out;
		}
		if (y->ev.type == YAML_MAPPING_END_EVENT)
			break;
		merge = y->ev.type == YAML_SCALAR_EVENT && y->ev.data.scalar.length == 2 &&
			memcmp(y->ev.data.scalar.value, "<<", 2) == 0 &&
			y->ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
		if ((rc = ynode(y, &k, depth + 1, true)) != TG_OK)
			goto out;
		if (!ynext(y)) {
			rc = TG_E_PARSE;
			goto out;
		}
		if ((rc = ynode(y, &v, depth + 1, false)) != TG_OK)
			goto out;
		if (merge && (v->type == TG_JSON_OBJECT || v->type == TG_JSON_ARRAY)) {
			/* << merges the members of a map (or maps) under earlier keys */
			size_t i, j, nm = v->type == TG_JSON_OBJECT ? 1 : v->u.a.len;
			for (i = 0; i < nm; i++) {
				const struct tg_json *src = v->type == TG_JSON_OBJECT ? v : v->u.a.items[i];
				if (src->type != TG_JSON_OBJECT) {
					rc = yfail(y, "yaml: map merge requires map or sequence of maps as the value");
					goto out;
				}
				for (j = 0; j < src->u.o.len; j++) {
					size_t q;
					bool have = false;
					for (q = 0; q < m.len && !have; q++)
						have = tg_json_eq(m.m[q].key, src->u.o.items[j].key);
					if (!have && (rc = tg_rego_bia_members_add(&m, src->u.o.items[j].key,
										   src->u.o.items[j].val)) != TG_OK)
						goto out;
				}
			}
			continue;
		}
		if (k->type != TG_JSON_STRING) {
			rc = yfail(y, "error converting YAML to JSON: unsupported map key");
			goto out;
		}
		if ((rc = tg_rego_bia_members_add(&m, k, v)) != TG_OK)
			goto out;
	}
	rc = tg_rego_bia_members_object(&m, out);
	if (rc == TG_OK && aname)
		rc = yset_anchor(y, (const yaml_char_t *)aname, *out);
out:
	free(aname);
	return rc;
}

static tg_err ysequence(struct yctx *y, const struct tg_json **out, unsigned depth)
{
	struct tg_rego_bia_list l;
	yaml_char_t *anchor = y->ev.data.sequence_start.anchor;
	char *aname = anchor ? strdup((const char *)anchor) : NULL;
	tg_err rc;
	tg_rego_bia_list_init(&l, y->c->a);
	for (;;) {
		const struct tg_json *v;
		if (!ynext(y)) {
			rc = TG_E_PARSE;
			goto out;
		}
		if (y->ev.type == YAML_SEQUENCE_END_EVENT)
			break;
		if ((rc = ynode(y, &v, depth + 1, false)) != TG_OK ||
		    (rc = tg_rego_bia_list_add(&l, v)) != TG_OK)
			goto out;
	}
	rc = tg_rego_bia_list_array(&l, out);
	if (rc == TG_OK && aname)
		rc = yset_anchor(y, (const yaml_char_t *)aname, *out);
out:
	free(aname);
	return rc;
}

/* The node whose first event is y->ev. */
static tg_err ynode(struct yctx *y, const struct tg_json **out, unsigned depth, bool as_key)
{
	struct yanchor *a;
	if (depth > TG_LIMIT_JSON_DEPTH)
		return yfail(y, "yaml: exceeded max depth");
	if (++y->nodes > YAML_NODES_MAX)
		return yfail(y, "yaml: document contains excessive aliasing");
	switch (y->ev.type) {
	case YAML_SCALAR_EVENT:
		return yscalar(y, out, as_key);
	case YAML_SEQUENCE_START_EVENT:
		return ysequence(y, out, depth);
	case YAML_MAPPING_START_EVENT:
		return ymapping(y, out, depth);
	case YAML_ALIAS_EVENT:
		for (a = y->anchors; a; a = a->next)
			if (strcmp(a->name, (const char *)y->ev.data.alias.anchor) == 0) {
				y->nodes += count_nodes(a->v, YAML_NODES_MAX);
				if (y->nodes > YAML_NODES_MAX)
					return yfail(y, "yaml: document contains excessive aliasing");
				*out = a->v;
				return TG_OK;
			}
		snprintf(y->err, sizeof(y->err), "yaml: unknown anchor '%.64s' referenced",
			 (const char *)y->ev.data.alias.anchor);
		return TG_E_PARSE;
	default:
		return yfail(y, "yaml: unexpected event");
	}
}

/* Parses the first document of s; *out NULL and y.err set on failure. */
static tg_err yaml_load(struct tg_rego_bctx *c, const char *s, size_t n, const struct tg_json **out,
			char *err, size_t errlen)
{
	struct yctx y;
	tg_err rc = TG_E_PARSE;
	memset(&y, 0, sizeof(y));
	y.c = c;
	if (!yaml_parser_initialize(&y.p))
		return TG_E_INTERNAL;
	yaml_parser_set_input_string(&y.p, (const unsigned char *)s, n);
	*out = &tg_json_null_v;
	if (!ynext(&y) || y.ev.type != YAML_STREAM_START_EVENT || !ynext(&y))
		goto out;
	if (y.ev.type == YAML_STREAM_END_EVENT) {
		rc = TG_OK; /* empty: null */
		goto out;
	}
	if (y.ev.type != YAML_DOCUMENT_START_EVENT || !ynext(&y))
		goto out;
	if ((rc = ynode(&y, out, 0, false)) != TG_OK)
		goto out;
	if (!ynext(&y) || y.ev.type != YAML_DOCUMENT_END_EVENT) {
		rc = TG_E_PARSE;
		goto out;
	}
	/* later documents are ignored, as go-yaml's Unmarshal does, but must parse */
	rc = TG_OK;
	while (rc == TG_OK && ynext(&y) && y.ev.type != YAML_STREAM_END_EVENT)
		;
	if (!y.have)
		rc = TG_E_PARSE;
out:
	if (rc != TG_OK)
		snprintf(err, errlen, "%s", y.err[0] ? y.err : "yaml: invalid document");
	if (y.have)
		yaml_event_delete(&y.ev);
	yfree_anchors(&y);
	yaml_parser_delete(&y.p);
	return rc;
}

static tg_err bi_yaml_unmarshal(struct tg_rego_bctx *c, const struct tg_json *const *args,
				size_t nargs, const struct tg_json **out)
{
	char err[200];
	tg_err rc;
	(void)nargs;
	if ((rc = want_str(c, args[0], 1)) != TG_OK)
		return rc;
	if ((rc = tg_rego_bia_charge(c, args[0]->u.s.len / 16 + 1)) != TG_OK)
		return rc;
	rc = yaml_load(c, args[0]->u.s.p, args[0]->u.s.len, out, err, sizeof(err));
	if (rc == TG_E_PARSE)
		return tg_rego_bia_fail(c, "%s", err);
	return rc == TG_OK ? rc : tg_rego_bia_err(c, rc);
}

static tg_err bi_yaml_is_valid(struct tg_rego_bctx *c, const struct tg_json *const *args,
			       size_t nargs, const struct tg_json **out)
{
	const struct tg_json *v;
	char err[200];
	tg_err rc;
	(void)nargs;
	if (args[0]->type != TG_JSON_STRING) {
		*out = &tg_json_false_v;
		return TG_OK;
	}
	if ((rc = tg_rego_bia_charge(c, args[0]->u.s.len / 16 + 1)) != TG_OK)
		return rc;
	rc = yaml_load(c, args[0]->u.s.p, args[0]->u.s.len, &v, err, sizeof(err));
	if (rc != TG_OK && rc != TG_E_PARSE)
		return tg_rego_bia_err(c, rc);
	*out = tg_json_bool(rc == TG_OK);
	return TG_OK;
}

/* ---- YAML marshal (libyaml's emitter, go-yaml v2's choices) ---- */

/* go-yaml v2's map key order: runs of digits compare as numbers. */
static int yaml_key_less(const char *a, size_t an, const char *b, size_t bn)
{
	size_t i;
	for (i = 0; i < an && i < bn; i++) {
		unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];
		bool al, bl;
		size_t ai, bi;
		long long av = 0, bv = 0;
		if (x == y)
			continue;
		al = isalpha(x) || x >= 0x80;
		bl = isalpha(y) || y >= 0x80;
		if (al && bl)
			return x < y;
		if (al || bl)
			return bl;
		if (x == '0' || y == '0') {
			size_t j;
			for (j = i; j > 0 && isdigit((unsigned char)a[j - 1]); j--)
				if (a[j - 1] != '0') {
					av = bv = 1;
					break;
				}
		}
		for (ai = i; ai < an && isdigit((unsigned char)a[ai]) && av < 100000000000000000LL; ai++)
			av = av * 10 + (a[ai] - '0');
		for (bi = i; bi < bn && isdigit((unsigned char)b[bi]) && bv < 100000000000000000LL; bi++)
			bv = bv * 10 + (b[bi] - '0');
		if (av != bv)
			return av < bv;
		if (ai != bi)
			return ai < bi;
		return x < y;
	}
	return an < bn;
}

struct yout {
	struct tg_buf *b;
	bool full;
};

static int yaml_write(void *data, unsigned char *buffer, size_t size)
{
	struct yout *o = data;
	if (tg_buf_add(o->b, buffer, size) != TG_OK) {
		o->full = true;
		return 0;
	}
	return 1;
}

static bool is_base60(const char *s, size_t n)
{
	size_t i = 0;
	bool colon = false;
	if (i < n && (s[i] == '-' || s[i] == '+'))
		i++;
	if (i >= n || !isdigit((unsigned char)s[i]))
		return false;
	for (; i < n; i++) {
		if (s[i] == ':')
			colon = true;
		else if (!isdigit((unsigned char)s[i]) && s[i] != '_' && s[i] != '.')
			return false;
	}
	return colon;
}

static bool yemit_scalar(yaml_emitter_t *em, const char *s, size_t n, yaml_scalar_style_t st,
			 bool plain_implicit)
{
	yaml_event_t e;
	(void)plain_implicit;
	if (!yaml_scalar_event_initialize(&e, NULL, NULL, (yaml_char_t *)s, (int)n, 1, 1, st))
		return false;
	return yaml_emitter_emit(em, &e);
}

static tg_err yemit(struct tg_arena *a, yaml_emitter_t *em, const struct tg_json *v, unsigned depth)
{
	yaml_event_t e;
	size_t i;
	if (depth > TG_LIMIT_JSON_DEPTH)
		return TG_E_DEPTH;
	switch (v->type) {
	case TG_JSON_NULL:
		return yemit_scalar(em, "null", 4, YAML_PLAIN_SCALAR_STYLE, true) ? TG_OK : TG_E_INTERNAL;
	case TG_JSON_BOOL:
		return yemit_scalar(em, v->u.b ? "true" : "false", v->u.b ? 4 : 5,
				    YAML_PLAIN_SCALAR_STYLE, true)
			       ? TG_OK
			       : TG_E_INTERNAL;
	case TG_JSON_NUMBER: {
		struct tg_buf nb = TG_BUF_INIT(512);
		int64_t iv;
		tg_err rc = TG_OK;
		double x;
		if (tg_rego_num_int64_lit(v, &iv)) {
			rc = tg_buf_addf(&nb, "%lld", (long long)iv);
		} else if ((v->flags & TG_JSON_F_INTLIT) && v->u.s.p[0] != '-' && v->u.s.len <= 20 &&
			   (v->u.s.len < 20 || strcmp(v->u.s.p, "18446744073709551615") <= 0)) {
			rc = tg_buf_add(&nb, v->u.s.p, v->u.s.len);
		} else if (tg_json_num_double(v, &x) != TG_OK) {
			/* go-yaml v2 cannot read it as a float: it stays text */
			rc = tg_buf_add(&nb, v->u.s.p, v->u.s.len);
		} else {
			rc = go_float_g(&nb, x);
		}
		if (rc == TG_OK && !yemit_scalar(em, tg_buf_str(&nb), nb.len, YAML_PLAIN_SCALAR_STYLE, true))
			rc = TG_E_INTERNAL;
		tg_buf_release(&nb);
		return rc;
	}
	case TG_JSON_STRING: {
		struct tg_buf nb = TG_BUF_INIT(512);
		bool bv;
		yaml_scalar_style_t st = YAML_PLAIN_SCALAR_STYLE;
		if (memchr(v->u.s.p, '\n', v->u.s.len))
			st = YAML_LITERAL_SCALAR_STYLE;
		else if (yaml_resolve(v->u.s.p, v->u.s.len, &nb, &bv) != Y_STR ||
			 is_base60(v->u.s.p, v->u.s.len))
			st = YAML_DOUBLE_QUOTED_SCALAR_STYLE;
		tg_buf_release(&nb);
		return yemit_scalar(em, v->u.s.p, v->u.s.len, st, st == YAML_PLAIN_SCALAR_STYLE)
			       ? TG_OK
			       : TG_E_INTERNAL;
	}
	case TG_JSON_ARRAY:
	case TG_JSON_SET:
		if (!yaml_sequence_start_event_initialize(&e, NULL, NULL, 1,
							  v->u.a.len ? YAML_BLOCK_SEQUENCE_STYLE
								     : YAML_FLOW_SEQUENCE_STYLE) ||
		    !yaml_emitter_emit(em, &e))
			return TG_E_INTERNAL;
		for (i = 0; i < v->u.a.len; i++) {
			tg_err rc = yemit(a, em, v->u.a.items[i], depth + 1);
			if (rc != TG_OK)
				return rc;
		}
		return yaml_sequence_end_event_initialize(&e) && yaml_emitter_emit(em, &e) ? TG_OK
											     : TG_E_INTERNAL;
	case TG_JSON_OBJECT: {
		struct skey *m;
		size_t n;
		tg_err rc = go_keys(a, v, &m, &n);
		if (rc != TG_OK)
			return rc;
		for (i = 1; i < n; i++) {
			struct skey t = m[i];
			size_t j = i;
			while (j > 0 && yaml_key_less(t.k, t.n, m[j - 1].k, m[j - 1].n)) {
				m[j] = m[j - 1];
				j--;
			}
			m[j] = t;
		}
		if (!yaml_mapping_start_event_initialize(&e, NULL, NULL, 1,
							 n ? YAML_BLOCK_MAPPING_STYLE : YAML_FLOW_MAPPING_STYLE) ||
		    !yaml_emitter_emit(em, &e))
			return TG_E_INTERNAL;
		for (i = 0; i < n; i++) {
			struct tg_json ks;
			memset(&ks, 0, sizeof(ks));
			ks.type = TG_JSON_STRING;
			ks.u.s.p = m[i].k;
			ks.u.s.len = m[i].n;
			if ((rc = yemit(a, em, &ks, depth + 1)) != TG_OK ||
			    (rc = yemit(a, em, m[i].v, depth + 1)) != TG_OK)
				return rc;
		}
		return yaml_mapping_end_event_initialize(&e) && yaml_emitter_emit(em, &e) ? TG_OK
											    : TG_E_INTERNAL;
	}
	default:
		return TG_E_INTERNAL;
	}
}

static tg_err bi_yaml_marshal(struct tg_rego_bctx *c, const struct tg_json *const *args,
			      size_t nargs, const struct tg_json **out)
{
	struct tg_buf b = TG_BUF_INIT(OUT_MAX);
	struct yout o = {&b, false};
	yaml_emitter_t em;
	yaml_event_t e;
	tg_err rc = TG_E_INTERNAL;
	(void)nargs;
	if (!yaml_emitter_initialize(&em))
		return tg_rego_bia_err(c, TG_E_INTERNAL);
	yaml_emitter_set_output(&em, yaml_write, &o);
	yaml_emitter_set_unicode(&em, 1);
	if (!yaml_stream_start_event_initialize(&e, YAML_UTF8_ENCODING) || !yaml_emitter_emit(&em, &e))
		goto out;
	if (!yaml_document_start_event_initialize(&e, NULL, NULL, NULL, 1) || !yaml_emitter_emit(&em, &e))
		goto out;
	if ((rc = yemit(c->a, &em, args[0], 0)) != TG_OK)
		goto out;
	rc = TG_E_INTERNAL;
	if (!yaml_document_end_event_initialize(&e, 1) || !yaml_emitter_emit(&em, &e))
		goto out;
	if (!yaml_stream_end_event_initialize(&e) || !yaml_emitter_emit(&em, &e) ||
	    !yaml_emitter_flush(&em))
		goto out;
	rc = TG_OK;
out:
	yaml_emitter_delete(&em);
	if (o.full)
		rc = TG_E_TOOBIG;
	if (rc != TG_OK) {
		tg_buf_release(&b);
		return tg_rego_bia_err(c, rc);
	}
	return buf_result(c, &b, out);
}

/* ---- base64 and hex, with Go's error messages ---- */

static const char B64STD[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char B64URL[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static tg_err b64_encode(struct tg_buf *b, const unsigned char *p, size_t n, const char *alpha,
			 bool pad)
{
	size_t i;
	tg_err rc = TG_OK;
	for (i = 0; i + 2 < n && rc == TG_OK; i += 3) {
		char q[4] = {alpha[p[i] >> 2], alpha[((p[i] & 3) << 4) | (p[i + 1] >> 4)],
			     alpha[((p[i + 1] & 15) << 2) | (p[i + 2] >> 6)], alpha[p[i + 2] & 63]};
		rc = tg_buf_add(b, q, 4);
	}
	if (rc == TG_OK && n - i == 1) {
		char q[4] = {alpha[p[i] >> 2], alpha[(p[i] & 3) << 4], '=', '='};
		rc = tg_buf_add(b, q, pad ? 4 : 2);
	} else if (rc == TG_OK && n - i == 2) {
		char q[4] = {alpha[p[i] >> 2], alpha[((p[i] & 3) << 4) | (p[i + 1] >> 4)],
			     alpha[(p[i + 1] & 15) << 2], '='};
		rc = tg_buf_add(b, q, pad ? 4 : 3);
	}
	return rc;
}

static int b64_val(const char *alpha, unsigned char ch)
{
	const char *p = ch ? strchr(alpha, ch) : NULL;
	return p ? (int)(p - alpha) : -1;
}

/* Go's padded base64 decoding (StdEncoding / URLEncoding, not strict):
 * CR and LF are skipped; on error *bad is Go's CorruptInputError offset. */
static tg_err b64_decode(struct tg_buf *b, const char *s, size_t n, const char *alpha, size_t *bad)
{
	size_t si = 0;
	while (si < n) {
		int dbuf[4] = {0, 0, 0, 0};
		size_t j, dlen = 4;
		unsigned v;
		unsigned char out[3];
		for (j = 0; j < 4; j++) {
			unsigned char in;
			int d;
			if (si == n) {
				if (j == 0)
					return TG_OK;
				*bad = si - j;
				return TG_E_ENCODING;
			}
			in = (unsigned char)s[si++];
			d = b64_val(alpha, in);
			if (d >= 0) {
				dbuf[j] = d;
				continue;
			}
			if (in == '\n' || in == '\r') {
				j--;
				continue;
			}
			if (in != '=' || j < 2) {
				*bad = si - 1;
				return TG_E_ENCODING;
			}
			if (j == 2) {
				while (si < n && (s[si] == '\n' || s[si] == '\r'))
					si++;
				if (si == n) {
					*bad = n;
					return TG_E_ENCODING;
				}
				if (s[si] != '=') {
					*bad = si - 1;
					return TG_E_ENCODING;
				}
				si++;
			}
			while (si < n && (s[si] == '\n' || s[si] == '\r'))
				si++;
			if (si < n) {
				*bad = si;
				return TG_E_ENCODING;
			}
			dlen = j;
			break;
		}
		v = (unsigned)dbuf[0] << 18 | (unsigned)dbuf[1] << 12 | (unsigned)dbuf[2] << 6 |
		    (unsigned)dbuf[3];
		out[0] = (unsigned char)(v >> 16);
		out[1] = (unsigned char)(v >> 8);
		out[2] = (unsigned char)v;
		if (tg_buf_add(b, out, dlen - 1) != TG_OK)
			return TG_E_TOOBIG;
	}
	return TG_OK;
}

static tg_err b64_result(struct tg_rego_bctx *c, const struct tg_json *v, const char *alpha,
			 const struct tg_json **out)
{
	struct tg_buf b = TG_BUF_INIT(OUT_MAX);
	size_t bad = 0;
	tg_err rc = b64_decode(&b, v->u.s.p, v->u.s.len, alpha, &bad);
	if (rc == TG_E_ENCODING) {
		tg_buf_release(&b);
		return tg_rego_bia_fail(c, "illegal base64 data at input byte %zu", bad);
	}
	if (rc != TG_OK) {
		tg_buf_release(&b);
		return tg_rego_bia_err(c, rc);
	}
	return buf_result(c, &b, out);
}

static tg_err encode_str(struct tg_rego_bctx *c, const struct tg_json *const *args,
			 const char *alpha, bool pad, const struct tg_json **out)
{
	struct tg_buf b = TG_BUF_INIT(OUT_MAX);
	tg_err rc = want_str(c, args[0], 1);
	if (rc != TG_OK)
		return rc;
	if ((rc = b64_encode(&b, (const unsigned char *)args[0]->u.s.p, args[0]->u.s.len, alpha, pad)) !=
	    TG_OK) {
		tg_buf_release(&b);
		return tg_rego_bia_err(c, rc);
	}
	return buf_result(c, &b, out);
}

static tg_err bi_base64_encode(struct tg_rego_bctx *c, const struct tg_json *const *args,
			       size_t nargs, const struct tg_json **out)
{
	(void)nargs;
	return encode_str(c, args, B64STD, true, out);
}

static tg_err bi_base64url_encode(struct tg_rego_bctx *c, const struct tg_json *const *args,
				  size_t nargs, const struct tg_json **out)
{
	(void)nargs;
	return encode_str(c, args, B64URL, true, out);
}

static tg_err bi_base64url_encode_no_pad(struct tg_rego_bctx *c, const struct tg_json *const *args,
					 size_t nargs, const struct tg_json **out)
{
	(void)nargs;
	return encode_str(c, args, B64URL, false, out);
}

static tg_err bi_base64_decode(struct tg_rego_bctx *c, const struct tg_json *const *args,
			       size_t nargs, const struct tg_json **out)
{
	tg_err rc = want_str(c, args[0], 1);
	(void)nargs;
	return rc == TG_OK ? b64_result(c, args[0], B64STD, out) : rc;
}

static tg_err bi_base64_is_valid(struct tg_rego_bctx *c, const struct tg_json *const *args,
				 size_t nargs, const struct tg_json **out)
{
	struct tg_buf b = TG_BUF_INIT(OUT_MAX);
	size_t bad;
	tg_err rc;
	(void)nargs;
	(void)c;
	if (args[0]->type != TG_JSON_STRING) {
		*out = &tg_json_false_v;
		return TG_OK;
	}
	rc = b64_decode(&b, args[0]->u.s.p, args[0]->u.s.len, B64STD, &bad);
	tg_buf_release(&b);
	*out = tg_json_bool(rc == TG_OK);
	return TG_OK;
}

static tg_err bi_base64url_decode(struct tg_rego_bctx *c, const struct tg_json *const *args,
				  size_t nargs, const struct tg_json **out)
{
	const struct tg_json *v = args[0], *padded = v;
	size_t n;
	tg_err rc = want_str(c, v, 1);
	(void)nargs;
	if (rc != TG_OK)
		return rc;
	n = v->u.s.len;
	if (n == 0 || v->u.s.p[n - 1] != '=') {
		const char *add = n % 4 == 2 ? "==" : n % 4 == 3 ? "=" : "";
		if (n % 4 == 1)
			return tg_rego_bia_fail(c, "illegal base64url string: %.128s", v->u.s.p);
		if (*add) {
			char *p = tg_arena_alloc_bytes(c->a, n + 3);
			struct tg_json *t = tg_arena_alloc(c->a, sizeof(*t));
			if (!p || !t)
				return tg_rego_bia_err(c, TG_E_TOOBIG);
			memcpy(p, v->u.s.p, n);
			memcpy(p + n, add, strlen(add) + 1);
			memset(t, 0, sizeof(*t));
			t->type = TG_JSON_STRING;
			t->u.s.p = p;
			t->u.s.len = n + strlen(add);
			padded = t;
		}
	}
	return b64_result(c, padded, B64URL, out);
}

static tg_err bi_hex_encode(struct tg_rego_bctx *c, const struct tg_json *const *args,
			    size_t nargs, const struct tg_json **out)
{
	static const char hex[] = "0123456789abcdef";
	struct tg_buf b = TG_BUF_INIT(OUT_MAX);
	size_t i;
	tg_err rc = want_str(c, args[0], 1);
	(void)nargs;
	if (rc != TG_OK)
		return rc;
	for (i = 0; i < args[0]->u.s.len && rc == TG_OK; i++) {
		unsigned char ch = (unsigned char)args[0]->u.s.p[i];
		char h[2] = {hex[ch >> 4], hex[ch & 15]};
		rc = tg_buf_add(&b, h, 2);
	}
	if (rc != TG_OK) {
		tg_buf_release(&b);
		return tg_rego_bia_err(c, rc);
	}
	return buf_result(c, &b, out);
}

static int hexval(unsigned char ch)
{
	return ch >= '0' && ch <= '9'	? ch - '0'
	       : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
	       : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10
					: -1;
}

/* Go's InvalidByteError: "encoding/hex: invalid byte: U+0067 'g'". */
static tg_err hex_bad(struct tg_rego_bctx *c, unsigned char ch)
{
	if (ch >= 0x20 && ch < 0x7f)
		return tg_rego_bia_fail(c, "encoding/hex: invalid byte: U+%04X '%c'", ch, ch);
	if (ch >= 0xA0) {
		uint8_t u[4];
		size_t n = tg_utf8_encode(ch, u);
		return tg_rego_bia_fail(c, "encoding/hex: invalid byte: U+%04X '%.*s'", ch, (int)n,
					(const char *)u);
	}
	return tg_rego_bia_fail(c, "encoding/hex: invalid byte: U+%04X", ch);
}

static tg_err bi_hex_decode(struct tg_rego_bctx *c, const struct tg_json *const *args,
			    size_t nargs, const struct tg_json **out)
{
	const unsigned char *s;
	struct tg_buf b = TG_BUF_INIT(OUT_MAX);
	size_t n, j;
	tg_err rc = want_str(c, args[0], 1);
	(void)nargs;
	if (rc != TG_OK)
		return rc;
	s = (const unsigned char *)args[0]->u.s.p;
	n = args[0]->u.s.len;
	for (j = 1; j < n; j += 2) {
		int a = hexval(s[j - 1]), d = hexval(s[j]);
		unsigned char ch;
		if (a < 0 || d < 0) {
			tg_buf_release(&b);
			return hex_bad(c, a < 0 ? s[j - 1] : s[j]);
		}
		ch = (unsigned char)(a << 4 | d);
		if (tg_buf_add(&b, &ch, 1) != TG_OK) {
			tg_buf_release(&b);
			return tg_rego_bia_err(c, TG_E_TOOBIG);
		}
	}
	if (n % 2 == 1) {
		tg_buf_release(&b);
		if (hexval(s[n - 1]) < 0)
			return hex_bad(c, s[n - 1]);
		return tg_rego_bia_fail(c, "encoding/hex: odd length hex string");
	}
	return buf_result(c, &b, out);
}

/* ---- urlquery: Go's net/url QueryEscape, QueryUnescape, ParseQuery ---- */

static tg_err query_escape(struct tg_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i;
	tg_err rc = TG_OK;
	for (i = 0; i < n && rc == TG_OK; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~') {
			rc = tg_buf_addc(b, ch);
		} else if (ch == ' ') {
			rc = tg_buf_addc(b, '+');
		} else {
			char e[3] = {'%', hex[ch >> 4], hex[ch & 15]};
			rc = tg_buf_add(b, e, 3);
		}
	}
	return rc;
}

/* Appends the unescaped s; TG_E_ENCODING with the bad escape in msg. */
static tg_err query_unescape(struct tg_buf *b, const char *s, size_t n, char *msg, size_t ml)
{
	size_t i;
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch == '%') {
			int h, l;
			if (i + 2 >= n) {
				snprintf(msg, ml, "invalid URL escape \"%.*s\"", (int)(n - i > 3 ? 3 : n - i),
					 s + i);
				return TG_E_ENCODING;
			}
			h = hexval((unsigned char)s[i + 1]);
			l = hexval((unsigned char)s[i + 2]);
			if (h < 0 || l < 0) {
				snprintf(msg, ml, "invalid URL escape \"%.3s\"", s + i);
				return TG_E_ENCODING;
			}
			ch = (unsigned char)(h << 4 | l);
			i += 2;
		} else if (ch == '+') {
			ch = ' ';
		}
		if (tg_buf_addc(b, ch) != TG_OK)
			return TG_E_TOOBIG;
	}
	return TG_OK;
}

static tg_err bi_urlquery_encode(struct tg_rego_bctx *c, const struct tg_json *const *args,
				 size_t nargs, const struct tg_json **out)
{
	struct tg_buf b = TG_BUF_INIT(OUT_MAX);
	tg_err rc = want_str(c, args[0], 1);
	(void)nargs;
	if (rc != TG_OK)
		return rc;
	if ((rc = query_escape(&b, args[0]->u.s.p, args[0]->u.s.len)) != TG_OK) {
		tg_buf_release(&b);
		return tg_rego_bia_err(c, rc);
	}
	return buf_result(c, &b, out);
}

static tg_err bi_urlquery_decode(struct tg_rego_bctx *c, const struct tg_json *const *args,
				 size_t nargs, const struct tg_json **out)
{
	struct tg_buf b = TG_BUF_INIT(OUT_MAX);
	char msg[64];
	tg_err rc = want_str(c, args[0], 1);
	(void)nargs;
	if (rc != TG_OK)
		return rc;
	rc = query_unescape(&b, args[0]->u.s.p, args[0]->u.s.len, msg, sizeof(msg));
	if (rc != TG_OK) {
		tg_buf_release(&b);
		return rc == TG_E_ENCODING ? tg_rego_bia_fail(c, "%s", msg) : tg_rego_bia_err(c, rc);
	}
	return buf_result(c, &b, out);
}

static tg_err enc_pair(struct tg_buf *b, const struct tg_json *k, const struct tg_json *v)
{
	tg_err rc = TG_OK;
	if (b->len)
		rc = tg_buf_addc(b, '&');
	if (rc == TG_OK)
		rc = query_escape(b, k->u.s.p, k->u.s.len);
	if (rc == TG_OK)
		rc = tg_buf_addc(b, '=');
	if (rc == TG_OK)
		rc = query_escape(b, v->u.s.p, v->u.s.len);
	return rc;
}

static tg_err bi_urlquery_encode_object(struct tg_rego_bctx *c, const struct tg_json *const *args,
					size_t nargs, const struct tg_json **out)
{
	const struct tg_json *o = args[0];
	struct tg_buf b = TG_BUF_INIT(OUT_MAX);
	size_t i, j;
	tg_err rc = TG_OK;
	(void)nargs;
	if (o->type != TG_JSON_OBJECT)
		return tg_rego_bia_type(c, 1, "object", o);
	for (i = 0; i < o->u.o.len; i++) {
		const struct tg_json *k = o->u.o.items[i].key, *v = o->u.o.items[i].val;
		bool ok = k->type == TG_JSON_STRING;
		if (ok && (v->type == TG_JSON_ARRAY || v->type == TG_JSON_SET))
			for (j = 0; j < v->u.a.len; j++)
				ok = ok && v->u.a.items[j]->type == TG_JSON_STRING;
		else if (ok)
			ok = v->type == TG_JSON_STRING;
		if (!ok) {
			tg_buf_release(&b);
			tg_diag_set(c->d, "operand 1 values must be string, array[string], or set[string]");
			return TG_E_TYPE;
		}
	}
	/* keys are strings, so the object's order is Go's sorted order */
	for (i = 0; i < o->u.o.len && rc == TG_OK; i++) {
		const struct tg_json *k = o->u.o.items[i].key, *v = o->u.o.items[i].val;
		if (v->type == TG_JSON_STRING)
			rc = enc_pair(&b, k, v);
		else
			for (j = 0; j < v->u.a.len && rc == TG_OK; j++)
				rc = enc_pair(&b, k, v->u.a.items[j]);
	}
	if (rc != TG_OK) {
		tg_buf_release(&b);
		return tg_rego_bia_err(c, rc);
	}
	return buf_result(c, &b, out);
}

static tg_err bi_urlquery_decode_object(struct tg_rego_bctx *c, const struct tg_json *const *args,
					size_t nargs, const struct tg_json **out)
{
	struct keyvals {
		const struct tg_json *k;
		struct tg_rego_bia_list vals;
	} *kv = NULL;
	size_t nkv = 0, capkv = 0, i;
	const char *s, *end;
	char msg[96] = "";
	struct tg_rego_bia_members m;
	tg_err rc = want_str(c, args[0], 1);
	(void)nargs;
	if (rc != TG_OK)
		return rc;
	if ((rc = tg_rego_bia_charge(c, args[0]->u.s.len / 8 + 1)) != TG_OK)
		return rc;
	s = args[0]->u.s.p;
	end = s + args[0]->u.s.len;
	while (s < end) {
		const char *e = memchr(s, '&', (size_t)(end - s)), *eq;
		struct tg_buf kb = TG_BUF_INIT(OUT_MAX), vb = TG_BUF_INIT(OUT_MAX);
		const struct tg_json *k, *v;
		if (!e)
			e = end;
		if (e == s) {
			s = e + 1;
			continue;
		}
		if (memchr(s, ';', (size_t)(e - s))) {
			if (!msg[0])
				snprintf(msg, sizeof(msg), "invalid semicolon separator in query");
			s = e + 1;
			continue;
		}
		eq = memchr(s, '=', (size_t)(e - s));
		rc = query_unescape(&kb, s, (size_t)((eq ? eq : e) - s), msg[0] ? NULL : msg,
				    msg[0] ? 0 : sizeof(msg));
		if (rc == TG_OK && eq)
			rc = query_unescape(&vb, eq + 1, (size_t)(e - eq - 1), msg[0] ? NULL : msg,
					    msg[0] ? 0 : sizeof(msg));
		if (rc == TG_OK) {
			rc = tg_rego_bia_str(c->a, kb.data ? kb.data : (const uint8_t *)"", kb.len, &k);
			if (rc == TG_OK)
				rc = tg_rego_bia_str(c->a, vb.data ? vb.data : (const uint8_t *)"", vb.len, &v);
			for (i = 0; rc == TG_OK && i < nkv && !tg_json_eq(kv[i].k, k); i++)
				;
			if (rc == TG_OK && i == nkv) {
				if (nkv == capkv) {
					size_t nc = capkv ? capkv * 2 : 8;
					void *nk = tg_arena_alloc_array(c->a, nc, sizeof(*kv));
					if (!nk)
						rc = TG_E_TOOBIG;
					else {
						if (nkv)
							memcpy(nk, kv, nkv * sizeof(*kv));
						kv = nk;
						capkv = nc;
					}
				}
				if (rc == TG_OK) {
					kv[nkv].k = k;
					tg_rego_bia_list_init(&kv[nkv].vals, c->a);
					nkv++;
				}
			}
			if (rc == TG_OK)
				rc = tg_rego_bia_list_add(&kv[i].vals, v);
		} else if (rc == TG_E_ENCODING) {
			rc = TG_OK; /* Go keeps parsing and reports the first error */
		}
		tg_buf_release(&kb);
		tg_buf_release(&vb);
		if (rc != TG_OK)
			return tg_rego_bia_err(c, rc);
		s = e + 1;
	}
	if (msg[0])
		return tg_rego_bia_fail(c, "%s", msg);
	tg_rego_bia_members_init(&m, c->a);
	for (i = 0; i < nkv; i++) {
		const struct tg_json *arr;
		if ((rc = tg_rego_bia_list_array(&kv[i].vals, &arr)) != TG_OK ||
		    (rc = tg_rego_bia_members_add(&m, kv[i].k, arr)) != TG_OK)
			return tg_rego_bia_err(c, rc);
	}
	rc = tg_rego_bia_members_object(&m, out);
	return rc == TG_OK ? rc : tg_rego_bia_err(c, rc);
}

const struct tg_rego_builtin tg_rego_builtins_encoding[] = {
	{"json.marshal", NULL, 1, "(any) => string", bi_json_marshal, 0},
	{"json.marshal_with_options", NULL, 2,
	 "(any, object<indent: string, prefix: string, pretty: boolean>[string: any]) => string",
	 bi_json_marshal_opts, 0},
	{"json.unmarshal", NULL, 1, "(string) => any", bi_json_unmarshal, 0},
	{"json.is_valid", NULL, 1, "(string) => boolean", bi_json_is_valid, 0},
	{"yaml.marshal", NULL, 1, "(any) => string", bi_yaml_marshal, 0},
	{"yaml.unmarshal", NULL, 1, "(string) => any", bi_yaml_unmarshal, 0},
	{"yaml.is_valid", NULL, 1, "(string) => boolean", bi_yaml_is_valid, 0},
	{"base64.encode", NULL, 1, "(string) => string", bi_base64_encode, 0},
	{"base64.decode", NULL, 1, "(string) => string", bi_base64_decode, 0},
	{"base64.is_valid", NULL, 1, "(string) => boolean", bi_base64_is_valid, 0},
	{"base64url.encode", NULL, 1, "(string) => string", bi_base64url_encode, 0},
	{"base64url.encode_no_pad", NULL, 1, "(string) => string", bi_base64url_encode_no_pad, 0},
	{"base64url.decode", NULL, 1, "(string) => string", bi_base64url_decode, 0},
	{"hex.encode", NULL, 1, "(string) => string", bi_hex_encode, 0},
	{"hex.decode", NULL, 1, "(string) => string", bi_hex_decode, 0},
	{"urlquery.encode", NULL, 1, "(string) => string", bi_urlquery_encode, 0},
	{"urlquery.decode", NULL, 1, "(string) => string", bi_urlquery_decode, 0},
	{"urlquery.encode_object", NULL, 1,
	 "(object[string: any<array[string], set[string], string>]) => string",
	 bi_urlquery_encode_object, 0},
	{"urlquery.decode_object", NULL, 1, "(string) => object[string: array[string]]",
	 bi_urlquery_decode_object, 0},
	{NULL, NULL, 0, NULL, NULL, 0},
};
