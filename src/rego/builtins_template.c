/* SPDX-License-Identifier: Apache-2.0 */
/*
 * builtins_template.c - strings.render_template: Go's text/template
 * (lexer, parser, executor and the predefined functions) over the object
 * OPA hands it, with numbers as json.Number and missingkey=error.
 */

/*
 * Written from text/template's documentation and observed behaviour:
 * the template's messages ("template: template:1:2: executing
 * \"template\" at <.x>: map has no entry for key \"x\"") name positions
 * and Go types the way Go does, because policies and their tests see them.
 *
 * OPA converts the variables with ast.As into map[string]any: objects
 * become maps (non-string keys JSON-encoded), sets and arrays []any,
 * numbers json.Number (a string type: {{if eq .n 1}} fails as in OPA,
 * {{if eq .n "1"}} works), null a nil interface. A value read out of a
 * map or slice has static type interface{} until a pipeline unwraps it;
 * the type names in messages follow that ("interface {}" vs "string").
 *
 * Not supported (an error says so): {{define}}, {{template}}, {{block}},
 * the call function, complex constants and json.Number's methods. Letters
 * in identifiers are ASCII or any non-ASCII rune.
 */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/limits.h"
#include "rego/rego_bi.h"
#include "rego/rego_builtin.h"

/* ------------------------------------------------------------------ */
/* Tokens                                                              */
/* ------------------------------------------------------------------ */

enum tt {
	T_EOF,
	T_ERROR,
	T_TEXT,
	T_LDELIM,
	T_RDELIM,
	T_SPACE,
	T_ASSIGN,
	T_DECLARE,
	T_PIPE,
	T_STRING,
	T_RAW,
	T_VAR,
	T_CHARCONST,
	T_NUMBER,
	T_COMPLEX,
	T_FIELD,
	T_IDENT,
	T_BOOL,
	T_LPAREN,
	T_RPAREN,
	T_CHAR,
	T_KEYWORD, /* the keywords follow; Go prints them as <word> */
	T_BLOCK,
	T_BREAK,
	T_CONTINUE,
	T_DOT,
	T_DEFINE,
	T_ELSE,
	T_END,
	T_IF,
	T_NIL,
	T_RANGE,
	T_TEMPLATE,
	T_WITH,
};

struct tok {
	uint8_t t;
	size_t pos;  /* byte offset in the template */
	size_t line; /* 1-based line of pos */
	const char *v;
	size_t n;
};

/* ------------------------------------------------------------------ */
/* Syntax tree                                                         */
/* ------------------------------------------------------------------ */

enum ak { A_DOT, A_NIL, A_BOOL, A_NUM, A_STR, A_FIELD, A_VAR, A_IDENT, A_PIPE, A_CHAIN };

struct pipe;

struct arg {
	uint8_t k;
	size_t pos;       /* where Go's node is: messages give its line and column */
	size_t cpos, end; /* the source span messages quote */
	bool b;          /* A_BOOL */
	/* A_NUM: what text/template's NumberNode knows */
	bool is_int, is_uint, is_float, is_rune;
	int64_t i;
	double f;
	/* A_STR: the unquoted text; A_IDENT: the name */
	const char *s;
	size_t n;
	/* A_FIELD, A_VAR, A_CHAIN: the identifiers (A_VAR: ids[0] is "$x") */
	const char **ids;
	size_t *idn;
	size_t nid;
	int fn;           /* A_IDENT: index in the function table */
	const struct tg_json *sj; /* A_STR as a value */
	struct pipe *pipe; /* A_PIPE */
	struct arg *base;  /* A_CHAIN: the term the fields apply to */
};

struct cmd {
	size_t pos, cpos, end;
	struct arg **args;
	size_t nargs;
};

struct pipe {
	size_t pos, end;
	bool assign;
	size_t ndecl;
	const char *decl[2];
	size_t decln[2];
	struct cmd **cmds;
	size_t ncmds;
};

enum nk { N_TEXT, N_ACTION, N_IF, N_RANGE, N_WITH, N_BREAK, N_CONTINUE, N_END, N_ELSE };

struct list;

struct node {
	uint8_t k;
	size_t pos;
	const char *s; /* N_TEXT */
	size_t n;
	struct pipe *pipe;
	struct list *list, *elist;
};

struct list {
	struct node **nodes;
	size_t n, cap;
};

/* ------------------------------------------------------------------ */
/* Values                                                              */
/* ------------------------------------------------------------------ */

/*
 * A Go value: V_JSON holds a converted variable or a string/bool made by
 * the template (null only while iface), V_INT an int, V_FLOAT a float64,
 * V_INVALID the zero reflect.Value (an unwrapped nil).
 */
enum vk { V_INVALID, V_JSON, V_INT, V_FLOAT };

struct val {
	uint8_t k;
	bool iface; /* static type interface{} (read from a map or slice) */
	const struct tg_json *j;
	int64_t i;
	double f;
};

struct var {
	const char *s;
	size_t n;
	struct val v;
};

struct tpl {
	struct tg_rego_bctx *c;
	const char *src;
	size_t n;
	/* tokens */
	struct tok *toks;
	size_t ntok, tcap, ti, seen;
	size_t lpos, lline; /* the lexer's line count up to lpos */
	bool lex_failed;    /* an error token ended the stream */
	/* parser */
	struct {
		const char *s;
		size_t n;
	} *pv;
	size_t npv, pvcap;
	int range_depth, depth;
	size_t action_line;
	/* executor */
	struct tg_buf *out;
	struct var *vars;
	size_t nv, vcap;
	size_t at_pos, at_cpos, at_end; /* the node last visited: position, quoted span */
	bool at_set;
	int brk; /* 1: {{break}}, 2: {{continue}} pending */
};

/* the predefined functions; W_* say how their parameters are evaluated */
enum want { W_ANY, W_VALUE, W_STRING, W_NONE };

enum fnid {
	F_AND,
	F_OR,
	F_NOT,
	F_LEN,
	F_INDEX,
	F_SLICE,
	F_PRINT,
	F_PRINTF,
	F_PRINTLN,
	F_HTML,
	F_JS,
	F_URLQUERY,
	F_EQ,
	F_NE,
	F_LT,
	F_LE,
	F_GT,
	F_GE,
	F_CALL,
};

static const struct {
	const char *name;
	uint8_t nfixed;   /* parameters before the variadic one */
	bool variadic;
	uint8_t fixed[2]; /* enum want of the fixed parameters */
	uint8_t rest;     /* enum want of the variadic ones */
} fns[] = {
	[F_AND] = {"and", 1, true, {W_VALUE, 0}, W_VALUE},
	[F_OR] = {"or", 1, true, {W_VALUE, 0}, W_VALUE},
	[F_NOT] = {"not", 1, false, {W_VALUE, 0}, 0},
	[F_LEN] = {"len", 1, false, {W_VALUE, 0}, 0},
	[F_INDEX] = {"index", 1, true, {W_VALUE, 0}, W_VALUE},
	[F_SLICE] = {"slice", 1, true, {W_VALUE, 0}, W_VALUE},
	[F_PRINT] = {"print", 0, true, {0, 0}, W_ANY},
	[F_PRINTF] = {"printf", 1, true, {W_STRING, 0}, W_ANY},
	[F_PRINTLN] = {"println", 0, true, {0, 0}, W_ANY},
	[F_HTML] = {"html", 0, true, {0, 0}, W_ANY},
	[F_JS] = {"js", 0, true, {0, 0}, W_ANY},
	[F_URLQUERY] = {"urlquery", 0, true, {0, 0}, W_ANY},
	[F_EQ] = {"eq", 1, true, {W_VALUE, 0}, W_VALUE},
	[F_NE] = {"ne", 2, false, {W_VALUE, W_VALUE}, 0},
	[F_LT] = {"lt", 2, false, {W_VALUE, W_VALUE}, 0},
	[F_LE] = {"le", 2, false, {W_VALUE, W_VALUE}, 0},
	[F_GT] = {"gt", 2, false, {W_VALUE, W_VALUE}, 0},
	[F_GE] = {"ge", 2, false, {W_VALUE, W_VALUE}, 0},
	[F_CALL] = {"call", 1, true, {W_VALUE, 0}, W_VALUE},
};

#define NFNS (sizeof(fns) / sizeof(fns[0]))

/* ------------------------------------------------------------------ */
/* Messages                                                            */
/* ------------------------------------------------------------------ */

/* A parse error: "template: template:LINE: msg", LINE of the furthest
 * token read (Go's t.token[0]). */
static tg_err perr(struct tpl *p, const char *fmt, ...) TG_PRINTF(2, 3);
static tg_err perr(struct tpl *p, const char *fmt, ...)
{
	char msg[TG_DIAG_MSG_MAX];
	va_list ap;
	size_t k = p->seen < p->ntok ? p->seen : p->ntok - 1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return tg_rego_bi_fail(p->c, "template: template:%zu: %s", p->toks[k].line, msg);
}

/* An execution error at the node last visited (Go's s.at):
 * "template: template:L:C: executing \"template\" at <ctx>: msg". */
static tg_err xerr(struct tpl *p, const char *fmt, ...) TG_PRINTF(2, 3);
static tg_err xerr(struct tpl *p, const char *fmt, ...)
{
	char msg[TG_DIAG_MSG_MAX];
	va_list ap;
	size_t line = 1, ls = 0, i, cn;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!p->at_set)
		return tg_rego_bi_fail(p->c, "template: template: %s", msg);
	for (i = 0; i < p->at_pos && i < p->n; i++)
		if (p->src[i] == '\n') {
			line++;
			ls = i + 1;
		}
	cn = p->at_end > p->at_cpos && p->at_end <= p->n ? p->at_end - p->at_cpos : 0;
	if (cn > TG_DIAG_MSG_MAX)
		cn = TG_DIAG_MSG_MAX;
	return tg_rego_bi_fail(p->c,
			       "template: template:%zu:%zu: executing \"template\" at <%.*s>: %s",
			       line, p->at_pos - ls, (int)cn, p->src + p->at_cpos, msg);
}

static void at(struct tpl *p, size_t pos, size_t cpos, size_t end)
{
	p->at_pos = pos;
	p->at_cpos = cpos;
	p->at_end = end;
	p->at_set = true;
}

/* ------------------------------------------------------------------ */
/* Lexer (text/template/parse/lex.go's states, run to completion)      */
/* ------------------------------------------------------------------ */

static bool is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool is_alnum_rune(uint32_t r)
{
	return r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') ||
	       (r >= '0' && r <= '9') || (r >= 0x80 && r != 0xFFFD);
}

/* The lexer runs twice: once counting (toks NULL), once storing into an
 * array of exactly that size. */
static tg_err emit(struct tpl *p, uint8_t t, size_t pos, const char *v, size_t n)
{
	if (!p->toks) {
		p->ntok++;
		return TG_OK;
	}
	if (p->ntok == p->tcap)
		return tg_rego_bi_fail(p->c, "template changed while lexed");
	/* tokens come in order: count lines incrementally */
	for (; p->lpos < pos && p->lpos < p->n; p->lpos++)
		p->lline += p->src[p->lpos] == '\n';
	p->toks[p->ntok].line = p->lline + 1;
	p->toks[p->ntok].t = t;
	p->toks[p->ntok].pos = pos;
	p->toks[p->ntok].v = v;
	p->toks[p->ntok].n = n;
	p->ntok++;
	return TG_OK;
}

/* A lexical error ends the token stream (then EOF). */
static tg_err lex_error(struct tpl *p, size_t pos, const char *fmt, ...) TG_PRINTF(3, 4);
static tg_err lex_error(struct tpl *p, size_t pos, const char *fmt, ...)
{
	char msg[TG_DIAG_MSG_MAX];
	va_list ap;
	char *m;
	tg_err r;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	m = tg_arena_strndup(p->c->a, msg, strlen(msg));
	if (!m)
		return tg_rego_bi_fail(p->c, "template too large");
	p->lex_failed = true;
	if ((r = emit(p, T_ERROR, pos, m, strlen(m))) != TG_OK)
		return r;
	return emit(p, T_EOF, pos, "", 0);
}

static bool has_prefix(const struct tpl *p, size_t i, const char *s)
{
	size_t k = strlen(s);
	return i <= p->n && p->n - i >= k && memcmp(p->src + i, s, k) == 0;
}

/* "{{- " : a minus and a space after the left delimiter */
static bool left_trim_marker(const struct tpl *p, size_t i)
{
	return i <= p->n && p->n - i >= 2 && p->src[i] == '-' && is_space(p->src[i + 1]);
}

/* Go's atRightDelim: " -}}" (trim) or "}}" at i */
static bool at_right_delim(const struct tpl *p, size_t i, bool *trim)
{
	if (i <= p->n && p->n - i >= 4 && is_space(p->src[i]) && p->src[i + 1] == '-' &&
	    p->src[i + 2] == '}' && p->src[i + 3] == '}') {
		*trim = true;
		return true;
	}
	*trim = false;
	return has_prefix(p, i, "}}");
}

/* %#U of a rune: U+0041 'A' */
static void fmt_rune_u(char *o, size_t on, uint32_t r)
{
	char enc[8] = {0};
	if (r < 0x20 || r == 0x7f || r == 0xFFFD || (r >= 0x80 && r < 0xa0)) {
		snprintf(o, on, "U+%04X", (unsigned)r);
		return;
	}
	if (r < 0x80) {
		enc[0] = (char)r;
	} else if (r < 0x800) {
		enc[0] = (char)(0xC0 | (r >> 6));
		enc[1] = (char)(0x80 | (r & 0x3F));
	} else if (r < 0x10000) {
		enc[0] = (char)(0xE0 | (r >> 12));
		enc[1] = (char)(0x80 | ((r >> 6) & 0x3F));
		enc[2] = (char)(0x80 | (r & 0x3F));
	} else {
		enc[0] = (char)(0xF0 | (r >> 18));
		enc[1] = (char)(0x80 | ((r >> 12) & 0x3F));
		enc[2] = (char)(0x80 | ((r >> 6) & 0x3F));
		enc[3] = (char)(0x80 | (r & 0x3F));
	}
	snprintf(o, on, "U+%04X '%s'", (unsigned)r, enc);
}

static bool accept(const struct tpl *p, size_t *i, const char *set)
{
	if (*i < p->n && p->src[*i] && strchr(set, p->src[*i])) {
		(*i)++;
		return true;
	}
	return false;
}

static void accept_run(const struct tpl *p, size_t *i, const char *set)
{
	while (accept(p, i, set))
		;
}

/* Go's scanNumber; false when an alphanumeric follows */
static bool scan_number(const struct tpl *p, size_t *i)
{
	const char *digits = "0123456789_";
	accept(p, i, "+-");
	if (accept(p, i, "0")) {
		if (accept(p, i, "xX"))
			digits = "0123456789abcdefABCDEF_";
		else if (accept(p, i, "oO"))
			digits = "01234567_";
		else if (accept(p, i, "bB"))
			digits = "01_";
	}
	accept_run(p, i, digits);
	if (accept(p, i, "."))
		accept_run(p, i, digits);
	if (strlen(digits) == 11 && accept(p, i, "eE")) {
		accept(p, i, "+-");
		accept_run(p, i, "0123456789_");
	}
	if (strlen(digits) == 23 && accept(p, i, "pP")) {
		accept(p, i, "+-");
		accept_run(p, i, "0123456789_");
	}
	accept(p, i, "i");
	if (*i < p->n) {
		uint32_t r;
		size_t w = tg_rego_bi_rune(p->src + *i, p->n - *i, &r);
		if (is_alnum_rune(r)) {
			*i += w;
			return false;
		}
	}
	return true;
}

/* Go's atTerminator: what may follow a word */
static bool at_terminator(const struct tpl *p, size_t i)
{
	bool trim;
	if (i >= p->n)
		return true;
	if (is_space(p->src[i]) || (p->src[i] && strchr(".,|:()", p->src[i])))
		return true;
	return at_right_delim(p, i, &trim) && !trim;
}

static const struct {
	const char *w;
	uint8_t t;
} keywords[] = {
	{"block", T_BLOCK}, {"break", T_BREAK}, {"continue", T_CONTINUE}, {"define", T_DEFINE},
	{"else", T_ELSE},   {"end", T_END},     {"if", T_IF},             {"nil", T_NIL},
	{"range", T_RANGE}, {"template", T_TEMPLATE}, {"with", T_WITH},
};

/* Tokens of one action, from just after "{{" (and its trim marker) */
static tg_err lex_action(struct tpl *p, size_t *pi)
{
	size_t i = *pi;
	int paren = 0;
	tg_err r;
	for (;;) {
		bool trim;
		size_t st = i;
		uint32_t ch;
		size_t w;
		char u[32];
		if (at_right_delim(p, i, &trim)) {
			if (paren != 0)
				return lex_error(p, i, "unclosed left paren");
			if (trim)
				i += 2;
			if ((r = emit(p, T_RDELIM, i, p->src + i, 2)) != TG_OK)
				return r;
			i += 2;
			if (trim)
				while (i < p->n && is_space(p->src[i]))
					i++;
			*pi = i;
			return TG_OK;
		}
		if (i >= p->n)
			return lex_error(p, i, "unclosed action");
		w = tg_rego_bi_rune(p->src + i, p->n - i, &ch);
		if (is_space((int)ch)) {
			size_t ns = 0;
			while (i < p->n && is_space(p->src[i])) {
				i++;
				ns++;
			}
			/* a space that belongs to " -}}" */
			if (p->n - (i - 1) >= 4 && p->src[i] == '-' && p->src[i + 1] == '}' &&
			    p->n - i >= 3 && p->src[i + 2] == '}') {
				i--;
				if (ns == 1)
					continue;
			}
			if ((r = emit(p, T_SPACE, st, p->src + st, i - st)) != TG_OK)
				return r;
			continue;
		}
		i += w;
		switch (ch) {
		case '=':
			r = emit(p, T_ASSIGN, st, p->src + st, 1);
			break;
		case ':':
			if (i >= p->n || p->src[i] != '=')
				return lex_error(p, st, "expected :=");
			i++;
			r = emit(p, T_DECLARE, st, p->src + st, 2);
			break;
		case '|':
			r = emit(p, T_PIPE, st, p->src + st, 1);
			break;
		case '"':
			for (;;) {
				if (i >= p->n || p->src[i] == '\n')
					return lex_error(p, st, "unterminated quoted string");
				if (p->src[i] == '\\') {
					i++;
					if (i >= p->n || p->src[i] == '\n')
						return lex_error(p, st, "unterminated quoted string");
					i++;
					continue;
				}
				if (p->src[i++] == '"')
					break;
			}
			r = emit(p, T_STRING, st, p->src + st, i - st);
			break;
		case '`':
			for (;;) {
				if (i >= p->n)
					return lex_error(p, st, "unterminated raw quoted string");
				if (p->src[i++] == '`')
					break;
			}
			r = emit(p, T_RAW, st, p->src + st, i - st);
			break;
		case '\'':
			for (;;) {
				if (i >= p->n || p->src[i] == '\n')
					return lex_error(p, st, "unterminated character constant");
				if (p->src[i] == '\\') {
					i++;
					if (i >= p->n || p->src[i] == '\n')
						return lex_error(p, st,
								 "unterminated character constant");
					i++;
					continue;
				}
				if (p->src[i++] == '\'')
					break;
			}
			r = emit(p, T_CHARCONST, st, p->src + st, i - st);
			break;
		case '$':
		case '.':
			if (ch == '.' && i < p->n && p->src[i] >= '0' && p->src[i] <= '9') {
				i = st;
				goto number;
			}
			if (at_terminator(p, i)) {
				r = emit(p, ch == '$' ? T_VAR : T_DOT, st, p->src + st, 1);
				break;
			}
			for (;;) {
				uint32_t c2;
				size_t w2 = i < p->n ? tg_rego_bi_rune(p->src + i, p->n - i, &c2) : 0;
				if (!w2 || !is_alnum_rune(c2))
					break;
				i += w2;
			}
			if (!at_terminator(p, i)) {
				uint32_t c2;
				tg_rego_bi_rune(p->src + i, p->n - i, &c2);
				fmt_rune_u(u, sizeof(u), c2);
				return lex_error(p, st, "bad character %s", u);
			}
			r = emit(p, ch == '$' ? T_VAR : T_FIELD, st, p->src + st, i - st);
			break;
		case '(':
			paren++;
			r = emit(p, T_LPAREN, st, p->src + st, 1);
			break;
		case ')':
			if (--paren < 0)
				return lex_error(p, st, "unexpected right paren");
			r = emit(p, T_RPAREN, st, p->src + st, 1);
			break;
		default:
			if (ch == '+' || ch == '-' || (ch >= '0' && ch <= '9')) {
				i = st;
			number:
				if (!scan_number(p, &i))
					goto bad_number;
				if (i < p->n && (p->src[i] == '+' || p->src[i] == '-')) {
					if (!scan_number(p, &i) || p->src[i - 1] != 'i')
						goto bad_number;
					r = emit(p, T_COMPLEX, st, p->src + st, i - st);
					break;
				}
				r = emit(p, T_NUMBER, st, p->src + st, i - st);
				break;
			bad_number : {
				struct tg_buf q = TG_BUF_INIT(256);
				tg_err qr = tg_rego_go_quote(&q, p->src + st, i - st, false);
				r = lex_error(p, st, "bad number syntax: %s",
					      qr == TG_OK ? tg_buf_str(&q) : "\"?\"");
				tg_buf_release(&q);
				return r;
			}
			}
			if (is_alnum_rune(ch)) {
				uint8_t t = T_IDENT;
				for (;;) {
					uint32_t c2;
					size_t w2 = i < p->n ? tg_rego_bi_rune(p->src + i, p->n - i, &c2)
							     : 0;
					if (!w2 || !is_alnum_rune(c2))
						break;
					i += w2;
				}
				if (!at_terminator(p, i)) {
					uint32_t c2;
					tg_rego_bi_rune(p->src + i, p->n - i, &c2);
					fmt_rune_u(u, sizeof(u), c2);
					return lex_error(p, st, "bad character %s", u);
				}
				for (size_t k = 0; k < sizeof(keywords) / sizeof(keywords[0]); k++)
					if (strlen(keywords[k].w) == i - st &&
					    memcmp(keywords[k].w, p->src + st, i - st) == 0)
						t = keywords[k].t;
				if (t == T_IDENT && ((i - st == 4 && memcmp(p->src + st, "true", 4) == 0) ||
						     (i - st == 5 && memcmp(p->src + st, "false", 5) == 0)))
					t = T_BOOL;
				r = emit(p, t, st, p->src + st, i - st);
				break;
			}
			if (ch < 0x80 && ch >= 0x20 && ch != 0x7f) {
				r = emit(p, T_CHAR, st, p->src + st, 1);
				break;
			}
			fmt_rune_u(u, sizeof(u), ch);
			return lex_error(p, st, "unrecognized character in action: %s", u);
		}
		if (r != TG_OK)
			return r;
	}
}

static tg_err lex_pass(struct tpl *p)
{
	size_t i = 0;
	tg_err r;
	for (;;) {
		const char *d = i < p->n ? memmem(p->src + i, p->n - i, "{{", 2) : NULL;
		size_t at_, tend, j;
		bool trim;
		if (!d) {
			if (i < p->n && (r = emit(p, T_TEXT, i, p->src + i, p->n - i)) != TG_OK)
				return r;
			return emit(p, T_EOF, p->n, "", 0);
		}
		at_ = (size_t)(d - p->src);
		tend = at_;
		if (left_trim_marker(p, at_ + 2))
			while (tend > i && is_space(p->src[tend - 1]))
				tend--;
		if (tend > i && (r = emit(p, T_TEXT, i, p->src + i, tend - i)) != TG_OK)
			return r;
		j = at_ + 2;
		trim = left_trim_marker(p, j);
		if (has_prefix(p, j + (trim ? 2 : 0), "/*")) {
			const char *e;
			j += (trim ? 2 : 0);
			e = memmem(p->src + j + 2, p->n - j - 2, "*/", 2);
			if (!e)
				return lex_error(p, j, "unclosed comment");
			j = (size_t)(e - p->src) + 2;
			if (!at_right_delim(p, j, &trim))
				return lex_error(p, j, "comment ends before closing delimiter");
			j += (trim ? 2 : 0) + 2;
			if (trim)
				while (j < p->n && is_space(p->src[j]))
					j++;
			i = j;
			continue;
		}
		if ((r = emit(p, T_LDELIM, at_, p->src + at_, 2)) != TG_OK)
			return r;
		j += trim ? 2 : 0;
		if ((r = lex_action(p, &j)) != TG_OK)
			return r;
		if (p->lex_failed)
			return TG_OK;
		i = j;
	}
}

static tg_err lex(struct tpl *p)
{
	tg_err r;
	p->toks = NULL;
	p->ntok = 0;
	p->lex_failed = false;
	if ((r = lex_pass(p)) != TG_OK)
		return r;
	p->tcap = p->ntok;
	p->toks = tg_arena_alloc_array(p->c->a, p->tcap ? p->tcap : 1, sizeof(*p->toks));
	if (!p->toks)
		return tg_rego_bi_fail(p->c, "template too large");
	p->ntok = 0;
	p->lex_failed = false;
	return lex_pass(p);
}

/* ------------------------------------------------------------------ */
/* Parser (text/template/parse/parse.go's grammar)                     */
/* ------------------------------------------------------------------ */

static struct tok *tnext(struct tpl *p)
{
	size_t k = p->ti < p->ntok ? p->ti : p->ntok - 1;
	p->ti++;
	if (k > p->seen)
		p->seen = k;
	return &p->toks[k];
}

static void tbackup(struct tpl *p)
{
	p->ti--;
}

static struct tok *tpeek(struct tpl *p)
{
	struct tok *t = tnext(p);
	tbackup(p);
	return t;
}

static struct tok *tnext_nonspace(struct tpl *p)
{
	struct tok *t;
	do
		t = tnext(p);
	while (t->t == T_SPACE);
	return t;
}

static struct tok *tpeek_nonspace(struct tpl *p)
{
	struct tok *t = tnext_nonspace(p);
	tbackup(p);
	return t;
}

static void *palloc(struct tpl *p, size_t n)
{
	void *m = tg_arena_alloc(p->c->a, n);
	if (m)
		memset(m, 0, n);
	return m;
}

#define NEW(p, x)                                                                                  \
	do {                                                                                       \
		if (!((x) = palloc((p), sizeof(*(x)))))                                           \
			return tg_rego_bi_fail((p)->c, "template too large");                      \
	} while (0)

/* appends to a pointer array that doubles in the arena */
static tg_err push_ptr(struct tpl *p, void ***arr, size_t *n, size_t *cap, void *x)
{
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 4;
		void **na = tg_arena_alloc_array(p->c->a, nc, sizeof(void *));
		if (!na)
			return tg_rego_bi_fail(p->c, "template too large");
		if (*n)
			memcpy(na, *arr, *n * sizeof(void *));
		*arr = na;
		*cap = nc;
	}
	(*arr)[(*n)++] = x;
	return TG_OK;
}

/* Go's item String(): EOF, the error, <keyword>, %q or "%.10q..." */
static void tok_str(const struct tok *t, char *o, size_t on)
{
	struct tg_buf q = TG_BUF_INIT(4096);
	size_t n = t->n, runes = 0, i = 0;
	if (t->t == T_EOF) {
		snprintf(o, on, "EOF");
		return;
	}
	if (t->t == T_ERROR) {
		snprintf(o, on, "%.*s", (int)t->n, t->v);
		return;
	}
	if (t->t > T_KEYWORD) {
		snprintf(o, on, "<%.*s>", (int)t->n, t->v);
		return;
	}
	while (i < t->n && runes < 10) {
		uint32_t r;
		i += tg_rego_bi_rune(t->v + i, t->n - i, &r);
		runes++;
	}
	if (i < t->n)
		n = i;
	if (tg_rego_go_quote(&q, t->v, n, false) != TG_OK)
		snprintf(o, on, "?");
	else
		snprintf(o, on, "%s%s", tg_buf_str(&q), n < t->n ? "..." : "");
	tg_buf_release(&q);
}

static tg_err unexpected(struct tpl *p, const struct tok *t, const char *context)
{
	char s[96];
	tok_str(t, s, sizeof(s));
	if (t->t == T_ERROR) {
		size_t tl = t->line;
		if (p->action_line != 0 && p->action_line != tl) {
			bool suffix = t->n >= 7 && memcmp(t->v + t->n - 7, " action", 7) == 0;
			return perr(p, "%s%s started at template:%zu", s, suffix ? "" : " in action",
				    p->action_line);
		}
		return perr(p, "%s", s);
	}
	return perr(p, "unexpected %s in %s", s, context);
}

static tg_err expect(struct tpl *p, uint8_t t, const char *context, struct tok **out)
{
	struct tok *k = tnext_nonspace(p);
	if (k->t != t)
		return unexpected(p, k, context);
	if (out)
		*out = k;
	return TG_OK;
}

/* Go's strconv.UnquoteChar over s[*i..n); quote is the delimiter */
static bool unquote_char(const char *s, size_t n, size_t *i, char quote, uint32_t *r, bool *byte)
{
	uint32_t c;
	size_t w;
	*byte = false;
	if (*i >= n)
		return false;
	w = tg_rego_bi_rune(s + *i, n - *i, &c);
	if (c == (uint32_t)(unsigned char)quote && (quote == '\'' || quote == '"'))
		return false;
	if (c != '\\') {
		*r = c;
		*i += w;
		return true;
	}
	(*i)++;
	if (*i >= n)
		return false;
	c = (unsigned char)s[(*i)++];
	switch (c) {
	case 'a': *r = 7; return true;
	case 'b': *r = 8; return true;
	case 'f': *r = 12; return true;
	case 'n': *r = 10; return true;
	case 'r': *r = 13; return true;
	case 't': *r = 9; return true;
	case 'v': *r = 11; return true;
	case '\\': *r = '\\'; return true;
	case '\'':
	case '"':
		if (c != (uint32_t)(unsigned char)quote)
			return false;
		*r = c;
		return true;
	case 'x':
	case 'u':
	case 'U': {
		size_t k = c == 'x' ? 2 : c == 'u' ? 4 : 8;
		uint32_t v = 0;
		if (n - *i < k)
			return false;
		for (size_t j = 0; j < k; j++) {
			int d = s[*i + j];
			int h = d >= '0' && d <= '9'   ? d - '0'
				: d >= 'a' && d <= 'f' ? d - 'a' + 10
				: d >= 'A' && d <= 'F' ? d - 'A' + 10
						       : -1;
			if (h < 0)
				return false;
			v = v * 16 + (uint32_t)h;
		}
		*i += k;
		if (c == 'x') {
			*r = v;
			*byte = true;
			return true;
		}
		if (v > 0x10FFFF || (v >= 0xD800 && v < 0xE000))
			return false;
		*r = v;
		return true;
	}
	default:
		if (c >= '0' && c <= '7') {
			uint32_t v = c - '0';
			if (n - *i < 2)
				return false;
			for (size_t j = 0; j < 2; j++) {
				int d = s[*i + j];
				if (d < '0' || d > '7')
					return false;
				v = v * 8 + (uint32_t)(d - '0');
			}
			if (v > 255)
				return false;
			*i += 2;
			*r = v;
			*byte = true;
			return true;
		}
		return false;
	}
}

/* Go's strconv.Unquote of a "..." or `...` token into the arena */
static bool unquote(struct tpl *p, const struct tok *t, const char **out, size_t *outn)
{
	struct tg_buf b = TG_BUF_INIT(TG_LIMIT_TEMPLATE_OUT);
	bool ok = true;
	if (t->t == T_RAW) {
		for (size_t i = 1; i + 1 < t->n && ok; i++)
			if (t->v[i] != '\r')
				ok = tg_buf_addc(&b, (uint8_t)t->v[i]) == TG_OK;
	} else {
		size_t i = 1, end = t->n - 1;
		while (i < end && ok) {
			uint32_t r;
			bool byte;
			size_t j = i;
			if (!unquote_char(t->v, end, &j, '"', &r, &byte)) {
				ok = false;
				break;
			}
			i = j;
			ok = byte ? tg_buf_addc(&b, (uint8_t)r) == TG_OK
				  : tg_rego_bi_put_rune(&b, r) == TG_OK;
		}
	}
	if (ok) {
		/* Go keeps the bytes; a Rego string must be UTF-8, so a bad
		 * sequence becomes U+FFFD here rather than in OPA's output */
		struct tg_buf u = TG_BUF_INIT(TG_LIMIT_TEMPLATE_OUT * 2);
		for (size_t i = 0; i < b.len && ok;) {
			uint32_t r;
			size_t w = tg_rego_bi_rune((const char *)b.data + i, b.len - i, &r);
			bool good = !(w == 1 && r >= 0x80) && !(w == 2 && r < 0x80) &&
				    !(w == 3 && (r < 0x800 || (r >= 0xD800 && r < 0xE000))) &&
				    !(w == 4 && (r < 0x10000 || r > 0x10FFFF));
			if (good)
				ok = tg_buf_add(&u, b.data + i, w) == TG_OK;
			else {
				ok = tg_rego_bi_put_rune(&u, 0xFFFD) == TG_OK;
				w = 1;
			}
			i += w;
		}
		if (ok) {
			*out = tg_arena_strndup(p->c->a, u.len ? (const char *)u.data : "", u.len);
			*outn = u.len;
			ok = *out != NULL;
		}
		tg_buf_release(&u);
	}
	tg_buf_release(&b);
	return ok;
}

static bool has_any(const char *s, size_t n, const char *set)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] && strchr(set, s[i]))
			return true;
	return false;
}

/* Go's underscoreOK: '_' only between digits or after a base prefix */
static bool underscore_ok(const char *s, size_t n)
{
	char saw = '^';
	size_t i = 0;
	bool hex = false;
	if (n >= 1 && (s[0] == '-' || s[0] == '+')) {
		s++;
		n--;
	}
	if (n >= 2 && s[0] == '0' && strchr("bBoOxX", s[1]) && s[1]) {
		i = 2;
		saw = '0';
		hex = s[1] == 'x' || s[1] == 'X';
	}
	for (; i < n; i++) {
		char c = s[i];
		if ((c >= '0' && c <= '9') ||
		    (hex && ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))) {
			saw = '0';
			continue;
		}
		if (c == '_') {
			if (saw != '0')
				return false;
			saw = '_';
			continue;
		}
		if (saw == '_')
			return false;
		saw = '!';
	}
	return saw != '_';
}

/* Go's strconv.ParseUint/ParseInt with base 0 (prefixes, underscores);
 * signed allows a sign. False on syntax error or overflow. */
static bool go_parse_int(const char *s, size_t n, bool signed_, int64_t *si, uint64_t *ui)
{
	bool neg = false;
	unsigned base = 10;
	uint64_t acc = 0;
	size_t i = 0, nd = 0;
	if (memchr(s, '_', n) && !underscore_ok(s, n))
		return false;
	if (i < n && (s[i] == '+' || s[i] == '-')) {
		if (!signed_)
			return false;
		neg = s[i] == '-';
		i++;
	}
	if (n - i >= 2 && s[i] == '0') {
		char c = s[i + 1];
		if (c == 'x' || c == 'X')
			base = 16;
		else if (c == 'o' || c == 'O')
			base = 8;
		else if (c == 'b' || c == 'B')
			base = 2;
		if (base != 10) {
			i += 2;
		} else {
			base = 8; /* a leading 0 */
			i++;
			nd++;
		}
	}
	for (; i < n; i++) {
		unsigned d;
		char c = s[i];
		if (c == '_')
			continue;
		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else
			return false;
		if (d >= base)
			return false;
		if (acc > (UINT64_MAX - d) / base)
			return false;
		acc = acc * base + d;
		nd++;
	}
	if (nd == 0)
		return false;
	if (!signed_) {
		*ui = acc;
		return true;
	}
	if (neg) {
		if (acc > (uint64_t)INT64_MAX + 1)
			return false;
		*si = (int64_t)(0 - acc);
	} else {
		if (acc > (uint64_t)INT64_MAX)
			return false;
		*si = (int64_t)acc;
	}
	return true;
}

/* Go's parse.newNumber */
static tg_err new_number(struct tpl *p, const struct tok *t, struct arg *a)
{
	char q[96];
	struct tg_buf qb = TG_BUF_INIT(256);
	a->k = A_NUM;
	if (t->t == T_COMPLEX || (t->t == T_NUMBER && t->n && t->v[t->n - 1] == 'i'))
		return perr(p, "complex constants are not supported");
	if (t->t == T_CHARCONST) {
		uint32_t r;
		bool byte;
		size_t i = 1;
		if (!unquote_char(t->v, t->n, &i, '\'', &r, &byte))
			return perr(p, "invalid syntax");
		if (i != t->n - 1)
			return perr(p, "malformed character constant: %.*s", (int)t->n, t->v);
		a->is_int = a->is_uint = a->is_float = a->is_rune = true;
		a->s = t->v;
		a->n = t->n;
		a->i = (int64_t)r;
		a->f = (double)r;
		return TG_OK;
	}
	{
		uint64_t u;
		int64_t i;
		if (go_parse_int(t->v, t->n, false, NULL, &u)) {
			a->is_uint = true;
			a->f = (double)u;
			a->is_float = true;
		}
		if (go_parse_int(t->v, t->n, true, &i, NULL)) {
			a->is_int = true;
			a->i = i;
			a->f = (double)i;
			a->is_float = true;
		}
	}
	if (!a->is_int && !a->is_uint) {
		/* ParseFloat: underscores only between digits, as Go allows */
		char buf[128];
		size_t k = 0;
		char *end;
		double f;
		for (size_t i = 0; i < t->n && k + 1 < sizeof(buf); i++)
			if (t->v[i] != '_')
				buf[k++] = t->v[i];
		buf[k] = 0;
		bool syn = k && t->n < sizeof(buf) && underscore_ok(t->v, t->n);
		f = syn ? strtod(buf, &end) : 0;
		if (syn && *end == 0 && isfinite(f) &&
		    !(has_any(buf, k, "xX") && !has_any(buf, k, "pP"))) {
			if (!has_any(t->v, t->n, ".eEpP")) {
				if (tg_rego_go_quote(&qb, t->v, t->n, false) == TG_OK)
					snprintf(q, sizeof(q), "%s", tg_buf_str(&qb));
				tg_buf_release(&qb);
				return perr(p, "integer overflow: %s", q);
			}
			a->is_float = true;
			a->f = f;
			if (f >= -9223372036854775808.0 && f < 9223372036854775808.0 &&
			    (double)(int64_t)f == f) {
				a->is_int = true;
				a->i = (int64_t)f;
			}
		}
	}
	if (!a->is_int && !a->is_uint && !a->is_float) {
		q[0] = 0;
		if (tg_rego_go_quote(&qb, t->v, t->n, false) == TG_OK)
			snprintf(q, sizeof(q), "%s", tg_buf_str(&qb));
		tg_buf_release(&qb);
		return perr(p, "illegal number syntax: %s", q);
	}
	a->s = t->v;
	a->n = t->n;
	return TG_OK;
}

/* splits ".a.b" or "$x.a" into identifiers (a variable keeps its '$') */
static tg_err split_ids(struct tpl *p, struct arg *a, const char *s, size_t n, bool var)
{
	size_t cnt = 0, i, k = 0;
	for (i = 0; i < n; i++)
		cnt += s[i] == '.';
	if (var)
		cnt++;
	a->ids = tg_arena_alloc_array(p->c->a, cnt ? cnt : 1, sizeof(*a->ids));
	a->idn = tg_arena_alloc_array(p->c->a, cnt ? cnt : 1, sizeof(*a->idn));
	if (!a->ids || !a->idn)
		return tg_rego_bi_fail(p->c, "template too large");
	i = 0;
	if (var) {
		size_t j = 0;
		while (j < n && s[j] != '.')
			j++;
		a->ids[k] = s;
		a->idn[k++] = j;
		i = j;
	}
	while (i < n) {
		size_t j = i + 1;
		while (j < n && s[j] != '.')
			j++;
		a->ids[k] = s + i + 1;
		a->idn[k++] = j - i - 1;
		i = j;
	}
	a->nid = k;
	return TG_OK;
}

static int find_fn(const char *s, size_t n)
{
	for (size_t i = 0; i < NFNS; i++)
		if (strlen(fns[i].name) == n && memcmp(fns[i].name, s, n) == 0)
			return (int)i;
	return -1;
}

static tg_err pipeline(struct tpl *p, const char *context, uint8_t end, struct pipe **out);

static tg_err use_var(struct tpl *p, const struct tok *t)
{
	size_t n = 0;
	while (n < t->n && t->v[n] != '.')
		n++;
	for (size_t i = p->npv; i-- > 0;)
		if (p->pv[i].n == n && memcmp(p->pv[i].s, t->v, n) == 0)
			return TG_OK;
	return perr(p, "undefined variable \"%.*s\"", (int)n, t->v);
}

static tg_err term(struct tpl *p, struct arg **out)
{
	struct tok *t = tnext_nonspace(p);
	struct arg *a;
	tg_err r;
	*out = NULL;
	switch (t->t) {
	case T_IDENT:
	case T_DOT:
	case T_NIL:
	case T_VAR:
	case T_FIELD:
	case T_BOOL:
	case T_CHARCONST:
	case T_COMPLEX:
	case T_NUMBER:
	case T_LPAREN:
	case T_STRING:
	case T_RAW:
		break;
	default:
		tbackup(p);
		return TG_OK;
	}
	NEW(p, a);
	a->pos = a->cpos = t->pos;
	a->end = t->pos + t->n;
	switch (t->t) {
	case T_IDENT:
		a->k = A_IDENT;
		a->s = t->v;
		a->n = t->n;
		a->fn = find_fn(t->v, t->n);
		if (a->fn < 0)
			return perr(p, "function \"%.*s\" not defined", (int)t->n, t->v);
		break;
	case T_DOT:
		a->k = A_DOT;
		break;
	case T_NIL:
		a->k = A_NIL;
		break;
	case T_VAR:
		if ((r = use_var(p, t)) != TG_OK)
			return r;
		a->k = A_VAR;
		if ((r = split_ids(p, a, t->v, t->n, true)) != TG_OK)
			return r;
		break;
	case T_FIELD:
		a->k = A_FIELD;
		if ((r = split_ids(p, a, t->v, t->n, false)) != TG_OK)
			return r;
		break;
	case T_BOOL:
		a->k = A_BOOL;
		a->b = t->n == 4;
		break;
	case T_CHARCONST:
	case T_COMPLEX:
	case T_NUMBER:
		if ((r = new_number(p, t, a)) != TG_OK)
			return r;
		break;
	case T_LPAREN:
		if (++p->depth > TG_LIMIT_TEMPLATE_DEPTH)
			return perr(p, "template nested too deeply");
		a->k = A_PIPE;
		if ((r = pipeline(p, "parenthesized pipeline", T_RPAREN, &a->pipe)) != TG_OK)
			return r;
		p->depth--;
		a->pos = a->pipe->pos;
		a->cpos = t->pos;
		a->end = p->toks[p->ti - 1].pos + 1;
		break;
	default: /* T_STRING, T_RAW */
		a->k = A_STR;
		if (!unquote(p, t, &a->s, &a->n))
			return perr(p, "invalid syntax");
		if (tg_json_new_string(p->c->a, a->s, a->n, &a->sj) != TG_OK)
			return tg_rego_bi_fail(p->c, "template too large");
		break;
	}
	*out = a;
	return TG_OK;
}

static tg_err operand(struct tpl *p, struct arg **out)
{
	struct arg *a, *ch;
	tg_err r;
	size_t start, fpos;
	if ((r = term(p, &a)) != TG_OK || !a) {
		*out = a;
		return r;
	}
	if (tpeek(p)->t != T_FIELD) {
		*out = a;
		return TG_OK;
	}
	start = a->pos;
	fpos = tpeek(p)->pos;
	while (tpeek(p)->t == T_FIELD)
		tnext(p);
	switch (a->k) {
	case A_FIELD:
	case A_VAR:
		/* the fields join the term's; Go positions the node at the
		 * first added field */
		a->pos = fpos;
		a->cpos = start;
		a->end = p->toks[p->ti - 1].pos + p->toks[p->ti - 1].n;
		if ((r = split_ids(p, a, p->src + start, a->end - start, a->k == A_VAR)) != TG_OK)
			return r;
		*out = a;
		return TG_OK;
	case A_BOOL:
	case A_STR:
	case A_NUM:
	case A_NIL:
	case A_DOT: {
		struct tg_buf q = TG_BUF_INIT(4096);
		tg_err qr = a->k == A_STR ? tg_rego_go_quote(&q, p->src + a->pos, a->end - a->pos, false)
					  : tg_buf_addc(&q, '"');
		if (qr == TG_OK && a->k != A_STR) {
			const char *w = a->k == A_BOOL ? (a->b ? "true" : "false")
					: a->k == A_NIL ? "nil"
					: a->k == A_DOT ? "."
							: NULL;
			qr = w ? tg_buf_adds(&q, w) : tg_buf_add(&q, p->src + a->pos, a->end - a->pos);
			if (qr == TG_OK)
				qr = tg_buf_addc(&q, '"');
		}
		r = perr(p, "unexpected . after term %s", qr == TG_OK ? tg_buf_str(&q) : "");
		tg_buf_release(&q);
		return r;
	}
	default:
		NEW(p, ch);
		ch->k = A_CHAIN;
		ch->base = a;
		ch->pos = fpos;
		ch->end = p->toks[p->ti - 1].pos + p->toks[p->ti - 1].n;
		if ((r = split_ids(p, ch, p->src + fpos, ch->end - fpos, false)) != TG_OK)
			return r;
		ch->cpos = a->cpos;
		*out = ch;
		return TG_OK;
	}
}

static tg_err command(struct tpl *p, struct cmd **out)
{
	struct cmd *c;
	size_t cap = 0;
	tg_err r;
	NEW(p, c);
	c->pos = tpeek_nonspace(p)->pos;
	for (;;) {
		struct arg *a = NULL;
		struct tok *t;
		tpeek_nonspace(p);
		if ((r = operand(p, &a)) != TG_OK)
			return r;
		if (a && (r = push_ptr(p, (void ***)&c->args, &c->nargs, &cap, a)) != TG_OK)
			return r;
		t = tnext(p);
		if (t->t == T_SPACE)
			continue;
		if (t->t == T_RDELIM || t->t == T_RPAREN)
			tbackup(p);
		else if (t->t != T_PIPE)
			return unexpected(p, t, "operand");
		break;
	}
	if (c->nargs == 0)
		return perr(p, "empty command");
	c->cpos = c->args[0]->cpos;
	c->end = c->args[c->nargs - 1]->end;
	*out = c;
	return TG_OK;
}

static tg_err decl_var(struct tpl *p, struct pipe *pp, const struct tok *v)
{
	if (pp->ndecl == 2)
		return perr(p, "too many declarations");
	pp->decl[pp->ndecl] = v->v;
	pp->decln[pp->ndecl++] = v->n;
	if (p->npv == p->pvcap) {
		size_t nc = p->pvcap ? p->pvcap * 2 : 16;
		void *nv = tg_arena_alloc_array(p->c->a, nc, sizeof(*p->pv));
		if (!nv)
			return tg_rego_bi_fail(p->c, "template too large");
		if (p->npv)
			memcpy(nv, p->pv, p->npv * sizeof(*p->pv));
		p->pv = nv;
		p->pvcap = nc;
	}
	p->pv[p->npv].s = v->v;
	p->pv[p->npv++].n = v->n;
	return TG_OK;
}

static tg_err pipeline(struct tpl *p, const char *context, uint8_t end, struct pipe **out)
{
	struct pipe *pp;
	size_t cap = 0;
	tg_err r;
	NEW(p, pp);
	pp->pos = tpeek_nonspace(p)->pos;
decls:
	if (tpeek_nonspace(p)->t == T_VAR) {
		size_t save = p->ti;
		struct tok *v = tnext_nonspace(p), *after = tpeek(p), *nx = tpeek_nonspace(p);
		if (nx->t == T_ASSIGN || nx->t == T_DECLARE) {
			pp->assign = nx->t == T_ASSIGN;
			tnext_nonspace(p);
			if ((r = decl_var(p, pp, v)) != TG_OK)
				return r;
		} else if (nx->t == T_CHAR && nx->v[0] == ',') {
			tnext_nonspace(p);
			if ((r = decl_var(p, pp, v)) != TG_OK)
				return r;
			if (strcmp(context, "range") == 0 && pp->ndecl < 2) {
				uint8_t k = tpeek_nonspace(p)->t;
				if (k == T_VAR || k == T_RDELIM || k == T_RPAREN)
					goto decls;
				return perr(p, "range can only initialize variables");
			}
			return perr(p, "too many declarations in %s", context);
		} else {
			(void)after;
			p->ti = save;
		}
	}
	for (;;) {
		struct tok *t = tnext_nonspace(p);
		struct cmd *c = NULL;
		if (t->t == end) {
			if (pp->ncmds == 0)
				return perr(p, "missing value for %s", context);
			for (size_t i = 1; i < pp->ncmds; i++) {
				uint8_t k = pp->cmds[i]->args[0]->k;
				if (k == A_BOOL || k == A_DOT || k == A_NIL || k == A_NUM || k == A_STR)
					return perr(p, "non executable command in pipeline stage %zu",
						    i + 1);
			}
			pp->end = t->pos;
			while (pp->end > pp->pos && is_space(p->src[pp->end - 1]))
				pp->end--;
			*out = pp;
			return TG_OK;
		}
		switch (t->t) {
		case T_BOOL:
		case T_CHARCONST:
		case T_COMPLEX:
		case T_DOT:
		case T_FIELD:
		case T_IDENT:
		case T_NUMBER:
		case T_NIL:
		case T_RAW:
		case T_STRING:
		case T_VAR:
		case T_LPAREN:
			tbackup(p);
			if ((r = command(p, &c)) != TG_OK)
				return r;
			if ((r = push_ptr(p, (void ***)&pp->cmds, &pp->ncmds, &cap, c)) != TG_OK)
				return r;
			break;
		default:
			return unexpected(p, t, context);
		}
	}
}

static tg_err list_until(struct tpl *p, struct list **out, struct node **term_);
static tg_err text_or_action(struct tpl *p, struct node **out);

/* if, range, with: the pipeline, the list, an optional else list */
static tg_err control(struct tpl *p, uint8_t kind, const char *context, struct node **out)
{
	struct node *n, *next;
	size_t saved = p->npv;
	tg_err r;
	NEW(p, n);
	n->k = kind;
	if (++p->depth > TG_LIMIT_TEMPLATE_DEPTH)
		return perr(p, "template nested too deeply");
	if ((r = pipeline(p, context, T_RDELIM, &n->pipe)) != TG_OK)
		return r;
	n->pos = n->pipe->pos;
	if (kind == N_RANGE)
		p->range_depth++;
	if ((r = list_until(p, &n->list, &next)) != TG_OK)
		return r;
	if (kind == N_RANGE)
		p->range_depth--;
	if (next->k == N_ELSE) {
		uint8_t pk = tpeek(p)->t;
		if ((kind == N_IF && pk == T_IF) || (kind == N_WITH && pk == T_WITH)) {
			struct node *inner;
			size_t cap = 0;
			tnext(p);
			NEW(p, n->elist);
			if ((r = control(p, kind, context, &inner)) != TG_OK)
				return r;
			if ((r = push_ptr(p, (void ***)&n->elist->nodes, &n->elist->n, &cap, inner)) !=
			    TG_OK)
				return r;
			n->elist->cap = cap;
		} else {
			if ((r = list_until(p, &n->elist, &next)) != TG_OK)
				return r;
			if (next->k != N_END)
				return perr(p, "expected end; found {{else}}");
		}
	}
	p->depth--;
	p->npv = saved;
	*out = n;
	return TG_OK;
}

static tg_err action(struct tpl *p, struct node **out)
{
	struct tok *t = tnext_nonspace(p);
	struct node *n;
	tg_err r;
	switch (t->t) {
	case T_BLOCK:
	case T_DEFINE:
	case T_TEMPLATE:
		return perr(p, "{{%.*s}} is not supported by strings.render_template in tollgate",
			    (int)t->n, t->v);
	case T_BREAK:
	case T_CONTINUE: {
		struct tok *k = tnext_nonspace(p);
		const char *w = t->t == T_BREAK ? "{{break}}" : "{{continue}}";
		if (k->t != T_RDELIM)
			return unexpected(p, k, w);
		if (p->range_depth == 0)
			return perr(p, "%s outside {{range}}", w);
		NEW(p, n);
		n->k = t->t == T_BREAK ? N_BREAK : N_CONTINUE;
		n->pos = t->pos;
		*out = n;
		return TG_OK;
	}
	case T_ELSE: {
		uint8_t pk = tpeek_nonspace(p)->t;
		NEW(p, n);
		n->k = N_ELSE;
		if (pk != T_IF && pk != T_WITH && (r = expect(p, T_RDELIM, "else", NULL)) != TG_OK)
			return r;
		*out = n;
		return TG_OK;
	}
	case T_END:
		if ((r = expect(p, T_RDELIM, "end", NULL)) != TG_OK)
			return r;
		NEW(p, n);
		n->k = N_END;
		*out = n;
		return TG_OK;
	case T_IF:
		return control(p, N_IF, "if", out);
	case T_RANGE:
		return control(p, N_RANGE, "range", out);
	case T_WITH:
		return control(p, N_WITH, "with", out);
	default:
		break;
	}
	tbackup(p);
	NEW(p, n);
	n->k = N_ACTION;
	n->pos = tpeek(p)->pos;
	if ((r = pipeline(p, "command", T_RDELIM, &n->pipe)) != TG_OK)
		return r;
	*out = n;
	return TG_OK;
}

static tg_err text_or_action(struct tpl *p, struct node **out)
{
	struct tok *t = tnext_nonspace(p);
	struct node *n;
	tg_err r;
	if (t->t == T_TEXT) {
		NEW(p, n);
		n->k = N_TEXT;
		n->pos = t->pos;
		n->s = t->v;
		n->n = t->n;
		*out = n;
		return TG_OK;
	}
	if (t->t == T_LDELIM) {
		size_t saved = p->action_line;
		p->action_line = t->line;
		r = action(p, out);
		p->action_line = saved;
		return r;
	}
	return unexpected(p, t, "input");
}

static tg_err list_until(struct tpl *p, struct list **out, struct node **term_)
{
	struct list *l;
	tg_err r;
	NEW(p, l);
	while (tpeek_nonspace(p)->t != T_EOF) {
		struct node *n;
		if ((r = text_or_action(p, &n)) != TG_OK)
			return r;
		if (n->k == N_END || n->k == N_ELSE) {
			*out = l;
			*term_ = n;
			return TG_OK;
		}
		if ((r = push_ptr(p, (void ***)&l->nodes, &l->n, &l->cap, n)) != TG_OK)
			return r;
	}
	return perr(p, "unexpected EOF");
}

static tg_err parse(struct tpl *p, struct list **out)
{
	struct list *root;
	tg_err r;
	NEW(p, root);
	while (tpeek(p)->t != T_EOF) {
		struct node *n;
		if ((r = text_or_action(p, &n)) != TG_OK)
			return r;
		if (n->k == N_END)
			return perr(p, "unexpected {{end}}");
		if (n->k == N_ELSE)
			return perr(p, "unexpected {{else}}");
		if ((r = push_ptr(p, (void ***)&root->nodes, &root->n, &root->cap, n)) != TG_OK)
			return r;
	}
	*out = root;
	return TG_OK;
}

/* ------------------------------------------------------------------ */
/* Values                                                              */
/* ------------------------------------------------------------------ */

static struct val vj(const struct tg_json *j, bool iface)
{
	struct val v = {V_JSON, iface, j, 0, 0};
	return v;
}

static struct val vint(int64_t i)
{
	struct val v = {V_INT, false, NULL, i, 0};
	return v;
}

static struct val vinvalid(void)
{
	struct val v = {V_INVALID, false, NULL, 0, 0};
	return v;
}

/* reflect's indirectInterface, and the pipeline's unwrapping of any */
static struct val unwrap(struct val v)
{
	if (v.k == V_JSON && v.iface) {
		v.iface = false;
		if (v.j->type == TG_JSON_NULL)
			v.k = V_INVALID;
	}
	return v;
}

/* the dynamic Go type */
static const char *dyn_type(const struct val *v)
{
	if (v->k == V_INT)
		return "int";
	if (v->k == V_FLOAT)
		return "float64";
	if (v->k == V_INVALID)
		return "<nil>";
	switch (v->j->type) {
	case TG_JSON_BOOL:
		return "bool";
	case TG_JSON_NUMBER:
		return "json.Number";
	case TG_JSON_STRING:
		return "string";
	case TG_JSON_ARRAY:
		return "[]interface {}";
	case TG_JSON_OBJECT:
		return "map[string]interface {}";
	default:
		return "<nil>";
	}
}

/* the static type reflect reports before unwrapping */
static const char *stat_type(const struct val *v)
{
	return v->iface ? "interface {}" : dyn_type(v);
}

static bool truth(const struct val *v)
{
	switch (v->k) {
	case V_INT:
		return v->i != 0;
	case V_FLOAT:
		return v->f != 0;
	case V_INVALID:
		return false;
	default:
		break;
	}
	switch (v->j->type) {
	case TG_JSON_BOOL:
		return v->j->u.b;
	case TG_JSON_NUMBER:
	case TG_JSON_STRING:
		return v->j->u.s.len > 0;
	case TG_JSON_ARRAY:
		return v->j->u.a.len > 0;
	case TG_JSON_OBJECT:
		return v->j->u.o.len > 0;
	default:
		return false;
	}
}

static bool is_stringish(const struct val *v)
{
	return v->k == V_JSON && (v->j->type == TG_JSON_STRING || v->j->type == TG_JSON_NUMBER);
}

/* ------------------------------------------------------------------ */
/* fmt: Go's %v and friends over these values                          */
/* ------------------------------------------------------------------ */

struct ff {
	bool minus, plus, sharp, zero, space, wid_set, prec_set;
	int wid, prec;
};

static size_t runes_of(const char *s, size_t n)
{
	return tg_rego_bi_runes(s, n);
}

/* fmt.pad: width in runes, spaces (or zeros for numbers) */
static tg_err pad(struct tg_buf *b, const struct ff *f, const char *s, size_t n)
{
	size_t w = runes_of(s, n);
	tg_err r = TG_OK;
	if (!f->wid_set || (size_t)f->wid <= w)
		return tg_buf_add(b, s, n);
	if (f->minus) {
		if ((r = tg_buf_add(b, s, n)) != TG_OK)
			return r;
	}
	for (size_t i = w; i < (size_t)f->wid && r == TG_OK; i++)
		r = tg_buf_addc(b, ' ');
	if (r == TG_OK && !f->minus)
		r = tg_buf_add(b, s, n);
	return r;
}

/* a number's text with sign, zero padding after the sign */
static tg_err pad_num(struct tg_buf *b, const struct ff *f, const char *s, size_t n)
{
	tg_err r = TG_OK;
	if (f->zero && !f->minus && f->wid_set && (size_t)f->wid > n) {
		size_t sign = n && (s[0] == '-' || s[0] == '+' || s[0] == ' ');
		if (sign && (r = tg_buf_addc(b, (uint8_t)s[0])) != TG_OK)
			return r;
		for (size_t i = n; i < (size_t)f->wid && r == TG_OK; i++)
			r = tg_buf_addc(b, '0');
		return r == TG_OK ? tg_buf_add(b, s + sign, n - sign) : r;
	}
	return pad(b, f, s, n);
}

static tg_err fmt_val(struct tg_buf *b, const struct ff *f, const struct val *v, uint32_t verb,
		      int depth);

static bool verb_in(const char *set, uint32_t verb)
{
	return verb > 0 && verb < 0x80 && strchr(set, (int)verb) != NULL;
}

static tg_err bad_verb(struct tg_buf *b, const struct val *v, uint32_t verb)
{
	struct ff plain = {0};
	tg_err r;
	if ((r = tg_buf_adds(b, "%!")) != TG_OK || (r = tg_rego_bi_put_rune(b, verb)) != TG_OK ||
	    (r = tg_buf_addc(b, '(')) != TG_OK)
		return r;
	if (v->k == V_INVALID || (v->k == V_JSON && v->j->type == TG_JSON_NULL)) {
		r = tg_buf_adds(b, "<nil>");
	} else {
		struct val u = unwrap(*v);
		if ((r = tg_buf_adds(b, dyn_type(&u))) != TG_OK || (r = tg_buf_addc(b, '=')) != TG_OK)
			return r;
		r = fmt_val(b, &plain, &u, 'v', 0);
	}
	return r == TG_OK ? tg_buf_addc(b, ')') : r;
}

static tg_err fmt_str(struct tg_buf *b, const struct ff *f, const char *s, size_t n, uint32_t verb)
{
	tg_err r;
	if (f->prec_set && verb != 'x' && verb != 'X') {
		size_t i = 0, k = 0;
		while (i < n && k < (size_t)f->prec) {
			uint32_t ru;
			i += tg_rego_bi_rune(s + i, n - i, &ru);
			k++;
		}
		n = i;
	}
	switch (verb) {
	case 'v':
	case 's':
		return pad(b, f, s, n);
	case 'q': {
		struct tg_buf q = TG_BUF_INIT(TG_LIMIT_TEMPLATE_OUT);
		r = tg_rego_go_quote(&q, s, n, f->plus);
		if (r == TG_OK)
			r = pad(b, f, (const char *)q.data, q.len);
		tg_buf_release(&q);
		return r;
	}
	default: { /* x, X */
		const char *hx = verb == 'x' ? "0123456789abcdef" : "0123456789ABCDEF";
		struct tg_buf q = TG_BUF_INIT(TG_LIMIT_TEMPLATE_OUT);
		if (f->prec_set && (size_t)f->prec < n)
			n = (size_t)f->prec;
		r = TG_OK;
		for (size_t i = 0; i < n && r == TG_OK; i++) {
			if (f->space && i > 0)
				r = tg_buf_addc(&q, ' ');
			if (r == TG_OK && f->sharp && (f->space || i == 0))
				r = tg_buf_adds(&q, verb == 'x' ? "0x" : "0X");
			if (r == TG_OK)
				r = tg_buf_addc(&q, (uint8_t)hx[(unsigned char)s[i] >> 4]);
			if (r == TG_OK)
				r = tg_buf_addc(&q, (uint8_t)hx[(unsigned char)s[i] & 15]);
		}
		if (r == TG_OK)
			r = pad(b, f, q.len ? (const char *)q.data : "", q.len);
		tg_buf_release(&q);
		return r;
	}
	}
}

static tg_err fmt_int(struct tg_buf *b, const struct ff *f, int64_t x, uint32_t verb)
{
	char digs[80], out[96];
	unsigned base = 10;
	const char *hx = "0123456789abcdefx";
	uint64_t u = x < 0 ? 0 - (uint64_t)x : (uint64_t)x;
	size_t nd = 0, on = 0;
	int prec = f->prec_set ? f->prec : 1;
	switch (verb) {
	case 'c': {
		struct tg_buf q = TG_BUF_INIT(8);
		tg_err r = tg_rego_bi_put_rune(&q, x < 0 || x > 0x10FFFF ? 0xFFFD : (uint32_t)x);
		if (r == TG_OK)
			r = pad(b, f, (const char *)q.data, q.len);
		tg_buf_release(&q);
		return r;
	}
	case 'q': {
		struct tg_buf q = TG_BUF_INIT(32), s = TG_BUF_INIT(8);
		tg_err r = tg_rego_bi_put_rune(&s, x < 0 || x > 0x10FFFF ? 0xFFFD : (uint32_t)x);
		if (r == TG_OK)
			r = tg_rego_go_quote(&q, (const char *)s.data, s.len, f->plus);
		if (r == TG_OK) {
			q.data[0] = '\'';
			q.data[q.len - 1] = '\'';
			r = pad(b, f, (const char *)q.data, q.len);
		}
		tg_buf_release(&q);
		tg_buf_release(&s);
		return r;
	}
	case 'U': {
		int n = snprintf(out, sizeof(out), "U+%04" PRIX64, (uint64_t)x);
		return pad(b, f, out, (size_t)n);
	}
	case 'b':
		base = 2;
		break;
	case 'o':
	case 'O':
		base = 8;
		break;
	case 'x':
		base = 16;
		break;
	case 'X':
		base = 16;
		hx = "0123456789ABCDEFX";
		break;
	default:
		break;
	}
	if (f->zero && f->wid_set && !f->minus && !f->prec_set) {
		prec = f->wid;
		if (x < 0 || f->plus || f->space)
			prec--;
	}
	if (prec > 64)
		prec = 64;
	if (u == 0 && f->prec_set && f->prec == 0) {
		nd = 0;
	} else {
		do {
			digs[nd++] = hx[u % base];
			u /= base;
		} while (u);
	}
	while (nd < (size_t)prec)
		digs[nd++] = '0';
	if (f->sharp && base == 8 && (nd == 0 || digs[nd - 1] != '0'))
		digs[nd++] = '0';
	if (verb == 'O') {
		digs[nd++] = 'o';
		digs[nd++] = '0';
	} else if (f->sharp && base == 16) {
		digs[nd++] = hx[16];
		digs[nd++] = '0';
	} else if (f->sharp && base == 2) {
		digs[nd++] = 'b';
		digs[nd++] = '0';
	}
	if (x < 0)
		out[on++] = '-';
	else if (f->plus)
		out[on++] = '+';
	else if (f->space)
		out[on++] = ' ';
	while (nd)
		out[on++] = digs[--nd];
	{
		struct ff g = *f;
		g.zero = false; /* zeros went into the digits */
		return pad(b, &g, out, on);
	}
}

static tg_err fmt_float(struct tg_buf *b, const struct ff *f, double x, uint32_t verb)
{
	struct tg_buf q = TG_BUF_INIT(1024);
	char cf[16];
	tg_err r = TG_OK;
	int prec = f->prec_set ? f->prec : -1;
	if (verb == 'v')
		verb = 'g';
	if (prec < 0 && (verb == 'e' || verb == 'E' || verb == 'f' || verb == 'F'))
		prec = 6;
	if (prec > 300)
		prec = 300;
	if (f->plus && !signbit(x))
		r = tg_buf_addc(&q, '+');
	else if (f->space && !signbit(x))
		r = tg_buf_addc(&q, ' ');
	if (r == TG_OK) {
		if ((verb == 'g' || verb == 'G') && prec < 0) {
			size_t st = q.len;
			r = tg_rego_go_float(&q, x);
			if (r == TG_OK && verb == 'G')
				for (size_t i = st; i < q.len; i++)
					if (q.data[i] == 'e')
						q.data[i] = 'E';
		} else {
			char num[400];
			int n;
			snprintf(cf, sizeof(cf), "%%.%d%c", prec, verb == 'F' ? 'f' : (char)verb);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
			n = snprintf(num, sizeof(num), cf, x);
#pragma GCC diagnostic pop
			if (n < 0 || (size_t)n >= sizeof(num))
				n = 0;
			r = tg_buf_add(&q, num, (size_t)n);
		}
	}
	if (r == TG_OK)
		r = pad_num(b, f, (const char *)q.data, q.len);
	tg_buf_release(&q);
	return r;
}

static tg_err fmt_val(struct tg_buf *b, const struct ff *f, const struct val *vin, uint32_t verb,
		      int depth)
{
	struct val v = unwrap(*vin);
	tg_err r = TG_OK;
	if (verb == 'T' && depth == 0)
		return pad(b, f, dyn_type(&v), strlen(dyn_type(&v)));
	if (v.k == V_INVALID) {
		if (depth > 0 || verb == 'v')
			return pad(b, f, "<nil>", 5);
		return bad_verb(b, &v, verb);
	}
	if (v.k == V_INT) {
		if (verb_in("vdbcoOqxXU", verb))
			return fmt_int(b, f, v.i, verb == 'v' ? 'd' : verb);
		return bad_verb(b, &v, verb);
	}
	if (v.k == V_FLOAT) {
		if (verb_in("veEfFgG", verb))
			return fmt_float(b, f, v.f, verb);
		return bad_verb(b, &v, verb);
	}
	switch (v.j->type) {
	case TG_JSON_BOOL:
		if (verb == 'v' || verb == 't')
			return pad(b, f, v.j->u.b ? "true" : "false", v.j->u.b ? 4 : 5);
		return bad_verb(b, &v, verb);
	case TG_JSON_NUMBER:
	case TG_JSON_STRING:
		if (verb_in("vsqxX", verb))
			return fmt_str(b, f, v.j->u.s.p, v.j->u.s.len, verb);
		return bad_verb(b, &v, verb);
	case TG_JSON_ARRAY:
		if ((r = tg_buf_addc(b, '[')) != TG_OK)
			return r;
		for (size_t i = 0; i < v.j->u.a.len && r == TG_OK; i++) {
			struct val e = vj(v.j->u.a.items[i], true);
			if (i > 0)
				r = tg_buf_addc(b, ' ');
			if (r == TG_OK)
				r = fmt_val(b, f, &e, verb, depth + 1);
		}
		return r == TG_OK ? tg_buf_addc(b, ']') : r;
	case TG_JSON_OBJECT:
		if ((r = tg_buf_adds(b, "map[")) != TG_OK)
			return r;
		for (size_t i = 0; i < v.j->u.o.len && r == TG_OK; i++) {
			struct val k = vj(v.j->u.o.items[i].key, false);
			struct val e = vj(v.j->u.o.items[i].val, true);
			if (i > 0)
				r = tg_buf_addc(b, ' ');
			if (r == TG_OK)
				r = fmt_val(b, f, &k, verb, depth + 1);
			if (r == TG_OK)
				r = tg_buf_addc(b, ':');
			if (r == TG_OK)
				r = fmt_val(b, f, &e, verb, depth + 1);
		}
		return r == TG_OK ? tg_buf_addc(b, ']') : r;
	default:
		return pad(b, f, "<nil>", 5);
	}
}

/* fmt.Sprint (ln: Sprintln) */
static tg_err go_sprint(struct tg_buf *b, const struct val *args, size_t n, bool ln)
{
	struct ff f = {0};
	bool prev_str = false;
	tg_err r = TG_OK;
	for (size_t i = 0; i < n && r == TG_OK; i++) {
		struct val u = unwrap(args[i]);
		bool is_str = is_stringish(&u);
		if (i > 0 && (ln || (!is_str && !prev_str)))
			r = tg_buf_addc(b, ' ');
		if (r == TG_OK)
			r = fmt_val(b, &f, &u, 'v', 0);
		prev_str = is_str;
	}
	if (r == TG_OK && ln)
		r = tg_buf_addc(b, '\n');
	return r;
}

static bool parse_num(const char *s, size_t n, size_t *i, int *out)
{
	size_t st = *i;
	long v = 0;
	while (*i < n && s[*i] >= '0' && s[*i] <= '9') {
		v = v * 10 + (s[*i] - '0');
		if (v > 1000000) /* Go's tooLarge */
			return false;
		(*i)++;
	}
	*out = (int)v;
	return *i > st;
}

/* fmt.Sprintf without argument indexes ("%[1]d" prints %!d(BADINDEX)) */
static tg_err go_sprintf(struct tg_buf *b, const char *s, size_t n, const struct val *args,
			 size_t nargs)
{
	size_t i = 0, an = 0;
	tg_err r = TG_OK;
	while (i < n && r == TG_OK) {
		struct ff f = {0};
		uint32_t verb;
		size_t st = i;
		bool bad_index = false;
		while (i < n && s[i] != '%')
			i++;
		if (i > st && (r = tg_buf_add(b, s + st, i - st)) != TG_OK)
			return r;
		if (i >= n)
			break;
		i++;
		for (; i < n; i++) {
			char c = s[i];
			if (c == '#')
				f.sharp = true;
			else if (c == '0')
				f.zero = !f.minus;
			else if (c == '+')
				f.plus = true;
			else if (c == '-') {
				f.minus = true;
				f.zero = false;
			} else if (c == ' ')
				f.space = true;
			else
				break;
		}
		if (i < n && s[i] == '[') {
			bad_index = true;
			while (i < n && s[i] != ']')
				i++;
			if (i < n)
				i++;
		}
		if (i < n && s[i] == '*') {
			i++;
			if (an < nargs && unwrap(args[an]).k == V_INT) {
				int64_t w = unwrap(args[an]).i;
				f.wid_set = w >= -1000000 && w <= 1000000;
				f.wid = (int)(w < 0 ? -w : w);
				if (w < 0) {
					f.minus = true;
					f.zero = false;
				}
			}
			if (an < nargs)
				an++;
			if (!f.wid_set && (r = tg_buf_adds(b, "%!(BADWIDTH)")) != TG_OK)
				return r;
		} else {
			f.wid_set = parse_num(s, n, &i, &f.wid);
		}
		if (i + 1 < n && s[i] == '.') {
			i++;
			if (s[i] == '*') {
				i++;
				if (an < nargs && unwrap(args[an]).k == V_INT) {
					int64_t w = unwrap(args[an]).i;
					f.prec_set = w >= 0 && w <= 1000000;
					f.prec = f.prec_set ? (int)w : 0;
				}
				if (an < nargs)
					an++;
				if (!f.prec_set && (r = tg_buf_adds(b, "%!(BADPREC)")) != TG_OK)
					return r;
			} else {
				if (!parse_num(s, n, &i, &f.prec))
					f.prec = 0;
				f.prec_set = true;
			}
		}
		if (i >= n) {
			r = tg_buf_adds(b, "%!(NOVERB)");
			break;
		}
		i += tg_rego_bi_rune(s + i, n - i, &verb);
		if (verb == '%') {
			r = tg_buf_addc(b, '%');
			continue;
		}
		if (bad_index || an >= nargs) {
			if ((r = tg_buf_adds(b, "%!")) == TG_OK && (r = tg_rego_bi_put_rune(b, verb)) == TG_OK)
				r = tg_buf_adds(b, bad_index ? "(BADINDEX)" : "(MISSING)");
			continue;
		}
		if (verb == 'v') {
			f.sharp = false;
			f.plus = false;
		}
		r = fmt_val(b, &f, &args[an++], verb, 0);
	}
	if (r == TG_OK && an < nargs) {
		struct ff f = {0};
		r = tg_buf_adds(b, "%!(EXTRA ");
		for (size_t k = an; k < nargs && r == TG_OK; k++) {
			struct val u = unwrap(args[k]);
			if (k > an)
				r = tg_buf_adds(b, ", ");
			if (r != TG_OK)
				break;
			if (u.k == V_INVALID) {
				r = tg_buf_adds(b, "<nil>");
				continue;
			}
			if ((r = tg_buf_adds(b, dyn_type(&u))) == TG_OK && (r = tg_buf_addc(b, '=')) == TG_OK)
				r = fmt_val(b, &f, &u, 'v', 0);
		}
		if (r == TG_OK)
			r = tg_buf_addc(b, ')');
	}
	return r;
}

/* a value's %v form for messages, cut short if long */
static const char *vstr(struct tpl *p, const struct val *v)
{
	struct tg_buf b = TG_BUF_INIT(256);
	struct ff f = {0};
	char *s;
	if (fmt_val(&b, &f, v, 'v', 0) != TG_OK && b.len == 0) {
		tg_buf_release(&b);
		return "?";
	}
	s = tg_arena_strndup(p->c->a, b.len ? (const char *)b.data : "", b.len);
	tg_buf_release(&b);
	return s ? s : "?";
}

static const char *qstr(struct tpl *p, const char *s, size_t n)
{
	struct tg_buf b = TG_BUF_INIT(1024);
	char *o = NULL;
	if (tg_rego_go_quote(&b, s, n, false) == TG_OK)
		o = tg_arena_strndup(p->c->a, (const char *)b.data, b.len);
	tg_buf_release(&b);
	return o ? o : "\"?\"";
}

/* ------------------------------------------------------------------ */
/* Executor (text/template/exec.go's evaluation rules)                 */
/* ------------------------------------------------------------------ */

static tg_err eval_pipe(struct tpl *p, const struct val *dot, const struct pipe *pp,
			struct val *out);
static tg_err eval_arg(struct tpl *p, const struct val *dot, uint8_t want, const struct arg *a,
		       struct val *out);

/* Go positions ".a.b" at ".b" but quotes all of it */
static void at_arg(struct tpl *p, const struct arg *a)
{
	at(p, a->pos, a->cpos, a->end);
}

static tg_err push_var(struct tpl *p, const char *s, size_t n, struct val v)
{
	if (p->nv == p->vcap) {
		size_t nc = p->vcap ? p->vcap * 2 : 16;
		struct var *nv = tg_arena_alloc_array(p->c->a, nc, sizeof(*nv));
		if (!nv)
			return tg_rego_bi_fail(p->c, "template too large");
		if (p->nv)
			memcpy(nv, p->vars, p->nv * sizeof(*nv));
		p->vars = nv;
		p->vcap = nc;
	}
	p->vars[p->nv].s = s;
	p->vars[p->nv].n = n;
	p->vars[p->nv++].v = v;
	return TG_OK;
}

static struct var *find_var(struct tpl *p, const char *s, size_t n)
{
	for (size_t i = p->nv; i-- > 0;)
		if (p->vars[i].n == n && memcmp(p->vars[i].s, s, n) == 0)
			return &p->vars[i];
	return NULL;
}

/* Go's evalField on one map key */
static tg_err eval_field(struct tpl *p, const char *name, size_t nn, bool has_args,
			 const struct val *recv, struct val *out)
{
	struct val u;
	if (recv->k == V_INVALID)
		return xerr(p, "nil data; no entry for key %s", qstr(p, name, nn));
	if (recv->k == V_JSON && recv->iface && recv->j->type == TG_JSON_NULL)
		return xerr(p, "nil pointer evaluating %s.%.*s", stat_type(recv), (int)nn, name);
	u = unwrap(*recv);
	if (u.k == V_JSON && u.j->type == TG_JSON_OBJECT) {
		const struct tg_json *e;
		if (has_args)
			return xerr(p, "%.*s is not a method but has arguments", (int)nn, name);
		e = tg_json_getn(u.j, name, nn);
		if (!e)
			return xerr(p, "map has no entry for key %s", qstr(p, name, nn));
		*out = vj(e, true);
		return TG_OK;
	}
	return xerr(p, "can't evaluate field %.*s in type %s", (int)nn, name, stat_type(recv));
}

static tg_err eval_field_chain(struct tpl *p, const struct val *recv, const char *const *ids,
			       const size_t *idn, size_t nid, bool has_args, struct val *out)
{
	struct val cur = *recv;
	tg_err r;
	for (size_t i = 0; i < nid; i++) {
		struct val next = {0};
		if ((r = eval_field(p, ids[i], idn[i], i + 1 == nid && has_args, &cur, &next)) !=
		    TG_OK)
			return r;
		cur = next;
	}
	*out = cur;
	return TG_OK;
}

static tg_err not_a_function(struct tpl *p, const struct arg *const *args, size_t nargs,
			     bool final)
{
	if (nargs > 1 || final) {
		const struct arg *a = args[0];
		if (a->k == A_PIPE)
			return xerr(p, "can't give argument to non-function %.*s",
				    (int)(a->pipe->end - a->pipe->pos), p->src + a->pipe->pos);
		return xerr(p, "can't give argument to non-function %.*s", (int)(a->end - a->cpos),
			    p->src + a->cpos);
	}
	return TG_OK;
}

static tg_err eval_var(struct tpl *p, const struct arg *a, const struct arg *const *args,
		       size_t nargs, bool final, struct val *out)
{
	struct var *v;
	at_arg(p, a);
	v = find_var(p, a->ids[0], a->idn[0]);
	if (!v)
		return xerr(p, "undefined variable: %.*s", (int)a->idn[0], a->ids[0]);
	if (a->nid == 1) {
		tg_err r = args ? not_a_function(p, args, nargs, final) : TG_OK;
		if (r == TG_OK)
			*out = v->v;
		return r;
	}
	return eval_field_chain(p, &v->v, a->ids + 1, a->idn + 1, a->nid - 1, nargs > 1 || final,
				out);
}

static tg_err eval_chain(struct tpl *p, const struct val *dot, const struct arg *a, size_t nargs,
			 bool final, struct val *out)
{
	struct val base;
	tg_err r;
	at_arg(p, a);
	if (a->base->k == A_NIL)
		return xerr(p, "indirection through explicit nil in %.*s", (int)(a->end - a->cpos),
			    p->src + a->cpos);
	if ((r = eval_arg(p, dot, W_NONE, a->base, &base)) != TG_OK)
		return r;
	return eval_field_chain(p, &base, a->ids, a->idn, a->nid, nargs > 1 || final, out);
}

static bool is_hex_int(const char *s, size_t n)
{
	return n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && !has_any(s, n, "pP");
}

/* Go's idealConstant: an untyped constant becomes an int or a float64 */
static tg_err ideal_constant(struct tpl *p, const struct arg *a, struct val *out)
{
	at_arg(p, a);
	if (a->is_float && !is_hex_int(a->s, a->n) && !(a->n && a->s[0] == '\'') &&
	    has_any(a->s, a->n, ".eEpP")) {
		struct val v = {V_FLOAT, false, NULL, 0, a->f};
		*out = v;
		return TG_OK;
	}
	if (a->is_int) {
		*out = vint(a->i);
		return TG_OK;
	}
	if (a->is_uint)
		return xerr(p, "%.*s overflows int", (int)a->n, a->s);
	*out = vinvalid();
	return TG_OK;
}

/* Go's validateType for the parameter kinds the functions have */
static tg_err validate(struct tpl *p, struct val v, uint8_t want, struct val *out)
{
	if (v.k == V_INVALID) {
		if (want == W_VALUE)
			return xerr(p, "invalid value; expected reflect.Value");
		if (want == W_STRING)
			return xerr(p, "invalid value; expected string");
		*out = v;
		return TG_OK;
	}
	if (want == W_STRING) {
		struct val u = unwrap(v);
		if (u.k == V_JSON && u.j->type == TG_JSON_STRING) {
			*out = u;
			return TG_OK;
		}
		return xerr(p, "wrong type for value; expected string; got %s",
			    v.iface && v.j->type == TG_JSON_NULL ? "interface {}" : dyn_type(&u));
	}
	*out = v;
	return TG_OK;
}

static tg_err eval_fn(struct tpl *p, const struct val *dot, const struct arg *ident,
		      const struct cmd *cmd, const struct val *final, struct val *out);

static tg_err eval_arg(struct tpl *p, const struct val *dot, uint8_t want, const struct arg *a,
		       struct val *out)
{
	struct val v;
	tg_err r;
	at_arg(p, a);
	switch (a->k) {
	case A_DOT:
		return validate(p, *dot, want, out);
	case A_NIL:
		/* reflect.Value can be nil: the zero Value */
		if (want == W_STRING)
			return xerr(p, "cannot assign nil to string");
		*out = vinvalid();
		return TG_OK;
	case A_FIELD:
		r = eval_field_chain(p, dot, a->ids, a->idn, a->nid, false, &v);
		return r == TG_OK ? validate(p, v, want, out) : r;
	case A_VAR:
		r = eval_var(p, a, NULL, 0, false, &v);
		return r == TG_OK ? validate(p, v, want, out) : r;
	case A_PIPE:
		r = eval_pipe(p, dot, a->pipe, &v);
		return r == TG_OK ? validate(p, v, want, out) : r;
	case A_IDENT:
		r = eval_fn(p, dot, a, NULL, NULL, &v);
		return r == TG_OK ? validate(p, v, want, out) : r;
	case A_CHAIN:
		r = eval_chain(p, dot, a, 0, false, &v);
		return r == TG_OK ? validate(p, v, want, out) : r;
	default:
		break;
	}
	if (want == W_STRING) {
		if (a->k == A_STR) {
			*out = vj(a->sj, false);
			return TG_OK;
		}
		return xerr(p, "expected string; found %.*s", (int)(a->end - a->cpos),
			    p->src + a->cpos);
	}
	switch (a->k) {
	case A_BOOL:
		*out = vj(tg_json_bool(a->b), false);
		return TG_OK;
	case A_NUM:
		return ideal_constant(p, a, out);
	default: /* A_STR */
		*out = vj(a->sj, false);
		return TG_OK;
	}
}

/* ---- the predefined functions ---- */

enum bkind { K_INVALID, K_BOOL, K_INT, K_FLOAT, K_STRING };

static uint8_t basic_kind(const struct val *v)
{
	if (v->k == V_INT)
		return K_INT;
	if (v->k == V_FLOAT)
		return K_FLOAT;
	if (v->k != V_JSON)
		return K_INVALID;
	if (v->j->type == TG_JSON_BOOL)
		return K_BOOL;
	if (v->j->type == TG_JSON_STRING || v->j->type == TG_JSON_NUMBER)
		return K_STRING;
	return K_INVALID;
}

static int str_cmp(const struct val *a, const struct val *b)
{
	size_t n = a->j->u.s.len < b->j->u.s.len ? a->j->u.s.len : b->j->u.s.len;
	int c = n ? memcmp(a->j->u.s.p, b->j->u.s.p, n) : 0;
	if (c)
		return c;
	return a->j->u.s.len < b->j->u.s.len ? -1 : a->j->u.s.len > b->j->u.s.len;
}

/* eq: sets *res, or returns a message */
static const char *fn_eq(struct tpl *p, const struct val *a1in, const struct val *rest, size_t n,
			 bool *res)
{
	struct val a1 = unwrap(*a1in);
	uint8_t k1 = basic_kind(&a1);
	*res = false;
	if (n == 0)
		return "missing argument for comparison";
	for (size_t i = 0; i < n; i++) {
		struct val a = unwrap(rest[i]);
		uint8_t k2 = basic_kind(&a);
		bool t = false;
		if (k1 != k2) {
			if (a1.k != V_INVALID && a.k != V_INVALID)
				return "incompatible types for comparison";
		} else {
			switch (k1) {
			case K_BOOL:
				t = a1.j->u.b == a.j->u.b;
				break;
			case K_INT:
				t = a1.i == a.i;
				break;
			case K_FLOAT:
				t = a1.f == a.f;
				break;
			case K_STRING:
				t = str_cmp(&a1, &a) == 0;
				break;
			default:
				if (a1.k == V_INVALID || a.k == V_INVALID) {
					t = a1.k == a.k;
					break;
				}
				if (a1.j->type != a.j->type) {
					const char *m = NULL;
					char buf[TG_DIAG_MSG_MAX];
					snprintf(buf, sizeof(buf), "non-comparable types %s: %s, %s: %s",
						 vstr(p, &a1), dyn_type(&a1), dyn_type(&a),
						 vstr(p, &a));
					m = tg_arena_strndup(p->c->a, buf, strlen(buf));
					return m ? m : "non-comparable types";
				} else {
					const char *m;
					char buf[TG_DIAG_MSG_MAX];
					snprintf(buf, sizeof(buf), "non-comparable type %s: %s",
						 vstr(p, &a), dyn_type(&a));
					m = tg_arena_strndup(p->c->a, buf, strlen(buf));
					return m ? m : "non-comparable type";
				}
			}
		}
		if (t) {
			*res = true;
			return NULL;
		}
	}
	return NULL;
}

static const char *fn_lt(const struct val *a1in, const struct val *a2in, bool *res)
{
	struct val a1 = unwrap(*a1in), a2 = unwrap(*a2in);
	uint8_t k1 = basic_kind(&a1), k2 = basic_kind(&a2);
	*res = false;
	if (k1 == K_INVALID || k2 == K_INVALID)
		return "invalid type for comparison";
	if (k1 != k2)
		return "incompatible types for comparison";
	switch (k1) {
	case K_BOOL:
		return "invalid type for comparison";
	case K_INT:
		*res = a1.i < a2.i;
		break;
	case K_FLOAT:
		*res = a1.f < a2.f;
		break;
	default:
		*res = str_cmp(&a1, &a2) < 0;
		break;
	}
	return NULL;
}

/* the length of a string, array or map value (after unwrapping) */
static size_t vlen(const struct val *u)
{
	if (u->j->type == TG_JSON_ARRAY)
		return u->j->u.a.len;
	if (u->j->type == TG_JSON_OBJECT)
		return u->j->u.o.len;
	return u->j->u.s.len;
}

static bool has_len(const struct val *u)
{
	return u->k == V_JSON && (u->j->type == TG_JSON_ARRAY || u->j->type == TG_JSON_OBJECT ||
				  u->j->type == TG_JSON_STRING || u->j->type == TG_JSON_NUMBER);
}

/* Go's indexArg */
static const char *index_arg(struct tpl *p, const struct val *in, size_t cap, int64_t *x)
{
	struct val v = unwrap(*in);
	char buf[160];
	const char *m;
	if (v.k == V_INVALID)
		return "cannot index slice/array with nil";
	if (v.k != V_INT) {
		snprintf(buf, sizeof(buf), "cannot index slice/array with type %s", dyn_type(&v));
		m = tg_arena_strndup(p->c->a, buf, strlen(buf));
		return m ? m : "cannot index slice/array";
	}
	if (v.i < 0 || (uint64_t)v.i > cap) {
		snprintf(buf, sizeof(buf), "index out of range: %" PRId64, v.i);
		m = tg_arena_strndup(p->c->a, buf, strlen(buf));
		return m ? m : "index out of range";
	}
	*x = v.i;
	return NULL;
}

static const char *msgf(struct tpl *p, const char *fmt, ...) TG_PRINTF(2, 3);
static const char *msgf(struct tpl *p, const char *fmt, ...)
{
	char buf[TG_DIAG_MSG_MAX];
	va_list ap;
	const char *m;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	m = tg_arena_strndup(p->c->a, buf, strlen(buf));
	return m ? m : "out of memory";
}

static const char *fn_index(struct tpl *p, const struct val *argv, size_t n, struct val *out)
{
	struct val item = unwrap(argv[0]);
	if (item.k == V_INVALID)
		return "index of untyped nil";
	for (size_t i = 1; i < n; i++) {
		struct val idx = unwrap(argv[i]);
		int64_t x;
		const char *m;
		if (item.k == V_JSON && item.iface && item.j->type == TG_JSON_NULL)
			return "index of nil pointer";
		item = unwrap(item);
		if (item.k == V_JSON && item.j->type == TG_JSON_ARRAY) {
			if ((m = index_arg(p, &idx, item.j->u.a.len, &x)) != NULL)
				return m;
			if ((size_t)x == item.j->u.a.len)
				return "reflect: slice index out of range";
			item = vj(item.j->u.a.items[x], true);
		} else if (item.k == V_JSON &&
			   (item.j->type == TG_JSON_STRING || item.j->type == TG_JSON_NUMBER)) {
			if ((m = index_arg(p, &idx, item.j->u.s.len, &x)) != NULL)
				return m;
			if ((size_t)x == item.j->u.s.len)
				return "reflect: string index out of range";
			item = vint((unsigned char)item.j->u.s.p[x]);
		} else if (item.k == V_JSON && item.j->type == TG_JSON_OBJECT) {
			const struct tg_json *e;
			if (idx.k == V_INVALID)
				return "value is nil; should be of type string";
			if (!(idx.k == V_JSON && idx.j->type == TG_JSON_STRING))
				return msgf(p, "value has type %s; should be string", dyn_type(&idx));
			e = tg_json_getn(item.j, idx.j->u.s.p, idx.j->u.s.len);
			item = vj(e ? e : &tg_json_null_v, true);
		} else {
			return msgf(p, "can't index item of type %s", dyn_type(&item));
		}
	}
	*out = item;
	return NULL;
}

static const char *fn_slice(struct tpl *p, const struct val *argv, size_t n, struct val *out)
{
	struct val item = unwrap(argv[0]);
	int64_t idx[3] = {0, 0, 0};
	size_t len, ni = n - 1;
	bool str;
	const char *m;
	if (item.k == V_INVALID)
		return "slice of untyped nil";
	if (ni > 3)
		return msgf(p, "too many slice indexes: %zu", ni);
	if (!(item.k == V_JSON && (item.j->type == TG_JSON_ARRAY || item.j->type == TG_JSON_STRING ||
				   item.j->type == TG_JSON_NUMBER)))
		return msgf(p, "can't slice item of type %s", dyn_type(&item));
	str = item.j->type != TG_JSON_ARRAY;
	if (str && ni == 3)
		return "cannot 3-index slice a string";
	len = vlen(&item);
	idx[1] = idx[2] = (int64_t)len;
	for (size_t i = 0; i < ni; i++)
		if ((m = index_arg(p, &argv[i + 1], len, &idx[i])) != NULL)
			return m;
	if (idx[0] > idx[1])
		return msgf(p, "invalid slice index: %" PRId64 " > %" PRId64, idx[0], idx[1]);
	if (ni == 3 && idx[1] > idx[2])
		return msgf(p, "invalid slice index: %" PRId64 " > %" PRId64, idx[1], idx[2]);
	if (str) {
		const struct tg_json *s;
		/* a cut through a UTF-8 sequence cannot be a Rego string */
		struct tg_buf b = TG_BUF_INIT(len + 8);
		tg_err r = tg_buf_add(&b, item.j->u.s.p + idx[0], (size_t)(idx[1] - idx[0]));
		if (r == TG_OK)
			r = tg_json_new_string(p->c->a, b.len ? (const char *)b.data : "", b.len, &s);
		tg_buf_release(&b);
		if (r != TG_OK)
			return "slice cuts a UTF-8 sequence";
		*out = vj(s, false);
	} else {
		const struct tg_json *a;
		if (tg_json_new_array(p->c->a, item.j->u.a.items + idx[0], (size_t)(idx[1] - idx[0]),
				      &a) != TG_OK)
			return "out of memory";
		*out = vj(a, false);
	}
	return NULL;
}

/* html, js, urlquery: Go's evalArgs then the escaper */
static tg_err escaper(struct tpl *p, int fn, const struct val *argv, size_t n, struct val *out)
{
	struct tg_buf s = TG_BUF_INIT(TG_LIMIT_TEMPLATE_OUT), o = TG_BUF_INIT(TG_LIMIT_TEMPLATE_OUT);
	tg_err r = TG_OK;
	const struct tg_json *j;
	struct val one = n == 1 ? unwrap(argv[0]) : vinvalid();
	if (n == 1 && one.k == V_JSON && one.j->type == TG_JSON_STRING) {
		r = tg_buf_add(&s, one.j->u.s.p, one.j->u.s.len);
	} else {
		struct val *pv = n ? tg_arena_alloc_array(p->c->a, n, sizeof(*pv)) : NULL;
		if (n && !pv)
			r = TG_E_TOOBIG;
		for (size_t i = 0; i < n && r == TG_OK; i++) {
			pv[i] = unwrap(argv[i]);
			if (pv[i].k == V_INVALID) /* printableValue */
				r = tg_json_new_string(p->c->a, "<no value>", 10, &pv[i].j),
				pv[i].k = V_JSON;
		}
		if (r == TG_OK)
			r = go_sprint(&s, pv, n, false);
	}
	for (size_t i = 0; i < s.len && r == TG_OK;) {
		unsigned char c = s.data[i];
		uint32_t ru;
		size_t w = tg_rego_bi_rune((const char *)s.data + i, s.len - i, &ru);
		if (fn == F_HTML) {
			const char *e = c == '"'    ? "&#34;"
					: c == '\'' ? "&#39;"
					: c == '&'  ? "&amp;"
					: c == '<'  ? "&lt;"
					: c == '>'  ? "&gt;"
					: c == 0    ? "\xef\xbf\xbd"
						    : NULL;
			r = e ? tg_buf_adds(&o, e) : tg_buf_add(&o, s.data + i, w);
		} else if (fn == F_JS) {
			const char *e = c == '\\'   ? "\\\\"
					: c == '\'' ? "\\'"
					: c == '"'  ? "\\\""
					: c == '<'  ? "\\u003C"
					: c == '>'  ? "\\u003E"
					: c == '&'  ? "\\u0026"
					: c == '='  ? "\\u003D"
						    : NULL;
			if (e)
				r = tg_buf_adds(&o, e);
			else if (c < ' ')
				r = tg_buf_addf(&o, "\\u%04X", (unsigned)c);
			else if (c >= 0x80 && ((ru >= 0x80 && ru < 0xA0) || ru == 0xAD ||
					       ru == 0x2028 || ru == 0x2029 || ru == 0xFEFF))
				r = tg_buf_addf(&o, "\\u%04X", (unsigned)ru);
			else
				r = tg_buf_add(&o, s.data + i, w);
		} else { /* url.QueryEscape */
			if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			    c == '-' || c == '_' || c == '.' || c == '~')
				r = tg_buf_addc(&o, c);
			else if (c == ' ')
				r = tg_buf_addc(&o, '+');
			else
				r = tg_buf_addf(&o, "%%%02X", (unsigned)c);
			w = 1;
		}
		i += w;
	}
	if (r == TG_OK)
		r = tg_json_new_string(p->c->a, o.len ? (const char *)o.data : "", o.len, &j);
	tg_buf_release(&s);
	tg_buf_release(&o);
	if (r != TG_OK)
		return tg_rego_bi_fail(p->c, "template output too large");
	*out = vj(j, false);
	return TG_OK;
}

static tg_err new_str_val(struct tpl *p, struct tg_buf *b, struct val *out)
{
	const struct tg_json *j;
	if (tg_json_new_string(p->c->a, b->len ? (const char *)b->data : "", b->len, &j) != TG_OK)
		return tg_rego_bi_fail(p->c, "template output too large");
	*out = vj(j, false);
	return TG_OK;
}

/* Go's evalCall for the predefined functions */
static tg_err eval_fn(struct tpl *p, const struct val *dot, const struct arg *ident,
		      const struct cmd *cmd, const struct val *final, struct val *out)
{
	int fn = ident->fn;
	const struct arg *const *args = cmd ? (const struct arg *const *)cmd->args + 1 : NULL;
	size_t nargs = cmd ? cmd->nargs - 1 : 0, num_in = nargs + (final ? 1 : 0), n = 0;
	struct val *argv;
	const char *m = NULL;
	struct val res = vinvalid();
	tg_err r;
	at_arg(p, ident);
	if (fns[fn].variadic) {
		if (num_in < fns[fn].nfixed)
			return xerr(p, "wrong number of args for %s: want at least %u got %zu",
				    fns[fn].name, fns[fn].nfixed, nargs);
	} else if (num_in != fns[fn].nfixed) {
		return xerr(p, "wrong number of args for %s: want %u got %zu", fns[fn].name,
			    fns[fn].nfixed, num_in);
	}
	if (fn == F_AND || fn == F_OR) {
		struct val v = vinvalid();
		for (size_t i = 0; i < nargs; i++) {
			if ((r = eval_arg(p, dot, W_VALUE, args[i], &v)) != TG_OK)
				return r;
			v = unwrap(v);
			if (truth(&v) == (fn == F_OR)) {
				*out = v;
				return TG_OK;
			}
		}
		if (final) {
			if ((r = validate(p, *final, W_VALUE, &v)) != TG_OK)
				return r;
			v = unwrap(v);
		}
		*out = v;
		return TG_OK;
	}
	argv = num_in ? tg_arena_alloc_array(p->c->a, num_in, sizeof(*argv)) : NULL;
	if (num_in && !argv)
		return tg_rego_bi_fail(p->c, "template too large");
	for (; n < nargs; n++) {
		uint8_t w = n < fns[fn].nfixed ? fns[fn].fixed[n] : fns[fn].rest;
		if ((r = eval_arg(p, dot, w, args[n], &argv[n])) != TG_OK)
			return r;
	}
	if (final) {
		uint8_t w = n < fns[fn].nfixed ? fns[fn].fixed[n] : fns[fn].rest;
		if ((r = validate(p, *final, w, &argv[n])) != TG_OK)
			return r;
		n++;
	}
	switch (fn) {
	case F_NOT:
		res = unwrap(argv[0]);
		res = vj(tg_json_bool(!truth(&res)), false);
		break;
	case F_LEN: {
		struct val u = unwrap(argv[0]);
		if (argv[0].k == V_JSON && argv[0].iface && argv[0].j->type == TG_JSON_NULL)
			m = "len of nil pointer";
		else if (!has_len(&u))
			m = msgf(p, "len of type %s", dyn_type(&u));
		else
			res = vint((int64_t)vlen(&u));
		break;
	}
	case F_INDEX:
		m = fn_index(p, argv, n, &res);
		break;
	case F_SLICE:
		m = fn_slice(p, argv, n, &res);
		break;
	case F_PRINT:
	case F_PRINTLN:
	case F_PRINTF: {
		struct tg_buf b = TG_BUF_INIT(TG_LIMIT_TEMPLATE_OUT);
		if (fn == F_PRINTF)
			r = go_sprintf(&b, argv[0].j->u.s.p, argv[0].j->u.s.len, argv + 1, n - 1);
		else
			r = go_sprint(&b, argv, n, fn == F_PRINTLN);
		if (r == TG_OK)
			r = new_str_val(p, &b, &res);
		else
			r = tg_rego_bi_fail(p->c, "template output too large");
		tg_buf_release(&b);
		if (r != TG_OK)
			return r;
		break;
	}
	case F_HTML:
	case F_JS:
	case F_URLQUERY:
		if ((r = escaper(p, fn, argv, n, &res)) != TG_OK)
			return r;
		break;
	case F_EQ:
	case F_NE:
	case F_LT:
	case F_LE:
	case F_GT:
	case F_GE: {
		bool t = false;
		if (fn == F_EQ || fn == F_NE) {
			m = fn_eq(p, &argv[0], argv + 1, n - 1, &t);
			if (fn == F_NE)
				t = !t;
		} else {
			m = fn_lt(&argv[0], &argv[1], &t);
			if (!m && fn == F_LE && !t)
				m = fn_eq(p, &argv[0], argv + 1, 1, &t);
			if (!m && fn == F_GT) {
				if (!t)
					m = fn_eq(p, &argv[0], argv + 1, 1, &t);
				t = !t;
			}
			if (!m && fn == F_GE)
				t = !t;
		}
		res = vj(tg_json_bool(t), false);
		break;
	}
	default: { /* call: there are no function values */
		struct val u = unwrap(argv[0]);
		if (u.k == V_INVALID)
			m = "call of nil";
		else if (nargs == 0) /* the pipeline's value: Go names it by its %v */
			m = msgf(p, "non-function %s of type %s", vstr(p, &u), dyn_type(&u));
		else
			m = msgf(p, "non-function %.*s of type %s", (int)(args[0]->end - args[0]->cpos),
				 p->src + args[0]->cpos, dyn_type(&u));
		break;
	}
	}
	if (m) {
		if (cmd)
			at(p, cmd->pos, cmd->cpos, cmd->end);
		return xerr(p, "error calling %s: %s", fns[fn].name, m);
	}
	*out = res;
	return TG_OK;
}

static tg_err eval_cmd(struct tpl *p, const struct val *dot, const struct cmd *c,
		       const struct val *final, struct val *out)
{
	const struct arg *first = c->args[0];
	const struct arg *const *args = (const struct arg *const *)c->args;
	tg_err r;
	switch (first->k) {
	case A_FIELD:
		at_arg(p, first);
		return eval_field_chain(p, dot, first->ids, first->idn, first->nid,
					c->nargs > 1 || final, out);
	case A_CHAIN:
		return eval_chain(p, dot, first, c->nargs, final != NULL, out);
	case A_IDENT:
		return eval_fn(p, dot, first, c, final, out);
	case A_PIPE:
		if ((r = not_a_function(p, args, c->nargs, final != NULL)) != TG_OK)
			return r;
		return eval_pipe(p, dot, first->pipe, out);
	case A_VAR:
		return eval_var(p, first, args, c->nargs, final != NULL, out);
	default:
		break;
	}
	at_arg(p, first);
	if ((r = not_a_function(p, args, c->nargs, final != NULL)) != TG_OK)
		return r;
	switch (first->k) {
	case A_BOOL:
		*out = vj(tg_json_bool(first->b), false);
		return TG_OK;
	case A_DOT:
		*out = *dot;
		return TG_OK;
	case A_NIL:
		return xerr(p, "nil is not a command");
	case A_NUM:
		return ideal_constant(p, first, out);
	default: /* A_STR */
		*out = vj(first->sj, false);
		return TG_OK;
	}
}

static tg_err set_var(struct tpl *p, const char *s, size_t n, struct val v)
{
	struct var *x = find_var(p, s, n);
	if (!x)
		return xerr(p, "undefined variable: %.*s", (int)n, s);
	x->v = v;
	return TG_OK;
}

static tg_err eval_pipe(struct tpl *p, const struct val *dot, const struct pipe *pp,
			struct val *out)
{
	struct val v = vinvalid();
	bool have = false;
	tg_err r;
	at(p, pp->pos, pp->pos, pp->end);
	for (size_t i = 0; i < pp->ncmds; i++) {
		struct val nv;
		if ((r = tg_rego_bi_charge(p->c, 1)) != TG_OK)
			return r;
		if ((r = eval_cmd(p, dot, pp->cmds[i], have ? &v : NULL, &nv)) != TG_OK)
			return r;
		v = unwrap(nv);
		have = true;
	}
	for (size_t i = 0; i < pp->ndecl; i++) {
		r = pp->assign ? set_var(p, pp->decl[i], pp->decln[i], v)
			       : push_var(p, pp->decl[i], pp->decln[i], v);
		if (r != TG_OK)
			return r;
	}
	*out = v;
	return TG_OK;
}

static tg_err walk_list(struct tpl *p, const struct val *dot, const struct list *l);

static tg_err range_iter(struct tpl *p, const struct node *nd, size_t mark, struct val idx,
			 struct val elem, bool *stop)
{
	const struct pipe *pp = nd->pipe;
	tg_err r = TG_OK;
	if ((r = tg_rego_bi_charge(p->c, 1)) != TG_OK)
		return r;
	if (pp->ndecl > 0) {
		if (pp->assign)
			r = set_var(p, pp->decl[0], pp->decln[0], pp->ndecl > 1 ? idx : elem);
		else
			p->vars[p->nv - 1].v = elem;
	}
	if (r == TG_OK && pp->ndecl > 1) {
		if (pp->assign)
			r = set_var(p, pp->decl[1], pp->decln[1], elem);
		else
			p->vars[p->nv - 2].v = idx;
	}
	if (r == TG_OK)
		r = walk_list(p, &elem, nd->list);
	p->nv = mark;
	if (p->brk == 1)
		*stop = true;
	p->brk = 0;
	return r;
}

static tg_err walk_range(struct tpl *p, const struct val *dot, const struct node *nd)
{
	size_t mark0 = p->nv, mark;
	struct val v;
	bool stop = false, ran = false;
	tg_err r;
	if ((r = eval_pipe(p, dot, nd->pipe, &v)) != TG_OK)
		return r;
	mark = p->nv;
	if (v.k == V_JSON && v.j->type == TG_JSON_ARRAY) {
		for (size_t i = 0; i < v.j->u.a.len && !stop && r == TG_OK; i++)
			r = range_iter(p, nd, mark, vint((int64_t)i), vj(v.j->u.a.items[i], true),
				       &stop);
		ran = v.j->u.a.len > 0;
	} else if (v.k == V_JSON && v.j->type == TG_JSON_OBJECT) {
		for (size_t i = 0; i < v.j->u.o.len && !stop && r == TG_OK; i++)
			r = range_iter(p, nd, mark, vj(v.j->u.o.items[i].key, false),
				       vj(v.j->u.o.items[i].val, true), &stop);
		ran = v.j->u.o.len > 0;
	} else if (v.k == V_INT) {
		if (nd->pipe->ndecl > 1)
			return xerr(p, "can't use %s to iterate over more than one variable",
				    vstr(p, &v));
		for (int64_t i = 0; i < v.i && !stop && r == TG_OK; i++)
			r = range_iter(p, nd, mark, vint(i), vint(i), &stop);
		ran = v.i > 0;
	} else if (v.k != V_INVALID) {
		return xerr(p, "range can't iterate over %s", vstr(p, &v));
	}
	if (r == TG_OK && !ran && nd->elist)
		r = walk_list(p, dot, nd->elist);
	p->nv = mark0;
	return r;
}

static tg_err walk(struct tpl *p, const struct val *dot, const struct node *nd)
{
	struct val v;
	size_t mark = p->nv;
	tg_err r;
	if ((r = tg_rego_bi_charge(p->c, 1)) != TG_OK)
		return r;
	switch (nd->k) {
	case N_TEXT:
		if (tg_buf_add(p->out, nd->s, nd->n) != TG_OK)
			return tg_rego_bi_fail(p->c, "template output too large");
		return TG_OK;
	case N_ACTION:
		if ((r = eval_pipe(p, dot, nd->pipe, &v)) != TG_OK)
			return r;
		if (nd->pipe->ndecl == 0) {
			struct ff f = {0};
			if (v.k == V_INVALID)
				r = tg_buf_adds(p->out, "<no value>");
			else
				r = fmt_val(p->out, &f, &v, 'v', 0);
			if (r != TG_OK)
				return tg_rego_bi_fail(p->c, "template output too large");
		}
		return TG_OK;
	case N_IF:
	case N_WITH:
		if ((r = eval_pipe(p, dot, nd->pipe, &v)) != TG_OK)
			return r;
		if (truth(&v))
			r = walk_list(p, nd->k == N_WITH ? &v : dot, nd->list);
		else if (nd->elist)
			r = walk_list(p, dot, nd->elist);
		p->nv = mark;
		return r;
	case N_RANGE:
		return walk_range(p, dot, nd);
	case N_BREAK:
		p->brk = 1;
		return TG_OK;
	case N_CONTINUE:
		p->brk = 2;
		return TG_OK;
	default:
		return TG_OK;
	}
}

static tg_err walk_list(struct tpl *p, const struct val *dot, const struct list *l)
{
	tg_err r;
	if (++p->depth > TG_LIMIT_TEMPLATE_DEPTH * 2)
		return tg_rego_bi_fail(p->c, "template nested too deeply");
	for (size_t i = 0; i < l->n; i++) {
		if ((r = walk(p, dot, l->nodes[i])) != TG_OK)
			return r;
		if (p->brk)
			break;
	}
	p->depth--;
	return TG_OK;
}

/* ------------------------------------------------------------------ */
/* The variables as ast.As makes them                                  */
/* ------------------------------------------------------------------ */

/* sets become arrays, non-string keys their JSON text */
static tg_err to_go(struct tpl *p, const struct tg_json *v, int depth, const struct tg_json **out)
{
	tg_err r;
	if (depth > TG_LIMIT_JSON_DEPTH)
		return tg_rego_bi_fail(p->c, "template variables nested too deeply");
	if ((r = tg_rego_bi_charge(p->c, 1)) != TG_OK)
		return r;
	if (v->type == TG_JSON_ARRAY || v->type == TG_JSON_SET) {
		const struct tg_json **items = NULL;
		bool changed = v->type == TG_JSON_SET;
		for (size_t i = 0; i < v->u.a.len; i++) {
			const struct tg_json *e;
			if ((r = to_go(p, v->u.a.items[i], depth + 1, &e)) != TG_OK)
				return r;
			if (e != v->u.a.items[i] && !changed) {
				changed = true;
			}
			if (changed && !items) {
				items = tg_arena_alloc_array(p->c->a, v->u.a.len ? v->u.a.len : 1, sizeof(*items));
				if (!items)
					return tg_rego_bi_fail(p->c, "template variables too large");
				memcpy(items, v->u.a.items, i * sizeof(*items));
			}
			if (items)
				items[i] = e;
		}
		if (!changed) {
			*out = v;
			return TG_OK;
		}
		if (tg_json_new_array(p->c->a, items, v->u.a.len, out) != TG_OK)
			return tg_rego_bi_fail(p->c, "template variables too large");
		return TG_OK;
	}
	if (v->type == TG_JSON_OBJECT) {
		struct tg_json_member *m = NULL;
		bool changed = false;
		for (size_t i = 0; i < v->u.o.len; i++) {
			const struct tg_json *k = v->u.o.items[i].key, *e;
			if ((r = to_go(p, v->u.o.items[i].val, depth + 1, &e)) != TG_OK)
				return r;
			if (k->type != TG_JSON_STRING) {
				struct tg_buf b = TG_BUF_INIT(TG_LIMIT_TEMPLATE_OUT);
				r = tg_rego_go_json(&b, k);
				if (r == TG_OK)
					r = tg_json_new_string(p->c->a, (const char *)b.data, b.len, &k);
				tg_buf_release(&b);
				if (r != TG_OK)
					return tg_rego_bi_fail(p->c, "template variables: %s",
							       "object key cannot be converted");
			}
			if ((k != v->u.o.items[i].key || e != v->u.o.items[i].val) && !changed)
				changed = true;
			if (changed && !m) {
				m = tg_arena_alloc_array(p->c->a, v->u.o.len, sizeof(*m));
				if (!m)
					return tg_rego_bi_fail(p->c, "template variables too large");
				memcpy(m, v->u.o.items, i * sizeof(*m));
			}
			if (m) {
				m[i].key = k;
				m[i].val = e;
			}
		}
		if (!changed) {
			*out = v;
			return TG_OK;
		}
		if (tg_json_new_object(p->c->a, m, v->u.o.len, TG_JSON_DUP_LAST, out) != TG_OK)
			return tg_rego_bi_fail(p->c, "template variables too large");
		return TG_OK;
	}
	*out = v;
	return TG_OK;
}

tg_err tg_rego_bi_render_template(struct tg_rego_bctx *c, const struct tg_json *const *args,
				  size_t nargs, const struct tg_json **out)
{
	struct tpl p;
	struct tg_buf b = TG_BUF_INIT(TG_LIMIT_TEMPLATE_OUT);
	struct list *root = NULL;
	const struct tg_json *vars;
	struct val dot;
	const char *s;
	size_t n;
	tg_err r;
	(void)nargs;
	if ((r = tg_rego_bi_str(c, args[0], 1, &s, &n)) != TG_OK)
		return r;
	if (args[1]->type != TG_JSON_OBJECT)
		return tg_rego_type_error(c, 2, "object", args[1]);
	memset(&p, 0, sizeof(p));
	p.c = c;
	p.src = s;
	p.n = n;
	if ((r = tg_rego_bi_charge(c, n / 16 + 1)) != TG_OK)
		return r;
	if ((r = to_go(&p, args[1], 0, &vars)) != TG_OK)
		return r;
	if ((r = lex(&p)) != TG_OK)
		return r;
	{
		static const struct tok dollar = {T_VAR, 0, 1, "$", 1};
		if ((r = decl_var(&p, &(struct pipe){0}, &dollar)) != TG_OK)
			return r;
	}
	if ((r = parse(&p, &root)) != TG_OK)
		return r;
	p.depth = 0;
	p.out = &b;
	dot = vj(vars, false);
	if ((r = push_var(&p, "$", 1, dot)) == TG_OK)
		r = walk_list(&p, &dot, root);
	if (r == TG_OK)
		r = tg_rego_bi_charge(c, b.len / 64);
	if (r == TG_OK)
		r = tg_rego_bi_buf_str(c, &b, out);
	tg_buf_release(&b);
	return r;
}
