/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rego_parse.c - the Rego parser: tokens to the AST of rego_ast.h for
 * modules (v0 and v1 syntax), queries and terms, with OPA's grammar,
 * backtracking points, v1 checks and rego_parse_error messages.
 */

/*
 * The parser follows the structure of OPA's (ast/parser.go), read to learn
 * its behaviour: a statement is tried as a package, an import, a rule and
 * finally as a query whose single expression becomes a rule (`p := 1`,
 * `p[x]`, `f(x) = y`). Backtracking saves and restores the token position
 * and the first error; parsed terms are remembered by start token so that
 * the set/object/array ambiguity (`{a | b}`) costs linear time. Every
 * recursive function counts its depth against TG_LIMIT_REGO_PARSE_DEPTH; chains
 * of infix operators and else branches are loops.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/limits.h"
#include "core/mem.h"
#include "core/utf8.h"
#include "rego/rego_ast.h"
#include "rego/rego_builtin.h"
#include "rego/rego_lex.h"

/* future keywords, as bits of parser.kw */
#define KW_IN 0x01
#define KW_EVERY 0x02
#define KW_CONTAINS 0x04
#define KW_IF 0x08
#define KW_ALL 0x0f

struct cache_entry {
	uint32_t gen; /* valid when equal to parser.gen */
	uint32_t end; /* token position after the term */
	struct tg_rego_term *t;
	struct tg_rego_error *e; /* the error the parse recorded, if any */
};

struct parser {
	struct tg_arena *a;
	const char *file;
	const char *src;
	size_t n;
	const struct tg_rego_token *toks;
	size_t ntoks;
	/* state saved by save()/restore() */
	size_t pos;
	bool force_ident; /* the current keyword token reads as an identifier */
	bool has_err;
	size_t nhints;
	/* the rest */
	struct tg_rego_error err;
	const char *hints[4];
	unsigned kw;    /* enabled future keywords */
	int version;    /* TG_REGO_V0 / TG_REGO_V1 as asked */
	bool compat_v1; /* v0 module that imports rego.v1 */
	int depth;
	tg_err fatal; /* TG_E_TOOBIG / TG_E_DEPTH: stop everything */
	struct cache_entry *cache;
	uint32_t gen;
	bool no_cache;
};

struct pstate {
	size_t pos;
	bool force_ident;
	bool has_err;
	size_t nhints;
};

/* A rule plus what only the parser needs (OPA's generated flags and head
 * keywords); rules are allocated as this struct. */
struct prule {
	struct tg_rego_rule r;
	bool gen_body;
	bool gen_value;
	bool has_if;
	bool has_contains;
	bool has_key; /* OPA's Head.Key is set (for the else checks) */
};

/* ---- vectors in the arena ---- */

#define VEC(name, T)                                                                               \
	struct name {                                                                              \
		T *v;                                                                              \
		size_t n, cap;                                                                     \
	};                                                                                         \
	static bool name##_push(struct parser *p, struct name *vec, T x)                           \
	{                                                                                          \
		if (vec->n == vec->cap) {                                                          \
			size_t nc = vec->cap ? vec->cap * 2 : 4;                                   \
			T *nv = tg_arena_alloc_array(p->a, nc, sizeof(T));                         \
			if (!nv) {                                                                 \
				p->fatal = TG_E_TOOBIG;                                            \
				return false;                                                      \
			}                                                                          \
			if (vec->n)                                                                \
				memcpy(nv, vec->v, vec->n * sizeof(T));                            \
			vec->v = nv;                                                               \
			vec->cap = nc;                                                             \
		}                                                                                  \
		vec->v[vec->n++] = x;                                                              \
		return true;                                                                       \
	}

VEC(tvec, struct tg_rego_term *)
VEC(evec, struct tg_rego_expr *)
VEC(wvec, struct tg_rego_with *)
VEC(rvec, struct prule *)

static void *palloc(struct parser *p, size_t n)
{
	void *x = tg_arena_alloc(p->a, n);
	if (!x) {
		p->fatal = TG_E_TOOBIG;
		return NULL;
	}
	memset(x, 0, n);
	return x;
}

/* ---- tokens ---- */

static bool is_future_kind(int k)
{
	return k == TK_IN || k == TK_EVERY || k == TK_CONTAINS || k == TK_IF;
}

static unsigned kw_bit(int k)
{
	switch (k) {
	case TK_IN:
		return KW_IN;
	case TK_EVERY:
		return KW_EVERY;
	case TK_CONTAINS:
		return KW_CONTAINS;
	case TK_IF:
		return KW_IF;
	default:
		return 0;
	}
}

static int kind_at(const struct parser *p, size_t i)
{
	const struct tg_rego_token *t = &p->toks[i];
	if (t->kind == TK_IDENT && t->kw) {
		if (i == p->pos && p->force_ident)
			return TK_IDENT;
		if (is_future_kind(t->kw))
			return (p->kw & kw_bit(t->kw)) ? t->kw : TK_IDENT;
		return t->kw;
	}
	return t->kind;
}

static int cur(const struct parser *p)
{
	return kind_at(p, p->pos);
}

static const struct tg_rego_token *ctok(const struct parser *p)
{
	return &p->toks[p->pos];
}

static struct tg_rego_loc tok_loc(const struct parser *p, const struct tg_rego_token *t)
{
	struct tg_rego_loc l;
	l.file = p->file;
	l.row = t->row;
	l.col = t->col;
	return l;
}

static struct tg_rego_loc cur_loc(const struct parser *p)
{
	return tok_loc(p, ctok(p));
}

static struct pstate save(const struct parser *p)
{
	struct pstate s;
	s.pos = p->pos;
	s.force_ident = p->force_ident;
	s.has_err = p->has_err;
	s.nhints = p->nhints;
	return s;
}

static void restore(struct parser *p, struct pstate s)
{
	p->pos = s.pos;
	p->force_ident = s.force_ident;
	if (!s.has_err)
		p->has_err = false;
	p->nhints = s.nhints;
}

static void record_error(struct parser *p, struct tg_rego_loc loc, const char *msg)
{
	size_t len, i;
	if (p->has_err)
		return;
	p->has_err = true;
	p->err.code = "rego_parse_error";
	p->err.loc = loc;
	len = strlen(msg);
	if (len >= sizeof(p->err.msg))
		len = sizeof(p->err.msg) - 1;
	memcpy(p->err.msg, msg, len);
	p->err.msg[len] = '\0';
	/* OPA appends the hints gathered so far to the next error */
	if (p->nhints) {
		struct tg_buf b = TG_BUF_INIT(sizeof(p->err.msg) - 1);
		if (tg_buf_adds(&b, p->err.msg) == TG_OK &&
		    tg_buf_adds(&b, p->nhints == 1 ? " (hint: " : " (hints: ") == TG_OK) {
			for (i = 0; i < p->nhints; i++)
				if ((i && tg_buf_adds(&b, ", ") != TG_OK) ||
				    tg_buf_adds(&b, p->hints[i]) != TG_OK)
					break;
			if (i == p->nhints && tg_buf_addc(&b, ')') == TG_OK) {
				memcpy(p->err.msg, b.data, b.len + 1);
			}
		}
		tg_buf_release(&b);
	}
	p->nhints = 0;
}

static void errorf(struct parser *p, struct tg_rego_loc loc, const char *fmt, ...) TG_PRINTF(3, 4);
static void errorf(struct parser *p, struct tg_rego_loc loc, const char *fmt, ...)
{
	char msg[sizeof(p->err.msg)];
	va_list ap;
	if (p->has_err)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	record_error(p, loc, msg);
}

static void hint(struct parser *p, const char *h)
{
	if (p->nhints < TG_ARRAY_LEN(p->hints))
		p->hints[p->nhints++] = h;
}

static bool is_keyword_kind(int k)
{
	return k >= TK_PACKAGE && k <= TK_IF;
}

/* OPA's illegal(): "unexpected <token> token|keyword[: note]" at the
 * current token. */
static void illegal(struct parser *p, const char *fmt, ...) TG_PRINTF(2, 3);
static void illegal(struct parser *p, const char *fmt, ...)
{
	char note[256];
	int k = cur(p);
	const char *name, *type;
	va_list ap;
	if (p->has_err)
		return;
	if (k == TK_ILLEGAL) {
		errorf(p, cur_loc(p), "illegal token");
		return;
	}
	name = tg_rego_tok_name(k);
	type = is_keyword_kind(k) ? "keyword" : "token";
	note[0] = '\0';
	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(note, sizeof(note), fmt, ap);
		va_end(ap);
	}
	if (note[0])
		errorf(p, cur_loc(p), "unexpected %s %s: %s", name, type, note);
	else
		errorf(p, cur_loc(p), "unexpected %s %s", name, type);
}

/* Moves to the next token; skipws also steps over a whitespace run. A
 * scanner error on the token arrived at is reported there. */
static void advance(struct parser *p, bool skipws)
{
	p->force_ident = false;
	for (;;) {
		const struct tg_rego_token *t;
		if (p->toks[p->pos].kind == TK_EOF)
			return;
		p->pos++;
		t = &p->toks[p->pos];
		if (t->kind == TK_ILLEGAL && t->msg)
			errorf(p, tok_loc(p, t), "%s", tg_rego_tok_msg(t));
		if (t->kind == TK_WS && skipws)
			continue;
		return;
	}
}

static void scan(struct parser *p)
{
	advance(p, true);
}

static void scan_ws(struct parser *p)
{
	advance(p, false);
}

/* A newline between the last significant token and the current one. */
static bool skipped_nl(const struct parser *p)
{
	const struct tg_rego_token *t = ctok(p);
	if (t->kind == TK_WS)
		return (t->flags & TF_NL) != 0;
	return p->pos > 0 && p->toks[p->pos - 1].kind == TK_WS &&
	       (p->toks[p->pos - 1].flags & TF_NL);
}

static bool enter(struct parser *p)
{
	if (p->fatal)
		return false;
	if (p->depth >= TG_LIMIT_REGO_PARSE_DEPTH) {
		p->has_err = false;
		errorf(p, cur_loc(p), "max parsing recursion depth exceeded");
		p->fatal = TG_E_DEPTH;
		return false;
	}
	p->depth++;
	return true;
}

static void leave(struct parser *p)
{
	p->depth--;
}

/* A keyword that may start or continue a ref (`input.if`, `not.x`). */
static bool is_allowed_ref_keyword(const struct parser *p)
{
	return is_keyword_kind(cur(p));
}

/* OPA's isIdentOrAllowedRefKeyword. */
static bool ident_or_ref_keyword(struct parser *p)
{
	if (cur(p) == TK_IDENT)
		return true;
	if (is_allowed_ref_keyword(p)) {
		p->force_ident = true;
		return true;
	}
	return false;
}

/* OPA's scanAheadRef: a keyword directly followed by '.' or '[' is the
 * head of a ref. */
static bool scan_ahead_ref(struct parser *p)
{
	if (is_allowed_ref_keyword(p)) {
		struct pstate s = save(p);
		int k;
		scan_ws(p);
		k = cur(p);
		restore(p, s);
		if (k == TK_DOT || k == TK_LBRACK) {
			p->force_ident = true;
			return true;
		}
	}
	return false;
}

/* ---- terms ---- */

static struct tg_rego_term *new_term(struct parser *p, int kind, struct tg_rego_loc loc)
{
	struct tg_rego_term *t = palloc(p, sizeof(*t));
	if (t) {
		t->kind = (uint8_t)kind;
		t->loc = loc;
	}
	return t;
}

static struct tg_rego_term *new_var(struct parser *p, const char *s, size_t n,
                                    struct tg_rego_loc loc)
{
	struct tg_rego_term *t = new_term(p, TG_RT_VAR, loc);
	char *name;
	if (!t)
		return NULL;
	name = tg_arena_strndup(p->a, s, n);
	if (!name) {
		p->fatal = TG_E_TOOBIG;
		return NULL;
	}
	t->u.var.name = name;
	t->u.var.len = n;
	return t;
}

static struct tg_rego_term *new_scalar(struct parser *p, const struct tg_json *v,
                                       struct tg_rego_loc loc)
{
	struct tg_rego_term *t = new_term(p, TG_RT_SCALAR, loc);
	if (t)
		t->u.value = v;
	return t;
}

static struct tg_rego_term *new_string(struct parser *p, const char *s, size_t n,
                                       struct tg_rego_loc loc)
{
	const struct tg_json *v = NULL;
	tg_err r = tg_json_new_string(p->a, s, n, &v);
	if (r != TG_OK) {
		if (r == TG_E_TOOBIG)
			p->fatal = TG_E_TOOBIG;
		else
			errorf(p, loc, "illegal string literal");
		return NULL;
	}
	return new_scalar(p, v, loc);
}

static struct tg_rego_term *new_coll(struct parser *p, int kind, struct tg_rego_term **items,
                                     size_t n, struct tg_rego_loc loc)
{
	struct tg_rego_term *t = new_term(p, kind, loc);
	if (t) {
		t->u.coll.items = items;
		t->u.coll.n = n;
	}
	return t;
}

static bool var_is(const struct tg_rego_term *t, const char *name)
{
	return t && t->kind == TG_RT_VAR && strcmp(t->u.var.name, name) == 0;
}

/* `input` and `data` alone are refs, as in OPA. */
static struct tg_rego_term *root_doc_ref(struct parser *p, struct tg_rego_term *head)
{
	struct tg_rego_term **items;
	if (!var_is(head, "input") && !var_is(head, "data"))
		return head;
	items = tg_arena_alloc_array(p->a, 1, sizeof(*items));
	if (!items) {
		p->fatal = TG_E_TOOBIG;
		return NULL;
	}
	items[0] = head;
	return new_coll(p, TG_RT_REF, items, 1, head->loc);
}

/* An operator term: a var ("plus") or, for dotted names, a ref. */
static struct tg_rego_term *op_var(struct parser *p, const char *name, struct tg_rego_loc loc)
{
	return new_var(p, name, strlen(name), loc);
}

static struct tg_rego_term *op_member(struct parser *p, bool with_key, struct tg_rego_loc loc)
{
	struct tg_rego_term **items = tg_arena_alloc_array(p->a, 2, sizeof(*items));
	if (!items) {
		p->fatal = TG_E_TOOBIG;
		return NULL;
	}
	items[0] = op_var(p, "internal", loc);
	items[1] = new_string(p, with_key ? "member_3" : "member_2", 8, loc);
	if (!items[0] || !items[1])
		return NULL;
	return new_coll(p, TG_RT_REF, items, 2, loc);
}

static struct tg_rego_term *call2(struct parser *p, struct tg_rego_term *op, struct tg_rego_term *a,
                                  struct tg_rego_term *b)
{
	struct tg_rego_term **items = tg_arena_alloc_array(p->a, 3, sizeof(*items));
	if (!items || !op) {
		if (!items)
			p->fatal = TG_E_TOOBIG;
		return NULL;
	}
	items[0] = op;
	items[1] = a;
	items[2] = b;
	return new_coll(p, TG_RT_CALL, items, 3, a->loc);
}

/* The name of a call's operator when it is a var or a ref of var and
 * strings ("plus", "internal.member_2"); NULL otherwise. Written in buf. */
static const char *op_name(const struct tg_rego_term *op, char *buf, size_t cap)
{
	size_t i, len = 0, k;
	if (op->kind == TG_RT_VAR)
		return op->u.var.name;
	if (op->kind != TG_RT_REF || op->u.ref.items[0]->kind != TG_RT_VAR)
		return NULL;
	for (i = 0; i < op->u.ref.n; i++) {
		const struct tg_rego_term *it = op->u.ref.items[i];
		const char *s;
		size_t n;
		if (i == 0) {
			s = it->u.var.name;
			n = it->u.var.len;
		} else if (it->kind == TG_RT_SCALAR && it->u.value->type == TG_JSON_STRING) {
			s = it->u.value->u.s.p;
			n = it->u.value->u.s.len;
		} else {
			return NULL;
		}
		if (len + n + 2 > cap)
			return NULL;
		if (i)
			buf[len++] = '.';
		for (k = 0; k < n; k++)
			buf[len++] = s[k];
	}
	buf[len] = '\0';
	return buf;
}

static bool is_call_to(const struct tg_rego_term *t, const char *name)
{
	char buf[64];
	const char *n;
	if (!t || t->kind != TG_RT_CALL)
		return false;
	n = op_name(t->u.coll.items[0], buf, sizeof(buf));
	return n && strcmp(n, name) == 0;
}

const char *tg_rego_value_name(const struct tg_rego_term *t)
{
	switch (t->kind) {
	case TG_RT_SCALAR:
		switch (t->u.value->type) {
		case TG_JSON_NULL:
			return "null";
		case TG_JSON_BOOL:
			return "boolean";
		case TG_JSON_NUMBER:
			return "number";
		case TG_JSON_STRING:
			return "string";
		case TG_JSON_ARRAY:
			return "array";
		case TG_JSON_OBJECT:
			return "object";
		default:
			return "set";
		}
	case TG_RT_VAR:
		return "var";
	case TG_RT_REF:
		return "ref";
	case TG_RT_ARRAY:
		return "array";
	case TG_RT_SET:
		return "set";
	case TG_RT_OBJECT:
		return "object";
	case TG_RT_ARRAY_COMPR:
		return "arraycomprehension";
	case TG_RT_SET_COMPR:
		return "setcomprehension";
	case TG_RT_OBJECT_COMPR:
		return "objectcomprehension";
	case TG_RT_CALL:
		return "call";
	case TG_RT_TEMPLATE:
		return "templatestring";
	default:
		return "term";
	}
}

/* OPA's IsGround: no variables; a ref's head does not count. */
static bool term_ground(const struct tg_rego_term *t, int depth)
{
	size_t i, from = 0;
	if (depth > TG_LIMIT_REGO_PARSE_DEPTH)
		return false;
	switch (t->kind) {
	case TG_RT_SCALAR:
		return true;
	case TG_RT_VAR:
	case TG_RT_ARRAY_COMPR:
	case TG_RT_SET_COMPR:
	case TG_RT_OBJECT_COMPR:
		return false;
	default:
		/* a ref's head and a call's operator do not count */
		if (t->kind == TG_RT_REF || t->kind == TG_RT_CALL)
			from = 1;
		for (i = from; i < t->u.coll.n; i++)
			if (!term_ground(t->u.coll.items[i], depth + 1))
				return false;
		return true;
	}
}

/* Formats t for a message into buf (truncated). */
static const char *term_str(struct parser *p, const struct tg_rego_term *t, char *buf, size_t cap)
{
	struct tg_buf b = TG_BUF_INIT(cap - 1);
	(void)p;
	buf[0] = '\0';
	if (tg_rego_format_term(t, &b) == TG_OK && b.data)
		memcpy(buf, b.data, b.len + 1);
	tg_buf_release(&b);
	if (!buf[0] && cap > 3)
		memcpy(buf, "...", 4);
	return buf;
}

static struct tg_rego_term *parse_term(struct parser *p);
static struct tg_rego_term *parse_term_infix_call(struct parser *p);
static struct tg_rego_term *parse_term_infix_call_in_list(struct parser *p);
static struct tg_rego_body *parse_body(struct parser *p, int end);
static struct tg_rego_expr *parse_literal(struct parser *p);

static struct tg_rego_term *parse_var(struct parser *p)
{
	const struct tg_rego_token *t = ctok(p);
	return new_var(p, p->src + t->off, t->len, tok_loc(p, t));
}

/* The decimal exponent of a number literal's magnitude, roughly; OPA
 * rejects numbers whose binary exponent passes 1e5 ("number too big").
 * An exponent beyond 32 bits does not even read as a float there. */
static int number_check(const char *s, size_t n)
{
	size_t i = 0, intdigits = 0, leadfrac = 0;
	long long exp = 0;
	bool nonzero = false, seen_nz_int = false, expneg = false;
	if (i < n && s[i] == '-')
		i++;
	for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
		if (s[i] != '0')
			seen_nz_int = nonzero = true;
		if (seen_nz_int)
			intdigits++;
	}
	if (i < n && s[i] == '.') {
		i++;
		for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
			if (s[i] != '0')
				nonzero = true;
			else if (!nonzero)
				leadfrac++;
		}
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			expneg = s[i++] == '-';
		for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			if (exp < 100000000000LL)
				exp = exp * 10 + (s[i] - '0');
		if (exp > 2147483647LL)
			return 2;
	}
	if (!nonzero)
		return 0;
	if (expneg)
		exp = -exp;
	/* 2^100000 is about 10^30103 */
	if (seen_nz_int)
		exp += (long long)intdigits;
	else
		exp -= (long long)leadfrac;
	return exp > 30103 || exp < -30103;
}

static struct tg_rego_term *parse_number(struct parser *p)
{
	struct tg_rego_loc loc = cur_loc(p);
	char prefix[3];
	size_t np = 0, len;
	const struct tg_rego_token *t;
	const char *lit;
	char *buf;
	const struct tg_json *v = NULL;
	tg_err r;
	bool dot = false;

	if (cur(p) == TK_SUB) {
		prefix[np++] = '-';
		scan(p);
		if (cur(p) != TK_NUMBER && cur(p) != TK_DOT) {
			illegal(p, "expected number");
			return NULL;
		}
	}
	if (cur(p) == TK_DOT) {
		dot = true;
		scan(p);
		if (cur(p) != TK_NUMBER) {
			illegal(p, "expected number");
			return NULL;
		}
	}
	t = ctok(p);
	lit = p->src + t->off;
	len = t->len;
	if (!dot && len > 1 && lit[0] == '0') {
		bool decimal = lit[1] == '.';
		bool sci = len > 2 && (lit[1] == 'e' || lit[1] == 'E');
		if (!decimal && !sci) {
			illegal(p, "expected number without leading zero");
			return NULL;
		}
	}
	/* ".5" keeps its value as the JSON literal "0.5" */
	if (dot)
		prefix[np++] = '0';
	buf = tg_arena_alloc_bytes(p->a, np + (dot ? 1 : 0) + len + 1);
	if (!buf) {
		p->fatal = TG_E_TOOBIG;
		return NULL;
	}
	memcpy(buf, prefix, np);
	if (dot)
		buf[np++] = '.';
	memcpy(buf + np, lit, len);
	np += len;
	buf[np] = '\0';
	switch (number_check(buf, np)) {
	case 0:
		break;
	case 2:
		illegal(p, "invalid float");
		return NULL;
	default:
		errorf(p, cur_loc(p), "number too big");
		return NULL;
	}
	r = tg_json_new_number(p->a, buf, np, &v);
	if (r != TG_OK) {
		if (r == TG_E_PARSE)
			illegal(p, "invalid float");
		else if (r == TG_E_TOOBIG && np <= TG_LIMIT_JSON_NUMBER)
			p->fatal = TG_E_TOOBIG;
		else
			errorf(p, cur_loc(p), "number too big");
		return NULL;
	}
	return new_scalar(p, v, loc);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool read_hex4(const char *s, size_t n, size_t i, uint32_t *out)
{
	uint32_t v = 0;
	size_t k;
	if (i + 4 > n)
		return false;
	for (k = 0; k < 4; k++) {
		int h = hexval(s[i + k]);
		if (h < 0)
			return false;
		v = v * 16 + (uint32_t)h;
	}
	*out = v;
	return true;
}

/*
 * Decodes the inside of a "..." literal (n bytes at s) as JSON does:
 * escapes resolved, control characters rejected, a lone surrogate
 * becoming U+FFFD (Go's encoding/json). tpl also accepts \{.
 */
static bool decode_escapes(struct parser *p, const char *s, size_t n, bool tpl, char **out,
                           size_t *outlen)
{
	char *buf = tg_arena_alloc_bytes(p->a, n + 1);
	size_t i = 0, o = 0;
	if (!buf) {
		p->fatal = TG_E_TOOBIG;
		return false;
	}
	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		uint32_t cp, lo;
		if (c < 0x20)
			return false;
		if (c != '\\') {
			buf[o++] = (char)c;
			i++;
			continue;
		}
		if (++i >= n)
			return false;
		switch (s[i]) {
		case '"':
		case '\\':
		case '/':
			buf[o++] = s[i++];
			continue;
		case 'b':
			buf[o++] = '\b';
			i++;
			continue;
		case 'f':
			buf[o++] = '\f';
			i++;
			continue;
		case 'n':
			buf[o++] = '\n';
			i++;
			continue;
		case 'r':
			buf[o++] = '\r';
			i++;
			continue;
		case 't':
			buf[o++] = '\t';
			i++;
			continue;
		case '{':
			if (!tpl)
				return false;
			buf[o++] = '{';
			i++;
			continue;
		case 'u':
			break;
		default:
			return false;
		}
		if (!read_hex4(s, n, i + 1, &cp))
			return false;
		i += 5;
		if (cp >= 0xD800 && cp <= 0xDBFF) {
			if (i + 1 < n && s[i] == '\\' && s[i + 1] == 'u' &&
			    read_hex4(s, n, i + 2, &lo) && lo >= 0xDC00 && lo <= 0xDFFF) {
				cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
				i += 6;
			} else {
				cp = 0xFFFD;
			}
		} else if (cp >= 0xDC00 && cp <= 0xDFFF) {
			cp = 0xFFFD;
		}
		/* every escape is 6 bytes of input, at most 4 of output */
		o += tg_utf8_encode(cp, (uint8_t *)buf + o);
	}
	buf[o] = '\0';
	*out = buf;
	*outlen = o;
	return true;
}

static struct tg_rego_term *parse_string(struct parser *p)
{
	const struct tg_rego_token *t = ctok(p);
	const char *s = p->src + t->off + 1;
	size_t n = t->len - 2;
	char *dec;
	size_t dlen;
	if (t->len < 2)
		return NULL;
	if ((t->flags & TF_RAW) || !(t->flags & TF_ESC))
		return new_string(p, s, n, tok_loc(p, t));
	if (!decode_escapes(p, s, n, false, &dec, &dlen)) {
		if (!p->fatal) {
			int w = t->len > 200 ? 200 : (int)t->len;
			errorf(p, tok_loc(p, t), "illegal string literal: %.*s", w,
			       p->src + t->off);
		}
		return NULL;
	}
	return new_string(p, dec, dlen, tok_loc(p, t));
}

/* The text of a template token, decoded, as a string term. */
static struct tg_rego_term *template_text(struct parser *p, const struct tg_rego_token *t)
{
	size_t start = (t->flags & TF_TPL_CONT) ? 0 : 2;
	const char *s = p->src + t->off + start;
	size_t n = t->len - start - 1, i, o;
	char *dec;
	size_t dlen;
	if (t->len < start + 1)
		return NULL;
	if (!(t->flags & TF_ESC))
		return new_string(p, s, n, tok_loc(p, t));
	if (t->flags & TF_RAW) {
		dec = tg_arena_alloc_bytes(p->a, n + 1);
		if (!dec) {
			p->fatal = TG_E_TOOBIG;
			return NULL;
		}
		for (i = 0, o = 0; i < n; i++) {
			if (s[i] == '\\' && i + 1 < n && s[i + 1] == '{')
				continue;
			dec[o++] = s[i];
		}
		return new_string(p, dec, o, tok_loc(p, t));
	}
	if (!decode_escapes(p, s, n, true, &dec, &dlen)) {
		if (!p->fatal) {
			int w = t->len > 200 ? 200 : (int)t->len;
			errorf(p, tok_loc(p, t), "illegal template-string part: %.*s", w,
			       p->src + t->off);
		}
		return NULL;
	}
	return new_string(p, dec, dlen, tok_loc(p, t));
}

/* $"text {expr} text": items alternate text (strings) and expressions. */
static struct tg_rego_term *parse_template(struct parser *p)
{
	struct tg_rego_loc loc = cur_loc(p);
	struct tvec parts = {0};
	for (;;) {
		struct tg_rego_term *txt;
		struct tg_rego_expr *e;
		int k = cur(p);
		if (k != TK_TPL_PART && k != TK_TPL_END) {
			illegal(p, "expected template-string part");
			return NULL;
		}
		txt = template_text(p, ctok(p));
		if (!txt || !tvec_push(p, &parts, txt))
			return NULL;
		if (k == TK_TPL_END)
			break;
		scan(p);
		e = parse_literal(p);
		if (!e) {
			errorf(p, cur_loc(p), "invalid template-string expression");
			return NULL;
		}
		if (e->negated) {
			errorf(p, e->loc,
			       "unexpected negation ('not') in template-string expression");
			return NULL;
		}
		if (e->kind == TG_RE_EVERY) {
			errorf(p, e->loc, "unexpected 'every' in template-string expression");
			return NULL;
		}
		if (e->kind != TG_RE_TERM) {
			errorf(p, e->loc, "unexpected 'some' in template-string expression");
			return NULL;
		}
		if (is_call_to(e->term, "eq")) {
			errorf(p, e->loc,
			       "unexpected unification ('=') in template-string expression");
			return NULL;
		}
		if (is_call_to(e->term, "assign")) {
			errorf(p, e->loc,
			       "unexpected assignment (':=') in template-string expression");
			return NULL;
		}
		if (e->nwith) {
			errorf(p, e->loc, "unexpected 'with' in template-string expression");
			return NULL;
		}
		if (!tvec_push(p, &parts, e->term))
			return NULL;
		if (cur(p) != TK_RBRACE) {
			errorf(p, cur_loc(p), "expected } to end template string expression");
			return NULL;
		}
		scan_ws(p);
	}
	return new_coll(p, TG_RT_TEMPLATE, parts.v, parts.n, loc);
}

static struct tg_rego_term *parse_ref(struct parser *p, struct tg_rego_term *head);

/* After '(' of a call whose operator is op. */
static struct tg_rego_term *parse_call(struct parser *p, struct tg_rego_term *op)
{
	struct tvec args = {0};
	struct tg_rego_term *t = NULL;
	if (!enter(p))
		return NULL;
	scan(p);
	if (cur(p) == TK_RPAREN) {
		scan_ws(p);
		if (var_is(op, "set"))
			t = new_coll(p, TG_RT_SET, NULL, 0, op->loc);
		else if (tvec_push(p, &args, op))
			t = new_coll(p, TG_RT_CALL, args.v, args.n, op->loc);
		goto out;
	}
	if (!tvec_push(p, &args, op))
		goto out;
	for (;;) {
		struct tg_rego_term *a = parse_term_infix_call_in_list(p);
		if (!a || !tvec_push(p, &args, a))
			goto out;
		if (cur(p) == TK_RPAREN)
			break;
		if (cur(p) == TK_COMMA) {
			scan(p);
			if (cur(p) == TK_RPAREN)
				break;
			continue;
		}
		illegal(p, "expected \",\" or \")\"");
		goto out;
	}
	scan_ws(p);
	t = new_coll(p, TG_RT_CALL, args.v, args.n, op->loc);
out:
	leave(p);
	return t;
}

static bool ref_head_ok(const struct tg_rego_term *h)
{
	switch (h->kind) {
	case TG_RT_VAR:
	case TG_RT_ARRAY:
	case TG_RT_OBJECT:
	case TG_RT_SET:
	case TG_RT_ARRAY_COMPR:
	case TG_RT_SET_COMPR:
	case TG_RT_OBJECT_COMPR:
	case TG_RT_CALL:
		return true;
	default:
		return false;
	}
}

/* head followed directly by '.', '[' or '(' */
static struct tg_rego_term *parse_ref(struct parser *p, struct tg_rego_term *head)
{
	struct tvec items = {0};
	struct tg_rego_term *t = NULL;
	if (!enter(p))
		return NULL;
	if (!ref_head_ok(head))
		errorf(p, head->loc, "illegal ref (head cannot be %s)", tg_rego_value_name(head));
	if (!tvec_push(p, &items, head))
		goto out;
	for (;;) {
		switch (cur(p)) {
		case TK_DOT: {
			const struct tg_rego_token *k;
			struct tg_rego_term *s;
			scan_ws(p);
			k = ctok(p);
			if (k->kind != TK_IDENT) {
				illegal(p, "expected identifier");
				goto out;
			}
			s = new_string(p, p->src + k->off, k->len, tok_loc(p, k));
			if (!s || !tvec_push(p, &items, s))
				goto out;
			scan_ws(p);
			break;
		}
		case TK_LPAREN: {
			struct tg_rego_term *op;
			if (items.n == 1 && items.v[0]->kind == TG_RT_VAR)
				op = items.v[0];
			else
				op = new_coll(p, TG_RT_REF, items.v, items.n, head->loc);
			if (!op)
				goto out;
			t = parse_call(p, op);
			if (t) {
				switch (cur(p)) {
				case TK_WS:
					scan(p);
					break;
				case TK_DOT:
				case TK_LBRACK:
					t = parse_ref(p, t);
					break;
				default:
					break;
				}
			}
			goto out;
		}
		case TK_LBRACK: {
			struct tg_rego_term *k;
			scan(p);
			k = parse_term_infix_call(p);
			if (!k)
				goto out;
			if (cur(p) != TK_RBRACK) {
				illegal(p, "expected [");
				goto out;
			}
			if (!tvec_push(p, &items, k))
				goto out;
			scan_ws(p);
			break;
		}
		case TK_WS:
			scan(p);
			t = new_coll(p, TG_RT_REF, items.v, items.n, head->loc);
			goto out;
		default:
			t = new_coll(p, TG_RT_REF, items.v, items.n, head->loc);
			goto out;
		}
	}
out:
	leave(p);
	return t;
}

static struct tg_rego_term *parse_term_finish(struct parser *p, struct tg_rego_term *head,
                                              bool skipws)
{
	if (!head)
		return NULL;
	advance(p, skipws);
	switch (cur(p)) {
	case TK_LPAREN:
	case TK_DOT:
	case TK_LBRACK:
		return parse_ref(p, head);
	default:
		if (cur(p) == TK_WS)
			scan(p);
		return root_doc_ref(p, head);
	}
}

/* Items until end; init (may be NULL) starts the list. */
static bool parse_term_list(struct parser *p, int end, struct tvec *out)
{
	if (cur(p) == end)
		return out->n > 0;
	for (;;) {
		struct tg_rego_term *t = parse_term_infix_call_in_list(p);
		if (!t || !tvec_push(p, out, t))
			return false;
		if (cur(p) == end)
			return true;
		if (cur(p) == TK_COMMA) {
			scan(p);
			if (cur(p) == end)
				return true;
			continue;
		}
		illegal(p, "expected \",\" or \"%s\"", tg_rego_tok_name(end));
		return false;
	}
}

static bool parse_term_pair_list(struct parser *p, int end, struct tvec *out)
{
	if (cur(p) == end)
		return out->n > 0;
	for (;;) {
		struct tg_rego_term *k = parse_term_infix_call_in_list(p), *v;
		if (!k)
			return false;
		if (cur(p) != TK_COLON) {
			illegal(p, "expected \":\"");
			return false;
		}
		scan(p);
		v = parse_term_infix_call_in_list(p);
		if (!v || !tvec_push(p, out, k) || !tvec_push(p, out, v))
			return false;
		if (cur(p) == end)
			return true;
		if (cur(p) == TK_COMMA) {
			scan(p);
			if (cur(p) == end)
				return true;
			continue;
		}
		illegal(p, "expected \",\" or \"%s\"", tg_rego_tok_name(end));
		return false;
	}
}

static struct tg_rego_term *new_compr(struct parser *p, int kind, struct tg_rego_term *key,
                                      struct tg_rego_term *value, struct tg_rego_body *body,
                                      struct tg_rego_loc loc)
{
	struct tg_rego_term *t = new_term(p, kind, loc);
	if (t) {
		t->u.compr.key = key;
		t->u.compr.value = value;
		t->u.compr.body = body;
	}
	return t;
}

static struct tg_rego_term *parse_array(struct parser *p)
{
	struct tg_rego_loc loc = cur_loc(p);
	struct tvec items = {0};
	struct tg_rego_term *head, *t = NULL;
	struct pstate s;
	bool potential = true;
	if (!enter(p))
		return NULL;
	scan(p);
	if (cur(p) == TK_RBRACK) {
		t = new_coll(p, TG_RT_ARRAY, NULL, 0, loc);
		goto out;
	}
	/* a leading comma is accepted, as OPA does for compatibility */
	if (cur(p) == TK_COMMA) {
		potential = false;
		scan(p);
	}
	s = save(p);
	head = parse_term(p);
	if (!head)
		goto out;
	switch (cur(p)) {
	case TK_RBRACK:
		if (tvec_push(p, &items, head))
			t = new_coll(p, TG_RT_ARRAY, items.v, items.n, loc);
		goto out;
	case TK_COMMA:
		scan(p);
		if (tvec_push(p, &items, head) && parse_term_list(p, TK_RBRACK, &items))
			t = new_coll(p, TG_RT_ARRAY, items.v, items.n, loc);
		goto out;
	case TK_OR:
		if (potential) {
			struct tg_rego_body *body;
			scan(p);
			body = parse_body(p, TK_RBRACK);
			if (body) {
				t = new_compr(p, TG_RT_ARRAY_COMPR, NULL, head, body, loc);
				goto out;
			}
			if (cur(p) != TK_COMMA)
				goto out;
		}
		break;
	default:
		break;
	}
	restore(p, s);
	items.n = 0;
	if (parse_term_list(p, TK_RBRACK, &items))
		t = new_coll(p, TG_RT_ARRAY, items.v, items.n, loc);
out:
	leave(p);
	return t;
}

static struct tg_rego_term *parse_set(struct parser *p, struct pstate s, struct tg_rego_term *head,
                                      bool potential, struct tg_rego_loc loc)
{
	struct tvec items = {0};
	struct tg_rego_term *t = NULL;
	if (!enter(p))
		return NULL;
	switch (cur(p)) {
	case TK_RBRACE:
		if (tvec_push(p, &items, head))
			t = new_coll(p, TG_RT_SET, items.v, items.n, loc);
		break;
	case TK_COMMA:
		scan(p);
		if (tvec_push(p, &items, head) && parse_term_list(p, TK_RBRACE, &items))
			t = new_coll(p, TG_RT_SET, items.v, items.n, loc);
		break;
	case TK_OR:
		if (potential) {
			struct tg_rego_body *body;
			scan(p);
			body = parse_body(p, TK_RBRACE);
			if (body) {
				t = new_compr(p, TG_RT_SET_COMPR, NULL, head, body, loc);
				break;
			}
			if (cur(p) != TK_COMMA)
				break;
		}
		restore(p, s);
		if (parse_term_list(p, TK_RBRACE, &items))
			t = new_coll(p, TG_RT_SET, items.v, items.n, loc);
		break;
	default:
		break;
	}
	leave(p);
	return t;
}

static struct tg_rego_term *parse_object_finish(struct parser *p, struct tg_rego_term *key,
                                                struct tg_rego_term *val, bool potential,
                                                struct tg_rego_loc loc)
{
	struct tvec items = {0};
	struct tg_rego_term *t = NULL;
	if (!enter(p))
		return NULL;
	switch (cur(p)) {
	case TK_RBRACE:
		if (tvec_push(p, &items, key) && tvec_push(p, &items, val))
			t = new_coll(p, TG_RT_OBJECT, items.v, items.n, loc);
		break;
	case TK_OR:
		if (potential) {
			struct tg_rego_body *body;
			scan(p);
			body = parse_body(p, TK_RBRACE);
			if (body)
				t = new_compr(p, TG_RT_OBJECT_COMPR, key, val, body, loc);
		} else {
			illegal(p, "non-terminated object");
		}
		break;
	case TK_COMMA:
		scan(p);
		if (tvec_push(p, &items, key) && tvec_push(p, &items, val) &&
		    parse_term_pair_list(p, TK_RBRACE, &items))
			t = new_coll(p, TG_RT_OBJECT, items.v, items.n, loc);
		break;
	default:
		break;
	}
	leave(p);
	return t;
}

/* At ':' after the first key. */
static struct tg_rego_term *parse_object(struct parser *p, struct tg_rego_term *k, bool potential,
                                         struct tg_rego_loc loc)
{
	struct tg_rego_term *v, *t = NULL;
	struct pstate s;
	bool potential_relation = true;
	if (!enter(p))
		return NULL;
	scan(p);
	s = save(p);
	v = parse_term(p);
	if (!v)
		goto out;
	if (potential) {
		int k2 = cur(p);
		if (k2 == TK_RBRACE || k2 == TK_COMMA)
			potential_relation = false;
		if (k2 == TK_RBRACE || k2 == TK_COMMA || k2 == TK_OR) {
			t = parse_object_finish(p, k, v, true, loc);
			if (t)
				goto out;
		}
	}
	restore(p, s);
	if (potential_relation) {
		v = parse_term_infix_call_in_list(p);
		if (!v)
			goto out;
		if (cur(p) == TK_RBRACE || cur(p) == TK_COMMA) {
			t = parse_object_finish(p, k, v, false, loc);
			goto out;
		}
	}
	illegal(p, "non-terminated object");
out:
	leave(p);
	return t;
}

static struct tg_rego_term *parse_set_or_object(struct parser *p)
{
	struct tg_rego_loc loc = cur_loc(p);
	struct tg_rego_term *head, *t = NULL;
	struct pstate s;
	bool potential = true;
	if (!enter(p))
		return NULL;
	scan(p);
	if (cur(p) == TK_RBRACE) {
		t = new_coll(p, TG_RT_OBJECT, NULL, 0, loc);
		goto out;
	}
	if (cur(p) == TK_COMMA) {
		potential = false;
		scan(p);
	}
	s = save(p);
	/* a single term first, so that {a | b} is a comprehension */
	head = parse_term(p);
	if (!head)
		goto out;
	switch (cur(p)) {
	case TK_OR:
		if (potential) {
			t = parse_set(p, s, head, potential, loc);
			goto out;
		}
		break;
	case TK_RBRACE:
	case TK_COMMA:
		t = parse_set(p, s, head, potential, loc);
		goto out;
	case TK_COLON:
		t = parse_object(p, head, potential, loc);
		goto out;
	default:
		break;
	}
	restore(p, s);
	head = parse_term_infix_call_in_list(p);
	if (!head)
		goto out;
	switch (cur(p)) {
	case TK_RBRACE:
	case TK_COMMA:
		t = parse_set(p, s, head, false, loc);
		goto out;
	case TK_COLON:
		t = parse_object(p, head, potential, loc);
		goto out;
	default:
		break;
	}
	illegal(p, "non-terminated set");
out:
	leave(p);
	return t;
}

static struct tg_rego_term *parse_term_uncached(struct parser *p)
{
	struct tg_rego_term *t = NULL;
	switch (cur(p)) {
	case TK_NULL:
		t = new_scalar(p, &tg_json_null_v, cur_loc(p));
		break;
	case TK_TRUE:
		t = new_scalar(p, &tg_json_true_v, cur_loc(p));
		break;
	case TK_FALSE:
		t = new_scalar(p, &tg_json_false_v, cur_loc(p));
		break;
	case TK_SUB:
	case TK_DOT:
	case TK_NUMBER:
		t = parse_number(p);
		break;
	case TK_STRING:
		t = parse_string(p);
		break;
	case TK_TPL_PART:
	case TK_TPL_END:
		t = parse_template(p);
		break;
	case TK_IDENT:
	case TK_CONTAINS: /* `contains` is a keyword only in rule heads */
		t = parse_var(p);
		break;
	case TK_LBRACK:
		t = parse_array(p);
		break;
	case TK_LBRACE:
		t = parse_set_or_object(p);
		break;
	case TK_LPAREN: {
		struct tg_rego_term *r;
		scan(p);
		r = parse_term_infix_call(p);
		if (r) {
			if (cur(p) == TK_RPAREN)
				t = r;
			else
				errorf(p, cur_loc(p), "non-terminated expression");
		}
		break;
	}
	default:
		illegal(p, NULL);
		break;
	}
	return parse_term_finish(p, t, false);
}

static struct tg_rego_term *parse_term(struct parser *p)
{
	struct tg_rego_term *t;
	size_t start = p->pos;
	bool had_err = p->has_err, use_cache;
	if (!enter(p))
		return NULL;
	use_cache = p->cache && !p->no_cache && !p->force_ident;
	if (use_cache && p->cache[start].gen == p->gen) {
		const struct cache_entry *ce = &p->cache[start];
		p->pos = ce->end;
		p->force_ident = false;
		if (ce->e && !p->has_err) {
			p->err = *ce->e;
			p->has_err = true;
		}
		leave(p);
		return ce->t;
	}
	t = parse_term_uncached(p);
	if (use_cache && !p->fatal) {
		struct cache_entry *ce = &p->cache[start];
		ce->gen = p->gen;
		ce->end = (uint32_t)p->pos;
		ce->t = t;
		ce->e = NULL;
		if (!had_err && p->has_err) {
			ce->e = tg_arena_memdup(p->a, &p->err, sizeof(p->err));
			if (!ce->e) {
				p->fatal = TG_E_TOOBIG;
				ce->gen = 0;
			}
		}
	}
	leave(p);
	return t;
}

static struct tg_rego_term *term_op(struct parser *p)
{
	struct tg_rego_term *op = op_var(p, tg_rego_tok_name(cur(p)), cur_loc(p));
	scan(p);
	return op;
}

/* Binary operator levels, tightest first: `* / %`, `+ -`, `&`, `|`, then
 * the relations. Each level is left-associative. */
enum binlevel { LV_FACTOR, LV_ARITH, LV_AND, LV_OR, LV_RELATION };

static bool binop_at(int k, enum binlevel lv)
{
	switch (lv) {
	case LV_FACTOR:
		return k == TK_MUL || k == TK_QUO || k == TK_REM;
	case LV_ARITH:
		return k == TK_ADD || k == TK_SUB;
	case LV_AND:
		return k == TK_AND;
	case LV_OR:
		return k == TK_OR;
	case LV_RELATION:
		return k == TK_EQUAL || k == TK_NEQ || k == TK_LT || k == TK_GT || k == TK_LTE ||
		       k == TK_GTE;
	}
	return false;
}

static struct tg_rego_term *parse_binary(struct parser *p, enum binlevel lv);

static struct tg_rego_term *parse_operand(struct parser *p, enum binlevel lv)
{
	return lv == LV_FACTOR ? parse_term(p) : parse_binary(p, (enum binlevel)(lv - 1));
}

static struct tg_rego_term *parse_binary(struct parser *p, enum binlevel lv)
{
	struct tg_rego_term *lhs;
	int extra = 0;
	if (!enter(p))
		return NULL;
	lhs = parse_operand(p, lv);
	while (lhs && binop_at(cur(p), lv)) {
		struct tg_rego_term *op, *rhs;
		/* each operator nests the AST one deeper: count it */
		if (!enter(p)) {
			lhs = NULL;
			break;
		}
		extra++;
		op = term_op(p);
		if (!op)
			break;
		rhs = parse_operand(p, lv);
		if (!rhs)
			break;
		lhs = call2(p, op, lhs, rhs);
	}
	p->depth -= extra;
	leave(p);
	return lhs;
}

static struct tg_rego_term *parse_term_relation(struct parser *p)
{
	return parse_binary(p, LV_RELATION);
}

/* `x in xs`, `k, v in xs` (keyval only), chained `a in b in c`. */
static struct tg_rego_term *parse_term_in(struct parser *p, bool keyval)
{
	struct tg_rego_term *lhs;
	int extra = 0;
	if (!enter(p))
		return NULL;
	lhs = parse_term_relation(p);
	if (lhs && keyval && cur(p) == TK_COMMA) {
		struct pstate s = save(p);
		struct tg_rego_term *mhs;
		scan(p);
		mhs = parse_term_relation(p);
		if (mhs && cur(p) == TK_IN) {
			struct tg_rego_term *op = op_member(p, true, cur_loc(p)), *rhs;
			scan(p);
			rhs = op ? parse_term_relation(p) : NULL;
			if (rhs) {
				struct tg_rego_term **items =
				        tg_arena_alloc_array(p->a, 4, sizeof(*items));
				if (!items) {
					p->fatal = TG_E_TOOBIG;
					lhs = NULL;
					goto out;
				}
				items[0] = op;
				items[1] = lhs;
				items[2] = mhs;
				items[3] = rhs;
				lhs = new_coll(p, TG_RT_CALL, items, 4, lhs->loc);
				goto chain;
			}
		}
		restore(p, s);
	}
	if (!lhs)
		goto out;
	scan_ahead_ref(p);
chain:
	while (lhs && cur(p) == TK_IN) {
		struct tg_rego_term *op, *rhs;
		if (!enter(p)) {
			lhs = NULL;
			break;
		}
		extra++;
		op = op_member(p, false, cur_loc(p));
		if (!op)
			break;
		scan(p);
		rhs = parse_term_relation(p);
		if (!rhs)
			break;
		lhs = call2(p, op, lhs, rhs);
	}
out:
	p->depth -= extra;
	leave(p);
	return lhs;
}

static struct tg_rego_term *parse_term_infix_call(struct parser *p)
{
	struct tg_rego_term *t;
	if (!enter(p))
		return NULL;
	t = parse_term_in(p, true);
	leave(p);
	return t;
}

static struct tg_rego_term *parse_term_infix_call_in_list(struct parser *p)
{
	struct tg_rego_term *t;
	if (!enter(p))
		return NULL;
	t = parse_term_in(p, false);
	leave(p);
	return t;
}

/* ---- expressions and bodies ---- */

static struct tg_rego_expr *new_expr(struct parser *p, int kind, struct tg_rego_loc loc)
{
	struct tg_rego_expr *e = palloc(p, sizeof(*e));
	if (e) {
		e->kind = (uint8_t)kind;
		e->loc = loc;
	}
	return e;
}

static bool parse_with(struct parser *p, struct tg_rego_expr *e)
{
	struct wvec ws = {0};
	for (;;) {
		struct tg_rego_with *w = palloc(p, sizeof(*w));
		if (!w)
			return false;
		w->loc = cur_loc(p);
		scan(p);
		if (cur(p) != TK_IDENT) {
			illegal(p, "expected ident");
			return false;
		}
		w->target = parse_term(p);
		if (!w->target)
			return false;
		if (w->target->kind != TG_RT_REF && w->target->kind != TG_RT_VAR)
			illegal(p, "expected with target path");
		if (cur(p) != TK_AS) {
			illegal(p, "expected as keyword");
			return false;
		}
		scan(p);
		w->value = parse_term_infix_call(p);
		if (!w->value || !wvec_push(p, &ws, w))
			return false;
		if (cur(p) != TK_WITH)
			break;
	}
	e->with = ws.v;
	e->nwith = ws.n;
	return true;
}

static struct tg_rego_expr *parse_expr(struct parser *p)
{
	struct tg_rego_term *lhs = parse_term_infix_call(p);
	struct tg_rego_expr *e;
	if (!lhs)
		return NULL;
	if (cur(p) == TK_ASSIGN || cur(p) == TK_UNIFY) {
		struct tg_rego_term *op = term_op(p), *rhs;
		if (!op)
			return NULL;
		rhs = parse_term_infix_call(p);
		if (!rhs)
			return NULL;
		lhs = call2(p, op, lhs, rhs);
		if (!lhs)
			return NULL;
	}
	e = new_expr(p, TG_RE_TERM, lhs->loc);
	if (e)
		e->term = lhs;
	return e;
}

static struct tg_rego_expr *parse_every(struct parser *p);

static struct tg_rego_expr *parse_literal_expr(struct parser *p, bool negated)
{
	struct pstate s = save(p);
	struct tg_rego_expr *e = parse_expr(p);
	if (!e)
		return NULL;
	e->negated = negated;
	if (cur(p) == TK_WITH && !parse_with(p, e))
		return NULL;
	/* v0: a plain `every` that would parse with the keyword gets a hint */
	if (p->version == TG_REGO_V0 && !(p->kw & KW_EVERY) && !e->negated &&
	    var_is(e->term, "every")) {
		struct pstate t = save(p);
		unsigned kw = p->kw;
		bool nc = p->no_cache, ok;
		restore(p, s);
		p->kw = KW_ALL;
		p->no_cache = true;
		ok = parse_every(p) != NULL;
		p->kw = kw;
		p->no_cache = nc;
		restore(p, t);
		if (ok)
			hint(p, "`import future.keywords.every` for `every x in xs { ... }` "
			        "expressions");
	}
	return e;
}

static struct tg_rego_expr *parse_some(struct parser *p)
{
	struct tg_rego_expr *e = new_expr(p, TG_RE_SOME_DECL, cur_loc(p));
	struct tvec vars = {0};
	struct pstate s;
	struct tg_rego_term *t;
	if (!e)
		return NULL;
	s = save(p);
	scan(p);
	t = parse_term_infix_call(p);
	if (t && t->kind == TG_RT_CALL) {
		if (is_call_to(t, "internal.member_2")) {
			if (t->u.coll.n != 3) {
				illegal(p, "illegal domain");
				return NULL;
			}
			e->q.value = t->u.coll.items[1];
			e->q.domain = t->u.coll.items[2];
		} else if (is_call_to(t, "internal.member_3")) {
			if (t->u.coll.n != 4) {
				illegal(p, "illegal domain");
				return NULL;
			}
			e->q.key = t->u.coll.items[1];
			e->q.value = t->u.coll.items[2];
			e->q.domain = t->u.coll.items[3];
		} else {
			illegal(p, "expected `x in xs` or `x, y in xs` expression");
			return NULL;
		}
		e->kind = TG_RE_SOME_IN;
		if (cur(p) == TK_WITH && !parse_with(p, e))
			return NULL;
		return e;
	}
	restore(p, s);
	if (p->version == TG_REGO_V0 && !(p->kw & KW_IN)) {
		/* would it parse with `in` as a keyword? then say so */
		unsigned kw = p->kw;
		bool nc = p->no_cache, h = false;
		s = save(p);
		p->kw = KW_ALL;
		p->no_cache = true;
		scan(p);
		t = parse_term_infix_call(p);
		h = is_call_to(t, "internal.member_2") || is_call_to(t, "internal.member_3");
		p->kw = kw;
		p->no_cache = nc;
		restore(p, s);
		if (h)
			hint(p, "`import future.keywords.in` for `some x in xs` expressions");
	}
	for (;;) {
		struct tg_rego_term *v;
		scan(p);
		if (cur(p) != TK_IDENT) {
			illegal(p, "expected var");
			return NULL;
		}
		v = parse_var(p);
		if (!v || !tvec_push(p, &vars, v))
			return NULL;
		scan(p);
		if (cur(p) != TK_COMMA)
			break;
	}
	e->q.vars = vars.v;
	e->q.n = vars.n;
	return e;
}

static struct tg_rego_expr *parse_every(struct parser *p)
{
	struct tg_rego_expr *e = new_expr(p, TG_RE_EVERY, cur_loc(p));
	struct tg_rego_term *t;
	if (!e)
		return NULL;
	scan(p);
	t = parse_term_infix_call(p);
	if (!t)
		return NULL;
	if (is_call_to(t, "internal.member_2")) {
		if (t->u.coll.n != 3) {
			illegal(p, "illegal domain");
			return NULL;
		}
		e->q.value = t->u.coll.items[1];
		e->q.domain = t->u.coll.items[2];
	} else if (is_call_to(t, "internal.member_3")) {
		if (t->u.coll.n != 4) {
			illegal(p, "illegal domain");
			return NULL;
		}
		e->q.key = t->u.coll.items[1];
		e->q.value = t->u.coll.items[2];
		e->q.domain = t->u.coll.items[3];
		if (e->q.key->kind != TG_RT_VAR) {
			illegal(p, "expected key to be a variable");
			return NULL;
		}
	} else {
		illegal(p, "expected `x[, y] in xs { ... }` expression");
		return NULL;
	}
	if (e->q.value->kind != TG_RT_VAR) {
		illegal(p, "expected value to be a variable");
		return NULL;
	}
	if (cur(p) == TK_LBRACE) {
		scan(p);
		e->q.body = parse_body(p, TK_RBRACE);
		if (!e->q.body)
			return NULL;
		scan(p);
		if (cur(p) == TK_WITH && !parse_with(p, e))
			return NULL;
		return e;
	}
	illegal(p, "missing body");
	return NULL;
}

static struct tg_rego_expr *parse_literal(struct parser *p)
{
	struct tg_rego_loc loc = cur_loc(p);
	struct tg_rego_expr *e;
	bool negated = false;
	if (!enter(p))
		return NULL;
	/* a keyword directly followed by '.' or '[' starts a ref */
	if (is_allowed_ref_keyword(p)) {
		struct pstate s = save(p);
		int k;
		scan_ws(p);
		k = cur(p);
		restore(p, s);
		if (k == TK_DOT || k == TK_LBRACK) {
			p->force_ident = true;
			e = parse_literal_expr(p, false);
			goto out;
		}
	}
	if (cur(p) == TK_NOT) {
		struct pstate s = save(p);
		int k;
		scan_ws(p);
		k = cur(p);
		restore(p, s);
		if (k != TK_DOT && k != TK_LBRACK) {
			scan(p);
			negated = true;
		}
	}
	switch (cur(p)) {
	case TK_SOME:
		if (negated) {
			illegal(p, "illegal negation of 'some'");
			e = NULL;
			goto out;
		}
		e = parse_some(p);
		break;
	case TK_EVERY:
		if (negated) {
			illegal(p, "illegal negation of 'every'");
			e = NULL;
			goto out;
		}
		e = parse_every(p);
		break;
	default:
		e = parse_literal_expr(p, negated);
		break;
	}
out:
	if (e)
		e->loc = loc;
	leave(p);
	return e;
}

static struct tg_rego_body *new_body(struct parser *p, struct tg_rego_loc loc)
{
	struct tg_rego_body *b = palloc(p, sizeof(*b));
	if (b)
		b->loc = loc;
	return b;
}

static struct tg_rego_body *parse_query(struct parser *p, bool require_semi, int end)
{
	struct tg_rego_loc loc = cur_loc(p);
	struct evec exprs = {0};
	struct tg_rego_body *b;
	if (cur(p) == end) {
		errorf(p, cur_loc(p), "found empty body");
		return NULL;
	}
	for (;;) {
		struct tg_rego_expr *e = parse_literal(p);
		if (!e)
			return NULL;
		e->index = (uint32_t)exprs.n;
		if (!evec_push(p, &exprs, e))
			return NULL;
		if (cur(p) == TK_SEMI) {
			scan(p);
			continue;
		}
		if (cur(p) == end || require_semi)
			break;
		if (!skipped_nl(p)) {
			illegal(p, "expected \\n or %s or %s", tg_rego_tok_name(TK_SEMI),
			        tg_rego_tok_name(end));
			return NULL;
		}
	}
	b = new_body(p, loc);
	if (b) {
		b->exprs = exprs.v;
		b->n = exprs.n;
	}
	return b;
}

static struct tg_rego_body *parse_body(struct parser *p, int end)
{
	struct tg_rego_body *b;
	if (!enter(p))
		return NULL;
	b = parse_query(p, false, end);
	leave(p);
	return b;
}

/* ---- rules ---- */

struct head {
	struct tg_rego_loc loc;
	struct tg_rego_term *ref; /* var or ref, with the head var */
	struct tg_rego_term **args;
	size_t nargs;
	bool is_func;
	struct tg_rego_term *key;
	struct tg_rego_term *value;
	bool assign;
	bool gen_value;
	bool has_contains;
	bool call; /* written as a call, maybe without arguments: p() */
};

/* A rule named `input` or `data` is a ref of one item in OPA: the var. */
static struct tg_rego_term *rule_ref(struct tg_rego_term *r)
{
	if (r->kind == TG_RT_REF && r->u.ref.n == 1 && r->u.ref.items[0]->kind == TG_RT_VAR)
		return r->u.ref.items[0];
	return r;
}

static size_t ref_len(const struct tg_rego_term *r)
{
	return r->kind == TG_RT_REF ? r->u.ref.n : 1;
}

static struct tg_rego_term *ref_item(const struct tg_rego_term *r, size_t i)
{
	return r->kind == TG_RT_REF ? r->u.ref.items[i] : (struct tg_rego_term *)r;
}

static struct tg_rego_term *parse_head_finish(struct parser *p, struct tg_rego_term *head)
{
	scan_ws(p);
	switch (cur(p)) {
	case TK_ADD:
	case TK_SUB:
	case TK_MUL:
	case TK_QUO:
	case TK_REM:
	case TK_AND:
	case TK_OR:
	case TK_EQUAL:
	case TK_NEQ:
	case TK_GT:
	case TK_GTE:
	case TK_LT:
	case TK_LTE:
		illegal(p, NULL);
		break;
	case TK_WS:
		scan(p);
		break;
	default:
		break;
	}
	switch (cur(p)) {
	case TK_LPAREN:
	case TK_DOT:
	case TK_LBRACK:
		return parse_ref(p, head);
	case TK_WS:
		scan(p);
		break;
	default:
		break;
	}
	return root_doc_ref(p, head);
}

static bool parse_head(struct parser *p, bool is_default, struct head *h)
{
	struct tg_rego_term *var, *ref;
	char name[200];
	memset(h, 0, sizeof(*h));
	h->loc = cur_loc(p);
	var = parse_var(p);
	if (!var)
		return false;
	ref = parse_head_finish(p, var);
	if (!ref) {
		illegal(p, "expected rule head name");
		return false;
	}
	switch (ref->kind) {
	case TG_RT_VAR:
	case TG_RT_REF:
		h->ref = rule_ref(ref);
		break;
	case TG_RT_CALL: {
		struct tg_rego_term *op = ref->u.coll.items[0];
		if (op->kind == TG_RT_REF && op->u.ref.items[0]->kind != TG_RT_VAR) {
			char buf[200];
			illegal(p, "rule head ref %s invalid", term_str(p, op, buf, sizeof(buf)));
			return false;
		}
		h->ref = rule_ref(op);
		h->args = ref->u.coll.items + 1;
		h->nargs = ref->u.coll.n - 1;
		h->is_func = h->nargs > 0;
		h->call = true;
		break;
	}
	default:
		return false;
	}
	/* the ref of a rule head starts with a var */
	if (h->ref->kind == TG_RT_REF && h->ref->u.ref.items[0]->kind != TG_RT_VAR)
		return false;
	name[0] = '\0';
#define HEAD_NAME() term_str(p, h->ref, name, sizeof(name))
	switch (cur(p)) {
	case TK_CONTAINS:
		if (h->call)
			illegal(p,
			        "the contains keyword can only be used with multi-value rule "
			        "definitions (e.g., %s contains <VALUE> { ... })",
			        HEAD_NAME());
		scan(p);
		h->key = parse_term_infix_call(p);
		if (!h->key)
			illegal(p, "expected rule key term (e.g., %s contains <VALUE> { ... })",
			        HEAD_NAME());
		h->has_contains = true;
		return h->key != NULL || !p->has_err;
	case TK_UNIFY:
		scan(p);
		h->value = parse_term_infix_call(p);
		if (!h->value)
			illegal(p, "expected rule value term (e.g., %s[%s] = <VALUE> { ... })",
			        HEAD_NAME(), "<nil>");
		break;
	case TK_ASSIGN:
		scan(p);
		h->assign = true;
		h->value = parse_term_infix_call(p);
		if (!h->value) {
			if (h->nargs)
				illegal(p,
				        "expected function value term (e.g., %s(...) := <VALUE> { "
				        "... })",
				        HEAD_NAME());
			else if (is_default)
				illegal(p,
				        "expected default rule value term (e.g., default %s := "
				        "<VALUE>)",
				        HEAD_NAME());
			else
				illegal(p, "expected rule value term (e.g., %s := <VALUE> { ... })",
				        HEAD_NAME());
		}
		break;
	default:
		break;
	}
	if (!h->value && !h->key && (ref_len(h->ref) != 2 || h->nargs > 0))
		h->gen_value = true;
	return true;
}
#undef HEAD_NAME

static struct prule *new_rule(struct parser *p, struct tg_rego_loc loc)
{
	struct prule *r = palloc(p, sizeof(*r));
	if (r)
		r->r.loc = loc;
	return r;
}

static void head_to_rule(struct prule *r, const struct head *h)
{
	r->r.ref = h->ref;
	r->r.args = h->args;
	r->r.nargs = h->nargs;
	r->r.is_func = h->is_func;
	r->r.value = h->value;
	r->r.assign = h->assign;
	r->gen_value = h->gen_value;
	r->has_contains = h->has_contains;
	if (h->key) {
		r->has_key = true;
		if (!h->value && !h->gen_value) {
			r->r.key = h->key;
			r->r.multi = true;
		}
	}
}

/* OPA's validateDefaultRuleValue: no refs, vars or calls outside
 * comprehensions. */
static const char *default_value_bad(const struct tg_rego_term *t, int depth)
{
	size_t i;
	if (depth > TG_LIMIT_REGO_PARSE_DEPTH)
		return "ref";
	switch (t->kind) {
	case TG_RT_VAR:
		return "var";
	case TG_RT_REF:
		return "ref";
	case TG_RT_CALL:
		return "call";
	case TG_RT_ARRAY:
	case TG_RT_SET:
	case TG_RT_OBJECT:
	case TG_RT_TEMPLATE:
		for (i = 0; i < t->u.coll.n; i++) {
			const char *b = default_value_bad(t->u.coll.items[i], depth + 1);
			if (b)
				return b;
		}
		return NULL;
	default:
		return NULL;
	}
}

static bool validate_default(struct parser *p, struct prule *r, const struct head *h)
{
	size_t i, j;
	if (!h->value && !h->gen_value) {
		errorf(p, r->r.loc, "illegal default rule (must have a value)");
		return false;
	}
	if (h->value) {
		const char *bad = default_value_bad(h->value, 0);
		if (bad) {
			errorf(p, r->r.loc, "illegal default rule (value cannot contain %s)", bad);
			return false;
		}
	}
	for (i = 0; i < h->nargs; i++) {
		const struct tg_rego_term *a = h->args[i];
		if (a->kind != TG_RT_VAR) {
			errorf(p, r->r.loc, "illegal default rule (arguments cannot contain %s)",
			       tg_rego_value_name(a));
			return false;
		}
		for (j = 0; j < i; j++)
			if (h->args[j]->kind == TG_RT_VAR &&
			    strcmp(h->args[j]->u.var.name, a->u.var.name) == 0) {
				errorf(p, r->r.loc,
				       "illegal default rule (arguments cannot be repeated %s)",
				       a->u.var.name);
				return false;
			}
	}
	return true;
}

/* `else [= v | := v] [if] { ... }` chains, as a loop. */
static struct prule *parse_else_chain(struct parser *p, const struct head *h)
{
	struct prule *first = NULL, *prev = NULL;
	int extra = 0;
	while (cur(p) == TK_ELSE) {
		struct prule *r;
		bool has_if, has_lbrace;
		/* consumers walk else chains recursively: bound them */
		if (!enter(p)) {
			first = NULL;
			break;
		}
		extra++;
		r = new_rule(p, cur_loc(p));
		if (!r)
			break;
		r->r.ref = h->ref;
		r->r.args = h->args;
		r->r.nargs = h->nargs;
		r->r.is_func = h->is_func;
		scan(p);
		switch (cur(p)) {
		case TK_LBRACE:
		case TK_IF:
			r->gen_value = true;
			break;
		case TK_ASSIGN:
		case TK_UNIFY:
			r->r.assign = cur(p) == TK_ASSIGN;
			scan(p);
			r->r.value = parse_term_infix_call(p);
			if (!r->r.value)
				goto fail;
			break;
		default:
			illegal(p, "expected else value term or rule body");
			goto fail;
		}
		has_if = cur(p) == TK_IF;
		has_lbrace = cur(p) == TK_LBRACE;
		if (!has_if && !has_lbrace) {
			r->r.body = new_body(p, r->r.loc);
			if (!r->r.body)
				goto fail;
			r->gen_body = true;
		} else {
			if (has_if) {
				r->has_if = true;
				scan(p);
			}
			if (cur(p) == TK_LBRACE) {
				struct tg_rego_loc brace = cur_loc(p);
				scan(p);
				r->r.body = parse_body(p, TK_RBRACE);
				if (!r->r.body)
					goto fail;
				r->r.body->loc = brace;
				scan(p);
			} else if (cur(p) != TK_EOF) {
				struct tg_rego_expr *e = parse_literal(p);
				struct evec one = {0};
				if (!e || !evec_push(p, &one, e))
					goto fail;
				r->r.body = new_body(p, e->loc);
				if (!r->r.body)
					goto fail;
				r->r.body->exprs = one.v;
				r->r.body->n = 1;
			} else {
				illegal(p, "rule body expected");
				goto fail;
			}
		}
		if (prev)
			prev->r.els = &r->r;
		else
			first = r;
		prev = r;
		if (!has_if && !has_lbrace)
			break;
	}
	p->depth -= extra;
	return p->fatal ? NULL : first;
fail:
	p->depth -= extra;
	return NULL;
}

static bool is_set_literal(const struct tg_rego_expr *e)
{
	return e->kind == TG_RE_TERM && e->term->kind == TG_RT_SET;
}

/* Returns false when no rule starts here (then an error may be set). */
static bool parse_rules(struct parser *p, struct rvec *out)
{
	struct tg_rego_loc loc = cur_loc(p);
	struct head h;
	struct prule *rule;
	bool is_default = false, has_if;

	scan_ahead_ref(p);
	if (cur(p) == TK_DEFAULT) {
		scan(p);
		is_default = true;
		scan_ahead_ref(p);
	}
	if (cur(p) != TK_IDENT)
		return false;
	if (!parse_head(p, is_default, &h))
		return false;
	rule = new_rule(p, loc);
	if (!rule)
		return false;
	if (is_default) {
		head_to_rule(rule, &h);
		rule->r.is_default = true;
		if (!validate_default(p, rule, &h))
			return false;
		rule->r.body = new_body(p, loc);
		return rule->r.body && rvec_push(p, out, rule);
	}
	has_if = cur(p) == TK_IF;
	/* p[x] if ... is a single-value rule p[x] */
	if (has_if && !h.has_contains && ref_len(h.ref) == 2) {
		struct tg_rego_term *v = ref_item(h.ref, 1);
		if ((!term_ground(v, 0) || v->kind == TG_RT_REF) && h.nargs == 0)
			h.key = v;
		if (!h.value)
			h.gen_value = true;
	}
	/* p[x] { ... } is a multi-value rule p (v0) */
	if (!has_if && !h.has_contains && h.nargs == 0 && ref_len(h.ref) == 2) {
		h.key = ref_item(h.ref, 1);
		if (!h.value)
			h.ref = ref_item(h.ref, 0);
	}
	head_to_rule(rule, &h);
	if (has_if || cur(p) == TK_LBRACE) {
		if (has_if) {
			struct pstate s;
			struct tg_rego_expr *e;
			rule->has_if = true;
			scan(p);
			s = save(p);
			e = parse_literal(p);
			if (p->fatal)
				return false;
			if (e && !is_set_literal(e)) {
				struct evec one = {0};
				if (!evec_push(p, &one, e))
					return false;
				rule->r.body = new_body(p, e->loc);
				if (!rule->r.body)
					return false;
				rule->r.body->exprs = one.v;
				rule->r.body->n = 1;
				goto body_done;
			}
			/* not a literal: expect { BODY }; without a brace the
			 * literal's error is the one to report */
			if (!e && p->toks[s.pos].kind != TK_LBRACE)
				return false;
			restore(p, s);
		}
		{
			struct tg_rego_loc brace = cur_loc(p);
			scan(p);
			rule->r.body = parse_body(p, TK_RBRACE);
			if (!rule->r.body)
				return false;
			rule->r.body->loc = brace; /* where the `{` is */
			scan(p);
		}
	} else if (h.has_contains) {
		rule->r.body = new_body(p, loc);
		rule->gen_body = true;
		rule->r.loc = h.loc;
		return rule->r.body && rvec_push(p, out, rule);
	} else {
		return false;
	}
body_done:
	if (cur(p) == TK_ELSE && !scan_ahead_ref(p)) {
		if (ref_len(h.ref) > 1 && !term_ground(h.ref, 0)) {
			errorf(p, cur_loc(p),
			       "else keyword cannot be used on rules with variables in head");
			return false;
		}
		if (h.key) {
			errorf(p, cur_loc(p), "else keyword cannot be used on multi-value rules");
			return false;
		}
		rule->r.els = (struct tg_rego_rule *)parse_else_chain(p, &h);
		if (!rule->r.els)
			return false;
	}
	if (!rvec_push(p, out, rule))
		return false;
	/* p { a } { b }: one more rule with the same head per body (v0) */
	while (cur(p) == TK_LBRACE) {
		struct tg_rego_loc bloc = cur_loc(p);
		struct prule *next;
		if (rule->r.els) {
			errorf(p, cur_loc(p), "expected else keyword");
			return false;
		}
		scan(p);
		next = new_rule(p, bloc);
		if (!next)
			return false;
		*next = *rule;
		next->r.loc = bloc;
		next->r.els = NULL;
		next->r.body = parse_body(p, TK_RBRACE);
		if (!next->r.body)
			return false;
		next->r.body->loc = bloc;
		scan(p);
		if (!rvec_push(p, out, next))
			return false;
	}
	return true;
}

/* ---- package and import ---- */

static struct tg_rego_term *parse_package(struct parser *p, struct tg_rego_loc *loc)
{
	struct tg_rego_term *t, *path = NULL;
	size_t i;
	if (cur(p) != TK_PACKAGE)
		return NULL;
	*loc = cur_loc(p);
	scan_ws(p);
	if (cur(p) == TK_DOT || cur(p) == TK_LBRACK)
		return NULL;
	if (cur(p) == TK_WS)
		scan(p);
	if (!ident_or_ref_keyword(p)) {
		illegal(p, NULL);
		return NULL;
	}
	t = parse_term(p);
	if (t) {
		switch (t->kind) {
		case TG_RT_VAR: {
			struct tg_rego_term **items = tg_arena_alloc_array(p->a, 1, sizeof(*items));
			if (!items) {
				p->fatal = TG_E_TOOBIG;
				return NULL;
			}
			items[0] = t;
			path = new_coll(p, TG_RT_REF, items, 1, t->loc);
			break;
		}
		case TG_RT_REF:
			if (t->u.ref.items[0]->kind != TG_RT_VAR) {
				errorf(p, t->u.ref.items[0]->loc,
				       "unexpected %s token: expecting var",
				       tg_rego_value_name(t->u.ref.items[0]));
				return NULL;
			}
			for (i = 1; i < t->u.ref.n; i++) {
				const struct tg_rego_term *it = t->u.ref.items[i];
				if (it->kind != TG_RT_SCALAR ||
				    it->u.value->type != TG_JSON_STRING) {
					errorf(p, it->loc, "unexpected %s token: expecting string",
					       tg_rego_value_name(it));
					return NULL;
				}
			}
			path = t;
			break;
		default:
			illegal(p, NULL);
			return NULL;
		}
	}
	if (!path) {
		errorf(p, cur_loc(p), "expected path");
		return NULL;
	}
	return path;
}

static const char *str_of(const struct tg_rego_term *t, size_t *n)
{
	if (t->kind == TG_RT_VAR) {
		*n = t->u.var.len;
		return t->u.var.name;
	}
	if (t->kind == TG_RT_SCALAR && t->u.value->type == TG_JSON_STRING) {
		*n = t->u.value->u.s.len;
		return t->u.value->u.s.p;
	}
	*n = 0;
	return NULL;
}

static bool is_keyword_in_version(const struct parser *p, const char *s, size_t n)
{
	int k;
	if (!tg_rego_is_keyword_v1(s, n))
		return false;
	if (p->version == TG_REGO_V1)
		return true;
	k = (n == 2 && memcmp(s, "in", 2) == 0) || (n == 2 && memcmp(s, "if", 2) == 0) ||
	    (n == 5 && memcmp(s, "every", 5) == 0) || (n == 8 && memcmp(s, "contains", 8) == 0);
	return !k;
}

static struct tg_rego_import *parse_import(struct parser *p)
{
	struct tg_rego_import *imp;
	struct tg_rego_term *t, *path = NULL, *root;
	unsigned kw;
	bool nc;
	size_t i, n;
	const char *s;
	if (cur(p) != TK_IMPORT)
		return NULL;
	imp = palloc(p, sizeof(*imp));
	if (!imp)
		return NULL;
	imp->loc = cur_loc(p);
	scan_ws(p);
	if (cur(p) == TK_DOT || cur(p) == TK_LBRACK)
		return NULL;
	if (cur(p) == TK_WS)
		scan(p);
	if (!ident_or_ref_keyword(p)) {
		illegal(p, NULL);
		return NULL;
	}
	/* the path is read without future keywords (import future.keywords.in) */
	kw = p->kw;
	nc = p->no_cache;
	p->kw = 0;
	p->no_cache = true;
	t = parse_term(p);
	p->kw = kw;
	p->no_cache = nc;
	if (t) {
		if (t->kind == TG_RT_VAR) {
			struct tg_rego_term **items = tg_arena_alloc_array(p->a, 1, sizeof(*items));
			if (!items) {
				p->fatal = TG_E_TOOBIG;
				return NULL;
			}
			items[0] = t;
			path = new_coll(p, TG_RT_REF, items, 1, t->loc);
		} else if (t->kind == TG_RT_REF) {
			for (i = 1; i < t->u.ref.n; i++) {
				const struct tg_rego_term *it = t->u.ref.items[i];
				if (it->kind != TG_RT_SCALAR ||
				    it->u.value->type != TG_JSON_STRING) {
					errorf(p, it->loc, "unexpected %s token: expecting string",
					       tg_rego_value_name(it));
					return NULL;
				}
			}
			path = t;
		}
	}
	if (!path) {
		errorf(p, cur_loc(p), "expected path");
		return NULL;
	}
	imp->path = path;
	root = path->u.ref.items[0];
	if (root->kind != TG_RT_VAR || !(var_is(root, "data") || var_is(root, "input") ||
	                                 var_is(root, "future") || var_is(root, "rego"))) {
		char buf[200];
		hint(p, "if this is unexpected, try updating OPA");
		errorf(p, path->loc,
		       "unexpected import path, must begin with one of: {data, future, input, "
		       "rego}, got: %s",
		       term_str(p, root, buf, sizeof(buf)));
		return NULL;
	}
	if (cur(p) == TK_AS) {
		struct tg_rego_term *alias;
		scan(p);
		if (cur(p) != TK_IDENT) {
			illegal(p, "expected var");
			return NULL;
		}
		alias = parse_term(p);
		if (alias && alias->kind == TG_RT_VAR) {
			imp->alias = alias->u.var.name;
			return imp;
		}
		illegal(p, "expected var");
		return NULL;
	}
	/* the last element of the path names the import: not a keyword */
	if (path->u.ref.n == 1) {
		s = str_of(root, &n);
		if (is_keyword_in_version(p, s, n)) {
			errorf(p, root->loc,
			       "unexpected import path, must not end with a keyword, got: %s", s);
			hint(p, "import a different path or use an alias");
		}
	} else if (!var_is(root, "future")) {
		const struct tg_rego_term *last = path->u.ref.items[path->u.ref.n - 1];
		s = str_of(last, &n);
		if (s && is_keyword_in_version(p, s, n)) {
			errorf(p, last->loc,
			       "unexpected import path, must not end with a keyword, got: %.*s",
			       (int)n, s);
			hint(p, "import a different path or use an alias");
		}
	}
	return imp;
}

static bool str_is(const struct tg_rego_term *t, const char *s)
{
	return t->kind == TG_RT_SCALAR && tg_json_str_eq(t->u.value, s);
}

/* import future.keywords[.kw] / import rego.v1: the keywords they enable */
static void keyword_import(struct parser *p, const struct tg_rego_import *imp)
{
	const struct tg_rego_term *path = imp->path;
	const struct tg_rego_term *root = path->u.ref.items[0];
	size_t n = path->u.ref.n;
	char buf[200];
	if (var_is(root, "rego")) {
		if (n != 2 || !str_is(path->u.ref.items[1], "v1")) {
			errorf(p, path->loc, "invalid import `%s`, must be `rego.v1`",
			       term_str(p, path, buf, sizeof(buf)));
			return;
		}
		if (p->version == TG_REGO_V1)
			return;
		if (imp->alias) {
			errorf(p, path->loc, "`rego` imports cannot be aliased");
			return;
		}
		p->compat_v1 = true;
		p->kw = KW_ALL;
		p->gen++;
		return;
	}
	if (!var_is(root, "future"))
		return;
	if (n == 1 || !str_is(path->u.ref.items[1], "keywords")) {
		errorf(p, path->loc, "invalid import, must be `future.keywords`");
		return;
	}
	if (imp->alias) {
		errorf(p, path->loc, "`future` imports cannot be aliased");
		return;
	}
	if (n == 3) {
		const struct tg_rego_term *k = path->u.ref.items[2];
		unsigned bit = 0;
		if (str_is(k, "in"))
			bit = KW_IN;
		else if (str_is(k, "every"))
			bit = KW_EVERY | KW_IN; /* every needs in */
		else if (str_is(k, "contains"))
			bit = KW_CONTAINS;
		else if (str_is(k, "if"))
			bit = KW_IF;
		if (!bit) {
			errorf(p, path->loc,
			       "unexpected keyword, must be one of [contains every if in]");
			return;
		}
		p->kw |= bit;
	} else {
		p->kw = KW_ALL;
	}
	p->gen++;
}

/* ---- module assembly ---- */

enum stmt_kind { ST_PACKAGE, ST_IMPORT, ST_RULE, ST_BODY };

struct stmt {
	int kind;
	struct tg_rego_loc loc;
	void *ptr; /* term (package), import, prule, body */
};

VEC(svec, struct stmt)

static bool builtin_name(const char *name)
{
	static const char *const ops[] = {
	        "eq",
	        "assign",
	        "equal",
	        "neq",
	        "lt",
	        "lte",
	        "gt",
	        "gte",
	        "plus",
	        "minus",
	        "mul",
	        "div",
	        "rem",
	        "and",
	        "or",
	        "internal.member_2",
	        "internal.member_3",
	};
	size_t i;
	for (i = 0; i < TG_ARRAY_LEN(ops); i++)
		if (strcmp(name, ops[i]) == 0)
			return true;
	return tg_rego_builtin_find(name, strlen(name)) != NULL;
}

/* OPA's ParseRuleFromBody: `p := 1`, `p[x]`, `f(x) = y`, `a.b.c`. */
static struct prule *rule_from_body(struct parser *p, const struct tg_rego_body *b)
{
	const struct tg_rego_expr *e;
	struct prule *r;
	char buf[200];
	struct tg_rego_loc loc;
	if (b->n != 1) {
		errorf(p, b->exprs[0]->loc, "multiple expressions cannot be used for rule head");
		return NULL;
	}
	e = b->exprs[0];
	loc = e->loc;
	if (e->nwith) {
		errorf(p, loc, "expressions using with keyword cannot be used for rule head");
		return NULL;
	}
	if (e->negated) {
		errorf(p, loc, "negated expressions cannot be used for rule head");
		return NULL;
	}
	if (e->kind == TG_RE_SOME_DECL || e->kind == TG_RE_SOME_IN) {
		errorf(p, loc, "'some' declarations cannot be used for rule head");
		return NULL;
	}
	if (e->kind != TG_RE_TERM) {
		errorf(p, loc, "expression cannot be used for rule head");
		return NULL;
	}
	r = new_rule(p, loc);
	if (!r)
		return NULL;
	r->gen_body = true;
	r->r.body = new_body(p, loc);
	if (!r->r.body)
		return NULL;
	if (e->term->kind != TG_RT_CALL) {
		struct tg_rego_term *t = e->term;
		if (t->kind != TG_RT_REF) {
			errorf(p, loc, "%s cannot be used for rule name", tg_rego_value_name(t));
			return NULL;
		}
		if (t->u.ref.n > 2) {
			if (t->u.ref.items[0]->kind != TG_RT_VAR) {
				errorf(p, loc, "invalid rule head: %s",
				       term_str(p, t, buf, sizeof(buf)));
				return NULL;
			}
			r->r.ref = t;
			r->gen_value = true;
			return r;
		}
		if (t->u.ref.n == 1) {
			errorf(p, loc, "refs cannot be used for rule head");
			return NULL;
		}
		if (t->u.ref.items[0]->kind != TG_RT_VAR) {
			errorf(p, loc, "invalid rule head: %s", term_str(p, t, buf, sizeof(buf)));
			return NULL;
		}
		r->r.ref = t->u.ref.items[0];
		r->r.key = t->u.ref.items[1];
		r->r.multi = true;
		r->has_key = true;
		return r;
	}
	{
		struct tg_rego_term *call = e->term;
		struct tg_rego_term *op = call->u.coll.items[0];
		const char *name = op_name(op, buf, sizeof(buf));
		bool eq = name && strcmp(name, "eq") == 0 && call->u.coll.n == 3;
		bool as = name && strcmp(name, "assign") == 0 && call->u.coll.n == 3;
		if (eq || as) {
			struct tg_rego_term *lhs = call->u.coll.items[1];
			struct tg_rego_term *rhs = call->u.coll.items[2];
			r->r.value = rhs;
			r->r.assign = as;
			if (lhs->kind == TG_RT_CALL) {
				struct tg_rego_term *fop = lhs->u.coll.items[0];
				if (fop->kind == TG_RT_VAR ||
				    (fop->kind == TG_RT_REF &&
				     fop->u.ref.items[0]->kind == TG_RT_VAR)) {
					r->r.ref = fop;
					r->r.args = lhs->u.coll.items + 1;
					r->r.nargs = lhs->u.coll.n - 1;
					r->r.is_func = r->r.nargs > 0;
					return r;
				}
			}
			if (lhs->kind == TG_RT_REF) {
				if (lhs->u.ref.items[0]->kind != TG_RT_VAR) {
					errorf(p, loc, "invalid rule head: %s",
					       term_str(p, lhs, buf, sizeof(buf)));
					return NULL;
				}
				r->r.ref = rule_ref(lhs);
				if (lhs->u.ref.n == 2)
					r->has_key = true;
				return r;
			}
			if (lhs->kind == TG_RT_VAR) {
				r->r.ref = lhs;
				return r;
			}
			errorf(p, loc, "%s cannot be used for rule name", tg_rego_value_name(lhs));
			return NULL;
		}
		if (name && builtin_name(name)) {
			errorf(p, loc, "rule name conflicts with built-in function");
			return NULL;
		}
		if (call->u.coll.n <= 1) {
			errorf(p, loc, "rule argument list must take at least one argument");
			return NULL;
		}
		if (op->kind == TG_RT_REF && op->u.ref.items[0]->kind != TG_RT_VAR) {
			errorf(p, loc, "invalid rule head: %s", term_str(p, op, buf, sizeof(buf)));
			return NULL;
		}
		r->r.ref = op;
		r->r.args = call->u.coll.items + 1;
		r->r.nargs = call->u.coll.n - 1;
		r->r.is_func = true;
		/* OPA gives these the value true explicitly: not "generated" */
		return r;
	}
}

/* OPA's checkRegoV1 for one rule of a chain. */
static void check_v1(struct parser *p, const struct prule *r, bool is_else)
{
	const char *t = r->r.nargs > 0 ? "function" : "rule";
	size_t n;
	const char *name;
	(void)is_else;
	if (ref_len(r->r.ref) < 2) {
		name = str_of(ref_item(r->r.ref, 0), &n);
		if (name && tg_rego_is_keyword_v1(name, n))
			errorf(p, r->r.loc, "%s keyword cannot be used for rule name", name);
	}
	if (r->gen_body && r->gen_value)
		errorf(p, r->r.loc, "%s must have value assignment and/or body declaration", t);
	if (r->r.body && !r->gen_body && !r->has_if && !r->r.is_default)
		errorf(p, r->r.loc, "`if` keyword is required before %s body", t);
	if (r->r.multi && !r->has_contains)
		errorf(p, r->r.loc, "`contains` keyword is required for partial set rules");
}

static void set_module(struct tg_rego_rule *r, struct tg_rego_module *m)
{
	for (; r; r = r->els)
		r->module = m;
}

static void parser_init(struct parser *p, struct tg_arena *a, const char *file, const char *text,
                        size_t n, const struct tg_rego_lexed *lx, int version)
{
	memset(p, 0, sizeof(*p));
	p->a = a;
	p->file = file;
	p->src = text;
	p->n = n;
	p->toks = lx->toks;
	p->ntoks = lx->ntoks;
	p->version = version == TG_REGO_V1 ? TG_REGO_V1 : TG_REGO_V0;
	p->kw = p->version == TG_REGO_V1 ? KW_ALL : 0;
	p->gen = 1;
	p->cache = tg_xcalloc(lx->ntoks, sizeof(*p->cache));
	/* the first token may be a whitespace run or a scanner error */
	p->pos = 0;
	if (p->toks[0].kind == TK_ILLEGAL && p->toks[0].msg)
		errorf(p, tok_loc(p, &p->toks[0]), "%s", tg_rego_tok_msg(&p->toks[0]));
	if (p->toks[0].kind == TK_WS)
		scan(p);
}

static void fill_error(const struct parser *p, struct tg_rego_error *err, tg_err r)
{
	if (!err)
		return;
	if (p->has_err) {
		*err = p->err;
		return;
	}
	memset(err, 0, sizeof(*err));
	err->code = "rego_parse_error";
	err->loc.file = p->file;
	snprintf(err->msg, sizeof(err->msg), "%s",
	         r == TG_E_TOOBIG ? "input too large" : "parse error");
}

static const char *dup_file(struct tg_arena *a, const char *file)
{
	if (!file)
		file = "";
	return tg_arena_strndup(a, file, strlen(file));
}

static tg_err lex_or_fail(const char *file, const char *text, size_t n, struct tg_rego_lexed *lx,
                          struct tg_rego_error *err)
{
	tg_err r = tg_rego_lex(text, n, lx);
	if (r != TG_OK && err) {
		memset(err, 0, sizeof(*err));
		err->code = "rego_parse_error";
		err->loc.file = file;
		snprintf(err->msg, sizeof(err->msg), "%s",
		         n > TG_LIMIT_REGO_SOURCE ? "source too large" : "too many tokens");
	}
	return r;
}

tg_err tg_rego_parse_module(struct tg_arena *a, const char *file, const char *text, size_t n,
                            int version, struct tg_rego_module **out, struct tg_rego_error *err)
{
	struct tg_rego_lexed lx = {0};
	struct parser p;
	struct svec stmts = {0};
	struct rvec rules = {0};
	struct tg_rego_module *m = NULL;
	struct tg_rego_stmt_ref *refs = NULL;
	size_t i, nimports = 0;
	tg_err r = TG_E_INTERNAL;
	bool have_parser = false;

	file = dup_file(a, file);
	if (!file)
		return TG_E_TOOBIG;
	r = lex_or_fail(file, text, n, &lx, err);
	if (r != TG_OK)
		return r;
	parser_init(&p, a, file, text, n, &lx, version);
	have_parser = true;

	while (!p.has_err && !p.fatal && cur(&p) != TK_EOF) {
		struct pstate s = save(&p);
		struct tg_rego_loc loc;
		struct tg_rego_term *pkg;
		struct tg_rego_import *imp;
		struct tg_rego_body *body;
		struct stmt st;

		loc = cur_loc(&p);
		pkg = parse_package(&p, &loc);
		if (pkg) {
			st.kind = ST_PACKAGE;
			st.loc = loc;
			st.ptr = pkg;
			if (!svec_push(&p, &stmts, st))
				break;
			continue;
		}
		if (p.has_err || p.fatal)
			break;
		restore(&p, s);
		imp = parse_import(&p);
		if (imp) {
			keyword_import(&p, imp);
			st.kind = ST_IMPORT;
			st.loc = imp->loc;
			st.ptr = imp;
			nimports++;
			if (!svec_push(&p, &stmts, st))
				break;
			continue;
		}
		if (p.has_err || p.fatal)
			break;
		restore(&p, s);
		rules.n = 0;
		if (parse_rules(&p, &rules)) {
			for (i = 0; i < rules.n; i++) {
				st.kind = ST_RULE;
				st.loc = rules.v[i]->r.loc;
				st.ptr = rules.v[i];
				if (!svec_push(&p, &stmts, st))
					break;
			}
			continue;
		}
		if (p.has_err || p.fatal)
			break;
		restore(&p, s);
		body = parse_query(&p, true, TK_EOF);
		if (body) {
			st.kind = ST_BODY;
			st.loc = body->exprs[0]->loc;
			st.ptr = body;
			if (!svec_push(&p, &stmts, st))
				break;
			continue;
		}
		if (!p.has_err)
			illegal(&p, NULL);
		break;
	}
	if (p.fatal) {
		r = p.fatal == TG_E_DEPTH ? TG_E_PARSE : p.fatal;
		goto fail;
	}
	if (p.has_err) {
		r = TG_E_PARSE;
		goto fail;
	}

	/* statements to a module */
	if (stmts.n == 0) {
		struct tg_rego_loc l = {file, 0, 0};
		errorf(&p, l, "empty module");
		r = TG_E_PARSE;
		goto fail;
	}
	if (stmts.v[0].kind != ST_PACKAGE) {
		errorf(&p, stmts.v[0].loc, "package expected");
		r = TG_E_PARSE;
		goto fail;
	}
	m = palloc(&p, sizeof(*m));
	if (!m)
		goto toobig;
	m->file = file;
	m->v1 = p.version == TG_REGO_V1 || p.compat_v1;
	m->package = stmts.v[0].ptr;
	m->package_loc = stmts.v[0].loc;
	m->imports = tg_arena_alloc_array(a, nimports ? nimports : 1, sizeof(*m->imports));
	m->rules = tg_arena_alloc_array(a, stmts.n, sizeof(*m->rules));
	refs = tg_arena_alloc_array(a, stmts.n, sizeof(*refs));
	if (!m->imports || !m->rules || !refs)
		goto toobig;
	for (i = 0; i < stmts.n; i++) {
		struct stmt *st = &stmts.v[i];
		refs[i].row = st->loc.row;
		refs[i].rule = NULL;
		refs[i].kind = 0;
		if (i == 0)
			continue;
		switch (st->kind) {
		case ST_IMPORT:
			m->imports[m->nimports++] = st->ptr;
			refs[i].kind = 1;
			break;
		case ST_PACKAGE:
			errorf(&p, st->loc, "unexpected package");
			break;
		case ST_BODY:
		case ST_RULE: {
			struct prule *pr = st->ptr;
			if (st->kind == ST_BODY) {
				pr = rule_from_body(&p, st->ptr);
				if (!pr)
					break;
				st->ptr = pr;
				st->kind = ST_RULE;
				refs[i].row = pr->r.loc.row;
			}
			set_module(&pr->r, m);
			m->rules[m->nrules++] = &pr->r;
			refs[i].kind = 2;
			refs[i].rule = &pr->r;
			break;
		}
		default:
			break;
		}
		if (p.fatal)
			goto toobig;
	}
	if (!p.has_err && m->v1) {
		for (i = 0; i < m->nrules && !p.has_err; i++) {
			const struct tg_rego_rule *rr;
			for (rr = m->rules[i]; rr && !p.has_err; rr = rr->els)
				check_v1(&p, (const struct prule *)rr, rr != m->rules[i]);
		}
	}
	if (p.has_err) {
		r = TG_E_PARSE;
		goto fail;
	}
	/* comments, for fmt */
	if (lx.ncomments) {
		m->comments = tg_arena_alloc_array(a, lx.ncomments, sizeof(*m->comments));
		if (!m->comments)
			goto toobig;
		for (i = 0; i < lx.ncomments; i++) {
			const struct tg_rego_comment *c = &lx.comments[i];
			char *txt = tg_arena_strndup(a, text + c->off, c->len);
			if (!txt)
				goto toobig;
			m->comments[i].text = txt;
			m->comments[i].loc.file = file;
			m->comments[i].loc.row = c->row;
			m->comments[i].loc.col = c->col;
		}
		m->ncomments = lx.ncomments;
	}
	r = tg_rego_annotations_attach(a, m, text, n, &lx, refs, stmts.n, err);
	if (r == TG_E_PARSE)
		goto out;
	if (r != TG_OK)
		goto fail;
	*out = m;
	r = TG_OK;
	goto out;
toobig:
	r = TG_E_TOOBIG;
fail:
	fill_error(&p, err, r);
out:
	if (have_parser)
		free(p.cache);
	tg_rego_lexed_release(&lx);
	return r;
}

/* A query: literals separated by ';' or newlines, no rules. */
static struct tg_rego_body *parse_query_all(struct parser *p)
{
	struct evec all = {0};
	struct tg_rego_body *b;
	struct tg_rego_loc loc = cur_loc(p);
	size_t i;
	while (!p->has_err && !p->fatal && cur(p) != TK_EOF) {
		if (cur(p) == TK_PACKAGE || cur(p) == TK_IMPORT) {
			struct pstate s = save(p);
			int k;
			scan_ws(p);
			k = cur(p);
			restore(p, s);
			if (k != TK_DOT && k != TK_LBRACK) {
				errorf(p, cur_loc(p), "expected body but got %s",
				       cur(p) == TK_PACKAGE ? "*ast.Package" : "*ast.Import");
				return NULL;
			}
		}
		b = parse_query(p, true, TK_EOF);
		if (!b) {
			if (!p->has_err)
				illegal(p, NULL);
			return NULL;
		}
		for (i = 0; i < b->n; i++) {
			b->exprs[i]->index = (uint32_t)all.n;
			if (!evec_push(p, &all, b->exprs[i]))
				return NULL;
		}
	}
	if (p->has_err || p->fatal)
		return NULL;
	b = new_body(p, loc);
	if (b) {
		b->exprs = all.v;
		b->n = all.n;
	}
	return b;
}

tg_err tg_rego_parse_query(struct tg_arena *a, const char *text, size_t n, int version,
                           struct tg_rego_body **out, struct tg_rego_error *err)
{
	struct tg_rego_lexed lx = {0};
	struct parser p;
	struct tg_rego_body *b;
	tg_err r;
	r = lex_or_fail("", text, n, &lx, err);
	if (r != TG_OK)
		return r;
	parser_init(&p, a, "", text, n, &lx, version);
	b = parse_query_all(&p);
	if (!b) {
		r = p.fatal == TG_E_TOOBIG ? TG_E_TOOBIG : TG_E_PARSE;
		fill_error(&p, err, r);
		goto out;
	}
	*out = b;
	r = TG_OK;
out:
	free(p.cache);
	tg_rego_lexed_release(&lx);
	return r;
}

tg_err tg_rego_parse_term(struct tg_arena *a, const char *text, size_t n, int version,
                          struct tg_rego_term **out, struct tg_rego_error *err)
{
	struct tg_rego_lexed lx = {0};
	struct parser p;
	struct tg_rego_body *b;
	tg_err r;
	r = lex_or_fail("", text, n, &lx, err);
	if (r != TG_OK)
		return r;
	parser_init(&p, a, "", text, n, &lx, version);
	b = parse_query_all(&p);
	if (!b) {
		r = p.fatal == TG_E_TOOBIG ? TG_E_TOOBIG : TG_E_PARSE;
		fill_error(&p, err, r);
		goto out;
	}
	if (b->n != 1) {
		struct tg_rego_loc l = {"", 1, 1};
		errorf(&p, b->n ? b->exprs[1]->loc : l,
		       "expected exactly one term but got %zu expressions", b->n);
		r = TG_E_PARSE;
		fill_error(&p, err, r);
		goto out;
	}
	if (b->exprs[0]->kind != TG_RE_TERM || b->exprs[0]->negated || b->exprs[0]->nwith ||
	    b->exprs[0]->term->kind == TG_RT_CALL) {
		errorf(&p, b->exprs[0]->loc, "expected term but got an expression");
		r = TG_E_PARSE;
		fill_error(&p, err, r);
		goto out;
	}
	*out = b->exprs[0]->term;
	r = TG_OK;
out:
	free(p.cache);
	tg_rego_lexed_release(&lx);
	return r;
}
