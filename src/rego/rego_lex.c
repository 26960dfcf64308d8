/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rego_lex.c - the Rego scanner: source bytes to a token array, with
 * rows, columns, comments and OPA's scanner messages ("non-terminated
 * string", "illegal escape sequence", ...) kept on illegal tokens.
 */
#include "rego/rego_lex.h"

#include <stdlib.h>
#include <string.h>

#include "core/limits.h"
#include "core/mem.h"
#include "core/utf8.h"

/* Template strings nest ($"a {$"b {x}"}"); each level is one entry. */
#define TPL_MAX_NEST 64

struct tpl_level {
	bool raw;
	uint32_t depth; /* '{' seen inside the current expression */
};

struct lexer {
	const uint8_t *s;
	size_t n;
	size_t i;
	uint32_t row;
	size_t line_start;
	struct tg_rego_token *toks;
	size_t ntoks, cap;
	struct tg_rego_comment *comments;
	size_t ncomments, ccap;
	struct tpl_level tpl[TPL_MAX_NEST];
	size_t ntpl;
	bool toobig;
};

static const struct {
	const char *word;
	uint8_t kind;
} keywords[] = {
        {"package", TK_PACKAGE}, {"import", TK_IMPORT},     {"as", TK_AS},
        {"default", TK_DEFAULT}, {"else", TK_ELSE},         {"not", TK_NOT},
        {"some", TK_SOME},       {"with", TK_WITH},         {"null", TK_NULL},
        {"true", TK_TRUE},       {"false", TK_FALSE},       {"in", TK_IN},
        {"every", TK_EVERY},     {"contains", TK_CONTAINS}, {"if", TK_IF},
};

static const char *const tok_names[TK_COUNT_] = {
        [TK_ILLEGAL] = "illegal",
        [TK_EOF] = "eof",
        [TK_WS] = "whitespace",
        [TK_IDENT] = "identifier",
        [TK_NUMBER] = "number",
        [TK_STRING] = "string",
        [TK_TPL_PART] = "template-string-part",
        [TK_TPL_END] = "template-string-end",
        [TK_LBRACK] = "[",
        [TK_RBRACK] = "]",
        [TK_LBRACE] = "{",
        [TK_RBRACE] = "}",
        [TK_LPAREN] = "(",
        [TK_RPAREN] = ")",
        [TK_COMMA] = ",",
        [TK_COLON] = ":",
        [TK_ADD] = "plus",
        [TK_SUB] = "minus",
        [TK_MUL] = "mul",
        [TK_QUO] = "div",
        [TK_REM] = "rem",
        [TK_AND] = "and",
        [TK_OR] = "or",
        [TK_UNIFY] = "eq",
        [TK_EQUAL] = "equal",
        [TK_ASSIGN] = "assign",
        [TK_NEQ] = "neq",
        [TK_GT] = "gt",
        [TK_LT] = "lt",
        [TK_GTE] = "gte",
        [TK_LTE] = "lte",
        [TK_DOT] = ".",
        [TK_SEMI] = ";",
        [TK_PACKAGE] = "package",
        [TK_IMPORT] = "import",
        [TK_AS] = "as",
        [TK_DEFAULT] = "default",
        [TK_ELSE] = "else",
        [TK_NOT] = "not",
        [TK_SOME] = "some",
        [TK_WITH] = "with",
        [TK_NULL] = "null",
        [TK_TRUE] = "true",
        [TK_FALSE] = "false",
        [TK_IN] = "in",
        [TK_EVERY] = "every",
        [TK_CONTAINS] = "contains",
        [TK_IF] = "if",
};

/* The scanner's messages, as OPA words them; a token stores the index. */
static const char *const messages[] = {
	NULL,
	"illegal null character",
	"illegal utf-8 character",
	"illegal byte-order mark",
	"expected fraction",
	"expected exponent",
	"illegal number format",
	"illegal escape sequence",
	"non-terminated string",
	"illegal $ character",
	"illegal ! character",
	"template strings nested too deeply",
};

static uint8_t msg_id(const char *msg)
{
	size_t i;
	for (i = 1; msg && i < TG_ARRAY_LEN(messages); i++)
		if (strcmp(messages[i], msg) == 0)
			return (uint8_t)i;
	return 0;
}

const char *tg_rego_tok_msg(const struct tg_rego_token *t)
{
	return t->msg < TG_ARRAY_LEN(messages) ? messages[t->msg] : NULL;
}

const char *tg_rego_tok_name(int kind)
{
	if (kind < 0 || kind >= TK_COUNT_ || !tok_names[kind])
		return "unknown";
	return tok_names[kind];
}

static uint8_t keyword_of(const uint8_t *p, size_t n)
{
	size_t k;
	for (k = 0; k < TG_ARRAY_LEN(keywords); k++)
		if (strlen(keywords[k].word) == n && memcmp(keywords[k].word, p, n) == 0)
			return keywords[k].kind;
	return 0;
}

bool tg_rego_is_keyword_v1(const char *s, size_t n)
{
	return keyword_of((const uint8_t *)s, n) != 0;
}

static bool is_letter(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

static struct tg_rego_token *push_tok(struct lexer *lx, int kind, size_t start, uint32_t row,
                                      uint32_t col)
{
	struct tg_rego_token *t;
	if (lx->ntoks >= TG_LIMIT_REGO_TOKENS) {
		lx->toobig = true;
		return NULL;
	}
	if (lx->ntoks == lx->cap) {
		lx->cap = lx->cap ? lx->cap * 2 : 256;
		lx->toks = tg_xreallocarray(lx->toks, lx->cap, sizeof(*lx->toks));
	}
	t = &lx->toks[lx->ntoks++];
	memset(t, 0, sizeof(*t));
	t->kind = (uint8_t)kind;
	t->off = (uint32_t)start;
	t->len = (uint32_t)(lx->i - start);
	t->row = row;
	t->col = col;
	return t;
}

static void push_comment(struct lexer *lx, size_t start, size_t end, uint32_t row, uint32_t col)
{
	struct tg_rego_comment *c;
	if (lx->ncomments == lx->ccap) {
		lx->ccap = lx->ccap ? lx->ccap * 2 : 16;
		lx->comments = tg_xreallocarray(lx->comments, lx->ccap, sizeof(*lx->comments));
	}
	c = &lx->comments[lx->ncomments++];
	c->off = (uint32_t)start;
	c->len = (uint32_t)(end - start);
	c->row = row;
	c->col = col;
}

static uint32_t cur_col(const struct lexer *lx)
{
	return (uint32_t)(lx->i - lx->line_start + 1);
}

/* Steps over one byte, keeping rows. */
static void step(struct lexer *lx)
{
	if (lx->s[lx->i] == '\n') {
		lx->row++;
		lx->line_start = lx->i + 1;
	}
	lx->i++;
}

/*
 * Checks the character at lx->i inside a literal: returns its width, or
 * 0 with *msg set for a NUL, invalid UTF-8 or a byte-order mark (OPA's
 * scanner reports these wherever they occur). The width is then 1.
 */
static size_t check_char(const struct lexer *lx, const char **msg)
{
	uint8_t c = lx->s[lx->i];
	uint32_t cp;
	size_t w;
	if (c == 0) {
		*msg = "illegal null character";
		return 0;
	}
	if (c < 0x80)
		return 1;
	w = tg_utf8_decode(lx->s + lx->i, lx->n - lx->i, &cp);
	if (w == 0) {
		*msg = "illegal utf-8 character";
		return 0;
	}
	if (cp == 0xFEFF) {
		*msg = "illegal byte-order mark";
		return 0;
	}
	return w;
}

/* Steps over one character (a whole UTF-8 sequence when valid); records
 * the first problem in *msg. */
static void step_char(struct lexer *lx, const char **msg)
{
	const char *m = NULL;
	size_t w = check_char(lx, &m);
	if (w == 0) {
		if (!*msg)
			*msg = m;
		w = 1;
	}
	if (w == 1) {
		step(lx);
		return;
	}
	lx->i += w;
}

/* A whitespace/comment run: returns true when it emitted a token. */
static bool scan_ws(struct lexer *lx)
{
	size_t start = lx->i;
	uint32_t row = lx->row, col = cur_col(lx);
	uint8_t flags = 0;
	while (lx->i < lx->n) {
		uint8_t c = lx->s[lx->i];
		if (c == ' ' || c == '\t' || c == '\r') {
			lx->i++;
		} else if (c == '\n') {
			flags |= TF_NL;
			step(lx);
		} else if (c == '#') {
			size_t cs = lx->i + 1, ce;
			uint32_t crow = lx->row, ccol = cur_col(lx);
			const char *msg = NULL;
			size_t save = lx->i;
			lx->i++;
			while (lx->i < lx->n && lx->s[lx->i] != '\n')
				step_char(lx, &msg);
			if (msg) {
				/* the comment becomes an illegal token */
				size_t ci = lx->i;
				struct tg_rego_token *t;
				lx->i = save;
				if (lx->i > start) {
					t = push_tok(lx, TK_WS, start, row, col);
					if (!t)
						return true;
					t->flags = flags;
				}
				lx->i = ci;
				t = push_tok(lx, TK_ILLEGAL, save, crow, ccol);
				if (t)
					t->msg = msg_id(msg);
				return true;
			}
			ce = lx->i;
			if (ce > cs && lx->s[ce - 1] == '\r')
				ce--;
			push_comment(lx, cs, ce, crow, ccol);
		} else {
			break;
		}
	}
	if (lx->i > start) {
		struct tg_rego_token *t = push_tok(lx, TK_WS, start, row, col);
		if (t)
			t->flags = flags;
		return true;
	}
	return false;
}

static void scan_number(struct lexer *lx, const char **msg)
{
	bool found;
	while (lx->i < lx->n && is_digit(lx->s[lx->i]))
		lx->i++;
	if (lx->i < lx->n && lx->s[lx->i] == '.') {
		lx->i++;
		found = false;
		while (lx->i < lx->n && is_digit(lx->s[lx->i])) {
			lx->i++;
			found = true;
		}
		if (!found && !*msg)
			*msg = "expected fraction";
	}
	if (lx->i < lx->n && (lx->s[lx->i] == 'e' || lx->s[lx->i] == 'E')) {
		lx->i++;
		if (lx->i < lx->n && (lx->s[lx->i] == '+' || lx->s[lx->i] == '-'))
			lx->i++;
		found = false;
		while (lx->i < lx->n && is_digit(lx->s[lx->i])) {
			lx->i++;
			found = true;
		}
		if (!found && !*msg)
			*msg = "expected exponent";
	}
	/* 0a2b is one bad number, not a number and an identifier */
	if (lx->i < lx->n && is_letter(lx->s[lx->i])) {
		if (!*msg)
			*msg = "illegal number format";
		while (lx->i < lx->n && (is_letter(lx->s[lx->i]) || is_digit(lx->s[lx->i])))
			lx->i++;
	}
}

/* After the opening quote: a JSON-style escape. tpl allows \{. */
static void scan_escape(struct lexer *lx, bool tpl, const char **msg)
{
	int k;
	if (lx->i >= lx->n) {
		return;
	}
	switch (lx->s[lx->i]) {
	case '\\':
	case '"':
	case '/':
	case 'b':
	case 'f':
	case 'n':
	case 'r':
	case 't':
		lx->i++;
		break;
	case '{':
		if (tpl) {
			lx->i++;
			break;
		}
		if (!*msg)
			*msg = "illegal escape sequence";
		break;
	case 'u':
		/* OPA's scanner steps over four characters unchecked; the
		 * string decoder validates them */
		lx->i++;
		for (k = 0; k < 4 && lx->i < lx->n; k++)
			step_char(lx, msg);
		break;
	default:
		if (!*msg)
			*msg = "illegal escape sequence";
		break;
	}
}

/* "..." from the opening quote (at lx->i). */
static void scan_string(struct lexer *lx, uint8_t *flags, const char **msg)
{
	lx->i++;
	for (;;) {
		uint8_t c;
		if (lx->i >= lx->n || lx->s[lx->i] == '\n') {
			if (!*msg)
				*msg = "non-terminated string";
			return;
		}
		c = lx->s[lx->i];
		if (c == '"') {
			lx->i++;
			return;
		}
		if (c == '\\') {
			*flags |= TF_ESC;
			lx->i++;
			scan_escape(lx, false, msg);
			continue;
		}
		step_char(lx, msg);
	}
}

static void scan_raw_string(struct lexer *lx, const char **msg)
{
	lx->i++;
	for (;;) {
		if (lx->i >= lx->n) {
			if (!*msg)
				*msg = "non-terminated string";
			return;
		}
		if (lx->s[lx->i] == '`') {
			lx->i++;
			return;
		}
		step_char(lx, msg);
	}
}

/* Template text from lx->i up to '{' (part) or the closing quote (end). */
static int scan_template(struct lexer *lx, bool raw, uint8_t *flags, const char **msg)
{
	for (;;) {
		uint8_t c;
		if (lx->i >= lx->n || (!raw && lx->s[lx->i] == '\n')) {
			if (!*msg)
				*msg = "non-terminated string";
			return TK_ILLEGAL;
		}
		c = lx->s[lx->i];
		if ((!raw && c == '"') || (raw && c == '`')) {
			lx->i++;
			return TK_TPL_END;
		}
		if (c == '{') {
			lx->i++;
			return TK_TPL_PART;
		}
		if (c == '\\') {
			if (raw) {
				lx->i++;
				if (lx->i < lx->n && lx->s[lx->i] == '{') {
					*flags |= TF_ESC;
					lx->i++;
				}
				continue;
			}
			*flags |= TF_ESC;
			lx->i++;
			scan_escape(lx, true, msg);
			continue;
		}
		step_char(lx, msg);
	}
}

/* Emits a template token scanned from start; pushes a nesting level when
 * an expression follows. */
static void emit_template(struct lexer *lx, size_t start, uint32_t row, uint32_t col, bool raw,
                          uint8_t extra_flags)
{
	uint8_t flags = (uint8_t)(extra_flags | (raw ? TF_RAW : 0));
	const char *msg = NULL;
	int kind = scan_template(lx, raw, &flags, &msg);
	struct tg_rego_token *t;
	if (msg)
		kind = TK_ILLEGAL;
	t = push_tok(lx, kind, start, row, col);
	if (!t)
		return;
	t->flags = flags;
	t->msg = msg_id(msg);
	if (kind == TK_TPL_PART) {
		if (lx->ntpl == TPL_MAX_NEST) {
			t->kind = TK_ILLEGAL;
			t->msg = msg_id("template strings nested too deeply");
			return;
		}
		lx->tpl[lx->ntpl].raw = raw;
		lx->tpl[lx->ntpl].depth = 0;
		lx->ntpl++;
	}
}

static void scan_one(struct lexer *lx)
{
	size_t start = lx->i;
	uint32_t row = lx->row, col = cur_col(lx);
	uint8_t c = lx->s[lx->i];
	const char *msg = NULL;
	uint8_t flags = 0;
	int kind = TK_ILLEGAL;
	struct tg_rego_token *t;

	if (is_letter(c)) {
		while (lx->i < lx->n && (is_letter(lx->s[lx->i]) || is_digit(lx->s[lx->i])))
			lx->i++;
		t = push_tok(lx, TK_IDENT, start, row, col);
		if (t)
			t->kw = keyword_of(lx->s + start, lx->i - start);
		return;
	}
	if (is_digit(c)) {
		scan_number(lx, &msg);
		t = push_tok(lx, msg ? TK_ILLEGAL : TK_NUMBER, start, row, col);
		if (t)
			t->msg = msg_id(msg);
		return;
	}
	switch (c) {
	case '"':
		scan_string(lx, &flags, &msg);
		kind = TK_STRING;
		break;
	case '`':
		scan_raw_string(lx, &msg);
		kind = TK_STRING;
		flags = TF_RAW;
		break;
	case '$':
		if (lx->i + 1 < lx->n && (lx->s[lx->i + 1] == '"' || lx->s[lx->i + 1] == '`')) {
			bool raw = lx->s[lx->i + 1] == '`';
			lx->i += 2;
			emit_template(lx, start, row, col, raw, 0);
			return;
		}
		lx->i++;
		msg = "illegal $ character";
		break;
	case '[':
		lx->i++;
		kind = TK_LBRACK;
		break;
	case ']':
		lx->i++;
		kind = TK_RBRACK;
		break;
	case '{':
		lx->i++;
		kind = TK_LBRACE;
		if (lx->ntpl)
			lx->tpl[lx->ntpl - 1].depth++;
		break;
	case '}':
		lx->i++;
		if (lx->ntpl && lx->tpl[lx->ntpl - 1].depth == 0) {
			/* closes a template expression: the text goes on */
			bool raw = lx->tpl[lx->ntpl - 1].raw;
			size_t s2;
			lx->ntpl--;
			if (!push_tok(lx, TK_RBRACE, start, row, col))
				return;
			s2 = lx->i;
			emit_template(lx, s2, lx->row, cur_col(lx), raw, TF_TPL_CONT);
			return;
		}
		if (lx->ntpl)
			lx->tpl[lx->ntpl - 1].depth--;
		kind = TK_RBRACE;
		break;
	case '(':
		lx->i++;
		kind = TK_LPAREN;
		break;
	case ')':
		lx->i++;
		kind = TK_RPAREN;
		break;
	case ',':
		lx->i++;
		kind = TK_COMMA;
		break;
	case ':':
		lx->i++;
		kind = TK_COLON;
		if (lx->i < lx->n && lx->s[lx->i] == '=') {
			lx->i++;
			kind = TK_ASSIGN;
		}
		break;
	case '+':
		lx->i++;
		kind = TK_ADD;
		break;
	case '-':
		lx->i++;
		kind = TK_SUB;
		break;
	case '*':
		lx->i++;
		kind = TK_MUL;
		break;
	case '/':
		lx->i++;
		kind = TK_QUO;
		break;
	case '%':
		lx->i++;
		kind = TK_REM;
		break;
	case '&':
		lx->i++;
		kind = TK_AND;
		break;
	case '|':
		lx->i++;
		kind = TK_OR;
		break;
	case '=':
		lx->i++;
		kind = TK_UNIFY;
		if (lx->i < lx->n && lx->s[lx->i] == '=') {
			lx->i++;
			kind = TK_EQUAL;
		}
		break;
	case '>':
		lx->i++;
		kind = TK_GT;
		if (lx->i < lx->n && lx->s[lx->i] == '=') {
			lx->i++;
			kind = TK_GTE;
		}
		break;
	case '<':
		lx->i++;
		kind = TK_LT;
		if (lx->i < lx->n && lx->s[lx->i] == '=') {
			lx->i++;
			kind = TK_LTE;
		}
		break;
	case '!':
		lx->i++;
		if (lx->i < lx->n && lx->s[lx->i] == '=') {
			lx->i++;
			kind = TK_NEQ;
		} else {
			msg = "illegal ! character";
		}
		break;
	case ';':
		lx->i++;
		kind = TK_SEMI;
		break;
	case '.':
		lx->i++;
		kind = TK_DOT;
		break;
	default:
		/* any other character is an illegal token (with a message
		 * only for a NUL, bad UTF-8 or a stray byte-order mark) */
		step_char(lx, &msg);
		kind = TK_ILLEGAL;
		break;
	}
	if (msg)
		kind = TK_ILLEGAL;
	t = push_tok(lx, kind, start, row, col);
	if (t) {
		t->flags = flags;
		t->msg = msg_id(msg);
	}
}

tg_err tg_rego_lex(const char *text, size_t n, struct tg_rego_lexed *out)
{
	struct lexer lx;
	tg_err r = TG_E_INTERNAL;

	memset(&lx, 0, sizeof(lx));
	if (n > TG_LIMIT_REGO_SOURCE)
		return TG_E_TOOBIG;
	lx.s = (const uint8_t *)text;
	lx.n = n;
	lx.row = 1;
	if (n >= 3 && lx.s[0] == 0xEF && lx.s[1] == 0xBB && lx.s[2] == 0xBF) {
		lx.i = 3;
		lx.line_start = 3;
	}
	while (lx.i < lx.n && !lx.toobig) {
		if (scan_ws(&lx))
			continue;
		scan_one(&lx);
	}
	if (lx.toobig || !push_tok(&lx, TK_EOF, lx.i, lx.row, cur_col(&lx))) {
		r = TG_E_TOOBIG;
		goto out;
	}
	out->toks = lx.toks;
	out->ntoks = lx.ntoks;
	out->comments = lx.comments;
	out->ncomments = lx.ncomments;
	lx.toks = NULL;
	lx.comments = NULL;
	r = TG_OK;
out:
	free(lx.toks);
	free(lx.comments);
	return r;
}

void tg_rego_lexed_release(struct tg_rego_lexed *lx)
{
	if (!lx)
		return;
	free(lx->toks);
	free(lx->comments);
	memset(lx, 0, sizeof(*lx));
}
