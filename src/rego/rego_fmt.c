/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rego_fmt.c - Rego source from the AST: terms, expressions and bodies
 * for messages, and whole modules in `opa fmt` style (Rego v1 syntax,
 * tabs, one blank line between statements, comments kept in place).
 */

/*
 * What is printed parses back to the same AST: infix calls get
 * parentheses where precedence needs them, `k, v in xs` is parenthesized
 * wherever a list would split it, strings are JSON-escaped and refs use
 * `.name` only for identifier-like strings.
 */
#include <string.h>

#include "core/limits.h"
#include "core/mem.h"
#include "rego/rego_ast.h"
#include "rego/rego_lex.h"

struct fmt {
	struct tg_buf *b;
	tg_err err;
	int depth;
	int indent;
	const struct tg_rego_module *m; /* comments to place, when formatting a module */
	size_t next_comment;
	bool guard;      /* the next block is a rule body: see needs_guard */
	bool prev_block; /* the last comment printed is part of a METADATA block */
	bool neg_guard;  /* parenthesize a leading negative number: the line
	                  * before would read `x` NL `-1` as x - 1 */
	bool kw_ok;      /* the next primary starts a literal or a rule head,
	                  * where a keyword may head a ref (every[x]) */
};

static void put(struct fmt *f, const char *s, size_t n)
{
	if (f->err == TG_OK)
		f->err = tg_buf_add(f->b, s, n);
}

static void puts_(struct fmt *f, const char *s)
{
	put(f, s, strlen(s));
}

static void putc_(struct fmt *f, char c)
{
	put(f, &c, 1);
}

static bool enter(struct fmt *f)
{
	if (f->err != TG_OK)
		return false;
	if (f->depth >= 2 * TG_LIMIT_REGO_PARSE_DEPTH) {
		f->err = TG_E_DEPTH;
		return false;
	}
	f->depth++;
	return true;
}

static void leave(struct fmt *f)
{
	f->depth--;
}

static void put_string(struct fmt *f, const char *s, size_t n, bool tpl)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, start = 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *esc = NULL;
		char u[7];
		if (c == '"')
			esc = "\\\"";
		else if (c == '\\')
			esc = "\\\\";
		else if (c == '\n')
			esc = "\\n";
		else if (c == '\t')
			esc = "\\t";
		else if (c == '\r')
			esc = "\\r";
		else if (c == '\b')
			esc = "\\b";
		else if (c == '\f')
			esc = "\\f";
		else if (tpl && c == '{')
			esc = "\\{";
		else if (c < 0x20) {
			u[0] = '\\';
			u[1] = 'u';
			u[2] = '0';
			u[3] = '0';
			u[4] = hex[c >> 4];
			u[5] = hex[c & 15];
			u[6] = '\0';
			esc = u;
		}
		if (esc) {
			put(f, s + start, i - start);
			puts_(f, esc);
			start = i + 1;
		}
	}
	put(f, s + start, n - start);
}

static void put_json(struct fmt *f, const struct tg_json *v)
{
	size_t i;
	if (!enter(f))
		return;
	switch (v->type) {
	case TG_JSON_NULL:
		puts_(f, "null");
		break;
	case TG_JSON_BOOL:
		puts_(f, v->u.b ? "true" : "false");
		break;
	case TG_JSON_NUMBER:
		put(f, v->u.s.p, v->u.s.len);
		break;
	case TG_JSON_STRING:
		putc_(f, '"');
		put_string(f, v->u.s.p, v->u.s.len, false);
		putc_(f, '"');
		break;
	case TG_JSON_ARRAY:
		putc_(f, '[');
		for (i = 0; i < v->u.a.len; i++) {
			if (i)
				puts_(f, ", ");
			put_json(f, v->u.a.items[i]);
		}
		putc_(f, ']');
		break;
	case TG_JSON_SET:
		if (v->u.a.len == 0) {
			puts_(f, "set()");
			break;
		}
		putc_(f, '{');
		for (i = 0; i < v->u.a.len; i++) {
			if (i)
				puts_(f, ", ");
			put_json(f, v->u.a.items[i]);
		}
		putc_(f, '}');
		break;
	case TG_JSON_OBJECT:
		putc_(f, '{');
		for (i = 0; i < v->u.o.len; i++) {
			if (i)
				puts_(f, ", ");
			put_json(f, v->u.o.items[i].key);
			puts_(f, ": ");
			put_json(f, v->u.o.items[i].val);
		}
		putc_(f, '}');
		break;
	default:
		f->err = TG_E_TYPE;
		break;
	}
	leave(f);
}

/* Binary operators: name, symbol, precedence (higher binds tighter). */
static const struct {
	const char *name;
	const char *sym;
	int prec;
} infix[] = {
        {"equal", "==", 2}, {"neq", "!=", 2}, {"lt", "<", 2},  {"lte", "<=", 2}, {"gt", ">", 2},
        {"gte", ">=", 2},   {"or", "|", 3},   {"and", "&", 4}, {"plus", "+", 5}, {"minus", "-", 5},
        {"mul", "*", 6},    {"div", "/", 6},  {"rem", "%", 6},
};

#define PREC_MEMBER3 0 /* `k, v in xs`: only where a pair cannot split a list */
#define PREC_MEMBER2 1
#define PREC_TOP 0
#define PREC_LIST 1     /* call arguments: a pair `k, v in xs` would split */
#define PREC_ELEM 50    /* collection items: `[a | b]` would be a comprehension */
#define PREC_NESTED 100 /* operand of an infix call: parenthesized, as opa fmt does */

static bool is_member(const struct tg_rego_term *op, const char *which)
{
	const struct tg_rego_term *a, *b;
	if (op->kind != TG_RT_REF || op->u.ref.n != 2)
		return false;
	a = op->u.ref.items[0];
	b = op->u.ref.items[1];
	return a->kind == TG_RT_VAR && strcmp(a->u.var.name, "internal") == 0 &&
	       b->kind == TG_RT_SCALAR && tg_json_str_eq(b->u.value, which);
}

/* The precedence of an infix call, or -1 when t prints as f(x). */
static int infix_of(const struct tg_rego_term *t, const char **sym)
{
	const struct tg_rego_term *op;
	size_t i;
	if (t->kind != TG_RT_CALL)
		return -1;
	op = t->u.coll.items[0];
	if (t->u.coll.n == 3 && is_member(op, "member_2")) {
		*sym = "in";
		return PREC_MEMBER2;
	}
	if (t->u.coll.n == 4 && is_member(op, "member_3")) {
		*sym = "in";
		return PREC_MEMBER3;
	}
	if (t->u.coll.n != 3 || op->kind != TG_RT_VAR)
		return -1;
	for (i = 0; i < TG_ARRAY_LEN(infix); i++)
		if (strcmp(op->u.var.name, infix[i].name) == 0) {
			*sym = infix[i].sym;
			return infix[i].prec;
		}
	return -1;
}

static bool ident_like(const char *s, size_t n)
{
	size_t i;
	if (n == 0)
		return false;
	for (i = 0; i < n; i++) {
		char c = s[i];
		bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
		if (!letter && (i == 0 || c < '0' || c > '9'))
			return false;
	}
	return true;
}

static void fmt_term(struct fmt *f, const struct tg_rego_term *t, int minp);
static void fmt_body_inline(struct fmt *f, const struct tg_rego_body *b);
static void fmt_body_block(struct fmt *f, const struct tg_rego_body *b);

static bool v1_keyword_name(const struct tg_rego_term *v)
{
	return strcmp(v->u.var.name, "in") == 0 || strcmp(v->u.var.name, "if") == 0 ||
	       strcmp(v->u.var.name, "every") == 0;
}

static void fmt_list(struct fmt *f, struct tg_rego_term *const *items, size_t n, size_t step,
                     int minp)
{
	size_t i;
	for (i = 0; i < n; i += step) {
		if (i)
			puts_(f, ", ");
		fmt_term(f, items[i], minp);
		if (step == 2) {
			puts_(f, ": ");
			fmt_term(f, items[i + 1], minp);
		}
	}
}

/* The leftmost primary of t (through the left operands of infix calls)
 * is a ref headed by a keyword (not[0], every.x): such a ref may only
 * start a literal, so it must not go inside parentheses. */
static bool kw_lead(const struct tg_rego_term *t)
{
	const char *sym;
	int prec;
	while ((prec = infix_of(t, &sym)) >= 0)
		t = t->u.coll.items[1];
	if (t->kind != TG_RT_REF)
		return false;
	while (t->kind == TG_RT_REF)
		t = t->u.ref.items[0];
	return t->kind == TG_RT_VAR && tg_rego_is_keyword_v1(t->u.var.name, t->u.var.len);
}

static void fmt_ref(struct fmt *f, const struct tg_rego_term *t, bool kw_ok)
{
	size_t i;
	const struct tg_rego_term *head = t->u.ref.items[0];
	const char *sym;
	if (infix_of(head, &sym) >= 0) {
		putc_(f, '(');
		fmt_term(f, head, PREC_TOP);
		putc_(f, ')');
	} else if (head->kind == TG_RT_VAR) {
		/* a keyword may head a ref where a literal or a rule head
		 * starts (every[x]); v0 allows `in.x` anywhere */
		if (f->m && !kw_ok && v1_keyword_name(head))
			f->err = TG_E_UNSUPPORTED;
		put(f, head->u.var.name, head->u.var.len);
	} else {
		fmt_term(f, head, PREC_TOP);
	}
	for (i = 1; i < t->u.ref.n; i++) {
		const struct tg_rego_term *it = t->u.ref.items[i];
		if (it->kind == TG_RT_SCALAR && it->u.value->type == TG_JSON_STRING &&
		    ident_like(it->u.value->u.s.p, it->u.value->u.s.len)) {
			putc_(f, '.');
			put(f, it->u.value->u.s.p, it->u.value->u.s.len);
			continue;
		}
		putc_(f, '[');
		fmt_term(f, it, PREC_TOP);
		putc_(f, ']');
	}
}

static void fmt_call(struct fmt *f, const struct tg_rego_term *t, int minp)
{
	const char *sym = NULL;
	int prec = infix_of(t, &sym);
	struct tg_rego_term *const *it = t->u.coll.items;
	bool paren;
	if (prec < 0) {
		const struct tg_rego_term *op = it[0];
		if (op->kind == TG_RT_VAR) {
			/* v0 may call a function `if` or `in` */
			if (f->m && v1_keyword_name(op))
				f->err = TG_E_UNSUPPORTED;
			puts_(f, op->u.var.name);
		} else
			fmt_term(f, op, PREC_TOP);
		putc_(f, '(');
		fmt_list(f, it + 1, t->u.coll.n - 1, 1, PREC_LIST);
		putc_(f, ')');
		return;
	}
	if (minp == PREC_NESTED)
		paren = true;
	else if (minp == PREC_ELEM)
		paren = prec == PREC_MEMBER3 || strcmp(sym, "|") == 0;
	else
		paren = prec < minp;
	if (paren)
		putc_(f, '(');
	/* operands that are infix calls get parentheses, as opa fmt writes
	 * them, except a left operand of the same precedence: a + b + c stays
	 * flat, so that long chains do not nest parentheses past the
	 * parser's depth limit; a left operand led by a keyword ref keeps the
	 * precedence-minimal form (it must start the literal) */
	if (prec == PREC_MEMBER3) {
		fmt_term(f, it[1], kw_lead(it[1]) ? 2 : PREC_NESTED);
		puts_(f, ", ");
		fmt_term(f, it[2], PREC_NESTED);
		puts_(f, " in ");
		fmt_term(f, it[3], PREC_NESTED);
	} else {
		const char *lsym;
		int lp = infix_of(it[1], &lsym);
		int lmin = (kw_lead(it[1]) || lp == prec) ? prec : PREC_NESTED;
		if (prec == PREC_MEMBER2 && lmin == prec)
			lmin = PREC_MEMBER3; /* a in b in c is (a in b) in c */
		fmt_term(f, it[1], lmin);
		putc_(f, ' ');
		puts_(f, sym);
		putc_(f, ' ');
		fmt_term(f, it[2], PREC_NESTED);
	}
	if (paren)
		putc_(f, ')');
}

static void fmt_term(struct fmt *f, const struct tg_rego_term *t, int minp)
{
	size_t i;
	const char *sym;
	bool kw_ok = false;
	if (!enter(f))
		return;
	if (infix_of(t, &sym) < 0) {
		kw_ok = f->kw_ok;
		f->kw_ok = false;
	}
	if (f->neg_guard && infix_of(t, &sym) < 0) {
		f->neg_guard = false;
		if (t->kind == TG_RT_SCALAR && t->u.value->type == TG_JSON_NUMBER &&
		    t->u.value->u.s.p[0] == '-') {
			putc_(f, '(');
			put_json(f, t->u.value);
			putc_(f, ')');
			leave(f);
			return;
		}
	}
	switch (t->kind) {
	case TG_RT_SCALAR:
		put_json(f, t->u.value);
		break;
	case TG_RT_VAR:
		/* v0 may use in, if, every as names; v1 cannot say that */
		if (f->m && v1_keyword_name(t))
			f->err = TG_E_UNSUPPORTED;
		put(f, t->u.var.name, t->u.var.len);
		break;
	case TG_RT_REF:
		fmt_ref(f, t, kw_ok);
		break;
	case TG_RT_ARRAY:
		putc_(f, '[');
		fmt_list(f, t->u.coll.items, t->u.coll.n, 1, PREC_ELEM);
		putc_(f, ']');
		break;
	case TG_RT_SET:
		if (t->u.coll.n == 0) {
			puts_(f, "set()");
			break;
		}
		putc_(f, '{');
		fmt_list(f, t->u.coll.items, t->u.coll.n, 1, PREC_ELEM);
		putc_(f, '}');
		break;
	case TG_RT_OBJECT:
		putc_(f, '{');
		fmt_list(f, t->u.coll.items, t->u.coll.n & ~(size_t)1, 2, PREC_ELEM);
		putc_(f, '}');
		break;
	case TG_RT_ARRAY_COMPR:
		putc_(f, '[');
		fmt_term(f, t->u.compr.value, PREC_ELEM);
		puts_(f, " | ");
		fmt_body_inline(f, t->u.compr.body);
		putc_(f, ']');
		break;
	case TG_RT_SET_COMPR:
		putc_(f, '{');
		fmt_term(f, t->u.compr.value, PREC_ELEM);
		puts_(f, " | ");
		fmt_body_inline(f, t->u.compr.body);
		putc_(f, '}');
		break;
	case TG_RT_OBJECT_COMPR:
		putc_(f, '{');
		fmt_term(f, t->u.compr.key, PREC_ELEM);
		puts_(f, ": ");
		fmt_term(f, t->u.compr.value, PREC_ELEM);
		puts_(f, " | ");
		fmt_body_inline(f, t->u.compr.body);
		putc_(f, '}');
		break;
	case TG_RT_CALL:
		fmt_call(f, t, minp);
		break;
	case TG_RT_TEMPLATE:
		puts_(f, "$\"");
		for (i = 0; i < t->u.coll.n; i++) {
			const struct tg_rego_term *p = t->u.coll.items[i];
			if (i % 2 == 0 && p->kind == TG_RT_SCALAR &&
			    p->u.value->type == TG_JSON_STRING) {
				put_string(f, p->u.value->u.s.p, p->u.value->u.s.len, true);
			} else {
				putc_(f, '{');
				fmt_term(f, p, PREC_TOP);
				putc_(f, '}');
			}
		}
		putc_(f, '"');
		break;
	default:
		f->err = TG_E_INVAL;
		break;
	}
	leave(f);
}

static bool is_call_named(const struct tg_rego_term *t, const char *name, size_t n)
{
	const struct tg_rego_term *op;
	if (t->kind != TG_RT_CALL || t->u.coll.n != n)
		return false;
	op = t->u.coll.items[0];
	return op->kind == TG_RT_VAR && strcmp(op->u.var.name, name) == 0;
}

static void fmt_with(struct fmt *f, const struct tg_rego_expr *e)
{
	size_t i;
	for (i = 0; i < e->nwith; i++) {
		puts_(f, " with ");
		fmt_term(f, e->with[i]->target, PREC_TOP);
		puts_(f, " as ");
		fmt_term(f, e->with[i]->value, PREC_TOP);
	}
}

/* block: every bodies go on their own lines (module formatting) */
static void fmt_expr(struct fmt *f, const struct tg_rego_expr *e, bool block)
{
	size_t i;
	if (!enter(f))
		return;
	if (e->negated)
		puts_(f, "not ");
	f->kw_ok = !e->negated && e->kind == TG_RE_TERM;
	switch (e->kind) {
	case TG_RE_TERM:
		if (is_call_named(e->term, "eq", 3) || is_call_named(e->term, "assign", 3)) {
			fmt_term(f, e->term->u.coll.items[1], PREC_TOP);
			puts_(f, is_call_named(e->term, "eq", 3) ? " = " : " := ");
			fmt_term(f, e->term->u.coll.items[2], PREC_TOP);
		} else {
			fmt_term(f, e->term, PREC_TOP);
		}
		break;
	case TG_RE_SOME_DECL:
		puts_(f, "some ");
		for (i = 0; i < e->q.n; i++) {
			if (i)
				puts_(f, ", ");
			fmt_term(f, e->q.vars[i], PREC_TOP);
		}
		break;
	case TG_RE_SOME_IN:
	case TG_RE_EVERY:
		puts_(f, e->kind == TG_RE_EVERY ? "every " : "some ");
		if (e->q.key) {
			fmt_term(f, e->q.key, 2);
			puts_(f, ", ");
		}
		fmt_term(f, e->q.value, 2);
		puts_(f, " in ");
		fmt_term(f, e->q.domain, 2);
		if (e->kind == TG_RE_EVERY) {
			putc_(f, ' ');
			if (block) {
				fmt_body_block(f, e->q.body);
			} else {
				puts_(f, "{ ");
				fmt_body_inline(f, e->q.body);
				puts_(f, " }");
			}
		}
		break;
	default:
		f->err = TG_E_INVAL;
		break;
	}
	fmt_with(f, e);
	leave(f);
}

static void fmt_body_inline(struct fmt *f, const struct tg_rego_body *b)
{
	size_t i;
	if (b->n == 0) {
		puts_(f, "true");
		return;
	}
	for (i = 0; i < b->n; i++) {
		if (i)
			puts_(f, "; ");
		fmt_expr(f, b->exprs[i], false);
	}
}

static void newline(struct fmt *f)
{
	int i;
	putc_(f, '\n');
	for (i = 0; i < f->indent; i++)
		putc_(f, '\t');
}

/*
 * METADATA blocks are comments in column 1 on consecutive rows after a
 * comment that starts with METADATA. Comments print at the code's
 * indentation, so the formatter keeps a block's lines in column 1 and
 * separates a block from a comment that was not part of it.
 */
static bool starts_block(const char *text)
{
	while (*text == ' ' || *text == '\t' || *text == '\r' || *text == '\v' || *text == '\f')
		text++;
	return strncmp(text, "METADATA", 8) == 0;
}

static bool continues_block(const struct fmt *f, size_t i)
{
	const struct tg_rego_module *m = f->m;
	return i > 0 && f->prev_block && m->comments[i].loc.col == 1 &&
	       m->comments[i].loc.row == m->comments[i - 1].loc.row + 1;
}

static void consume_comment(struct fmt *f)
{
	size_t i = f->next_comment;
	f->prev_block = continues_block(f, i) || starts_block(f->m->comments[i].text);
	f->next_comment++;
}

/* Drops the indentation just written by newline(). */
static void unindent(struct fmt *f)
{
	int k;
	for (k = 0; k < f->indent && f->b->len > 0 && f->b->data[f->b->len - 1] == '\t'; k++)
		tg_buf_truncate(f->b, f->b->len - 1);
}

/* Comments on lines before row, each on its own line. */
static void flush_comments(struct fmt *f, uint32_t row)
{
	const struct tg_rego_module *m = f->m;
	bool printed = false;
	while (m && f->next_comment < m->ncomments && m->comments[f->next_comment].loc.row < row) {
		size_t i = f->next_comment;
		bool cont = continues_block(f, i);
		if (cont) {
			unindent(f);
		} else if (printed && (m->comments[i].loc.row > m->comments[i - 1].loc.row + 1 ||
		                       (f->prev_block && f->indent == 0))) {
			/* keep gaps; keep other comments out of a block */
			newline(f);
		}
		printed = true;
		putc_(f, '#');
		puts_(f, m->comments[i].text);
		newline(f);
		consume_comment(f);
	}
}

/* A comment that ends the line of row goes after the code; a METADATA
 * block it starts follows on the next lines, in column 1. */
static void trailing_comment(struct fmt *f, uint32_t row)
{
	const struct tg_rego_module *m = f->m;
	while (m && f->next_comment < m->ncomments && m->comments[f->next_comment].loc.row == row) {
		puts_(f, " #");
		puts_(f, m->comments[f->next_comment].text);
		consume_comment(f);
		while (f->next_comment < m->ncomments && continues_block(f, f->next_comment)) {
			puts_(f, "\n#");
			puts_(f, m->comments[f->next_comment].text);
			consume_comment(f);
		}
	}
}

/*
 * `p if { a | b }` reads as `p if` followed by the set comprehension
 * {a | b}, as in OPA. A rule body whose first expression starts with a
 * term directly followed by '|' gets that operand in parentheses.
 */
static bool needs_guard(const struct tg_rego_term *t)
{
	const char *sym = NULL;
	/* nested operands are parenthesized, so only a top-level | matters;
	 * a keyword-headed ref (not[0] | x) cannot start a set anyway */
	return infix_of(t, &sym) >= 0 && strcmp(sym, "|") == 0 && !kw_lead(t);
}

static void fmt_first_guarded(struct fmt *f, const struct tg_rego_expr *e)
{
	const struct tg_rego_term *t = e->term;
	bool eq, as;
	if (e->negated || e->kind != TG_RE_TERM) {
		fmt_expr(f, e, true);
		return;
	}
	eq = is_call_named(t, "eq", 3);
	as = is_call_named(t, "assign", 3);
	if (!needs_guard((eq || as) ? t->u.coll.items[1] : t)) {
		fmt_expr(f, e, true);
		return;
	}
	putc_(f, '(');
	fmt_term(f, (eq || as) ? t->u.coll.items[1] : t, PREC_TOP);
	putc_(f, ')');
	if (eq || as) {
		puts_(f, eq ? " = " : " := ");
		fmt_term(f, t->u.coll.items[2], PREC_TOP);
	}
	fmt_with(f, e);
}

static void fmt_body_block(struct fmt *f, const struct tg_rego_body *b)
{
	size_t i;
	bool guard = f->guard;
	f->guard = false;
	putc_(f, '{');
	f->indent++;
	for (i = 0; i < b->n; i++) {
		newline(f);
		flush_comments(f, b->exprs[i]->loc.row);
		f->neg_guard = i > 0 && !b->exprs[i]->negated;
		if (i == 0 && guard)
			fmt_first_guarded(f, b->exprs[i]);
		else
			fmt_expr(f, b->exprs[i], true);
		f->neg_guard = false;
		trailing_comment(f, b->exprs[i]->loc.row);
	}
	if (b->n == 0) {
		newline(f);
		puts_(f, "true");
	}
	f->indent--;
	newline(f);
	putc_(f, '}');
}

tg_err tg_rego_format_term(const struct tg_rego_term *t, struct tg_buf *out)
{
	struct fmt f = {out, TG_OK, 0, 0, NULL, 0, false, false, false, false};
	size_t len = out->len;
	fmt_term(&f, t, PREC_TOP);
	if (f.err != TG_OK)
		tg_buf_truncate(out, len);
	return f.err;
}

tg_err tg_rego_format_expr(const struct tg_rego_expr *e, struct tg_buf *out)
{
	struct fmt f = {out, TG_OK, 0, 0, NULL, 0, false, false, false, false};
	size_t len = out->len;
	fmt_expr(&f, e, false);
	if (f.err != TG_OK)
		tg_buf_truncate(out, len);
	return f.err;
}

tg_err tg_rego_format_body(const struct tg_rego_body *b, struct tg_buf *out)
{
	struct fmt f = {out, TG_OK, 0, 0, NULL, 0, false, false, false, false};
	size_t len = out->len;
	fmt_body_inline(&f, b);
	if (f.err != TG_OK)
		tg_buf_truncate(out, len);
	return f.err;
}

/* ---- modules ---- */

static void fmt_head_ref(struct fmt *f, const struct tg_rego_term *ref)
{
	f->kw_ok = true;
	fmt_term(f, ref, PREC_TOP);
	f->kw_ok = false;
}

static void fmt_value(struct fmt *f, const struct tg_rego_rule *r)
{
	puts_(f, r->assign || !r->value ? " := " : " = ");
	if (r->value)
		fmt_term(f, r->value, PREC_TOP);
	else
		puts_(f, "true");
}

/* `if { ... }`, or `if expr` when the source had the shorthand (one
 * expression, no braces: the body starts where the expression does), as
 * opa fmt keeps it. */
static void fmt_rule_body(struct fmt *f, const struct tg_rego_body *b, uint32_t row)
{
	const struct tg_rego_expr *e = b && b->n == 1 ? b->exprs[0] : NULL;
	if (!b || b->n == 0)
		return;
	puts_(f, " if ");
	if (e && e->loc.row == b->loc.row && e->loc.col == b->loc.col && e->loc.row == row &&
	    !(f->m && f->next_comment < f->m->ncomments &&
	      f->m->comments[f->next_comment].loc.row <= row)) {
		fmt_expr(f, b->exprs[0], true);
		return;
	}
	f->guard = true;
	fmt_body_block(f, b);
}

static void fmt_rule(struct fmt *f, const struct tg_rego_rule *r)
{
	const struct tg_rego_rule *e;
	size_t i;
	if (r->is_default)
		puts_(f, "default ");
	{
		/* v0 may name a rule `default` (default.x {...}): v1 keeps
		 * keywords only as heads of longer refs */
		const struct tg_rego_term *h =
		        r->ref->kind == TG_RT_REF ? r->ref->u.ref.items[0] : r->ref;
		if (h->kind == TG_RT_VAR && tg_rego_is_keyword_v1(h->u.var.name, h->u.var.len) &&
		    r->ref->kind != TG_RT_REF)
			f->err = TG_E_UNSUPPORTED;
	}
	fmt_head_ref(f, r->ref);
	if (r->nargs || r->is_func) {
		putc_(f, '(');
		for (i = 0; i < r->nargs; i++) {
			if (i)
				puts_(f, ", ");
			fmt_term(f, r->args[i], PREC_LIST);
		}
		putc_(f, ')');
	}
	if (r->multi) {
		puts_(f, " contains ");
		fmt_term(f, r->key, PREC_TOP);
	} else if (r->value || r->is_default) {
		fmt_value(f, r);
	} else if (!r->body || r->body->n == 0) {
		/* no value, no body: say the value (v1 wants one of them) */
		fmt_value(f, r);
	}
	if (r->is_default)
		return;
	fmt_rule_body(f, r->body, r->loc.row);
	for (e = r->els; e; e = e->els) {
		puts_(f, " else");
		if (e->value || !e->body || e->body->n == 0)
			fmt_value(f, e);
		fmt_rule_body(f, e->body, e->loc.row);
	}
}

tg_err tg_rego_format_module(const struct tg_rego_module *m, struct tg_buf *out)
{
	struct fmt f = {out, TG_OK, 0, 0, m, 0, false, false, false, false};
	size_t len = out->len, i;
	flush_comments(&f, m->package_loc.row);
	puts_(&f, "package ");
	f.kw_ok = true;
	fmt_term(&f, m->package, PREC_TOP);
	trailing_comment(&f, m->package_loc.row);
	putc_(&f, '\n');
	if (m->nimports)
		putc_(&f, '\n');
	for (i = 0; i < m->nimports; i++) {
		const struct tg_rego_import *imp = m->imports[i];
		flush_comments(&f, imp->loc.row);
		puts_(&f, "import ");
		fmt_term(&f, imp->path, PREC_TOP);
		if (imp->alias) {
			puts_(&f, " as ");
			puts_(&f, imp->alias);
		}
		trailing_comment(&f, imp->loc.row);
		putc_(&f, '\n');
	}
	for (i = 0; i < m->nrules; i++) {
		putc_(&f, '\n');
		flush_comments(&f, m->rules[i]->loc.row);
		fmt_rule(&f, m->rules[i]);
		trailing_comment(&f, m->rules[i]->loc.row);
		putc_(&f, '\n');
	}
	if (m->comments && f.next_comment < m->ncomments) {
		putc_(&f, '\n');
		flush_comments(&f, UINT32_MAX);
	}
	if (f.err != TG_OK)
		tg_buf_truncate(out, len);
	return f.err;
}
